"""Finiteness analysis: the relations ``finite`` and ``defined`` over e-classes.

``finite(x)`` in a guard means different things under the two IEEE modes:

* ``ieee="strict"``: the relation ``finite`` must be proven: constants with finite
  values, and ops whose result is finite whenever their operands are (bounded functions,
  negation, absolute value, selection, layout).
* ``ieee="finite"``: inputs are assumed finite and an intermediate overflow may be
  removed by a rewrite, but a value that is mathematically undefined (``x / 0``,
  ``log(-1)``) must not be. The relation ``defined`` proves "mathematically defined":
  inputs and finite constants, total ops (``add``, ``exp``, ``matmul``, reductions ...)
  of defined operands, and partial ops only where their domain guard is proven
  (``a / b`` with ``b != 0``, ``log(x)`` with ``x > 0``, ``sqrt(x)`` with ``x >= 0``).
  Without it ``x * 0 => 0`` turned ``0 * (x / 0)`` (NaN) into 0.

  An overflow removed before a comparison can flip it (``x0 > (x0*x0) * 0``: NaN in
  NumPy, 0 after ``x * 0 => 0``, and the other branch may then overflow to NaN), so
  ``defined`` stands for finiteness only on values that reach no decision: the relation
  ``uncompared`` is seeded on the graph's nodes from which no comparison, NaN/inf test,
  cast to bool or int, ``sort`` or ``argmax``-like op is reachable, and a guard
  ``finite(x)`` under ``ieee="finite"`` reads ``safe``: ``finite``, or ``defined`` and
  ``uncompared`` (the inputs are ``finite`` there by the contract). ``ieee="fast"`` reads
  ``defined`` alone.

Lattice: a boolean per class, ``merge`` is "or".
"""

from __future__ import annotations

import math
from typing import Any

from ...ir import OPS
from ._pattern import op_pattern

# Ops that map finite operands to finite results, even in IEEE arithmetic: op -> the
# operands whose finiteness is needed (``OpFacts.finite_if``).
FINITE_IF_OPERANDS = {op: spec.facts.finite_if for op, spec in OPS.items()
                      if spec.facts is not None and spec.facts.finite_if}
# Ops defined for every real operand (an overflow to inf is allowed: a rewrite may remove it).
TOTAL_OPS = tuple(op for op, spec in OPS.items()
                  if spec.facts is not None and spec.facts.domain == "total")
# Partial ops: (op, operand that needs a sign fact, the sign relation that makes it defined).
PARTIAL_OPS = tuple((op, *spec.facts.domain) for op, spec in OPS.items()
                    if spec.facts is not None and isinstance(spec.facts.domain, tuple))


def declarations() -> str:
    """egglog relations of the finiteness analysis."""
    return ("(relation finite (T))\n(relation defined (T))\n(relation uncompared (T))\n"
            "(relation safe (T))")


def _defined_rules(rs: str) -> list[str]:
    out = [f"(rule ((= e (Const v d)) (< v 1e308) (> v -1e308)) ((defined e)) {rs} "
           ":name \"def-const\")"]
    for op in TOTAL_OPS:
        args = [f"a{i}" for i in range(OPS[op].arity)]
        facts = " ".join(f"(defined {a})" for a in args)
        out.append(f"(rule ({op_pattern(op, args)} {facts}) ((defined e)) {rs} "
                   f":name \"def-{op}\")")
    for op, k, rel in PARTIAL_OPS:
        args = [f"a{i}" for i in range(OPS[op].arity)]
        facts = " ".join(f"(defined {a})" for a in args) + f" ({rel} a{k})"
        out.append(f"(rule ({op_pattern(op, args)} {facts}) ((defined e)) {rs} "
                   f":name \"def-{op}\")")
    return out


def rules(ruleset: str) -> str:
    """egglog rules of the finiteness analysis."""
    rs = f":ruleset {ruleset}"
    out = [f"(rule ((= e (Const v d)) (< v 1e308) (> v -1e308)) ((finite e)) {rs} "
           ":name \"fin-const\")"]
    for op, needs in FINITE_IF_OPERANDS.items():
        args = [f"a{i}" for i in range(OPS[op].arity)]
        facts = " ".join(f"(finite a{i})" for i in needs)
        out.append(f"(rule ({op_pattern(op, args)} {facts}) ((finite e)) {rs} "
                   f":name \"fin-{op}\")")
    out.append(f"(rule ((finite e)) ((safe e)) {rs} :name \"safe-finite\")")
    out.append(f"(rule ((defined e) (uncompared e)) ((safe e)) {rs} :name \"safe-defined\")")
    return "\n".join(out + _defined_rules(rs))


def decides(node: Any) -> bool:
    """``node`` turns a float value into a decision: a bool or integer result of float
    operands (comparisons, NaN/inf tests, casts, ``argmax``), or an ordering (``sort``)."""
    if node.op == "sort":
        return True
    return node.dtype not in ("float32", "float64") and any(
        i.dtype in ("float32", "float64") for i in node.inputs)


def compared_nodes(nodes: list) -> set[int]:
    """The uids of ``nodes`` (in topological order) from which a deciding op is reachable."""
    compared: set[int] = set()
    for node in reversed(nodes):
        if node.uid in compared or decides(node):
            compared.update(i.uid for i in node.inputs)
    return compared


def transfer(op: str, value: float | None, operands: list[bool]) -> bool:
    """Python mirror of the finiteness rules for an IR node."""
    if op == "constant":
        return value is not None and math.isfinite(value)
    needs = FINITE_IF_OPERANDS.get(op)
    return needs is not None and all(operands[i] for i in needs)


def defined_transfer(op: str, value: float | None, operands: list[bool],
                     operand_signs: list[set[str]]) -> bool:
    """Python mirror of the ``defined`` rules for an IR node."""
    if op == "input":
        return True
    if op == "constant":
        return value is not None and math.isfinite(value)
    if not all(operands):
        return False
    if op in TOTAL_OPS:
        return True
    for name, k, rel in PARTIAL_OPS:
        if name == op:
            return rel in operand_signs[k]
    return False
