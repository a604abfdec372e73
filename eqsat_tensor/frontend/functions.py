"""The builder API: ``et.tensor``, ``et.constant`` and one function per op or composite.

Every function accepts Tensors, Python scalars and array-likes, converts the non-Tensor
operands to constants with NumPy 2's promotion rules (Python scalars are "weak": they take
the dtype of the Tensor beside them, so ``float32 * 2.0`` stays float32), and returns a
Tensor. The NumPy tracer (``numpy_dispatch``) calls these same functions, so builder and
tracer produce identical graphs. Functions below the op table (``fmax``, ``sign``,
``einsum``, ``norm``, ...) are compositions of IR ops chosen to match NumPy on NaN, +-inf
and +-0; what cannot be expressed with the IR's ops raises ``UnsupportedOperation``.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..ir import (
    ELEMENTWISE_UNARY,
    FLOAT_DTYPES,
    OPS,
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


# -- elementwise --------------------------------------------------------------------------------


def _unary(op: str):
    def fn(x: Any) -> Tensor:
        if isinstance(x, Tensor) and x.int_op:  # np.exp(int64) is float64; these stay int
            out = _wrap(apply(op, x.node))
            return _as_int(out, x.int_op, x.idt) if op in _INT_UNARY else out
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


def _is_bool_value(v: Any) -> bool:
    if isinstance(v, (Tensor, Node)):
        return (v.node if isinstance(v, Tensor) else v).dtype == "bool"
    return type(v) is bool or np.asarray(v).dtype == np.bool_


_BOOL_BINARY = {"add": "logical_or", "mul": "logical_and", "maximum": "logical_or",
                "minimum": "logical_and"}


def _is_float_value(v: Any) -> bool:
    if isinstance(v, Tensor) and v.int_op:
        return False
    if isinstance(v, (Tensor, Node)):
        return (v.node if isinstance(v, Tensor) else v).dtype in FLOAT_DTYPES
    if type(v) is float:
        return True
    return np.asarray(v).dtype.kind == "f"


# int in, int out, exact in float64 (below 2**53)
_INT_EXACT = ("add", "sub", "mul", "maximum", "minimum", "remainder", "fmod", "floor_divide")
_INT_BY_ZERO = ("remainder", "fmod", "floor_divide")  # NumPy: integer x // 0 == x % 0 == 0
# NumPy 2 keeps these integer (floor/ceil/trunc of an int64 array is int64)
_INT_UNARY = ("neg", "abs", "square", "floor", "ceil", "trunc", "sign")


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


def _binary(op: str):
    def fn(x: Any, y: Any) -> Tensor:
        name = f"np.{_NUMPY_NAMES.get(op, op)}"
        if not _is_float_value(x) and not _is_float_value(y) and not (
                _is_bool_value(x) and _is_bool_value(y)):
            if op in _INT_EXACT and _int_operand(x) and _int_operand(y):
                a, b = (_as_float(n) for n in _operands(x, y))
                out = apply(op, a, b)
                if op in _INT_BY_ZERO:
                    zero = constant_node(0.0, "float64")
                    out = apply("where", apply("equal", b, zero), zero, out)
                return _as_int(_wrap(out), f"{name} of integer values", int_dtype(x, y))
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


# -- reductions ---------------------------------------------------------------------------------


def _reduction(op: str):
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        node = to_node(x)
        int_op = x.int_op if isinstance(x, Tensor) else None
        idt = x.idt if int_op and op in ("max", "min") else "int64"  # sum(int32) is int64
        if node.dtype == "bool":
            if op in ("sum", "prod"):
                int_op = f"np.{op} of a bool array"
            elif op in ("max", "min"):
                raise unsupported(f"np.{op} of a bool array", "use np.any / np.all")
            node = apply("cast", node, dtype="float64")
        out = _wrap(apply(op, node, axis=_axis(axis, node.ndim, op), keepdims=bool(keepdims)))
        return _as_int(out, int_op, idt) if int_op and op not in ("mean", "logsumexp") else out

    fn.__name__ = op
    fn.__doc__ = f"``{op}`` over ``axis`` (an int, a tuple, or None for all) with ``keepdims``."
    return fn


sum, mean, max, min = _reduction("sum"), _reduction("mean"), _reduction("max"), _reduction("min")
prod, logsumexp = _reduction("prod"), _reduction("logsumexp")


def _count(node: Node, axis: Any, what: str) -> int:
    axes = _axis(axis, node.ndim, what)
    return math.prod(_concrete(tuple(node.shape[a] for a in axes), what))


def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: Any = 0) -> Tensor:
    """Variance ``sum(square(x - mean(x))) / (N - ddof)`` (NumPy's ``ddof``, 0 default)."""
    node = to_node(x)
    centered = subtract(node, mean(node, axis=axis, keepdims=True))
    if not ddof:
        return mean(square(centered), axis=axis, keepdims=keepdims)
    n = _count(node, axis, "np.var")
    ddof = static_int(ddof, "ddof") if not isinstance(ddof, float) else ddof
    return divide(sum(square(centered), axis=axis, keepdims=keepdims),
                  float(builtins.max(n - ddof, 0)))  # NumPy: 0/0 is NaN for N <= ddof


def std(x: Any, axis: Any = None, keepdims: bool = False, ddof: Any = 0) -> Tensor:
    """Standard deviation, ``sqrt(var(x, ddof=ddof))``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Peak to peak, ``max - min``."""
    return subtract(max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims))


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """True where some element along ``axis`` is nonzero (NaN counts as true)."""
    return greater(sum(_wrap(_truth(x)), axis=axis, keepdims=keepdims), 0.0)


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """True where every element along ``axis`` is nonzero (true for an empty axis)."""
    return equal(sum(_wrap(_truth(logical_not(x))), axis=axis, keepdims=keepdims), 0.0)


