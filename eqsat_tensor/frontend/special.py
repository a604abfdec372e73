"""Elementwise NumPy and ``scipy.special`` functions that are compositions of IR ops:
NaN-ignoring ``fmax``/``fmin``, ``sign``, inverse hyperbolics, ``expit``/``logit``,
``xlogy``, ``rel_entr``, ``softmax``/``log_softmax``, ``isclose``... Each is written to match
NumPy / SciPy on NaN, +-inf and +-0, not only on ordinary values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .compositions import compose
from .functions import (  # noqa: A004  (sum, max, ... shadow builtins on purpose)
    _operands,
    abs,
    add,
    all,
    broadcast_to,
    cast,
    divide,
    equal,
    exp,
    greater,
    greater_equal,
    isfinite,
    isnan,
    less,
    less_equal,
    log,
    logaddexp,
    logical_and,
    logical_or,
    max,
    maximum,
    minimum,
    multiply,
    not_equal,
    sigmoid,
    squeeze,
    subtract,
    sum,
    to_node,
    where,
)
from .location import unsupported
from .operands import promote_floats
from .tensor import Tensor


def fmax(x: Any, y: Any) -> Tensor:
    """NaN-ignoring maximum (``np.fmax``): the other operand where one is NaN."""
    a, b = _operands(x, y)
    return where(isnan(a), b, where(isnan(b), a, maximum(a, b)))


def fmin(x: Any, y: Any) -> Tensor:
    """NaN-ignoring minimum (``np.fmin``): the other operand where one is NaN."""
    a, b = _operands(x, y)
    return where(isnan(a), b, where(isnan(b), a, minimum(a, b)))




def round_(x: Any, decimals: Any = 0) -> Tensor:
    """``np.round``: NumPy's own steps, ``rint(x * 10**d) / 10**d`` (``rint(x / 10**-d) *
    10**-d`` for ``d < 0``), so halves go to the even neighbour; integers stay integers."""
    from .functions import _as_int, rint, static_int

    d = static_int(decimals, "np.round(decimals=...)")
    if isinstance(x, Tensor) and x.int_op:
        if d >= 0:
            return x
        f = float(10 ** -d)
        return _as_int(multiply(rint(divide(x.node, f)), f), x.int_op, x.idt)
    if to_node(x).dtype == "bool":
        raise unsupported("np.round of a bool array", "NumPy returns float16")
    if d == 0:
        return rint(x)
    if d > 0:
        f = float(10.0 ** d)
        return divide(rint(multiply(x, f)), f)
    f = float(10.0 ** -d)
    return multiply(rint(divide(x, f)), f)


def heaviside(x: Any, h0: Any) -> Tensor:
    """``np.heaviside``: 0 below zero, 1 above, ``h0`` at zero, NaN for NaN."""
    a, h = _operands(x, h0)
    return where(isnan(a), a, where(less(a, 0.0), 0.0, where(greater(a, 0.0), 1.0, h)))


def deg2rad(x: Any) -> Tensor:
    """Degrees to radians."""
    return multiply(x, math.pi / 180.0)


def rad2deg(x: Any) -> Tensor:
    """Radians to degrees."""
    return multiply(x, 180.0 / math.pi)


def logaddexp2(x: Any, y: Any) -> Tensor:
    """``log2(2**x + 2**y)`` as ``logaddexp(x ln2, y ln2) / ln2``."""
    x, y = promote_floats(x, y)
    return divide(logaddexp(multiply(x, math.log(2.0)), multiply(y, math.log(2.0))),
                  math.log(2.0))










# -- scipy.special compositions ------------------------------------------------------------------


def expit(x: Any) -> Tensor:
    """``scipy.special.expit``: the logistic sigmoid."""
    return sigmoid(x)


def logit(p: Any) -> Tensor:
    """``scipy.special.logit``: ``log(p / (1 - p))``, as ``data/compositions.txt`` writes it."""
    return compose("logit", p)


_SCIPY_DTYPES: dict[tuple, str] = {}


def _dummy(v: Any) -> Any:
    """A value promoting like ``v`` does (a traced value by its NumPy dtype; a Python
    scalar, or a weak traced Python float, stays a Python scalar)."""
    from .tensor import Tensor

    if isinstance(v, Tensor):
        if v.weak and not v.int_op:
            return 0.5
        return np.zeros((), v.idt if v.int_op else v.node.dtype)
    if isinstance(v, (bool, int, float)):
        return v
    return np.zeros((), np.asarray(v).dtype)


def _scipy_operands(name: str, x: Any, y: Any) -> list:
    """The operands of the two-argument ``scipy.special`` function ``name`` in the dtype
    the installed SciPy computes in (SciPy's ufuncs may not treat Python floats as weak,
    and int32 with float32 runs its float64 loop): NumPy's promotion, then a cast."""
    import scipy.special

    a, b = _operands(x, y)
    dx, dy = _dummy(x), _dummy(y)
    key = (name, type(dx).__name__, getattr(dx, "dtype", None), type(dy).__name__,
           getattr(dy, "dtype", None))
    if key not in _SCIPY_DTYPES:
        with np.errstate(all="ignore"):
            _SCIPY_DTYPES[key] = np.asarray(getattr(scipy.special, name)(dx, dy)).dtype.name
    want = _SCIPY_DTYPES[key]
    if want in ("float32", "float64"):
        a = a if a.dtype == want else cast(a, want).node
        b = b if b.dtype == want else cast(b, want).node
    return [a, b]


