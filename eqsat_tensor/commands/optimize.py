"""``eqsat-tensor optimize``: optimize an expression, a JSON graph, or an imported graph.

    eqsat-tensor optimize "log(1 + exp(x)) * y"            # free names: float64 scalars
    eqsat-tensor optimize "sum(exp(a))" --shape a=n,3      # shapes per input
    eqsat-tensor optimize graph.json -o out.json           # JSON I/O (frontend.json_io)
    eqsat-tensor optimize --rules my.rules "log(1 + x)"   # options in any order
    eqsat-tensor optimize f.fpcore --to fpcore -o -       # keeps :name and :pre
    eqsat-tensor optimize "exp(x) - 1" --to numpy -o f.py # importable source (numpy,
                                                          # jax, pytensor)

Expressions are parsed with the rule language's expression parser (Python ``ast``, never
evaluated); the graph before and after, the report and (``--explain``) the rewrite steps
are printed with ``rich``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from . import UsageError, looks_like_file, read_source_file

HELP = "optimize an expression, a JSON graph, or an imported graph"
TO_KINDS = ("json", "fpcore", "numpy", "jax", "pytensor", "sympy", "text")
SUFFIX_KINDS = {".json": "json", ".fpcore": "fpcore", ".fpc": "fpcore", ".py": "numpy",
                ".txt": "text"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``eqsat-tensor optimize``."""
    parser.add_argument("source", help="an expression such as \"log(1 + exp(x))\", or a file")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the optimized graph here in the --to format (default: "
                        "JSON, or the format of the file's suffix); '-' prints it")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                        help="shape of an input, e.g. x=n,3 (default: scalar)")
    parser.add_argument("--dtype", default="float64", choices=("float32", "float64"),
                        help="dtype of free names in an expression (default float64)")
    parser.add_argument("--from", dest="from_kind", metavar="KIND",
                        choices=("expr", "sympy", "fpcore", "json"),
                        help="how to read the source: expr, sympy, fpcore, json (default: "
                        "from the file suffix, else an expression)")
    parser.add_argument("--to", dest="to_kind", metavar="KIND", choices=TO_KINDS,
                        help=f"output format: {', '.join(TO_KINDS)} (numpy/jax/pytensor: "
                        "an importable Python module)")
    parser.add_argument("--select", default=None, metavar="N_OR_NAME",
                        help="which FPCore of a file with several (index or :name)")
    parser.add_argument("--name", default=None,
                        help="function name in --to numpy|jax|pytensor source (default: the "
                        "FPCore's :name, else 'optimized')")
    parser.add_argument("--rules", action="append", metavar="FILE",
                        help="a rule file to use instead of the shipped ones (repeat for "
                        "several)")
    parser.add_argument("--pre", action="append", default=[], metavar="'x in [lo, hi]'",
                        help="input ranges: optimize for accuracy on samples of them")
    parser.add_argument("--ieee", default="finite", choices=("finite", "strict", "fast"))
    parser.add_argument("--iters", type=int, default=30, help="iteration budget")
    parser.add_argument("--nodes", type=int, default=200_000, help="e-node budget")
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget")
    parser.add_argument("--explain", action="store_true", help="print the rewrite steps")
    parser.add_argument("--objective", choices=("speed", "balanced", "accuracy"),
                        help="speed: the cheapest graph (default); balanced/accuracy: measure "
                        "candidates against mpmath on samples of the precondition (an "
                        "FPCore's :pre; FPCore sources with a :pre default to accuracy)")


def _shapes(specs: list[str]) -> dict[str, tuple]:

    out: dict[str, tuple] = {}
    for spec in specs:
        name, sep, dims = spec.partition("=")
        if not sep or not name.isidentifier():
            raise UsageError(f"--shape {spec!r}: write NAME=DIMS, e.g. x=n,3")
        parts = [d.strip() for d in dims.split(",") if d.strip()]
        out[name] = tuple(int(d) if d.lstrip("-").isdigit() else d for d in parts)
    return out


def expression_graph(text: str, shapes: dict[str, tuple], dtype: str = "float64") -> Any:
    """Graph of an infix expression; free names become inputs (scalars unless shaped)."""
    from ..ir import Graph, input_node
    from ..rulelang import parse_pattern, pattern_vars
    from ..rulelang.ast import instantiate

    pattern = parse_pattern(text, source="<expression>")
    names = sorted(pattern_vars(pattern))
    env = {n: input_node(n, shapes.get(n, ()), dtype) for n in names}
    unknown = set(shapes) - set(names)
    if unknown:
        from ..errors import ShapeError

        raise ShapeError(f"--shape names {sorted(unknown)} do not occur in the expression")
    return Graph(instantiate(pattern, env))  # inputs in order of first appearance


