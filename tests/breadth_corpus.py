"""A second corpus of ordinary scientific NumPy / SciPy functions (issue #18, acceptance 2),
run through ``et.jit`` on the NumPy and Numba backends and compared with NumPy / SciPy.

Each function is declared with ``@case(spec, ...)``: one spec per array argument, written
``kind:dims`` where ``kind`` is ``f`` (float of the run's dtype), ``F`` (always float64),
``p`` (positive float), ``u`` (in (0, 1)), ``s`` (sorted float), ``i`` (int64 in [-5, 5)),
``j`` (int32), ``k`` (int64 index in [0, 4)), ``b`` (bool); ``dims`` are comma-separated
ints or ``n`` (the batch size). Every function runs on three inputs: random (``n = 6``),
edge (NaN, +-inf, +-0 written into the float arguments, traced with ``ieee="strict"``) and
empty (``n = 0``; skipped where NumPy itself raises).

``HELD_OUT`` (every fourth function, 25 %) was written with the others and only measured at
the end. Run as a script: ``python tests/breadth_corpus.py [numpy|numba] [--held-out]
[--speed]`` prints the pass rates, every failure, and (``--speed``) the warm-call time of
the Numba backend over plain NumPy on larger inputs.
"""

from __future__ import annotations

import inspect
import math
import os
import re
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy.special as sp

import eqsat_tensor as et
from eqsat_tensor.errors import UnsupportedOperation

CORPUS: list[Callable] = []


def case_registry(corpus: list[Callable]) -> Callable:
    """The ``case`` decorator of a corpus: it registers a function in ``corpus`` with the
    specs of its array arguments (``quadratic``: it builds an (n, n) intermediate, so the
    large speed run keeps n small; ``grad``: it is differentiable in its first argument and
    returns a scalar). Every breadth corpus declares its functions with one."""

    def case(*specs: str, f32: bool = True, quadratic: bool = False,
             grad: bool = False) -> Callable:
        def register(fn: Callable) -> Callable:
            fn.specs = specs
            fn.f32 = f32
            fn.quadratic = quadratic
            fn.grad = grad
            corpus.append(fn)
            return fn

        return register

    return case


case = case_registry(CORPUS)


# -- losses --------------------------------------------------------------------------------


@case("f:n", "f:n")
def mse(y, t):
    return np.mean((y - t) ** 2)


@case("f:n", "f:n")
def smooth_l1(y, t, beta=1.0):
    d = np.abs(y - t)
    return np.where(d < beta, 0.5 * d ** 2 / beta, d - 0.5 * beta).sum()


@case("f:n,5", "k:n")
def softmax_xent(logits, labels):
    lp = sp.log_softmax(logits, axis=1)
    return -lp[np.arange(len(labels)), labels].mean()


@case("f:n,4", "p:4")
def weighted_logsumexp(x, w):
    return sp.logsumexp(x, b=w, axis=1)


@case("u:n", "u:n")
def kl_categorical(p, q):
    return np.sum(sp.xlogy(p, p) - sp.xlogy(p, q))


@case("u:n", "b:n")
def bernoulli_loglik(x, t):
    return np.sum(np.where(t, np.log(x), np.log1p(-x)))


@case("p:n", "p:n")
def poisson_deviance(y, mu):
    return 2 * np.sum(sp.xlogy(y, y / mu) - (y - mu))


@case("f:n", "f:n")
def quantile_loss(y, t, q=0.9):
    e = y - t
    return np.mean(np.maximum(q * e, (q - 1) * e))


# -- normalizations -----------------------------------------------------------------------------


@case("f:n,4", "f:4")
def rms_norm(x, g):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-6) * g


@case("f:n,4")
def standardize_ddof(x):
    return (x - x.mean(0)) / x.std(0, ddof=1)


@case("f:n,4")
def minmax_rows(x):
    lo = x.min(axis=1, keepdims=True)
    return (x - lo) / (x.max(axis=1, keepdims=True) - lo)


@case("f:n")
def unit_vector(x):
    return x / np.linalg.norm(x)


@case("f:n,4")
def softmax_temperature(x, temperature=0.5):
    return sp.softmax(x / temperature, axis=-1)


@case("f:n,4")
def log_softmax_cols(x):
    return sp.log_softmax(x, axis=0)


@case("f:n,4")
def zscore_rows(x):
    return (x - x.mean(axis=1, keepdims=True)) / x.std(axis=1, keepdims=True)


@case("f:n,4")
def l1_normalize(x):
    return x / np.sum(np.abs(x), axis=1, keepdims=True)


# -- statistics ---------------------------------------------------------------------------------


