"""Builder and NumPy tracer give the same graphs; ``@et.jit`` traces once per signature."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import eqsat_tensor as et
from eqsat_tensor.jit import JitFunction
from eqsat_tensor.testing import examples
from eqsat_tensor.testing.strategies import ALL_OPS, programs


@settings(max_examples=examples(100))
@given(programs(max_nodes=50))
def test_random_programs_builder_equals_tracer(program):
    built = program.build()
    traced = program.trace()
    assert traced == built, f"{program}\nbuilt:\n{built}\ntraced:\n{traced}"
    assert traced.fingerprint() == built.fingerprint()
    assert len(built) <= 50


@settings(max_examples=examples(25))
@given(programs(max_nodes=30, ops=ALL_OPS, dtypes=("float32",), allow_empty=False))
def test_random_programs_with_builder_only_ops(program):
    assert program.trace() == program.build()


def _graph(fn, *arrays):
    return JitFunction(fn, backend="numpy", optimize=False).trace(*arrays)


def test_numpy_code_traces_to_builder_graph():
    xv, yv = np.ones((4, 3)), np.ones(3)

    def f(x, y):
        return np.log(1 + np.exp(x)) * y - np.maximum(x, 0.0)

    x, y = et.tensor("x", (4, 3)), et.tensor("y", (3,))
    expected = et.log(1 + et.exp(x)) * y - et.maximum(x, 0.0)
    assert _graph(f, xv, yv) == et.Graph(expected.node, [x.node, y.node])


@pytest.mark.parametrize("numpy_fn, builder_fn", [
    (lambda a, b: np.sum(a, axis=1), lambda a, b: et.sum(a, axis=1)),
    (lambda a, b: a.sum(), lambda a, b: et.sum(a)),
    (lambda a, b: a.mean(axis=(0, 1), keepdims=True), lambda a, b: et.mean(a, (0, 1), True)),
    (lambda a, b: np.max(a, axis=-1), lambda a, b: et.max(a, axis=1)),
    (lambda a, b: np.add.reduce(a, axis=0), lambda a, b: et.sum(a, axis=0)),
    (lambda a, b: a @ b, lambda a, b: et.matmul(a, b)),
    (lambda a, b: np.dot(a, b), lambda a, b: et.matmul(a, b)),
    (lambda a, b: a.T, lambda a, b: et.transpose(a)),
    (lambda a, b: np.transpose(a, (1, 0)), lambda a, b: et.transpose(a)),
    (lambda a, b: a[None, :, None], lambda a, b: et.expand_dims(a, (0, 2))),
    (lambda a, b: a.reshape(-1), lambda a, b: et.reshape(a, (12,))),
    (lambda a, b: np.where(a > 1, a, -a), lambda a, b: et.where(a > 1, a, -a)),
    (lambda a, b: np.clip(a, 0, 1), lambda a, b: et.minimum(et.maximum(a, 0.0), 1.0)),
    (lambda a, b: 2 ** a, lambda a, b: et.power(2.0, a)),
    (lambda a, b: abs(a) ** 0.5, lambda a, b: et.power(et.abs(a), 0.5)),
    (lambda a, b: np.var(a, axis=0), lambda a, b: et.var(a, axis=0)),
    (lambda a, b: np.broadcast_to(b, (4, 3, 2)), lambda a, b: et.broadcast_to(b, (4, 3, 2))),
    (lambda a, b: a.astype(np.float32), lambda a, b: et.cast(a, "float32")),
    (lambda a, b: a * np.array([1.0, 2.0, 3.0]), lambda a, b: a * et.constant([1.0, 2.0, 3.0])),
    (lambda a, b: a + np.float64(1.5), lambda a, b: a + 1.5),
])
def test_numpy_spellings(numpy_fn, builder_fn):
    av, bv = np.ones((4, 3)), np.ones((3, 2))
    a, b = et.tensor("a", (4, 3)), et.tensor("b", (3, 2))
    assert _graph(numpy_fn, av, bv) == et.Graph(builder_fn(a, b).node, [a.node, b.node])


def test_python_scalars_and_numpy_constants_are_captured():
    def f(x):
        return x * 2 + np.pi - np.float32(0.5) + np.array(3.0)

    g = _graph(f, np.ones(3, np.float32))
    consts = sorted(n.value for n in g.nodes() if n.op == "constant")
    assert consts == pytest.approx([0.5, 2.0, 3.0, np.pi])
    assert g.outputs[0].dtype == "float64"  # np.array(3.0) is float64 and strong (NEP 50)


def test_jit_traces_once_per_signature():
    calls = []

    @et.jit(backend="numpy")
    def f(x, y):
        calls.append(1)
        return np.exp(x) * y

    a, b = np.ones((2, 3)), np.full(3, 2.0)
    assert np.allclose(f(a, b), np.e * 2)
    f(a + 1, b)
    assert len(calls) == 1  # same signature: cached
    f(np.ones((5, 3)), b)
    assert len(calls) == 1  # a new batch size: same shape class, no new trace
    f(a.astype(np.float32), b.astype(np.float32))
    assert len(calls) == 2  # new dtypes
    f(np.asfortranarray(a), b)
    f(np.asfortranarray(a * 2), b)
    assert len(calls) == 3  # a C and an F layout of the same shape are two signatures
    assert "signatures" in repr(f)


def test_jit_keyword_and_positional_calls_agree():
    @et.jit(backend="numpy")
    def f(x, y, scale=2.0):
        return np.log1p(x * y) * scale

    a, b = np.linspace(0, 1, 5), np.linspace(1, 2, 5)
    want = np.log1p(a * b) * 2.0
    np.testing.assert_allclose(f(a, b), want)
    np.testing.assert_allclose(f(x=a, y=b), want)
    np.testing.assert_allclose(f(a, y=b), want)
    np.testing.assert_allclose(f(y=b, x=a), want)
    np.testing.assert_allclose(f(a, b, 3.0), np.log1p(a * b) * 3.0)


def test_jit_multiple_outputs_and_trace_access():
    @et.jit(backend="numpy")
    def f(x):
        return np.sum(x), np.exp(x)

    x = np.arange(3.0)
    s, e = f(x)
    assert s == 3.0 and np.allclose(e, np.exp(x))
    g = f.trace(x)
    assert len(g.outputs) == 2 and g.input_names == ("x",)
    assert f.optimized_graph(x) is not None
    assert "backend" in f.source(x) or f.source(x).startswith("#")


def test_jit_converts_python_lists_and_ints():
    @et.jit(backend="numpy")
    def f(x):
        return x * 2

    np.testing.assert_allclose(f([1, 2, 3]), [2.0, 4.0, 6.0])


def test_compile_by_name_and_position():
    x, y = et.tensor("x", ("n",)), et.tensor("y", ("n",))
    fn = et.compile(et.exp(x) - y, backend="numpy")
    a, b = np.arange(3.0), np.ones(3)
    np.testing.assert_allclose(fn(a, b), np.exp(a) - b)
    np.testing.assert_allclose(fn(y=b, x=a), np.exp(a) - b)
