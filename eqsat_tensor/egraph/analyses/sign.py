"""Sign analysis: the relations ``positive``, ``nonnegative``, ``nonzero``, ``negative`` and
``nonpositive`` over e-classes.

Lattice: for each e-class, the set of sign facts proven for it (mathematically, wherever
the value is defined), ordered by inclusion; ``merge`` is set union, since every e-node of a
class denotes the same value, a fact proven for one holds for the class. Facts only grow,
so guards that read them are sound in the sense of egg#297.

The transfer functions come from the ops table (``OpFacts.sign`` and ``.same_sign``):
``SIGN_RULES`` (op, facts required of each operand (None: anything), fact concluded), each
row one egglog rule, plus ``SAME_SIGN``: ops whose result keeps every fact of their
operand.
"""

from __future__ import annotations

from ...ir import OPS
from ._pattern import op_pattern

FACTS = ("positive", "nonnegative", "nonzero", "negative", "nonpositive")
P, NN, NZ, N, NP = FACTS



def _rows() -> list[tuple[str, tuple, str]]:
    """Every op's sign rows (``OpFacts.sign``), in table order."""
    return [(op, needs, fact) for op, spec in OPS.items() if spec.facts is not None
            for needs, fact in spec.facts.sign]


SIGN_RULES = _rows()
# Ops whose result has every sign fact of their operand (``OpFacts.same_sign``): one
# ``(same-sign e x)`` rule each, and five rules moving the facts across (instead of five
# rules per op).
SAME_SIGN = tuple(op for op, spec in OPS.items() if spec.facts is not None
                  and spec.facts.same_sign)


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
