"""Scans and selections (cumsum, cumprod, sort, argmax, argmin), rounding, remainders and
the normal cdf through ``et.jit`` on the NumPy and Numba backends, against NumPy / SciPy on
random and edge inputs (NaN, +-inf, +-0, empty axes, int and bool arrays), with gradients
against finite differences where differentiable."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et

BACKENDS = ["numpy", "numba"]
EDGE = np.array([0.0, -0.0, 1.5, -2.5, 0.5, -0.5, 2.5, np.inf, -np.inf, np.nan, 1e300, -7.0])


def _same(got, want, exact=True):
    got_a, want_a = np.asarray(got), np.asarray(want)
    assert got_a.dtype == want_a.dtype, (got_a.dtype, want_a.dtype)
    assert got_a.shape == want_a.shape
    assert type(got) is type(want), (type(got), type(want))
    if exact:
        assert np.array_equal(got_a, want_a, equal_nan=True), (got_a, want_a)
        if want_a.dtype.kind == "f":  # signed zeros too
            assert np.array_equal(np.signbit(got_a), np.signbit(want_a))
    else:
        np.testing.assert_allclose(got_a, want_a, rtol=1e-12, atol=0)


def _inputs():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(4, 5))
    x[1, 2], x[2, 0], x[3, 4], x[0, 1] = np.nan, np.inf, -0.0, -np.inf
    return {"float": x, "float32": rng.normal(size=(4, 5)).astype(np.float32),
            "int32": rng.integers(-9, 9, size=(4, 5)).astype(np.int32),
            "int64": rng.integers(-9, 9, size=(4, 5)), "bool": rng.normal(size=(4, 5)) > 0}


SCANS = {
    "cumsum": lambda a: np.cumsum(a), "cumsum0": lambda a: np.cumsum(a, axis=0),
    "cumsum_m": lambda a: a.cumsum(axis=-1), "cumprod1": lambda a: np.cumprod(a, axis=1),
    "cumprod_m": lambda a: a.cumprod(), "sort": lambda a: np.sort(a),
    "sort0": lambda a: np.sort(a, axis=0), "sort_none": lambda a: np.sort(a, axis=None),
    "argmax": lambda a: np.argmax(a), "argmax1": lambda a: a.argmax(axis=1),
    "argmin0k": lambda a: np.argmin(a, axis=0, keepdims=True),
    "argmin_m": lambda a: a.argmin(), "argmax_k": lambda a: np.argmax(a, keepdims=True),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(SCANS))
def test_scans_match_numpy(backend, name):
    fn = SCANS[name]
    for kind, a in _inputs().items():
        if kind == "bool" and name.startswith("cumprod"):
            continue
        _same(et.jit(fn, backend=backend)(a), fn(a))


@pytest.mark.parametrize("backend", BACKENDS)
def test_argmax_first_nan_wins_and_ties_take_the_first(backend):
    a = np.array([[1.0, np.nan, 5.0, np.nan], [3.0, 3.0, -1.0, 3.0], [-np.inf, -np.inf, 0, 0]])
    for fn in (lambda x: np.argmax(x, axis=1), lambda x: np.argmin(x, axis=1)):
        _same(et.jit(fn, backend=backend)(a), fn(a))


@pytest.mark.parametrize("backend", BACKENDS)
def test_scans_of_empty_axes(backend):
    a = np.zeros((3, 0))
    for fn in (lambda x: np.cumsum(x, axis=1), lambda x: np.sort(x, axis=1),
               lambda x: np.argmax(x, axis=0)):
        _same(et.jit(fn, backend=backend)(a), fn(a))
    with pytest.raises(ValueError):
        et.jit(lambda x: np.argmax(x, axis=1), backend=backend)(a)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scan_fused_with_elementwise_work(backend):
    a = _inputs()["float"]

    def f(x):
        return np.exp(np.cumsum(np.tanh(x), axis=1)) + np.argmax(x, axis=1)[:, None]

    _same(et.jit(f, backend=backend)(a), f(a), exact=False)


def test_in_place_sort_is_refused_naming_np_sort():
    with pytest.raises(et.UnsupportedOperation, match="np.sort"):
        et.jit(lambda x: x.sort())(np.ones(3))


ELEMENTWISE = {
    "floor": lambda a: np.floor(a), "ceil": lambda a: np.ceil(a),
    "trunc": lambda a: np.trunc(a), "rint": lambda a: np.rint(a), "round": lambda a: np.round(a), "round2": lambda a: np.round(a, 2), "around-1": lambda a: np.around(a, -1),
    "round_m": lambda a: a.round(1),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_rounding_matches_numpy(backend, name):
    fn = ELEMENTWISE[name]
    rng = np.random.default_rng(3)
    halves = np.arange(-6, 7) * 0.5
    for a in (EDGE, halves, rng.normal(scale=50, size=20), rng.normal(size=9).astype(np.float32),
              np.array([1.005, 2.675, -0.125, 0.285]), np.arange(-5, 6).astype(np.int64)):
        _same(et.jit(fn, backend=backend)(a), fn(a))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["remainder", "mod", "fmod", "floor_divide", "op%", "op//"])
def test_remainders_match_numpy(backend, name):
    fn = {"remainder": lambda a, b: np.remainder(a, b), "mod": lambda a, b: np.mod(a, b),
          "fmod": lambda a, b: np.fmod(a, b),
          "floor_divide": lambda a, b: np.floor_divide(a, b), "op%": lambda a, b: a % b,
          "op//": lambda a, b: a // b}[name]
    grid_a, grid_b = np.meshgrid(EDGE, EDGE)
    a, b = grid_a.ravel(), grid_b.ravel()
    with np.errstate(all="ignore"):
        _same(et.jit(fn, backend=backend)(a, b), fn(a, b))
        ia = np.array([7, -7, 7, -7, 0, 5], np.int64)
        ib = np.array([2, 2, -2, -2, 3, 0], np.int32)
        _same(et.jit(fn, backend=backend)(ia, ib), fn(ia, ib))
        f32 = np.array([5.5, -5.5, 0.1], np.float32)
        _same(et.jit(lambda x: fn(x, 2.0), backend=backend)(f32), fn(f32, 2.0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_ndtr_and_log_ndtr_match_scipy(backend):
    special = pytest.importorskip("scipy.special")
    x = np.concatenate([EDGE, np.linspace(-60, 12, 145), [-1e10, -39.0, -37.5, -20.0, -20.5]])
    for fn, ref in ((lambda a: special.ndtr(a), special.ndtr),
                    (lambda a: special.log_ndtr(a), special.log_ndtr)):
        got = et.jit(fn, backend=backend)(x)
        want = ref(x)
        finite = np.isfinite(want)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
        # SciPy's tail is up to ~500 ulps off (and 0 below 1e-308): compare there with
        # the exact value instead
        tail = finite & (np.abs(want) < 1e-250)
        np.testing.assert_allclose(got[finite & ~tail], want[finite & ~tail], rtol=1e-12)
        mpmath = pytest.importorskip("mpmath")
        with mpmath.workdps(40):
            exact = np.array([float(mpmath.ncdf(v)) for v in x[tail]])
        if fn(np.array([0.0]))[0] == 0.5:
            np.testing.assert_allclose(got[tail], exact, rtol=4e-16, atol=5e-324)


def test_log_of_ndtr_becomes_log_ndtr():
    special = pytest.importorskip("scipy.special")
    # a generous budget: a loaded machine must not cut the optimization short
    f = et.jit(lambda x: np.log(special.ndtr(x)), backend="numpy",
               budget=et.Budget(seconds=60))
    x = np.array([-45.0, -10.0, 0.0, 9.0])
    got = f(x)
    assert any(n.op == "log_ndtr" for n in f.optimized_graph(x).nodes())
    np.testing.assert_allclose(got, special.log_ndtr(x), rtol=1e-14)


def _fd(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("name", ["cumsum", "ndtr", "log_ndtr", "remainder", "fmod", "floor",
                                  "argmax"])
def test_gradients_against_finite_differences(name):
    special = pytest.importorskip("scipy.special")
    rng = np.random.default_rng(5)
    w = rng.normal(size=(3, 4))
    fns = {"cumsum": lambda x: np.sum(np.cumsum(x, axis=1) * w),
           "ndtr": lambda x: np.sum(special.ndtr(x) * w),
           "log_ndtr": lambda x: np.sum(special.log_ndtr(x * 4.0) * w),
           "remainder": lambda x: np.sum(np.remainder(x * 3.0, 1.7) * w),
           "fmod": lambda x: np.sum(np.fmod(x * 3.0, -1.3) * w),
           "floor": lambda x: np.sum(np.floor(x * 3.0) * w + x),
           "argmax": lambda x: np.sum(x * w) * np.argmax(np.sum(x, axis=0)) + np.sum(
               np.argmin(x, axis=1, keepdims=True) * x)}
    f = fns[name]
    x = rng.normal(size=(3, 4))
    got = et.grad(f)(x)
    np.testing.assert_allclose(got, _fd(f, x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["cumprod", "sort"])
def test_cumprod_and_sort_are_differentiable(name):
    # d/dx sum(cumprod([a, b, c])) = (1 + b + bc, a + ac, ab); sorting permutes the ones
    fn = {"cumprod": lambda x: np.sum(np.cumprod(x)), "sort": lambda x: np.sum(np.sort(x) * x)}
    x = np.array([1.0, 3.0, 2.0])
    want = {"cumprod": [1 + 3 + 6, 1 + 2, 3], "sort": np.sort(x) + x[np.argsort(np.argsort(x))]}
    np.testing.assert_allclose(et.grad(fn[name])(x), want[name])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("axis", [None, 0, 2, -2])
def test_cumsum_gradient_is_the_reverse_cumsum(backend, axis):
    w = np.random.default_rng(2).normal(size=(2, 3, 4))

    def loss(x):
        return np.sum(np.cumsum(x, axis=axis) * (w if axis is not None else w.ravel()))

    got = et.grad(loss, backend=backend)(np.ones((2, 3, 4)))
    if axis is None:
        want = np.cumsum(w.ravel()[::-1])[::-1].reshape(w.shape)
    else:
        want = np.flip(np.cumsum(np.flip(w, axis), axis=axis), axis)
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


def test_the_log_ndtr_rule_is_sound_and_never_less_accurate(tmp_path, monkeypatch):
    from eqsat_tensor.rulelang import default_rules
    from eqsat_tensor.testing.check import check_rules

    monkeypatch.setenv("EQSAT_TENSOR_CACHE_DIR", str(tmp_path / "cache"))
    rule = next(r for r in default_rules().rules if r.name == "log-ndtr")
    with np.errstate(all="ignore"):
        res = check_rules(rule).results[0]
    assert res.verdict == "sound", res


@pytest.mark.parametrize("backend", BACKENDS)
def test_bool_operands_of_rounding_and_ndtr(backend):
    special = pytest.importorskip("scipy.special")
    m = np.array([[True, False], [False, True]])
    for fn in (lambda a: np.floor(a), lambda a: np.trunc(a), lambda a: special.ndtr(a),
               lambda a: special.log_ndtr(a), lambda a: np.cumsum(a, axis=0),
               lambda a: np.argmax(a, axis=1), lambda a: np.sort(a, axis=0)):
        _same(et.jit(fn, backend=backend)(m), fn(m), exact=False)


@pytest.mark.parametrize("backend", BACKENDS)
def test_scans_of_a_scalar_like_numpy(backend):
    s = np.float64(2.5)
    for fn in (lambda a: np.cumsum(a), lambda a: np.cumprod(a, axis=0),
               lambda a: np.argmax(a), lambda a: np.argmin(a, axis=0)):
        _same(et.jit(fn, backend=backend)(s), fn(s))
