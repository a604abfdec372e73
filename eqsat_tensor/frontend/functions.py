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
    return _wrap(input_node(name, tuple(shape), np.dtype(dtype).name))


def constant(value: Any, dtype: Any = None) -> Tensor:
    """A constant scalar or array (float64 unless ``dtype`` or the array says otherwise)."""
    return _wrap(constant_node(value, None if dtype is None else np.dtype(dtype).name))


# -- elementwise --------------------------------------------------------------------------------


def _unary(op: str):
    def fn(x: Any) -> Tensor:
        if isinstance(x, Tensor) and x.int_op:  # np.exp(int64) is float64: only abs/neg stay
            out = _wrap(apply(op, x.node))
            return _as_int(out, x.int_op) if op in ("neg", "abs", "square") else out
        return _wrap(apply(op, *_operands(x)))

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


_INT_EXACT = ("add", "sub", "mul", "maximum", "minimum")  # int in, int out, exact in float64


def _as_int(t: Tensor, what: str) -> Tensor:
    """``t`` marked as standing for NumPy's int64 result of ``what``."""
    return Tensor(t.node, int_op=what)


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
                return _as_int(_wrap(apply(op, a, b)), f"{name} of integer values")
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


exp, log, log1p, expm1 = _unary("exp"), _unary("log"), _unary("log1p"), _unary("expm1")
sqrt, abs, square = _unary("sqrt"), _unary("abs"), _unary("square")
reciprocal, negative = _unary("reciprocal"), _unary("neg")
sin, cos, tan, tanh = _unary("sin"), _unary("cos"), _unary("tan"), _unary("tanh")
sinh, cosh = _unary("sinh"), _unary("cosh")
arcsin, arccos, arctan = _unary("arcsin"), _unary("arccos"), _unary("arctan")
cbrt, log2, log10, exp2 = _unary("cbrt"), _unary("log2"), _unary("log10"), _unary("exp2")
sigmoid, softplus = _unary("sigmoid"), _unary("softplus")
neg = negative

add, subtract, multiply = _binary("add"), _binary("sub"), _binary("mul")
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
        return _as_int(_wrap(apply("where", c, a, b)), "np.where with integer branches")
    a, b = _operands(x, y)
    if c.dtype != "bool":
        c = apply("not_equal", c, to_node(0.0, c))
    if a.dtype == "bool" and b.dtype == "bool":  # a bool select: (c and a) or (not c and b)
        return logical_or(logical_and(c, a), logical_and(logical_not(c), b))
    return _wrap(apply("where", c, _as_float(a, b.dtype), _as_float(b, a.dtype)))


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to ``float32``, ``float64`` or ``bool``."""
    name = np.dtype(dtype).name
    if name not in ("float32", "float64", "bool"):
        raise unsupported(f"astype({name})", "eqsat-tensor computes in float32, float64 and "
                                             "bool")
    node = to_node(x)
    if isinstance(x, Tensor) and x.int_op and name == "bool":
        return not_equal(node, 0.0)
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


def fmax(x: Any, y: Any) -> Tensor:
    """NaN-ignoring maximum (``np.fmax``): the other operand where one is NaN."""
    a, b = _operands(x, y)
    return where(isnan(a), b, where(isnan(b), a, maximum(a, b)))


def fmin(x: Any, y: Any) -> Tensor:
    """NaN-ignoring minimum (``np.fmin``): the other operand where one is NaN."""
    a, b = _operands(x, y)
    return where(isnan(a), b, where(isnan(b), a, minimum(a, b)))


def sign(x: Any) -> Tensor:
    """``np.sign``: 1, -1, 0 for +-0 (NumPy returns +0.0) and NaN for NaN."""
    node = to_node(x)
    return where(greater(node, 0.0), 1.0,
                 where(less(node, 0.0), -1.0, where(equal(node, 0.0), 0.0, node)))


def heaviside(x: Any, h0: Any) -> Tensor:
    """``np.heaviside``: 0 below zero, 1 above, ``h0`` at zero, NaN for NaN."""
    a, h = _operands(x, h0)
    return where(isnan(a), a, where(less(a, 0.0), 0.0, where(greater(a, 0.0), 1.0, h)))


def deg2rad(x: Any) -> Tensor:
    """Degrees to radians."""
    return multiply(x, math.pi / 180.0)


def rad2deg(x: Any) -> Tensor:
    """Radians to degrees."""
    return multiply(x, 180.0 / math.pi)


def logaddexp2(x: Any, y: Any) -> Tensor:
    """``log2(2**x + 2**y)`` as ``logaddexp(x ln2, y ln2) / ln2``."""
    return divide(logaddexp(multiply(x, math.log(2.0)), multiply(y, math.log(2.0))),
                  math.log(2.0))


def arctanh(x: Any) -> Tensor:
    """``0.5 log1p(2x / (1 - x))`` (accurate near 0, +-inf at +-1, NaN beyond)."""
    node = to_node(x)
    return multiply(0.5, log1p(divide(multiply(node, 2.0), subtract(1.0, node))))


def _huge(node: Node) -> float:
    """Above this ``x*x`` overflows, and ``asinh(x) = acosh(x) = log(x) + log(2)`` to the
    dtype's precision."""
    return 1e18 if node.dtype == "float32" else 1e150


