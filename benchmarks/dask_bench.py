"""Dask backend benchmark: task counts, wall time on a LocalCluster, out-of-core memory.

Workloads (float64; a matrix of ``rows x n/rows``, chunked along both axes):

* ``pipeline``: elementwise ops, two row reductions (mean, max), elementwise ops after;
* ``stable_lse``: a hand-written max-shifted logsumexp of each row (plus ``2 * max``);
* ``softmax``: softmax of each row (rows cut into several chunks);
* ``chain``: 15 elementwise ops; ``softplus_mean``: ``mean(log1p(exp(x)))`` of everything;
* (task counts only) ``layernorm`` of each row; ``column_stats``: reductions over columns.

Three parts, each optional:

1. ``--tasks``: tasks of the graph as built, for plain ``dask.array``, ``dask.optimize`` of
   it, and ``@et.jit(backend="dask")`` (and ``dask.optimize`` of ours; input tasks
   included everywhere).
2. ``--n 1e8``: wall time of ``.compute()`` on a ``LocalCluster`` (2 worker processes, 1
   thread each) for plain ``dask.array``, ``dask.optimize(plain)``, a numexpr-style
   ``map_blocks`` version (the elementwise parts as one ``numexpr.evaluate`` per chunk)
   and ours (``--variants``), interleaved: best of ``--repeat`` rounds after a warm-up
   (``--repeat 0``: the full-size warm-up is timed; a run on a small input of the same
   chunking has compiled the kernels on every worker before either), with
   the workers' CPU seconds and the load average. The input is persisted in the workers'
   memory first (``--generate``: generated in every run); above 1e8 elements a persisted
   block of rows is repeated (``da.concatenate``: 1e9 elements are 10 copies of 0.8 GB),
   so the input's generation is not what is timed and the memory stays bounded. A result
   over 64 MB is summed per block inside the timed graph (the same consumer for every
   variant) instead of gathered. Results are checked against each other.
   (``python -m benchmarks.bench_dask``, the old name, runs ``--tasks --n 2e7``.)
3. ``--out-of-core 2e8``: ``pipeline`` over that many elements generated chunk by chunk on
   workers with ``--memory-limit`` each (spilling on), peak resident memory of all cluster
   processes sampled every 0.1 s (psutil), against the size of the data.

Usage: ``python -m benchmarks.dask_bench [--tasks] [--n 1e8] [--repeat 2] [--generate]
[--workloads a,b] [--variants plain,ours] [--out-of-core 2e8] [--memory-limit 1GB]
[--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import dask
import dask.array as da
import numpy as np

import eqsat_tensor as et


def pipeline(x: Any) -> Any:
    """Elementwise ops, two row reductions, elementwise ops after them."""
    y = np.tanh(x) * 3 + np.exp(-x * x)
    a = np.mean(y, axis=1)
    b = np.max(y, axis=1)
    return np.sqrt(a * a + 1) - b * 0.5


def stable_lse(x: Any) -> Any:
    """Max-shifted logsumexp of each row, written out."""
    m = np.max(x, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)) + m * 2


def softmax(x: Any) -> Any:
    """Softmax of each row."""
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def chain(x: Any) -> Any:
    """15 elementwise ops."""
    y = x * 1.5 + 0.25
    y = np.sin(y) * np.cos(y) + x
    y = np.exp(-(y * y)) + np.tanh(x)
    return np.sqrt(np.abs(y) + 1.0) - x


def softplus_mean(x: Any) -> Any:
    """The mean of log(1 + exp(x))."""
    return np.mean(np.log1p(np.exp(x)))


def layernorm(x: Any) -> Any:
    """Layer norm of each row (two-pass statistics written out)."""
    mu = np.mean(x, axis=1, keepdims=True)
    return (x - mu) / np.sqrt(np.mean((x - mu) ** 2, axis=1, keepdims=True) + 1e-5)


def column_stats(x: Any) -> Any:
    """Reductions along the other axis (columns), elementwise ops before and after."""
    y = np.sin(x) + x * x
    return np.sum(y, axis=0) / (np.max(y, axis=0) + 2.0)


WORKLOADS = {"pipeline": pipeline, "stable_lse": stable_lse, "softmax": softmax,
             "chain": chain, "softplus_mean": softplus_mean, "layernorm": layernorm,
             "column_stats": column_stats}
WALL_WORKLOADS = "pipeline,stable_lse,softmax,chain,softplus_mean"


# numexpr-style versions: each elementwise stretch one numexpr.evaluate per chunk
def _ne(expr: str, **arrays: np.ndarray) -> np.ndarray:
    import numexpr

    return numexpr.evaluate(expr, local_dict=arrays)


def _ne_pipe_y(x: np.ndarray) -> np.ndarray:
    return _ne("tanh(x) * 3 + exp(-x * x)", x=x)


def _ne_exp_shift(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    return _ne("exp(x - m)", x=x, m=m)


def _ne_chain(x: np.ndarray) -> np.ndarray:
    return _ne("sqrt(abs(exp(-((sin(x * 1.5 + 0.25) * cos(x * 1.5 + 0.25) + x) ** 2)) "
               "+ tanh(x)) + 1.0) - x", x=x)


def _ne_softplus(x: np.ndarray) -> np.ndarray:
    return _ne("log1p(exp(x))", x=x)


def numexpr_version(name: str, x: Any) -> Any:
    """The workload with its elementwise parts as numexpr ``map_blocks``."""
    if name == "pipeline":
        y = x.map_blocks(_ne_pipe_y)
        a, b = y.mean(axis=1), y.max(axis=1)
        return da.sqrt(a * a + 1) - b * 0.5
    if name == "stable_lse":
        m = x.max(axis=1, keepdims=True)
        return da.log(da.map_blocks(_ne_exp_shift, x, m).sum(axis=1, keepdims=True)) + m * 2
    if name == "softmax":
        e = da.map_blocks(_ne_exp_shift, x, x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if name == "chain":
        return x.map_blocks(_ne_chain)
    if name == "softplus_mean":
        return x.map_blocks(_ne_softplus).mean()
    raise KeyError(f"no numexpr version of {name}")


def make_input(n: int, rows: int, row_chunks: int, col_chunks: int, seed: int = 0) -> Any:
    """A random matrix generated chunk by chunk inside the graph (``da.random``)."""
    cols = n // rows
    return da.random.default_rng(seed).normal(
        size=(rows, cols), chunks=(-(-rows // row_chunks), -(-cols // col_chunks)))


def task_counts(rows: int = 1000, cols: int = 800) -> list[dict[str, Any]]:
    """Tasks of plain dask.array, dask.optimize(plain) and ours for every workload."""
    out = []
    x = make_input(rows * cols, rows, 10, 8)
    for name, fn in WORKLOADS.items():
        plain = fn(x)
        (opt,) = dask.optimize(plain)
        ours = et.jit(fn, backend="dask")(x)
        got, want = dask.compute(ours, plain, scheduler="threads")
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        (ours_opt,) = dask.optimize(ours)
        row = {"workload": name, "chunks": x.npartitions, "plain": len(plain.dask),
               "plain_optimized": len(opt.__dask_graph__()), "ours": len(ours.dask),
               "ours_optimized": len(ours_opt.__dask_graph__())}
        row["vs_optimized"] = round(row["ours"] / row["plain_optimized"], 2)
        row["fewer_than_plain"] = round(row["plain"] / row["ours"], 2)
        out.append(row)
    return out


def _cluster(memory_limit: str | None = None) -> Any:
    from dask.distributed import LocalCluster

    root = str(Path(et.__file__).resolve().parent.parent)  # workers import this checkout
    os.environ["PYTHONPATH"] = os.pathsep.join(
        q for q in (root, os.environ.get("PYTHONPATH")) if q)
    kw = {"memory_limit": memory_limit} if memory_limit else {}
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                        dashboard_address=":0", **kw)


VARIANTS = ("plain", "optimized", "numexpr", "ours")


def _wall_line(r: dict[str, Any]) -> str:
    return (f"{r['workload']:15s} {r['n']:.0e} "
            + " ".join(f"{r[v + '_s']:8.2f}" for v in VARIANTS)
            + f" {r['ours_vs_plain']:10.2f} {r['ours_vs_numexpr']:12.2f}"
            + f"   cpu {r['ours_cpu_s']:.1f}/{r['plain_cpu_s']:.1f} s"
            + f"   load {r['load'][0]:.1f}-{r['load'][1]:.1f}")


def _worker_cpu() -> float:
    """User + system CPU seconds of this (worker) process so far."""
    t = os.times()
    return t.user + t.system


BIG = 64 * 2**20  # results above this are summed per block inside the timed graph


def _block_sums(block: np.ndarray) -> np.ndarray:
    """The sum of one block, as a block of one element per axis."""
    return np.sum(block, dtype=np.float64).reshape((1,) * block.ndim)


def checked(arr: Any) -> Any:
    """``arr``, or for a result over ``BIG`` bytes one sum per block of it: the consumer of
    a big result (a store, a further reduction) is the same for every variant, nothing of
    the size of the data is held or gathered, and the sums check the values (Dask fuses
    the summing into the last task of every variant)."""
    if arr.nbytes <= BIG:
        return arr
    return arr.map_blocks(_block_sums, chunks=tuple((1,) * len(c) for c in arr.chunks),
                          dtype=np.float64)


def _run(client: Any, arr: Any) -> tuple[float, float, Any]:
    """Wall seconds, summed worker CPU seconds and the value of one run (of ``checked``
    arrays: small results or per-block sums)."""
    cpu0 = sum(client.run(_worker_cpu).values())
    t0 = time.perf_counter()
    value = client.compute(arr, sync=True)
    wall = time.perf_counter() - t0
    cpu = sum(client.run(_worker_cpu).values()) - cpu0
    return wall, cpu, value


def _variant(variant: str, name: str, x: Any, plain: Any) -> Any:
    """The lazy array of one variant of workload ``name`` on ``x``."""
    if variant == "plain":
        return checked(plain)
    if variant == "optimized":
        return dask.optimize(checked(plain))[0]
    if variant == "numexpr":
        return checked(numexpr_version(name, x))
    return checked(et.jit(WORKLOADS[name], backend="dask")(x))


PERSIST_MAX = 1e8  # elements of input held in the workers' memory (0.8 GB of float64)


def tiles(n: int, row_chunks: int) -> int:
    """How many copies of a persisted block of rows make an input of ``n`` elements: one
    up to ``PERSIST_MAX`` elements, else the smallest divisor of ``row_chunks`` that keeps
    the persisted block under it (1e9 elements: 10 copies of 1e8). Every element is
    still computed on; only the memory held for the input is bounded."""
    for t in range(1, row_chunks + 1):
        if row_chunks % t == 0 and n / t <= PERSIST_MAX:
            return t
    return row_chunks


def warm_up(client: Any, name: str, col_chunks: int, variants: tuple[str, ...]) -> None:
    """Run every variant once on every worker on a small input chunked the same way
    (2 x 1000 in blocks of rows): our generated module has no shapes in its text, so the
    workers compile the kernels the large run uses; numexpr compiles its expressions."""
    for seed, worker in enumerate(client.scheduler_info()["workers"], 1):
        small = make_input(64 * 1000, 64, 2, col_chunks, seed=seed)  # new keys per worker
        arrays = [_variant(v, name, small, WORKLOADS[name](small)) for v in variants]
        client.compute(arrays, workers=[worker], allow_other_workers=False, sync=True)


def wall_times(n: int, repeat: int, workloads: list[str], persist: bool = True,
               variants: tuple[str, ...] = VARIANTS) -> list[dict[str, Any]]:
    """Plain dask.array, ``dask.optimize`` of it, numexpr map_blocks and ours on a
    2-worker LocalCluster (the input persisted on the workers first, or generated inside
    every run). Every variant runs once on a small input on every worker (``warm_up``:
    our kernels compile), then once at full size (timed when ``repeat`` is 0), then
    ``repeat`` rounds run them in turn; the best wall and CPU time of each count."""
    import distributed
    from dask.distributed import Client

    rows = 2000
    out = []
    with _cluster() as cluster, Client(cluster) as client:
        for name in workloads:
            fn = WORKLOADS[name]
            # 8 row chunks up to 1e8 elements (100 MB chunks), more beyond
            row_chunks = max(8, round(n / 1.25e7))
            col_chunks = 5 if name in ("stable_lse", "softmax") else 1
            tile = tiles(n, row_chunks) if persist else 1
            x = make_input(n // tile, rows // tile, row_chunks // tile, col_chunks)
            if persist:  # the input in the workers' memory: time the computation only
                x = client.persist(x)
                distributed.wait(x)
                if tile > 1:  # the persisted rows again and again, as one array
                    x = da.concatenate([x] * tile, axis=0)
            row: dict[str, Any] = {"workload": name, "n": n, "chunks": x.npartitions,
                                   "input": ("generated" if not persist else "persisted"
                                             if tile == 1 else f"persisted, {tile} tiles")}
            load0 = os.getloadavg()[0]
            plain = fn(x)
            arrays = {v: _variant(v, name, x, plain) for v in variants}
            best = {v: (float("inf"), float("inf")) for v in VARIANTS}
            values = {}
            warm_up(client, name, col_chunks, variants)
            for v in variants:  # warm-up
                wall, cpu, values[v] = _run(client, arrays[v])
                if repeat == 0:
                    best[v] = (wall, cpu)
            for _ in range(repeat):
                for v in variants:
                    wall, cpu, _ = _run(client, arrays[v])
                    best[v] = (min(best[v][0], wall), min(best[v][1], cpu))
            for v in VARIANTS:
                if v in values:
                    np.testing.assert_allclose(values[v], values[variants[0]], rtol=1e-9,
                                               atol=1e-12)
                row[f"{v}_s"], row[f"{v}_cpu_s"] = round(best[v][0], 3), round(best[v][1], 2)
            row["ours_vs_plain"] = round(best["ours"][0] / best["plain"][0], 3)
            row["ours_vs_numexpr"] = round(best["ours"][0] / best["numexpr"][0], 3)
            row["ours_cpu_vs_plain"] = round(best["ours"][1] / best["plain"][1], 3)
            row["load"] = (round(load0, 2), round(os.getloadavg()[0], 2))
            out.append(row)
            print(_wall_line(row), flush=True)
            del x, arrays
    return out


class PeakRSS:
    """Peak of the summed resident memory of this process and all its children."""

    def __init__(self, every: float = 0.1) -> None:
        import psutil

        self.proc, self.every, self.peak = psutil.Process(), every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:  # a process that just exited
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(self.every)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def out_of_core(n: int, memory_limit: str, chunk: float = 2.5e6) -> dict[str, Any]:
    """``pipeline`` over ``n`` elements on 2 workers with ``memory_limit`` each."""
    from dask.distributed import Client

    cols = 10_000
    rows = n // cols
    x = da.random.default_rng(3).normal(size=(rows, cols),
                                        chunks=(max(1, int(chunk) // cols), cols))
    ours = et.jit(pipeline, backend="dask")(x)
    load0 = os.getloadavg()[0]
    with _cluster(memory_limit) as cluster, Client(cluster) as client, PeakRSS() as peak:
        t0 = time.perf_counter()
        value = client.compute(ours, sync=True)
        seconds = time.perf_counter() - t0
        small = x[:200].compute()  # a check on a slice, generated the same way
    np.testing.assert_allclose(value[:200], pipeline(small), rtol=1e-9, atol=1e-12)
    return {"n": n, "data_gb": round(n * 8 / 1e9, 2), "workers": 2,
            "memory_limit": memory_limit, "chunks": x.npartitions, "tasks": len(ours.dask),
            "seconds": round(seconds, 1), "peak_rss_gb": round(peak.peak / 1e9, 2),
            "load": (round(load0, 2), round(os.getloadavg()[0], 2))}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the parts asked for and print a table each."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tasks", action="store_true")
    p.add_argument("--n", type=float, default=None)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--workloads", default=WALL_WORKLOADS)
    p.add_argument("--variants", default=",".join(VARIANTS),
                   help="of plain,optimized,numexpr,ours (dask.optimize(plain) times like "
                        "plain: compute optimizes the plain graph the same way)")
    p.add_argument("--generate", action="store_true",
                   help="generate the input inside every timed run instead of persisting it")
    p.add_argument("--out-of-core", type=float, default=None)
    p.add_argument("--memory-limit", default="1GB")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    result: dict[str, Any] = {}
    if args.tasks:
        result["tasks"] = task_counts()
        print("(task counts include the input-generating tasks of da.random)")
        print("workload        chunks  plain  optimize(plain)  ours  optimize(ours)  "
              "ours/optimized  plain/ours")
        for r in result["tasks"]:
            print(f"{r['workload']:15s} {r['chunks']:6d} {r['plain']:6d} "
                  f"{r['plain_optimized']:16d} {r['ours']:5d} {r['ours_optimized']:15d} "
                  f"{r['vs_optimized']:15.2f} {r['fewer_than_plain']:11.2f}")
    if args.n:
        print(f"{'workload':15s} {'n':5s} " + " ".join(f"{v[:7] + ' s':>8s}" for v in VARIANTS)
              + "  ours/plain  ours/numexpr   (worker CPU ours/plain; load average)")
        result["wall"] = wall_times(int(args.n), args.repeat, args.workloads.split(","),
                                    persist=not args.generate,
                                    variants=tuple(args.variants.split(",")))
    if args.out_of_core:
        r = out_of_core(int(args.out_of_core), args.memory_limit)
        result["out_of_core"] = r
        print(f"out-of-core pipeline: {r['n']:.0e} elements ({r['data_gb']} GB) on 2 workers "
              f"x {r['memory_limit']}: {r['seconds']} s, peak RSS {r['peak_rss_gb']} GB "
              f"(all cluster processes), {r['tasks']} tasks, load average {r['load'][0]}"
              f"-{r['load'][1]}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
