"""The rule compiler: egglog text per rule, both directions, guards, tags, errors."""

from __future__ import annotations

import pytest
from _engine_rules import A, G, R, only, x, y

from eqsat_tensor.egraph.compiler import compile_rules
from eqsat_tensor.errors import RuleError
from eqsat_tensor.rulelang.ast import Const, RuleSet, Var


def texts(rules, ieee="finite"):
    return {c.name: c for c in compile_rules(RuleSet("t", tuple(rules)), ieee).rules}


def test_guard_becomes_an_analysis_fact():
    c = texts(only("mul-div").rules)["mul-div"]
    assert "(= __root (Div (Mul v_x v_y) v_x))" in c.text
    assert "(nonzero v_x)" in c.text
    assert ":ruleset canonicalize" in c.text and ':name "mul-div"' in c.text


def test_bidirectional_compiles_both_directions():
    got = texts(only("mul-assoc").rules)
    assert set(got) == {"mul-assoc", "mul-assoc<="}
    assert all(c.ruleset == "canonicalize-x" for c in got.values())


def test_reverse_of_a_collapsing_rule_is_skipped_with_a_note():
    rs = RuleSet("t", (R("add-zero2", A("add", x, Const(0.0)), x, both=True),))
    compiled = compile_rules(rs)
    assert [c.name for c in compiled.rules] == ["add-zero2", "add-zero2~b"]
    assert "reverse direction skipped" in compiled.notes[0]


def test_constant_rhs_takes_lhs_dtype_and_shape():
    got = texts(only("sub-self").rules)
    assert "(union __root (Const 0.0 __d))" in got["sub-self"].text
    assert "(BroadcastTo (Const 0.0 __d) __s)" in got["sub-self~b"].text


def test_attribute_variables_and_phases():
    got = texts(only("lse").rules)["lse"]
    assert "(Sum (Exp v_x) a_k " in got.text and "(Logsumexp v_x a_k " in got.text
    assert got.phase == "stability"


def test_strict_mode_keeps_only_strict_rules():
    names = {c.rule.name for c in compile_rules(only("add-zero", "mul-zero"), "strict").rules}
    assert names == {"add-zero"}
    finite = texts(only("mul-zero").rules)["mul-zero"].text
    assert "finite" not in finite  # finite(x) holds by assumption under ieee="finite"
    strict_rs = RuleSet("t", (R("mz", A("mul", x, Const(0.0)), Const(0.0), G("finite", x),
                                tags=("strict",)),))
    assert "(finite v_x)" in compile_rules(strict_rs, "strict").rules[0].text


def test_unbound_right_variable_is_a_rule_error():
    bad = R("bad", A("exp", x), A("add", x, y))
    with pytest.raises(RuleError, match="not bound"):
        compile_rules(RuleSet("t", (bad,)))
    bad_attr = R("bad2", A("exp", x), A("sum", x, axis=Var("k")))
    with pytest.raises(RuleError, match="attribute variable"):
        compile_rules(RuleSet("t", (bad_attr,)))
    with pytest.raises(ValueError):
        compile_rules(RuleSet("t", ()), "quick")