def arcsinh(x: Any) -> Tensor:
    """``sign(x) log1p(|x| + x^2 / (1 + sqrt(1 + x^2)))``, ``log|x| + log 2`` for huge ``|x|``
    (keeps -0.0 and NaN)."""
    node = to_node(x)
    a = abs(node)
    small = log1p(add(a, divide(square(a), add(1.0, sqrt(add(1.0, square(a)))))))
    r = where(greater(a, _huge(node)), add(log(a), math.log(2.0)), small)
    return where(less(node, 0.0), negative(r), where(equal(node, 0.0), node, r))


def arccosh(x: Any) -> Tensor:
    """``log1p((x - 1) + sqrt((x - 1)(x + 1)))``, ``log x + log 2`` for huge ``x``; NaN below
    1."""
    node = to_node(x)
    t = subtract(node, 1.0)
    small = log1p(add(t, sqrt(multiply(t, add(node, 1.0)))))
    return where(greater(node, _huge(node)), add(log(node), math.log(2.0)), small)


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


# -- scipy.special compositions ------------------------------------------------------------------


def expit(x: Any) -> Tensor:
    """``scipy.special.expit``: the logistic sigmoid."""
    return sigmoid(x)


def logit(p: Any) -> Tensor:
    """``scipy.special.logit``: ``log(p / (1 - p))`` as ``log(p) - log1p(-p)``."""
    return subtract(log(p), log1p(negative(p)))


def xlogy(x: Any, y: Any) -> Tensor:
    """``scipy.special.xlogy``: ``x * log(y)``, 0 where ``x == 0`` and ``y`` is not NaN."""
    a, b = _operands(x, y)
    return where(equal(a, 0.0), where(isnan(b), b, 0.0), multiply(a, log(b)))


def xlog1py(x: Any, y: Any) -> Tensor:
    """``scipy.special.xlog1py``: ``x * log1p(y)``, 0 where ``x == 0`` and ``y`` is not NaN."""
    a, b = _operands(x, y)
    return where(equal(a, 0.0), where(isnan(b), b, 0.0), multiply(a, log1p(b)))


def rel_entr(x: Any, y: Any) -> Tensor:
    """``scipy.special.rel_entr``: ``x log(x / y)`` for ``x, y > 0``, 0 for ``x == 0 <= y``,
    inf otherwise, NaN where either is NaN."""
    a, b = _operands(x, y)
    body = where(logical_and(greater(a, 0.0), greater(b, 0.0)), multiply(a, log(divide(a, b))),
                 where(logical_and(equal(a, 0.0), greater_equal(b, 0.0)), to_node(0.0, a),
                       to_node(np.inf, a)))
    return where(logical_or(isnan(a), isnan(b)), add(a, b), body)


