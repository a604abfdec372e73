"""Helpers shared by the analysis modules: the egglog pattern of one op application."""

from __future__ import annotations

from ...ir import OPS
from ..schema import ctor


def op_pattern(op: str, args: list[str], bind: str = "e") -> str:
    """``(= e (Ctor a0 a1 _attr..))`` with fresh variables for the attributes (and for
    operands beyond ``args``: facts of the first operand of ``take``)."""
    args = list(args) + [f"_in{k}" for k in range(len(args), OPS[op].arity)]
    attrs = [f"_{a}" for a in OPS[op].attrs]
    return f"(= {bind} ({ctor(op)} {' '.join(args + attrs)}))"


def ops_of_kind(kind: str) -> list[str]:
    """Op names of one kind from the ops table."""
    return [op for op, s in OPS.items() if s.kind == kind]
