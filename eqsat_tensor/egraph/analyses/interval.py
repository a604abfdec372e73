"""Interval analysis: ``(lo e)`` and ``(hi e)``, bounds on the value of e-class ``e``.

Lattice: intervals ordered by reverse inclusion; ``merge`` intersects (``lo`` keeps the
max, ``hi`` the min), because both bounds hold for every e-node of the class. A missing
row means unbounded. Bounds feed the sign relations (``lo > 0`` gives ``positive``), so
``log(1 + sigmoid(x))`` knows its argument is at least 1.

Transfer functions, from the ops table (``OpFacts.range`` and ``.interval``): constants,
the fixed ranges of bounded functions (``RANGES``), interval arithmetic for signed sums
(``LINEAR``: ``add``, ``sub``, ``neg``) and the ops that keep their operand's bounds
(layout ops, ``max``/``min``/``mean`` reductions).

Relational facts for max-shifted values (``shift_rules``): ``x - max(x)`` over the same
axes (kept, or all reduced) is at most 0, since rounding is monotone; ``x - where(m - t
> 0, m, 0)`` with ``m = max(x)`` is at most ``max(t, 0)`` (shifted by ``m`` it is at most
0, else ``x <= m <= t``). These are what the accuracy cost reads to know that the exps of
a shifted softmax cannot overflow.
"""

from __future__ import annotations

import math

import numpy as np

from ...ir import OPS, Graph, Node
from ...rulelang.ast import MODERATE
from ..schema import ctor
from ._pattern import op_pattern

# op -> (lower bound or None, upper bound or None) over the op's whole domain.
RANGES = {op: spec.facts.range for op, spec in OPS.items()
          if spec.facts is not None and spec.facts.range is not None}
# ops whose result has its operand's bounds
KEEPS_BOUNDS = tuple(op for op, spec in OPS.items()
                     if spec.facts is not None and spec.facts.interval == "keep")
# ops whose result is a signed sum of their operands: op -> (+1 or -1 per operand)
LINEAR = {op: spec.facts.interval for op, spec in OPS.items()
          if spec.facts is not None and isinstance(spec.facts.interval, tuple)}


def _value_at_zero(op: str) -> float:
    with np.errstate(all="ignore"):
        return float(OPS[op].reference(np.asarray(0.0)))


# non-decreasing unary ops -> f(0): the result is >= f(0) where the operand is >= 0 and
# <= f(0) where it is <= 0 (exp of a non-positive value is at most 1: the shared-exp forms
# of softplus and sigmoid rely on it)
INCREASING = {op: _value_at_zero(op) for op, spec in OPS.items()
              if spec.facts is not None and spec.facts.interval == "increasing"}


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


def _order_transfer(op: str, operands: list[Bounds]) -> Bounds:
    """Python mirror of ``_order_rules`` (None: no bound from these rules)."""
    def known(*v: float | None) -> bool:
        return all(x is not None for x in v)

    if op == "maximum":
        (la, ha), (lb, hb) = operands
        lows = [v for v in (la, lb) if v is not None]
        return (max(lows) if lows else None, max(ha, hb) if known(ha, hb) else None)
    if op == "minimum":
        (la, ha), (lb, hb) = operands
        highs = [v for v in (ha, hb) if v is not None]
        return (min(la, lb) if known(la, lb) else None, min(highs) if highs else None)
    if op == "where":
        _, (la, ha), (lb, hb) = operands
        return (min(la, lb) if known(la, lb) else None, max(ha, hb) if known(ha, hb) else None)
    if op == "div":
        (lx, hx), (ly, hy) = operands
        if known(lx, hx, ly, hy) and (ly > 0 or hy < 0):
            c = [lx / ly, lx / hy, hx / ly, hx / hy]
            if all(abs(v) < 1e300 for v in c):
                return (min(c), max(c))
    return (None, None)


