"""The IR: hash-consing, shape/dtype inference, Graph, fingerprints, printing, big graphs."""

from __future__ import annotations

import inspect
import math
import sys

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import numpy_ref
from eqsat_tensor.errors import DTypeError, ShapeError
from eqsat_tensor.ir import OPS, Graph, apply, constant_node, input_node, topological_order


def test_hash_consing_shares_structurally_equal_nodes():
    x = et.tensor("x", (3,))
    a = et.log(1 + et.exp(x))
    b = et.log(1 + et.exp(x))
    assert a.node is b.node
    assert (x * 2.0).node is (x * 2.0).node
    assert (x * 2.0).node is not (x * 3.0).node


def test_leaves_differ_by_shape_dtype_and_sign_of_zero():
    assert input_node("x", (3,)) is not input_node("x", (4,))
    assert input_node("x", (3,), "float32") is not input_node("x", (3,), "float64")
    assert constant_node(2.0, "float32") is not constant_node(2.0, "float64")
    assert constant_node(0.0) is not constant_node(-0.0)
    assert constant_node(float("nan")) is constant_node(float("nan"))
    arr = np.arange(3.0)
    assert constant_node(arr) is constant_node(arr.copy())
    assert constant_node(arr) is not constant_node(arr[::-1])


def test_nodes_are_immutable():
    x = et.tensor("x", (2,))
    with pytest.raises(AttributeError):
        x.node.op = "y"


@pytest.mark.parametrize("a, b, out", [
    ((3, 1), (4,), (3, 4)), ((), (2, 3), (2, 3)), (("n", 1), (1, 5), ("n", 5)),
    (("n",), ("n",), ("n",)), ((0, 3), (1, 3), (0, 3)), ((1,), (0,), (0,)),
])
def test_broadcasting(a, b, out):
    assert (et.tensor("a", a) + et.tensor("b", b)).shape == out


@pytest.mark.parametrize("axis, keepdims, out", [
    (None, False, ()), (None, True, (1, 1, 1)), (1, False, (2, 4)), (-1, True, (2, 3, 1)),
    ((0, 2), False, (3,)), ((0, -1), True, (1, 3, 1)), ((), False, (2, 3, 4)),
])
def test_reduction_shapes(axis, keepdims, out):
    x = et.tensor("x", (2, 3, 4))
    for fn in (et.sum, et.mean, et.max, et.min, et.prod, et.logsumexp):
        assert fn(x, axis=axis, keepdims=keepdims).shape == out


@pytest.mark.parametrize("a, b, out", [
    ((2, 3), (3, 4), (2, 4)), ((3,), (3, 4), (4,)), ((2, 3), (3,), (2,)), ((3,), (3,), ()),
    ((5, 2, 3), (3, 4), (5, 2, 4)), ((1, 2, 3), (6, 3, 4), (6, 2, 4)), (("n", 3), (3, "m"), ("n", "m")),
])
def test_matmul_shapes(a, b, out):
    assert (et.tensor("a", a) @ et.tensor("b", b)).shape == out


def test_layout_shapes_and_bool_layouts():
    x = et.tensor("x", (2, 3, 4))
    assert x.T.shape == (4, 3, 2)
    assert et.transpose(x, (1, 0, 2)).shape == (3, 2, 4)
    assert x.reshape(6, 4).shape == (6, 4)
    assert x.reshape(-1).shape == (24,)
    assert et.expand_dims(x, (0, 4)).shape == (1, 2, 3, 4, 1)
    assert et.broadcast_to(et.tensor("y", (3, 1)), (2, 3, 5)).shape == (2, 3, 5)
    mask = x > 0
    assert mask.T.dtype == np.bool_ and mask.reshape(24).dtype == np.bool_


def test_dtype_rules():
    x32, x64 = et.tensor("a", (2,), "float32"), et.tensor("b", (2,), "float64")
    assert (x32 + x32).dtype == np.float32
    assert (x32 + x64).dtype == np.float64
    assert (x32 * 2.0).dtype == np.float32  # Python scalars are weak, as in NumPy
    a32 = np.ones(2, np.float32)
    assert (x32 + np.float64(2.0)).dtype == (a32 + np.float64(2.0)).dtype  # NEP 50: strong
    assert (x32 + np.ones(2)).dtype == np.float64  # arrays are not
    assert (x32 < x64).dtype == np.bool_
    assert et.where(x32 > 0, x32, 0.0).dtype == np.float32
    assert et.cast(x32, "float64").dtype == np.float64


def test_symbolic_dims_survive_ops():
    x = et.tensor("x", ("n", 3))
    w = et.tensor("w", (3,))
    y = et.sum(et.exp(x * w), axis=1, keepdims=True)
    assert y.shape == ("n", 1)
    with pytest.raises(ShapeError):
        et.tensor("z", ("m", 3)) + x


def test_apply_checks_arity_and_attrs():
    x = input_node("x", (2,))
    with pytest.raises(TypeError, match="add takes 2 inputs"):
        apply("add", x)
    with pytest.raises(TypeError, match="attributes"):
        apply("sum", x)
    with pytest.raises(KeyError, match="unknown op"):
        apply("frobnicate", x)
    with pytest.raises(DTypeError, match="bool"):
        apply("exp", apply("less", x, x))


