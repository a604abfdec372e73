"""Hand-computed costs of small graphs (DAG cost: a shared subterm counts once)."""

from __future__ import annotations

import json

import pytest

import eqsat_tensor as et
from eqsat_tensor.cost import CostModel, calibrate, load_cost_model

NS = {op: 0.0 for op in et.OPS}
NS.update({"mul": 1.0, "add": 2.0, "exp": 3.0, "sum": 0.5})


def model(**kw):
    args = dict(ns=NS, matmul_flop_ns=0.5, byte_ns=0.5, accuracy_ns=0.0, risk={})
    args.update(kw)
    return CostModel(**args)


def test_shared_subterm_counts_once():
    x = et.tensor("x", (4,))
    s = x * x
    g = et.as_graph(s + s)
    # input x: 32 bytes * 0.5; x*x: 4 elements * 1.0 once; add: 4 * 2.0; output written
    assert model().graph_cost(g) == pytest.approx(16 + 4 + 8 + 16)
    assert len(g) == 3


def test_accuracy_term():
    x = et.tensor("x", (4,))
    g = et.as_graph(x + x)
    m = model(accuracy_ns=10.0, risk={"add": 0.25})
    assert m.graph_cost(g) == pytest.approx(16 + 8 + 10 * 0.25 * 4 + 16)


def test_matmul_costs_flops_and_traffic():
    a, b = et.tensor("A", (2, 3)), et.tensor("B", (3, 4))
    g = et.as_graph(a @ b)
    flops = 2 * 2 * 4 * 3
    expected = 0.5 * 48 + 0.5 * 96 + 0.5 * flops + 0.5 * (2 * 4 * 8)
    assert model().graph_cost(g) == pytest.approx(expected)


def test_reduction_materializes_its_elementwise_operand():
    x = et.tensor("x", (4,))
    g = et.as_graph(et.sum(et.exp(x)))
    # x read; exp 4*3; sum 4*0.5 + traffic (8 out + 2*32 exp materialized) * 0.5
    expected = 16 + 12 + 2 + 0.5 * (8 + 64)
    assert model().graph_cost(g) == pytest.approx(expected)


def test_symbolic_dims_use_the_default_size():
    x = et.tensor("x", ("n", 2))
    g = et.as_graph(x * x)
    assert model(symbolic_dim=10).graph_cost(g) == pytest.approx(0.5 * 160 + 20 + 0.5 * 160)


def test_calibrate_writes_json_and_loads(tmp_path):
    path = tmp_path / "costs.json"
    m = calibrate(path, backend="numpy", elements=1 << 12, repeat=1)
    data = json.loads(path.read_text())
    assert "exp" in data["ns"] and data["matmul_flop_ns"] > 0
    loaded = load_cost_model(path)
    assert loaded.ns["exp"] == pytest.approx(data["ns"]["exp"])
    assert m.source.startswith("calibrated")
    assert load_cost_model(tmp_path / "missing.json").source.startswith("built-in")
    assert "DAG cost" in m.describe()
