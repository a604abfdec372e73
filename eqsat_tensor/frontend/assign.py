"""Item assignment ``y[key] = value`` on traced arrays, as a new value of ``y``.

NumPy changes ``y``'s memory in place; every array that shares it (a view: ``y[0]``,
``y.T``, ``y.reshape(...)``, or ``y`` itself under another name) sees the change. A graph
value is immutable, so the tracer gives the ``Tensor`` object ``y`` a new node
(``where(selected, value, y)``) and derives every live view of ``y`` again from it (a view
records the array it was taken from and how: ``mark_view``). Assignment is traced only into
arrays the function owns:

- results of NumPy functions, ufuncs, operators and methods that allocate (``np.zeros_like``,
  ``x.copy()``, ``x * 2``, ``np.concatenate``, advanced indexing, ...) are *owned*; views
  (basic indexing, ``reshape``, ``transpose``, ...: ``VIEW_FUNCS``, ``VIEW_METHODS``) and
  the function's arguments are not: assigning into an argument would change the caller's
  array, and into a view the array it belongs to.

Keys: basic indexing (ints, slices, ``...``, ``None``; static, the value broadcast into the
selection), constant index arrays (a gather of the value, NumPy's last write winning on a
repeated index) and a boolean mask, alone or beside basic indices (a scalar value, or
``z[mask]`` with the same mask). Everything else raises ``UnsupportedOperation`` naming the
assignment.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ir import Node, apply, constant_node
from . import functions as F
from .location import unsupported
from .operands import unwrap_host
from .tensor import Tensor


def _refresh_views(target: Tensor) -> None:
    """Derive every live view of ``target`` (and the views of those) from its new value."""
    changed = [target]
    while changed:
        src = changed.pop()
        for ref in src.views or ():
            view = ref()
            if view is None:
                continue
            again = view.derive(Tensor(src.node, weak=src.weak, int_op=src.int_op,
                                       idt=src.idt))
            view.node = again.node if isinstance(again, Tensor) else F.to_node(again)
            changed.append(view)


def setitem(target: Tensor, key: Any, value: Any) -> None:
    """Trace ``target[key] = value`` (see the module docstring)."""
    # arrays made with np.zeros and assigned into stand for their traced values
    key, value = unwrap_host(key), unwrap_host(value)
    what = "item assignment (x[...] = value)"
    if not target.owned:
        raise unsupported(what + " into an argument or a view (x[...], x.T, x.reshape(...))",
                          "NumPy would change the caller's array or the array the view "
                          "belongs to; assign into a copy (y = x.copy()) or build the result "
                          "with np.where")
    node = target.node
    if target.int_op:  # NumPy truncates a float assigned into an integer array
        from .masked import Masked

        if not isinstance(value, Masked):
            value = F.cast(value, target.idt)
    mask = _mask_key(key, node)
    if mask is not None:
        new = _assign_masked(node, mask, value, what)
    else:
        new = _assign_basic(node, key, value, what)
    target.node = new
    target.weak = False
    _refresh_views(target)


def _value_node(value: Any, like: Node) -> Node:
    """``value`` as a node of ``like``'s dtype (NumPy casts on assignment)."""
    v = F.to_node(value, like)
    return v if v.dtype == like.dtype else F.cast(v, like.dtype).node


def _bool_index(k: Any) -> Node | None:
    """The node of a boolean index array (traced or constant), else None."""
    if isinstance(k, Tensor):
        return k.node if k.node.dtype == "bool" else None
    if isinstance(k, (tuple, slice)) or k is None or k is Ellipsis:
        return None
    if np.ndim(k) > 0 and np.asarray(k).dtype == np.bool_:
        return constant_node(np.asarray(k), "bool")
    return None


def _mask_key(key: Any, node: Node) -> Node | None:
    """The selection of a key holding one boolean array (``y[m]``, ``y[m, 1]``,
    ``y[:, m]``), as a mask of ``node``'s shape; None for keys without one."""
    parts = key if isinstance(key, tuple) else (key,)
    found = [(i, m) for i, k in enumerate(parts) if (m := _bool_index(k)) is not None]
    if not found:
        return None
    if len(found) > 1 or (len(parts) > 1 and any(k is None or k is Ellipsis for k in parts)):
        raise unsupported("item assignment with several boolean arrays, or one beside ... "
                          "or None, in the key")
    (first, m), = found  # ints and slices before it: the mask starts at axis `first`
    covered = node.shape[first:first + m.ndim]
    if m.shape != covered:
        raise IndexError(f"boolean index of shape {m.shape} does not match the indexed array "
                         f"of shape {node.shape} at axis {first}")
    m = F.reshape(m, (1,) * first + m.shape + (1,) * (node.ndim - first - m.ndim)).node
    m = F.broadcast_to(m, node.shape).node
    rest = parts[:first] + (slice(None),) * len(covered) + parts[first + 1:]
    if all(isinstance(k, slice) and k == slice(None) for k in rest):
        return m
    if not all(isinstance(d, int) for d in node.shape):
        raise unsupported("item assignment into an array of symbolic shape", "it needs "
                          "concrete sizes")
    others = np.zeros(node.shape, dtype=bool)
    others[rest] = True  # NumPy checks the other indices
    return F.logical_and(m, constant_node(others, "bool")).node