@case("f:n,4")
def nan_mean_std(x):
    return np.nanmean(x, axis=0) + np.nanstd(x, axis=0)


@case("f:n,4")
def nansum_rows(x):
    return np.nansum(x, axis=1)


@case("f:n")
def median_abs_deviation(x):
    return np.median(np.abs(x - np.median(x)))


@case("f:n")
def percentile_90(x):
    return np.percentile(x, 90)


@case("f:n,4")
def var_ddof1(x):
    return np.var(x, axis=0, ddof=1)


@case("f:n", "p:n")
def weighted_variance(x, w):
    m = np.average(x, weights=w)
    return np.average((x - m) ** 2, weights=w)


@case("f:n,4")
def count_positive(x):
    return np.count_nonzero(x > 0, axis=0)


@case("f:n,4")
def fraction_finite(x):
    return np.mean(np.isfinite(x))


@case("f:n,4")
def any_nan(x):
    return np.any(np.isnan(x))


@case("f:n,4")
def all_positive_rows(x):
    return np.all(x > 0, axis=1)


@case("k:n")
def histogram_counts(k):
    return np.bincount(k, minlength=4)


@case("f:n", "f:n")
def correlation(x, y):
    return np.corrcoef(x, y)[0, 1]


@case("f:n,3")
def covariance_matrix(X):
    return np.cov(X, rowvar=False)


@case("f:n")
def running_mean(x):
    return np.cumsum(x) / np.arange(1, len(x) + 1)


@case("f:n")
def second_difference(x):
    return np.diff(x, n=2)


@case("f:n,4")
def top_two(x):
    return np.sort(x, axis=1)[:, -2:]


@case("f:n")
def ranks(x):
    return np.argsort(x)


@case("k:n")
def distinct_count(k):
    return len(np.unique(k))


@case("s:5", "f:n")
def bucketize(edges, x):
    return np.searchsorted(edges, x)


@case("f:n,4")
def nan_median_rows(x):
    return np.nanmedian(x, axis=1)


@case("f:n")
def mean_abs_median(x):
    return np.mean(np.abs(x - np.median(x)))


# -- small models -------------------------------------------------------------------------------


@case("f:n,4", "f:4,8", "f:8", "f:8,2")
def two_layer(x, W1, b1, W2):
    h = np.maximum(x @ W1 + b1, 0)
    return h @ W2


@case("f:n,4", "f:4")
def logistic_predict(X, w, b=0.0):
    return sp.expit(X @ w + b) > 0.5


@case("f:n,4", "f:4,3", "f:4,3")
def gated_unit(x, Wz, Wh):
    z = sp.expit(x @ Wz)
    return (1 - z) * np.tanh(x @ Wh)


@case("f:n,4", "f:n,4", "f:n,4", quadratic=True)
def attention(Q, K, V):
    s = Q @ K.T / np.sqrt(K.shape[-1])
    return sp.softmax(s, axis=-1) @ V


@case("f:n,3", quadratic=True)
def rbf_gram(X):
    d = np.linalg.norm(X[:, None, :] - X[None, :, :], axis=-1)
    return np.exp(-d ** 2)


@case("f:n,3,4", "f:n,4,2")
def batched_matmul(A, B):
    return np.einsum("bij,bjk->bik", A, B)


@case("f:4,4")
def einsum_trace(A):
    return np.einsum("ii", A)


@case("f:n")
def polynomial(x):
    return np.polyval([1.0, -2.0, 0.5], x)


@case("f:n")
def piecewise_linear(x):
    return np.interp(x, [0.0, 1.0, 2.0], [0.0, 10.0, 5.0])


@case("f:n,4", "f:4")
def linear_prediction(X, beta):
    return X @ beta + 1.0


@case("f:n", "f:n")
def exponential_smoothing(x, y, alpha=0.3):
    return alpha * x + (1 - alpha) * y


# -- indexing -----------------------------------------------------------------------------------


@case("f:n,4")
def last_column(x):
    return x[:, -1] * 2


@case("f:n")
def every_other_sum(x):
    return x[::2].sum()


@case("f:n", "b:n")
def masked_mean(x, m):
    return x[m].mean()


@case("f:n,4")
def positive_part_sum(x):
    return np.where(x > 0, x, 0.0).sum(axis=0)


@case("f:n,4", "k:3")
def gather_columns(x, idx):
    return x[:, idx]


@case("f:n,4")
def value_at_argmax(x):
    i = np.argmax(x, axis=1)
    return np.take_along_axis(x, i[:, None], axis=1)


@case("f:n", "f:4")
def outer_by_broadcast(a, b):
    return a[:, None] * b[None, :]


