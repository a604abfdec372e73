"""Elementwise builders: one per unary op of the op table (``et.exp``, ``et.erf``, ...),
the binary arithmetic ops and comparisons with NumPy broadcasting and promotion (integer
and bool operands as NumPy 2 treats them), ``where``, ``cast``, ``clip``, the NaN/inf tests
and the logical and bitwise ops of bool arrays.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..ir import ELEMENTWISE_UNARY, OPS, Node, apply, constant_node
from .location import unsupported
from .operands import (
    _as_float,
    _as_int,
    _float_of,
    _int_operand,
    _is_bool_value,
    _is_float_value,
    _operands,
    _wrap,
    constant,
    fixed_width,
    int_dtype,
    mul_int32,
    to_node,
)
from .tensor import Tensor

# -- elementwise --------------------------------------------------------------------------------


def _unary(op: str):
    def fn(x: Any) -> Tensor:
        if isinstance(x, Tensor) and x.int_op:  # np.exp(int64) is float64; these stay int
            if op not in _INT_UNARY:
                return _wrap(apply(op, x.node))
            if op == "square" and x.idt == "int32":
                out = mul_int32(x.node, x.node)
            else:
                out = fixed_width(apply(op, x.node), x.idt, grows=op in ("square", "neg", "abs"))
            return _as_int(_wrap(out), x.int_op, x.idt)
        (node,) = _operands(x)
        if node.dtype == "bool":
            if op in ("floor", "ceil", "trunc", "abs"):
                return _wrap(node)  # NumPy 2: a bool array stays bool
            if not OPS[op].name_in("numpy"):  # SciPy's ufuncs compute bools in float64
                node = apply("cast", node, dtype="float64")  # (NumPy's: float16, refused)
        return _wrap(apply(op, node))

    fn.__name__ = op
    fn.__doc__ = f"Elementwise ``{op}``."
    return fn



_NUMPY_NAMES = {"sub": "subtract", "mul": "multiply", "div": "divide", "pow": "power"}

_BOOL_BINARY = {"add": "logical_or", "mul": "logical_and", "maximum": "logical_or",
                "minimum": "logical_and"}


# int in, int out, exact in float64 (below 2**53)
_INT_EXACT = ("add", "sub", "mul", "maximum", "minimum", "remainder", "fmod", "floor_divide")
_INT_BY_ZERO = ("remainder", "fmod", "floor_divide")  # NumPy: integer x // 0 == x % 0 == 0
# NumPy 2 keeps these integer (floor/ceil/trunc of an int64 array is int64)
_INT_UNARY = ("neg", "abs", "square", "floor", "ceil", "trunc", "sign")

def _binary(op: str):
    def fn(x: Any, y: Any) -> Tensor:
        name = f"np.{_NUMPY_NAMES.get(op, op)}"
        if not _is_float_value(x) and not _is_float_value(y) and not (
                _is_bool_value(x) and _is_bool_value(y)):
            if op in _INT_EXACT and _int_operand(x) and _int_operand(y):
                a, b = (_as_float(n) for n in _operands(x, y))
                idt = int_dtype(x, y)
                out = mul_int32(a, b) if (op, idt) == ("mul", "int32") else apply(op, a, b)
                if op in _INT_BY_ZERO:
                    zero = constant_node(0.0, "float64")
                    out = apply("where", apply("equal", b, zero), zero, out)
                out = fixed_width(out, idt, grows=op in ("add", "sub", "mul"))
                return _as_int(_wrap(out), f"{name} of integer values", idt)
            if op != "div":
                raise unsupported(f"{name} of bool and integer values", "NumPy gives an "
                                  "integer result and the IR has no integer dtype yet; "
                                  "convert with .astype(float)")
            x, y = (_float_of(v) for v in (x, y))
        a, b = _operands(x, y)
        if a.dtype == "bool" and b.dtype == "bool":  # NumPy: True + True is True
            if op in _BOOL_BINARY:
                return globals()[_BOOL_BINARY[op]](a, b)
            if op != "div":
                raise unsupported(f"np.{op} of two bool arrays")
            a, b = _as_float(a), _as_float(b)
        return _wrap(apply(op, _as_float(a, b.dtype), _as_float(b, a.dtype)))

    fn.__name__ = op
    fn.__doc__ = f"Elementwise ``{op}`` with NumPy broadcasting."
    return fn


# one builder per elementwise op of one operand in the ops table, named as the op
# (``et.exp``, ``et.erf``, ...): the table is the list, nothing here names them again
UNARY_BUILDERS: dict[str, Any] = {op: _unary(op) for op in ELEMENTWISE_UNARY}
globals().update(UNARY_BUILDERS)
abs, sqrt, square = (UNARY_BUILDERS[op] for op in ("abs", "sqrt", "square"))  # used below
negative = neg = UNARY_BUILDERS["neg"]  # NumPy's name and the op's

add, subtract, multiply = _binary("add"), _binary("sub"), _binary("mul")
remainder, fmod, floor_divide = _binary("remainder"), _binary("fmod"), _binary("floor_divide")
mod = remainder
divide, power = _binary("div"), _binary("pow")
maximum, minimum = _binary("maximum"), _binary("minimum")
hypot, logaddexp, arctan2 = _binary("hypot"), _binary("logaddexp"), _binary("arctan2")
sub, mul, div = subtract, multiply, divide


def _compare(op: str):
    def fn(x: Any, y: Any) -> Tensor:
        a, b = _operands(x, y)
        if (a.dtype == "bool") != (b.dtype == "bool"):  # bool vs number: compare as numbers
            a, b = _as_float(a, b.dtype), _as_float(b, a.dtype)
        return _wrap(apply(op, a, b))

    fn.__name__ = op
    fn.__doc__ = f"Elementwise ``{op}`` (bool result) with NumPy broadcasting."
    return fn


less, less_equal = _compare("less"), _compare("less_equal")
greater, greater_equal = _compare("greater"), _compare("greater_equal")
equal, not_equal = _compare("equal"), _compare("not_equal")

def where(cond: Any, x: Any, y: Any) -> Tensor:
    """``x`` where ``cond`` holds, else ``y`` (broadcast together)."""
    c = to_node(cond)
    if not _is_float_value(x) and not _is_float_value(y) and not (
            _is_bool_value(x) and _is_bool_value(y)):
        a, b = (_as_float(n) for n in _operands(x, y))
        if c.dtype != "bool":
            c = apply("not_equal", c, to_node(0.0, c))
        return _as_int(_wrap(apply("where", c, a, b)), "np.where with integer branches",
                       int_dtype(x, y))
    a, b = _operands(x, y)
    if c.dtype != "bool":
        c = apply("not_equal", c, to_node(0.0, c))
    if a.dtype == "bool" and b.dtype == "bool":  # a bool select: (c and a) or (not c and b)
        return logical_or(logical_and(c, a), logical_and(logical_not(c), b))
    return _wrap(apply("where", c, _as_float(a, b.dtype), _as_float(b, a.dtype)))


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to ``float32``, ``float64``, ``bool``, ``int32`` or ``int64`` (floats to
    integers truncate toward zero, as NumPy; integers are carried exactly in float64)."""
    name = np.dtype(dtype).name
    if name not in ("float32", "float64", "bool", "int32", "int64"):
        raise unsupported(f"astype({name})", "eqsat-tensor computes in float32, float64, "
                                             "bool, int32 and int64")
    node = to_node(x)
    if isinstance(x, Tensor) and x.int_op and name == "bool":
        return not_equal(node, 0.0)
    if name in ("int32", "int64"):
        if isinstance(x, Tensor) and x.int_op:
            return _as_int(_wrap(node), x.int_op, name)
        if node.dtype == "bool":
            return _as_int(_wrap(apply("cast", node, dtype="float64")), f"astype({name})", name)
        if node.dtype == "float32":
            node = apply("cast", node, dtype="float64")
        return _as_int(_wrap(apply("trunc", node)), f"astype({name})", name)
    return _wrap(node if node.dtype == name else apply("cast", node, dtype=name))


