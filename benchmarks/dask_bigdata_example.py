"""A 2e8-element computation (1.6 GB of float64) on a LocalCluster whose workers may use
600 MiB each: it never exists in memory at once, it runs chunk by chunk.

The function is plain NumPy; ``@et.jit(backend="dask")`` optimizes it, fuses the
elementwise work and the reduction's chunk step into one Numba kernel per chunk, and
returns a lazy Dask array. The same function applied to a ``dask.array`` directly is the
baseline (one task per op per chunk). Both compute the same input, generated chunk by
chunk inside the graph.

Usage: ``python -m benchmarks.dask_bigdata_example [--n 2e8] [--chunk 2.5e6] [--workers 2]
[--memory-limit 600MiB] [--no-plain] [--workload score|poly]``
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

import dask.array as da
import numpy as np

import eqsat_tensor as et


def score(x: Any) -> Any:
    """A smooth penalty averaged over every element."""
    y = np.tanh(x * 0.5) * 2.0 + np.exp(-(x * x)) - 0.1 * x
    return np.mean(np.log1p(np.exp(y)) + np.sqrt(y * y + 1.0))


def poly(x: Any) -> Any:
    """An arithmetic-only variant (memory-bound: the fused loop vectorizes)."""
    y = (x * 0.5 + 1.0) * x - 0.25
    z = y * y + x * 3.0 - 1.0
    return np.mean(np.sqrt(z * z + 1.0) + y * 0.5)


WORKLOADS = {"score": score, "poly": poly}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the example; print tasks, time and both results."""
    from dask.distributed import Client, LocalCluster

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=float, default=2e8)
    p.add_argument("--chunk", type=float, default=2.5e6)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--memory-limit", default="600MiB")
    p.add_argument("--no-plain", action="store_true")
    p.add_argument("--workload", choices=sorted(WORKLOADS), default="score")
    args = p.parse_args(argv)
    # worker processes import the same eqsat_tensor as this process
    root = str(Path(et.__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        q for q in (root, os.environ.get("PYTHONPATH")) if q)

    n, chunk = int(args.n), int(args.chunk)
    x = da.random.default_rng(0).normal(size=n, chunks=chunk)
    out: dict[str, Any] = {"n": n, "chunks": x.npartitions, "chunk_mb": chunk * 8 / 2**20}
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        fn = WORKLOADS[args.workload]
        ours = et.jit(fn, backend="dask")(x)  # lazy dask array
        t0 = time.perf_counter()
        out["ours_value"] = float(ours.compute())
        out["ours_s"] = time.perf_counter() - t0
        out["ours_tasks"] = len(ours.dask)
        t0 = time.perf_counter()
        ours.compute()  # again: the workers have compiled the kernels
        out["ours_warm_s"] = time.perf_counter() - t0
        if not args.no_plain:
            plain = fn(x)
            t0 = time.perf_counter()
            out["plain_value"] = float(plain.compute())
            out["plain_s"] = time.perf_counter() - t0
            out["plain_tasks"] = len(plain.dask)
        client.close()
    print(f"{args.workload}: {n:.0e} elements in {out['chunks']} chunks of "
          f"{out['chunk_mb']:.0f} MiB, {args.workers} workers x {args.memory_limit}")
    print(f"eqsat-tensor dask backend: {out['ours_tasks']} tasks, {out['ours_s']:.1f} s "
          f"(kernel compile on the workers included; {out['ours_warm_s']:.1f} s warm), "
          f"value {out['ours_value']:.12g}")
    if "plain_s" in out:
        print(f"plain dask.array:          {out['plain_tasks']} tasks, {out['plain_s']:.1f} s, "
              f"value {out['plain_value']:.12g}")
        assert np.isclose(out["ours_value"], out["plain_value"], rtol=1e-9)
    return out


if __name__ == "__main__":
    main()
