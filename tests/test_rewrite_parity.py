"""Rewrite parity with PyTensor (issue 27): the catalogue of PyTensor's rewrite cases
(``tests/parity/catalogue.py``) and held-out variations (``tests/parity/heldout.py``) run
through ``et.optimize``, classified SAME / BETTER / WORSE by structure and by values
against NumPy and an mpmath reference at overflow-prone inputs (``tests/parity/harness``).
"""

from __future__ import annotations

import numpy as np
import pytest
from parity.catalogue import CASES
from parity.harness import run_case, tally
from parity.heldout import HELDOUT
from parity.pytensor_more import MORE, MORE_HELDOUT
from parity.pytensor_new import NEW, NEW_HELDOUT

import eqsat_tensor as et

# PyTensor rewrites that are exact only in real arithmetic (a different summation order,
# a sum of squares regrouped into a dot product): the finite contract keeps NumPy's value
# (BETTER: test_fast_only_rewrites_change_values shows inputs where PyTensor's form is
# wrong), ieee="fast" does what PyTensor does. (2x)/(4y) => x/(2y) is exact under finite
# (div-pow2-cancel) and no longer here.
FAST_ONLY = {"sum-sum", "sum-sum-axes", "sumsqr2dot"}
# Known misses under fast too, with the reason.
FAST_MISSES = {
    # the (I, J, K) type universe of the e-graph is capped: matmul of the new operands
    # gets no type row on this graph, so the extractor cannot choose it
    "sumsqr2dot",
}
# Known misses of the third-session cases (tests/parity/pytensor_more.py), with the reason
# (none left: permutations and expand_dims/reshape chains compose through the attribute
# helpers of ir/attr_helpers.py, log(c exp(x)) has a rule, and the extractor's exact-DAG
# refinement removes the negations of -x / -y)
MORE_MISSES: set[str] = set()
POSITIVE = [c for c in CASES if c.kind == "positive"]
NEGATIVE = [c for c in CASES if c.kind == "negative"]


@pytest.mark.parametrize("case", POSITIVE, ids=lambda c: c.name)
def test_positive_case_is_same_or_better_and_never_wrong(case):
    out = run_case(case)
    assert not out.wrong, (case.name, out.after, out.notes)
    if case.name in FAST_ONLY:
        assert out.verdict in ("SAME", "BETTER", "WORSE")  # kept: NumPy's value
        return
    assert out.verdict in ("SAME", "BETTER"), (case.name, out.before, out.after)


@pytest.mark.parametrize("name", sorted(FAST_ONLY - FAST_MISSES))
def test_real_arithmetic_cases_match_pytensor_under_fast(name):
    case = next(c for c in CASES if c.name == name)
    assert run_case(case, ieee="finite").verdict != "SAME"
    out = run_case(case, ieee="fast")
    assert out.verdict == "SAME" and not out.wrong, (out.after, out.notes)


def test_fast_only_rewrites_change_values():
    """Where PyTensor's real-arithmetic rewrites change the value: a flat sum of terms that
    cancel, and the dot product whose squares over- and underflow; the nested forms kept
    under ieee="finite" give the exact value."""
    x = np.array([[1.0, 1e16], [1.0, -1e16]])
    assert np.sum(np.sum(x, 0)) == 2.0  # exact
    assert np.sum(x) != 2.0  # PyTensor's sum_sum form
    f = et.jit(lambda x: np.sum(np.sum(x, 0)))
    assert f(x) == 2.0
    w, g = np.array([[1e200, 1.0]]), np.array([[1e-200, 1.0]])
    nested = np.sum(np.square(np.expand_dims(w, 0) * np.expand_dims(g, 1)), axis=(1, 2))
    with np.errstate(all="ignore"):
        dot = np.square(g) @ np.sum(np.square(w), axis=0)
    assert np.isfinite(nested).all() and not np.isfinite(dot).all()


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda c: c.name)
def test_negative_control_is_untouched(case):
    out = run_case(case)
    assert out.verdict == "SAME" and not out.wrong, (case.name, out.after)


MORE_POSITIVE = [c for c in MORE if c.kind == "positive"]
MORE_NEGATIVE = [c for c in MORE if c.kind == "negative"]


