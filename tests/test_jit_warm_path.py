"""Warm calls of ``et.jit`` on the Numba backend: calls that leave trailing defaults out
and the executable's direct path give NumPy's values and types, follow the arguments they
are given, and recompile nothing."""

from __future__ import annotations

import os

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numba_cpu import compiled_specializations


@pytest.fixture(autouse=True)
def _no_tiers(monkeypatch):
    monkeypatch.setenv("EQSAT_TENSOR_TIERED", "0")


def smoothing(x, y, alpha=0.3, scale=2):
    return scale * (alpha * x + (1 - alpha) * y)


def test_calls_leaving_defaults_out_follow_each_argument_and_dtype():
    f = et.jit(smoothing, backend="numba")
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32, np.float64):
        for n in (5, 7, 5):
            x, y = rng.normal(size=n).astype(dtype), rng.normal(size=n).astype(dtype)
            for args in ((x, y), (x, y, 0.9), (x, y, 0.9, 3)):
                got, want = f(*args), smoothing(*args)
                assert got.dtype == want.dtype and got.shape == want.shape
                np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == np.float32
                                           else 1e-14)


def test_a_default_array_is_read_on_every_call():
    # the default object itself is passed: changing it in place changes the result
    w = np.ones(4)

    def weighted(x, weights=w):
        return (x * weights).sum()

    f = et.jit(weighted, backend="numba")
    x = np.arange(4.0)
    assert f(x) == 6.0 and f(x) == 6.0
    w[:] = 2.0
    assert f(x) == 12.0


def test_a_default_list_changed_between_calls_is_read_again():
    weights = [1.0, 1.0]

    def weighted(x, w=weights):
        return (x * np.asarray(w)).sum()

    f = et.jit(weighted, backend="numba")
    x = np.array([1.0, 2.0])
    assert f(x) == 3.0 and f(x) == 3.0
    weights[1] = 5.0
    assert f(x) == 11.0


def test_warm_calls_take_the_direct_path_and_compile_nothing():
    f = et.jit(smoothing, backend="numba")
    x, y = np.linspace(0, 1, 50), np.linspace(1, 2, 50)
    f(x, y)
    f(x, y)
    before = compiled_specializations()
    entry = next(iter(f._defaulted.values()))[0]
    assert entry.direct is not None  # found after the first run
    for n in (50, 80, 3):  # one shape class: symbolic sizes read off the arguments
        x, y = np.linspace(0, 1, n), np.linspace(1, 2, n)
        np.testing.assert_allclose(f(x, y), smoothing(x, y), rtol=1e-14)
    assert compiled_specializations() == before


@pytest.mark.parametrize("fn, expect", [
    (lambda x: np.sum(x * 2), np.float64),  # a 0-d output: a NumPy scalar
    (lambda x: np.argmax(x), np.int64),  # int64: checked, a NumPy int
    (lambda x: (x + 1, np.max(x)), None),  # several outputs: a tuple
    (lambda x: x.reshape(2, 3)[:, 1] * 3, np.ndarray),  # a view's kernel output
])
def test_direct_path_results_have_numpy_types(fn, expect):
    f = et.jit(fn, backend="numba")
    x = np.arange(6.0)[::-1].copy()
    for _ in range(3):  # first, second (finds the direct path) and direct calls
        got, want = f(x), fn(x)
        if expect is None:
            assert isinstance(got, tuple) and len(got) == 2
            assert type(got[1]) is type(want[1]) and got[1] == want[1]
            np.testing.assert_array_equal(got[0], want[0])
        else:
            assert type(got) is type(want)
            np.testing.assert_array_equal(got, want)


def test_a_nan_argmax_result_still_raises_on_the_direct_path():
    # int64 results computed in float64: NaN would become the smallest int64 silently
    f = et.jit(lambda x: np.sqrt(x).astype(np.int64), backend="numba")
    ok = np.ones(3)
    f(ok)
    f(ok)
    with np.errstate(invalid="ignore"), pytest.raises(OverflowError):
        f(np.array([1.0, -1.0, 2.0]))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_the_direct_path_runs_serial_in_a_forked_child():
    f = et.jit(lambda x: np.exp(x) * 2, backend="numba", parallel_min=4)
    x = np.linspace(0, 1, 64)
    f(x)
    f(x)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            ok = np.allclose(f(x), np.exp(x) * 2)
            os.write(w, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(r, 1) == b"1"
