"""PyTensor graphs import and evaluate like PyTensor; expressions from PyTensor's own
rewrite tests (tests/tensor/rewriting/test_math.py) optimize once the optimizer exists."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.errors import UnsupportedOperation

pytensor = pytest.importorskip("pytensor")
pt = pytest.importorskip("pytensor.tensor")

X = pt.dvector("x", shape=(5,))
Y = pt.dvector("y", shape=(5,))
M = pt.dmatrix("M", shape=(3, 5))
RNG = np.random.default_rng(0)
VALS = {"x": RNG.normal(size=5), "y": RNG.normal(size=5), "M": RNG.normal(size=(3, 5))}

# (expression, the infix text we expect to import, what PyTensor's rewrites make of it)
REWRITE_CASES = [
    (pt.log(1 + X), "log(1 + x)", "log1p(x)"),
    (pt.exp(X) - 1, "exp(x) - 1", "expm1(x)"),
    # PyTensor cancels x (unsafe at x = 0); ours needs x != 0 proven, so it stays
    (X * Y / X, "x * y / x", "x * y / x"),
    (pt.log(pt.sigmoid(X)), "log(sigmoid(x))", "-softplus(-x)"),
    # scalar motion out of a sum is a [fast] rule now: the finite default keeps sum(x * 2)
    (pt.sum(X * 2), "sum(x * 2)", "sum(x * 2)"),
    (pt.log1p(pt.exp(X)), "log1p(exp(x))", "softplus(x)"),
    (pt.neg(pt.neg(X)), "--x", "x"),
    (pt.sqrt(X * X), "sqrt(x * x)", "abs(x)"),
]
OTHER = [pt.mean(Y), pt.softplus(X), pt.dot(M, Y), pt.switch(X > 0, X, 0), X ** 2,
         pt.max(M, axis=0), M.dimshuffle(1, 0, "x"), pt.reshape(M, (-1,)), pt.clip(X, 0, 1),
         M @ Y, pt.min(M, axis=1), pt.var(M, axis=1), pt.sqr(X) + pt.sqrt(pt.abs(Y))]


def _check(out):
    graph = et.from_pytensor(out)
    ins = [v for v in (X, Y, M) if v.name in graph.input_names]
    f = pytensor.function(ins, out, mode="FAST_COMPILE")
    want = f(*[VALS[v.name] for v in ins])
    got = evaluate(graph, [VALS[n] for n in graph.input_names])[0]
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    return graph


@pytest.mark.parametrize("out,text,_", REWRITE_CASES, ids=[t for _, t, _ in REWRITE_CASES])
def test_rewrite_test_expressions_import(out, text, _):
    assert str(_check(out)) == text


@pytest.mark.parametrize("out", OTHER, ids=[str(o) for o in OTHER])
def test_more_ops_import_with_pytensor_values(out):
    _check(out)


def test_function_graph_with_fused_composite():
    f = pytensor.function([X, Y], pt.log(1 + pt.exp(X)) * Y - X * Y / X)
    graph = et.from_pytensor(f.maker.fgraph)
    assert graph.input_names == ("x", "y")
    got = evaluate(graph, [VALS["x"], VALS["y"]])[0]
    np.testing.assert_allclose(got, f(VALS["x"], VALS["y"]), rtol=1e-14)


def test_symbolic_shapes_and_unsupported_ops():
    v = pt.dvector("v")
    assert et.from_pytensor(pt.exp(v)).inputs[0].shape == ("v_0",)
    with pytest.raises(UnsupportedOperation, match="Erfinv, Gamma"):
        et.from_pytensor(pt.gamma(X) + pt.erfinv(X))
    rounded = et.from_pytensor(pt.ceil(X) + pt.floor(X) + pt.round(X) + pt.trunc(X))
    assert str(rounded).lower() == "ceil(x) + floor(x) + rint(x) + trunc(x)"


@pytest.mark.skipif(importlib.util.find_spec("eqsat_tensor.optimizer") is None,
                    reason="the optimizer is not on this branch yet")
@pytest.mark.parametrize("out,text,goal", REWRITE_CASES, ids=[t for _, t, _ in REWRITE_CASES])
def test_rewrite_test_expressions_optimize(out, text, goal):
    graph = et.from_pytensor(out)
    res = et.optimize(graph)
    if goal is not None:
        assert str(res.graph) == goal
    else:
        assert str(res.graph) in ("sum(x) * 2", "2 * sum(x)")
    vals = [VALS[n] for n in graph.input_names]
    want = evaluate(graph, vals)[0]
    got = evaluate(res.graph, [VALS[n] for n in res.graph.input_names])[0]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert res.report.cost_after <= res.report.cost_before


def _run(out, inputs, *args):
    graph = et.from_pytensor(out, inputs)
    return graph.compile("numpy")(*args), pytensor.function(inputs, out)(*args)


def test_pymc_building_blocks_import():
    v = pt.dvector("v")
    w = pt.dvector("w", shape=(5,))
    val = np.array([0.5, -1.0, np.inf, np.nan, 2.0])
    cases = [
        pt.and_(pt.gt(w, 0), pt.lt(w, 1)), pt.or_(pt.isnan(w), pt.isinf(w)),
        pt.invert(pt.isnan(w)), pt.all(pt.gt(w, -5)), pt.any(pt.isnan(w)),
        pt.gt(w, 0) * w, 1 - pt.gt(w, 0), pt.special.softmax(w * 0.1),
        pt.special.log_softmax(pt.switch(pt.or_(pt.isnan(w), pt.isinf(w)), 0.0, w)),
        pt.alloc(pt.sum(pt.gt(w, 0)), 3, 2) + 1.0,
    ]
    m = pt.dmatrix("m", shape=(3, 4))
    mval = np.random.default_rng(0).normal(size=(3, 4))
    for axis in (0, -1, None):  # SoftmaxGrad: the gradient of a softmax
        out = pytensor.grad(pt.sum(pt.special.softmax(m, axis=axis) * m ** 2), m)
        got, ref = _run(out, [m], mval)
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)
    for out in cases:
        got, ref = _run(out, [w], val)
        np.testing.assert_allclose(got, ref, rtol=1e-14)
        assert np.asarray(got).dtype.kind == np.asarray(ref).dtype.kind or \
            np.asarray(ref).dtype.kind in "iu"
    # symbolic length: Alloc and Reshape over v's symbolic dim, a Join of the pieces
    out = pt.concatenate([pt.alloc(pt.max(v), v.shape[0]) - v, pt.exp(v)[None].ravel()])
    graph = et.from_pytensor(out, [v])
    assert graph.inputs[0].shape == ("v_0",)
    x = np.array([1.0, 3.0, 2.0])
    np.testing.assert_allclose(graph.compile("numpy")(x), pytensor.function([v], out)(x))


def test_unsupported_ops_all_listed_with_counts():
    with pytest.raises(UnsupportedOperation) as info:
        et.from_pytensor(pt.gamma(X) + pt.gamma(Y) + pt.erfinv(pt.round(
            pt.gammaln(X), mode="half_away_from_zero")))
    msg = str(info.value)
    assert "Gamma (x2)" in msg and "Erfinv" in msg and "RoundHalfAwayFromZero" in msg


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_scan_is_rejected_clearly():
    out, _ = pytensor.scan(lambda a, acc: acc + a, sequences=[X],
                           outputs_info=[pt.constant(0.0, dtype="float64")])
    with pytest.raises(UnsupportedOperation, match="Scan.*loops"):
        et.from_pytensor(out[-1])


def test_parameter_check_raises_on_both_backends():
    pymc_utils = pytest.importorskip("pymc.logprob.utils")
    s = pt.dscalar("s")
    out = pymc_utils.CheckParameterValue("sigma > 0")(pt.log(pt.exp(s)), pt.gt(pt.exp(s), 0))
    graph = et.from_pytensor(out, [s])
    assert graph.messages == ("sigma > 0",)
    for backend in ("numpy", "numba"):
        run = graph.compile(backend)
        assert run(np.float64(0.5)) == pytest.approx(0.5)
        with pytest.raises(pymc_utils.ParameterValueError, match="sigma > 0"):
            run(np.float64(-800.0))


def test_unknown_lengths_that_meet_are_one_symbolic_dim():
    x, y, m = pt.dvector("x"), pt.dvector("y"), pt.dmatrix("m")
    out = pt.sum(pt.exp(x) * y) + pt.sum(m * x)
    graph = et.from_pytensor(out, [x, y, m])
    (n,), (n2,), (rows, cols) = (i.shape for i in graph.inputs)
    assert n == n2 == cols and isinstance(n, str) and rows != n
    a, b, c = np.arange(3.0), np.linspace(0, 1, 3), RNG.normal(size=(2, 3))
    np.testing.assert_allclose(graph.compile("numpy")(a, b, c),
                               pytensor.function([x, y, m], out)(a, b, c), rtol=1e-14)


def test_gammaln_and_psi_import_and_match():
    x = np.array([0.3, 1.5, 4.0, 25.0, -2.5])
    out = pt.gammaln(X) + pt.psi(X) * 2
    graph = et.from_pytensor(out, [X])
    special = pytest.importorskip("scipy.special")
    for backend in ("numpy", "numba"):
        got = graph.compile(backend)(x)
        np.testing.assert_allclose(got, special.gammaln(x) + 2 * special.psi(x), rtol=1e-13)
        # PyTensor's own C Psi is a short series, good to about 1e-9
        np.testing.assert_allclose(got, pytensor.function([X], out)(x), rtol=1e-8)
