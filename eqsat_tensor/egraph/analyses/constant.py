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
_SPLIT = "134217729.0"  # 2**27 + 1, Veltkamp's splitting constant for float64
_MAX = repr(float.fromhex("0x1.fffffffffffffp+1023"))  # largest finite float64


def declarations() -> str:
    """egglog relation of the constant analysis."""
    return "(relation isconst (T))\n(function cval (T) f64 :merge old)"


def _two_product_exact(x: str, y: str, r: str, tag: str) -> str:
    """egglog atoms that hold iff the float64 product ``x * y`` rounded to ``r`` is exact:
    Dekker's product with Veltkamp's split (no FMA in egglog), for operands and result
    within [1e-250, 1e290] in magnitude (no overflow in the split, no underflow in the
    error terms)."""
    out = [f"(< (abs {v}) 1e290) (> (abs {v}) 1e-250)" for v in (x, y, r)]
    for v in (x, y):
        t = f"{tag}t{v}"
        out.append(f"(= {t} (* {_SPLIT} {v})) (= {tag}h{v} (- {t} (- {t} {v}))) "
                   f"(= {tag}l{v} (- {v} {tag}h{v}))")
    hx, lx, hy, ly = f"{tag}h{x}", f"{tag}l{x}", f"{tag}h{y}", f"{tag}l{y}"
    out.append(f"(= 0.0 (+ (+ (+ (- (* {hx} {hy}) {r}) (* {hx} {ly})) (* {lx} {hy})) "
               f"(* {lx} {ly})))")
    return " ".join(out)


def exact_guard(op: str) -> str:
    """egglog atoms over ``a``, ``b`` and ``r = a op b`` that hold iff folding is safe: the
    result is finite, nonzero (egglog's f64 equality does not tell -0.0 from 0.0, so a
    fold must never produce a zero whose sign could differ; -0.0 enters the e-graph as
    ``(Neg (Const 0.0 d))``) and *exact*. Rewrites are exact in real arithmetic, so an
    e-class must never equate two reals that differ: folding ``1e300 - 0.5`` to ``1e300``
    and then ``x - (x - y) => y`` proved ``-0.5 = 0``, and folding ``0 * inf`` put NaN in
    the class of 0. Inexact constant arithmetic is folded on the IR (``egraph.fold``,
    with NumPy) after extraction instead."""
    finite = f"(!= r 0.0) (<= r {_MAX}) (>= r (neg {_MAX}))"
    if op == "add":  # Fast2Sum both ways: the larger operand's test is exact
        return f"{finite} (= (- r a) b) (= (- r b) a)"
    if op == "sub":
        return f"{finite} (= (- r a) (neg b)) (= (+ r b) a)"
    if op == "mul":
        return f"{finite} {_two_product_exact('a', 'b', 'r', '__m')}"
    # a / b = r exactly iff r * b == a exactly
    return f"(!= b 0.0) {finite} {_two_product_exact('r', 'b', 'a', '__d')}"


def rules(ruleset: str) -> str:
    """egglog rules of the constant analysis and float64 scalar folding."""
    rs = f":ruleset {ruleset}"
    out = [f"(rule ((= e (Const v d))) ((isconst e)) {rs} :name \"const-scalar\")",
           f"(rule ((= e (ArrayConst i t))) ((isconst e)) {rs} :name \"const-array\")",
           f"(rule ((= e (Const v d))) ((set (cval e) v)) {rs} :name \"cval-const\")",
           f"(rule ((= e (Neg (Const a d))) (!= a 0.0)) ((union e (Const (neg a) d))) {rs} "
           ":name \"fold-neg\")"]
    for op, sym in _FOLD.items():
        # Each operand class folds only its one canonical value (``cval``): a class that
        # holds two constants would otherwise fold every pair of them and grow without
        # bound inside the analysis saturation.
        atoms = (f"(= e ({op.capitalize()} x y)) (= x (Const a \"float64\")) (= a (cval x)) "
                 f"(= y (Const b \"float64\")) (= b (cval y)) (= r ({sym} a b))")
        out.append(f"(rule ({atoms} {exact_guard(op)}) "
                   f"((union e (Const r \"float64\"))) {rs} :name \"fold-{op}\")")
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
