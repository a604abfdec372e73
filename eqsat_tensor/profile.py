"""``et.profile(f, *args)``: where the time of a compiled function goes, kernel by kernel.

For each step of the numba plan (fused kernel, BLAS matmul, view) it measures the time
(min over repeats), the bytes the step moves (buffers read once + buffers written), the
achieved bandwidth against this machine's copy bandwidth (measured once per process with a
large ``np.copyto``), whether the step looks memory- or compute-bound, and the cost model's
share of the total (and its absolute prediction) next to the measured time. The cost model
is ``eqsat_tensor.cost.load_cost_model()`` (nanoseconds per node) when that module exists,
else the ops table's per-element coefficients times the element count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .ir import OPS, Node

_BANDWIDTH: float | None = None


def copy_bandwidth() -> float:
    """Bytes per second of a 160 MB ``np.copyto`` (read + write), best of 5; measured once."""
    global _BANDWIDTH
    if _BANDWIDTH is None:
        n = 10_000_000
        src, dst = np.ones(n), np.empty(n)
        best = math.inf
        for _ in range(5):
            t = time.perf_counter()
            np.copyto(dst, src)
            best = min(best, time.perf_counter() - t)
        _BANDWIDTH = 2 * n * 8 / best
    return _BANDWIDTH


@dataclass
class StepProfile:
    """One plan step: what it computes and how fast."""

    name: str
    kind: str
    ops: str
    seconds: float
    bytes: int
    predicted: float  # cost model units

    def gbps(self) -> float:
        return self.bytes / self.seconds / 1e9 if self.seconds > 0 else 0.0


@dataclass
class Profile:
    """The result of ``et.profile``: per-step rows plus totals."""

    function: str
    steps: list[StepProfile] = field(default_factory=list)
    total_seconds: float = 0.0
    bandwidth: float = 0.0
    cost_model: str = ""
    cost_unit: float = 0.0  # seconds per cost unit (0: the model is relative only)

    def table(self) -> Any:
        """A ``rich`` table."""
        from rich.table import Table

        t = Table(title=f"profile of {self.function}: {self.total_seconds * 1e3:.3f} ms per call "
                        f"(copy bandwidth {self.bandwidth / 1e9:.1f} GB/s)")
        for col in ("step", "kind", "ops", "time ms", "share", "MB moved", "GB/s", "% of copy bw",
                    "bound", "model ms", "model share"):
            t.add_column(col, justify="left" if col in ("step", "kind", "ops", "bound")
                         else "right")
        total_t = sum(s.seconds for s in self.steps) or 1.0
        total_p = sum(s.predicted for s in self.steps) or 1.0
        for s in self.steps:
            pct = 100 * s.bytes / s.seconds / self.bandwidth if s.seconds > 0 else 0.0
            bound = "-" if s.kind == "view" else ("memory" if pct >= 50 else "compute")
            t.add_row(s.name, s.kind, s.ops[:40], f"{s.seconds * 1e3:.3f}",
                      f"{100 * s.seconds / total_t:.0f}%", f"{s.bytes / 1e6:.2f}",
                      f"{s.gbps():.1f}", f"{pct:.0f}%", bound,
                      f"{s.predicted * self.cost_unit * 1e3:.3f}" if self.cost_unit else "-",
                      f"{100 * s.predicted / total_p:.0f}%")
        t.caption = f"cost model: {self.cost_model}"
        return t

    def __rich__(self) -> Any:
        return self.table()


def _cost_function() -> tuple[Callable[[Node], float], str, float]:
    """(cost of one node, description, seconds per cost unit or 0 when unitless)."""
    try:
        from .cost import load_cost_model  # optional: the calibrated cost model
    except ImportError:
        load_cost_model = None
    if load_cost_model is not None:
        model = load_cost_model()

        def model_cost(node: Node) -> float:
            return model.node_cost(node.op, node.shape, node.dtype,
                                   [i.shape for i in node.inputs],
                                   [i.dtype for i in node.inputs],
                                   [False] * len(node.inputs))

        return model_cost, model.describe(), 1e-9

    def table_cost(node: Node) -> float:
        size = math.prod(d if isinstance(d, int) else 1 for d in
                         (node.inputs[0].shape if OPS[node.op].kind == "reduction" else node.shape))
        if node.op == "matmul":
            a, b = node.inputs
            inner = a.shape[-1] if isinstance(a.shape[-1], int) else 1
            return 2.0 * size * inner
        return OPS[node.op].cost * size

    return table_cost, "ops table coefficient x elements (eqsat_tensor.cost not available)", 0.0


def _nbytes(node: Node, dims: dict[str, int]) -> int:
    size = math.prod(dims.get(d, 1) if isinstance(d, str) else d for d in node.shape)
    return size * (1 if node.dtype == "bool" else np.dtype(node.dtype).itemsize)


def profile(f: Any, *args: Any, repeats: int = 10, show: bool = True, **kwargs: Any) -> Profile:
    """Profile ``f`` (an ``@et.jit`` function, or a plain NumPy function compiled with the
    numba backend) on these arguments; prints a ``rich`` table unless ``show=False``."""
    from .backends.plan import Kernel, MatmulStep
    from .jit import JitFunction

    jf = f if isinstance(f, JitFunction) else JitFunction(f, backend="numba", tiered=False)
    entry = jf.lower(*args, **kwargs)
    arrays = jf._arrays(args, kwargs)
    exe = entry.executable
    if hasattr(type(exe), "settle"):  # tiered (jit_tiered): profile the compiled kernels
        exe = exe.settle()
    name = getattr(jf, "__name__", "function")
    cost_fn, cost_name, unit = _cost_function()
    result = Profile(name, bandwidth=copy_bandwidth(), cost_model=cost_name, cost_unit=unit)
    if not hasattr(exe, "run_profiled"):
        best = math.inf
        for _ in range(repeats):
            t = time.perf_counter()
            exe.run(arrays, {})
            best = min(best, time.perf_counter() - t)
        nodes = [n for n in exe.graph.nodes() if n.op not in ("input", "constant")]
        result.steps.append(StepProfile("all", exe.backend, f"{len(nodes)} ops", best,
                                        sum(a.nbytes for a in arrays), sum(map(cost_fn, nodes))))
        result.total_seconds = best
        return _show(result, show)
    exe.run(arrays, {})  # compile / warm up
    steps = list(exe.plan.steps)
    best_steps = [math.inf] * len(steps)
    best_total = math.inf
    for _ in range(repeats):
        _, times = exe.run_profiled(arrays, {})
        for k in range(len(steps)):
            best_steps[k] = min(best_steps[k], times[k + 1] - times[k])
        best_total = min(best_total, times[-1] - times[0])
    for step, seconds in zip(steps, best_steps):
        if isinstance(step, Kernel):
            nodes = list(step.nodes) + list(step.matmuls)
            label, kind = step.name, step.kind + (" + matmul" if step.matmuls else "")
            moved = sum(_nbytes(n, {}) for n in step.reads + step.writes)
            moved += sum(_nbytes(m, {}) + sum(_nbytes(i, {}) for i in m.inputs)
                         for m in step.matmuls)
        elif isinstance(step, MatmulStep):
            nodes, label, kind = [step.node], f"matmul#{step.node.uid}", "matmul"
            moved = sum(_nbytes(n, {}) for n in step.node.inputs) + _nbytes(step.node, {})
        else:
            nodes, label, kind, moved = [step.node], f"{step.node.op}#{step.node.uid}", "view", 0
        ops = ", ".join(dict.fromkeys(n.op for n in nodes))
        result.steps.append(StepProfile(label, kind, ops, seconds, moved,
                                        sum(cost_fn(n) for n in nodes)))
    result.total_seconds = best_total
    return _show(result, show)


def _show(result: Profile, show: bool) -> Profile:
    if show:
        from rich.console import Console

        Console().print(result.table())
    return result


__all__ = ["Profile", "StepProfile", "copy_bandwidth", "profile"]
