"""The JSON Schema (draft 2020-12) of the graph format, built from the ops table, and its
validator (``jsonschema``).

``schema()`` is the published schema (``eqsat-tensor schema`` prints it; the format is
described in ``docs/json-format.md``). ``validate(doc)`` checks a parsed document against
it and raises ``GraphFormatError`` naming the JSON path of the first error
(``$.nodes[3].attrs.axis``). Types are strict: an integer is a JSON integer (``1.0`` and
``true`` are not ``1``), and numbers are bounded (finite float64; dims and axes below
2**31; array constants at most ``MAX_ARRAY_ELEMENTS`` elements).

Each node is checked against the schema of its own op (``$defs/op-NAME``), chosen by the
node's ``op`` in a lookup, so validation stays linear and cheap on
200,000-node graphs (nodes that differ only in their input indices are validated once).
What a schema cannot say (shapes that agree, indices of earlier
nodes) is checked by the loader after this.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ..errors import GraphFormatError
from ..ir import DTYPES, OPS

SCHEMA_ID = "https://eqsat-tensor.invalid/schema/graph-v1.json"
MAX_DIM = 2**31 - 1
MAX_ARRAY_ELEMENTS = 1 << 22
FLOAT_MAX = 1.7976931348623157e308

_INT = {"type": "integer"}
_DIM = {"oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_DIM},
                  {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
                   "maxLength": 256}]}
_SHAPE = {"type": "array", "items": _DIM, "maxItems": 64}
_AXES = {"type": "array", "items": {"type": "integer", "minimum": -64, "maximum": 64},
         "maxItems": 64}
_FLOAT = {"oneOf": [
    {"type": "number", "minimum": -FLOAT_MAX, "maximum": FLOAT_MAX},
    {"type": "object", "properties": {"float": {"enum": ["nan", "inf", "-inf", "-0.0"]}},
     "required": ["float"], "additionalProperties": False},
    {"type": "object", "properties": {"float_bits": {"type": "string",
                                                     "pattern": "^[0-9a-fA-F]{16}$"}},
     "required": ["float_bits"], "additionalProperties": False},
]}
_ARRAY = {"type": "object", "required": ["array"], "additionalProperties": False,
          "properties": {"array": {
              "type": "object", "required": ["dtype", "shape"], "additionalProperties": False,
              "properties": {
                  "dtype": {"enum": list(DTYPES)},
                  "shape": {"type": "array", "maxItems": 64,
                            "items": {"type": "integer", "minimum": 0,
                                      "maximum": MAX_ARRAY_ELEMENTS}},
                  "base64": {"type": "string",
                             "maxLength": 4 * ((8 * MAX_ARRAY_ELEMENTS + 2) // 3)},
                  "values": {"type": "array", "maxItems": MAX_ARRAY_ELEMENTS,
                             "items": {"oneOf": [_FLOAT, {"type": "boolean"}]}}},
              "oneOf": [{"required": ["base64"]}, {"required": ["values"]}]}}}
_ATTRS: dict[str, Any] = {
    "axis": _AXES, "axes": _AXES, "keepdims": {"type": "boolean"}, "shape": _SHAPE,
    "dtype": {"enum": list(DTYPES)},
    "name": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 256},
    "value": {"oneOf": [_FLOAT, {"type": "boolean"}, _ARRAY]},
    "slices": {"type": "array", "maxItems": 64, "items": {  # (index) start, stop, step
        "type": "array", "minItems": 3, "maxItems": 3,
        "items": {"oneOf": [{"type": "integer"}, {"type": "null"}]}}},
}


def _op_schema(op: str) -> dict[str, Any]:
    spec = OPS[op]
    attrs = {a: _ATTRS.get(a, {}) for a in spec.attrs}
    return {
        "type": "object",
        "required": ["op", "shape", "dtype"] + (["attrs"] if spec.attrs else []),
        "additionalProperties": False,
        "properties": {
            "op": {"const": op},
            "inputs": {"type": "array", "minItems": spec.arity, "maxItems": spec.arity,
                       "items": {"type": "integer", "minimum": 0}},
            "attrs": {"type": "object", "properties": attrs, "required": list(spec.attrs),
                      "additionalProperties": False},
            "shape": _SHAPE,
            "dtype": {"enum": list(DTYPES)},
        },
    }


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of a graph document (format version 1)."""
    defs = {f"op-{op}": _op_schema(op) for op in OPS}
    node = {
        "type": "object",
        "required": ["op"],
        "properties": {"op": {"enum": sorted(OPS)}},
        # one branch per op, selected by the op's name
        "allOf": [{"if": {"properties": {"op": {"const": op}}},
                   "then": {"$ref": f"#/$defs/op-{op}"}} for op in OPS],
    }
    defs["node"] = node
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "eqsat-tensor graph",
        "type": "object",
        "required": ["format", "version", "nodes", "inputs", "outputs"],
        "additionalProperties": False,
        "properties": {
            "format": {"const": "eqsat-tensor-graph"},
            "version": {"type": "integer", "const": 1},
            "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "inputs": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "outputs": {"type": "array", "minItems": 1,
                        "items": {"type": "integer", "minimum": 0}},
        },
        "$defs": defs,
    }


