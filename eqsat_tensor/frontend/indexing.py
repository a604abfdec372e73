"""Indexing and joins of traced values: ``x[...]``, ``np.take``, ``np.take_along_axis``,
``np.concatenate`` / ``stack`` / ``hstack`` / ``vstack``, ``np.split`` / ``array_split``,
``np.diff``, ``np.flip``, ``np.roll``.

Basic indexing (integers, slices with steps and negative bounds, ``None``, ``...``) is the
view op ``slice`` plus a ``reshape`` that drops the integer-indexed axes and inserts the new
ones. An integer array index (a constant or an int64 traced value) is a ``take`` (gather);
constant indices are checked here (``IndexError`` like NumPy), traced ones when the kernel
runs. Joins are chains of the binary ``concatenate``. A boolean mask whose selection
escapes (its shape depends on the data) raises ``UnsupportedOperation`` naming it; masked
reductions are handled in ``frontend.masked``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ir import (
    FULL_SLICE,
    INT_DTYPES,
    Node,
    apply,
    compose_slices,
    constant_node,
    fmt_shape,
    normalize_axis,
    normalize_slice,
)
from . import functions as F
from .location import unsupported, user_location
from .operands import host_value
from .tensor import Tensor


def slice_node(node: Node, slices: tuple) -> Node:
    """``slice(node, slices)``; a slice of a slice is one slice, the whole array itself, and
    a slice of a ``concatenate`` that stays inside one operand a slice of that operand."""
    while node.op == "concatenate":
        inner = _inside_one_operand(node, slices)
        if inner is None:
            break
        node, slices = inner
    if node.op == "slice":
        slices = compose_slices(node.attr("slices"), slices, node.inputs[0].shape)
        node = node.inputs[0]
    if builtins.all(t == FULL_SLICE for t in slices):
        return node
    return apply("slice", node, slices=tuple(slices))


def _inside_one_operand(node: Node, slices: tuple) -> tuple[Node, tuple] | None:
    """``(operand, slices)`` when ``slices`` of ``concatenate(a, b)`` select only from one
    operand (the slices shifted into it), else None."""
    (ax,) = node.attr("axis")
    a, b = node.inputs
    t = tuple(slices[ax])
    n = a.shape[ax]
    if not isinstance(n, int) or t == FULL_SLICE:
        return None
    start, stop, step = t
    count = len(range(start, -1 if stop is None else stop, step))
    if count == 0:
        return None
    last = start + (count - 1) * step
    lo, hi = min(start, last), max(start, last)
    if hi < n:
        target, shift, extent = a, 0, n
    elif lo >= n:
        target, shift, extent = b, n, b.shape[ax]
    else:
        return None
    end = start - shift + (count - 1) * step + (1 if step > 0 else -1)
    moved = list(slices)
    moved[ax] = normalize_slice(slice(start - shift, None if end < 0 else end, step), extent)
    return target, tuple(moved)


# -- index arrays -------------------------------------------------------------------------------


def _is_int_scalar(k: Any) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_))


def index_operand(k: Any, n: Any, axis: int, what: str) -> Node:
    """An integer index array as an int64 node: a constant (checked against the extent
    ``n`` and made non-negative) or a traced int64 value (checked when it runs)."""
    k = host_value(k)  # an index array made with np.zeros and assigned into
    if isinstance(k, Tensor):
        if k.node.dtype in INT_DTYPES:
            return k.node
        if k.int_op:  # an integer value the tracer carries exactly in float64 (an int
            return apply("cast", k.node, dtype="int64")  # argument, np.argmax, ...)
        if k.node.dtype == "bool":
            raise unsupported(f"boolean-mask indexing ({what})", "the result has a "
                              "data-dependent shape; reduce it (np.sum(x[m])) or use "
                              "np.where(m, x, 0)")
        raise IndexError("arrays used as indices must be of integer (or boolean) type "
                         f"({what} with a {k.node.dtype} index)")
    arr = np.asarray(k)
    if arr.size == 0 and arr.dtype.kind == "f":  # x[[]] is an empty integer index
        arr = arr.astype(np.int64)
    if arr.dtype == np.bool_:
        raise unsupported(f"boolean-mask indexing ({what})", "the result has a data-dependent "
                          "shape; reduce it (np.sum(x[m])) or use np.where(m, x, 0)")
    if arr.dtype.kind not in "iu":
        raise IndexError("arrays used as indices must be of integer (or boolean) type")
    if not isinstance(n, int):
        raise unsupported(f"integer-array indexing of the symbolic dim {n!r} ({what})",
                          "it needs concrete sizes")
    bad = (arr < -n) | (arr >= n)
    if np.any(bad):
        raise IndexError(f"index {int(arr[bad].flat[0])} is out of bounds for axis {axis} "
                         f"with size {n}")
    return constant_node(np.where(arr < 0, arr + n, arr).astype(np.int64), "int64")


# -- basic and advanced indexing -----------------------------------------------------------------


def _key_text(key: tuple) -> str:
    def one(k: Any) -> str:
        if k is Ellipsis:
            return "..."
        if isinstance(k, slice):
            parts = ["" if v is None else str(v) for v in (k.start, k.stop, k.step)]
            return ":".join(parts[:2]) + (f":{parts[2]}" if k.step is not None else "")
        if isinstance(k, Tensor):
            return "mask" if k.node.dtype == "bool" else "index"
        if isinstance(k, (list, np.ndarray)):
            return "array"
        return repr(k)

    return "x[" + ", ".join(one(k) for k in key) + "]"


def _static_slice(s: slice) -> slice:
    out = []
    for v in (s.start, s.stop, s.step):
        if isinstance(v, Tensor):
            raise unsupported("a slice bound given as a traced value", "slice bounds must be "
                              "Python ints; pass them with et.jit(..., static_argnames=...)")
        if v is not None and not _is_int_scalar(v):
            raise TypeError("slice indices must be integers or None or have an __index__ "
                            "method")
        out.append(None if v is None else int(v))
    return slice(*out)


def index(x: Any, key: Any) -> Tensor:
    """``x[key]``: basic indexing (ints, slices, ``None``, ``...``) as a ``slice`` view and a
    reshape; one integer-array index (with ints beside it) as a ``take``. Boolean masks
    raise ``UnsupportedOperation`` (data-dependent shape)."""
    return same_int(x, _index(F.to_node(x), key))


def same_int(x: Any, out: Tensor) -> Tensor:
    """``out`` (a view or gather of ``x``) marked as ``x``'s integer dtype where ``x`` is an
    integer array the tracer carries in float64 (int32 stays int32)."""
    if isinstance(x, Tensor) and x.int_op:
        return Tensor(out.node, int_op=x.int_op, idt=x.idt)
    return out


def _index(node: Node, key: Any) -> Tensor:
    key = key if isinstance(key, tuple) else (key,)
    what = _key_text(key)
    if builtins.sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    for k in key:
        if (isinstance(k, Tensor) and k.node.dtype == "bool") or (
                not isinstance(k, (Tensor, slice, int, np.integer)) and k is not None
                and k is not Ellipsis and np.asarray(k).dtype == np.bool_):
            raise unsupported(f"boolean-mask indexing ({what})", "the result has a data-"
                              "dependent shape; reduce it (np.sum(x[m]), x[m].mean()) or use "
                              "np.where(m, x, 0)")
        if isinstance(k, Tensor) and k.node.dtype not in INT_DTYPES and not k.int_op:
            raise unsupported(f"indexing with a traced {k.node.dtype} value ({what})",
                              "indices must be integers")
    n_real = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > node.ndim:
        raise IndexError(f"too many indices for array: array is {node.ndim}-dimensional, but "
                         f"{n_real} were indexed")
    if builtins.any(k is Ellipsis for k in key):
        e = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:e] + (slice(None),) * (node.ndim - n_real) + key[e + 1:]
    else:
        key = key + (slice(None),) * (node.ndim - n_real)
    slices: list[tuple] = []
    arrays: list[tuple[int, Any]] = []  # (axis, index)
    ints: list[int] = []  # axes indexed by an int (dropped)
    labels: list[Any] = []  # result axes in key order: ("new",), ("axis", k), ("adv", pos)
    adv_positions: list[int] = []
    axis = 0
    for pos, k in enumerate(key):
        if k is None:
            labels.append(("new",))
            continue
        n = node.shape[axis]
        if isinstance(k, slice):
            try:
                slices.append(normalize_slice(_static_slice(k), n))
            except ValueError as exc:
                raise ValueError(str(exc)) from None
            except Exception as exc:  # a symbolic dim
                raise unsupported(f"slicing ({what})", str(exc)) from None
            labels.append(("axis", axis))
        elif _is_int_scalar(k):
            i = int(k)
            if not isinstance(n, int):
                raise unsupported(f"integer indexing of the symbolic dim {n!r} ({what})",
                                  "it needs concrete sizes")
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {n}")
            i %= n
            slices.append((i, i + 1, 1) if (i, n) != (0, 1) else FULL_SLICE)
            ints.append(axis)
            adv_positions.append(pos)
        elif isinstance(k, (Tensor, list, np.ndarray)) or np.ndim(k) > 0:
            slices.append(FULL_SLICE)
            arrays.append((axis, index_operand(k, n, axis, what)))
            labels.append(("adv",))
            adv_positions.append(pos)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), numpy.newaxis "
                             "(`None`) and integer or boolean arrays are valid indices")
        axis += 1
    out = slice_node(node, tuple(slices))
    if not arrays and not ints:  # only new axes: expand_dims, as the builder spells it
        new_axes = [i for i, lab in enumerate(labels) if lab[0] == "new"]
        return F.expand_dims(out, new_axes) if new_axes else Tensor(out)
    if not arrays:
        shape: list[Any] = []
        for lab in labels:
            shape.append(1 if lab[0] == "new" else out.shape[lab[1]])
        return _finish(out, tuple(shape))
    if len(arrays) > 1:
        return _multi_take(node, out, arrays, ints, labels, adv_positions, what)
    (ax, idx), = arrays
    # ints beside an array index are advanced indices too (NumPy): a 0-d broadcast
    out = apply("take", out, idx, axis=(ax,))
    adv_ndim = idx.ndim
    # result of take: axes < ax, idx dims, axes > ax (int axes still there, extent 1)
    before = [a for a in range(ax)]
    after = [a for a in range(ax + 1, node.ndim)]
    src_axes = {a: a for a in before}
    src_axes.update({a: a + adv_ndim - 1 for a in after})
    contiguous = adv_positions == list(range(adv_positions[0], adv_positions[-1] + 1))
    # keep the kept axes and the advanced dims, drop the int axes
    order: list[int] = []  # take-result axes in NumPy's result order (new axes apart)
    plan: list[Any] = []
    adv_block = list(range(ax, ax + adv_ndim))
    if not contiguous:  # NumPy puts the broadcast index dims first
        plan.append(("adv",))
    for lab in labels:
        if lab[0] == "adv":
            if contiguous:
                plan.append(("adv",))
        else:
            plan.append(lab)
    shape = []
    for lab in plan:
        if lab[0] == "adv":
            order += adv_block
            shape += [out.shape[a] for a in adv_block]
        elif lab[0] == "axis":
            order.append(src_axes[lab[1]])
            shape.append(out.shape[src_axes[lab[1]]])
        else:
            shape.append(1)
    dropped = [src_axes[a] for a in ints]
    keep = [a for a in range(out.ndim) if a not in dropped]
    if order != keep:
        perm = order + dropped
        out = apply("transpose", out, axes=tuple(perm))
    return _finish(out, tuple(shape))


def _finish(out: Node, shape: tuple) -> Tensor:
    if tuple(shape) == out.shape:
        return Tensor(out)
    return F.reshape(out, shape)


def _multi_take(node: Node, sliced: Node, arrays: list, ints: list, labels: list,
                adv_positions: list, what: str) -> Tensor:
    """Several integer-array indices: constant ones on adjacent axes are one ``take`` over
    those axes flattened (``np.ravel_multi_index``)."""
    axes = [a for a, _ in arrays]
    if (ints or axes != list(range(axes[0], axes[-1] + 1))
            or adv_positions != list(range(adv_positions[0], adv_positions[-1] + 1))):
        raise unsupported(f"integer-array indexing with several index arrays ({what})",
                          "only constant index arrays on adjacent axes, without integer "
                          "indices or None beside them, are traced")
    dims = [node.shape[a] for a in axes]
    if not builtins.all(i.op == "constant" for _, i in arrays):
        return _traced_multi_take(sliced, arrays, dims, labels)
    try:
        idx = np.broadcast_arrays(*[np.asarray(i.value) for _, i in arrays])
    except ValueError:
        raise IndexError("shape mismatch: indexing arrays could not be broadcast together"
                         ) from None
    flat = np.ravel_multi_index(tuple(idx), dims).astype(np.int64)
    a0 = axes[0]
    merged = sliced.shape[:a0] + (int(np.prod(dims)),) + sliced.shape[axes[-1] + 1:]
    out = apply("take", F.reshape(sliced, merged).node, constant_node(flat, "int64"),
                axis=(a0,))
    return _finish(out, _gathered_shape(out, labels, a0, len(axes), flat.shape))


def _gathered_shape(out: Node, labels: list, a0: int, n_axes: int, idx_shape: tuple
                    ) -> tuple:
    """NumPy's result shape of several index arrays on ``n_axes`` adjacent axes from
    ``a0``, gathered as one ``take`` of index shape ``idx_shape`` into ``out``."""
    shape: list[Any] = []
    seen = False
    for lab in labels:
        if lab[0] == "new":
            shape.append(1)
        elif lab[0] == "adv":
            if not seen:
                shape += list(idx_shape)
                seen = True
        else:
            k = lab[1]
            shape.append(out.shape[k if k < a0 else k - n_axes + len(idx_shape)])
    return tuple(shape)


def _traced_multi_take(sliced: Node, arrays: list, dims: list, labels: list) -> Tensor:
    """Several index arrays on adjacent axes, some traced: one ``take`` over those axes
    flattened, at ``sum(i_k * stride_k)`` computed in the graph (negative indices wrap;
    an index out of its own axis's range makes the flat index out of range, so ``take``
    raises ``IndexError`` like NumPy instead of reading another element)."""
    if not builtins.all(isinstance(d, int) for d in dims):
        raise unsupported("integer-array indexing of symbolic dims", "it needs concrete sizes")
    total = int(np.prod(dims))
    flat: Any = None
    ok: Any = None
    for k, ((_, i), n) in enumerate(zip(arrays, dims)):
        stride = int(np.prod(dims[k + 1:]))
        f = apply("cast", i, dtype="float64")
        f = F.where(F.less(f, 0.0), F.add(f, float(n)), f)
        inside = F.logical_and(F.greater_equal(f, 0.0), F.less(f, float(n)))
        term = F.multiply(f, float(stride))
        flat = term if flat is None else F.add(flat, term)
        ok = inside if ok is None else F.logical_and(ok, inside)
    idx = apply("cast", F.where(ok, flat, float(total)).node, dtype="int64")
    a0, a1 = arrays[0][0], arrays[-1][0]
    merged = sliced.shape[:a0] + (total,) + sliced.shape[a1 + 1:]
    out = apply("take", F.reshape(sliced, merged).node, idx, axis=(a0,))
    return _finish(out, _gathered_shape(out, labels, a0, len(arrays), idx.shape))


# -- gathers -------------------------------------------------------------------------------------


def _axis1(axis: Any, ndim: int, op: str) -> int:
    (a,) = normalize_axis(F.static_int(axis, f"{op} axis"), ndim, op)
    return a


def take(a: Any, indices: Any, axis: Any = None) -> Tensor:
    """``np.take(a, indices, axis)``: a gather (``axis=None``: of the flattened array)."""
    node = F.to_node(a)
    if axis is None:
        node = F.ravel(node).node
        axis = 0
    ax = _axis1(axis, node.ndim, "np.take")
    if _is_int_scalar(indices):
        key = (slice(None),) * ax + (int(indices),)
        return same_int(a, index(node, key))
    idx = index_operand(indices, node.shape[ax], ax, "np.take")
    return same_int(a, Tensor(apply("take", node, idx, axis=(ax,))))


def take_along_axis(arr: Any, indices: Any, axis: Any = -1) -> Tensor:
    """``np.take_along_axis(arr, indices, axis)``: a gather along one axis with an index of
    the array's rank (``axis=None``: of the flattened array)."""
    node = F.to_node(arr)
    if axis is None:
        node = F.ravel(node).node
        axis = 0
    ax = _axis1(axis, node.ndim, "np.take_along_axis")
    idx = index_operand(indices, node.shape[ax], ax, "np.take_along_axis")
    if idx.ndim != node.ndim:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    return Tensor(apply("take_along_axis", node, idx, axis=(ax,)))


