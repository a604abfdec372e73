"""mpeval: correctly rounded exact values, bits of error, sampling.

The exact values are checked against independent oracles: Python's ``math.fsum``
(correctly rounded sums) and ``fractions.Fraction`` (exact rational arithmetic, rounded
by ``float(Fraction)``), and against the NumPy reference backend on well-conditioned
expressions.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.mpeval import bits_of_error, exact, measure_bits, round_mpf, sample_inputs


def _graph(t):
    return et.as_graph(t)


# -- rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["0.1", "1e-320", "2.5e-324", "2.4703282292062328e-324",
                                  "1.7976931348623157e308", "1.7976931348623158e308",
                                  "-3.3333333333333333333333", "1e-310", "123456789.123456789"])
def test_round_mpf_matches_fraction_rounding(text):
    ctx = mpmath.MPContext()
    ctx.prec = 400
    value = ctx.mpf(text)
    man, exp = value.man, value.exp
    as_fraction = Fraction(int(man)) * (Fraction(2) ** int(exp)) * (-1 if value < 0 else 1)
    assert round_mpf(value) == float(as_fraction)


def test_round_mpf_ties_to_even_and_overflow():
    ctx = mpmath.MPContext()
    ctx.prec = 200
    one = ctx.mpf(1)
    half_ulp = ctx.mpf(2) ** -53
    assert round_mpf(one + half_ulp) == 1.0  # tie: to even (1.0)
    assert round_mpf(one + 3 * half_ulp) == 1.0 + 2 * 2.0 ** -52  # tie: to even (up)
    assert round_mpf(ctx.mpf(2) ** 1024) == math.inf
    assert round_mpf(-ctx.mpf(2) ** 1024) == -math.inf
    assert round_mpf(ctx.mpf(2) ** -1080) == 0.0
    assert round_mpf(ctx.mpf("0.1"), "float32") == float(np.float32(0.1))
    assert round_mpf(ctx.mpf(2) ** -149, "float32") == float(np.float32(2.0 ** -149))


# -- exact values ------------------------------------------------------------------------------


def test_exact_sum_equals_fsum():
    rng = np.random.default_rng(0)
    v = et.tensor("v", shape=(6,))
    g = _graph(et.sum(v))
    for _ in range(20):
        arr = rng.normal(size=6) * 10.0 ** rng.integers(-20, 20, size=6)
        (out,) = exact(g, [arr])
        assert out == math.fsum(arr.tolist())


def test_exact_rational_expression_equals_fraction():
    x, y = et.tensor("x"), et.tensor("y")
    g = _graph((x * x - y) / (x + 3.0 * y) + x / 7.0)
    rng = np.random.default_rng(1)
    xs, ys = rng.uniform(-5, 5, 200), rng.uniform(-5, 5, 200)
    (out,) = exact(g, {"x": xs, "y": ys})
    for a, b, o in zip(xs, ys, out):
        fa, fb = Fraction(float(a)), Fraction(float(b))
        want = (fa * fa - fb) / (fa + 3 * fb) + fa / 7
        assert o == float(want)


def test_exact_survives_catastrophic_cancellation():
    x = et.tensor("x")
    g = _graph((x + 1.0) - x)
    (out,) = exact(g, [np.array([1e300, 1e16, 3.0, -1e200])])
    assert out.tolist() == [1.0, 1.0, 1.0, 1.0]
    # and NumPy's float64 evaluation is wrong by many bits there
    bits = measure_bits(g, [np.array([1e300])])[0]
    assert bits[0] > 50


def test_undefined_is_nan_and_poles_are_inf():
    x = et.tensor("x")
    (log_out,) = exact(_graph(et.log(x)), [np.array([-1.0, 0.0, 1.0])])
    assert np.isnan(log_out[0]) and log_out[1] == -math.inf and log_out[2] == 0.0
    (div_out,) = exact(_graph(x / x), [np.array([0.0, 2.0])])
    assert np.isnan(div_out[0]) and div_out[1] == 1.0
    (sq,) = exact(_graph(et.sqrt(x) + et.arcsin(x)), [np.array([-0.5, 2.0, 0.25])])
    assert np.isnan(sq[0]) and np.isnan(sq[1]) and math.isclose(sq[2], 0.5 + math.asin(0.25))
    (p,) = exact(_graph(x ** 0.5), [np.array([-4.0, 4.0])])
    assert np.isnan(p[0]) and p[1] == 2.0


def test_exact_agrees_with_numpy_on_well_conditioned_ops():
    x, y = et.tensor("x"), et.tensor("y")
    exprs = [et.exp(x), et.log(y), et.sin(x), et.tanh(x), et.sigmoid(x), et.softplus(x),
             et.log1p(y), et.expm1(x), et.hypot(x, y), et.arctan2(x, y), et.cbrt(x),
             et.logaddexp(x, y), et.maximum(x, y), et.where(x < y, x, y), et.sqrt(y)]
    rng = np.random.default_rng(2)
    vals = {"x": rng.uniform(-5, 5, 300), "y": rng.uniform(0.1, 5, 300)}
    for e in exprs:
        g = _graph(e)
        bits = measure_bits(g, vals)[0]
        assert bits.max() <= 2.0, (str(g), bits.max())


def test_exact_float32_output_rounds_to_float32():
    x = et.tensor("x", dtype="float32")
    g = _graph(et.exp(x) / 3.0)
    arr = np.linspace(-3, 3, 50, dtype=np.float32)
    (out,) = exact(g, [arr])
    assert out.dtype == np.float32
    want = np.array([float(Fraction(math.exp(float(a))) / 3) for a in arr], dtype=np.float64)
    assert np.all(np.abs(out.astype(np.float64) - want) <= np.spacing(out).astype(np.float64))


def test_exact_reductions_matmul_layout():
    v = et.tensor("v", shape=(3, 4))
    g = _graph([et.sum(v, axis=1), et.logsumexp(v, axis=0), et.matmul(v, et.transpose(v)),
                et.mean(v, axis=0, keepdims=True), et.max(v), et.prod(et.reshape(v, (12,)))])
    arr = np.random.default_rng(3).normal(size=(3, 4))
    info: dict = {}
    got = exact(g, [arr], info=info)
    ref = evaluate(g, [arr])
    for e, r in zip(got, ref):
        assert e.shape == r.shape
        np.testing.assert_allclose(e, r, rtol=1e-14, atol=1e-15)
    assert got[0].tolist() == [math.fsum(row) for row in arr.tolist()]
    assert info["unconverged"] == 0


def test_escalation_info_and_speed_path():
    x, y = et.tensor("x"), et.tensor("y")
    e = x
    for _ in range(5):
        e = et.sin(e) * y + et.sqrt(et.abs(e)) - et.log1p(et.abs(y))
    g = _graph(e)
    assert len(g) >= 20
    s = sample_inputs(g, {"x": (-10, 10), "y": (0.1, 100)}, 2000, seed=4)
    info: dict = {}
    (out,) = exact(g, s, info=info)
    assert out.shape == (2000,) and np.isfinite(out).all()
    assert info["unconverged"] == 0 and info["precision"][0].min() >= 256


# -- bits of error -------------------------------------------------------------------------------


def test_bits_of_error_counts_floats():
    one = np.array([1.0])
    assert bits_of_error(one, one)[0] == 0.0
    assert bits_of_error(np.nextafter(one, 2), one)[0] == 1.0
    three_up = np.nextafter(np.nextafter(np.nextafter(one, 2), 2), 2)
    assert bits_of_error(three_up, one)[0] == 2.0
    assert bits_of_error(np.array([-0.0]), np.array([0.0]))[0] == 0.0
    # across zero: from the smallest negative subnormal to the smallest positive is 2 steps
    assert bits_of_error(np.array([-5e-324]), np.array([5e-324]))[0] == pytest.approx(
        math.log2(3))
    assert bits_of_error(np.array([np.nan]), np.array([np.nan]))[0] == 0.0
    assert bits_of_error(np.array([np.nan]), one)[0] == 64.0
    assert bits_of_error(np.array([-1.0]), one)[0] > 62.9
    assert bits_of_error(np.array([1e308]), np.array([-1e308]))[0] <= 64.0
    f32 = bits_of_error(np.array([np.nan, 1.0], np.float32), np.array([1.0, 1.0], np.float32))
    assert f32.tolist() == [32.0, 0.0]


@given(st.floats(allow_nan=False, width=64), st.floats(allow_nan=False, width=64))
def test_bits_of_error_is_a_metric_on_floats(a, b):
    ab = bits_of_error(np.array([a]), np.array([b]))[0]
    assert ab == bits_of_error(np.array([b]), np.array([a]))[0]
    assert (ab == 0.0) == (a == b)
    assert 0.0 <= ab <= 64.0
    if math.isfinite(a) and a != b:
        step = float(np.nextafter(a, b))  # one float closer to b
        assert bits_of_error(np.array([step]), np.array([b]))[0] <= ab


def test_log1p_is_more_accurate_than_log_of_one_plus():
    x = et.tensor("x")
    s = sample_inputs(_graph(et.log(1 + x)), {"x": (-1e-3, 1e-3)}, 500, seed=5)
    naive = np.mean(measure_bits(_graph(et.log(1 + x)), s)[0])
    good = np.mean(measure_bits(_graph(et.log1p(x)), s)[0])
    assert naive > 10 and good < 1


# -- sampling ------------------------------------------------------------------------------------


def test_sample_inputs_ranges_and_log_uniform():
    x, y, z = et.tensor("x"), et.tensor("y"), et.tensor("z", dtype="float32")
    g = _graph(x + y + z)
    s = sample_inputs(g, {"x": (1e-8, 1e4), "y": (2.0, 3.0)}, 4000, seed=6)
    assert set(s) == {"x", "y", "z"}
    assert s["z"].dtype == np.float32 and np.all(np.abs(s["z"]) <= 1e3)
    assert s["x"].min() >= 1e-8 and s["x"].max() <= 1e4
    assert np.mean(s["x"] < 1e-2) > 0.2  # log-uniform half reaches small magnitudes
    assert s["y"].min() >= 2.0 and s["y"].max() <= 3.0
    assert np.mean(s["y"] < 2.5) == pytest.approx(0.5, abs=0.05)  # uniform only
    again = sample_inputs(g, {"x": (1e-8, 1e4), "y": (2.0, 3.0)}, 4000, seed=6)
    assert all(np.array_equal(s[k], again[k]) for k in s)


def test_sample_inputs_condition_and_errors():
    x, y = et.tensor("x"), et.tensor("y")
    g = _graph(x * y)
    s = sample_inputs(g, {"x": (0, 2), "y": (0, 3)}, 500, seed=7,
                      condition=lambda d: d["x"] + d["y"] <= 2)
    assert len(s["x"]) == 500 and np.all(s["x"] + s["y"] <= 2)
    with pytest.raises(KeyError, match="not inputs"):
        sample_inputs(g, {"w": (0, 1)}, 10)
    with pytest.raises(ValueError, match="could only find"):
        sample_inputs(g, None, 10, condition=lambda d: d["x"] > 1e9, max_tries=2)
    huge = sample_inputs(g, {"x": (-1.7e308, 1.7e308)}, 100, seed=8)
    assert np.isfinite(huge["x"]).all()


def test_local_error_points_at_the_ill_conditioned_node():
    """Herbie's local error: each node's float op on the rounded exact inputs against the
    node's exact value. In ``log(1 + x) * 2`` for tiny x, the log (ill-conditioned near 1)
    turns the rounding of its input into a large error; the add and the *2 are fine."""
    from eqsat_tensor.mpeval import exact_nodes, local_error

    x = et.tensor("x")
    inner = 1 + x
    g = _graph(et.log(inner) * 2.0)
    s = sample_inputs(g, {"x": (1e-12, 1e-6)}, 200, seed=9)
    errs = local_error(g, s)
    by_op = {n.op: float(np.mean(errs[n.uid])) for n in g.nodes() if n.uid in errs}
    assert by_op["mul"] == 0.0
    assert by_op["add"] <= 1.0
    assert by_op["log"] > 20
    assert exact_nodes(g, s)[inner.node.uid].dtype == np.float64