def load_source(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The input graph from an expression, a JSON or FPCore file, or an importer, and the
    importer's info (``"precondition"``, and for FPCore ``"name"`` and ``"fpcore"``)."""
    from ..interop.registry import import_with_info, kind_of_file

    source = args.source
    is_file = looks_like_file(source)
    kind = args.from_kind
    if is_file:
        text = read_source_file(source)
        kind = kind or kind_of_file(source)
        if kind == "fpcore":
            from ..interop.fpcore import parse_fpcores
            from ..interop.registry import import_file

            select = args.select
            if select is not None and select.lstrip("-").isdigit():
                select = int(select)
            if select is None and len(parse_fpcores(text, source)) > 1:
                raise UsageError(f"{source} holds several FPCores: pick one with --select "
                                 "N (from 0) or --select NAME")
            return import_file(source, "fpcore", select=select)
        if kind == "json":  # errors name the file
            from ..frontend.json_io import loads

            return loads(text.encode("utf-8"), source=source), {"precondition": {}}
        return import_with_info(kind, text)
    if kind in (None, "expr") and not args.from_kind:
        return expression_graph(source, _shapes(args.shape), args.dtype), {"precondition": {}}
    return import_with_info(kind, source)


def output_kind(args: argparse.Namespace) -> str:
    """``--to``, else the kind of ``-o``'s suffix, else JSON."""
    if args.to_kind:
        return args.to_kind
    if args.output and args.output != "-":
        suffix = os.path.splitext(args.output)[1].lower()
        return SUFFIX_KINDS.get(suffix, "json")
    return "json"


def render_output(graph: Any, kind: str, info: dict[str, Any], name: str | None) -> str:
    """The optimized graph as text of ``kind``: an FPCore keeps the source's ``:name``
    and ``:pre``; numpy/jax/pytensor give an importable module."""
    if kind in ("numpy", "jax", "pytensor"):
        from ..source_export import to_source

        fname = name or _identifier(info.get("name")) or "optimized"
        return to_source(graph, kind, fname)
    if kind == "fpcore":
        from ..interop.fpcore import to_fpcore

        fp = info.get("fpcore")
        text = to_fpcore(graph, name=name or info.get("name"))
        pre = getattr(fp, "pre", None)
        if pre:  # the source's own :pre, verbatim (richer than the sampled box)
            head = f"(FPCore ({' '.join(graph.input_names)})"
            text = f"{head} :pre {pre}{text[len(head):]}"
        return text
    from ..interop.registry import export_graph

    out = export_graph(kind, graph)
    return out if isinstance(out, str) else str(out)


def _identifier(name: Any) -> str | None:
    if not name:
        return None
    ident = "".join(c if c.isalnum() else "_" for c in str(name)).strip("_").lower()
    if not ident:
        return None
    return ident if ident[0].isalpha() else f"f_{ident}"


def write_output(graph: Any, args: argparse.Namespace, info: dict[str, Any] | None = None
                 ) -> str | None:
    """Write ``graph`` to ``args.output`` (``-``: stdout) in ``output_kind(args)``; with
    ``--to`` and no ``-o`` it is printed too. Returns the path written, if any."""
    if not args.output and not args.to_kind:
        return None
    text = render_output(graph, output_kind(args), info or {}, args.name)
    if not args.output or args.output == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return None
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    return args.output


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from rich.console import Console
    from rich.panel import Panel

    from ..egraph.budget import Budget
    from ..optimizer import optimize
    from .accuracy import parse_pre

    # the tables go to stderr when stdout carries the output (-o -, or --to without -o)
    console = Console(stderr=args.output == "-" or bool(args.to_kind and not args.output))
    graph, info = load_source(args)
    pre = dict(info.get("precondition") or {})
    pre.update(parse_pre(args.pre))
    unknown = sorted(set(pre) - set(graph.input_names))
    if unknown:
        raise UsageError(f"--pre names {unknown}, but the inputs are {list(graph.input_names)}")
    objective = args.objective or ("accuracy" if pre else "speed")
    rules = None
    if args.rules:
        from ..rulelang import load_rules

        for path in args.rules:
            if not os.path.isfile(path):
                raise FileNotFoundError(2, "No such file", path)
        rules = load_rules(args.rules if len(args.rules) > 1 else args.rules[0])
    budget = Budget(iters=args.iters, nodes=args.nodes, seconds=args.seconds)
    if objective == "speed":
        res = optimize(graph, rules=rules, budget=budget, ieee=args.ieee)
    else:  # the accuracy optimizer: candidates measured on samples of the precondition
        res = optimize(graph, rules=rules, budget=budget, ieee=args.ieee,
                       precondition=pre, objective=objective)
    console.print(Panel(str(graph), title="before", expand=False))
    console.print(Panel(str(res.graph), title="after", expand=False))
    console.print(res.report)
    if args.explain:
        console.print(Panel(str(res.explain()), title="explain", expand=False))
    written = write_output(res.graph, args, info)
    if written:
        console.print(f"wrote {written} ({output_kind(args)})")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from ..cli import main

    sys.exit(main(["optimize", *sys.argv[1:]]))
