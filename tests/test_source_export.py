"""``source_export.to_source``: a graph as an importable NumPy / JAX / PyTensor module that
computes what the reference backend computes."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.errors import UnsupportedOperation
from eqsat_tensor.source_export import to_source


def _module(tmp_path, source: str, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _graph():
    """Two outputs; symbolic dims in broadcast_to/reshape; shared nodes; reductions;
    constants including an array, inf and -0.0; where, comparisons, cast."""
    x = et.tensor("x", shape=("n", 3))
    b = et.tensor("b", shape=(3,))
    e = et.exp(x)
    s = et.sigmoid(x) * et.softplus(-x) + e / (1.0 + e)
    row = et.logsumexp(s, axis=1)
    bb = et.broadcast_to(et.expand_dims(b, 0), ("n", 3))
    flat = et.reshape(s * bb + et.constant(np.array([1.0, -0.0, 2.5])), ("n", 3))
    pick = et.where(x > 0.0, flat, et.minimum(x, et.constant(np.inf)))
    gate = et.cast(et.sum(x, axis=0) > 0.0, "float64")
    return et.as_graph([row, et.transpose(pick, (1, 0)) * et.expand_dims(gate, 1)])


def _inputs():
    rng = np.random.default_rng(0)
    return rng.standard_normal((5, 3)) * 4, rng.standard_normal(3)


def test_numpy_source_matches_the_reference(tmp_path):
    g = _graph()
    src = to_source(g, "numpy", "model")
    assert "def model(x, b):" in src and "n = x.shape[0]" in src
    mod = _module(tmp_path, src, "np_model")
    x, b = _inputs()
    want = et.compile(g, backend="numpy")(x, b)
    got = mod.model(x, b)
    assert len(got) == 2
    for w, o in zip(want, got):
        np.testing.assert_allclose(o, w, rtol=1e-13)
    x2 = np.linspace(-2, 2, 21).reshape(7, 3)  # another n: dims are read at call time
    for w, o in zip(et.compile(g, backend="numpy")(x2, b), mod.model(x2, b)):
        np.testing.assert_allclose(o, w, rtol=1e-13)


def test_jax_source_matches_the_reference(tmp_path):
    jax = pytest.importorskip("jax")
    g = _graph()
    mod = _module(tmp_path, to_source(g, "jax", "model"), "jax_model")
    x, b = _inputs()
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        got = jax.jit(mod.model)(x, b)
    finally:
        jax.config.update("jax_enable_x64", before)
    for w, o in zip(et.compile(g, backend="numpy")(x, b), got):
        np.testing.assert_allclose(np.asarray(o), w, rtol=1e-12)


def test_pytensor_source_matches_the_reference(tmp_path):
    pytest.importorskip("pytensor")
    x_ = et.tensor("x", shape=("n",))
    y_ = et.tensor("y", shape=("n",))
    g = et.as_graph(et.log1p(et.exp(x_)) * y_ + et.sum(et.sigmoid(x_)) - et.where(
        x_ > 0.0, x_, y_))
    mod = _module(tmp_path, to_source(g, "pytensor", "model"), "pt_model")
    fn = mod.compile_function()
    x, y = np.linspace(-3, 3, 7), np.linspace(1, 2, 7)
    np.testing.assert_allclose(fn(x, y), et.compile(g, backend="numpy")(x, y), rtol=1e-12)


def test_input_names_that_are_not_identifiers_and_unknown_targets():
    from eqsat_tensor.ir import Graph, apply, input_node

    g = Graph(apply("add", input_node("lambda"), input_node("my var")))
    src = to_source(g, "numpy")
    compile(src, "<src>", "exec")
    assert "def optimized(arg, arg_1):" in src
    with pytest.raises(UnsupportedOperation, match="cobol"):
        to_source(g, "cobol")