def xlogy(x: Any, y: Any) -> Tensor:
    """``scipy.special.xlogy``: ``x * log(y)``, 0 where ``x == 0`` and ``y`` is not NaN
    (``data/compositions.txt``), in the dtype SciPy computes in."""
    return compose("xlogy", *_scipy_operands("xlogy", x, y))


def xlog1py(x: Any, y: Any) -> Tensor:
    """``scipy.special.xlog1py``: ``x * log(1 + y)``, 0 where ``x == 0`` and ``y`` is not
    NaN (``data/compositions.txt``), in the dtype SciPy computes in."""
    return compose("xlog1py", *_scipy_operands("xlog1py", x, y))


def rel_entr(x: Any, y: Any) -> Tensor:
    """``scipy.special.rel_entr``: ``x log(x / y)`` for ``x, y > 0``, 0 for ``x == 0 <= y``,
    inf otherwise, NaN where either is NaN."""
    a, b = _scipy_operands("rel_entr", x, y)
    body = where(logical_and(greater(a, 0.0), greater(b, 0.0)), multiply(a, log(divide(a, b))),
                 where(logical_and(equal(a, 0.0), greater_equal(b, 0.0)), to_node(0.0, a),
                       to_node(np.inf, a)))
    return where(logical_or(isnan(a), isnan(b)), add(a, b), body)


def kl_div(x: Any, y: Any) -> Tensor:
    """``scipy.special.kl_div``: ``x log(x / y) - x + y`` for ``x, y > 0``, ``y`` for
    ``x == 0 <= y``, inf otherwise, NaN where either is NaN."""
    a, b = _scipy_operands("kl_div", x, y)
    body = where(logical_and(greater(a, 0.0), greater(b, 0.0)),
                 add(subtract(multiply(a, log(divide(a, b))), a), b),
                 where(logical_and(equal(a, 0.0), greater_equal(b, 0.0)), b, to_node(np.inf, a)))
    return where(logical_or(isnan(a), isnan(b)), add(a, b), body)


def softmax(x: Any, axis: Any = None) -> Tensor:
    """``scipy.special.softmax``: ``exp(x - max) / sum(exp(x - max))`` over ``axis``."""
    node = to_node(x)
    shifted = exp(subtract(node, max(node, axis=axis, keepdims=True)))
    return divide(shifted, sum(shifted, axis=axis, keepdims=True))


def log_softmax(x: Any, axis: Any = None) -> Tensor:
    """``scipy.special.log_softmax``: ``x - max - log(sum(exp(x - max)))`` (a non-finite
    max is replaced by 0, like SciPy)."""
    node = to_node(x)
    m = max(node, axis=axis, keepdims=True)
    m = where(isfinite(m), m, 0.0)
    tmp = subtract(node, m)
    return subtract(tmp, log(sum(exp(tmp), axis=axis, keepdims=True)))


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``np.isclose``: ``|a - b| <= atol + rtol |b|`` for finite values; infinities are
    close only to themselves; NaN only to NaN with ``equal_nan``."""
    x, y = _operands(a, b)
    finite = logical_and(isfinite(x), isfinite(y))
    close = where(finite, less_equal(abs(subtract(x, y)), add(atol, multiply(rtol, abs(y)))),
                  equal(x, y))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(x), isnan(y)))
    return close


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Tensor:
    """``np.allclose`` as a traced bool (``all(isclose(...))``)."""
    return all(isclose(a, b, rtol, atol, equal_nan))


def logsumexp_weighted(a: Any, b: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``scipy.special.logsumexp(a, b=b)``: ``log(sum(b exp(a - m))) + m`` with ``m`` the
    max of ``a`` where ``b != 0`` (elements with zero weight are ignored, even inf or NaN);
    a negative total is NaN, as SciPy returns without ``return_sign``."""
    x, w = _operands(a, b)
    shape = np.broadcast_shapes(tuple(x.shape), tuple(w.shape))
    x, w = broadcast_to(x, shape).node, broadcast_to(w, shape).node
    live = not_equal(w, 0.0)
    m = max(where(live, x, -np.inf), axis=axis, keepdims=True)
    m = where(isfinite(m), m, 0.0)
    terms = where(live, multiply(w, exp(subtract(x, m))), 0.0)
    out = add(log(sum(terms, axis=axis, keepdims=True)), m)
    return out if keepdims else squeeze(out, axis=_axes_of(axis, len(shape)))


def _axes_of(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes)
