"""``et.jit``'s tiered first calls (the default on Numba; the suite's conftest turns the
default off, so these tests ask for it): the NumPy reference answers while Numba compiles
in the background, then the compiled kernels take over with the same dtypes, shapes,
result types, values (to rounding) and exceptions. No test depends on timing: the compile
is waited for (``f.wait()``) or held back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
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
    assert f.wait(300)  # the compiled executable replaced the tiered one in the cache
    assert isinstance(f.lower(x, y).executable, numba_cpu.NumbaExecutable)
    np.testing.assert_allclose(f(x, y), want, rtol=1e-13)
    before = numba_cpu.compiled_specializations()
    x2, y2 = np.linspace(-3, 3, 77), np.linspace(0, 1, 77)
    np.testing.assert_allclose(f(x2, y2), np.log1p(np.exp(x2)) * y2 - x2, rtol=1e-13)
    assert numba_cpu.compiled_specializations() == before
    assert not et.jit(lambda x: x + 1.0, tiered=False).tiered


def test_tiered_is_the_default_unless_the_environment_turns_it_off(monkeypatch):
    monkeypatch.delenv("EQSAT_TENSOR_TIERED", raising=False)
    assert et.jit(lambda x: x + 1.0).tiered
    for off in ("0", "false", "No", "off"):
        monkeypatch.setenv("EQSAT_TENSOR_TIERED", off)
        assert not et.jit(lambda x: x + 1.0).tiered
    monkeypatch.setenv("EQSAT_TENSOR_TIERED", "1")
    assert et.jit(lambda x: x + 1.0).tiered


def _gather(x, i):
    return np.exp(x[i]) * 2.0


# (function, argument builder): elementwise, reductions to 0-d, matmul, several outputs,
# integer arguments and results, float32, gathers, scans, 2-d layouts
CORPUS = {
    "softplus": (lambda x, y: np.log(1 + np.exp(x)) * y - x,
                 lambda r: (r.standard_normal(40), r.random(40))),
    "sum_0d": (lambda x: np.sum(np.tanh(x) ** 2), lambda r: (r.standard_normal(33),)),
    "mean_axis": (lambda x: np.mean(np.exp(x), axis=0), lambda r: (r.standard_normal((7, 5)),)),
    "matvec": (lambda X, w: np.log1p(np.exp(X @ w)), lambda r: (r.standard_normal((9, 3)),
                                                                r.standard_normal(3))),
    "two_outputs": (lambda x: (np.max(x), x - np.max(x)), lambda r: (r.standard_normal(12),)),
    "int_result": (lambda i: i * 3 + 1, lambda r: (np.arange(6, dtype=np.int64),)),
    "float32": (lambda x: np.sqrt(x * x + np.float32(1.0)),
                lambda r: (r.standard_normal(10).astype(np.float32),)),
    "gather": (_gather, lambda r: (r.standard_normal((4, 3)), np.array([3, 0, -1]))),
    "cumsum": (lambda x: np.cumsum(x * 2.0, axis=-1), lambda r: (r.standard_normal((3, 6)),)),
    "fortran": (lambda A: np.exp(A) + A.sum(axis=1, keepdims=True),
                lambda r: (np.asfortranarray(r.standard_normal((5, 4))),)),
}


def _same_contract(got, want):
    """Same result type, dtype and shape, values to rounding."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same_contract(g, w)
        return
    assert type(got) is type(want)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12 if np.asarray(want).dtype != np.float32
                               else 1e-5, atol=1e-300)


