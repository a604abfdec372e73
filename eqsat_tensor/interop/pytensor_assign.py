"""PyTensor indexing, assignments, scans and ranges for ``from_pytensor`` (a mixin of its
converter).

- ``Subtensor`` / ``AdvancedSubtensor(1)`` / ``Split`` -> the tracer's indexing, and
  ``AdvancedIncSubtensor(1)`` adding along one integer array -> ``x + scatter_add(y, idx)``;

- ``IncSubtensor`` / ``SetSubtensor`` (basic indices: ints and slices) -> ``x + pad_slice(y)``
  and ``where(mask, pad_slice(y), x)`` (the mask a constant of the static shape);
- ``AdvancedIncSubtensor`` with several constant integer arrays on adjacent axes (the VJP of
  ``p[arange(n), y]``, as PyMC's ``Categorical`` builds it) -> one ``scatter_add`` over
  those axes flattened, and ``AdvancedSetSubtensor`` with constant unique indices;
- ``AllocEmpty`` -> zeros (every PyTensor use overwrites it); ``CumOp`` -> ``cumsum`` /
  ``cumprod``; ``ARange`` of shape values -> a constant;
- ``SolveTriangular`` / ``Solve`` (also under ``Blockwise``) with a constant matrix ``A``
  (PyMC's ``MvNormal`` with a fixed covariance, a Gaussian process with a fixed kernel:
  the Cholesky factor folds to a constant) -> ``matmul`` by ``A``'s inverse, computed once
  at import with SciPy's own triangular solve against the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import Node, apply, constant_node
from ..ir.shapes import normalize_slice


class SameDims(Exception):
    """Two symbolic dims (or one and a size) were found to be one; the import restarts
    with the alias."""


def _is_shared(v: Any) -> bool:
    """A PyTensor shared variable (``pm.Data``, ``pytensor.shared``)."""
    from pytensor.compile.sharedvalue import SharedVariable

    return isinstance(v, SharedVariable)


def _static(shape: tuple, what: str) -> tuple[int, ...]:
    if not all(isinstance(d, int) for d in shape):
        raise UnsupportedOperation(f"{what} (of an array with symbolic dims {shape})")
    return tuple(shape)


class AssignOps:
    """Methods of ``pytensor_io._Converter`` for the ops in the module docstring."""

    consts: dict
    dims: dict

    def _index_entry(self, e: Any) -> Any:
        """One entry of a PyTensor index as a Python index (slice, int, array, None) or a
        traced int64 value."""
        from ..frontend.tensor import Tensor

        if isinstance(e, slice):
            return slice(*(None if b is None else self._index_entry(b)
                           for b in (e.start, e.stop, e.step)))
        if isinstance(e, np.ndarray) and e.ndim == 0:  # a folded MakeSlice's bound
            e = e.item()
        if isinstance(e, (int, np.integer)) or e is None:
            return e
        if id(e) in self.consts:
            value = self.consts[id(e)]
            if value.dtype == object:
                return self._index_entry(value.item())
            return int(value) if value.ndim == 0 else value
        if type(e.type).__name__ == "NoneTypeT":
            return None
        node = self.nodes.get(id(e))
        if node is None or node.dtype != "int64":
            raise UnsupportedOperation("Subtensor (with an index that is not a constant or "
                                       "an int64 array)")
        return Tensor(node)

    def _index_op(self, apply_node: Any, v: Any, kind: str, fdtype: str) -> Node:
        """``Subtensor`` (basic indexing), ``AdvancedSubtensor(1)`` (integer arrays),
        ``Split`` (static splits), ``AdvancedIncSubtensor(1)`` adding into an array (a
        gather's gradient: ``x + scatter_add(y, idx)``)."""
        from ..frontend import indexing as X

        ins = apply_node.inputs
        op = apply_node.op
        x = self.node_of(ins[0], fdtype)
        if kind == "Subtensor":
            from pytensor.tensor.subtensor import get_idx_list

            key = tuple(self._index_entry(e) for e in get_idx_list(ins, op.idx_list))
            return X.index(x, key).node
        if kind in ("AdvancedSubtensor1", "AdvancedSubtensor"):
            return X.index(x, tuple(self._index_entry(e) for e in ins[1:])).node
        if kind == "Split":
            if id(ins[1]) not in self.consts or id(ins[2]) not in self.consts:
                raise UnsupportedOperation("Split (with splits that are not constants)")
            axis = int(self.consts[id(ins[1])]) % x.ndim
            sizes = [int(s) for s in self.consts[id(ins[2])]]
            k = apply_node.outputs.index(v)
            start = sum(sizes[:k])
            return X.index(x, (slice(None),) * axis + (slice(start, start + sizes[k]),)).node
        y = self.node_of(ins[1], fdtype)
        key = tuple(self._index_entry(e) for e in ins[2:])
        arrays = [a for a, k in enumerate(key) if not isinstance(k, slice)]
        if getattr(op, "set_instead_of_inc", False) or len(arrays) > 1:  # (clients)
            return self._adv_inc_set(x, y, key, kind, bool(getattr(op, "set_instead_of_inc",
                                                                    False)))
        if len(arrays) != 1 or any(k != slice(None) for k in key if isinstance(k, slice)):
            raise UnsupportedOperation(f"{kind} (other than adding along one integer array)")
        ax = arrays[0]
        idx = X.index_operand(key[ax], x.shape[ax], ax, kind)
        part = x.shape[:ax] + idx.shape + x.shape[ax + 1:]
        g = y if y.shape == part else apply("broadcast_to", y, shape=part)
        if g.dtype != x.dtype:
            g = apply("cast", g, dtype=x.dtype)
        out = apply("scatter_add", g, idx, axis=(ax,), shape=x.shape)
        if x.op == "constant" and not np.any(x.value):
            return out
        if x.op == "broadcast_to" and x.inputs[0].op == "constant" and not np.any(
                x.inputs[0].value):
            return out
        return apply("add", x, out)

    def _inc_subtensor(self, apply_node: Any, v: Any, fdtype: str) -> Node:
        from pytensor.tensor.subtensor import get_idx_list

        op = apply_node.op
        ins = apply_node.inputs
        what = "SetSubtensor" if op.set_instead_of_inc else "IncSubtensor"
        x = self.node_of(ins[0], fdtype)  # type: ignore[attr-defined]
        y = self.node_of(ins[1], fdtype)  # type: ignore[attr-defined]
        key = [self._index_entry(e)  # type: ignore[attr-defined]
               for e in get_idx_list(ins[1:], op.idx_list)]
        shape = x.shape
        slices, part, ints = [], [], []
        for ax, n in enumerate(shape):
            k = key[ax] if ax < len(key) else slice(None)
            if isinstance(k, (int, np.integer)):
                n = _static((n,), what)[0]
                if not -n <= int(k) < n:
                    raise IndexError(f"index {int(k)} is out of bounds for axis {ax} with "
                                     f"size {n}")
                k = int(k) % n
                slices.append((k, k + 1, 1))
                part.append(1)
                ints.append(ax)
            elif isinstance(k, slice) and all(b is None or isinstance(b, (int, np.integer))
                                              for b in (k.start, k.stop, k.step)):
                t = normalize_slice(k, n)
                slices.append(t)
                part.append(n if t == (0, None, 1) else len(range(*slice(*t).indices(n))))
            else:
                raise UnsupportedOperation(f"{what} (with an index that is not a constant)")
        if y.dtype != x.dtype:
            y = apply("cast", y, dtype=x.dtype)
        if ints:  # the int axes are gone from y: put them back as length-1 axes
            y = self._to_part(y, tuple(d for a, d in enumerate(part) if a not in ints))
            y = apply("expand_dims", y, axis=tuple(ints))
        y = self._to_part(y, tuple(part))
        if all(t == (0, None, 1) for t in slices):
            padded = y
        else:
            padded = apply("pad_slice", y, slices=tuple(slices), shape=shape)
        if not op.set_instead_of_inc:
            return padded if _zeros(x) else apply("add", x, padded)
        if padded is y or _zeros(x):
            return padded
        mask = np.zeros(_static(shape, what), dtype=bool)
        mask[tuple(slice(*t) for t in slices)] = True
        return apply("where", constant_node(mask, "bool"), padded, x)

    def _to_part(self, y: Node, part: tuple) -> Node:
        if y.shape == part:
            return y
        if y.ndim > len(part):
            y = apply("reshape", y, shape=y.shape[y.ndim - len(part):])
        return y if y.shape == part else apply("broadcast_to", y, shape=part)

    def _adv_inc_set(self, x: Node, y: Node, key: tuple, kind: str, set_: bool) -> Node:
        """``x[key] += y`` / ``x[key] = y`` with integer arrays (constants) on adjacent
        axes and whole slices elsewhere."""
        what = f"{kind} ({'set' if set_ else 'inc'} with several integer arrays)"
        arrays = [(a, k) for a, k in enumerate(key) if not isinstance(k, slice)]
        axes = [a for a, _ in arrays]
        if any(k != slice(None) for k in key if isinstance(k, slice)) or \
                axes != list(range(axes[0], axes[-1] + 1)):
            raise UnsupportedOperation(f"{what}: only whole slices beside adjacent arrays")
        if not all(isinstance(k, np.ndarray) or isinstance(k, (int, np.integer))
                   for _, k in arrays):
            raise UnsupportedOperation(f"{what}: index arrays that are not constants")
        dims = _static(tuple(x.shape[a] for a in axes), kind)
        idx = []
        for (a, k), n in zip(arrays, dims):
            k = np.asarray(k, dtype=np.int64)
            if np.any((k < -n) | (k >= n)):
                raise IndexError(f"index out of bounds for axis {a} with size {n}")
            idx.append(np.where(k < 0, k + n, k))
        try:
            idx = np.broadcast_arrays(*idx)
        except ValueError:
            raise IndexError("shape mismatch: indexing arrays could not be broadcast "
                             "together") from None
        flat = np.ravel_multi_index(tuple(idx), dims).astype(np.int64)
        a0, a1 = axes[0], axes[-1] + 1
        size = int(np.prod(dims))
        merged = x.shape[:a0] + (size,) + x.shape[a1:]
        part = x.shape[:a0] + flat.shape + x.shape[a1:]
        if y.dtype != x.dtype:
            y = apply("cast", y, dtype=x.dtype)
        y = self._to_part(y, part)
        if set_ and len(np.unique(flat)) != flat.size:  # last write wins: keep the last
            keep = np.zeros(flat.shape, dtype=bool)
            last = {int(f): i for i, f in enumerate(flat.ravel())}
            keep.ravel()[list(last.values())] = True
            mask_y = constant_node(np.reshape(keep, (1,) * a0 + flat.shape
                                              + (1,) * (len(x.shape) - a1)), "bool")
            y = apply("where", mask_y, y, constant_node(0.0, x.dtype))
        sc = apply("scatter_add", y, constant_node(flat, "int64"), axis=(a0,), shape=merged)
        sc = sc if merged == x.shape else apply("reshape", sc, shape=x.shape)
        if not set_:
            return sc if _zeros(x) else apply("add", x, sc)
        if _zeros(x):
            return sc
        hit = np.zeros(size, dtype=bool)
        hit[flat.ravel()] = True
        mask = hit.reshape((1,) * a0 + dims + (1,) * (len(x.shape) - a1))
        return apply("where", constant_node(mask, "bool"), sc, x)

    def _alloc_empty(self, apply_node: Any, v: Any, fdtype: str) -> Node:
        shape = tuple(self._dim(d) for d in apply_node.inputs)  # type: ignore[attr-defined]
        return apply("broadcast_to", constant_node(0.0, str(v.type.dtype)
                                                   if str(v.type.dtype) in ("float32",
                                                                            "float64")
                                                   else fdtype), shape=shape)

    def _specify_shape(self, apply_node: Any, v: Any, fdtype: str) -> Node:
        """``SpecifyShape``: the value; a symbolic dim it fixes becomes that size."""
        x = self.node_of(apply_node.inputs[0], fdtype)  # type: ignore[attr-defined]
        for d, var in zip(x.shape, apply_node.inputs[1:]):
            if id(var) not in self.consts or type(var.type).__name__ == "NoneTypeT":
                continue
            size = int(self.consts[id(var)])
            if isinstance(d, str):
                self.aliases[d] = size  # type: ignore[attr-defined]
                raise SameDims
            if d != size:
                raise ValueError(f"SpecifyShape: shape {x.shape} is not the specified one")
        return x

    def _solve_constant(self, apply_node: Any, v: Any, fdtype: str) -> Node:
        """``solve(A, b)`` with a constant ``A`` (core ``b_ndim`` 1: ``b``'s last axis is
        the vector, leading axes a batch; 2: ``b`` is the matrix): ``A^-1 b`` as a
        ``matmul`` by the constant inverse."""
        import scipy.linalg

        op = apply_node.op
        core = getattr(op, "core_op", op)
        name = core_kind(op)
        a_var, b_var = apply_node.inputs
        if id(a_var) not in self.consts:  # type: ignore[attr-defined]
            raise UnsupportedOperation(f"{name} (with a matrix that is not a constant)")
        a = np.asarray(self.consts[id(a_var)], dtype=np.float64)  # type: ignore[attr-defined]
        while a.ndim > 2 and a.shape[0] == 1:
            a = a[0]
        if a.ndim != 2 or a.shape[0] != a.shape[1]:
            raise UnsupportedOperation(f"{name} (with a batch of matrices, shape {a.shape})")
        eye = np.eye(a.shape[0])
        if name == "SolveTriangular":
            inv = scipy.linalg.solve_triangular(a, eye, lower=core.lower,
                                                unit_diagonal=core.unit_diagonal)
        else:
            inv = scipy.linalg.solve(a, eye, assume_a=getattr(core, "assume_a", "gen"),
                                     lower=getattr(core, "lower", False))
        b = self.node_of(b_var, fdtype)  # type: ignore[attr-defined]
        if core.b_ndim == 1:  # rows of b are the vectors: b @ inv.T
            out = apply("matmul", b, constant_node(np.ascontiguousarray(inv.T).astype(fdtype),
                                                   fdtype))
        else:
            out = apply("matmul", constant_node(inv.astype(fdtype), fdtype), b)
        if out.ndim != v.type.ndim:
            raise UnsupportedOperation(f"{name} (result rank {out.ndim}, not {v.type.ndim})")
        return out

    def _cumop(self, apply_node: Any, v: Any, fdtype: str) -> Node:
        op = apply_node.op
        x = self.node_of(apply_node.inputs[0], fdtype)  # type: ignore[attr-defined]
        if op.axis is None:
            x = apply("reshape", x, shape=(int(np.prod(_static(x.shape, "CumOp"))),)) \
                if x.ndim != 1 else x
            axis = 0
        else:
            axis = op.axis % max(x.ndim, 1)
        name = {"add": "cumsum", "mul": "cumprod"}.get(op.mode)
        if name is None:
            raise UnsupportedOperation(f"CumOp (mode {op.mode})")
        return apply(name, x, axis=(axis,))

    def _arange(self, apply_node: Any, v: Any, fdtype: str) -> Node:
        bounds = [self._dim(i) for i in apply_node.inputs]  # type: ignore[attr-defined]
        if not all(isinstance(b, (int, np.integer)) for b in bounds):
            raise UnsupportedOperation("ARange (of a symbolic length)")
        self.consts[id(v)] = np.arange(*bounds, dtype=str(v.type.dtype))
        return None  # type: ignore[return-value]


def _zeros(x: Node) -> bool:
    """``x`` is all zeros (a zero constant, possibly broadcast)."""
    while x.op == "broadcast_to":
        x = x.inputs[0]
    return x.op == "constant" and not np.any(x.value)


CLIENT_KINDS = {"IncSubtensor": "_inc_subtensor", "AllocEmpty": "_alloc_empty",
                "CumOp": "_cumop", "ARange": "_arange", "SpecifyShape": "_specify_shape"}
SOLVE_KINDS = ("SolveTriangular", "Solve")  # (clients) with a constant matrix


def core_kind(op: Any) -> str:
    """The op's class name, or its core op's under ``Blockwise``."""
    kind = type(op).__name__
    return type(op.core_op).__name__ if kind == "Blockwise" else kind


def _terms(out: Any) -> list[Any]:
    """The terms of a log density in the order PyMC adds them: the operands of the sums
    (``Add``, ``Sum``, ``MakeVector``/``Join``) at the top of ``out``."""
    terms, stack = [], [out]
    while stack:
        v = stack.pop(0)
        owner = v.owner
        kind = type(owner.op).__name__ if owner is not None else ""
        name = type(getattr(owner.op, "scalar_op", None)).__name__ if owner is not None \
            else ""
        if kind == "Elemwise" and name == "Add" or kind in ("Sum", "MakeVector") or (
                kind == "CAReduce" and name == "Add"):
            stack[:0] = list(owner.inputs)
        elif kind == "Join":
            stack[:0] = list(owner.inputs[1:])
        else:
            terms.append(v)
    return terms


def check_order(out: Any, checks: list, applies: list) -> list:
    """``checks`` (condition, message) in the order PyTensor tests them: by the first term
    of ``out`` (the log density) that needs the check (PyMC adds one term per variable,
    and PyTensor's compiled graph runs them in that order), then as found. Where several
    checks fail, the first one's message is the error, as in PyTensor."""
    if len({m for _, m in checks}) < 2 or len(applies) != len(checks):
        return checks
    try:
        from pytensor.graph.traversal import ancestors
    except ImportError:  # pragma: no cover - PyTensor before 2.32
        from pytensor.graph.basic import ancestors

    rank: dict[int, int] = {}
    for i, term in enumerate(_terms(out)):
        for v in ancestors([term]):
            if v.owner is not None and id(v.owner) not in rank:
                rank[id(v.owner)] = i
    big = len(rank) + 1
    order = sorted(range(len(checks)), key=lambda k: rank.get(id(applies[k]), big))
    return [checks[k] for k in order]
