"""The ``eqsat-tensor`` command: a thin dispatcher over ``eqsat_tensor.commands``.

Each subcommand lives in its own module ``eqsat_tensor/commands/<name>.py`` exposing
``HELP`` (one line), ``add_arguments(parser)`` and ``run(args) -> int``. Modules are
imported only when their command runs, so ``eqsat-tensor --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from .errors import EqsatError

# command name -> module under eqsat_tensor.commands
COMMANDS = {
    "demo": "demo",
    "optimize": "optimize",
    "check-rules": "check_rules",
    "bench": "bench",
    "profile": "profile",
    "viz": "viz",
    "accuracy": "accuracy",
}

HELPS = {
    "demo": "optimize and run a real graph, and show the report (the main job)",
    "optimize": "optimize an expression, a JSON graph, or an imported graph",
    "check-rules": "property-test rule files for soundness",
    "bench": "run the benchmark workloads against numpy/numexpr/jax",
    "profile": "per-kernel time and bandwidth of a workload",
    "viz": "draw a graph before and after optimization (graphviz)",
    "accuracy": "measure and improve the floating-point accuracy of an expression",
}


def _load(name: str):
    try:
        return importlib.import_module(f"eqsat_tensor.commands.{COMMANDS[name]}")
    except ModuleNotFoundError as exc:
        if exc.name == f"eqsat_tensor.commands.{COMMANDS[name]}":
            return None
        raise


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``eqsat-tensor optimize: error: ...`` and exit 2."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _version() -> str:
    from . import __version__

    return f"eqsat-tensor {__version__}"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to add its arguments."""
    parser = _Parser(
        prog="eqsat-tensor",
        description="Optimize tensor graphs by equality saturation and run them fast.")
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        p = sub.add_parser(name, help=HELPS[name], description=HELPS[name])
        if name == command:
            module = _load(name)
            if module is not None:
                module.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: exit 0 on success, 2 with one line on stderr for
    every user mistake (bad option, missing or malformed file, bad rule, unknown op),
    1 with one line for an internal error; ``--debug`` (anywhere) shows the traceback."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    command = next((a for a in argv if a in COMMANDS), None)
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    module = _load(args.command)
    if module is None:
        print(f"eqsat-tensor {args.command}: not available in this version", file=sys.stderr)
        return 2
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        if debug:
            raise
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # every error becomes one line unless --debug
        if debug:
            raise
        user = _is_user_error(exc)
        hint = "" if user else " (internal error; run with --debug for the traceback)"
        print(f"error: {_one_line(exc)}{hint}", file=sys.stderr)
        return 2 if user else 1


def _is_user_error(exc: BaseException) -> bool:
    """Errors that mean the input was wrong: the project's own errors, files that cannot
    be read, malformed JSON, an optional dependency that is not installed."""
    import json

    return isinstance(exc, (EqsatError, OSError, json.JSONDecodeError, UnicodeDecodeError,
                            ImportError))


def _one_line(exc: BaseException, limit: int = 500) -> str:
    """The first line of an error message, at most ``limit`` characters; a RuleError keeps
    its ``file:line:col`` prefix."""
    text = str(exc)
    if isinstance(exc, FileNotFoundError) and exc.filename:
        text = f"file not found: {exc.filename}"
    lines = [ln for ln in text.splitlines() if ln.strip()]
    line = lines[0] if lines else type(exc).__name__
    return line if len(line) <= limit else line[:limit] + " ..."


if __name__ == "__main__":
    sys.exit(main())