def _tighter(a: Bounds, b: Bounds) -> Bounds:
    """The intersection of two bounds (the e-graph's merge: max of lows, min of highs)."""
    lo = a[0] if b[0] is None else b[0] if a[0] is None else max(a[0], b[0])
    hi = a[1] if b[1] is None else b[1] if a[1] is None else min(a[1], b[1])
    return (lo, hi)


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


Bounds = tuple[float | None, float | None]


def _shift_max(x: Node, m: Node) -> bool:
    return (m.op == "max" and m.inputs[0] is x
            and (bool(dict(m.attrs).get("keepdims")) or m.ndim == 0))


def _const(node: Node, value: float | None = None) -> bool:
    return node.op == "constant" and node.ndim == 0 and (
        value is None or float(node.value) == value)


def shifted_bound(node: Node) -> float | None:
    """Python mirror of ``shift_rules``: the upper bound of a max-shifted ``node``."""
    if node.op != "sub":
        return None
    x, c = node.inputs
    if _shift_max(x, c):
        return 0.0
    if c.op != "where" or not _const(c.inputs[2], 0.0):
        return None
    g, m = c.inputs[0], c.inputs[1]
    if not (_shift_max(x, m) and g.op == "greater" and _const(g.inputs[1], 0.0)):
        return None
    d = g.inputs[0]
    if d.op == "sub" and d.inputs[0] is m and _const(d.inputs[1]):
        return max(float(d.inputs[1].value), 0.0)
    return None


def graph_bounds(graph: Graph) -> dict[int, Bounds]:
    """``(lo, hi)`` of every node of ``graph`` (by uid), as the e-graph's interval rules
    would find them on the graph alone."""
    out: dict[int, Bounds] = {}
    for node in graph.nodes():
        value = float(node.value) if _const(node) else None
        lo, hi = transfer(node.op, value, [out[i.uid] for i in node.inputs])
        shift = shifted_bound(node)
        if shift is not None:
            hi = shift if hi is None else min(hi, shift)
        if node.op in ("maximum", "minimum", "where", "div"):
            lo, hi = _tighter((lo, hi), _order_transfer(node.op,
                                                        [out[i.uid] for i in node.inputs]))
        out[node.uid] = (lo, hi)
    return out


def transfer(op: str, value: float | None, operands: list[Bounds]) -> Bounds:
    """Python mirror of the interval rules for an IR node (None: unbounded)."""
    if op == "constant" and value is not None:
        if math.isfinite(value):
            return (value, value)
        return (None, None)
    lo: float | None = None
    hi: float | None = None
    if op in RANGES:
        lo, hi = RANGES[op]
    if op in LINEAR:
        lo, hi = 0.0, 0.0
        for sgn, (la, ha) in zip(LINEAR[op], operands):
            lo_t, hi_t = (la, ha) if sgn > 0 else (-ha if ha is not None else None,
                                                    -la if la is not None else None)
            lo = lo + lo_t if lo is not None and lo_t is not None else None
            hi = hi + hi_t if hi is not None and hi_t is not None else None
    elif op in KEEPS_BOUNDS:
        lo, hi = operands[0]
    elif op in INCREASING:
        (la, ha), f0 = operands[0], INCREASING[op]
        if la is not None and la >= 0:
            lo = f0 if lo is None else max(lo, f0)
        if ha is not None and ha <= 0:
            hi = f0 if hi is None else min(hi, f0)
    elif op == "mul" and all(b is not None for bd in operands for b in bd):
        (lx, hx), (ly, hy) = operands
        corners = [lx * ly, lx * hy, hx * ly, hx * hy]
        if all(abs(c) < 1e300 for c in corners):
            lo, hi = min(corners), max(corners)
    return (lo, hi)


def sign_facts(bounds: Bounds) -> set[str]:
    """Sign relations implied by bounds (mirrors the ``iv-*`` sign rules)."""
    lo, hi = bounds
    out = set()
    if lo is not None:
        if lo > 0:
            out.add("positive")
        if lo >= 0:
            out.add("nonnegative")
    if hi is not None:
        if hi < 0:
            out.add("negative")
        if hi <= 0:
            out.add("nonpositive")
    return out