# -- joins ------------------------------------------------------------------------------------


def _nodes(arrays: Any, fname: str) -> list[Node]:
    if isinstance(arrays, Tensor):
        raise unsupported(f"np.{fname} of one traced array (iterating over its rows)",
                          "pass a list or tuple of arrays")
    items = list(arrays)
    if not items:
        raise ValueError("need at least one array to concatenate")
    nodes = F._operands(*items)
    dts = {n.dtype for n in nodes}
    if len(dts) > 1:
        target = "float64" if "float64" in dts or (dts & {"int64"} and "float32" in dts) \
            else ("float32" if "float32" in dts else "int64")
        nodes = [n if n.dtype == target else apply("cast", n, dtype=target) for n in nodes]
    return nodes


def concatenate(arrays: Sequence[Any], axis: Any = 0) -> Tensor:
    """``np.concatenate``: a chain of binary ``concatenate`` ops (``axis=None``: of the
    flattened arrays); empty operands are dropped."""
    nodes = _nodes(arrays, "concatenate")
    if axis is None:
        nodes = [F.ravel(n).node for n in nodes]
        axis = 0
    nd = nodes[0].ndim
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    if builtins.any(n.ndim != nd for n in nodes):
        raise ValueError("all the input arrays must have same number of dimensions, but the "
                         f"shapes are {', '.join(fmt_shape(n.shape) for n in nodes)}")
    ax = _axis1(axis, nd, "np.concatenate")
    for n in nodes[1:]:
        for i, (p, q) in enumerate(zip(nodes[0].shape, n.shape)):
            if i != ax and p != q:
                raise ValueError(
                    "all the input array dimensions except for the concatenation axis must "
                    f"match exactly, but along dimension {i}, the array at index 0 has size "
                    f"{p} and another has size {q} (at {user_location()})")
    kept = [n for n in nodes if n.shape[ax] != 0] or nodes[:1]
    out = kept[0]
    for n in kept[1:]:
        out = apply("concatenate", out, n, axis=(ax,))
    if out.shape[ax] == 0 and len(nodes) > 1 and builtins.any(isinstance(n.shape[ax], str)
                                                              for n in nodes):
        raise unsupported("np.concatenate of symbolic dims", "it needs concrete sizes")
    return _join_int(arrays, Tensor(out))


