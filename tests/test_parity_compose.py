"""Fourth-session parity mechanisms (issue 27): attribute helpers that compose layout ops
(``ir/attr_helpers.py``: permutations, expand_dims of a reshape or of an expand_dims),
identity permutations dropped by the type analysis, reductions over axes of extent 1 as
reshapes (strict-aware), constants and like terms through products, exp under a log.
Each helper is checked against NumPy on drawn shapes and axes, each rule in its tier by
``check_rules``, and the optimized graphs on values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.egraph.budget import Budget
from eqsat_tensor.ir.attr_helpers import HELPERS, compose_axes, compose_expand, insert_axes
from eqsat_tensor.jit import trace
from eqsat_tensor.mpeval import bits_of_error, exact
from eqsat_tensor.rulelang import default_rules, parse_rules
from eqsat_tensor.rulelang.expressions import RULE_ATTR_HELPERS
from eqsat_tensor.testing import check_rules

# these tests check which rewrites happen: a generous time budget, so a loaded machine
# (the first call builds the rule program inside the budget) cannot change the outcome
BUDGET = Budget(seconds=60.0)
NEW_RULES = ["transpose-compose", "expand-reshape", "expand-expand", "mul-const-const",
             "mul-const-const-right", "div-mul-const", "neg-mul-const", "sub-mul-self",
             "log-mul-exp", "log-exp-div", "log-exp-mul-exp", "log-exp-div-exp"]


@pytest.mark.parametrize("name", NEW_RULES)
def test_rule_is_sound_in_its_tier(name):
    rule = next(r for r in default_rules().rules if r.name == name)
    res = check_rules(rule, examples=100, cache=False).results[0]
    assert res.verdict == "sound", str(res)
    assert res.samples > 0


@pytest.mark.parametrize("name", ["transpose-compose", "expand-reshape", "expand-expand",
                                  "neg-mul-const"])
def test_strict_rules_hold_on_special_values(name):
    rule = next(r for r in default_rules().rules if r.name == name)
    res = check_rules(rule, examples=60, ieee="strict", cache=False).results[0]
    assert res.verdict == "sound", str(res)


def test_a_wrong_composition_is_caught_by_the_checker():
    """Composing the permutations the other way round (q[p[i]]) is wrong for 3-D ones:
    the checker must say so, so the helper's order is tested, not assumed."""
    from eqsat_tensor.ir import attr_helpers as ah

    real = ah.HELPERS["compose_axes"]
    ah.HELPERS["compose_axes"] = ah.AttrHelper(
        "compose_axes", real.table, real.args, real.result,
        lambda p, q: tuple(q[i] for i in p))
    try:
        rule = parse_rules("rule t: transpose(transpose(x, axes=p), axes=q) => "
                           "transpose(x, axes=compose_axes(p, q))\n", source="<t>")
        assert check_rules(rule, examples=200, cache=False).results[0].verdict == "unsound"
    finally:
        ah.HELPERS["compose_axes"] = real


def test_the_parser_knows_every_helper():
    assert RULE_ATTR_HELPERS == {h.name: len(h.args) for h in HELPERS.values()}
    assert {"compose_slices", "compose_axes", "insert_axes", "compose_expand"} <= set(HELPERS)


@st.composite
def _perms(draw):
    n = draw(st.integers(1, 5))
    p = draw(st.permutations(range(n)))
    q = draw(st.permutations(range(n)))
    return tuple(p), tuple(q)


@settings(max_examples=60, deadline=None)
@given(_perms())
def test_compose_axes_is_numpys_double_transpose(pq):
    p, q = pq
    x = np.arange(float(np.prod(range(2, 2 + len(p))))).reshape(tuple(range(2, 2 + len(p))))
    np.testing.assert_array_equal(np.transpose(np.transpose(x, p), q),
                                  np.transpose(x, compose_axes(p, q)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=0, max_size=3), st.data())
def test_insert_and_compose_expand_are_numpys(shape, data):
    x = np.arange(float(np.prod(shape))).reshape(shape)
    rank = len(shape)
    a = data.draw(st.lists(st.integers(0, rank + 1), min_size=1, max_size=2, unique=True))
    try:
        y = np.expand_dims(x, tuple(a))
    except Exception:
        assert insert_axes(shape, tuple(a)) is None or max(a) >= rank + len(a)
        return
    assert y.shape == insert_axes(x.reshape(-1).shape if rank == 1 else shape, tuple(a))
    b = data.draw(st.lists(st.integers(0, y.ndim), min_size=1, max_size=2, unique=True))
    try:
        z = np.expand_dims(y, tuple(b))
    except Exception:
        return
    np.testing.assert_array_equal(z, np.expand_dims(x, compose_expand(tuple(a), tuple(b))))


def test_helpers_are_undefined_where_ranks_do_not_fit():
    assert compose_axes((1, 0), (0, 2, 1)) is None
    assert insert_axes((2, 3), (5,)) is None
    assert compose_expand((-1,), (0,)) is None


def _opt(fn, *arrays, ieee="finite"):
    g, _ = trace(fn, [f"x{i}" for i in range(len(arrays))], list(arrays))
    return g, et.optimize(g, ieee=ieee, fallback=False, budget=BUDGET).graph


