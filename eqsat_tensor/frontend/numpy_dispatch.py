"""The NumPy / SciPy tracer's tables: which ufuncs and functions become which graph ops.

``Tensor.__array_ufunc__`` and ``Tensor.__array_function__`` land here; functions are found
by identity (``np.fmax`` is not ``np.maximum``, ``scipy.special.erf`` is not a NumPy
function). SciPy functions written in Python (``scipy.special.logsumexp``) never see a
Tensor: the tracing entry rebinds them by identity to the handlers in ``SCIPY_FUNCTIONS``
(see ``frontend.rebind``). Anything not in these tables raises ``UnsupportedOperation``
naming the function as the user wrote it and the user's line, never a silent fallback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir import OPS, ops_named_in
from . import construct as C
from . import extras as E
from . import extras_linalg as EL
from . import extras_special as ES
from . import functions as F
from . import indexing as X
from . import linalg as L
from . import ownership as O
from . import special as S
from . import statistics as Q
from .functions import unsupported
from .location import public_name
from .operands import host_value
from .tensor import Tensor


def _doc(fn: Callable, handler: Callable) -> Callable:
    """``handler`` documented as the builder function ``fn`` it calls (for the docs)."""
    handler.__doc__ = fn.__doc__
    return handler


def _identity(a: Any, *args: Any, **kwargs: Any) -> Any:
    """The array itself (real arrays: ``conj``, ``copy``, ``real``)."""
    return a


# NumPy ufuncs that are not one op of the ops table under their own name (those come from
# the table below): aliases, and compositions chosen to match NumPy.
UFUNCS: dict[Any, Callable] = {
    np.positive: _identity, np.fabs: F.abs,
    np.fmax: S.fmax, np.fmin: S.fmin,
    np.isnan: F.isnan, np.isinf: F.isinf, np.isfinite: F.isfinite,
    np.heaviside: S.heaviside, np.deg2rad: S.deg2rad,
    np.rad2deg: S.rad2deg, np.radians: S.deg2rad, np.degrees: S.rad2deg,
    np.logical_and: F.logical_and, np.logical_or: F.logical_or,
    np.logical_xor: F.logical_xor, np.logical_not: F.logical_not,
    np.bitwise_and: F.bitwise_and, np.bitwise_or: F.bitwise_or,
    np.bitwise_xor: F.bitwise_xor, np.invert: F.invert,
    np.conjugate: _identity,  # real arrays only
    np.logaddexp2: S.logaddexp2,
    # np.sign, np.arcsinh, np.arccosh, np.arctanh: ops of the table (registered below)
}


def _table_builder(op: str) -> Callable | None:
    """The builder function of an op of the ops table (``functions.<op>``, which every
    elementwise op and ``matmul`` have), or None."""
    spec = OPS[op]
    if spec.kind not in ("elementwise", "matmul") or spec.arity not in (1, 2) or spec.attrs:
        return None
    return getattr(F, op, None) or (F._unary if spec.arity == 1 else F._binary)(op)


# Every op's NumPy ufunc, by its NumPy name in the ops table.
UFUNCS.update({u: b for n, op in ops_named_in("numpy").items()
               if isinstance(u := getattr(np, n, None), np.ufunc) and u not in UFUNCS
               and (b := _table_builder(op)) is not None})

# ufunc.reduce: np.add.reduce(x, axis=0) and friends.
UFUNC_REDUCE: dict[Any, Callable] = {np.add: F.sum, np.multiply: F.prod, np.maximum: F.max,
                                     np.minimum: F.min, np.logaddexp: F.logsumexp,
                                     np.fmax: Q.nanmax, np.fmin: Q.nanmin}


def _entr(x: Any) -> Any:
    """``scipy.special.entr``: ``-x log x`` for ``x > 0``, 0 at 0, ``-inf`` below."""
    node = F.to_node(x)
    return F.where(F.greater(node, 0.0), F.negative(F.multiply(node, F.log(node))),
                   F.where(F.equal(node, 0.0), 0.0,
                           F.where(F.isnan(node), node, -np.inf)))


def _log_expit(x: Any) -> Any:
    """``scipy.special.log_expit``: ``-softplus(-x)``."""
    return F.negative(F.softplus(F.negative(x)))


# scipy.special ufuncs by name (resolved to the ufunc objects when SciPy is imported).
SCIPY_UFUNCS: dict[str, Callable] = {
    "expit": S.expit, "logit": S.logit, "xlogy": S.xlogy, "xlog1py": S.xlog1py,
    "log_expit": _log_expit,
    "exp10": _doc(F.power, lambda x: F.power(10.0, x)), "entr": _entr,
    "rel_entr": S.rel_entr, "kl_div": S.kl_div,
}
# ... and every elementwise op with a SciPy name in the ops table (``scipy.special.erf``).
SCIPY_UFUNCS.update({n: b for n, op in ops_named_in("scipy").items()
                     if n not in SCIPY_UFUNCS and (b := _table_builder(op)) is not None})


def _scipy_ufunc(ufunc: np.ufunc) -> Callable | None:
    special = sys.modules.get("scipy.special")
    name = ufunc.__name__
    if special is not None and getattr(special, name, None) is ufunc:
        return SCIPY_UFUNCS.get(name)
    return None


_UFUNC_KWARGS = ("out", "dtype", "axis", "keepdims")


def dispatch_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Trace ``ufunc(*inputs, **kwargs)`` (``method`` is ``__call__``, ``reduce`` or
    ``outer``)."""
    name = public_name(ufunc)
    if kwargs.get("out") is not None:
        raise unsupported(f"{name}(..., out=...)", "in-place output cannot be traced")
    extra = sorted(k for k, v in kwargs.items() if k not in _UFUNC_KWARGS and v is not None
                   and not (k == "where" and v is True))
    if extra:
        raise unsupported(f"{name}(..., {'=..., '.join(extra)}=...)")
    handler = UFUNCS.get(ufunc) or _scipy_ufunc(ufunc)
    if method == "__call__" and handler is not None and ufunc.signature and (
            kwargs.get("axis") is not None):  # np.vecdot(x, y, axis=0)
        out = handler(*inputs, axis=kwargs["axis"])
    elif method == "__call__" and handler is not None:
        out = handler(*inputs)
    elif method == "reduce" and ufunc in UFUNC_REDUCE:
        out = UFUNC_REDUCE[ufunc](inputs[0], axis=kwargs.get("axis", 0),
                                  keepdims=kwargs.get("keepdims", False))
    elif method == "accumulate" and ufunc in ACCUMULATE:
        return E.accumulate(ufunc, inputs[0], axis=kwargs.get("axis", 0) or 0,
                            dtype=kwargs.get("dtype"))
    elif method == "outer" and handler is not None and ufunc.nin == 2:
        a, b = F._operands(*inputs)
        out = handler(F.reshape(a, a.shape + (1,) * b.ndim), b)
    else:
        raise unsupported(name if method == "__call__" else f"{name}.{method}")
    if kwargs.get("dtype") is not None:
        out = F.cast(out, kwargs["dtype"])
    return O.mark_owned(out, inputs)  # a ufunc's result is a new array


