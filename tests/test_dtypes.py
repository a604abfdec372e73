"""bool and integer arrays as first-class ``et.jit`` arguments and results, with NumPy 2's
promotion rules (Python scalars weak), on the NumPy and Numba backends; and the backends'
argument checks for integer inputs."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et

BACKENDS = ["numpy", "numba"]
RNG = np.random.default_rng(11)
I32 = RNG.integers(-20, 20, size=(3, 4)).astype(np.int32)
I64 = RNG.integers(-20, 20, size=(3, 4)).astype(np.int64)
B = RNG.normal(size=(3, 4)) > 0
F64 = RNG.normal(size=(3, 4))
F64[0, 0], F64[1, 1], F64[2, 2] = np.nan, np.inf, -0.0
F32 = RNG.normal(size=(3, 4)).astype(np.float32)


def _same(got, want):
    assert type(got) is type(want), (type(got), type(want))
    g, w = np.asarray(got), np.asarray(want)
    assert g.dtype == w.dtype, (g.dtype, w.dtype)
    assert g.shape == w.shape
    if w.dtype.kind == "f":
        np.testing.assert_allclose(g, w, rtol=1e-6 if w.dtype == np.float32 else 1e-13)
        assert np.array_equal(np.isnan(g), np.isnan(w))
    else:
        np.testing.assert_array_equal(g, w)


CASES = {
    # arithmetic and NumPy 2 promotion
    "i32+i64": (lambda a, b: a + b, (I32, I64)),
    "i32+i32": (lambda a, b: a * b - a, (I32, I32)),
    "i32+pyint": (lambda a: a + 3, (I32,)),
    "i64+pyfloat": (lambda a: a + 0.5, (I64,)),
    "i32*f32": (lambda a, b: a * b, (I32, F32)),
    "i/i": (lambda a, b: a / b, (I64, I32)),
    "f32*2.0": (lambda a: a * 2.0, (F32,)),
    "f32 default slope": (lambda a, slope=0.01: np.where(a > 0, a, slope * a), (F32,)),
    "bool+int": (lambda m, a: m + a, (B, I32)),
    "bool*float": (lambda m, x: m * x, (B, F64)),
    "int max/min": (lambda a, b: np.maximum(a, b) - np.minimum(a, 1), (I32, I64)),
    "abs neg": (lambda a: -np.abs(a), (I32,)),
    "int floor_divide": (lambda a, b: (a // b, a % b), (I64, I32)),
    "sign int": (lambda a: np.sign(a), (I64,)),
    # comparisons, logic
    "compare": (lambda a, x: (a > 3, x <= 0.0, a == 2), (I32, F64)),
    "and or not": (lambda m, x: (m & (x > 0)) | ~m, (B, F64)),
    "logical": (lambda m, x: (np.logical_and(m, x > 0), np.logical_or(m, x), np.logical_xor(
        m, x < 0), np.logical_not(m)), (B, F64)),
    "isnan isinf isfinite": (lambda x: (np.isnan(x), np.isinf(x), np.isfinite(x)), (F64,)),
    "any all": (lambda m, x: (np.any(m), np.all(x > -5, axis=0), m.any(axis=1, keepdims=True)),
                (B, F64)),
    "where bool cond": (lambda m, x, a: (np.where(m, x, 0.0), np.where(m, a, -1)), (B, F64, I32)),
    # reductions and results
    "sum int": (lambda a: (np.sum(a), a.sum(axis=0), np.prod(a[..., None], axis=-1)), (I32,)),
    "max int": (lambda a: (np.max(a, axis=1), a.min()), (I32,)),
    "mean int": (lambda a: np.mean(a, axis=0), (I64,)),
    "sum bool": (lambda m: (np.sum(m), np.count_nonzero(m, axis=0)), (B,)),
    "sum float scalar": (lambda x: np.sum(x), (F64,)),
    "int passthrough": (lambda a: a, (I32,)),
    "int transposed": (lambda a: a.T, (I64,)),
    # astype
    "astype": (lambda x, a: (x.astype(np.int64), x.astype(np.int32) + 1, a.astype(np.float32),
                             a.astype(bool), (x > 0).astype(np.int32)), (F32, I64)),
    "exp of int": (lambda a: np.exp(a / 10), (I32,)),
    "std ddof": (lambda x: (np.std(x, ddof=1), np.var(x, axis=0, ddof=1),
                            x.std(axis=1, ddof=2)), (RNG.normal(size=(5, 4)),)),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_dtypes_match_numpy(backend, name):
    fn, args = CASES[name]
    with np.errstate(all="ignore"):
        want = fn(*args)
        got = et.jit(fn, backend=backend)(*args)
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same(g, w)
    else:
        _same(got, want)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fmax_ignores_nan_like_numpy(backend):
    x = np.array([1.0, np.nan, -2.0, np.nan])
    y = np.array([np.nan, 3.0, -5.0, np.nan])
    _same(et.jit(lambda a: np.fmax(a, np.nan), backend=backend)(x), np.fmax(x, np.nan))
    _same(et.jit(lambda a, b: np.fmin(a, b), backend=backend)(x, y), np.fmin(x, y))


@pytest.mark.parametrize("backend", BACKENDS)
def test_compiled_graph_checks_integer_inputs(backend):
    a = et.tensor("a", (3,), "int32")
    graph = et.cast(a, "float64") * 2.0
    fn = et.compile(graph, backend=backend)
    np.testing.assert_array_equal(fn(np.array([1, 2, 3], np.int32)), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(fn(np.array([1, 2, 3], np.int16)), [2.0, 4.0, 6.0])
    with pytest.raises(et.DTypeError, match="expects int32, got int64"):
        fn(np.array([1, 2, 3], np.int64))
    with pytest.raises(et.DTypeError, match="expects int32, got float64"):
        fn(np.array([1.0, 2.0, 3.0]))


def test_integer_ops_need_a_cast_in_the_ir():
    from eqsat_tensor.ir import apply, input_node

    with pytest.raises(et.DTypeError, match="cast"):
        apply("exp", input_node("a", (3,), "int64"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_builder_integer_tensors(backend):
    a = et.tensor("a", ("n",), "int32")
    b = et.tensor("b", ("n",), "int64")
    fn = et.compile(et.as_graph([a + b, a * 2, et.exp(a / 4)]), backend=backend)
    x, y = np.array([1, -2, 3], np.int32), np.array([5, 6, -7])
    for got, want in zip(fn(x, y), (x + y, x * 2, np.exp(x / 4))):
        _same(got, want)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_python_values_returned_as_they_are_keep_numpy_types(backend):
    """A Python number or bool a traced function returns (a branch on the size, a count)
    keeps the type NumPy's caller sees: a float is float64 and an int int64 beside float32
    inputs, a bool stays bool; an int beyond what float64 holds exactly is refused."""
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    cases = {
        "float": lambda x: 0.0,
        "int": lambda x: 3,
        "bool": lambda x: True,
        "mixed": lambda x: (x.sum(), 2.5, x.size, x > 0, False),
    }
    for name, fn in cases.items():
        want = fn(x)
        got = et.jit(fn, backend=backend)(x)
        want_t, got_t = (want, got) if isinstance(want, tuple) else ((want,), (got,))
        assert len(got_t) == len(want_t), name
        for w, g in zip(want_t, got_t):
            assert np.asarray(g).dtype == np.asarray(w).dtype, (name, w, g)
            assert np.array_equal(np.asarray(g), np.asarray(w)), (name, w, g)
    with pytest.raises(et.UnsupportedOperation, match="integer constant"):
        et.jit(lambda x: 2 ** 60, backend=backend)(x)
