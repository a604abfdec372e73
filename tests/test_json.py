"""JSON format: round trips are the identity; every float and array survives bit for bit."""

from __future__ import annotations

import json
import math
import re
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import eqsat_tensor as et
from eqsat_tensor.errors import GraphFormatError
from eqsat_tensor.frontend import json_io
from eqsat_tensor.ir import Graph, constant_node
from eqsat_tensor.testing import examples
from eqsat_tensor.testing.strategies import ALL_OPS, graphs


@settings(max_examples=examples(60))
@given(graphs(max_nodes=50, ops=ALL_OPS))
def test_random_graph_round_trip_is_identity(graph):
    text = et.dumps(graph)
    loaded = et.loads(text)
    assert loaded == graph
    assert all(a is b for a, b in zip(loaded.nodes(), graph.nodes()))
    assert loaded.fingerprint() == graph.fingerprint()
    assert et.dumps(loaded) == text


def test_schema_header_and_one_node_per_line():
    x = et.tensor("x", ("n", 3))
    text = et.dumps(et.log(1 + et.exp(x)))
    doc = json.loads(text)
    assert doc["format"] == "eqsat-tensor-graph" and doc["version"] == json_io.VERSION
    assert doc["nodes"][0] == {"op": "input", "inputs": [], "attrs": {"name": "x"},
                               "shape": ["n", 3], "dtype": "float64"}
    assert doc["inputs"] == [0] and doc["outputs"] == [len(doc["nodes"]) - 1]
    assert len(text.splitlines()) == len(doc["nodes"]) + 8


@pytest.mark.parametrize("value", [
    math.inf, -math.inf, math.nan, -0.0, 0.0, 5e-324, -5e-324, 1.7976931348623157e308,
    0.1, -2.5e-310, struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000ABC))[0],
    struct.unpack("<d", struct.pack("<Q", 0xFFF8000000000000))[0],
])
def test_special_scalar_constants_round_trip_bitwise(value):
    g = Graph(constant_node(value))
    loaded = et.loads(et.dumps(g))
    got = loaded.outputs[0].attr("value")
    assert struct.pack("<d", got) == struct.pack("<d", value)
    assert loaded == g


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_array_constants_round_trip_bitwise(dtype):
    arr = np.array([[np.inf, -np.inf, np.nan], [-0.0, np.finfo(dtype).smallest_subnormal,
                                                  np.finfo(dtype).max]], dtype=dtype)
    x = et.tensor("x", (2, 3), dtype)
    g = (x + arr).graph()
    loaded = et.loads(et.dumps(g))
    assert loaded == g
    const = next(n for n in loaded.nodes() if n.op == "constant")
    assert const.value.dtype == np.dtype(dtype)
    assert const.value.tobytes() == arr.tobytes()


def test_bool_and_empty_constants_and_symbolic_dims():
    x = et.tensor("x", ("n", 0))
    mask = et.constant(np.zeros((0,), dtype=bool))
    g = et.Graph([et.where(mask, x, 1.0).node, et.sum(x, axis=1).node])
    assert et.loads(et.dumps(g)) == g


def test_unused_inputs_and_multiple_outputs_keep_order():
    x, y, z = et.tensor("x", (2,)), et.tensor("y", (2,)), et.tensor("z", (), "float32")
    g = Graph([(x * y).node, et.exp(x).node, (x * y).node], [z.node, y.node, x.node])
    loaded = et.loads(et.dumps(g))
    assert loaded == g and loaded.input_names == ("z", "y", "x")
    assert loaded.outputs[0] is loaded.outputs[2]


def test_hand_written_values_form_is_accepted():
    text = json.dumps({
        "format": "eqsat-tensor-graph", "version": 1,
        "nodes": [
            {"op": "input", "inputs": [], "attrs": {"name": "x"}, "shape": [3],
             "dtype": "float64"},
            {"op": "constant", "inputs": [],
             "attrs": {"value": {"array": {"dtype": "float64", "shape": [3],
                                           "values": [1, {"float": "-inf"}, 2.5]}}},
             "shape": [3], "dtype": "float64"},
            {"op": "mul", "inputs": [0, 1], "attrs": {}, "shape": [3], "dtype": "float64"},
        ],
        "inputs": [0], "outputs": [2]})
    g = et.loads(text)
    x = et.tensor("x", (3,))
    assert g == (x * np.array([1.0, -np.inf, 2.5])).graph()


def test_dump_and_load_files(tmp_path):
    x = et.tensor("x", (4, 3))
    g = et.sum(et.exp(x) @ np.ones((3, 2)), axis=0).graph()
    path = tmp_path / "g.json"
    et.dump(g, path)
    assert et.load(path) == g
    assert et.load(str(path)) == g


def test_dumps_accepts_a_tensor():
    x = et.tensor("x", (2,))
    assert et.loads(et.dumps(et.exp(x))) == et.exp(x).graph()


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 12) | st.floats(allow_nan=False,
                                                                 allow_infinity=False)
    | st.sampled_from(["x", "n", "add", "float64", "bool", "nan", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["op", "inputs", "attrs", "shape", "dtype", "value", "float", "array",
                         "axis", "keepdims", "name"]), inner, max_size=3),
    max_leaves=6)


@settings(max_examples=examples(80))
@given(graphs(max_nodes=12), st.data())
def test_mutated_documents_load_or_raise_graph_format_error(graph, data):
    doc = json.loads(et.dumps(graph))
    k = data.draw(st.integers(0, len(doc["nodes"]) - 1), label="node")
    field = data.draw(st.sampled_from(["op", "inputs", "attrs", "shape", "dtype", "extra"]))
    value = data.draw(_JSON_VALUES, label="value")
    if field == "attrs" and doc["nodes"][k]["attrs"] and data.draw(st.booleans()):
        name = data.draw(st.sampled_from(sorted(doc["nodes"][k]["attrs"])))
        doc["nodes"][k]["attrs"][name] = value
    else:
        doc["nodes"][k][field] = value
    try:
        loaded = et.loads(json.dumps(doc))
    except GraphFormatError as exc:
        # The mutated node, or a later one whose declared shape no longer fits, is named.
        named = [int(i) for i in re.findall(r"node (\d+)", str(exc))]
        assert any(i >= k for i in named) or "inputs" in str(exc) or "outputs" in str(exc)
    else:
        # Accepted: then it is a valid graph that round-trips.
        assert et.loads(et.dumps(loaded)) == loaded


@settings(max_examples=examples(60))
@given(st.text(max_size=40) | st.sampled_from(["[]", "{}", "null", '{"format": 1}', "1e999"]))
def test_arbitrary_text_loads_or_raises_graph_format_error(text):
    with pytest.raises(GraphFormatError):
        et.loads(text)