@pytest.fixture()
def held_compiles(monkeypatch):
    """Background compiles wait for the returned event: the first calls surely run on the
    reference, whatever the machine's speed."""
    gate = threading.Event()
    run = TieredExecutable._compile_in_thread

    def held(self, sample, dims):
        gate.wait(300)
        run(self, sample, dims)

    monkeypatch.setattr(TieredExecutable, "_compile_in_thread", held)
    yield gate
    gate.set()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_the_first_call_keeps_the_compiled_backends_contract(name, held_compiles):
    fn, make = CORPUS[name]
    args = make(np.random.default_rng(len(name)))
    untiered = et.jit(fn, tiered=False, disk_cache=False)(*args)
    f = et.jit(fn, tiered=True, disk_cache=False)
    first = f(*args)  # the NumPy reference (the compile is held back)
    exe = f.lower(*args).executable
    assert isinstance(exe, TieredExecutable) and exe.compiled is None
    again = f(*args)
    held_compiles.set()
    assert f.wait(300)
    later = f(*args)  # the compiled kernels
    assert isinstance(f.lower(*args).executable, numba_cpu.NumbaExecutable)
    assert exe.compiled is f.lower(*args).executable
    _same_contract(again, untiered)
    _same_contract(first, untiered)
    _same_contract(later, untiered)


def test_errors_are_the_same_before_and_after_the_compile(held_compiles):
    f = et.jit(_gather, tiered=True, disk_cache=False)
    x = np.random.default_rng(1).standard_normal((4, 3))
    with pytest.raises(IndexError):  # on the reference; no compile starts from it
        f(x, np.array([0, 4]))
    assert f.lower(x, np.array([0, 1])).executable._thread is None
    np.testing.assert_allclose(f(x, np.array([1, 2])), np.exp(x[[1, 2]]) * 2.0)
    with pytest.raises(IndexError):  # still the reference (the compile is held back)
        f(x, np.array([-5, 0]))
    held_compiles.set()
    assert f.wait(300)
    assert isinstance(f.lower(x, np.array([0, 1])).executable, numba_cpu.NumbaExecutable)
    with pytest.raises(IndexError):  # on the compiled kernels
        f(x, np.array([0, 4]))
    for tiered in (True, False):  # a shape error comes from tracing: the same either way
        g = et.jit(lambda a, b: np.exp(a) * b, tiered=tiered, disk_cache=False)
        with pytest.raises(et.errors.ShapeError, match=r"\(3,\).*\(4,\)"):
            g(np.ones(3), np.ones(4))
    big = np.array([2**60, 0], dtype=np.int64)
    with pytest.raises(et.errors.DTypeError):
        et.jit(lambda i: i + 1, tiered=True, disk_cache=False)(big)


def test_compile_counts_do_not_depend_on_timing():
    """One compilation per shape class, whether the compile has finished or not when the
    next sizes arrive: waiting makes the count exact."""
    f = et.jit(lambda x: np.tanh(x) * 3.0 + 1.0, tiered=True, disk_cache=False)
    before = numba_cpu.compiled_specializations()
    a = np.linspace(-1, 1, 20)
    np.testing.assert_allclose(f(a), np.tanh(a) * 3.0 + 1.0)
    assert f.wait(300)
    compiled = numba_cpu.compiled_specializations()
    assert compiled > before  # the background thread compiled
    for n in (21, 5, 300):
        b = np.linspace(-2, 2, n)
        np.testing.assert_allclose(f(b), np.tanh(b) * 3.0 + 1.0, rtol=1e-13)
    assert f.wait(300)
    assert numba_cpu.compiled_specializations() == compiled
    assert f.cache_info()["executables"] == 1


def test_source_before_any_call_is_the_numba_source():
    f = et.jit(lambda x: np.exp(x) + 1.0, tiered=True, disk_cache=False)
    assert "def k0" in f.source(np.ones(3))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_waits_for_a_running_compile_and_the_child_computes():
    code = textwrap.dedent("""
        import os, numpy as np, eqsat_tensor as et
        f = et.jit(lambda x: np.log1p(np.exp(x)) * 2.0, tiered=True, disk_cache=False)
        a = np.linspace(-3, 3, 64)
        f(a)                      # starts the background compile
        pid = os.fork()           # waits for it (no inherited compiler lock)
        if pid == 0:
            ok = np.allclose(f(a), np.log1p(np.exp(a)) * 2.0) and f.wait(60)
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status), f.wait(0))
    """)
    env = dict(os.environ, EQSAT_TENSOR_TIERED="1")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["child", "0", "True"]
