"""``eqsat-tensor viz FILE_OR_EXPR -o out.svg``: the graph before and after optimization.

The input is a file (``.fpcore``, ``.json``, or a text file with one expression) or an
expression (``"log(1 + exp(x)) * y"``); ``--from`` overrides the guess. Several ``-o``
outputs may be given (``-o g.svg -o g.png``); the format comes from each extension.
Without the optimizer (or with ``--no-optimize``) only the input graph is drawn.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import looks_like_file

HELP = "draw a graph before and after optimization (graphviz)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``eqsat-tensor viz``."""
    parser.add_argument("target", metavar="FILE_OR_EXPR",
                        help="a .fpcore/.json/expression file, or an expression")
    parser.add_argument("-o", "--output", action="append", default=None,
                        help="output file (.svg, .png, .pdf, .dot); repeatable "
                             "(default: graph.svg)")
    parser.add_argument("--from", dest="kind", default=None,
                        choices=["expr", "sympy", "fpcore", "json"],
                        help="input format (default: from the file extension, else expr)")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME=D1,D2",
                        help="shape of an expression input, e.g. x=n or W=3,4 (repeatable)")
    parser.add_argument("--dims", action="append", default=[], metavar="NAME=INT",
                        help="value of a symbolic dim for the cost estimate (default 1000)")
    parser.add_argument("--select", default=None, metavar="N_OR_NAME",
                        help="which FPCore of a file with several (index or :name)")
    parser.add_argument("--no-optimize", action="store_true", help="draw only the input graph")


def _parse_shapes(items: list[str]) -> dict[str, tuple]:
    shapes = {}
    for item in items:
        name, _, dims = item.partition("=")
        shapes[name.strip()] = tuple(int(d) if d.strip().isdigit() else d.strip()
                                     for d in dims.split(",") if d.strip())
    return shapes


def load_target(target: str, kind: str | None, shapes: dict[str, tuple] | None = None,
                select: int | str | None = None):
    """``(graph, info)`` for a file name or an expression (used by viz)."""
    from ..interop import registry
    from ..interop.exprtext import parse_expression

    if looks_like_file(target):
        if not os.path.isfile(target):
            raise FileNotFoundError(2, "No such file", target)
        kind = kind or registry.kind_of_file(target)
        if kind in ("expr", "sympy") and shapes:
            with open(target, encoding="utf-8") as fh:
                return parse_expression(fh.read(), shapes=shapes), {"precondition": {}}
        return registry.import_file(target, kind, select=select)
    kind = kind or "expr"
    if kind in ("expr", "sympy") and shapes:
        return parse_expression(target, shapes=shapes), {"precondition": {}}
    return registry.import_with_info(kind, target)


def run(args: argparse.Namespace) -> int:
    """Import, optimize (when available), draw."""
    from .. import viz

    select = args.select
    if select is not None and select.lstrip("-").isdigit():
        select = int(select)
    graph, _ = load_target(args.target, args.kind, _parse_shapes(args.shape), select)
    dims = {k: int(v) for k, _, v in (d.partition("=") for d in args.dims)}
    after = None
    if not args.no_optimize:
        try:
            optimizer = importlib.import_module("eqsat_tensor.optimizer")
        except ModuleNotFoundError:
            print("note: the optimizer is not available; drawing the input graph only",
                  file=sys.stderr)
        else:
            after = optimizer.optimize(graph).graph
    outputs = args.output or ["graph.svg"]
    for path in outputs:
        viz.write(graph, after, path, dims=dims)
        print(f"wrote {path}")
    return 0
