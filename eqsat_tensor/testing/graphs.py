"""Seeded random graphs for tests, the stress suite and the optimizer benchmarks."""

from __future__ import annotations

import random

from ..ir import Graph, apply, constant_node, input_node

# User rules that make the e-graph explode: commutativity, associativity both ways and
# distributivity both ways (the budget tests and benchmarks/budget.py run them).
EXPLOSIVE_RULES = """
rule u-add-comm: x + y => y + x
rule u-mul-comm: x * y => y * x
rule u-add-assoc: (x + y) + z <=> x + (y + z)
rule u-mul-assoc: (x * y) * z <=> x * (y * z)
rule u-dist: x * (y + z) <=> x * y + x * z
"""


def random_dag(n_nodes: int, seed: int = 0, window: int = 50, fill: float = 1.0) -> Graph:
    """A random program-like DAG over 8 inputs of shape ``("n",)``: binary arithmetic,
    ``log(1 + _)`` and unary maths, each node reading one of the ``window`` nodes made
    before it; every node nothing reads is summed into one scalar output. ``fill * n_nodes``
    nodes are drawn before that final sum (the sum adds about a fifth more at ``fill=1``)."""
    rng = random.Random(seed)
    nodes = [input_node(f"x{i}", ("n",)) for i in range(8)]
    one = constant_node(1.0)
    target = int(n_nodes * fill)

    def pick():
        return nodes[rng.randrange(max(0, len(nodes) - window), len(nodes))]

    while len(nodes) < target:
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
