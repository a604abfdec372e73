"""Lazy ``where`` in Numba kernels (``backends/numba_lazy.py``): a branch with costly work
nothing else uses is computed only where the condition picks it, with NumPy's values
(NaN conditions, inf, signed zeros), in elementwise and reduction kernels, nested; work
another value needs is computed once, outside the branch."""

from __future__ import annotations

import re

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import eqsat_tensor as et

BRANCH = re.compile(r"^\s+if v\d+:$", re.M)


@pytest.fixture(autouse=True)
def _no_tiers(monkeypatch):
    monkeypatch.setenv("EQSAT_TENSOR_TIERED", "0")


def piecewise(x):
    return np.where(x > 0.5, sp.gammaln(x) + sp.erf(x), sp.digamma(x + 1.0) * 2.0)


def reduced(x):
    return np.sum(np.where(x > 0.5, sp.gammaln(x), sp.erfc(x)), axis=-1)


def nested(x):
    inner = np.where(x < 2.0, sp.erfc(x), sp.gammaln(x))
    return np.where(x > 0.0, inner, sp.erf(x) * 3.0)


def shared(x):  # g is also used outside the where: computed once, before the branch
    g = sp.gammaln(np.abs(x) + 1.0)
    return np.where(x > 0, g, sp.erfc(x)) * g


def cheap(x):  # inlined vector transcendentals: the select form stays (it vectorizes)
    return np.where(x > 0, np.exp(x), np.log1p(x * x))


FUNCTIONS = [piecewise, reduced, nested, shared]
EDGES = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, 1e-300, -3.5, 2.0, 7.25, 1e5, -1e5])


def _same(got, want):
    if isinstance(want, tuple):
        for g, w in zip(got, want):
            _same(g, w)
        return
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300, equal_nan=True)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_costly_branches_run_lazily_with_numpys_values(fn):
    f = et.jit(fn, backend="numba", ieee="strict")
    rng = np.random.default_rng(3)
    for x in (rng.uniform(-3, 3, (7, 40)), EDGES.reshape(3, 4), np.empty((2, 0))):
        with np.errstate(all="ignore"):
            _same(f(x), fn(x))
    assert BRANCH.search(f.source()), f.source()


def test_shared_work_is_computed_once_outside_the_branch():
    f = et.jit(shared, backend="numba", ieee="strict")
    f(np.linspace(-2, 2, 9))
    src = f.source()
    kernels = [k for k in src.split("\ndef ") if BRANCH.search(k)]
    assert len(kernels) == 1 and kernels[0].count("gammaln_") == 1
    lines = kernels[0].splitlines()
    branch = next(k for k, line in enumerate(lines) if BRANCH.match(line))
    assert any("gammaln_" in line for line in lines[:branch])  # before the if


def test_vectorizable_branches_keep_the_select():
    f = et.jit(cheap, backend="numba")
    x = np.linspace(-0.9, 3, 50)
    np.testing.assert_allclose(f(x), cheap(x), rtol=1e-14)
    assert not BRANCH.search(f.source())


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(0, 24), elements=st.floats(allow_subnormal=True)))
def test_lazy_branches_agree_with_numpy_on_any_input(x):
    for fn in (piecewise, nested):
        f = _JITTED.setdefault(fn, et.jit(fn, backend="numba", ieee="strict"))
        with np.errstate(all="ignore"):
            _same(f(x), fn(x))


_JITTED: dict = {}