def stack(arrays: Sequence[Any], axis: Any = 0) -> Tensor:
    """``np.stack``: each array gets a new axis, then they are concatenated along it."""
    nodes = _nodes(arrays, "stack")
    if builtins.any(n.shape != nodes[0].shape for n in nodes):
        raise ValueError("all input arrays must have the same shape")
    ax = normalize_axis(F.static_int(axis, "np.stack axis"), nodes[0].ndim + 1, "np.stack")
    out = concatenate([apply("expand_dims", n, axis=ax) for n in nodes], axis=ax[0])
    return _join_int(arrays, out)


def _join_int(arrays: Any, out: Tensor) -> Tensor:
    """A join of integer-valued arrays (traced ints, integer constants) is one (breadth2:
    ``np.stack`` of two ``argmax`` results was float64)."""
    items = list(arrays) if not isinstance(arrays, Tensor) else []
    traced = [a for a in items if isinstance(a, Tensor)]
    if not traced or not builtins.all(a.int_op for a in traced):
        return out
    if builtins.any(not isinstance(a, Tensor) and np.asarray(a).dtype.kind not in "iub"
                    for a in items):
        return out
    return F._as_int(out, traced[0].int_op, F.int_dtype(*items))


def hstack(tup: Sequence[Any]) -> Tensor:
    """``np.hstack``: along axis 1 (axis 0 for 1-D arrays)."""
    nodes = [F.atleast_1d(n).node for n in _nodes(tup, "hstack")]
    return _join_int(tup, concatenate(nodes, axis=0 if nodes[0].ndim == 1 else 1))


