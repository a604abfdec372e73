"""NumPy 2 promotion through the tracer, by property: random expressions over float32 and
float64 arrays, a Python-float argument, Python constants and NumPy scalars give NumPy's
dtype and values (the same expression tree is evaluated once on NumPy arrays, once on
traced values inside et.jit)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
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


def _dispatched_ufuncs() -> list[np.ufunc]:
    """Every NumPy and SciPy ufunc the tracer maps (the dispatch tables, not a list here)."""
    import scipy.special as sps

    from eqsat_tensor.frontend import numpy_dispatch as D

    found = list(D.UFUNCS)
    found += [u for name in D.SCIPY_UFUNCS
              if isinstance(u := getattr(sps, name, None), np.ufunc)]
    return [u for u in dict.fromkeys(found) if u.nin in (1, 2)]


def _operand_mixes(u: np.ufunc) -> dict[str, tuple[Any, tuple]]:
    x32 = np.array([0.25, 0.5, -0.75, 1.5, 3.0], dtype=np.float32)
    if u.nin == 1:
        return {"f32": (lambda x: u(x), (x32,))}
    x64 = (x32 * 1.25).astype(np.float64)
    return {"f32,py": (lambda x: u(x, 1.5), (x32,)), "py,f32": (lambda x: u(1.5, x), (x32,)),
            "f32,f64": (lambda x, y: u(x, y), (x32, x64)),
            "f64,f32": (lambda x, y: u(y, x), (x32, x64)),
            "f32,f32": (lambda x, y: u(x, y), (x32, x32[::-1].copy())),
            "f32,np.float64": (lambda x: u(x, np.float64(1.5)), (x32,))}


@pytest.mark.parametrize("ufunc", _dispatched_ufuncs(), ids=lambda u: u.__name__)
def test_every_dispatched_ufunc_promotes_like_numpy(ufunc):
    """Each ufunc the tracer maps gives NumPy's dtype and values for float32 operands beside
    a Python float, a float64 array and a NumPy float64 scalar (a composition that converts
    its operands one by one, or keeps its first operand's dtype, fails here)."""
    wrong = []
    for label, (fn, args) in _operand_mixes(ufunc).items():
        with np.errstate(all="ignore"):
            try:
                want = fn(*args)
            except (TypeError, ValueError):
                continue  # NumPy refuses this mix itself
            got = et.jit(fn, backend="numpy")(*args)
        if np.asarray(got).dtype != np.asarray(want).dtype or not np.allclose(
                got, want, rtol=1e-6, equal_nan=True):
            wrong.append(f"{label}: NumPy {np.asarray(want).dtype}, got {np.asarray(got).dtype}")
    assert not wrong, f"{ufunc.__name__}: " + "; ".join(wrong)


@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.maximum, np.minimum, np.fmax,
                                   np.fmin, np.logaddexp])
def test_every_traced_ufunc_reduce_matches_numpy(ufunc):
    """``ufunc.reduce`` along each axis and over everything, NaN and inf included."""
    x = np.array([[1.0, np.nan, 3.0, -np.inf], [np.nan, np.nan, np.nan, np.nan],
                  [0.5, -2.0, np.inf, 4.0]])
    for axis in (0, 1, None):
        fn = (lambda a, axis=axis: ufunc.reduce(a, axis=axis))  # noqa: E731
        with np.errstate(all="ignore"):
            want = fn(x)
            got = et.jit(fn, backend="numpy", ieee="strict", static_argnames=("axis",))(x)
        np.testing.assert_array_equal(got, want, err_msg=f"{ufunc.__name__} axis={axis}")