def _no(kwargs: dict, fname: str, *allowed: str) -> None:
    bad = [k for k, v in kwargs.items() if k not in allowed and v is not None
           and v is not np._NoValue and not (k == "keepdims" and v is False)
           and not (k == "where" and v is True)]
    if bad:
        raise unsupported(f"np.{fname}(..., {'=..., '.join(bad)}=...)")


def _keepdims(value: Any) -> bool:
    return False if value is np._NoValue else bool(value)


_INITIAL = {"sum": F.add, "prod": F.multiply, "max": F.maximum, "min": F.minimum,
            "amax": F.maximum, "amin": F.minimum}


# the value a masked-out element takes in ``np.<reduction>(a, where=m)``
_WHERE_FILL = {"sum": -0.0, "nansum": -0.0, "prod": 1.0, "max": -np.inf, "amax": -np.inf,
               "min": np.inf, "amin": np.inf}


def _masked_reduction(fn: Callable, fname: str, a: Any, where: Any, axis: Any,
                      keepdims: bool, initial: Any) -> Any:
    """``np.<fname>(a, where=m)``: the elements where ``m`` is false take the reduction's
    identity (a mean divides by the count of true elements)."""
    if fname in ("max", "min", "amax", "amin") and initial is np._NoValue:
        raise ValueError(f"reduction operation {fname} does not have an identity, so to use "
                         "a where mask one has to specify 'initial'")
    node = F.to_node(a)
    if fname == "mean":
        total = F.sum(F.where(where, node, -0.0), axis=axis, keepdims=keepdims)
        count = F.sum(F.where(where, F.ones_like(node), 0.0), axis=axis, keepdims=keepdims)
        return F.divide(total, count)
    if fname not in _WHERE_FILL:
        raise unsupported(f"np.{fname}(..., where=...)")
    return fn(F.where(where, node, _WHERE_FILL[fname]), axis=axis, keepdims=keepdims)


