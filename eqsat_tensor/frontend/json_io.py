"""Graphs as JSON: ``dump``/``load`` (files) and ``dumps``/``loads`` (strings).

Schema (format ``"eqsat-tensor-graph"``, version 1; full description with an example in
``docs/json-format.md``)::

    {
      "format": "eqsat-tensor-graph",
      "version": 1,
      "nodes": [                  # topological order (graph inputs first when written)
        {"op": "input", "inputs": [], "attrs": {"name": "x"},
         "shape": ["n", 3], "dtype": "float64"},
        {"op": "constant", "inputs": [], "attrs": {"value": 1.0},
         "shape": [], "dtype": "float64"},
        {"op": "add", "inputs": [1, 0], "attrs": {}, "shape": ["n", 3], "dtype": "float64"},
        ...
      ],
      "inputs": [0],                          # node indices of the graph's inputs, in order
      "outputs": [2]                          # node indices of the outputs, in order
    }

* ``op`` is a name of the ops table (``eqsat_tensor.ir.OPS``); ``inputs`` are indices of
  *earlier* nodes; ``attrs`` holds exactly the op's attributes; ``shape`` lists ints and
  symbolic dim names; ``dtype`` is ``float32``, ``float64`` or ``bool``.
* Attribute values: ints, bools, strings and lists as plain JSON (``axis``, ``axes``,
  ``shape`` are lists). A float is a JSON number when finite and not ``-0.0``; otherwise
  ``{"float": "nan" | "inf" | "-inf" | "-0.0"}`` (a NaN with a non-default payload is
  ``{"float_bits": "<16 hex digits>"}``), so every float round-trips bit for bit.
  An array constant is ``{"array": {"dtype": ..., "shape": [...], "base64": ...}}`` with
  the little-endian C-order bytes; hand-written files may give ``"values"`` (a flat list
  of numbers or the special-float objects above) instead of ``"base64"``.
* Loading first validates the document against the JSON Schema of ``json_schema``
  (strict types, bounded numbers; errors name the JSON path, ``$.nodes[3].attrs``), then
  rebuilds every node through ``ir.apply`` and checks that the declared shape and
  dtype equal the inferred ones. Any problem raises ``GraphFormatError`` naming the node
  index and op; malformed JSON names the line and column.

``dumps`` writes one node per line, so diffs of two graphs are readable.
"""

from __future__ import annotations

import base64
import json
import math
import os
import struct
from typing import Any

import numpy as np

from ..errors import DTypeError, GraphFormatError, ShapeError
from ..ir import DTYPES, OPS, ArrayValue, Graph, Node, apply, constant_node, input_node

FORMAT = "eqsat-tensor-graph"
VERSION = 1

__all__ = ["FORMAT", "VERSION", "dump", "dumps", "load", "loads", "graph_to_json",
           "graph_from_json"]

_CANONICAL_NAN = struct.pack("<d", float("nan"))


# ---------------------------------------------------------------------------------------
# Writing.


def _encode_float(v: float) -> Any:
    if math.isnan(v):
        bits = struct.pack("<d", v)
        if bits == _CANONICAL_NAN:
            return {"float": "nan"}
        return {"float_bits": bits[::-1].hex()}
    if math.isinf(v):
        return {"float": "inf" if v > 0 else "-inf"}
    if v == 0.0 and math.copysign(1.0, v) < 0:
        return {"float": "-0.0"}
    return v


def _encode_attr(value: Any) -> Any:
    if isinstance(value, ArrayValue):
        arr = value.array
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)
        return {"array": {"dtype": arr.dtype.name, "shape": list(arr.shape),
                          "base64": base64.b64encode(data.tobytes()).decode("ascii")}}
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, tuple):
        return [_encode_attr(v) for v in value]
    return value


