"""``et.jit(..., tiered=True)``: the NumPy reference answers while Numba compiles in the
background, then the compiled kernels take over."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import numba_cpu, numpy_ref
from eqsat_tensor.ir import Graph
from eqsat_tensor.jit_tiered import TieredExecutable


def _graph() -> Graph:
    x = et.tensor("x", ("n",))
    return Graph([(et.tanh(x) * 2.0 + et.exp(x)).node], [x.node])


def test_the_reference_answers_until_the_compiled_kernels_are_ready():
    g = _graph()
    release, built = threading.Event(), []

    def build():
        release.wait(60)
        exe = numba_cpu.compile(g, disk_cache=False)
        built.append(exe)
        return exe

    tiered = TieredExecutable(numpy_ref.compile(g), build)
    a = np.linspace(-2, 2, 101)
    want = np.tanh(a) * 2.0 + np.exp(a)
    for _ in range(3):  # the compile is held back: every call is the reference's
        np.testing.assert_array_equal(tiered.run([a], {"n": 101})[0],
                                      numpy_ref.compile(g).run([a], {"n": 101})[0])
    assert tiered.compiled is None and not built
    release.set()
    assert tiered.wait(120)
    assert tiered.compiled is built[0]
    np.testing.assert_allclose(tiered.run([a], {"n": 101})[0], want, rtol=1e-14)
    assert "def k0" in tiered.source()


def test_a_failed_background_compile_warns_once_and_keeps_the_reference():
    g = _graph()

    def build():
        raise RuntimeError("no compiler today")

    tiered = TieredExecutable(numpy_ref.compile(g), build)
    a = np.linspace(-1, 1, 7)
    with pytest.warns(RuntimeWarning, match="no compiler today"):
        tiered.run([a], {"n": 7})
        tiered.wait(60)
    np.testing.assert_allclose(tiered.run([a], {"n": 7})[0], np.tanh(a) * 2.0 + np.exp(a))
    assert tiered.compiled is None and isinstance(tiered.error, RuntimeError)


def test_tiered_jit_switches_to_numba_and_a_new_size_does_not_recompile():
    f = et.jit(lambda x, y: np.log(1 + np.exp(x)) * y - x, tiered=True, disk_cache=False)
    x, y = np.linspace(-3, 3, 50), np.linspace(0, 1, 50)
    want = np.log1p(np.exp(x)) * y - x
    np.testing.assert_allclose(f(x, y), want, rtol=1e-13)
    entry = f.lower(x, y)
    assert isinstance(entry.executable, TieredExecutable)
    assert entry.executable.wait(300)
    assert isinstance(entry.executable.compiled, numba_cpu.NumbaExecutable)
    np.testing.assert_allclose(f(x, y), want, rtol=1e-13)
    before = numba_cpu.compiled_specializations()
    x2, y2 = np.linspace(-3, 3, 77), np.linspace(0, 1, 77)
    np.testing.assert_allclose(f(x2, y2), np.log1p(np.exp(x2)) * y2 - x2, rtol=1e-13)
    assert numba_cpu.compiled_specializations() == before
    assert not et.jit(lambda x: x + 1.0).tiered  # off unless asked for