def count_nonzero(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Number of nonzero elements along ``axis`` (NumPy's int64, held exactly as float64;
    usable in arithmetic, refused as a returned result)."""
    return _as_int(_nonzero_count(x, axis, keepdims), "np.count_nonzero")


def _nonzero_count(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    return sum(_wrap(_truth(x)), axis=axis, keepdims=keepdims)


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum treating NaN as zero."""
    node = to_node(x)
    return sum(where(isnan(node), 0.0, node), axis=axis, keepdims=keepdims)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none, like NumPy)."""
    node = to_node(x)
    count = sum(_wrap(_truth(logical_not(isnan(node)))), axis=axis, keepdims=keepdims)
    return divide(nansum(node, axis=axis, keepdims=keepdims), cast(count, node.dtype))


def average(x: Any, axis: Any = None, weights: Any = None, keepdims: bool = False) -> Tensor:
    """``np.average``: the mean, or ``sum(w * x) / sum(w)`` with ``weights`` (1-D weights
    along a single ``axis``, or weights of the shape of ``x``)."""
    if weights is None:
        return mean(x, axis=axis, keepdims=keepdims)
    a, w = _operands(x, weights)
    if w.shape != a.shape:
        if axis is None or w.ndim != 1:
            raise ShapeError(f"np.average: weights of shape {fmt_shape(w.shape)} differ from "
                             f"the array's {fmt_shape(a.shape)}; give axis= for 1-D weights "
                             f"(at {user_location()})")
        ax = _axis(axis, a.ndim, "np.average")[0]
        w = reshape(w, tuple(-1 if i == ax else 1 for i in range(a.ndim))).node
    num = sum(multiply(a, w), axis=axis, keepdims=keepdims)
    den = sum(broadcast_to(w, a.shape) if w.shape != a.shape else w, axis=axis,
              keepdims=keepdims)
    return divide(num, den)


# -- linear algebra ---------------------------------------------------------------------------


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy ``matmul`` semantics (1-D operands, batch broadcasting)."""
    if not _is_float_value(a) and not _is_float_value(b):
        x, y = (_as_float(n) for n in _operands(a, b))
        return _as_int(_wrap(apply("matmul", x, y)), "np.matmul of integer values",
                       int_dtype(a, b))
    return _wrap(apply("matmul", *_operands(a, b)))


# -- layout ----------------------------------------------------------------------------------


