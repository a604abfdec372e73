"""Accuracy, special values and vectorization of ``eqsat_tensor.backends.fastmath``.

Oracle. mpmath over 1e6 points per function and dtype is too slow for CI (about 10 s per
function), so the error on the 1e6 sampled points is measured against ``np.longdouble``
(x87 80-bit, 64-bit significand: its own error is below 1e-3 ulp of float64), and on a
1e4-point subset of every sample, plus all special and edge values, against mpmath at 120
bits. The longdouble oracle itself is checked against mpmath on that subset.

Errors are in ulps of the exact result (``ulp(y) = 2**(exponent(y) - p + 1)``, subnormal
spacing below the normal range); a result that overflowed although the exact one rounds to
a finite number counts as an infinite error.

``test_max_ulp_against_mpmath_on_full_sample`` (marked slow, ~8 min) runs mpmath on all
1e6 points. Run ``python tests/test_fastmath.py`` to print the measured max-ulp table.
"""

from __future__ import annotations

import functools
import math
import re

import mpmath
import numba
import numpy as np
import pytest

from eqsat_tensor.backends import fastmath as fm

N_POINTS = 1_000_000
N_MPMATH = 10_000
DTYPES = ("float64", "float32")
LD = np.longdouble


# --------------------------------------------------------------------------- helpers
@functools.cache
def _loop(op: str, dtype: str, fastmath: frozenset | bool = False):
    """A compiled 1-D loop applying FUNCS[op][dtype] elementwise."""
    fn = fm.FUNCS[op][dtype]

    @numba.njit(fastmath=set(fastmath) if fastmath else False)
    def loop(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    return loop


def apply(op: str, dtype: str, x: np.ndarray, fastmath: frozenset | bool = False) -> np.ndarray:
    """FUNCS[op][dtype] over an array (in a compiled loop)."""
    x = np.ascontiguousarray(x, dtype=dtype)
    out = np.empty_like(x)
    _loop(op, dtype, fastmath)(x, out)
    return out


def scalar(op: str, dtype: str, value: float, fastmath: frozenset | bool = False) -> float:
    """FUNCS[op][dtype] on one value."""
    return apply(op, dtype, np.array([value], dtype=dtype), fastmath)[0]


def _ld_ref(op: str, x: np.ndarray) -> np.ndarray:
    """The longdouble oracle."""
    x = x.astype(LD)
    with np.errstate(all="ignore"):
        if op == "sigmoid":
            e = np.exp(-np.abs(x))
            return np.where(x < 0, e / (1 + e), 1 / (1 + e))
        if op == "softplus":
            return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
        return getattr(np, op)(x)


_MP = {
    "exp": mpmath.exp,
    "log": mpmath.log,
    "log1p": mpmath.log1p,
    "expm1": mpmath.expm1,
    "tanh": mpmath.tanh,
    "sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)),
    "softplus": lambda v: mpmath.log1p(mpmath.exp(v)),
}


def _mp_ref(op: str, x: np.ndarray) -> np.ndarray:
    """The mpmath oracle (120-bit), returned as longdouble."""
    out = np.empty(x.size, dtype=LD)
    with mpmath.workprec(120):
        f = _MP[op]
        for i, v in enumerate(x.tolist()):
            # the exact decimal string of the longdouble keeps the 64-bit significand
            out[i] = LD(mpmath.nstr(f(mpmath.mpf(v)), 30, min_fixed=1, max_fixed=0))
    return out


def ulp_error(y: np.ndarray, ref: np.ndarray, dtype: str) -> np.ndarray:
    """|y - ref| in ulps of ref for finite correctly-rounded refs (others must match exactly)."""
    info = np.finfo(dtype)
    p, emin = info.nmant + 1, info.minexp
    ref = ref.astype(LD)
    with np.errstate(over="ignore"):
        cr = ref.astype(dtype)
    y = y.astype(LD)
    _, e = np.frexp(ref)
    e = np.maximum(e.astype(np.int64) - 1, emin)
    ulp = np.ldexp(LD(1), (e - p + 1).astype(np.int32))
    with np.errstate(all="ignore"):
        err = np.abs(y - ref) / ulp
    special = ~np.isfinite(cr)
    err[special] = np.where(y[special].astype(dtype) == cr[special], 0.0, np.inf)
    both_nan = np.isnan(cr) & np.isnan(y)
    err[both_nan] = 0.0
    err[np.isnan(err)] = np.inf
    return err


def _signed_log_uniform(rng, n, lo, hi):
    """n values with |x| = 2**uniform(lo, hi) and a random sign (covers whole binades)."""
    return rng.choice([-1.0, 1.0], n) * np.exp2(rng.uniform(lo, hi, n))


def sample(op: str, dtype: str, n: int = N_POINTS, seed: int = 0) -> np.ndarray:
    """The test inputs for op: uniform over the interesting range and log-uniform magnitudes."""
    rng = np.random.default_rng(seed)
    f64 = dtype == "float64"
    big = 709.78 if f64 else 88.72
    small = -745.2 if f64 else -103.9
    emin = -1074 if f64 else -149
    emax = 1024 if f64 else 128
    k = n // 4
    if op == "exp":
        parts = [rng.uniform(small, big, 2 * k), rng.uniform(-1, 1, k),
                 _signed_log_uniform(rng, k, emin, math.log2(-small))]
    elif op == "log":
        parts = [np.exp2(rng.uniform(emin, emax, 2 * k)), rng.uniform(0.5, 2.0, k),
                 np.exp2(rng.uniform(emin, -1020 if f64 else -124, k))]
    elif op == "log1p":
        parts = [rng.uniform(-1, 1, k), np.exp2(rng.uniform(emin, emax, k)),
                 -np.exp2(rng.uniform(emin, 0, k)), rng.uniform(-1, -0.9, k)]
    elif op == "expm1":
        parts = [rng.uniform(-40, big, k), _signed_log_uniform(rng, 2 * k, emin, 6),
                 rng.uniform(-2, 2, k)]
    elif op == "tanh":
        parts = [rng.uniform(-25, 25, k), _signed_log_uniform(rng, 2 * k, emin, 5),
                 rng.uniform(-2, 2, k)]
    elif op == "sigmoid":
        parts = [rng.uniform(small - 5, 40, k), _signed_log_uniform(rng, 2 * k, emin, 10),
                 rng.uniform(-10, 10, k)]
    elif op == "softplus":
        parts = [rng.uniform(small - 5, -small + 5, k), _signed_log_uniform(rng, 2 * k, emin, 12),
                 rng.uniform(-40, 40, k)]
    else:  # pragma: no cover - guarded by the parametrization
        raise AssertionError(op)
    x = np.concatenate(parts)
    with np.errstate(over="ignore"):
        x = x.astype(dtype)
    keep = np.isfinite(x) & (x > -1) if op == "log1p" else np.isfinite(x)
    return x[keep]


# --------------------------------------------------------------------------- accuracy
@functools.cache
def _mp_subset(op: str, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The mpmath-checked subset of sample(op, dtype) plus the edge values, and mpmath's
    values there."""
    x = sample(op, dtype)
    sub = np.concatenate([x[:: max(1, x.size // N_MPMATH)], EDGE_VALUES[dtype][op]])
    sub = sub.astype(dtype)
    return sub, _mp_ref(op, sub)


@functools.cache
def measured(op: str, dtype: str, fastmath: frozenset | bool = False
             ) -> tuple[float, float, float]:
    """(max ulp vs longdouble on the full sample, max ulp vs mpmath on the subset and edge
    values, max ulp disagreement of the longdouble oracle with mpmath)."""
    x = sample(op, dtype)
    y = apply(op, dtype, x, fastmath)
    err_ld = ulp_error(y, _ld_ref(op, x), dtype)
    sub, ref_mp = _mp_subset(op, dtype)
    err_mp = ulp_error(apply(op, dtype, sub, fastmath), ref_mp, dtype)
    with np.errstate(over="ignore"):
        oracle = ulp_error(_ld_ref(op, sub), ref_mp, dtype)
    return float(err_ld.max()), float(err_mp.max()), float(oracle.max())


def _edges(dtype: str) -> dict[str, np.ndarray]:
    info = np.finfo(dtype)
    tiny, sub_min = float(info.smallest_normal), float(info.smallest_subnormal)
    f64 = dtype == "float64"
    ovf = 709.782712893384 if f64 else 88.72283
    unf = -745.1332191019411 if f64 else -103.97208
    common = [sub_min, 3 * sub_min, tiny, tiny * 0.5, 2.0**-60, 2.0**-27, 1e-10, 0.5, 1.0, 2.0]
    common = common + [-v for v in common]
    near = [ovf, unf, ovf - 1e-6, unf + 1e-6, -708.4 if f64 else -87.3, 0.34657359, 1.0397208,
            -0.34657359, 22.0, 36.7, -36.7, 0.54930614, 0.625, 19.06, -19.06]
    grid = list(np.linspace(-3, 3, 241))
    pos = [sub_min, 3 * sub_min, tiny * 0.7, tiny, 1.0, math.sqrt(2), math.sqrt(0.5),
           float(info.max), 1 - 2.0**-20, 1 + 2.0**-20, 0.7071067, 1.4142135]
    lp = [-0.2928932, 0.41421356, -0.9999999, 1e300 if f64 else 1e38, 2.0**53, 2.0**-53]
    return {
        "exp": np.array(common + near + grid),
        "log": np.array(pos + list(np.linspace(0.5, 2.0, 301))),
        "log1p": np.array([v for v in common if v > -1] + lp + grid[120:]
                          + list(np.linspace(-0.99, 0, 100))),
        "expm1": np.array(common + near + grid),
        "tanh": np.array(common + near + grid),
        "sigmoid": np.array(common + near + grid),
        "softplus": np.array(common + near + grid + [-740.0, 40.0, 1e300 if f64 else 1e38]),
    }


EDGE_VALUES = {dt: _edges(dt) for dt in DTYPES}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", fm.OPS)
def test_max_ulp_within_documented_bound(op, dtype):
    err_ld, err_mp, oracle = measured(op, dtype)
    bound = fm.MAX_ULP_BY_DTYPE[op][dtype]
    assert oracle < 0.01, f"longdouble oracle disagrees with mpmath by {oracle} ulp for {op}"
    assert err_ld <= bound, f"{op}/{dtype}: {err_ld:.3f} ulp > documented {bound}"
    assert err_mp <= bound, f"{op}/{dtype}: {err_mp:.3f} ulp vs mpmath > documented {bound}"


@pytest.mark.parametrize("op", fm.OPS)
def test_bounds_hold_under_safe_fastmath_flags(op):
    """A kernel compiled with fastmath=SAFE_FASTMATH_FLAGS (FMA contraction etc.) keeps the
    documented float64 bound and the exact special values."""
    flags = fm.SAFE_FASTMATH_FLAGS
    err_ld, err_mp, _ = measured(op, "float64", flags)
    bound = fm.MAX_ULP_BY_DTYPE[op]["float64"]
    assert max(err_ld, err_mp) <= bound, f"{op} under {sorted(flags)}: {err_ld}, {err_mp}"
    for name, x, expected in SPECIALS:
        if name == op:
            got = float(scalar(op, "float64", x, flags))
            assert _same(got, expected), f"{op}({x!r}) under fast math = {got!r}"


@pytest.mark.slow
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", fm.OPS)
def test_max_ulp_against_mpmath_on_full_sample(op, dtype):
    """The whole 1e6-point sample against mpmath (about 1 min per op and dtype)."""
    x = sample(op, dtype)
    err = ulp_error(apply(op, dtype, x), _mp_ref(op, x), dtype)
    assert err.max() <= fm.MAX_ULP_BY_DTYPE[op][dtype], (op, dtype, err.max())


@pytest.mark.parametrize("op", fm.OPS)
def test_float64_functions_accept_other_scalar_types(op):
    """float32 and int arguments are widened by the float64 functions (mixed-dtype graphs)."""
    fn = fm.FUNCS[op]["float64"]

    @numba.njit
    def call(a, b):
        return fn(a), fn(b)

    a, b = call(np.float32(0.75), 3)
    assert a == scalar(op, "float64", 0.75)
    assert b == scalar(op, "float64", 3.0)


def test_max_ulp_table_consistent():
    assert set(fm.FUNCS) == set(fm.MAX_ULP) == set(fm.MAX_ULP_BY_DTYPE) == set(fm.TESTED_RANGE)
    for op, per_dtype in fm.MAX_ULP_BY_DTYPE.items():
        assert set(per_dtype) == set(DTYPES) == set(fm.FUNCS[op])
        assert fm.MAX_ULP[op] == max(per_dtype.values()) <= 2.0


# --------------------------------------------------------------------------- special values
INF, NAN = math.inf, math.nan
SPECIALS = [
    ("exp", 0.0, 1.0), ("exp", -0.0, 1.0), ("exp", INF, INF), ("exp", -INF, 0.0),
    ("exp", NAN, NAN), ("exp", 1000.0, INF), ("exp", -1000.0, 0.0),
    ("log", 0.0, -INF), ("log", -0.0, -INF), ("log", 1.0, 0.0), ("log", -1.0, NAN),
    ("log", INF, INF), ("log", -INF, NAN), ("log", NAN, NAN),
    ("log1p", 0.0, 0.0), ("log1p", -0.0, -0.0), ("log1p", -1.0, -INF), ("log1p", -2.0, NAN),
    ("log1p", INF, INF), ("log1p", -INF, NAN), ("log1p", NAN, NAN),
    ("expm1", 0.0, 0.0), ("expm1", -0.0, -0.0), ("expm1", INF, INF), ("expm1", -INF, -1.0),
    ("expm1", NAN, NAN), ("expm1", 1000.0, INF), ("expm1", -1000.0, -1.0),
    ("tanh", 0.0, 0.0), ("tanh", -0.0, -0.0), ("tanh", INF, 1.0), ("tanh", -INF, -1.0),
    ("tanh", NAN, NAN), ("tanh", 30.0, 1.0), ("tanh", -30.0, -1.0),
    ("sigmoid", 0.0, 0.5), ("sigmoid", -0.0, 0.5), ("sigmoid", INF, 1.0),
    ("sigmoid", -INF, 0.0), ("sigmoid", NAN, NAN), ("sigmoid", 800.0, 1.0),
    ("sigmoid", -800.0, 0.0),
    ("softplus", INF, INF), ("softplus", -INF, 0.0), ("softplus", NAN, NAN),
    ("softplus", -800.0, 0.0), ("softplus", 800.0, 800.0),
]


def _same(a: float, b: float) -> bool:
    """Bitwise-equal floats up to NaN payload (so the sign of zero counts)."""
    if math.isnan(b):
        return math.isnan(a)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("op", "x", "expected"), SPECIALS)
def test_special_values_exact(op, x, expected, dtype):
    got = float(scalar(op, dtype, x))
    assert _same(got, expected), f"{op}({x!r}) [{dtype}] = {got!r}, expected {expected!r}"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["log1p", "expm1", "tanh"])
def test_subnormal_inputs_return_x(op, dtype):
    """f(x) == x for subnormal x (f(x) = x + O(x^2)), sign included."""
    info = np.finfo(dtype)
    x = np.array([info.smallest_subnormal, 7 * info.smallest_subnormal,
                  info.smallest_normal * 0.5], dtype=dtype)
    x = np.concatenate([x, -x])
    np.testing.assert_array_equal(apply(op, dtype, x), x)


def _ld_cr(op, x, dtype):
    with np.errstate(over="ignore"):
        return _ld_ref(op, np.array([x], dtype=dtype)).astype(dtype)[0]


@pytest.mark.parametrize("dtype", DTYPES)
def test_overflow_and_underflow_thresholds(dtype):
    """exp/expm1 overflow and exp/sigmoid/softplus underflow exactly where the correctly
    rounded result does, and subnormal results are produced below the normal range."""
    info = np.finfo(dtype)
    t = np.dtype(dtype).type
    x_max = t(np.log(LD(info.max)))  # largest x with finite exp(x) is x_max or a neighbour
    for x in (np.nextafter(x_max, t(0)), x_max, np.nextafter(x_max, t(np.inf))):
        for op in ("exp", "expm1"):
            assert _same(float(scalar(op, dtype, x)), float(_ld_cr(op, x, dtype))), (op, x)
    half_sub = np.log(LD(info.smallest_subnormal) / 2)  # exp(x) rounds to 0 below this
    x0 = t(half_sub)
    for x in (np.nextafter(x0, t(-np.inf)), x0, np.nextafter(x0, t(np.inf))):
        for op in ("exp", "sigmoid", "softplus"):
            got, want = float(scalar(op, dtype, x)), float(_ld_cr(op, x, dtype))
            assert _same(got, want) or abs(got - want) <= float(info.smallest_subnormal), (op, x)
    # subnormal outputs: exp over the whole gradual-underflow range is within bound
    lo = float(half_sub) + 1e-3
    hi = float(np.log(LD(info.smallest_normal)))
    x = np.linspace(lo, hi, 10_001).astype(dtype)
    y = apply("exp", dtype, x)
    assert np.all((y > 0) & (y < info.smallest_normal * 1.01))
    assert ulp_error(y, _ld_ref("exp", x), dtype).max() <= fm.MAX_ULP_BY_DTYPE["exp"][dtype]


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_of_subnormals(dtype):
    info = np.finfo(dtype)
    bits = np.arange(1, 4000, 7, dtype=np.int64 if dtype == "float64" else np.int32)
    x = bits.view(dtype)
    assert np.all(x < info.smallest_normal)
    err = ulp_error(apply("log", dtype, x), _ld_ref("log", x), dtype)
    assert err.max() <= fm.MAX_ULP_BY_DTYPE["log"][dtype]


# --------------------------------------------------------------------------- vectorization
_LIBM_CALL = re.compile(r"call [^\n]*@(exp|log|log1p|expm1|tanh|expf|logf|llvm\.exp|llvm\.log)"
                        r"[.(]")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", fm.OPS)
def test_loop_vectorizes_without_libm_calls(op, dtype):
    """The loop body compiles to SIMD vectors and contains no libm call, both in a plain
    loop and in a ``parallel=True`` prange loop like the generated kernels."""
    fn = fm.FUNCS[op][dtype]
    x = np.linspace(0.1, 2.0, 64).astype(dtype)

    @numba.njit(parallel=True)
    def ploop(x, out):
        for i in numba.prange(x.size):
            out[i] = fn(x[i]) * 2 + 1

    for loop in (_loop(op, dtype), ploop):
        out = np.empty_like(x)
        loop(x, out)
        llvm = loop.inspect_llvm(loop.signatures[0])
        elt = "double" if dtype == "float64" else "float"
        assert re.search(rf"<(4|8|16) x {elt}>", llvm), f"{op}/{dtype} did not vectorize"
        assert not _LIBM_CALL.search(llvm), f"{op}/{dtype} calls libm"
        asm = loop.inspect_asm(loop.signatures[0])
        assert re.search(r"%(ymm|zmm)\d", asm), f"{op}/{dtype}: no ymm/zmm registers"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", fm.OPS)
def test_scalar_type_preserved(op, dtype):
    fn = fm.FUNCS[op][dtype]

    @numba.njit
    def call(v):
        return fn(v)

    t = np.dtype(dtype).type
    assert call(t(0.5)) == scalar(op, dtype, 0.5)
    (sig,) = call.nopython_signatures
    assert sig.return_type == numba.from_dtype(np.dtype(dtype)), (op, dtype, sig)


if __name__ == "__main__":  # print the measured table
    print(f"{'op':9} {'dtype':8} {'max ulp (1e6, longdouble)':>27} {'max ulp (mpmath)':>17} "
          f"{'documented':>10}")
    for op_ in fm.OPS:
        for dt in DTYPES:
            a, b, _ = measured(op_, dt)
            print(f"{op_:9} {dt:8} {a:27.3f} {b:17.3f} {fm.MAX_ULP_BY_DTYPE[op_][dt]:10}")


def test_unit_log1p_and_softplus_of_tiny_values():
    """Below 2**-54 log1p(e) rounds to e: the unit-interval log1p returns e there (skipping
    a kernel whose squares underflow), and agrees with the kernel just above; softplus of
    large negative x (exp(-|x|) tiny, subnormal, zero) within its bound."""
    fn = fm.UNIT_FUNCS["log1p"]["float64"]

    @numba.njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    t = 2.0 ** -54
    e = np.array([0.0, 5e-324, 1e-310, 2.2250738585072014e-308, 1e-200, 1e-30,
                  np.nextafter(t, 0), t, np.nextafter(t, 1), 1e-16, 1e-10, 0.3, 1.0])
    got = np.empty_like(e)
    loop(e, got)
    want = np.log1p(e)
    assert np.all(ulp_error(got, np.log1p(e.astype(LD)), "float64") <= 1), (got, want)
    assert np.array_equal(got[:8], e[:8])
    x = -np.concatenate([np.linspace(30, 760, 2001), [708.39, 744.4, 745.13, 746.0, 1e5]])
    sp_ = apply("softplus", "float64", x)
    assert ulp_error(sp_, _ld_ref("softplus", x), "float64").max() <= fm.MAX_ULP_BY_DTYPE[
        "softplus"]["float64"]
