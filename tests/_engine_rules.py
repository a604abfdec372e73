"""Hand-built rules for the optimizer tests (independent of the shipped rule files).

Built from the ``rulelang.ast`` contract directly so the engine is tested on its own; the
shipped ``rules/*.rules`` are exercised through ``default_rules()`` where available."""

from __future__ import annotations

from eqsat_tensor.rulelang.ast import App, Const, Guard, Rule, RuleSet, Var

x, y, z, a, b, c = (Var(n) for n in "xyzabc")


def A(op, *args, **attrs):
    return App(op, tuple(args), tuple(sorted(attrs.items())))


def R(name, lhs, rhs, *guards, both=False, tags=(), ruleset="algebra"):
    return Rule(name, lhs, rhs, tuple(guards), both, frozenset(tags), ruleset,
                text=f"rule {name}")


def G(kind, *args):
    return Guard(kind, tuple(args))


ALGEBRA = [
    R("add-zero", A("add", x, Const(0.0)), x, tags=("strict",)),
    R("mul-one", A("mul", x, Const(1.0)), x, tags=("strict",)),
    R("mul-zero", A("mul", x, Const(0.0)), Const(0.0), G("finite", x)),
    R("sub-self", A("sub", x, x), Const(0.0), G("finite", x)),
    R("neg-neg", A("neg", A("neg", x)), x, tags=("strict",)),
    R("add-comm", A("add", x, y), A("add", y, x), tags=("expansive", "strict")),
    R("mul-comm", A("mul", x, y), A("mul", y, x), tags=("expansive", "strict")),
    R("mul-assoc", A("mul", A("mul", x, y), z), A("mul", x, A("mul", y, z)), both=True,
      tags=("expansive",)),
    R("mul-div", A("div", A("mul", x, y), x), y, G("nonzero", x)),
    R("div-self", A("div", x, x), Const(1.0), G("nonzero", x)),
    R("log-exp", A("log", A("exp", x)), x),
    R("exp-log", A("exp", A("log", x)), x, G("positive", x)),
    R("sqrt-sq", A("sqrt", A("mul", x, x)), A("abs", x)),
    R("exp-mul", A("mul", A("exp", a), A("exp", b)), A("exp", A("add", a, b))),
    R("log-mul", A("log", A("mul", a, b)), A("add", A("log", a), A("log", b)),
      G("positive", a), G("positive", b)),
    R("transpose-transpose", A("transpose", A("transpose", x)), x),
    R("matmul-assoc", A("matmul", A("matmul", a, b), c), A("matmul", a, A("matmul", b, c)),
      both=True, tags=("expansive",)),
    R("sum-scalar-mul", A("sum", A("mul", x, c), axis=Var("k")),
      A("mul", c, A("sum", x, axis=Var("k"))), G("scalar", c)),
    R("sum-add", A("sum", A("add", a, b)), A("add", A("sum", a), A("sum", b)),
      G("same_shape", a, b)),
]
STABILITY = [
    R("log1p", A("log", A("add", Const(1.0), x)), A("log1p", x), ruleset="stability"),
    R("expm1", A("sub", A("exp", x), Const(1.0)), A("expm1", x), ruleset="stability"),
    R("lse", A("log", A("sum", A("exp", x), axis=Var("k"))), A("logsumexp", x, axis=Var("k")),
      ruleset="stability"),
    R("log-1-sigmoid", A("log", A("sub", Const(1.0), A("sigmoid", x))),
      A("neg", A("softplus", x)), ruleset="stability"),
    R("softplus", A("log", A("add", Const(1.0), A("exp", x))), A("softplus", x),
      ruleset="stability"),
    R("hypot", A("sqrt", A("add", A("mul", x, x), A("mul", y, y))), A("hypot", x, y),
      ruleset="stability"),
]
SPECIALIZE = [
    R("pow2", A("pow", x, Const(2.0)), A("mul", x, x), ruleset="specialize"),
    R("pow-half", A("pow", x, Const(0.5)), A("sqrt", x), ruleset="specialize"),
    R("div-const", A("div", x, c), A("mul", x, A("div", Const(1.0), c)), G("const", c),
      ruleset="specialize"),
]

RULES = RuleSet("engine-tests", tuple(ALGEBRA + STABILITY + SPECIALIZE))


def only(*names: str) -> RuleSet:
    """The test rules with these names."""
    return RULES.select(names=set(names))
