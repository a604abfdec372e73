"""A small S-expression reader for FPCore text: tokens, lists, positions for errors.

Atoms are read into ``Sym`` (symbols and ``:keywords``), ``Str`` (``"..."`` strings) and
``Num`` (numeric literals, kept as text so decimals and rationals such as ``1/2`` convert
exactly later). Lists are Python lists. ``;`` starts a comment to the end of the line.
Nothing is evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import GraphFormatError

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?\d+/\d+$|"
                     r"^[+-]?0[xX][0-9a-fA-F]+(\.[0-9a-fA-F]*)?([pP][+-]?\d+)?$")


@dataclass(frozen=True)
class Sym:
    """A symbol or keyword (``x``, ``+``, ``:pre``) and where it starts (line, col)."""

    name: str
    line: int = 0
    col: int = 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sym) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Num:
    """A numeric literal as written (``1``, ``-2.5e-3``, ``1/3``, ``0x1.8p1``)."""

    text: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Str:
    """A string literal (used by ``:name``)."""

    text: str

    def __str__(self) -> str:
        return '"' + self.text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _error(msg: str, source: str, line: int, col: int) -> GraphFormatError:
    return GraphFormatError(f"{source}:{line}:{col}: {msg}")


def read_all(text: str, source: str = "<fpcore>") -> list:
    """Every top-level S-expression in ``text``."""
    out: list = []
    stack: list[tuple[list, int, int]] = []
    i, line, col = 0, 1, 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            i, line, col = i + 1, line + 1, 1
            continue
        if c.isspace():
            i, col = i + 1, col + 1
            continue
        if c == ";":
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c in "([":
            stack.append(([], line, col))
            i, col = i + 1, col + 1
            continue
        if c in ")]":
            if not stack:
                raise _error("unbalanced ')'", source, line, col)
            done, _, _ = stack.pop()
            (stack[-1][0] if stack else out).append(done)
            i, col = i + 1, col + 1
            continue
        if c == '"':
            j = i + 1
            buf = []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise _error("unterminated string", source, line, col)
            atom: object = Str("".join(buf))
            consumed = text[i:j + 1]
            i = j + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in '()[];"':
                j += 1
            word = text[i:j]
            atom = Num(word, line, col) if _NUMBER.match(word) else Sym(word, line, col)
            consumed = word
            i = j
        (stack[-1][0] if stack else out).append(atom)
        newlines = consumed.count("\n")
        if newlines:
            line += newlines
            col = len(consumed) - consumed.rfind("\n")
        else:
            col += len(consumed)
    if stack:
        _, l0, c0 = stack[-1]
        raise _error("unclosed '('", source, l0, c0)
    return out


def where(expr: object) -> str:
    """``line:col`` of an expression's first atom, for error messages."""
    while isinstance(expr, list) and expr:
        expr = expr[0]
    if isinstance(expr, (Sym, Num)):
        return f"{expr.line}:{expr.col}"
    return "?"


def to_text(expr: object) -> str:
    """Print an S-expression back to text."""
    if isinstance(expr, list):
        return "(" + " ".join(to_text(e) for e in expr) + ")"
    return str(expr)