@case("f:n,4")
def ellipsis_columns(x):
    return x[..., 0] + x[..., 1]


# -- joins --------------------------------------------------------------------------------------


@case("f:n,4")
def polynomial_features(x):
    return np.concatenate([x, x ** 2], axis=1)


@case("f:n,4")
def row_stats(x):
    return np.stack([x.mean(1), x.std(1)], axis=1)


@case("f:n,4")
def add_bias_column(x):
    return np.hstack([x, np.ones((x.shape[0], 1))])


@case("f:n,4")
def split_product(x):
    a, b = np.split(x, 2, axis=1)
    return a * b


# -- linear algebra -----------------------------------------------------------------------------


@case("f:n", "f:4")
def outer_column_sums(a, b):
    return np.outer(a, b).sum(0)


@case("f:2,2", "f:2,3")
def kronecker(A, B):
    return np.kron(A, B)


@case("f:n,3", "f:n,3")
def cross_product(a, b):
    return np.cross(a, b)


@case("f:4,4", "f:4,4")
def trace_of_product(A, B):
    return np.trace(A @ B)


@case("f:n,4")
def frobenius_norm(A):
    return np.linalg.norm(A)


@case("f:n,4")
def l1_norm_rows(x):
    return np.linalg.norm(x, ord=1, axis=1)


@case("f:4,4")
def symmetrize_lower(A):
    return np.tril(A) + np.triu(A, 1).T


@case("f:4,4")
def ridge_gram(A):
    return A.T @ A + 0.1 * np.eye(A.shape[0])


@case("f:n", "f:n")
def vector_dot(a, b):
    return a @ b + 1.0


@case("f:n,4", "f:4,3")
def tensordot_one(A, B):
    return np.tensordot(A, B, axes=1)


@case("f:n,4")
def max_row_norm(x):
    return np.linalg.norm(x, axis=1).max()


# -- special functions --------------------------------------------------------------------------


@case("f:n")
def gelu_erf(x):
    return 0.5 * x * (1 + sp.erf(x / np.sqrt(2)))


@case("f:n")
def normal_tail(x):
    return 0.5 * sp.erfc(x / np.sqrt(2))


@case("p:n", "p:n")
def log_beta(a, b):
    return sp.gammaln(a) + sp.gammaln(b) - sp.gammaln(a + b)


@case("p:n")
def digamma_shift(x):
    return sp.digamma(x + 1) - sp.digamma(x)


@case("u:n")
def logit_clipped(p):
    return sp.logit(np.clip(p, 1e-6, 1 - 1e-6))


@case("f:n", "u:n")
def xlog1py_term(x, y):
    return sp.xlog1py(x, -y)


@case("f:n")
def normal_cdf(x):
    return sp.ndtr(x)


@case("f:n,4")
def logsumexp_keepdims(x):
    return sp.logsumexp(x, axis=0, keepdims=True)


# -- methods ------------------------------------------------------------------------------------


@case("f:n,4")
def method_chain(x):
    return x.T.sum(axis=1).clip(-1, 1)


@case("f:n")
def to_int32(x):
    return (x * 10).astype(np.int32)


@case("f:n,4")
def flat_max(x):
    return x.reshape(-1).max()


@case("f:n,4")
def mean_keepdims(x):
    return x.mean(axis=0, keepdims=True)


@case("f:n,4")
def cumsum_method(x):
    return x.cumsum(axis=1)


@case("f:n,4")
def argmax_method(x):
    return x.argmax(axis=1)


@case("f:n,4")
def prod_method(x):
    return x.prod(axis=1)


# -- operators and dtypes -----------------------------------------------------------------------


@case("f:n")
def in_unit_interval(x):
    return ((0 < x) & (x < 1)).sum()


@case("p:n")
def powers(x):
    return x ** 0.5 + x ** -1 + 2 ** x


@case("f:n", "F:n")
def mixed_precision(x, y):
    return x * y


@case("i:n", "i:n")
def integer_arithmetic(a, b):
    return a * b + a // 3


@case("j:n")
def int32_sum(a):
    return np.sum(a * 2)


@case("b:n", "f:n")
def bool_select(m, x):
    return np.where(m, x, -x).sum()


@case("f:n", "f:n")
def close_elements(x, y):
    return np.isclose(x, y, atol=0.5)


@case("f:n")
def all_close_self(x):
    return np.allclose(x, x + 1e-12)


@case("f:n,4")
def pad_zeros(x):
    return np.pad(x, 1)


@case("f:4")
def tiled(x):
    return np.tile(x, 3)


