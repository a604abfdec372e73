"""``et.profile``, ``eqsat-tensor profile`` and the benchmark runner (tiny sizes)."""

from __future__ import annotations

import json

import numpy as np

import eqsat_tensor as et
from benchmarks.runner import render, run_all, save_json
from benchmarks.workloads import softmax_rows
from eqsat_tensor.cli import main


def test_profile_reports_every_plan_step():
    f = et.jit(lambda x, y: np.exp(x) @ y + 1.0, backend="numba")
    x, y = np.random.rand(8, 6), np.random.rand(6, 5)
    prof = et.profile(f, x, y, repeats=3, show=False)
    exe = f.lower(x, y).executable
    assert len(prof.steps) == len(exe.plan.steps) == 2  # exp kernel, then matmul + epilogue
    assert all(s.seconds > 0 and s.bytes > 0 for s in prof.steps)
    assert prof.steps[1].kind == "elementwise + matmul"
    assert prof.bandwidth > 0 and prof.total_seconds > 0
    assert "profile of" in str(prof.table().title)


def test_profile_command_prints_a_table(capsys):
    assert main(["profile", "softmax_rows", "--quick", "--repeats", "2"]) == 0
    out = capsys.readouterr().out
    assert "k0" in out and "GB/s" in out


def test_profile_accepts_a_plain_function():
    x = np.random.rand(4, 7)
    prof = et.profile(lambda x: softmax_rows(np, x), x, repeats=2, show=False)
    assert len(prof.steps) == 1 and prof.steps[0].kind == "reduction"


def test_benchmark_runner_quick(tmp_path):
    report = run_all(["arith_chain", "sum_of_squares"], quick=True, repeats=2,
                     peers=["numpy", "numexpr", "eqsat"])
    (r1, r2) = report["results"]
    assert set(r1["run"]) == {"numpy", "numexpr", "eqsat"} and not r1["skipped"]
    assert r1["ratio_vs_numpy"] > 0 and r1["pct_of_bandwidth_bound"] > 0
    assert r2["compile"]["eqsat"] > 0
    save_json(report, tmp_path / "bench.json")
    assert json.loads((tmp_path / "bench.json").read_text())["results"][0]["workload"] == \
        "arith_chain"
    assert render(report).row_count == 2
