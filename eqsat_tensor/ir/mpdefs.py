"""The exact (mpmath) definitions of the ops: ``fn(ctx, *values)`` for an mpmath context.

Semantics (real arithmetic, IEEE limits): where an op is undefined the value is NaN
(``log`` of a negative, ``sqrt`` of a negative, ``arcsin`` outside ``[-1, 1]``,
``0/0``, a negative base to a non-integer power, ``inf - inf``); poles follow the IEEE
limit (``x/0 = ±inf``, ``log(0) = -inf``, ``0 ** negative = inf``). ``add``, ``sub``
and ``mul`` are exact while the exact result needs at most ``EXACT_BITS`` bits, so
cancellation such as ``(x + 1) - x`` at ``x = 1e300`` is exact at any working precision.
Comparisons return Python bools. Reductions take ``(ctx, list_of_values)``.

The same functions serve ``mpeval`` (its own ``MPContext``) and the rule checker's oracle
(``mpmath.mp`` under ``workprec``): one definition per op.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

# mpmath's raw (sign, mantissa, exponent, bitcount) tuples of zero and NaN
# (``mpmath.libmp.fzero`` / ``fnan``, equal to these; tests/test_startup.py checks): written
# out so that importing the op table does not import mpmath (~0.05 s of CPU per process)
fzero = (0, 0, 0, 0)
fnan = (0, 0, -123, -1)

EXACT_BITS = 16384


def isnan(x: Any) -> bool:
    """True for an mpmath NaN (of any context)."""
    return getattr(x, "_mpf_", None) == fnan


def _span(s: tuple) -> int:
    return s[2] + s[3]


def add(ctx: Any, a: Any, b: Any) -> Any:
    sa, sb = a._mpf_, b._mpf_
    if sa == fzero:
        return b
    if sb == fzero:
        return a
    if sa[1] and sb[1] and max(_span(sa), _span(sb)) - min(sa[2], sb[2]) <= EXACT_BITS:
        return ctx.fadd(a, b, exact=True)
    return ctx.fadd(a, b)


def sub(ctx: Any, a: Any, b: Any) -> Any:
    return add(ctx, a, -b)


def mul(ctx: Any, a: Any, b: Any) -> Any:
    sa, sb = a._mpf_, b._mpf_
    if sa[1] and sb[1] and sa[3] + sb[3] <= EXACT_BITS:
        return ctx.fmul(a, b, exact=True)
    return ctx.fmul(a, b)


def div(ctx: Any, a: Any, b: Any) -> Any:
    if isnan(a) or isnan(b):
        return ctx.nan
    if b == 0:
        if a == 0:
            return ctx.nan
        return ctx.inf if a > 0 else -ctx.inf
    return ctx.fdiv(a, b)


def power(ctx: Any, a: Any, b: Any) -> Any:
    if isnan(a) or isnan(b):
        return ctx.one if b == 0 else ctx.nan  # IEEE pow(nan, 0) = 1
    if b == 0:
        return ctx.one
    if a == 0:
        return ctx.zero if b > 0 else ctx.inf
    if a < 0 and not ctx.isint(b):
        return ctx.nan
    if ctx.isint(b) and abs(b) <= 64 and ctx.isfinite(a):
        k = int(b)
        r = functools.reduce(functools.partial(mul, ctx), [a] * abs(k))
        return r if k > 0 else div(ctx, ctx.one, r)
    return ctx.power(a, b)


def log_base(base: int | None) -> Callable[..., Any]:
    def fn(ctx: Any, x: Any) -> Any:
        if isnan(x) or x < 0:
            return ctx.nan
        if x == 0:
            return -ctx.inf
        return ctx.log(x) if base is None else ctx.log(x, base)

    return fn


def sqrt(ctx: Any, x: Any) -> Any:
    return ctx.nan if isnan(x) or x < 0 else ctx.sqrt(x)


def cbrt(ctx: Any, x: Any) -> Any:
    if isnan(x) or x == 0:
        return x
    return ctx.cbrt(x) if x > 0 else -ctx.cbrt(-x)


def arc(fname: str) -> Callable[..., Any]:
    """``asin``/``acos``: NaN outside ``[-1, 1]``."""

    def fn(ctx: Any, x: Any) -> Any:
        return ctx.nan if isnan(x) or abs(x) > 1 else getattr(ctx, fname)(x)

    return fn


def trig(fname: str) -> Callable[..., Any]:
    """``sin``/``cos``/``tan``: NaN at ±inf."""

    def fn(ctx: Any, x: Any) -> Any:
        return ctx.nan if not ctx.isfinite(x) else getattr(ctx, fname)(x)

    return fn


def plain(fname: str) -> Callable[..., Any]:
    """An mpmath function defined on the whole real line (``exp``, ``sinh``, ``erf``...)."""

    def fn(ctx: Any, *args: Any) -> Any:
        return getattr(ctx, fname)(*args)

    return fn


def erfc(ctx: Any, x: Any) -> Any:
    """``erfc``, whose mpmath series overflows for huge arguments: beyond ``2**30`` the
    value (below ``exp(-2**60)``) rounds to 0 (or 2 below ``-2**30``) in every format."""
    if isnan(x):
        return ctx.nan
    if abs(x) > 2**30:
        return ctx.zero if x > 0 else ctx.mpf(2)
    return ctx.erfc(x)



def logaddexp(ctx: Any, a: Any, b: Any) -> Any:
    """``log(exp(a) + exp(b))``, exact; infinities as NumPy's (NaN in, NaN out)."""
    if isnan(a) or isnan(b):
        return ctx.nan
    hi, lo = (a, b) if a >= b else (b, a)
    if hi == -ctx.inf:
        return -ctx.inf
    if hi == ctx.inf:
        return ctx.inf
    return add(ctx, hi, ctx.log1p(ctx.exp(sub(ctx, lo, hi))))


