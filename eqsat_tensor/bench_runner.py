"""Benchmark runner: every workload on every available peer, interleaved, min of N repeats.

For each workload: build each peer's callable (numpy, numexpr where expressible, eqsat-tensor
through ``@et.jit``, jax.jit, pytensor), time its first call (compile time, reported apart),
check its result equals NumPy's, then time all peers round-robin (one call of each per
round, so a noisy neighbour hurts all peers alike) and keep each peer's minimum. A
STREAM-like copy measured in the same run gives the bandwidth bound of each workload:
``min_bytes / copy_bandwidth``. Prints a ``rich`` table and can write JSON and a bar chart.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .workloads import WORKLOADS, Workload, bind, min_bytes

PEERS = ("numpy", "numexpr", "eqsat", "jax", "pytensor")
# opt-in peers (--peers): eqsat-tensor under the other IEEE contracts (docs/soundness.md)
EXTRA_PEERS = ("eqsat-strict", "eqsat-fast")


@dataclass
class Result:
    """One workload's measurements (seconds; None where a peer does not apply)."""

    workload: str
    category: str
    size: str
    bytes: int
    run: dict[str, float] = field(default_factory=dict)
    compile: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    bound: float = 0.0

    def ratio_vs(self, peer: str) -> float | None:
        """How many times faster eqsat is than ``peer``."""
        if "eqsat" not in self.run or peer not in self.run:
            return None
        return self.run[peer] / self.run["eqsat"]

    def best_peer(self) -> tuple[str, float] | None:
        others = {p: t for p, t in self.run.items() if p != "eqsat"}
        if not others:
            return None
        p = min(others, key=others.get)
        return p, others[p]


def copy_bandwidth(nbytes: int = 200_000_000, repeats: int = 7) -> float:
    """Bytes per second of a large ``np.copyto`` (read + write counted), best of repeats."""
    n = nbytes // 16
    src, dst = np.ones(n), np.empty(n)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    return 2 * n * 8 / best


def _peer(peer: str, w: Workload, backend: str) -> Callable[..., Any] | str:
    """The callable for ``peer`` on ``w``, or a string saying why it is skipped."""
    if peer == "numpy":
        return bind(w.fn, np)
    if peer == "numexpr":
        if w.numexpr is None:
            return "not expressible"
        try:
            import numexpr
        except ImportError:
            return "not installed"
        expr, names = w.numexpr, w.names

        def run_numexpr(*arrays: Any) -> Any:
            return numexpr.evaluate(expr, local_dict=dict(zip(names, arrays)))

        return run_numexpr
    if peer == "eqsat":
        import eqsat_tensor as et

        # steady-state kernels are measured: no tiered first calls (jit_tiered)
        return et.jit(bind(w.fn, np), backend=backend, tiered=False)
    if peer in ("eqsat-strict", "eqsat-fast"):  # the other IEEE contracts (opt-in peers)
        import eqsat_tensor as et

        return et.jit(bind(w.fn, np), backend=backend, ieee=peer.split("-")[1], tiered=False)
    if peer == "jax":
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            return "not installed"
        jax.config.update("jax_enable_x64", True)
        f = jax.jit(bind(w.fn, jnp))
        return lambda *a: f(*a).block_until_ready()
    if peer == "pytensor":
        try:
            import pytensor
            import pytensor.tensor as pt
        except ImportError:
            return "not installed"
        return _pytensor_fn(w, pytensor, pt)
    raise ValueError(f"unknown peer {peer!r}")


def _pytensor_fn(w: Workload, pytensor: Any, pt: Any) -> Callable[..., Any]:
    arrays = w.inputs(True)
    syms = [pt.tensor(name, shape=(None,) * a.ndim, dtype=str(a.dtype))
            for name, a in zip(w.names, arrays)]
    return pytensor.function(syms, w.fn(pt, *syms))


def _equal(a: Any, b: Any, tol: float) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def run_workload(w: Workload, peers: list[str], quick: bool, repeats: int, backend: str,
                 bandwidth: float) -> Result:
    """Measure one workload on ``peers``."""
    arrays = w.inputs(quick)
    want = bind(w.fn, np)(*arrays)
    res = Result(w.name, w.category, "quick" if quick else "full", min_bytes(arrays, want))
    res.bound = res.bytes / bandwidth
    fns: dict[str, Callable[..., Any]] = {}
    for peer in peers:
        try:
            fn = _peer(peer, w, backend)
        except Exception as exc:  # a peer that cannot build this workload is reported
            fn = f"{type(exc).__name__}: {exc}"[:80]
        if isinstance(fn, str):
            res.skipped[peer] = fn
            continue
        t = time.perf_counter()
        try:
            got = fn(*arrays)
        except Exception as exc:
            res.skipped[peer] = f"{type(exc).__name__}: {exc}"[:80]
            continue
        res.compile[peer] = time.perf_counter() - t
        if not _equal(got, want, w.tol):
            res.skipped[peer] = "result differs from numpy"
            continue
        fns[peer] = fn
    best = {p: float("inf") for p in fns}
    for _ in range(repeats):
        for peer, fn in fns.items():
            t = time.perf_counter()
            fn(*arrays)
            best[peer] = min(best[peer], time.perf_counter() - t)
    res.run = best
    return res