@case("f:n")
def repeated(x):
    return np.repeat(x, 2)


@case("f:4")
def broadcast_rows(x):
    return np.broadcast_to(x, (3, 4)).sum(0)


@case("f:n", "f:4")
def grid_product(x, y):
    X, Y = np.meshgrid(x, y)
    return X * Y


@case("f:n")
def ramp_weights(x):
    return x * np.linspace(0, 1, x.shape[0])


@case("f:n,4")
def like_constants(x):
    return np.full_like(x, 2.0) + np.zeros_like(x) - np.ones_like(x) * x


@case("f:n")
def clip_unit(x):
    return np.clip(x, -1, 1)


@case("f:n")
def leaky(x):
    return np.maximum(x, 0) + np.minimum(x, 0) * 0.1


@case("f:n,4")
def sine_features(x):
    return np.sin(x) * np.cos(2 * x)


@case("f:n")
def indicator(x):
    return np.where(x > 0, 1, 0)


@case("f:n")
def rounding(x):
    return np.round(x, 2) + np.floor(x)


@case("i:n", "f:n")
def int_times_float(a, x):
    return a * x + np.abs(a)


@case("f:n,4")
def cumprod_rows(x):
    return np.cumprod(1 + 0.1 * x, axis=1)


@case("f:n,4")
def sign_times_sqrt(x):
    return np.sign(x) * np.sqrt(np.abs(x))


@case("f:n,4")
def fmax_nan(x):
    return np.fmax(x, np.nan) + np.fmin(x, 0.0)


@case("f:n,4", quadratic=True)
def triu_sum(x):
    return np.triu(x @ x.T).sum()


# -- held out: every fourth function, measured only at the end ---------------------------------

HELD_OUT = CORPUS[3::4]
DEVELOPMENT = [f for f in CORPUS if f not in HELD_OUT]

# -- inputs -------------------------------------------------------------------------------------

EDGE = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0])


def _array(kind: str, shape: tuple, dtype, rng: np.random.Generator, edge: bool):
    if kind == "b":
        return rng.random(shape) < 0.5
    if kind in "ik":
        lo, hi = (-5, 5) if kind == "i" else (0, 4)
        return rng.integers(lo, hi, shape).astype(np.int64)
    if kind == "j":
        return rng.integers(-5, 5, shape).astype(np.int32)
    dt = np.float64 if kind == "F" else dtype
    if kind == "p":
        a = rng.uniform(0.2, 3.0, shape)
    elif kind == "u":
        a = rng.uniform(0.05, 0.95, shape)
    elif kind == "s":
        a = np.sort(rng.standard_normal(shape))
    else:
        a = rng.standard_normal(shape)
    if edge and a.size and kind != "s":
        flat = a.reshape(-1)
        for i, v in enumerate(EDGE):
            flat[(3 * i) % flat.size] = v
    return a.astype(dt)


def args_for(fn: Callable, n: int, dtype=np.float64, edge: bool = False, seed: int = 7):
    """The array arguments of ``fn`` for batch size ``n``."""
    rng = np.random.default_rng(seed)
    out = []
    for spec in fn.specs:
        kind, dims = spec.split(":")
        shape = tuple(n if d == "n" else int(d) for d in dims.split(","))
        out.append(_array(kind, shape, dtype, rng, edge))
    return tuple(out)


# -- comparing ----------------------------------------------------------------------------------


def same(got, want, dtype=np.float64) -> bool:
    """NumPy's answer: the same kind (array or scalar), shape, dtype and values (NaN = NaN)."""
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and all(
            same(g, w, dtype) for g, w in zip(got, want))
    if isinstance(want, np.ndarray) != isinstance(got, np.ndarray):
        return False
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    if want.dtype.kind in "biu":
        return bool(np.array_equal(got, want))
    rtol = 2e-4 if want.dtype == np.float32 else 1e-7
    return bool(np.allclose(got, want, rtol=rtol, atol=rtol * 1e-2, equal_nan=True))


def names_a_user_line(fn: Callable, message: str) -> bool:
    """The message names a line of ``fn``'s own source."""
    lines, start = inspect.getsourcelines(fn)
    where = re.findall(r"\(at (.+?):(\d+)\)", message)
    return any(os.path.exists(f) and os.path.samefile(f, inspect.getsourcefile(fn))
               and start <= int(n) < start + len(lines) for f, n in where)


SPEED_N = 2000  # the batch size of the speed runs (--n=...)
VARIANTS = (("random", 6, False), ("edge", 6, True), ("empty", 0, False))


