"""``eqsat-tensor demo``: the main job, end to end on real data, in a few seconds.

1. A model written as ordinary NumPy code (a linear scorer with a feature transform, a
   logistic link and a squared-error loss) is traced into a graph, saved and reloaded as
   JSON, optimized by equality saturation (``(X @ W) @ v`` becomes ``X @ (W @ v)``,
   ``exp(z) / (1 + exp(z))`` becomes ``sigmoid(z)``, dead terms go), and run before and
   after on the same backends: the NumPy reference and, when installed, Numba.
2. A gate with overflow-prone sub-expressions shows the other half of the job: the
   optimized graph has no inf/nan where the original overflows (reference backend).

The first lines list the backends honestly: which packages are installed, which can run
here, and at the end which ones ran. Progress is shown while the optimizer and Numba work.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import time
from collections.abc import Callable
from typing import Any

import numpy as np

HELP = "optimize and run a real graph, and show the report (the main job)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``eqsat-tensor demo``."""
    parser.add_argument("--rows", type=int, default=100_000,
                        help="samples of the model (default 100000)")
    parser.add_argument("--features", type=int, default=32, help="features (default 32)")
    parser.add_argument("--size", type=int, default=500_000,
                        help="elements of the gate workload (default 500000)")
    parser.add_argument("--repeat", type=int, default=9,
                        help="timing repeats, best kept (default 9: one slow run on a busy "
                             "machine must not decide the table)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--backend", choices=("numba", "numpy"), default=None,
                        help="compiled backend to compare on (default: numba if installed)")
    parser.add_argument("--save-json", metavar="PATH", help="also write the model graph as JSON")


# -- the workloads, as a user would write them ------------------------------------------------


def model_loss(X: Any, W: Any, v: Any, y: Any) -> Any:
    """Squared error of a logistic scorer over transformed features (``0 * sum(v)``
    stands for a regularizer switched off)."""
    z = (X @ W) @ v
    p = np.exp(z) / (1 + np.exp(z))
    return np.mean((p - y) * (p - y)) + 0.0 * np.sum(v * v)


def gate(x: Any, y: Any) -> Any:
    """Softplus-weighted gate with shared, cancelling and overflow-prone sub-expressions."""
    return np.log(1 + np.exp(x)) * y + np.exp(x) / (1 + np.exp(x)) - x * y / x


# -- backends: what is installed, what can run ------------------------------------------------


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cuda_driver_present() -> bool:
    """Whether an NVIDIA driver is visible (device nodes or the CUDA driver library):
    without one there is no GPU to find, and numba-cuda need not be imported."""
    import ctypes.util
    import glob

    return bool(glob.glob("/dev/nvidia[0-9]*")) or ctypes.util.find_library("cuda") is not None


def backend_status() -> list[tuple[str, bool, str]]:
    """``(backend, usable here, note)`` for each backend, from what is really installed
    (package metadata and importable modules), never from the backend list alone."""
    rows = [("numpy", True, f"reference, NumPy {np.__version__}")]
    numba_v = _version("numba")
    rows.append(("numba", numba_v is not None,
                 f"Numba {numba_v}" if numba_v else "not installed (pip install numba)"))
    cuda_v = _version("numba-cuda")
    if cuda_v is None:
        rows.append(("cuda", False, "not installed (pip install 'eqsat-tensor[cuda]')"))
    else:
        gpu = False
        if _cuda_driver_present():  # importing numba-cuda costs seconds: only with a driver
            try:
                from numba import cuda

                gpu = bool(cuda.is_available())
            except Exception:  # a broken driver is "no GPU" here
                gpu = False
        rows.append(("cuda", gpu, f"numba-cuda {cuda_v}, "
                     + ("GPU found" if gpu else "no GPU found (simulator only)")))
    dask_v = _version("dask")
    dask_ok = dask_v is not None and importlib.util.find_spec("dask.array") is not None
    rows.append(("dask", dask_ok, f"Dask {dask_v}" if dask_ok
                 else "not installed (pip install 'eqsat-tensor[dask]')"))
    return rows


# -- helpers ------------------------------------------------------------------------------------


