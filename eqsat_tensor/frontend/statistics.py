"""Order statistics and NaN-ignoring reductions composed from ``sort``, gathers, reductions
and ``where``: ``np.quantile`` / ``percentile`` / ``median`` and their ``nan*`` forms
(NumPy's default ``linear`` method), ``nanvar`` / ``nanstd`` / ``nanmax`` / ``nanmin`` /
``nanprod``, ``searchsorted`` (NumPy's NaN-last order) and ``interp``.

A quantile sorts along the axis (NaN last, like NumPy) and interpolates between the two
order statistics around ``q * (n - 1)``; the NaN-ignoring forms count the non-NaN values
and gather at a traced position, so no shape depends on the data.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..ir import Node, constant_node
from . import functions as F
from . import indexing as X
from .location import unsupported
from .tensor import Tensor


def _float_operand(a: Any) -> Node:
    """``a`` as a float node: integer and bool values become float64 (NumPy's result)."""
    node = F.to_node(a)
    if node.dtype == "bool" or (isinstance(a, Tensor) and a.int_op):
        return F.cast(a, "float64").node
    return node


def _moved_to_last(node: Node, axis: Any, fname: str) -> tuple[Node, tuple[int, ...]]:
    """``node`` with the reduced axes merged into one last axis, and those axes."""
    axes = tuple(range(node.ndim)) if axis is None else F._axis(axis, node.ndim, fname)
    rest = [a for a in range(node.ndim) if a not in axes]
    moved = F.transpose(node, rest + list(axes)).node
    n = 1
    for a in axes:
        n *= F._concrete((node.shape[a],), fname)[0]
    return F.reshape(moved, tuple(node.shape[a] for a in rest) + (n,)).node, axes


def _lerp(a: Any, b: Any, t: Any) -> Tensor:
    """NumPy's ``_lerp``: ``a + (b - a) t``, computed from ``b`` when ``t >= 0.5``."""
    d = F.subtract(b, a)
    return F.where(F.greater_equal(t, 0.5), F.subtract(b, F.multiply(d, F.subtract(1.0, t))),
                   F.add(a, F.multiply(d, t)))


def _positions(n: int, q: float, count: Any | None, median: bool) -> tuple[Any, Any, Any]:
    """The two order statistics around the ``q`` quantile of ``count`` (traced, per row)
    or ``n`` (static) values, and the interpolation weight (None: their midpoint, as
    ``np.median`` takes the mean of the middle two)."""
    if count is None:
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        hi = builtins.min(lo + 1, n - 1)
        if median:
            return lo, (lo if n % 2 else hi), None
        return lo, hi, pos - lo
    pos = F.multiply(F.subtract(count, 1.0), q)  # float64 position, traced
    lo = F.maximum(F.floor(pos), 0.0)
    top = F.maximum(F.subtract(count, 1.0), 0.0)
    hi = F.minimum(F.ceil(pos) if median else F.add(lo, 1.0), top)
    return lo, hi, None if median else F.subtract(pos, lo)


def _gather_last(s: Node, i: Any) -> Tensor:
    if isinstance(i, int):
        out = X.index(s, (Ellipsis, i))
        return out if isinstance(out, Tensor) else Tensor(out)
    idx = F._as_int(F.expand_dims(i, -1), "a position")
    return F.squeeze(X.take_along_axis(s, idx, axis=-1), -1)


def _quantile_last(s: Node, q: float, count: Any | None, median: bool) -> Tensor:
    """The ``q`` quantile along the last axis of the sorted ``s`` (``count``: the traced
    number of non-NaN values per row, or None for all ``n``): NumPy's ``_lerp`` of the
    order statistics around ``q (n - 1)`` (so ``t = 0`` next to an inf gives NaN, as in
    NumPy), or for a median the mean of the middle one or two."""
    lo, hi, t = _positions(s.shape[-1], q, count, median)
    a, b = _gather_last(s, lo), _gather_last(s, hi)
    if median:
        mid = F.divide(F.add(a, b), 2.0)
        if count is None:
            out = a if lo == hi else mid
        else:
            out = F.where(F.equal(lo, hi), a, mid)
    else:
        weight = constant_node(t, s.dtype) if count is None else F.cast(t, s.dtype)
        out = _lerp(a, b, weight)
    if count is None:
        return out
    return F.where(F.equal(count, 0.0), np.nan, out)  # all NaN: NaN, like NumPy


def quantile(a: Any, q: Any, axis: Any = None, keepdims: bool = False,
             skip_nan: bool = False, fname: str = "np.quantile",
             median: bool = False) -> Tensor:
    """``np.quantile(a, q, axis, keepdims)`` with the ``linear`` method (``q`` a constant
    in [0, 1], scalar or 1-D); ``skip_nan`` gives ``np.nanquantile``."""
    if isinstance(q, Tensor):
        raise unsupported(f"{fname} with a traced q", "q must be a constant")
    qs = np.asarray(q, dtype=np.float64)
    if qs.ndim > 1:
        raise unsupported(f"{fname} with a {qs.ndim}-d q", "q must be a scalar or 1-D")
    if np.any((qs < 0) | (qs > 1)) or np.any(np.isnan(qs)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    node = _float_operand(a)
    flat, axes = _moved_to_last(node, axis, fname)
    n = flat.shape[-1]
    if n == 0:
        out = F.full_like(F.sum(flat, axis=-1), np.nan)
        outs = [out for _ in qs.reshape(-1)]
    else:
        s = F.sort(flat, axis=-1).node
        if skip_nan:
            count = F.sum(F.cast(F.logical_not(F.isnan(flat)), "float64"), axis=-1)
            outs = [_quantile_last(s, float(v), count, median) for v in qs.reshape(-1)]
        else:
            has_nan = F.isnan(X.index(s, (Ellipsis, n - 1)))  # NaN sorts last
            outs = [F.where(has_nan, np.nan, _quantile_last(s, float(v), None, median))
                    for v in qs.reshape(-1)]
    if keepdims:
        shape = tuple(1 if i in axes else d for i, d in enumerate(node.shape))
        outs = [F.reshape(o, shape) for o in outs]
    if qs.ndim == 0:
        return outs[0]
    return X.stack(outs, axis=0)


def _quantile_handler(fname: str, scale: float, skip_nan: bool, fixed_q: Any = None,
                      median: bool = False):
    def handler(a: Any, q: Any = None, axis: Any = None, out: Any = None,
                overwrite_input: bool = False, method: str = "linear",
                keepdims: bool = False, *, weights: Any = None,
                interpolation: Any = None) -> Tensor:
        if out is not None or weights is not None or interpolation is not None:
            raise unsupported(f"{fname}(out=/weights=/interpolation=)")
        if method != "linear":
            raise unsupported(f"{fname}(method={method!r})", "only method='linear' "
                                                            "(NumPy's default) is traced")
        qv = fixed_q if fixed_q is not None else q
        if isinstance(qv, Tensor):
            raise unsupported(f"{fname} with a traced q", "q must be a constant")
        qv = np.asarray(qv, dtype=np.float64) / scale
        if scale != 1.0 and (np.any(qv < 0) or np.any(qv > 1)):
            raise ValueError("Percentiles must be in the range [0, 100]")
        if fixed_q is None and type(q) not in (int, float) and isinstance(a, Tensor):
            a = F.cast(a, np.result_type(a.dtype, np.asarray(q).dtype))  # a strong q
        return quantile(a, qv, axis=axis, keepdims=bool(keepdims), skip_nan=skip_nan,
                        fname=fname, median=median)

    handler.__doc__ = (f"``{fname}`` (NumPy's ``linear`` method): sort along the axis, NaN "
                       "last, and interpolate between the two order statistics around "
                       "``q (n - 1)``" + (", counting only the non-NaN values." if skip_nan
                                          else "; NaN if the slice holds a NaN."))
    return handler


def _median_handler(fname: str, skip_nan: bool):
    inner = _quantile_handler(fname, 1.0, skip_nan, fixed_q=0.5, median=True)

    def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
               keepdims: bool = False) -> Tensor:
        return inner(a, axis=axis, out=out, keepdims=keepdims)

    median.__doc__ = (f"``{fname}``: sort along the axis (NaN last) and take the middle "
                      "value, or the mean of the middle two" + (
                          " of the non-NaN values (NaN where all are NaN)." if skip_nan
                          else "; NaN if the slice holds a NaN."))
    return median


quantile_fn = _quantile_handler("np.quantile", 1.0, False)
nanquantile = _quantile_handler("np.nanquantile", 1.0, True)
percentile = _quantile_handler("np.percentile", 100.0, False)
nanpercentile = _quantile_handler("np.nanpercentile", 100.0, True)
median = _median_handler("np.median", False)
nanmedian = _median_handler("np.nanmedian", True)


# -- NaN-ignoring reductions ---------------------------------------------------------------------


def nanvar(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0,
           keepdims: bool = False, *, where: Any = None, mean: Any = None,
           correction: Any = None) -> Tensor:
    """``np.nanvar``: the variance of the non-NaN values (``ddof`` subtracted from their
    count; NaN where the count is ``<= ddof``)."""
    if builtins.any(v is not None for v in (dtype, out, where, mean, correction)):
        raise unsupported("np.nanvar(dtype=/out=/where=/mean=/correction=)")
    node = _float_operand(a)
    ok = F.logical_not(F.isnan(node))
    count = F.sum(F.cast(ok, "float64"), axis=axis, keepdims=True)
    m = F.divide(F.nansum(node, axis=axis, keepdims=True), F.cast(count, node.dtype))
    dev = F.where(ok, F.square(F.subtract(node, m)), 0.0)
    den = F.subtract(count, float(F.static_int(ddof, "ddof")))
    den = F.where(F.greater(den, 0.0), den, np.nan)
    out_ = F.divide(F.sum(dev, axis=axis, keepdims=True), F.cast(den, node.dtype))
    if keepdims:
        return out_
    return F.squeeze(out_, axis=tuple(range(node.ndim)) if axis is None else axis)


def nanstd(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0,
           keepdims: bool = False, *, where: Any = None, mean: Any = None,
           correction: Any = None) -> Tensor:
    """``np.nanstd``: ``sqrt(nanvar)``."""
    return F.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean,
                         correction=correction))