def outcome(fn: Callable, backend: str, dtype=np.float64) -> str:
    """``"pass"`` (NumPy's answer on every input), ``"refused"`` (an UnsupportedOperation
    naming a line of ``fn``), or what went wrong."""
    jitted = {}
    for label, n, edge in VARIANTS:
        args = args_for(fn, n, dtype, edge)
        try:
            with np.errstate(all="ignore"):
                want = fn(*args)
        except Exception:  # noqa: BLE001  (NumPy itself refuses this input)
            continue
        ieee = "strict" if edge else "finite"
        if ieee not in jitted:
            jitted[ieee] = et.jit(fn, backend=backend, ieee=ieee)
        try:
            with np.errstate(all="ignore"):
                got = jitted[ieee](*args)
        except UnsupportedOperation as exc:
            if names_a_user_line(fn, str(exc)):
                return "refused"
            return f"refused without naming a line of {fn.__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001  (any other error is a finding)
            return f"crashed ({label}): {type(exc).__name__}: {exc}"
        if not same(got, want, dtype):
            return f"wrong ({label}, {np.dtype(dtype).name}): got {got!r} want {want!r}"
    return "pass"


def speed_ratio(fn: Callable, n: int = 2000, dtype=np.float64, repeat: int = 5,
                **options) -> float | None:
    """Warm-call CPU time of the Numba backend over plain NumPy (best of ``repeat``
    interleaved rounds), or None when the jitted result differs from NumPy's."""
    args = args_for(fn, min(n, 2000) if fn.quadratic else n, dtype)
    jitted = et.jit(fn, backend="numba", **options)
    with np.errstate(all="ignore"):
        try:
            got = jitted(*args)
        except Exception:  # noqa: BLE001  (refused or failing: not timed)
            return None
        if not same(got, fn(*args), dtype):
            return None

        def once(f) -> float:
            t0 = time.process_time()
            k = 0
            while True:
                f(*args)
                k += 1
                t = time.process_time() - t0
                if t > 0.02:
                    return t / k

        ours, ref = [], []
        for _ in range(repeat):  # interleaved
            ref.append(once(fn))
            ours.append(once(jitted))
    return min(ours) / max(min(ref), 1e-12)


def main(argv: list[str]) -> None:
    """Print pass rates and failures (and, with ``--speed``, the speed ratios)."""
    import warnings

    warnings.simplefilter("ignore")
    backends = [a for a in argv if a in ("numpy", "numba")] or ["numpy", "numba"]
    part = HELD_OUT if "--held-out" in argv else DEVELOPMENT
    if "--all" in argv:
        part = CORPUS
    only = [a for a in argv if not a.startswith("-") and a not in ("numpy", "numba")]
    if only:
        part = [f for f in CORPUS if f.__name__ in only]
    for backend in backends if "--speed-only" not in argv else ():
        for dtype in (np.float64, np.float32):
            fns = [f for f in part if dtype == np.float64 or f.f32]
            results = {f.__name__: outcome(f, backend, dtype) for f in fns}
            ok = sum(r == "pass" for r in results.values())
            refused = sum(r == "refused" for r in results.values())
            print(f"{backend:6s} {np.dtype(dtype).name}: {ok}/{len(fns)} traced and equal "
                  f"({100 * ok / max(len(fns), 1):.0f} %), {refused} refused clearly", flush=True)
            for name, r in results.items():
                if r != "pass":
                    print(f"    {name}: {r[:400]}", flush=True)
    global SPEED_N
    SPEED_N = next((int(a.split("=")[1]) for a in argv if a.startswith("--n=")), SPEED_N)
    # --serial: Numba's single-threaded kernels (on a loaded box the parallel ones spin)
    options = {"parallel_min": 1 << 62} if "--serial" in argv else {}
    if "--speed" in argv or "--speed-only" in argv:
        ratios = {}
        for dtype in (np.float64,) if "--f64" in argv else (np.float64, np.float32):
            for f in part:
                if dtype == np.float32 and not f.f32:
                    continue
                r = speed_ratio(f, n=SPEED_N, dtype=dtype, **options)
                if r is None:
                    continue
                ratios[f"{f.__name__}[{np.dtype(dtype).name}]"] = r
                print(f"  speed {f.__name__} {np.dtype(dtype).name}: {r:.2f}", flush=True)
        if ratios:
            g = math.exp(sum(math.log(r) for r in ratios.values()) / len(ratios))
            print(f"geomean numba warm / numpy: {g:.2f} over {len(ratios)}; slower than "
                  f"NumPy: {sorted(k for k, v in ratios.items() if v > 1.0)}")


if __name__ == "__main__":
    main(sys.argv[1:])