def _reduction(fn: Callable, fname: str) -> Callable:
    def handler(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
                keepdims: Any = False, initial: Any = np._NoValue, where: Any = True,
                **kw: Any) -> Any:
        _no({"out": out, **kw}, fname)
        if where is True or where is np._NoValue:
            res = fn(a, axis=axis, keepdims=_keepdims(keepdims))
        else:
            res = _masked_reduction(fn, fname, a, where, axis, _keepdims(keepdims), initial)
        if initial is not np._NoValue and initial is not None:
            if fname not in _INITIAL:
                raise unsupported(f"np.{fname}(..., initial=...)")
            res = _INITIAL[fname](res, initial)
        return F.cast(res, dtype) if dtype is not None else res

    return _doc(fn, handler)


def _var(fn: Callable, fname: str) -> Callable:
    def handler(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: Any = 0,
                keepdims: Any = False, **kw: Any) -> Any:
        _no({"out": out, **kw}, fname, "mean", "correction")
        if kw.get("correction") not in (None, np._NoValue):
            ddof = kw["correction"]
        if kw.get("mean") not in (None, np._NoValue):
            raise unsupported(f"np.{fname}(..., mean=...)")
        res = fn(a, axis=axis, keepdims=_keepdims(keepdims), ddof=ddof)
        return F.cast(res, dtype) if dtype is not None else res

    return _doc(fn, handler)


def _bool_reduction(fn: Callable, fname: str) -> Callable:
    def handler(a: Any, axis: Any = None, out: Any = None, keepdims: Any = False,
                **kw: Any) -> Any:
        _no({"out": out, **kw}, fname)
        return fn(a, axis=axis, keepdims=_keepdims(keepdims))

    return _doc(fn, handler)


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise unsupported("np.where(cond) with one argument (indices)",
                          "its result has a data-dependent shape; use np.where(cond, a, b)")
    return F.where(condition, x, y)


def _clip(a: Any, a_min: Any = np._NoValue, a_max: Any = np._NoValue, out: Any = None,
          *, min: Any = np._NoValue, max: Any = np._NoValue, **kw: Any) -> Any:
    _no({"out": out, **kw}, "clip")
    lo = a_min if a_min is not np._NoValue else min
    hi = a_max if a_max is not np._NoValue else max
    lo = None if lo is np._NoValue else lo
    hi = None if hi is np._NoValue else hi
    return F.clip(a, lo, hi)


def _ravel(a: Any, order: str = "C") -> Any:
    if order != "C":
        raise unsupported(f"np.ravel(order={order!r})", "only order='C' is traced")
    return F.ravel(a)


def _reshape(a: Any, shape: Any = None, order: str = "C", **kw: Any) -> Any:
    if order != "C":
        raise unsupported(f"np.reshape(order={order!r})", "only order='C' is traced")
    return F.reshape(a, shape if shape is not None else kw["newshape"])


