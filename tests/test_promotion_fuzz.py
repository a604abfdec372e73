"""NumPy 2 promotion through the tracer, by property: random expressions over float32 and
float64 arrays, a Python-float argument, Python constants and NumPy scalars give NumPy's
dtype and values (the same expression tree is evaluated once on NumPy arrays, once on
traced values inside et.jit)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsat_tensor as et
from eqsat_tensor.testing import examples

CONSTANTS = {"2.5": 2.5, "3": 3, "np.float32(1.5)": np.float32(1.5),
             "np.float64(0.75)": np.float64(0.75)}
LEAVES = ["x32", "x64", "s", *CONSTANTS]
UNARY = {"np.exp": np.exp, "np.tanh": np.tanh, "np.abs": np.abs, "neg": lambda a: -a}
BINARY = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
          "np.maximum": np.maximum}


def _tree(depth: int) -> st.SearchStrategy[Any]:
    leaf = st.sampled_from(LEAVES)
    if depth == 0:
        return leaf
    sub = _tree(depth - 1)
    return st.one_of(leaf, st.tuples(st.sampled_from(sorted(UNARY)), sub),
                     st.tuples(st.sampled_from(sorted(BINARY)), sub, sub),
                     st.tuples(st.just("where"), sub, sub, sub))


def evaluate(tree: Any, env: dict) -> Any:
    """The value of ``tree`` with the leaves ``x32``, ``x64``, ``s`` taken from ``env``."""
    if isinstance(tree, str):
        return env[tree] if tree in env else CONSTANTS[tree]
    op, *args = tree
    vals = [evaluate(a, env) for a in args]
    if op == "where":
        return np.where(vals[0] > 0, vals[1], vals[2])
    return (UNARY.get(op) or BINARY[op])(*vals)


@settings(max_examples=examples(40))
@given(_tree(3))
def test_random_expressions_promote_like_numpy(tree):
    def f(x32, x64, s):
        return evaluate(tree, {"x32": x32, "x64": x64, "s": s})

    x32 = np.array([-1.5, 0.25, 2.0], np.float32)
    x64 = np.array([0.5, -0.75, 1.25])
    with np.errstate(all="ignore"):
        want = f(x32, x64, 0.3)
    if not isinstance(want, (np.ndarray, np.generic)):
        return  # pure Python arithmetic: nothing to trace
    try:
        got = et.jit(f, backend="numpy")(x32, x64, 0.3)
    except et.UnsupportedError as exc:  # refused only where NumPy's result is an integer
        assert "integer" in str(exc) and np.asarray(want).dtype.kind in "iu", (tree, exc)
        return
    assert np.asarray(got).dtype == np.asarray(want).dtype, tree
    rtol = 1e-5 if np.asarray(want).dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6, err_msg=str(tree))
