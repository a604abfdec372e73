"""Command line of the benchmarks, shared by ``python -m benchmarks`` and
``eqsat-tensor bench`` (the code lives in ``eqsat_tensor.commands.bench``)."""

from __future__ import annotations

import argparse

from eqsat_tensor.commands.bench import add_arguments, run

__all__ = ["add_arguments", "main", "run"]


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="eqsat-tensor vs numpy/numexpr/jax/pytensor")
    add_arguments(parser)
    return run(parser.parse_args(argv))
