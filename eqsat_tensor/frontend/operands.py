"""Operand conversion for the builder API: NumPy 2 promotion of Tensors, Python scalars and
array-likes into graph nodes (Python scalars are "weak": they take the dtype of the Tensor
beside them, so ``float32 * 2.0`` stays float32), the integer-valued marking of Tensors
(integers are carried exactly in float64), static arguments, and the graph leaves
``tensor`` / ``constant``.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DTypeError
from ..ir import (
    FLOAT_DTYPES,
    Node,
    apply,
    constant_node,
    fmt_shape,
    input_node,
    normalize_axis,
)
from .location import unsupported, user_location
from .tensor import Tensor

# -- operand conversion ---------------------------------------------------------------------


def _np_dtype(node: Node) -> np.dtype:
    return np.dtype(node.dtype)


def _is_python_scalar(value: Any) -> bool:
    return type(value) in (int, float, bool)


def to_node(value: Any, like: Node | None = None) -> Node:
    """Node for ``value``: Tensors as they are; scalars and arrays as constants whose dtype
    follows NumPy 2's promotion against ``like`` (the other operand): Python scalars are
    weak (they take a float ``like``'s dtype), NumPy scalars and arrays are strong."""
    if isinstance(value, Tensor):
        return value.node
    if isinstance(value, Node):
        return value
    traced = host_value(value)  # an array made while tracing (np.zeros, ...)
    if isinstance(traced, Tensor):
        return traced.node
    if isinstance(value, (list, tuple)) and _holds_tensor(value):
        raise unsupported("building an array from a list of traced values",
                          "np.stack / np.concatenate / np.array of traced values need a join "
                          "op the IR does not have yet")
    arr = np.asarray(value)
    if arr.dtype == np.bool_ and (like is None or like.dtype == "bool"):
        return constant_node(arr, "bool")
    if arr.dtype.kind not in "biuf":
        raise DTypeError(f"cannot use a value of dtype {arr.dtype} in a graph (at "
                         f"{user_location()})")
    weak = _is_python_scalar(value)
    if like is not None and like.dtype in FLOAT_DTYPES:
        dt = np.result_type(_np_dtype(like), value if weak else arr)
    else:
        dt = np.result_type(value if weak else arr,
                            np.float32 if arr.dtype == np.float32 else np.float64)
    name = dt.name if dt.name in FLOAT_DTYPES else "float64"
    return constant_node(arr, name)


def host_value(value: Any) -> Any:
    """The traced value an array made while tracing stands for (``frontend.host``: its
    ``_eqsat_value``, which refuses a stale view), or ``value`` itself."""
    if not isinstance(value, np.ndarray) or type(value) is np.ndarray:
        return value
    probe = getattr(value, "_eqsat_value", None)
    traced = probe() if probe is not None else None
    return value if traced is None else traced


def unwrap_host(value: Any) -> Any:
    """``value`` with arrays made while tracing replaced by their traced values (inside
    tuples and lists too): assignment keys and values, index keys."""
    if isinstance(value, (tuple, list)):
        return type(value)(unwrap_host(v) for v in value)
    return host_value(value)


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (list, tuple)):
        return builtins.any(_holds_tensor(v) for v in value)
    return False


def _is_strong_float(v: Any) -> bool:
    if isinstance(v, Tensor):
        return not v.weak and not v.int_op and v.node.dtype in FLOAT_DTYPES
    if isinstance(v, Node):
        return v.dtype in FLOAT_DTYPES
    return not _is_python_scalar(v) and np.asarray(v).dtype.kind == "f"


def _operands(*values: Any) -> list[Node]:
    """Convert operands with NumPy 2's promotion: Python scalars, and weak Tensors (Python
    float arguments), take the dtype of the first strongly typed float operand."""
    strong = next((v for v in values if _is_strong_float(v)), None)
    like = None
    if strong is not None:
        like = to_node(strong)
    else:
        like = next((v.node for v in values if isinstance(v, Tensor)), None)
        if like is None:
            like = next((v for v in values if isinstance(v, Node)), None)
    out = []
    for v in values:
        node = to_node(v, like)
        if (isinstance(v, Tensor) and v.weak and strong is not None
                and node.dtype != like.dtype):
            node = apply("cast", node, dtype=like.dtype)  # NumPy rounds the Python float
        out.append(node)
    return out


