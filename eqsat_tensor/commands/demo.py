"""``eqsat-tensor demo``: the main job, end to end on real data.

Two workloads written as ordinary NumPy code are traced into graphs, printed, saved and
reloaded as JSON, and run on random data with the reference backend next to plain NumPy:

1. the logistic-regression loss ``mean(log(1 + exp(-y * (X @ w))))``;
2. a gate with repeated and unstable sub-expressions,
   ``log(1 + exp(x)) * y + exp(x) / (1 + exp(x)) - x * y / x``, on inputs large enough
   that ``exp`` overflows.

When ``eqsat_tensor.optimizer`` is installed the graphs are also optimized and the report
shown; when the ``numba`` backend is available the graphs also run there and are compared
with NumPy. Both are optional so the demo works at every stage of the project.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

HELP = "optimize and run a real graph, and show the report (the main job)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``eqsat-tensor demo``."""
    parser.add_argument("--rows", type=int, default=200_000,
                        help="samples of the logistic regression (default 200000)")
    parser.add_argument("--features", type=int, default=16, help="features (default 16)")
    parser.add_argument("--size", type=int, default=1_000_000,
                        help="elements of the gate workload (default 1000000)")
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats, best kept")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--save-json", metavar="PATH", help="also write the loss graph as JSON")


# -- the workloads, as a user would write them ------------------------------------------------


def logistic_loss(X: Any, w: Any, y: Any) -> Any:
    """Mean logistic loss of a linear model with labels in {-1, +1}."""
    return np.mean(np.log(1 + np.exp(-y * (X @ w))))


def gate(x: Any, y: Any) -> Any:
    """Softplus-weighted gate with shared, cancelling and overflow-prone sub-expressions."""
    return np.log(1 + np.exp(x)) * y + np.exp(x) / (1 + np.exp(x)) - x * y / x


# -- helpers ------------------------------------------------------------------------------------


def gate_stable(x: Any, y: Any) -> Any:
    """What an optimizer should reach for ``gate``: softplus, sigmoid, and ``x*y/x = y``."""
    return np.logaddexp(0, x) * y + 0.5 * (1 + np.tanh(0.5 * x)) - y


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


def _optimizer() -> Any:
    try:
        from ..optimizer import optimize
    except ImportError:
        return None
    return optimize


def _numba_backend() -> Any:
    from ..backends import get_backend
    from ..errors import BackendError

    try:
        return get_backend("numba")
    except BackendError:
        return None


# -- running one workload ---------------------------------------------------------------------


def _run_workload(console: Any, title: str, fn: Callable, arrays: list[np.ndarray],
                  repeat: int, save_json: str | None = None,
                  stable: Callable | None = None) -> None:
    from rich.panel import Panel
    from rich.table import Table

    from ..backends import compile as compile_graph
    from ..errors import BackendError
    from ..frontend import json_io
    from ..jit import JitFunction

    t0 = time.perf_counter()
    graph = JitFunction(fn, backend="numpy", optimize=False).trace(*arrays)
    trace_s = time.perf_counter() - t0
    text = json_io.dumps(graph)
    assert json_io.loads(text) == graph, "JSON round trip changed the graph"
    if save_json:
        json_io.dump(graph, save_json)
    info = (f"{len(graph)} nodes {graph.op_counts()}\n"
            f"fingerprint {graph.fingerprint()[:16]}   traced in {trace_s * 1e3:.1f} ms   "
            f"JSON {len(text)} bytes, round trip identical"
            + (f", saved to {save_json}" if save_json else ""))
    console.print(Panel(f"[bold]{str(graph)}[/bold]\n\n{info}", title=title, expand=False))

    table = Table(title=f"{title}: results", caption="value: the scalar result, or the mean "
                  "of the finite entries; non-finite: inf/nan entries (exp overflow)")
    for col in ("run", "time (ms)", "value", "non-finite", "max rel. diff vs NumPy"):
        table.add_column(col, justify="left" if col == "run" else "right")
    with np.errstate(all="ignore"):
        base_t, base = _best_time(lambda: fn(*arrays), repeat)
    table.add_row("plain NumPy", f"{base_t * 1e3:.2f}", *_summary(base), "-")
    ref = compile_graph(graph, backend="numpy")
    ref_t, ref_out = _best_time(lambda: ref(*arrays), repeat)
    table.add_row("graph, reference backend", f"{ref_t * 1e3:.2f}", *_summary(ref_out),
                  _diff(ref_out, base))

    if stable is not None:
        t, out = _best_time(lambda: stable(*arrays), repeat)
        table.add_row("hand-written stable NumPy", f"{t * 1e3:.2f}", *_summary(out),
                      _diff(out, base))
    runs = [("graph", graph)]
    optimize = _optimizer()
    if optimize is not None:
        t0 = time.perf_counter()
        res = optimize(graph)
        opt_s = time.perf_counter() - t0
        console.print(Panel(f"[bold]{str(res.graph)}[/bold]\n\n{res.report}",
                            title=f"{title}: optimized in {opt_s * 1e3:.0f} ms", expand=False))
        opt = compile_graph(res.graph, backend="numpy")
        t, out = _best_time(lambda: opt(*arrays), repeat)
        table.add_row("optimized, reference backend", f"{t * 1e3:.2f}", *_summary(out),
                      _diff(out, base))
        runs.append(("optimized", res.graph))
    else:
        console.print("[dim]optimizer not installed yet: showing the traced graph only[/dim]")

    if _numba_backend() is not None:
        for label, g in runs:
            try:
                exe = compile_graph(g, backend="numba")
                exe(*arrays)  # compile outside the timing
                t, out = _best_time(lambda exe=exe: exe(*arrays), repeat)
            except BackendError as exc:
                table.add_row(f"{label}, numba", "-", f"[red]{exc}[/red]", "-", "-")
                continue
            table.add_row(f"{label}, numba", f"{t * 1e3:.2f}", *_summary(out), _diff(out, base))
    else:
        console.print("[dim]numba backend not available yet: NumPy reference only[/dim]")
    console.print(table)


def run(args: argparse.Namespace) -> int:
    """Build, print, serialize, (optimize,) and run the demo workloads."""
    from rich.console import Console

    from .. import __version__
    from ..backends import BACKENDS, get_backend
    from ..errors import BackendError

    console = Console()
    if not console.is_terminal:  # CI logs: wide enough for the tables
        console.width = 110
    available = []
    for name in BACKENDS:
        try:
            get_backend(name)
            available.append(name)
        except BackendError:
            pass
    console.rule(f"eqsat-tensor {__version__} demo")
    console.print(f"NumPy {np.__version__}; backends available: {', '.join(available)}; "
                  f"optimizer: {'yes' if _optimizer() else 'not yet'}")

    rng = np.random.default_rng(args.seed)
    n, d = args.rows, args.features
    X = rng.standard_normal((n, d))
    w_true = rng.standard_normal(d)
    y = np.where(X @ w_true + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
    w = 0.1 * rng.standard_normal(d)
    _run_workload(console, "logistic-regression loss", logistic_loss, [X, w, y], args.repeat,
                  args.save_json)

    x = rng.uniform(-30.0, 800.0, args.size)  # exp(x) overflows above ~709.8
    g = rng.standard_normal(args.size)
    _run_workload(console, "gate with shared and unstable sub-expressions", gate, [x, g],
                  args.repeat, stable=gate_stable)
    console.print("[dim]Shared sub-expressions are single nodes (t1, t2 above): the graph "
                  "is hash-consed, so repeated np.exp(x) is computed once.[/dim]")
    return 0
