"""check_rules (issues #7, #23, #29): each red-team case is flagged in its old form with a
shrunk scalar counterexample, and the fixed shipped rule passes; the checker sees signed
zeros, NaN vs non-NaN and lost accuracy; verdicts are deterministic and cached."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from eqsat_tensor.rulelang import default_rules, load_rules
from eqsat_tensor.testing.check import check_rules, count_checks, inputs
from eqsat_tensor.testing.check.plan import make_plan

INPUTS_LINE = re.compile(r"^[a-z]\w* = \S.*(, [a-z]\w* = \S.*)*$")


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EQSAT_TENSOR_CACHE_DIR", str(tmp_path / "cache"))
    with np.errstate(all="ignore"):
        yield


def check(text: str, ieee: str = "finite", **kw):
    report = check_rules(load_rules(text), ieee=ieee, **kw)
    return report.results[0]


def shipped(name: str):
    rule = next(r for r in default_rules().rules if r.name == name)
    return check_rules(rule).results[0]


def scalar_cex(res):
    """The counterexample's values, all scalars, and its first line in ``x = v`` form."""
    cex = res.counterexample
    assert cex is not None and res.samples > 0, str(res)
    assert INPUTS_LINE.match(str(cex).splitlines()[0].split("   (")[0]), str(cex)
    vals = {k: v for k, v in cex.values.items() if not isinstance(v, (tuple, bool))
            and v is not None}
    assert all(np.ndim(v) == 0 for v in vals.values()), str(cex)
    return {k: float(v) for k, v in vals.items()}


# -- the red-team cases: old form flagged with a shrunk counterexample, fix sound --------


def test_div_const_by_a_subnormal_is_flagged_and_the_guarded_rule_is_sound():
    res = check("rule old: x / c => x * (1 / c) if const(c)")
    assert res.verdict == "unsound"
    c = scalar_cex(res)["c"]
    assert not np.isfinite(1 / np.float64(c)) or abs(c) < np.finfo(np.float64).tiny
    fixed = shipped("div-const")
    assert fixed.verdict == "sound" and fixed.tier == "strict" and fixed.samples > 100


def test_exp_of_a_sum_split_into_a_product_is_flagged_at_an_overflow():
    res = check("rule split: exp(x + y) => exp(x) * exp(y)")
    assert res.verdict == "unsound"
    v = scalar_cex(res)
    assert math.isfinite(math.exp(v["x"] + v["y"]))
    assert not np.isfinite(np.exp(v["x"]) * np.exp(v["y"]))


@pytest.mark.parametrize("text", [
    "rule s [strict]: sum(-x) => -sum(x)",
    "rule s [strict]: sum(-x, axis=a, keepdims=k) => -sum(x, axis=a, keepdims=k)",
    "rule s [strict]: (-a) @ b => -(a @ b)",
])
def test_strict_sign_of_zero_in_reductions_and_matmul_is_flagged(text):
    res = check(text)
    assert res.verdict == "unsound" and "bit-exact" in res.reason
    cex = res.counterexample
    lv, rv = np.ravel(cex.lhs_value), np.ravel(np.broadcast_to(cex.rhs_value, cex.lhs_value.shape))
    assert np.any((lv == 0) & (rv == 0) & (np.signbit(lv) != np.signbit(rv)))
    assert all(np.size(v) <= 2 for v in cex.values.values() if isinstance(v, np.ndarray))


@pytest.mark.parametrize("name", ["sum-neg", "matmul-neg-left", "matmul-neg-right"])
def test_the_untagged_reduction_sign_rules_are_sound(name):
    res = shipped(name)
    assert res.verdict == "sound" and res.tier == "finite"


def test_pow_minus_half_at_negative_zero_is_flagged_in_finite_mode():
    res = check("rule old: x ** -0.5 => reciprocal(sqrt(x))")
    assert res.verdict == "unsound"
    x = scalar_cex(res)["x"]
    assert x == 0 and math.copysign(1, x) < 0
    assert np.float64(x) ** -0.5 == np.inf
    assert shipped("pow-neg-half").verdict == "sound"


@pytest.mark.parametrize("text, var_rel", [
    ("rule a: exp(a) * exp(b) => exp(a + b)", None),
    ("rule a: (x ** a) ** b => x ** (a * b) if x > 0", None),
])
def test_exact_identities_that_lose_accuracy_are_accuracy_losing(text, var_rel):
    res = check(text)
    assert res.verdict == "accuracy-losing", str(res)
    assert "region" in res.reason and " in [" in res.region
    scalar_cex(res)


