"""The hypothesis strategies keep their promises (bounds, well-typedness, edge values)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eqsat_tensor.ir import OPS
from eqsat_tensor.testing import examples
from eqsat_tensor.testing.strategies import (
    SAFE_RANGE,
    arrays,
    broadcastable_shapes,
    edge_values,
    floats,
    input_arrays,
    programs,
)


@settings(max_examples=examples(40))
@given(programs(max_nodes=20, max_depth=5, max_inputs=2, dtypes=("float32",), max_size=64))
def test_programs_respect_their_bounds(program):
    graph = program.build()
    assert len(graph) <= 20
    assert len(program.inputs) <= 2
    for node in graph.nodes():
        assert node.dtype in ("float32", "bool")
        assert node.depth - 1 <= 5
        if node.op not in ("input", "constant"):
            assert int(np.prod(node.shape)) <= 64
    assert program.numpy_only
    assert "def program(" in repr(program)


@settings(max_examples=examples(20))
@given(programs(max_nodes=15, ops=("matmul", "sum", "exp")))
def test_programs_use_only_the_given_ops(program):
    ops = set(program.build().op_counts()) - {"input", "constant"}
    assert ops <= {"matmul", "sum", "exp", "neg"}  # neg: the fallback when nothing fit


@settings(max_examples=examples(30))
@given(st.data())
def test_input_arrays_match_and_safe_values_stay_in_range(data):
    program = data.draw(programs(max_nodes=10))
    arrays_ = data.draw(input_arrays(program, safe=True))
    for arr, (_, shape, dtype) in zip(arrays_, program.inputs, strict=True):
        assert arr.shape == tuple(shape) and arr.dtype == np.dtype(dtype)
        assert ((arr >= SAFE_RANGE[0]) & (arr <= SAFE_RANGE[1])).all()


@given(st.data())
def test_input_arrays_bind_symbolic_dims_consistently(data):
    import eqsat_tensor as et

    g = (et.tensor("a", ("n", 2)) + et.tensor("b", ("n", 1))).graph()
    a, b = data.draw(input_arrays(g))
    assert a.shape[0] == b.shape[0]


@given(broadcastable_shapes((3, 1, 4)))
def test_broadcastable_shapes_broadcast(shape):
    np.broadcast_shapes((3, 1, 4), shape)


@given(floats("float32"))
def test_floats_are_finite_and_representable(value):
    assert np.isfinite(value) and float(np.float32(value)) == value


def test_edge_values_cover_the_hard_cases():
    for dtype in ("float32", "float64"):
        vals = edge_values(dtype)
        fi = np.finfo(dtype)
        for v in (0.0, float(fi.tiny), float(fi.smallest_subnormal), float(fi.max)):
            assert v in vals and -v in vals
        assert any(np.signbit(v) and v == 0 for v in vals)


@given(arrays((2, 3), "bool"))
def test_bool_arrays(arr):
    assert arr.dtype == np.bool_ and arr.shape == (2, 3)


def test_ops_tables_agree():
    from eqsat_tensor.testing.strategies import ALL_OPS, NUMPY_OPS

    assert set(NUMPY_OPS) < set(ALL_OPS) == {n for n, s in OPS.items() if s.kind != "leaf"}
