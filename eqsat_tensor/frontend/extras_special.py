"""SciPy special functions as compositions of traced ops (breadth2): ``betaln``, ``erfinv``,
``ndtri``, ``gamma``, ``huber``, ``pseudo_huber``, ``boxcox``, ``boxcox1p``, ``cosm1``; each
follows SciPy's own steps where they are known, so NaN, +-inf and +-0 come out as SciPy's."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import functions as F
from .compositions import compose
from .extras import _float
from .operands import promote_floats
from .tensor import Tensor

# -- scipy.special -------------------------------------------------------------------------------


def betaln(a: Any, b: Any) -> Tensor:
    """``scipy.special.betaln``: ``gammaln(a) + gammaln(b) - gammaln(a + b)``, with SciPy's
    values where an argument is 0, +-inf or NaN."""
    an, bn = F._operands(_float(a), _float(b))
    core = F.subtract(F.add(F.gammaln(an), F.gammaln(bn)), F.gammaln(F.add(an, bn)))

    def pole(v: Any) -> Any:  # 0, -0 or -inf: B is infinite
        return F.logical_or(F.equal(v, 0.0), F.equal(v, -np.inf))

    out = F.where(F.logical_and(F.equal(an, np.inf), F.isfinite(bn)),
                  F.where(F.greater(bn, 0.0), -np.inf, np.inf), core)
    out = F.where(F.logical_and(F.equal(bn, np.inf), F.isfinite(an)),
                  F.where(F.greater(an, 0.0), -np.inf, np.inf), out)
    out = F.where(F.logical_and(F.equal(an, np.inf), F.equal(bn, np.inf)), np.nan, out)
    out = F.where(F.logical_or(F.isnan(an), F.isnan(bn)), np.nan, out)
    out = F.where(F.logical_or(pole(an), pole(bn)), np.inf, out)
    return F.cast(out, F.to_node(core).dtype)


# Giles (2010), "Approximating the erfinv function", the single-precision polynomials;
# refined by Newton steps on erf / erfc to the dtype's precision.
_GILES_SMALL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_LARGE = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coeffs: tuple[float, ...], w: Any) -> Any:
    p: Any = coeffs[0]
    for c in coeffs[1:]:
        p = F.add(F.multiply(p, w), c)
    return p


def erfinv(y: Any) -> Tensor:
    """``scipy.special.erfinv``: Giles' approximation, then three Newton steps on
    ``erf(x) = y`` (written with ``erfc`` of ``|x|`` for ``|y| > 1/2``, so the residual
    keeps its digits near +-1); +-1 -> +-inf, ``|y| > 1`` and NaN -> NaN."""
    yf = _float(y)
    ay = F.abs(yf)
    w = F.negative(F.log(F.multiply(F.subtract(1.0, ay), F.add(1.0, ay))))
    small = _horner(_GILES_SMALL, F.subtract(w, 2.5))
    large = _horner(_GILES_LARGE, F.subtract(F.sqrt(w), 3.0))
    x = F.multiply(F.where(F.less(w, 5.0), small, large), ay)  # x >= 0 for |y|
    x = F.where(F.isfinite(x), x, 0.0)
    tail = F.greater(ay, 0.5)
    for _ in range(3):
        resid = F.where(tail, F.subtract(F.subtract(1.0, ay), F.erfc(x)),
                        F.subtract(F.erf(x), ay))
        slope = F.multiply(2.0 / math.sqrt(math.pi), F.exp(F.negative(F.square(x))))
        x = F.subtract(x, F.divide(resid, slope))
    x = F.where(F.equal(ay, 1.0), np.inf, x)
    x = F.where(F.greater(ay, 1.0), np.nan, x)
    # the sign of y (erfinv is odd; -0 -> -0)
    return F.where(F.less(yf, 0.0), F.negative(x), F.where(F.equal(yf, 0.0), yf, x))



def gamma(x: Any) -> Tensor:
    """``scipy.special.gamma``: ``exp(gammaln(x))`` with the sign of Gamma (negative on
    (-1, 0), (-3, -2), ...); poles as SciPy: +-0 -> +-inf, negative integers and -inf ->
    NaN."""
    xf = _float(x)
    mag = F.exp(F.gammaln(xf))
    odd = F.not_equal(F.remainder(F.floor(xf), 2.0), 0.0)
    out = F.where(F.logical_and(F.less(xf, 0.0), odd), F.negative(mag), mag)
    neg_int = F.logical_and(F.less(xf, 0.0), F.equal(F.floor(xf), xf))
    out = F.where(neg_int, np.nan, out)
    out = F.where(F.equal(xf, 0.0), F.divide(1.0, xf), out)
    return F.cast(out, F.to_node(xf).dtype)


def ndtri(p: Any) -> Tensor:
    """``scipy.special.ndtri``: ``sqrt(2) * erfinv(2p - 1)``, computed from ``2p`` (or
    ``2(1 - p)``) so the tails keep their digits; 0 -> -inf, 1 -> inf."""
    pf = _float(p)
    lower = F.less(pf, 0.5)
    q = F.where(lower, F.multiply(2.0, pf), F.multiply(2.0, F.subtract(1.0, pf)))
    x = _erfinv_tail(q)
    out = F.multiply(math.sqrt(2.0), F.where(lower, F.negative(x), x))
    out = F.where(F.logical_or(F.less(pf, 0.0), F.greater(pf, 1.0)), np.nan, out)
    return F.cast(out, F.to_node(pf).dtype)


def _erfinv_tail(q: Any) -> Any:
    """``erfinv(1 - q)`` for ``q`` in [0, 1] (``q`` given exactly): Giles' start and three
    Newton steps on ``erfc(x) = q``."""
    w = F.negative(F.log(F.multiply(q, F.subtract(2.0, q))))
    small = _horner(_GILES_SMALL, F.subtract(w, 2.5))
    large = _horner(_GILES_LARGE, F.subtract(F.sqrt(w), 3.0))
    x = F.multiply(F.where(F.less(w, 5.0), small, large), F.subtract(1.0, q))
    x = F.where(F.isfinite(x), x, 0.0)
    for _ in range(3):
        resid = F.subtract(q, F.erfc(x))  # erf(x) - (1 - q)
        slope = F.multiply(2.0 / math.sqrt(math.pi), F.exp(F.negative(F.square(x))))
        x = F.subtract(x, F.divide(resid, slope))
    return F.where(F.equal(q, 0.0), np.inf, x)


def huber(delta: Any, r: Any) -> Tensor:
    """``scipy.special.huber``: ``r**2 / 2`` within ``delta``, ``delta (|r| - delta/2)``
    outside; ``inf`` for a negative ``delta`` (``data/compositions.txt``)."""
    return compose("huber", delta, r)


def pseudo_huber(delta: Any, r: Any) -> Tensor:
    """``scipy.special.pseudo_huber``: ``delta**2 (sqrt(1 + (r/delta)**2) - 1)``; 0 where
    ``delta`` or ``r`` is 0, ``inf`` for a negative ``delta``."""
    delta, r = promote_floats(delta, r)
    t = F.divide(r, delta)
    # sqrt(1 + t**2) - 1 as expm1(log1p(t**2) / 2), SciPy's form: no cancellation for
    # small t (the plain form lost ~30 ulp in float32), the same overflow for large t
    out = F.multiply(F.square(delta), F.expm1(F.multiply(0.5, F.log1p(F.square(t)))))
    out = F.where(F.logical_or(F.equal(delta, 0.0), F.equal(r, 0.0)), 0.0, out)
    return F.where(F.less(delta, 0.0), np.inf, out)


def boxcox1p(x: Any, lmbda: Any) -> Tensor:
    """``scipy.special.boxcox1p``: ``((1 + x)**lmbda - 1) / lmbda``, its limit
    ``log(1 + x)`` for ``|lmbda| < 1e-19`` (``data/compositions.txt``)."""
    return compose("boxcox1p", x, lmbda)


def boxcox(x: Any, lmbda: Any) -> Tensor:
    """``scipy.special.boxcox``: ``(x**lmbda - 1) / lmbda``, its limit ``log(x)`` for
    ``|lmbda| < 1e-19`` (``data/compositions.txt``)."""
    return compose("boxcox", x, lmbda)


def cosm1(x: Any) -> Tensor:
    """``scipy.special.cosm1``: ``cos(x) - 1`` without cancellation
    (``data/compositions.txt``)."""
    return compose("cosm1", x)
