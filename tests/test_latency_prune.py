"""Rule pruning (``egraph.prune``): only the rules that can fire on a graph's ops are
registered in egglog, and the optimized graph is the same as with every rule."""

from __future__ import annotations

import pytest
from _workloads_for_cost import NAMES, traced

import eqsat_tensor as et
from eqsat_tensor.egraph import engine, extract
from eqsat_tensor.egraph.budget import TIME_LIMIT, Budget
from eqsat_tensor.egraph.compiler import compiled_rules
from eqsat_tensor.egraph.prune import Plan, chunk_facts
from eqsat_tensor.ir import Graph, apply, constant_node, input_node
from eqsat_tensor.rulelang import default_rules
from eqsat_tensor.testing.graphs import random_dag

CTORS = frozenset({"Foo", "Bar", "Baz", "Qux"})


def test_chunk_facts_split_query_and_actions() -> None:
    f = chunk_facts('(rule ((= e (Foo (Bar x))) (p x)) ((union e (Baz x "(Qux)"))) '
                    ':ruleset r1 :name "a(b)")', CTORS)
    assert f.rule and f.needs == {"Foo", "Bar"} and f.makes == {"Baz"} and f.ruleset == "r1"
    assert not chunk_facts("(relation Foo (i64))", CTORS).rule
    # an insertion rule needs what it builds (only a graph with that op fills its table)
    g = chunk_facts("(rule ((in-Foo i a)) ((union (Ref i) (Foo (Ref a)))) :ruleset insert)",
                    CTORS, frozenset({"insert"}))
    assert g.needs == {"Foo"} and g.makes == frozenset()


def test_closure_follows_what_rules_build() -> None:
    chunks = ["(datatype T (Foo T) (Bar T) (Baz T) (Qux T))",
              "(rule ((= e (Foo x))) ((union e (Bar x))) :ruleset r)",   # Foo -> Bar
              "(rule ((= e (Bar x))) ((union e (Baz x))) :ruleset r)",   # Bar -> Baz
              "(rule ((= e (Qux x))) ((union e (Foo x))) :ruleset r)",   # needs Qux
              "(rule ((p e)) ((q e)) :ruleset r)"]                       # needs nothing
    p = Plan.of(chunks, CTORS)
    assert p.closure({"Foo"}) == {1, 2, 4}
    assert p.closure({"Baz"}) == {4}
    assert p.closure({"Qux"}) == {1, 2, 3, 4}
    assert p.program(p.closure({"Baz"})) == [chunks[0], chunks[4]]  # declarations stay


def test_small_graph_registers_a_fraction_of_the_rules() -> None:
    key, compiled = compiled_rules(default_rules(), "finite")
    plan = engine.plan(key, compiled)
    x = input_node("x", (8,))
    g = Graph(apply("sum", apply("exp", x), axis=(0,), keepdims=False))
    need = engine.needed_rules(plan, g)
    assert need is not None and 0 < len(need) < len(plan.rules) // 2
    # every rule whose query names only constructors of the graph is among them
    have = {"Exp", "Sum", "Input", "Ref"}
    assert {i for i in plan.rules if plan.facts[i].needs <= have} <= need


def test_rule_reachable_only_through_another_rules_right_side_fires() -> None:
    rules = ("rule first: arcsinh(x) => arccosh(x)\n"
             "rule second: arccosh(x) => arctanh(x)\n"
             "rule never: cbrt(x) => x\n")
    g = Graph(apply("arcsinh", input_node("x", (4,))))
    engine.forget_programs()
    res = et.optimize(g, rules=rules, check_rules=False, budget=Budget(seconds=30))
    assert res.report.rules_fired.get("first", 0) > 0
    assert res.report.rules_fired.get("second", 0) > 0  # Arccosh only comes from "first"
    key, compiled = compiled_rules(et.load_rules(rules), "finite")
    plan = engine.plan(key, compiled)
    names = " ".join(plan.chunks[i] for i in engine.needed_rules(plan, g))
    assert '"second"' in names and '"never"' not in names


