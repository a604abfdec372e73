"""The benchmark runner; it ships with the package (``eqsat_tensor.bench_runner``) so
``eqsat-tensor bench`` works from an installed wheel. Re-exported here (every name) for
the benchmark scripts and tests."""

from eqsat_tensor import bench_runner as _impl

globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("__")})
