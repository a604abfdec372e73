"""Generated graphs for the optimizer tests."""

from __future__ import annotations

import random

from eqsat_tensor.ir import Graph, apply, constant_node, input_node


def chain(n: int) -> Graph:
    """A chain of depth ``n``: each node uses the previous two (heavy sharing)."""
    a, b = input_node("a", (3,)), input_node("b", (3,))
    prev, cur = a, b
    for k in range(n):
        prev, cur = cur, apply("add" if k % 2 else "mul", prev, cur)
    return Graph(cur, [a, b])


def safe_random_graph(n_nodes: int, seed: int = 0, window: int = 12) -> Graph:
    """A random DAG whose values stay finite for inputs in [0.5, 1.5]: operands of
    ``log``/``div``/``sqrt`` are kept positive, so equality checks are never vacuous."""
    rng = random.Random(seed)
    nodes = [input_node(f"x{i}", ("n",)) for i in range(4)]
    one = constant_node(1.0)
    two = constant_node(2.0)
    while len(nodes) < n_nodes:
        def pick():
            return nodes[rng.randrange(max(0, len(nodes) - window), len(nodes))]
        r = rng.random()
        a, b = pick(), pick()
        pos = apply("add", apply("sigmoid", a), one)  # in (1, 2)
        if r < 0.15:
            nodes.append(apply("add", a, b))
        elif r < 0.3:
            nodes.append(apply("sub", a, b))
        elif r < 0.45:
            nodes.append(apply("mul", apply("tanh", a), b))
        elif r < 0.55:
            nodes.append(apply("div", a, pos))
        elif r < 0.65:
            nodes.append(apply("log", pos))
        elif r < 0.75:
            nodes.append(apply("sqrt", apply("mul", pos, pos)))
        elif r < 0.85:
            nodes.append(apply("exp", apply("tanh", a)))
        elif r < 0.92:
            nodes.append(apply("sub", apply("exp", apply("tanh", a)), one))
        else:
            nodes.append(apply("mul", apply("div", a, two), two))
    used = {i.uid for nd in nodes for i in nd.inputs}
    out = None
    for nd in nodes[4:]:
        if nd.uid not in used:
            out = nd if out is None else apply("add", out, nd)
    return Graph(out, nodes[:4])
