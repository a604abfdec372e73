"""The kernel planner (no Numba needed): what fuses, what is materialized, in what order."""

from __future__ import annotations

import numpy as np

import eqsat_tensor as et
from eqsat_tensor.backends.plan import (
    FULL,
    ROW_DROP,
    ROW_KEEP,
    Kernel,
    MatmulStep,
    ViewStep,
    plan_graph,
)
from eqsat_tensor.ir import Graph


def _kernels(out, *inputs):
    return plan_graph(Graph(out if isinstance(out, list) else [out.node],
                            [i.node for i in inputs] or None)).kernels()


def test_elementwise_chain_with_broadcasting_is_one_kernel():
    x, y, z = et.tensor("x", (4, 5)), et.tensor("y", (5,)), et.tensor("z", ())
    (k,) = _kernels(et.log1p(et.exp(x * y + z)) - x / y)
    assert k.kind == "elementwise" and k.domain == (4, 5)
    assert {n.name for n in k.reads} == {"x", "y", "z"} and len(k.writes) == 1


def test_softmax_is_one_kernel_with_three_passes():
    x = et.tensor("x", (3, 8))
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    (k,) = _kernels(e / et.sum(e, axis=1, keepdims=True))
    assert k.kind == "reduction" and k.reduce_axes == (1,) and k.kept_axes == (0,)
    phases = sorted(k.reduction_phases().values())
    assert phases == [(1, 1), (2, 2)]  # max, then sum of exp; the store is pass 3
    assert [k.frame(n) for n in k.writes] == [FULL]


def test_logsumexp_without_keepdims_has_row_values():
    x = et.tensor("x", (3, 8))
    m = et.max(x, axis=1, keepdims=True)
    s = et.sum(et.exp(x - m), axis=1)
    (k,) = _kernels(et.log(s) * 2.0)
    frames = {n.op: k.frame(n) for n in k.nodes}
    assert frames["max"] == ROW_KEEP and frames["sum"] == ROW_DROP and frames["log"] == ROW_DROP


def test_shared_intermediate_used_by_two_kernels_is_materialized_once():
    x = et.tensor("x", (4, 5))
    e = et.exp(x)
    a = et.sum(e, axis=0)  # reduces axis 0
    b = et.sum(e, axis=1)  # reduces axis 1: another kernel
    plan = plan_graph(Graph([a.node, b.node]))
    writers = [s for s in plan.steps if e.node in s.writes]
    assert len(writers) == 1
    # (costly: not computed inside a reduction's passes, see ``_merge_producers``)
    readers = [k for k in plan.kernels() if e.node in k.reads]
    assert len(readers) == 2


def test_sibling_outputs_share_one_loop_without_cycles():
    x = et.tensor("x", (6,))
    outs = [et.exp(x).node, et.sin(x).node, (x * 2.0).node]
    (k,) = plan_graph(Graph(outs)).kernels()
    assert len(k.writes) == 3
    # a dependency between same-shaped groups must not be merged into a cycle
    s = et.sum(x, axis=0, keepdims=True)
    y = et.exp(x) * et.sum(et.exp(x) * x, axis=0, keepdims=True)
    plan = plan_graph(Graph([y.node, (et.exp(x) + s).node]))
    produced = set()
    for step in plan.steps:
        assert all(r.op in ("input", "constant") or r.uid in produced for r in step.reads)
        produced |= {w.uid for w in step.writes}


def test_matmul_epilogue_fused_and_chain_materialized():
    a, b, v = et.tensor("a", (5, 4)), et.tensor("b", (4, 3)), et.tensor("v", (3,))
    (k,) = _kernels(et.tanh(et.matmul(a, b) + v))
    assert len(k.matmuls) == 1 and [n.op for n in k.nodes] == ["add", "tanh"]
    plan = plan_graph(Graph([et.matmul(et.matmul(a, b), v).node]))
    assert [type(s) for s in plan.steps] == [MatmulStep, MatmulStep]


def test_layout_ops_are_views_on_materialized_buffers():
    x = et.tensor("x", (3, 4))
    t = et.transpose(et.exp(x), (1, 0))
    plan = plan_graph(Graph([(t + 1.0).node]))
    kinds = [type(s) for s in plan.steps]
    assert kinds == [Kernel, ViewStep, Kernel]


