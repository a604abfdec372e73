"""Each NumPy / SciPy function the tracer covers beyond single ops, traced through et.jit and
compared with NumPy / SciPy running the very same Python function: on random inputs (the
NumPy and Numba backends), on edge inputs (NaN, +-inf, +-0, empty axes; the NumPy backend
with ieee="strict"), and its gradient against central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
from _numeric import assert_like_numpy, finite_difference, numpy_reference

import eqsat_tensor as et

RNG_SEED = 18
EDGE = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0, 1e-300, 3.0, -0.5, 0.25, 7.0])


def _mat(rng, shape=(3, 4)):
    return rng.standard_normal(shape)


def _prob(rng, shape=(3, 4)):
    return rng.uniform(0.05, 0.95, shape)


# (id, function, inputs(rng) -> tuple of float64 arrays, differentiable, edge-testable)
CASES = [
    ("fmax", lambda x, y: np.fmax(x, y), lambda r: (_mat(r), _mat(r)), False, True),
    ("fmin", lambda x, y: np.fmin(x, y), lambda r: (_mat(r), _mat(r)), False, True),
    ("fmax_nan_const", lambda x: np.fmax(x, np.nan), lambda r: (_mat(r),), False, True),
    ("sign", lambda x: np.sign(x), lambda r: (_mat(r),), False, True),
    ("heaviside", lambda x: np.heaviside(x, 0.5), lambda r: (_mat(r),), False, True),
    ("isnan_where", lambda x: np.where(np.isnan(x), 0.0, x), lambda r: (_mat(r),), False, True),
    ("isfinite_isinf", lambda x: np.where(np.isfinite(x), x, 0.0) + np.isinf(x),
     lambda r: (_mat(r),), False, True),
    ("logical", lambda x, y: np.where(np.logical_xor(x > 0, y > 0) | ~(x < y), x, y),
     lambda r: (_mat(r), _mat(r)), False, True),
    ("clip_fn", lambda x: np.clip(x, -0.5, 0.7), lambda r: (_mat(r),), True, True),
    ("clip_method", lambda x: x.clip(min=-0.5), lambda r: (_mat(r),), True, True),
    ("std_ddof1", lambda x: np.std(x, axis=1, ddof=1), lambda r: (_mat(r),), True, True),
    ("var_method_ddof", lambda x: x.var(ddof=1, keepdims=True), lambda r: (_mat(r),), True,
     True),
    ("ptp", lambda x: np.ptp(x, axis=0), lambda r: (_mat(r),), False, True),
    ("any_all", lambda x: np.where(np.any(x > 1, axis=1) & np.all(x > -3, axis=1), 1.0, 0.0),
     lambda r: (_mat(r),), False, True),
    ("nansum_nanmean", lambda x: np.nansum(x, axis=0) + np.nanmean(x, axis=0),
     lambda r: (_mat(r),), False, True),
    ("average_weights", lambda x, w: np.average(x, axis=1, weights=w),
     lambda r: (_mat(r), r.uniform(0.1, 1, 4)), True, False),
    ("outer", lambda x, y: np.outer(x, y), lambda r: (_mat(r, (3,)), _mat(r, (4,))), True,
     True),
    ("dot_3d", lambda x, y: np.dot(x, y), lambda r: (_mat(r, (2, 3, 4)), _mat(r, (4, 5))),
     True, False),
    ("dot_method", lambda x, y: x.dot(y), lambda r: (_mat(r), _mat(r, (4, 2))), True, False),
    ("inner", lambda x, y: np.inner(x, y), lambda r: (_mat(r), _mat(r, (2, 4))), True, False),
    ("vdot", lambda x, y: np.vdot(x, y), lambda r: (_mat(r), _mat(r)), True, False),
    ("tensordot", lambda x, y: np.tensordot(x, y, axes=([1, 2], [0, 1])),
     lambda r: (_mat(r, (2, 3, 4)), _mat(r, (3, 4, 5))), True, False),
    ("norm_vec", lambda x: np.linalg.norm(x), lambda r: (_mat(r, (5,)),), True, True),
    ("norm_fro", lambda x: np.linalg.norm(x, "fro"), lambda r: (_mat(r),), True, True),
    ("norm_axis_inf", lambda x: np.linalg.norm(x, np.inf, axis=1), lambda r: (_mat(r),),
     False, True),
    ("norm_ord1_matrix", lambda x: np.linalg.norm(x, 1), lambda r: (_mat(r),), False, True),
    ("norm_p3", lambda x: np.linalg.norm(x, 3, axis=0, keepdims=True),
     lambda r: (_mat(r),), True, True),
    ("trace", lambda x: np.trace(x), lambda r: (_mat(r, (4, 4)),), True, True),
    ("trace_method_offset", lambda x: x.trace(offset=1), lambda r: (_mat(r),), True, True),
    ("diag", lambda x: np.diag(x) @ np.ones(3), lambda r: (_mat(r, (3,)),), True, True),
    ("einsum_matmul", lambda x, y: np.einsum("ij,jk->ik", x, y),
     lambda r: (_mat(r), _mat(r, (4, 2))), True, False),
    ("einsum_batch", lambda x, y: np.einsum("bij,bjk->bki", x, y),
     lambda r: (_mat(r, (2, 3, 4)), _mat(r, (2, 4, 5))), True, False),
    ("einsum_outer_sum", lambda x, y: np.einsum("i,j->", x, y),
     lambda r: (_mat(r, (3,)), _mat(r, (4,))), True, False),
    ("einsum_trace_implicit", lambda x: np.einsum("ii", x), lambda r: (_mat(r, (3, 3)),),
     True, True),
    ("einsum_three", lambda x, y, z: np.einsum("ij,jk,k->i", x, y, z),
     lambda r: (_mat(r), _mat(r, (4, 5)), _mat(r, (5,))), True, False),
    ("einsum_elementwise", lambda x, y: np.einsum("ij,ij->i", x, y),
     lambda r: (_mat(r), _mat(r)), True, True),
    ("einsum_ellipsis", lambda x, y: np.einsum("...ij,...jk->...ik", x, y),
     lambda r: (_mat(r, (2, 3, 4)), _mat(r, (4, 5))), True, False),
    ("einsum_ellipsis_implicit", lambda x: np.einsum("i...->...", x),
     lambda r: (_mat(r, (3, 2, 4)),), True, True),
    ("expit", lambda x: sp.expit(x), lambda r: (_mat(r),), True, True),
    ("logit", lambda p: sp.logit(p), lambda r: (_prob(r),), True, True),
    ("xlogy", lambda x, y: sp.xlogy(x, y), lambda r: (_mat(r), _prob(r)), True, True),
    ("xlog1py", lambda x, y: sp.xlog1py(x, y), lambda r: (_mat(r), _prob(r)), True, True),
    ("rel_entr", lambda x, y: sp.rel_entr(x, y), lambda r: (_prob(r), _prob(r)), True, True),
    ("kl_div", lambda x, y: sp.kl_div(x, y), lambda r: (_prob(r), _prob(r)), True, True),
    ("entr", lambda x: sp.entr(x), lambda r: (_prob(r),), True, True),
    ("logsumexp", lambda x: sp.logsumexp(x, axis=1), lambda r: (_mat(r),), True, True),
    ("logsumexp_keepdims", lambda x: sp.logsumexp(x, axis=0, keepdims=True),
     lambda r: (_mat(r),), True, True),
    ("logsumexp_weights", lambda x, w: sp.logsumexp(x, axis=1, b=w),
     lambda r: (_mat(r), r.uniform(0, 2, (3, 4))), True, True),
    ("logsumexp_signed_weights", lambda x, w: sp.logsumexp(x, b=w - 0.5, keepdims=True),
     lambda r: (_mat(r), r.uniform(0, 2, (3, 4))), False, True),
    ("logsumexp_all", lambda x: sp.logsumexp(x), lambda r: (_mat(r),), True, False),
    ("softmax", lambda x: sp.softmax(x, axis=1), lambda r: (_mat(r),), True, False),
    ("log_softmax", lambda x: sp.log_softmax(x, axis=-1), lambda r: (_mat(r),), True, True),
    ("log_expit", lambda x: sp.log_expit(x), lambda r: (_mat(r),), True, True),
    ("moveaxis_mT", lambda x: np.moveaxis(x, 0, -1).mT, lambda r: (_mat(r, (2, 3, 4)),),
     True, True),
    ("logaddexp2", lambda x, y: np.logaddexp2(x, y), lambda r: (_mat(r), _mat(r)), True,
     True),
    ("arctanh", lambda x: np.arctanh(x), lambda r: (r.uniform(-0.99, 0.99, (3, 4)),), True,
     True),
    ("arcsinh", lambda x: np.arcsinh(x * 1e3), lambda r: (_mat(r),), True, True),
    ("arcsinh_huge", lambda x: np.arcsinh(x * 1e200), lambda r: (_mat(r),), False, False),
    ("arccosh", lambda x: np.arccosh(x), lambda r: (r.uniform(1, 50, (3, 4)),), True, True),
    ("polyval", lambda x: np.polyval([0.5, -1.0, 2.0, 3.0], x), lambda r: (_mat(r),), True,
     True),
    ("cov", lambda x: np.cov(x), lambda r: (_mat(r, (3, 6)),), True, False),
    ("cov_cols_bias", lambda x: np.cov(x, rowvar=False, bias=True), lambda r: (_mat(r),),
     True, False),
    ("corrcoef", lambda x: np.corrcoef(x), lambda r: (_mat(r, (3, 6)),), True, False),
    ("asarray", lambda x: np.asarray(x) * np.array(x, dtype=np.float64),
     lambda r: (_mat(r),), True, True),
    ("diag_extract", lambda x: np.diag(x) + np.diagonal(x, 1) + x.T.diagonal(-1),
     lambda r: (_mat(r, (3, 5)),), True, True),
    ("triu_tril", lambda x: np.triu(x, 1) - np.tril(x), lambda r: (_mat(r),), True, True),
    ("isclose", lambda x, y: np.where(np.isclose(x, y * 1e-9 + x, equal_nan=True), x, y),
     lambda r: (_mat(r), _mat(r)), False, True),
    ("where_kwarg", lambda x: np.sum(x, axis=0, where=x > 0) + np.mean(x, where=x < 1)
     + np.max(x, axis=1, where=x < 1, initial=-5.0).sum() + x.prod(where=x > 0.5),
     lambda r: (_mat(r),), False, True),
    ("max_initial", lambda x: np.max(x, axis=0, initial=0.5) + x.sum(initial=2.0),
     lambda r: (_mat(r),), False, True),
    ("deg2rad", lambda x: np.deg2rad(x) + np.rad2deg(x), lambda r: (_mat(r),), True, True),
]
IDS = [c[0] for c in CASES]


_ref, _check = numpy_reference, assert_like_numpy


@pytest.mark.parametrize("name, fn, make, diff, edge", CASES, ids=IDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_matches_numpy_on_random_inputs(name, fn, make, diff, edge, backend):
    args = make(np.random.default_rng(RNG_SEED))
    _check(et.jit(fn, backend=backend)(*args), _ref(fn, args))


@pytest.mark.parametrize("name, fn, make, diff, edge", CASES, ids=IDS)
def test_float32_stays_float32(name, fn, make, diff, edge):
    args = tuple(a.astype(np.float32) for a in make(np.random.default_rng(RNG_SEED)))
    # SciPy's float32 loops compute in double; float32 cancellation is ~1e-7 absolute
    _check(et.jit(fn, backend="numpy")(*args), _ref(fn, args), rtol=2e-5, atol=1e-6)


def _edge_inputs(make):
    """The random inputs with the edge values spread over them."""
    rng = np.random.default_rng(RNG_SEED)
    out = []
    for k, a in enumerate(make(rng)):
        flat = a.copy().ravel()
        picks = np.roll(EDGE, 3 * k)[: flat.size]
        flat[: picks.size] = picks
        out.append(rng.permutation(flat).reshape(a.shape))
    return tuple(out)


@pytest.mark.parametrize("name, fn, make, diff, edge",
                         [c for c in CASES if c[4]], ids=[c[0] for c in CASES if c[4]])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_matches_numpy_on_nan_inf_and_signed_zero(name, fn, make, diff, edge, backend):
    args = _edge_inputs(make)
    got = et.jit(fn, backend=backend, ieee="strict")(*args)
    want = _ref(fn, args)
    _check(got, want)
    keep = ~np.isnan(np.asarray(want))  # the sign of zeros and infinities (not of NaN)
    np.testing.assert_array_equal(np.signbit(np.asarray(got))[keep],
                                  np.signbit(np.asarray(want))[keep])


@pytest.mark.parametrize("fn", [
    lambda x: np.nansum(x, axis=0), lambda x: np.sum(x, axis=0), lambda x: np.std(x, axis=0),
    lambda x: np.var(x, axis=0, ddof=1), lambda x: sp.logsumexp(x, axis=0),
    lambda x: np.any(x > 0, axis=0), lambda x: np.all(x > 0, axis=0),
    lambda x: np.linalg.norm(x, axis=0), lambda x: np.einsum("ij->j", x),
])
def test_reductions_over_an_empty_axis(fn):
    x = np.ones((0, 3))
    _check(et.jit(fn, backend="numpy", ieee="strict")(x), _ref(fn, (x,)))


@pytest.mark.parametrize("name, fn, make, diff, edge",
                         [c for c in CASES if c[3]], ids=[c[0] for c in CASES if c[3]])
def test_gradient_matches_finite_differences(name, fn, make, diff, edge):
    args = make(np.random.default_rng(RNG_SEED))
    w = np.random.default_rng(1).standard_normal(np.shape(_ref(fn, args)))

    if len(args) == 1:
        def loss(a):
            return np.sum(fn(a) * w)
    elif len(args) == 2:
        def loss(a, b):
            return np.sum(fn(a, b) * w)
    else:
        def loss(a, b, c):
            return np.sum(fn(a, b, c) * w)

    got = et.grad(loss, argnums=0, backend="numpy")(*args)
    want = finite_difference(loss, args, 0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda x: np.sum(x > 0), lambda x: np.count_nonzero(x), lambda x: (x > 0) + 1,
    lambda x: np.sum(x > 0, axis=0)[None], lambda x: np.argmax(x, axis=1),
    lambda x: x.astype(np.int32) * 2,
])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_integer_results_have_numpy_integer_dtypes(fn, backend):
    x = np.array([[1.5, -2.0, 0.0], [3.0, 0.5, -0.25]])
    got, want = et.jit(fn, backend=backend)(x), fn(x)
    assert type(got) is type(want) and np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("fn, name", [
    (lambda x: (x > 0).sum() ** 2, "np.power of bool and integer values"),
    (lambda x: np.polyval(np.ravel(x), x), "np.polyval with traced coefficients"),
])
def test_integer_results_are_refused_not_converted(fn, name):
    with pytest.raises(et.UnsupportedError, match=name):
        et.jit(fn, backend="numpy")(np.ones((2, 3)))


@pytest.mark.parametrize("fn", [
    lambda x: x * np.sum(x > 0), lambda x: np.sum(x > 0) / x.size,
    lambda x: x.astype(np.float32) - np.count_nonzero(x, axis=0),
    lambda x: (np.sum(x > 0, axis=1) + (x < 0).sum(axis=1)).astype(float),
    lambda x: np.where(x > 0, 2, -1) * 0.5, lambda x: np.mean(x > 0) + np.abs(-np.sum(x > 1)),
])
def test_integer_intermediates_promote_like_numpy(fn):
    x = np.array([[1.5, -2.0, 0.0], [3.0, 0.5, -0.25]])
    want = fn(x)
    got = et.jit(fn, backend="numpy")(x)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got, want)