def _nan_extreme(fn: Any, fill: float, fname: str):
    def handler(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False,
                initial: Any = None, where: Any = None) -> Tensor:
        if builtins.any(v is not None for v in (out, initial, where)):
            raise unsupported(f"{fname}(out=/initial=/where=)")
        node = _float_operand(a)
        nan = F.isnan(node)
        r = fn(F.where(nan, fill, node), axis=axis, keepdims=bool(keepdims))
        return F.where(F.all(nan, axis=axis, keepdims=bool(keepdims)), np.nan, r)

    handler.__doc__ = (f"``{fname}``: the extreme of the non-NaN values (NaN where all are "
                       "NaN, like NumPy).")
    return handler


nanmax = _nan_extreme(F.max, -np.inf, "np.nanmax")
nanmin = _nan_extreme(F.min, np.inf, "np.nanmin")


def nanprod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
            keepdims: bool = False, initial: Any = None, where: Any = None) -> Tensor:
    """``np.nanprod``: the product treating NaN as one."""
    if builtins.any(v is not None for v in (dtype, out, initial, where)):
        raise unsupported("np.nanprod(dtype=/out=/initial=/where=)")
    node = _float_operand(a)
    return F.prod(F.where(F.isnan(node), 1.0, node), axis=axis, keepdims=bool(keepdims))