def _both(graph: Graph, ieee: str, monkeypatch: pytest.MonkeyPatch):
    """(graph text, e-graph sizes, rules fired) with pruned rules registered as their
    constructors appear (the default), with the pruned rules all registered up front,
    then with every rule. The extractor's local search is bounded by its trial count
    only (its clock would make the choice depend on the machine's load)."""
    monkeypatch.setattr(extract, "REFINE_SECONDS", 600.0)
    out = []
    for prune, lazy in ((True, True), (True, False), (False, False)):
        monkeypatch.setattr(engine, "PRUNE", prune)
        monkeypatch.setattr(engine, "LAZY", lazy)
        engine.forget_programs()
        res = et.optimize(graph, ieee=ieee, budget=Budget(seconds=60, iters=12))
        assert res.report.stop_reason != TIME_LIMIT
        out.append((str(res.graph), res.report.egraph_sizes,
                    sorted(res.report.rules_fired.items())))
    engine.forget_programs()
    return out


def _random(seed: int) -> Graph:
    return random_dag(20 + 7 * seed, seed=seed)


def _mixed() -> Graph:
    x, y = input_node("x", (5, 3)), input_node("y", (3,))
    z = apply("logsumexp", apply("mul", x, apply("exp", y)), axis=(1,), keepdims=False)
    w = apply("where", apply("greater", z, constant_node(0.0)), apply("log1p", z),
              apply("neg", constant_node(-0.0)))
    return Graph(apply("sqrt", apply("square", w)))


CI_WORKLOADS = ["softplus", "logsumexp_rows", "identities", "demo_gate"]


