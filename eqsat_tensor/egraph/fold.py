"""Constant folding on the IR with NumPy: every constant-only sub-graph becomes one
constant whose value is exactly what the reference backend computes.

Run before insertion (so rules see folded constants) and after extraction (rules such as
``x / c => x * (1 / c)`` create new constant sub-graphs). Results larger than
``MAX_ELEMENTS`` are left unfolded (folding a ``broadcast_to`` of a scalar into a big array
would only cost memory), and ``broadcast_to`` is never folded.
"""

from __future__ import annotations

import math

import numpy as np

from ..ir import OPS, Graph, Node, constant_node

MAX_ELEMENTS = 4096


def fold_constants(graph: Graph) -> Graph:
    """``graph`` with constant-only sub-graphs folded (the same object if none)."""
    new: dict[int, Node] = {}
    changed = False
    with np.errstate(all="ignore"):
        for node in graph.nodes():
            spec = OPS[node.op]
            ins = [new[i.uid] for i in node.inputs]
            if spec.kind == "leaf":
                new[node.uid] = node
                continue
            if node.op != "broadcast_to" and all(i.op == "constant" for i in ins) and _small(node):
                attrs = dict(node.attrs)
                value = spec.reference(*[np.asarray(i.value, dtype=i.dtype) for i in ins],
                                       **attrs)
                arr = np.asarray(value).astype(node.dtype, copy=False)
                if arr.shape == tuple(node.shape):
                    new[node.uid] = constant_node(arr if arr.ndim else arr[()], node.dtype)
                    changed = True
                    continue
            if any(a is not b for a, b in zip(ins, node.inputs)):
                from ..ir import apply

                new[node.uid] = apply(node.op, *ins, **dict(node.attrs))
                changed = True
            else:
                new[node.uid] = node
    if not changed:
        return graph
    return Graph([new[o.uid] for o in graph.outputs], graph.inputs)


def _small(node: Node) -> bool:
    return all(isinstance(d, int) for d in node.shape) and math.prod(node.shape) <= MAX_ELEMENTS