def clip(x: Any, lo: Any, hi: Any) -> Tensor:
    """``minimum(maximum(x, lo), hi)`` like ``np.clip`` (NaN in ``x`` stays NaN); ``None``
    skips a bound."""
    out = x if isinstance(x, Tensor) else constant(x)
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return out


def isnan(x: Any) -> Tensor:
    """``x != x``: true exactly for NaN."""
    return not_equal(x, x)


def isinf(x: Any) -> Tensor:
    """``abs(x) == inf``."""
    return equal(abs(x), np.inf)


def isfinite(x: Any) -> Tensor:
    """``abs(x) < inf`` (false for NaN and +-inf)."""
    return less(abs(x), np.inf)


def logical_not(x: Any) -> Tensor:
    """Elementwise not (nonzero is true)."""
    return equal(_truth(x), 0.0)


def logical_and(x: Any, y: Any) -> Tensor:
    """Elementwise and (nonzero is true)."""
    return not_equal(multiply(_truth(x), _truth(y)), 0.0)


def logical_or(x: Any, y: Any) -> Tensor:
    """Elementwise or (nonzero is true)."""
    return not_equal(add(_truth(x), _truth(y)), 0.0)


def logical_xor(x: Any, y: Any) -> Tensor:
    """Elementwise exclusive or (nonzero is true)."""
    return not_equal(_truth(x), _truth(y))


def _truth(x: Any) -> Node:
    """1.0 where ``x`` is true (nonzero, NaN included), else 0.0."""
    node = to_node(x)
    if node.dtype != "bool":
        node = apply("not_equal", node, to_node(0.0, node))
    return apply("cast", node, dtype="float64")


def _bool_only(op: str, fn: Any):
    def bitwise(x: Any, y: Any = None) -> Tensor:
        nodes = _operands(x) if y is None else _operands(x, y)
        if builtins.any(n.dtype != "bool" for n in nodes):
            raise unsupported(f"np.{op} on {'/'.join(n.dtype for n in nodes)} values",
                              "bitwise ops are supported on bool arrays only")
        return fn(*nodes)

    bitwise.__name__ = op
    bitwise.__doc__ = f"``np.{op}`` of bool arrays (integer bit ops are not supported)."
    return bitwise


bitwise_and = _bool_only("bitwise_and", logical_and)
bitwise_or = _bool_only("bitwise_or", logical_or)
bitwise_xor = _bool_only("bitwise_xor", logical_xor)
invert = _bool_only("invert", logical_not)
