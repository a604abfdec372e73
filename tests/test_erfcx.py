"""``erfcx(x) = exp(x^2) erfc(x)`` (PyTensor's ``Erfcx``, SciPy's ``erfcx``; PyMC's normal
log-cdf uses it in the lower tail): reference against mpmath, Numba, gradient, import."""

from __future__ import annotations

import mpmath
import numpy as np

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.ir import Graph, apply, input_node

X = np.array([-26.5, -5.0, -0.5, -1e-300, 0.0, 1e-8, 0.7, 2.5, 6.0, 24.9, 25.1, 300.0,
              1e300, np.inf, -np.inf, np.nan])


def _exact(v: float) -> float:
    if np.isnan(v):
        return np.nan
    if v == np.inf:
        return 0.0
    if v == -np.inf:
        return np.inf
    with mpmath.workdps(60):
        if v > 1e6:  # the asymptotic series' first two terms (mpmath's erfc overflows)
            x = mpmath.mpf(v)
            return float((1 - 1 / (2 * x * x)) / (x * mpmath.sqrt(mpmath.pi)))
        return float(mpmath.exp(mpmath.mpf(v) ** 2) * mpmath.erfc(v))


def _graph() -> Graph:
    x = input_node("x", ("n",), "float64")
    return Graph(apply("erfcx", x), [x])


def test_reference_and_numba_are_accurate():
    want = np.array([_exact(v) for v in X])
    (ref,) = evaluate(_graph(), [X])
    np.testing.assert_allclose(ref, want, rtol=4e-15, atol=0)
    got = np.asarray(et.compile(_graph(), backend="numba")(X))
    np.testing.assert_allclose(got, want, rtol=4e-15, atol=0)


def test_gradient_is_2x_erfcx_minus_2_over_sqrt_pi():
    xs = np.array([-2.0, -0.3, 0.0, 0.8, 3.0, 40.0])

    def f(x):
        return et.sum(et.erfcx(x))

    got = np.asarray(et.grad(f)(xs))
    want = np.array([2 * v * _exact(v) - 2 / np.sqrt(np.pi) for v in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
