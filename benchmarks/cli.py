"""Command line of the benchmarks, shared by ``python -m benchmarks`` and
``eqsat-tensor bench``."""

from __future__ import annotations

import argparse
import sys

from .runner import PEERS, plot, render, run_all, save_json
from .workloads import WORKLOADS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: ``--quick``, ``--plot``, ``--json``, ``--backend``, workload names."""
    names = ", ".join(w.name for w in WORKLOADS)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"workloads to run (default all: {names})")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, for a smoke test (< 30 s; skips pytensor)")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (min is kept)")
    parser.add_argument("--backend", default="numba", help="eqsat-tensor backend (default numba)")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated peers (default {','.join(PEERS)})")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--plot", metavar="PNG", nargs="?", const="benchmarks.png",
                        help="bar chart of speed-ups (default benchmarks.png)")


def run(args: argparse.Namespace) -> int:
    """Run the benchmarks and print the table."""
    from rich.console import Console

    if args.backend == "cuda":  # GPU timings against cupy/jax (benchmarks/bench_cuda.py)
        from .bench_cuda import run_cli

        return run_cli(args)
    known = {w.name for w in WORKLOADS}
    unknown = [w for w in args.workloads if w not in known]
    if unknown:
        print(f"unknown workload(s) {unknown}; choose from {sorted(known)}", file=sys.stderr)
        return 2
    console = Console()
    peers = [p for p in args.peers.split(",") if p]
    report = run_all(args.workloads or None, quick=args.quick, repeats=args.repeats,
                     backend=args.backend, peers=peers,
                     progress=lambda name: console.log(f"running {name}"))
    console.print(render(report))
    if args.json:
        save_json(report, args.json)
        console.print(f"wrote {args.json}")
    if args.plot:
        plot(report, args.plot)
        console.print(f"wrote {args.plot}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="eqsat-tensor vs numpy/numexpr/jax/pytensor")
    add_arguments(parser)
    return run(parser.parse_args(argv))
