"""Generated large and explosive graphs for the stress suite (self-contained, seeded)."""

from __future__ import annotations

import random

from eqsat_tensor.ir import Graph, apply, constant_node, input_node
from eqsat_tensor.testing import graphs

# The explosive user rules, and a product rewritten to a bigger sum of itself.
EXPLOSIVE_RULES = graphs.EXPLOSIVE_RULES + "rule u-half: x * y => 0.5 * (x * y + x * y)\n"


def long_sum(terms: int) -> Graph:
    """``sum(exp(x * 1) + exp(x * 2) + ...)``: a left-deep chain of ``terms`` additions."""
    x = input_node("x", (3,))
    acc = None
    for i in range(terms):
        t = apply("exp", apply("mul", x, constant_node(float(i % 7 + 1) / 8)))
        acc = t if acc is None else apply("add", acc, t)
    return Graph(apply("sum", acc, axis=(0,), keepdims=False), [x])


def small_explosive(seed: int) -> Graph:
    """A 16-node graph of where / maximum / exp / tanh over two inputs, with constants."""
    rng = random.Random(seed)
    x, y = input_node("x", (4,)), input_node("y", (4,))
    pool = [x, y]
    while len(pool) < 16:
        a, b = rng.choice(pool), rng.choice(pool)
        c = constant_node(rng.choice([0.5, 2.0, -1.0, 3.0]))
        k = rng.randrange(6)
        if k == 0:
            pool.append(apply("where", apply("greater", a, b), a, apply("mul", b, c)))
        elif k == 1:
            pool.append(apply("maximum", a, apply("mul", b, c)))
        elif k == 2:
            pool.append(apply("mul", apply("exp", a), b))
        elif k == 3:
            pool.append(apply("tanh", apply("add", a, b)))
        elif k == 4:
            pool.append(apply("add", apply("mul", a, b), c))
        else:
            pool.append(apply("sub", a, apply("mul", b, c)))
    return Graph(apply("add", apply("add", pool[-1], pool[-2]), pool[-3]), [x, y])
