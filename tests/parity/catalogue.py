"""The rewrite-parity catalogue: PyTensor's rewrite cases as NumPy functions.

Sources are PyTensor 2.38's own rewrite tests (``tests/tensor/rewriting/test_math.py``,
``test_elemwise.py``, ``test_special.py``, ``test_basic.py``) and the rewrites they exercise
in ``pytensor/tensor/rewriting/math.py`` (named after ``::``). ``want`` is PyTensor's form
(ops that must / must not appear), ``better`` the sound alternatives eqsat-tensor may keep
instead, ``stable`` marks cases whose PyTensor form is accurate at every listed input.
Inputs include the overflow- and cancellation-prone points where the forms differ.
"""

from __future__ import annotations

import numpy as np
from scipy import special as sp

from .harness import UNCHANGED, Case, form

A = np.array
# generic real line, with points where exp overflows / underflows and x + 1 rounds
REAL = A([-800.0, -40.0, -3.0, -1e-10, 0.0, 1e-300, 1e-12, 0.5, 1.0, 37.0, 40.0, 800.0])
NEG = A([-800.0, -40.0, -3.0, -0.7, -1e-5, -1e-12, -1e-300])  # x < 0 (log1mexp domain)
POS = A([1e-300, 1e-12, 0.5, 1.0, 3.0, 1e10, 1e300])
ANY = A([-3.0, -0.5, -1e-300, 0.0, 1e-300, 0.5, 2.0, 1e200])  # guards not provable
UNIT = A([-0.999, -0.5, -1e-10, 0.0, 1e-10, 0.5, 0.999])
GE1 = A([1.0, 1.0 + 1e-12, 2.0, 10.0, 1e10, 1e300])
Y = A([-2.0, -0.5, 0.25, 1.0, 3.0, 7.0, 1e-3, 5.0, -1.0, 2.5, 0.125, 9.0])
VEC = A([1.0, 2.0, 3.0, -4.0, 0.5])
BIG = A([1e300, 1e300 - 1e284, 1.0, -1e300, 7e299])
MAT = A([[1.0, 2.0, 3.0], [-1.0, 0.5, 4.0]])
BIGMAT = A([[800.0, 801.0, 1.0], [-900.0, 1000.0, 999.0]])
COND = A([True, False, True, True, False])


def c(name, source, fn, *inputs, want=UNCHANGED, better=(), kind="positive", stable=False):
    return Case(name, source, fn, tuple(inputs), want, tuple(better), kind, stable)


def _sumsq(w, g):
    return np.sum(np.square(np.expand_dims(w, 0) * np.expand_dims(g, 1)), axis=(1, 2))


