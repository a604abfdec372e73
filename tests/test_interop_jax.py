"""jaxpr import of typical workloads gives JAX's values; to_jax runs graphs on XLA."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.errors import UnsupportedOperation

jax = pytest.importorskip("jax")
jnp = jax.numpy
RNG = np.random.default_rng(0)


def softplus(x):
    return jnp.log(1 + jnp.exp(x))


def logsumexp_rows(x):
    return jax.nn.logsumexp(x, axis=1)


def layer_norm(x, g, b):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / jnp.sqrt(v + 1e-5) * g + b


def mlp_loss(x, W1, b1, W2, y):
    h = jnp.tanh(x @ W1 + b1)
    logits = h @ W2
    return jnp.mean(jax.nn.logsumexp(logits, axis=1) - jnp.sum(logits * y, axis=1))


def polynomial(x):
    return 3 * x ** 3 - 2 * x ** 2 + x - 7 + x ** -2


def activations(x):
    return jax.nn.softplus(x) + jax.nn.sigmoid(x) * jnp.where(x > 0, x, 0.1 * x)


def attention_scores(q, k):
    s = q @ k.T / jnp.sqrt(4.0)
    return jax.nn.softmax(s, axis=-1)


def batched(a, b):
    return jnp.einsum("bij,bjk->bik", a, b).sum(axis=0) + jnp.clip(a, -0.5, 0.5).max()


WORKLOADS = [
    (softplus, [RNG.normal(size=7)]),
    (logsumexp_rows, [RNG.normal(size=(4, 5))]),
    (layer_norm, [RNG.normal(size=(4, 6)), RNG.normal(size=6), RNG.normal(size=6)]),
    (mlp_loss, [RNG.normal(size=(8, 3)), RNG.normal(size=(3, 5)), RNG.normal(size=5),
                RNG.normal(size=(5, 4)), np.eye(4)[RNG.integers(0, 4, 8)]]),
    (polynomial, [RNG.uniform(1, 2, size=5)]),
    (activations, [RNG.normal(size=5)]),
    (attention_scores, [RNG.normal(size=(3, 4)), RNG.normal(size=(5, 4))]),
    (batched, [RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))]),
]


@pytest.mark.parametrize("fn,args", WORKLOADS, ids=[w[0].__name__ for w in WORKLOADS])
def test_jaxpr_import_gives_jax_values(fn, args):
    graph = et.from_jax(fn, *args)
    with jax.enable_x64(True):
        want = np.asarray(fn(*args))
        back = np.asarray(jax.jit(et.to_jax(graph))(*args))
    got = evaluate(graph, args)[0]
    assert got.shape == want.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(back, want, rtol=1e-12, atol=1e-12)


def test_names_dtypes_and_pytrees():
    g = et.from_jax(lambda x, params: x * params["w"] + params["b"],
                    np.ones(3, np.float32), {"b": np.ones(3, np.float32),
                                             "w": np.ones(3, np.float32)})
    assert g.input_names == ("x", "params_0", "params_1")
    assert all(i.dtype == "float32" for i in g.inputs) and g.outputs[0].dtype == "float32"


def test_unsupported_primitives_are_listed_by_name():
    with pytest.raises(UnsupportedOperation, match="bessel_i0e, erf_inv"):
        et.from_jax(lambda x: jax.lax.bessel_i0e(x) + jax.lax.erf_inv(x), np.ones(3))
    g = et.from_jax(lambda x: jnp.ceil(x) + jnp.floor(x), np.ones(3))
    assert str(g).count("ceil(") == 1 and str(g).count("floor(") == 1


def test_gammaln_and_digamma_import():
    x = np.array([0.3, 1.5, 4.0, 25.0])
    f = lambda v: jax.scipy.special.gammaln(v) * jax.scipy.special.digamma(v)  # noqa: E731
    g = et.from_jax(f, x)
    special = pytest.importorskip("scipy.special")
    np.testing.assert_allclose(et.compile(g, backend="numpy")(x),
                               special.gammaln(x) * special.psi(x), rtol=1e-13)


def test_dead_code_is_skipped():
    def fn(x):
        _ = jnp.floor(x)  # unused: no error
        return x + 1

    assert str(et.from_jax(fn, np.ones(2))) == "x + 1"


def test_to_jax_symbolic_dims_and_keywords():
    x = et.tensor("x", shape=("n", 3))
    g = et.as_graph(et.broadcast_to(et.sum(x, axis=1, keepdims=True), ("n", 3)) * 2)
    f = et.to_jax(g)
    a = RNG.normal(size=(4, 3))
    with jax.enable_x64(True):
        np.testing.assert_allclose(np.asarray(f(x=a)), np.repeat(a.sum(1, keepdims=True) * 2,
                                                                  3, axis=1))


NN_FUNCTIONS = {
    "gelu_tanh": jax.nn.gelu,
    "gelu_erf": lambda v: jax.nn.gelu(v, approximate=False),
    "log_softmax": lambda v: jax.nn.log_softmax(v, axis=-1),
    "logsumexp": lambda v: jax.scipy.special.logsumexp(v, axis=0),
    "softplus_silu": lambda v: jax.nn.softplus(v) - jax.nn.silu(v),
    "special": lambda v: jax.scipy.special.erfc(v) + jax.lax.lgamma(v + 3.0)
    * jax.lax.digamma(v + 3.0),
    "select_pow_max_cast": lambda v: jnp.where(v > 0, v ** 3, v.astype(jnp.float32)
                                               .astype(jnp.float64)) + jnp.max(v, axis=0),
}


@pytest.mark.parametrize("name", list(NN_FUNCTIONS))
def test_jax_nn_and_special_functions_import_and_match(name):
    """custom_jvp/pjit wrappers import as their primal; to_jax gives a jit-able function."""
    fn = NN_FUNCTIONS[name]
    x = RNG.normal(size=(5, 3)) * 2
    graph = et.from_jax(fn, x)
    with jax.enable_x64(True):
        want = np.asarray(fn(x))
        back = np.asarray(jax.jit(et.to_jax(graph))(x))
    np.testing.assert_allclose(evaluate(graph, [x])[0], want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(back, want, rtol=1e-12, atol=1e-14)


# -- more jax.numpy / jax.nn / jax.scipy functions users pass (clients) -----------------------
MORE_FUNCTIONS = {
    "relu6_elu_selu": lambda v: jax.nn.relu6(v) + jax.nn.elu(v) * jax.nn.selu(v),
    "softmax_log_sigmoid": lambda v: jax.nn.softmax(v, axis=-1) + jax.nn.log_sigmoid(v),
    "mish_swish_celu": lambda v: jax.nn.mish(v) - jax.nn.swish(v) + jax.nn.celu(v),
    "glu_standardize": lambda v: jax.nn.glu(v[:, :2], axis=-1).sum() + jax.nn.standardize(v, axis=-1),
    "cumsum_cumprod": lambda v: jnp.cumsum(v, axis=0) + jnp.cumprod(v, axis=1),
    "argmax_sort": lambda v: jnp.argmax(v, axis=1) + jnp.sort(v, axis=1)[:, 0],
    "gather_take_stack": lambda v: jnp.stack([v[jnp.array([0, 2, 2, 4])].sum(0),
                                              jnp.take(v, jnp.array([1, 2, 3]), axis=0)[0]]),
    "roll_flip_pad": lambda v: jnp.pad(jnp.roll(v, 1, axis=0) + jnp.flip(v, 1), 1),
    "round_floor_mod": lambda v: jnp.round(v) + jnp.floor(v) + jnp.mod(v, 1.5),
    "one_hot_tril": lambda v: jax.nn.one_hot(jnp.array([0, 2, 1]), 3) @ jnp.tril(v[:3]),
    "stats_logpdf": lambda v: jax.scipy.stats.norm.logpdf(v, 0.5, 2.0)
    + jax.scipy.stats.poisson.logpmf(3, jnp.exp(v)),
    "xlogy_hypot": lambda v: jax.scipy.special.xlogy(jnp.abs(v), jnp.abs(v) + 1)
    + jnp.hypot(v, 1.0) + jnp.arctan2(v, 2.0),
}


@pytest.mark.parametrize("name", list(MORE_FUNCTIONS))
def test_more_jax_functions_import_and_match(name):
    """Scans, sorts, gathers, padding, rounding and logic import; ``to_jax`` runs them."""
    fn = MORE_FUNCTIONS[name]
    x = np.random.default_rng(4).normal(size=(5, 3)) * 2
    graph = et.from_jax(fn, x)
    with jax.enable_x64(True):
        want = np.asarray(fn(x))
        back = np.asarray(jax.jit(et.to_jax(graph))(x))
    np.testing.assert_allclose(evaluate(graph, [x])[0], want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(back, want, rtol=1e-12, atol=1e-14)
