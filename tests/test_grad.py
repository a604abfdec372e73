"""The gradient API (``et.grad``, ``et.value_and_grad``, ``et.vjp``, ``et.gradients``) and
what joint forward+backward optimization buys."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import compile as et_compile
from eqsat_tensor.errors import ShapeError, UnsupportedOperation
from eqsat_tensor.ir import Graph

NP = {"backend": "numpy"}


def logreg(w, X, y):
    z = X @ w
    return np.mean(np.log(1 + np.exp(z)) - y * z)


def mlp(W1, W2, X, y):
    h = np.tanh(X @ W1)
    return np.mean((h @ W2 - y) ** 2)


def _data(seed=0, n=40, d=4, hidden=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (rng.uniform(size=n) > 0.5).astype(np.float64)
    return rng.normal(size=d), rng.normal(size=(d, hidden)), rng.normal(size=hidden), X, y


def _fd(f, args, k, h=1e-6):
    a = args[k]
    out = np.zeros(a.shape)
    for idx in np.ndindex(a.shape):
        p = [np.array(b, dtype=np.float64, copy=True) for b in args]
        m = [np.array(b, dtype=np.float64, copy=True) for b in args]
        p[k][idx] += h
        m[k][idx] -= h
        out[idx] = (f(*p) - f(*m)) / (2 * h)
    return out


# -- the API ------------------------------------------------------------------------------

def test_grad_argnums_int_tuple_negative():
    def f(x, y):
        return np.sum(x * y + np.sin(x))

    x, y = np.linspace(-1, 1, 5), np.linspace(2, 3, 5)
    gx = et.grad(f, **NP)(x, y)
    np.testing.assert_allclose(gx, y + np.cos(x))
    gx2, gy = et.grad(f, argnums=(0, 1), **NP)(x, y)
    np.testing.assert_allclose(gx2, gx)
    np.testing.assert_allclose(gy, x)
    np.testing.assert_allclose(et.grad(f, argnums=-1, **NP)(x, y), x)
    np.testing.assert_allclose(et.grad(f, **NP)(x=x, y=y), gx)  # keyword arguments
    with pytest.raises(ValueError, match="argnums"):
        et.grad(f, argnums=2)


def test_value_and_grad():
    x = np.array([0.5, -1.0, 2.0])
    v, g = et.value_and_grad(lambda x: np.sum(np.exp(x) * x), **NP)(x)
    assert np.isclose(v, np.sum(np.exp(x) * x))
    np.testing.assert_allclose(g, np.exp(x) * (1 + x))


def test_higher_order():
    f = et.grad(et.grad(lambda x: np.sin(x) * x ** 3), **NP)
    x = 0.7
    expect = -np.sin(x) * x ** 3 + 6 * np.cos(x) * x ** 2 + 6 * x * np.sin(x)
    assert np.isclose(f(np.float64(x)), expect)
    f3 = et.grad(et.grad(et.grad(lambda x: np.exp(2 * x))), **NP)
    assert np.isclose(f3(np.float64(0.3)), 8 * np.exp(0.6))


def test_fan_out_accumulates():
    g = et.grad(lambda x: np.sum(x * x + x + np.exp(x) * x), **NP)
    x = np.array([0.1, 1.0, -2.0])
    np.testing.assert_allclose(g(x), 2 * x + 1 + np.exp(x) * (1 + x))


def test_broadcast_inputs_are_unbroadcast():
    def f(x, b, c):
        return np.sum((x + b) * c)

    x, b, c = np.ones((3, 4)), np.arange(4.0), np.full((3, 1), 2.0)
    gx, gb, gc = et.grad(f, argnums=(0, 1, 2), **NP)(x, b, c)
    assert gx.shape == (3, 4) and gb.shape == (4,) and gc.shape == (3, 1)
    np.testing.assert_allclose(gb, np.full(4, 6.0))
    np.testing.assert_allclose(gc, np.full((3, 1), np.sum(x + b, axis=1, keepdims=True)))


def test_non_scalar_output_needs_a_cotangent():
    with pytest.raises(ShapeError, match="et.vjp"):
        et.grad(lambda x: x * 2, **NP)(np.ones(3))
    x = et.tensor("x", (3,))
    with pytest.raises(ShapeError, match="scalar"):
        et.gradients(x * 2, [x])
    with pytest.raises(UnsupportedOperation, match="several outputs"):
        et.grad(lambda x: (np.sum(x), np.sum(x)), **NP)(np.ones(3))


def test_vjp_non_scalar():
    x = np.array([0.5, 1.5, 2.0])
    value, vjp_fn = et.vjp(lambda x, y: np.exp(x) * y, x, np.float64(3.0), backend="numpy")
    np.testing.assert_allclose(value, np.exp(x) * 3)
    ct = np.array([1.0, 2.0, 3.0])
    gx, gy = vjp_fn(ct)
    np.testing.assert_allclose(gx, ct * np.exp(x) * 3)
    assert np.isclose(gy, np.sum(ct * np.exp(x)))
    with pytest.raises(ShapeError):
        vjp_fn(np.ones(2))


def test_gradients_on_graphs():
    x, w = et.tensor("x", ("n",)), et.tensor("w", ())
    loss = et.sum(et.log1p(x * w))
    gx, gw = et.gradients(loss, [x, "w"])
    fn = et_compile(Graph([gx.node, gw.node], [x.node, w.node]), backend="numpy")
    xv = np.array([0.5, 1.0, 2.0])
    got_x, got_w = fn(xv, 2.0)
    np.testing.assert_allclose(got_x, 2.0 / (1 + 2 * xv))
    assert np.isclose(got_w, np.sum(xv / (1 + 2 * xv)))
    # a non-scalar output with an explicit cotangent; a graph as the output
    (gx2,) = et.gradients(Graph((x * w).node), ["x"], cotangent=np.ones(1) * 3.0)
    assert gx2.shape == ("n",)
    with pytest.raises(ValueError, match="no input named"):
        et.gradients(loss.graph(), ["z"])


# -- joint optimization -------------------------------------------------------------------

def test_softplus_gradient_is_sigmoid_and_stable():
    vg = et.value_and_grad(lambda x: np.sum(np.log(1 + np.exp(x))), **NP)
    x = np.array([-1000.0, -3.0, 0.0, 3.0, 1000.0])
    v, g = vg(x)
    ops = vg.optimized_graph(x).op_counts()
    assert "sigmoid" in ops and "softplus" in ops
    assert "exp" not in ops and "log1p" not in ops and "log" not in ops
    assert np.all(np.isfinite(g)) and np.isfinite(v)
    np.testing.assert_allclose(g, 1 / (1 + np.exp(-np.clip(x, -700, 700))), atol=1e-300)


def test_logsumexp_gradient_is_a_stable_softmax():
    A = np.random.default_rng(1).normal(size=(3, 5)) + 1000.0
    vg = et.value_and_grad(lambda A: np.sum(np.log(np.sum(np.exp(A), axis=1))), **NP)
    v, g = vg(A)
    ops = vg.optimized_graph(A).op_counts()
    assert "logsumexp" in ops
    m = A.max(axis=1, keepdims=True)
    soft = np.exp(A - m) / np.sum(np.exp(A - m), axis=1, keepdims=True)
    assert np.isfinite(v) and np.all(np.isfinite(g))
    np.testing.assert_allclose(g, soft, rtol=1e-9)


def test_exp_is_computed_once_for_value_and_gradient():
    vg = et.value_and_grad(lambda x: np.sum(np.exp(x)), **NP)
    x = np.linspace(0, 1, 4)
    v, g = vg(x)
    np.testing.assert_allclose(g, np.exp(x))
    assert vg.optimized_graph(x).op_counts()["exp"] == 1


@pytest.mark.parametrize("name", ["logreg", "mlp"])
def test_models_match_finite_differences_smaller_or_cheaper(name):
    w, W1, W2, X, y = _data()
    if name == "logreg":
        f, args, argnums = logreg, (w, X, y), (0,)
    else:
        f, args, argnums = mlp, (W1, W2, X, y), (0, 1)
    vg = et.value_and_grad(f, argnums=argnums, **NP)
    v, grads = vg(*args)
    assert np.isclose(v, f(*args))
    for k, gk in zip(argnums, grads):
        np.testing.assert_allclose(gk, _fd(f, args, k), rtol=1e-5, atol=1e-8)
    # the joint forward + backward graph gets cheaper (the measure is the cost model's, not
    # the node count: under ieee="finite" factoring that could overflow no longer fires)
    naive, optimized = len(vg.trace(*args)), len(vg.optimized_graph(*args))
    report = vg.last_report
    assert report.cost_after <= report.cost_before
    assert optimized < naive or report.cost_after < report.cost_before, (
        naive, optimized, report.cost_before, report.cost_after)


def test_numba_and_numpy_agree():
    w, _, _, X, y = _data()
    vg = et.value_and_grad(logreg)  # numba is the default backend
    v1, g1 = vg(w, X, y)
    assert vg.lower(w, X, y).executable.backend == "numba"
    assert vg.source(w, X, y).count("\ndef run(") == 1  # value and gradient: one program
    v2, g2 = et.value_and_grad(logreg, **NP)(w, X, y)
    assert np.isclose(v1, v2)
    np.testing.assert_allclose(g1, g2, rtol=1e-12)


def test_matches_jax_on_benchmark_workloads():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    w, W1, W2, X, y = _data(n=30)

    def jlogreg(w):
        z = X @ w
        return jnp.mean(jax.nn.softplus(z) - y * z)

    def jmlp(W1, W2):
        return jnp.mean((jnp.tanh(X @ W1) @ W2 - y) ** 2)

    def jtanh_layer(W):
        return jnp.sum(jnp.tanh(X @ W))

    np.testing.assert_allclose(et.grad(logreg, **NP)(w, X, y), jax.grad(jlogreg)(w),
                               rtol=1e-10)
    ours = et.grad(mlp, argnums=(0, 1), **NP)(W1, W2, X, y)
    theirs = jax.grad(jmlp, argnums=(0, 1))(W1, W2)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(
        et.grad(lambda W, X: np.sum(np.tanh(X @ W)), **NP)(W1, X), jax.grad(jtanh_layer)(W1),
        rtol=1e-10)


def test_float32_and_symbolic_vjp():
    w, X = np.ones(3, np.float32), np.ones((4, 3), np.float32)
    g = et.grad(lambda w, X: np.sum(np.tanh(X @ w)), **NP)(w, X)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, np.full(3, 4 * (1 - np.tanh(3.0) ** 2)), rtol=1e-5)
    x, c = et.tensor("x", (3,)), et.tensor("c", (3,))
    value, vjp_fn = et.vjp(lambda x: et.exp(x) * 2, x)
    (gx,) = vjp_fn(c)
    fn = et_compile(Graph([value.node, gx.node], [x.node, c.node]), backend="numpy")
    v, got = fn(np.zeros(3), np.arange(3.0))
    np.testing.assert_allclose(got, 2 * np.arange(3.0))
