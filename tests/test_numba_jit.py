"""``@et.jit`` with the numba backend on every benchmark workload equals plain NumPy;
cached dispatch, thread safety and ``f.source()``."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import eqsat_tensor as et
from benchmarks.workloads import WORKLOADS, bind


@pytest.mark.parametrize("workload", WORKLOADS, ids=lambda w: w.name)
def test_jit_equals_numpy_on_every_workload(workload):
    full = workload.inputs(True)
    if sum(a.size for a in full) <= 5_000:  # small already (shapes may depend on each other)
        arrays = full
    elif workload.name == "matmul_chain":
        arrays = [a[:8, :8] if a.ndim == 2 else a[:8] for a in full]
    elif full[0].ndim == 2:  # row-wise workloads: a (6, 40) block, vectors of 40
        arrays = [full[0][:6, :40]] + [a[:40] for a in full[1:]]
    else:
        arrays = [a[:300] for a in full]
    want = bind(workload.fn, np)(*arrays)
    f = et.jit(bind(workload.fn, np), backend="numba")
    got = f(*arrays)
    np.testing.assert_allclose(got, want, rtol=max(workload.tol, 1e-12), atol=1e-12)
    assert "def run(" in f.source()


def test_cached_dispatch_reuses_the_executable_and_handles_layouts():
    calls = []

    def fn(x, y):
        calls.append(1)
        return np.exp(x) * y + 1.0

    f = et.jit(fn, backend="numba")
    x, y = np.random.rand(4, 5), np.random.rand(4, 5)
    for _ in range(3):
        np.testing.assert_allclose(f(x, y), fn(x, y))
    assert len(calls) == 4  # three calls above traced once (+1 for the reference call each)
    xf, yf = np.asfortranarray(x), np.asfortranarray(y)
    out = f(xf, yf)
    np.testing.assert_allclose(out, np.exp(x) * y + 1.0)
    assert out.flags.f_contiguous  # the Fortran-order variant wrote a Fortran result
    np.testing.assert_allclose(f(x[:, ::2], y[:, ::2]), np.exp(x[:, ::2]) * y[:, ::2] + 1.0)


def test_threads_share_one_compile():
    f = et.jit(lambda x: np.sqrt(np.abs(x)) + x, backend="numba")
    x = np.linspace(-1, 1, 50)
    results, errors = [], []

    def work():
        try:
            results.append(f(x))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for r in results:
        np.testing.assert_allclose(r, np.sqrt(np.abs(x)) + x)
    assert len(f._cache) == 1


def test_jit_fastmath_option_reaches_the_backend():
    f = et.jit(lambda x: np.exp(x) + 1.0, backend="numba", fastmath=True)
    x = np.ones(3)
    np.testing.assert_allclose(f(x), np.e + 1.0)
    assert "FASTMATH = False" not in f.source()