@pytest.mark.parametrize("text", [
    "rule a: expm1(x) => exp(x) - 1",
    "rule a: log1p(x) => log(1 + x)",
    "rule a: log(x) - log(y) => log(x / y) if x > 0 and y > 0",
    "rule a: x ** y => exp2(y * log2(x)) if x > 0",
    "rule a [strict]: 2 ** x => exp2(x)",
])
def test_wrong_digits_are_flagged(text):
    res = check(text)
    assert not res.ok, str(res)
    scalar_cex(res)


@pytest.mark.parametrize("name", ["exp-mul", "pow-pow", "pow-mul", "pow-base2", "log-mul"])
def test_the_retiered_shipped_forms_are_sound_in_their_tier(name):
    assert shipped(name).verdict == "sound"


@pytest.mark.parametrize("text", [
    "rule s [strict]: sqrt(x * x) => abs(x)",
    "rule s [strict]: sqrt(x ** 2) => abs(x)",
])
def test_strict_sqrt_of_square_is_flagged_where_the_square_overflows(text):
    res = check(text)
    assert res.verdict == "unsound"
    x = scalar_cex(res)["x"]
    assert not np.isfinite(np.float64(x) * np.float64(x)) or x * x == 0 or math.isnan(x)


@pytest.mark.parametrize("name", ["sqrt-mul-self", "sqrt-pow2"])
def test_sqrt_of_square_is_sound_untagged(name):
    res = shipped(name)
    assert res.verdict == "sound" and res.tier == "finite"


@pytest.mark.parametrize("text", [
    "rule f: x * y + x * z => x * (y + z)",
    "rule f: sum(x * c) => c * sum(x) if scalar(c)",
    "rule f: (x * y) * z => x * (y * z)",
])
def test_real_arithmetic_rewrites_are_unsound_in_the_finite_tier(text):
    res = check(text)
    assert res.verdict == "unsound", str(res)
    assert res.counterexample is not None and res.samples > 0
    fast = check(text.replace("rule f:", "rule f [fast]:"))
    assert fast.verdict == "sound" and fast.tier == "fast", str(fast)


# -- what the checker sees ---------------------------------------------------------------


def test_strict_sees_the_sign_of_zero_and_nan():
    res = check("rule z [strict]: x + 0 => x")
    assert res.verdict == "unsound" and scalar_cex(res)["x"] == 0
    res = check("rule z [strict]: x - x => 0")
    assert res.verdict == "unsound" and not math.isfinite(scalar_cex(res)["x"])
    assert check("rule z [strict]: x * 1 => x").verdict == "sound"


def test_edge_values_are_always_in_the_batch():
    plan = make_plan(load_rules("rule z [strict]: x + y => y + x").rules[0], "=>", "finite")
    for dtype in ("float64", "float32"):
        x = inputs.batch(plan, dtype, np.random.default_rng(0), 10)["x"]
        f = np.finfo(dtype)
        for v in (0.0, np.inf, -np.inf, f.tiny, -f.tiny, f.smallest_subnormal, f.max, -f.max):
            assert np.any(x == np.asarray(v, dtype)), (dtype, v)
        assert np.any((x == 0) & np.signbit(x)) and np.isnan(x).any()
    finite = make_plan(load_rules("rule z: x + y => y + x").rules[0], "=>", "finite")
    assert np.isfinite(inputs.batch(finite, "float64", np.random.default_rng(0), 500)["x"]).all()


def test_guard_boundaries_are_sampled():
    plan = make_plan(load_rules("rule d: x / c => x * (1 / c) if const(c) and "
                                "exact_recip(c)").rules[0], "=>", "finite")
    c = inputs.batch(plan, "float64", np.random.default_rng(0), 10)["c"]
    assert {2.0 ** 126, 2.0 ** -126, 2.0 ** 127} <= set(np.abs(c).tolist())


def test_verdicts_are_deterministic_without_a_seed_and_seeds_explore():
    text = "rule ld: log(x) - log(y) => log(x / y) if x > 0 and y > 0"
    runs = [check(text, cache=False) for _ in range(3)]
    assert {r.verdict for r in runs} == {"unsound"}
    assert len({str(r.counterexample) for r in runs}) == 1
    assert check(text, cache=False, seed=7).verdict == "unsound"


def test_verdicts_are_cached_by_rule_text():
    text = "rule ld: log(x) - log(y) => log(x / y) if x > 0 and y > 0"
    first = check(text)
    again = check(text)
    assert again.cached and not first.cached
    assert again.verdict == first.verdict and str(again.counterexample) == str(first.counterexample)
    assert not check(text.replace("ld:", "ld2:")).cached


