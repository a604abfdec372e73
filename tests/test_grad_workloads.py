"""Gradients of every benchmark workload equal ``jax.grad`` (issue #8 acceptance).

Each workload ``fn(xp, *inputs)`` is reduced to a scalar with a fixed random cotangent,
``sum(fn(*inputs) * c)``, and differentiated with respect to every input by eqsat-tensor
(reference backend, and numba for a few) and by jax (float64)."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
jnp = jax.numpy

from benchmarks.workloads import WORKLOADS, bind  # noqa: E402


def _scalar(w, xp, c):
    """``sum(w.fn(xp, *inputs) * c)`` with the workload's named parameters (jit needs
    names, not ``*args``)."""
    f = bind(w.fn, xp)

    def loss(*a):
        return xp.sum(f(*a) * c)

    loss.__signature__ = f.__signature__
    loss.__name__ = f"{w.name}_loss"
    return loss


def _small(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """The workload's quick inputs cut down to a few elements per axis (kept as they are
    when already small: their shapes may depend on each other, as attention's do)."""
    if sum(a.size for a in arrays) <= 5_000:
        return [np.ascontiguousarray(a) for a in arrays]
    out = []
    for a in arrays:
        if a.ndim == 2 and a.shape[0] == a.shape[1]:  # matmul operands
            out.append(np.ascontiguousarray(a[:8, :8]))
        elif a.ndim == 2:
            out.append(np.ascontiguousarray(a[:5, :12]))
        elif len(arrays) == 3 and arrays[0].ndim == 2 and arrays[0].shape[0] == a.shape[0] \
                and arrays[0].shape[0] == arrays[0].shape[1]:
            out.append(np.ascontiguousarray(a[:8]))  # the matmul vector
        elif arrays[0].ndim == 2:
            out.append(np.ascontiguousarray(a[:12]))  # per-column parameters of row ops
        else:
            out.append(np.ascontiguousarray(a[:64]))
    return out


@pytest.mark.parametrize("w", WORKLOADS, ids=lambda w: w.name)
def test_workload_gradient_equals_jax(w):
    args = _small(w.inputs(True))
    out_shape = np.shape(w.fn(np, *args))
    c = np.random.default_rng(1).uniform(0.5, 1.5, out_shape)
    argnums = tuple(range(len(args)))

    got = et.grad(_scalar(w, np, c), argnums=argnums, backend="numpy")(*args)
    want = jax.grad(_scalar(w, jnp, c), argnums=argnums)(*args)
    assert len(got) == len(want) == len(args)
    for name, g, h, a in zip(w.names, got, want, args):
        assert g.shape == a.shape, name
        np.testing.assert_allclose(g, np.asarray(h), rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", ["transcendental", "layer_norm", "matmul_chain"])
def test_workload_gradient_numba_equals_jax(name):
    (w,) = [w for w in WORKLOADS if w.name == name]
    args = _small(w.inputs(True))
    c = np.random.default_rng(1).uniform(0.5, 1.5, np.shape(w.fn(np, *args)))
    argnums = tuple(range(len(args)))
    got = et.grad(_scalar(w, np, c), argnums=argnums)(*args)
    want = jax.grad(_scalar(w, jnp, c), argnums=argnums)(*args)
    for g, h in zip(got, want):
        np.testing.assert_allclose(g, np.asarray(h), rtol=1e-9, atol=1e-12)
