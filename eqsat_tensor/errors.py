"""Every error eqsat-tensor raises on purpose, in one place.

Each error is meant to be read by a person: it names the op, the shapes, the file and
line, or the JSON node that is wrong, so no traceback from deep inside is needed.
"""

from __future__ import annotations


class EqsatError(Exception):
    """Base class of all eqsat-tensor errors."""


class ShapeError(EqsatError, ValueError):
    """Operands whose shapes do not fit the op (names the op, the shapes and the user's line)."""


class DTypeError(EqsatError, TypeError):
    """An operand of a dtype the op does not accept (eqsat-tensor computes in float32/float64)."""


class UnsupportedOperation(EqsatError, TypeError):
    """A NumPy function or Python construct the tracer cannot turn into graph ops."""


UnsupportedError = UnsupportedOperation  # the name the issues use


class GraphFormatError(EqsatError, ValueError):
    """A serialized graph (JSON) that does not follow the schema; names the bad node."""


class RuleError(EqsatError, ValueError):
    """A malformed rule file, reported as ``file:line:col`` with the line and a caret."""

    def __init__(self, message: str, *, source: str = "<rules>", line: int = 0, col: int = 0,
                 text: str = "") -> None:
        self.message, self.source, self.line, self.col, self.text = message, source, line, col, text
        where = f"{source}:{line}:{col}: {message}"
        if text:
            where += f"\n    {text}\n    {' ' * max(col - 1, 0)}^"
        super().__init__(where)


class RuleFileNotFound(RuleError, FileNotFoundError):
    """A rule file that does not exist: the project's error, and a ``FileNotFoundError``."""

    def __init__(self, path: str) -> None:
        super().__init__("rule file not found", source=str(path))
        self.filename = str(path)

    def __str__(self) -> str:  # not OSError's "[Errno None] ..."
        return f"rule file not found: {self.filename}"


class ArgumentError(EqsatError, ValueError, TypeError):
    """A bad argument to a public API (a ``Budget`` limit, the arguments of a call to a
    jitted function): names the parameter, the value and what is accepted. It is both a
    ``ValueError`` and a ``TypeError``, so code written against Python's conventions
    still catches it."""


class BackendError(EqsatError, RuntimeError):
    """A backend cannot run on this machine or cannot run this graph."""


class UnsupportedOp(BackendError):
    """A backend was handed an op it does not implement."""
