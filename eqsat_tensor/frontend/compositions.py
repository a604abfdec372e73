"""Functions that are compositions of IR ops, declared as data (``data/compositions.txt``).

Each line of the file names a NumPy or ``scipy.special`` function, its operands and the
expression it computes, in the rule language's syntax (parsed by ``rulelang``, never
evaluated). ``COMPOSITIONS`` reads the file once, on first use; ``compose(name, *operands)``
builds the traced value through the builder functions (``frontend.functions``), so the
result promotes and broadcasts as every other builder call does. The public wrappers
(``special.logit``, ``extras_special.boxcox1p``, ...) keep their signatures and operand
conversions and call ``compose``; the fuzzers draw their vocabulary from the same table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from ..ir import OPS
from . import functions as F
from .operands import promote_floats
from .tensor import Tensor

SOURCE = "eqsat_tensor/data/compositions.txt"
_HEAD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*=")


@dataclass(frozen=True)
class Composition:
    """One declared function: ``name(params) = expression`` (``pattern``, a rule-language
    pattern over the parameters) and the line's comment (``doc``)."""

    name: str
    params: tuple[str, ...]
    pattern: Any
    doc: str
    line: int

    @property
    def arity(self) -> int:
        """The number of operands."""
        return len(self.params)


def parse_compositions(text: str, source: str = SOURCE) -> dict[str, Composition]:
    """The declarations in ``text``; a malformed line (bad syntax, an unknown op, a
    variable that is not an operand, a name declared twice) is a ``RuleError`` naming
    ``source``, the line and the column."""
    from ..rulelang.ast import pattern_vars
    from ..rulelang.expressions import Converter, Line, parse_expr, strip_comment

    out: dict[str, Composition] = {}
    for no, raw in enumerate(text.splitlines(), 1):
        body = strip_comment(raw)
        if not body.strip():
            continue
        line = Line(source, no, raw)
        head = _HEAD.match(body)
        if head is None:
            raise line.error("expected 'name(operands) = expression'", 0)
        name = head.group(1)
        params = tuple(p.strip() for p in head.group(2).split(",") if p.strip())
        node, seg, base = parse_expr(line, head.end(), len(body), "the expression")
        pattern = Converter(line, seg, base, "pattern").tensor(node)
        unknown = pattern_vars(pattern) - set(params)
        if name in out or unknown:
            why = f"duplicate name {name!r}" if name in out else \
                f"{', '.join(sorted(unknown))} not among the operands {params}"
            raise line.error(why, head.start(1))
        doc = raw[len(body):].strip().lstrip("#").strip()
        out[name] = Composition(name, params, pattern, doc, no)
    return out


@cache
def compositions() -> dict[str, Composition]:
    """The shipped declarations (``data/compositions.txt``), read once (a ``RuleError``
    naming the file, line and column for a malformed one)."""
    text = resources.files("eqsat_tensor").joinpath("data", "compositions.txt").read_text(
        encoding="utf-8")
    return parse_compositions(text)


def _builder(op: str) -> Callable[..., Any]:
    """The builder function of ``op`` (named as the op, or by its NumPy name)."""
    fn = getattr(F, op, None)
    if fn is None:
        fn = getattr(F, OPS[op].name_in("numpy")[0])
    return fn


def _build(pattern: Any, env: dict[str, Any]) -> Any:
    from ..rulelang.ast import App, Const, Var

    if isinstance(pattern, Var):
        return env[pattern.name]
    if isinstance(pattern, Const):  # a Python float: weak, it takes its sibling's dtype
        return float(pattern.value)
    assert isinstance(pattern, App) and not pattern.attrs, pattern
    return _builder(pattern.op)(*(_build(a, env) for a in pattern.args))


def compose(name: str, *operands: Any) -> Tensor:
    """The declared composition ``name`` applied to ``operands`` (traced values, arrays or
    Python scalars)."""
    c = compositions()[name]
    if len(operands) != c.arity:
        raise TypeError(f"{name}() takes {c.arity} operands ({', '.join(c.params)}), "
                        f"{len(operands)} given")
    if len(operands) > 1:  # converted together, as NumPy converts a ufunc's inputs
        operands = tuple(promote_floats(*operands))
    return _build(c.pattern, dict(zip(c.params, operands)))


__all__ = ["SOURCE", "Composition", "compose", "compositions", "parse_compositions"]
