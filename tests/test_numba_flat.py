"""Flat loops of the Numba backend (backends/numba_flat.py) and sums through
``reassoc_add`` (backends/numba_reduce.py): kernels whose values all have the full domain
shape run over one axis of every point; the answers are NumPy's for contiguous, strided and
Fortran-ordered inputs alike, and kernels with broadcast operands keep their loop nest."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et


def _sum_sq(x):
    return np.sum(x * x)


def _features(x):
    return np.sqrt(np.abs(x)) * 2.0 + x


def _scaled(x, w):
    return x * w  # w broadcasts along the rows: not flat


def _layouts(shape, dtype):
    rng = np.random.default_rng(0)
    c = rng.standard_normal(shape).astype(dtype)
    wide = rng.standard_normal((shape[0], 2 * shape[1])).astype(dtype)
    return {"C": c, "F": np.asfortranarray(c), "strided": wide[:, ::2]}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["C", "F", "strided"])
def test_flat_kernels_match_numpy(dtype, layout):
    x = _layouts((301, 4), dtype)[layout]
    for fn in (_sum_sq, _features):
        got = et.jit(fn, backend="numba")(x)
        want = fn(x)
        assert np.asarray(got).dtype == np.asarray(want).dtype
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        assert np.allclose(got, want, rtol=rtol)


def test_only_full_shape_kernels_are_flat():
    x = np.ones((50, 4))
    assert "(flat)" in et.jit(_sum_sq, backend="numba").source(x)
    assert "(flat)" not in et.jit(_scaled, backend="numba").source(x, np.ones(4))


@pytest.mark.parametrize("n", [0, 1, 15, 16, 17, 1000, 100003])
def test_reassociated_sums_match_numpy(n):
    rng = np.random.default_rng(n)
    x = rng.standard_normal(n)
    got = et.jit(_sum_sq, backend="numba")(x)
    assert np.isclose(got, _sum_sq(x), rtol=1e-12, atol=0.0)
    specials = np.array([1.0, np.inf, 2.0, -3.0] * 9)
    assert et.jit(_sum_sq, backend="numba")(specials) == np.inf
    with np.errstate(invalid="ignore"):
        assert np.isnan(et.jit(lambda x: np.sum(x), backend="numba")(
            np.array([np.inf, -np.inf] * 20)))


@pytest.mark.parametrize("shape", [(1, 1), (1, 1, 1), (1, 5), (5, 1)])
@pytest.mark.parametrize("ieee", ["strict", "finite"])
def test_whole_array_reductions_over_unit_extents(shape, ieee):
    """Found by the differential fuzzer: over a (1, 1) domain every value is a row value,
    which the plan computes once outside the loop; a flat kernel indexed it by the loop's
    ``i0`` there (a Numba compile error)."""
    def f(x0, x1):
        p = x0 * x1
        return (p * 0.5).mean(), p.sum(), np.max(x0 + x1)

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    got = et.jit(f, backend="numba", ieee=ieee)(x, y)
    for g, w in zip(got, f(x, y)):
        assert np.asarray(g).tobytes() == np.asarray(w).tobytes() or np.isclose(g, w, rtol=1e-15)
