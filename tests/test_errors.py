"""Bad input gives a named error with a message that says what and where."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.errors import DTypeError, GraphFormatError, ShapeError, UnsupportedOperation

HERE = "test_errors.py:"


# -- shapes ----------------------------------------------------------------------------------


def test_shape_mismatch_names_op_shapes_and_user_line():
    x, y = et.tensor("x", (3, 4)), et.tensor("y", (5,))
    with pytest.raises(ShapeError) as info:
        x + y
    msg = str(info.value)
    assert "add" in msg and "(3, 4)" in msg and "(5,)" in msg and HERE in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_shape_mismatch_inside_traced_numpy_code_points_at_that_line():
    def f(a, b):
        return np.exp(a) @ b  # the line the error must name

    with pytest.raises(ShapeError) as info:
        et.jit(f, backend="numpy")(np.ones((2, 3)), np.ones((4, 2)))
    msg = str(info.value)
    assert "matmul" in msg and "(2, 3)" in msg and "(4, 2)" in msg
    assert HERE in msg and "inner dimensions differ (3 vs 4)" in msg


@pytest.mark.parametrize("make, pattern", [
    (lambda x: et.sum(x, axis=3), r"sum: axis 3 is out of range for an array of rank 2"),
    (lambda x: et.mean(x, axis=(0, 0)), r"mean: repeated axis"),
    (lambda x: x.reshape(5, 5), r"reshape: .*cannot reshape"),
    (lambda x: et.broadcast_to(x, (4, 3)), r"cannot broadcast \(2, 3\) to \(4, 3\)"),
    (lambda x: et.transpose(x, (0, 0)), r"not a permutation"),
    (lambda x: et.squeeze(x, 0), r"squeeze: axis 0 of shape \(2, 3\) is not 1"),
    (lambda x: x @ 2.0, r"matmul does not take scalars"),
])
def test_other_shape_errors(make, pattern):
    with pytest.raises(ShapeError, match=pattern):
        make(et.tensor("x", (2, 3)))


# -- dtypes ----------------------------------------------------------------------------------


def test_wrong_dtype_errors():
    with pytest.raises(DTypeError, match="dtype int16 is not supported"):
        et.tensor("i", (2,), "int16")
    x = et.tensor("x", (2,))
    with pytest.raises(DTypeError, match=r"exp: .*bool"):
        et.exp(x > 0)
    with pytest.raises(DTypeError, match="complex128"):
        x + np.array([1j, 2j])

    @et.jit(backend="numpy")
    def f(a):
        return a * 2

    with pytest.raises(DTypeError, match=r"argument 'a' has dtype int16.*astype"):
        f(np.arange(3, dtype=np.int16))
    with pytest.raises(DTypeError, match="complex"):
        f(np.ones(2, complex))


# -- the tracer ------------------------------------------------------------------------------


@pytest.mark.parametrize("body, name", [
    (lambda x: np.argpartition(x, 1), "np.argpartition"),
    (lambda x: np.linalg.eigvalsh(x), "np.linalg.eigvalsh"),  # inv: traced (n <= 4)
    (lambda x: np.nancumsum(x), "np.nancumsum"),
    (lambda x: np.add.reduceat(x, [0, 1]), "np.add.reduceat"),  # accumulate: traced
    (lambda x: np.frexp(x), "np.frexp"),
    (lambda x: x[x > 0], "boolean-mask indexing"),  # x[0] is traced (issue 18)
    (lambda x: x if x.sum() > 0 else -x, "bool() of a traced value"),
    (lambda x: float(x.sum()), "float() of a traced value"),
    (lambda x: np.exp(x, out=x), "out="),
    (lambda x: np.var(x, where=x > 0), "where="),
])
def test_unsupported_numpy_functions_name_the_function(body, name):
    fn = et.jit(body, backend="numpy")
    with pytest.raises(UnsupportedOperation) as info:
        fn(np.ones(3))
    assert name in str(info.value)


def test_unsupported_function_error_names_user_line():
    def f(x):
        return np.argpartition(x, 1)

    with pytest.raises(UnsupportedOperation, match=HERE):
        et.jit(f, backend="numpy")(np.ones(3))


def test_jit_rejects_star_args():
    with pytest.raises(UnsupportedOperation, match=r"\*args"):
        et.jit(lambda *xs: xs[0])


# -- JSON ------------------------------------------------------------------------------------


def _doc() -> dict:
    x = et.tensor("x", (2, 3))
    return json.loads(et.dumps(et.sum(et.exp(x) * 2.0, axis=1)))


def _load(doc) -> None:
    et.loads(json.dumps(doc) if not isinstance(doc, str) else doc)


def _edit(fn):
    doc = copy.deepcopy(_doc())
    fn(doc)
    return doc


def test_the_fixture_document_is_valid():
    _load(_doc())
    assert [n["op"] for n in _doc()["nodes"]] == ["input", "exp", "constant", "mul", "sum"]


@pytest.mark.parametrize("edit, pattern", [
    (lambda d: d["nodes"][1].update(op="frobnicate"), r"node 1 \(frobnicate\): unknown op"),
    (lambda d: d["nodes"][3].update(inputs=[1, 4]),
     r"node 3 \(mul\): input index 4 does not refer to an earlier node"),
    (lambda d: d["nodes"][3].update(inputs=[1]), r"node 3 \(mul\): mul takes 2 input\(s\), got 1"),
    (lambda d: d["nodes"][4]["attrs"].pop("keepdims"), r"node 4 \(sum\): attrs \['axis'\]"),
    (lambda d: d["nodes"][4]["attrs"].update(axis=[5]), r"node 4 \(sum\): axis must be sorted"),
    (lambda d: d["nodes"][4]["attrs"].update(keepdims=1), r"node 4 \(sum\): keepdims must be"),
    (lambda d: d["nodes"][4].update(shape=[3]),
     r"node 4 \(sum\): declared float64\[3\] but the op gives float64\[2\]"),
    (lambda d: d["nodes"][1].update(dtype="float32"),
     r"node 1 \(exp\): declared float32\[2, 3\] but the op gives float64\[2, 3\]"),
    (lambda d: d["nodes"][0].update(dtype="int8"), r"node 0 \(input\): dtype 'int8'"),
    (lambda d: d["nodes"][0].update(shape=[2, -1]), r"node 0 \(input\): shape must be"),
    (lambda d: d["nodes"][2]["attrs"].update(value="two"),
     r"node 2 \(constant\): constant value: expected a number"),
    (lambda d: d["nodes"][2]["attrs"].update(value={"float": "NaN!"}),
     r"node 2 \(constant\): .*unknown special float"),
    (lambda d: d["nodes"][1].update(colour="red"), r"node 1 \(exp\): unknown field"),
    (lambda d: d["nodes"].append(7), r"node 5: a node must be an object"),
    (lambda d: d.update(version=99), r"unsupported version 99"),
    (lambda d: d.update(format="onnx"), r"'format' must be 'eqsat-tensor-graph'"),
    (lambda d: d.update(outputs=[9]), r"outputs: 9 is not a node index"),
    (lambda d: d.update(inputs=[1]), r"inputs: node 1 is a exp, not an input"),
    (lambda d: d.update(inputs=[]), r"inputs not listed"),
    (lambda d: d.update(nodes={}), r"'nodes' must be a list"),
])
def test_bad_json_graphs_name_the_node(edit, pattern):
    with pytest.raises(GraphFormatError, match=pattern):
        _load(_edit(edit))


def test_shape_error_in_json_names_the_node():
    def leaf(name, shape):
        return {"op": "input", "inputs": [], "attrs": {"name": name}, "shape": shape,
                "dtype": "float64"}

    doc = {"format": "eqsat-tensor-graph", "version": 1,
           "nodes": [leaf("x", [2, 4]), leaf("y", [5]),
                     {"op": "add", "inputs": [0, 1], "attrs": {}, "shape": [2, 4],
                      "dtype": "float64"}],
           "inputs": [0, 1], "outputs": [2]}
    with pytest.raises(GraphFormatError, match=r"node 2 \(add\): add: operand shapes "
                                               r"\(2, 4\), \(5,\): shapes cannot be broadcast"):
        _load(doc)


def test_malformed_json_names_line_and_column():
    text = et.dumps(et.exp(et.tensor("x", (2,))))
    broken = text.replace('"op": "exp",', '"op": "exp"', 1)
    line = next(k for k, t in enumerate(broken.splitlines(), 1) if '"op": "exp"' in t)
    with pytest.raises(GraphFormatError, match=rf"<string>:{line}:\d+: malformed JSON"):
        et.loads(broken)
    with pytest.raises(GraphFormatError, match="bare NaN is not JSON"):
        et.loads('{"a": NaN}')


def test_load_names_the_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{\n  oops\n}\n")
    with pytest.raises(GraphFormatError, match=r"bad\.json:2:3: malformed JSON"):
        et.load(path)


def test_json_that_is_not_text_or_too_deep():
    with pytest.raises(GraphFormatError, match="not UTF-8"):
        et.loads(b"\xff\xfe{")
    with pytest.raises(GraphFormatError, match="nested too deeply|malformed JSON"):
        et.loads("[" * 100_000)


def test_jit_function_returning_none():
    with pytest.raises(UnsupportedOperation, match="returned None"):
        et.jit(lambda x: None, backend="numpy")(np.ones(2))
