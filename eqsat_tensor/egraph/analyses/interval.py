"""Interval analysis: ``(lo e)`` and ``(hi e)``, bounds on the value of e-class ``e``.

Lattice: intervals ordered by reverse inclusion; ``merge`` intersects (``lo`` keeps the
max, ``hi`` the min), because both bounds hold for every e-node of the class. A missing
row means unbounded. Bounds feed the sign relations (``lo > 0`` gives ``positive``), so
``log(1 + sigmoid(x))`` knows its argument is at least 1.

Transfer functions, from the ops table (``OpFacts.range`` and ``.interval``): constants,
the fixed ranges of bounded functions (``RANGES``), interval arithmetic for signed sums
(``LINEAR``: ``add``, ``sub``, ``neg``) and the ops that keep their operand's bounds
(layout ops, ``max``/``min``/``mean`` reductions). Their one definition, which these
rules write in egglog, is ``ir/bounds`` (``transfer``, ``graph_bounds``: the Python
mirror, re-exported here), which the backends read too.

Relational facts for max-shifted values (``shift_rules``): ``x - max(x)`` over the same
axes (kept, or all reduced) is at most 0, since rounding is monotone; ``x - where(m - t
> 0, m, 0)`` with ``m = max(x)`` is at most ``max(t, 0)`` (shifted by ``m`` it is at most
0, else ``x <= m <= t``). These are what the accuracy cost reads to know that the exps of
a shifted softmax cannot overflow.
"""

from __future__ import annotations

from ...ir import OPS
from ...ir.bounds import (  # noqa: F401  (re-exported: the Python mirror of these rules)
    INCREASING,
    KEEPS_BOUNDS,
    LINEAR,
    RANGES,
    Bounds,
    graph_bounds,
    node_bounds,
    order_transfer,
    shifted_bound,
    sign_facts,
    transfer,
)
from ...rulelang.ast import MODERATE
from ..schema import ctor
from ._pattern import op_pattern


def declarations() -> str:
    """egglog functions of the interval analysis."""
    return ("(function lo (T) f64 :merge (max old new))\n"
            "(function hi (T) f64 :merge (min old new))\n"
            "(relation moderate (T))")


def _moderate_rules(rs: str) -> list[str]:
    """``(moderate e)``: the bounds put every value of ``e`` within ``MODERATE`` of its
    dtype in magnitude, on one side of zero (the guard of [fast] rules in finite mode)."""
    out = []
    for dtype, (small, big) in MODERATE.items():
        for side, (lo_min, hi_max) in (("pos", (small, big)), ("neg", (-big, -small))):
            out.append(f"(rule ((= l (lo e)) (= h (hi e)) (= \"{dtype}\" (tydtype (ty e))) "
                       f"(>= l {_f(lo_min)}) (<= h {_f(hi_max)})) ((moderate e)) {rs} "
                       f":name \"iv-moderate-{dtype}-{side}\")")
    return out


def _mul_rules(rs: str) -> list[str]:
    """Interval product: the bounds of ``x * y`` are the extreme products of the operands'
    bounds, set only where all four products are finite."""
    corners = ["(* lx ly)", "(* lx hy)", "(* hx ly)", "(* hx hy)"]
    binds = "(= lx (lo x)) (= hx (hi x)) (= ly (lo y)) (= hy (hi y))"
    fin = " ".join(f"(< (abs {c}) 1e300)" for c in corners)
    lo = f"(min (min {corners[0]} {corners[1]}) (min {corners[2]} {corners[3]}))"
    hi = f"(max (max {corners[0]} {corners[1]}) (max {corners[2]} {corners[3]}))"
    return [f"(rule ((= e (Mul x y)) {binds} {fin}) ((set (lo e) {lo}) (set (hi e) {hi})) "
            f"{rs} :name \"iv-mul\")"]


def _f(v: float) -> str:
    return repr(float(v))


def _linear_rules(rs: str) -> list[str]:
    """``lo``/``hi`` of a signed sum: the low end takes ``lo`` of a ``+1`` operand and
    ``-hi`` of a ``-1`` operand (the high end the opposite)."""
    out = []
    for op, signs in LINEAR.items():
        args = [f"a{i}" for i in range(len(signs))]
        for end, other in (("lo", "hi"), ("hi", "lo")):
            binds, terms = [], []
            for i, sgn in enumerate(signs):
                src = end if sgn > 0 else other
                binds.append(f"(= {src}{i} ({src} a{i}))")
                terms.append(f"{src}{i}" if sgn > 0 else f"(neg {src}{i})")
            total = terms[0]
            for t in terms[1:]:
                total = f"(+ {total} {t})"
            out.append(f"(rule ({op_pattern(op, args)} {' '.join(binds)}) "
                       f"((set ({end} e) {total})) {rs} :name \"iv-{op}-{end}\")")
    return out