def _size(a: Any, axis: Any = None) -> Any:
    """The number of elements (a Python int, from the static shape)."""
    shape = F.to_node(a).shape
    if axis is not None:
        return shape[axis]
    n = 1
    for d in shape:
        if not isinstance(d, int):
            raise unsupported(f"np.size of a shape with the symbolic dim {d!r}")
        n *= d
    return n


def _result_type(*args: Any) -> np.dtype:
    """NumPy's result dtype, from the traced values' dtypes."""
    return np.result_type(*[np.empty((), a.dtype) if isinstance(a, Tensor) else a
                            for a in args])


def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    return L.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _einsum(*operands: Any, out: Any = None, optimize: Any = False, **kw: Any) -> Any:
    _no({"out": out, **kw}, "einsum")
    if not operands:
        raise TypeError("np.einsum needs subscripts")
    return L.einsum(operands[0], *operands[1:])


def _cumulative(fn: Callable, fname: str, a: Any, axis: Any, dtype: Any, out: Any) -> Any:
    _no({"out": out}, fname)
    return fn(a if dtype is None else F.cast(a, dtype), axis)


def _like(fn: Callable, fname: str) -> Callable:
    def handler(a: Any, *args: Any, dtype: Any = None, order: Any = "K", subok: Any = True,
                shape: Any = None, **kw: Any) -> Any:
        _no({"shape": shape, **kw}, fname)
        return fn(a, *args, dtype=dtype)

    return _doc(fn, handler)


