"""GPU benchmark of the CUDA backend: ``eqsat-tensor bench --backend cuda`` or
``python -m benchmarks.bench_cuda``.

Each workload of ``workloads.py`` runs through ``@et.jit(backend="cuda")`` on device
arrays (inputs copied to the GPU once, outside the timing), against CuPy (the same NumPy
code on ``cupy``) and ``jax.jit`` on a jax GPU device where installed. Each call is timed
with a device synchronization, min of N repeats; results are checked against NumPy first.
The report gives each peer's time and eqsat's achieved bandwidth (the bytes a perfect
implementation must move, ``min_bytes``, over its time) next to the GPU's peak bandwidth
(memory clock x bus width) and a measured device-to-device copy. Without a GPU it exits
with code 2 and says so; under ``NUMBA_ENABLE_CUDASIM=1`` it runs ``--tiny`` sizes only
(a smoke test of this script, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .workloads import BY_NAME, WORKLOADS, Workload, bind, min_bytes

PEERS = ("eqsat", "cupy", "jax")


def gpu_or_reason() -> tuple[Any, str | None]:
    """``(numba.cuda, None)`` when a GPU (or the simulator) is usable, else ``(None, why)``."""
    try:
        from numba import config, cuda
    except ImportError:
        return None, "numba-cuda is not installed (pip install 'eqsat-tensor[cuda]')"
    if config.ENABLE_CUDASIM:
        return cuda, None
    try:
        if cuda.is_available():
            return cuda, None
    except Exception as exc:  # a broken driver reads as no GPU
        return None, f"CUDA is not usable here: {exc}"
    return None, "no CUDA GPU found (numba.cuda.is_available() is False)"


def peak_bandwidth(cuda: Any) -> float | None:
    """Theoretical DRAM bandwidth in bytes/s (DDR: two transfers per clock)."""
    try:
        dev = cuda.get_current_device()
        return 2.0 * dev.MEMORY_CLOCK_RATE * 1e3 * dev.GLOBAL_MEMORY_BUS_WIDTH / 8
    except Exception:
        return None


def copy_bandwidth(cuda: Any, nbytes: int, repeats: int = 7) -> float:
    """Bytes/s of a device-to-device copy (read + write counted), best of repeats."""
    n = max(1, nbytes // 8)
    src, dst = cuda.device_array(n, np.float64), cuda.device_array(n, np.float64)
    best = float("inf")
    for _ in range(repeats):
        cuda.synchronize()
        t = time.perf_counter()
        dst.copy_to_device(src)
        cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return 2 * n * 8 / best


def _shrink(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Simulator sizes: a few hundred elements per input."""
    n = 8 if any(a.ndim >= 2 for a in arrays) else 256  # vectors must match matrix dims
    return [a[tuple(slice(0, n) for _ in range(a.ndim))].copy() for a in arrays]


def _peer(peer: str, w: Workload, cuda: Any) -> tuple[Callable[..., Any], Callable] | str:
    """(function, to-device converter) of ``peer`` for ``w``, or why it is skipped."""
    if peer == "eqsat":
        import eqsat_tensor as et

        return et.jit(bind(w.fn, np), backend="cuda"), cuda.to_device
    if peer == "cupy":
        try:
            import cupy
        except ImportError:
            return "not installed"
        return bind(w.fn, cupy), cupy.asarray
    if peer == "jax":
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            return "not installed"
        try:
            gpu = jax.devices("gpu")[0]
        except Exception:
            return "no jax GPU device"
        if any(a.dtype == np.float64 for a in w.inputs(True)):
            jax.config.update("jax_enable_x64", True)
        return jax.jit(bind(w.fn, jnp)), (lambda a: jax.device_put(a, gpu))
    return f"unknown peer {peer!r}"


def _to_host(x: Any) -> Any:
    if isinstance(x, tuple):
        return tuple(_to_host(v) for v in x)
    if hasattr(x, "copy_to_host"):
        return x.copy_to_host()
    if hasattr(x, "get"):
        return x.get()
    return np.asarray(x)


def _sync(cuda: Any, peer: str, result: Any) -> None:
    if peer == "jax":
        import jax

        jax.block_until_ready(result)
    elif peer == "cupy":
        import cupy

        cupy.cuda.Device().synchronize()
    else:
        cuda.synchronize()


