"""Arrays built from other arrays by layout ops, joins and broadcasting: ``np.pad``
(``constant`` and ``edge`` modes), ``np.tile``, ``np.repeat``, ``np.meshgrid``,
``np.kron`` and ``np.cross``. Every size is static (from the shapes and constant
arguments); a repeat count or pad width given as a traced value is refused.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..ir import Node
from . import functions as F
from . import indexing as X
from .location import unsupported
from .tensor import Tensor


def _keep_int(x: Any, out: Tensor) -> Tensor:
    """An integer-valued operand gives an integer-valued result."""
    if isinstance(x, Tensor) and x.int_op:
        return Tensor(out.node, int_op=x.int_op, idt=x.idt)
    return out


def _static(value: Any, what: str) -> np.ndarray:
    if isinstance(value, Tensor) or (isinstance(value, (list, tuple))
                                     and F._holds_tensor(value)):
        raise unsupported(f"{what} given as a traced value", "it must be a constant")
    return np.asarray(value)


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Tensor:
    """``np.pad`` in ``constant`` (``constant_values``) or ``edge`` mode."""
    if mode not in ("constant", "edge"):
        raise unsupported(f"np.pad(mode={mode!r})", "only 'constant' and 'edge' are traced")
    extra = set(kwargs) - ({"constant_values"} if mode == "constant" else set())
    if extra:
        raise unsupported(f"np.pad({', '.join(sorted(extra))}=...)")
    node = F.to_node(array)
    widths = np.broadcast_to(_static(pad_width, "np.pad width").astype(np.int64),
                             (node.ndim, 2))
    if np.any(widths < 0):
        raise ValueError("index can't contain negative values")
    values = np.broadcast_to(_static(kwargs.get("constant_values", 0), "constant_values"),
                             (node.ndim, 2))
    out: Any = node
    for ax in range(node.ndim):
        (n,) = F._concrete((out.shape[ax],), "np.pad")
        parts = []
        for side, w in enumerate(widths[ax]):
            if not w:
                parts.append(None)
                continue
            shape = out.shape[:ax] + (int(w),) + out.shape[ax + 1:]
            if mode == "constant":
                fill = F.full_like(F.to_node(0.0, out), values[ax][side]).node
                block = F.broadcast_to(F.reshape(fill, ()), shape)
            else:
                if n == 0:
                    raise ValueError("can't extend empty axis using modes other than "
                                     "'constant' or 'empty'")
                key = (slice(None),) * ax + (slice(0, 1) if side == 0 else slice(n - 1, n),)
                block = F.broadcast_to(X.index(out, key), shape)
            parts.append(block)
        seq = [p for p in (parts[0], out, parts[1]) if p is not None]
        out = X.concatenate(seq, axis=ax).node if len(seq) > 1 else out
    return _keep_int(array, Tensor(out) if isinstance(out, Node) else out)


def tile(A: Any, reps: Any) -> Tensor:
    """``np.tile``: ``A`` repeated ``reps`` times along each axis (by broadcasting)."""
    node = F.to_node(A)
    r = tuple(int(v) for v in np.atleast_1d(_static(reps, "np.tile reps")))
    d = builtins.max(node.ndim, len(r))
    r = (1,) * (d - len(r)) + r
    shape = (1,) * (d - node.ndim) + tuple(node.shape)
    F._concrete(shape, "np.tile")
    inter = tuple(v for s in shape for v in (1, s))
    big = tuple(v for k, s in zip(r, shape) for v in (k, s))
    out = F.broadcast_to(F.reshape(node, inter), big)
    return _keep_int(A, F.reshape(out, tuple(k * s for k, s in zip(r, shape))))


def repeat(a: Any, repeats: Any, axis: Any = None) -> Tensor:
    """``np.repeat`` with constant ``repeats`` (one count, or one per element)."""
    node = F.to_node(a)
    if axis is None:
        node = F.ravel(node).node
        axis = 0
    (ax,) = F._axis(F.static_int(axis, "np.repeat axis"), node.ndim, "np.repeat")
    counts = _static(repeats, "np.repeat repeats").astype(np.int64)
    (n,) = F._concrete((node.shape[ax],), "np.repeat")
    if counts.ndim == 0 or counts.size == 1:
        k = int(counts.reshape(-1)[0])
        if k < 0:
            raise ValueError("negative dimensions are not allowed")
        shape = tuple(node.shape)
        out = F.broadcast_to(F.expand_dims(node, ax + 1),
                             shape[:ax + 1] + (k,) + shape[ax + 1:])
        return _keep_int(a, F.reshape(out, shape[:ax] + (n * k,) + shape[ax + 1:]))
    idx = np.repeat(np.arange(n), counts)  # raises like NumPy on a length mismatch
    return _keep_int(a, X.take(node, idx.astype(np.int64), ax))


def meshgrid(*xi: Any, copy: bool = True, sparse: bool = False,
             indexing: str = "xy") -> tuple[Tensor, ...]:
    """``np.meshgrid`` of 1-D arrays (``indexing='xy'`` or ``'ij'``, ``sparse``)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    nodes = [F.ravel(F.to_node(x)).node for x in xi]
    ndim = len(nodes)
    shape = [n.shape[0] for n in nodes]
    if indexing == "xy" and ndim > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, (x, n) in enumerate(zip(xi, nodes)):
        pos = i
        if indexing == "xy" and ndim > 1 and i < 2:
            pos = 1 - i
        view = F.reshape(n, tuple(-1 if k == pos else 1 for k in range(ndim)))
        out.append(_keep_int(x, view if sparse else F.broadcast_to(view, tuple(shape))))
    return tuple(out)


def kron(a: Any, b: Any) -> Tensor:
    """``np.kron``: every element of ``a`` times the whole of ``b``, blocks laid out in
    ``a``'s order (one broadcast product and a reshape)."""
    an, bn = F._operands(a, b)
    d = builtins.max(an.ndim, bn.ndim)
    sa = (1,) * (d - an.ndim) + tuple(an.shape)
    sb = (1,) * (d - bn.ndim) + tuple(bn.shape)
    F._concrete(sa + sb, "np.kron")
    ia = F.reshape(a if isinstance(a, Tensor) else an, tuple(v for s in sa for v in (s, 1)))
    ib = F.reshape(b if isinstance(b, Tensor) else bn, tuple(v for s in sb for v in (1, s)))
    return F.reshape(F.multiply(ia, ib), tuple(x * y for x, y in zip(sa, sb)))


def cross(a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: Any = None) -> Tensor:
    """``np.cross`` of 3-vectors (or 2-vectors: the z component) along ``axis``."""
    an, bn = (F.to_node(v) for v in (a, b))
    if axis is not None:
        axisa = axisb = axisc = axis
    an = F.moveaxis(an, axisa, -1).node
    bn = F.moveaxis(bn, axisb, -1).node
    na, nb = an.shape[-1], bn.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 "
                         "or 3)")

    def comp(v: Node, i: int, n: int) -> Any:
        return X.index(v, (Ellipsis, i)) if i < n else 0.0

    def term(i: int, j: int) -> Tensor:
        return F.subtract(F.multiply(comp(an, i, na), comp(bn, j, nb)),
                          F.multiply(comp(an, j, na), comp(bn, i, nb)))

    if na == 2 and nb == 2:
        return term(0, 1)
    out = X.stack([term(1, 2), term(2, 0), term(0, 1)], axis=-1)
    return F.moveaxis(out, -1, axisc) if axisc not in (-1, out.node.ndim - 1) else out
