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


def _pinned_rounds(args: tuple[str, str, int]) -> list[tuple[bool, bool, str]]:
    """In a forked worker: ``rounds`` optimizations with a pin limit set; for each, whether
    it fell back, whether the answer is right, and the note."""
    name, value, rounds = args
    import os

    os.environ[name] = value
    out = []
    x = et.tensor("x", (3,))
    a = np.array([0.5, -1.0, 2.0])
    for k in range(rounds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = et.optimize(et.log(1 + et.exp(x)) * float(k + 1))
        got = et.compile(res.graph, backend="numpy")(a)
        got = got[0] if isinstance(got, (list, tuple)) else got
        ok = bool(np.allclose(got, np.log1p(np.exp(a)) * (k + 1), rtol=1e-12))
        out.append((res.report.fallback, ok, " ".join(res.report.notes)))
    return out


@pytest.mark.parametrize("name, value, kept", [("EQSAT_TENSOR_FORK_PIN_COUNT", "2", 2),
                                               ("EQSAT_TENSOR_FORK_PIN_MB", "1e-9", 1)])
def test_pinned_egraphs_in_a_fork_worker_are_bounded(name, value, kept):
    """A fork worker keeps every e-graph it builds (freeing one would hang egglog); past
    the bound it stops optimizing (correct answers, the note says why) instead of growing."""
    x = et.tensor("x", (3,))
    et.optimize(et.log(1 + et.exp(x)))  # the parent has used egglog
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1) as pool:
        rounds = pool.map_async(_pinned_rounds, [(name, value, kept + 2)]).get(timeout=600)[0]
    assert all(ok for _, ok, _ in rounds)
    assert [fb for fb, _, _ in rounds] == [False] * kept + [True] * 2
    assert all(name in note and "maxtasksperchild" in note for _, _, note in rounds[kept:])
