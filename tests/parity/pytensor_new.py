"""More rewrite-parity cases (issue 27, fourth session): PyTensor's canonicalizer
(``local_mul_canonizer``: constants, negations and like terms through products and
quotients), ``local_pow_specialize``, ``local_reduce_broadcastable`` (a reduction over
axes of extent 1), ``local_useless_elemwise`` / ``local_add_specialize`` (fills of 0 and 1),
``local_dimshuffle_lift`` (a dimshuffle of a dimshuffle is one, of any rank), exp/log
pairs through products, softplus and sigmoid spellings, and negative controls (rewrites
that would change a value: reassociated sums that cancel, permutations that are not the
identity, reductions over axes of extent > 1). Sources are PyTensor 2.38's
``tests/tensor/rewriting/test_math.py``, ``test_elemwise.py``, ``test_basic.py``,
``test_special.py`` and the rewrites in ``pytensor/tensor/rewriting/*.py`` they exercise.
Same format as ``catalogue.py``. ``NEW_HELDOUT`` was written before the new rules were
tried on it: a check that the mechanisms generalize.
"""

from __future__ import annotations

import numpy as np
from scipy import special as sp

from .catalogue import MAT, POS, REAL, VEC, A, Y, c, form

M23 = A([[1.0, -2.0, 3.5], [0.25, -0.0, 1e300]])
M234 = np.arange(24.0).reshape(2, 3, 4) - 11.5
M2345 = np.arange(120.0).reshape(2, 3, 4, 5) / 7.0 - 8.0
V8 = A([3.0, -1.0, 0.5, 1e-300, -2.5, 7.0, 1e300, 0.0])
V8B = A([1.0, 2.0, -3.0, 0.125, 4.0, -1e-3, 2.0, 5.0])
B8 = A([True, False, True, False, False, True, True, False])
ROW64 = np.linspace(-3.0, 5.0, 64).reshape(1, 64)
SMALL = REAL[np.abs(REAL) < 1e100]
POWS = A([-1.5, 0.5, 1.0001, 2.0, 3.0])

