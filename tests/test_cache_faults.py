"""Caches are optional: unusable cache directories and failing cache writes cost a warning,
never a result."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np

import eqsat_tensor as et
from eqsat_tensor.backends import numba_cache, numba_cpu
from eqsat_tensor.ir import Graph


def _graph(n: int = 5) -> Graph:
    x = et.tensor("x", (n,))
    return Graph([(et.exp(x) * 2.0 + 1.0).node])


def test_a_file_where_the_cache_directory_should_be(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")
    numba_cache._RESOLVED.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exe = numba_cpu.compile(_graph(7), cache_dir=blocker)
        x = np.linspace(0, 1, 7)
        np.testing.assert_allclose(exe(x), np.exp(x) * 2.0 + 1.0)
        numba_cpu.compile(_graph(7), cache_dir=blocker)(x)
    msgs = [str(w.message) for w in caught if "cache directory" in str(w.message)]
    assert len(msgs) == 1 and str(blocker) in msgs[0]
    assert blocker.read_text() == "not a directory"
    assert exe.directory is not None and exe.directory != blocker


def test_a_directory_where_a_cache_file_should_be(tmp_path):
    numba_cpu._EXECUTABLES.clear()
    for mod in [m for m in sys.modules if m.startswith("et_")]:
        del sys.modules[mod]  # kernels of the same source may be loaded from elsewhere
    g = _graph(9)
    exe = numba_cpu.compile(g, cache_dir=tmp_path)
    name = exe._variants["C"].name
    numba_cpu._EXECUTABLES.clear()
    sys.modules.pop(name, None)
    (tmp_path / f"{name}.py").unlink()
    (tmp_path / f"{name}.py").mkdir()
    (tmp_path / f"{name}.manifest.json").unlink(missing_ok=True)
    (tmp_path / f"{name}.manifest.json").mkdir()
    x = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(numba_cpu.compile(g, cache_dir=tmp_path)(x),
                               np.exp(x) * 2.0 + 1.0)


_WRITE_FAILS = textwrap.dedent("""
    import resource, sys, warnings
    import numpy as np
    import eqsat_tensor as et
    from eqsat_tensor.backends import numba_cpu
    from eqsat_tensor.ir import Graph
    x = et.tensor("x", (11,))
    g = Graph([(et.tanh(x) * 3.0 + et.sum(x)).node])
    exe = numba_cpu.compile(g)  # noqa: the first write happens here or at the first call
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))  # every cache write now fails
    y = et.tensor("y", (11,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g2 = Graph([(et.log1p(et.exp(y)) - y * 0.25).node])
        f = et.jit(lambda v: np.sqrt(v * v + 1.0) * 2.0)
        a = np.linspace(-2, 2, 11)
        r1 = numba_cpu.compile(g2)(a)
        r2 = f(a)
    assert np.allclose(r1, np.log1p(np.exp(a)) - a * 0.25, rtol=1e-12), r1
    assert np.allclose(r2, np.sqrt(a * a + 1.0) * 2.0, rtol=1e-12), r2
    n = sum("kernel cache" in str(w.message) for w in caught)
    print("warnings", n)
""")


def test_cache_writes_that_fail_fall_back_to_memory(tmp_path):
    env = dict(os.environ, EQSAT_TENSOR_CACHE_DIR=str(tmp_path), NUMBA_CACHE_DIR=str(tmp_path))
    res = subprocess.run([sys.executable, "-c", _WRITE_FAILS], env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "warnings 1" in res.stdout
    leftovers = [p for p in tmp_path.rglob("*") if ".tmp" in p.name]
    assert not leftovers  # no partial entry
