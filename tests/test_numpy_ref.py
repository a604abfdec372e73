"""The reference backend agrees with plain NumPy, op by op and on random graphs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

import eqsat_tensor as et
from eqsat_tensor.backends import get_backend, numpy_ref
from eqsat_tensor.errors import BackendError, DTypeError, ShapeError
from eqsat_tensor.ir import OPS
from eqsat_tensor.testing import examples
from eqsat_tensor.testing.strategies import programs_with_inputs


def _assert_same(got: np.ndarray, want: np.ndarray) -> None:
    want = np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    tol = 1e-5 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=tol, atol=0, equal_nan=True)


@settings(max_examples=examples(60))
@given(programs_with_inputs(max_nodes=50))
def test_reference_equals_numpy_on_random_graphs(case):
    program, arrays = case
    got = numpy_ref.evaluate(program.build(), arrays)
    for g, w in zip(got, program.run_numpy(arrays), strict=True):
        _assert_same(g, w)


@settings(max_examples=examples(30))
@given(programs_with_inputs(max_nodes=30, safe=True, allow_empty=False))
def test_reference_equals_numpy_in_the_safe_domain(case):
    program, arrays = case
    got = et.compile(program.build(), backend="numpy")(*arrays)
    got = got if isinstance(got, tuple) else (got,)
    for g, w in zip(got, program.run_numpy(arrays), strict=True):
        _assert_same(g, w)


# ops that NumPy has too (the op table names its function)
UNARY = [n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 1 and not s.attrs
         and s.name_in("numpy")]
BINARY = [n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 2]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_each_unary_op(op, dtype):
    x = np.linspace(-3, 3, 13).astype(dtype)
    fn = getattr(np, OPS[op].name_in("numpy")[0])
    (got,) = numpy_ref.evaluate(getattr(et, {"neg": "negative"}.get(op, op))(
        et.tensor("x", (13,), dtype)).graph(), [x])
    with np.errstate(all="ignore"):
        _assert_same(got, fn(x))


@pytest.mark.parametrize("op", BINARY)
def test_each_binary_op_broadcasting(op):
    a, b = np.linspace(-2, 2, 6).reshape(2, 3), np.array([0.5, -1.0, 2.0])
    fn = getattr(np, {"sub": "subtract", "mul": "multiply", "div": "divide",
                      "pow": "power"}.get(op, op))
    builder = getattr(et, {"pow": "power"}.get(op, op))
    g = builder(et.tensor("a", (2, 3)), et.tensor("b", (3,))).graph()
    with np.errstate(all="ignore"):
        _assert_same(numpy_ref.evaluate(g, [a, b])[0], fn(a, b))


def test_stable_definitions_of_sigmoid_softplus_logsumexp():
    x = et.tensor("x", (4,))
    v = np.array([-1000.0, -1.0, 0.0, 1000.0])
    sig, sp, lse = numpy_ref.evaluate(
        et.Graph([et.sigmoid(x).node, et.softplus(x).node, et.logsumexp(x).node]), [v])
    np.testing.assert_allclose(sig, [0.0, 1 / (1 + np.e), 0.5, 1.0])
    np.testing.assert_allclose(sp, [0.0, np.log1p(np.exp(-1.0)), np.log(2), 1000.0])
    np.testing.assert_allclose(lse, 1000.0)
    (empty,) = numpy_ref.evaluate(et.logsumexp(et.tensor("e", (0,))).graph(), [np.zeros(0)])
    assert empty == -np.inf


def test_symbolic_dims_bind_consistently():
    x, y = et.tensor("x", ("n", 3)), et.tensor("y", ("n",))
    fn = et.compile(et.sum(x, axis=1) * y, backend="numpy")
    np.testing.assert_allclose(fn(np.ones((4, 3)), np.arange(4.0)), 3 * np.arange(4.0))
    with pytest.raises(ShapeError, match="dim 'n' is 5 here but 4"):
        fn(np.ones((4, 3)), np.ones(5))
    with pytest.raises(ShapeError, match=r"expects shape \(n, 3\), got \(4, 2\)"):
        fn(np.ones((4, 2)), np.ones(4))


def test_binding_errors_name_the_input():
    fn = et.compile(et.tensor("x", (2,), "float32") * 2, backend="numpy")
    with pytest.raises(DTypeError, match="'x' expects float32, got float64"):
        fn(np.ones(2))
    with pytest.raises(TypeError, match="missing argument"):
        fn()
    with pytest.raises(TypeError, match="unexpected argument 'z'"):
        fn(z=np.ones(2))
    assert fn(np.ones(2, np.float32)).dtype == np.float32


def test_symbolic_reshape_and_broadcast_use_bound_dims():
    x = et.tensor("x", ("n", 1))
    g = et.broadcast_to(x, ("n", 3)).reshape("n", 3, 1).graph()
    (out,) = numpy_ref.compile(g).run([np.arange(2.0).reshape(2, 1)], {"n": 2})
    assert out.shape == (2, 3, 1)


def test_unknown_backend_is_a_backend_error():
    with pytest.raises(BackendError, match="unknown backend"):
        get_backend("fortran")
