"""Finiteness analysis: the relation ``finite`` over e-classes.

Under ``ieee="finite"`` every input is finite and every mathematically defined value is
treated as finite, so the ``finite(x)`` guard holds by assumption and compiles to nothing.
Under ``ieee="strict"`` the relation must be proven: constants with finite values, and
ops whose result is finite whenever their operands are (bounded functions, negation,
absolute value, selection, layout). Lattice: a boolean per class, ``merge`` is "or".
"""

from __future__ import annotations

import math

from ._pattern import op_pattern, ops_of_kind

# Ops that map finite operands to finite results, even in IEEE arithmetic.
FINITE_IF_OPERANDS = ("sigmoid", "tanh", "sin", "cos", "arctan", "neg", "abs") + tuple(
    ops_of_kind("layout"))


def declarations() -> str:
    """egglog relation of the finiteness analysis."""
    return "(relation finite (T))"


def rules(ruleset: str) -> str:
    """egglog rules of the finiteness analysis."""
    rs = f":ruleset {ruleset}"
    out = [f"(rule ((= e (Const v d)) (< v 1e308) (> v -1e308)) ((finite e)) {rs} "
           ":name \"fin-const\")",
           f"(rule ({op_pattern('where', ['c', 'a', 'b'])} (finite a) (finite b)) ((finite e)) "
           f"{rs} :name \"fin-where\")"]
    for op in FINITE_IF_OPERANDS:
        out.append(f"(rule ({op_pattern(op, ['a'])} (finite a)) ((finite e)) {rs} "
                   f":name \"fin-{op}\")")
    return "\n".join(out)


def transfer(op: str, value: float | None, operands: list[bool]) -> bool:
    """Python mirror of the finiteness rules for an IR node."""
    if op == "constant":
        return value is not None and math.isfinite(value)
    if op == "where":
        return operands[1] and operands[2]
    return op in FINITE_IF_OPERANDS and all(operands)
