"""A subset of the FPBench dev set (tests/data/accuracy, MIT-licensed expressions from
FPBench and Herbie): objective="accuracy" must cut the mean bits of error by 60 % and make
no case worse than naive by more than 0.5 bit, on fresh samples. The whole 53-case run is
benchmarks/bench_accuracy.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eqsat_tensor import accuracy
from eqsat_tensor.interop.fpcore import from_fpcore

DATA = Path(__file__).parent / "data" / "accuracy" / "fpbench-subset.json"


def _cases():
    return json.loads(DATA.read_text())["cases"]


@pytest.fixture(scope="module")
def results():
    out = {}
    for case in _cases():
        graph, info = from_fpcore(case["fpcore"])
        pre = {info.arguments[case["vars"].index(v)]: (lo, hi) for v, lo, hi in case["pre"]}
        res = accuracy.optimize_accuracy(graph, pre, "accuracy", n_samples=400,
                                         condition=info.condition)
        fresh = accuracy.sample(graph, pre, 400, seed=4242, condition=info.condition)
        out[case["id"]] = (accuracy.measure_accuracy(graph, fresh).total,
                           accuracy.measure_accuracy(res.graph, fresh).total, res)
    return out


def test_subset_has_attribution():
    about = json.loads(DATA.read_text())["about"]
    assert "FPBench" in about and "Herbie" in about and "MIT" in about
    assert (DATA.parent / "README.md").is_file()
    assert all(c["naive_bits"] >= 1 for c in _cases())


def test_mean_error_reduced_60_percent(results):
    before = sum(b for b, _, _ in results.values()) / len(results)
    after = sum(a for _, a, _ in results.values()) / len(results)
    assert before > 5
    assert after <= 0.4 * before, {k: (round(b, 2), round(a, 2)) for k, (b, a, _) in
                                   results.items()}


def test_no_case_worse_than_naive(results):
    for cid, (before, after, res) in results.items():
        assert after <= before + 0.5, (cid, before, after, str(res.graph))
