"""The persistent optimized-graph cache: hit in a new process, corrupted entries rebuilt,
unwritable directories fall back to memory with one warning."""

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
from eqsat_tensor.backends import numpy_ref

_SCRIPT = textwrap.dedent("""
    import sys
    import eqsat_tensor as et
    x = et.tensor("x", ("n",))
    r = et.optimize(et.log(1 + et.exp(x)) * 2.0 - x / x)
    print("HIT" if any("persistent graph cache" in n for n in r.report.notes) else "MISS",
          "egglog.bindings" in sys.modules, len(r.rules.rules) > 100)
    print(r.graph)
""")


def test_a_second_process_skips_saturation(tmp_path):
    env = dict(os.environ, EQSAT_TENSOR_CACHE_DIR=str(tmp_path), EQSAT_TENSOR_GRAPH_CACHE="1")
    runs = [subprocess.run([sys.executable, "-c", _SCRIPT], env=dict(env, PYTHONHASHSEED=seed),
                           capture_output=True, text=True, timeout=300, check=True)
            for seed in ("1", "2")]  # the key must not depend on the hash seed
    outs = [r.stdout for r in runs]
    assert outs[0].startswith("MISS") and outs[1].startswith("HIT"), runs[1].stderr[-2000:]
    # a hit neither imports egglog nor parses the rules until asked (r.rules parses them)
    assert outs[0].split("\n")[0].split()[1:] == ["True", "True"]
    assert outs[1].split("\n")[0].split()[1:] == ["False", "True"]
    assert outs[0].split("\n", 1)[1] == outs[1].split("\n", 1)[1]  # the same graph


@pytest.fixture()
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EQSAT_TENSOR_GRAPH_CACHE", "1")
    monkeypatch.setattr(graph_cache, "_DIR", [tmp_path])
    monkeypatch.setattr(graph_cache, "_MEMORY", {})
    monkeypatch.setattr(graph_cache, "_WARNED", set())
    return tmp_path


_GENEROUS = et.Budget(seconds=120.0)


def _optimize_and_check():
    x = et.tensor("x", (5,))
    g = et.log(1 + et.exp(x)) * 3.0
    res = et.optimize(g, budget=_GENEROUS)  # a run cut short by the clock is not stored
    a = np.linspace(-3, 3, 5)
    np.testing.assert_allclose(numpy_ref.compile(res.graph)(a), np.log1p(np.exp(a)) * 3.0)
    return res


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"format": 1, "key": "x"}',
                                     b"\xff\xfe binary"])
def test_corrupted_entries_are_rebuilt(private_cache, garbage):
    _optimize_and_check()
    (entry,) = private_cache.glob("*.json")
    entry.write_bytes(garbage)
    res = _optimize_and_check()
    assert not any("persistent graph cache" in n for n in res.report.notes)
    assert json.loads(entry.read_text())["format"] == graph_cache.FORMAT  # rewritten
    assert any("persistent graph cache" in n for n in _optimize_and_check().report.notes)


def test_an_entry_for_another_graph_is_not_used(private_cache):
    _optimize_and_check()
    (entry,) = private_cache.glob("*.json")
    doc = json.loads(entry.read_text())
    doc["graph"]["nodes"][0][2] = [["name", "y"]]  # the input renamed: a foreign graph
    entry.write_text(json.dumps(doc))
    res = _optimize_and_check()
    assert not any("persistent graph cache" in n for n in res.report.notes)


def test_unwritable_directory_falls_back_to_memory(private_cache):
    private_cache.rmdir()  # the directory vanished: every write fails
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _optimize_and_check()
        res = _optimize_and_check()
    assert any("persistent graph cache" in n for n in res.report.notes)  # served by memory
    assert sum("graph cache" in str(w.message) for w in caught) == 1


def test_a_result_cut_short_by_the_clock_is_not_stored(private_cache):
    """A time-limited result depends on the load at the time: a later process with the same
    budget must optimize again instead of being served the cut-short graph."""
    x = et.tensor("x", (5,))
    g = et.log(1 + et.exp(x)) * 3.0
    cut = et.optimize(g, budget=et.Budget(seconds=1e-6))
    assert cut.report.stop_reason == "time limit"
    assert not list(private_cache.glob("*.json"))
    full = _optimize_and_check()  # a generous default budget: stored
    assert full.report.stop_reason != "time limit"
    assert len(list(private_cache.glob("*.json"))) == 1



def test_a_change_to_the_optimizer_code_is_a_miss(private_cache, monkeypatch):
    """A development checkout whose optimizer code changed (same version, same rules) must not
    be served entries the older code stored."""
    def hit() -> bool:
        x = et.tensor("x", (5,))
        res = et.optimize(et.log(1 + et.exp(x)) * 3.0, budget=_GENEROUS)
        return any("persistent graph cache" in n for n in res.report.notes)

    assert not hit() and hit()
    monkeypatch.setattr(graph_cache, "_MEMORY", {})
    monkeypatch.setattr(graph_cache, "_SHIPPED", [])
    monkeypatch.setattr(graph_cache, "_CODE", ["another version of the optimizer"])
    assert not hit()