def run_all(names: list[str] | None = None, *, quick: bool = False, repeats: int = 7,
            backend: str = "numba", peers: list[str] | None = None,
            progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run the selected workloads; returns the JSON-able report."""
    peers = list(peers or PEERS)
    if quick and "pytensor" in peers and peers == list(PEERS):
        peers.remove("pytensor")  # its C compiles alone would exceed the quick budget
    bandwidth = copy_bandwidth(20_000_000 if quick else 400_000_000)
    results = []
    for w in WORKLOADS:
        if names and w.name not in names:
            continue
        if progress:
            progress(w.name)
        results.append(run_workload(w, peers, quick, repeats, backend, bandwidth))
    return {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                        "copy_bandwidth_GBps": bandwidth / 1e9},
            "settings": {"quick": quick, "repeats": repeats, "backend": backend, "peers": peers},
            "results": [asdict(r) | {"ratio_vs_numpy": r.ratio_vs("numpy"),
                                     "ratio_vs_best_peer": _vs_best(r),
                                     "pct_of_bandwidth_bound": _pct(r)} for r in results]}


def _vs_best(r: Result) -> float | None:
    best = r.best_peer()
    if best is None or "eqsat" not in r.run:
        return None
    return best[1] / r.run["eqsat"]


def _pct(r: Result) -> float | None:
    if "eqsat" not in r.run:
        return None
    return 100.0 * r.bound / r.run["eqsat"]


def geometric_mean(values: list[float]) -> float:
    vals = [v for v in values if v and v > 0]
    return float(np.exp(np.mean(np.log(vals)))) if vals else float("nan")


def render(report: dict[str, Any]) -> Any:
    """A ``rich`` table of the report."""
    from rich.table import Table

    peers = report["settings"]["peers"]
    bw = report["machine"]["copy_bandwidth_GBps"]
    table = Table(title=f"eqsat-tensor benchmarks (ms, min of {report['settings']['repeats']}; "
                        f"copy bandwidth {bw:.1f} GB/s)")
    table.add_column("workload")
    for p in peers:
        table.add_column(p, justify="right")
    for col in ("vs numpy", "vs best peer", "% bw bound", "eqsat compile s"):
        table.add_column(col, justify="right")
    for r in report["results"]:
        cells = [r["workload"]]
        for p in peers:
            t = r["run"].get(p)
            cells.append(f"{t * 1e3:.2f}" if t is not None else "-")
        for key in ("ratio_vs_numpy", "ratio_vs_best_peer"):
            cells.append(f"{r[key]:.2f}x" if r[key] else "-")
        pct = r["pct_of_bandwidth_bound"]
        cells.append(f"{pct:.0f}%" if pct else "-")
        c = r["compile"].get("eqsat")
        cells.append(f"{c:.2f}" if c is not None else "-")
        table.add_row(*cells)
    gm_np = geometric_mean([r["ratio_vs_numpy"] for r in report["results"]])
    gm_best = geometric_mean([r["ratio_vs_best_peer"] for r in report["results"]])
    table.caption = (f"geometric mean speed-up: {gm_np:.2f}x vs numpy, {gm_best:.2f}x vs the "
                     "best peer." + skipped_text(report))
    return table


def skipped_text(report: dict[str, Any]) -> str:
    """What did not run: peers skipped everywhere for one reason in one clause each
    ("jax: not installed"), the rest per workload."""
    results = report["results"]
    everywhere: dict[str, str] = {}
    for p in report["settings"]["peers"]:
        whys = {r["skipped"].get(p) for r in results}
        if results and len(whys) == 1 and None not in whys:
            everywhere[p] = whys.pop()
    parts = [f"{p}: {why}" for p, why in everywhere.items()]
    parts += [f"{r['workload']}/{p}: {why}" for r in results
              for p, why in r["skipped"].items() if p not in everywhere]
    return (" Skipped: " + "; ".join(parts)) if parts else ""


def plot(report: dict[str, Any], path: str) -> None:
    """Bar chart of speed-up vs numpy per workload and peer (matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    peers = [p for p in report["settings"]["peers"] if p != "numpy"]
    results = report["results"]
    fig, ax = plt.subplots(figsize=(max(8, len(results) * 0.9), 4.5))
    width = 0.8 / max(1, len(peers))
    for k, p in enumerate(peers):
        ys = [r["run"]["numpy"] / r["run"][p] if p in r["run"] and "numpy" in r["run"] else 0
              for r in results]
        ax.bar(np.arange(len(results)) + k * width, ys, width, label=p)
    ax.axhline(1.0, color="gray", lw=0.8)
    ax.set_xticks(np.arange(len(results)) + width * (len(peers) - 1) / 2)
    ax.set_xticklabels([r["workload"] for r in results], rotation=40, ha="right")
    ax.set_ylabel("speed-up vs numpy")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def save_json(report: dict[str, Any], path: str) -> None:
    """Write the report as JSON."""
    with open(path, "w") as f:
        json.dump(report, f, indent=1)


__all__ = ["PEERS", "Result", "copy_bandwidth", "geometric_mean", "plot", "render", "run_all",
           "run_workload", "save_json"]