def test_ops_table_is_complete():
    for name, spec in OPS.items():
        assert spec.name == name
        assert spec.kind in ("leaf", "elementwise", "reduction", "matmul", "layout", "gather",
                             "scan")
        if spec.kind != "leaf":
            assert callable(spec.reference), name
    required = {"add", "sub", "mul", "div", "neg", "pow", "exp", "log", "log1p", "expm1", "sqrt",
                "abs", "square", "reciprocal", "sin", "cos", "tan", "tanh", "sigmoid",
                "softplus", "maximum", "minimum", "where", "less", "equal", "sum", "mean",
                "max", "min", "prod", "logsumexp", "matmul", "transpose", "reshape",
                "broadcast_to", "expand_dims", "input", "constant"}
    assert required <= set(OPS)


def test_graph_inputs_order_users_and_counts():
    x, y = et.tensor("x", (3,)), et.tensor("y", (3,))
    t = et.exp(x)
    g = Graph([(t + t * y).node], [y.node, x.node])
    assert g.input_names == ("y", "x")
    nodes = g.nodes()
    pos = {n.uid: k for k, n in enumerate(nodes)}
    assert all(pos[i.uid] < pos[n.uid] for n in nodes for i in n.inputs)
    assert g.users()[t.node.uid] == 2
    assert g.op_counts() == {"input": 2, "exp": 1, "mul": 1, "add": 1}
    assert Graph(t.node).input_names == ("x",)
    unused = Graph(t.node, [x.node, y.node])  # an input the outputs do not use is kept
    assert unused.input_names == ("x", "y")
    with pytest.raises(ValueError, match="not listed"):
        Graph((x + y).node, [x.node])


def test_fingerprint_is_stable_and_discriminating():
    x = et.tensor("x", (3,))
    g1, g2 = Graph(et.exp(x).node), Graph(et.exp(x).node)
    assert g1 == g2 and g1.fingerprint() == g2.fingerprint()
    assert len(g1.fingerprint()) == 64
    assert Graph(et.log(x).node).fingerprint() != g1.fingerprint()
    assert Graph((x + 0.0).node).fingerprint() != Graph((x + -0.0).node).fingerprint()
    assert Graph(et.exp(et.tensor("x", (4,))).node).fingerprint() != g1.fingerprint()
    y32, y64 = et.tensor("y", (3,), "float32"), et.tensor("y", (3,))
    fa = Graph(et.exp(x).node, [x.node, y32.node]).fingerprint()
    fb = Graph(et.exp(x).node, [x.node, y64.node]).fingerprint()
    assert fa != fb  # unused inputs count, with their dtype


def test_str_names_shared_subexpressions():
    x, y = et.tensor("x", (3,)), et.tensor("y", (3,))
    t = et.exp(x)
    assert str(et.log(1 + t) * y) == "log(1 + exp(x)) * y"
    text = str(et.log(1 + t) * t)
    assert text.splitlines() == ["t1 = exp(x)", "log(1 + t1) * t1"]
    assert str(x - (y - 1.0)) == "x - (y - 1)"
    assert str(-x ** 2.0) == "-x ** 2"
    assert str(et.sum(x * -0.0, axis=0, keepdims=True)) == "sum(x * -0.0, keepdims=True)"
    assert str(et.Graph([x.node, (x + y).node])) == "(x, x + y)"


def test_to_dot_is_graphviz_source():
    x = et.tensor("x", (3,))
    dot = Graph(et.log(1 + et.exp(x)).node).to_dot()
    assert dot.startswith('digraph "G"') and dot.rstrip().endswith("}")
    assert "exp" in dot and "log" in dot and "float64(3,)" in dot


def _chain(n: int) -> et.Tensor:
    x = et.tensor("x", (4,))
    t = x
    for i in range(n // 3):
        t = et.sin(t) * 0.5 + x if i % 2 else et.tanh(t) - 0.25
    return t


@pytest.fixture
def shallow_stack():
    """A recursion limit far below the graph depth: any recursive walk would fail."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack()) + 250)
    yield
    sys.setrecursionlimit(old)


def test_ten_thousand_node_graph_without_recursion(shallow_stack):
    t = _chain(15_000)
    assert t.node.depth > 5_000
    g = t.graph()
    assert len(g) >= 10_000
    assert g.nodes()[-1] is t.node
    assert len(g.fingerprint()) == 64
    text = str(g)
    assert len(text.splitlines()) > 10  # long chains are cut into named pieces
    assert g.to_dot().count("->") > 10_000
    loaded = et.loads(et.dumps(g))
    assert loaded == g and loaded.fingerprint() == g.fingerprint()
    x = np.linspace(-1, 1, 4)
    (out,) = numpy_ref.evaluate(g, [x])
    assert out.shape == (4,) and np.isfinite(out).all()
    assert len(topological_order([t.node])) == len(g)


def test_depth_is_tracked():
    t = _chain(30)
    assert t.node.depth == max(i.depth for i in t.node.inputs) + 1
    assert math.isfinite(t.node.depth)


def test_hash_consing_is_thread_safe():
    from concurrent.futures import ThreadPoolExecutor

    def build(_):
        x = et.tensor("x", (3,))
        t = x
        for _ in range(300):
            t = et.exp(t) * 0.5 + x
        return t.node

    with ThreadPoolExecutor(4) as pool:
        nodes = list(pool.map(build, range(8)))
    assert all(n is nodes[0] for n in nodes)
