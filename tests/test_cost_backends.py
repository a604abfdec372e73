"""Per-backend cost tables, calibration, the never-slower guard and shared stable forms
(issue #21: a cost model that is right about the machine, never slower than the input)."""

from __future__ import annotations

import json

import _workloads_for_cost as WL
import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.cost import CostModel, calibrate, load_cost_model, shipped_path
from eqsat_tensor.egraph.analyses.interval import graph_bounds
from eqsat_tensor.ir import Graph, apply, constant_node
from eqsat_tensor.jit import JitFunction
from eqsat_tensor.optimizer import _never_slower
from eqsat_tensor.report import Report


@pytest.mark.parametrize("backend, fuses", [("numba", True), ("numpy", False)])
def test_shipped_tables_load(backend, fuses, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no user table
    data = json.loads(shipped_path(backend).read_text())
    assert data["format"] == 1 and data["backend"] == backend
    m = load_cost_model(backend=backend)
    assert m.backend == backend and m.fuses is fuses
    assert m.ns["exp"] == pytest.approx(data["ns"]["exp"])
    assert m.pass_ns == pytest.approx(data["pass_ns"]) and m.pass_ns > 0
    assert str(shipped_path(backend)) in m.source


def test_unknown_table_format_falls_back(tmp_path):
    path = tmp_path / "costs.json"
    path.write_text(json.dumps({"format": 99, "ns": {"exp": 123.0}}))
    assert load_cost_model(path).ns["exp"] != 123.0


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_calibrate_backend_writes_a_table_the_loader_reads(backend, tmp_path):
    path = tmp_path / f"costs-{backend}.json"
    m = calibrate(path, backend=backend, elements=1 << 14, repeat=2, ops=["exp", "add", "sum"])
    data = json.loads(path.read_text())
    assert data["backend"] == backend and data["format"] == 1
    assert set(data["ns"]) >= {"exp", "add", "sum"}
    assert all(v > 0 for v in data["ns"].values())
    assert data["byte_ns"] > 0 and data["pass_ns"] >= 0 and data["matmul_flop_ns"] > 0
    assert m.backend == backend and m.fuses is (backend == "numba")
    assert load_cost_model(path).ns["exp"] == pytest.approx(data["ns"]["exp"])


def test_no_fusion_costs_a_pass_per_op():
    x = et.tensor("x", (1000,))
    g = et.as_graph(et.exp(x) * 2.0 + 1.0)
    fused = CostModel(pass_ns=100.0, fuses=True, accuracy_ns=0.0)
    unfused = CostModel(pass_ns=100.0, fuses=False, accuracy_ns=0.0)
    # three elementwise ops: three passes, three results written, two operands read back
    extra = 3 * 100.0 + unfused.byte_ns * (3 * 8000 + 2 * 8000)
    assert unfused.graph_time(g) == pytest.approx(fused.graph_time(g) + extra)


def test_reduction_pass_counts():
    x = et.tensor("x", (1000,))
    g = et.as_graph(et.sum(et.exp(x)))
    a = CostModel(pass_ns=0.0, accuracy_ns=0.0)
    b = CostModel(pass_ns=500.0, accuracy_ns=0.0)
    assert b.graph_time(g) - a.graph_time(g) == pytest.approx(2 * 500.0)  # exp pass, sum


def _parts_graphs():
    x = et.tensor("x", (1000,)).node
    unstable = Graph([apply("log", apply("add", constant_node(1.0), apply("exp", x)))])
    stable = Graph([apply("softplus", x)])
    return unstable, stable


def test_never_slower_keeps_the_input_when_only_slower():
    x = et.tensor("x", (1000,)).node
    given = Graph([apply("mul", x, x)])
    best = Graph([apply("square", x)])
    ns = dict(CostModel().ns, square=50.0, mul=1.0)
    rep = Report()
    assert _never_slower(CostModel(ns=ns), given, best, rep) is given
    assert any("not better by the cost model" in n and "kept the input" in n
               for n in rep.notes)
    assert rep.time_after == rep.time_before


def test_never_slower_allows_slower_only_for_accuracy():
    unstable, stable = _parts_graphs()
    ns = dict(CostModel().ns, softplus=5.0, exp=1.0, log=1.0, add=0.1)
    rep = Report()  # (no fusion: softplus's cost is not capped at its expansion)
    assert _never_slower(CostModel(ns=ns, fuses=False), unstable, stable, rep) is stable
    assert rep.time_after > rep.time_before
    assert any("removes accuracy risk" in n for n in rep.notes)
    # no accuracy weight: the slower graph is not taken
    rep = Report()
    model = CostModel(ns=ns, accuracy_ns=0.0, fuses=False)
    assert _never_slower(model, unstable, stable, rep) is unstable


def test_interval_bounds_of_the_shared_forms():
    x = et.tensor("x", (4,)).node
    e = apply("exp", apply("neg", apply("abs", x)))
    mx = apply("maximum", x, constant_node(0.0))
    lp = apply("log1p", e)
    wh = apply("where", apply("less", x, constant_node(0.0)), e, constant_node(1.0))
    q = apply("div", wh, apply("add", constant_node(1.0), e))
    b = graph_bounds(Graph([mx, lp, q]))
    assert b[mx.uid][0] == 0.0 and b[e.uid] == (0.0, 1.0) and b[lp.uid][0] == 0.0
    assert b[wh.uid] == (0.0, 1.0) and b[q.uid] == (0.0, 1.0)


def _count(graph: Graph, op: str) -> int:
    return sum(1 for n in graph.nodes() if n.op == op)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


@pytest.mark.parametrize("fn, ref", [
    (lambda x, y: np.log(1 + np.exp(x)) * y + np.exp(x) / (1 + np.exp(x)),
     lambda x, y: np.logaddexp(0.0, x) * y + _sigmoid(x)),
    (lambda x, y: np.log1p(np.exp(-x)) + 1 / (1 + np.exp(-x)) * y,  # softplus(-x), sigmoid
     lambda x, y: np.logaddexp(0.0, -x) + y * _sigmoid(x)),
])
def test_softplus_and_sigmoid_share_one_exp(fn, ref):
    x = np.linspace(-800, 800, 64)
    y = np.linspace(0.5, 2.0, 64)
    graph = JitFunction(fn, backend="numpy", optimize=False).trace(x, y)
    res = et.optimize(graph, backend="numba", budget=et.Budget(seconds=30))
    out = res.graph
    assert _count(out, "exp") == 1, str(out)
    assert _count(out, "softplus") == 0 and _count(out, "sigmoid") == 0
    got = et.compile(out, backend="numpy")(x, y)
    with np.errstate(all="ignore"):
        plain = fn(x, y)
    assert not np.all(np.isfinite(plain))  # the input graph overflows here...
    assert np.all(np.isfinite(got))  # ...the stable forms do not
    np.testing.assert_allclose(got, ref(x, y), rtol=1e-13)


@pytest.mark.parametrize("backend", ["numba", pytest.param("numpy", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", WL.NAMES)
def test_workload_never_slower_by_the_model(name, backend):
    graph, ieee = WL.traced(name)
    res = et.optimize(graph, ieee=ieee, backend=backend)
    model = load_cost_model(backend=backend)
    t_in, a_in = model.graph_parts(graph, graph_bounds(graph))
    t_out, a_out = model.graph_parts(res.graph, graph_bounds(res.graph))
    tol = 1e-9 * t_in
    assert t_out + a_out <= t_in + a_in + tol
    assert t_out <= t_in + tol or a_out < a_in, res.report.notes


def _ops_of(p, out):
    from eqsat_tensor.rulelang.ast import App

    if isinstance(p, App):
        out.add(p.op)
        for a in p.args:
            _ops_of(a, out)
    return out


def test_shared_forms_match_the_rules():
    from eqsat_tensor.cost import SHARED_FORMS
    from eqsat_tensor.rulelang import default_rules
    from eqsat_tensor.rulelang.ast import App, Var

    found = {}
    for r in default_rules().rules:
        lhs = r.lhs
        if isinstance(lhs, App) and len(lhs.args) == 1 and isinstance(lhs.args[0], Var) \
                and r.name.endswith("-shared-exp"):
            found[lhs.op] = _ops_of(r.rhs, set())
    assert {op: set(parts) for op, parts in SHARED_FORMS.items()} == found


def test_an_op_alone_stays_one_node_in_the_neutral_model():
    m = load_cost_model(backend=None, path="/nonexistent/costs.json")
    x = et.tensor("x", (100,)).node
    e = apply("exp", apply("neg", apply("abs", x)))
    lowered = Graph([apply("add", apply("maximum", x, constant_node(0.0)), apply("log1p", e))])
    assert m.graph_time(Graph([apply("softplus", x)])) < m.graph_time(lowered)


def test_calibrate_saves_in_the_user_cache_and_overrides_the_shipped_table(tmp_path,
                                                                          monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    calibrate(backend="numpy", elements=1 << 12, repeat=1, ops=["exp"])
    saved = tmp_path / "eqsat-tensor" / "costs-numpy.json"
    data = json.loads(saved.read_text())
    m = load_cost_model(backend="numpy")
    shipped = json.loads(shipped_path("numpy").read_text())
    assert m.ns["exp"] == pytest.approx(data["ns"]["exp"])  # the user's measurement
    assert m.ns["log"] == pytest.approx(shipped["ns"]["log"])  # the rest as shipped
    assert str(saved) in m.source


@pytest.mark.parametrize("ieee", ["finite", "fast"])
def test_softmax_and_logsumexp_of_the_same_rows_share_max_exp_and_sum(ieee):
    def fn(x):  # a max-shifted softmax and the rows' log-sum-exp, written separately
        m = np.max(x, axis=1, keepdims=True)
        e = np.exp(x - m)
        return e / np.sum(e, axis=1, keepdims=True), np.log(np.sum(np.exp(x), axis=1,
                                                                   keepdims=True))

    x = np.random.default_rng(0).uniform(-5, 800, (16, 8))
    graph = JitFunction(fn, backend="numpy", optimize=False).trace(x)
    res = et.optimize(graph, ieee=ieee, backend="numba", budget=et.Budget(seconds=30))
    out = res.graph
    assert _count(out, "exp") == 1 and _count(out, "max") == 1 and _count(out, "sum") == 1
    assert _count(out, "logsumexp") == 0, str(out)
    sm, lse = et.compile(out, backend="numpy")(x)
    m = x.max(axis=1, keepdims=True)
    np.testing.assert_allclose(lse, m + np.log(np.exp(x - m).sum(axis=1, keepdims=True)),
                               rtol=1e-15)
    assert np.all(np.isfinite(lse))
    np.testing.assert_allclose(sm.sum(axis=1), 1.0, rtol=1e-14)
