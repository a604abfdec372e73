"""``erf`` and ``erfc``, declared only in the ops table (plus their VJPs and Numba lowering),
work end to end: tracing SciPy, reference, Numba, analyses, gradients, accuracy, interop.
The CUDA simulator runs them in ``tests/cuda_sim/sim_special.py``."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor import mpeval
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.egraph.analyses import interval
from eqsat_tensor.ir import Graph, apply, input_node

special = pytest.importorskip("scipy.special")

X = np.array([-30.0, -3.0, -0.5, -1e-300, 0.0, 1e-8, 0.7, 2.5, 6.0, 27.0, np.inf, -np.inf])
FUNCS = {"erf": math.erf, "erfc": math.erfc}


def _graph(op: str, dtype: str = "float64") -> Graph:
    x = input_node("x", ("n",), dtype)
    return Graph(apply(op, x), [x])


def test_tracing_scipy_special():
    x = et.tensor("x", ("n",))
    y = special.erf(x) * 2 + special.erfc(x)
    g = et.as_graph(y)
    assert {"erf", "erfc"} <= set(g.op_counts())
    (out,) = evaluate(g, [X])
    want = np.array([2 * math.erf(v) + math.erfc(v) for v in X])
    np.testing.assert_allclose(out, want, rtol=1e-15)


@pytest.mark.parametrize("op", ["erf", "erfc"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reference_and_numba(op, dtype):
    xs = X.astype(dtype)
    (ref,) = evaluate(_graph(op, dtype), [xs])
    assert ref.dtype == dtype
    want = np.array([FUNCS[op](float(v)) for v in xs]).astype(dtype)
    np.testing.assert_array_equal(ref, want)
    fn = et.compile(_graph(op, dtype), backend="numba")
    got = np.asarray(fn(xs))
    np.testing.assert_allclose(got, ref, rtol=4 * np.finfo(dtype).eps, atol=0)


def test_analyses_know_the_range():
    assert interval.transfer("erf", None, [(None, None)]) == (-1.0, 1.0)
    assert interval.RANGES["erfc"] == (0.0, 2.0)
    from test_egraph_analyses import facts

    x = et.tensor("x", ())
    e = special.erf(x)
    s, holds = facts(e + 1.5 + (e - 1.5))
    with s:
        assert holds("positive", e + 1.5)  # lo(erf) = -1, so erf(x) + 1.5 >= 0.5
        assert holds("negative", e - 1.5)
        assert not holds("positive", e) and not holds("negative", e)


def test_erfc_is_positive_so_division_by_itself_folds():
    x = et.tensor("x", ("n",))
    t = special.erfc(x)
    res = et.optimize(t / t * x)
    assert res.graph.op_counts().get("erfc", 0) == 0, str(res.graph)


@pytest.mark.parametrize("op", ["erf", "erfc"])
def test_gradient(op):
    def f(x):
        return np.sum(getattr(special, op)(x) * x)

    xs = np.array([-2.0, -0.3, 0.0, 0.4, 1.7])
    got = np.asarray(et.grad(f)(xs))
    slope = 2 / math.sqrt(math.pi) * np.exp(-xs * xs) * (1 if op == "erf" else -1)
    want = slope * xs + np.array([FUNCS[op](v) for v in xs])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)


def test_accuracy_measurement():
    from eqsat_tensor.accuracy import measure_accuracy
    from eqsat_tensor.interop.exprtext import parse_expression

    naive = parse_expression("1 - erf(x)")
    stable = parse_expression("erfc(x)")
    pre = {"x": (3.0, 6.0)}
    bad, good = measure_accuracy(naive, precondition=pre, n=200), \
        measure_accuracy(stable, precondition=pre, n=200)
    assert good.max[0] <= 2.0 < bad.mean[0]
    exact = mpeval.exact(_graph("erf"), [np.array([0.5])])[0]
    assert exact[0] == math.erf(0.5)


def test_sympy_jax_fpcore_import():
    sympy = pytest.importorskip("sympy")
    from eqsat_tensor.interop.fpcore import from_fpcore, to_fpcore
    from eqsat_tensor.interop.sympy_io import from_sympy, to_sympy

    s = sympy.Symbol("x", real=True)
    g = from_sympy(sympy.erf(s) + sympy.erfc(2 * s))
    assert {"erf", "erfc"} <= set(g.op_counts())
    assert to_sympy(g) == sympy.erf(s) + sympy.erfc(2 * s)
    g2, _ = from_fpcore("(FPCore (x) (- 1 (erf x)))")
    assert "erf" in g2.op_counts()
    assert "(erf x)" in to_fpcore(g2)
    jax = pytest.importorskip("jax")
    from eqsat_tensor.interop.jax_io import from_jax, to_jax

    g3 = from_jax(lambda x: jax.scipy.special.erf(x) * jax.scipy.special.erfc(x),
                  np.zeros(3, np.float32))
    assert {"erf", "erfc"} <= set(g3.op_counts())
    xs = np.array([-1.0, 0.25, 2.0])
    np.testing.assert_allclose(np.asarray(to_jax(_graph("erf"))(xs)),
                               [math.erf(v) for v in xs], rtol=1e-6)
