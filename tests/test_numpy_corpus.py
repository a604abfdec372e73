"""A corpus of ordinary scientific NumPy / SciPy functions (losses, normalizations,
statistics, small models) run through ``et.jit`` on the NumPy and Numba backends.

Each function must either give NumPy's answer (values, dtype, and a NumPy scalar where
NumPy returns one) or raise ``UnsupportedOperation`` naming what is unsupported and a line
of the function itself; never a wrong answer or a traceback from inside the tracer.

``DEVELOPMENT`` was used while building the tracer; ``HELD_OUT`` was written at the same
time and only run at the end, to measure how well the mechanism generalizes. Run this
file as a script to print the pass rate of each part on each backend.
"""

from __future__ import annotations

import inspect
import sys

import numpy as np
import pytest
import scipy.special
from breadth_corpus import names_a_user_line
from scipy.special import expit, log_softmax, logsumexp

import eqsat_tensor as et
from eqsat_tensor.errors import UnsupportedOperation

# -- development set ---------------------------------------------------------------------------


def mse(y, t):
    return np.mean((y - t) ** 2)


def mae(y, t):
    return np.mean(np.abs(y - t))


def huber(y, t, delta=1.0):
    r = y - t
    return np.mean(np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - 0.5 * delta)))


def binary_cross_entropy(p, t):
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))


def bce_with_logits(z, t):
    return np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))


def cross_entropy(logits, onehot):
    return -np.sum(onehot * log_softmax(logits, axis=1)) / logits.shape[0]


def softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layer_norm(x, eps=1e-5):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)


def zscore(x):
    return (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)


def min_max_scale(x):
    return (x - x.min(0)) / (x.max(0) - x.min(0))