def graph_to_json(graph: Graph) -> dict[str, Any]:
    """The JSON-ready dict of ``graph`` (see the module docstring for the schema)."""
    # The graph's inputs first, in calling order, then every other node in topological order.
    first = {n.uid for n in graph.inputs}
    nodes = list(graph.inputs) + [n for n in graph.nodes() if n.uid not in first]
    index = {n.uid: k for k, n in enumerate(nodes)}
    out_nodes = []
    for n in nodes:
        out_nodes.append({"op": n.op, "inputs": [index[i.uid] for i in n.inputs],
                          "attrs": {k: _encode_attr(v) for k, v in n.attrs},
                          "shape": list(n.shape), "dtype": n.dtype})
    return {"format": FORMAT, "version": VERSION, "nodes": out_nodes,
            "inputs": [index[i.uid] for i in graph.inputs],
            "outputs": [index[o.uid] for o in graph.outputs]}


def dumps(graph: Any) -> str:
    """Serialize a Graph (or Tensor) to JSON text, one node per line."""
    from .tensor import as_graph

    doc = graph_to_json(as_graph(graph))

    def enc(obj: Any) -> str:
        return json.dumps(obj, allow_nan=False, separators=(", ", ": "))

    lines = ["{", f'  "format": {enc(doc["format"])},', f'  "version": {doc["version"]},',
             '  "nodes": [']
    nodes = doc["nodes"]
    for k, node in enumerate(nodes):
        lines.append("    " + enc(node) + ("," if k < len(nodes) - 1 else ""))
    lines += ["  ],", f'  "inputs": {enc(doc["inputs"])},',
              f'  "outputs": {enc(doc["outputs"])}', "}"]
    return "\n".join(lines) + "\n"


