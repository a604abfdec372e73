"""Accuracy optimizer on the FPBench dev set: bits of error before/after, optimize time,
and the runtime of the optimized graphs against the naive ones.

For every case of ``shared/data/fpbench-dev.json`` (or ``tests/data/fpbench`` in the repo)
with at least ``--min-bits`` recorded naive error (53 cases at 1 bit):

1. import the FPCore (``interop.fpcore``), sampling box from the case's ``pre`` and the
   FPCore ``:pre`` as a condition;
2. ``optimize_accuracy(graph, pre, "accuracy")`` (timed) on ``--train`` samples;
3. measure naive and optimized mean bits of error on ``--test`` *fresh* samples (another
   seed) against the mpmath oracle;
4. time both graphs on the Numba backend when it is installed (else NumPy) on 1e5
   elements resampled from the test inputs.

``--hamming``: run instead the project's own set of classic Hamming-kind expressions
(``benchmarks/hamming_set.py``; its held-back cases reported apart), where each case also
counts as a regression if the optimized graph is worse than the naive one.

Prints a table and a summary and writes JSON (``--json``). Usage:
``python benchmarks/bench_accuracy.py [--limit N] [--ids a,b] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

FPCORE = os.path.join(ROOT, "tests", "data", "fpbench", "benchmarks.fpcore")
CASES = os.path.join(ROOT, "tests", "data", "fpbench", "cases.json")


def load_cases(min_bits: float) -> list[tuple[dict, object]]:
    """(case record, FPCore form) for the cases with at least ``min_bits`` naive error."""
    from eqsat_tensor.interop.fpcore import parse_fpcores

    text = open(FPCORE, encoding="utf-8").read()
    ids = re.findall(r";; id: (\S+)", text)
    forms = parse_fpcores(text, FPCORE)
    cases = {c["id"]: c for c in json.load(open(CASES, encoding="utf-8"))["cases"]}
    return [(cases[i], f) for i, f in zip(ids, forms) if cases[i]["naive_bits"] >= min_bits]


def run_case(case: dict, form: object, train: int, test: int, time_runtime: bool) -> dict:
    """Optimize one case and measure it (see the module docstring)."""
    from eqsat_tensor import accuracy
    from eqsat_tensor.commands.accuracy import runtime_ratio
    from eqsat_tensor.interop.fpcore import from_fpcore

    graph, info = from_fpcore(form)
    pre = {info.arguments[case["vars"].index(v)]: (lo, hi) for v, lo, hi in case["pre"]}
    t, c = time.perf_counter(), time.process_time()
    res = accuracy.optimize_accuracy(graph, pre, "accuracy", n_samples=train, seed=0,
                                     condition=info.condition)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    fresh = accuracy.sample(graph, pre, test, seed=12345, condition=info.condition)
    before = accuracy.measure_accuracy(graph, fresh).total
    after = accuracy.measure_accuracy(res.graph, fresh).total
    row = {"id": case["id"], "recorded_naive_bits": case["naive_bits"],
           "bits_before": round(before, 4), "bits_after": round(after, 4),
           "optimize_s": round(seconds, 4), "optimize_cpu_s": round(cpu, 4),
           "chosen": res.report.accuracy.chosen,
           "regimes": res.report.accuracy.regimes, "candidates":
               res.report.accuracy.candidates, "after": str(res.graph)}
    if time_runtime:
        backend, ratio = runtime_ratio(graph, res.graph, fresh.inputs)
        row["runtime_backend"], row["runtime_ratio"] = backend, round(ratio, 4)
    return row


def run_expression(cid: str, text: str, pre: dict, train: int, test: int) -> dict:
    """Optimize one expression of the Hamming set and measure it as ``run_case`` does."""
    from eqsat_tensor import accuracy
    from eqsat_tensor.interop.exprtext import parse_expression

    graph = parse_expression(text)
    t, c = time.perf_counter(), time.process_time()
    res = accuracy.optimize_accuracy(graph, pre, "accuracy", n_samples=train, seed=0)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    fresh = accuracy.sample(graph, pre, test, seed=12345)
    before = accuracy.measure_accuracy(graph, fresh).total
    after = accuracy.measure_accuracy(res.graph, fresh).total
    return {"id": cid, "expr": text, "bits_before": round(before, 4),
            "bits_after": round(after, 4), "optimize_s": round(seconds, 4),
            "optimize_cpu_s": round(cpu, 4), "chosen": res.report.accuracy.chosen,
            "regimes": res.report.accuracy.regimes, "after": str(res.graph)}


def hamming_rows(args: argparse.Namespace) -> list[dict]:
    """Rows of the Hamming set (``benchmarks/hamming_set.py``), each marked held out or not."""
    from benchmarks.hamming_set import CASES, HOLDOUT

    keep = set(args.ids.split(",")) if args.ids else None
    rows = []
    for cid, family, text, pre in CASES:
        if keep is not None and cid not in keep:
            continue
        if args.hamming_part == "dev" and cid in HOLDOUT:
            continue
        if args.hamming_part == "holdout" and cid not in HOLDOUT:
            continue
        try:
            row = run_expression(cid, text, pre, args.train, args.test)
        except Exception as exc:  # noqa: BLE001 - report and go on
            print(f"{cid:20s} ERROR {type(exc).__name__}: {exc}"[:120], flush=True)
            rows.append({"id": cid, "error": f"{type(exc).__name__}: {exc}"})
            continue
        row["family"], row["holdout"] = family, cid in HOLDOUT
        rows.append(row)
        print(f"{cid:20s} {row['bits_before']:7.2f} {row['bits_after']:7.2f} "
              f"{row['optimize_s']:6.2f} {row['optimize_cpu_s']:6.2f}  {row['after'][:70]}",
              flush=True)
    return rows


def hamming_summary(rows: list[dict]) -> dict:
    """Mean bits naive and optimized, on the development and held-out parts; cases worse
    than naive; optimize-time percentiles."""
    ok = [r for r in rows if "error" not in r]
    out: dict = {"cases": len(ok), "errors": len(rows) - len(ok)}
    for name, part in (("all", ok), ("dev", [r for r in ok if not r["holdout"]]),
                       ("holdout", [r for r in ok if r["holdout"]])):
        if part:
            out[f"{name}_cases"] = len(part)
            out[f"{name}_bits_before"] = round(statistics.mean(r["bits_before"] for r in part), 3)
            out[f"{name}_bits_after"] = round(statistics.mean(r["bits_after"] for r in part), 3)
    out["worse_than_naive"] = [r["id"] for r in ok if r["bits_after"] > r["bits_before"] + 0.05]
    times = sorted(r["optimize_s"] for r in ok)
    if times:
        out["optimize_s_median"] = round(statistics.median(times), 3)
        out["optimize_s_max"] = round(times[-1], 3)
        out["cases_over_10s"] = sum(t > 10 for t in times)
    return out


def split_summary(rows: list[dict]) -> dict:
    """Mean bits before/after on the development part (4 of 5 cases, in file order) and on
    the held-out part (every fifth case), and optimize-time percentiles."""
    out = {}
    parts = {"dev": [r for i, r in enumerate(rows) if i % 5 != 4],
             "heldout": [r for i, r in enumerate(rows) if i % 5 == 4]}
    for name, part in parts.items():
        if part:
            out[f"{name}_cases"] = len(part)
            out[f"{name}_bits_before"] = round(statistics.mean(r["bits_before"] for r in part), 4)
            out[f"{name}_bits_after"] = round(statistics.mean(r["bits_after"] for r in part), 4)
    times = sorted(r["optimize_s"] for r in rows)
    for q in (50, 90, 100):
        out[f"optimize_s_p{q}"] = round(times[min(len(times) - 1, len(times) * q // 100)], 3)
    out["cases_over_10s"] = sum(t > 10 for t in times)
    cpu = sorted(r["optimize_cpu_s"] for r in rows if "optimize_cpu_s" in r)
    if cpu:
        out["optimize_cpu_s_p50"] = round(cpu[len(cpu) // 2], 3)
        out["optimize_cpu_s_max"] = round(cpu[-1], 3)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and summary; write JSON if asked."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--min-bits", type=float, default=1.0)
    p.add_argument("--train", type=int, default=1000)
    p.add_argument("--test", type=int, default=2000)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--ids", default="")
    p.add_argument("--no-runtime", action="store_true")
    p.add_argument("--json", default="")
    p.add_argument("--split", action="store_true",
                   help="also report the development part and the held-out part (every "
                        "fifth case) separately, and the optimize-time distribution")
    p.add_argument("--hamming", action="store_true",
                   help="run the Hamming-kind set of benchmarks/hamming_set.py instead")
    p.add_argument("--hamming-part", choices=("all", "dev", "holdout"), default="all")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    if args.hamming:
        print(f"{'case':20s} {'naive':>7s} {'after':>7s} {'opt s':>6s} {'cpu s':>6s}  after")
        rows = hamming_rows(args)
        summary = hamming_summary(rows)
        print()
        for k, v in summary.items():
            print(f"{k:24s} {v}")
        if args.json:
            with open(args.json, "w", encoding="utf-8") as fh:
                json.dump({"summary": summary, "cases": rows}, fh, indent=1)
        return 0
    cases = load_cases(args.min_bits)
    if args.ids:
        keep = set(args.ids.split(","))
        cases = [c for c in cases if c[0]["id"] in keep]
    if args.limit:
        cases = cases[:args.limit]
    rows = []
    print(f"{'case':28s} {'naive':>7s} {'after':>7s} {'opt s':>6s} {'run x':>6s}  chosen")
    for case, form in cases:
        try:
            row = run_case(case, form, args.train, args.test, not args.no_runtime)
        except Exception as exc:  # noqa: BLE001 - report and go on
            row = {"id": case["id"], "error": f"{type(exc).__name__}: {exc}"}
            print(f"{case['id']:28s} ERROR {row['error'][:80]}", flush=True)
            rows.append(row)
            continue
        rows.append(row)
        print(f"{row['id']:28s} {row['bits_before']:7.2f} {row['bits_after']:7.2f} "
              f"{row['optimize_s']:6.2f} {row.get('runtime_ratio', float('nan')):6.2f}  "
              f"{row['chosen'][:40]}", flush=True)
    ok = [r for r in rows if "error" not in r]
    summary = {}
    if ok:
        b0 = statistics.mean(r["bits_before"] for r in ok)
        b1 = statistics.mean(r["bits_after"] for r in ok)
        worst = max(ok, key=lambda r: r["bits_after"] - r["bits_before"])
        summary = {
            "cases": len(ok), "errors": len(rows) - len(ok),
            "mean_bits_before": round(b0, 4), "mean_bits_after": round(b1, 4),
            "reduction": round(1 - b1 / b0, 4) if b0 else 0.0,
            "worst_regression_bits": round(worst["bits_after"] - worst["bits_before"], 4),
            "worst_regression_case": worst["id"],
            "median_optimize_s": round(statistics.median(r["optimize_s"] for r in ok), 4),
            "max_optimize_s": round(max(r["optimize_s"] for r in ok), 4),
        }
        ratios = [r["runtime_ratio"] for r in ok if "runtime_ratio" in r]
        if ratios:
            summary["runtime_backend"] = ok[0].get("runtime_backend")
            summary["median_runtime_ratio"] = round(statistics.median(ratios), 4)
        if args.split:
            summary.update(split_summary(ok))
        print()
        for k, v in summary.items():
            print(f"{k:24s} {v}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"summary": summary, "cases": rows}, fh, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
