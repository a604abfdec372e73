"""Backends never fail on input: outputs never alias inputs, masked arrays are refused
clearly, non-native byte order works, 1-D @ 1-D feeds elementwise ops."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.errors import DTypeError
from eqsat_tensor.ir import Graph

BACKENDS = ["numpy", "numba"]


def _identity_graphs() -> list[Graph]:
    x = et.tensor("x", (3, 2))
    return [Graph([x.node]), Graph([et.transpose(x, (1, 0)).node]),
            Graph([x.node, x.node]), Graph([et.expand_dims(x, (0,)).node])]


@pytest.mark.parametrize("backend", BACKENDS)
def test_outputs_never_alias_inputs(backend):
    a = np.arange(6.0).reshape(3, 2)
    for g in _identity_graphs():
        outs = et.compile(g, backend=backend)(a)
        outs = outs if isinstance(outs, tuple) else (outs,)
        for k, out in enumerate(outs):
            assert not np.shares_memory(out, a)
            assert all(not np.shares_memory(out, o) for o in outs[:k])
            out[...] = -1.0  # writable, and writing it leaves the input alone
        np.testing.assert_array_equal(a, np.arange(6.0).reshape(3, 2))


@pytest.mark.parametrize("backend", BACKENDS)
def test_optimized_identities_do_not_return_the_input(backend):
    f = et.jit(lambda x: np.negative(np.negative(x * 1.0)) + 0.0, backend=backend)
    a = np.linspace(0, 1, 5)
    out = f(a)
    np.testing.assert_array_equal(out, a)
    assert not np.shares_memory(out, a)


@pytest.mark.parametrize("backend", BACKENDS)
def test_masked_arrays_are_refused(backend):
    a = np.ma.masked_array([1.0, 1e6, 3.0], mask=[False, True, False])
    x = et.tensor("x", (3,))
    with pytest.raises(DTypeError, match="masked"):
        et.compile(Graph([(x * x).node]), backend=backend)(a)
    with pytest.raises(DTypeError, match="masked"):
        et.jit(lambda v: np.sum(v * v), backend=backend)(a)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [">f8", ">f4"])
def test_non_native_byte_order(backend, dtype):
    a = np.linspace(-1, 1, 7).astype(dtype)
    native = a.astype(a.dtype.newbyteorder("="))
    want = np.exp(native) * 2.0
    f = et.jit(lambda v: np.exp(v) * 2.0, backend=backend)
    np.testing.assert_allclose(f(a), want, rtol=1e-6)
    x = et.tensor("x", (7,), dtype="float64")
    exe = et.compile(Graph([(et.exp(x) * 2.0).node]), backend=backend)
    np.testing.assert_allclose(exe(a), np.exp(native.astype(np.float64)) * 2.0, rtol=1e-6)


@pytest.mark.parametrize("backend", BACKENDS)
def test_vector_dot_then_elementwise(backend):
    f = et.jit(lambda u, v: np.exp(u @ v) + u * 2.0, backend=backend)
    u, v = np.linspace(0, 1, 4), np.linspace(1, 0, 4)
    np.testing.assert_allclose(f(u, v), np.exp(u @ v) + u * 2.0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_np_dot_of_vectors_matches_numpy(backend, dtype):
    """``np.dot`` of two 1-D arrays is a 0-d result of the operands' dtype, as in NumPy,
    alone and feeding arithmetic (a scalar times a vector, a division, a sqrt)."""
    u = np.array([0.5, -2.0, 3.0, 1e-3], dtype=dtype)
    v = np.array([4.0, 0.25, -1.0, 2.0], dtype=dtype)
    fns = [lambda a, b: np.dot(a, b),
           lambda a, b: np.dot(a, b) * a - b,
           lambda a, b: np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)),
           lambda a, b: a.dot(b) + 1.0]
    for fn in fns:
        want = fn(u, v)
        got = np.asarray(et.jit(fn, backend=backend)(u, v))
        assert got.shape == np.shape(want)
        assert got.dtype == np.asarray(want).dtype
        np.testing.assert_allclose(got, want, rtol=1e-6 if dtype == "float32" else 1e-13)