def kl_div(x: Any, y: Any) -> Tensor:
    """``scipy.special.kl_div``: ``x log(x / y) - x + y`` for ``x, y > 0``, ``y`` for
    ``x == 0 <= y``, inf otherwise, NaN where either is NaN."""
    a, b = _operands(x, y)
    body = where(logical_and(greater(a, 0.0), greater(b, 0.0)),
                 add(subtract(multiply(a, log(divide(a, b))), a), b),
                 where(logical_and(equal(a, 0.0), greater_equal(b, 0.0)), b, to_node(np.inf, a)))
    return where(logical_or(isnan(a), isnan(b)), add(a, b), body)


def softmax(x: Any, axis: Any = None) -> Tensor:
    """``scipy.special.softmax``: ``exp(x - max) / sum(exp(x - max))`` over ``axis``."""
    node = to_node(x)
    shifted = exp(subtract(node, max(node, axis=axis, keepdims=True)))
    return divide(shifted, sum(shifted, axis=axis, keepdims=True))


def log_softmax(x: Any, axis: Any = None) -> Tensor:
    """``scipy.special.log_softmax``: ``x - max - log(sum(exp(x - max)))`` (a non-finite
    max is replaced by 0, like SciPy)."""
    node = to_node(x)
    m = max(node, axis=axis, keepdims=True)
    m = where(isfinite(m), m, 0.0)
    tmp = subtract(node, m)
    return subtract(tmp, log(sum(exp(tmp), axis=axis, keepdims=True)))


# -- reductions ---------------------------------------------------------------------------------


def _reduction(op: str):
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        node = to_node(x)
        int_op = x.int_op if isinstance(x, Tensor) else None
        if node.dtype == "bool":
            if op in ("sum", "prod"):
                int_op = f"np.{op} of a bool array"
            elif op in ("max", "min"):
                raise unsupported(f"np.{op} of a bool array", "use np.any / np.all")
            node = apply("cast", node, dtype="float64")
        out = _wrap(apply(op, node, axis=_axis(axis, node.ndim, op), keepdims=bool(keepdims)))
        return _as_int(out, int_op) if int_op and op != "mean" else out

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


def polyval(p: Any, x: Any) -> Tensor:
    """``np.polyval`` by Horner's rule: ``p`` (coefficients, highest power first) constant
    or traced, evaluated at ``x``."""
    coeffs = to_node(p, to_node(x) if isinstance(x, Tensor) else None)
    if coeffs.ndim != 1:
        raise ValueError("np.polyval: p must be 1-D")
    (n,) = _concrete(coeffs.shape, "np.polyval")
    if coeffs.op == "constant":  # NumPy scalars of p's dtype (strong, like p[i] in NumPy)
        terms: list[Any] = [constant_node(c, coeffs.dtype)
                            for c in np.asarray(coeffs.value).reshape(-1)]
    else:
        raise unsupported("np.polyval with traced coefficients", "indexing the coefficient "
                          "array needs a slice op")
    xs = to_node(x)
    out: Any = multiply(xs, 0.0) if n == 0 else add(multiply(xs, 0.0), terms[0])
    for c in terms[1:]:
        out = add(multiply(out, xs), c)
    return out


def cov(m: Any, rowvar: bool = True, bias: bool = False, ddof: Any = None) -> Tensor:
    """``np.cov`` of one 1-D or 2-D array (variables in rows unless ``rowvar=False``):
    ``Xc @ Xc.T / (N - ddof)`` with ``Xc`` the centred observations."""
    node = to_node(m)
    if node.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    node = cast(node, "float64").node  # NumPy computes the covariance in float64 at least
    x = atleast_2d(node)
    if not rowvar and node.ndim == 2:
        x = transpose(x)
    n = _concrete((x.shape[1],), "np.cov")[0]
    ddof = (0 if bias else 1) if ddof is None else static_int(ddof, "np.cov ddof")
    xc = subtract(x, mean(x, axis=1, keepdims=True))
    c = divide(matmul(xc, transpose(xc)), float(builtins.max(n - ddof, 0)))
    return reshape(c, ()) if x.shape[0] == 1 else c