def run_workload(w: Workload, cuda: Any, peers: list[str], size: str, repeats: int,
                 dtype: str) -> dict[str, Any]:
    """Times (s), compile times, skips and eqsat's GB/s for one workload."""
    arrays = [a.astype(dtype) for a in w.inputs(size != "full")]
    if size == "tiny":
        arrays = _shrink(arrays)
    want = bind(w.fn, np)(*arrays)
    nbytes = min_bytes(arrays, want)
    tol = max(w.tol, 1e-4 if dtype == "float32" else 0.0)
    res: dict[str, Any] = {"workload": w.name, "category": w.category, "bytes": nbytes,
                           "run": {}, "compile": {}, "skipped": {}}
    fns = {}
    for peer in peers:
        try:
            built = _peer(peer, w, cuda)
        except Exception as exc:
            built = f"{type(exc).__name__}: {exc}"[:80]
        if isinstance(built, str):
            res["skipped"][peer] = built
            continue
        fn, put = built
        try:
            dev = [put(a) for a in arrays]
            t = time.perf_counter()
            got = fn(*dev)
            _sync(cuda, peer, got)
            res["compile"][peer] = time.perf_counter() - t
            got = _to_host(got)
        except Exception as exc:
            res["skipped"][peer] = f"{type(exc).__name__}: {exc}"[:80]
            continue
        pairs = zip(got, want) if isinstance(want, tuple) else [(got, want)]
        with np.errstate(all="ignore"):
            ok = all(np.allclose(g, v, rtol=tol, atol=tol, equal_nan=True) for g, v in pairs)
        if not ok:
            res["skipped"][peer] = "result differs from numpy"
            continue
        fns[peer] = (fn, dev)
    best = {p: float("inf") for p in fns}
    for _ in range(repeats):
        for peer, (fn, dev) in fns.items():
            _sync(cuda, peer, None)
            t = time.perf_counter()
            out = fn(*dev)
            _sync(cuda, peer, out)
            best[peer] = min(best[peer], time.perf_counter() - t)
    res["run"] = best
    if "eqsat" in best:
        res["eqsat_gbps"] = nbytes / best["eqsat"] / 1e9
    return res


def run_cuda(names: list[str] | None = None, *, size: str = "full", repeats: int = 7,
             peers: list[str] | None = None, dtype: str = "float64",
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the workloads on the GPU; returns a JSON-able report. Raises ``RuntimeError``
    without a GPU."""
    cuda, why = gpu_or_reason()
    if cuda is None:
        raise RuntimeError(why)
    from numba import config

    if config.ENABLE_CUDASIM:
        size = "tiny"
    workloads = [BY_NAME[n] for n in names] if names else WORKLOADS
    peak = None if config.ENABLE_CUDASIM else peak_bandwidth(cuda)
    copy = copy_bandwidth(cuda, 1 << 16 if size == "tiny" else 1 << 29)
    try:
        device = cuda.get_current_device().name
        device = device.decode() if isinstance(device, bytes) else str(device)
    except Exception:
        device = "simulator" if config.ENABLE_CUDASIM else "unknown"
    results = []
    for w in workloads:
        if progress:
            progress(w.name)
        results.append(run_workload(w, cuda, list(peers or PEERS), size, repeats, dtype))
    return {"device": device, "simulated": bool(config.ENABLE_CUDASIM), "size": size,
            "dtype": dtype, "peak_bandwidth": peak, "copy_bandwidth": copy,
            "results": results}


def render(report: dict[str, Any]) -> str:
    """A plain-text table: times per peer (µs), eqsat GB/s and % of peak."""
    peak, copy = report["peak_bandwidth"], report["copy_bandwidth"]
    head = (f"device {report['device']}  dtype {report['dtype']}  size {report['size']}  "
            f"peak {peak / 1e9:.0f} GB/s  " if peak else
            f"device {report['device']}  dtype {report['dtype']}  size {report['size']}  ")
    lines = [head + f"device copy {copy / 1e9:.1f} GB/s"]
    if report["simulated"]:
        lines.append("SIMULATOR: a smoke test of the benchmark; the numbers mean nothing")
    lines.append(f"{'workload':<18}{'eqsat us':>10}{'cupy us':>10}{'jax us':>10}"
                 f"{'GB/s':>8}{'%peak':>7}{'%copy':>7}  skipped")
    for r in report["results"]:
        run = r["run"]
        cells = [f"{run[p] * 1e6:10.1f}" if p in run else f"{'-':>10}" for p in PEERS]
        gbps = r.get("eqsat_gbps")
        pct = f"{100 * gbps * 1e9 / peak:7.0f}" if gbps and peak else f"{'-':>7}"
        pcopy = f"{100 * gbps * 1e9 / copy:7.0f}" if gbps else f"{'-':>7}"
        skipped = "; ".join(f"{p}: {why}" for p, why in r["skipped"].items())
        lines.append(f"{r['workload']:<18}{''.join(cells)}"
                     f"{(f'{gbps:8.1f}' if gbps else '       -')}{pct}{pcopy}  {skipped}")
    return "\n".join(lines)


def run_cli(args: argparse.Namespace) -> int:
    """``eqsat-tensor bench --backend cuda`` (uses the shared options of ``cli.py``)."""
    unknown = [n for n in args.workloads if n not in BY_NAME]
    if unknown:
        print(f"unknown workload(s) {unknown}; choose from {sorted(BY_NAME)}", file=sys.stderr)
        return 2
    _, why = gpu_or_reason()
    if why is not None:
        print(f"bench --backend cuda: {why}. The CUDA benchmark needs an NVIDIA GPU; to "
              "smoke-test it without one, set NUMBA_ENABLE_CUDASIM=1 (tiny sizes).",
              file=sys.stderr)
        return 2
    size = "quick" if args.quick else "full"
    report = run_cuda(args.workloads or None, size=size, repeats=args.repeats,
                      dtype=getattr(args, "dtype", "float64"),
                      progress=lambda name: print(f"running {name}", file=sys.stderr))
    print(render(report))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=2)
        print(f"wrote {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.bench_cuda``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_cuda",
                                     description="eqsat-tensor CUDA backend vs cupy/jax")
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD")
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    parser.add_argument("--json", metavar="PATH")
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
