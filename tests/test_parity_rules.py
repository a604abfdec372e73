"""Issue 27's mechanisms, one family each: the accuracy cost reads the analyses, the new
stable ops and inverse pairs, guard-free where() alternatives, settle phases that do not
lose rules, reduction and where algebra, integer powers by squaring. Every new rule is
checked against its tier by the soundness checker."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.cost import (
    CostModel,
    overflow_limits,
    risk_given,
    well_conditioned,
)
from eqsat_tensor.egraph.analyses.interval import graph_bounds
from eqsat_tensor.ir import OPS
from eqsat_tensor.jit import trace
from eqsat_tensor.mpeval import bits_of_error, exact
from eqsat_tensor.rulelang import default_rules
from eqsat_tensor.rulelang.ast import App, Const, Var
from eqsat_tensor.rulelang.powers import BEGIN, END, chain, power_rules
from eqsat_tensor.testing import check_rules

mpmath.mp.dps = 50


def optimized(fn, *arrays, ieee="finite"):
    names = [f"x{i}" for i in range(len(arrays))]
    graph, _ = trace(fn, names, [np.asarray(a) for a in arrays])
    return graph, et.optimize(graph, ieee=ieee, fallback=False)


# ---- 1. the accuracy cost sees overflow and cancellation ----

def test_overflow_limits_come_from_the_references():
    lo, hi = overflow_limits("exp")
    assert lo is None and hi == pytest.approx(math.log(np.finfo(np.float64).max))
    assert overflow_limits("exp", "float32")[1] == pytest.approx(88.72, abs=0.01)
    assert overflow_limits("cosh")[0] == pytest.approx(-710.4758, abs=1e-3)
    assert overflow_limits("log") is None and overflow_limits("add") is None


def test_exp_risk_is_lifted_only_inside_its_overflow_limit():
    base = OPS["exp"].risk
    assert risk_given("exp", "float64", base, [(None, None)]) == base
    assert risk_given("exp", "float64", base, [(None, 0.0)]) == 0.0
    assert risk_given("exp", "float64", base, [(None, 710.0)]) == base
    m = CostModel()
    safe = m.node_cost("exp", (10,), "float64", [(10,)], ["float64"], [True], [(None, 0.0)])
    unknown = m.node_cost("exp", (10,), "float64", [(10,)], ["float64"], [True], [None])
    assert unknown - safe == pytest.approx(m.accuracy_ns * base * 10)


def test_add_and_sub_that_cannot_cancel_carry_no_risk():
    r = OPS["add"].risk
    assert risk_given("add", "float64", r, [(0.0, None), (1.0, 2.0)]) == 0.0
    assert risk_given("add", "float64", r, [(0.0, None), (None, None)]) == r
    assert risk_given("sub", "float64", r, [(0.0, None), (None, -1.0)]) == 0.0
    assert risk_given("sub", "float64", r, [(0.0, None), (0.0, None)]) == r
    assert OPS["add"].risk == OPS["sub"].risk and OPS["add"].ns == OPS["sub"].ns


def test_conditioning_lifts_log1p_risk_away_from_minus_one():
    assert not well_conditioned("log1p", -1.0, 0.0)
    assert well_conditioned("log1p", 0.0, None)
    assert not well_conditioned("log", None, None) and well_conditioned("log", 2.0, None)


def test_graph_bounds_see_a_max_shift():
    def shifted(x):
        m = np.max(x, axis=1, keepdims=True)
        return np.exp(x - np.where(m - 709.0 > 0.0, m, 0.0))

    graph, _ = trace(shifted, ["x"], [np.ones((2, 3))])
    bounds = graph_bounds(graph)
    sub = next(n for n in graph.nodes() if n.op == "sub" and n.inputs[0].op == "input")
    assert bounds[sub.uid][1] == 709.0
    graph2, _ = trace(lambda x: np.exp(x - np.max(x)), ["x"], [np.ones(3)])
    sub2 = next(n for n in graph2.nodes() if n.op == "sub")
    assert graph_bounds(graph2)[sub2.uid] == (None, 0.0)


def test_y_minus_x_is_chosen_over_minus_x_plus_y():
    _, res = optimized(lambda x, y: -x + y, np.ones(3), np.ones(3))
    assert str(res.graph) == "x1 - x0"
    _, res = optimized(lambda x, y: x - (-y), np.ones(3), np.ones(3))
    assert str(res.graph) == "x0 + x1"


# ---- 2. stable ops ----

@pytest.mark.parametrize("fn", [lambda x: np.log1p(-np.exp(x)),
                                lambda x: np.log(1 - np.exp(x)),
                                lambda x: np.log(-np.expm1(x))])
def test_log1mexp_forms_are_accurate_at_both_ends(fn):
    x = np.array([-1e-300, -1e-12, -0.5, -0.7, -3.0, -40.0, -700.0])
    graph, res = optimized(fn, x)
    assert "log1mexp" in res.graph.op_counts()
    got = evaluate(res.graph, [x])[0]
    ref = exact(graph, [x], start_prec=2200, max_prec=8800)[0]
    assert np.max(bits_of_error(got, ref)) <= 2


def test_log1mexp_matches_mpmath_and_numba():
    x = np.array([0.0, -1e-300, -1e-8, -0.6931471805599453, -0.7, -2.0, -40.0, -800.0, 1.0])
    ref = np.array([float(OPS["log1mexp"].mpmath(mpmath.mp, mpmath.mpf(v))) for v in x])
    np.testing.assert_allclose(OPS["log1mexp"].reference(x), ref, rtol=4e-16)
    f = et.jit(lambda x: np.log1p(-np.exp(x)))
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(f(x[:-1]), ref[:-1], rtol=4e-16)


def test_logdiffexp_has_no_overflow():
    a, b = np.array([1000.0, 2.0, 0.5]), np.array([999.0, 1.0, 0.4999999])
    graph, res = optimized(lambda a, b: np.log(np.exp(a) - np.exp(b)), a, b)
    got = evaluate(res.graph, [a, b])[0]
    for ai, bi, gi in zip(a, b, got):
        e = mpmath.log(mpmath.exp(mpmath.mpf(ai)) - mpmath.exp(mpmath.mpf(bi)))
        assert gi == pytest.approx(float(e), rel=1e-14)


def test_log1p_of_minus_sigmoid_is_minus_softplus():
    _, res = optimized(lambda x: np.log1p(-(1 / (1 + np.exp(-x)))), np.array([40.0, 800.0]))
    assert str(res.graph) == "-softplus(x0)"
    assert evaluate(res.graph, [np.array([800.0])])[0][0] == -800.0


def test_log_of_a_reciprocal():
    x = np.array([1e-310, 2.0])
    _, res = optimized(lambda x: np.log(1 / x), x)
    assert str(res.graph) == "-log(x0)"
    assert evaluate(res.graph, [x])[0][0] == pytest.approx(float(-mpmath.log(1e-310)))


# ---- 3. ops: inverse pairs ----

@pytest.mark.parametrize("op", ["arcsinh", "arccosh", "arctanh", "sign"])
def test_new_ops_trace_as_ops(op):
    graph, _ = trace(lambda x: getattr(np, op)(x), ["x"], [np.array([1.5, 2.0])])
    assert graph.outputs[0].op == op


@pytest.mark.parametrize("fn,x,want", [
    (lambda x: np.arcsinh(np.sinh(x)), [800.0, -1e-8, 3.0], "x0"),
    (lambda x: np.arccosh(np.cosh(x)), [800.0, -1e-9, 3.0], "abs(x0)"),
    (lambda x: np.arctanh(np.tanh(x)), [30.0, -1e-8, 0.5], "x0"),
    (lambda x: np.log2(np.exp2(x)), [2000.0, -3.0], "x0"),
    (lambda x: np.sign(x) * np.abs(x), [-2.0, 0.0, 3.0], "x0"),
])
def test_inverse_pairs_remove_the_round_trip(fn, x, want):
    _, res = optimized(fn, np.array(x))
    assert str(res.graph) == want


# ---- 4. guard-free alternatives ----

@pytest.mark.parametrize("fn,lo", [(lambda x: np.exp(np.log(x)), 0.0),
                                   (lambda x: np.expm1(np.log1p(x)), -1.0),
                                   (lambda x: np.sqrt(x) * np.sqrt(x), 0.0),
                                   (lambda x: np.cosh(np.arccosh(x)), 1.0)])
def test_unprovable_guard_becomes_a_where_exact_everywhere(fn, lo):
    x = np.array([-3.0, lo - 1e-12, lo, lo + 1e-300, lo + 0.5, 1e300])
    graph, res = optimized(fn, x)
    assert res.graph.outputs[0].op == "where"
    got = evaluate(res.graph, [x])[0]
    ref = exact(graph, [x], start_prec=2200, max_prec=8800)[0]
    assert np.all(bits_of_error(got, ref) <= 1)


def test_a_proven_guard_still_gives_the_plain_form():
    _, res = optimized(lambda x: np.exp(np.log(np.exp(x))), np.array([1.0]))
    assert str(res.graph) == "exp(x0)"


# ---- 5. phases that do not lose rules ----

def _spell_late(p):
    """The same pattern in the spelling the specialize phase produces: ``1 / t`` <->
    ``reciprocal(t)``, ``t * t`` <-> ``square(t)``."""
    if not isinstance(p, App):
        return p
    args = tuple(_spell_late(a) for a in p.args)
    if p.op == "div" and args[0] == Const(1.0):
        return App("reciprocal", (args[1],))
    if p.op == "mul" and args[0] == args[1]:
        return App("square", (args[0],))
    if p.op == "reciprocal":
        return App("div", (Const(1.0), args[0]))
    if p.op == "square":
        return App("mul", (args[0], args[0]))
    return App(p.op, args, p.attrs)


def _late_rules():
    out = []
    for r in default_rules().rules:
        if r.ruleset not in ("algebra", "stability") or r.tags & {"fast", "expansive"}:
            continue
        if r.guards and any(g.kind not in ("finite",) for g in r.guards):
            continue
        late = _spell_late(r.lhs)
        if late != r.lhs and not _has_attrs(late):
            out.append((r.name, late))
    return out


def _has_attrs(p):
    return isinstance(p, App) and (bool(p.attrs) or any(_has_attrs(a) for a in p.args))


def _build(p, env):
    if isinstance(p, Var):
        return env[p.name]
    if isinstance(p, Const):
        return p.value
    return getattr(et, {"div": "divide", "mul": "multiply", "sub": "subtract",
                        "neg": "negative", "pow": "power"}.get(p.op, p.op))(
        *[_build(a, env) for a in p.args])


def _vars(p, acc):
    if isinstance(p, Var):
        acc.add(p.name)
    elif isinstance(p, App):
        for a in p.args:
            _vars(a, acc)
    return acc


LATE = _late_rules()


def test_some_rules_meet_their_form_only_after_specialize():
    names = {n for n, _ in LATE}
    assert {"recip-recip", "div-recip", "sqrt-mul-self", "log-of-recip"} <= names


@pytest.mark.parametrize("name,late", LATE, ids=[n for n, _ in LATE])
def test_rule_fires_on_the_spelling_a_later_phase_produces(name, late):
    env = {v: et.tensor(v, ()) for v in sorted(_vars(late, set()))}
    expr = _build(late, env)
    graph = et.as_graph(expr)
    res = et.optimize(graph, fallback=False)
    assert name in res.report.rules_fired, (name, str(graph))
    xs = [np.float64(0.75 + 0.5 * i) for i in range(len(graph.inputs))]
    with np.errstate(all="ignore"):
        a, b = evaluate(graph, xs)[0], evaluate(res.graph, xs)[0]
    assert a == pytest.approx(b, rel=1e-13) or (np.isnan(a) and np.isnan(b))


# ---- 6. reduction and where algebra, powers ----

def test_neg_max_neg_is_min_and_wheres_on_one_condition_merge():
    _, res = optimized(lambda x: -np.max(-x, axis=1), np.ones((2, 3)))
    assert str(res.graph) == "min(x0, axis=(1,))"
    c = np.array([True, False])
    _, res = optimized(lambda c, a, b: np.where(c, a, b) * np.where(c, b, a), c,
                       np.ones(2), np.ones(2))
    assert res.graph.op_counts().get("where", 0) <= 1  # one where (or none: a*b both ways)


def test_the_power_block_in_specialize_rules_is_generated():
    text = (default_rules().files and open(
        [f for f in default_rules().files if f.endswith("specialize.rules")][0]).read())
    block = text[text.index(BEGIN):text.index(END) + len(END)]
    assert block == power_rules()


@pytest.mark.parametrize("n", [4, 7, 15, 24, 33, 64])
def test_square_chains_compute_the_power(n):
    x = np.array([-1.5, 0.5, 1.0001, 2.0, 3.0, -0.9])
    env = {"x": x}
    got = eval_chain(chain(n), env)
    np.testing.assert_allclose(got, x ** n, rtol=(n + 1) * 2 ** -53)


def eval_chain(text, env):
    """Evaluate a generated chain (``square(...)`` products) without ``eval``."""
    terms = text.split(" * ")
    out = 1.0
    for t in terms:
        depth = t.count("square(")
        v = env["x"]
        for _ in range(depth):
            v = v * v
        out = out * v
    return out


def test_integer_power_fifteen_has_no_pow_and_is_accurate():
    x = np.array([-1.5, 0.5, 1.0001, 2.0, 3.0])
    graph, res = optimized(lambda x: x ** 15, x)
    assert "pow" not in res.graph.op_counts()
    got = evaluate(res.graph, [x])[0]
    assert np.max(bits_of_error(got, exact(graph, [x])[0])) <= 4
    _, res = optimized(lambda x: x ** 100, x)
    assert "pow" in res.graph.op_counts()


# ---- every new rule is sound in its tier ----

NEW_RULES = [
    "softmax-shift", "softmax-shift-all", "log1mexp-log1p", "log1mexp-expm1", "logdiffexp",
    "log1p-neg-sigmoid", "sigmoid-times-exp", "exp-times-sigmoid", "expm1-add-neg-one",
    "log-of-recip", "log-reciprocal", "log1p-expm1", "logit", "exp-log-where",
    "exp-log1p-where", "expm1-log-where", "expm1-log1p-where", "sqrt-square-where",
    "arcsinh-sinh", "sinh-arcsinh", "arccosh-cosh", "cosh-arccosh-where", "arctanh-tanh",
    "tanh-arctanh-where", "log2-exp2", "exp2-log2-where", "div-recip", "sign-sign",
    "sign-abs", "abs-sign", "sign-neg", "where-gt-false", "where-gt-true", "max-neg", "min-neg", "abs-mul", "where-merge-add",
    "where-merge-sub", "where-merge-mul", "where-merge-div", "sum-sum", "sum-div-scalar",
    "div-const-fold", "sumsq-dot", "pow-int-4", "pow-int-15", "pow-int-16", "pow-int-17",
    "pow-int-64", "pow-int-neg-2", "pow-int-neg-8", "pow-int-neg-9", "pow-int-neg-64",
]


@pytest.mark.parametrize("name", NEW_RULES)
def test_new_rule_is_sound_in_its_tier(name):
    rule = next(r for r in default_rules().rules if r.name == name)
    res = check_rules(rule, examples=100, cache=False).results[0]
    assert res.verdict == "sound", str(res)


def test_new_ops_lower_to_numba_like_numpy():
    x = np.array([-2.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.nan])
    f = et.jit(lambda x: np.arcsinh(x) + np.arccosh(np.abs(x) + 1) + np.arctanh(x / 4)
               + np.sign(x))
    with np.errstate(all="ignore"):
        want = np.arcsinh(x) + np.arccosh(np.abs(x) + 1) + np.arctanh(x / 4) + np.sign(x)
    np.testing.assert_allclose(f(x), want, rtol=1e-15, equal_nan=True)
