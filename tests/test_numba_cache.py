"""In-memory and on-disk caching of the numba backend: hits, misses, corrupted entries."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import numba_cache, numba_cpu
from eqsat_tensor.ir import Graph


def _graph() -> Graph:
    x = et.tensor("x", (6,))
    y = et.tensor("y", (6,))
    return Graph([(et.tanh(x) * y + et.sum(x * y)).node], [x.node, y.node])


def _forget(exe: numba_cpu.NumbaExecutable) -> str:
    """Drop everything this process holds in memory, as a fresh process would start."""
    name = exe._variants["C"].name
    numba_cpu._EXECUTABLES.clear()
    sys.modules.pop(name, None)
    return name


def _dispatchers(exe):
    return [d for d in exe.compiled_kernels().values() if d.signatures]


@pytest.fixture()
def cache_dir(tmp_path):
    """A fresh cache directory, and no generated module of ours in memory."""
    numba_cpu._EXECUTABLES.clear()
    for name in [m for m in sys.modules if m.startswith("et_")]:
        del sys.modules[name]
    return tmp_path / "cache"


def test_memory_cache_returns_the_same_executable(cache_dir):
    g = _graph()
    a = numba_cpu.compile(g, cache_dir=cache_dir)
    assert numba_cpu.compile(g, cache_dir=cache_dir) is a
    assert numba_cpu.compile(g, cache_dir=cache_dir, fastmath=True) is not a


def test_disk_cache_hit_after_restart(cache_dir):
    g = _graph()
    x, y = np.linspace(-1, 1, 6), np.arange(6.0)
    want = np.tanh(x) * y + np.sum(x * y)
    exe = numba_cpu.compile(g, cache_dir=cache_dir)
    np.testing.assert_allclose(exe(x, y), want)
    name = _forget(exe)
    assert (cache_dir / f"{name}.py").exists() and (cache_dir / f"{name}.manifest.json").exists()
    assert any(p.suffix == ".nbi" for p in numba_cache.numba_files(cache_dir, name))

    exe2 = numba_cpu.compile(g, cache_dir=cache_dir)
    assert exe2 is not exe
    np.testing.assert_allclose(exe2(x, y), want)
    assert sum(d.stats.cache_hits.total() for d in _dispatchers(exe2)) > 0
    assert sum(d.stats.cache_misses.total() for d in _dispatchers(exe2)) == 0


@pytest.mark.parametrize("target", ["nbi", "nbc", "py", "manifest"])
def test_corrupted_entries_are_recompiled(cache_dir, target):
    g = _graph()
    x, y = np.linspace(-1, 1, 6), np.arange(6.0)
    want = np.tanh(x) * y + np.sum(x * y)
    exe = numba_cpu.compile(g, cache_dir=cache_dir)
    exe(x, y)
    name = _forget(exe)
    if target == "py":
        victims = [cache_dir / f"{name}.py"]
    elif target == "manifest":
        victims = [cache_dir / f"{name}.manifest.json"]
    else:
        victims = [p for p in numba_cache.numba_files(cache_dir, name) if p.suffix == f".{target}"]
    assert victims
    for p in victims:
        p.write_bytes(b"garbage, not what was cached")

    exe2 = numba_cpu.compile(g, cache_dir=cache_dir)
    np.testing.assert_allclose(exe2(x, y), want)
    assert sum(d.stats.cache_hits.total() for d in _dispatchers(exe2)) == 0
    # and the rewritten entries are trusted again next time
    _forget(exe2)
    exe3 = numba_cpu.compile(g, cache_dir=cache_dir)
    np.testing.assert_allclose(exe3(x, y), want)
    assert sum(d.stats.cache_hits.total() for d in _dispatchers(exe3)) > 0


def test_cache_directory_can_be_deleted(cache_dir):
    import shutil

    g = _graph()
    x, y = np.ones(6), np.ones(6)
    exe = numba_cpu.compile(g, cache_dir=cache_dir)
    exe(x, y)
    _forget(exe)
    shutil.rmtree(cache_dir)
    np.testing.assert_allclose(numba_cpu.compile(g, cache_dir=cache_dir)(x, y),
                               np.tanh(1.0) + 6.0)