def test_skipped_rules_say_why():
    res = check("rule k: x * 1 => x if x > 0 and x < 0")
    assert res.verdict == "skipped" and "guard" in res.reason


def test_bidirectional_rules_are_checked_both_ways():
    rules, n = count_checks(load_rules("rule b [fast]: (x + y) + z <=> x + (y + z)"))
    assert n == 2
    report = check_rules(rules)
    assert [r.direction for r in report] == ["=>", "<="] and report.ok


def test_bad_ieee_mode_is_rejected():
    with pytest.raises(ValueError, match="ieee"):
        check_rules(load_rules("rule a: x * 1 => x"), ieee="loose")


def test_cli_on_the_shipped_rules_with_default_settings(capsys):
    from eqsat_tensor.cli import main

    assert main(["check-rules"]) == 0
    out = capsys.readouterr().out
    assert "0 unsound, 0 accuracy-losing, 0 skipped" in out
    assert main(["check-rules"]) == 0  # the second run reads the cached verdicts
    out = capsys.readouterr().out
    n = int(re.search(r"(\d+) checks in", out).group(1))
    assert f"({n} cached)" in out


def test_cli_exit_codes_and_counterexample_format(tmp_path, capsys):
    from eqsat_tensor.cli import main

    bad = tmp_path / "bad.rules"
    bad.write_text("rule ok: x * 1 => x\nrule ld: log(x) - log(y) => log(x / y) if x > 0 "
                   "and y > 0\n")
    assert main(["check-rules", str(bad), "--jobs", "1"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^x = \S+, y = \S+", out, re.M), out
    assert "unsound" in out and "samples 0" not in out
    good = tmp_path / "good.rules"
    good.write_text("rule ok: x * 1 => x\n")
    assert main(["check-rules", str(good)]) == 0
    broken = tmp_path / "broken.rules"
    broken.write_text("rule x: x +* 1 => x\n")
    assert main(["check-rules", str(broken)]) == 2


# -- first use in et.optimize ------------------------------------------------------------


def test_optimize_warns_once_about_an_unsound_user_rule(tmp_path, monkeypatch):
    import eqsat_tensor as et
    from eqsat_tensor.testing.check import quick

    monkeypatch.setenv("EQSAT_TENSOR_CHECK_RULES", "1")
    monkeypatch.setattr(quick, "_WARNED", set())
    f = tmp_path / "mine.rules"
    f.write_text("rule my-split: exp(x + y) => exp(x) * exp(y)\nrule my-one: x * 1 => x\n")
    x = et.tensor("x", shape=(3,), dtype="float64")
    with pytest.warns(RuntimeWarning, match="my-split"):
        res = et.optimize(x * 1, rules=str(f))
    assert any("my-split" in n for n in res.report.notes)
    assert not any("my-one" in n for n in res.report.notes)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        et.optimize(x * 1, rules=str(f))  # cached verdicts, warned already
        et.optimize(x * 1, rules=str(f), check_rules=False)


# -- [fast] rules under ieee="finite": the magnitude-guarded variants ---------------------


def test_finite_variants_of_fast_rules_are_sound_in_the_finite_tier():
    """The engine compiles each guardable [fast] rule under ieee="finite" as variants
    guarded by one sign and ``moderate`` magnitudes (egraph.fast_guard); the checker must
    find every such variant sound under the finite contract it now claims."""
    from eqsat_tensor.egraph.fast_guard import finite_variants
    variants = [v for r in default_rules().rules for _, v in finite_variants(r)]
    assert len(variants) >= 20
    report = check_rules(variants, examples=30, cache=False)
    verdicts = {(res.name, res.verdict) for res in report.results}
    assert all(res.tier == "finite" for res in report.results)
    bad = [str(res) for res in report.results if res.verdict not in ("sound", "skipped")]
    assert not bad, bad
    # the elementwise regroupings were really exercised, not skipped
    for name in ("add-assoc", "mul-assoc", "factor-left", "div-add"):
        assert (name, "sound") in verdicts
    assert sum(res.samples for res in report.results) > 10_000


def test_finite_variant_without_its_guard_is_caught():
    """The same checker rejects the variant with the magnitude guard removed."""
    res = check("rule f: (x * y) * z => x * (y * z) if x > 0 and y > 0 and z > 0")
    assert res.verdict == "unsound", str(res)