CASES = [
    # ---- log1p / expm1 (test_math.py::test_log1p, test_local_expm1) ----
    c("log1p", "test_math.py::test_log1p", lambda x: np.log(1 + x), REAL[REAL > -1],
      want=form("log1p", "log"), stable=True),
    c("log1p-right", "test_math.py::test_log1p", lambda x: np.log(x + 1), REAL[REAL > -1],
      want=form("log1p", "log"), stable=True),
    c("log1p-sub", "test_math.py::test_log1p", lambda x: np.log(1 - x), -REAL[REAL > -1],
      want=form("log1p", "log"), stable=True),
    c("expm1", "test_math.py::test_local_expm1", lambda x: np.exp(x) - 1, REAL,
      want=form("expm1", "exp"), stable=True),
    c("expm1-neg", "test_math.py::test_local_expm1", lambda x: 1 - np.exp(x), REAL,
      want=form("expm1", "exp"), stable=True),
    c("expm1-add", "test_math.py::test_local_expm1", lambda x: -1 + np.exp(x), REAL,
      want=form("expm1", "exp"), stable=True),
    # ---- softplus / sigmoid (test_special.py, math.py::local_log1p_exp...) ----
    c("softplus", "test_math.py::test_log_add_exp / local_log1p_exp",
      lambda x: np.log(1 + np.exp(x)), REAL, want=form("softplus", "log exp"), stable=True),
    c("softplus-log1p", "math.py::local_log1p_exp", lambda x: np.log1p(np.exp(x)), REAL,
      want=form("softplus", "log1p exp"), stable=True),
    c("log-sigmoid", "test_special.py::test_log_sigmoid / local_log_sigm",
      lambda x: np.log(sp.expit(x)), REAL, want=form("softplus", "log sigmoid"), stable=True),
    c("log-1m-sigmoid", "test_special.py::TestSoftplusOpt::test_logsigm_to_softplus",
      lambda x: np.log(1 - sp.expit(x)), REAL, want=form("softplus", "log sigmoid"),
      stable=True),
    c("log1p-neg-sigmoid", "test_special.py::test_log1msigm_to_softplus",
      lambda x: np.log1p(-sp.expit(x)), REAL, want=form("softplus", "log1p sigmoid"),
      stable=True),
    c("1m-sigmoid", "test_special.py::test_local_1msigmoid", lambda x: 1 - sp.expit(x), REAL,
      want=form("sigmoid", "sub"), stable=True),
    c("sigmoid-def", "test_special.py::test_exp_over_1_plus_exp",
      lambda x: 1 / (1 + np.exp(-x)), REAL, want=form("sigmoid", "exp div"), stable=True),
    c("sigmoid-exp", "test_special.py::test_exp_over_1_plus_exp",
      lambda x: np.exp(x) / (1 + np.exp(x)), REAL, want=form("sigmoid", "exp div"), stable=True),
    c("sigm-times-exp", "test_special.py::test_local_sigm_times_exp",
      lambda x: sp.expit(x) * np.exp(-x), REAL, want=form("sigmoid", "exp")),
    c("exp-times-sigm", "test_special.py::test_local_sigm_times_exp",
      lambda x: np.exp(x) * sp.expit(-x), REAL, want=form("sigmoid", "exp")),
    # ---- log1mexp / logdiffexp (math.py::local_log1mexp) ----
    c("log1p-neg-exp", "test_math.py::test_log1mexp / local_log1mexp",
      lambda x: np.log1p(-np.exp(x)), NEG, want=form("log1mexp", "exp"), stable=True),
    c("log-1m-exp", "test_math.py::test_log1mexp", lambda x: np.log(1 - np.exp(x)), NEG,
      want=form("log1mexp", "exp"), stable=True),
    c("log-neg-expm1", "test_math.py::test_log1mexp", lambda x: np.log(-np.expm1(x)), NEG,
      want=form("log1mexp", "expm1"), stable=True),
    c("logdiffexp", "pymc.math.logdiffexp", lambda a, b: np.log(np.exp(a) - np.exp(b)),
      A([1000.0, 2.0, 0.5, -800.0, 10.0]), A([999.0, 1.0, 0.4999999, -801.0, -50.0]),
      want=form("log1mexp", "log exp"), stable=True),
    # ---- log-sum-exp / softmax (test_special.py, test_math.py::test_local_log_sum_exp) ----
    c("logsumexp", "test_math.py::test_local_log_sum_exp1",
      lambda x: np.log(np.sum(np.exp(x))), BIG, want=form("logsumexp", "log exp"),
      stable=True),
    c("logsumexp-axis", "test_math.py::test_local_log_sum_exp2",
      lambda x: np.log(np.sum(np.exp(x), axis=1)), BIGMAT, want=form("logsumexp", "log exp"),
      stable=True),
    c("logaddexp", "test_math.py::test_log_add_exp", lambda x, y: np.log(np.exp(x) + np.exp(y)),
      REAL, REAL[::-1], want=form("logaddexp", "log exp"), stable=True),
    c("softmax", "test_special.py::TestSoftmax / local_softmax_stabilize",
      lambda x: np.exp(x) / np.sum(np.exp(x)), BIG, want=form("max", ""), stable=True),
    c("softmax-axis", "test_special.py::TestSoftmax",
      lambda x: np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True), BIGMAT,
      want=form("max", ""), stable=True),
    c("log-softmax", "test_special.py::TestLogSoftmax::test_local_logsoftmax_rewrite",
      lambda x: np.log(np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True)), BIGMAT,
      want=form("max", "div"), stable=True),
    # ---- exp/log pairs (math.py::local_exp_log, local_exp_log_nan_switch) ----
    c("log-exp", "test_math.py::TestExpLog::test_log_exp", lambda x: np.log(np.exp(x)), REAL,
      want=form("", "log exp"), stable=True),
    c("exp-log", "test_math.py::TestExpLog::test_exp_log", lambda x: np.exp(np.log(x)), ANY,
      want=form("", "log exp"), stable=True),
    c("exp-log1p", "test_math.py::TestExpLog::test_exp_log1p", lambda x: np.exp(np.log1p(x)),
      A([-3.0, -1.0, -0.5, -1e-300, 0.0, 1e-12, 2.0, 1e300]), want=form("", "log1p exp"),
      stable=True),
    c("expm1-log", "test_math.py::TestExpLog::test_expm1_log", lambda x: np.expm1(np.log(x)),
      ANY, want=form("", "log expm1"), stable=True),
    c("expm1-log1p", "test_math.py::TestExpLog::test_expm1_log1p",
      lambda x: np.expm1(np.log1p(x)), A([-3.0, -1.0, -0.5, -1e-300, 0.0, 1e-12, 2.0, 1e300]),
      want=form("", "log1p expm1"), stable=True),
    c("log1p-expm1", "test_math.py::TestExpLog::test_log1p_expm1",
      lambda x: np.log1p(np.expm1(x)), REAL, want=form("", "log1p expm1"), stable=True),
    c("log-recip", "math.py::local_log_div / test_math.py::test_log_reciprocal",
      lambda x: np.log(1 / x), POS, want=form("log", "div reciprocal"), stable=True),
    c("div-exp", "math.py::local_exp_div? / test_math.py::test_div_exp",
      lambda x, y: y / np.exp(x), REAL, Y, want=form("exp", "div"), better=(UNCHANGED,)),
    # ---- square roots and squares (test_math.py::test_local_sqrt_sqr, sqr_sqrt) ----
    c("sqrt-sqrt-mul", "test_math.py::test_sqrt_sqr", lambda x: np.sqrt(x) * np.sqrt(x), ANY,
      want=form("", "sqrt"), stable=True),
    c("sqr-sqrt", "math.py::local_sqr_sqrt", lambda x: np.square(np.sqrt(x)), ANY,
      want=form("", "sqrt"), stable=True),
    c("sqrt-sqr", "math.py::local_sqrt_sqr", lambda x: np.sqrt(np.square(x)), REAL,
      want=form("abs", "sqrt square"), stable=True),
    # ---- inverse pairs (math.py::local_func_inv) ----
    c("neg-neg", "test_math.py::test_local_func_inv", lambda x: np.negative(-x), REAL,
      want=form("", "neg")),
    c("recip-recip", "test_math.py::test_local_func_inv", lambda x: 1 / (1 / x), POS,
      want=form("", "div reciprocal"), stable=True),
    c("arcsinh-sinh", "test_math.py::test_local_func_inv", lambda x: np.arcsinh(np.sinh(x)),
      REAL, want=form("", "sinh"), stable=True),
    c("sinh-arcsinh", "test_math.py::test_local_func_inv", lambda x: np.sinh(np.arcsinh(x)),
      REAL, want=form("", "sinh"), stable=True),
    c("cosh-arccosh", "test_math.py::test_local_func_inv", lambda x: np.cosh(np.arccosh(x)),
      GE1, want=form("", "cosh"), stable=True),
    c("tanh-arctanh", "test_math.py::test_local_func_inv", lambda x: np.tanh(np.arctanh(x)),
      UNIT, want=form("", "tanh"), stable=True),
    c("arctanh-tanh", "test_math.py::test_local_func_inv", lambda x: np.arctanh(np.tanh(x)),
      UNIT, want=form("", "tanh"), stable=True),
    c("exp2-log2", "test_math.py::test_local_func_inv", lambda x: np.exp2(np.log2(x)), POS,
      want=form("", "exp2 log2"), stable=True),
    c("log2-exp2", "test_math.py::test_local_func_inv", lambda x: np.log2(np.exp2(x)), REAL,
      want=form("", "exp2 log2"), stable=True),
    # ---- subtraction / negation canonical forms (test_math.py::test_local_add_neg_to_sub) ----
    c("neg-add", "test_math.py::test_local_add_neg_to_sub", lambda x, y: -x + y, REAL, Y,
      want=form("sub", "neg")),
    c("sub-neg", "test_math.py::test_local_sub_neg_to_add", lambda x, y: x - (-y), REAL, Y,
      want=form("add", "neg sub")),
    c("add-neg-right", "test_math.py::test_local_add_neg_to_sub", lambda x, y: x + (-y), REAL,
      Y, want=form("sub", "neg")),
    # ---- identities (math.py::local_mul_specialize, local_add_specialize) ----
    c("mul-one", "test_math.py::test_local_mul_specialize", lambda x: x * 1.0, REAL,
      want=form("", "mul")),
    c("mul-neg-one", "test_math.py::test_local_mul_specialize", lambda x: x * -1.0, REAL,
      want=form("neg", "mul")),
    c("mul-zero", "test_math.py::test_local_mul_specialize", lambda x: x * 0.0, REAL,
      want=form("", "mul")),
    c("add-zero", "test_math.py::test_local_add_specialize", lambda x: x + 0.0, REAL,
      want=form("", "add")),
    c("div-one", "test_basic.py::test_local_div_by_one", lambda x: x / 1.0, REAL,
      want=form("", "div")),
    c("sub-self", "test_math.py::test_local_sub_of_same", lambda x: x - x, REAL,
      want=form("", "sub")),
    c("pow-one", "test_math.py::test_local_pow_canonicalize", lambda x: x ** 1.0, REAL,
      want=form("", "pow")),
    c("pow-zero", "test_math.py::test_local_pow_canonicalize", lambda x: x ** 0.0, REAL,
      want=form("", "pow")),
    # ---- canonicalizer cases PyTensor takes further than NumPy's values allow ----
    c("div-self", "test_math.py::TestAlgebraicCanonizer::test_canonicalize_nan",
      lambda x: x / x, ANY, want=form("", "div"), better=(UNCHANGED,)),
    c("zero-div", "test_math.py::test_local_zero_div", lambda x: 0.0 / x, ANY,
      want=form("", "div"), better=(UNCHANGED,)),
    c("mul-div-cancel", "test_math.py::TestAlgebraicCanonizer::test_elemwise_multiple_inputs",
      lambda x, y: x * y / x, ANY, ANY[::-1], want=form("", "div"), better=(UNCHANGED,)),
    c("sigmoid-logit", "test_special.py::test_local_sigmoid_logit",
      lambda x: sp.expit(sp.logit(x)), A([1e-300, 1e-10, 0.3, 0.5, 0.9, 1 - 1e-12]),
      want=form("", "sigmoid"), better=(form("sigmoid"),)),
    c("distribute", "test_math.py::test_local_greedy_distributor",
      lambda a, b, d: a * b + a * d, Y, Y[::-1], Y * 3, want=form("", "", mul=1),
      better=(UNCHANGED,)),
    c("exp-mul-exp", "math.py::local_mul_exp_to_exp_add", lambda x, y: np.exp(x) * np.exp(y),
      REAL, REAL[::-1], want=form("", "", exp=1), better=(UNCHANGED,)),
    # ---- reductions (test_math.py::TestLocalSumProd, test_local_sum_sum...) ----
    c("sum-div-scalar", "test_math.py::TestLocalSumProd::test_local_sum_prod_div_dimshuffle",
      lambda x, a: np.sum(x / a), VEC, A(3.0), want=form("", "", div=1, sum=1),
      better=(UNCHANGED,)),
    # one sum instead of two sums in another order: under the finite contract the nested
    # sums stay (BETTER), since regrouping changes the value where terms cancel (see
    # test_rewrite_parity.py::test_fast_only_rewrites_change_values)
    c("sum-sum", "test_math.py::TestLocalSumProd::test_local_sum_sum", lambda x: np.sum(np.sum(x, 0)),
      MAT, want=form("", "", sum=1), better=(form("", "", sum=2),)),
    c("sum-sum-axes", "test_math.py::TestLocalSumProd::test_local_sum_sum",
      lambda x: np.sum(np.sum(x, axis=1), axis=0), MAT, want=form("", "", sum=1),
      better=(form("", "", sum=2),)),
    c("sum-mul-2", "test_math.py::TestLocalSumProd::test_local_sum_prod_mul_by_scalar",
      lambda x: np.sum(x * 2.0), VEC, want=form("", "", mul=1)),
    c("neg-max-neg", "math.py::local_max_to_min / test_math.py::test_local_reduce_neg",
      lambda x: -np.max(-x), VEC, want=form("min", "max neg")),
    c("neg-max-neg-axis", "test_math.py::test_max_to_min",
      lambda x: -np.max(-x, axis=1), MAT, want=form("min", "max neg")),
    c("sumsqr2dot", "test_math.py::test_local_sumsqr2dot", _sumsq,
      A([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]), A([[1.0, -2.0, 0.5], [3.0, 0.25, 1.0],
                                                 [2.0, 2.0, 2.0], [-1.0, 0.0, 1.0]]),
      want=form("matmul", ""), better=(form("", "matmul"),)),  # dot: w*w overflows, g*g underflows
    # ---- where (test_basic.py::TestLocalMergeSwitchSameCond) ----
    c("merge-switch-add", "test_basic.py::TestLocalMergeSwitchSameCond",
      lambda cond, a, b, d, e: np.where(cond, a, b) + np.where(cond, d, e), COND, VEC,
      VEC[::-1], VEC * 2, VEC + 1, want=form("", "", where=1)),
    c("merge-switch-mul", "test_basic.py::TestLocalMergeSwitchSameCond",
      lambda cond, a, b, d, e: np.where(cond, a, b) * np.where(cond, d, e), COND, VEC,
      VEC[::-1], VEC * 2, VEC + 1, want=form("", "", where=1)),
    c("where-same", "test_basic.py::test_local_useless_switch", lambda cond, a: np.where(cond, a, a),
      COND, VEC, want=form("", "where")),
    # ---- constants and powers (test_math.py::test_local_pow_specialize, ...) ----
    c("const-div", "test_math.py::TestAlgebraicCanonizer::test_multiple_case",
      lambda x, y: (2 * x) / (4 * y), Y, Y[::-1], want=form("", "", constant=1)),
    c("pow2", "test_math.py::test_local_pow_specialize", lambda x: x ** 2, REAL,
      want=form("", "pow")),
    c("pow-half", "test_math.py::test_local_pow_specialize", lambda x: x ** 0.5, POS,
      want=form("sqrt", "pow")),
    c("pow-neg1", "test_math.py::test_local_pow_specialize", lambda x: x ** -1, POS,
      want=form("", "pow")),
    c("pow-neg2", "test_math.py::test_local_pow_specialize", lambda x: x ** -2, POS,
      want=form("", "pow")),
    c("pow15", "test_math.py::test_local_pow_to_nested_squaring", lambda x: x ** 15,
      A([-1.5, 0.5, 1.0001, 2.0, 3.0]), want=form("", "pow")),
    c("pow-neg7", "test_math.py::test_local_pow_to_nested_squaring", lambda x: x ** -7,
      A([-1.5, 0.5, 1.0001, 2.0, 3.0]), want=form("", "pow")),
    # ---- abs (test_math.py::test_local_abs_merge) ----
    c("abs-merge", "test_math.py::test_local_abs_merge",
      lambda x, y: np.abs(x) * np.abs(y), REAL, Y, want=form("", "", abs=1)),
    c("abs-neg", "math.py::local_abs_lift", lambda x: np.abs(-x), REAL, want=form("", "neg")),
    # ---- negative controls: rewrites that must not fire ----
    c("neg:log-2-exp", "test_math.py::test_log_add_exp (negative)",
      lambda x: np.log(2 + np.exp(x)), REAL[REAL < 700], kind="negative"),
    c("neg:exp-minus-2", "test_math.py::test_local_expm1 (negative)",
      lambda x: np.exp(x) - 2, REAL[REAL < 700], kind="negative"),
    c("neg:log1p-2exp", "test_math.py::test_log1mexp (negative)",
      lambda x: np.log1p(-2 * np.exp(x)), NEG, kind="negative"),
    c("neg:1m-2sigmoid", "test_special.py::test_local_1msigmoid (negative)",
      lambda x: 1 - 2 * sp.expit(x), REAL, kind="negative"),
    c("neg:softmax-other", "test_special.py (negative)",
      lambda x, y: np.exp(x) / np.sum(np.exp(y)), VEC, VEC[::-1], kind="negative",
      want=form("", "max")),
    c("neg:sqrt-xy", "test_math.py::test_sqrt_sqr (negative)", lambda x, y: np.sqrt(x) * np.sqrt(y),
      POS, POS[::-1], kind="negative"),
    c("neg:neg-max", "test_math.py::test_max_to_min (negative)", lambda x: -np.max(x), VEC,
      kind="negative", want=form("max", "min")),
    c("neg:where-conds", "test_basic.py::TestLocalMergeSwitchSameCond (negative)",
      lambda c1, c2, a, b: np.where(c1, a, b) + np.where(c2, b, a), COND, ~COND, VEC,
      VEC[::-1], kind="negative"),
    c("neg:sum-div-array", "test_math.py::TestLocalSumProd (negative)",
      lambda x, y: np.sum(x / y), VEC, VEC[::-1], kind="negative"),
    c("neg:pow-2.5", "test_math.py::test_local_pow_specialize (negative)", lambda x: x ** 2.5,
      POS[POS < 1e100], kind="negative"),
    c("neg:pow-100", "test_math.py::test_local_pow_to_nested_squaring (negative)",
      lambda x: x ** 100, A([0.5, 1.0001, 2.0]), kind="negative"),
    c("neg:x-over-y", "test_math.py::TestAlgebraicCanonizer (negative)", lambda x, y: x / y,
      Y, Y[::-1], kind="negative"),
    c("neg:tanh-arcsinh", "test_math.py::test_local_func_inv (negative)",
      lambda x: np.tanh(np.arcsinh(x)), REAL, kind="negative", want=form("tanh", "")),
    c("neg:sigm-times-exp", "test_special.py::test_local_sigm_times_exp (negative)",
      lambda x: sp.expit(x) * np.exp(x), REAL[REAL < 700], kind="negative"),
    c("neg:log-1m-2sigmoid", "test_special.py (negative)",
      lambda x: np.log(1 - 2 * sp.expit(x)), REAL[REAL < -1], kind="negative",
      want=form("sigmoid", "softplus")),
]