@pytest.mark.parametrize("name", CI_WORKLOADS)
def test_pruned_equals_full_on_workloads(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    graph, ieee = traced(name)
    lazy, pruned, full = _both(graph, ieee, monkeypatch)
    assert lazy == pruned == full


@pytest.mark.parametrize("make", [lambda: _random(1), lambda: _random(4), _mixed],
                         ids=["dag1", "dag4", "mixed"])
def test_pruned_equals_full_on_random_graphs(make, monkeypatch: pytest.MonkeyPatch) -> None:
    lazy, pruned, full = _both(make(), "finite", monkeypatch)
    assert lazy == pruned == full


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if n not in CI_WORKLOADS])
def test_pruned_equals_full_on_every_workload(name: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    graph, ieee = traced(name)
    lazy, pruned, full = _both(graph, ieee, monkeypatch)
    assert lazy == pruned == full


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5, 15))
def test_pruned_equals_full_on_more_random_graphs(seed: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    lazy, pruned, full = _both(_random(seed), "finite", monkeypatch)
    assert lazy == pruned == full


def test_insertion_rules_and_their_tables_follow_the_graph_only() -> None:
    chunks = ["(relation in-Foo (i64 i64))",
              "(relation in-Bar (i64 i64))",
              "(relation seen (i64))\n(relation in-Bar (i64))",  # not one declaration: kept
              "(rule ((in-Foo i a)) ((union (Ref i) (Foo (Ref a)))) :ruleset insert)",
              "(rule ((in-Bar i a)) ((union (Ref i) (Bar (Ref a)))) :ruleset insert)",
              "(rule ((= e (Foo x))) ((union e (Bar x))) :ruleset r)"]
    p = Plan.of(chunks, CTORS | {"Ref"}, {"insert"})
    # Bar is reachable (a rule builds it) but only an inserted Bar fills in-Bar
    need = p.closure({"Foo", "Ref"})
    assert need == {3, 5}
    assert p.program(need) == [chunks[0], chunks[2], chunks[3], chunks[5]]
    assert p.closure({"Foo", "Bar", "Ref"}) == {3, 4, 5}


def test_constructors_built_outside_rules_count_as_present() -> None:
    chunks = ["(datatype T (Foo T) (Bar T) (Baz T) (Qux T))",
              "(rewrite (Foo x) (Qux x))",                               # builds Qux
              "(rule ((= e (Qux x))) ((union e (Baz x))) :ruleset r)",
              "(rule ((= e (Bar x))) ((union e (Baz x))) :ruleset r)"]
    p = Plan.of(chunks, CTORS)
    assert p.closure({"Baz"}) == {2}


def test_startable_and_ready_follow_the_constructors_present() -> None:
    chunks = ["(datatype T (Foo T) (Bar T) (Baz T) (Qux T))",
              "(rule ((= e (Foo x))) ((union e (Bar x))) :ruleset r)",   # Foo -> Bar
              "(rule ((= e (Bar x))) ((union e (Baz x))) :ruleset r)",   # Bar -> Baz
              "(rule ((= e (Baz x)) (= f (Foo x))) ((union e f)) :ruleset s)"]
    p = Plan.of(chunks, CTORS)
    need = p.closure({"Foo"})
    assert need == {1, 2, 3}
    assert p.startable(need, {"Foo"}) == {1}  # the others wait for Bar, Baz
    assert p.ready([2, 3], {"Foo"}) == []
    assert p.ready([2, 3], {"Foo", "Bar"}) == [2, 3]  # what rule 2 builds counts in turn
    assert p.ready([3], {"Foo", "Bar"}) == []
    assert p.ready([3], {"Foo", "Baz"}) == [3]


def _softplus_twice() -> Graph:
    """log(1 + exp(x)) * 2: rules turn it into softplus, whose own rules wait till then."""
    x = input_node("x", (8,))
    return Graph(apply("mul", apply("log", apply("add", constant_node(1.0), apply("exp", x))),
                       constant_node(2.0)))


def test_rules_are_registered_once_their_constructors_are_in_the_egraph(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "LAZY", True)
    g = _softplus_twice()
    key, compiled = compiled_rules(default_rules(), "finite")
    plan = engine.plan(key, compiled)
    need = engine.needed_rules(plan, g)
    engine.forget_programs()
    sessions = []
    real_close = engine.Session.close

    def close(self: engine.Session) -> None:
        sessions.append((set(self._late), {i for v in self._pending.values() for i in v},
                         self._present_names()))
        real_close(self)

    monkeypatch.setattr(engine.Session, "close", close)
    et.optimize(g, budget=Budget(seconds=60))
    ((late, pending, present),) = sessions
    entry = engine._thread_cache()[key]
    base = entry.rules
    assert base is not None and late and pending
    assert base | late | pending == need and not (base & late) and not (late & pending)
    # rules were registered late once the e-graph held their constructors (or a rule of
    # their ruleset registered with them builds them); those registered late come back in
    # the base next time. (Some still waiting may be ready now: their ruleset did not run
    # again after the constructors came.)
    assert set(plan.ready(sorted(late), present)) == late
    assert any(not plan.facts[i].needs <= {"Input", "Const", "Exp", "Add", "Log", "Mul",
                                           "Ref"} for i in late)
    assert entry.wanted == late
    sessions.clear()
    et.optimize(g, budget=Budget(seconds=60))
    ((late2, _, _),) = sessions
    assert late2 == set() and late <= entry.rules and not entry.wanted
    engine.forget_programs()


def test_type_rows_loaded_from_files_equal_rows_as_commands(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from eqsat_tensor.egglog_bindings import bindings as b
    from eqsat_tensor.egraph import bridge

    x, y = input_node("x", (5, 3)), input_node("y", (3,))
    g = Graph(apply("where", apply("greater", apply("sum", x, axis=(0,), keepdims=False), y),
                    apply("exp", y), apply("neg", y)))
    key, compiled = compiled_rules(default_rules(), "finite")
    rows = engine.types_analysis.tables(g.nodes(), compiled.attr_literals)
    cmds = bridge.row_loads(rows, str(tmp_path))
    inputs = [c for c in cmds if isinstance(c, b.Input)]
    assert inputs and len(cmds) - len(inputs) == sum(
        1 for _, args, v in rows if type(v) is not int or any(type(a) is not int for a in args))
    sizes = []
    for via_files in (True, False):
        if not via_files:
            monkeypatch.setattr(engine, "row_loads", lambda rows, d: bridge.row_loads(rows, None))
        engine.forget_programs()
        with engine.Session(key, compiled, graph=g) as s:
            s.insert(g, compiled.attr_literals)
            (out,) = s.egraph.run_program(b.PrintSize(bridge.SPAN, None))
            sizes.append(sorted(out.sizes))
        res = et.optimize(g, budget=Budget(seconds=60))
        sizes.append((str(res.graph), res.report.egraph_sizes))
    engine.forget_programs()
    assert sizes[0] == sizes[2] and sizes[1] == sizes[3]