NEW = [
    # ---- local_mul_canonizer / local_add_canonizer (test_math.py::TestAlgebraicCanonizer) --
    c("c-mul-c-div", "test_math.py::TestAlgebraicCanonizer::test_multiple_case",
      lambda x: x * 2.0 / 2.0, REAL, want=form("", "mul div")),
    c("c-mul-div-3", "test_math.py::TestAlgebraicCanonizer (x * 3 / 3)",
      lambda x: (x * 3.0) / 3.0, REAL, want=form("", "mul div")),
    c("div-c-mul-3", "test_math.py::TestAlgebraicCanonizer (x / 3 * 3)",
      lambda x: (x / 3.0) * 3.0, REAL, want=form("", "mul div")),
    c("div2-mul4", "test_math.py::TestAlgebraicCanonizer::test_multiple_case",
      lambda x: (x / 2.0) * 4.0, REAL, want=form("", "div", mul=1)),
    c("const-mul-mul", "test_math.py::TestAlgebraicCanonizer (constants merged)",
      lambda x: 2.0 * x * 3.0, REAL, want=form("", "", mul=1)),
    # (x + c) + d => x + (c + d) changes the value where c + d rounds away x's digits
    # (x = 1e300, c = -1e300, d = 1): NumPy's order is kept (check-rules finds that)
    c("const-add-add", "test_math.py::TestAlgebraicCanonizer (x + 2 + 3)",
      lambda x: x + 2.0 + 3.0, REAL, want=form("", "", add=1), better=(form("", "", add=2),)),
    c("neg-sub", "test_math.py::test_local_neg_to_mul / canonizer", lambda x, y: -(x - y),
      REAL, Y, want=form("sub", "neg")),
    c("neg-times-const", "test_math.py::TestAlgebraicCanonizer (-x * 2 => x * -2)",
      lambda x: -x * 2.0, REAL, want=form("", "neg", mul=1)),
    c("add-self", "test_math.py::TestAlgebraicCanonizer (x + x => 2 x)", lambda x: x + x,
      REAL, want=form("", "add")),
    c("sub-like-terms", "test_math.py::TestAlgebraicCanonizer (x - 2x => -x)",
      lambda x: x - x * 2.0, REAL, want=form("neg", "mul sub")),
    # x + y - y = x: PyTensor's canonizer cancels it; x is the exact value (NumPy's is 0 at
    # x = 1, y = 1e16), so the finite contract allows it too
    c("add-sub-cancel", "test_math.py::TestAlgebraicCanonizer (x + y - y)",
      lambda x, y: (x + y) - y, A([1.0, 2.0, 0.5]), A([1e16, -1e17, 3.0]),
      want=form("", "add sub")),
    c("sum-neg", "test_math.py::TestLocalSumProd::test_local_sum_prod_mul_by_scalar (neg)",
      lambda x: np.sum(-x), VEC, want=form("", "", neg=1)),
    # ---- local_pow_specialize (test_math.py::test_local_pow_specialize) ----
    c("pow4", "test_math.py::test_local_pow_to_nested_squaring", lambda x: x ** 4, REAL,
      want=form("", "pow")),
    c("pow-neg3", "test_math.py::test_local_pow_to_nested_squaring", lambda x: x ** -3, POWS,
      want=form("", "pow")),
    # x ** -0.5 => 1 / sqrt(x) is -inf at x = -0.0 where pow is inf: pow is kept (one
    # rounding, the exact value everywhere)
    c("pow-neg-half", "test_math.py::test_local_pow_specialize (-0.5)", lambda x: x ** -0.5,
      POS, want=form("sqrt", "pow"), better=(form("pow"),)),
    c("abs-sqr", "test_math.py::test_local_pow_specialize (abs(x) ** 2)",
      lambda x: np.abs(x) ** 2, SMALL, want=form("", "abs pow")),
    c("sqr-neg", "math.py::local_sqr_neg? (square(-x))", lambda x: np.square(-x), REAL,
      want=form("", "neg")),
    # ---- local_reduce_broadcastable (test_math.py::TestLocalReduce) ----
    c("sum-expand", "test_math.py::TestLocalReduce::test_local_reduce_broadcast_all_0",
      lambda x: np.sum(x[None, :], axis=0), VEC, want=form("", "sum")),
    c("max-expand", "test_math.py::TestLocalReduce::test_local_reduce_broadcast_some_1",
      lambda x: np.max(x[:, None], axis=1), VEC, want=form("", "max")),
    c("prod-expand", "test_math.py::TestLocalReduce (prod)",
      lambda x: np.prod(x[None, :], axis=0), VEC, want=form("", "prod")),
    c("mean-expand", "test_math.py::TestLocalReduce (mean)",
      lambda x: np.mean(x[None, :], axis=0), VEC, want=form("", "mean sum")),
    c("sum-unit-axis", "test_math.py::TestLocalReduce::test_local_reduce_broadcast_some_0",
      lambda x: np.sum(x, axis=0), ROW64, want=form("", "sum")),
    # ---- fills of 0 and 1 (local_add_specialize, local_mul_specialize) ----
    c("zeros-add", "test_math.py::test_local_add_specialize (fill 0)",
      lambda x, y: np.zeros_like(x) + y, V8, V8B, want=form("", "add")),
    c("ones-mul", "test_math.py::test_local_mul_specialize (fill 1)",
      lambda x, y: np.ones_like(x) * y, V8, V8B, want=form("", "mul")),
    # ---- dimshuffles (test_elemwise.py::TestDimshuffleLift, local_useless_dimshuffle) ----
    c("expand-expand", "test_elemwise.py::TestDimshuffleLift::test_merge2",
      lambda x: np.expand_dims(np.expand_dims(x, 0), 0), V8, want=form("", "", expand_dims=1)),
    c("squeeze-expand", "test_elemwise.py::TestDimshuffleLift::test_recursive_lift",
      lambda x: np.squeeze(x[None, :, None]), V8, want=form("", "reshape expand_dims")),
    c("transpose-compose-3d", "test_elemwise.py::TestDimshuffleLift::test_merge2",
      lambda x: np.transpose(np.transpose(x, (1, 0, 2)), (0, 2, 1)), M234,
      want=form("", "", transpose=1)),
    c("expand-reshape-1", "rewriting/shape.py::local_fuse_expand_dims_reshape",
      lambda x: np.expand_dims(x.reshape(6), 1), M23, want=form("", "expand_dims")),
    c("transpose-1d", "test_elemwise.py::TestDimshuffleLift (useless)", lambda x: x.T, V8,
      want=form("", "transpose")),
    c("reshape-flat-1d", "test_shape.py::TestLocalUselessReshape", lambda x: x.reshape(-1),
      V8, want=form("", "reshape")),
    # ---- exp / log / abs (test_math.py::TestExpLog, local_abs_lift) ----
    c("log-exp-exp", "test_math.py::TestExpLog (log of a product of exps)",
      lambda x, y: np.log(np.exp(x) * np.exp(y)), REAL, REAL[::-1], want=form("", "exp log")),
    c("log-3exp", "test_math.py::TestExpLog (log of a constant times exp)",
      lambda x: np.log(3.0 * np.exp(x)), REAL, want=form("", "exp")),
    c("log1p-exp-m1", "test_math.py::test_local_expm1 + TestExpLog::test_log1p_expm1",
      lambda x: np.log1p(np.exp(x) - 1.0), REAL, want=form("", "exp log1p")),
    c("abs-exp", "math.py::local_abs_of_nonneg (abs of a positive value)",
      lambda x: np.abs(np.exp(x)), REAL, want=form("", "abs")),
    c("sqrt-mul-self", "test_math.py::test_local_sqrt_sqr (x * x)", lambda x: np.sqrt(x * x),
      REAL, want=form("abs", "sqrt")),
    c("f32-expm1", "test_math.py::test_local_expm1 (float32)",
      lambda x: np.exp(x) - np.float32(1), REAL.astype(np.float32), want=form("expm1", "exp"),
      stable=True),
    # ---- softplus / sigmoid spellings (test_special.py) ----
    c("softplus-neg", "test_special.py::TestSoftplusOpt::test_log1pexp_to_softplus",
      lambda x: np.log1p(np.exp(-x)), REAL, want=form("softplus", "exp"), stable=True),
    c("1m-sigmoid-neg", "test_special.py::test_local_1msigmoid (sigmoid(-x))",
      lambda x: 1 - sp.expit(-x), REAL, want=form("sigmoid", "sub"), stable=True),
    c("log-sigmoid-neg", "test_special.py::TestSoftplusOpt::test_logsigm_to_softplus",
      lambda x: np.log(sp.expit(-x)), REAL, want=form("softplus", "log sigmoid"), stable=True),
    c("log-softmax-sub", "test_special.py::TestLogSoftmax (x - log(sum(exp(x))))",
      lambda x: x - np.log(np.sum(np.exp(x))), A([1e300, 1.0, -1e300, 7e299]),
      want=form("", "exp"), stable=True),
    # ---- where / reductions (test_basic.py, test_math.py) ----
    c("where-same-exp", "test_basic.py::TestLocalUselessSwitch (equal branches)",
      lambda cnd, x: np.where(cnd, np.exp(x), np.exp(x)), B8, V8B, want=form("", "where")),
    c("max-neg-of-min", "test_math.py::test_local_reduce_neg (-min(-x) => max(x))",
      lambda x: -np.min(-x), VEC, want=form("max", "min neg")),
    # ---- negative controls ----
    c("neg:log-mul", "test_math.py (negative: log(x y) is not log x + log y)",
      lambda x, y: np.log(x * y), POS, POS[::-1], kind="negative"),
    c("neg:log-div", "test_math.py (negative: log(x / y) cancels as log x - log y)",
      lambda x, y: np.log(x / y), POS, POS[::-1], kind="negative"),
    c("neg:sum-axis-2", "test_math.py::TestLocalReduce (negative: extent 2)",
      lambda x: np.sum(x, axis=0), MAT, kind="negative", want=form("sum", "")),
    c("neg:transpose-square", "test_elemwise.py (negative: a square matrix's transpose)",
      lambda x: np.transpose(x, (1, 0)), np.arange(9.0).reshape(3, 3), kind="negative",
      want=form("transpose", "")),
    c("neg:reshape-of-transpose", "test_shape.py (negative: a reshape does not see the order)",
      lambda x: x.T.reshape(6), M23, kind="negative", want=form("transpose", "")),
    c("neg:log-negc-exp", "test_math.py::TestExpLog (negative: c < 0)",
      lambda x: np.log(-2.0 * np.exp(x)), REAL[REAL < 700], kind="negative",
      want=form("exp", "")),
    c("neg:add-const-tiny", "test_math.py::TestAlgebraicCanonizer (negative: 1 + 1e-17)",
      lambda x: (x + 1.0) + 1e-17, A([-1.0, 0.0, 2.0]), kind="negative", want=form("", "", add=2)),
]

