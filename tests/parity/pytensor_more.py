"""More rewrite-parity cases (issue 27, third session): PyTensor's subtensor, shape, basic
and elemwise rewrites (``pytensor/tensor/rewriting/subtensor.py``, ``shape.py``,
``basic.py``, ``elemwise.py`` and their tests ``test_subtensor.py``, ``test_shape.py``,
``test_basic.py``, ``test_elemwise.py``), more of ``test_math.py``, and negative controls
(rewrites PyTensor makes or might make that change a value: ``x == x`` for NaN, a float32
round trip, a switch sunk through a product with ``inf``). Same format as
``catalogue.py``. ``MORE_HELDOUT`` was written with ``MORE`` and not run until the rules
were settled: a check that the mechanisms generalize.
"""

from __future__ import annotations

import numpy as np

from .catalogue import POS, REAL, A, c, form

M23 = A([[1.0, -2.0, 3.5], [0.25, -0.0, 1e300]])
M234 = np.arange(24.0).reshape(2, 3, 4) - 11.5
V8 = A([3.0, -1.0, 0.5, 1e-300, -2.5, 7.0, 1e300, 0.0])
V8B = A([1.0, 2.0, -3.0, 0.125, 4.0, -1e-3, 2.0, 5.0])
NANS = A([0.0, np.nan, 1.0, -np.inf, np.inf, -2.0])
FRAC = A([0.1, 1.0 / 3.0, 1e-40, 1e30, -0.7, 2.0 ** -30])
BOOL6 = A([True, False, True, False, False, True])

