"""Accuracy measured, not assumed: bits of error of a graph over sampled inputs and local
error per node (the accuracy optimizer that uses them is ``accuracy.search``).

Measurement reuses the oracle of ``mpeval`` (``sample_inputs``, ``exact``,
``bits_of_error``):

``sample(graph, precondition, n, seed)``
    Inputs inside the precondition box (uniform, and log-uniform in magnitude where a
    range spans orders of magnitude) plus their correctly rounded true outputs.
``measure_accuracy(graph, samples)``
    Mean and max bits of error per output (``ErrorStats``); the exact values of the
    samples belong to the *mathematical* function, so every graph equivalent to the one
    sampled is measured against the same values.
``local_error(graph, samples)``
    Per node, the bits of error of that node alone: its op applied (in floating point)
    to the correctly rounded exact values of its operands, against its own exact value.
    High local error marks where accuracy is lost.

``choose(candidates, objective)`` picks among measured candidates.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .. import mpeval
from ..ir import Graph, Node, apply, input_node
from ..report import Report

OBJECTIVES = ("accuracy", "balanced", "speed")
# balanced: the fastest candidate within this many bits (mean) of the most accurate
BALANCED_BITS = 1.0
DEFAULT_SAMPLES = 1000

Precondition = Mapping[str, tuple[float, float]]


# -- samples and error measurement ------------------------------------------------------------


@dataclass
class Samples:
    """Sampled ``inputs`` (name -> 1-D array) and the true outputs (``exact``, one array
    per output, correctly rounded), with the precondition they were drawn from."""

    inputs: dict[str, np.ndarray]
    exact: list[np.ndarray]
    precondition: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of samples."""
        return len(next(iter(self.inputs.values()))) if self.inputs else 1

    def subset(self, mask: np.ndarray) -> Samples:
        """The samples where ``mask`` is true."""
        return Samples({k: v[mask] for k, v in self.inputs.items()},
                       [np.broadcast_to(e, mask.shape)[mask] for e in self.exact],
                       dict(self.precondition))


def sample(graph: Graph, precondition: Precondition | None = None, n: int = DEFAULT_SAMPLES,
           seed: int = 0, condition: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None
           ) -> Samples:
    """``n`` input samples inside ``precondition`` (``{"x": (lo, hi)}``; unlisted inputs use
    ``mpeval.DEFAULT_RANGE``) with their exact outputs. ``condition`` rejects samples (an
    FPCore ``:pre`` that is not a box). Inputs must be scalars (or the graph
    elementwise): each sample is one point."""
    _require_scalar_inputs(graph)
    pre = {k: (float(lo), float(hi)) for k, (lo, hi) in (precondition or {}).items()}
    inputs = mpeval.sample_inputs(graph, pre, n=n, seed=seed, condition=condition)
    exact = mpeval.exact(graph, inputs)
    return Samples(inputs, [np.asarray(e) for e in exact], pre)


def _require_scalar_inputs(graph: Graph) -> None:
    for node in graph.nodes():
        if node.op not in ("input", "constant") and node.spec.kind != "elementwise":
            raise ValueError(f"accuracy: op {node.op!r} is not elementwise; the accuracy "
                             "optimizer samples points of elementwise (scalar) graphs")
    for node in graph.inputs:
        if node.ndim:
            raise ValueError(f"accuracy: input {node.name!r} has shape {node.shape}; sample "
                             "scalar inputs (the graph is applied elementwise)")


@dataclass
class ErrorStats:
    """Bits of error per output: ``mean`` and ``max`` over the samples, and ``bits`` (the
    per-sample arrays)."""

    mean: list[float]
    max: list[float]
    bits: list[np.ndarray] = field(repr=False, default_factory=list)

    @property
    def total(self) -> float:
        """Mean bits of error averaged over the outputs (one number to rank graphs)."""
        return float(np.mean(self.mean)) if self.mean else 0.0


