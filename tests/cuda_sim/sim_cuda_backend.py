"""The CUDA backend under numba-cuda's simulator, against the reference backend.

Run by ``tests/test_cuda_simulator.py`` in a subprocess with ``NUMBA_ENABLE_CUDASIM=1``
(the variable must be set before numba is imported, so these tests never run in the main
pytest process; their file names do not match ``test_*.py``). The simulator runs every
CUDA thread as a Python thread: shapes stay small. The graphs are the CPU backend's
differential graphs (``numba_graphs``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from numba import config
from numba_graphs import (
    REDUCE,
    all_axis_combinations,
    assert_matches_reference,
    every_unary_op,
    random_graph,
    random_inputs,
)

import eqsat_tensor as et
from eqsat_tensor.backends import cuda as cuda_backend
from eqsat_tensor.backends.cuda_runtime import is_device_array
from eqsat_tensor.ir import Graph, apply, constant_node
from eqsat_tensor.testing import examples
from eqsat_tensor.testing.strategies import programs_with_inputs

if not config.ENABLE_CUDASIM:  # pragma: no cover - the runner sets it
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 (run through test_cuda_simulator.py)",
                allow_module_level=True)

from numba import cuda  # noqa: E402 - the simulator's, after the check above

SHAPES = [(3, 4), (2, 3, 4), (5,), (), (1, 4), (3, 1, 2)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_random_graphs_match_reference(shape, dtype):
    g = random_graph(len(shape) * 7 + (dtype == "float32"), shape, dtype)
    exe = cuda_backend.compile(g)
    layouts = ("C", "strided") if len(shape) >= 2 and dtype == "float64" else ("C",)
    for layout in layouts:
        assert_matches_reference(exe, g, random_inputs(g, 0, layout))


def test_every_unary_op_float32_and_float64():
    for dtype in ("float64", "float32"):
        g, inputs = every_unary_op(dtype)
        assert_matches_reference(cuda_backend.compile(g), g, inputs)


def test_binary_ops_and_broadcasting():
    x, y = et.tensor("x", (3, 1, 4)), et.tensor("y", (2, 1))
    z = et.tensor("z", (), "float32")
    outs = [x + y, x - y, x * y, x / y, et.maximum(x, y), et.minimum(x, y), et.hypot(x, y),
            et.logaddexp(x, y), et.arctan2(x, y), et.power(et.abs(x), y), x * z,
            et.where(et.greater(x, y), x, y), et.less_equal(x, y)]
    g = Graph([o.node for o in outs], [x.node, y.node, z.node])
    assert_matches_reference(cuda_backend.compile(g), g, random_inputs(g, 2))


@pytest.mark.parametrize("dtype,shape", [("float64", (2, 3, 4)), ("float32", (3, 5))])
def test_every_reduction_over_every_axis_combination(dtype, shape):
    """Every reduction over every axis combination (and None), keepdims alternating."""
    x = et.tensor("x", shape, dtype)
    outs = []
    for k, axes in enumerate(all_axis_combinations(len(shape)) + [None]):
        for j, op in enumerate(REDUCE):
            outs.append(getattr(et, op)(x, axis=axes, keepdims=(j + k) % 2 == 0).node)
    g = Graph(outs, [x.node])
    exe = cuda_backend.compile(g)
    assert_matches_reference(exe, g, random_inputs(g, 1))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_elementwise_rows_build(dtype):
    """2-D+ elementwise kernels with a last axis of at least a block use the ``_rows``
    build (grid y over outer points, x along the row)."""
    x, y = et.tensor("x", (3, 2, 70), dtype), et.tensor("y", (2, 1), dtype)
    g = Graph([(et.exp(x) * y + 1.0).node, et.where(et.greater(x, y), x, y).node],
              [x.node, y.node])
    exe = cuda_backend.compile(g)
    assert "_rows(" in exe.source()
    assert_matches_reference(exe, g, random_inputs(g, 12))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_thread_per_row_reductions(dtype):
    """Reductions that keep the last axis, in their one-thread-per-row build."""
    x = et.tensor("x", (4, 3, 5), dtype)
    e = et.exp(x - et.max(x, axis=0, keepdims=True))
    outs = [e / et.sum(e, axis=0, keepdims=True), et.logsumexp(x, axis=(0, 1)),
            et.mean(x, axis=1), et.prod(x, axis=0, keepdims=True), et.min(x, axis=(0, 1))]
    g = Graph([o.node for o in outs], [x.node])
    exe = cuda_backend.compile(g, thread_rows_min=0)
    assert "_thread(" in exe.source()
    assert_matches_reference(exe, g, random_inputs(g, 11))


def test_reduction_longer_than_a_block():
    """Rows longer than the block (strided accumulation, then the shared-memory tree)."""
    x = et.tensor("x", (3, 77), "float32")
    g = Graph([et.sum(x, axis=1).node, et.max(x).node, et.logsumexp(x, axis=1).node,
               et.mean(x, axis=0, keepdims=True).node], [x.node])
    exe = cuda_backend.compile(g, block=16)
    assert "def k0_partial" in exe.source() or "def k1_partial" in exe.source()  # max(x)
    assert_matches_reference(exe, g, random_inputs(g, 6))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_logsumexp_layer_norm_rows_are_one_kernel(dtype):
    x = et.tensor("x", (4, 6), dtype)
    gamma = et.tensor("gamma", (6,), dtype)
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    softmax = e / et.sum(e, axis=1, keepdims=True)
    mu = et.mean(x, axis=1, keepdims=True)
    var = et.mean(et.square(x - mu), axis=1, keepdims=True)
    ln = (x - mu) / et.sqrt(var + 1e-5) * gamma
    lse = et.logsumexp(x, axis=1)
    for out in (softmax, ln, lse):
        g = Graph([out.node], [x.node, gamma.node])
        exe = cuda_backend.compile(g)
        assert len(exe.plan.kernels()) == 1 and len(exe.plan.steps) == 1
        assert "cuda.shared.array" in exe.source()
        assert_matches_reference(exe, g, random_inputs(g, 3))


def test_stable_functions_at_extremes():
    x = et.tensor("x", (6,))
    g = Graph([et.sigmoid(x).node, et.softplus(x).node,
               et.logsumexp(x, axis=0).node, et.logaddexp(x, 0.0).node], [x.node])
    vals = np.array([-800.0, -40.0, 0.0, 40.0, 800.0, np.inf])
    assert_matches_reference(cuda_backend.compile(g), g, [vals])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_matmul_with_epilogue_batch_and_vectors(dtype):
    a, b = et.tensor("a", (5, 4), dtype), et.tensor("b", (4, 3), dtype)
    v = et.tensor("v", (3,), dtype)
    c = et.tensor("c", (2, 1, 3, 4), dtype)
    epi = et.tanh(et.matmul(a, b) + v) * 2.0
    chain = et.matmul(et.matmul(et.transpose(b, (1, 0)), b), v)
    batched = et.matmul(c, b)
    vec = et.matmul(v, et.transpose(b, (1, 0)))
    g = Graph([epi.node, chain.node, batched.node, vec.node], [a.node, b.node, v.node, c.node])
    assert_matches_reference(cuda_backend.compile(g), g, random_inputs(g, 4))


def test_layout_ops_and_symbolic_dims():
    x = et.tensor("x", ("n", 4))
    s = et.tensor("s", (4,))
    t = et.transpose(x, (1, 0))
    g = Graph([(t * 2.0).node, et.expand_dims(x, (0,)).node, et.broadcast_to(s, (2, 4)).node,
               et.sum(x, axis=1).node], [x.node, s.node])
    exe = cuda_backend.compile(g)
    for n in (1, 3):
        arrays = [np.arange(4.0 * n).reshape(n, 4), np.array([1.0, -2.0, 3.0, 0.5])]
        assert_matches_reference(exe, g, arrays, {"n": n})
    y = et.tensor("y", (3, 4))
    g2 = Graph([et.reshape(et.transpose(y, (1, 0)), (2, 6)).node,  # a copy, then a view
                et.exp(et.reshape(et.transpose(y, (1, 0)), (6, 2))).node], [y.node])
    assert_matches_reference(cuda_backend.compile(g2), g2, random_inputs(g2, 9))


def test_zero_dim_bool_and_passthrough_outputs():
    x, y = et.tensor("x", ()), et.tensor("y", (3,))
    c = et.greater(x, y)
    g = Graph([c.node, et.where(c, x, y).node, (x * 2.0).node, y.node], [x.node, y.node])
    exe = cuda_backend.compile(g)
    out = exe(np.array(0.5), np.array([0.0, 1.0, 0.5]))
    assert out[0].dtype == np.bool_ and out[0].tolist() == [True, False, False]
    assert out[2].shape == ()
    assert_matches_reference(exe, g, [np.array(0.5), np.array([0.0, 1.0, 0.5])])


def test_empty_max_raises_like_numpy():
    x = et.tensor("x", (0, 3))
    with pytest.raises(ValueError, match="zero-size array"):
        cuda_backend.compile(Graph([et.max(x, axis=0).node], [x.node]))(np.zeros((0, 3)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_device_arrays_in_device_arrays_out(dtype):
    x, y = et.tensor("x", (3, 4), dtype), et.tensor("y", (4,), dtype)
    g = Graph([(et.exp(x) * y).node, et.sum(x, axis=0).node], [x.node, y.node])
    exe = cuda_backend.compile(g)
    host = random_inputs(g, 8)
    dev = [cuda.to_device(a) for a in host]
    out = exe(*dev)
    assert all(is_device_array(o) for o in out)
    want = exe(*host)
    assert all(isinstance(w, np.ndarray) for w in want)
    for o, w in zip(out, want):
        assert o.dtype == w.dtype
        np.testing.assert_array_equal(o.copy_to_host(), w)


def test_jit_backend_cuda_numpy_and_device_arrays():
    @et.jit(backend="cuda")
    def softmax(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    want = np.exp(x - x.max(-1, keepdims=True))
    want /= want.sum(-1, keepdims=True)
    got = softmax(x)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    dev = softmax(cuda.to_device(x))
    assert is_device_array(dev)
    np.testing.assert_allclose(dev.copy_to_host(), want, rtol=1e-5, atol=1e-6)
    assert len(softmax._cache) == 2  # host and device signatures compile separately


def test_compile_through_the_registry():
    x = et.tensor("x", (4,))
    exe = et.compile(et.exp(x) + 1.0, backend="cuda")
    assert exe.backend == "cuda"
    np.testing.assert_allclose(exe(np.zeros(4)), np.full(4, 2.0))


def test_empty_dims_and_array_constants():
    x = et.tensor("x", (0, 3))
    g = Graph([et.sum(x, axis=0).node, et.exp(x).node, et.logsumexp(x, axis=0).node,
               et.mean(x, axis=1).node, et.sum(x).node], [x.node])
    assert_matches_reference(cuda_backend.compile(g), g, [np.zeros((0, 3))])
    y = et.tensor("y", (2, 3))
    c = constant_node(np.array([1.0, -2.0, 0.5]))
    g2 = Graph([apply("mul", y.node, c), apply("sum", apply("add", y.node, c), axis=(0, 1),
                                                keepdims=False)], [y.node])
    assert_matches_reference(cuda_backend.compile(g2), g2, random_inputs(g2, 10))


@settings(max_examples=examples(12))
@given(programs_with_inputs(max_nodes=8, max_outputs=2, max_size=12))
def test_shared_random_programs_match_reference(case):
    """The shared hypothesis strategy (edge values, broadcasting, empty dims, layouts and
    matmul), as in the CPU backend's tests, with fewer and smaller examples."""
    program, arrays = case
    g = program.build()
    assert_matches_reference(cuda_backend.compile(g), g, arrays)