def promote_floats(*values: Any) -> list[Tensor]:
    """The operands of a ufunc that is a composition of several ops, converted together as
    NumPy converts a ufunc's inputs: Python scalars are weak (they take the dtype of a float
    array beside them), integer and bool operands compute in float64, and every operand is
    cast to the common float dtype. A composition that converted each operand on its own
    would make ``logaddexp2(float32, 1.0)`` float64."""
    nodes = _operands(*values)
    nodes = [n if n.dtype in FLOAT_DTYPES else apply("cast", n, dtype="float64")
             for n in nodes]
    common = np.result_type(*(_np_dtype(n) for n in nodes)).name
    return [Tensor(n if n.dtype == common else apply("cast", n, dtype=common))
            for n in nodes]


def _wrap(node: Node) -> Tensor:
    return Tensor(node)


def _concrete(shape: Sequence[Any], what: str) -> tuple[int, ...]:
    if not builtins.all(isinstance(d, int) for d in shape):
        raise unsupported(what, f"it needs concrete dims, not the symbolic shape "
                                f"{fmt_shape(tuple(shape))}")
    return tuple(shape)


def static_int(value: Any, what: str) -> int:
    """``value`` as a Python int, or an error saying it must be static (not traced)."""
    if isinstance(value, Tensor):
        raise unsupported(f"{what} given as a traced value",
                          "it must be a Python int; pass that argument with "
                          "et.jit(..., static_argnames=...)")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {value!r}")
    return int(value)