def _best_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    out, best = None, float("inf")
    for _ in range(max(repeat, 1)):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _summary(value: Any) -> tuple[str, str]:
    """The value (scalar) or the mean of the finite entries, and the non-finite count."""
    arr = np.asarray(value)
    bad = str(int(np.size(arr) - np.count_nonzero(np.isfinite(arr))))
    if arr.ndim == 0:
        return f"{float(arr):.10g}", bad
    finite = arr[np.isfinite(arr)]
    return (f"mean {float(finite.mean()):.8g}" if finite.size else "-"), bad


def _diff(a: Any, b: Any) -> str:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    if not both.any():
        return "-"
    err = np.abs(a[both] - b[both]) / np.maximum(np.abs(b[both]), 1e-300)
    return f"{float(err.max()):.1e}"


def _trace(console: Any, title: str, fn: Callable, arrays: list[np.ndarray],
           save_json: str | None) -> Any:
    from rich.panel import Panel

    from ..frontend import json_io
    from ..jit import JitFunction

    t0 = time.perf_counter()
    graph = JitFunction(fn, backend="numpy", optimize=False).trace(*arrays)
    trace_s = time.perf_counter() - t0
    text = json_io.dumps(graph)
    if json_io.loads(text) != graph:
        raise RuntimeError("JSON round trip changed the graph")
    if save_json:
        json_io.dump(graph, save_json)
    info = (f"{len(graph)} nodes, traced in {trace_s * 1e3:.1f} ms; JSON {len(text)} bytes, "
            "round trip identical" + (f", saved to {save_json}" if save_json else ""))
    console.print(Panel(f"[bold]{graph}[/bold]\n\n{info}", title=f"{title}: traced",
                        expand=False))
    return graph


def _optimize(console: Any, title: str, graph: Any, ieee: str = "finite",
              backend: str | None = None) -> Any:
    from rich.panel import Panel

    from ..egraph.budget import Budget
    from ..optimizer import optimize

    t0 = time.perf_counter()
    # the demo's graphs saturate in a fraction of a second; a generous wall-clock budget
    # keeps a loaded machine from cutting the run short (the shown graph stays the same).
    # The graph is optimized for the backend it runs on (that backend's cost table)
    res = optimize(graph, ieee=ieee, budget=Budget(seconds=30.0), backend=backend)
    secs = time.perf_counter() - t0
    rules = ", ".join(f"{r} x{c}" for r, c in res.report.rule_rows()[:8]) or "none"
    r = res.report
    console.print(Panel(
        f"[bold]{res.graph}[/bold]\n\nrules fired: {rules}\n"
        f"estimated cost {r.cost_before:.4g} -> {r.cost_after:.4g} (x{r.speedup:.3g}); "
        f"e-graph {r.egraph_nodes} e-nodes after {r.iterations} iterations "
        f"(stop: {r.stop_reason})",
        title=f"{title}: optimized (ieee={ieee!r}, for {backend or 'any backend'}) in "
              f"{secs * 1e3:.0f} ms", expand=False))
    return res


# -- the two parts ------------------------------------------------------------------------------


