"""The egglog side of the IR: one constructor per op, generated from ``ir.OPS``.

Every op ``name`` becomes a constructor ``CamelName`` of sort ``T`` whose arguments are its
tensor inputs followed by its attributes. Attribute values are encoded as egglog values:

* ``name`` (inputs) and ``dtype`` (cast) as ``String``;
* ``keepdims`` as ``i64`` 0/1;
* tuples (``axis``, ``axes``, ``shape``, ``slices``) as an ``i64`` id from ``INTERN``, a
  process-wide, append-only table of tuple values (so compiled rule text can be cached and reused);
* ``value`` of scalar constants as ``f64`` plus the dtype ``String``;
  array constants are ``(ArrayConst id type)`` with the array kept in ``INTERN``.

Inputs are ``(Input name type)`` where ``type`` is the interned (shape, dtype) pair, so
an input carries its type into the e-graph. ``(Ref i)`` is the e-class of the i-th node
of the inserted graph (see ``bridge``); it is never matched by rules nor extracted.
"""

from __future__ import annotations

import threading
from typing import Any

from ..ir import OPS

SORT = "T"

# Attribute name -> egglog sort of its encoded value. Attributes are a closed vocabulary
# of the IR (see ir.py "Attr conventions"); ops are not listed here.
ATTR_SORTS = {"name": "String", "dtype": "String", "keepdims": "i64", "axis": "i64",
              "axes": "i64", "shape": "i64", "slices": "i64"}


def ctor(op: str) -> str:
    """egglog constructor name of an IR op: ``broadcast_to`` -> ``BroadcastTo``."""
    return "".join(part[:1].upper() + part[1:] for part in op.split("_"))


CTOR_TO_OP = {ctor(op): op for op in OPS if OPS[op].kind != "leaf"}


class Interner:
    """Append-only two-way table between hashable Python values and i64 ids."""

    def __init__(self) -> None:
        self._ids: dict[Any, int] = {}
        self._values: list[Any] = []
        self._lock = threading.Lock()

    def id(self, value: Any) -> int:
        """The id of ``value`` (assigned on first use)."""
        got = self._ids.get(value)
        if got is not None:
            return got
        with self._lock:
            got = self._ids.get(value)
            if got is None:
                got = len(self._values)
                self._values.append(value)
                self._ids[value] = got
            return got

    def value(self, i: int) -> Any:
        """The value with id ``i``."""
        return self._values[i]


# Tuples (axis, axes, shape values) and array constants share one table: ids are unique
# across kinds because the keys are tagged.
INTERN = Interner()
# (shape, dtype) types of e-classes.
TYPES = Interner()


def tuple_id(kind: str, value: tuple) -> int:
    """Id of a tuple attribute value of ``kind`` (axis, axes, shape)."""
    return INTERN.id((kind, tuple(value)))


def tuple_value(i: int) -> tuple:
    """The tuple with id ``i``."""
    return INTERN.value(i)[1]


def type_id(shape: tuple, dtype: str) -> int:
    """Id of the type ``(shape, dtype)``."""
    return TYPES.id((tuple(shape), dtype))


def type_value(i: int) -> tuple[tuple, str]:
    """``(shape, dtype)`` of type id ``i``."""
    return TYPES.value(i)


def shape_id(shape: tuple) -> int:
    """Id of a shape (as used by ``broadcast_to``/``reshape``)."""
    return tuple_id("shape", shape)


def encode_attr(name: str, value: Any) -> Any:
    """Python value of an IR attribute -> the Python value of its egglog literal."""
    if name in ("name", "dtype"):
        return str(value)
    if name == "keepdims":
        return int(bool(value))
    if name in ("axis", "axes", "shape"):
        return tuple_id(name if name != "axes" else "axes", tuple(value))
    if name == "slices":  # (start, stop, step) triples, interned like the tuples
        return tuple_id(name, tuple(tuple(t) for t in value))
    raise KeyError(f"no egglog encoding for attribute {name!r}")


# String attribute values as i64 codes, for the bulk-loaded insertion tables.
DTYPE_CODES = {"float32": 0, "float64": 1, "bool": 2, "int32": 3, "int64": 4}


def decode_attr(name: str, value: Any) -> Any:
    """Inverse of ``encode_attr``."""
    if name in ("name", "dtype"):
        return value
    if name == "keepdims":
        return bool(value)
    return tuple_value(int(value))


def datatype_decl() -> str:
    """The ``(datatype T ...)`` declaration for every op of ``ir.OPS``."""
    ctors = ["(Ref i64)", "(Input String i64)", "(Const f64 String)", "(ArrayConst i64 i64)"]
    for op, spec in OPS.items():
        if spec.kind == "leaf":
            continue
        args = [SORT] * spec.arity + [ATTR_SORTS[a] for a in spec.attrs]
        ctors.append(f"({ctor(op)} {' '.join(args)})")
    return f"(datatype {SORT}\n  " + "\n  ".join(ctors) + ")"
