"""``eqsat-tensor profile WORKLOAD``: per-kernel time and bandwidth of a benchmark workload.

The workloads ship with the package (``eqsat_tensor.workloads``), so this works from an
installed wheel; ``--quick`` uses small inputs.
"""

from __future__ import annotations

import argparse

from . import UsageError

HELP = "per-kernel time and bandwidth of a workload"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``WORKLOAD`` (a benchmark workload name), ``--quick``, ``--backend``, ``--repeats``."""
    from ..workloads import WORKLOADS

    parser.add_argument("workload", help="a workload name: "
                        + ", ".join(w.name for w in WORKLOADS))
    parser.add_argument("--quick", action="store_true", help="small inputs")
    parser.add_argument("--backend", default="numba", help="eqsat-tensor backend")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats (min is kept)")


def run(args: argparse.Namespace) -> int:
    """Compile the workload with ``@et.jit`` (with progress), profile it, print the table."""
    import numpy as np

    import eqsat_tensor as et

    from ..progress import progress
    from ..workloads import BY_NAME, bind

    w = BY_NAME.get(args.workload)
    if w is None:
        raise UsageError(f"unknown workload {args.workload!r}; choose from {sorted(BY_NAME)}")
    if args.repeats < 1:
        raise UsageError("--repeats must be at least 1")
    f = et.jit(bind(w.fn, np), backend=args.backend, tiered=False)
    with progress():
        et.profile(f, *w.inputs(args.quick), repeats=args.repeats)
    return 0