def rules(ruleset: str) -> str:
    """egglog rules of the interval analysis."""
    rs = f":ruleset {ruleset}"
    out = [f"(rule ((= e (Const v d)) (< v 1e308) (> v -1e308)) ((set (lo e) v) (set (hi e) v)) "
           f"{rs} :name \"iv-const\")",
           f"(rule ((= l (lo e)) (> l 0.0)) ((positive e)) {rs} :name \"iv-pos\")",
           f"(rule ((= l (lo e)) (>= l 0.0)) ((nonnegative e)) {rs} :name \"iv-nonneg\")",
           f"(rule ((= h (hi e)) (< h 0.0)) ((negative e)) {rs} :name \"iv-neg\")",
           f"(rule ((= h (hi e)) (<= h 0.0)) ((nonpositive e)) {rs} :name \"iv-nonpos\")",
           ]
    out += _linear_rules(rs) + _mul_rules(rs) + _moderate_rules(rs)
    out += shift_rules(rs)
    out += _order_rules(rs)
    for op, (lo, hi) in RANGES.items():
        acts = []
        if lo is not None:
            acts.append(f"(set (lo e) {_f(lo)})")
        if hi is not None:
            acts.append(f"(set (hi e) {_f(hi)})")
        args = [f"a{i}" for i in range(OPS[op].arity)]
        out.append(f"(rule ({op_pattern(op, args)}) ({' '.join(acts)}) {rs} "
                   f":name \"iv-{op}\")")
    for op, f0 in INCREASING.items():
        pat = op_pattern(op, ["a"])
        out.append(f"(rule ({pat} (= l (lo a)) (>= l 0.0)) ((set (lo e) {_f(f0)})) {rs} "
                   f":name \"iv-{op}-nonneg\")")
        out.append(f"(rule ({pat} (= h (hi a)) (<= h 0.0)) ((set (hi e) {_f(f0)})) {rs} "
                   f":name \"iv-{op}-nonpos\")")
    for op in KEEPS_BOUNDS:
        out.append(f"(rule ({op_pattern(op, ['a'])} (= l (lo a))) ((set (lo e) l)) {rs} "
                   f":name \"iv-{op}-lo\")")
        out.append(f"(rule ({op_pattern(op, ['a'])} (= h (hi a))) ((set (hi e) h)) {rs} "
                   f":name \"iv-{op}-hi\")")
    return "\n".join(out)


# -- order statistics, selection, monotone bounds (costs) --
# maximum/minimum/where bound their result by their operands'; a quotient by an operand
# bounded away from zero is bounded by its corners.
def _order_rules(rs: str) -> list[str]:
    mx, mn, wh, dv = (ctor(o) for o in ("maximum", "minimum", "where", "div"))
    corners = ["(/ lx ly)", "(/ lx hy)", "(/ hx ly)", "(/ hx hy)"]
    fin = " ".join(f"(< (abs {c}) 1e300)" for c in corners)
    binds = "(= lx (lo x)) (= hx (hi x)) (= ly (lo y)) (= hy (hi y))"
    lo = f"(min (min {corners[0]} {corners[1]}) (min {corners[2]} {corners[3]}))"
    hi = f"(max (max {corners[0]} {corners[1]}) (max {corners[2]} {corners[3]}))"
    return [
        f"(rule ((= e ({mx} x y)) (= l (lo x))) ((set (lo e) l)) {rs} :name \"iv-maximum-lo0\")",
        f"(rule ((= e ({mx} x y)) (= l (lo y))) ((set (lo e) l)) {rs} :name \"iv-maximum-lo1\")",
        f"(rule ((= e ({mx} x y)) (= a (hi x)) (= b (hi y))) ((set (hi e) (max a b))) {rs} "
        f":name \"iv-maximum-hi\")",
        f"(rule ((= e ({mn} x y)) (= h (hi x))) ((set (hi e) h)) {rs} :name \"iv-minimum-hi0\")",
        f"(rule ((= e ({mn} x y)) (= h (hi y))) ((set (hi e) h)) {rs} :name \"iv-minimum-hi1\")",
        f"(rule ((= e ({mn} x y)) (= a (lo x)) (= b (lo y))) ((set (lo e) (min a b))) {rs} "
        f":name \"iv-minimum-lo\")",
        f"(rule ((= e ({wh} c x y)) (= a (lo x)) (= b (lo y))) ((set (lo e) (min a b))) {rs} "
        f":name \"iv-where-lo\")",
        f"(rule ((= e ({wh} c x y)) (= a (hi x)) (= b (hi y))) ((set (hi e) (max a b))) {rs} "
        f":name \"iv-where-hi\")",
    ] + [f"(rule ((= e ({dv} x y)) {binds} {away} {fin}) "
         f"((set (lo e) {lo}) (set (hi e) {hi})) {rs} :name \"iv-div-{k}\")"
         for k, away in enumerate(("(> ly 0.0)", "(< hy 0.0)"))]


def shift_rules(rs: str) -> list[str]:
    """Upper bounds of max-shifted values (see the module docstring)."""
    sub, mx, wh, gt = (ctor(o) for o in ("sub", "max", "where", "greater"))
    same_axes = (f"(= m ({mx} x a 1))", f"(= m ({mx} x a 0)) (= (tyrank (ty m)) 0)")
    out = []
    for k, m in enumerate(same_axes):
        out.append(f"(rule ((= e ({sub} x m)) {m}) ((set (hi e) 0.0)) {rs} "
                   f":name \"iv-shift-max-{k}\")")
        out.append(f"(rule ((= e ({sub} x c)) (= c ({wh} g m (Const 0.0 dz))) "
                   f"(= g ({gt} dm (Const 0.0 dg))) (= dm ({sub} m (Const tv dt))) {m}) "
                   f"((set (hi e) (max tv 0.0))) {rs} :name \"iv-shift-where-{k}\")")
    return out