@pytest.mark.parametrize("case", MORE_POSITIVE, ids=lambda c: c.name)
def test_more_positive_case(case):
    out = run_case(case)
    assert not out.wrong, (case.name, out.after, out.notes)
    if case.name in MORE_MISSES:
        return
    assert out.verdict in ("SAME", "BETTER"), (case.name, out.before, out.after)


@pytest.mark.parametrize("case", MORE_NEGATIVE, ids=lambda c: c.name)
def test_more_negative_control_is_untouched(case):
    out = run_case(case)
    assert out.verdict == "SAME" and not out.wrong, (case.name, out.after)


def test_more_held_out_cases_generalize():
    outs = [run_case(c) for c in MORE_HELDOUT]
    counts = tally(outs)
    assert counts["wrong"] == 0 and counts["neg_broken"] == 0, counts
    worse = [o.case.name for o in outs if o.verdict == "WORSE" and o.case.kind == "positive"]
    assert len(worse) <= 2, worse


def test_held_out_cases_generalize():
    outs = [run_case(c) for c in HELDOUT]
    counts = tally(outs)
    assert counts["wrong"] == 0 and counts["neg_broken"] == 0
    worse = [o.case.name for o in outs if o.verdict == "WORSE" and o.case.kind == "positive"]
    assert len(worse) <= 2, worse


def test_tally_counts_every_case_once():
    outs = [run_case(c) for c in CASES[:3] + NEGATIVE[:1]]
    counts = tally(outs)
    assert counts["SAME"] + counts["BETTER"] + counts["WORSE"] == 3
    assert counts["neg_kept"] + counts["neg_broken"] == 1


def test_softmax_is_finite_up_to_1e300_with_the_default_backend():
    f = et.jit(lambda x: np.exp(x) / np.sum(np.exp(x)))
    x = np.array([1e300, 7e299, 1.0, -1e300, 1e300 - 1e284])
    got = f(x)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [1.0, 0, 0, 0, 0], atol=0)
    # where NumPy's softmax is finite, the result is NumPy's bit for bit (no shift)
    y = np.linspace(-700.0, 700.0, 7)
    with np.errstate(all="ignore"):
        ref = np.exp(y) / np.sum(np.exp(y))
    np.testing.assert_array_equal(f(y), ref)


def test_softmax_rows_with_huge_entries_match_mpmath():
    import mpmath

    f = et.jit(lambda x: np.exp(x) / np.sum(np.exp(x), axis=1, keepdims=True),
               backend="numpy")
    x = np.array([[800.0, 801.0, 1.0], [-900.0, 1000.0, 999.0], [1.0, 2.0, 3.0]])
    got = f(x)
    for i, row in enumerate(x):
        es = [mpmath.exp(mpmath.mpf(v)) for v in row]
        total = mpmath.fsum(es)
        for j, e in enumerate(es):
            assert got[i, j] == pytest.approx(float(e / total), rel=1e-13, abs=1e-300)


NEW_POSITIVE = [c for c in NEW if c.kind == "positive"]
NEW_NEGATIVE = [c for c in NEW if c.kind == "negative"]


@pytest.mark.parametrize("case", NEW_POSITIVE, ids=lambda c: c.name)
def test_new_positive_case(case):
    """Fourth-session cases (tests/parity/pytensor_new.py): every one SAME or BETTER."""
    out = run_case(case)
    assert not out.wrong, (case.name, out.after, out.notes)
    assert out.verdict in ("SAME", "BETTER"), (case.name, out.before, out.after)


@pytest.mark.parametrize("case", NEW_NEGATIVE, ids=lambda c: c.name)
def test_new_negative_control_is_untouched(case):
    out = run_case(case)
    assert out.verdict == "SAME" and not out.wrong, (case.name, out.after)


def test_new_held_out_cases_generalize():
    outs = [run_case(c) for c in NEW_HELDOUT]
    counts = tally(outs)
    assert counts["wrong"] == 0 and counts["neg_broken"] == 0, counts
    worse = [o.case.name for o in outs if o.verdict == "WORSE" and o.case.kind == "positive"]
    assert len(worse) <= 1, worse