def sigmoid(ctx: Any, x: Any) -> Any:
    """``1 / (1 + exp(-x))``, exact."""
    return div(ctx, ctx.one, add(ctx, ctx.one, ctx.exp(-x)))


def softplus(ctx: Any, x: Any) -> Any:
    """``log(1 + exp(x))`` = ``logaddexp(0, x)``, exact."""
    return logaddexp(ctx, ctx.zero, x)

def maximum(ctx: Any, a: Any, b: Any) -> Any:
    return ctx.nan if isnan(a) or isnan(b) else (a if a >= b else b)


def minimum(ctx: Any, a: Any, b: Any) -> Any:
    return ctx.nan if isnan(a) or isnan(b) else (a if a <= b else b)


def arctan2(ctx: Any, y: Any, x: Any) -> Any:
    return ctx.nan if isnan(y) or isnan(x) else ctx.atan2(y, x)


def compare(fn: Callable[[Any, Any], bool]) -> Callable[..., bool]:
    def wrapped(ctx: Any, a: Any, b: Any) -> bool:
        return bool(fn(a, b))

    return wrapped


def where(ctx: Any, c: Any, a: Any, b: Any) -> Any:
    return a if c else b


# -- reductions: (ctx, values) ------------------------------------------------------------


def r_sum(ctx: Any, vals: list) -> Any:
    return functools.reduce(functools.partial(add, ctx), vals, ctx.zero)


def r_mean(ctx: Any, vals: list) -> Any:
    return div(ctx, r_sum(ctx, vals), ctx.mpf(len(vals))) if vals else ctx.nan


def r_prod(ctx: Any, vals: list) -> Any:
    return functools.reduce(functools.partial(mul, ctx), vals, ctx.one)


def r_max(ctx: Any, vals: list) -> Any:
    return functools.reduce(functools.partial(maximum, ctx), vals) if vals else ctx.nan


def r_min(ctx: Any, vals: list) -> Any:
    return functools.reduce(functools.partial(minimum, ctx), vals) if vals else ctx.nan


