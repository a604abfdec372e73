"""Never slower, and is the cost model right? (issue #21, build 3).

For every benchmark workload (``benchmarks.workloads``) and the demo's gate and model loss,
on each backend: the traced graph and the graph ``et.optimize(..., backend=b)`` returns are
compiled on ``b`` and timed interleaved (min of ``--rounds`` rounds, wall clock and process
CPU time), next to the ratio the backend's cost model predicts (``CostModel.graph_time`` of
the input over that of the output). Columns:

* ``before`` / ``after``: ms, unoptimized and optimized graph, same backend;
* ``measured``: before / after in process CPU time (> 1: the optimized graph is faster;
  CPU time, all threads, resists the load of other processes better than the wall
  clock, which is printed too);
* ``model``: the cost model's predicted before / after;
* ``flag``: ``same`` where the optimizer returned the input graph itself (any difference
  is noise); ``SLOWER`` where the optimized graph measured slower than the input by more than
  the noise allowance (5 %), ``MODEL`` where the model's ratio and the measured one disagree
  by more than 20 % (either way).

Run: ``python -m benchmarks.cost_check [--quick] [--backends numpy,numba] [--rounds 5]``.
Timings are only meaningful against peers measured in the same run (this one).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from eqsat_tensor.backends import compile as compile_graph
from eqsat_tensor.cost import load_cost_model
from eqsat_tensor.jit import JitFunction
from eqsat_tensor.optimizer import optimize

from . import workloads as W

DISAGREE = 0.20  # |model / measured - 1| beyond this is flagged
NOISE = 0.05  # measured slow-downs within this are noise


def cases(quick: bool) -> list[tuple[str, Callable[..., Any], list[np.ndarray], str]]:
    """(name, function of the arrays, arrays, ieee) for every workload and the demo's."""
    from eqsat_tensor.commands.demo import gate, model_loss

    out = [(w.name, W.bind(w.fn, np), w.inputs(quick), "finite") for w in W.WORKLOADS]
    rng = np.random.default_rng(1)
    n = 100_000 if quick else 500_000
    out.append(("demo_gate", gate, [rng.uniform(-30.0, 800.0, n), rng.standard_normal(n)],
                "finite"))
    rows = 20_000 if quick else 100_000
    X = rng.standard_normal((rows, 32))
    out.append(("demo_loss", model_loss, [X, rng.standard_normal((32, 32)) / np.sqrt(32),
                                          rng.standard_normal(32),
                                          (rng.random(rows) < 0.5).astype(np.float64)], "fast"))
    return out


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def measure(name: str, fn: Callable[..., Any], arrays: list[np.ndarray], ieee: str,
            backend: str, rounds: int) -> dict[str, Any]:
    """One row: times of the input and optimized graphs on ``backend``, and the model's
    predicted ratio."""
    graph = JitFunction(fn, backend="numpy", optimize=False).trace(*arrays)
    res = optimize(graph, ieee=ieee, backend=backend)
    model = load_cost_model(backend=backend)
    predicted = model.graph_time(graph) / max(model.graph_time(res.graph), 1e-9)
    exes = [compile_graph(g, backend=backend) for g in (graph, res.graph)]
    for e in exes:
        e(*arrays)  # compile outside the timing
    wall = [float("inf")] * 2
    cpu = [float("inf")] * 2
    for _ in range(rounds):  # interleaved
        for k, e in enumerate(exes):
            w, c = _timed(lambda e=e: e(*arrays))
            wall[k], cpu[k] = min(wall[k], w), min(cpu[k], c)
    measured = cpu[0] / max(cpu[1], 1e-9)
    flags = ["same"] if res.graph.fingerprint() == graph.fingerprint() else []
    if measured < 1 - NOISE:
        flags.append("SLOWER")
    if abs(predicted / measured - 1) > DISAGREE:
        flags.append("MODEL")
    return {"name": name, "backend": backend, "before_ms": wall[0] * 1e3,
            "after_ms": wall[1] * 1e3, "before_cpu_ms": cpu[0] * 1e3,
            "after_cpu_ms": cpu[1] * 1e3, "measured": measured, "model": predicted,
            "measured_wall": wall[0] / wall[1],
            "flag": " ".join(flags),
            "kept_input": any("kept the input" in n for n in res.report.notes),
            "notes": [n for n in res.report.notes if "cost model" in n]}


def main(argv: list[str] | None = None) -> int:
    """Print the table (one row per workload and backend)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small inputs")
    ap.add_argument("--backends", default="numpy,numba")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated workload names")
    args = ap.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    print(f"{'workload':18} {'backend':7} {'wall b/a ms':>19} {'cpu b/a ms':>17} "
          f"{'wall':>6} {'measured':>8} {'model':>7}  flag")
    for name, fn, arrays, ieee in cases(args.quick):
        if only and name not in only:
            continue
        for backend in args.backends.split(","):
            r = measure(name, fn, arrays, ieee, backend, args.rounds)
            print(f"{name:18} {backend:7} {r['before_ms']:9.2f}/{r['after_ms']:<9.2f} "
                  f"{r['before_cpu_ms']:8.2f}/{r['after_cpu_ms']:<8.2f} "
                  f"{r['measured_wall']:6.2f} {r['measured']:8.2f} {r['model']:7.2f}  "
                  f"{r['flag']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
