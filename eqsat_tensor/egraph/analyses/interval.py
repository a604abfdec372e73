"""Interval analysis: ``(lo e)`` and ``(hi e)``, bounds on the value of e-class ``e``.

Lattice: intervals ordered by reverse inclusion; ``merge`` intersects (``lo`` keeps the
max, ``hi`` the min), because both bounds hold for every e-node of the class. A missing
row means unbounded. Bounds feed the sign relations (``lo > 0`` gives ``positive``), so
``log(1 + sigmoid(x))`` knows its argument is at least 1.

Transfer functions: constants, the fixed ranges of bounded functions (``RANGES``), and
interval arithmetic for ``add``, ``sub``, ``neg`` and the ops that keep their operand's
bounds (layout ops, ``max``/``min``/``mean`` reductions).
"""

from __future__ import annotations

import math

from ._pattern import op_pattern, ops_of_kind

# op -> (lower bound or None, upper bound or None) over the op's whole domain.
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "sin": (-1.0, 1.0), "cos": (-1.0, 1.0),
          "arctan": (-math.pi / 2, math.pi / 2), "arcsin": (-math.pi / 2, math.pi / 2),
          "arccos": (0.0, math.pi), "exp": (0.0, None), "exp2": (0.0, None),
          "softplus": (0.0, None), "cosh": (1.0, None), "abs": (0.0, None),
          "square": (0.0, None), "sqrt": (0.0, None), "hypot": (0.0, None)}
KEEPS_BOUNDS = tuple(ops_of_kind("layout")) + ("max", "min", "mean", "cast")


def declarations() -> str:
    """egglog functions of the interval analysis."""
    return ("(function lo (T) f64 :merge (max old new))\n"
            "(function hi (T) f64 :merge (min old new))")


def _f(v: float) -> str:
    return repr(float(v))


def rules(ruleset: str) -> str:
    """egglog rules of the interval analysis."""
    rs = f":ruleset {ruleset}"
    out = [f"(rule ((= e (Const v d)) (< v 1e308) (> v -1e308)) ((set (lo e) v) (set (hi e) v)) "
           f"{rs} :name \"iv-const\")",
           f"(rule ((= l (lo e)) (> l 0.0)) ((positive e)) {rs} :name \"iv-pos\")",
           f"(rule ((= l (lo e)) (>= l 0.0)) ((nonnegative e)) {rs} :name \"iv-nonneg\")",
           f"(rule ((= h (hi e)) (< h 0.0)) ((negative e)) {rs} :name \"iv-neg\")",
           f"(rule ((= h (hi e)) (<= h 0.0)) ((nonpositive e)) {rs} :name \"iv-nonpos\")",
           f"(rule ({op_pattern('add', ['a', 'b'])} (= la (lo a)) (= lb (lo b))) "
           f"((set (lo e) (+ la lb))) {rs} :name \"iv-add-lo\")",
           f"(rule ({op_pattern('add', ['a', 'b'])} (= ha (hi a)) (= hb (hi b))) "
           f"((set (hi e) (+ ha hb))) {rs} :name \"iv-add-hi\")",
           f"(rule ({op_pattern('sub', ['a', 'b'])} (= la (lo a)) (= hb (hi b))) "
           f"((set (lo e) (- la hb))) {rs} :name \"iv-sub-lo\")",
           f"(rule ({op_pattern('sub', ['a', 'b'])} (= ha (hi a)) (= lb (lo b))) "
           f"((set (hi e) (- ha lb))) {rs} :name \"iv-sub-hi\")",
           f"(rule ({op_pattern('neg', ['a'])} (= la (lo a))) ((set (hi e) (neg la))) {rs} "
           ":name \"iv-neg-hi\")",
           f"(rule ({op_pattern('neg', ['a'])} (= ha (hi a))) ((set (lo e) (neg ha))) {rs} "
           ":name \"iv-neg-lo\")"]
    for op, (lo, hi) in RANGES.items():
        acts = []
        if lo is not None:
            acts.append(f"(set (lo e) {_f(lo)})")
        if hi is not None:
            acts.append(f"(set (hi e) {_f(hi)})")
        args = ["a", "b"] if op == "hypot" else ["a"]
        out.append(f"(rule ({op_pattern(op, args)}) ({' '.join(acts)}) {rs} "
                   f":name \"iv-{op}\")")
    for op in KEEPS_BOUNDS:
        out.append(f"(rule ({op_pattern(op, ['a'])} (= l (lo a))) ((set (lo e) l)) {rs} "
                   f":name \"iv-{op}-lo\")")
        out.append(f"(rule ({op_pattern(op, ['a'])} (= h (hi a))) ((set (hi e) h)) {rs} "
                   f":name \"iv-{op}-hi\")")
    return "\n".join(out)


Bounds = tuple[float | None, float | None]


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
    if op == "add":
        (la, ha), (lb, hb) = operands
        lo = la + lb if la is not None and lb is not None else None
        hi = ha + hb if ha is not None and hb is not None else None
    elif op == "sub":
        (la, ha), (lb, hb) = operands
        lo = la - hb if la is not None and hb is not None else None
        hi = ha - lb if ha is not None and lb is not None else None
    elif op == "neg":
        (la, ha), = operands
        lo = -ha if ha is not None else None
        hi = -la if la is not None else None
    elif op in KEEPS_BOUNDS:
        lo, hi = operands[0]
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
