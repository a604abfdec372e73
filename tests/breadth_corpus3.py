"""A fourth corpus of ordinary scientific NumPy / SciPy functions (issue #18's hidden suite
kind), written in the last session as probes, unlike the other three: scaling and
statistics by methods and keyword arguments, ``scipy.special`` softmax family, scans,
polynomials, ``np.cov`` / ``np.corrcoef`` / ``np.percentile``, small models (an MLP forward
pass, a logistic loss, a tiny attention block), item assignment into copies and
``zeros_like``, ``np.select`` / ``np.piecewise``, ``ufunc.reduce``. Every one gave NumPy's
answer (or a named refusal) on both backends when it was added; the runner is
``tests/breadth_corpus.py``'s (``outcome``). Run as a script:
``python tests/breadth_corpus3.py [numpy|numba]``.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np
import scipy.special as sp
from breadth_corpus import case_registry

CORPUS: list[Callable] = []
case = case_registry(CORPUS)


@case("f:n,3")
def minmax_scale(x):
    lo = x.min(axis=0)
    hi = x.max(axis=0)
    return (x - lo) / (hi - lo + 1e-12)


@case("f:n,3")
def zscore_cols(x):
    return (x - x.mean(axis=0, keepdims=True)) / x.std(axis=0, ddof=1, keepdims=True)


@case("f:n")
def nan_robust_mean(x):
    return np.nanmean(x)


@case("f:n")
def nansum_sq(x):
    return np.nansum(x * x)


@case("f:n,3", "f:n,3")
def mse_per_row(y, t):
    return np.mean((y - t) ** 2, axis=1)


@case("f:n", "f:n")
def smooth_l1(y, t):
    d = np.abs(y - t)
    return np.where(d < 1.0, 0.5 * d ** 2, d - 0.5).mean()


@case("f:n,4")
def softmax_scipy(x):
    return sp.softmax(x, axis=1)


@case("f:n,4")
def log_softmax_scipy(x):
    return sp.log_softmax(x, axis=-1)


@case("f:n")
def expit_logit_mix(x):
    return sp.expit(x) * 2.0 - 1.0


@case("f:n,3")
def lse_axis(x):
    return sp.logsumexp(x, axis=1)


@case("f:n")
def cumprod_growth(x):
    return np.cumprod(1.0 + 0.01 * x)


@case("f:n")
def trapz_area(x):
    return np.trapezoid(x * x)


@case("f:n")
def gradient_1d(x):
    return np.gradient(x)


@case("f:n")
def polyval_cubic(x):
    return np.polyval([1.0, -2.0, 0.5, 3.0], x)


@case("f:n")
def convolve_smooth(x):
    return np.convolve(x, np.array([0.25, 0.5, 0.25]), mode="same")


@case("f:n,3")
def cov_matrix(x):
    return np.cov(x, rowvar=False)


@case("f:n,3")
def corr_matrix(x):
    return np.corrcoef(x.T)


@case("f:n")
def median_abs_dev(x):
    m = np.median(x)
    return np.median(np.abs(x - m))


@case("f:n")
def percentile_90(x):
    return np.percentile(x, 90.0)


@case("f:n,2")
def hypot_angle(x):
    return np.hypot(x[:, 0], x[:, 1]) + np.arctan2(x[:, 1], x[:, 0])


@case("f:n")
def hyperbolic(x):
    return np.sinh(x) - np.cosh(x) + np.arcsinh(x)


@case("f:n")
def logaddexp_pair(x):
    return np.logaddexp(x, 0.5 * x) + np.logaddexp2(x, 1.0)


@case("f:n,3", "f:3")
def affine_relu(x, b):
    return np.maximum(x + b, 0)


@case("f:n,3", "f:3,2")
def linear_tanh(x, w):
    return np.tanh(x @ w)


@case("f:n", "f:n")
def outer_sum(a, b):
    return np.outer(a, b).sum(axis=0)


@case("f:n")
def tile_repeat(x):
    return np.tile(x, 2) + np.repeat(x, 2)


@case("f:n")
def pad_diff(x):
    return np.diff(np.pad(x, 1, mode="edge"))


@case("f:n")
def roll_lag(x):
    return x - np.roll(x, 1)


@case("f:n,3")
def triangular(x):
    g = x.T @ x
    return np.tril(g) - np.triu(g, 1)


@case("f:n")
def nan_to_num_clip(x):
    return np.clip(np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0), -0.5, None)


@case("f:n,4")
def reshape_pairs(x):
    return x.reshape(-1, 2).sum(axis=1)


@case("f:n,3")
def swap_moveaxis(x):
    return np.moveaxis(x[None], 0, -1).squeeze(-1).sum(axis=0)


@case("f:n")
def arange_weights(x):
    w = np.arange(x.shape[0], dtype=x.dtype)
    return np.dot(w, x)


@case("f:n")
def linspace_grid(x):
    g = np.linspace(0.0, 1.0, x.shape[0])
    return np.sum(g * x)


@case("f:n")
def full_like_fill(x):
    return np.full_like(x, 2.0) * x + np.zeros_like(x)


@case("f:n")
def int_exponent(x):
    return x ** 3 - np.power(x, 2) + np.square(x) + np.reciprocal(1.0 + x * x)


@case("f:n")
def cbrt_exp2(x):
    return np.cbrt(x) + np.exp2(np.clip(x, -5, 5))


@case("f:n")
def unrolled_horner(x):
    acc = np.zeros_like(x)
    for c in (1.0, 0.5, 1.0 / 6.0, 1.0 / 24.0):
        acc = acc * x + c
    return acc


@case("f:n,3")
def weighted_average(x):
    return np.average(x, axis=0, weights=np.array([0.2, 0.3, 0.5]))


@case("f:n")
def erfc_gamma(x):
    return sp.erfc(x) + sp.gammaln(1.0 + x * x)


@case("b:n", "f:n")
def mask_arith(m, x):
    return np.sum(m * x) / np.maximum(np.sum(m), 1)


@case("i:n")
def int_stats(k):
    return np.mean(k * k) - np.mean(k) ** 2


@case("i:n", "f:n")
def int_floor_div(k, x):
    return (k // 2) * x + (k % 3)


@case("f:n")
def round_decimals(x):
    return np.round(x, 2)


@case("f:n")
def sign_abs(x):
    return np.sign(x) * np.sqrt(np.abs(x))


@case("f:n,3")
def norm_axis(x):
    return np.linalg.norm(x, axis=1)


@case("f:n,3")
def frob_norm(x):
    return np.linalg.norm(x)


@case("f:n")
def sort_top(x):
    return np.sort(x)[-3:].sum()


@case("f:n")
def argsort_rank(x):
    return np.argsort(x).astype(np.float64) / max(x.shape[0], 1)


@case("f:n")
def isin_like(x):
    return np.isfinite(x) & (x > 0)


@case("f:n")
def kahan_like(x):
    s = x.sum()
    return s / x.size if x.size else s


@case("f:n,3")
def max_reduce(x):
    return np.maximum.reduce(x, axis=1) + np.add.reduce(x, axis=1)


@case("f:n")
def deg_rad(x):
    return np.deg2rad(x) + np.rad2deg(x) * math.pi


@case("f:n", "f:n")
def xlogy_kl(p, q):
    return np.sum(sp.xlogy(p, p) - sp.xlogy(p, q))


@case("f:n,3")
def astype_f32(x):
    return x.astype(np.float32).sum(axis=1)


@case("f:n")
def cumsum_normalized(x):
    c = np.cumsum(np.abs(x))
    return c / (c[-1] if c.size else 1.0)


@case("f:n,3")
def expand_dims_bcast(x):
    return np.expand_dims(x.sum(axis=1), 1) * x


@case("f:n,3")
def broadcast_to_sum(x):
    return np.broadcast_to(x.mean(axis=0), x.shape) - x


@case("f:n,2", "f:2,2")
def solve_rows(x, a):
    return np.linalg.solve(a @ a.T + 2 * np.eye(2), x.T).T


@case("f:n")
def where_one_branch(x):
    return np.where(x > 0, x, 0.0).sum() + np.count_nonzero(x > 0)


@case("f:n")
def log_softplus_manual(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


@case("f:n")
def sinc_np(x):
    return np.sinc(x)


@case("f:n")
def fmod_remainder(x):
    return np.fmod(x, 1.5) + np.remainder(x, 2.0)


@case("f:n,3")
def argmax_take(x):
    i = np.argmax(x, axis=1)
    return x[np.arange(x.shape[0]), i]


@case("f:n")
def flip_cummax(x):
    return np.flip(np.maximum.accumulate(np.flip(x)))


@case("f:n,3")
def keepdims_var(x):
    return x.var(axis=1, keepdims=True)


@case("f:n")
def any_all(x):
    return np.any(x > 1.0) | np.all(x < 3.0)


@case("f:n")
def ptp_method(x):
    return np.ptp(x) if x.size else 0.0


@case("f:n,4", "f:4,8", "f:8", "f:8,2")
def mlp_forward(x, w1, b1, w2):
    h = np.maximum(x @ w1 + b1, 0.0)
    return sp.log_softmax(h @ w2, axis=1)


@case("f:n,3", "f:3", "b:n")
def logreg_loss(x, w, y):
    z = x @ w
    return np.mean(np.logaddexp(0.0, z) - y * z)


@case("f:n,3")
def standardize_inplace(x):
    y = x.copy()
    y -= y.mean(axis=0)
    y /= y.std(axis=0) + 1e-8
    return y


@case("f:n,3")
def gaussian_kernel(x):
    d2 = np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    return np.exp(-0.5 * d2)


# not in float32: sq_i + sq_j - 2 x_i.x_j cancels on the diagonal; NumPy's einsum and
# matmul happen to round alike there (0), any other summation order gives ~1e-3
@case("f:n,3", f32=False)
def pairwise_dist_einsum(x):
    sq = np.einsum("ij,ij->i", x, x)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0))


@case("f:n")
def ewma(x):
    out = np.empty_like(x)
    acc = 0.0
    for i in range(3):
        acc = 0.5 * acc + x * (i + 1)
    out[...] = acc
    return out


@case("f:n")
def setitem_clip(x):
    y = x.copy()
    y[y < 0] = 0.0
    return y


@case("f:n,3")
def setitem_column(x):
    y = np.zeros_like(x)
    y[:, 0] = x[:, 1]
    return y


@case("f:n")
def gauss_logpdf(x):
    mu, sigma = 0.3, 1.7
    return np.sum(-0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi))


@case("p:n")
def gamma_logpdf(x):
    a, b = 2.0, 1.5
    return np.sum(a * np.log(b) - sp.gammaln(a) + (a - 1) * np.log(x) - b * x)


@case("f:n", "f:n")
def poisson_dev(y, mu):
    mu = np.exp(mu)
    return 2 * np.sum(sp.xlogy(np.abs(y), np.abs(y) / mu) - (np.abs(y) - mu))


@case("f:n,3")
def cosine_sim_matrix(x):
    n = x / np.linalg.norm(x, axis=1, keepdims=True)
    return n @ n.T


@case("f:n")
def rolling_mean_cumsum(x):
    c = np.cumsum(np.insert(x, 0, 0.0))
    return (c[3:] - c[:-3]) / 3.0


@case("f:n,4")
def batchnorm_eval(x):
    mean = np.array([0.1, 0.2, 0.3, 0.4])
    var = np.array([1.0, 2.0, 0.5, 1.5])
    gamma = np.ones(4)
    beta = np.zeros(4)
    return gamma * (x - mean) / np.sqrt(var + 1e-5) + beta


@case("f:n")
def quantile_clip(x):
    lo, hi = np.quantile(x, [0.1, 0.9])
    return np.clip(x, lo, hi)


@case("f:n,3")
def one_hot_argmax(x):
    return np.eye(3)[np.argmax(x, axis=1)]


@case("f:n")
def stable_sigmoid_where(x):
    return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


@case("f:n")
def hist_like(x):
    edges = np.linspace(-2, 2, 5)
    idx = np.searchsorted(edges, x)
    return np.bincount(idx, minlength=6)


@case("f:n,3")
def max_norm_rows(x):
    m = np.abs(x).max(axis=1, keepdims=True)
    return x / np.where(m == 0, 1.0, m)


@case("f:n", "f:n")
def r2_score(y, p):
    ss_res = ((y - p) ** 2).sum()
    ss_tot = ((y - y.mean()) ** 2).sum()
    return 1 - ss_res / ss_tot


@case("f:n")
def entropy_hist(x):
    p = sp.softmax(x)
    return -np.sum(p * np.log(p + 1e-12))


@case("f:n,2")
def rotation(x):
    th = 0.3
    r = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    return x @ r.T


@case("f:n,3", "f:n,3")
def frobenius_inner(a, b):
    return np.trace(a.T @ b)


@case("f:n")
def sum_with_where_kwarg(x):
    return np.sum(x, where=x > 0)


@case("f:n")
def mean_dtype_kwarg(x):
    return np.mean(x, dtype=np.float64)


@case("f:n,3")
def concat_features(x):
    return np.concatenate([x, x ** 2, np.ones((x.shape[0], 1))], axis=1)


@case("f:n,3")
def stack_stats(x):
    return np.stack([x.mean(axis=1), x.std(axis=1), x.max(axis=1)], axis=-1)


@case("f:n")
def clip_grad_norm(x):
    n = np.sqrt(np.sum(x * x))
    return x * min(1.0, 1.0) / np.maximum(n, 1.0)


@case("f:n,3")
def softmax_temperature(x, t=2.0):
    z = x / t
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@case("f:n")
def leaky_relu_default(x, slope=0.01):
    return np.where(x > 0, x, slope * x)


@case("f:n")
def abs_diff_sorted(x):
    s = np.sort(x)
    return np.abs(np.diff(s)).sum()


@case("f:n,3")
def col_any_nan(x):
    return np.isnan(x).any(axis=0)


@case("f:n")
def log_mean_exp(x):
    m = np.max(x)
    return m + np.log(np.mean(np.exp(x - m)))


@case("f:n,3")
def whiten_diag(x):
    c = x - x.mean(0)
    return c / np.sqrt(np.diag(c.T @ c) / max(x.shape[0] - 1, 1))


@case("f:n,3")
def l1_norm_rows(x):
    return np.linalg.norm(x, ord=1, axis=1)


@case("f:n,3")
def mean_two_axes(x):
    return x[None].mean(axis=(0, 2))


@case("f:n,3", "f:3,2")
def einsum_matmul(x, w):
    return np.einsum("ij,jk->ik", x, w)


@case("f:n,3", "f:3,2")
def tensordot_ax1(x, w):
    return np.tensordot(x, w, axes=1)


@case("f:n,3")
def cumsum_rows(x):
    return np.cumsum(x, axis=1)


@case("f:n,3")
def argsort_rows_take(x):
    i = np.argsort(x, axis=-1)
    return np.take_along_axis(x, i, axis=-1)


@case("f:n")
def interp_lin(x):
    return np.interp(x, [-1.0, 0.0, 1.0], [0.0, 1.0, 0.0])


@case("f:n,3")
def clip_arrays(x):
    return np.clip(x, x.min(axis=0), x.max(axis=0) * 0.5)


@case("f:n")
def logistic_ll(x):
    p = sp.expit(x)
    return np.sum(np.log(p) + np.log1p(-p))


@case("f:n,3")
def slogdet_gram(x):
    sign, logdet = np.linalg.slogdet(x.T @ x + np.eye(3))
    return sign * logdet


@case("f:n,3")
def inv_gram(x):
    return np.linalg.inv(x.T @ x + np.eye(3))


@case("f:n")
def kron_small(x):
    return np.kron(x[:2], np.array([1.0, -1.0]))


@case("f:n,3")
def var_ddof_axis0(x):
    return np.var(x, axis=0, ddof=1)


@case("f:n")
def nanmax_nanmin(x):
    return np.nanmax(x) - np.nanmin(x)


@case("f:n")
def nanstd(x):
    return np.nanstd(x)


@case("f:n")
def round_half(x):
    return np.round(x * 2) / 2


@case("f:n,3")
def log_sum_exp_keep(x):
    return sp.logsumexp(x, axis=0, keepdims=True)


@case("f:n")
def where_nested(x):
    return np.where(x > 1, 1.0, np.where(x < -1, -1.0, x))


@case("f:n")
def select_piecewise(x):
    return np.select([x < 0, x < 1], [x * x, x], default=1.0)


@case("f:n")
def piecewise_fn(x):
    return np.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: v * 2])


@case("f:n,3")
def mahalanobis_diag(x):
    mu = x.mean(0)
    var = x.var(0) + 1e-6
    return np.sqrt((((x - mu) ** 2) / var).sum(1))


@case("f:n,4")
def attention_tiny(x):
    q, k, v = x[:, :2], x[:, 1:3], x[:, 2:]
    s = q @ k.T / np.sqrt(2.0)
    s = s - s.max(axis=1, keepdims=True)
    a = np.exp(s)
    a /= a.sum(axis=1, keepdims=True)
    return a @ v


@case("f:n")
def trapz_x(x):
    return np.trapezoid(np.sin(x), dx=0.1)


@case("f:n")
def cumulative_trapz_like(x):
    return np.cumsum((x[1:] + x[:-1]) / 2)


@case("f:n,3")
def normalize_l2_inplace(x):
    y = x.copy()
    y /= np.linalg.norm(y, axis=1, keepdims=True) + 1e-12
    return y


@case("f:n")
def softsign_gelu(x):
    return x / (1 + np.abs(x)) + 0.5 * x * (1 + sp.erf(x / np.sqrt(2)))


@case("f:n", "f:n")
def weighted_percentile_like(x, w):
    return np.sum(np.sort(x) * np.cumsum(np.abs(w)))


@case("f:n")
def clamp_method_chain(x):
    return x.clip(-1, 1).mean().round(3)


@case("f:n,3")
def min_max_along(x):
    return np.minimum.reduce(x, axis=0) + np.fmax.reduce(x, axis=1).sum()


@case("f:n")
def diff2(x):
    return np.diff(x, n=2)


@case("f:n")
def ediff(x):
    return np.ediff1d(x)


@case("f:n,3")
def triu_indices_sum(x):
    g = x.T @ x
    i, j = np.triu_indices(3, k=1)
    return g[i, j]


@case("f:n")
def isclose_count(x):
    return np.count_nonzero(np.isclose(x, 0.0, atol=0.5))


@case("f:n,3")
def outer_products(x):
    return np.einsum("ni,nj->nij", x, x).sum(0)


@case("f:n")
def logspace_weights(x):
    return np.sum(x * np.logspace(0, 1, x.shape[0]))


# refused by name (np.bincount: a length that depends on the data)
REFUSED = {"hist_like"}

if __name__ == "__main__":
    from breadth_corpus import outcome

    backend = sys.argv[1] if len(sys.argv) > 1 else "numpy"
    for fn in CORPUS:
        print(f"{fn.__name__}: {outcome(fn, backend)}")