@functools.lru_cache(maxsize=1)
def _validators() -> tuple[Any, dict[str, Any]]:
    """A validator of the document without its nodes, and one per op for the nodes."""
    import jsonschema
    from jsonschema import validators

    base = jsonschema.Draft202012Validator
    # Strict integers: JSON's 1.0 is not the integer 1 (jsonschema's default accepts it),
    # and a bool is never a number.
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
    strict = validators.extend(base, type_checker=checker)
    full = schema()
    top = dict(full, properties=dict(full["properties"], nodes={"type": "array"}))
    per_op = {op: strict(dict(full["$defs"][f"op-{op}"], **{"$defs": full["$defs"]}))
              for op in OPS}
    return strict(top), per_op


def _path(prefix: str, error: Any) -> str:
    out = prefix
    for p in error.absolute_path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _first(validator: Any, doc: Any) -> Any:
    from jsonschema.exceptions import best_match

    return best_match(validator.iter_errors(doc))


def check_document(doc: Any, source: str = "<json>") -> None:
    """Check ``doc`` against ``schema()`` except the nodes' contents (``node_error``);
    ``GraphFormatError`` names the JSON path of the first error."""
    top, _ = _validators()
    err = _first(top, doc)
    if err is not None:
        raise GraphFormatError(f"{source}: {_path('$', err)}: {err.message}")


class NodeChecker:
    """Checks nodes against their op's schema; nodes that differ only in their input
    indices are validated once."""

    def __init__(self) -> None:
        self.per_op = _validators()[1]
        self.seen: set[str] = set()

    def error(self, k: int, node: Any) -> str | None:
        """``"$.nodes[k].attrs.axis: <what is wrong>"`` for node ``k``, or None if valid
        (or if its op is unknown, which the loader reports itself)."""
        op = node.get("op") if isinstance(node, dict) else None
        v = self.per_op.get(op) if isinstance(op, str) else None
        if v is None:
            return None if isinstance(op, str) else \
                f"$.nodes[{k}]: a node must be an object with an 'op' naming an op"
        inputs = node.get("inputs")
        key = None
        if isinstance(inputs, list) and all(type(i) is int and i >= 0 for i in inputs):
            try:
                key = json.dumps([len(inputs), {f: x for f, x in node.items() if f != "inputs"}],
                                 sort_keys=True)
            except (TypeError, ValueError):
                key = None
            if key in self.seen:
                return None
        err = _first(v, node)
        if err is not None:
            return f"{_path(f'$.nodes[{k}]', err)}: {err.message}"
        if key is not None:
            self.seen.add(key)
        return None


def validate(doc: Any, source: str = "<json>") -> None:
    """Check ``doc`` against ``schema()``; ``GraphFormatError`` names the node (``node 3
    (sum)``), the JSON path of the first error and what is wrong there."""
    check_document(doc, source)
    checker = NodeChecker()
    for k, node in enumerate(doc["nodes"]):
        msg = checker.error(k, node)
        if msg is None and isinstance(node, dict) and node.get("op") not in checker.per_op:
            msg = f"$.nodes[{k}]: unknown op {node.get('op')!r}"
        if msg is not None:
            op = node.get("op") if isinstance(node, dict) else None
            raise GraphFormatError(f"{source}: node {k}" + (f" ({op})" if isinstance(op, str)
                                   else "") + f": {msg}")