def r_logsumexp(ctx: Any, vals: list) -> Any:
    return log_base(None)(ctx, r_sum(ctx, [ctx.exp(t) for t in vals]))


# -- rounding, remainders, normal cdf: NumPy's npy_divmod (a remainder has the divisor's
# sign, fmod the dividend's), exactly through rationals; ndtr = Phi, log_ndtr = log Phi


def rounding(fname: str) -> Callable[..., Any]:
    def fn(ctx: Any, x: Any) -> Any:
        if isnan(x) or not ctx.isfinite(x):
            return x
        return getattr(ctx, fname)(x)

    return fn


def trunc(ctx: Any, x: Any) -> Any:
    if isnan(x) or not ctx.isfinite(x):
        return x
    return ctx.floor(x) if x >= 0 else ctx.ceil(x)


def _rational(x: Any) -> Any:
    """An mpmath number as an exact ``Fraction``."""
    from fractions import Fraction

    sign, man, exp, _ = x._mpf_
    v = Fraction(int(man)) * (Fraction(2) ** int(exp))
    return -v if sign else v


def _from_rational(ctx: Any, q: Any) -> Any:
    with ctx.workprec(max(64, q.numerator.bit_length() + q.denominator.bit_length() + 8)):
        return ctx.mpf(q.numerator) / ctx.mpf(q.denominator)


def fmod(ctx: Any, a: Any, b: Any) -> Any:
    """C's fmod, exactly: ``a - trunc(a / b) b`` (exactly representable), sign of ``a``."""
    if isnan(a) or isnan(b) or not ctx.isfinite(a) or b == 0:
        return ctx.nan
    if not ctx.isfinite(b):
        return a
    qa, qb = _rational(a), _rational(b)
    n = abs(qa) // abs(qb)
    r = abs(qa) - n * abs(qb)
    return _from_rational(ctx, r if qa >= 0 else -r)


def remainder(ctx: Any, a: Any, b: Any) -> Any:
    """Python's / NumPy's ``a % b``: ``a - floor(a / b) b``, the sign of ``b``."""
    if isnan(a) or isnan(b) or not ctx.isfinite(a) or b == 0:
        return ctx.nan
    if not ctx.isfinite(b):
        return a if (a == 0 or (a > 0) == (b > 0)) else b  # NumPy: 5 % -inf = -inf
    r = fmod(ctx, a, b)
    return add(ctx, r, b) if r != 0 and (r < 0) != (b < 0) else r


def floor_divide(ctx: Any, a: Any, b: Any) -> Any:
    """``floor(a / b)`` of the exact quotient (NumPy's ``//``); ``a / b`` where ``b == 0``."""
    if isnan(a) or isnan(b):
        return ctx.nan
    if b == 0:
        return div(ctx, a, b)
    if not ctx.isfinite(a):
        return ctx.nan
    if not ctx.isfinite(b):
        return ctx.zero if a == 0 or (a > 0) == (b > 0) else -ctx.one
    return _from_rational(ctx, _rational(a) // _rational(b))


def ndtr(ctx: Any, x: Any) -> Any:
    if isnan(x):
        return ctx.nan
    if x == -ctx.inf:
        return ctx.zero
    if x < -2**30:  # (erfc's own limit): exp(-x^2/2) / (-x sqrt(2 pi)), to 2^-60 relative
        return ctx.exp(-x * x / 2) / (-x * ctx.sqrt(2 * ctx.pi))
    return mul(ctx, ctx.mpf(0.5), erfc(ctx, -x / ctx.sqrt(2)))


def log_ndtr(ctx: Any, x: Any) -> Any:
    if isnan(x):
        return ctx.nan
    if x == -ctx.inf:
        return -ctx.inf
    if x < -2**30:  # erfc's series would not finish: the leading terms, far below an ulp
        return -x * x / 2 - ctx.log(-x) - ctx.log(2 * ctx.pi) / 2
    if x > 0:
        return ctx.log1p(-ndtr(ctx, -x))
    return ctx.log(ndtr(ctx, x))
