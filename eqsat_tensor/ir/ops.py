"""The ops table ``OPS``: the one place each op is described (see ``spec.OpSpec``).

Every other module reads its facts about an op from here: the tracer and the builder,
the rule language, the e-graph schema and analyses, the cost model, the exact
evaluators, the error bounds, gradients, printing, the interop importers and exporters,
and the backends (whose own lowering tables ``tests/test_op_table.py`` checks against
this one). Adding an op means one ``_op(...)`` call here, its VJP in
``rules/gradients.rules`` and its line in the Numba lowering table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np

from . import mpdefs as M
from . import refs
from .shapes import (
    _broadcast_to_shape,
    _cast_dtype,
    _compare_dtype,
    _concatenate_shape,
    _elementwise_shape,
    _expand_dims_shape,
    _float_dtype,
    _index_dtype,
    _join_dtype,
    _leaf_shape,
    _matmul_shape,
    _pad_slice_shape,
    _reduce_shape,
    _reshape_shape,
    _same_dtype,
    _scan_shape,
    _scatter_add_along_shape,
    _scatter_add_shape,
    _select_shape,
    _slice_shape,
    _take_along_shape,
    _take_shape,
    _transpose_shape,
    _where_dtype,
)
from .spec import (
    GRADIENT_RULES,
    LIBRARIES,
    NO_FACTS,
    NOT_DIFFERENTIABLE,
    STRUCTURAL,
    OpFacts,
    OpSpec,
)

OPS: dict[str, OpSpec] = {}

P, NN, NZ, N, NP = "positive", "nonnegative", "nonzero", "negative", "nonpositive"
SIGN_FACTS = (P, NN, NZ, N, NP)
_D = GRADIENT_RULES
_ND = NOT_DIFFERENTIABLE
EXP_LIMIT, TRIG_LIMIT = 1100, 20000  # mpmath.mag of an argument the oracle still computes
# Ops whose value is 1 (or -1) plus a tiny exp(-|x|) or exp(-2|x|) (expm1, tanh, sigmoid):
# beyond |x| ~ 760 the rule checker's 2,200-bit oracle holds only the 1 (tanh(800) is 1
# there), so a later log1p / arctanh of it is wrong. Below 2^9 = 512 the tiny part is
# at most 2^-1477 and kept.
SATURATING_LIMIT = 9


def names(numpy: str | None, scipy: str | None, sympy: str | tuple | None, jax: str | None,
          pytensor: str | tuple | None, fpcore: str | None) -> dict:
    """The op's name in each library, every library stated (None: not in that library).
    ``sympy`` names are attribute paths below ``sympy`` (``codegen.cfunctions.log1p``);
    ``jax`` names are primitives; ``pytensor`` names scalar Op classes; a tuple lists
    the name to write first and further names to read; an ``fpcore`` name with ``{0}``,
    ``{1}``... is the op written as an FPCore expression (FPCore has no operator for it)."""
    return dict(zip(LIBRARIES, (numpy, scipy, sympy, jax, pytensor, fpcore)))


_NONE = names(None, None, None, None, None, None)


def _op(name: str, arity: int, kind: str, reference: Callable | None, *, shape=None,
        dtype=None, attrs: tuple[str, ...] = (), cost: float = 1.0, ns: float | None = None,
        symbol: str | None = None, precedence: int = 100, tags: Iterable[str] = (),
        mp: Callable | str | None = None, mp_limit: int | None = None,
        deriv: Callable | str | None = None, ulps: float = 3.0, facts: OpFacts | None = None,
        grad: str | None = None, risk: float = 0.0, names: dict | None = None,
        shared_form: tuple[str, ...] = ()) -> None:
    shape_rule = shape or {"elementwise": _elementwise_shape, "reduction": _reduce_shape,
                           "leaf": _leaf_shape}[kind]
    if grad == GRADIENT_RULES:  # the rule language reads the tag
        tags = (*tags, "differentiable")
    OPS[name] = OpSpec(name, arity, kind, shape_rule, dtype or _float_dtype, reference,
                       attrs, cost, symbol, precedence, frozenset(tags), mp, mp_limit, deriv,
                       ulps, facts, grad, ns, risk, dict(names) if names is not None else {},
                       shared_form)


def _one(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.ones_like(v)


# Exact definitions specific to one op (the shared arithmetic is in ``mpdefs``).


def _mp_log1p(ctx: Any, x: Any) -> Any:
    if M.isnan(x) or x < -1:
        return ctx.nan
    if x == -1:
        return -ctx.inf
    return ctx.log1p(x)


_TOTAL = OpFacts(domain="total")
_KEEP = OpFacts(interval="keep", same_sign=True, finite_if=(0,), domain="total")
_SQRT_PI = 2 / math.sqrt(math.pi)

# -- leaves -------------------------------------------------------------------------------
_op("input", 0, "leaf", None, attrs=("name",), cost=0, ns=0.0, mp=STRUCTURAL, facts=NO_FACTS,
    grad=_ND, names=_NONE)
_op("constant", 0, "leaf", None, attrs=("value",), cost=0, ns=0.0, mp=STRUCTURAL, facts=NO_FACTS,
    grad=_ND, names=_NONE)

# -- binary arithmetic (cost: relative work, add = 1; ns: calibrated ns per element) -------
# add and sub are one IEEE operation each, of the same speed: both take the mean of their
# calibrated 0.362 and 0.278 ns (the difference was noise, and made x - (-y) look cheaper
# than x + y), and the same accuracy risk (cancellation; cost.py lifts it where the
# operands' signs rule cancellation out)
_op("add", 2, "elementwise", np.add, symbol="+", precedence=10,
    tags=("commutative", "associative"), cost=1, ns=0.32, risk=0.25, ulps=1, mp=M.add,
    deriv=lambda a, b, v: (1.0, 1.0), grad=_D,
    facts=OpFacts(interval=(1, 1), domain="total",
                  sign=(((P, NN), P), ((NN, P), P), ((NN, NN), NN), ((N, NP), N),
                        ((NP, N), N), ((NP, NP), NP))),
    names=names("add", None, "Add", "add", "Add", "+"))
_op("sub", 2, "elementwise", np.subtract, symbol="-", precedence=10, cost=1, ns=0.32, risk=0.25,
    ulps=1, mp=M.sub, deriv=lambda a, b, v: (1.0, 1.0), grad=_D,
    facts=OpFacts(interval=(1, -1), domain="total",
                  sign=(((P, NP), P), ((NN, N), P), ((NN, NP), NN), ((N, NN), N),
                        ((NP, P), N), ((NP, NN), NP))),
    names=names("subtract", None, None, "sub", "Sub", "-"))
_MULDIV = (((P, P), P), ((N, N), P), ((P, N), N), ((N, P), N), ((NZ, NZ), NZ))
_op("mul", 2, "elementwise", np.multiply, symbol="*", precedence=20,
    tags=("commutative", "associative"), cost=1, ns=0.275, ulps=1, mp=M.mul,
    deriv=lambda a, b, v: (b, a), grad=_D,
    facts=OpFacts(domain="total", sign=_MULDIV + (((NN, NN), NN), ((NP, NP), NN),
                                                  ((NN, NP), NP), ((NP, NN), NP))),
    names=names("multiply", None, "Mul", "mul", "Mul", "*"))
_op("div", 2, "elementwise", np.divide, symbol="/", precedence=20, cost=4, ns=0.274, risk=0.25,
    ulps=1, mp=M.div, deriv=lambda a, b, v: (1 / b, v / b), grad=_D,
    facts=OpFacts(domain=(1, NZ), sign=_MULDIV + (((NN, P), NN), ((NP, N), NN),
                                                  ((NN, N), NP), ((NP, P), NP))),
    names=names("divide", None, None, "div", "TrueDiv", "/"))
_op("pow", 2, "elementwise", np.power, symbol="**", precedence=40, cost=20, ns=1.614, risk=2.0,
    ulps=8, mp=M.power, mp_limit=EXP_LIMIT,
    deriv=lambda a, b, v: (b * v / a, v * np.log(np.abs(a))), grad=_D,
    facts=OpFacts(domain=(0, P), sign=(((P, None), P),)),
    names=names("power", None, "Pow", "pow", "Pow", "pow"))
_op("maximum", 2, "elementwise", np.maximum, tags=("commutative", "associative"), cost=1, ns=0.273,
    ulps=0, mp=M.maximum, deriv="select", grad=_D,
    facts=OpFacts(domain="total",
                  sign=(((P, None), P), ((None, P), P), ((NN, None), NN), ((None, NN), NN),
                        ((N, N), N), ((NP, NP), NP))),
    names=names("maximum", None, "Max", "max", ("ScalarMaximum", "Maximum"), "fmax"))
_op("minimum", 2, "elementwise", np.minimum, tags=("commutative", "associative"), cost=1, ns=0.273,
    ulps=0, mp=M.minimum, deriv="select", grad=_D,
    facts=OpFacts(domain="total",
                  sign=(((N, None), N), ((None, N), N), ((NP, None), NP), ((None, NP), NP),
                        ((P, P), P), ((NN, NN), NN))),
    names=names("minimum", None, "Min", "min", ("ScalarMinimum", "Minimum"), "fmin"))
_op("hypot", 2, "elementwise", np.hypot, tags=("commutative",), cost=8, ns=30.257,
    mp=M.plain("hypot"), deriv=lambda a, b, v: (1.0, 1.0), grad=_D,
    facts=OpFacts(range=(0.0, None), domain="total",
                  sign=(((None, None), NN), ((NZ, None), P), ((None, NZ), P))),
    names=names("hypot", None, "codegen.cfunctions.hypot", None, None, "hypot"))
_op("logaddexp", 2, "elementwise", np.logaddexp, tags=("commutative",), cost=30, ns=25.801,
    mp=M.logaddexp, mp_limit=EXP_LIMIT, deriv=lambda a, b, v: (1.0, 1.0), grad=_D,
    facts=_TOTAL,
    names=names("logaddexp", None, None, None, None, "(log (+ (exp {0}) (exp {1})))"))
_op("arctan2", 2, "elementwise", np.arctan2, cost=25, ns=1.413, ulps=4, mp=M.arctan2,
    deriv=lambda a, b, v: (b / (a * a + b * b), a / (a * a + b * b)), grad=_D, facts=_TOTAL,
    names=names("arctan2", None, "atan2", "atan2", "ArcTan2", "atan2"))

# -- unary elementwise ------------------------------------------------------------------------
_op("neg", 1, "elementwise", np.negative, symbol="-", precedence=30, cost=1, ns=0.05, ulps=0,
    mp=lambda ctx, x: -x, deriv=_one, grad=_D,
    facts=OpFacts(interval=(-1,), finite_if=(0,), domain="total",
                  sign=(((P,), N), ((N,), P), ((NN,), NP), ((NP,), NN), ((NZ,), NZ))),
    names=names("negative", None, None, "neg", "Neg", "(- {0})"))
_op("exp", 1, "elementwise", np.exp, cost=10, ns=0.14, risk=2.0, mp=M.plain("exp"),
    mp_limit=EXP_LIMIT, deriv=lambda a, v: np.abs(v), grad=_D,
    facts=OpFacts(interval="increasing", range=(0.0, None), sign=(((None,), P),), domain="total"),
    names=names("exp", None, "exp", "exp", "Exp", "exp"))
_op("log", 1, "elementwise", np.log, cost=10, ns=0.272, risk=1.0, mp=M.log_base(None),
    deriv=lambda a, v: 1 / np.abs(a), grad=_D, facts=OpFacts(domain=(0, P)),
    names=names("log", None, "log", "log", "Log", "log"))
# log1p: risk for its cancellation near -1 (log1p(-exp(x)) at x near 0); cost.py lifts
# it where the operand's bounds keep it well conditioned (log1p(exp(x)), log1p(x * x))
_op("log1p", 1, "elementwise", np.log1p, cost=12, ns=0.477, risk=1.0, mp=_mp_log1p,
    deriv=lambda a, v: 1 / np.abs(1 + a), grad=_D,
    facts=OpFacts(interval="increasing", domain=(0, NN), sign=(((P,), P), ((NN,), NN))),
    names=names("log1p", "log1p", "codegen.cfunctions.log1p", "log1p", "Log1p", "log1p"))
_op("expm1", 1, "elementwise", np.expm1, cost=12, ns=0.436, mp=M.plain("expm1"),
    mp_limit=SATURATING_LIMIT,
    deriv=lambda a, v: np.abs(v + 1), grad=_D, facts=OpFacts(interval="increasing",
        same_sign=True, domain="total"),
    names=names("expm1", "expm1", "codegen.cfunctions.expm1", "expm1", "Expm1", "expm1"))
_op("sqrt", 1, "elementwise", np.sqrt, cost=4, ns=0.207, risk=0.5, ulps=1, mp=M.sqrt,
    deriv=lambda a, v: 0.5 / np.abs(v), grad=_D,
    facts=OpFacts(range=(0.0, None), domain=(0, NN), sign=(((None,), NN), ((P,), P))),
    names=names("sqrt", None, ("sqrt", "codegen.cfunctions.Sqrt"), "sqrt", "Sqrt", "sqrt"))
_op("abs", 1, "elementwise", np.abs, cost=1, ns=0.05, ulps=0, mp=lambda ctx, x: abs(x), deriv=_one,
    grad=_D, facts=OpFacts(range=(0.0, None), finite_if=(0,), domain="total",
                           sign=(((None,), NN), ((NZ,), P))),
    names=names("absolute", None, "Abs", "abs", "Abs", "fabs"))
_op("square", 1, "elementwise", np.square, cost=1, ns=0.05, risk=0.25, ulps=1,
    mp=lambda ctx, x: M.mul(ctx, x, x), deriv=lambda a, v: 2 * np.abs(a), grad=_D,
    facts=OpFacts(range=(0.0, None), domain="total", sign=(((None,), NN), ((NZ,), P))),
    names=names("square", None, None, "square", "Sqr", "(* {0} {0})"))
_op("reciprocal", 1, "elementwise", refs.reciprocal, cost=4, ns=0.05, risk=0.25, ulps=1,
    mp=lambda ctx, x: M.div(ctx, ctx.one, x), deriv=lambda a, v: v * v, grad=_D,
    facts=OpFacts(domain=(0, NZ), sign=(((P,), P), ((N,), N), ((NZ,), NZ))),
    names=names("reciprocal", None, None, None, "Reciprocal", "(/ 1 {0})"))
for _name, _ns, _ulps, _deriv in [("sin", 7.856, 3, _one), ("cos", 7.228, 3, _one),
                                  ("tan", 0.743, 4, lambda a, v: 1 + v * v)]:
    _op(_name, 1, "elementwise", getattr(np, _name), cost=20.0 if _name == "tan" else 15.0,
        ns=_ns, ulps=_ulps,
        risk=0.5 if _name == "tan" else 0.0, mp=M.trig(_name), mp_limit=TRIG_LIMIT,
        deriv=_deriv, grad=_D,
        facts=NO_FACTS if _name == "tan" else OpFacts(range=(-1.0, 1.0), finite_if=(0,),
                                                      domain="total"),
        names=names(_name, None, _name, _name, _name.capitalize(), _name))
_op("tanh", 1, "elementwise", np.tanh, cost=15, ns=0.773, mp=M.plain("tanh"),
    mp_limit=SATURATING_LIMIT,
    deriv=_one, grad=_D,
    facts=OpFacts(interval="increasing",
        range=(-1.0, 1.0), same_sign=True, finite_if=(0,), domain="total"),
    names=names("tanh", None, "tanh", "tanh", "Tanh", "tanh"))
_op("sinh", 1, "elementwise", np.sinh, cost=15, ns=0.51, risk=0.5, mp=M.plain("sinh"),
    mp_limit=EXP_LIMIT, deriv=lambda a, v: np.sqrt(1 + v * v), grad=_D,
    facts=OpFacts(interval="increasing", same_sign=True, domain="total"),
    names=names("sinh", None, "sinh", "sinh", "Sinh", "sinh"))
_op("cosh", 1, "elementwise", np.cosh, cost=15, ns=0.195, risk=0.5, mp=M.plain("cosh"),
    mp_limit=EXP_LIMIT, deriv=lambda a, v: np.abs(v), grad=_D,
    facts=OpFacts(range=(1.0, None), sign=(((None,), P),), domain="total"),
    names=names("cosh", None, "cosh", "cosh", "Cosh", "cosh"))
_op("arcsin", 1, "elementwise", np.arcsin, cost=20, ns=0.596, mp=M.arc("asin"),
    deriv=lambda a, v: 1 / np.sqrt(np.abs(1 - a * a)), grad=_D,
    facts=OpFacts(range=(-math.pi / 2, math.pi / 2), same_sign=True),
    names=names("arcsin", None, "asin", "asin", "ArcSin", "asin"))
_op("arccos", 1, "elementwise", np.arccos, cost=20, ns=0.67, mp=M.arc("acos"),
    deriv=lambda a, v: 1 / np.sqrt(np.abs(1 - a * a)), grad=_D,
    facts=OpFacts(range=(0.0, math.pi)),
    names=names("arccos", None, "acos", "acos", "ArcCos", "acos"))
_op("arctan", 1, "elementwise", np.arctan, cost=20, ns=0.633, mp=M.plain("atan"),
    deriv=lambda a, v: 1 / (1 + a * a), grad=_D,
    facts=OpFacts(interval="increasing",
        range=(-math.pi / 2, math.pi / 2), same_sign=True, finite_if=(0,),
                  domain="total"),
    names=names("arctan", None, "atan", "atan", "ArcTan", "atan"))
_op("cbrt", 1, "elementwise", np.cbrt, cost=15, ns=0.337, mp=M.cbrt,
    deriv=lambda a, v: 1 / (3 * v * v), grad=_D, facts=OpFacts(interval="increasing",
        same_sign=True, domain="total"),
    names=names("cbrt", "cbrt", ("codegen.cfunctions.Cbrt", "cbrt"), "cbrt", None, "cbrt"))
_op("log2", 1, "elementwise", np.log2, cost=10, ns=0.247, risk=1.0, mp=M.log_base(2),
    deriv=lambda a, v: 1 / (np.abs(a) * math.log(2)), grad=_D, facts=OpFacts(domain=(0, P)),
    names=names("log2", None, "codegen.cfunctions.log2", None, "Log2", "log2"))
_op("log10", 1, "elementwise", np.log10, cost=10, ns=0.278, risk=1.0, mp=M.log_base(10),
    deriv=lambda a, v: 1 / (np.abs(a) * math.log(10)), grad=_D, facts=OpFacts(domain=(0, P)),
    names=names("log10", None, "codegen.cfunctions.log10", None, "Log10", "log10"))
_op("exp2", 1, "elementwise", np.exp2, cost=10, ns=0.106, risk=2.0,
    mp=lambda ctx, x: ctx.power(2, x), mp_limit=EXP_LIMIT,
    deriv=lambda a, v: np.abs(v) * math.log(2), grad=_D,
    facts=OpFacts(interval="increasing", range=(0.0, None), sign=(((None,), P),), domain="total"),
    names=names("exp2", "exp2", "codegen.cfunctions.exp2", "exp2", "Exp2", "exp2"))
_op("sigmoid", 1, "elementwise", refs.sigmoid, cost=12, ns=22.71, mp=M.sigmoid,
    mp_limit=SATURATING_LIMIT, deriv=_one, grad=_D,
    facts=OpFacts(range=(0.0, 1.0), sign=(((None,), P),), finite_if=(0,), domain="total"),
    names=names(None, "expit", None, "logistic", "Sigmoid", "(/ 1 (+ 1 (exp (- {0}))))"),
    shared_form=("where", "less", "div", "add", "exp", "neg", "abs"))
_op("softplus", 1, "elementwise", refs.softplus, cost=22, ns=22.104, mp=M.softplus,
    mp_limit=EXP_LIMIT, deriv=_one, grad=_D,
    facts=OpFacts(range=(0.0, None), sign=(((None,), P),), domain="total"),
    names=names(None, None, None, None, "Softplus", "(log1p (exp {0}))"),
    shared_form=("maximum", "add", "log1p", "exp", "neg", "abs"))
# erf/erfc: the reference is libm's (math.erfc is within 2 ulps; SciPy's erfc is off by up
# to 500 ulps in the tail). Costs: SciPy's ufuncs timed 2026-12-07 against np.tanh, scaled
# to tanh's calibration.
_op("erf", 1, "elementwise", refs.libm(math.erf), cost=20, ns=9.9, mp=M.plain("erf"),
    deriv=lambda a, v: _SQRT_PI * np.exp(-a * a), grad=_D,
    facts=OpFacts(interval="increasing",
        range=(-1.0, 1.0), same_sign=True, finite_if=(0,), domain="total"),
    names=names(None, "erf", "erf", "erf", "Erf", "erf"))
_op("erfc", 1, "elementwise", refs.libm(math.erfc), cost=20, ns=9.1, mp=M.erfc,
    mp_limit=EXP_LIMIT, deriv=lambda a, v: _SQRT_PI * np.exp(-a * a), grad=_D,
    facts=OpFacts(range=(0.0, 2.0), sign=(((None,), P),), finite_if=(0,), domain="total"),
    names=names(None, "erfc", "erfc", "erfc", "Erfc", "erfc"))


def _mp_gammaln(ctx: Any, x: Any) -> Any:
    if M.isnan(x):
        return ctx.nan
    if x in (ctx.inf, -ctx.inf) or (x <= 0 and x == ctx.floor(x)):
        return ctx.inf  # log|Gamma| at its poles, and at -inf as libm's lgamma
    return ctx.re(ctx.loggamma(x))  # log|Gamma(x)| for negative x too


def _mp_digamma(ctx: Any, x: Any) -> Any:
    if M.isnan(x) or x == -ctx.inf:
        return ctx.nan
    if x == ctx.inf:
        return ctx.inf
    if x == 0:
        return -ctx.inf  # digamma(+0); -0 is IEEE's +inf (mpmath has no -0)
    if x < 0 and x == ctx.floor(x):
        return ctx.nan
    return ctx.digamma(x)


# gammaln = log|Gamma(x)| (SciPy's gammaln, PyTensor's GammaLn, PyMC's logp of Gamma,
# StudentT, Beta, Poisson...), reference libm's lgamma; digamma its derivative (reference
# ``refs.digamma_scalar``: NumPy has none and SciPy is not a core dependency).
_op("gammaln", 1, "elementwise", refs.scalar_ufunc(refs.lgamma_scalar), cost=30, ns=25.0,
    mp=_mp_gammaln, mp_limit=EXP_LIMIT, deriv=lambda a, v: np.abs(refs.digamma(a)), grad=_D,
    facts=OpFacts(domain="total"),
    names=names(None, "gammaln", "loggamma", "lgamma", "GammaLn", None))
_op("digamma", 1, "elementwise", refs.digamma, cost=30, ns=25.0, mp=_mp_digamma,
    mp_limit=EXP_LIMIT, deriv=lambda a, v: 1.0 / np.abs(a) + 1.0 / (a * a), grad=_ND,
    facts=OpFacts(domain="total"),
    names=names(None, "psi", "digamma", "digamma", "Psi", None))

# -- comparisons (bool results) and selection ----------------------------------------------------
for _name, _sym, _jax, _pt, _fp, _fn in [
        ("less", "<", "lt", "LT", "<", lambda a, b: a < b),
        ("less_equal", "<=", "le", "LE", "<=", lambda a, b: a <= b),
        ("greater", ">", "gt", "GT", ">", lambda a, b: a > b),
        ("greater_equal", ">=", "ge", "GE", ">=", lambda a, b: a >= b),
        ("equal", "==", "eq", "EQ", "==", lambda a, b: a == b),
        ("not_equal", "!=", "ne", "NEQ", "!=", lambda a, b: a != b)]:
    _op(_name, 2, "elementwise", getattr(np, _name), dtype=_compare_dtype, symbol=_sym,
        precedence=5, tags=("comparison",), ns=0.05, mp=M.compare(_fn), grad=_ND,
        facts=_TOTAL, names=names(_name, None, None, _jax, _pt, _fp))
_op("where", 3, "elementwise", np.where, dtype=_where_dtype, cost=1, ns=6.851, ulps=0, mp=M.where,
    grad=_D, facts=OpFacts(finite_if=(1, 2), domain="total",
                           sign=tuple(((None, f, f), f) for f in SIGN_FACTS)),
    names=names("where", None, None, "select_n", "Switch", "(if {0} {1} {2})"))
_op("cast", 1, "elementwise", lambda x, dtype: x.astype(dtype), dtype=_cast_dtype,
    attrs=("dtype",), cost=0.5, ns=0.05, ulps=1, mp=STRUCTURAL, deriv=_one, grad=_D,
    facts=OpFacts(interval="keep", same_sign=True, domain="total"),
    names=names(None, None, None, "convert_element_type", None, None))

# -- reductions: ``axis`` is a sorted tuple of non-negative ints (all axes for None) -------------
_KEEP_RED = OpFacts(interval="keep", same_sign=True, domain="total")
_SUMLIKE = tuple(((f,), f) for f in (P, NN, N, NP))
# a sum over an empty axis is 0, so a sum of positive terms is only nonnegative (breadth2:
# 0 / sum(1 / (|x| + 0.5)) of an empty x was rewritten to 0 where NumPy gives NaN)
_SUM_SIGN = ((((P,), NN), ((NN,), NN), ((N,), NP), ((NP,), NP)))
for _name, _ref, _ns, _mp, _facts, _jax in [
        ("sum", refs.reduction(np.sum), 0.05, M.r_sum,
         OpFacts(sign=_SUM_SIGN, domain="total"), "reduce_sum"),
        ("mean", refs.reduction(np.mean), 0.054, M.r_mean,
         OpFacts(interval="keep", sign=_SUMLIKE, domain="total"), None),
        ("max", refs.reduction(np.max), 0.05, M.r_max, _KEEP_RED, "reduce_max"),
        ("min", refs.reduction(np.min), 0.05, M.r_min, _KEEP_RED, "reduce_min"),
        ("prod", refs.reduction(np.prod), 0.483, M.r_prod,
         OpFacts(sign=(((P,), P), ((NZ,), NZ), ((NN,), NN)), domain="total"), "reduce_prod"),
        ("logsumexp", refs.logsumexp, 7.145, M.r_logsumexp, _TOTAL, None)]:
    _op(_name, 1, "reduction", _ref, attrs=("axis", "keepdims"),
        cost=25.0 if _name == "logsumexp" else 1.0, ns=_ns, mp=_mp,
        facts=_facts, grad=_D,
        names=names(_name if _name != "logsumexp" else None,
                    "logsumexp" if _name == "logsumexp" else None, None, _jax, None, None))

_op("matmul", 2, "matmul", refs.matmul, shape=_matmul_shape, symbol="@", precedence=20, cost=2,
    ns=0.6, mp=STRUCTURAL, grad=_D, facts=_TOTAL,
    names=names("matmul", None, "MatMul", "dot_general", None, None))
for _name, _ref, _shape, _attrs, _jax in [
        ("transpose", lambda x, axes: np.transpose(x, axes), _transpose_shape, ("axes",),
         "transpose"),
        ("reshape", lambda x, shape: np.reshape(x, shape), _reshape_shape, ("shape",),
         "reshape"),
        ("broadcast_to", lambda x, shape: np.broadcast_to(x, shape), _broadcast_to_shape,
         ("shape",), "broadcast_in_dim"),
        ("expand_dims", lambda x, axis: np.expand_dims(x, axis), _expand_dims_shape, ("axis",),
         None)]:
    _op(_name, 1, "layout", _ref, shape=_shape, dtype=_same_dtype, attrs=_attrs, cost=0.0, ns=0.0,
        mp=STRUCTURAL, grad=_D, facts=_KEEP,
        names=names(_name, None, None, _jax, None, None))

# -- indexing and joins (index) ------------------------------------------------------------
# ``slice`` is basic indexing as a view (kind ``layout``; integer indices are a slice and a
# reshape, ``None`` an expand_dims). The ops of kind ``gather`` move data between positions:
# ``pad_slice`` (zeros with the operand at ``slices``: slicing's VJP), ``concatenate`` (two
# operands along one axis; n-ary joins are chains), ``take`` / ``take_along_axis``
# (integer-array indexing with an int64 index operand; out-of-range indices raise
# IndexError as in NumPy) and their VJPs ``scatter_add`` / ``scatter_add_along`` (zeros of
# ``shape`` plus the updates added at the indices, repeated indices accumulating).
_op("slice", 1, "layout", refs.slice_ref, shape=_slice_shape, dtype=_same_dtype,
    attrs=("slices",), cost=0.0, ns=0.0, mp=STRUCTURAL, grad=_D, facts=_KEEP,
    names=names(None, None, None, "slice", "Subtensor", None))
_op("pad_slice", 1, "gather", refs.pad_slice_ref, shape=_pad_slice_shape, dtype=_same_dtype,
    attrs=("slices", "shape"), cost=0.5, ns=0.3, mp=STRUCTURAL, grad=_D, facts=NO_FACTS,
    names=names(None, None, None, None, "IncSubtensor", None))
_op("concatenate", 2, "gather", refs.concatenate_ref, shape=_concatenate_shape,
    dtype=_join_dtype, attrs=("axis",), cost=0.5, ns=0.3, mp=STRUCTURAL, grad=_D,
    facts=OpFacts(finite_if=(0, 1), domain="total",
                  sign=tuple(((f, f), f) for f in SIGN_FACTS)),
    names=names("concatenate", None, None, "concatenate", "Join", None))
_op("take", 2, "gather", refs.take_ref, shape=_take_shape, dtype=_same_dtype, attrs=("axis",),
    cost=1.0, ns=1.0, mp=STRUCTURAL, grad=_D,
    facts=OpFacts(interval="keep", same_sign=True, finite_if=(0,), domain="total"),
    names=names("take", None, None, "gather", ("AdvancedSubtensor1", "AdvancedSubtensor"),
                None))
_op("take_along_axis", 2, "gather", refs.take_along_axis_ref, shape=_take_along_shape,
    dtype=_same_dtype, attrs=("axis",), cost=1.0, ns=1.0, mp=STRUCTURAL, grad=_D,
    facts=OpFacts(interval="keep", same_sign=True, finite_if=(0,), domain="total"),
    names=names("take_along_axis", None, None, None, None, None))
_op("scatter_add", 2, "gather", refs.scatter_add_ref, shape=_scatter_add_shape,
    dtype=_same_dtype, attrs=("axis", "shape"), cost=2.0, ns=2.0, mp=STRUCTURAL, grad=_D,
    facts=NO_FACTS, names=names(None, None, None, None, "AdvancedIncSubtensor1", None))
_op("scatter_add_along", 2, "gather", refs.scatter_add_along_ref,
    shape=_scatter_add_along_shape, dtype=_same_dtype, attrs=("axis", "shape"), cost=2.0,
    ns=2.0, mp=STRUCTURAL, grad=_D, facts=NO_FACTS,
    names=names(None, None, None, None, None, None))
# -- rounding, remainders, normal cdf (scans) ------------------------------------------------
# floor/ceil/trunc/rint: exact in IEEE arithmetic (ulps 0), zero gradient almost everywhere
# (a VJP of 0, like JAX); remainder/fmod/floor_divide follow NumPy's npy_divmod (the sign
# of a remainder is the divisor's, fmod's the dividend's); ndtr = Phi, log_ndtr = log Phi.


_ROUND_SIGN = OpFacts(finite_if=(0,), domain="total",
                      sign=(((NN,), NN), ((NP,), NP)))
for _name, _mp, _pt, _jax, _sympy, _sign in [
        ("floor", M.rounding("floor"), "Floor", "floor", "floor", ((N,), N)),
        ("ceil", M.rounding("ceil"), "Ceil", "ceil", "ceiling", ((P,), P)),
        ("trunc", M.trunc, "Trunc", None, None, None),
        ("rint", M.rounding("nint"), "RoundHalfToEven", None, None, None)]:
    _op(_name, 1, "elementwise", getattr(np, _name), cost=1, ns=0.05, ulps=0, mp=_mp,
        deriv=lambda a, v: np.zeros_like(v), grad=_D,
        facts=OpFacts(finite_if=(0,), domain="total",
                      sign=_ROUND_SIGN.sign + ((_sign,) if _sign else ())),
        names=names(_name, None, _sympy, _jax, _pt, None))
_op("fmod", 2, "elementwise", np.fmod, cost=8, ns=2.0, ulps=0, mp=M.fmod,
    deriv=lambda a, b, v: (1.0, np.trunc(a / b)), grad=_D,
    facts=OpFacts(domain=(1, NZ), sign=(((NN, None), NN), ((NP, None), NP))),
    names=names("fmod", None, None, "rem", None, None))
_op("remainder", 2, "elementwise", np.remainder, cost=10, ns=2.5, ulps=0, mp=M.remainder,
    deriv=lambda a, b, v: (1.0, np.floor(a / b)), grad=_D,
    facts=OpFacts(domain=(1, NZ), sign=(((None, P), NN), ((None, N), NP))),
    names=names("remainder", None, None, None, None, None))
_op("floor_divide", 2, "elementwise", np.floor_divide, cost=12, ns=3.0, ulps=0,
    mp=M.floor_divide, deriv=lambda a, b, v: (0.0, 0.0), grad=_D,
    facts=OpFacts(domain=(1, NZ)),
    names=names("floor_divide", None, None, None, None, None))
_op("ndtr", 1, "elementwise", refs.scalar_ufunc(refs.ndtr_scalar), cost=22, ns=10.0,
    mp=M.ndtr, mp_limit=EXP_LIMIT,
    deriv=lambda a, v: np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi), grad=_D,
    facts=OpFacts(range=(0.0, 1.0), sign=(((None,), NN),), finite_if=(0,), domain="total"),
    names=names(None, "ndtr", None, None, None, None))
_op("log_ndtr", 1, "elementwise", refs.scalar_ufunc(refs.log_ndtr_scalar), cost=30, ns=15.0,
    mp=M.log_ndtr, mp_limit=EXP_LIMIT,
    deriv=lambda a, v: np.exp(-0.5 * a * a - v) / math.sqrt(2 * math.pi), grad=_D,
    facts=OpFacts(range=(None, 0.0), sign=(((None,), NP),), domain="total"),
    names=names(None, "log_ndtr", None, None, None, None))

# -- scans and selections along one axis (scans) ---------------------------------------------
# kind "scan": planned as a step of its own (backends/plan.ScanStep), like BLAS matmuls.
# ``axis`` is a 1-tuple (the reductions' encoding); the tracer flattens for axis=None.
# cumsum's VJP is the reverse cumsum (``cumsum_reverse``: sums from the end), and back;
# argmax/argmin are piecewise constant (a zero VJP); cumprod's VJP handles zeros, sort's
# scatters g back through the permutation (``argsort``, below).
_op("cumsum", 1, "scan", refs.scan(np.cumsum), shape=_scan_shape, dtype=_same_dtype,
    attrs=("axis",), cost=1, ns=1.0, mp=STRUCTURAL, grad=_D,
    facts=OpFacts(sign=_SUMLIKE, domain="total"),
    names=names("cumsum", None, None, None, None, None))
_op("cumsum_reverse", 1, "scan", refs.cumsum_reverse, shape=_scan_shape, dtype=_same_dtype,
    attrs=("axis",), cost=1, ns=1.0, mp=STRUCTURAL, grad=_D,
    facts=OpFacts(sign=_SUMLIKE, domain="total"),
    names=names(None, None, None, None, None, None))
_op("cumprod", 1, "scan", refs.scan(np.cumprod), shape=_scan_shape, dtype=_same_dtype,
    attrs=("axis",), cost=1, ns=1.0, mp=STRUCTURAL, grad=_D,
    facts=OpFacts(sign=(((P,), P), ((NN,), NN)), domain="total"),
    names=names("cumprod", None, None, None, None, None))
_op("sort", 1, "scan", refs.scan(np.sort), shape=_scan_shape, dtype=_same_dtype,
    attrs=("axis",), cost=20, ns=20.0, mp=STRUCTURAL, grad=_D, facts=_KEEP_RED,
    names=names("sort", None, None, None, None, None))
for _name in ("argmax", "argmin"):
    _op(_name, 1, "scan", refs.scan(getattr(np, _name)), shape=_select_shape,
        dtype=_index_dtype, attrs=("axis", "keepdims"), cost=1, ns=0.5, mp=STRUCTURAL,
        grad=_D, facts=OpFacts(range=(0.0, None), sign=(((None,), NN),), domain="total"),
        names=names(_name, None, None, None, None, None))
# -- argsort (breadth) --
# The permutation that sorts along one axis (stable, NaN last, like np.argsort(kind=
# "stable")); an int64 index, so it feeds the gathers and scatters directly. Piecewise
# constant: a zero VJP. It is also the VJP of sort: g scattered back through the
# permutation.
_op("argsort", 1, "scan", refs.argsort, shape=_scan_shape, dtype=lambda dtypes, attrs: "int64",
    attrs=("axis",), cost=20, ns=20.0, mp=STRUCTURAL, grad=_D,
    facts=OpFacts(range=(0.0, None), sign=(((None,), NN),), domain="total"),
    names=names("argsort", None, None, None, None, None))
# -- inverse hyperbolics, sign, log1mexp (parity) ----------------------------------------


def _mp_arccosh(ctx: Any, x: Any) -> Any:
    return ctx.nan if M.isnan(x) or x < 1 else ctx.acosh(x)


def _mp_arctanh(ctx: Any, x: Any) -> Any:
    if M.isnan(x) or abs(x) > 1:
        return ctx.nan
    if abs(x) == 1:
        return ctx.inf * x
    return ctx.atanh(x)


def _mp_sign(ctx: Any, x: Any) -> Any:
    return x if M.isnan(x) else ctx.mpf(ctx.sign(x))


_LN2 = math.log(2.0)


def _log1mexp(x: np.ndarray) -> np.ndarray:
    """``log(1 - exp(x))`` for ``x <= 0``: ``log1p(-exp(x))`` below ``-log 2``,
    ``log(-expm1(x))`` above (Maechler's split); -inf at 0, NaN above."""
    x = np.asarray(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x < -_LN2, np.log1p(-np.exp(x)), np.log(-np.expm1(x)))[()]


def _mp_log1mexp(ctx: Any, x: Any) -> Any:
    if M.isnan(x) or x > 0:
        return ctx.nan
    if x == 0:
        return -ctx.inf
    if x == -ctx.inf:
        return ctx.zero
    return ctx.log1p(-ctx.exp(x)) if x < -1 else ctx.log(-ctx.expm1(x))


_op("arcsinh", 1, "elementwise", np.arcsinh, cost=20, ns=1.0, ulps=2, mp=M.plain("asinh"),
    deriv=lambda a, v: 1 / np.hypot(1.0, a), grad=_D,
    facts=OpFacts(interval="increasing", same_sign=True, finite_if=(0,), domain="total"),
    names=names("arcsinh", None, "asinh", "asinh", "ArcSinh", "asinh"))
# arccosh and arctanh carry a risk for their ill-conditioning near 1 (and -1): lifted by
# cost.py where the operand's bounds keep them away
_op("arccosh", 1, "elementwise", np.arccosh, cost=20, ns=1.0, ulps=2, risk=1.0, mp=_mp_arccosh,
    deriv=lambda a, v: 1 / np.sqrt(np.abs((a - 1) * (a + 1))), grad=_D,
    facts=OpFacts(range=(0.0, None), sign=(((None,), NN),)),
    names=names("arccosh", None, "acosh", "acosh", "ArcCosh", "acosh"))
_op("arctanh", 1, "elementwise", np.arctanh, cost=20, ns=1.0, ulps=2, risk=1.0, mp=_mp_arctanh,
    deriv=lambda a, v: 1 / np.abs((1 - a) * (1 + a)), grad=_D,
    facts=OpFacts(same_sign=True),
    names=names("arctanh", None, "atanh", "atanh", "ArcTanh", "atanh"))
_op("sign", 1, "elementwise", np.sign, cost=1, ns=0.3, ulps=0, mp=_mp_sign,
    deriv=lambda a, v: np.zeros_like(a), grad=_D,
    facts=OpFacts(range=(-1.0, 1.0), same_sign=True, finite_if=(0,), domain="total"),
    names=names("sign", None, "sign", "sign", "Sign", None))
# log1mexp(x) = log(1 - exp(x)), x <= 0 (PyTensor's Log1mexp): accurate at both ends,
# where log(-expm1(x)) loses everything below -37 and log1p(-exp(x)) near 0
_op("log1mexp", 1, "elementwise", _log1mexp, cost=14, ns=1.0, mp=_mp_log1mexp,
    mp_limit=EXP_LIMIT, deriv=lambda a, v: 1 / np.abs(np.expm1(-a)), grad=_D,
    facts=OpFacts(range=(None, 0.0), domain=(0, NP), sign=(((None,), NP),)),
    names=names(None, None, None, None, "Log1mexp", None))

ELEMENTWISE_UNARY = tuple(n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 1
                          and not s.attrs)
ELEMENTWISE_BINARY = tuple(n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 2)
REDUCTIONS = tuple(n for n, s in OPS.items() if s.kind == "reduction")


def ops_named_in(library: str) -> dict[str, str]:
    """``{name in library: op}`` over every op that declares names there (all of them)."""
    return {n: op for op, spec in OPS.items() for n in spec.name_in(library)}


def ufunc_ops() -> dict[str, str]:
    """``{ufunc name: op}`` for elementwise ops of one or two operands with a NumPy or SciPy
    ufunc (``scipy.special.erf`` is the ufunc ``erf``): what the NumPy tracer registers."""
    return {n: op for lib in ("numpy", "scipy") for n, op in ops_named_in(lib).items()
            if OPS[op].kind == "elementwise" and OPS[op].arity in (1, 2) and not OPS[op].attrs}
# -- PyMC's special functions (clients) ------------------------------------------------------
# erfcx(x) = exp(x^2) erfc(x) (PyTensor's Erfcx, SciPy's erfcx): PyMC's normal logcdf uses
# log(erfcx(-z / sqrt 2) / 2) - z^2 / 2 in the lower tail, where erfc alone underflows.


def _mp_erfcx(ctx: Any, x: Any) -> Any:
    if M.isnan(x):
        return ctx.nan
    if x == ctx.inf:
        return ctx.zero
    if x < -2**30:
        return ctx.inf
    if x > 2**30:  # the asymptotic series (mpmath's erfc overflows there)
        t, term, s = 1 / (2 * x * x), ctx.one, ctx.one
        for k in range(1, 40):
            term = -term * (2 * k - 1) * t
            s += term
        return s / (x * ctx.sqrt(ctx.pi))
    return ctx.exp(x * x) * ctx.erfc(x)


_op("erfcx", 1, "elementwise", refs.scalar_ufunc(refs.erfcx_scalar), cost=25, ns=12.0,
    mp=_mp_erfcx, mp_limit=EXP_LIMIT, ulps=4,
    deriv=lambda a, v: np.abs(2 * a * v - _SQRT_PI), grad=_D,
    facts=OpFacts(sign=(((None,), P),), domain="total"),
    names=names(None, "erfcx", None, None, "Erfcx", None))
ELEMENTWISE_UNARY = (*ELEMENTWISE_UNARY, "erfcx")
# -- reductions of one element (parity) ------------------------------------------------------
# A reduction whose reduced axes all have extent 1 returns its operand's values, reshaped
# (PyTensor's local_reduce_broadcastable): the type analysis adds that reshape
# (egraph/analyses/__init__.py). max, min and prod return the element bit for bit;
# NumPy's sum and mean of one -0.0 are +0.0 and logsumexp's is log(1) + x: the same value
# except for the zero's sign, so not under ieee="strict".
for _name, _tag in (("max", "identity_on_one"), ("min", "identity_on_one"),
                    ("prod", "identity_on_one"), ("sum", "identity_on_one_but_zero_sign"),
                    ("mean", "identity_on_one_but_zero_sign"),
                    ("logsumexp", "identity_on_one_but_zero_sign")):
    OPS[_name] = replace(OPS[_name], tags=OPS[_name].tags | {_tag})
