"""``eqsat-tensor profile WORKLOAD``: per-kernel time and bandwidth of a benchmark workload.

The workloads come from the repository's ``benchmarks/`` package (run from a checkout).
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``WORKLOAD`` (a benchmark workload name), ``--quick``, ``--backend``, ``--repeats``."""
    parser.add_argument("workload", help="benchmark workload name (see eqsat-tensor bench)")
    parser.add_argument("--quick", action="store_true", help="small inputs")
    parser.add_argument("--backend", default="numba", help="eqsat-tensor backend")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats (min is kept)")


def run(args: argparse.Namespace) -> int:
    """Compile the workload with ``@et.jit``, profile it, print the table."""
    try:
        from benchmarks.workloads import BY_NAME, bind
    except ImportError:
        print("eqsat-tensor profile needs the repository's benchmarks/ package (run it from a "
              "source checkout)", file=sys.stderr)
        return 2
    import numpy as np

    import eqsat_tensor as et

    w = BY_NAME.get(args.workload)
    if w is None:
        print(f"unknown workload {args.workload!r}; choose from {sorted(BY_NAME)}",
              file=sys.stderr)
        return 2
    f = et.jit(bind(w.fn, np), backend=args.backend)
    et.profile(f, *w.inputs(args.quick), repeats=args.repeats)
    return 0
