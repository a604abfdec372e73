"""Optimize time for generated graphs of 100, 1,000 and 10,000 nodes.

Graphs are random program-like DAGs: 8 inputs of shape (n,), each new node reads from the
previous 50, 60% binary (+ - * /) and 40% unary (exp, log, neg, sqrt, log1p via log(1+x)
patterns appear by chance), all sinks added up and summed. Runs ``et.optimize`` with the
default rules and ``Budget()`` (30 iterations, 200k e-nodes, 2 s) and prints a table;
``--json PATH`` writes the numbers. Targets: < 50 ms at 100 nodes, < 2 s at 10,000.
The table shows wall time and process CPU time (on a busy machine the CPU time is the
better estimate of an unloaded run).

    python benchmarks/bench_optimize.py [--sizes 100 1000 10000] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

try:
    import eqsat_tensor as et
except ImportError:  # run from a source checkout without installing
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    import eqsat_tensor as et
from eqsat_tensor.ir import Graph
from eqsat_tensor.testing.graphs import random_dag


def random_graph(n_nodes: int, seed: int = 0, window: int = 50) -> Graph:
    """A random DAG with about ``n_nodes`` nodes (see module docstring)."""
    return random_dag(n_nodes, seed, window, fill=0.8)  # the sinks are summed at the end


def bench(sizes: list[int], repeat: int) -> list[dict]:
    rows = []
    rules = et.default_rules()
    for n in sizes:
        g = random_graph(n)
        times, cpu, res = [], [], None
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            res = et.optimize(g, rules=rules, budget=et.Budget())
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        rep = res.report
        rows.append({"nodes": len(g), "seconds_median": statistics.median(times),
                     "cpu_seconds_median": statistics.median(cpu),
                     "seconds_min": min(times), "iterations": rep.iterations,
                     "egraph_nodes": rep.egraph_nodes, "stop": rep.stop_reason,
                     "nodes_after": rep.nodes_after, "timings": rep.timings,
                     "fallback": rep.fallback, "extractor": rep.extractor})
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    sys.setrecursionlimit(1000)  # prove nothing recurses
    rows = bench(args.sizes, args.repeat)
    print(f"{'nodes':>7} {'median s':>9} {'min s':>8} {'cpu s':>7} {'iters':>5} {'e-nodes':>8} "
          f"{'after':>6}  stop / phases")
    for r in rows:
        steps = " ".join(f"{k}={v * 1e3:.0f}ms" for k, v in r["timings"].items())
        print(f"{r['nodes']:>7} {r['seconds_median']:>9.3f} {r['seconds_min']:>8.3f} "
              f"{r['cpu_seconds_median']:>7.3f} "
              f"{r['iterations']:>5} {r['egraph_nodes']:>8} {r['nodes_after']:>6}  "
              f"{r['stop']} {steps}{' FALLBACK' if r['fallback'] else ''}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "optimize", "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
