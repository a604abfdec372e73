"""Generated graphs for the optimizer tests."""

from __future__ import annotations

import random

from eqsat_tensor.ir import Graph, apply, constant_node, input_node


def random_graph(n_nodes: int, seed: int = 0, window: int = 50) -> Graph:
    """A random program-like DAG of about ``n_nodes`` nodes over 8 inputs of shape (n,)."""
    rng = random.Random(seed)
    nodes = [input_node(f"x{i}", ("n",)) for i in range(8)]
    one = constant_node(1.0)
    while len(nodes) < n_nodes:
        def pick():
            return nodes[rng.randrange(max(0, len(nodes) - window), len(nodes))]
        r = rng.random()
        if r < 0.6:
            nodes.append(apply(rng.choice(["add", "sub", "mul", "div"]), pick(), pick()))
        elif r < 0.7:
            nodes.append(apply("log", apply("add", one, pick())))
        else:
            nodes.append(apply(rng.choice(["exp", "neg", "sqrt", "abs", "tanh"]), pick()))
    used = {i.uid for nd in nodes for i in nd.inputs}
    out = None
    for nd in nodes[8:]:
        if nd.uid not in used:
            out = nd if out is None else apply("add", out, nd)
    return Graph(apply("sum", out, axis=(0,), keepdims=False), nodes[:8])


def chain(n: int) -> Graph:
    """A chain of depth ``n``: each node uses the previous two (heavy sharing)."""
    a, b = input_node("a", (3,)), input_node("b", (3,))
    prev, cur = a, b
    for k in range(n):
        prev, cur = cur, apply("add" if k % 2 else "mul", prev, cur)
    return Graph(cur, [a, b])