def corrcoef(x: Any, rowvar: bool = True) -> Tensor:
    """``np.corrcoef`` of one array: the covariance over ``sqrt(outer(var, var))``, clipped
    to [-1, 1] like NumPy."""
    c = cov(x, rowvar=rowvar)
    if c.ndim == 0:
        return divide(c, c)
    node = atleast_2d(cast(x, "float64"))
    if not rowvar and to_node(x).ndim == 2:
        node = transpose(node)
    n = _concrete((node.shape[1],), "np.corrcoef")[0]
    xc = subtract(node, mean(node, axis=1, keepdims=True))
    d = divide(sum(square(xc), axis=1), float(builtins.max(n - 1, 0)))
    r = divide(c, sqrt(multiply(reshape(d, (-1, 1)), reshape(d, (1, -1)))))
    return clip(r, -1.0, 1.0)


# -- linear algebra ---------------------------------------------------------------------------


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy ``matmul`` semantics (1-D operands, batch broadcasting)."""
    if not _is_float_value(a) and not _is_float_value(b):
        x, y = (_as_float(n) for n in _operands(a, b))
        return _as_int(_wrap(apply("matmul", x, y)), "np.matmul of integer values")
    return _wrap(apply("matmul", *_operands(a, b)))


def dot(a: Any, b: Any) -> Tensor:
    """``np.dot``: a product with a scalar, ``matmul`` for 1-D/2-D, else the sum over the last
    axis of ``a`` and the second-to-last of ``b``."""
    na, nb = _operands(a, b)
    if na.ndim == 0 or nb.ndim == 0:
        return multiply(na, nb)
    if na.ndim <= 2 and nb.ndim <= 2:
        return _wrap(apply("matmul", na, nb))
    return tensordot(na, nb, axes=([na.ndim - 1], [builtins.max(nb.ndim - 2, 0)]))


def vdot(a: Any, b: Any) -> Tensor:
    """``np.vdot`` for real arrays: the dot product of the flattened operands."""
    na, nb = _operands(a, b)
    return matmul(reshape(na, (-1,)), reshape(nb, (-1,)))


def inner(a: Any, b: Any) -> Tensor:
    """``np.inner``: the sum over the last axes of both operands."""
    na, nb = _operands(a, b)
    if na.ndim == 0 or nb.ndim == 0:
        return multiply(na, nb)
    return tensordot(na, nb, axes=([na.ndim - 1], [nb.ndim - 1]))


def outer(a: Any, b: Any) -> Tensor:
    """``np.outer``: ``a.ravel()[:, None] * b.ravel()[None, :]``."""
    na, nb = _operands(a, b)
    return multiply(reshape(na, (-1, 1)), reshape(nb, (1, -1)))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """``np.tensordot``: contract ``axes`` of ``a`` with those of ``b`` as one matmul of the
    operands transposed and reshaped to 2-D."""
    na, nb = _operands(a, b)
    if isinstance(axes, (int, np.integer)):
        k = int(axes)
        ax_a, ax_b = list(range(na.ndim - k, na.ndim)), list(range(k))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a = [int(i) % builtins.max(na.ndim, 1) for i in ax_a]
    ax_b = [int(i) % builtins.max(nb.ndim, 1) for i in ax_b]
    if len(ax_a) != len(ax_b) or builtins.any(na.shape[i] != nb.shape[j]
                                              for i, j in zip(ax_a, ax_b)):
        raise ShapeError(f"tensordot: axes {ax_a} of {fmt_shape(na.shape)} and {ax_b} of "
                         f"{fmt_shape(nb.shape)} differ (at {user_location()})")
    free_a = [i for i in range(na.ndim) if i not in ax_a]
    free_b = [i for i in range(nb.ndim) if i not in ax_b]
    sa = _concrete(na.shape, "np.tensordot")
    sb = _concrete(nb.shape, "np.tensordot")
    k = math.prod(sa[i] for i in ax_a)
    lhs = reshape(transpose(na, free_a + ax_a), (math.prod(sa[i] for i in free_a), k))
    rhs = reshape(transpose(nb, ax_b + free_b), (k, math.prod(sb[i] for i in free_b)))
    out = matmul(lhs, rhs)
    return reshape(out, tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


def _eye_mask(n: int, m: int, k: int) -> Node:
    return constant_node(np.eye(n, m, k, dtype=bool), "bool")


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """``np.trace``: the sum of the diagonal, as ``sum(where(eye, a, 0))`` over the two axes
    (exact: off-diagonal inf or NaN does not leak in)."""
    node = to_node(a)
    if node.ndim < 2:
        raise ShapeError(f"np.trace needs at least 2 dims, got shape {fmt_shape(node.shape)} "
                         f"(at {user_location()})")
    ax1, ax2 = (int(axis1) % node.ndim, int(axis2) % node.ndim)
    rest = [i for i in range(node.ndim) if i not in (ax1, ax2)]
    moved = transpose(node, rest + [ax1, ax2])
    n, m = _concrete((node.shape[ax1], node.shape[ax2]), "np.trace")
    picked = where(_eye_mask(n, m, static_int(offset, "np.trace offset")), moved, -0.0)
    return sum(picked, axis=(-2, -1))


def diag(v: Any, k: int = 0) -> Tensor:
    """``np.diag``: of a 1-D array (``k=0``) the square matrix with ``v`` on its diagonal,
    ``where(eye, v[:, None], 0)``; of a 2-D array its diagonal (see ``diagonal``). An
    off-centre diagonal matrix needs a pad op the IR does not have yet."""
    node = to_node(v)
    if node.ndim == 2:
        return diagonal(node, k)
    if node.ndim != 1:
        raise ValueError("Input must be 1- or 2-d.")
    if static_int(k, "np.diag k") != 0:
        raise unsupported(f"np.diag(v, k={k}) of a 1-D array", "an off-centre diagonal needs "
                          "a pad op")
    (n,) = _concrete(node.shape, "np.diag")
    col = broadcast_to(reshape(node, (n, 1)), (n, n))
    return where(_eye_mask(n, n, 0), col, 0.0)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """``np.diagonal`` of a 2-D array where the diagonal meets every row (``offset >= 0``)
    or every column (``offset < 0``): ``sum(where(eye, a, -0.0))`` along the other axis,
    exact (adding -0.0 changes no value, not even a zero's sign). Diagonals shorter than
    that need a slice op."""
    node = to_node(a)
    if node.ndim != 2 or sorted((int(axis1) % 2, int(axis2) % 2)) != [0, 1]:
        raise unsupported("np.diagonal of an array with more than 2 dims",
                          "it needs a gather op")
    if int(axis1) % 2 == 1:
        node = transpose(node).node
    n, m = _concrete(node.shape, "np.diagonal")
    k = static_int(offset, "np.diagonal offset")
    picked = where(_eye_mask(n, m, k), node, -0.0)
    if k >= 0 and n + k <= m:
        return sum(picked, axis=1)
    if k < 0 and m - k <= n:
        return sum(picked, axis=0)
    raise unsupported(f"np.diagonal(offset={k}) of a {n}x{m} array", "a diagonal shorter "
                      "than the rows (columns) needs a slice op")


def _tri(name: str, upper: bool):
    def fn(m: Any, k: int = 0) -> Tensor:
        node = to_node(m)
        if node.ndim < 2:
            raise unsupported(f"np.{name} of a 1-D array")
        n, cols = _concrete(node.shape[-2:], f"np.{name}")
        k = static_int(k, f"np.{name} k")
        mask = np.triu(np.ones((n, cols), bool), k) if upper else np.tril(
            np.ones((n, cols), bool), k)
        return where(constant_node(mask, "bool"), node, 0.0)

    fn.__name__ = name
    fn.__doc__ = (f"``np.{name}``: ``where(mask, m, 0)`` with the constant "
                  f"{'upper' if upper else 'lower'}-triangle mask.")
    return fn


triu, tril = _tri("triu", True), _tri("tril", False)


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """``np.isclose``: ``|a - b| <= atol + rtol |b|`` for finite values; infinities are
    close only to themselves; NaN only to NaN with ``equal_nan``."""
    x, y = _operands(a, b)
    finite = logical_and(isfinite(x), isfinite(y))
    close = where(finite, less_equal(abs(subtract(x, y)), add(atol, multiply(rtol, abs(y)))),
                  equal(x, y))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(x), isnan(y)))
    return close


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> Tensor:
    """``np.allclose`` as a traced bool (``all(isclose(...))``)."""
    return all(isclose(a, b, rtol, atol, equal_nan))


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``np.linalg.norm`` for vector norms (any ``ord`` but NumPy's matrix-only ones) and
    the matrix norms ``'fro'``, 1, -1, inf, -inf. ``'nuc'`` and 2 need an SVD."""
    node = to_node(x)
    if axis is None:
        axes = tuple(range(node.ndim))
        if ord is not None and node.ndim > 2:
            raise ValueError("Improper number of dimensions to norm.")
        if ord is None:
            return sqrt(sum(square(node), axis=None, keepdims=keepdims))
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(int(a) % builtins.max(node.ndim, 1) for a in axes)
    if len(axes) == 1:
        return _vector_norm(node, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(node, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _vector_norm(node: Node, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Tensor:
    if ord is None or ord == 2:
        return sqrt(sum(square(node), axis=axes, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == np.inf:
        return max(abs(node), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs(node), axis=axes, keepdims=keepdims)
    if ord == 0:
        return cast(_nonzero_count(node, axis=axes, keepdims=keepdims), node.dtype)
    if ord == 1:
        return sum(abs(node), axis=axes, keepdims=keepdims)
    p = float(ord)
    return power(sum(power(abs(node), p), axis=axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(node: Node, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Tensor:
    row, col = axes
    if ord is None or ord == "fro":
        return sqrt(sum(square(node), axis=axes, keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        # 1: max over columns of the column sums (sum over rows); inf: over rows
        summed_axis, then_axis = (row, col) if ord in (1, -1) else (col, row)
        sums = sum(abs(node), axis=summed_axis, keepdims=True)
        pick = max if ord in (1, np.inf) else min
        out = pick(sums, axis=then_axis, keepdims=True)
        return out if keepdims else squeeze(out, axis=axes)
    raise unsupported(f"np.linalg.norm(ord={ord!r}) of a matrix",
                      "it needs singular values (an SVD op)")


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """``np.einsum`` for explicit or implicit subscripts (``...`` included): operands are
    combined left to right; a pair that contracts indices becomes one (batched) ``matmul``,
    otherwise a broadcast multiply; indices used nowhere later are summed first. A repeated
    index inside one operand (a diagonal) takes the diagonal with an ``eye`` mask."""
    if not isinstance(subscripts, str):
        raise unsupported("np.einsum with interleaved (operand, sublist) arguments")
    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"np.einsum: {len(terms)} subscripts for {len(operands)} operands")
    nodes = _operands(*operands)
    ell = ""
    if "..." in spec:
        terms, nodes, ell = _einsum_ellipsis(terms, nodes)
        out = out.replace("...", ell)
    if not builtins.all(c.isalpha() for c in "".join(terms) + out):
        raise ValueError(f"np.einsum: invalid subscripts {subscripts!r}")
    if not arrow:  # implicit mode: broadcast dims, then indices used once, alphabetically
        letters = "".join(terms)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell)
                                   if letters.count(c) == 1))
    sizes: dict[str, Any] = {}
    items: list[tuple[Node, str]] = []
    for term, node in zip(terms, nodes):
        if len(term) != node.ndim:
            raise ShapeError(f"np.einsum: subscripts {term!r} for an operand of shape "
                             f"{fmt_shape(node.shape)} (at {user_location()})")
        for c, d in zip(term, node.shape):
            if sizes.setdefault(c, d) != d:
                raise ShapeError(f"np.einsum: index {c!r} has sizes {sizes[c]} and {d} (at "
                                 f"{user_location()})")
        items.append(_einsum_diagonal(node, term))
    for i, (node, term) in enumerate(items):  # sum indices no other term or output needs
        later = out + "".join(t for j, (_, t) in enumerate(items) if j != i)
        items[i] = _einsum_sum(node, term, later)
    node, term = items[0]
    for k in range(1, len(items)):
        keep = out + "".join(t for _, t in items[k + 1:])
        node, term = _einsum_pair(node, term, *items[k], keep)
    node, term = _einsum_sum(node, term, out)
    return transpose(node, [term.index(c) for c in out])


def _einsum_ellipsis(terms: list[str], nodes: list[Node]) -> tuple[list[str], list[Node], str]:
    """Replace ``...`` by fresh upper-case indices for the broadcast dims (aligned from the
    right, size-1 dims broadcast to the others)."""
    used = set("".join(terms))
    fresh = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    counts = [n.ndim - len(t.replace("...", "")) if "..." in t else 0
              for t, n in zip(terms, nodes)]
    width = builtins.max(counts, default=0)
    ell = "".join(fresh[:width])
    shape = broadcast_shapes_of([n.shape[t.index("..."):t.index("...") + k] if "..." in t
                                 else () for t, n, k in zip(terms, nodes, counts)])
    new_terms, new_nodes = [], []
    for t, n, k in zip(terms, nodes, counts):
        if "..." not in t:
            new_terms.append(t)
            new_nodes.append(n)
            continue
        i = t.index("...")
        letters = ell[width - k:]
        want = n.shape[:i] + shape[width - k:] + n.shape[i + k:]
        if want != n.shape:
            n = broadcast_to(n, want).node
        new_terms.append(t[:i] + letters + t[i + 3:])
        new_nodes.append(n)
    return new_terms, new_nodes, ell


def broadcast_shapes_of(shapes: Sequence[tuple]) -> tuple:
    """NumPy's broadcast of ``shapes`` (ShapeError naming einsum when they do not fit)."""
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except (ValueError, TypeError):
        raise ShapeError(f"np.einsum: the '...' dims {list(shapes)} do not broadcast (at "
                         f"{user_location()})") from None


def _einsum_diagonal(node: Node, term: str) -> tuple[Node, str]:
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        i, j = term.index(c), term.index(c, term.index(c) + 1)
        n = _concrete((node.shape[i],), "np.einsum with a repeated index")[0]
        rest = [k for k in range(node.ndim) if k not in (i, j)]
        moved = transpose(node, rest + [i, j])
        picked = sum(where(_eye_mask(n, n, 0), moved, -0.0), axis=-1).node
        node, term = picked, "".join(term[k] for k in rest) + c
    return node, term


def _einsum_sum(node: Node, term: str, keep: str) -> tuple[Node, str]:
    drop = tuple(i for i, c in enumerate(term) if c not in keep)
    if not drop:
        return node, term
    return sum(node, axis=drop).node, "".join(c for c in term if c in keep)


def _einsum_pair(a: Node, ta: str, b: Node, tb: str, keep: str) -> tuple[Node, str]:
    contracted = [c for c in ta if c in tb and c not in keep]
    if not contracted:  # no shared summed index: a broadcast multiply
        union = ta + "".join(c for c in tb if c not in ta)
        xa = _einsum_align(a, ta, union)
        xb = _einsum_align(b, tb, union)
        return multiply(xa, xb).node, union
    batch = [c for c in ta if c in tb and c in keep]
    free_a = [c for c in ta if c not in tb]
    free_b = [c for c in tb if c not in ta]
    sizes = dict(zip(ta, a.shape)) | dict(zip(tb, b.shape))
    dims = {c: _concrete((sizes[c],), "np.einsum")[0] for c in sizes}
    fa, fb = math.prod(dims[c] for c in free_a), math.prod(dims[c] for c in free_b)
    k = math.prod(dims[c] for c in contracted)
    bshape = tuple(dims[c] for c in batch)
    lhs = reshape(transpose(a, [ta.index(c) for c in batch + free_a + contracted]),
                  bshape + (fa, k))
    rhs = reshape(transpose(b, [tb.index(c) for c in batch + contracted + free_b]),
                  bshape + (k, fb))
    prod_ = matmul(lhs, rhs)
    result = reshape(prod_, bshape + tuple(dims[c] for c in free_a + free_b))
    return result.node, "".join(batch + free_a + free_b)


def _einsum_align(node: Node, term: str, union: str) -> Tensor:
    """``node`` (indexed by ``term``) transposed to ``union``'s order with size-1 axes for
    the indices it lacks."""
    order = [c for c in union if c in term]
    moved = transpose(node, [term.index(c) for c in order])
    shape = tuple(node.shape[term.index(c)] if c in term else 1 for c in union)
    return reshape(moved, shape)


# -- layout ----------------------------------------------------------------------------------


def _keeps_int(fn: Any) -> Any:
    """A layout function: an integer-valued operand gives an integer-valued result."""

    def wrapper(x: Any, *args: Any, **kwargs: Any) -> Tensor:
        out = fn(x, *args, **kwargs)
        if isinstance(x, Tensor) and x.int_op and isinstance(out, Tensor):
            return _as_int(out, x.int_op)
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


def _index_kind(k: Any) -> str | None:
    """What kind of index ``k`` is when the IR cannot express it yet, else None."""
    if k is None or k is Ellipsis:
        return None
    if isinstance(k, slice):
        return None if k == slice(None) else "slicing"
    if isinstance(k, Tensor):
        if k.node.dtype == "bool":
            return "boolean-mask indexing (the result has a data-dependent shape)"
        return "integer-array indexing with a traced index (a gather)"
    if isinstance(k, (bool, np.bool_)):
        return "indexing with a bool scalar"
    if isinstance(k, (int, np.integer)):
        return "integer indexing"
    arr = np.asarray(k)
    if arr.dtype == np.bool_:
        return "boolean-mask indexing"
    if arr.dtype.kind in "iu":
        return "integer-array indexing (a gather)"
    return f"indexing with a {type(k).__name__}"


def _key_text(key: tuple) -> str:
    def one(k: Any) -> str:
        if k is Ellipsis:
            return "..."
        if isinstance(k, slice):
            parts = ["" if v is None else str(v) for v in (k.start, k.stop, k.step)]
            return ":".join(parts[:2]) + (f":{parts[2]}" if k.step is not None else "")
        if isinstance(k, Tensor):
            return "mask" if k.node.dtype == "bool" else "index"
        if isinstance(k, (list, np.ndarray)):
            return "array"
        return repr(k)

    return "x[" + ", ".join(one(k) for k in key) + "]"


@_keeps_int
def index(x: Any, key: Any) -> Tensor:
    """Indexing limited to what the IR's ops express today: ``None`` (new axis), ``...`` and
    full slices ``:``; any other index kind raises ``UnsupportedOperation`` naming it."""
    node = to_node(x)
    key = key if isinstance(key, tuple) else (key,)
    for k in key:
        kind = _index_kind(k)
        if kind is not None:
            hint = ("; for a reduction over the selected elements use np.where(mask, x, 0) "
                    "(e.g. np.sum(np.where(m, x, 0)))" if kind.startswith("boolean") else "")
            raise unsupported(f"{kind} ({_key_text(key)})",
                              "only None, ... and full slices ':' are traced so far (slice "
                              "and gather ops are not in the IR yet)" + hint)
    if builtins.sum(1 for k in key if k is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    n_real = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > node.ndim:
        raise IndexError(f"too many indices for an array of shape {fmt_shape(node.shape)}")
    if builtins.any(k is Ellipsis for k in key):
        e = next(i for i, k in enumerate(key) if k is Ellipsis)
        key = key[:e] + (slice(None),) * (node.ndim - n_real) + key[e + 1:]
    else:
        key = key + (slice(None),) * (node.ndim - n_real)
    new_axes = [i for i, k in enumerate(key) if k is None]
    return expand_dims(node, new_axes) if new_axes else _wrap(node)


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
    if dt not in FLOAT_DTYPES + ("bool",):
        raise unsupported(f"an array of dtype {dt}", "eqsat-tensor computes in float32, "
                                                     "float64 and bool")
    value = bool(fill_value) if dt == "bool" else float(fill_value)
    return broadcast_to(constant_node(value, dt), node.shape)
