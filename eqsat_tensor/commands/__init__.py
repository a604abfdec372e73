"""CLI subcommands, one module each with ``add_arguments(parser)`` and ``run(args) -> int``.

``UsageError`` is what a command raises for a mistake in its arguments; ``cli.main``
prints it as one line and exits with status 2, like every other ``EqsatError``.
"""

from __future__ import annotations

import os

from ..errors import EqsatError

# File name extensions the commands read; a source argument ending in one of them is a
# file name, never an expression (a typo gives "file not found", not a parse error).
FILE_SUFFIXES = (".json", ".fpcore", ".fpc", ".rules", ".expr", ".txt", ".py")


class UsageError(EqsatError, ValueError):
    """A command-line argument that cannot be used (bad ``--pre``, bad ``--shape``, ...)."""


def looks_like_file(text: str) -> bool:
    """True when ``text`` names a file: it exists, ends in a known suffix, or is a path
    (has a directory separator and no spaces or parentheses)."""
    if os.path.isfile(text):
        return True
    stripped = text.strip()
    if stripped.lower().endswith(FILE_SUFFIXES):
        return True
    return (os.sep in stripped or "/" in stripped) and not any(c in stripped for c in " ()*+")


def read_source_file(path: str) -> str:
    """Text of a source file named on the command line; ``FileNotFoundError`` names it."""
    if not os.path.isfile(path):
        raise FileNotFoundError(2, "No such file", path)
    with open(path, encoding="utf-8") as fh:
        return fh.read()
