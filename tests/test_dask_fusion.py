"""Fusion through reductions on the Dask backend, on uneven, empty and single chunks.

One multi-output graph covers elementwise ops, reductions on each axis, softmax and
logsumexp along a chunked axis and a matmul, so one Numba compile serves every chunk
layout. Task counts are compared with plain ``dask.array`` and ``dask.optimize`` of it.
The same graph runs on a ``dask.distributed`` LocalCluster in test_dask_distributed.py.
"""

# ruff: noqa: E402  (imports after the optional-dependency skips)
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")  # dask is optional: skip the module without it

import dask

import eqsat_tensor as et
from eqsat_tensor.backends import dask as dask_backend
from eqsat_tensor.backends import numpy_ref
from eqsat_tensor.errors import BackendError
from eqsat_tensor.ir import Graph

pytestmark = pytest.mark.dask

# (rows, cols) chunkings of a 9 x 12 matrix: uneven, with empty chunks, one chunk
LAYOUTS = {
    "uneven": ((4, 5), (5, 3, 4)),
    "empty": ((0, 4, 0, 5), (6, 0, 6)),
    "single": ((9,), (12,)),
    "columns-one-by-one": ((9,), (1,) * 12),
}


def mixed_graph() -> Graph:
    """Elementwise, sum/mean/max/min on each axis, softmax and logsumexp along axis 1
    (the chunked one), values after a reduction, a matmul."""
    x = et.tensor("x", (9, 12), "float64")
    w = et.tensor("w", (12, 5), "float64")
    y = et.tanh(x) * 2 + et.exp(-x * x)
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    soft = e / et.sum(e, axis=1, keepdims=True)
    m = et.max(y, axis=1, keepdims=True)
    lse = et.log(et.sum(et.exp(y - m), axis=1, keepdims=True)) + m
    outs = [y, soft, lse, et.logsumexp(x * 3, axis=0),
            et.sum(y, axis=0), et.mean(y, axis=1), et.max(x, axis=0), et.min(y),
            et.sqrt(et.mean(y * y, axis=1) + 1) - et.max(y, axis=1),
            et.tanh(et.matmul(x, w)) + 1]
    return Graph([o.node for o in outs], [x.node, w.node])


def mixed_inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 12)) * 4
    x[2] += 700  # softmax / logsumexp must shift by the row max
    return [x, rng.normal(size=(12, 5))]


def mixed_lazy(exe, arrays, layout):
    rows, cols = LAYOUTS[layout]
    return exe.lazy([da.from_array(arrays[0], chunks=(rows, cols)),
                     da.from_array(arrays[1], chunks=(cols, 5))])


def check_mixed(got, arrays) -> None:
    """``got`` (computed outputs of mixed_graph) against the reference backend."""
    want = numpy_ref.evaluate(mixed_graph(), arrays)
    for k, (g, w) in enumerate(zip(got, want)):
        assert np.shape(g) == w.shape, f"output {k}"
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12, err_msg=f"output {k}")


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_mixed_graph_on_every_chunk_layout(layout):
    exe = dask_backend.compile(mixed_graph())
    arrays = mixed_inputs()
    outs = mixed_lazy(exe, arrays, layout)
    check_mixed(dask.compute(*outs, scheduler="sync"), arrays)


def pipeline(x):
    """Elementwise ops, two row reductions, elementwise ops after them."""
    y = np.tanh(x) * 3 + np.exp(-x * x)
    a = np.mean(y, axis=1)
    b = np.max(y, axis=1)
    return np.sqrt(a * a + 1) - b * 0.5


def stable_lse(x):
    m = np.max(x, axis=1, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=1, keepdims=True)) + m * 2


