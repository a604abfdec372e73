"""PyMC models' ``model.logp()`` and ``model.dlogp()`` import raw (parameter checks
included) and evaluate like PyTensor, on the NumPy and Numba backends; a point that fails a
parameter check raises PyMC's own error."""

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
from _pymc_models import MODELS  # noqa: E402

import eqsat_tensor as et  # noqa: E402
from eqsat_tensor.interop.pymc import compile_logp_dlogp  # noqa: E402

warnings.filterwarnings("ignore", category=UserWarning)
_CACHE: dict[str, tuple] = {}


def _model(name: str) -> tuple:
    """(model, logp var, dlogp var, PyTensor function of both) built once per model."""
    if name not in _CACHE:
        model = MODELS[name]()
        logp, dlogp = model.logp(), model.dlogp()
        fn = pytensor.function(model.value_vars, [logp, dlogp], mode="FAST_RUN")
        _CACHE[name] = (model, logp, dlogp, fn)
    return _CACHE[name]


@pytest.mark.parametrize("name", list(MODELS))
def test_logp_dlogp_import_raw_and_match(name):
    model, logp, dlogp, fn = _model(name)
    graph = et.from_pytensor([logp, dlogp], model.value_vars)
    assert graph.input_names == tuple(v.name for v in model.value_vars)
    run = graph.compile("numpy")
    for args in _points(model):
        lp, g = run(*args)
        ref_lp, ref_g = fn(*args)
        _close(lp, ref_lp)
        _close(g, ref_g)
    _same_outcome(run, fn, _bad_point(model))


def test_bad_point_raises_pymcs_error():
    model, logp, dlogp, fn = _model("radon")
    from pymc.logprob.utils import ParameterValueError

    graph = et.from_pytensor(logp, model.value_vars)
    assert graph.messages  # sigma > 0 of the hierarchical scale is a real check
    with pytest.raises(ParameterValueError):
        fn(*_bad_point(model))
    with pytest.raises(ParameterValueError, match="sigma > 0"):
        graph.compile("numpy")(*_bad_point(model))


@pytest.mark.parametrize("name", ["eight_schools", "radon", "mixture"])
def test_numba_backend_matches(name):
    model, logp, dlogp, fn = _model(name)
    graph = et.from_pytensor([logp, dlogp], model.value_vars)
    run = graph.compile("numba")
    for args in _points(model, n=2, seed=1):
        lp, g = run(*args)
        ref_lp, ref_g = fn(*args)
        _close(lp, ref_lp)
        _close(g, ref_g)
    _same_outcome(run, fn, _bad_point(model))


@pytest.mark.parametrize("name", ["eight_schools", "logistic", "radon"])
def test_compile_logp_dlogp_flat_vector(name):
    """The sampler entry (one compiled Numba call over the flat vector): PyTensor's
    values, and PyMC's error with its message at a point failing a parameter check."""
    model, logp, dlogp, fn = _model(name)
    c = compile_logp_dlogp(model, backend="numba")
    x0 = c.initial_point(model)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = x0 + 0.5 * rng.normal(size=x0.shape)
        ref_lp, ref_g = fn(*_split_flat(x, c.shapes))
        lp, g = c.logp_dlogp(x)
        assert isinstance(lp, float) and g.shape == x.shape
        _close(c.logp(x), ref_lp)
        _close(lp, ref_lp)
        _close(g, ref_g)
    bad = np.concatenate([np.ravel(a) for a in _bad_point(model)])
    _same_outcome(lambda *a: c.logp_dlogp(bad), fn, _bad_point(model))
    f_lp = pytensor.function(model.value_vars, logp)
    _same_outcome(lambda *a: (c.logp(bad),), lambda *a: (f_lp(*a),), _bad_point(model))
    with pytest.raises(ValueError, match="length"):
        c.logp(np.zeros(x0.size + 1))
    with pytest.raises(ValueError, match="length"):
        c.logp_dlogp(np.zeros(x0.size - 1))