def evaluate(graph: Graph, samples: Samples) -> list[np.ndarray]:
    """The graph evaluated in floating point (NumPy reference backend) on the samples."""
    from ..backends.numpy_ref import evaluate as ref_eval

    arrays = [samples.inputs[name] for name in graph.input_names]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ref_eval(graph, arrays)
    return [np.broadcast_to(np.asarray(o), (samples.n,)) for o in out]


def measure_accuracy(graph: Graph, samples: Samples | None = None,
                     precondition: Precondition | None = None, n: int = DEFAULT_SAMPLES,
                     seed: int = 0) -> ErrorStats:
    """Mean and max bits of error of each output of ``graph`` over ``samples`` (drawn from
    ``precondition`` when not given). ``samples.exact`` may come from any graph
    equivalent to ``graph``."""
    if samples is None:
        samples = sample(graph, precondition, n, seed)
    bits = [mpeval.bits_of_error(c, e) for c, e in zip(evaluate(graph, samples),
                                                        samples.exact)]
    return ErrorStats([float(b.mean()) if b.size else 0.0 for b in bits],
                      [float(b.max()) if b.size else 0.0 for b in bits], bits)


def local_error(graph: Graph, samples: Samples) -> dict[Node, float]:
    """Mean local bits of error of every computed node of ``graph``: the node's op applied
    in floating point to the correctly rounded exact values of its operands, against the
    node's own exact value. Leaves have none. Ordered worst first."""
    nodes = [n for n in graph.nodes() if n.op not in ("input", "constant")]
    if not nodes:
        return {}
    arrays = [samples.inputs[name] for name in graph.input_names]
    whole = Graph(nodes, graph.inputs)
    exact = dict(zip((n.uid for n in nodes), mpeval.exact(whole, arrays)))
    from ..backends.numpy_ref import evaluate as ref_eval

    out: dict[Node, float] = {}
    for node in nodes:
        args, vals = [], []
        for i, child in enumerate(node.inputs):
            if child.op == "constant":
                args.append(child)
                continue
            args.append(input_node(f"a{i}", child.shape, child.dtype))
            vals.append(samples.inputs[child.name] if child.op == "input"
                        else exact[child.uid])
        single = Graph(apply(node.op, *args, **dict(node.attrs)),
                       [a for a in args if a.op == "input"])
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (got,) = ref_eval(single, vals)
        bits = mpeval.bits_of_error(got, exact[node.uid])
        out[node] = float(np.mean(bits)) if np.size(bits) else 0.0
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def pin_inputs(graph: Graph, precondition: Precondition) -> Graph | None:
    """``graph`` with every input that the precondition pins to one value (``lo == hi``)
    replaced by that constant, and every sub-graph that then depends on constants only
    replaced by its *exact* value, correctly rounded (``mpeval.exact``; ``fold_constants``
    would round each intermediate). The inputs stay (unused). None if nothing is pinned."""
    from ..ir import constant_node

    pinned = {n.uid: constant_node(float(precondition[n.name][0]), n.dtype)
              for n in graph.inputs if n.name in precondition
              and precondition[n.name][0] == precondition[n.name][1]}
    if not pinned:
        return None
    new: dict[int, Node] = {}
    const: set[int] = set()
    for node in graph.nodes():
        if node.uid in pinned:
            new[node.uid] = pinned[node.uid]
        elif node.inputs:
            new[node.uid] = apply(node.op, *[new[i.uid] for i in node.inputs],
                                  **dict(node.attrs))
        else:
            new[node.uid] = node
        if new[node.uid].op == "constant" or (node.inputs and all(
                i.uid in const for i in node.inputs)):
            const.add(node.uid)
    users: dict[int, list[int]] = {}
    for node in graph.nodes():
        for i in node.inputs:
            users.setdefault(i.uid, []).append(node.uid)
    outs = {o.uid for o in graph.outputs}
    folded: dict[int, Node] = {}
    for node in graph.nodes():
        if node.uid not in const or new[node.uid].op == "constant":
            continue
        if node.uid in outs or any(u not in const for u in users.get(node.uid, ())):
            (value,) = mpeval.exact(Graph(new[node.uid], []), [])
            folded[node.uid] = constant_node(float(np.asarray(value).reshape(())), node.dtype)
    rebuilt: dict[int, Node] = {}
    for node in graph.nodes():
        if node.uid in folded:
            rebuilt[node.uid] = folded[node.uid]
        elif node.uid in pinned:
            rebuilt[node.uid] = pinned[node.uid]
        elif node.inputs:
            rebuilt[node.uid] = apply(node.op, *[rebuilt[i.uid] for i in node.inputs],
                                      **dict(node.attrs))
        else:
            rebuilt[node.uid] = node
    return Graph([rebuilt[o.uid] for o in graph.outputs], graph.inputs)