FUNCTIONS: dict[Any, Callable] = {
    np.sum: _reduction(F.sum, "sum"), np.mean: _reduction(F.mean, "mean"),
    np.max: _reduction(F.max, "max"), np.min: _reduction(F.min, "min"),
    np.amax: _reduction(F.max, "amax"), np.amin: _reduction(F.min, "amin"),
    np.prod: _reduction(F.prod, "prod"), np.ptp: _bool_reduction(F.ptp, "ptp"),
    np.nansum: _reduction(F.nansum, "nansum"), np.nanmean: _reduction(F.nanmean, "nanmean"),
    np.var: _var(F.var, "var"), np.std: _var(F.std, "std"),
    np.any: _bool_reduction(F.any, "any"), np.all: _bool_reduction(F.all, "all"),
    np.count_nonzero: _doc(F.count_nonzero, lambda a, axis=None, *, keepdims=False:
                           F.count_nonzero(a, axis=axis, keepdims=keepdims)),
    np.average: _doc(F.average, lambda a, axis=None, weights=None, returned=False, *,
                     keepdims=False: (
        F.average(a, axis=axis, weights=weights, keepdims=_keepdims(keepdims))
        if not returned else _no({"returned": True}, "average"))),
    np.dot: _doc(L.dot, lambda a, b, out=None: L.dot(a, b) if out is None
                 else _no({"out": out}, "dot")),
    np.vdot: L.vdot, np.inner: L.inner,
    np.outer: _doc(L.outer, lambda a, b, out=None: L.outer(a, b) if out is None
                   else _no({"out": out}, "outer")),
    np.tensordot: L.tensordot, np.einsum: _doc(L.einsum, _einsum),
    np.trace: _doc(L.trace, lambda a, offset=0, axis1=0, axis2=1, dtype=None, out=None:
                   L.trace(a, offset, axis1, axis2)),
    np.diag: L.diag, np.linalg.norm: _doc(L.norm, _norm),
    np.transpose: _doc(F.transpose, lambda a, axes=None: F.transpose(a, axes)),
    np.matrix_transpose: F.matrix_transpose, np.linalg.matrix_transpose: F.matrix_transpose,
    np.reshape: _doc(F.reshape, _reshape), np.ravel: _doc(F.ravel, _ravel),
    np.broadcast_to: _doc(F.broadcast_to, lambda array, shape, subok=False:
                          F.broadcast_to(array, shape)),
    np.expand_dims: F.expand_dims, np.squeeze: F.squeeze,
    np.swapaxes: F.swapaxes, np.moveaxis: F.moveaxis,
    np.atleast_1d: _doc(F.atleast_1d, lambda *arys: F.atleast_1d(arys[0]) if len(arys) == 1
                        else tuple(F.atleast_1d(a) for a in arys)),
    np.atleast_2d: _doc(F.atleast_2d, lambda *arys: F.atleast_2d(arys[0]) if len(arys) == 1
                        else tuple(F.atleast_2d(a) for a in arys)),
    np.where: _doc(F.where, _where), np.clip: _doc(F.clip, _clip), np.copy: _identity,
    np.zeros_like: _like(F.zeros_like, "zeros_like"),
    np.ones_like: _like(F.ones_like, "ones_like"),
    np.full_like: _like(F.full_like, "full_like"),
    np.ndim: lambda a: F.to_node(a).ndim, np.shape: lambda a: F.to_node(a).shape,
    np.size: _size, np.result_type: _result_type,
    np.round: _doc(S.round_, lambda a, decimals=0, out=None: S.round_(a, decimals)
                   if out is None else _no({"out": out}, "round")),
    np.around: _doc(S.round_, lambda a, decimals=0, out=None: S.round_(a, decimals)
                    if out is None else _no({"out": out}, "around")),
    np.cumsum: _doc(F.cumsum, lambda a, axis=None, dtype=None, out=None: _cumulative(
        F.cumsum, "cumsum", a, axis, dtype, out)),
    np.cumprod: _doc(F.cumprod, lambda a, axis=None, dtype=None, out=None: _cumulative(
        F.cumprod, "cumprod", a, axis, dtype, out)),
    np.sort: _doc(F.sort, lambda a, axis=-1, kind=None, order=None, *, stable=None: (
        F.sort(a, axis) if order is None else _no({"order": order}, "sort"))),
    np.argmax: _doc(F.argmax, lambda a, axis=None, out=None, *, keepdims=np._NoValue: (
        F.argmax(a, axis, _keepdims(keepdims)) if out is None else _no({"out": out}, "argmax"))),
    np.argmin: _doc(F.argmin, lambda a, axis=None, out=None, *, keepdims=np._NoValue: (
        F.argmin(a, axis, _keepdims(keepdims)) if out is None else _no({"out": out}, "argmin"))),
    np.isrealobj: lambda x: True, np.iscomplexobj: lambda x: False,
    np.polyval: L.polyval, np.triu: L.triu, np.tril: L.tril, np.isclose: S.isclose,
    np.allclose: S.allclose, np.diagonal: L.diagonal,
    np.cov: _doc(L.cov, lambda m, y=None, rowvar=True, bias=False, ddof=None, fweights=None,
                 aweights=None, *, dtype=None: (
        L.cov(m, rowvar, bias, ddof) if y is None else L.cov(L.with_y(m, y, rowvar), True,
                                                                bias, ddof)) if (
        fweights is None and aweights is None and dtype is None)
        else _no({"fweights": fweights, "aweights": aweights, "dtype": dtype}, "cov")),
    np.corrcoef: _doc(L.corrcoef, lambda x, y=None, rowvar=True, *, dtype=None: (
        L.corrcoef(x, rowvar) if y is None else L.corrcoef(L.with_y(x, y, rowvar), True))
        if dtype is None else _no({"dtype": dtype}, "corrcoef")),
}