@pytest.mark.parametrize("name", list(MODELS))
def test_to_pytensor_round_trip_after_optimize(name):
    model, logp, dlogp, fn = _model(name)
    graph = et.from_pytensor([logp, dlogp], model.value_vars)
    optimized = graph.with_graph(et.optimize(graph.plain()).graph)
    outs = et.to_pytensor(optimized, {v.name: v for v in model.value_vars})
    back = pytensor.function(model.value_vars, outs)
    for args in _points(model, n=2, seed=3):
        lp, g = back(*args)
        ref_lp, ref_g = fn(*args)
        _close(lp, ref_lp)
        _close(g, ref_g)
    _same_outcome(back, fn, _bad_point(model))


def test_gammaln_and_psi_of_a_parameter():
    from _pymc_models import robust_ar_nu

    model = robust_ar_nu()
    logp, dlogp = model.logp(), model.dlogp()
    fn = pytensor.function(model.value_vars, [logp, dlogp])
    run = et.from_pytensor([logp, dlogp], model.value_vars).compile("numpy")
    for args in _points(model, n=2, seed=4):
        lp, g = run(*args)
        ref_lp, ref_g = fn(*args)
        _close(lp, ref_lp)
        # PyTensor's C Psi is a short series (about 1e-10 relative); ours follows SciPy's
        np.testing.assert_allclose(g, ref_g, rtol=1e-8)


def test_optimized_model_has_the_models_log_density():
    """``optimized_model``: the optimized logp as a Potential over Flat value variables
    gives the model's logp (and -inf at a point failing a check, as PyMC compiles it)."""
    from eqsat_tensor.interop.pymc import optimized_model

    model, logp, dlogp, fn = _model("radon")
    new = optimized_model(model)
    assert [v.name for v in new.value_vars] == [v.name for v in model.value_vars]
    f_new = new.compile_logp()
    f_ref = pytensor.function(model.value_vars, logp)
    for args in _points(model, n=2, seed=5):
        point = {v.name: a for v, a in zip(model.value_vars, args)}
        _close(f_new(point), f_ref(*args))
    # compile_pymc turns PyMC's checks into a logp of -inf, ours too (same flag)
    bad = {v.name: a for v, a in zip(model.value_vars, _bad_point(model))}
    assert f_new(bad) == model.compile_logp()(bad) == -np.inf


@pytest.mark.slow
def test_pm_sample_with_the_optimized_logp():
    """pm.sample draws from the optimized model what it draws from the original one:
    posterior means agree within a fraction of the posterior standard deviation."""
    from eqsat_tensor.interop.pymc import optimized_model

    model = MODELS["poisson_glm"]()
    new = optimized_model(model)
    kw = dict(draws=300, tune=300, chains=1, cores=1, progressbar=False,
              compute_convergence_checks=False, random_seed=3)
    with new:
        ours = pm.sample(**kw)
    with model:
        ref = pm.sample(**kw)
    for name in ("a", "b"):
        a = ours.posterior[name].values.ravel()
        b = ref.posterior[name].values.ravel()
        assert np.isfinite(a).all() and a.size == 300
        assert abs(a.mean() - b.mean()) < 0.5 * b.std()


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_checks_ninf_give_what_pymcs_compiled_functions_give(backend):
    """checks="ninf": a failing replaceable check is a logp of -inf (zero gradient), as in
    ``model.compile_logp()``; ordinary points are unchanged."""
    model, logp, dlogp, fn = _model("radon")
    c = compile_logp_dlogp(model, backend=backend, checks="ninf")
    bad = np.concatenate([np.ravel(a) for a in _bad_point(model)])
    point = {v.name: a for v, a in zip(model.value_vars, _bad_point(model))}
    assert c.logp(bad) == model.compile_logp()(point) == -np.inf
    lp, g = c.logp_dlogp(bad)
    assert lp == -np.inf and g.shape == bad.shape and not g.any()
    x = c.initial_point(model) + 0.1
    args = [x[0:1].reshape(()), x[1:2].reshape(()), x[2:8], x[8:9].reshape(()),
            x[9:10].reshape(())]
    assert [v.name for v in model.value_vars] == list(c.names) and c.shapes[2] == (6,)
    _close(c.logp_dlogp(x)[1], fn(*args)[1])
    with pytest.raises(ValueError, match="checks"):
        compile_logp_dlogp(model, checks="nan")
