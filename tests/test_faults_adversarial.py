"""Fault and load checks beyond tests/test_faults_load.py (issue #28): every kind of
corrupted or replaced graph-cache entry, a graph cache that cannot be written, a fork from
a thread of a process that used the optimizer and parallel kernels, and a budget under a
rule file whose constants grow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor import graph_cache
from eqsat_tensor.ir import Graph

linux = pytest.mark.skipif(sys.platform != "linux", reason="fork, FIFOs, /dev/zero")


@pytest.fixture
def graph_cache_dir(tmp_path, monkeypatch):
    """The graph cache on, in ``tmp_path/graphs``; the module's state restored after."""
    monkeypatch.setenv("EQSAT_TENSOR_GRAPH_CACHE", "1")
    monkeypatch.setenv("EQSAT_TENSOR_CACHE_DIR", str(tmp_path))
    saved = (list(graph_cache._DIR), dict(graph_cache._MEMORY))
    graph_cache._DIR.clear()
    graph_cache._MEMORY.clear()
    yield tmp_path / "graphs"
    graph_cache._DIR[:] = saved[0]
    graph_cache._MEMORY.clear()
    graph_cache._MEMORY.update(saved[1])


def _graph(k: float) -> Graph:
    x = et.tensor("x", (4,))
    return Graph([(et.log(1 + et.exp(x)) * k + x * 0.0).node], [x.node])


def _value(g: Graph) -> np.ndarray:
    a = np.array([-2.0, 0.5, 3.0, 40.0])
    out = et.compile(g, backend="numpy")(a)
    return np.asarray(out[0] if isinstance(out, (list, tuple)) else out)


