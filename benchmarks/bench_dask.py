"""Old name of the Dask benchmark, kept so ``python -m benchmarks.bench_dask`` still runs:
it is ``python -m benchmarks.dask_bench --tasks --n 2e7`` (task counts, then wall time on a
2-worker LocalCluster); further arguments go to ``benchmarks.dask_bench``."""

from __future__ import annotations

import sys
from typing import Any

from .dask_bench import main as _main


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """``benchmarks.dask_bench.main`` with task counts and a 2e7-element wall time."""
    return _main(["--tasks", "--n", "2e7", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
