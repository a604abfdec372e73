"""Order statistics (median, percentile, quantile and their nan* forms), NaN-ignoring
reductions, searchsorted, interp, argsort, pad/tile/repeat/meshgrid/kron/cross and indexing
with several traced index arrays: each traced through et.jit and compared with NumPy
running the very same function on random and edge inputs (NaN, +-inf, +-0, empty axes),
on the NumPy backend and (a sample) on Numba; gradients of cumprod and sort against
central finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from _numeric import assert_like_numpy, finite_difference, numpy_reference

import eqsat_tensor as et

EDGE = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0, 3.0, -0.5, 0.25, 7.0, 2.0])


def _mat(rng, shape=(3, 4)):
    return rng.standard_normal(shape)


# (id, function, inputs(rng) -> tuple of arrays)
CASES = [
    ("median", lambda x: np.median(x), lambda r: (_mat(r),)),
    ("median_axis_keepdims", lambda x: np.median(x, axis=1, keepdims=True),
     lambda r: (_mat(r),)),
    ("median_even_odd", lambda x: np.median(x, axis=0) + np.median(x[:3], axis=0),
     lambda r: (_mat(r, (4, 3)),)),
    ("percentile", lambda x: np.percentile(x, 90, axis=0), lambda r: (_mat(r),)),
    ("percentile_list", lambda x: np.percentile(x, [10, 50, 75.5]), lambda r: (_mat(r),)),
    ("quantile_tuple_axis", lambda x: np.quantile(x, 0.3, axis=(0, 2)),
     lambda r: (_mat(r, (2, 3, 4)),)),
    ("nanmedian", lambda x: np.nanmedian(x, axis=1), lambda r: (_mat(r),)),
    ("nanpercentile", lambda x: np.nanpercentile(x, 25, axis=0), lambda r: (_mat(r),)),
    ("nanquantile_all", lambda x: np.nanquantile(x, 0.8), lambda r: (_mat(r),)),
    ("nanvar_nanstd", lambda x: np.nanvar(x, axis=0) + np.nanstd(x, axis=0, ddof=1),
     lambda r: (_mat(r),)),
    ("nanmax_nanmin", lambda x: np.nanmax(x, axis=1) - np.nanmin(x, axis=1),
     lambda r: (_mat(r),)),
    ("nanprod", lambda x: np.nanprod(x, axis=0), lambda r: (_mat(r),)),
    ("searchsorted_left", lambda a, v: np.searchsorted(a, v),
     lambda r: (np.sort(_mat(r, (5,))), _mat(r))),
    ("searchsorted_right_method", lambda a, v: a.searchsorted(v, side="right"),
     lambda r: (np.array([-1.0, 0.0, 0.0, 2.0]), np.round(_mat(r)))),
    ("interp", lambda x: np.interp(x, [-1.0, 0.0, 0.5, 2.0], [1.0, -1.0, 3.0, 0.0]),
     lambda r: (_mat(r),)),
    ("interp_left_right", lambda x: np.interp(x, [0.0, 1.0], [0.0, 2.0], left=-5.0,
                                              right=7.0), lambda r: (_mat(r),)),
    ("argsort", lambda x: np.argsort(x, axis=1), lambda r: (_mat(r),)),
    ("argsort_flat_method", lambda x: x.argsort(axis=None), lambda r: (_mat(r),)),
    ("pad_constant", lambda x: np.pad(x, ((1, 0), (2, 1)), constant_values=3.5),
     lambda r: (_mat(r),)),
    ("pad_edge", lambda x: np.pad(x, 2, mode="edge"), lambda r: (_mat(r),)),
    ("tile", lambda x: np.tile(x, (2, 1, 3)), lambda r: (_mat(r),)),
    ("repeat", lambda x: np.repeat(x, 3, axis=1) + 0, lambda r: (_mat(r),)),
    ("repeat_counts", lambda x: np.repeat(x, [1, 0, 2], axis=0), lambda r: (_mat(r),)),
    ("repeat_flat_method", lambda x: x.repeat(2), lambda r: (_mat(r),)),
    ("meshgrid_xy", lambda x, y: np.meshgrid(x, y)[0] * np.meshgrid(x, y)[1],
     lambda r: (_mat(r, (3,)), _mat(r, (4,)))),
    ("meshgrid_ij_sparse", lambda x, y: sum(np.meshgrid(x, y, indexing="ij", sparse=True)),
     lambda r: (_mat(r, (3,)), _mat(r, (4,)))),
    ("kron", lambda a, b: np.kron(a, b), lambda r: (_mat(r, (2, 3)), _mat(r, (3, 2)))),
    ("kron_vec_mat", lambda a, b: np.kron(a, b), lambda r: (_mat(r, (3,)), _mat(r, (2, 2)))),
    ("cross3", lambda a, b: np.cross(a, b), lambda r: (_mat(r, (4, 3)), _mat(r, (4, 3)))),
    ("cross2", lambda a, b: np.cross(a, b), lambda r: (_mat(r, (4, 2)), _mat(r, (4, 2)))),
    ("cross_axis0", lambda a, b: np.cross(a, b, axis=0),
     lambda r: (_mat(r, (3, 4)), _mat(r, (3, 4)))),
    ("corrcoef_xy", lambda x, y: np.corrcoef(x, y), lambda r: (_mat(r, (6,)), _mat(r, (6,)))),
    ("cov_y_columns", lambda x, y: np.cov(x, y, rowvar=False),
     lambda r: (_mat(r, (5, 3)), _mat(r, (5, 2)))),
]
IDS = [c[0] for c in CASES]
NUMBA_SAMPLE = {"median_axis_keepdims", "nanmedian", "nanvar_nanstd", "searchsorted_left",
                "interp", "argsort", "pad_constant", "tile", "kron", "cross3"}


_ref, _check = numpy_reference, assert_like_numpy


def _edge_inputs(make):
    rng = np.random.default_rng(3)
    out = []
    for k, a in enumerate(make(rng)):
        flat = a.copy().ravel()
        picks = np.roll(EDGE, 3 * k)[: flat.size]
        flat[: picks.size] = picks
        out.append(rng.permutation(flat).reshape(a.shape))
    return tuple(out)


@pytest.mark.parametrize("name, fn, make", CASES, ids=IDS)
def test_matches_numpy_on_random_inputs(name, fn, make):
    args = make(np.random.default_rng(18))
    _check(et.jit(fn, backend="numpy")(*args), _ref(fn, args))


@pytest.mark.parametrize("name, fn, make", [c for c in CASES if c[0] in NUMBA_SAMPLE],
                         ids=[c[0] for c in CASES if c[0] in NUMBA_SAMPLE])
def test_numba_matches_numpy(name, fn, make):
    args = make(np.random.default_rng(18))
    _check(et.jit(fn, backend="numba")(*args), _ref(fn, args))


@pytest.mark.parametrize("name, fn, make", CASES, ids=IDS)
def test_matches_numpy_on_nan_inf_and_signed_zero(name, fn, make):
    if name.startswith("searchsorted"):  # the sorted operand keeps its order
        a, v = make(np.random.default_rng(18))
        args = (np.sort(np.concatenate([a[:2], [np.inf, -np.inf, np.nan]])),
                _edge_inputs(lambda r: (v,))[0])
    else:
        args = _edge_inputs(make)
    _check(et.jit(fn, backend="numpy", ieee="strict")(*args), _ref(fn, args))


@pytest.mark.parametrize("name, fn, make", CASES, ids=IDS)
def test_float32_keeps_numpys_dtype(name, fn, make):
    args = tuple(a.astype(np.float32) for a in make(np.random.default_rng(18)))
    _check(et.jit(fn, backend="numpy")(*args), _ref(fn, args), rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("fn", [
    lambda x: np.median(x, axis=0), lambda x: np.nanmedian(x, axis=0),
    lambda x: np.nanvar(x, axis=0), lambda x: np.nanmax(x, axis=1) if x.shape[1] else x,
    lambda x: np.searchsorted(np.array([1.0, 2.0]), x), lambda x: np.pad(x, 1),
    lambda x: np.tile(x, 2), lambda x: np.repeat(x, 2, axis=0),
    lambda x: np.argsort(x, axis=0),
])
def test_empty_axes_match_numpy(fn):
    x = np.ones((0, 3))
    _check(et.jit(fn, backend="numpy", ieee="strict")(x), _ref(fn, (x,)))


def test_all_nan_slices_give_nan_like_numpy():
    x = np.array([[np.nan, np.nan], [1.0, np.nan]])
    for fn in (lambda x: np.nanmedian(x, axis=1), lambda x: np.nanmax(x, axis=1),
               lambda x: np.nanpercentile(x, 30, axis=1), lambda x: np.median(x, axis=1)):
        _check(et.jit(fn, backend="numpy", ieee="strict")(x), _ref(fn, (x,)))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_several_traced_index_arrays_gather_like_numpy(backend):
    def nll(logp, labels):
        return -logp[np.arange(labels.shape[0]), labels].mean()

    rng = np.random.default_rng(0)
    logp, labels = rng.standard_normal((5, 4)), rng.integers(-4, 4, 5)
    got = et.jit(nll, backend=backend)(logp, labels)
    assert got == pytest.approx(nll(logp, labels), rel=1e-12)


def test_several_traced_index_arrays_check_each_axis():
    def pick(x, i, j):
        return x[i, j]

    x = np.arange(12.0).reshape(3, 4)
    f = et.jit(pick, backend="numpy")
    np.testing.assert_array_equal(f(x, np.array([0, 2]), np.array([3, -1])),
                                  pick(x, np.array([0, 2]), np.array([3, -1])))
    with pytest.raises(IndexError):  # column 4 would land inside the flattened array
        f(x, np.array([0, 1]), np.array([4, 0]))


@pytest.mark.parametrize("fn, name", [
    (lambda x: np.unique(x), "np.unique"),
    (lambda x: np.bincount(x.astype(np.int64)), "np.bincount"),
    (lambda x: np.percentile(x, 50, method="nearest"), "method='nearest'"),
    (lambda x: np.pad(x, 1, mode="reflect"), "mode='reflect'"),
    (lambda x: np.repeat(x, np.argmax(x)), "np.repeat repeats given as a traced value"),
])
def test_data_dependent_shapes_are_refused_by_name(fn, name):
    with pytest.raises(et.UnsupportedError, match=name.replace("(", r"\(")) as info:
        et.jit(fn, backend="numpy")(np.arange(4.0))
    assert "test_breadth_families.py" in str(info.value)  # the user's line


# -- gradients ----------------------------------------------------------------------------------

GRAD_CASES = [
    ("cumprod", lambda x: np.cumprod(x, axis=1)),
    ("cumprod_flat", lambda x: np.cumprod(1 + 0.5 * x)),
    ("sort", lambda x: np.sort(x, axis=1)),
    ("sort_axis0", lambda x: np.sort(x * x, axis=0)),
    ("median", lambda x: np.median(x, axis=1)),
    ("percentile", lambda x: np.percentile(x, [20, 70])),
    ("nanstd", lambda x: np.nanstd(x, axis=0)),
    ("interp", lambda x: np.interp(x, [-1.0, 0.5, 2.0], [1.0, -1.0, 3.0])),
    ("pad_tile_kron", lambda x: np.pad(np.tile(x, 2), 1)[:, :8] @ np.kron(x.T, np.ones((2, 1)))),
]


@pytest.mark.parametrize("name, fn", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_matches_finite_differences(name, fn):
    x = np.random.default_rng(5).standard_normal((3, 4))
    w = np.random.default_rng(1).standard_normal(np.shape(fn(x)))

    def loss(a):
        return np.sum(fn(a) * w)

    got = et.grad(loss, backend="numpy")(x)
    np.testing.assert_allclose(got, finite_difference(loss, (x,)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 1), (0, 3)], [(1, 0), (1, 2), (2, 3)]])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_cumprod_gradient_at_zeros(zeros, backend):
    x = np.random.default_rng(2).standard_normal((3, 4))
    for z in zeros:
        x[z] = 0.0
    w = np.random.default_rng(4).standard_normal((3, 4))

    def loss(a):
        return np.sum(np.cumprod(a, axis=1) * w)

    got = et.grad(loss, backend=backend)(x)
    np.testing.assert_allclose(got, finite_difference(loss, (x,)), rtol=1e-6, atol=1e-8)


# -- integer overflow ---------------------------------------------------------------------------

INT32_CASES = [
    ("mul", lambda a, b: a * b), ("add_sub", lambda a, b: a + b - b * 3),
    ("neg_abs", lambda a, b: -a + np.abs(b)), ("square", lambda a, b: np.square(a)),
    ("wrapped_then_divided", lambda a, b: (a * b) // 7 + (a * b) % 5),
    ("matmul", lambda a, b: a @ b), ("cumsum_int64", lambda a, b: np.cumsum(a * b)),
]


@pytest.mark.parametrize("name, fn", INT32_CASES, ids=[c[0] for c in INT32_CASES])
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_int32_arithmetic_wraps_like_numpy(name, fn, backend):
    a = np.array([2**31 - 1, -2**31, 123456789, -98765, 7, 46341], dtype=np.int32)
    b = np.array([2, -1, 987654321, 12345, -3, 46341], dtype=np.int32)
    with np.errstate(all="ignore"):
        want = fn(a, b)
    got = et.jit(fn, backend=backend)(a, b)
    assert np.asarray(got).dtype == np.asarray(want).dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_int64_beyond_exact_range_raises_instead_of_rounding(backend):
    f = et.jit(lambda a: a * a + 1, backend=backend)
    small = np.array([2**26, -3], dtype=np.int64)
    np.testing.assert_array_equal(f(small), small * small + 1)  # 2**52 + 1: exact
    with pytest.raises(OverflowError, match="2\\*\\*53"):
        f(np.array([2**27, 3], dtype=np.int64))  # 2**54 + 1 would round
    with pytest.raises(OverflowError):
        et.jit(lambda a: np.sum(a * 2**40), backend=backend)(np.full(16384, 2**13))
