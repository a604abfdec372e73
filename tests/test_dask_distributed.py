"""The Dask backend on ``dask.distributed`` workers (a LocalCluster of two processes).

Tasks ship the generated kernel source, never compiled code: each worker process compiles
the module on first use and caches it by source hash. One cluster serves the module; the
small test runs in CI, the chunk-layout sweep is ``slow``.
"""

# ruff: noqa: E402  (imports after the optional-dependency skips)
from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

da = pytest.importorskip("dask.array")  # dask and distributed are optional
distributed = pytest.importorskip("distributed")

from test_dask_fusion import (
    LAYOUTS,
    check_mixed,
    mixed_graph,
    mixed_inputs,
    mixed_lazy,
    pipeline,
    softmax,
    variance,
)

import eqsat_tensor as et
from eqsat_tensor.backends import dask as dask_backend
from eqsat_tensor.backends import dask_kernels
from eqsat_tensor.errors import BackendError
from eqsat_tensor.ir import Graph

pytestmark = pytest.mark.dask

ROOT = str(Path(et.__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def client():
    """Two worker processes, one thread each, importing this checkout of eqsat_tensor."""
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, old) if p)
    try:
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None,
                                      worker_dashboard_address=None) as cluster, \
                distributed.Client(cluster) as c:
            yield c
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def test_fused_kernels_run_on_two_worker_processes(client):
    x = da.random.default_rng(0).normal(size=(2000, 50), chunks=(300, 25))
    xs = x.compute(scheduler="sync")
    lazy = [pipeline(x)]
    ours = [et.jit(pipeline, backend="dask")(x)]
    assert all(any(k.startswith("eqsat-") for k in o.dask.layers) for o in ours)
    blob = pickle.dumps(dict(ours[0].__dask_graph__()))
    assert len(blob) < 200_000  # the input is generated on the workers, not shipped
    got = client.compute(ours, sync=True)
    want = [pipeline(xs)]
    for g, w, p in zip(got, want, client.compute(lazy, sync=True)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(g, p, rtol=1e-10, atol=1e-13)
    loaded = client.run(dask_kernels.loaded_modules)
    paths = client.run(lambda: __import__("eqsat_tensor").__file__)
    assert len(loaded) == 2
    assert all(n >= 1 for n in loaded.values()), loaded  # both workers compiled modules
    assert all(p.startswith(ROOT) for p in paths.values()), paths


@pytest.mark.slow
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_mixed_graph_on_every_chunk_layout(client, layout):
    exe = dask_backend.compile(mixed_graph())
    arrays = mixed_inputs()
    check_mixed(client.compute(mixed_lazy(exe, arrays, layout), sync=True), arrays)


@pytest.mark.slow
def test_softmax_on_workers(client):
    x = da.random.default_rng(1).normal(size=(300, 400), chunks=(100, 70))
    got = client.compute(et.jit(softmax, backend="dask")(x), sync=True)
    np.testing.assert_allclose(got, softmax(x.compute(scheduler="sync")), rtol=1e-10)


@pytest.mark.slow
def test_variance_on_workers(client):
    a = np.random.default_rng(2).normal(size=(50, 300)) + 1e4
    got = client.compute(et.jit(variance, backend="dask")(da.from_array(a, chunks=(20, 70))),
                         sync=True)
    np.testing.assert_allclose(got, variance(a), rtol=1e-12)


@pytest.mark.slow
def test_worker_error_names_the_op_and_the_chunk(client):
    x = et.tensor("x", (4, 0), "float64")
    g = Graph([(et.max(et.exp(x), axis=1) + 1).node], [x.node])
    out = dask_backend.compile(g).lazy([da.zeros((4, 0), chunks=(2, 0))])[0]
    with pytest.raises(BackendError, match=r"max.*chunk in task .*eqsat-.*zero-size"):
        client.compute(out, sync=True)


def test_persisted_input_stays_on_the_workers(client):
    """A persisted input (futures) is read, not inlined: the graph holds no data."""
    x = client.persist(da.random.default_rng(6).normal(size=(400, 60), chunks=(100, 30)))
    distributed.wait(x)
    ours = et.jit(pipeline, backend="dask")(x)
    assert len(pickle.dumps(dict(ours.__dask_graph__()))) < 200_000
    got = client.compute(ours, sync=True)
    np.testing.assert_allclose(got, pipeline(client.compute(x, sync=True)), rtol=1e-10)
