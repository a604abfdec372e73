"""``eqsat-tensor bench``: the benchmark workloads against numpy/numexpr/jax/pytensor.

The workloads live in the repository's ``benchmarks/`` package (run from a checkout, or
put it on ``PYTHONPATH``); this command forwards to ``benchmarks.cli``.
"""

from __future__ import annotations

import argparse
import sys


def _cli():
    try:
        from benchmarks import cli
    except ImportError:
        return None
    return cli


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Same options as ``python -m benchmarks``."""
    cli = _cli()
    if cli is not None:
        cli.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Run the benchmarks (needs the ``benchmarks`` package of a source checkout)."""
    cli = _cli()
    if cli is None:
        print("eqsat-tensor bench needs the repository's benchmarks/ package: run it from a "
              "source checkout (or python -m benchmarks there)", file=sys.stderr)
        return 2
    return cli.run(args)
