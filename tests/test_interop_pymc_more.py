"""Eight more PyMC models (``tests/_pymc_models2.py``: random walks, index gathers, ordinal
and categorical likelihoods, censoring, zero inflation, ``pm.Data``, LKJ): ``model.logp()``
and ``model.dlogp()`` import raw and match PyTensor at several points and at a point that
fails a parameter check (same error, same message); the sampler entry and the
``to_pytensor`` round trip keep the values. The reference is PyTensor's Python linker
(SciPy's special functions: PyTensor's C ``Psi`` is a short series, about 1e-10
relative)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pm = pytest.importorskip("pymc")
pytensor = pytest.importorskip("pytensor")

from _pymc_checks import bad_point as _bad_point  # noqa: E402
from _pymc_checks import close as _close  # noqa: E402
from _pymc_checks import points as _points  # noqa: E402
from _pymc_checks import same_outcome as _same_outcome  # noqa: E402
from _pymc_checks import split_flat as _split_flat  # noqa: E402
from _pymc_models2 import HELD, MODELS2  # noqa: E402
from pytensor.compile.mode import Mode  # noqa: E402

import eqsat_tensor as et  # noqa: E402
from eqsat_tensor.errors import UnsupportedOperation  # noqa: E402
from eqsat_tensor.interop.pymc import compile_logp_dlogp  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)
SUPPORTED = [n for n in MODELS2 if n != "mvnormal_lkj"] + list(HELD)
_CACHE: dict[str, tuple] = {}


def _model(name: str) -> tuple:
    if name not in _CACHE:
        model = (MODELS2 | HELD)[name]()
        logp, dlogp = model.logp(), model.dlogp()
        fn = pytensor.function(model.value_vars, [logp, dlogp],
                               mode=Mode(linker="py", optimizer="fast_run"))
        _CACHE[name] = (model, logp, dlogp, fn)
    return _CACHE[name]


@pytest.mark.parametrize("name", SUPPORTED)
def test_logp_dlogp_import_raw_and_match(name):
    model, logp, dlogp, fn = _model(name)
    graph = et.from_pytensor([logp, dlogp], model.value_vars)
    run = graph.compile("numpy")
    for args in _points(model):
        lp, g = run(*args)
        ref_lp, ref_g = fn(*args)
        _close(lp, ref_lp)
        _close(g, ref_g)
    _same_outcome(run, fn, _bad_point(model))


def test_unsupported_ops_are_listed_at_once():
    """LKJ + MvNormal needs linear algebra the IR lacks: every missing op is named."""
    model = MODELS2["mvnormal_lkj"]()
    with pytest.raises(UnsupportedOperation) as info:
        et.from_pytensor([model.logp(), model.dlogp()], model.value_vars)
    text = str(info.value)
    for op in ("Cholesky", "SolveTriangular", "ExtractDiag"):
        assert op in text


@pytest.mark.parametrize("name", ["stoch_vol", "censored_normal"])
def test_sampler_entry_matches(name):
    """compile_logp_dlogp (optimized, Numba, one call over the flat vector)."""
    model, logp, dlogp, fn = _model(name)
    c = compile_logp_dlogp(model)
    x0 = c.initial_point(model)
    rng = np.random.default_rng(2)
    for _ in range(2):
        x = x0 + 0.5 * rng.normal(size=x0.shape)
        ref_lp, ref_g = fn(*_split_flat(x, c.shapes))
        lp, g = c.logp_dlogp(x)
        _close(lp, ref_lp)
        _close(c.logp(x), ref_lp)
        _close(g, ref_g)
    bad = np.concatenate([np.ravel(a) for a in _bad_point(model)])
    _same_outcome(lambda *a: c.logp_dlogp(bad), fn, _bad_point(model))


@pytest.mark.parametrize("name", ["stoch_vol", "hier_logistic_nc", "ordered_logistic",
                                  "dirichlet_categorical", "censored_normal"])
def test_to_pytensor_round_trip_after_optimize(name):
    model, logp, dlogp, fn = _model(name)
    graph = et.from_pytensor([logp, dlogp], model.value_vars)
    optimized = graph.with_graph(et.optimize(graph.plain()).graph)
    outs = et.to_pytensor(optimized, {v.name: v for v in model.value_vars})
    # the Python linker, as the reference (PyTensor's C Psi is about 1e-10 relative)
    back = pytensor.function(model.value_vars, outs, mode=Mode(linker="py",
                                                               optimizer="fast_run"))
    for args in _points(model, n=2, seed=3):
        lp, g = back(*args)
        ref_lp, ref_g = fn(*args)
        _close(lp, ref_lp)
        _close(g, ref_g)


def test_pm_data_is_read_when_imported():
    """``pm.Data`` containers import as constants holding their value at import time."""
    model, logp, dlogp, fn = _model("studentt_data")
    args = _points(model, n=1, seed=7)[0]
    before = et.from_pytensor(logp, model.value_vars).compile("numpy")(*args)
    with model:
        pm.set_data({"y_obs": model["y_obs"].get_value() + 1.0})
    try:
        after = et.from_pytensor(logp, model.value_vars).compile("numpy")(*args)
        ref = pytensor.function(model.value_vars, logp)(*args)
        _close(after, ref)
        assert abs(after - before) > 1e-3
    finally:
        with model:
            pm.set_data({"y_obs": model["y_obs"].get_value() - 1.0})


# -- fourth session (clients): constant-matrix solves, Poisson CDFs -------------------------
@pytest.mark.parametrize("name", ["mvnormal_fixed", pytest.param("gp_fixed_kernel",
                                                                 marks=pytest.mark.slow),
                                  pytest.param("hurdle_poisson", marks=pytest.mark.slow)])
def test_sampler_entry_matches_linear_algebra_and_counts(name):
    """The packed Numba entry runs the folded solves (a matmul by a constant) and the
    Poisson CDF's finite sum (a logsumexp along a new axis)."""
    model, logp, dlogp, fn = _model(name)
    c = compile_logp_dlogp(model)
    x0 = c.initial_point(model)
    rng = np.random.default_rng(4)
    for _ in range(2):
        x = x0 + 0.5 * rng.normal(size=x0.shape)
        ref_lp, ref_g = fn(*_split_flat(x, c.shapes))
        lp, g = c.logp_dlogp(x)
        _close(lp, ref_lp)
        _close(g, ref_g)


