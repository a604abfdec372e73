"""Tests of the rule-file language: parsing, loading the shipped files, errors with positions."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor import ir
from eqsat_tensor.backends import numpy_ref
from eqsat_tensor.errors import RuleError
from eqsat_tensor.rulelang import (
    GUARD_KINDS,
    RULE_TAGS,
    VJP,
    App,
    Const,
    Guard,
    Rule,
    RuleSet,
    ShapeOf,
    Var,
    default_rules,
    instantiate,
    load_rules,
    parse_pattern,
    pattern_vars,
    shipped_rule_files,
)

x, y, a, c, g = Var("x"), Var("y"), Var("a"), Var("c"), Var("g")


def one(text: str) -> Rule:
    rules = load_rules(text).rules
    assert len(rules) == 1
    return rules[0]


# --------------------------------------------------------------------------- constructs

@pytest.mark.parametrize("text, expected", [
    ("x + y", App("add", (x, y))),
    ("x - y", App("sub", (x, y))),
    ("x * y", App("mul", (x, y))),
    ("x / y", App("div", (x, y))),
    ("x ** 2", App("pow", (x, Const(2.0)))),
    ("x @ y", App("matmul", (x, y))),
    ("-x", App("neg", (x,))),
    ("-2.5", Const(-2.5)),
    ("x ** -1", App("pow", (x, Const(-1.0)))),
    ("+x", x),
    ("1e-3", Const(0.001)),
    ("x.T", App("transpose", (x,), (("axes", None),))),
    ("(x @ y).T", App("transpose", (App("matmul", (x, y)),), (("axes", None),))),
    ("exp(x)", App("exp", (x,))),
    ("where(c, x, 0)", App("where", (c, x, Const(0.0)))),
    ("sum(x)", App("sum", (x,), (("axis", None), ("keepdims", False)))),
    ("sum(x, axis=a, keepdims=True)", App("sum", (x,), (("axis", a), ("keepdims", True)))),
    ("max(x, axis=(0, -1))", App("max", (x,), (("axis", (0, -1)), ("keepdims", False)))),
    ("sum(x, a)", App("sum", (x,), (("axis", a), ("keepdims", False)))),
    ("transpose(x, axes=(1, 0))", App("transpose", (x,), (("axes", (1, 0)),))),
    ("expand_dims(x, 0)", App("expand_dims", (x,), (("axis", 0),))),
    ("reshape(x, shape=s)", App("reshape", (x,), (("shape", Var("s")),))),
    ("cast(x, dtype='float64')", App("cast", (x,), (("dtype", "float64"),))),
    ("sum(x, axis=None)", App("sum", (x,), (("axis", None), ("keepdims", False)))),
    ("log(1 + exp(x))", App("log", (App("add", (Const(1.0), App("exp", (x,)))),))),
    ("x * y / x", App("div", (App("mul", (x, y)), x))),
])
def test_expression_constructs(text, expected):
    assert parse_pattern(text) == expected


def test_rule_fields_round_trip():
    text = ("# a comment line\n"
            "\n"
            "rule div-self [strict, expansive]:  x / x => 1 if x != 0 and finite(x)  # why\n"
            "rule comm.mul [expansive]: x * y <=> y * x\n")
    rs = load_rules(text, name="mine")
    assert isinstance(rs, RuleSet) and rs.name == "mine" and len(rs) == 2
    r = rs.rule("div-self")
    assert r.lhs == App("div", (x, x)) and r.rhs == Const(1.0)
    assert r.guards == (Guard("nonzero", (x,)), Guard("finite", (x,)))
    assert r.tags == frozenset({"strict", "expansive"})
    assert not r.bidirectional and r.ruleset == "mine" and r.line == 3
    assert r.text == "rule div-self [strict, expansive]:  x / x => 1 if x != 0 and finite(x)"
    comm = rs.rule("comm.mul")
    assert comm.bidirectional and comm.tags == {"expansive"} and comm.line == 4
    assert [r.name for r in rs.select(tag="strict")] == ["div-self"]


@pytest.mark.parametrize("guard, expected", [
    ("x != 0", Guard("nonzero", (x,))),
    ("x > 0", Guard("positive", (x,))),
    ("x >= 0", Guard("nonnegative", (x,))),
    ("x < 0", Guard("negative", (x,))),
    ("x <= 0", Guard("nonpositive", (x,))),
    ("0 < x", Guard("positive", (x,))),
    ("0.0 >= x", Guard("nonpositive", (x,))),
    ("finite(x)", Guard("finite", (x,))),
    ("same_shape(x, y)", Guard("same_shape", (x, y))),
    ("scalar(y)", Guard("scalar", (y,))),
    ("const(y)", Guard("const", (y,))),
    ("positive(x)", Guard("positive", (x,))),
])
def test_guard_atoms(guard, expected):
    r = one(f"rule r: x * y => y * x if {guard}")
    assert r.guards == (expected,)
    assert expected.kind in GUARD_KINDS


def test_guard_conjunction_and_if_inside_names():
    r = one("rule r: log(x * y) => log(x) + log(y) if x > 0 and y > 0 and same_shape(x, y)")
    assert [gd.kind for gd in r.guards] == ["positive", "positive", "same_shape"]
    # "if" as part of a longer identifier is not the guard keyword
    r = one("rule r: exp(diff) => exp(diff) * 1")
    assert r.guards == () and r.lhs == App("exp", (Var("diff"),))


def test_attribute_variables_bind():
    r = one("rule lse: log(sum(exp(x), axis=a, keepdims=k)) => logsumexp(x, axis=a, keepdims=k)")
    assert r.rhs == App("logsumexp", (x,), (("axis", a), ("keepdims", Var("k"))))
    assert pattern_vars(r.lhs) == {"x", "a", "k"}


def test_vjp_constructs():
    text = ("vjp log(x): dx = g / x\n"
            "vjp mul(x, y): dx = g * y; dy = g * x   # two cotangents\n"
            "vjp sum(x, axis=a, keepdims=k): dx = broadcast_to(expand_dims(g, a), shape(x))\n"
            "vjp exp(x): dx = g * out;\n"
            "vjp where(c, x, y): dx = where(c, g, 0); dy = where(c, 0, g)\n"
            "vjp reshape(x, shape=s): dx = reshape(g, shape=shape(x))\n")
    rs = load_rules(text, name="gradients")
    assert len(rs.rules) == 0 and len(rs.vjps) == 6
    log_, mul, sum_, exp_, where, reshape = rs.vjps
    assert isinstance(log_, VJP) and log_.op == "log" and log_.params == ("x",)
    assert log_.grads == (("x", App("div", (g, x))),) and log_.line == 1
    assert mul.grads == (("x", App("mul", (g, y))), ("y", App("mul", (g, x))))
    assert sum_.attrs == ("axis=a", "keepdims=k")
    assert sum_.attr_vars == (("axis", "a"), ("keepdims", "k"))
    assert sum_.grads[0][1] == App(
        "broadcast_to", (App("expand_dims", (g,), (("axis", a),)),), (("shape", ShapeOf(x)),))
    assert exp_.grads == (("x", App("mul", (g, Var("out")))),)
    assert where.params == ("c", "x", "y") and [p for p, _ in where.grads] == ["x", "y"]
    assert reshape.attr_vars == (("shape", "s"),)
    assert all(v.ruleset == "gradients" for v in rs.vjps)


def test_vjp_attribute_helpers_and_docs():
    text = ("# transposes back\n"
            "vjp transpose(x, axes=p): dx = transpose(g, axes=inverse(p))\n"
            "vjp matmul(x, y): dx = g @ transpose(y, axes=swap_last(y)); dy = transpose(x, axes=swap_last(x)) @ g\n"
            "vjp mean(x, axis=a): dx = broadcast_to(expand_dims(g / sum(broadcast_to(1, shape(x)), axis=a), a), shape(x))  # n\n")
    tr, mm, mean = load_rules(text).vjps
    assert tr.grads[0][1] == App("transpose", (g,), (("axes", App("inverse", (Var("p"),))),))
    assert tr.doc == "transposes back" and mm.doc == "" and mean.doc == "n"
    yt = App("transpose", (y,), (("axes", App("swap_last", (y,))),))
    assert mm.grads[0][1] == App("matmul", (g, yt))
    count = App("sum", (App("broadcast_to", (Const(1.0),), (("shape", ShapeOf(x)),)),),
                (("axis", a), ("keepdims", False)))
    assert mean.grads[0][1].args[0].args[0] == App("div", (g, count))


def test_instantiate_parsed_pattern_matches_reference():
    """A parsed right side builds a graph that computes what the formula says."""
    r = one("rule sp: log(1 + exp(x)) => softplus(x)")
    xn = ir.input_node("x", (5,), "float64")
    lhs, rhs = instantiate(r.lhs, {"x": xn}), instantiate(r.rhs, {"x": xn})
    xs = np.array([-3.0, -0.5, 0.0, 0.5, 3.0])
    got = numpy_ref.evaluate(ir.Graph([lhs, rhs], inputs=[xn]), [xs])
    np.testing.assert_allclose(got[0], got[1], rtol=1e-14)
    np.testing.assert_allclose(got[1], np.logaddexp(0.0, xs), rtol=1e-14)


# --------------------------------------------------------------------------- loading

def test_load_from_path_and_str_path(tmp_path: Path):
    f = tmp_path / "mine.rules"
    f.write_text("rule twice: x + x => 2 * x\n")
    for arg in (f, str(f)):
        rs = load_rules(arg)
        assert rs.name == "mine" and rs.rules[0].ruleset == "mine"
        assert rs.rules[0].source == str(f) and rs.files == (str(f),)
    assert load_rules(f, name="other").rules[0].ruleset == "other"
    # loading the same rules again is not an error (no global registry)
    assert load_rules(f).rules == load_rules(f).rules
    with pytest.raises(FileNotFoundError):
        load_rules(tmp_path / "missing.rules")
    with pytest.raises(FileNotFoundError):
        load_rules(str(tmp_path / "missing.rules"))


def test_errors_name_the_file(tmp_path: Path):
    f = tmp_path / "broken.rules"
    f.write_text("# ok\nrule ok: x * 1 => x\nrule bad: frob(x) => x\n")
    with pytest.raises(RuleError) as info:
        load_rules(f)
    e = info.value
    assert (e.source, e.line, e.col) == (str(f), 3, 11)
    assert str(e).startswith(f"{f}:3:11: unknown op 'frob'")
    assert "    rule bad: frob(x) => x\n" + " " * 14 + "^" in str(e)


def test_duplicate_name_across_files_loaded_together(tmp_path: Path):
    f1, f2 = tmp_path / "one.rules", tmp_path / "two.rules"
    f1.write_text("rule same: x * 1 => x\n")
    f2.write_text("\n\nrule  same: x + 0 => x\n")
    rs = load_rules([f1])
    assert len(rs.rules) == 1
    with pytest.raises(RuleError) as info:
        load_rules([f1, f2])
    e = info.value
    assert (e.source, e.line, e.col) == (str(f2), 3, 7)
    assert "duplicate rule name 'same'" in e.message and str(f1) in e.message


def test_shipped_files_load():
    files = shipped_rule_files()
    assert {"algebra", "stability", "specialize"} <= set(files)
    rs = default_rules()
    assert rs.name == "algebra+stability+specialize"
    assert {r.ruleset for r in rs.rules} == {"algebra", "stability", "specialize"}
    assert len(rs.select(ruleset="algebra").rules) >= 30
    assert len(rs.select(ruleset="stability").rules) >= 10
    assert len(rs.select(ruleset="specialize").rules) >= 4
    assert all(r.tags <= set(RULE_TAGS) for r in rs.rules)
    untagged = {r.name for r in rs.select(ruleset="stability").rules if "stability" not in r.tags}
    assert untagged == {"softmax-max", "softmax-max-all", "log-softmax", "logdiffexp",
                        "log1p-expm1", "logit"}
    assert default_rules("algebra").rules == rs.select(ruleset="algebra").rules
    with pytest.raises(ValueError, match="no shipped rule file 'nope'"):
        default_rules("nope")
    for name in files:  # every shipped file parses on its own (gradients.rules included)
        default_rules(name)


def test_every_shipped_rule_is_documented():
    for r in default_rules().rules:
        assert r.doc, f"{r.source}:{r.line}: rule {r.name} has no comment"
    div_self = default_rules("algebra").rule("div-self")
    assert div_self.doc == "x / x = 1 only where x != 0 (0 / 0 is NaN)"


def test_shipped_rules_required_by_issue_are_present():
    rs = default_rules()
    lhs_texts = {r.name: r for r in rs.rules}
    want = {
        "log(1 + x)": "log1p(x)",
        "exp(x) - 1": "expm1(x)",
        "log(sum(exp(x), axis=a, keepdims=k))": "logsumexp(x, axis=a, keepdims=k)",
        "sqrt(x * x)": "abs(x)",
        "x ** 2": "x * x",
        "x ** 0.5": "sqrt(x)",
        "log(exp(x))": "x",
        "transpose(a @ b, axes=(1, 0))":
            "transpose(b, axes=(1, 0)) @ transpose(a, axes=(1, 0))",
        "x.T.T": "x",
    }
    pairs = {(r.lhs, r.rhs) for r in lhs_texts.values()}
    for lhs, rhs in want.items():
        assert (parse_pattern(lhs), parse_pattern(rhs)) in pairs, (lhs, rhs)
    div_self = next(r for r in rs.rules if r.lhs == parse_pattern("x / x"))
    assert Guard("nonzero", (x,)) in div_self.guards


def test_public_exports():
    assert et.load_rules is load_rules and et.default_rules is default_rules
    assert et.RuleSet is RuleSet


# --------------------------------------------------------------------------- errors

@pytest.mark.parametrize("text, line, col, message", [
    # syntax errors
    ("rule ok: x * 1 => x\nrule a: x +* 1 => x", 2, 12, "syntax error"),
    ("rule a: exp(x => x", 1, 12, "'(' was never closed"),
    ("rule a: exp(x)) => x", 1, 15, "unmatched ')'"),
    ("vjp exp(x: dx = g", 1, 8, "'(' was never closed"),
    ("rule a x => y", 1, 8, "expected ':'"),
    ("rule : x => y", 1, 6, "expected a rule name"),
    ("rule a: exp(x) log(x)", 1, 22, "expected '=>' or '<=>'"),
    ("rule a:  => x", 1, 8, "missing the left side"),
    ("rule a: exp(x) =>   ", 1, 18, "missing the right side"),
    ("rule a: exp(x) => x if ", 1, 23, "missing the guard"),
    ("  hello world", 1, 3, "expected 'rule"),
    ("rule a: x // y => x", 1, 9, "operator // is not supported"),
    ("rule a: x[0] => x", 1, 9, "unsupported syntax"),
    ("rule a: exp(x) < 1 => x", 1, 9, "comparisons are only allowed in guards"),
    ("rule a: exp(X) => X", 1, 13, "lowercase"),
    ("rule a: exp(x).shape => x", 1, 9, "unsupported attribute .shape"),
    # unknown op
    ("\n\nrule a: exp(frob(x)) => x", 3, 13, "unknown op 'frob'"),
    ("rule a: exp(x) => x\nrule b: exp(x) => input(x)", 2, 19, "unknown op 'input'"),
    ("rule a: constant(x) => x", 1, 9, "unknown op 'constant'"),
    ("rule a: exp(x) => finite(x)", 1, 19, "unknown op 'finite' (finite is a guard"),
    ("rule a: np.exp(x) => x", 1, 9, "only op names can be called"),
    ("rule a: exp => x", 1, 9, "'exp' is an op"),
    # wrong arity
    ("rule a: exp(x, y) => x", 1, 9, "op 'exp' takes 1 argument(s), got 2"),
    ("rule a: log(x) => add(x)", 1, 19, "op 'add' takes 2 argument(s), got 1"),
    ("rule a: sum(x, a, k, z) => x", 1, 9, "op 'sum' takes 1 (plus up to 2"),
    ("rule a: log(x) => reshape(x)", 1, 19, "needs the attribute 'shape'"),
    # unbound right-hand variable
    ("rule a: exp(x) => y", 1, 19, "unbound variable 'y' on the right side"),
    ("rule a: sum(x) => sum(x, axis=b)", 1, 31, "unbound variable 'b'"),
    ("rule a: x * 0 <=> 0 * y", 1, 23, "unbound variable 'y' on the right side"),
    ("rule a: x * y <=> exp(x)", 1, 13, "unbound variable 'y' on the left side"),
    ("rule a: exp(x) => x if y > 0", 1, 24, "unbound variable 'y' on the guard"),
    ("rule a: sum(x, axis=x) => x", 1, 21, "both as a tensor and as an attribute"),
    # unknown guard
    ("rule a: exp(x) => x if small(x)", 1, 24, "unknown guard 'small'"),
    ("rule a: exp(x) => x if x > 1", 1, 28, "unknown guard"),
    ("rule a: exp(x) => x if x == 0", 1, 24, "unknown guard"),
    ("rule a: exp(x) => x if x > 0 or x < 0", 1, 24, "joined with 'and' only"),
    ("rule a: exp(x) => x if 0 < x < 1", 1, 24, "chained comparisons"),
    ("rule a: log(x) => x if exp(x) > 0", 1, 24, "guard arguments are pattern variables"),
    ("rule a: exp(x) => x if same_shape(x)", 1, 24, "takes 2 variable(s)"),
    # duplicate rule name
    ("rule a: exp(x) => x\n# c\nrule   a: log(x) => x", 3, 8, "duplicate rule name 'a'"),
    # unknown tag
    ("rule a [expansive, quick]: exp(x) => x", 1, 20, "unknown tag 'quick'"),
    ("rule a [expansive: exp(x) => x", 1, 8, "never closed"),
    ("rule a [strict,,expansive]: exp(x) => x", 1, 16, "empty tag"),
    # bad attribute name
    ("rule a: sum(x, axes=b) => sum(x, axes=b)", 1, 16, "op 'sum' has no attribute 'axes'"),
    ("rule a: exp(x, axis=b) => x", 1, 16, "op 'exp' has no attribute 'axis' (its attributes: none)"),
    ("rule a: sum(x, b, axis=b) => x", 1, 19, "given twice"),
    ("rule a: sum(x, axis=1.5) => x", 1, 21, "attribute values are"),
    # bare variable / constant left side
    ("rule a: x => x * 1", 1, 9, "left side is a bare variable"),
    ("rule a:   x * 1 <=> x", 1, 21, "right side is a bare variable"),
    ("rule a: 0 => x - x", 1, 9, "bare constant"),
    # no eval: the text is never executed
    ("rule a: __import__('os').system('true') => x", 1, 9, "only op names can be called"),
    ("rule a: __import__('os') => x", 1, 9, "unknown op '__import__'"),
    ("rule a: exp(x) => x if __import__('os')", 1, 24, "unknown guard '__import__'"),
    ("rule a: (lambda: 1)() => x", 1, 9, "only op names can be called"),
])
def test_rule_errors(text, line, col, message):
    with pytest.raises(RuleError) as info:
        load_rules(text)
    e = info.value
    assert message in e.message, e
    assert (e.line, e.col) == (line, col), str(e)
    assert e.text == text.splitlines()[line - 1]
    assert str(e).splitlines()[-1] == "    " + " " * (col - 1) + "^"


@pytest.mark.parametrize("text, line, col, message", [
    ("vjp frob(x): dx = g", 1, 5, "malformed vjp: unknown op 'frob'"),
    ("vjp less(x, y): dx = g; dy = g", 1, 5, "not differentiable"),
    ("vjp exp(x, y): dx = g", 1, 5, "takes 1 tensor parameter"),
    ("vjp exp(x): dy = g", 1, 13, "'dy' is not the cotangent of a parameter"),
    ("vjp exp(x): grad = g", 1, 13, "'grad' is not the cotangent"),
    ("vjp mul(x, y): dx = g * y", 1, 12, "no cotangent for the parameter 'y'"),
    ("vjp mul(x, y): dx = g * y; dx = g", 1, 28, "cotangent 'dx' given twice"),
    ("vjp exp(x): dx = g * z", 1, 22, "unbound name 'z'"),
    ("vjp sum(x): dx = broadcast_to(g, shape(y))", 1, 40, "unbound name 'y'"),
    ("vjp exp(x): dx = g * shape(x)", 1, 22, "only allowed as an attribute value"),
    ("vjp exp(x) dx = g", 1, 18, "expected ':'"),
    ("vjp exp(x): dx g", 1, 13, "expected 'dPARAM = EXPR'"),
    ("vjp exp(g): dg = g", 1, 9, "reserved"),
    ("vjp sum(x, axes=a): dx = g", 1, 12, "has no attribute 'axes'"),
    ("vjp sum(x, axis=0): dx = g", 1, 17, "fresh lowercase variable"),
    ("vjp exp(x): dx = frob(g)", 1, 18, "unknown op 'frob'"),
    ("vjp exp(x): dx = g\nvjp exp(x): dx = g * out", 2, 5, "duplicate vjp for op 'exp'"),
    ("vjp sum(x, axis=a): dx = g * a", 1, 30, "attribute variable"),
    ("vjp transpose(x, axes=p): dx = transpose(g, axes=inverse(q))", 1, 58, "unbound name 'q'"),
    ("vjp transpose(x, axes=p): dx = transpose(g, axes=inverse(x))", 1, 58, "is a tensor"),
    ("vjp transpose(x, axes=p): dx = transpose(g, axes=swap_last(p))", 1, 60, "attribute variable"),
    ("vjp transpose(x, axes=p): dx = transpose(g, axes=undo(p))", 1, 50, "attribute values are"),
])
def test_vjp_errors(text, line, col, message):
    with pytest.raises(RuleError) as info:
        load_rules(text)
    e = info.value
    assert message in e.message, e
    assert (e.line, e.col) == (line, col), str(e)


def test_no_eval_of_rule_text(tmp_path: Path, monkeypatch):
    """Rule text is parsed, never executed: a would-be side effect does not happen."""
    marker = tmp_path / "pwned"
    text = f"rule a: exp(x) => open({str(marker)!r}, 'w')"
    import builtins

    def boom(*args, **kwargs):  # pragma: no cover - must not be called
        raise AssertionError("eval/exec called on rule text")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    with pytest.raises(RuleError, match="unknown op 'open'"):
        load_rules(text)
    assert not marker.exists()


# --------------------------------------------------------------------------- shipped rules

_ATTR_SAMPLES = {  # attribute name -> values tried for an attribute variable
    "axis": [(1,), (0,)], "keepdims": [False, True], "axes": [(1, 0)],
    # (3, 3) operands: reversed columns (a view of the same shape), then the first two rows
    "slices": [((0, None, 1), (2, None, -1)), ((0, 2, 1), (0, None, 1))],
}
_SHAPE_SAMPLES = {"reshape": [(9,), (1, 9)], "broadcast_to": [(2, 3, 3), (4, 2, 3, 3)]}


def _attr_roles(p, out):
    """Map each attribute variable of pattern ``p`` to (op, attribute name)."""
    if isinstance(p, App):
        for k, v in p.attrs:
            if isinstance(v, Var):
                out.setdefault(v.name, (p.op, k))
        for q in p.args:
            _attr_roles(q, out)
    return out


def _sample(rule: Rule, variant: int, rng: np.random.Generator):
    from eqsat_tensor import ir as _ir
    kinds: dict[str, set[str]] = {}
    for gd in rule.guards:
        for arg in gd.args:
            kinds.setdefault(arg.name, set()).add(gd.kind)
    roles = _attr_roles(rule.rhs, _attr_roles(rule.lhs, {}))
    env, inputs, arrays = {}, [], []
    shape_vars = sorted(n for n, (op, k) in roles.items() if k == "shape")
    for name in sorted(pattern_vars(rule.lhs) | pattern_vars(rule.rhs)):
        if name in roles:
            op, attr = roles[name]
            if attr == "shape":
                env[name] = _SHAPE_SAMPLES[op][shape_vars.index(name)]
            else:
                values = _ATTR_SAMPLES[attr]
                env[name] = values[variant % len(values)]
            continue
        k = kinds.get(name, set())
        shape = () if "scalar" in k or "const" in k else (3, 3)
        mag = rng.uniform(0.5, 2.0, size=shape)
        if "nonnegative" in k and "nonpositive" in k:  # x >= 0 and x <= 0: zero
            val = 0.0 * mag
        elif "positive" in k:
            val = mag
        elif "nonnegative" in k:
            val = mag - 0.5
        elif "negative" in k:
            val = -mag
        elif "nonpositive" in k:
            val = 0.5 - mag
        elif "nonzero" in k:
            val = mag * rng.choice([-1.0, 1.0], size=shape)
        else:
            val = rng.uniform(-2.0, 2.0, size=shape)
        if "const" in k:
            env[name] = _ir.constant_node(float(val))
        else:
            node = _ir.input_node(name, shape, "float64")
            env[name] = node
            inputs.append(node)
            arrays.append(np.asarray(val, dtype=np.float64))
    return env, inputs, arrays


@pytest.mark.parametrize("rule", default_rules().rules, ids=lambda r: r.name)
def test_shipped_rule_holds_on_moderate_inputs(rule: Rule):
    """Smoke check of each shipped rule (the full property test lives elsewhere): both
    sides evaluate equal on the reference backend for moderate inputs meeting the guard,
    and NaN exactly where the left side is NaN."""
    rng = np.random.default_rng(zlib.crc32(rule.name.encode()))
    for variant in range(2):
        env, inputs, arrays = _sample(rule, variant, rng)
        lhs, rhs = instantiate(rule.lhs, env), instantiate(rule.rhs, env)
        left, right = numpy_ref.evaluate(ir.Graph([lhs, rhs], inputs=inputs), arrays)
        right = np.broadcast_to(right, left.shape)
        assert np.array_equal(np.isnan(left), np.isnan(right)), (rule.text, left, right)
        np.testing.assert_allclose(right, left, rtol=1e-10, atol=1e-12, err_msg=rule.text)


_BAD = sorted((Path(__file__).parent / "data" / "bad_rules").glob("*.rules"))


@pytest.mark.parametrize("path", _BAD, ids=lambda p: p.stem)
def test_bad_rule_files(path: Path):
    """Each fixture file names its expected error in its first line:
    ``# expect: LINE:COL message fragment``."""
    expect = path.read_text().splitlines()[0].removeprefix("# expect:").strip()
    where, fragment = expect.split(" ", 1)
    line, col = map(int, where.split(":"))
    with pytest.raises(RuleError) as info:
        load_rules(path)
    e = info.value
    assert (e.source, e.line, e.col) == (str(path), line, col), str(e)
    assert fragment in e.message
    assert str(e).startswith(f"{path}:{line}:{col}: ")


def test_bad_rule_fixtures_cover_the_error_kinds():
    assert len(_BAD) >= 10