def vstack(tup: Sequence[Any]) -> Tensor:
    """``np.vstack``: along axis 0 of the arrays made at least 2-D."""
    return _join_int(tup, concatenate([F.atleast_2d(n).node
                                       for n in _nodes(tup, "vstack")], axis=0))


def column_stack(tup: Sequence[Any]) -> Tensor:
    """``np.column_stack``: 1-D arrays become columns, then along axis 1."""
    nodes = [F.reshape(n, (n.shape[0], 1)).node if n.ndim == 1 else F.atleast_2d(n).node
             for n in _nodes(tup, "column_stack")]
    return _join_int(tup, concatenate(nodes, axis=1))


def _axis_slice(node: Node, ax: int, s: slice) -> Node:
    slices = [FULL_SLICE] * node.ndim
    slices[ax] = normalize_slice(s, node.shape[ax])
    return slice_node(node, tuple(slices))


def _bounds(n: int, indices_or_sections: Any, fname: str, even: bool) -> list[int]:
    if _is_int_scalar(indices_or_sections):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("number sections must be larger than 0.")
        if even and n % k:
            raise ValueError("array split does not result in an equal division")
        size, extra = divmod(n, k)
        cuts, at = [0], 0
        for i in range(k):
            at += size + (1 if i < extra else 0)
            cuts.append(at)
        return cuts
    if isinstance(indices_or_sections, Tensor):
        raise unsupported(f"np.{fname} with traced split points", "they must be static")
    return [0] + [int(i) for i in indices_or_sections] + [n]