# -- the optimizer ---------------------------------------------------------------------------


@dataclass
class Candidate:
    """One measured candidate: its graph, where it came from, its error and speed cost."""

    graph: Graph
    origin: str
    error: ErrorStats
    cost: float  # cost-model estimate (compute + memory; no accuracy term), ns

    @property
    def bits(self) -> float:
        return self.error.total


@dataclass
class AccuracyReport:
    """What the accuracy optimizer measured and chose."""

    objective: str = "accuracy"
    precondition: dict[str, tuple[float, float]] = field(default_factory=dict)
    samples: int = 0
    bits_before: list[float] = field(default_factory=list)
    bits_after: list[float] = field(default_factory=list)
    max_before: list[float] = field(default_factory=list)
    max_after: list[float] = field(default_factory=list)
    candidates: int = 0
    chosen: str = ""
    regimes: list[str] = field(default_factory=list)
    cost_ratio: float = 1.0  # estimated runtime after / before (cost model, no accuracy term)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows, appended to the optimize report."""
        def fmt(xs: list[float]) -> str:
            return ", ".join(f"{x:.2f}" for x in xs)

        pre = ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in self.precondition.items())
        rows = [("objective", f"{self.objective} ({self.samples} samples; {pre or 'default box'})"),
                ("bits of error", f"mean {fmt(self.bits_before)} -> {fmt(self.bits_after)}; "
                                  f"max {fmt(self.max_before)} -> {fmt(self.max_after)}"),
                ("candidates", f"{self.candidates} measured; chosen: {self.chosen}"),
                ("regimes", "; ".join(self.regimes) if self.regimes else "none (one candidate)"),
                ("runtime ratio", f"x{self.cost_ratio:.3g} (cost-model estimate, after/before)")]
        return rows

    def __str__(self) -> str:
        width = max(len(k) for k, _ in self.lines())
        return "\n".join(f"{k:<{width}}  {v}" for k, v in self.lines())


@dataclass
class AccuracyOptReport(Report):
    """The optimize ``Report`` plus the accuracy section (``accuracy``)."""

    accuracy: AccuracyReport | None = None

    def lines(self) -> list[tuple[str, str]]:
        rows = super().lines()
        if self.accuracy is not None:
            rows += self.accuracy.lines()
        return rows


def choose(cands: list[Candidate], objective: str) -> Candidate:
    """The candidate an objective picks: ``"accuracy"``: least mean bits (ties: cheaper);
    ``"balanced"``: the cheapest within ``BALANCED_BITS`` of the most accurate;
    ``"speed"``: the cheapest no less accurate than the first candidate (the input) by
    more than ``BALANCED_BITS``."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
    if objective == "accuracy":
        return min(cands, key=lambda c: (round(c.bits, 6), c.cost))
    if objective == "balanced":
        best = min(c.bits for c in cands)
        ok = [c for c in cands if c.bits <= best + BALANCED_BITS]
    else:
        ok = [c for c in cands if c.bits <= cands[0].bits + BALANCED_BITS]
    return min(ok, key=lambda c: (c.cost, c.bits))


def op_names(graph: Graph) -> set[str]:
    """The ops used by a graph (handy in tests and reports)."""
    return {n.op for n in graph.nodes()}


__all__ = ["Samples", "ErrorStats", "Candidate", "AccuracyReport", "AccuracyOptReport",
           "sample", "measure_accuracy", "local_error", "evaluate", "choose", "op_names",
           "OBJECTIVES"]