def _axis(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    if isinstance(axis, Tensor) or (isinstance(axis, (tuple, list))
                                    and builtins.any(isinstance(a, Tensor) for a in axis)):
        raise unsupported(f"{op}(axis=<traced value>)", "the axis must be a Python int or "
                          "tuple; pass that argument with et.jit(..., static_argnames=...)")
    return normalize_axis(axis, ndim, op)


def _is_bool_value(v: Any) -> bool:
    if isinstance(v, (Tensor, Node)):
        return (v.node if isinstance(v, Tensor) else v).dtype == "bool"
    return type(v) is bool or np.asarray(v).dtype == np.bool_


def _is_float_value(v: Any) -> bool:
    if isinstance(v, Tensor) and v.int_op:
        return False
    if isinstance(v, (Tensor, Node)):
        return (v.node if isinstance(v, Tensor) else v).dtype in FLOAT_DTYPES
    if type(v) is float:
        return True
    return np.asarray(v).dtype.kind == "f"


def _as_int(t: Tensor, what: str, idt: str = "int64") -> Tensor:
    """``t`` marked as standing for NumPy's integer result (``idt``) of ``what``."""
    return Tensor(t.node, int_op=what, idt=idt)


def int_dtype(*values: Any) -> str:
    """NumPy 2's integer result dtype of integer and bool operands (Python ints are weak):
    int64 if any operand is int64 (or nothing says otherwise), else int32."""
    names = []
    for v in values:
        if isinstance(v, Tensor):
            if v.int_op:
                names.append(v.idt)
        elif not isinstance(v, Node) and type(v) not in (int, bool):
            dt = np.asarray(v).dtype
            if dt.kind in "iu":
                names.append("int32" if dt.itemsize <= 4 and dt.kind == "i" else "int64")
    return "int32" if names and builtins.all(n == "int32" for n in names) else "int64"


def _int_operand(v: Any) -> bool:
    if isinstance(v, Tensor):
        return bool(v.int_op) or v.node.dtype == "bool"
    if isinstance(v, Node):
        return v.dtype == "bool"
    return type(v) in (int, bool) or np.asarray(v).dtype.kind in "biu"


def _float_of(v: Any) -> Any:
    """An integer-valued operand as a float64 value (true division of integers)."""
    if isinstance(v, Tensor):
        return Tensor(_as_float(v.node))
    if isinstance(v, Node):
        return _as_float(v)
    return np.asarray(v, dtype=np.float64) if not isinstance(v, (int, bool)) else float(v)


def _as_float(node: Node, other: str = "float64") -> Node:
    if node.dtype != "bool":
        return node
    return apply("cast", node, dtype=other if other in FLOAT_DTYPES else "float64")


# -- leaves -----------------------------------------------------------------------------------


def tensor(name: str, shape: Sequence[int | str] = (), dtype: Any = "float64") -> Tensor:
    """A named symbolic input; dims may be ints or names (``shape=("n", 3)``)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"tensor name must be an identifier, got {name!r}")
    node = input_node(name, tuple(shape), np.dtype(dtype).name)
    if node.dtype in ("int32", "int64"):  # carried exactly in float64 (see Tensor.int_op)
        return _as_int(_wrap(apply("cast", node, dtype="float64")),
                       f"the {node.dtype} input {name!r}", node.dtype)
    return _wrap(node)


def constant(value: Any, dtype: Any = None) -> Tensor:
    """A constant scalar or array (float64 unless ``dtype`` or the array says otherwise)."""
    return _wrap(constant_node(value, None if dtype is None else np.dtype(dtype).name))



# -- fixed-width integer results ----------------------------------------------------------------
# Integers are carried in float64, exact up to 2**53. NumPy's int32 arithmetic wraps modulo
# 2**32: ``wrap_int32`` reduces an exact value the same way (a product of two int32 values,
# up to 2**62, is formed from 16-bit halves so it stays exact). int64 results beyond
# +-2**53 cannot be held exactly: ``beyond_exact`` makes them NaN, and the jit refuses such
# a result with ``OverflowError`` instead of returning a rounded integer (see docs/dtypes.md).

EXACT_INT = float(2 ** 53)


def _f(value: float) -> Node:
    return constant_node(value, "float64")


def wrap_int32(v: Node) -> Node:
    """``v`` reduced into int32's range like NumPy's wrapping arithmetic (exact for
    ``|v| < 2**53``)."""
    q = apply("floor", apply("mul", apply("add", v, _f(2.0 ** 31)), _f(2.0 ** -32)))
    return apply("sub", v, apply("mul", q, _f(2.0 ** 32)))


def _mod16(v: Node) -> Node:
    return apply("sub", v, apply("mul", apply("floor", apply("mul", v, _f(2.0 ** -16))),
                                 _f(65536.0)))


def mul_int32(a: Node, b: Node) -> Node:
    """``a * b`` of int32 values wrapped like NumPy's, exactly: ``a * lo(b) + (a * hi(b)
    mod 2**16) * 2**16`` (every partial product below 2**48)."""
    hi = apply("floor", apply("mul", b, _f(2.0 ** -16)))
    lo = apply("sub", b, apply("mul", hi, _f(65536.0)))
    high = apply("mul", _mod16(apply("mul", a, hi)), _f(65536.0))
    return wrap_int32(apply("add", apply("mul", a, lo), high))


def beyond_exact(v: Node) -> Node:
    """NaN where ``|v| > 2**53``: an int64 result float64 cannot hold exactly (the jit
    raises ``OverflowError`` for it at the output)."""
    return apply("where", apply("greater", apply("abs", v), _f(EXACT_INT)), _f(float("nan")),
                 v)


def fixed_width(v: Node, idt: str, grows: bool = True) -> Node:
    """The float64-carried result ``v`` of integer arithmetic as NumPy's ``idt`` result:
    wrapped into int32, or NaN beyond the exact range for int64 (``grows``: the operation
    can leave the operands' range)."""
    if idt == "int32":
        return wrap_int32(beyond_exact(v) if grows else v)
    return beyond_exact(v) if grows else v


def _halves(v: Node) -> tuple[Node, Node]:
    """``v = hi * 2**16 + lo`` with ``lo`` in [0, 2**16)."""
    hi = apply("floor", apply("mul", v, _f(2.0 ** -16)))
    return hi, apply("sub", v, apply("mul", hi, _f(65536.0)))


def matmul_int32(a: Node, b: Node) -> Node:
    """``a @ b`` of int32 values wrapped like NumPy's, exactly: from 16-bit halves,
    ``lo(a) @ lo(b) + ((hi(a) @ lo(b) + lo(a) @ hi(b)) mod 2**16) * 2**16`` (the
    ``hi @ hi`` term is a multiple of 2**32); every partial sum stays below 2**53 for
    contractions up to 2**20 long, longer ones are refused."""
    k = a.shape[-1]
    if not isinstance(k, int) or k >= 2 ** 20:
        raise unsupported(f"an int32 matmul over {k} terms", "its partial sums would pass "
                          "2**53; cast to float64 or int64 first")
    ah, al = _halves(a)
    bh, bl = _halves(b)
    cross = apply("add", apply("matmul", ah, bl), apply("matmul", al, bh))
    high = apply("mul", _mod16(cross), _f(65536.0))
    return wrap_int32(apply("add", apply("matmul", al, bl), high))
