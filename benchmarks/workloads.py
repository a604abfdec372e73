"""The benchmark workloads; they ship with the package (``eqsat_tensor.workloads``) so
``eqsat-tensor bench`` and ``profile`` work from an installed wheel. Re-exported here (every
name, the workload functions included) for the benchmark scripts and tests."""

from eqsat_tensor import workloads as _impl

globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("__")})