MORE = [
    # ---- subtensor (test_subtensor.py, rewriting/subtensor.py) ----
    c("slice-merge", "test_subtensor.py::TestLocalSubtensorMerge / local_subtensor_merge",
      lambda x: x[1:][2:], V8, want=form("", "", slice=1)),
    c("slice-merge-step", "test_subtensor.py::TestLocalSubtensorMerge",
      lambda x: x[::2][1:], V8, want=form("", "", slice=1)),
    c("slice-reverse-twice", "test_subtensor.py::TestLocalSubtensorMerge",
      lambda x: x[::-1][::-1], V8, want=form("", "slice")),
    c("slice-useless", "rewriting/subtensor.py::local_useless_slice", lambda x: x[:], V8,
      want=form("", "slice")),
    c("slice-useless-2d", "rewriting/subtensor.py::local_useless_subtensor",
      lambda x: x[:, :], M23, want=form("", "slice")),
    c("slice-of-bcast", "test_subtensor.py::test_local_subtensor_of_alloc",
      lambda x: np.broadcast_to(x, (4, 8))[1:3], V8, want=form("", "", broadcast_to=1)),
    # ---- shape (test_shape.py, rewriting/shape.py) ----
    c("reshape-chain", "test_shape.py::test_local_reshape_chain / local_reshape_chain",
      lambda x: x.reshape(6).reshape(3, 2), M23, want=form("", "", reshape=1)),
    c("reshape-useless", "test_shape.py::TestLocalUselessReshape",
      lambda x: x.reshape(2, 3), M23, want=form("", "reshape")),
    c("reshape-roundtrip", "test_shape.py::TestLocalUselessReshape",
      lambda x: x.reshape(6).reshape(2, 3), M23, want=form("", "reshape")),
    c("expand-squeeze", "rewriting/shape.py::local_fuse_squeeze_reshape",
      lambda x: np.squeeze(np.expand_dims(x, 0), 0), M23, want=form("", "reshape expand_dims")),
    c("reshape-expand", "rewriting/shape.py::local_fuse_expand_dims_reshape",
      lambda x: np.expand_dims(x.reshape(6), 0), M23, want=form("", "expand_dims")),
    # ---- dimshuffle (test_elemwise.py, rewriting/elemwise.py::local_dimshuffle_lift) ----
    c("transpose-twice", "test_elemwise.py::TestDimshuffleLift::test_double_transpose",
      lambda x: x.T.T, M23, want=form("", "transpose")),
    c("transpose-perm-inverse", "test_elemwise.py::TestDimshuffleLift::test_merge2",
      lambda x: np.transpose(np.transpose(x, (1, 2, 0)), (2, 0, 1)), M234,
      want=form("", "transpose")),
    c("transpose-perm-merge", "test_elemwise.py::TestDimshuffleLift::test_merge2",
      lambda x: np.transpose(np.transpose(x, (1, 2, 0)), (1, 2, 0)), M234,
      want=form("", "", transpose=1)),
    c("transpose-lift-exp", "test_elemwise.py::TestDimshuffleLift::test_lift",
      lambda x: np.exp(x.T).T, M23, want=form("", "transpose")),
    c("transpose-lift-add", "test_elemwise.py::TestDimshuffleLift::test_lift",
      lambda x, y: (x.T + y.T).T, M23, M23[::-1], want=form("", "transpose")),
    # ---- basic (test_basic.py, rewriting/basic.py) ----
    c("where-const-true", "test_basic.py::TestLocalUselessSwitch",
      lambda x, y: np.where(True, x, y), V8, V8B, want=form("", "where")),
    c("where-const-false", "test_basic.py::TestLocalUselessSwitch",
      lambda x, y: np.where(False, x, y), V8, V8B, want=form("", "where")),
    c("where-same-cond-nested", "test_basic.py::TestLocalUselessSwitch",
      lambda cnd, x, y: np.where(cnd, np.where(cnd, x, y), y), BOOL6, V8[:6], V8B[:6],
      want=form("", "", where=1)),
    c("cast-useless", "test_basic.py::TestLocalUselessCast / local_useless_cast",
      lambda x: x.astype(np.float64), V8, want=form("", "cast")),
    c("cast-cast-widen", "test_basic.py::TestLocalCastCast / local_cast_cast",
      lambda x: x.astype(np.float32).astype(np.float32), FRAC.astype(np.float64),
      want=form("", "", cast=1)),
    c("concat-one", "test_basic.py::test_local_join_1 / local_join_1",
      lambda x: np.concatenate([x]), V8, want=form("", "concatenate")),
    c("max-self", "test_basic.py::TestLocalUselessElemwise",
      lambda x: np.maximum(x, x), NANS, want=form("", "maximum")),
    c("min-self", "test_basic.py::TestLocalUselessElemwise",
      lambda x: np.minimum(x, x), NANS, want=form("", "minimum")),
    # ---- more of test_math.py ----
    c("neg-div-neg", "test_math.py::test_local_neg_div / local_neg_div_neg",
      lambda x, y: (-x) / (-y), V8, V8B, want=form("", "neg")),
    c("neg-mul-neg", "test_math.py::TestAlgebraicCanonizer (neg * neg)",
      lambda x, y: (-x) * (-y), V8, V8B, want=form("", "neg")),
    c("zero-minus", "test_math.py::test_local_sub_neg_to_add / local_neg_to_mul",
      lambda x: 0.0 - x, V8, want=form("neg", "sub")),
    c("abs-abs", "test_math.py::test_local_abs_merge / local_useless_elemwise",
      lambda x: np.abs(np.abs(x)), V8, want=form("", "", abs=1)),
    c("add-self-thrice", "test_math.py::TestAlgebraicCanonizer::test_canonicalize_nan",
      lambda x: x + x + x, V8[V8 < 1e300], want=form("", "add")),
    c("pow3", "test_math.py::test_local_pow_specialize", lambda x: x ** 3, REAL,
      want=form("", "pow")),
    c("sqr-pow", "test_math.py::test_local_pow_specialize", lambda x: np.power(x, 2.0) * 3.0,
      REAL, want=form("", "pow")),
    c("exp-sum-log", "test_math.py::TestExpLog (exp of a log of a product)",
      lambda x: np.log(np.exp(x) * 2.0), REAL, want=form("", "exp")),
    # ---- negative controls: rewrites that would change a value ----
    c("neg:eq-self", "test_basic.py::TestLocalUselessElemwise (negative: NaN != NaN)",
      lambda x: x == x, NANS, kind="negative"),
    c("neg:ne-self", "test_basic.py::TestLocalUselessElemwise (negative: NaN != NaN)",
      lambda x: x != x, NANS, kind="negative"),
    c("neg:cast-roundtrip", "test_basic.py::TestLocalCastCast (negative: float32 rounds)",
      lambda x: x.astype(np.float32).astype(np.float64), FRAC, kind="negative"),
    c("neg:mul-switch-sink", "test_math.py::test_local_mul_switch_sink (negative: 0 * inf)",
      lambda cnd, x, y: np.where(cnd, x, 0.0) * y, BOOL6, V8[:6],
      A([1.0, np.inf, 2.0, np.inf, 3.0, 1e300]), kind="negative",
      want=form("where", "")),
    # exp(x) - exp(x) is 0 for every finite x (exp(800) - exp(800) is inf - inf = NaN in
    # NumPy, 0 exactly): the finite contract allows 0 (closer to the exact value)
    c("exp-sub-self", "test_math.py::test_local_sub_of_same", lambda x: np.exp(x) - np.exp(x),
      REAL, want=form("", "exp sub")),
    c("neg:slice-neg-step", "test_subtensor.py (negative: x[::-1] is not x)",
      lambda x: x[::-1], V8, kind="negative", want=form("slice", "")),
    c("neg:transpose-3d", "test_elemwise.py (negative: a permutation that is not its inverse)",
      lambda x: np.transpose(np.transpose(x, (1, 2, 0)), (1, 2, 0)), M234, kind="negative",
      want=form("transpose", "")),
    c("neg:div-mul-self", "test_math.py::TestAlgebraicCanonizer (negative: y = 0, inf)",
      lambda x, y: (x * y) / y, V8, A([0.0, 1.0, np.inf, 2.0, 1e-300, 3.0, 1e300, -1.0]),
      kind="negative", want=form("div", "")),
]