def softmax(x):
    e = np.exp(x - np.max(x, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def layernorm(x):
    mu = np.mean(x, axis=1, keepdims=True)
    return (x - mu) / np.sqrt(np.mean((x - mu) ** 2, axis=1, keepdims=True) + 1e-5)


@pytest.mark.parametrize("fn", [pipeline, softmax,
                                pytest.param(stable_lse, marks=pytest.mark.slow),
                                pytest.param(layernorm, marks=pytest.mark.slow)],
                         ids=lambda f: f.__name__)
def test_task_counts_below_dask_optimize(fn):
    """One task per chunk per stage plus the reduction tree: the reductions of a kernel
    share one chunk step and the values after them run in the tree's final step."""
    x = da.random.default_rng(0).normal(size=(600, 480), chunks=(100, 60))
    plain = fn(x)
    (opt,) = dask.optimize(plain)
    ours = et.jit(fn, backend="dask")(x)
    n_in, rows = x.npartitions, x.numblocks[0]
    assert len(ours.dask) <= len(opt.__dask_graph__())
    assert len(plain.dask) >= 3 * len(ours.dask)
    assert set(ours.dask.layers) == {k for k in ours.dask.layers if k.startswith("eqsat-")}
    partial = [k for k in ours.dask.layers if "final" not in k and "combine" not in k]
    if fn in (softmax, layernorm):  # one pass for the row statistics, one for the values
        assert len(partial) == 2  # the row statistics' final step runs in the second pass
        assert len(ours.dask) == 2 * n_in
    else:  # the chunk step (input generated inside), the final step
        assert len(partial) == 1
        assert len(ours.dask) == n_in + rows
    got = ours.compute(scheduler="sync")
    np.testing.assert_allclose(got, fn(x.compute()), rtol=1e-10)


def variance(x):
    """Two passes written out: the mean, then the mean squared deviation."""
    mu = np.mean(x, axis=1, keepdims=True)
    return np.mean((x - mu) * (x - mu), axis=1) * 2 + 1


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_variance_in_one_pass_over_the_chunks(layout):
    """Each chunk's count, sum and squared deviations from its own mean, combined as the
    parallel variance: one task per chunk plus the tree, and stable on data far from 0."""
    a = np.random.default_rng(4).normal(size=(9, 12)) * 1e-3 + 1e6
    x = da.from_array(a, chunks=LAYOUTS[layout])
    ours = et.jit(variance, backend="dask")(x)
    if len(x.chunks[1]) > 1:  # input blocks are read inside the chunk step
        assert len(ours.dask) == x.npartitions + x.numblocks[0]
    else:
        assert len(ours.dask) == x.npartitions
    want = np.var(a, axis=1) * 2 + 1
    np.testing.assert_allclose(ours.compute(scheduler="sync"), want, rtol=1e-12)
    np.testing.assert_allclose((ours.compute(scheduler="sync") - 1) / 2, np.var(a, axis=1),
                               rtol=1e-6)


def test_whole_rows_run_the_kernel_once_per_block():
    x = da.random.default_rng(1).normal(size=(400, 50), chunks=(50, 50))
    ours = et.jit(pipeline, backend="dask")(x)
    assert len(ours.dask) == x.npartitions
    np.testing.assert_allclose(ours.compute(scheduler="sync"), pipeline(x.compute()),
                               rtol=1e-12)


def test_error_in_a_chunk_names_the_op_and_the_chunk():
    """max over an empty axis: NumPy's error, raised by the final step of the tree."""
    x = et.tensor("x", (4, 0), "float64")
    g = Graph([(et.max(et.exp(x), axis=1) + 1).node], [x.node])
    exe = dask_backend.compile(g)
    for chunks in [(2, 0), (2, (0, 0))]:  # whole (empty) rows; rows cut in two chunks
        out = exe.lazy([da.zeros((4, 0), chunks=chunks)])[0]
        with pytest.raises(BackendError, match=r"max.*chunk.*zero-size array"):
            out.compute(scheduler="sync")


def column_stats(x):
    y = np.sin(x) + x * x
    return np.sum(y, axis=0) / (np.max(y, axis=0) + 2.0)


def two_inputs(x, y):
    return np.mean(x * y + np.cos(y), axis=1) - np.min(x, axis=1)


def lse_columns(x):
    m = np.max(x, axis=0, keepdims=True)
    return np.log(np.sum(np.exp(x - m), axis=0, keepdims=True)) + m


def total(x):
    return np.log(np.sum(np.exp(-np.abs(x)))) * 2 + 1


@pytest.mark.parametrize("fn", [column_stats, total,
                                pytest.param(two_inputs, marks=pytest.mark.slow),
                                pytest.param(lse_columns, marks=pytest.mark.slow)],
                         ids=lambda f: f.__name__)
def test_reductions_on_other_axes_three_times_fewer_tasks(fn):
    """Reductions over columns, over everything, of two inputs: one task per chunk (the
    inputs generated inside it) plus the final step, at least 3x fewer than plain."""
    rng = da.random.default_rng(3)
    args = [rng.normal(size=(300, 240), chunks=(50, 40)) for _ in
            range(fn.__code__.co_argcount)]
    plain = fn(*args)
    (opt,) = dask.optimize(plain)
    ours = et.jit(fn, backend="dask")(*args)
    assert len(ours.dask) <= len(opt.__dask_graph__())
    assert len(plain.dask) >= 3 * len(ours.dask)
    assert len(ours.dask) <= args[0].npartitions + 6  # + one final task per output block
    np.testing.assert_allclose(ours.compute(scheduler="sync"),
                               fn(*[a.compute() for a in args]), rtol=1e-10)


def test_a_value_read_by_two_kernels_is_computed_in_both():
    """``y`` read by the elementwise output and by a row sum: no task of its own."""
    def two_outputs(x):
        y = np.exp(-x * x)
        return y * 2, np.sum(y, axis=1)

    x = da.random.default_rng(4).normal(size=(200, 120), chunks=(50, 40))
    outs = et.jit(two_outputs, backend="dask")(x)
    tasks = len(dict(outs[0].dask) | dict(outs[1].dask))
    assert tasks == 2 * x.npartitions + x.numblocks[0]
    got = dask.compute(*outs, scheduler="sync")
    for g, w in zip(got, two_outputs(x.compute())):
        np.testing.assert_allclose(g, w, rtol=1e-12)


def test_full_reduction_combines_small_partials_in_one_step():
    """A partial of a full reduction is one value per chunk: 40 chunks need no tree."""
    x = da.random.default_rng(5).normal(size=(400, 100), chunks=(20, 50))
    ours = et.jit(total, backend="dask")(x)
    assert len(ours.dask) == x.npartitions + 1
    deep = et.jit(total, backend="dask", split_every=4)(x)
    assert len(deep.dask) > x.npartitions + 1
    want = total(x.compute())
    for out in (ours, deep):
        np.testing.assert_allclose(out.compute(scheduler="sync"), want, rtol=1e-12)


def dense_layer(x, w):
    return np.mean(np.tanh(x @ w + 0.5), axis=1)


def test_matmul_one_task_per_output_block_fused_with_what_follows():
    """``tanh(x @ w)`` then a row mean: each block of rows is contracted whole along the
    (unevenly chunked) contracted axis in one task, which the kernel after it runs in;
    the random inputs are generated inside it. Plain Dask multiplies chunk pairs and sums
    the products in a tree."""
    rng = da.random.default_rng(7)
    x = rng.normal(size=(300, 130), chunks=((100, 80, 120), (50, 30, 50)))
    w = rng.normal(size=(130, 20), chunks=((50, 30, 50), (20,)))
    plain = dense_layer(x, w)
    (opt,) = dask.optimize(plain)
    ours = et.jit(dense_layer, backend="dask")(x, w)
    assert len(ours.dask) <= len(opt.__dask_graph__())
    assert len(plain.dask) >= 3 * len(ours.dask)
    assert len(ours.dask) == x.numblocks[0]
    np.testing.assert_allclose(ours.compute(scheduler="sync"),
                               dense_layer(x.compute(), w.compute()), rtol=1e-12)


@pytest.mark.slow
def test_matmul_batched_and_over_the_memory_bound(monkeypatch):
    """Batched operands contract blockwise too; operands over ``CONTRACT_BYTES`` go
    through ``dask.array.matmul`` (partial products summed in a tree): same values."""
    from eqsat_tensor.backends import dask_layers

    a = np.random.default_rng(8).normal(size=(4, 30, 22))
    b = np.random.default_rng(9).normal(size=(4, 22, 6))
    c = np.random.default_rng(10).normal(size=(22, 6))
    x = et.tensor("x", (4, 30, 22), "float64")
    y = et.tensor("y", (4, 22, 6), "float64")
    z = et.tensor("z", (22, 6), "float64")
    g = Graph([et.matmul(x, y).node, (et.matmul(x, z) * 2).node], [x.node, y.node, z.node])
    exe = dask_backend.compile(g)
    want = numpy_ref.evaluate(g, [a, b, c])
    lazy = [da.from_array(a, chunks=(3, 16, 9)), da.from_array(b, chunks=(3, 9, 6)),
            da.from_array(c, chunks=(9, 6))]
    for limit in (dask_layers.CONTRACT_BYTES, 0):
        monkeypatch.setattr(dask_layers, "CONTRACT_BYTES", limit)
        outs = exe.lazy(lazy)
        assert any(k.startswith("eqsat-matmul") for k in outs[0].dask.layers) == (limit > 0)
        for got, w in zip(dask.compute(*outs, scheduler="sync"), want):
            np.testing.assert_allclose(got, w, rtol=1e-12)
