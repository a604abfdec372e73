"""``eqsat-tensor optimize``: optimize an expression, a JSON graph, or an imported graph.

    eqsat-tensor optimize "log(1 + exp(x)) * y"            # free names: float64 scalars
    eqsat-tensor optimize "sum(exp(a))" --shape a=n,3      # shapes per input
    eqsat-tensor optimize graph.json -o out.json           # JSON I/O (frontend.json_io)
    eqsat-tensor optimize model.txt --from sympy --to jax  # importers/exporters (interop)

Expressions are parsed with the rule language's expression parser (Python ``ast``, never
evaluated); the graph before and after, the report and (``--explain``) the rewrite steps
are printed with ``rich``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

HELP = "optimize an expression, a JSON graph, or an imported graph"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``eqsat-tensor optimize``."""
    parser.add_argument("source", help="an expression such as \"log(1 + exp(x))\", or a file")
    parser.add_argument("-o", "--output", help="write the optimized graph here (JSON, or the "
                        "--to format)")
    parser.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                        help="shape of an input, e.g. x=n,3 (default: scalar)")
    parser.add_argument("--dtype", default="float64", choices=("float32", "float64"),
                        help="dtype of free names in an expression (default float64)")
    parser.add_argument("--from", dest="from_kind", metavar="KIND",
                        help="import the source with eqsat_tensor.interop (e.g. sympy, fpcore)")
    parser.add_argument("--to", dest="to_kind", metavar="KIND",
                        help="export the result with eqsat_tensor.interop instead of JSON")
    parser.add_argument("--rules", nargs="+", metavar="FILE",
                        help="rule files to use instead of the shipped ones")
    parser.add_argument("--ieee", default="finite", choices=("finite", "strict"))
    parser.add_argument("--iters", type=int, default=30, help="iteration budget")
    parser.add_argument("--nodes", type=int, default=200_000, help="e-node budget")
    parser.add_argument("--seconds", type=float, default=2.0, help="time budget")
    parser.add_argument("--explain", action="store_true", help="print the rewrite steps")
    parser.add_argument("--objective", choices=("speed", "balanced", "accuracy"),
                        help="speed: the cheapest graph (default); balanced/accuracy: measure "
                        "candidates against mpmath on samples of the precondition (an "
                        "FPCore's :pre; FPCore sources with a :pre default to accuracy)")


def _shapes(specs: list[str]) -> dict[str, tuple]:
    from ..errors import ShapeError

    out: dict[str, tuple] = {}
    for spec in specs:
        name, sep, dims = spec.partition("=")
        if not sep or not name.isidentifier():
            raise ShapeError(f"--shape {spec!r}: write NAME=DIMS, e.g. x=n,3")
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


def load_source(args: argparse.Namespace) -> tuple[Any, dict[str, tuple[float, float]]]:
    """The input graph from an expression, a JSON file, or an importer, and its
    precondition (an FPCore's ``:pre``; empty otherwise)."""
    if args.from_kind:
        try:
            from ..interop.registry import import_with_info
        except ImportError as exc:
            raise SystemExit(f"eqsat-tensor optimize: --from needs eqsat_tensor.interop "
                             f"(not available: {exc})") from None
        source = args.source
        if os.path.isfile(source):
            with open(source, encoding="utf-8") as f:
                source = f.read()
        graph, info = import_with_info(args.from_kind, source)
        return graph, dict(info.get("precondition") or {})
    if args.source.endswith(".json") or os.path.isfile(args.source):
        from ..frontend.json_io import load

        return load(args.source), {}
    return expression_graph(args.source, _shapes(args.shape), args.dtype), {}


def write_output(graph: Any, args: argparse.Namespace) -> None:
    """Write ``graph`` to ``args.output`` (JSON, or ``--to`` through an exporter)."""
    if args.to_kind:
        try:
            from ..interop.registry import export_graph
        except ImportError as exc:
            raise SystemExit(f"eqsat-tensor optimize: --to needs eqsat_tensor.interop "
                             f"(not available: {exc})") from None
        text = export_graph(args.to_kind, graph)
        if args.output:
            with open(args.output, "w", encoding="utf-8") as f:
                f.write(text)
        else:
            print(text)
        return
    if args.output:
        from ..frontend.json_io import dump

        dump(graph, args.output)


def run(args: argparse.Namespace) -> int:
    """Run the command; returns the exit status."""
    from rich.console import Console
    from rich.panel import Panel

    from ..egraph.budget import Budget
    from ..optimizer import optimize

    console = Console()
    graph, pre = load_source(args)
    objective = args.objective or ("accuracy" if pre else "speed")
    rules = None
    if args.rules:
        from ..rulelang import load_rules

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
    write_output(res.graph, args)
    if args.output:
        console.print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from ..cli import main

    sys.exit(main(["optimize", *sys.argv[1:]]))