def dump(graph: Any, path: str | os.PathLike) -> None:
    """Write a Graph (or Tensor) as JSON to ``path``."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(dumps(graph))


# ---------------------------------------------------------------------------------------
# Reading and validation.


class _Bad(Exception):
    """A problem inside one node; ``graph_from_json`` adds the node index and op."""


def _decode_float(v: Any, what: str) -> float:
    if isinstance(v, bool):
        raise _Bad(f"{what}: expected a number, got {json.dumps(v)}")
    if isinstance(v, (int, float)):
        try:
            f = float(v)
        except OverflowError:
            f = math.inf
        if not math.isfinite(f):
            raise _Bad(f"{what}: the number overflows float64; write {{\"float\": \"inf\"}} "
                       "for infinity")
        return f
    if isinstance(v, dict) and set(v) == {"float"}:
        special = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-0.0": -0.0}
        if v["float"] in special:
            return special[v["float"]]
        raise _Bad(f"{what}: unknown special float {v['float']!r}; use nan, inf, -inf or -0.0")
    if isinstance(v, dict) and set(v) == {"float_bits"}:
        bits = v["float_bits"]
        if not (isinstance(bits, str) and len(bits) == 16):
            raise _Bad(f"{what}: float_bits must be 16 hex digits, got {bits!r}")
        try:
            return struct.unpack(">d", bytes.fromhex(bits))[0]
        except ValueError:
            raise _Bad(f"{what}: float_bits {bits!r} is not hex") from None
    raise _Bad(f"{what}: expected a number or a special float object, got {json.dumps(v)}")


def _decode_array(spec: Any) -> np.ndarray:
    if not isinstance(spec, dict) or "dtype" not in spec or "shape" not in spec:
        raise _Bad("array constant needs 'dtype', 'shape' and 'base64' or 'values'")
    dtype, shape = spec["dtype"], spec["shape"]
    if dtype not in DTYPES:
        raise _Bad(f"array constant dtype {dtype!r} is not one of {list(DTYPES)}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool)
                                              and d >= 0 for d in shape):
        raise _Bad(f"array constant shape must be a list of non-negative ints, got {shape!r}")
    size = math.prod(shape)
    np_dtype = np.dtype(dtype).newbyteorder("<") if dtype != "bool" else np.dtype(bool)
    if "base64" in spec:
        try:
            raw = base64.b64decode(spec["base64"], validate=True)
        except (ValueError, TypeError):
            raise _Bad("array constant: 'base64' is not valid base64") from None
        if len(raw) != size * np_dtype.itemsize:
            raise _Bad(f"array constant: {len(raw)} bytes for shape {shape} of {dtype} "
                       f"(expected {size * np_dtype.itemsize})")
        return np.frombuffer(raw, dtype=np_dtype).astype(dtype).reshape(shape)
    if "values" in spec:
        values = spec["values"]
        if not isinstance(values, list) or len(values) != size:
            raise _Bad(f"array constant: 'values' must be a flat list of {size} entries")
        if dtype == "bool":
            if not all(isinstance(v, bool) for v in values):
                raise _Bad("array constant: bool 'values' must be true/false")
            return np.array(values, dtype=bool).reshape(shape)
        return np.array([_decode_float(v, "array value") for v in values],
                        dtype=dtype).reshape(shape)
    raise _Bad("array constant needs 'base64' or 'values'")


def _is_dim(d: Any) -> bool:
    return (isinstance(d, int) and not isinstance(d, bool) and d >= 0) or (
        isinstance(d, str) and d.isidentifier())


def _shape(v: Any, what: str) -> tuple:
    if not isinstance(v, list) or not all(_is_dim(d) for d in v):
        raise _Bad(f"{what} must be a list of non-negative ints or dim names, got "
                   f"{json.dumps(v)}")
    return tuple(v)


def _int_tuple(v: Any, what: str) -> tuple[int, ...]:
    if not isinstance(v, list) or not all(isinstance(a, int) and not isinstance(a, bool)
                                          for a in v):
        raise _Bad(f"{what} must be a list of ints, got {json.dumps(v)}")
    return tuple(v)


def _axes(v: Any, rank: int, what: str) -> tuple[int, ...]:
    axes = _int_tuple(v, what)
    if list(axes) != sorted(set(axes)) or any(not 0 <= a < rank for a in axes):
        raise _Bad(f"{what} must be sorted distinct axes in [0, {rank}), got {list(axes)}")
    return axes


def _decode_attrs(op: str, attrs: Any, inputs: list[Node]) -> dict[str, Any]:
    spec = OPS[op]
    if not isinstance(attrs, dict):
        raise _Bad(f"'attrs' must be an object, got {json.dumps(attrs)}")
    if set(attrs) != set(spec.attrs):
        raise _Bad(f"attrs {sorted(attrs)} do not match the op's attributes {list(spec.attrs)}")
    out: dict[str, Any] = {}
    rank = inputs[0].ndim if inputs else 0
    for name, v in attrs.items():
        if name == "keepdims":
            if not isinstance(v, bool):
                raise _Bad(f"keepdims must be true or false, got {json.dumps(v)}")
            out[name] = v
        elif name == "axis" and spec.kind == "reduction":
            out[name] = _axes(v, rank, "axis")
        elif name == "axis" and spec.kind == "gather":  # (index) one axis of the operand
            target = attrs.get("shape")
            top = max([i.ndim for i in inputs] + [len(target) if isinstance(target, list)
                                                  else 0])
            out[name] = _axes(v, top, "axis")
        elif name == "slices":  # (index) [start, stop or null, step] per axis
            if not isinstance(v, list) or len(v) != rank or not all(
                    isinstance(t, list) and len(t) == 3 and all(
                        (type(b) is int) or (b is None and k == 1) for k, b in enumerate(t))
                    for t in v):
                raise _Bad(f"slices must be [start, stop or null, step] per axis, got "
                           f"{json.dumps(v)}")
            out[name] = tuple(tuple(t) for t in v)
        elif name == "axis":  # expand_dims: positions in the result
            out[name] = _axes(v, rank + len(v) if isinstance(v, list) else 0, "axis")
        elif name == "axes":
            axes = _int_tuple(v, "axes")
            if sorted(axes) != list(range(rank)):
                raise _Bad(f"axes {list(axes)} is not a permutation of range({rank})")
            out[name] = axes
        elif name == "shape":
            out[name] = _shape(v, "attr shape")
        elif name == "dtype":
            if v not in DTYPES:
                raise _Bad(f"cast dtype {v!r} is not one of {list(DTYPES)}")
            out[name] = v
        else:
            raise _Bad(f"unexpected attribute {name!r}")
    return out


def _leaf(op: str, raw: dict, shape: tuple, dtype: str) -> Node:
    attrs = raw.get("attrs", {})
    if not isinstance(attrs, dict) or set(attrs) != set(OPS[op].attrs):
        raise _Bad(f"attrs {sorted(attrs) if isinstance(attrs, dict) else attrs!r} do not "
                   f"match the op's attributes {list(OPS[op].attrs)}")
    if op == "input":
        name = attrs["name"]
        if not isinstance(name, str) or not name.isidentifier():
            raise _Bad(f"input name must be an identifier, got {json.dumps(name)}")
        return input_node(name, shape, dtype)
    value = attrs["value"]
    if isinstance(value, dict) and "array" in value:
        arr = _decode_array(value["array"])
        if arr.dtype.name != dtype:
            raise _Bad(f"array constant of dtype {arr.dtype.name} declared as {dtype}")
        return constant_node(arr, dtype)
    if dtype == "bool":
        if not isinstance(value, bool):
            raise _Bad(f"bool constant must be true or false, got {json.dumps(value)}")
        return constant_node(value, "bool")
    return constant_node(_decode_float(value, "constant value"), dtype)


def _node(k: int, raw: Any, nodes: list[Node]) -> Node:
    if not isinstance(raw, dict):
        raise _Bad(f"a node must be an object, got {json.dumps(raw)[:60]}")
    unknown = set(raw) - {"op", "inputs", "attrs", "shape", "dtype"}
    if unknown:
        raise _Bad(f"unknown field(s) {sorted(unknown)}")
    op = raw.get("op")
    if not isinstance(op, str) or op not in OPS:
        raise _Bad(f"unknown op {op!r}" if isinstance(op, str) else
                   f"'op' must be an op name, got {json.dumps(op)}")
    spec = OPS[op]
    missing = [f for f in ("shape", "dtype") if f not in raw]
    if missing:
        raise _Bad(f"missing field(s) {missing}")
    shape = _shape(raw["shape"], "shape")
    dtype = raw["dtype"]
    if dtype not in DTYPES:
        raise _Bad(f"dtype {dtype!r} is not one of {list(DTYPES)}")
    idx = raw.get("inputs", [])
    if not isinstance(idx, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                            for i in idx):
        raise _Bad(f"'inputs' must be a list of node indices, got {json.dumps(idx)}")
    for i in idx:
        if not 0 <= i < k:
            raise _Bad(f"input index {i} does not refer to an earlier node (nodes must be in "
                       f"topological order; this is node {k})")
    if len(idx) != spec.arity:
        raise _Bad(f"{op} takes {spec.arity} input(s), got {len(idx)}")
    if spec.kind == "leaf":
        node = _leaf(op, raw, shape, dtype)
    else:
        inputs = [nodes[i] for i in idx]
        attrs = _decode_attrs(op, raw.get("attrs", {}), inputs)
        try:
            node = apply(op, *inputs, **attrs)
        except (ShapeError, DTypeError) as exc:
            msg = str(exc).split(" (at ")[0]  # the loader's line is no use to the reader
            raise _Bad(msg) from None
    if node.shape != shape or node.dtype != dtype:
        raise _Bad(f"declared {dtype}{list(shape)} but the op gives "
                   f"{node.dtype}{list(node.shape)}")
    return node


def graph_from_json(doc: Any, source: str = "<json>") -> Graph:
    """Validate a parsed JSON document (against ``json_schema.schema()``, then the ops'
    shape and dtype rules) and rebuild its (hash-consed) Graph."""
    from .json_schema import NodeChecker, check_document

    if not isinstance(doc, dict):
        raise GraphFormatError(f"{source}: the top level must be an object")
    if doc.get("format") != FORMAT:
        raise GraphFormatError(f"{source}: 'format' must be {FORMAT!r}, got "
                               f"{doc.get('format')!r}")
    version = doc.get("version")
    if version != VERSION:
        raise GraphFormatError(f"{source}: unsupported version {version!r}; this eqsat-tensor "
                               f"reads version {VERSION}")
    for key in ("nodes", "inputs", "outputs"):
        if not isinstance(doc.get(key), list):
            raise GraphFormatError(f"{source}: {key!r} must be a list")
    check_document(doc, source)  # the JSON Schema: strict types, bounded numbers
    checker = NodeChecker()
    nodes: list[Node] = []
    for k, raw in enumerate(doc["nodes"]):
        op = raw.get("op") if isinstance(raw, dict) else None
        where = f"{source}: node {k}" + (f" ({op})" if isinstance(op, str) else "")
        try:
            nodes.append(_node(k, raw, nodes))
        except _Bad as exc:
            path = checker.error(k, raw)
            raise GraphFormatError(f"{where}: {exc}" + (f" [{path}]" if path else "")) from None
        path = checker.error(k, raw)
        if path:
            raise GraphFormatError(f"{where}: {path}")
    picked = {}
    for key in ("inputs", "outputs"):
        idx = doc[key]
        for i in idx:
            if not (isinstance(i, int) and not isinstance(i, bool) and 0 <= i < len(nodes)):
                raise GraphFormatError(f"{source}: {key}: {json.dumps(i)} is not a node index "
                                       f"(there are {len(nodes)} nodes)")
        picked[key] = [nodes[i] for i in idx]
    for i, n in zip(doc["inputs"], picked["inputs"]):
        if n.op != "input":
            raise GraphFormatError(f"{source}: inputs: node {i} is a {n.op}, not an input")
    if not picked["outputs"]:
        raise GraphFormatError(f"{source}: 'outputs' is empty")
    try:
        return Graph(picked["outputs"], picked["inputs"])
    except ValueError as exc:
        raise GraphFormatError(f"{source}: {exc}") from None


def loads(text: str | bytes, source: str = "<string>") -> Graph:
    """Parse and validate JSON text; returns the Graph (``GraphFormatError`` if invalid)."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        raise GraphFormatError(f"{source}:{exc.lineno}:{exc.colno}: malformed JSON: "
                               f"{exc.msg}") from None
    except UnicodeDecodeError as exc:
        raise GraphFormatError(f"{source}: not UTF-8 text ({exc.reason} at byte "
                               f"{exc.start})") from None
    except (RecursionError, MemoryError):
        raise GraphFormatError(f"{source}: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. Python's limit on digits of an integer
        raise GraphFormatError(f"{source}: {exc}") from None
    except _Bad as exc:
        raise GraphFormatError(f"{source}: {exc}") from None
    return graph_from_json(doc, source)


def _parse_int(text: str) -> Any:
    """Integers as ints; one too long for any field becomes inf, which the schema rejects
    at its JSON path (as it does a float literal like 1e999)."""
    return int(text) if len(text) <= 400 else math.inf


def _reject_constant(name: str) -> Any:
    raise _Bad(f"bare {name} is not JSON; write {{\"float\": \"nan\"}} (or inf, -inf)")


def load(path: str | os.PathLike) -> Graph:
    """Read and validate a JSON graph file (``GraphFormatError`` names file, node, problem)."""
    with open(path, "rb") as fh:
        data = fh.read()
    return loads(data, source=os.fspath(path))
