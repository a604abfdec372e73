"""One kernel per (rank, dtype, layout class): new sizes never compile, retrace or grow
memory; jit caches are bounded and die with the function; generated source is
deterministic."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import numba_cpu
from eqsat_tensor.ir import Graph


@pytest.mark.parametrize("tiered", [False, True])
def test_new_batch_size_does_not_trace_or_compile(tiered):
    traces = []

    def fn(x, y):
        traces.append(1)
        return np.exp(x) * y + np.sum(x * y, axis=-1, keepdims=True)

    f = et.jit(fn, backend="numba", tiered=tiered)
    rng = np.random.default_rng(0)
    x, y = rng.random((50, 3)), rng.random((50, 3))
    np.testing.assert_allclose(f(x, y), fn(x, y))
    assert f.wait(300)  # tiered: the background compile is done (timing-independent count)
    compiled, traced = numba_cpu.compiled_specializations(), len(traces)
    for n in (51, 1000, 7, 333):  # below parallel_min: the serial build serves them all
        x, y = rng.random((n, 3)), rng.random((n, 3))
        np.testing.assert_allclose(f(x, y), np.exp(x) * y + np.sum(x * y, axis=-1,
                                                                   keepdims=True))
    assert f.wait(300)
    assert numba_cpu.compiled_specializations() == compiled
    assert len(traces) == traced  # and no new trace (or optimization) either
    assert f.cache_info()["executables"] == 1


def test_compiled_graphs_of_other_sizes_share_kernels():
    def graph(n):
        x = et.tensor("x", (n, 4))
        return Graph([(et.tanh(x) * 2.0 + et.max(x, axis=1, keepdims=True)).node])

    a = numba_cpu.compile(graph(10))
    x = np.linspace(-1, 1, 40).reshape(10, 4)
    np.testing.assert_allclose(a(x), np.tanh(x) * 2.0 + x.max(axis=1, keepdims=True))
    before = numba_cpu.compiled_specializations()
    b = numba_cpu.compile(graph(23))
    assert b is not a and b.source() == a.source()
    x = np.linspace(-2, 1, 92).reshape(23, 4)
    np.testing.assert_allclose(b(x), np.tanh(x) * 2.0 + x.max(axis=1, keepdims=True))
    assert numba_cpu.compiled_specializations() == before


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_shape_dependent_python_falls_back_to_concrete_traces(backend):
    def fn(x):
        if x.shape[0] == 3:  # Python control flow on a size
            return x * 2.0
        return x * float(x.shape[0])

    f = et.jit(fn, backend=backend)
    for n in (5, 3, 7, 3):
        x = np.arange(float(n))
        np.testing.assert_allclose(f(x), x * 2.0 if n == 3 else x * n)


def test_string_arithmetic_on_sizes_is_not_traced_symbolically():
    f = et.jit(lambda x: np.reshape(x, (x.shape[0] * 3,)) * 2.0, backend="numpy")
    for n in (4, 6):
        x = np.arange(float(n * 3)).reshape(n, 3)
        np.testing.assert_allclose(f(x), x.reshape(-1) * 2.0)


def test_size_patterns_are_part_of_the_class():
    f = et.jit(lambda x, y: np.sum(x, axis=0) + y, backend="numba")
    x = np.ones((4, 4))
    np.testing.assert_allclose(f(x, np.arange(4.0)), 4.0 + np.arange(4.0))
    x = np.ones((5, 3))  # sizes no longer equal: another class, still correct
    np.testing.assert_allclose(f(x, np.arange(3.0)), 5.0 + np.arange(3.0))
    np.testing.assert_allclose(f(x, np.ones(1)), np.full(3, 6.0))  # broadcast size 1
    assert f.cache_info()["shape_classes"] == 3


def test_caches_are_bounded_and_freed_with_the_function():
    f = et.jit(lambda x: x * 2.0 + 1.0, backend="numpy", cache_size=4)
    for n in range(2, 30):
        np.testing.assert_allclose(f(np.ones(n)), np.full(n, 3.0))
    info = f.cache_info()
    assert info["signatures"] == 4 and info["shape_classes"] <= 4
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _rss_slope(calls: int) -> float:
    f = et.jit(lambda x, y: np.exp(x) * y + 1.0, backend="numba")
    f(np.ones(10), np.ones(10))
    rss = []
    for k in range(calls):
        n = 100 + k
        f(np.ones(n), np.ones(n))
        rss.append(_rss_mb())
    half = rss[calls // 2:]
    return float(np.polyfit(np.arange(len(half)), half, 1)[0])


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_memory_does_not_grow_per_new_shape_small():
    assert _rss_slope(300) <= 0.1  # MB per call


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
def test_memory_does_not_grow_per_new_shape():
    assert _rss_slope(2000) <= 0.1


_DETERMINISM = textwrap.dedent("""
    import sys
    import numpy as np
    import eqsat_tensor as et
    if sys.argv[1] == "busy":  # a different history: thousands of nodes built first
        z = et.tensor("z", (7,))
        for k in range(3000):
            z = z * float(k + 2)
    x = et.tensor("x", (9, 4))
    y = et.tensor("y", (4,))
    g = et.log1p(et.exp(x)) * y - et.max(x, axis=1, keepdims=True)
    exe = et.compile(g, backend="numba", disk_cache=False)
    from eqsat_tensor.backends import numba_cache
    print(numba_cache.module_name(exe.source()))
    print(exe.source())
""")


def test_kernel_source_does_not_depend_on_process_history():
    env = dict(os.environ, PYTHONHASHSEED="0")
    outs = []
    for history, seed in (("quiet", "0"), ("busy", "12345")):
        env["PYTHONHASHSEED"] = seed
        res = subprocess.run([sys.executable, "-c", _DETERMINISM, history], env=env,
                             capture_output=True, text=True, timeout=300, check=True)
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert "def k0(" in outs[0]
