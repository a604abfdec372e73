"""Sign analysis: the relations ``positive``, ``nonnegative``, ``nonzero``, ``negative`` and
``nonpositive`` over e-classes.

Lattice: for each e-class, the set of sign facts proven for it (mathematically, wherever
the value is defined), ordered by inclusion; ``merge`` is set union, since every e-node of a
class denotes the same value, a fact proven for one holds for the class. Facts only grow,
so guards that read them are sound in the sense of egg#297.

The transfer functions are the table ``SIGN_RULES`` (op, facts required of each operand
(None: anything), fact concluded), each row one egglog rule, plus ``SAME_SIGN``: ops whose
result keeps every fact of their operand.
"""

from __future__ import annotations

from ...ir import OPS
from ._pattern import op_pattern, ops_of_kind

FACTS = ("positive", "nonnegative", "nonzero", "negative", "nonpositive")
P, NN, NZ, N, NP = FACTS

_ALWAYS_POSITIVE = ("exp", "exp2", "softplus", "sigmoid", "cosh")
_ALWAYS_NONNEGATIVE = ("abs", "square", "sqrt", "hypot")
# Odd, increasing through 0: the sign of the result is the sign of the operand.
_SIGN_PRESERVING = ("sinh", "tanh", "arctan", "arcsin", "cbrt", "expm1", "cast")
_LAYOUT = tuple(ops_of_kind("layout"))


def _rows() -> list[tuple[str, tuple, str]]:
    rows: list[tuple[str, tuple, str]] = []
    for op in _ALWAYS_POSITIVE:
        rows.append((op, (None,), P))
    for op in _ALWAYS_NONNEGATIVE:
        rows.append((op, (None,) * OPS[op].arity, NN))
    rows += [("abs", (NZ,), P), ("square", (NZ,), P), ("sqrt", (P,), P),
             ("hypot", (NZ, None), P), ("hypot", (None, NZ), P),
             ("log1p", (P,), P), ("log1p", (NN,), NN), ("pow", (P, None), P),
             ("reciprocal", (P,), P), ("reciprocal", (N,), N), ("reciprocal", (NZ,), NZ)]
    for op in ("sum", "mean"):
        rows += [(op, (f,), f) for f in (P, NN, N, NP)]
    rows += [("prod", (P,), P), ("prod", (NZ,), NZ), ("prod", (NN,), NN)]
    rows += [("neg", (P,), N), ("neg", (N,), P), ("neg", (NN,), NP), ("neg", (NP,), NN),
             ("neg", (NZ,), NZ)]
    rows += [("add", (P, NN), P), ("add", (NN, P), P), ("add", (NN, NN), NN),
             ("add", (N, NP), N), ("add", (NP, N), N), ("add", (NP, NP), NP),
             ("sub", (P, NP), P), ("sub", (NN, N), P), ("sub", (NN, NP), NN),
             ("sub", (N, NN), N), ("sub", (NP, P), N), ("sub", (NP, NN), NP)]
    for op in ("mul", "div"):
        rows += [(op, (P, P), P), (op, (N, N), P), (op, (P, N), N), (op, (N, P), N),
                 (op, (NZ, NZ), NZ)]
    rows += [("mul", (NN, NN), NN), ("mul", (NP, NP), NN), ("mul", (NN, NP), NP),
             ("mul", (NP, NN), NP), ("div", (NN, P), NN), ("div", (NP, N), NN),
             ("div", (NN, N), NP), ("div", (NP, P), NP)]
    rows += [("maximum", (P, None), P), ("maximum", (None, P), P),
             ("maximum", (NN, None), NN), ("maximum", (None, NN), NN),
             ("maximum", (N, N), N), ("maximum", (NP, NP), NP),
             ("minimum", (N, None), N), ("minimum", (None, N), N),
             ("minimum", (NP, None), NP), ("minimum", (None, NP), NP),
             ("minimum", (P, P), P), ("minimum", (NN, NN), NN)]
    rows += [("where", (None, f, f), f) for f in FACTS]
    return rows


SIGN_RULES = _rows()
# Ops whose result has every sign fact of their operand: one ``(same-sign e x)`` rule each,
# and five rules moving the facts across (instead of five rules per op).
SAME_SIGN = _SIGN_PRESERVING + _LAYOUT + ("max", "min")


def declarations() -> str:
    """egglog relations of the sign analysis."""
    return "\n".join([f"(relation {f} (T))" for f in FACTS] + ["(relation same-sign (T T))"])


def rules(ruleset: str) -> str:
    """egglog rules of the sign analysis."""
    out = [f"(rule (({P} e)) (({NN} e) ({NZ} e)) :ruleset {ruleset} :name \"sign-pos\")",
           f"(rule (({N} e)) (({NP} e) ({NZ} e)) :ruleset {ruleset} :name \"sign-neg\")",
           f"(rule ((= e (Const v d)) (> v 0.0)) (({P} e)) :ruleset {ruleset} "
           ":name \"sign-const-pos\")",
           f"(rule ((= e (Const v d)) (< v 0.0)) (({N} e)) :ruleset {ruleset} "
           ":name \"sign-const-neg\")",
           f"(rule ((= e (Const v d)) (= v 0.0)) (({NN} e) ({NP} e)) :ruleset {ruleset} "
           ":name \"sign-const-zero\")"]
    for op in SAME_SIGN:
        out.append(f"(rule ({op_pattern(op, ['x'])}) ((same-sign e x)) :ruleset {ruleset} "
                   f":name \"sign-same-{op}\")")
    for f in FACTS:
        out.append(f"(rule ((same-sign e x) ({f} x)) (({f} e)) :ruleset {ruleset} "
                   f":name \"sign-same-{f}\")")
    for k, (op, needs, fact) in enumerate(SIGN_RULES):
        args = [f"x{i}" for i in range(len(needs))]
        body = [op_pattern(op, args)]
        body += [f"({need} x{i})" for i, need in enumerate(needs) if need is not None]
        out.append(f"(rule ({' '.join(body)}) (({fact} e)) :ruleset {ruleset} "
                   f":name \"sign-{op}-{k}\")")
    return "\n".join(out)


def _implied(facts: set[str]) -> set[str]:
    if P in facts:
        facts |= {NN, NZ}
    if N in facts:
        facts |= {NP, NZ}
    return facts


_BY_OP: dict[str, list[tuple[tuple, str]]] = {}
for _op, _needs, _fact in SIGN_RULES:
    _BY_OP.setdefault(_op, []).append((_needs, _fact))


def transfer(op: str, value: float | None, operands: list[set[str]]) -> set[str]:
    """The same facts the egglog rules derive, computed in Python for an IR node
    (``value`` is a scalar constant's value). Used to seed the e-graph so that deep
    graphs need no level-by-level propagation."""
    facts: set[str] = set()
    if op == "constant" and value is not None:
        if value > 0:
            facts.add(P)
        elif value < 0:
            facts.add(N)
        elif value == 0:
            facts |= {NN, NP}
    for needs, fact in _BY_OP.get(op, ()):
        if all(n is None or n in f for n, f in zip(needs, operands)):
            facts.add(fact)
    if op in SAME_SIGN:
        facts |= operands[0]
    return _implied(facts)


def base_facts(facts: set[str]) -> set[str]:
    """The facts to insert; the rest follow by the implication rules."""
    out = set(facts)
    if P in out:
        out -= {NN, NZ}
    if N in out:
        out -= {NP, NZ}
    return out
