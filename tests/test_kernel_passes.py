"""Pass structure of the Numba CPU kernels (issue #21), checked on plans and generated
source, never on wall-clock times: fusion after matmuls, passes over the data of row
reductions, vectorizable reduction loops, and their values against the reference."""

from __future__ import annotations

import re

import numpy as np
from numba_graphs import assert_matches_reference

import eqsat_tensor as et
from eqsat_tensor.backends import numba_codegen, numba_cpu, numba_reduce
from eqsat_tensor.backends.plan import Kernel, MatmulStep, plan_graph
from eqsat_tensor.ir import Graph


def _gelu(h):
    return 0.5 * h * (1.0 + et.tanh(0.7978845608028654 * (h + 0.044715 * h * h * h)))


def _passes_reading(kernel: Kernel, source: str, buffer: str) -> int:
    """How many passes over the rows of ``kernel`` read ``buffer`` (from its source)."""
    body = source.split(f"def {kernel.name}(")[1].split("\ndef ")[0]
    passes = re.split(r"# pass \d+ over the reduced axes", body)[1:] or [body]
    return sum(bool(re.search(rf"\b{buffer}\[", p)) for p in passes)


def _steps_after_matmul(plan) -> list:
    """Plan steps after the last matmul (its own step or a kernel's prologue)."""
    steps = list(plan.steps)
    last = max(k for k, s in enumerate(steps)
               if isinstance(s, MatmulStep) or (isinstance(s, Kernel) and s.matmuls))
    after = steps[last + 1:]
    return ([steps[last]] if isinstance(steps[last], Kernel) else []) + after


def test_gelu_epilogue_is_one_pass_after_the_matmul():
    x, w, b = et.tensor("x", (8, 5)), et.tensor("w", (5, 6)), et.tensor("b", (6,))
    for out in (_gelu(et.matmul(x, w) + b), et.tanh(et.matmul(x, w) + b) * 2.0):
        g = Graph([out.node], [x.node, w.node, b.node])
        plan = plan_graph(g)
        after = _steps_after_matmul(plan)
        assert len(after) == 1 and isinstance(after[0], Kernel), plan.describe()
        assert not after[0].reduce_axes  # one elementwise pass over the matmul's output
        exe = numba_cpu.compile(g)
        assert exe.source().count("np.matmul(") == 2  # run and run_profiled: BLAS
        rng = np.random.default_rng(0)
        assert_matches_reference(exe, g, [rng.standard_normal(a.shape) for a in g.inputs])


def test_two_layer_gelu_mlp_has_one_pass_after_each_matmul():
    x, w1, w2 = et.tensor("x", (8, 5)), et.tensor("w1", (5, 6)), et.tensor("w2", (6, 3))
    b1, b2 = et.tensor("b1", (6,)), et.tensor("b2", (3,))
    out = et.matmul(_gelu(et.matmul(x, w1) + b1), w2) + b2
    g = Graph([out.node], [x.node, w1.node, b1.node, w2.node, b2.node])
    plan = plan_graph(g)
    kernels = plan.kernels()
    assert len(kernels) == 2 and all(len(k.matmuls) == 1 for k in kernels), plan.describe()
    assert not any(k.reduce_axes for k in kernels)
    rng = np.random.default_rng(1)
    assert_matches_reference(numba_cpu.compile(g), g,
                             [rng.standard_normal(a.shape) for a in g.inputs])


def test_x_minus_logsumexp_reads_x_twice():
    x = et.tensor("x", (5, 37))
    g = Graph([(x - et.logsumexp(x, axis=1, keepdims=True)).node], [x.node])
    exe = numba_cpu.compile(g)
    (kernel,) = exe.plan.kernels()
    assert numba_codegen._for_cpu(kernel).passes() == 2
    assert _passes_reading(kernel, exe.source(), "x") == 2
    rng = np.random.default_rng(2)
    xs = rng.standard_normal((5, 37)) * 30
    xs[1, 3], xs[2, :], xs[3, 7], xs[4, :] = np.inf, -np.inf, np.nan, 750.0
    assert_matches_reference(exe, g, [xs])