# -- indexing and joins (index) --
FUNCTIONS.update({
    np.take: _doc(X.take, lambda a, indices, axis=None, out=None, mode="raise":
                  X.take(a, indices, axis) if out is None and mode == "raise"
                  else _no({"out": out, "mode": None if mode == "raise" else mode}, "take")),
    np.take_along_axis: _doc(X.take_along_axis, lambda arr, indices, axis=-1:
                             X.take_along_axis(arr, indices, axis)),
    np.concatenate: _doc(X.concatenate, lambda arrays, axis=0, out=None, *, dtype=None,
                         casting="same_kind": (
        X.concatenate(arrays, axis) if out is None and dtype is None
        else _no({"out": out, "dtype": dtype}, "concatenate"))),
    np.stack: _doc(X.stack, lambda arrays, axis=0, out=None, *, dtype=None,
                   casting="same_kind": (
        X.stack(arrays, axis) if out is None and dtype is None
        else _no({"out": out, "dtype": dtype}, "stack"))),
    np.hstack: _doc(X.hstack, lambda tup, *, dtype=None, casting="same_kind": (
        X.hstack(tup) if dtype is None else _no({"dtype": dtype}, "hstack"))),
    np.vstack: _doc(X.vstack, lambda tup, *, dtype=None, casting="same_kind": (
        X.vstack(tup) if dtype is None else _no({"dtype": dtype}, "vstack"))),
    np.column_stack: X.column_stack,
    np.split: X.split, np.array_split: X.array_split, np.hsplit: X.hsplit,
    np.vsplit: X.vsplit,
    np.diff: X.diff, np.flip: X.flip, np.fliplr: X.fliplr, np.flipud: X.flipud,
    np.roll: X.roll,
})

# -- order statistics, nan-reductions, lookup and construction (breadth) --
FUNCTIONS.update({
    np.median: Q.median, np.nanmedian: Q.nanmedian, np.quantile: Q.quantile_fn,
    np.nanquantile: Q.nanquantile, np.percentile: Q.percentile,
    np.nanpercentile: Q.nanpercentile, np.nanvar: Q.nanvar, np.nanstd: Q.nanstd,
    np.nanmax: Q.nanmax, np.nanmin: Q.nanmin, np.nanprod: Q.nanprod,
    np.searchsorted: Q.searchsorted, np.interp: Q.interp,
    np.pad: C.pad, np.tile: C.tile, np.repeat: C.repeat, np.meshgrid: C.meshgrid,
    np.kron: C.kron, np.cross: C.cross, np.argsort: F.argsort,
})


# -- more functions as compositions (breadth2) --
ACCUMULATE = (np.add, np.multiply, np.maximum, np.minimum, np.fmax, np.fmin)
UFUNCS.update({np.sinc: E.sinc} if isinstance(np.sinc, np.ufunc) else {})
FUNCTIONS.update({
    np.nan_to_num: E.nan_to_num, np.digitize: E.digitize, np.sinc: E.sinc, np.fix: E.fix,
    np.convolve: E.convolve, np.correlate: E.correlate,
    np.linalg.det: EL.det, np.linalg.inv: EL.inv, np.linalg.solve: EL.solve,
    np.linalg.matrix_power: EL.matrix_power,
})
SCIPY_UFUNCS.update({"betaln": ES.betaln, "erfinv": ES.erfinv, "gamma": ES.gamma,
                     "ndtri": ES.ndtri, "huber": ES.huber, "pseudo_huber": ES.pseudo_huber,
                     "boxcox1p": ES.boxcox1p, "boxcox": ES.boxcox, "cosm1": ES.cosm1})
UFUNCS.update({np.divmod: E.divmod_, np.signbit: E.signbit, np.copysign: E.copysign,
               np.float_power: E.float_power})
FUNCTIONS.update({
    np.select: E.select, np.piecewise: E.piecewise, np.trapezoid: E.trapezoid,
    np.gradient: E.gradient, np.append: E.append, np.ediff1d: E.ediff1d,
    np.dstack: E.dstack, np.block: E.block, np.delete: E.delete, np.insert: E.insert,
    np.diagflat: E.diagflat, np.broadcast_arrays: E.broadcast_arrays,
    np.unravel_index: E.unravel_index, np.isin: E.isin, np.empty_like: E.empty_like,
    np.linalg.multi_dot: EL.multi_dot, np.linalg.slogdet: EL.slogdet,
    np.linalg.cholesky: EL.cholesky, np.linalg.vector_norm: EL.vector_norm,
})
for _n in ("vecdot", "matvec", "vecmat", "cumulative_sum"):  # gufuncs in NumPy >= 2.2
    if hasattr(np, _n):
        (UFUNCS if isinstance(getattr(np, _n), np.ufunc) else FUNCTIONS)[getattr(np, _n)] = (
            getattr(E if _n == "cumulative_sum" else EL, _n))
