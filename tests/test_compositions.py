"""Functions declared as compositions of IR ops (``data/compositions.txt``, read by
``frontend/compositions``): each matches the SciPy function of its name on ordinary and
special values, the wrappers trace to the declared expression, and a malformed
declaration is a ``RuleError`` at its line and column."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.special

import eqsat_tensor as et
from eqsat_tensor.errors import RuleError
from eqsat_tensor.frontend import extras_special, special
from eqsat_tensor.frontend.compositions import compose, compositions, parse_compositions
from eqsat_tensor.ir import Graph

EDGES = (np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.0, 1e-300, -1e-300,
         1e300, 0.999999, 1e-8, 700.0)


def _evaluate(name: str, columns: list[np.ndarray]) -> np.ndarray:
    xs = [et.tensor(f"x{i}", (len(columns[0]),)) for i in range(len(columns))]
    out = compose(name, *xs)
    got = et.compile(Graph([out.node], [x.node for x in xs]), backend="numpy")(*columns)
    return np.asarray(got[0] if isinstance(got, (list, tuple)) else got)


@pytest.mark.parametrize("name", sorted(compositions()))
def test_each_composition_matches_scipy_on_special_values(name):
    c = compositions()[name]
    grid = np.array(list(itertools.product(EDGES, repeat=c.arity)), dtype=np.float64)
    columns = [np.ascontiguousarray(grid[:, i]) for i in range(c.arity)]
    got = _evaluate(name, columns)
    with np.errstate(all="ignore"):
        want = np.asarray(getattr(scipy.special, name)(*columns), dtype=np.float64)
    assert np.array_equal(np.isnan(got), np.isnan(want)), (name, grid[np.isnan(got) !=
                                                                     np.isnan(want)])
    finite = np.isfinite(want)
    assert np.array_equal(got[~finite & ~np.isnan(want)], want[~finite & ~np.isnan(want)])
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-13, atol=1e-300)


def test_the_public_functions_trace_to_the_declared_expression():
    x, y = et.tensor("x", (3,)), et.tensor("y", (3,))
    assert str(special.logit(x)) == str(compose("logit", x))
    assert str(extras_special.boxcox1p(x, y)) == str(compose("boxcox1p", x, y))
    assert str(special.xlog1py(x, y)) == str(compose("xlog1py", x, y))
    assert "log1p" in str(special.logit(x)) and "expm1" in str(extras_special.boxcox(x, y))


def test_every_declaration_names_a_scipy_function_and_documents_itself():
    for c in compositions().values():
        assert callable(getattr(scipy.special, c.name)), c.name
        assert c.doc, f"{c.name}: no comment on its line"


@pytest.mark.parametrize("text, message, col", [
    ("f(x) = log(x) +", "syntax error", 16),
    ("f(x) = frobnicate(x)", "frobnicate", 8),
    ("f(x) = log(y)", "y not among the operands", 1),
    ("f x = log(x)", "expected 'name(operands) = expression'", 1),
    ("f(x) = x\nf(y) = y", "duplicate name 'f'", 1),
])
def test_a_malformed_declaration_names_its_line_and_column(text, message, col):
    with pytest.raises(RuleError) as info:
        parse_compositions(text, source="defs.txt")
    err = info.value
    assert message in err.message and err.source == "defs.txt" and err.col == col
    assert err.line == text.count("\n") + 1


def test_a_wrong_number_of_operands_is_refused():
    with pytest.raises(TypeError, match="logit\\(\\) takes 1 operands"):
        compose("logit", 1.0, 2.0)
