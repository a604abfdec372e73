"""Differential tests: the Dask backend against the reference backend (numpy_ref).

Arrays are small and cut into small, uneven chunks, so every kernel runs on many blocks
and every reduction crosses chunk boundaries. Graphs are multi-output where possible (one
Numba compile covers many ops). Computations use the synchronous scheduler except where
the threaded one is the point.
"""

# ruff: noqa: E402  (imports after the optional-dependency skips)
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")  # dask is optional: skip the module without it

import dask
from hypothesis import given, settings
from numba_graphs import REDUCE, TOL, random_graph, random_inputs

import eqsat_tensor as et
from eqsat_tensor.backends import dask as dask_backend
from eqsat_tensor.backends import numpy_ref
from eqsat_tensor.ir import Graph
from eqsat_tensor.testing import examples
from eqsat_tensor.testing.strategies import programs_with_inputs

pytestmark = pytest.mark.dask

# CI runs one variant of each heavy case (every Numba compile costs 1-2 s of CPU); the
# others (float32, the remaining reductions) are ``slow``.
DTYPES = ["float64", pytest.param("float32", marks=pytest.mark.slow)]


def _compare(graph: Graph, arrays: list[np.ndarray], chunks, **options) -> list[da.Array]:
    """Run ``graph`` on Dask arrays with ``chunks`` and compare with the reference."""
    exe = dask_backend.compile(graph, **options)
    if chunks is None:  # about two chunks per axis, uneven where the extent is odd
        lazy = [da.from_array(a, chunks=tuple(max(1, (d + 1) // 2) for d in a.shape))
                for a in arrays]
    else:
        # lower-rank inputs broadcast against the trailing axes: chunk them alike
        lazy = [da.from_array(a, chunks=chunks[len(chunks) - a.ndim:] if a.ndim <= len(chunks)
                              else a.shape) for a in arrays]
    outs = exe.lazy(lazy)
    assert all(isinstance(o, da.Array) for o in outs)
    got = dask.compute(*outs, scheduler="sync")
    want = numpy_ref.evaluate(graph, arrays)
    tol = TOL["float32" if any(n.dtype == "float32" for n in graph.nodes()) else "float64"]
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        assert g.shape == w.shape, f"output {k}: shape {g.shape} != {w.shape}"
        assert g.dtype == w.dtype, f"output {k}: dtype {g.dtype} != {w.dtype}"
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(g, w, equal_nan=True, err_msg=f"output {k}", **tol)
    return outs


@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_with_broadcasting(dtype):
    x = et.tensor("x", (13, 10), dtype)
    y = et.tensor("y", (1, 10), dtype)
    z = et.tensor("z", (10,), dtype)
    out = et.exp(-x * x) * y + et.tanh(z) / (1 + et.abs(x)) - et.sigmoid(y * z)
    g = Graph([out.node, (et.log1p(et.abs(x)) + z).node], [x.node, y.node, z.node])
    rng = np.random.default_rng(0)
    arrays = [rng.normal(size=s).astype(dtype) for s in [(13, 10), (1, 10), (10,)]]
    for chunks in [(4, 3), (13, 10), (5, 7)]:
        _compare(g, arrays, chunks)


@pytest.mark.parametrize("seed", range(3))
def test_random_graphs(seed):
    shape = [(7, 6), (5, 4, 3), (9,)][seed]
    g = random_graph(seed * 17 + 3, shape, "float64")
    arrays = random_inputs(g, seed)
    _compare(g, arrays, tuple(max(1, d // 2 - 1) for d in shape))


@pytest.mark.parametrize("op", [op if op == "mean" else pytest.param(op, marks=pytest.mark.slow)
                                for op in REDUCE])
def test_reduction_every_axis(op):
    """Each axis, both axes, all axes, keepdims or not; the operand is a fused prologue."""
    x = et.tensor("x", (7, 9), "float64")
    v = et.sin(x) * 3 + 0.5
    fn = getattr(et, op)
    outs = [fn(v, axis=axis, keepdims=keep)
            for axis in (None, 0, 1, (0, 1)) for keep in (False, True)]
    g = Graph([o.node for o in outs], [x.node])
    arrays = [np.random.default_rng(1).normal(size=(7, 9))]
    for chunks in [(3, 4), (7, 2)]:
        _compare(g, arrays, chunks)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reduction_tuple_axes_3d(dtype):
    x = et.tensor("x", (5, 6, 7), dtype)
    outs = [et.sum(x * x, axis=(0, 2)), et.mean(et.exp(x), axis=(0, 2), keepdims=True),
            et.max(x, axis=(1, 2)), et.logsumexp(x * 4, axis=(0, 1)), et.min(x, axis=-1)]
    g = Graph([o.node for o in outs], [x.node])
    arrays = [np.random.default_rng(2).normal(size=(5, 6, 7)).astype(dtype)]
    _compare(g, arrays, (2, 4, 3))


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_across_chunks_stable(dtype):
    """Values near 1000 overflow a naive exp; -inf rows, +inf and NaN entries propagate;
    chunks are uneven along the reduced axis."""
    x = et.tensor("x", (6, 11), dtype)
    g = Graph([et.logsumexp(x, axis=1).node, et.logsumexp(x, axis=0, keepdims=True).node,
               et.logsumexp(x).node], [x.node])
    a = np.random.default_rng(3).normal(size=(6, 11)).astype(dtype) * 5 + 1000
    a[1] = -np.inf
    a[2, 7] = np.inf
    a[3, 4] = np.nan
    a[4, :5] = -np.inf
    for chunks in [(2, 3), (4, (5, 2, 4))]:
        _compare(g, [a], chunks)
    finite = np.random.default_rng(4).normal(size=(6, 11)).astype(dtype) - 800
    _compare(g, [finite], (3, 4))


@pytest.mark.slow
def test_logsumexp_whole_columns_one_by_one():
    """The chunking of test_logsumexp_across_chunks_stable with whole columns (the
    axis-0 reduction runs the kernel once per block) and one column per chunk."""
    x = et.tensor("x", (6, 11), "float64")
    g = Graph([et.logsumexp(x, axis=1).node, et.logsumexp(x, axis=0, keepdims=True).node,
               et.logsumexp(x).node], [x.node])
    a = np.random.default_rng(3).normal(size=(6, 11)) * 5 + 1000
    a[1] = -np.inf
    a[2, 7] = np.inf
    a[3, 4] = np.nan
    _compare(g, [a], (6, 1))


@pytest.mark.slow
def test_row_values_after_reduction_and_softmax():
    """mean(x) * 2 + 1 (row values after a tree reduction) and softmax (two passes over
    each row: the reduced axis is rechunked into one chunk)."""
    x = et.tensor("x", (8, 10), "float64")
    b = et.tensor("b", (8,), "float64")
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    soft = e / et.sum(e, axis=1, keepdims=True)
    g = Graph([(et.mean(x, axis=1) * 2 + b).node, soft.node, (et.sum(x) / 3).node],
              [x.node, b.node])
    rng = np.random.default_rng(5)
    _compare(g, [rng.normal(size=(8, 10)), rng.normal(size=8)], (3, 4))


def test_matmul_and_views():
    a = et.tensor("a", (6, 5), "float64")
    w = et.tensor("w", (5, 4), "float64")
    h = et.tanh(et.matmul(a, w) + 1.0)
    out = et.transpose(h) * 2
    g = Graph([out.node, et.reshape(h, (24,)).node, et.matmul(a, w).node], [a.node, w.node])
    rng = np.random.default_rng(6)
    _compare(g, [rng.normal(size=(6, 5)), rng.normal(size=(5, 4))], (4, 2))


def test_numpy_input_with_chunks_option_and_compute():
    x = et.tensor("x", (100,), "float64")
    g = Graph([(et.exp(x) + 1).node], [x.node])
    arr = np.linspace(-1, 1, 100)
    lazy = dask_backend.compile(g, chunks=30)(arr)
    assert isinstance(lazy, da.Array)
    assert lazy.chunks == ((30, 30, 30, 10),)
    np.testing.assert_allclose(lazy.compute(scheduler="sync"), np.exp(arr) + 1)
    eager = et.compile(g, backend="dask", chunks=25, compute=True, scheduler="sync")(arr)
    assert isinstance(eager, np.ndarray)
    np.testing.assert_allclose(eager, np.exp(arr) + 1)


def _chain(x):
    """15 elementwise ops, as a user writes them."""
    y = x * 1.5 + 0.25
    y = np.sin(y) * np.cos(y) + x
    y = np.exp(-y * y) + np.tanh(x) * 0.5
    y = np.sqrt(np.abs(y) + 1.0) - x / 3.0
    return y * 2.0


def test_one_layer_per_kernel_and_fewer_tasks():
    """The optimized graph's structure shows in the Dask graph: the chain is one fused
    kernel, so one layer and one task per chunk, the input generated inside it; with
    ``inline_inputs=False`` the input's tasks stay on their own."""
    x = da.random.default_rng(0).normal(size=(4000,), chunks=500)
    ours = et.jit(backend="dask", optimize=False)(_chain)(x)
    assert isinstance(ours, da.Array)
    assert [k.startswith("eqsat-") for k in ours.dask.layers] == [True]
    plain = _chain(x)
    assert len(plain.dask) >= 5 * len(ours.dask)
    assert len(ours.dask) == x.npartitions
    apart = et.jit(backend="dask", optimize=False, inline_inputs=False)(_chain)(x)
    assert len(apart.dask.layers) == len(x.dask.layers) + 1
    assert len(apart.dask) == 2 * x.npartitions
    np.testing.assert_allclose(apart.compute(), ours.compute(), rtol=0)
    xs = x.compute()
    np.testing.assert_allclose(ours.compute(), _chain(xs), rtol=1e-12)


def test_jit_backend_dask_lazy_and_threaded():
    @et.jit(backend="dask")
    def softplus_mean(x, y):
        return np.mean(np.log1p(np.exp(x)) * y, axis=0), np.max(x, axis=1)

    x = da.from_array(np.random.default_rng(7).normal(size=(40, 30)), chunks=(7, 9))
    y = da.from_array(np.random.default_rng(8).normal(size=(30,)), chunks=9)
    m, mx = softplus_mean(x, y)
    assert isinstance(m, da.Array) and isinstance(mx, da.Array)
    xs, ys = x.compute(), y.compute()
    got_m, got_mx = dask.compute(m, mx, scheduler="threads")
    np.testing.assert_allclose(got_m, np.mean(np.log1p(np.exp(xs)) * ys, axis=0), rtol=1e-12)
    np.testing.assert_allclose(got_mx, xs.max(axis=1))
    # the signature of a dask argument is lazy: a new chunking reuses the compiled graph
    x2 = x.rechunk((20, 15))
    softplus_mean(x2, y)
    assert len(softplus_mean._cache) == 1


def test_graph_input_is_output_and_unknown_option():
    x = et.tensor("x", (5,), "float64")
    g = Graph([x.node, (x * 2).node], [x.node])
    a = np.arange(5.0)
    _compare(g, [a], (2,))
    with pytest.raises(et.errors.BackendError if hasattr(et, "errors") else Exception):
        dask_backend.compile(g, nonsense=1)


def test_output_and_its_reduction_fuse_and_symbolic_dims():
    """``y, sum(y, axis=0)``: y is one fused elementwise layer, the sum a tree reduction
    whose chunk step is a fused kernel too; symbolic dims are bound from the Dask input."""
    x = et.tensor("x", ("n", 6), "float64")
    y = et.exp(-x * x) * 2 + et.sin(x)
    g = Graph([y.node, et.sum(y, axis=0).node, et.mean(y).node], [x.node])
    arr = np.random.default_rng(9).normal(size=(11, 6))
    exe = et.compile(g, backend="dask")
    ys, s, m = exe(da.from_array(arr, chunks=(4, 3)))
    assert sum(k.startswith("eqsat-") for k in ys.dask.layers) == 1
    assert not any(k.startswith(("exp", "sin", "mul", "add")) for k in s.dask.layers)
    want = np.exp(-arr * arr) * 2 + np.sin(arr)
    got = dask.compute(ys, s, m, scheduler="sync")
    np.testing.assert_allclose(got[0], want, rtol=1e-12)
    np.testing.assert_allclose(got[1], want.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(got[2], want.mean(), rtol=1e-12)


def test_tasks_ship_source_not_compiled_code():
    import pickle

    x = et.tensor("x", (10,), "float64")
    g = Graph([(et.exp(x) * 3).node], [x.node])
    out = dask_backend.compile(g, chunks=5)(np.arange(10.0))
    fns = {type(t.func).__name__ for t in out.dask.values() if hasattr(t, "func")}
    assert "BlockKernel" in fns
    blob = pickle.dumps(dict(out.dask))
    assert b"Dispatcher" not in blob and b"numba.core" not in blob  # no compiled function
    assert b"def k0(" in blob  # the generated source travels instead
    np.testing.assert_allclose(out.compute(scheduler="sync"), np.exp(np.arange(10.0)) * 3)


@pytest.mark.parametrize("case", [(46, (5, 4, 3), (2, 2, 1)),
                                  pytest.param((82, (9,), (3,)), marks=pytest.mark.slow),
                                  (13, (6, 1, 4), (3, 1, 2)),
                                  pytest.param((21, (1, 5), (1, 2)), marks=pytest.mark.slow)],
                         ids=str)
def test_random_graphs_with_reductions(case):
    """Regressions found by a random sweep: a broadcast-shaped value written by a kernel
    over a larger domain; a dropped-axes output of a multi-pass kernel; 0-d kernels."""
    seed, shape, chunks = case
    g = random_graph(seed * 7 + 1, shape, "float64", n_ops=10)
    _compare(g, random_inputs(g, seed), chunks)


@pytest.mark.slow
def test_multi_pass_row_reduction_over_chunked_axis():
    """sum(exp(x - max(x))) per row: whole rows in a block run the one fused kernel; rows
    cut into chunks run as two tree reductions (max, then the sum), never rechunked."""
    x = et.tensor("x", (6, 10), "float32")
    out = et.sum(et.exp(x - et.max(x, axis=1, keepdims=True)), axis=1)
    g = Graph([out.node], [x.node])
    a = np.random.default_rng(10).normal(size=(6, 10)).astype("float32")
    whole = _compare(g, [a], (4, 10))[0]
    assert sum(k.startswith("eqsat-") for k in whole.dask.layers) == 1
    cut = _compare(g, [a], (4, 3))[0]
    assert not any(k.startswith("rechunk") for k in cut.dask.layers)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_variance_and_softmax_over_chunked_axes(dtype):
    """Two- and three-pass kernels over axes cut into uneven chunks (staged tree
    reductions): variance over everything, softmax and layer norm over rows."""
    x = et.tensor("x", (9, 14), dtype)
    w = et.tensor("w", (14,), dtype)
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    soft = e / et.sum(e, axis=1, keepdims=True)
    mu = et.mean(x, axis=1, keepdims=True)
    norm = (x - mu) / et.sqrt(et.mean((x - mu) ** 2, axis=1, keepdims=True) + 1e-5) * w
    var_all = et.mean((x - et.mean(x)) ** 2)
    g = Graph([soft.node, norm.node, var_all.node, et.logsumexp(soft, axis=0).node],
              [x.node, w.node])
    rng = np.random.default_rng(11)
    arrays = [rng.normal(size=(9, 14)).astype(dtype) * 3, rng.normal(size=14).astype(dtype)]
    outs = _compare(g, arrays, (4, 5))
    assert not any(k.startswith("rechunk") for o in outs for k in o.dask.layers)
    _compare(g, arrays, (9, 14))


@settings(max_examples=examples(8))
@given(programs_with_inputs(max_nodes=10, max_outputs=2, max_size=24))
def test_shared_random_programs(case):
    """The shared hypothesis strategy: edge values, broadcasting, empty dims, matmul."""
    program, arrays = case
    g = program.build()
    arrays = [np.asarray(a) for a in arrays]
    try:
        numpy_ref.evaluate(g, arrays)
    except ValueError:
        return  # the reference rejects it (e.g. max of an empty axis)
    _compare(g, arrays, None)