def test_gammaincc_with_integer_counts_matches_scipy():
    """GammaIncC(n, x) for constant integer n: the finite sum equals SciPy's at small,
    large, zero and infinite x."""
    import pytensor.tensor as pt
    import scipy.special

    n = np.array([1.0, 2.0, 5.0, 17.0, 60.0])
    x = pt.vector("x", shape=(5,))
    graph = et.from_pytensor(pt.gammaincc(n, x), [x])
    run = graph.compile("numpy")
    for xs in ([0.5, 1.0, 3.0, 10.0, 55.0], [0.0, 1e-300, 40.0, 200.0, 70.0],
               [np.inf, 2.0, 1e-3, 17.0, 59.5]):
        xs = np.array(xs)
        ref = scipy.special.gammaincc(n, xs)
        got = run(xs)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-300)


def test_gammaincc_and_solves_outside_their_closed_forms_are_refused():
    """A non-integer first argument and a solve against a variable matrix are named."""
    import pytensor.tensor as pt
    from pytensor.tensor.slinalg import solve_triangular

    x = pt.vector("x", shape=(3,))
    with pytest.raises(UnsupportedOperation, match="GammaIncC"):
        et.from_pytensor(pt.gammaincc(np.array([1.5, 2.0, 3.0]), x), [x])
    a = pt.matrix("a", shape=(3, 3))
    with pytest.raises(UnsupportedOperation, match="SolveTriangular.*not a constant"):
        et.from_pytensor(solve_triangular(a, x, lower=True), [a, x])


def test_solve_against_a_constant_matrix_matches_scipy():
    """solve_triangular / solve with a constant matrix (one and several right-hand sides)."""
    import pytensor.tensor as pt
    import scipy.linalg
    from pytensor.tensor.slinalg import solve, solve_triangular

    rng = np.random.default_rng(5)
    low = np.tril(rng.normal(size=(4, 4))) + 4 * np.eye(4)
    full = rng.normal(size=(4, 4)) + 4 * np.eye(4)
    b = pt.matrix("b", shape=(4, 2))
    v = pt.matrix("v", shape=(6, 4))
    bv, vv = rng.normal(size=(4, 2)), rng.normal(size=(6, 4))
    cases = [(solve_triangular(low, b, lower=True), b, bv,
              scipy.linalg.solve_triangular(low, bv, lower=True)),
             (solve_triangular(low.T, b, lower=False), b, bv,
              scipy.linalg.solve_triangular(low.T, bv, lower=False)),
             (solve(full, b), b, bv, np.linalg.solve(full, bv)),
             (solve_triangular(low, v, lower=True, b_ndim=1), v, vv,
              scipy.linalg.solve_triangular(low, vv.T, lower=True).T)]
    for out, var, value, ref in cases:
        got = et.from_pytensor(out, [var]).compile("numpy")(value)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)