NEW_HELDOUT = [
    c("h3:transpose-compose-4d", "held out",
      lambda x: np.transpose(np.transpose(x, (3, 1, 0, 2)), (1, 0, 3, 2)), M2345,
      want=form("", "", transpose=1)),
    c("h3:transpose-inverse-4d", "held out",
      lambda x: np.transpose(np.transpose(x, (3, 1, 0, 2)), (2, 1, 3, 0)), M2345,
      want=form("", "transpose")),
    c("h3:expand-reshape-last", "held out", lambda x: np.expand_dims(x.reshape(3, 2), -1),
      M23, want=form("", "expand_dims")),
    c("h3:expand-expand-mid", "held out", lambda x: x[None][:, None], M23,
      want=form("", "", expand_dims=1)),
    c("h3:max-unit-axis-2d", "held out", lambda x: np.max(x[None, :, :], axis=0), M23,
      want=form("", "max")),
    c("h3:min-unit-keepdims", "held out", lambda x: np.min(x[:, None], axis=1, keepdims=True),
      V8, want=form("", "min")),
    c("h3:log-exp-half", "held out", lambda x: np.log(np.exp(x) * 0.5), REAL,
      want=form("", "exp")),
    c("h3:log-exp-div-exp", "held out", lambda x, y: np.log(np.exp(x) / np.exp(y)), REAL,
      REAL[::-1], want=form("", "exp log")),
    c("h3:const-neg-right", "held out", lambda x: 3.0 * -x, REAL, want=form("", "neg", mul=1)),
    c("h3:const-mul-nested", "held out", lambda x: 0.5 * (x * 8.0), REAL,
      want=form("", "", mul=1)),
    c("h3:sub-like-4", "held out", lambda x: x - 4.0 * x, REAL, want=form("", "sub", mul=1)),
    c("h3:sum-expand-exp", "held out", lambda x: np.sum(np.exp(x)[None], axis=0), VEC,
      want=form("", "sum")),
    c("h3:neg:transpose-4d", "held out (negative)",
      lambda x: np.transpose(np.transpose(x, (3, 1, 0, 2)), (3, 1, 0, 2)), M2345,
      kind="negative", want=form("transpose", "")),
    c("h3:neg:sum-broadcast", "held out (negative)",
      lambda x: np.sum(np.broadcast_to(x, (2, 8)), axis=0), V8B, kind="negative",
      want=form("sum", "")),
    c("h3:neg:log-var-exp", "held out (negative)", lambda x, y: np.log(y * np.exp(x)),
      REAL[REAL < 700], np.abs(Y[:11]) + 0.5, kind="negative", want=form("exp", "")),
]
