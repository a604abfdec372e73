"""Rules added for the third-session parity cases (issue 27): powers of two cancelling
across a quotient (``abs_le`` guard), signs across a quotient, ``where`` on a known or a
repeated condition, like terms, transposes through elementwise ops. Each rule is
property-tested in its tier (``check_rules``: signed zeros, inf, NaN, subnormals where
the tier covers them) and checked on values against NumPy and mpmath."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.errors import RuleError
from eqsat_tensor.jit import trace
from eqsat_tensor.mpeval import bits_of_error, exact
from eqsat_tensor.rulelang import default_rules, parse_rules
from eqsat_tensor.testing import check_rules

NEW_RULES = ["div-pow2-cancel", "div-pow2-cancel-num", "neg-div-neg", "where-known-true",
             "where-known-false", "where-nested-then", "where-nested-else", "mul-add-self",
             "transpose-exp", "transpose-neg", "transpose-add", "transpose-div",
             "reshape-expand"]


@pytest.mark.parametrize("name", NEW_RULES)
def test_rule_is_sound_in_its_tier(name):
    rule = next(r for r in default_rules().rules if r.name == name)
    res = check_rules(rule, examples=100, cache=False).results[0]
    assert res.verdict == "sound", str(res)


@pytest.mark.parametrize("name", ["neg-div-neg", "where-known-true", "where-nested-then",
                                  "transpose-neg", "reshape-expand"])
def test_strict_rules_hold_on_special_values(name):
    rule = next(r for r in default_rules().rules if r.name == name)
    res = check_rules(rule, examples=60, ieee="strict", cache=False).results[0]
    assert res.verdict == "sound", str(res)


def test_abs_le_needs_both_constants_at_least_one():
    """Without the |c| >= 1 half of abs_le the rule is unsound (c x rounds a subnormal,
    (c / d) x overflows): the checker finds it."""
    bad = parse_rules("rule bad-cancel: (c * x) / (d * y) => x / ((d / c) * y) "
                      "if exact_recip(c) and exact_recip(d)\n", source="<t>")
    assert check_rules(bad, examples=200, cache=False).results[0].verdict == "unsound"
    with pytest.raises(RuleError):
        parse_rules("rule r: x * c => x if abs_le(c)\n", source="<t>")  # two arguments


def _opt(fn, *arrays):
    g, _ = trace(fn, [f"x{i}" for i in range(len(arrays))], list(arrays))
    return g, et.optimize(g).graph


def test_powers_of_two_cancel_across_a_quotient():
    x = np.array([3.0, -1e-310, 1e300, 0.1, 5e-324, 1e308])
    y = np.array([7.0, 2.5, -1e300, 3.0, 1.0, 1e307])
    g, out = _opt(lambda x, y: (8.0 * x) / (32.0 * y), x, y)
    assert dict(out.op_counts()).get("constant") == 1, str(out)
    got = evaluate(out, [x, y])[0]
    with np.errstate(all="ignore"):
        naive = (8.0 * x) / (32.0 * y)
    ref = exact(g, [x, y])[0]
    fine = np.isfinite(8.0 * x) & np.isfinite(32.0 * y)
    np.testing.assert_array_equal(got[fine], naive[fine])  # bit for bit where no overflow
    assert np.all(bits_of_error(got, ref) <= bits_of_error(naive, ref))
    assert np.isfinite(got[-1]) and not np.isfinite(naive[-1])  # 8e308 / 3.2e308


@pytest.mark.parametrize("fn", [lambda x, y: (3.0 * x) / (4.0 * y),
                                lambda x, y: (0.5 * x) / (4.0 * y)])
def test_other_constants_do_not_cancel(fn):
    x, y = np.array([1.0, 5e-324]), np.array([3.0, 1.0])
    _, out = _opt(fn, x, y)
    assert dict(out.op_counts()).get("constant") == 2, str(out)


def test_where_on_a_known_or_repeated_condition():
    a, b = np.array([1.0, np.nan, -0.0]), np.array([2.0, 3.0, 4.0])
    _, out = _opt(lambda a, b: np.where(True, a, b) + np.where(False, a, b), a, b)
    assert "where" not in dict(out.op_counts()), str(out)
    c = np.array([True, False, True])
    _, out = _opt(lambda c, a, b: np.where(c, np.where(c, a, b), -b), c, a, b)
    assert dict(out.op_counts()).get("where") == 1, str(out)


def test_like_terms_and_lifted_transposes():
    x = np.array([[1.0, -2.0, 1e300], [0.5, 3.0, -7.0]])
    _, out = _opt(lambda x: x + x + x, x)
    assert "add" not in dict(out.op_counts()), str(out)
    _, out = _opt(lambda x: np.exp(x.T).T, x)
    assert "transpose" not in dict(out.op_counts()), str(out)
