"""The accuracy optimizer: error measurement, local error, candidate choice, regimes, the
``et.optimize`` hook, FPCore ``:pre`` and the CLI. Errors are measured against the mpmath
oracle (``mpeval``) on fresh samples, not the ones the optimizer chose on."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor import accuracy, mpeval
from eqsat_tensor.accuracy import Candidate, ErrorStats, choose, measure_accuracy, sample
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.interop.exprtext import parse_expression

N = 400  # samples per optimization (small: CI time)


def _opt(expr: str, pre: dict, objective: str = "accuracy", **kw):
    g = parse_expression(expr)
    res = accuracy.optimize_accuracy(g, pre, objective, n_samples=N, seed=0, **kw)
    fresh = sample(g, pre, 500, seed=99)
    return g, res, measure_accuracy(g, fresh), measure_accuracy(res.graph, fresh)


@pytest.mark.parametrize("expr, pre", [
    ("log(1 + x)", {"x": (1e-12, 1e-3)}),
    ("sqrt(x + 1) - sqrt(x)", {"x": (1e6, 1e15)}),
    ("1 - cos(x)", {"x": (1e-8, 1e-2)}),
    ("exp(x) - 1", {"x": (-1e-6, 1e-6)}),
])
def test_bad_ranges_drop_below_one_bit(expr, pre):
    g, res, before, after = _opt(expr, pre)
    assert before.mean[0] > 5.0, f"{expr} should be inaccurate as written on {pre}"
    assert after.mean[0] < 1.0, f"{expr}: {before.mean[0]:.2f} -> {after.mean[0]:.2f} bits\n" \
                                f"{res.graph}"
    # the optimized graph computes the same function (within its own error)
    s = sample(g, pre, 50, seed=7)
    got = evaluate(res.graph, [s.inputs[n] for n in res.graph.input_names])[0]
    np.testing.assert_allclose(got, s.exact[0], rtol=1e-12)


def test_measure_accuracy_mean_and_max():
    g = parse_expression("log(1 + x)")
    s = sample(g, {"x": (1e-12, 1e-9)}, 200, seed=1)
    stats = measure_accuracy(g, s)
    assert len(stats.mean) == len(stats.max) == 1
    assert stats.max[0] >= stats.mean[0] > 10
    # against bits_of_error directly
    bits = mpeval.bits_of_error(np.log(1 + s.inputs["x"]), s.exact[0])
    assert stats.mean[0] == pytest.approx(float(bits.mean()))
    # an exact expression has (almost) no error
    assert measure_accuracy(parse_expression("x * 2"), precondition={"x": (1, 2)},
                            n=100).mean[0] == 0.0


def test_local_error_finds_the_lossy_node():
    g = parse_expression("log(1 + x) * 3")
    s = sample(g, {"x": (1e-14, 1e-10)}, 100, seed=2)
    le = accuracy.local_error(g, s)
    worst = next(iter(le))
    assert worst.op == "log", le
    assert le[worst] > 10
    by_op = {n.op: b for n, b in le.items()}
    assert by_op["add"] < 1.0 and by_op["mul"] < 1.0  # 1 + x itself rounds correctly


def _cand(name: str, bits: float, cost: float) -> Candidate:
    return Candidate(parse_expression("x"), name, ErrorStats([bits], [bits]), cost)


def test_objectives_choose():
    cands = [_cand("input", 5.0, 10.0), _cand("fast", 5.5, 5.0), _cand("accurate", 0.1, 30.0),
             _cand("good", 0.9, 15.0)]
    assert choose(cands, "accuracy").origin == "accurate"
    assert choose(cands, "balanced").origin == "good"  # cheapest within 1 bit of the best
    assert choose(cands, "speed").origin == "fast"     # cheapest not 1 bit worse than input
    with pytest.raises(ValueError, match="objective"):
        choose(cands, "fastest")


def test_regimes_where_and_split_point():
    # asinh written with logs: log(x + sqrt(x*x + 1)) cancels for x << 0 and the forms that
    # fix it lose accuracy for x >> 0, so the best graph needs regimes
    g, res, before, after = _opt("log(x + sqrt(x * x + 1))", {"x": (-1e3, 1e3)})
    ops = accuracy.op_names(res.graph)
    assert "where" in ops, res.report
    assert res.report.accuracy.regimes
    assert after.mean[0] < 1.0 < before.mean[0]
    # at and around each threshold the combined graph is accurate
    thresholds = [n.value for n in res.graph.nodes() if n.op == "less"
                  for n in [n.inputs[1]] if n.op == "constant"]
    assert thresholds
    pts = np.array([v for t in thresholds for v in (np.nextafter(t, -np.inf), t,
                                                    np.nextafter(t, np.inf))])
    exact = mpeval.exact(g, {"x": pts})[0]
    got = evaluate(res.graph, [pts])[0]
    assert np.all(mpeval.bits_of_error(got, exact) <= 2.0), (pts, got, exact)


def test_regimes_can_be_turned_off():
    g, res, _, _ = _opt("log(x + sqrt(x * x + 1))", {"x": (-1e3, 1e3)}, regimes=False)
    assert "where" not in accuracy.op_names(res.graph)


def test_optimize_hook_and_report():
    x = et.tensor("x", shape=(), dtype="float64")
    res = et.optimize(et.exp(x) - 1, precondition={"x": (-1e-8, 1e-8)})
    assert "expm1" in accuracy.op_names(res.graph)
    text = str(res.report)
    assert "bits of error" in text and "objective" in text and "regimes" in text
    acc = res.report.accuracy
    assert acc.bits_after[0] < 1.0 < acc.bits_before[0]
    assert res.candidates and res.candidates[0] is not None
    # objective alone (default box) also goes through the accuracy optimizer
    res2 = et.optimize(et.log(1 + x), objective="balanced")
    assert res2.report.accuracy.objective == "balanced"


def test_fpcore_pre_bounds():
    from eqsat_tensor.interop.fpcore import from_fpcore

    g, info = from_fpcore("(FPCore (x) :pre (<= 1e-9 x 1e-4) (- (exp x) 1))")
    res = accuracy.optimize_accuracy(g, info.precondition, n_samples=N,
                                     condition=info.condition)
    assert res.report.accuracy.precondition == {"x": (1e-9, 1e-4)}
    assert res.report.accuracy.bits_after[0] < 1.0


def test_precondition_reaches_interval_guards():
    # quadratic-plus needs b > 0, which only the precondition box proves
    g, res, before, after = _opt("(-b + sqrt(b * b - c)) / 2", {"b": (1e3, 1e8),
                                                                  "c": (1e-3, 1.0)})
    assert after.mean[0] < 1.0 < before.mean[0], res.graph


def test_scalar_inputs_only():
    x = et.tensor("x", shape=(3,), dtype="float64")
    with pytest.raises(ValueError, match="sum"):
        accuracy.optimize_accuracy(et.sum(x), {"x": (0, 1)})


def test_cli_accuracy(capsys):
    from eqsat_tensor.cli import main

    rc = main(["accuracy", "log(1 + x)", "--pre", "x in [1e-12, 1e-3]", "--samples", "300"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "bits of error: mean" in out and "log1p" in out and "runtime" in out


def test_cli_parse_pre():
    from eqsat_tensor.commands.accuracy import parse_pre

    assert parse_pre(["x in [0, 1e-3] and y in [-1, 2]", "z in [1/2, 1]"]) == {
        "x": (0.0, 1e-3), "y": (-1.0, 2.0), "z": (0.5, 1.0)}
    with pytest.raises(ValueError, match="cannot read"):
        parse_pre(["x between 0 and 1"])
    with pytest.raises(ValueError, match="empty range"):
        parse_pre(["x in [2, 1]"])
