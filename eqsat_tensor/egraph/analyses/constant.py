"""Constant analysis: the relation ``isconst`` (the class holds a value known without
inputs), ``(cval e)`` (the one value every element of the class has: a scalar constant,
also broadcast or reshaped), and native constant folding of scalar float64 ``+ - * /`` and negation.

Folding in egglog uses IEEE double arithmetic, so it equals NumPy's float64 result
exactly; float32 and every other op are folded on the IR by ``egraph.fold`` before the
graph enters the e-graph and after extraction, with NumPy itself. Lattice of
``isconst``: a boolean per class, ``merge`` is "or"; ``cval`` is flat (``merge`` keeps the
old value: two different values in one class would be an unsound rewrite).
"""

from __future__ import annotations

from ._pattern import op_pattern, ops_of_kind

_FOLD = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def declarations() -> str:
    """egglog relation of the constant analysis."""
    return "(relation isconst (T))\n(function cval (T) f64 :merge old)"


def rules(ruleset: str) -> str:
    """egglog rules of the constant analysis and float64 scalar folding."""
    rs = f":ruleset {ruleset}"
    out = [f"(rule ((= e (Const v d))) ((isconst e)) {rs} :name \"const-scalar\")",
           f"(rule ((= e (ArrayConst i t))) ((isconst e)) {rs} :name \"const-array\")",
           f"(rule ((= e (Const v d))) ((set (cval e) v)) {rs} :name \"cval-const\")",
           f"(rule ((= e (Neg (Const a d))) (!= a 0.0)) ((union e (Const (neg a) d))) {rs} "
           ":name \"fold-neg\")"]
    for op, sym in _FOLD.items():
        # egglog's f64 equality does not tell -0.0 from 0.0, so a fold must never produce
        # a zero (whose sign could differ); -0.0 enters the e-graph as (Neg (Const 0.0 d)).
        guard = f" (!= ({sym} a b) 0.0)" + (" (!= b 0.0)" if op == "div" else "")
        pat = f"({op.capitalize()} (Const a \"float64\") (Const b \"float64\"))"
        out.append(f"(rule ((= e {pat}){guard}) "
                   f"((union e (Const ({sym} a b) \"float64\"))) {rs} :name \"fold-{op}\")")
    # A power of two literals is folded on the IR, never needed in the e-graph; rewrites
    # (x*x => x**2 on 1*1, then pow-mul/pow-pow with x = 1 > 0) would otherwise grow
    # 1 = 1**2 = 1**4 = ... without bound. Subsumed, such a node matches no rule and is
    # never extracted. Only where the class holds a constant value (``cval``): the power
    # of two literals is folded in the e-graph only by other rules, and subsuming the
    # only e-node of a class ((-1) ** -0.5 is NaN, which no rule folds) leaves the class
    # with nothing to extract.
    out.append(f"(rule ((= e (Pow (Const a d) (Const b c))) (= v (cval e))) "
               f"((subsume (Pow (Const a d) (Const b c)))) {rs} :name \"pow-of-literals\")")
    for op in ops_of_kind("layout"):
        out.append(f"(rule ({op_pattern(op, ['x'])} (= v (cval x))) ((set (cval e) v)) {rs} "
                   f":name \"cval-{op}\")")
    for op in ("neg", "cast", *ops_of_kind("layout")):  # constant-only sub-graphs are
        out.append(f"(rule ({op_pattern(op, ['x'])} (isconst x)) ((isconst e)) {rs} "
                   f":name \"const-{op}\")")  # folded before insertion; these remain
    return "\n".join(out)
