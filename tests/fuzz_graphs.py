"""Seeded random graphs for pipeline fuzzing (tests/test_fuzz_pipeline.py).

``random_case(seed)`` builds a well-typed graph over the ops table, biased towards the
shapes the shipped rules rewrite (``log(1 + x)``, ``exp(x) - 1``, ``x / x``, ``x * 1``,
``sqrt(x * x)``, ``log(sum(exp(x)))``, ...), plus input arrays for it. A seed fully
determines the case, so a failing seed is a regression case (tests/fuzz_corpus/).

A plain ``numpy.random.Generator`` drives it instead of hypothesis: thousands of graphs
must go through the optimizer per CI run, and a seed is the whole reproduction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import eqsat_tensor as et
from eqsat_tensor.errors import DTypeError, ShapeError
from eqsat_tensor.ir import Graph

# Unary ops whose domain is all reals, and those needing a positive / bounded argument.
_TOTAL = ["neg", "exp", "expm1", "abs", "square", "sin", "cos", "tanh", "arctan", "sinh",
          "cbrt", "sigmoid", "softplus", "exp2"]
_POSITIVE = ["log", "sqrt", "log2", "log10", "reciprocal"]
_BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "hypot", "logaddexp"]
_REDUCE = ["sum", "mean", "max", "min", "logsumexp"]
_CONSTS = [0.0, 1.0, 2.0, 0.5, -1.0, 3.0]


def _templates(rng: np.random.Generator, t: et.Tensor, u: et.Tensor) -> et.Tensor:
    """Expressions the shipped rules rewrite."""
    k = int(rng.integers(0, 14))
    return [
        lambda: et.log(1 + et.abs(t)), lambda: et.exp(t) - 1, lambda: t / t, lambda: t * 1,
        lambda: t + 0, lambda: t - t, lambda: et.sqrt(t * t), lambda: et.log(et.exp(t)),
        lambda: t * u / t, lambda: (t + u) - t, lambda: et.exp(t) * et.exp(u),
        lambda: et.log(et.sum(et.exp(t), axis=-1)) if t.node.ndim else et.log(et.exp(t)),
        lambda: et.neg(et.neg(t)), lambda: et.log(1 + et.exp(t)),
    ][k]()


@dataclass
class Case:
    """One fuzz case: a graph and its input arrays (in ``graph.inputs`` order)."""

    seed: int
    graph: Graph
    arrays: list[np.ndarray]


def random_case(seed: int, size: int = 8, prefix: str = "") -> Case:
    """A random well-typed graph of about ``size`` ops and inputs for it."""
    rng = np.random.default_rng(seed)
    dtype = "float64" if rng.random() < 0.8 else "float32"
    base = tuple(int(d) for d in rng.integers(1, 5, size=int(rng.integers(0, 3))))
    n_inputs = int(rng.integers(1, 4))
    inputs, arrays = [], []
    for i in range(n_inputs):
        rank = int(rng.integers(0, len(base) + 1))
        shape = tuple(1 if rng.random() < 0.2 else d for d in base[len(base) - rank:])
        inputs.append(et.tensor(f"{prefix}x{i}", shape, dtype))
        scale = [1.0, 3.0, 30.0][int(rng.integers(0, 3))]
        arrays.append((rng.standard_normal(shape) * scale).astype(dtype))
    pool: list[et.Tensor] = list(inputs)
    for _ in range(size):
        t = pool[int(rng.integers(0, len(pool)))]
        u = pool[int(rng.integers(0, len(pool)))]
        r = rng.random()
        try:
            if r < 0.25:
                new = _templates(rng, t, u)
            elif r < 0.45:
                new = getattr(et, _TOTAL[int(rng.integers(0, len(_TOTAL)))])(t)
            elif r < 0.55:
                op = _POSITIVE[int(rng.integers(0, len(_POSITIVE)))]
                new = getattr(et, op)(et.abs(t) + 0.5)
            elif r < 0.85:
                op = _BINARY[int(rng.integers(0, len(_BINARY)))]
                other = u if rng.random() < 0.8 else _CONSTS[int(rng.integers(0, len(_CONSTS)))]
                new = getattr(et, op)(t, other) if rng.random() < 0.5 else getattr(et, op)(other, t)
            elif t.node.ndim:
                op = _REDUCE[int(rng.integers(0, len(_REDUCE)))]
                axis = int(rng.integers(-t.node.ndim, t.node.ndim)) if rng.random() < 0.6 else None
                new = getattr(et, op)(t, axis=axis, keepdims=bool(rng.random() < 0.3))
            else:
                new = et.where(t > u, t, u)
        except (ShapeError, DTypeError):
            continue
        pool.append(new)
    outs = [pool[-1].node]
    if len(pool) > n_inputs + 2 and rng.random() < 0.3:
        outs.append(pool[-2].node)
    graph = Graph(outs, inputs=[i.node for i in inputs])
    return Case(seed, graph, arrays)


def combine(cases: list[Case]) -> tuple[Graph, list[np.ndarray], list[int]]:
    """One multi-output graph of several cases (inputs must have distinct names, see
    ``prefix``), its arrays, and where each case's outputs start."""
    outputs, inputs, arrays, starts = [], [], [], []
    for c in cases:
        starts.append(len(outputs))
        outputs.extend(c.graph.outputs)
        inputs.extend(c.graph.inputs)
        arrays.extend(c.arrays)
    return Graph(outputs, inputs=inputs), arrays, starts


def mismatches_on_backend(cases: list[Case], optimized: list[Case], backend: str) -> list[str]:
    """Run the ``optimized`` graphs as one compiled multi-output module on ``backend`` and
    compare each with its original case (``compare_graphs``); one message per mismatch."""
    from eqsat_tensor.testing.check import compare_graphs

    big, arrays, starts = combine(optimized)
    outs = et.compile(big, backend=backend)(*arrays)
    outs = outs if isinstance(outs, tuple) else (outs,)
    failures = []
    for c, o, s in zip(cases, optimized, starts):
        values = [np.asarray(v) for v in outs[s:s + len(c.graph.outputs)]]
        msg = compare_graphs(c.graph, o.graph, c.arrays, values=values)
        if msg is not None:
            failures.append(f"seed {c.seed} ({backend}): {msg}\n  optimized: {o.graph}")
    return failures
