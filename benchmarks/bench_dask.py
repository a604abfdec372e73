"""Benchmark of the Dask backend: ``dask.array`` as a user writes it against the same NumPy
function through ``@et.jit(backend="dask")``.

Workloads (float64, 2e7 elements in 20 chunks by default):

* ``chain``: 15 elementwise ops on a vector (the issue's acceptance: at least 5x fewer tasks);
* ``softplus_mean``: ``mean(log1p(exp(x)))`` over the whole vector (a tree reduction whose
  chunk step is our fused kernel);
* ``logsumexp_rows``: a numerically stable logsumexp of every row of a matrix, row chunks.

For each: the number of tasks in the Dask graph as built (``len(arr.dask)``, input tasks
included) and after ``dask.optimize`` (Dask's own low-level fusion), and the wall time of
``.compute()`` with the default threaded scheduler (minimum of ``--repeat`` runs, after one
warm-up run that also compiles our kernels). Both sides generate the same random input
inside the graph. Results are checked against each other.

Usage: ``python -m benchmarks.bench_dask [--n 20000000] [--chunks 20] [--repeat 3]
[--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import dask
import dask.array as da
import numpy as np

import eqsat_tensor as et


def chain(x: Any) -> Any:
    """15 elementwise ops, written the way a user would."""
    y = x * 1.5 + 0.25                    # 2
    y = np.sin(y) * np.cos(y) + x         # 4
    y = np.exp(-(y * y)) + np.tanh(x)     # 5
    y = np.sqrt(np.abs(y) + 1.0) - x      # 4
    return y


def softplus_mean(x: Any) -> Any:
    """The mean of log(1 + exp(x))."""
    return np.mean(np.log1p(np.exp(x)))


def logsumexp_rows(x: Any) -> Any:
    """Stable logsumexp of each row (keepdims)."""
    m = np.max(x, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)) + m


def _tasks(arr: Any) -> tuple[int, int]:
    (opt,) = dask.optimize(arr)
    return len(arr.dask), len(opt.__dask_graph__())


def _time(arr: Any, repeat: int) -> tuple[float, Any]:
    value = arr.compute()  # warm-up (compiles our kernels in this process)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        arr.compute()
        best = min(best, time.perf_counter() - t0)
    return best, value


def bench(name: str, fn: Callable, make: Callable[[], Any], repeat: int) -> dict[str, Any]:
    """Plain dask.array vs the dask backend for one workload."""
    x = make()
    plain = fn(x)
    t0 = time.perf_counter()
    jitted = et.jit(fn, backend="dask")
    ours = jitted(x)
    build = time.perf_counter() - t0
    row: dict[str, Any] = {"workload": name, "shape": list(x.shape),
                           "chunks": int(x.npartitions)}
    row["plain_tasks"], row["plain_tasks_optimized"] = _tasks(plain)
    row["ours_tasks"], row["ours_tasks_optimized"] = _tasks(ours)
    row["plain_layers"], row["ours_layers"] = len(plain.dask.layers), len(ours.dask.layers)
    row["trace_optimize_plan_s"] = round(build, 3)
    row["plain_s"], want = _time(plain, repeat)
    row["ours_s"], got = _time(ours, repeat)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    row["task_ratio"] = round(row["plain_tasks"] / row["ours_tasks"], 2)
    row["speedup"] = round(row["plain_s"] / row["ours_s"], 2)
    row["plain_s"], row["ours_s"] = round(row["plain_s"], 3), round(row["ours_s"], 3)
    return row


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Run the three workloads and print one line each."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=float, default=2e7)
    p.add_argument("--chunks", type=int, default=20)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    n, k = int(args.n), args.chunks
    rows_n = 2000

    def vector() -> Any:
        return da.random.default_rng(0).normal(size=n, chunks=-(-n // k))

    def matrix() -> Any:
        cols = n // rows_n
        return da.random.default_rng(1).normal(size=(rows_n, cols), chunks=(-(-rows_n // k),
                                                                               cols))

    results = [bench("chain", chain, vector, args.repeat),
               bench("softplus_mean", softplus_mean, vector, args.repeat),
               bench("logsumexp_rows", logsumexp_rows, matrix, args.repeat)]
    for r in results:
        print(f"{r['workload']:15s} tasks plain {r['plain_tasks']:4d} "
              f"(optimized {r['plain_tasks_optimized']:4d})  ours {r['ours_tasks']:4d} "
              f"(optimized {r['ours_tasks_optimized']:4d})  x{r['task_ratio']:<5}  "
              f"time plain {r['plain_s']:.3f} s  ours {r['ours_s']:.3f} s  "
              f"speedup {r['speedup']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
