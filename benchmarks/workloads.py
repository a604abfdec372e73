"""The benchmark workloads; they ship with the package (``eqsat_tensor.workloads``) so
``eqsat-tensor bench`` and ``profile`` work from an installed wheel. Re-exported here for
the benchmark scripts."""

from eqsat_tensor.workloads import *  # noqa: F403
from eqsat_tensor.workloads import BY_NAME, WORKLOADS, Workload, bind, min_bytes  # noqa: F401
