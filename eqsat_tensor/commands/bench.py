"""``eqsat-tensor bench``: the benchmark workloads against numpy/numexpr/jax/pytensor.

The workloads (``eqsat_tensor.workloads``) and the runner (``eqsat_tensor.bench_runner``)
ship with the package, so this works from an installed wheel; ``python -m benchmarks`` in
a checkout runs the same code. ``--quick`` uses small inputs (a smoke test).
"""

from __future__ import annotations

import argparse

from . import UsageError

HELP = "run the benchmark workloads against numpy/numexpr/jax"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options: ``--quick``, ``--plot``, ``--json``, ``--backend``, workload names."""
    from ..bench_runner import PEERS
    from ..workloads import WORKLOADS

    names = ", ".join(w.name for w in WORKLOADS)
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD",
                        help=f"workloads to run (default all: {names})")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, for a smoke test (skips pytensor)")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (min is kept)")
    parser.add_argument("--backend", default="numba", help="eqsat-tensor backend (default numba)")
    parser.add_argument("--peers", default=",".join(PEERS),
                        help=f"comma-separated peers (default {','.join(PEERS)})")
    parser.add_argument("--json", metavar="PATH", help="write the results as JSON")
    parser.add_argument("--plot", metavar="PNG", nargs="?", const="benchmarks.png",
                        help="bar chart of speed-ups (default benchmarks.png; needs matplotlib)")


def run(args: argparse.Namespace) -> int:
    """Run the benchmarks with a progress bar and print the table."""
    from rich.console import Console

    from ..bench_runner import EXTRA_PEERS, PEERS, plot, render, run_all, save_json
    from ..progress import progress, task
    from ..workloads import WORKLOADS

    if args.backend == "cuda":  # GPU timings against cupy/jax (benchmarks/bench_cuda.py)
        try:
            from benchmarks.bench_cuda import run_cli
        except ImportError:
            raise UsageError("--backend cuda runs benchmarks/bench_cuda.py from a source "
                             "checkout") from None
        return run_cli(args)
    known = [w.name for w in WORKLOADS]
    unknown = [w for w in args.workloads if w not in known]
    if unknown:
        raise UsageError(f"unknown workload(s) {unknown}; choose from {sorted(known)}")
    peers = [p for p in args.peers.split(",") if p]
    bad = [p for p in peers if p not in PEERS + EXTRA_PEERS]
    if bad:
        raise UsageError(f"unknown peer(s) {bad}; choose from {list(PEERS + EXTRA_PEERS)}")
    if args.repeats < 1:
        raise UsageError("--repeats must be at least 1")
    console = Console()
    selected = args.workloads or known
    with progress(console=console), task("benchmarks", total=len(selected)) as bar:
        started: list[str] = []

        def on_workload(name: str) -> None:
            bar.step(completed=len(started), detail=name)
            started.append(name)

        report = run_all(args.workloads or None, quick=args.quick, repeats=args.repeats,
                         backend=args.backend, peers=peers, progress=on_workload)
    console.print(render(report))
    if args.json:
        save_json(report, args.json)
        console.print(f"wrote {args.json}")
    if args.plot:
        plot(report, args.plot)
        console.print(f"wrote {args.plot}")
    return 0