def _keeps_int(fn: Any) -> Any:
    """A layout function: an integer-valued operand gives an integer-valued result."""

    def wrapper(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        out = fn(x, *args, **kwargs)
        if isinstance(x, Tensor) and x.int_op and isinstance(out, Tensor):
            return _as_int(out, x.int_op, x.idt)
        return out

    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    wrapper.__wrapped__ = fn
    return wrapper


@_keeps_int
def transpose(x: Any, axes: Sequence[int] | None = None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None)."""
    node = to_node(x)
    if axes is None:
        perm = tuple(reversed(range(node.ndim)))
    else:
        perm = tuple(int(a) % node.ndim if node.ndim else int(a) for a in axes)
        if sorted(perm) != list(range(node.ndim)):
            raise ShapeError(f"transpose: axes {tuple(axes)} are not a permutation of the axes "
                             f"of shape {fmt_shape(node.shape)} (at {user_location()})")
    if perm == tuple(range(node.ndim)):
        return _wrap(node)
    return _wrap(apply("transpose", node, axes=perm))


@_keeps_int
def matrix_transpose(x: Any) -> Tensor:
    """Swap the last two axes (``x.mT``)."""
    node = to_node(x)
    if node.ndim < 2:
        raise ValueError(f"matrix transpose needs at least 2 dims, got shape "
                         f"{fmt_shape(node.shape)}")
    return swapaxes(node, -1, -2)


@_keeps_int
def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    node = to_node(x)
    perm = list(range(node.ndim))
    a, b = int(axis1) % node.ndim, int(axis2) % node.ndim
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(node, perm)


@_keeps_int
def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions (``np.moveaxis``)."""
    node = to_node(x)
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    src = [int(s) % node.ndim for s in src]
    dst = [int(d) % node.ndim for d in dst]
    order = [i for i in range(node.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(node, order)


@_keeps_int
def reshape(x: Any, shape: Any) -> Tensor:
    """Reshape; one ``-1`` is allowed when all dims are concrete."""
    node = to_node(x)
    new = (shape,) if isinstance(shape, (int, str, np.integer)) else tuple(shape)
    new = tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in new)
    if -1 in new:
        known = [d for d in new if d != -1]
        if new.count(-1) > 1 or not builtins.all(isinstance(d, int) for d in node.shape + new):
            raise ShapeError(f"reshape: cannot infer -1 in {new} from shape "
                             f"{fmt_shape(node.shape)} (at {user_location()})")
        total = math.prod(node.shape)
        rest = math.prod(known)
        if rest == 0 or total % rest:
            raise ShapeError(f"reshape: cannot reshape {fmt_shape(node.shape)} into {new} "
                             f"(at {user_location()})")
        new = tuple(total // rest if d == -1 else d for d in new)
    if new == node.shape:
        return _wrap(node)
    return _wrap(apply("reshape", node, shape=new))


@_keeps_int
def ravel(x: Any) -> Tensor:
    """Flatten to 1-D (C order)."""
    return reshape(x, (-1,))


@_keeps_int
def atleast_1d(x: Any) -> Tensor:
    """A 1-D view of a scalar; other arrays unchanged."""
    node = to_node(x)
    return reshape(node, (1,)) if node.ndim == 0 else _wrap(node)


@_keeps_int
def atleast_2d(x: Any) -> Tensor:
    """``np.atleast_2d``: scalars become (1, 1), vectors (1, n)."""
    node = to_node(x)
    return reshape(node, (1,) * (2 - node.ndim) + node.shape) if node.ndim < 2 else _wrap(node)


@_keeps_int
def broadcast_to(x: Any, shape: Sequence[int | str]) -> Tensor:
    """Broadcast to ``shape`` (NumPy rules)."""
    node = to_node(x)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
    shape = tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in shape)
    if shape == node.shape:
        return _wrap(node)
    return _wrap(apply("broadcast_to", node, shape=shape))


@_keeps_int
def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert size-1 axes at ``axis`` (positions in the result, like NumPy)."""
    node = to_node(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return _wrap(apply("expand_dims", node,
                       axis=normalize_axis(axes, node.ndim + len(axes), "expand_dims")))


@_keeps_int
def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    node = to_node(x)
    axes = ([i for i, d in enumerate(node.shape) if d == 1] if axis is None
            else _axis(axis, node.ndim, "squeeze"))
    if builtins.any(node.shape[a] != 1 for a in axes):
        raise ShapeError(f"squeeze: axis {axis} of shape {fmt_shape(node.shape)} is not 1 "
                         f"(at {user_location()})")
    return reshape(node, tuple(d for i, d in enumerate(node.shape) if i not in axes))


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """A constant 0 broadcast to the shape of ``x``."""
    return full_like(x, 0.0, dtype)


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """A constant 1 broadcast to the shape of ``x``."""
    return full_like(x, 1.0, dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A constant ``fill_value`` broadcast to the shape of ``x``."""
    node = to_node(x)
    dt = node.dtype if dtype is None else np.dtype(dtype).name
    if dtype is None and isinstance(x, Tensor) and x.int_op:
        dt = x.idt
    if dt in ("int32", "int64"):
        return _as_int(broadcast_to(constant_node(float(int(fill_value)), "float64"),
                                    node.shape), f"np.full_like(dtype={dt})", dt)
    if dt not in FLOAT_DTYPES + ("bool",):
        raise unsupported(f"an array of dtype {dt}", "eqsat-tensor computes in float32, "
                                                     "float64 and bool")
    value = bool(fill_value) if dt == "bool" else float(fill_value)
    return broadcast_to(constant_node(value, dt), node.shape)


# -- scans and selections (scans) ------------------------------------------------------------


def _along(x: Any, axis: Any, what: str, scalar_ok: bool = True
           ) -> tuple[Node, int, Tensor | None]:
    """The operand node and the one axis of a scan; ``axis=None`` flattens (NumPy)."""
    t = x if isinstance(x, Tensor) else None
    node = to_node(x)
    if node.ndim == 0 and (scalar_ok or axis is None):  # NumPy: one element
        node = reshape(node, (1,)).node
    if axis is None:
        node = ravel(node).node if node.ndim != 1 else node
        return node, 0, t
    (ax,) = _axis(static_int(axis, f"{what}(axis=...)"), node.ndim, what)
    return node, ax, t


def _int_scan_operand(node: Node, t: Tensor | None, what: str) -> tuple[Node, str | None]:
    """A bool operand is counted as integers (NumPy: cumsum of bool is int64)."""
    if node.dtype == "bool":
        return apply("cast", node, dtype="float64"), f"{what} of a bool array"
    return node, (t.int_op if t is not None and t.int_op else None)


def _scan(op: str):
    def fn(x: Any, axis: Any = None) -> Tensor:
        node, ax, t = _along(x, axis, f"np.{op}", scalar_ok=op != "sort")
        if op == "sort" and node.dtype == "bool":  # sorted bools stay bool
            return not_equal(apply("sort", apply("cast", node, dtype="float64"),
                                   axis=(ax,)), 0.0)
        node, int_op = _int_scan_operand(node, t, f"np.{op}")
        out = _wrap(apply(op, node, axis=(ax,)))
        # NumPy 2: cumsum/cumprod of int32 is int64; sort keeps the dtype
        idt = t.idt if (op == "sort" and t is not None and t.int_op) else "int64"
        return _as_int(out, int_op, idt) if int_op else out

    fn.__name__ = op
    fn.__doc__ = (f"``np.{op}`` along ``axis`` (``None``: of the flattened array)"
                  + (", NaN last." if op == "sort" else "."))
    return fn


cumsum, cumprod, sort = _scan("cumsum"), _scan("cumprod"), _scan("sort")


def _select(op: str):
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        src = to_node(x)
        node, ax, t = _along(x, axis, f"np.{op}")
        if node.dtype == "bool":
            node = apply("cast", node, dtype="float64")
        out = _wrap(apply(op, node, axis=(ax,), keepdims=bool(keepdims) and axis is not None))
        if keepdims and axis is None:  # NumPy: shape (1, ..., 1) of the operand's rank
            out = reshape(out, (1,) * src.ndim)
        elif src.ndim == 0 and out.node.ndim:  # argmax of a 0-d value along axis 0
            out = reshape(out, ())
        return _as_int(out, f"np.{op}")

    fn.__name__ = op
    fn.__doc__ = (f"``np.{op}``: the index (int64) of the first {op[3:]}imum along ``axis`` "
                  "(``None``: of the flattened array); a NaN wins, the first one, like NumPy.")
    return fn


argmax, argmin = _select("argmax"), _select("argmin")
