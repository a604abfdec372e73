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


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only ``command``'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog="eqsat-tensor",
        description="Optimize tensor graphs by equality saturation and run them fast.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        p = sub.add_parser(name, help=HELPS[name], description=HELPS[name])
        if name == command:
            module = _load(name)
            if module is not None:
                module.add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
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
    except (EqsatError, OSError) as exc:  # user errors: one clear line, no traceback
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _one_line(exc: BaseException, limit: int = 500) -> str:
    """The first line of an error message, at most ``limit`` characters."""
    lines = str(exc).splitlines()
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= limit else text[:limit] + " ..."


if __name__ == "__main__":
    sys.exit(main())