# -- lookup --------------------------------------------------------------------------------------


def _before(a: Any, v: Any, side: str) -> Tensor:
    """``a`` sorts before ``v`` in NumPy's order (NaN last): ``a < v`` for ``side='left'``,
    ``a <= v`` for ``'right'``."""
    if side == "left":
        return F.logical_or(F.less(a, v), F.logical_and(F.isnan(v),
                                                        F.logical_not(F.isnan(a))))
    return F.logical_or(F.less_equal(a, v), F.isnan(v))


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Tensor:
    """``np.searchsorted(a, v, side)`` of a sorted 1-D ``a`` (constant or traced): the
    number of elements of ``a`` that sort before each ``v`` (int64), NaN last."""
    if sorter is not None:
        raise unsupported("np.searchsorted(sorter=...)")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right' (got {side!r})")
    an = F.to_node(a, F.to_node(v) if isinstance(v, Tensor) else None)
    if an.ndim != 1:
        raise ValueError("object too deep for desired array")
    vn = F.to_node(v, an)
    if an.shape[0] == 0:
        return F._as_int(F.multiply(F.cast(F.isnan(vn), "float64"), 0.0),
                         "np.searchsorted")
    av = F.reshape(an, (1,) * vn.ndim + an.shape)
    hits = F.cast(_before(av, F.expand_dims(vn, -1), side), "float64")
    return F._as_int(F.sum(hits, axis=-1), "np.searchsorted")


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None,
           period: Any = None) -> Tensor:
    """``np.interp``: piecewise-linear interpolation of the points ``(xp, fp)`` (1-D,
    ``xp`` increasing, constant or traced) at ``x``; ``left``/``right`` beyond the ends."""
    if period is not None:
        raise unsupported("np.interp(period=...)")
    xn = F.to_node(x)
    if xn.dtype != "float64":
        xn = F.cast(xn, "float64").node
    xpn = F.cast(F.to_node(xp), "float64").node
    fpn = F.cast(F.to_node(fp), "float64").node
    if xpn.ndim != 1 or fpn.ndim != 1 or xpn.shape != fpn.shape:
        raise ValueError("fp and xp are not of the same length.")
    (m,) = F._concrete(xpn.shape, "np.interp")
    if m == 0:
        raise ValueError("array of sample points is empty")
    lo_val = X.index(fpn, 0) if left is None else left
    hi_val = X.index(fpn, m - 1) if right is None else right
    if m == 1:
        mid = F.add(F.multiply(xn, 0.0), X.index(fpn, 0))
    else:
        j = F.subtract(searchsorted(xpn, xn, side="right"), 1.0)
        j = F.minimum(F.maximum(j, 0.0), float(m - 2))
        j0 = F._as_int(j, "an interval index")
        j1 = F._as_int(F.add(j, 1.0), "an interval index")
        x0, x1 = X.take(xpn, j0), X.take(xpn, j1)
        f0, f1 = X.take(fpn, j0), X.take(fpn, j1)
        slope = F.divide(F.subtract(f1, f0), F.subtract(x1, x0))
        mid = F.add(F.multiply(slope, F.subtract(xn, x0)), f0)
        mid = F.where(F.equal(xn, x1), f1, mid)  # exactly on a sample point
    out = F.where(F.less(xn, X.index(xpn, 0)), lo_val, mid)
    return F.where(F.greater(xn, X.index(xpn, m - 1)), hi_val, out)