def test_one_pass_logsumexp_over_rows_longer_than_a_block():
    # rows of several L1 blocks whose max grows from block to block: the running sums
    # are rescaled each time; a -inf row, a +inf entry, NaN, huge and tiny values
    x = et.tensor("x", ("m", "n"))
    g = Graph([et.logsumexp(x, axis=1).node, et.logsumexp(x * 2.0, axis=1).node,
               (x - et.logsumexp(x, axis=1, keepdims=True)).node], [x.node])
    exe = numba_cpu.compile(g)
    n = 3 * 2048 + 37
    xs = np.tile(np.linspace(-800.0, 800.0, n), (6, 1))
    xs[1] = np.linspace(800.0, -800.0, n)
    xs[2] = -np.inf
    xs[3, 5000] = np.inf
    xs[4, 4097] = np.nan
    xs[5] = np.random.default_rng(3).standard_normal(n) * 1e-3
    assert_matches_reference(exe, g, [xs], {"m": 6, "n": n})
    assert_matches_reference(numba_cpu.compile(g, parallel_min=0), g, [xs[:, :40]],
                             {"m": 6, "n": 40})


def test_reduction_passes_accumulate_in_lanes():
    # every pass with an accumulator updates lane arrays in tiles of a constant width
    # (a loop LLVM vectorizes), and indexes with an unsigned offset (no wraparound)
    x = et.tensor("x", (7, 45))
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    outs = [e / et.sum(e, axis=1, keepdims=True), et.mean(et.log1p(et.exp(x))),
            et.sum(et.tanh(x), axis=(0, 1))]
    g = Graph([o.node for o in outs], [x.node])
    exe = numba_cpu.compile(g)
    src = exe.source()
    assert f"for _j1 in range({numba_reduce._LANES}):" in src
    assert "np.uintp(" in src
    rng = np.random.default_rng(4)
    assert_matches_reference(exe, g, [rng.standard_normal((7, 45)) * 5])


def test_fast_logaddexp_matches_reference_at_special_values():
    vals = np.array([0.0, -0.0, 1.0, -1.0, 1e-300, 700.0, -700.0, 800.0, -800.0,
                     np.inf, -np.inf, np.nan, 1e308, -1e308, 3.5])
    a, b = (v.ravel() for v in np.meshgrid(vals, vals))
    for dtype in ("float64", "float32"):
        x, y = et.tensor("a", (a.size,), dtype), et.tensor("b", (a.size,), dtype)
        g = Graph([et.logaddexp(x, y).node], [x.node, y.node])
        exe = numba_cpu.compile(g)
        assert "fm_logaddexp_" in exe.source()
        with np.errstate(all="ignore"):
            assert_matches_reference(exe, g, [a.astype(dtype), b.astype(dtype)])


def test_log1p_of_a_unit_interval_value_uses_the_unit_form():
    # log1p(exp(-|x|)) (the shared primitive of softplus and sigmoid): the operand is in
    # [0, 1], so the kernel calls the special-value-free form; log1p(x) keeps the general
    # one; both agree with the reference on edge values
    from eqsat_tensor.backends.numba_lower import in_unit_interval, value_bounds

    x = et.tensor("x", ("n",))
    e = et.exp(-et.abs(x))
    assert value_bounds(e.node) == (0.0, 1.0)
    assert not in_unit_interval(x.node) and not in_unit_interval(et.exp(x).node)
    assert in_unit_interval(et.sigmoid(x).node)
    xs = np.array([0.0, -0.0, 1e-300, -3.0, 3.0, 40.0, -745.5, 800.0, np.inf, -np.inf, np.nan,
                   -1.0, -2.0, 0.5])
    for out, form in ((et.log1p(e) * 2.0, "fmu_log1p_float64("),
                      (et.log1p(x), "fm_log1p_float64(")):
        g = Graph([out.node], [x.node])
        exe = numba_cpu.compile(g)
        assert form in exe.source()
        assert_matches_reference(exe, g, [xs], {"n": xs.size})
        assert "fmu_" not in numba_cpu.compile(g, fast_transcendentals=False).source()


def test_trace_of_a_matmul_computes_no_matmul():
    # np.trace(a @ b) traces to sum(a * b.T): no matmul node, NumPy's value; a non-zero
    # offset or a non-square product keeps the general form
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((7, 5)), rng.standard_normal((5, 7))
    f = et.jit(lambda a, b: np.trace(a @ b), backend="numpy")
    assert not any(n.op == "matmul" for n in f.trace(a, b).nodes())
    np.testing.assert_allclose(f(a, b), np.trace(a @ b), rtol=1e-12)
    a[2, 3] = np.inf
    with np.errstate(invalid="ignore"):
        np.testing.assert_equal(f(a, b), np.trace(a @ b))
    g = et.jit(lambda a, b: np.trace(a @ b, offset=1), backend="numpy")
    assert any(n.op == "matmul" for n in g.trace(b, a).nodes())
    np.testing.assert_allclose(g(b, a), np.trace(b @ a, offset=1), rtol=1e-12)
