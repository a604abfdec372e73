"""SymPy -> eqsat-tensor -> SymPy round trips (checked numerically), matrices, the
expression-text parser (never executes text) and the import/export registry."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.errors import GraphFormatError, UnsupportedOperation
from eqsat_tensor.interop import registry
from eqsat_tensor.interop.exprtext import parse_expression

sp = pytest.importorskip("sympy")
cf = pytest.importorskip("sympy.codegen.cfunctions")

X, Y, Z = sp.symbols("x y z", real=True)
MODULES = [{"Cbrt": np.cbrt, "log1p": np.log1p, "expm1": np.expm1, "exp2": np.exp2,
            "log2": np.log2, "log10": np.log10, "hypot": np.hypot}, "numpy"]
RNG = np.random.default_rng(0)
VALS = {"x": RNG.uniform(-3, 3, 64), "y": RNG.uniform(0.2, 3, 64), "z": RNG.uniform(-3, 3, 64)}

EXPRS = [
    sp.log(1 + X), sp.exp(X) - 1, X * Y / X, 1 / (1 + sp.exp(-X)),
    sp.sqrt(X ** 2 + Y ** 2) - 3 * X / Y + Z ** 3 - X ** -2,
    sp.Piecewise((X, X < 1), (Y, sp.And(X >= 1, Y > 1)), (Z, True)),
    sp.Max(X, Y, Z) - sp.Min(X, 2), sp.atan2(Y, X) + sp.Abs(X) ** sp.Rational(1, 3),
    cf.log1p(Y ** 2) + cf.expm1(X) + cf.Cbrt(Z) + cf.hypot(X, Y) + cf.log2(Y) + cf.log10(Y),
    sp.sin(X) ** 2 + sp.cos(X) ** 2 - sp.pi + sp.E, sp.sign(Z) * sp.tanh(X) / sp.sqrt(Y),
    sp.asin(X / 4) + sp.acos(Z / 3) + sp.atan(Y) + sp.sinh(X) - sp.cosh(Z) + sp.tan(Y / 2),
    sp.log(X ** 2 + 1, 2) + 2 ** X,
]


def _numbers(expr):
    f = sp.lambdify([X, Y, Z], expr, modules=MODULES)
    with np.errstate(all="ignore"):
        return np.broadcast_to(f(VALS["x"], VALS["y"], VALS["z"]), (64,)).astype(float)


@pytest.mark.parametrize("expr", EXPRS, ids=[str(e)[:30] for e in EXPRS])
def test_sympy_round_trip_is_numerically_equivalent(expr):
    graph = et.from_sympy(expr)
    want = _numbers(expr)
    got = evaluate(graph, [VALS[n] for n in graph.input_names])[0]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    back = et.to_sympy(graph)
    np.testing.assert_allclose(_numbers(back.subs({sp.Symbol(n, real=True): s for n, s in
                                                   zip("xyz", (X, Y, Z))})), want,
                               rtol=1e-12, atol=1e-12, equal_nan=True)


def test_structure_maps_to_the_ops_the_rules_expect():
    assert str(et.from_sympy(sp.log(1 + X))) == "log(1 + x)"
    assert str(et.from_sympy(sp.exp(X) - 1)) == "exp(x) - 1"
    assert str(et.from_sympy(X * Y / Z)) == "x * y / z"
    assert str(et.from_sympy(sp.sqrt(X))) == "sqrt(x)"
    assert et.from_sympy(X + Y, inputs=["y", "x", "w"]).input_names == ("y", "x", "w")


def test_matrix_expressions():
    A, B = sp.MatrixSymbol("A", 3, 4), sp.MatrixSymbol("B", 4, 2)
    graph = et.from_sympy(2 * A * B + (A * B).T.T)
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 2))
    got = evaluate(graph, [a, b])[0]
    np.testing.assert_allclose(got, 3 * a @ b)
    back = et.to_sympy(graph)
    np.testing.assert_allclose(np.array(back.subs({A: sp.Matrix(a), B: sp.Matrix(b)}).doit(),
                                        dtype=float), 3 * a @ b)
    g2 = et.from_sympy(sp.HadamardProduct(A, A) + A)
    np.testing.assert_allclose(evaluate(g2, [a])[0], a * a + a)
    multi = et.from_sympy(sp.Matrix([[X, Y], [X * Y, 1]]))
    assert len(multi.outputs) == 4
    with pytest.raises(UnsupportedOperation, match="to_sympy"):
        et.to_sympy(et.sum(et.tensor("v", shape=(3,))))


def test_expression_text_is_parsed_not_executed():
    g = parse_expression("log(1 + x) - x*y/x + (x if x > 0 else -x) + atan2(y, 2) + pi")
    xs, ys = np.array([0.5, -0.5]), np.array([1.5, 3.0])
    want = np.log1p(xs) - ys + np.abs(xs) + np.arctan2(ys, 2) + np.pi
    np.testing.assert_allclose(evaluate(g, [xs, ys])[0], want, rtol=1e-14)
    for bad in ["__import__('os').system('true')", "x.__class__", "[x for x in y]",
                "lambda: 1", "open('f')", "x; y"]:
        with pytest.raises((GraphFormatError, UnsupportedOperation)):
            parse_expression(bad)
    g = parse_expression("sum(exp(v), axis=0) + max(v)", shapes={"v": (3,)})
    v = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(evaluate(g, [v])[0], np.exp(v).sum() + 0.3)


def test_registry_round_trips():
    g = registry.import_graph("sympy", "log(1 + x) * y")
    assert registry.export_graph("sympy", g) == "y*log(x + 1)"
    text = registry.export_graph("fpcore", g)
    assert text.startswith("(FPCore (x y)")
    g2, info = registry.import_with_info("fpcore", "(FPCore (x) :pre (<= 0 x 1) (+ x 1))")
    assert info["precondition"] == {"x": (0.0, 1.0)}
    assert registry.export_graph("text", g2) == "x + 1"
    with pytest.raises(GraphFormatError, match="unknown import kind"):
        registry.import_graph("mathematica", "x")
    with pytest.raises(GraphFormatError, match="unknown export kind"):
        registry.export_graph("latex", g)
    assert registry.kind_of_file("a/b.FPCore") == "fpcore"
    text = registry.export_graph("json", g)
    assert registry.import_graph("json", text) == g


def test_missing_optional_dependency_names_the_extra():
    from eqsat_tensor.interop._optional import MissingDependency, require

    with pytest.raises(MissingDependency, match=r"pip install 'eqsat-tensor\[jax\]'"):
        require("no_such_module_for_eqsat_tests", "jax", "JAX import/export")


def test_erf_loggamma_piecewise_import_and_match():
    special = pytest.importorskip("scipy.special")
    x = sp.Symbol("x")
    expr = sp.Piecewise((sp.erf(x) + sp.loggamma(x), x > 0), (sp.erfc(x), True))
    graph = et.from_sympy(expr)
    v = np.array([-1.5, -0.2, 0.4, 2.0, 7.5])
    want = np.where(v > 0, special.erf(v) + special.gammaln(np.abs(v)), special.erfc(v))
    run = et.compile(graph, backend="numpy")
    got = np.array([run(np.float64(t)) for t in v])
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("expr,ref", [
    (sp.gamma(X), lambda x, y, s: s.gamma(x)),
    (sp.digamma(X) + sp.Abs(Y), lambda x, y, s: s.psi(x) + np.abs(y)),
    (sp.Max(X, Y, 0.25) - sp.Min(X, sp.sign(Y)), lambda x, y, s: np.maximum(np.maximum(x, y), 0.25)
     - np.minimum(x, np.sign(y))),
    (sp.Piecewise((X * Y, sp.And(X > 0, sp.Or(Y < 0, sp.Eq(Y, 1)))), (sp.erfc(X), True)),
     lambda x, y, s: np.where((x > 0) & ((y < 0) | (y == 1)), x * y, s.erfc(x))),
], ids=["gamma", "digamma_abs", "max_min_sign", "relations"])
def test_special_functions_and_relations_import_and_match(expr, ref):
    special = pytest.importorskip("scipy.special")
    run = et.compile(et.from_sympy(expr), backend="numpy")
    names = [i.name for i in run.graph.inputs]
    xs = np.array([-2.5, -0.7, 0.3, 1.0, 2.0, 6.5])
    ys = np.array([1.0, -0.5, 0.0, 1.0, 2.5, -3.0])
    got = np.array([run(**{n: np.float64(v) for n, v in zip(("x", "y"), (a, b)) if n in names})
                    for a, b in zip(xs, ys)])
    np.testing.assert_allclose(got, ref(xs, ys, special), rtol=1e-13)


# -- more SymPy functions users write (clients) -------------------------------------------
def test_beta_factorial_heaviside_mod_sinc_import_and_match():
    x, y = sp.symbols("x y", real=True)
    xv = np.array([-1.3, 0.0, 0.7, 2.5, -0.0])
    yv = np.array([0.5, 1.7, 3.2, 4.1, 2.0])
    exprs = [sp.beta(y, 2) + sp.factorial(y), sp.Heaviside(x) * y + sp.Heaviside(x, 1),
             sp.Mod(x, 2) - sp.Mod(x, -1.5), sp.sinc(x) + sp.Mod(y, x + 3)]
    for e in exprs:
        g = et.from_sympy(e, inputs=[x, y], shapes={"x": (5,), "y": (5,)})
        want = np.asarray(sp.lambdify([x, y], e, modules=["scipy", "numpy"])(xv, yv),
                          dtype=float)
        got = evaluate(g, [xv, yv])[0]
        np.testing.assert_allclose(got, want, rtol=1e-13, equal_nan=True)