def _assign_masked(node: Node, mask: Node, value: Any, what: str) -> Node:
    from .masked import Masked

    if isinstance(value, Masked):  # y[m] = z[m] (* 2, ...): the same selection
        values = value.values.node if isinstance(value.values, Tensor) else value.values
        if F.to_node(value.mask) is not mask or values.shape != node.shape:
            raise unsupported(what + " of x[mask] selected with another mask",
                              "only y[m] = z[m] with the same mask m is traced")
        return F.where(mask, _value_node(Tensor(values), node), node).node
    if np.ndim(value) > 0 and not (isinstance(value, Tensor) and value.node.ndim == 0) and \
            int(np.prod(np.shape(value))) != 1:
        raise unsupported(what + " of an array into a boolean-mask selection",
                          "the number of selected elements depends on the data; assign a "
                          "scalar, or z[mask] with the same mask")
    v = _value_node(value, node)
    if v.ndim:
        v = F.reshape(v, ()).node
    return F.where(mask, v, node).node


def _assign_basic(node: Node, key: Any, value: Any, what: str) -> Node:
    """``where(selected, value embedded at the selection, node)`` for a static basic key."""
    key = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, Tensor) for k in key):
        raise unsupported(what + " with traced index arrays", "the positions written must "
                          "be known while tracing: ints, slices, ..., constant index arrays "
                          "or boolean masks")
    if not all(isinstance(d, int) for d in node.shape):
        raise unsupported(what + " into an array of symbolic shape", "it needs concrete "
                          "sizes")
    shape = node.shape
    probe = np.zeros(shape, dtype=bool)
    probe[key] = True  # NumPy checks the key (IndexError as NumPy raises it)
    region = np.empty(shape, dtype=np.int8)[key].shape
    v = F.broadcast_to(_value_node(value, node), region).node
    if not probe.any():
        return node  # an empty selection writes nothing
    if any(not isinstance(k, (slice, int, np.integer)) and k is not None and k is not Ellipsis
           for k in key):
        return _assign_gathered(node, key, v, probe)
    slices = _slices(key, shape)
    if region == shape and all(t == (0, None, 1) for t in slices):
        return F.reshape(v, shape).node  # the whole array in order (y[...] = v, y += v)
    v = F.reshape(v, tuple(len(range(*_bounds(t, n))) for t, n in zip(slices, shape))).node
    v = apply("pad_slice", v, slices=slices, shape=shape)  # reversed or strided: placed
    return F.where(constant_node(probe, "bool"), v, node).node


def _assign_gathered(node: Node, key: tuple, v: Node, probe: np.ndarray) -> Node:
    """A key with constant index arrays: each written position takes the value element
    NumPy writes there (the last one where an index repeats, as NumPy's assignment does),
    found by running the assignment on the element numbers."""
    source = np.zeros(node.shape, dtype=np.int64)
    source[key] = np.arange(int(np.prod(v.shape)), dtype=np.int64).reshape(v.shape)
    flat = F.reshape(v, (-1,)).node
    picked = apply("take", flat, constant_node(source.reshape(-1), "int64"), axis=(0,))
    picked = F.reshape(picked, node.shape).node
    return F.where(constant_node(probe, "bool"), picked, node).node


def _bounds(t: tuple, n: int) -> tuple[int, int, int]:
    start, stop, step = t
    return start, (n if stop is None and step > 0 else -1 if stop is None else stop), step


def _slices(key: tuple, shape: tuple) -> tuple:
    """Normal-form slice triples per axis of a basic key (an int ``i`` is ``i:i+1``)."""
    from ..ir.shapes import normalize_slice

    real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if any(k is Ellipsis for k in key):
        e = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:e] + (slice(None),) * (len(shape) - real) + key[e + 1:]
    key = tuple(k for k in key if k is not None)
    key = key + (slice(None),) * (len(shape) - len(key))
    out = []
    for k, n in zip(key, shape):
        if isinstance(k, slice):
            out.append(normalize_slice(k, n))
        else:
            i = int(k) % n
            out.append((i, i + 1, 1))
    return tuple(out)


__all__ = ["setitem"]
