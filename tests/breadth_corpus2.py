"""A third corpus of ordinary scientific NumPy / SciPy functions (issue #18, the hidden
suite's kind), written unlike ``tests/breadth_corpus.py``: array arguments to ``np.clip``,
scalars in ``np.where``, small linear systems, binning with ``np.digitize``, ``ddof`` and
``weights``, scans, ``take_along_axis`` after ``argmin``, joins and splits, integer and
boolean arithmetic, more ``scipy.special``, and ``ndarray`` methods.

The declarations and the runner (``case`` specs, inputs, comparison, ``outcome``) are those
of ``tests/breadth_corpus.py``; this module only keeps its own registry. ``HELD_OUT``
(every fifth function, 20 %) was written with the others and only measured at the end.
Run as a script: ``python tests/breadth_corpus2.py [numpy|numba] [--held-out|--all]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import scipy.special as sp
from breadth_corpus import case_registry

CORPUS: list[Callable] = []
case = case_registry(CORPUS)


# -- losses -------------------------------------------------------------------------------------


@case("f:n", "f:n", grad=True)
def huber_loss(y, t, delta=1.0):
    r = y - t
    a = np.abs(r)
    quad = 0.5 * r ** 2
    lin = delta * (a - 0.5 * delta)
    return np.mean(np.where(a <= delta, quad, lin))


@case("f:n", "b:n", grad=True)
def hinge_loss(score, label):
    y = np.where(label, 1.0, -1.0)
    return np.maximum(0, 1 - y * score).mean()


@case("f:n,4", "k:n", grad=True)
def multiclass_nll(logits, y):
    lse = sp.logsumexp(logits, axis=1)
    picked = np.take_along_axis(logits, y[:, None], axis=1)[:, 0]
    return np.mean(lse - picked)


@case("u:n", "u:n", grad=True)
def binary_xent_clipped(p, t):
    eps = 1e-7
    p = np.clip(p, eps, 1 - eps)
    return -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))


@case("f:n", "f:n", grad=True)
def log_cosh_loss(y, t):
    d = y - t
    return np.sum(d + np.logaddexp(0.0, -2.0 * d) - np.log(2.0))


@case("f:n,4", "f:n,4", grad=True)
def cosine_similarity_loss(a, b):
    num = (a * b).sum(axis=1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-8
    return 1.0 - (num / den).mean()


@case("f:n", "f:n", grad=True)
def focal_like(z, t):
    p = sp.expit(z)
    w = (1 - p) ** 2
    return -np.sum(w * sp.xlogy(t * t, p))


@case("f:n", "f:n")
def mape(y, t):
    return 100.0 * np.mean(np.abs((y - t) / np.where(t == 0, 1.0, t)))


# -- normalizations -----------------------------------------------------------------------------


@case("f:n,5", grad=True)
def layer_norm_methods(x):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    return ((x - mu) / np.sqrt(var + 1e-5)).sum()


@case("f:n,3")
def max_scale(x):
    return x / x.max(axis=1, keepdims=True)


@case("f:n,4", "f:4", "f:4")
def clip_by_array(x, lo, hi):
    return np.clip(x, np.minimum(lo, hi), np.maximum(lo, hi))


@case("f:n,4")
def log_softmax_manual(x):
    m = np.max(x, axis=-1, keepdims=True)
    s = x - m
    return s - np.log(np.sum(np.exp(s), axis=-1, keepdims=True))


@case("f:n,4", grad=True)
def softmax_entropy(x):
    p = sp.softmax(x, axis=1)
    return -np.sum(p * sp.log_softmax(x, axis=1))


@case("f:n,4")
def robust_scale(x):
    med = np.median(x, axis=0)
    iqr = np.percentile(x, 75, axis=0) - np.percentile(x, 25, axis=0)
    return (x - med) / np.where(iqr == 0, 1.0, iqr)


@case("f:n")
def unit_l2_safe(x):
    n = np.linalg.norm(x, ord=2)
    return x / np.maximum(n, 1e-12)


# -- statistics ---------------------------------------------------------------------------------


@case("f:n", "p:n")
def weighted_mean_std(x, w):
    m = np.average(x, weights=w)
    v = np.average((x - m) ** 2, weights=w)
    return np.array([m, np.sqrt(v)])


@case("f:n,4")
def sample_std_ddof(x):
    return np.std(x, axis=0, ddof=1) / np.sqrt(x.shape[0])


@case("f:n,4")
def peak_to_peak(x):
    return np.ptp(x, axis=0)


@case("f:n,4")
def cleaned_sum(x):
    return np.nan_to_num(x, nan=0.0, posinf=1e3, neginf=-1e3).sum(axis=1)


@case("f:n")
def skewness(x):
    d = x - x.mean()
    return np.mean(d ** 3) / np.mean(d ** 2) ** 1.5


@case("f:n")
def kurtosis_excess(x):
    d = x - np.mean(x)
    m2 = np.mean(d * d)
    return np.mean(d ** 4) / m2 ** 2 - 3.0


@case("f:n", "f:n")
def pearson_manual(x, y):
    xm = x - x.mean()
    ym = y - y.mean()
    return (xm @ ym) / np.sqrt((xm @ xm) * (ym @ ym))


@case("f:n,3")
def column_argmin_values(x):
    i = np.argmin(x, axis=0)
    return np.take_along_axis(x, i[None, :], axis=0)[0]


@case("f:n,4")
def any_all_rows(x):
    return np.logical_and(np.any(x > 1, axis=1), np.all(x > -2, axis=1))


@case("f:n")
def geometric_mean_abs(x):
    return np.exp(np.mean(np.log(np.abs(x) + 1e-3)))


@case("f:n")
def harmonic_mean_pos(x):
    a = np.abs(x) + 0.5
    return len(a) / np.sum(1.0 / a)


@case("f:n")
def zero_crossings(x):
    return np.sum(np.diff(np.sign(x)) != 0)


# -- binning, selection -------------------------------------------------------------------------


@case("f:n")
def digitize_bins(x):
    return np.digitize(x, np.array([-1.0, 0.0, 1.0]))


@case("s:8", "f:n")
def searchsorted_right(edges, x):
    return np.searchsorted(edges, x, side="right")


@case("f:n")
def interp_tabulated(x):
    xp = np.linspace(-2.0, 2.0, 5)
    fp = xp ** 2
    return np.interp(x, xp, fp)


@case("f:n", "f:n")
def threshold_select(x, y):
    return np.where(x > 0.5, 1.0, np.where(y < 0, -1.0, 0.0))


@case("f:n,4")
def rowwise_top_value_mask(x):
    m = x == x.max(axis=1, keepdims=True)
    return np.where(m, x, 0.0).sum(axis=1)


@case("f:n", "f:n")
def isclose_fraction(x, y):
    return np.mean(np.isclose(x, x + 1e-10 * y))


@case("f:n")
def allclose_check(x):
    return np.allclose(x * 1.0, x, equal_nan=True)


@case("f:n", "f:n")
def logical_mix(x, y):
    a = x > 0
    b = y > 0
    return np.logical_xor(a, b) | np.logical_not(np.logical_or(a, b))


@case("f:n,4")
def argmax_rows_onehot(x):
    i = np.argmax(x, axis=1)
    return (np.arange(4)[None, :] == i[:, None]).astype(np.float64)


@case("f:n")
def masked_sum_scalar(x):
    return np.sum(np.where(np.isnan(x), 0, x))


# -- layout -------------------------------------------------------------------------------------


@case("f:n")
def rolled_difference(x):
    return x - np.roll(x, 1)


@case("f:n,3")
def flipped_rows(x):
    return np.flip(x, axis=1) + x[::-1]


@case("f:4,4")
def lower_upper_split(A):
    return np.tril(A, -1).sum() - np.triu(A, 1).sum()


@case("f:4,4")
def diagonal_dominance(A):
    d = np.abs(np.diag(A))
    off = np.abs(A).sum(axis=1) - d
    return np.all(d > off)


@case("f:n")
def diag_matrix(x):
    return np.diag(x) @ np.ones(len(x))


@case("f:n,3")
def stacked_features(x):
    return np.stack([x.sum(axis=1), x.min(axis=1), x.max(axis=1)], axis=-1)


@case("f:n,4")
def split_halves(x):
    left, right = np.split(x, 2, axis=1)
    return left * right


@case("f:n")
def flatten_outer(x):
    return np.outer(x, x).reshape(-1)


@case("f:n,4")
def vstack_rows(x):
    return np.vstack([x, x.mean(axis=0)])


@case("f:n,4")
def transpose_swap(x):
    return np.swapaxes(x[:, :, None], 1, 2).squeeze(1)


@case("f:n")
def expand_compare(x):
    return (np.expand_dims(x, 0) < np.expand_dims(x, 1)).sum(axis=0)


@case("f:n")
def moving_average3(x):
    return np.convolve(x, np.ones(3) / 3.0, mode="valid")


# -- linear algebra -----------------------------------------------------------------------------


@case("f:3,3", "f:3")
def solve_small(A, b):
    M = A @ A.T + 3.0 * np.eye(3)
    return np.linalg.solve(M, b)


@case("f:3,3")
def inverse_small(A):
    M = A @ A.T + 3.0 * np.eye(3)
    return np.linalg.inv(M) @ M


@case("f:3,3")
def det_small(A):
    return np.linalg.det(A)


@case("f:n,3", "f:n")
def normal_equations(X, y):
    return np.linalg.solve(X.T @ X + np.eye(3), X.T @ y)


@case("f:n,3", "f:3,3", "f:3")
def einsum_three(x, W, v):
    return np.einsum("ni,ij,j->n", x, W, v)


@case("f:n,3", "f:n,3")
def rowwise_dot_einsum(a, b):
    return np.einsum("ij,ij->i", a, b)


@case("f:n,4")
def gram_trace(x):
    return np.trace(x.T @ x)


@case("f:n,4")
def norm_inf_rows(x):
    return np.linalg.norm(x, ord=np.inf, axis=1)


@case("f:4,4")
def matrix_power_two(A):
    return np.linalg.matrix_power(A, 2) - A @ A


@case("f:n,3")
def diagonal_of_gram(x):
    return np.diagonal(x.T @ x)


@case("f:n,3", "f:3", grad=True)
def linear_regression_sse(X, w):
    r = X @ w - 1.0
    return r @ r


# -- elementwise --------------------------------------------------------------------------------


@case("f:n", "f:n")
def polar(x, y):
    return np.stack([np.hypot(x, y), np.arctan2(y, x)])


@case("f:n", grad=True)
def sinc_sum(x):
    return np.sinc(x).sum()


@case("f:n")
def heaviside_step(x):
    return np.heaviside(x, 0.5)


@case("p:n")
def log_bases(x):
    return np.log2(x) + np.log10(x)


@case("f:n", grad=True)
def expm1_ratio(x):
    return np.sum(np.expm1(x * 0.1))


@case("p:n", "p:n")
def beta_log(a, b):
    return sp.betaln(a, b)


@case("u:n")
def erfinv_probit(p):
    return np.sqrt(2) * sp.erfinv(2 * p - 1)


@case("u:n", grad=True)
def logit_expit_roundtrip(p):
    return np.sum(sp.expit(sp.logit(p)) - p)


@case("p:n")  # no gradient: digamma's VJP needs a trigamma op
def gammaln_digamma(x):
    return np.sum(sp.gammaln(x) + sp.digamma(x))


@case("f:n", "p:4")
def logsumexp_weights(x, w):
    return sp.logsumexp(x.reshape(-1, 1) + np.zeros(4), b=w, axis=1)


@case("f:n")
def to_float32(x):
    return (x * 3).astype(np.float32) + np.float32(1)


@case("i:n", "i:n", f32=False)
def int_floor_mod(a, b):
    q = np.where(b == 0, 1, b)
    return a // q + a % q + np.floor_divide(a, 3)


@case("i:n", f32=False)
def int_to_float_mean(a):
    return (a * 2 + 1).mean()


@case("f:n", "b:n")
def bool_count_weighted(x, m):
    return np.sum(m) + np.sum(x * m)


@case("f:n")
def cube_root_sign(x):
    return np.cbrt(x) * np.sign(x) + np.square(x)


@case("f:n")
def fix_and_rint(x):
    return np.fix(x * 2.5) + np.rint(x * 2.5)


# -- small models, comprehensions, methods ------------------------------------------------------


@case("f:n,3", "f:3,3")
def residual_layers(x, W):
    h = x
    for _ in range(3):
        h = h + np.tanh(h @ W)
    return h


@case("f:n")
def polynomial_comprehension(x):
    return sum([c * x ** k for k, c in enumerate([1.0, 0.5, -0.25, 0.125])])


@case("f:n,3", "f:3", grad=True)
def logistic_nll(X, w):
    z = X @ w
    return np.sum(np.logaddexp(0, z) - z * (z > 0))


@case("f:n,3")
def methods_chain2(x):
    return x.reshape(-1).clip(-1, 1).cumsum()[-1] + x.T.sum(axis=1).max()


@case("f:n,3", grad=True)
def mixture_loglik(x):
    comps = np.stack([-0.5 * (x - m) ** 2 for m in (-1.0, 0.0, 1.0)], axis=-1)
    return sp.logsumexp(comps, axis=-1).sum()


@case("f:n")
def kalman_like_scan(x):
    out = np.cumsum(x) / (1 + np.arange(x.shape[0]))
    return out[-1:] if x.shape[0] else out


@case("f:n,4")
def row_argsort_first(x):
    return np.argsort(x, axis=1)[:, 0]


@case("f:n")
def sorted_trimmed_mean(x):
    s = np.sort(x)
    k = len(s) // 4
    return s[k:len(s) - k].mean()


@case("f:n,3", "f:n,3")
def pairwise_sq_dist(a, b):
    return (a ** 2).sum(1)[:, None] + (b ** 2).sum(1)[None, :] - 2 * a @ b.T


@case("f:n")
def cumulative_max_gap(x):
    return np.maximum.accumulate(x) - x


# -- held out: every fifth function, measured only at the end ---------------------------------

HELD_OUT = CORPUS[4::5]
DEVELOPMENT = [f for f in CORPUS if f not in HELD_OUT]


# -- added after the held-out split (development only: a second round of probing) --------------


@case("f:n")
def select_regimes(x):
    return np.select([x < -1, x > 1], [x ** 2, np.sqrt(np.abs(x))], default=x)


@case("f:n")
def piecewise_abs_square(x):
    return np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v ** 2])


@case("f:n", grad=True)
def trapezoid_energy(x):
    return np.trapezoid(x ** 2, dx=0.1)


@case("f:n,3")
def trapezoid_grid(y):
    t = np.linspace(0.0, 1.0, y.shape[0])
    return np.trapezoid(y, t, axis=0)


@case("f:n,3")
def finite_difference(x):
    return np.gradient(x, 0.5, axis=0)


@case("f:n")
def gradient_1d(x):
    return np.gradient(x) if x.shape[0] > 1 else x


@case("f:3,3", grad=True)
def cholesky_logdet(A):
    L = np.linalg.cholesky(A @ A.T + 3.0 * np.eye(3))
    return 2.0 * np.sum(np.log(np.diag(L)))


@case("f:3,3")
def slogdet_value(A):
    sign, logabs = np.linalg.slogdet(A)
    return sign * np.exp(logabs)


@case("f:3,3")
def chain_product(A):
    return np.linalg.multi_dot([A, A.T, A])


@case("f:n")
def append_head(x):
    return np.append(x, x[:2])


@case("f:n", "f:n")
def sign_transfer(x, y):
    return np.copysign(np.exp2(x), y) + np.signbit(y)


@case("f:n,3")
def row_vecdot(x):
    return np.vecdot(x, x[::-1])


@case("f:n,3")
def vector_norms(x):
    return np.linalg.vector_norm(x, axis=1) + np.linalg.vector_norm(x, ord=1, axis=1)


@case("f:n")
def cumulative_sum_initial(x):
    return np.cumulative_sum(x, include_initial=True)


@case("f:n")
def membership(x):
    return np.isin(np.round(x), [0.0, 1.0])


@case("f:n")
def edges_diff(x):
    return np.ediff1d(x, to_begin=0.0)


@case("f:n")
def divmod_parts(x):
    q, r = np.divmod(x, 0.7)
    return q * 0.7 + r


@case("f:3,3")
def block_matrix(A):
    return np.block([[A, np.zeros((3, 3))], [np.eye(3), A.T]])


@case("f:n,3")
def depth_stack(x):
    return np.dstack([x, x ** 2]).sum(axis=2)


@case("f:n")
def drop_and_insert(x):
    return np.insert(np.delete(x, [0]), 0, 1.0) if x.shape[0] else x


@case("f:n,4")
def nan_argmax_rows(x):
    return np.nanargmax(np.where(np.isnan(x[:, :1]), 0.0, x), axis=1)


@case("f:n,3")
def flat_argmax_position(x):
    return np.stack(np.unravel_index(np.argmax(x), x.shape)) if x.size else np.zeros(2)


@case("f:n")
def diagflat_sum(x):
    return np.diagflat(x).sum(axis=0)


@case("p:n")
def gamma_ratio(x):
    return sp.gamma(x + 1.0) / sp.gamma(x)


@case("u:n", grad=True)
def probit_sum(p):
    return np.sum(sp.ndtri(p))


@case("f:n", "p:n")
def huber_family(r, d):
    return sp.huber(d, r) + sp.pseudo_huber(d, r)


@case("p:n")
def boxcox_family(x):
    return sp.boxcox1p(x, 0.5) + sp.boxcox(x, 0.0) + sp.cosm1(x)


@case("f:n,3")
def broadcast_pair(x):
    a, b = np.broadcast_arrays(x, x[:1])
    return a - b


@case("f:3,3", "f:3")
def matvec_gufunc(A, v):
    return np.matvec(A, v) - A @ v


DEVELOPMENT = [f for f in CORPUS if f not in HELD_OUT]
def main(argv: list[str]) -> None:
    """Print pass rates and failures of this corpus (the runner of breadth_corpus.py)."""
    import warnings

    from breadth_corpus import outcome

    warnings.simplefilter("ignore")
    backends = [a for a in argv if a in ("numpy", "numba")] or ["numpy", "numba"]
    part = HELD_OUT if "--held-out" in argv else DEVELOPMENT
    if "--all" in argv:
        part = CORPUS
    only = [a for a in argv if not a.startswith("-") and a not in ("numpy", "numba")]
    if only:
        part = [f for f in CORPUS if f.__name__ in only]
    for backend in backends:
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


if __name__ == "__main__":
    import os

    os.environ.setdefault("EQSAT_TENSOR_GRAPH_CACHE", "0")  # never the user's cache
    os.environ.setdefault("EQSAT_TENSOR_TIERED", "0")
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    main(sys.argv[1:])