def _model(console: Any, args: argparse.Namespace, backends: list[str], ran: set[str]) -> None:
    from rich.table import Table

    from ..backends import compile as compile_graph
    from ..progress import task

    rng = np.random.default_rng(args.seed)
    n, d = args.rows, args.features
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((d, d)) / np.sqrt(d)
    v = rng.standard_normal(d)
    y = (rng.random(n) < 0.5).astype(np.float64)
    arrays = [X, W, v, y]
    title = "model loss"
    graph = _trace(console, title, model_loss, arrays, args.save_json)
    # ieee="fast" lets the optimizer regroup the matmul chain (X @ (W @ v)): exact in real
    # arithmetic, not bit-for-bit, so the default "finite" contract does not allow it
    compiled = backends[-1]
    res = _optimize(console, title, graph, ieee="fast", backend=compiled)
    after = {compiled: res.graph}

    want = model_loss(*arrays)
    table = Table(title=f"{title}: the graph before and after, on the same backend",
                  caption=f"best of {args.repeat} runs; first call (compile) excluded")
    for col in ("backend", "before (ms)", "after (ms)", "speed-up", "value after",
                "max rel. diff vs NumPy"):
        table.add_column(col, justify="left" if col == "backend" else "right")
    base_t, _ = _best_time(lambda: model_loss(*arrays), args.repeat)
    table.add_row("plain NumPy code", f"{base_t * 1e3:.2f}", "-", "-", f"{float(want):.10g}",
                  "-")
    with task("compiling and timing", total=2 * len(backends)) as bar:
        for name in backends:
            times, outs = [], []
            if name not in after:  # the graph optimized for this backend's cost table
                from ..egraph.budget import Budget
                from ..optimizer import optimize

                after[name] = optimize(graph, ieee="fast", budget=Budget(seconds=30.0),
                                       backend=name).graph
            for label, g in (("before", graph), ("after", after[name])):
                bar.step(0, detail=f"{name}, {label}")
                exe = compile_graph(g, backend=name)
                exe(*arrays)  # compiles (numba) outside the timing
                t, out = _best_time(lambda exe=exe: exe(*arrays), args.repeat)
                times.append(t)
                outs.append(out)
                bar.step(1)
            ran.add(name)
            label = "numpy (reference)" if name == "numpy" else name
            table.add_row(label, f"{times[0] * 1e3:.2f}", f"{times[1] * 1e3:.2f}",
                          f"[bold]{times[0] / times[1]:.2f}x[/bold]",
                          f"{float(np.asarray(outs[1])):.10g}", _diff(outs[1], want))
    console.print(table)


def _gate(console: Any, args: argparse.Namespace, ran: set[str]) -> None:
    from rich.table import Table

    from ..backends import compile as compile_graph

    rng = np.random.default_rng(args.seed + 1)
    x = rng.uniform(-30.0, 800.0, args.size)  # exp(x) overflows above ~709.8
    g = rng.standard_normal(args.size)
    arrays = [x, g]
    title = "gate"
    graph = _trace(console, title, gate, arrays, None)
    res = _optimize(console, title, graph, backend="numpy")
    table = Table(title=f"{title}: overflow before and after (reference backend)",
                  caption="non-finite: inf/nan entries where exp(x) overflows")
    for col in ("run", "time (ms)", "value", "non-finite"):
        table.add_column(col, justify="left" if col == "run" else "right")
    for label, gr in (("before", graph), ("after", res.graph)):
        exe = compile_graph(gr, backend="numpy")
        t, out = _best_time(lambda exe=exe: exe(*arrays), max(1, args.repeat // 2))
        table.add_row(label, f"{t * 1e3:.2f}", *_summary(out))
    ran.add("numpy")
    console.print(table)


def run(args: argparse.Namespace) -> int:
    """Trace, save, optimize and run the demo workloads, with progress."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .. import __version__
    from ..progress import progress
    from . import UsageError

    for flag in ("rows", "features", "size", "repeat"):
        if getattr(args, flag) < 1:
            raise UsageError(f"--{flag} must be at least 1")
    t_start = time.perf_counter()
    console = Console()
    if not console.is_terminal:  # CI logs: wide enough for the tables
        console.width = 110
    console.rule(f"eqsat-tensor {__version__} demo")
    status = backend_status()
    table = Table(title="backends", show_header=True)
    for col in ("backend", "can run here", "installed"):
        table.add_column(col)
    for name, ok, note in status:
        table.add_row(name, "yes" if ok else "[dim]no[/dim]", escape(note))
    console.print(table)
    usable = {name for name, ok, _ in status if ok}
    if args.backend == "numba" and "numba" not in usable:
        raise UsageError("--backend numba: Numba is not installed")
    compiled = args.backend or ("numba" if "numba" in usable else "numpy")
    backends = ["numpy"] + ([compiled] if compiled != "numpy" else [])

    ran: set[str] = set()
    with progress(console=console):
        _model(console, args, backends, ran)
        _gate(console, args, ran)
    not_run = [f"{name} ({note})" for name, ok, note in status if name not in ran]
    console.print(escape(f"ran on: {', '.join(sorted(ran))}"
                         + (f"; not run: {'; '.join(not_run)}" if not_run else "")
                         + f". Total {time.perf_counter() - t_start:.1f} s."))
    return 0
