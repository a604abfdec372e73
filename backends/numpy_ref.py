"""The reference backend: evaluates any Graph with NumPy, op by op, from the ops table.

It is the correctness oracle of every other backend and of every rewrite, so it stays
obviously correct: no fusion, no tricks, IEEE semantics (warnings silenced, inf/nan kept).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..ir import OPS, Graph, Node
from .base import Executable, concrete_shape, infer_dims


def evaluate(graph: Graph, arrays: list[Any], dims: dict[str, int] | None = None
             ) -> list[np.ndarray]:
    """Values of ``graph.outputs`` for input arrays given in ``graph.inputs`` order."""
    dims = dims or infer_dims(graph, arrays)
    env: dict[int, np.ndarray] = {n.uid: np.asarray(a) for n, a in zip(graph.inputs, arrays)}
    remaining = graph.users()  # free intermediates after their last use (big graphs)
    keep = {o.uid for o in graph.outputs} | {i.uid for i in graph.inputs}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an empty slice is nan
        for node in graph.nodes():
            if node.uid in env:
                continue
            env[node.uid] = _eval_node(node, [env[i.uid] for i in node.inputs], dims)
            for i in node.inputs:
                remaining[i.uid] -= 1
                if remaining[i.uid] == 0 and i.uid not in keep:
                    del env[i.uid]
    return _fresh([np.asarray(env[o.uid], dtype=o.dtype) for o in graph.outputs], arrays)


def _fresh(outs: list[np.ndarray], arrays: list[Any]) -> list[np.ndarray]:
    """Outputs that own their memory: never an input (``x * 1.0`` rewritten to ``x``), a
    view of one (``x.T``), a read-only constant, or another output."""
    inputs = [a for a in arrays if isinstance(a, np.ndarray)]
    fresh: list[np.ndarray] = []
    for out in outs:
        if (not out.flags.writeable or any(np.may_share_memory(out, a) for a in inputs)
                or any(np.may_share_memory(out, o) for o in fresh)):
            out = out.copy()
        fresh.append(out)
    return fresh


def _eval_node(node: Node, args: list[np.ndarray], dims: dict[str, int]) -> np.ndarray:
    if node.op == "constant":
        return np.asarray(node.value, dtype=node.dtype)
    if node.op == "input":
        raise KeyError(f"no value for input {node.name!r}")
    attrs = dict(node.attrs)
    if "shape" in attrs:
        attrs["shape"] = concrete_shape(attrs["shape"], dims)
    out = OPS[node.op].reference(*args, **attrs)
    return np.asarray(out).astype(node.dtype, copy=False)


class NumpyExecutable(Executable):
    """A graph run op by op with NumPy."""

    backend = "numpy"

    def run(self, arrays: list[Any], dims: dict[str, int]) -> list[np.ndarray]:
        return evaluate(self.graph, arrays, dims)


def compile(graph: Graph, **options: Any) -> NumpyExecutable:
    """Reference executable for ``graph`` (options are accepted and ignored)."""
    return NumpyExecutable(graph)
