"""A process forked after the library was used (optimizer, parallel Numba kernels) keeps
working: fork-based pools optimize, jit and compile new functions."""

from __future__ import annotations

import multiprocessing
import sys
import warnings

import numpy as np
import pytest

import eqsat_tensor as et

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="fork start method")


def _work(k: int) -> tuple[float, float, float, object, dict]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a fallback warns: must not happen
        x = et.tensor("x", (5,))
        res = et.optimize(et.log(1 + et.exp(x)) * float(k))
        exe = et.compile(res.graph, backend="numba", parallel_min=0)
        a = np.linspace(-1.0, 1.0, 5)
        f = et.jit(lambda v: np.tanh(v) * float(k) + np.sum(v), backend="numba",
                   parallel_min=0)
        b = np.linspace(0.0, 2.0, 64)
        return (float(np.max(np.abs(exe(a) - np.log1p(np.exp(a)) * k))),
                float(np.max(np.abs(f(b) - (np.tanh(b) * k + b.sum())))),
                float(k), res.report.fallback, res.report.rules_fired)


def test_fork_pool_after_the_parent_optimized_and_ran_parallel_kernels():
    x = et.tensor("x", (4,))
    et.optimize(et.log(1 + et.exp(x)))  # egglog's thread pool now exists in the parent
    g = et.jit(lambda v: np.exp(v) * 2.0, backend="numba", parallel_min=0)
    v = np.linspace(0, 1, 100)
    np.testing.assert_allclose(g(v), np.exp(v) * 2.0)  # Numba's threads started
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        results = pool.map_async(_work, [1, 2, 3]).get(timeout=600)
    for err_compile, err_jit, k, fallback, fired in results:
        assert err_compile < 1e-12 * 10 * k and err_jit < 1e-12 * 10 * k
        # the child optimized for real (it used to fall back to the input graph)
        assert not fallback and fired
    # and the parent is unaffected
    assert et.optimize(et.log(1 + et.exp(x))).graph is not None
    np.testing.assert_allclose(g(v), np.exp(v) * 2.0)
