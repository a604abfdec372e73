"""Graph -> e-graph -> graph round trips: every op and attribute survives, sharing stays."""

from __future__ import annotations

import sys

import numpy as np
from _graphs import chain

import eqsat_tensor as et
from eqsat_tensor.egraph.schema import CTOR_TO_OP, ctor, datatype_decl
from eqsat_tensor.ir import OPS, Graph
from eqsat_tensor.optimizer import optimize
from eqsat_tensor.rulelang.ast import RuleSet

NONE = RuleSet("none")


def roundtrip(graph: Graph) -> Graph:
    res = optimize(graph, rules=NONE, fallback=False)
    assert not res.report.fallback
    return res.graph


def test_every_op_has_a_constructor():
    decl = datatype_decl()
    for op, spec in OPS.items():
        if spec.kind != "leaf":
            assert f"({ctor(op)} " in decl
            assert CTOR_TO_OP[ctor(op)] == op
    assert ctor("broadcast_to") == "BroadcastTo"


def test_roundtrip_keeps_the_same_nodes():
    x = et.tensor("x", (2, 3), "float32")
    y = et.tensor("y", (3,), "float32")
    m = et.tensor("m", (3, 4))
    c = et.constant(np.arange(3.0, dtype=np.float32), "float32")
    s = et.exp(x) * y
    outs = [
        s + s,
        et.sum(s, axis=1, keepdims=True),
        et.logsumexp(x, axis=0),
        et.transpose(x),
        et.reshape(x, (3, 2)),
        et.broadcast_to(y, (5, 3)),
        et.expand_dims(y, 0),
        et.cast(x, "float64") @ m,
        et.where(x > 0.5, x, y + c),
        et.maximum(x, 0.25) - et.minimum(y, -1.5),
    ]
    g = Graph([o.node for o in outs])
    back = roundtrip(g)
    assert back == g  # hash-consing: the very same nodes, so sharing is kept
    assert back.input_names == g.input_names


def test_inputs_keep_order_and_unused_inputs():
    a, b = et.tensor("a", (3,)), et.tensor("b", (3,))
    g = Graph([et.exp(a).node], [b.node, a.node])
    back = roundtrip(g)
    assert back.input_names == ("b", "a")


def test_ten_thousand_node_chain_without_recursion():
    g = chain(10_000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        back = roundtrip(g)
    finally:
        sys.setrecursionlimit(limit)
    assert back == g
