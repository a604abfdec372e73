"""Differential tests: the numba backend against the reference backend (numpy_ref).

Numba compiles are slow, so graphs are multi-output (one compile covers many ops) and
arrays are small (the serial kernel builds run; one test forces the parallel builds).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from numba_graphs import (
    REDUCE,
    all_axis_combinations,
    assert_matches_reference,
    every_unary_op,
    random_graph,
    random_inputs,
)

import eqsat_tensor as et
from eqsat_tensor.backends import numba_cpu
from eqsat_tensor.errors import UnsupportedOp
from eqsat_tensor.ir import Graph
from eqsat_tensor.testing import examples
from eqsat_tensor.testing.strategies import programs_with_inputs

SHAPES = [(3, 4), (2, 3, 4), (5,), (), (0, 3), (1, 4), (3, 1, 2)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_random_graphs_match_reference(shape, dtype):
    for seed in range(2):
        g = random_graph(seed * 31 + len(shape), shape, dtype)
        exe = numba_cpu.compile(g)
        layouts = ("C", "F", "strided") if len(shape) >= 2 and dtype == "float64" else ("C",)
        for layout in layouts:
            assert_matches_reference(exe, g, random_inputs(g, seed, layout))


def test_every_unary_op_float32_and_float64():
    for dtype in ("float64", "float32"):
        g, inputs = every_unary_op(dtype)
        assert_matches_reference(numba_cpu.compile(g), g, inputs)


def test_stable_sigmoid_softplus_logsumexp_at_extremes():
    x = et.tensor("x", (6,))
    g = Graph([et.sigmoid(x).node, et.softplus(x).node,
               et.logsumexp(x, axis=0).node, et.logaddexp(x, 0.0).node], [x.node])
    vals = np.array([-800.0, -40.0, 0.0, 40.0, 800.0, np.inf])
    exe = numba_cpu.compile(g)
    assert_matches_reference(exe, g, [vals])
    sig, sp, lse, _ = exe(vals)
    assert sig[0] == 0.0 and sig[4] == 1.0 and np.isfinite(sp[:5]).all()
    assert lse == np.inf


@pytest.mark.parametrize("dtype,shape", [("float64", (2, 3, 4)), ("float32", (3, 4))])
def test_every_reduction_over_every_axis_combination(dtype, shape):
    """Every reduction op over every axis combination; keepdims alternates so each op
    meets both settings (one kernel per axis combination: compiles are the cost)."""
    x = et.tensor("x", shape, dtype)
    outs = []
    for k, axes in enumerate(all_axis_combinations(len(shape))):
        for j, op in enumerate(REDUCE):
            outs.append(getattr(et, op)(x, axis=axes, keepdims=(j + k) % 2 == 0).node)
    g = Graph(outs, [x.node])
    exe = numba_cpu.compile(g)
    # sibling reductions over the same axes share one loop nest
    assert len(exe.plan.kernels()) == len(all_axis_combinations(len(shape)))
    assert_matches_reference(exe, g, random_inputs(g, 1))


def test_empty_and_size_one_dims():
    x = et.tensor("x", (0, 3))
    g = Graph([et.sum(x, axis=0).node, et.exp(x).node, et.logsumexp(x, axis=0).node,
               et.mean(x, axis=1).node], [x.node])
    assert_matches_reference(numba_cpu.compile(g), g, [np.zeros((0, 3))])
    gmax = Graph([et.max(x, axis=0).node], [x.node])
    with pytest.raises(ValueError, match="zero-size array"):
        numba_cpu.compile(gmax)(np.zeros((0, 3)))


def test_zero_dim_arrays_and_bool_intermediates():
    x, y = et.tensor("x", ()), et.tensor("y", (3,))
    c = et.greater(x, y)
    g = Graph([c.node, et.where(c, x, y).node, (x * 2.0).node], [x.node, y.node])
    out = numba_cpu.compile(g)(np.array(0.5), np.array([0.0, 1.0, 0.5]))
    assert out[0].dtype == np.bool_ and out[0].tolist() == [True, False, False]
    assert out[2].shape == ()
    assert_matches_reference(numba_cpu.compile(g), g, [np.array(0.5), np.array([0.0, 1.0, 0.5])])


def test_symbolic_dims():
    x = et.tensor("x", ("n", 3))
    b = et.tensor("b", (3,))
    m = et.max(x, axis=1, keepdims=True)
    g = Graph([(et.exp(x - m) * b).node, et.sum(x, axis=0).node,
               et.reshape(x, (3, "n")).node], [x.node, b.node])
    exe = numba_cpu.compile(g)
    for n in (1, 4):
        xs, bs = np.arange(3.0 * n).reshape(n, 3), np.ones(3)
        assert_matches_reference(exe, g, [xs, bs], {"n": n})
        assert exe(xs, bs)[2].shape == (3, n)


def test_softmax_layer_norm_fuse_into_one_kernel():
    x = et.tensor("x", (4, 6))
    gamma = et.tensor("gamma", (6,))
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    softmax = e / et.sum(e, axis=1, keepdims=True)
    mu = et.mean(x, axis=1, keepdims=True)
    var = et.mean(et.square(x - mu), axis=1, keepdims=True)
    ln = (x - mu) / et.sqrt(var + 1e-5) * gamma
    for out in (softmax, ln):
        g = Graph([out.node], [x.node, gamma.node])
        exe = numba_cpu.compile(g)
        assert len(exe.plan.kernels()) == 1 and len(exe.plan.steps) == 1
        assert_matches_reference(exe, g, random_inputs(g, 3))


def test_matmul_goes_to_blas_with_fused_epilogue():
    a, b, v = et.tensor("a", (5, 4)), et.tensor("b", (4, 3)), et.tensor("v", (3,))
    epi = et.tanh(et.matmul(a, b) + v) * 2.0
    chain = et.matmul(et.matmul(et.transpose(b, (1, 0)), b), v)
    g = Graph([epi.node, chain.node], [a.node, b.node, v.node])
    exe = numba_cpu.compile(g)
    assert "np.matmul" in exe.source()
    assert any(k.matmuls for k in exe.plan.kernels())
    assert_matches_reference(exe, g, random_inputs(g, 4))


def test_layout_ops_are_views_of_inputs():
    x = et.tensor("x", (3, 4))
    t = et.transpose(x, (1, 0))
    g = Graph([(t * 2.0).node, et.expand_dims(x, (0,)).node,
               et.broadcast_to(et.tensor("s", (4,)), (2, 4)).node])
    exe = numba_cpu.compile(g)
    assert "x.transpose((1, 0))" in exe.source()  # a view, by the cheapest spelling
    assert "expand_dims" not in exe.source().split("def run(")[1]
    inputs = random_inputs(g, 5)
    assert_matches_reference(exe, g, inputs)
    for out in exe(*inputs):  # views of inputs are copied: outputs never alias inputs
        assert not any(np.shares_memory(out, a) for a in inputs)


def test_parallel_builds_match_reference():
    g = random_graph(7, (40, 30), "float64", n_ops=4)
    exe = numba_cpu.compile(g, parallel_min=0)
    assert_matches_reference(exe, g, random_inputs(g, 7))
    x = et.tensor("x", (64, 50))
    g2 = Graph([et.sum(et.square(x)).node, et.max(x, axis=(0, 1)).node,
                et.logsumexp(x, axis=(0, 1)).node], [x.node])
    assert_matches_reference(numba_cpu.compile(g2, parallel_min=0), g2, random_inputs(g2, 8))


def test_source_is_readable_and_fastmath_off_by_default():
    x = et.tensor("x", (3,))
    g = Graph([et.log1p(et.exp(x)).node])
    src = numba_cpu.compile(g).source()
    assert "def k0(" in src and "prange" in src and "FASTMATH = False" in src
    fast = numba_cpu.compile(g, fastmath=True).source()
    assert "FASTMATH = set(SAFE_FASTMATH_FLAGS)" in fast or "FASTMATH = True" in fast
    libm = numba_cpu.compile(g, fast_transcendentals=False).source()
    assert "math.exp(" in libm and "fm_exp" not in libm


def test_unsupported_op_is_named():
    x = et.tensor("x", (3,))
    g = Graph([et.exp(x).node])
    with pytest.raises(UnsupportedOp, match="'exp'"):
        numba_cpu.compile(g, lowering={"exp": None}, fast_transcendentals=False)


@settings(max_examples=examples(12))
@given(programs_with_inputs(max_nodes=10, max_outputs=2, max_size=24))
def test_shared_random_programs_match_reference(case):
    """The shared hypothesis strategy (eqsat_tensor.testing.strategies): edge values,
    broadcasting, empty dims, layouts and matmul included."""
    program, arrays = case
    g = program.build()
    assert_matches_reference(numba_cpu.compile(g), g, arrays)


def test_broadcast_output_of_an_empty_domain_is_written():
    """`y - max(y, axis=0, keepdims=True)` (shape (1, 3)) is an output next to values of
    shape (0, 3): computed per point of the empty (0, 3) loop it was never stored (found
    by the random sweep: seed 303)."""
    g = random_graph(303, (0, 3), "float32", n_ops=10)
    arrays = random_inputs(g, 43)
    want = et.compile(g, backend="numpy")(*arrays)
    got = et.compile(g, backend="numba")(*arrays)
    assert [np.shape(a) for a in got] == [np.shape(a) for a in want] == [(1, 3), (0, 3), (1, 1)]
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "prod", "logsumexp"])
@pytest.mark.parametrize("axis", [None, 1, (0, 1)], ids=str)  # axis 0: a column reduction
def test_tiled_reductions_of_costly_operands(op, axis):
    """Reductions of exp/log/tanh values accumulate tile by tile into lane arrays (a loop
    LLVM can vectorize: no lane depends on another); lengths that are not multiples of
    the lane count (16) check the last partial tile."""
    x = et.tensor("x", (7, 1031))
    red = getattr(et, op)
    operand = et.tanh(x) * 0.5 if op == "prod" else et.exp(et.tanh(x)) + et.log1p(x * x)
    g = Graph([red(operand, axis=axis).node], [x.node])
    exe = numba_cpu.compile(g)
    src = exe.source()
    assert "np.empty(16," in src, src
    xv = np.random.default_rng(0).standard_normal((7, 1031))
    want = et.compile(g, backend="numpy")(xv)
    np.testing.assert_allclose(exe(xv), want, rtol=1e-12)


def test_scalar_inputs_in_parallel_kernels():
    """A 0-d input (or 0-d intermediate) read inside a prange loop made numba's parfor
    lowering fail (``getitem(float64, ())``); kernels now read 0-d buffers before their
    loops. Found by the accuracy benchmark (kalman-002)."""
    x = et.tensor("x", ("n",))
    s = et.tensor("s", ())
    g = Graph([(et.exp(x) * s).node, et.sum(x * (s * s + 1.0)).node], [x.node, s.node])
    exe = numba_cpu.compile(g, parallel_min=1)
    import re

    assert re.search(r"^    s_\w+ = \w+\[\(\)\]$", exe.source(), re.M), exe.source()
    xv = np.random.default_rng(0).standard_normal(300_000)
    got = exe(xv, np.float64(2.0))
    want = et.compile(g, backend="numpy")(xv, np.float64(2.0))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_input_names_that_are_not_identifiers_never_reach_the_source():
    """The IR accepts any input name; generated source uses it only when it is a plain
    identifier (no user text is ever executed)."""
    from eqsat_tensor.ir import apply, input_node

    bad = input_node("x=__import__('os').getcwd(),", (4,))
    spaced = input_node("y y", (4,))
    g = Graph([apply("mul", apply("exp", bad), spaced)], [bad, spaced])
    exe = numba_cpu.compile(g)
    assert "__import__" not in exe.source() and "y y" not in exe.source()
    np.testing.assert_allclose(exe(np.zeros(4), np.full(4, 2.0)), np.full(4, 2.0))


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "prod"])
@pytest.mark.parametrize("shape,axis,keepdims", [
    ((301, 7), 0, False), ((33, 5, 9), (0, 1), True), ((40, 3, 6), 0, False),
    ((0, 4), 0, True), ((5, 0), 0, False)], ids=str)
def test_column_reductions(op, shape, axis, keepdims):
    """Reduced axes before the kept ones (C order) run as column reductions: chunks of
    rows in parallel with partial rows, vectorized along the kept axes; a row-wise
    consumer (`* 2 + 1`) is fused after the combine."""
    from eqsat_tensor.backends.numba_codegen import _columnar
    from eqsat_tensor.backends.plan import plan_graph

    x = et.tensor("x", shape)
    operand = et.tanh(x) * 0.5 + 1.0 if op == "prod" else et.exp(et.tanh(x)) * x
    out = getattr(et, op)(operand, axis=axis, keepdims=keepdims) * 2.0 + 1.0
    g = Graph([out.node], [x.node])
    (k,) = plan_graph(g).kernels()
    assert _columnar(k, "C")
    exe = numba_cpu.compile(g, parallel_min=1)
    assert "column_chunks" in exe.source()
    xv = np.random.default_rng(1).standard_normal(shape)
    if op in ("max", "min") and shape[0] == 0:  # an empty reduced axis: NumPy's error
        with pytest.raises(ValueError, match="zero-size array"):
            exe(xv)
        return
    with np.errstate(all="ignore"):
        want = et.compile(g, backend="numpy")(xv)
        got = exe(xv)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(exe(np.asfortranarray(xv)), want, rtol=1e-12, atol=1e-12)