def array_split(ary: Any, indices_or_sections: Any, axis: Any = 0) -> list[Tensor]:
    """``np.array_split``: static sections (uneven allowed) as slices."""
    return _split(ary, indices_or_sections, axis, "array_split", even=False)


def split(ary: Any, indices_or_sections: Any, axis: Any = 0) -> list[Tensor]:
    """``np.split``: static equal sections or split points, as slices."""
    return _split(ary, indices_or_sections, axis, "split", even=True)


def _split(ary: Any, sections: Any, axis: Any, fname: str, even: bool) -> list[Tensor]:
    node = F.to_node(ary)
    ax = _axis1(axis, node.ndim, f"np.{fname}")
    n = node.shape[ax]
    if not isinstance(n, int):
        raise unsupported(f"np.{fname} of the symbolic dim {n!r}", "it needs concrete sizes")
    cuts = _bounds(n, sections, fname, even)
    return [Tensor(_axis_slice(node, ax, slice(a, max(a, b)))) for a, b in zip(cuts, cuts[1:])]


def hsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``np.hsplit``: ``split`` along axis 1 (axis 0 of a 1-D array)."""
    node = F.to_node(ary)
    return split(node, indices_or_sections, axis=1 if node.ndim > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """``np.vsplit``: ``split`` along axis 0."""
    return split(ary, indices_or_sections, axis=0)


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue,
         append: Any = np._NoValue) -> Tensor:
    """``np.diff``: ``x[1:] - x[:-1]`` along ``axis``, ``n`` times (``!=`` for bool)."""
    node = F.to_node(a)
    n = F.static_int(n, "np.diff n")
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n}")
    if node.ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = _axis1(axis, node.ndim, "np.diff")
    parts = []
    for extra in (prepend, append):
        if extra is np._NoValue:
            parts.append(None)
            continue
        e = F.to_node(extra, node)
        if e.ndim == 0:
            shape = tuple(1 if i == ax else d for i, d in enumerate(node.shape))
            e = F.broadcast_to(e, shape).node
        parts.append(e)
    pieces = [p for p in (parts[0], node, parts[1]) if p is not None]
    if len(pieces) > 1:
        node = concatenate(pieces, axis=ax).node
    for _ in range(n):
        m = node.shape[ax]
        if not isinstance(m, int):
            raise unsupported(f"np.diff along the symbolic dim {m!r}", "it needs concrete sizes")
        hi = _axis_slice(node, ax, slice(1, None))
        lo = _axis_slice(node, ax, slice(None, max(m - 1, 0)))
        node = (F.not_equal(hi, lo) if node.dtype == "bool" else F.subtract(hi, lo)).node
    return Tensor(node)


def flip(m: Any, axis: Any = None) -> Tensor:
    """``np.flip``: reversed along ``axis`` (all axes for None), a slice with step -1."""
    node = F.to_node(m)
    axes = normalize_axis(axis, node.ndim, "np.flip") if not (
        isinstance(axis, (tuple, list)) and not axis) else ()
    key = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(node.ndim))
    return index(m if isinstance(m, Tensor) else node, key)


def fliplr(m: Any) -> Tensor:
    """``np.fliplr``: reversed along axis 1."""
    return flip(m, 1)


def flipud(m: Any) -> Tensor:
    """``np.flipud``: reversed along axis 0."""
    return flip(m, 0)


def roll(a: Any, shift: Any, axis: Any = None) -> Tensor:
    """``np.roll`` by static shifts: two slices joined."""
    node = F.to_node(a)
    if axis is None:
        flat = F.ravel(node).node
        return F.reshape(roll(flat, shift, 0), node.shape)
    shifts = (shift,) if _is_int_scalar(shift) else tuple(shift)
    axes = (axis,) if _is_int_scalar(axis) else tuple(axis)
    if len(shifts) != len(axes):
        shifts = shifts * len(axes) if len(shifts) == 1 else shifts
    for s, ax in zip(shifts, axes):
        ax = _axis1(ax, node.ndim, "np.roll")
        n = node.shape[ax]
        if not isinstance(n, int):
            raise unsupported(f"np.roll along the symbolic dim {n!r}", "it needs concrete sizes")
        k = int(s) % n if n else 0
        if k:
            node = concatenate([_axis_slice(node, ax, slice(n - k, None)),
                                _axis_slice(node, ax, slice(0, n - k))], axis=ax).node
    return Tensor(node)