def l2_normalize(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def cosine_similarity(a, b):
    return a @ b / (np.linalg.norm(a) * np.linalg.norm(b))


def gaussian_logpdf(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)


def logistic_nll(w, X, y):
    z = X @ w
    return np.sum(np.logaddexp(0, z) - y * z)


def mlp(x, W1, W2):
    return np.tanh(x @ W1) @ W2


def relu_layer(x, W, b):
    return np.maximum(x @ W + b, 0)


def leaky_relu(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x * expit(x)


def rbf_kernel(X, gamma=0.5):
    sq = np.sum(X ** 2, 1)
    d = sq[:, None] + sq[None, :] - 2 * X @ X.T
    return np.exp(-gamma * d)


def weighted_mean(x, w):
    return np.sum(w * x) / np.sum(w)


def poisson_loglik(lam, k):
    return np.sum(scipy.special.xlogy(k, lam) - lam)


def entropy(p):
    return -np.sum(p * np.log(p))


def kl_divergence(p, q):
    return np.sum(scipy.special.rel_entr(p, q))


def cumulative_returns(r):
    return np.cumprod(1 + r) - 1


def first_difference(x):
    return x[1:] - x[:-1]


def standardize(x):
    return (x - x.mean()) / (x.std() + 1e-8)


def quadratic(x, c0=1.0, c1=-2.0, c2=0.5):
    return c0 + c1 * x + c2 * x ** 2


def lse_pool(x):
    return logsumexp(x, axis=-1)


def attention_weights(Q, K):
    s = Q @ K.T / np.sqrt(Q.shape[1])
    return scipy.special.softmax(s, axis=-1)


def r2_score(y, p):
    return 1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)


def clip_by_norm(g, max_norm=1.0):
    return g * np.minimum(1.0, max_norm / (np.linalg.norm(g) + 1e-6))


# -- held out (written with the development set, run once at the end) ----------------------------


def hinge_loss(y, s):
    return np.mean(np.maximum(0, 1 - y * s))


def batch_norm(x, gamma, beta):
    mu = x.mean(0)
    var = x.var(0)
    return gamma * (x - mu) / np.sqrt(var + 1e-5) + beta


def pearson(x, y):
    xc = x - x.mean()
    yc = y - y.mean()
    return (xc @ yc) / np.sqrt((xc @ xc) * (yc @ yc))


def covariance(X):
    Xc = X - X.mean(0)
    return Xc.T @ Xc / (X.shape[0] - 1)


def focal_loss(z, t, gamma=2.0):
    p = expit(z)
    ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return np.mean(ce * (1 - (t * p + (1 - t) * (1 - p))) ** gamma)


def stable_softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def pairwise_distances(X, Y):
    d2 = np.sum(X ** 2, 1)[:, None] + np.sum(Y ** 2, 1)[None, :] - 2 * X @ Y.T
    return np.sqrt(np.maximum(d2, 0))


def accuracy(logits, labels):
    return np.mean(np.argmax(logits, 1) == labels)


def log_cosh_loss(y, t):
    return np.mean(np.log(np.cosh(y - t)))


def geometric_mean(x):
    return np.exp(np.mean(np.log(x)))


def bilinear(x, A, y):
    return np.einsum("i,ij,j->", x, A, y)


# -- inputs --------------------------------------------------------------------------------------


def _inputs(rng: np.random.Generator) -> dict:
    n, d, h = 6, 4, 5
    return {
        "y": rng.standard_normal(n), "t": rng.standard_normal(n), "s": rng.standard_normal(n),
        "p": rng.uniform(0.05, 0.95, n), "q": rng.uniform(0.05, 0.95, n),
        "z": rng.standard_normal(n), "x": rng.standard_normal((n, d)),
        "logits": rng.standard_normal((n, d)),
        "onehot": np.eye(d)[rng.integers(0, d, n)], "a": rng.standard_normal(d),
        "b": rng.standard_normal(d), "mu": rng.standard_normal(n),
        "sigma": rng.uniform(0.5, 2, n), "w": rng.standard_normal(d),
        "X": rng.standard_normal((n, d)), "Y": rng.standard_normal((n - 1, d)),
        "W1": rng.standard_normal((d, h)), "W2": rng.standard_normal((h, 2)),
        "W": rng.standard_normal((d, h)), "lam": rng.uniform(0.5, 3, n),
        "k": rng.integers(0, 5, n).astype(np.float64), "r": rng.uniform(-0.1, 0.1, n),
        "g": rng.standard_normal(d), "Q": rng.standard_normal((n, d)),
        "K": rng.standard_normal((n, d)), "gamma": rng.uniform(0.5, 1.5, d),
        "beta": rng.standard_normal(d), "A": rng.standard_normal((d, d)),
        "labels": rng.integers(0, d, n).astype(np.float64),
    }


# functions whose argument names need other shapes than the defaults above
_OVERRIDES = {
    "gaussian_logpdf": {"x": "y"}, "weighted_mean": {"x": "y", "w": "p"},
    "logistic_nll": {"y": "y"}, "relu_layer": {"b": "h_bias"},
    "mlp": {}, "pearson": {"x": "y", "y": "t"}, "hinge_loss": {},
    "geometric_mean": {"x": "p"}, "bilinear": {"x": "a", "y": "b"},
    "standardize": {}, "first_difference": {"x": "y"}, "cumulative_returns": {},
    "lse_pool": {}, "clip_by_norm": {}, "entropy": {}, "kl_divergence": {},
    "l2_normalize": {}, "leaky_relu": {}, "gelu_tanh": {}, "silu": {},
}


def args_for(fn, rng: np.random.Generator, dtype=np.float64) -> tuple:
    """Array arguments for ``fn`` by parameter name (defaults are left to the function)."""
    pool = _inputs(rng)
    pool["h_bias"] = rng.standard_normal(5)
    remap = _OVERRIDES.get(fn.__name__, {})
    out = []
    for p in inspect.signature(fn).parameters.values():
        if p.default is not inspect.Parameter.empty:
            continue
        out.append(pool[remap.get(p.name, p.name)].astype(dtype))
    return tuple(out)


DEVELOPMENT = [mse, mae, huber, binary_cross_entropy, bce_with_logits, cross_entropy,
               softmax_rows, layer_norm, zscore, min_max_scale, l2_normalize, cosine_similarity,
               gaussian_logpdf, logistic_nll, mlp, relu_layer, leaky_relu, gelu_tanh, silu,
               rbf_kernel, weighted_mean, poisson_loglik, entropy, kl_divergence,
               cumulative_returns, first_difference, standardize, quadratic, lse_pool,
               attention_weights, r2_score, clip_by_norm]
HELD_OUT = [hinge_loss, batch_norm, pearson, covariance, focal_loss, stable_softplus,
            pairwise_distances, accuracy, log_cosh_loss, geometric_mean, bilinear]

# -- running ------------------------------------------------------------------------------------


def _same(got, want, dtype) -> bool:
    if isinstance(want, np.ndarray) != isinstance(got, np.ndarray):
        return False
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    rtol = 2e-4 if dtype == np.float32 else 1e-8
    return bool(np.allclose(got, want, rtol=rtol, atol=rtol * 1e-2, equal_nan=True))


_names_a_user_line = names_a_user_line


def outcome(fn, backend: str, dtype=np.float64) -> str:
    """``"pass"`` (NumPy's answer), ``"refused"`` (a clear UnsupportedOperation), or a
    description of the failure."""
    args = args_for(fn, np.random.default_rng(7), dtype)
    with np.errstate(all="ignore"):
        want = fn(*args)
    try:
        got = et.jit(fn, backend=backend)(*args)
    except UnsupportedOperation as exc:
        if _names_a_user_line(fn, str(exc)):
            return "refused"
        return f"refused without naming a line of {fn.__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001  (any other error is a finding)
        return f"crashed: {type(exc).__name__}: {exc}"
    if not _same(got, want, dtype):
        return f"wrong: got {got!r} want {want!r}"
    return "pass"


def _case(fn, backend):
    return pytest.param(fn, backend, id=f"{backend}-{fn.__name__}")


@pytest.mark.parametrize("fn, backend", [_case(f, b) for b in ("numpy", "numba")
                                         for f in DEVELOPMENT + HELD_OUT])
def test_corpus_function_matches_numpy_or_is_refused_clearly(fn, backend):
    result = outcome(fn, backend)
    assert result in ("pass", "refused"), result


@pytest.mark.parametrize("fn", [mse, layer_norm, leaky_relu, quadratic, standardize, silu,
                                attention_weights], ids=lambda f: f.__name__)
def test_corpus_float32_results_stay_float32(fn):
    assert outcome(fn, "numpy", np.float32) == "pass"


def main() -> None:
    """Print the pass rate of each part on each backend (and every refusal)."""
    backends = sys.argv[1:] or ["numpy", "numba"]
    for backend in backends:
        for label, part in (("development", DEVELOPMENT), ("held out", HELD_OUT)):
            results = {f.__name__: outcome(f, backend) for f in part}
            ok = sum(r == "pass" for r in results.values())
            print(f"{backend:6s} {label:12s}: {ok}/{len(part)} traced and equal to NumPy "
                  f"({100 * ok / len(part):.0f} %)")
            for name, r in results.items():
                if r != "pass":
                    print(f"    {name}: {r[:300]}")


if __name__ == "__main__":
    main()
