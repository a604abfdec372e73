"""E-class analyses, one module each: their egglog declarations and rules.

Each module states its lattice and ``merge`` in its docstring and exposes
``declarations() -> str`` and ``rules(ruleset) -> str`` (egglog text). Guards of rewrite
rules read only these facts (never "this class contains node N", egg#297).
"""

from __future__ import annotations

from . import constant, finite, interval, sign, types

MODULES = (types, sign, interval, finite, constant)
RULESET = "analysis"


def declarations() -> str:
    """Declarations of every analysis."""
    return "\n".join(m.declarations() for m in MODULES)


def rules(ruleset: str = RULESET) -> str:
    """Rules of every analysis, plus the type-driven cleanup of no-op layout nodes."""
    cleanup = (f"(rule ((= e (BroadcastTo x s)) (= s (tyshape (ty x)))) "
               f"((union e x) (subsume (BroadcastTo x s))) :ruleset {ruleset} "
               ":name \"noop-broadcast_to\")\n"
               f"(rule ((= e (Reshape x s)) (= s (tyshape (ty x)))) "
               f"((union e x) (subsume (Reshape x s))) :ruleset {ruleset} "
               ":name \"noop-reshape\")\n"
               f"(rule ((= e (Cast x d)) (= d (tydtype (ty x)))) "
               f"((union e x) (subsume (Cast x d))) :ruleset {ruleset} :name \"noop-cast\")")
    return "\n".join(m.rules(ruleset) for m in MODULES) + "\n" + cleanup
