"""The benchmark runner; it ships with the package (``eqsat_tensor.bench_runner``) so
``eqsat-tensor bench`` works from an installed wheel. Re-exported here for the scripts."""

from eqsat_tensor.bench_runner import *  # noqa: F403
from eqsat_tensor.bench_runner import (  # noqa: F401
    PEERS,
    Result,
    copy_bandwidth,
    geometric_mean,
    plot,
    render,
    run_all,
    run_workload,
    save_json,
)