FUNCTIONS.update({np.nanargmax: E.nanargmax, np.nanargmin: E.nanargmin})
FUNCTIONS.update({np.trapz: E.trapezoid} if hasattr(np, "trapz") else {})

def _scipy_functions() -> dict[Any, Callable]:
    """``scipy.special`` functions written in Python, by identity (empty without SciPy)."""
    special = sys.modules.get("scipy.special")
    if special is None:
        return {}
    out: dict[Any, Callable] = {}
    for name, handler in SCIPY_FUNCTIONS.items():
        fn = getattr(special, name, None)
        if fn is not None:
            out[fn] = handler
    return out


def _logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False,
               return_sign: bool = False) -> Any:
    if return_sign:
        raise unsupported("scipy.special.logsumexp(..., return_sign=True)")
    if b is not None:
        return S.logsumexp_weighted(a, b, axis=axis, keepdims=keepdims)
    return F.logsumexp(a, axis=axis, keepdims=keepdims)


SCIPY_FUNCTIONS: dict[str, Callable] = {
    "logsumexp": _doc(F.logsumexp, _logsumexp),
    "softmax": _doc(S.softmax, lambda x, axis=None: S.softmax(x, axis=axis)),
    "log_softmax": _doc(S.log_softmax, lambda x, axis=None: S.log_softmax(x, axis=axis)),
}


def _array_like(original: Callable) -> Callable:
    def convert(a: Any, dtype: Any = None, *args: Any, **kwargs: Any) -> Any:
        a = host_value(a)  # an array made with np.zeros and assigned into
        if isinstance(a, Tensor):
            out = a if dtype is None else F.cast(a, dtype)
            # np.array copies (unless copy=False); np.asarray & co. return the array itself
            copies = original is np.array and kwargs.get("copy", True) is not False
            return O.mark_owned(out, (a,)) if copies else out
        if isinstance(a, (list, tuple)) and F._holds_tensor(a):
            out = X.stack([x if isinstance(x, Tensor) or not isinstance(x, (list, tuple))
                           else convert(x) for x in a])
            return O.mark_owned(out if dtype is None else F.cast(out, dtype), ())
        return original(a, dtype, *args, **kwargs)

    convert.__doc__ = (f"``{public_name(original)}`` of a traced value is the value itself "
                       "(cast to ``dtype``); other values go to NumPy.")
    return convert


# NumPy functions that never reach ``__array_function__`` for a traced value (they call
# ``__array__``): rebound like the SciPy functions.
NUMPY_REBOUND: dict[Any, Callable] = {
    f: _array_like(f) for f in (np.asarray, np.array, np.asanyarray, np.ascontiguousarray)}


def traced_replacement(obj: Any) -> Callable | None:
    """The traced stand-in for a library callable found by identity (for rebinding), or
    None when ``obj`` is traced through NumPy's protocols or not known."""
    try:
        return NUMPY_REBOUND.get(obj) or _scipy_functions().get(obj)
    except TypeError:  # unhashable
        return None


def dispatch_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """Trace the NumPy function ``func(*args, **kwargs)``."""
    handler = FUNCTIONS.get(func)
    if handler is None:
        raise unsupported(public_name(func))
    out = handler(*args, **kwargs)
    if func not in O.VIEW_FUNCS:  # an allocated array the traced code may assign into
        return O.mark_owned(out, (*args, *kwargs.values()))
    sources = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    if len(sources) != 1 or not args or args[0] is not sources[0]:
        return out  # a view of several arrays (np.broadcast_arrays): not derived again
    return O.mark_view(out, args[0], lambda src: handler(src, *args[1:], **kwargs))
