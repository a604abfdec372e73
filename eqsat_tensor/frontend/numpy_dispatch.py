"""The NumPy tracer's tables: which ufuncs and array functions become which graph ops.

``Tensor.__array_ufunc__`` and ``Tensor.__array_function__`` land here. Anything not in
these tables raises ``UnsupportedOperation`` naming the NumPy function, never a silent
fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import OPS, ufunc_ops, user_location
from . import functions as F

UFUNCS: dict[str, Callable] = {
    "add": F.add, "subtract": F.subtract, "multiply": F.multiply, "divide": F.divide,
    "true_divide": F.divide, "power": F.power, "float_power": F.power,
    "negative": F.negative, "positive": lambda x: x, "absolute": F.abs, "fabs": F.abs,
    "exp": F.exp, "log": F.log, "log1p": F.log1p, "expm1": F.expm1, "sqrt": F.sqrt,
    "square": F.square, "reciprocal": F.reciprocal, "sin": F.sin, "cos": F.cos, "tan": F.tan,
    "tanh": F.tanh, "sinh": F.sinh, "cosh": F.cosh, "arcsin": F.arcsin, "arccos": F.arccos,
    "arctan": F.arctan, "arctan2": F.arctan2, "cbrt": F.cbrt, "log2": F.log2, "log10": F.log10,
    "exp2": F.exp2, "maximum": F.maximum, "minimum": F.minimum, "fmax": F.maximum,
    "fmin": F.minimum, "hypot": F.hypot, "logaddexp": F.logaddexp, "less": F.less,
    "less_equal": F.less_equal, "greater": F.greater, "greater_equal": F.greater_equal,
    "equal": F.equal, "not_equal": F.not_equal, "matmul": F.matmul,
}

# Any other elementwise op's NumPy / SciPy ufunc, by the names in the ops table.
UFUNCS.update({n: (F._unary if OPS[op].arity == 1 else F._binary)(op)
               for n, op in ufunc_ops().items() if n not in UFUNCS})

# ufunc.reduce: np.add.reduce(x, axis=0) and friends.
UFUNC_REDUCE: dict[str, Callable] = {"add": F.sum, "multiply": F.prod, "maximum": F.max,
                                     "minimum": F.min, "logaddexp": F.logsumexp}


def dispatch_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """Trace ``ufunc(*inputs, **kwargs)`` (``method`` is ``__call__`` or ``reduce``)."""
    name = ufunc.__name__
    if kwargs.get("out") is not None:
        raise UnsupportedOperation(f"np.{name}(..., out=...): in-place output is not supported "
                                   "in traced code")
    extra = {k for k, v in kwargs.items() if k not in ("out", "dtype", "axis", "keepdims")
             and v is not None}
    if extra:
        raise UnsupportedOperation(f"np.{name}: keyword(s) {sorted(extra)} are not supported")
    if method == "__call__" and name in UFUNCS:
        out = UFUNCS[name](*inputs)
    elif method == "reduce" and name in UFUNC_REDUCE:
        out = UFUNC_REDUCE[name](inputs[0], axis=kwargs.get("axis", 0),
                                 keepdims=kwargs.get("keepdims", False))
    else:
        what = f"np.{name}" if method == "__call__" else f"np.{name}.{method}"
        raise UnsupportedOperation(f"{what} is not supported by the eqsat-tensor tracer (at "
                                   f"{user_location()})")
    if kwargs.get("dtype") is not None:
        out = F.cast(out, kwargs["dtype"])
    return out


def _no(kwargs: dict, fname: str, *allowed: str) -> None:
    bad = [k for k, v in kwargs.items() if k not in allowed and v is not None
           and not (k == "keepdims" and v is False)]
    if bad:
        raise UnsupportedOperation(f"np.{fname}: keyword(s) {bad} are not supported in traced "
                                   "code")


def _reduction(fn: Callable, fname: str) -> Callable:
    def handler(a: Any, axis: Any = None, dtype: Any = None, out: Any = None,
                keepdims: Any = False, **kw: Any) -> Any:
        _no({"out": out, **kw}, fname)
        res = fn(a, axis=axis, keepdims=bool(keepdims) if keepdims is not np._NoValue else False)
        return F.cast(res, dtype) if dtype is not None else res

    return handler


def _var(fn: Callable, fname: str) -> Callable:
    def handler(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
                keepdims: Any = False, **kw: Any) -> Any:
        _no({"out": out, "dtype": dtype, **kw}, fname)
        if ddof:
            raise UnsupportedOperation(f"np.{fname}(ddof={ddof}): only ddof=0 is supported")
        return fn(a, axis=axis, keepdims=bool(keepdims))

    return handler


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if x is None or y is None:
        raise UnsupportedOperation("np.where(cond) with one argument (indices) is not supported; "
                                   "use np.where(cond, a, b)")
    return F.where(condition, x, y)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, **kw: Any) -> Any:
    _no({"out": out, **{k: v for k, v in kw.items() if k not in ("min", "max")}}, "clip")
    lo = a_min if a_min is not None else kw.get("min")
    hi = a_max if a_max is not None else kw.get("max")
    return F.clip(a, lo, hi)


def _swapaxes(a: Any, axis1: int, axis2: int) -> Any:
    n = F.to_node(a).ndim
    perm = list(range(n))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return F.transpose(a, perm)


def _ravel(a: Any, order: str = "C") -> Any:
    if order != "C":
        raise UnsupportedOperation("np.ravel: only order='C' is supported")
    return F.reshape(a, (-1,))


FUNCTIONS: dict[Any, Callable] = {
    np.sum: _reduction(F.sum, "sum"), np.mean: _reduction(F.mean, "mean"),
    np.max: _reduction(F.max, "max"), np.min: _reduction(F.min, "min"),
    np.amax: _reduction(F.max, "amax"), np.amin: _reduction(F.min, "amin"),
    np.prod: _reduction(F.prod, "prod"),
    np.var: _var(F.var, "var"), np.std: _var(F.std, "std"),
    np.dot: lambda a, b, out=None: F.dot(a, b),
    np.transpose: lambda a, axes=None: F.transpose(a, axes),
    np.reshape: lambda a, shape=None, order="C", **kw: F.reshape(a, shape if shape is not None
                                                               else kw["newshape"]),
    np.broadcast_to: lambda array, shape, subok=False: F.broadcast_to(array, shape),
    np.expand_dims: lambda a, axis: F.expand_dims(a, axis),
    np.squeeze: lambda a, axis=None: F.squeeze(a, axis),
    np.where: _where, np.clip: _clip, np.swapaxes: _swapaxes, np.ravel: _ravel,
    np.zeros_like: lambda a, dtype=None, **kw: F.zeros_like(a),
    np.ones_like: lambda a, dtype=None, **kw: F.ones_like(a),
    np.full_like: lambda a, fill_value, dtype=None, **kw: F.full_like(a, fill_value),
    np.ndim: lambda a: F.to_node(a).ndim,
    np.shape: lambda a: F.to_node(a).shape,
    np.size: lambda a, axis=None: _size(a, axis),
}


def _size(a: Any, axis: Any = None) -> Any:
    shape = F.to_node(a).shape
    if axis is not None:
        return shape[axis]
    n = 1
    for d in shape:
        if not isinstance(d, int):
            raise UnsupportedOperation(f"np.size of a shape with symbolic dim {d!r}")
        n *= d
    return n


def _public_name(module: str, name: str) -> str:
    """``np.sort``, ``np.linalg.norm``: how the user spelled a NumPy function."""
    if module == "numpy" or module.startswith(("numpy._core", "numpy.core", "numpy.lib")):
        return f"np.{name}"
    if module.startswith("numpy."):
        return f"np.{module[len('numpy.'):]}.{name}"
    return f"{module}.{name}"


def dispatch_function(func: Any, args: tuple, kwargs: dict) -> Any:
    """Trace the NumPy function ``func(*args, **kwargs)``."""
    handler = FUNCTIONS.get(func)
    if handler is None:
        name = getattr(func, "__name__", repr(func))
        module = getattr(func, "__module__", "numpy") or "numpy"
        raise UnsupportedOperation(
            f"{_public_name(module, name)} is not supported by the eqsat-tensor tracer (at "
            f"{user_location()}); supported: elementwise ufuncs, sum/mean/max/min/prod/var/std, "
            "dot/matmul, transpose, reshape, broadcast_to, expand_dims, squeeze, where, clip")
    return handler(*args, **kwargs)