def _corruptions(entry: bytes, other: bytes) -> dict:
    """Each way an entry can be damaged: name -> function(path) that damages it."""
    doc = json.loads(entry)

    def write(data: bytes):
        return lambda p: p.write_bytes(data)

    def edited(fn):
        d = json.loads(entry)
        fn(d)
        return write(json.dumps(d).encode())

    def flip_constant(d):  # a plausible, well-formed wrong entry: a constant changed
        for row in d["graph"]["nodes"]:
            if row[0] == "constant":
                text = json.dumps(row[2])
                row[2] = json.loads(text.replace("1.0", "7.0").replace("2.5", "9.5"))
        d["graph"]["nodes"].append(d["graph"]["nodes"][-1])

    kinds = {
        "empty": write(b""),
        "truncated": write(entry[: len(entry) // 2]),
        "garbage": write(os.urandom(300)),
        "not utf-8": write(b"\xff\xfe" + entry),
        "null": write(b"null"),
        "list": write(b"[]"),
        "empty object": write(b"{}"),
        "deeply nested": write(b"[" * 200_000 + b"]" * 200_000),
        "old format": edited(lambda d: d.update(format=0)),
        "wrong key": edited(lambda d: d.update(key="0" * 64)),
        "other entry": write(other),
        "no digest": edited(lambda d: d.pop("digest")),
        "edited constant": edited(flip_constant),
        "node out of range": edited(lambda d: d["graph"]["outputs"].__setitem__(0, 10**6)),
        "bad op": edited(lambda d: d["graph"]["nodes"][0].__setitem__(0, "no_such_op")),
        "report not a dict": edited(lambda d: d.update(report=[1, 2])),
        "directory": lambda p: (p.unlink(), p.mkdir()),
    }
    if sys.platform == "linux":
        kinds["fifo"] = lambda p: (p.unlink(), os.mkfifo(p))
        kinds["symlink to /dev/zero"] = lambda p: (p.unlink(), p.symlink_to("/dev/zero"))
        kinds["dangling symlink"] = lambda p: (p.unlink(), p.symlink_to(p.parent / "gone"))
    assert doc["digest"]
    return kinds


def test_every_kind_of_damaged_graph_cache_entry_is_a_miss(graph_cache_dir):
    """Each damaged entry costs one optimization: the result is the right one, nothing
    raises or hangs, and a damaged regular file is replaced by a good entry."""
    want = _value(_graph(2.5))
    et.optimize(_graph(2.5))
    (path,) = graph_cache_dir.glob("*.json")
    entry = path.read_bytes()
    et.optimize(_graph(1.0))
    other = next(p for p in graph_cache_dir.glob("*.json") if p != path).read_bytes()
    for name, damage in _corruptions(entry, other).items():
        graph_cache._MEMORY.clear()
        if path.is_dir() and not path.is_symlink():
            path.rmdir()
        elif path.exists() or path.is_symlink():
            path.unlink()
        path.write_bytes(entry)
        damage(path)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            res = et.optimize(_graph(2.5))
        np.testing.assert_allclose(_value(res.graph), want, rtol=1e-12, err_msg=name)
        if path.is_file() and not path.is_symlink():
            doc = json.loads(path.read_bytes())
            assert doc.get("digest") and doc["key"] == path.stem, name
    # the good entry is used: a hit gives the same graph without optimizing
    path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()
    path.write_bytes(entry)
    graph_cache._MEMORY.clear()
    hit = graph_cache.lookup(path.stem, _graph(2.5))
    assert hit is not None
    np.testing.assert_allclose(_value(hit[0]), want, rtol=1e-12)


_UNWRITABLE = textwrap.dedent("""
    import os, resource, sys, warnings
    import numpy as np
    import eqsat_tensor as et
    x = et.tensor("x", (4,))
    a = np.array([-2.0, 0.5, 3.0, 40.0])
    et.optimize(et.exp(x) * 2.0)  # the cache directory exists and works
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (16, hard))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(3):
            res = et.optimize(et.log(1 + et.exp(x)) * float(k + 3))
            got = et.compile(res.graph, backend="numpy")(a)
            got = got[0] if isinstance(got, (list, tuple)) else got
            assert np.allclose(got, np.log1p(np.exp(a)) * (k + 3), rtol=1e-12), got
            assert not res.report.fallback  # egglog's insertion files need no disk either
    n = sum("graph cache" in str(w.message) for w in caught)
    assert len(caught) == n, [str(w.message) for w in caught]
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
    et.optimize(et.tanh(x) * 5.0)  # space is back: written again
    print("warnings", n)
""")


def test_graph_cache_writes_that_fail_warn_once_and_leave_no_partial_entry(tmp_path):
    env = dict(os.environ, EQSAT_TENSOR_CACHE_DIR=str(tmp_path), EQSAT_TENSOR_GRAPH_CACHE="1")
    res = subprocess.run([sys.executable, "-c", _UNWRITABLE], env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "warnings 1" in res.stdout
    entries = list((tmp_path / "graphs").glob("*"))
    assert not [p for p in entries if p.suffix != ".json"]  # no temp file left
    for p in entries:
        assert json.loads(p.read_text())["key"] == p.stem
    assert len(entries) == 2  # the entry before the limit and the one after it


_FORK_FROM_THREAD = textwrap.dedent("""
    import multiprocessing, sys, threading, warnings
    import numpy as np
    import eqsat_tensor as et

    def work(k):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            x = et.tensor("x", (5,))
            res = et.optimize(et.log(1 + et.exp(x)) * float(k))
            a = np.linspace(-1.0, 1.0, 5)
            got = et.compile(res.graph, backend="numpy")(a)
            got = got[0] if isinstance(got, (list, tuple)) else got
            f = et.jit(lambda v: np.tanh(v) * float(k) + np.sum(v))
            b = np.linspace(0.0, 2.0, 7)
            ok = (np.allclose(got, np.log1p(np.exp(a)) * k, rtol=1e-12)
                  and np.allclose(f(b), np.tanh(b) * k + b.sum(), rtol=1e-12))
            return ok, res.report.fallback

    x = et.tensor("x", (4,))
    et.optimize(et.log(1 + et.exp(x)))  # egglog used in the parent
    g = et.jit(lambda v: np.exp(v) * 2.0, backend="numba", parallel_min=0)
    v = np.linspace(0, 1, 100)
    assert np.allclose(g(v), np.exp(v) * 2.0)  # Numba's threads started
    out = []

    def from_thread():
        with multiprocessing.get_context("fork").Pool(2) as pool:
            out.extend(pool.map_async(work, [1, 2, 3]).get(timeout=300))

    t = threading.Thread(target=from_thread)
    t.start()
    t.join()
    assert out and all(ok and not fb for ok, fb in out), out
    assert np.allclose(g(v), np.exp(v) * 2.0)
    print("ok", len(out))
""")


@linux
def test_a_fork_pool_started_from_a_thread_optimizes_and_jits():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a threaded process
        res = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "-c",
                              _FORK_FROM_THREAD], capture_output=True, text=True,
                             timeout=600, env=dict(os.environ, EQSAT_TENSOR_GRAPH_CACHE="0"))
    assert res.returncode == 0, res.stderr[-3000:]
    assert "ok 3" in res.stdout


_GROWING = """
rule grow-mul: x * c => (x * (c * 2.0)) * 0.5 if const(c)
rule grow-add: x + c => (x + (c + 1.0)) - 1.0 if const(c)
"""


@pytest.mark.parametrize("n", [120, pytest.param(615, marks=pytest.mark.slow)])
def test_a_rule_file_whose_constants_grow_stops_on_a_limit(n):
    from eqsat_tensor.egraph.budget import ITERATION_LIMIT, NODE_LIMIT, TIME_LIMIT
    from eqsat_tensor.rulelang import default_rules, load_rules
    from eqsat_tensor.rulelang.ast import RuleSet
    from eqsat_tensor.testing.graphs import EXPLOSIVE_RULES, random_dag

    base = default_rules()
    user = load_rules(EXPLOSIVE_RULES + _GROWING)
    rules = RuleSet("growing", base.rules + user.rules, base.vjps, base.files)
    g = random_dag(n, seed=5)
    budget = et.Budget(seconds=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the user rules are unsound
        res = et.optimize(g, rules=rules, budget=budget, fallback=False, check_rules=False)
    assert res.report.stop_reason in (ITERATION_LIMIT, NODE_LIMIT, TIME_LIMIT)
    assert res.report.egraph_nodes <= 3 * budget.node_cap(len(g))
    rng = np.random.default_rng(0)
    arrays = [rng.uniform(0.5, 1.5, 4) for _ in g.inputs]
    from eqsat_tensor.backends.numpy_ref import evaluate

    want, got = evaluate(g, arrays, {"n": 4}), evaluate(res.graph, arrays, {"n": 4})
    np.testing.assert_allclose(got[0], want[0], rtol=1e-6)


# -- the kernel cache: every kind of file put in an entry's place ------------------------------


def _kernel_graph() -> Graph:
    x = et.tensor("x", (6,))
    y = et.tensor("y", (6,))
    return Graph([(et.tanh(x) * y + et.sum(x * y)).node], [x.node, y.node])


def _forget_kernels(exe) -> str:
    from eqsat_tensor.backends import numba_cpu

    name = exe._variants["C"].name
    numba_cpu._EXECUTABLES.clear()
    sys.modules.pop(name, None)
    return name


def _replace(p, how: str) -> None:
    if how == "empty":
        p.write_bytes(b"")
    elif how == "truncated":
        p.write_bytes(p.read_bytes()[: max(1, p.stat().st_size // 3)])
    else:
        p.unlink()
        if how == "fifo":
            os.mkfifo(p)
        elif how == "/dev/zero":
            p.symlink_to("/dev/zero")
        elif how == "directory":
            p.mkdir()
            (p / "inside").write_text("x")


_KINDS = ["empty", "truncated", "fifo", "/dev/zero", "directory"]


@linux
@pytest.mark.parametrize("target, how", [
    ("manifest", "fifo"), ("nbi", "/dev/zero"),
    *[pytest.param(t, h, marks=pytest.mark.slow) for t in ("py", "manifest", "nbi", "nbc")
      for h in _KINDS if (t, h) not in (("manifest", "fifo"), ("nbi", "/dev/zero"))],
])
def test_any_file_in_a_kernel_cache_entrys_place_costs_one_recompile(tmp_path, target, how):
    from eqsat_tensor.backends import numba_cache, numba_cpu

    numba_cpu._EXECUTABLES.clear()
    for mod in [m for m in sys.modules if m.startswith("et_")]:
        del sys.modules[mod]
    cache = tmp_path / "cache"
    g = _kernel_graph()
    x, y = np.linspace(-1, 1, 6), np.arange(6.0)
    want = np.tanh(x) * y + np.sum(x * y)
    exe = numba_cpu.compile(g, cache_dir=cache)
    exe(x, y)
    name = _forget_kernels(exe)
    if target == "py":
        victims = [cache / f"{name}.py"]
    elif target == "manifest":
        victims = [cache / f"{name}.manifest.json"]
    else:
        victims = [p for p in numba_cache.numba_files(cache, name) if p.suffix == f".{target}"]
    assert victims
    for p in victims:
        _replace(p, how)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exe2 = numba_cpu.compile(g, cache_dir=cache)
        np.testing.assert_allclose(exe2(x, y), want)
    _forget_kernels(exe2)  # and the entry is good again
    exe3 = numba_cpu.compile(g, cache_dir=cache)
    np.testing.assert_allclose(exe3(x, y), want)
    hits = [d.stats.cache_hits.total() for d in exe3.compiled_kernels().values() if d.signatures]
    assert sum(hits) > 0


# -- concurrent writers ------------------------------------------------------------------------

_SAME_WORK = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    import eqsat_tensor as et
    from eqsat_tensor import optimizer
    warnings.simplefilter("error", RuntimeWarning)  # no cache warning, no fallback
    numba, reader = sys.argv[1] == "numba", sys.argv[2] == "reader"
    if reader:  # everything must come from the caches: optimizing would raise
        def no(*a, **k):
            raise AssertionError("optimized again: the graph cache missed")
        optimizer._optimize = no
    x = et.tensor("x", (6,))
    res = et.optimize(et.log(1.0 + et.exp(x)) * 3.0 - x * 0.5, budget=et.Budget(seconds=60))
    a = np.linspace(-4, 4, 6)
    exe = et.compile(res.graph, backend="numba" if numba else "numpy")
    out = exe(a)
    out = out[0] if isinstance(out, (list, tuple)) else out
    assert np.allclose(out, np.log1p(np.exp(a)) * 3.0 - a * 0.5, rtol=1e-12), out
    if numba and reader:
        hits = sum(d.stats.cache_hits.total() for d in exe.compiled_kernels().values()
                   if d.signatures)
        misses = sum(d.stats.cache_misses.total() for d in exe.compiled_kernels().values()
                     if d.signatures)
        assert hits > 0 and misses == 0, (hits, misses)
    print("ok")
""")


@linux
@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=pytest.mark.slow)])
def test_four_processes_writing_one_cache_at_once_then_a_fifth_reads(tmp_path, backend):
    env = dict(os.environ, EQSAT_TENSOR_CACHE_DIR=str(tmp_path), EQSAT_TENSOR_GRAPH_CACHE="1",
               NUMBA_CACHE_DIR=str(tmp_path))
    procs = [subprocess.Popen([sys.executable, "-c", _SAME_WORK, backend, "writer"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    for p in procs:
        out, err = p.communicate(timeout=900)
        assert p.returncode == 0 and out.strip() == "ok", err[-3000:]
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    done = subprocess.run([sys.executable, "-c", _SAME_WORK, backend, "reader"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]


# -- a full and a read-only file system (a tiny tmpfs in a private mount namespace) -----------

_FULL_DISK = textwrap.dedent("""
    import os, sys, warnings
    import numpy as np
    mode, mnt = sys.argv[1], sys.argv[2]
    if mode == "full":  # fill the file system to the last byte
        for name, chunk in (("filler", 4096), ("filler2", 1)):
            fd = os.open(os.path.join(mnt, name), os.O_WRONLY | os.O_CREAT)
            try:
                while True:
                    os.write(fd, b"x" * chunk)
            except OSError:
                pass
            os.close(fd)
    import eqsat_tensor as et
    a = np.linspace(-3, 3, 7)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x = et.tensor("x", (7,))
        res = et.optimize(et.log(1.0 + et.exp(x)) * 2.0 - x)
        assert not res.report.fallback
        out = et.compile(res.graph, backend="numba")(a)
        out = out[0] if isinstance(out, (list, tuple)) else out
        assert np.allclose(out, np.log1p(np.exp(a)) * 2.0 - a, rtol=1e-12), out
        f = et.jit(lambda v: np.sqrt(v * v + 1.0) * 3.0, backend="numba")
        assert np.allclose(f(a), np.sqrt(a * a + 1.0) * 3.0, rtol=1e-12)
        assert np.allclose(f(a[:3]), np.sqrt(a[:3] ** 2 + 1.0) * 3.0, rtol=1e-12)
    msgs = sorted({str(w.message).split(" in ")[0] for w in caught})
    print("warnings", len(caught), msgs)
    if mode == "full":
        os.unlink(os.path.join(mnt, "filler"))  # space is back: entries are written again
        os.unlink(os.path.join(mnt, "filler2"))
        et.optimize(et.tanh(x) * 5.0)
        et.jit(lambda v: np.cos(v) * 2.0, backend="numba")(a)
    print("ok")
""")


def _can_mount() -> bool:
    if sys.platform != "linux" or not os.path.exists("/usr/bin/unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount -t tmpfs -o size=64k tmpfs /mnt && umount /mnt"],
                           capture_output=True, timeout=60)
    return probe.returncode == 0


@pytest.mark.parametrize("mode", ["full", "read-only"])
def test_a_full_or_read_only_file_system_costs_a_warning_never_a_result(tmp_path, mode):
    if not _can_mount():
        pytest.skip("cannot mount a tmpfs here (RLIMIT_FSIZE variants cover the writes)")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    opts = "size=256k" if mode == "full" else "ro,size=256k"
    env = dict(os.environ, EQSAT_TENSOR_CACHE_DIR=str(mnt / "cache"), NUMBA_CACHE_DIR=str(
        mnt / "numba"), EQSAT_TENSOR_GRAPH_CACHE="1", TMPDIR=str(mnt),
        XDG_CACHE_HOME=str(mnt / "xdg"))
    script = tmp_path / "script.py"
    script.write_text(_FULL_DISK)
    if mode == "full":
        (mnt / "cache").mkdir()
    cmd = (f"mount -t tmpfs -o {opts} tmpfs {mnt} && "
           f"{{ [ {mode} = read-only ] || mkdir -p {mnt}/cache; }} && "
           f"exec {sys.executable} {script} {mode} {mnt}")
    res = subprocess.run(["unshare", "-m", "sh", "-c", cmd], env=env, capture_output=True,
                         text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().endswith("ok"), res.stdout
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("warnings"))
    assert "optimizer failed" not in line and "Error" not in line.split("[")[0]
    # one warning per cache that could not be used (graph cache, kernel cache), no more
    assert int(line.split()[1]) <= 3, line
