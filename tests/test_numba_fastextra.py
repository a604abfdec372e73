"""The float32 transcendentals of the Numba backend computed in float64
(backends/numba_fastextra.py): within an ulp of the correctly rounded value, NumPy's special
values, long reductions for huge arguments, and the kernels that call them (tiled rows,
short rows, inlined)."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numba_fastextra import BIG, BLOCKS, FUNCS

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
    finite = np.isfinite(exact) & (np.abs(exact) <= np.finfo(np.float32).max)
    spacing = np.spacing(np.abs(np.where(finite, exact, 1.0).astype(np.float32)))
    return float(np.max(np.abs(got[finite].astype(np.float64) - exact[finite])
                        / spacing[finite]))


@pytest.mark.parametrize("op", ["sin", "cos", "tan", "log2", "log10", "exp2"])
def test_block_within_an_ulp(op):
    x = _inputs()
    if op == "exp2":
        x = np.concatenate([x, np.linspace(-160, 140, 20001, dtype=np.float32)])
    if op in ("log2", "log10"):
        x = np.concatenate([np.abs(x), x[:50], 2.0 ** np.arange(-149, 128, dtype=np.float32),
                            10.0 ** np.arange(-10, 11, dtype=np.float32)])
    dst = np.empty_like(x)
    BLOCKS[op]["float32"](x, dst, x.size)
    fn = getattr(np, op)
    assert _ulps(dst, x, fn) <= 1.0
    with np.errstate(all="ignore"):
        want = fn(x)
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(dst), nan)
    assert np.array_equal(dst[np.isinf(want)], want[np.isinf(want)])
    assert np.array_equal(np.signbit(dst[~nan & (want == 0)]), np.signbit(want[~nan & (want == 0)]))
    if op in ("log2", "log10", "exp2"):  # exact where NumPy's answer is exact
        with np.errstate(all="ignore"):
            exact = fn(x.astype(np.float64)).astype(np.float32)
        whole = np.isfinite(exact) & (exact == np.round(exact))
        assert np.array_equal(dst[whole], exact[whole])
    else:
        assert np.signbit(dst[x.size - SPECIALS.size + 4]) == (op != "cos")  # -0.0 kept


@pytest.mark.parametrize("op", ["log2", "log10"])
def test_float64_logs_within_an_ulp_of_numpy_and_exact_where_it_is(op):
    rng = np.random.default_rng(2)
    x = np.concatenate([np.exp(rng.uniform(-745, 709, 20000)), rng.uniform(0, 10, 5000),
                        2.0 ** np.arange(-1074, 1024), 10.0 ** np.arange(-22, 23),
                        [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 5e-324, 1.0,
                         np.finfo(np.float64).max]])
    dst = np.empty_like(x)
    BLOCKS[op]["float64"](x, dst, x.size)
    with np.errstate(all="ignore"):
        want = getattr(np, op)(x)
    assert np.array_equal(dst, want, equal_nan=True) or np.all(
        (dst == want) | (np.isnan(dst) & np.isnan(want))
        | (np.abs(dst - want) <= np.spacing(np.abs(want))))
    exact = 2.0 ** np.arange(-1074, 1024) if op == "log2" else 10.0 ** np.arange(-22, 23)
    got = np.empty_like(exact)
    BLOCKS[op]["float64"](exact, got, exact.size)
    assert np.array_equal(got, np.round(getattr(np, op)(exact)))


def test_scalar_forms_are_the_block_functions():
    assert set(FUNCS) <= set(BLOCKS)


@pytest.mark.parametrize("shape", [(2000,), (7, 300), (50, 4)])
def test_kernels_match_numpy(shape):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(shape) * 20).astype(np.float32)
    x.flat[: SPECIALS.size] = SPECIALS

    def features(x):
        return np.sin(x) * np.cos(2 * x) + np.sin(x + 1.0) + np.tan(x) * 1e-3

    def logs(x):
        return np.log2(np.abs(x)) - np.log10(np.abs(x) + 1.0) + np.exp2(x * 0.1)

    for fn in (features, logs):
        got = et.jit(fn, backend="numba", ieee="strict")(x)
        with np.errstate(all="ignore"):
            want = fn(x)
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.allclose(got, want, rtol=1e-6, atol=1e-5, equal_nan=True)