MORE_HELDOUT = [
    c("h2:slice-merge-3", "held out", lambda x: x[1:][1:][1:], V8, want=form("", "", slice=1)),
    c("h2:slice-lift-log", "held out", lambda x: np.log(np.abs(x) + 1.0)[2:5], V8,
      want=form("", "", slice=1)),
    c("h2:reshape-chain-3", "held out", lambda x: x.reshape(3, 2).reshape(6).reshape(1, 6),
      M23, want=form("", "", reshape=1)),
    c("h2:transpose-lift-mul", "held out", lambda x, y: (np.exp(x).T * y.T).T, M23, M23,
      want=form("", "transpose")),
    c("h2:where-const-expr", "held out", lambda x, y: np.where(True, x + y, y), V8, V8B,
      want=form("", "where")),
    c("h2:neg-div-neg-exp", "held out", lambda x: (-np.exp(x)) / (-(x * x + 1.0)), REAL,
      want=form("", "neg")),
    c("h2:pow-div-pow2", "held out", lambda x, y: (8.0 * x) / (2.0 * y), V8, V8B,
      want=form("", "", constant=1)),
    c("h2:abs-abs-neg", "held out", lambda x: np.abs(-np.abs(x)), V8, want=form("", "neg", abs=1)),
    c("h2:neg:eq-self-exp", "held out (negative)", lambda x: np.exp(x) == np.exp(x), NANS,
      kind="negative"),
    c("h2:neg:pow3-div", "held out (negative)", lambda x, y: (3.0 * x) / (4.0 * y), V8, V8B,
      kind="negative", want=form("", "", constant=2)),
    c("h2:neg:pos-slice", "held out (negative)", lambda x: POS[:3] * x[2:5], V8,
      kind="negative", want=form("slice", "")),
]