def test_layer_norm_row_values_are_hoisted():
    x, g = et.tensor("x", (4, 6)), et.tensor("g", (6,))
    mu = et.mean(x, axis=1, keepdims=True)
    var = et.mean(et.square(x - mu), axis=1, keepdims=True)
    inv = et.sqrt(var + 1e-5)
    (k,) = _kernels((x - mu) / inv * g)
    assert k.frame(inv.node) == ROW_KEEP
    assert sorted(k.reduction_phases().values()) == [(1, 1), (2, 2)]


def test_describe_lists_every_step():
    x = et.tensor("x", ("n",))
    plan = plan_graph(Graph([et.sum(et.exp(x)).node]))
    assert "reduction" in plan.describe() and "(n,)" in plan.describe()


def test_siblings_linked_through_a_view_are_not_merged():
    """`exp(x)` and `transpose(exp(x)) * 2` have the same domain, but the second reads the
    first through a view: merging them made a cycle (found by a layer-norm gradient)."""
    from eqsat_tensor.backends import compile as et_compile

    x = et.tensor("x", (4, 4))
    a = et.exp(x)
    c = et.transpose(a) * 2.0
    g = Graph([a.node, c.node], [x.node])
    plan = plan_graph(g)
    assert len(plan.kernels()) == 2
    xv = np.random.default_rng(0).random((4, 4))
    got = et_compile(g, backend="numba")(xv)
    np.testing.assert_allclose(got[0], np.exp(xv))
    np.testing.assert_allclose(got[1], np.exp(xv).T * 2.0)


def test_cheap_scalar_work_joins_the_kernel_that_reads_it():
    # ``1 - a`` of a 0-d input (or a lower-rank row) is computed in the consumer's loop,
    # not in a launch of its own; a costly one keeps its own kernel
    a, x, y = et.tensor("a", ()), et.tensor("x", (6,)), et.tensor("y", (6,))
    (k,) = _kernels(a * x + (1 - a) * y, a, x, y)
    assert k.domain == (6,) and {n.name for n in k.reads} == {"a", "x", "y"}
    row, m = et.tensor("row", (5,)), et.tensor("m", (4, 5))
    (k,) = _kernels(m * (row + 1), row, m)
    assert k.domain == (4, 5)
    ks = _kernels(x * et.exp(a), a, x)
    assert sorted(k.domain for k in ks) == [(), (6,)]


def test_a_value_several_kernels_read_joins_the_first_of_them():
    # exp(x) feeds a row sum and an elementwise kernel: it is computed in one of their
    # loops, stored once for the other; a chain through a third kernel is not merged
    from eqsat_tensor.backends import compile as et_compile

    x, y = et.tensor("x", (6, 3)), et.tensor("y", (6, 3))
    e = et.exp(x) * y
    s = et.sum(e, axis=1, keepdims=True)
    g = Graph([(e / s).node, (e + 1.0).node], [x.node, y.node])
    plan = plan_graph(g)
    assert len(plan.kernels()) <= 2
    xv, yv = np.random.default_rng(1).random((2, 6, 3))
    got = et_compile(g, backend="numba")(xv, yv)
    ev = np.exp(xv) * yv
    np.testing.assert_allclose(got[0], ev / ev.sum(axis=1, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(got[1], ev + 1.0, rtol=1e-14)


def test_a_merged_producer_read_through_a_view_is_not_merged_again():
    # exp(x) joins sin's kernel; that kernel is then read by d directly and, through
    # transpose(exp(x)), as a view: merging it into d would be a cycle
    from eqsat_tensor.backends import compile as et_compile

    x = et.tensor("x", (4, 4))
    a = et.exp(x)
    b = et.sin(a)
    g = Graph([(b * et.transpose(a)).node, et.sum(b, axis=0).node], [x.node])
    plan_graph(g)  # no cycle
    xv = np.random.default_rng(2).random((4, 4))
    got = et_compile(g, backend="numba")(xv)
    np.testing.assert_allclose(got[0], np.sin(np.exp(xv)) * np.exp(xv).T, rtol=1e-14)
    np.testing.assert_allclose(got[1], np.sin(np.exp(xv)).sum(axis=0), rtol=1e-14)
