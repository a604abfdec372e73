"""Importers of indexing and joins (issue 18): PyTensor ``Subtensor``,
``AdvancedSubtensor(1)``, ``Join``, ``Split``, ``AdvancedIncSubtensor(1)`` (a gather's
gradient) and JAX ``slice``, ``rev``, ``dynamic_slice``, ``gather`` (the forms ``jnp``
indexing emits), ``concatenate``, ``stack``, ``split``: each imported graph computes what
the library computes."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et

XV = np.random.default_rng(0).standard_normal((4, 5))
YV = np.random.default_rng(1).standard_normal((4, 5))


def _pt_cases(pt, pytensor, x, y):
    return {
        "basic": x[1:, ::-1] + x[-1], "int": x[0] * x[:, 2].sum(),
        "rows": x[[0, 2, 2]], "cols": x[:, [0, -1]], "pairs": x[[0, 1], [1, 2]],
        "join_axis1": pt.concatenate([x, y], axis=1),
        "join_used": pt.exp(pt.concatenate([x, y], axis=0)) * 2.0,
        "split": pt.split(x, [1, 3], n_splits=2, axis=0)[1], "stack": pt.stack([x, y]),
        "newaxis": x[None, 1:], "grad": pytensor.grad(pt.exp(x[[0, 0, 1]]).sum(), x),
    }


@pytest.mark.parametrize("name", ["basic", "int", "rows", "cols", "pairs", "join_axis1",
                                  "join_used", "split", "stack", "newaxis", "grad"])
def test_pytensor_indexing_imports(name):
    pytensor = pytest.importorskip("pytensor")
    pt = pytest.importorskip("pytensor.tensor")
    from eqsat_tensor.interop.pytensor_io import from_pytensor

    x, y = pt.matrix("x", shape=(4, 5)), pt.matrix("y", shape=(4, 5))
    e = _pt_cases(pt, pytensor, x, y)[name]
    want = pytensor.function([x, y], e, on_unused_input="ignore")(XV, YV)
    got = et.compile(from_pytensor(e, inputs=[x, y]), backend="numpy")(XV, YV)
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_pytensor_compiled_gather_gradient_and_int_index_input():
    pytensor = pytest.importorskip("pytensor")
    pt = pytest.importorskip("pytensor.tensor")
    from eqsat_tensor.interop.pytensor_io import from_pytensor

    x = pt.matrix("x", shape=(4, 5))
    f = pytensor.function([x], pytensor.grad(pt.exp(x[[0, 0, 1]]).sum(), x))
    kinds = {type(n.op).__name__ for n in f.maker.fgraph.apply_nodes}
    assert kinds & {"AdvancedIncSubtensor1", "AdvancedIncSubtensor"}
    g = from_pytensor(f.maker.fgraph)
    assert "scatter_add" in g.op_counts()
    np.testing.assert_allclose(et.compile(g, backend="numpy")(XV), f(XV), rtol=1e-12)
    i = pt.lvector("i")
    g = from_pytensor(x[i].sum(axis=1), inputs=[x, i])
    got = et.compile(g, backend="numba")(XV, np.array([3, 1, -1]))
    np.testing.assert_allclose(got, XV[[3, 1, -1]].sum(axis=1), rtol=1e-12)


JAX_CASES = {
    "cols": lambda jnp, lax, x: x[:, 1:], "row": lambda jnp, lax, x: x[0],
    "rev_step": lambda jnp, lax, x: x[::-1, ::2],
    "rows_idx": lambda jnp, lax, x: x[jnp.array([0, 2, -1])],
    "cols_idx": lambda jnp, lax, x: x[:, jnp.array([1, -1])],
    "take": lambda jnp, lax, x: jnp.take(x, jnp.array([1, 2]), axis=1),
    "concat": lambda jnp, lax, x: jnp.exp(jnp.concatenate([x, x])),
    "elem": lambda jnp, lax, x: x[1, 2] * x,
    "along": lambda jnp, lax, x: jnp.take_along_axis(x, jnp.array([[0], [1], [2], [3]]), 1),
    "pairs": lambda jnp, lax, x: x[jnp.array([0, 1]), jnp.array([1, 2])],
    "dynamic_slice": lambda jnp, lax, x: lax.dynamic_slice(x, (1, 2), (2, 2)),
    "idx2d": lambda jnp, lax, x: x[jnp.array([[0, 1], [2, 3]])],
    "newaxis_cols": lambda jnp, lax, x: x[None, :, jnp.array([0, 4])],
    "stack": lambda jnp, lax, x: jnp.stack([x, 2 * x], axis=1),
    "split": lambda jnp, lax, x: jnp.split(x, [2], axis=1)[1],
}


@pytest.mark.parametrize("name", sorted(JAX_CASES))
def test_jax_indexing_imports(name):
    jax = pytest.importorskip("jax")
    from eqsat_tensor.interop.jax_io import from_jax

    def f(x):
        return JAX_CASES[name](jax.numpy, jax.lax, x)

    got = et.compile(from_jax(f, XV), backend="numpy")(XV)
    with jax.enable_x64(True):
        want = np.asarray(jax.jit(f)(XV))
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_jax_gather_with_traced_indices_is_named():
    pytest.importorskip("jax")
    from eqsat_tensor.interop.jax_io import from_jax

    with pytest.raises(et.UnsupportedError, match="gather|convert_element_type"):
        from_jax(lambda x, i: x[i.astype(int)], XV, np.array([0.0, 1.0]))
