"""A small random-graph generator for backend differential tests (until the shared
hypothesis strategy in ``eqsat_tensor.testing.strategies`` lands), and the comparison
helper every numba test uses."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np

import eqsat_tensor as et
from eqsat_tensor.backends import numpy_ref
from eqsat_tensor.errors import ShapeError
from eqsat_tensor.ir import Graph

UNARY = ["neg", "exp", "log", "log1p", "expm1", "sqrt", "abs", "square", "reciprocal", "sin",
         "cos", "tan", "tanh", "sinh", "cosh", "arcsin", "arccos", "arctan", "cbrt", "log2",
         "log10", "exp2", "sigmoid", "softplus"]
BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "hypot", "logaddexp",
          "arctan2"]
COMPARE = ["less", "less_equal", "greater", "greater_equal", "equal", "not_equal"]
REDUCE = ["sum", "mean", "max", "min", "prod", "logsumexp"]

TOL = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=2e-4, atol=2e-5)}


def every_unary_op(dtype: str) -> tuple[Graph, list[np.ndarray]]:
    """One graph applying every op of ``UNARY`` to a 7-vector of ``dtype``, and its input
    (negative, zero, small, large and NaN values)."""
    x = et.tensor("x", (7,), dtype)
    outs = [getattr(et, {"neg": "negative"}.get(op, op))(x).node for op in UNARY]
    vals = np.array([-3.0, -0.5, 0.0, 0.3, 1.0, 40.0, np.nan], dtype=dtype)
    return Graph(outs, [x.node]), [vals]


def all_axis_combinations(ndim: int) -> list[tuple[int, ...]]:
    """Every non-empty subset of ``range(ndim)``."""
    return [c for r in range(1, ndim + 1) for c in itertools.combinations(range(ndim), r)]


def random_graph(seed: int, shape: tuple[int, ...], dtype: str = "float64",
                 n_ops: int = 8, n_outputs: int = 3) -> Graph:
    """A random multi-output graph over inputs broadcastable to ``shape``."""
    rng = random.Random(seed)
    ndim = len(shape)
    x = et.tensor("x", shape, dtype)
    # y broadcasts along a random subset of axes, z is a trailing-axes vector or a scalar
    yshape = tuple(1 if rng.random() < 0.4 else d for d in shape)
    y = et.tensor("y", yshape, dtype)
    z = et.tensor("z", shape[-1:] if ndim and rng.random() < 0.7 else (), dtype)
    pool = [x, y, z]
    outs = []
    for _ in range(n_ops):
        try:
            t = _random_op(rng, pool)
        except ShapeError:
            continue
        if t is None:
            continue
        pooled = len(t.node.shape) == ndim or t.node.shape == ()
        if pooled:
            pool.append(t)
        if rng.random() < 0.3 or not pooled:
            outs.append(t)
    outs.append(pool[-1])
    nodes = list(dict.fromkeys(o.node for o in outs[-n_outputs:]))
    return Graph(nodes, [x.node, y.node, z.node])


def _random_op(rng: random.Random, pool: list) -> Any:
    """One random op on values from ``pool`` (None when it does not apply)."""
    r = rng.random()
    a = rng.choice(pool)
    if r < 0.35:
        op = rng.choice(UNARY)
        return getattr(et, {"neg": "negative"}.get(op, op))(a)
    if r < 0.7:
        b = rng.choice(pool + [rng.choice([0.5, 2.0, -1.5])])
        op = rng.choice(BINARY)
        return getattr(et, {"sub": "subtract", "mul": "multiply", "div": "divide",
                            "pow": "power"}.get(op, op))(a, b)
    if r < 0.8:
        c = getattr(et, rng.choice(COMPARE))(a, rng.choice(pool))
        return et.where(c, a, rng.choice(pool))
    if not a.node.ndim:
        return None
    axes = rng.choice(all_axis_combinations(a.node.ndim))
    t = getattr(et, rng.choice(REDUCE))(a, axis=axes, keepdims=rng.random() < 0.5)
    if t.node.ndim == a.node.ndim and rng.random() < 0.7:
        t = a - t  # a consumer of a keepdims reduction (softmax-like)
    return t


def random_inputs(graph: Graph, seed: int, layout: str = "C") -> list[np.ndarray]:
    """Inputs for ``graph``: normal values (some negative, so log/sqrt give NaN where
    NumPy does); ``layout`` "F" gives Fortran order, "strided" non-contiguous views."""
    rng = np.random.default_rng(seed)
    arrays = []
    for node in graph.inputs:
        shape = tuple(node.shape)
        if node.dtype == "bool":
            a = rng.random(shape) < 0.5
        else:
            a = rng.standard_normal(shape).astype(node.dtype)
        if layout == "F" and a.ndim >= 2:
            a = np.asfortranarray(a)
        elif layout == "strided" and a.ndim:
            big = np.zeros(tuple(2 * d for d in shape), dtype=a.dtype)
            big[tuple(slice(None, None, 2) for _ in shape)] = a
            a = big[tuple(slice(None, None, 2) for _ in shape)]
        arrays.append(a)
    return arrays


def assert_matches_reference(exe: Any, graph: Graph, arrays: list[np.ndarray],
                             dims: dict[str, int] | None = None) -> None:
    """Outputs of ``exe`` equal the reference backend's within the dtype's tolerance,
    NaN where it is NaN; exceptions must match too."""
    try:
        want = numpy_ref.evaluate(graph, arrays, dims or {})
    except ValueError as exc:
        try:
            exe.run(arrays, dims or {})
        except ValueError as got:
            assert str(exc).split(" which")[0] in str(got)
            return
        raise AssertionError(f"reference raised {exc!r}, the backend did not") from None
    got = exe.run(arrays, dims or {})
    assert len(got) == len(want)
    # a float32 anywhere upstream bounds the accuracy of every output
    tol = TOL["float32" if any(n.dtype == "float32" for n in graph.nodes()) else "float64"]
    for k, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g)
        assert g.shape == w.shape, f"output {k}: shape {g.shape} != {w.shape}"
        assert g.dtype == w.dtype, f"output {k}: dtype {g.dtype} != {w.dtype}"
        if w.dtype == np.bool_:
            np.testing.assert_array_equal(g, w, err_msg=f"output {k}")
        else:
            with np.errstate(all="ignore"):
                np.testing.assert_allclose(g, w, equal_nan=True, err_msg=f"output {k}", **tol)
