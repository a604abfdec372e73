"""The Dask backend on ``dask.distributed`` workers (a LocalCluster of two processes).

Tasks ship the generated kernel source, never compiled code: each worker process compiles
the module on first use and caches it by source hash.
"""

from __future__ import annotations

import os
from pathlib import Path

import dask.array as da
import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import dask as dask_backend
from eqsat_tensor.backends import dask_kernels
from eqsat_tensor.ir import Graph

distributed = pytest.importorskip("distributed")

pytestmark = pytest.mark.dask

ROOT = str(Path(et.__file__).resolve().parent.parent)


def test_fused_kernels_run_on_two_worker_processes(monkeypatch):
    # the worker processes must import this checkout of eqsat_tensor
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    x = et.tensor("x", (2000, 50), "float64")
    y = et.exp(-x * x) * 2 + et.sin(x)
    g = Graph([y.node, et.logsumexp(y, axis=0).node], [x.node])
    exe = dask_backend.compile(g)
    arr = np.random.default_rng(0).normal(size=(2000, 50))
    ys, lse = exe(da.from_array(arr, chunks=(300, 25)))
    assert any(k.startswith("eqsat-") for k in ys.dask.layers)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, worker_dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        got_y, got_lse = client.compute([ys, lse], sync=True)
        loaded = client.run(dask_kernels.loaded_modules)
        paths = client.run(lambda: __import__("eqsat_tensor").__file__)
    want_y = np.exp(-arr * arr) * 2 + np.sin(arr)
    np.testing.assert_allclose(got_y, want_y, rtol=1e-12)
    m = want_y.max(axis=0)
    np.testing.assert_allclose(got_lse, np.log(np.exp(want_y - m).sum(axis=0)) + m, rtol=1e-12)
    assert len(loaded) == 2
    assert all(n >= 1 for n in loaded.values()), loaded  # both workers compiled the module
    assert all(p.startswith(ROOT) for p in paths.values()), paths