def test_permutations_compose_and_identities_vanish():
    x = np.arange(120.0).reshape(2, 3, 4, 5)
    _, out = _opt(lambda x: np.transpose(np.transpose(x, (3, 1, 0, 2)), (1, 0, 3, 2)), x)
    assert dict(out.op_counts()).get("transpose") == 1, str(out)
    np.testing.assert_array_equal(evaluate(out, [x])[0],
                                  np.transpose(np.transpose(x, (3, 1, 0, 2)), (1, 0, 3, 2)))
    _, out = _opt(lambda x: np.transpose(np.transpose(x, (3, 1, 0, 2)), (2, 1, 3, 0)), x)
    assert "transpose" not in dict(out.op_counts()), str(out)
    m = np.arange(9.0).reshape(3, 3)  # a square matrix's transpose has its own type
    _, out = _opt(lambda x: x.T, m)
    assert dict(out.op_counts()).get("transpose") == 1, str(out)


def test_expand_dims_chains_are_one_layout_op():
    x = np.arange(6.0).reshape(2, 3)
    _, out = _opt(lambda x: np.expand_dims(x.reshape(3, 2), -1), x)
    assert "expand_dims" not in dict(out.op_counts()), str(out)
    np.testing.assert_array_equal(evaluate(out, [x])[0], x.reshape(3, 2)[..., None])
    _, out = _opt(lambda x: x[None][:, None], x)
    assert dict(out.op_counts()).get("expand_dims") == 1, str(out)
    np.testing.assert_array_equal(evaluate(out, [x])[0], x[None][:, None])


def test_one_element_reductions_are_reshapes_and_strict_keeps_signed_zero():
    v = np.array([-0.0, 1.0, np.inf, -3.0])
    for fn in (lambda x: np.max(x[None, :], axis=0), lambda x: np.prod(x[:, None], axis=1)):
        _, out = _opt(fn, v, ieee="strict")
        assert not {"max", "prod"} & set(dict(out.op_counts())), str(out)
        np.testing.assert_array_equal(evaluate(out, [v])[0], fn(v))
    # NumPy's sum of one -0.0 is +0.0: under strict the sum stays, under finite it goes
    fn = lambda x: np.sum(x[None, :], axis=0)  # noqa: E731
    _, out = _opt(fn, v, ieee="strict")
    assert "sum" in dict(out.op_counts()), str(out)
    assert np.signbit(evaluate(out, [v])[0][0]) == np.signbit(fn(v)[0])
    _, out = _opt(fn, v)
    assert "sum" not in dict(out.op_counts()), str(out)
    # a reduced axis of extent 2 is a real reduction
    _, out = _opt(lambda x: np.sum(np.broadcast_to(x, (2, 4)), axis=0), v)
    assert "sum" in dict(out.op_counts()), str(out)


def test_log_of_constant_times_exp_is_finite_past_the_overflow():
    x = np.array([-800.0, -3.0, 0.5, 700.0, 800.0, 1e300])
    g, out = _opt(lambda x: np.log(3.0 * np.exp(x)) + np.log(np.exp(x) * np.exp(-x / 2)), x)
    assert "exp" not in dict(out.op_counts()), str(out)
    got = evaluate(out, [x])[0]
    ref = exact(g, [x])[0]
    assert np.all(np.isfinite(got))
    assert np.all(bits_of_error(got, ref) <= 2.0)
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(np.log(3.0 * np.exp(x))))


def test_constants_and_negations_merge_through_products():
    x = np.array([1.0, -2.5, 1e-300, 3e307, 0.1])
    for fn, ops in [(lambda x: 2.0 * x * 3.0, {"mul": 1}), (lambda x: (x / 2.0) * 4.0, {"mul": 1}),
                    (lambda x: -x * 2.0, {"mul": 1}), (lambda x: x - 4.0 * x, {"mul": 1})]:
        g, out = _opt(fn, x)
        counts = dict(out.op_counts())
        assert all(counts.get(k) == n for k, n in ops.items()), str(out)
        assert not {"neg", "div", "sub"} & set(counts), str(out)
        got, ref = evaluate(out, [x])[0], exact(g, [x])[0]
        with np.errstate(all="ignore"):
            naive = fn(x)
        assert np.all(bits_of_error(got, ref) <= np.maximum(bits_of_error(naive, ref), 2.0))


@pytest.mark.parametrize("fn", [lambda x, y: (-x) / (-y) + np.exp(-x),
                                lambda x, y: ((-x) / (-y)) * ((-x) / (-y)),
                                lambda x, y: np.log((-x) * (-y) + 5.0)])
def test_shared_negations_do_not_bias_extraction(fn):
    """A negation that other uses share is not counted as free: the extractor's exact-DAG
    refinement drops the negations the rewrite makes unnecessary."""
    x, y = np.array([3.0, -1.0, 0.5, 2.0]), np.array([1.0, 2.0, -3.0, 0.125])
    g, out = _opt(fn, x, y)
    assert dict(out.op_counts()).get("neg", 0) < dict(g.op_counts()).get("neg", 0), str(out)
    np.testing.assert_allclose(evaluate(out, [x, y])[0], fn(x, y), rtol=1e-15)
