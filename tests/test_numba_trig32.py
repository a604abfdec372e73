"""The block-only float32 sin/cos of the Numba backend (backends/numba_trig32.py): within an
ulp of the correctly rounded value, NumPy's special values, long reductions for huge
arguments, and the kernels that call them (tiled rows, short rows)."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numba_trig32 import BIG, BLOCKS

SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-45, -1e-45, 1e-38, 3.4e38,
                     -3.4e38, BIG, -BIG, np.nextafter(np.float32(BIG), 0), 1e30, 7.0e7],
                    np.float32)


def _inputs(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = [rng.uniform(-10, 10, 20000), rng.uniform(-BIG, BIG, 5000),
             np.exp(rng.uniform(-90, 88, 5000)) * rng.choice([-1, 1], 5000)]
    return np.concatenate([*parts, SPECIALS]).astype(np.float32)


def _ulps(got: np.ndarray, x: np.ndarray, fn) -> float:
    with np.errstate(all="ignore"):
        exact = fn(x.astype(np.float64))
    spacing = np.spacing(np.abs(exact.astype(np.float32))).astype(np.float64)
    finite = np.isfinite(exact)
    return float(np.max(np.abs(got[finite].astype(np.float64) - exact[finite])
                        / spacing[finite]))


@pytest.mark.parametrize("op", ["sin", "cos"])
def test_block_within_an_ulp(op):
    x = _inputs()
    dst = np.empty_like(x)
    BLOCKS[op]["float32"](x, dst, x.size)
    fn = getattr(np, op)
    assert _ulps(dst, x, fn) <= 1.0
    with np.errstate(all="ignore"):
        want = fn(x)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(dst), nan)
    assert np.array_equal(np.signbit(dst[~nan & (want == 0)]), np.signbit(want[~nan & (want == 0)]))
    assert np.signbit(dst[x.size - SPECIALS.size + 4]) == (op == "sin")  # sin(-0.0) = -0.0


@pytest.mark.parametrize("shape", [(2000,), (7, 300), (50, 4)])
def test_kernels_match_numpy(shape):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 20).astype(np.float32)
    x.flat[: SPECIALS.size] = SPECIALS

    def features(x):
        return np.sin(x) * np.cos(2 * x) + np.sin(x + 1.0)

    got = et.jit(features, backend="numba", ieee="strict")(x)
    with np.errstate(all="ignore"):
        want = features(x)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert np.allclose(got, want, rtol=5e-7, atol=1e-6, equal_nan=True)
