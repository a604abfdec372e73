"""The builder API: ``et.tensor``, ``et.constant`` and one function per op.

Every function accepts Tensors, Python scalars and array-likes, converts the non-Tensor
operands to constants with NumPy's own promotion rules (Python scalars are "weak": they
take the dtype of the Tensor beside them), and returns a Tensor. The NumPy tracer calls
these same functions, so builder and tracer produce identical graphs.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError, UnsupportedOperation
from ..ir import (
    ELEMENTWISE_UNARY,
    FLOAT_DTYPES,
    Node,
    apply,
    constant_node,
    fmt_shape,
    input_node,
    normalize_axis,
    user_location,
)
from .tensor import Tensor

# -- operand conversion ---------------------------------------------------------------------


def _np_dtype(node: Node) -> np.dtype:
    return np.dtype(node.dtype)


def to_node(value: Any, like: Node | None = None) -> Node:
    """Node for ``value``: Tensors as they are; scalars and arrays as constants whose dtype
    follows NumPy's promotion against ``like`` (the other operand)."""
    if isinstance(value, Tensor):
        return value.node
    if isinstance(value, Node):
        return value
    if isinstance(value, (list, tuple)) and builtins.any(isinstance(v, Tensor) for v in value):
        raise UnsupportedOperation("a list of traced values cannot become an array constant "
                                   "(np.stack/np.concatenate are not supported)")
    arr = np.asarray(value)
    if arr.dtype == np.bool_ and (like is None or like.dtype == "bool"):
        return constant_node(arr, "bool")
    if arr.dtype.kind not in "biuf":
        raise DTypeError(f"cannot use a value of dtype {arr.dtype} in a graph (at "
                         f"{user_location()})")
    if like is not None and like.dtype in FLOAT_DTYPES:
        dt = np.result_type(_np_dtype(like), value if arr.ndim == 0 and not isinstance(
            value, np.ndarray) else arr)
    else:
        dt = np.result_type(value if arr.ndim == 0 and not isinstance(value, np.ndarray) else arr,
                            np.float32 if arr.dtype == np.float32 else np.float64)
    name = dt.name if dt.name in FLOAT_DTYPES else "float64"
    return constant_node(arr, name)


def _operands(*values: Any) -> list[Node]:
    """Convert operands; constants are typed against the first Tensor operand."""
    like = next((v.node for v in values if isinstance(v, Tensor)), None)
    if like is None:
        like = next((v for v in values if isinstance(v, Node)), None)
    return [to_node(v, like) for v in values]


def _wrap(node: Node) -> Tensor:
    return Tensor(node)


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
        return _wrap(apply(op, *_operands(x)))

    fn.__name__ = op
    fn.__doc__ = f"Elementwise ``{op}``."
    return fn


def _binary(op: str):
    def fn(x: Any, y: Any) -> Tensor:
        return _wrap(apply(op, *_operands(x, y)))

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
less, less_equal = _binary("less"), _binary("less_equal")
greater, greater_equal = _binary("greater"), _binary("greater_equal")
equal, not_equal = _binary("equal"), _binary("not_equal")
sub, mul, div = subtract, multiply, divide
# every other elementwise op of the ops table (``erf``...) gets its builder by its op name
globals().update({op: _unary(op) for op in ELEMENTWISE_UNARY if op not in globals()})


def where(cond: Any, x: Any, y: Any) -> Tensor:
    """``x`` where ``cond`` holds, else ``y`` (broadcast together)."""
    c = to_node(cond)
    a, b = _operands(x, y)
    if c.dtype != "bool":
        c = apply("not_equal", c, to_node(0.0, c))
    return _wrap(apply("where", c, a, b))


def cast(x: Any, dtype: Any) -> Tensor:
    """Convert to ``float32``, ``float64`` or ``bool``."""
    name = np.dtype(dtype).name
    if name not in ("float32", "float64", "bool"):
        raise DTypeError(f"cast: dtype {name} is not supported (at {user_location()})")
    node = to_node(x)
    return _wrap(node if node.dtype == name else apply("cast", node, dtype=name))


def clip(x: Any, lo: Any, hi: Any) -> Tensor:
    """``minimum(maximum(x, lo), hi)``; ``None`` skips a bound."""
    out = x if isinstance(x, Tensor) else constant(x)
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return out


# -- reductions ---------------------------------------------------------------------------------


def _reduction(op: str):
    def fn(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
        node = to_node(x)
        return _wrap(apply(op, node, axis=normalize_axis(axis, node.ndim, op),
                           keepdims=bool(keepdims)))

    fn.__name__ = op
    fn.__doc__ = f"``{op}`` over ``axis`` (an int, a tuple, or None for all) with ``keepdims``."
    return fn


sum, mean, max, min = _reduction("sum"), _reduction("mean"), _reduction("max"), _reduction("min")
prod, logsumexp = _reduction("prod"), _reduction("logsumexp")


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population variance, ``mean(square(x - mean(x)))`` (NumPy's ``ddof=0``)."""
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation, ``sqrt(var(x))``."""
    return sqrt(var(x, axis=axis, keepdims=keepdims))


# -- linear algebra and layout ------------------------------------------------------------------


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy ``matmul`` semantics (1-D operands, batch broadcasting)."""
    return _wrap(apply("matmul", *_operands(a, b)))


def dot(a: Any, b: Any) -> Tensor:
    """``np.dot`` for 1-D and 2-D operands (same as matmul there)."""
    na, nb = _operands(a, b)
    if na.ndim == 0 or nb.ndim == 0:
        return multiply(a, b)
    if na.ndim > 2 or nb.ndim > 2:
        raise UnsupportedOperation("dot of arrays with more than 2 dims is not supported; use "
                                   "matmul")
    return _wrap(apply("matmul", na, nb))


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
        total = int(np.prod(node.shape)) if node.shape else 1
        rest = int(np.prod(known)) if known else 1
        if rest == 0 or total % rest:
            raise ShapeError(f"reshape: cannot reshape {fmt_shape(node.shape)} into {new} "
                             f"(at {user_location()})")
        new = tuple(total // rest if d == -1 else d for d in new)
    if new == node.shape:
        return _wrap(node)
    return _wrap(apply("reshape", node, shape=new))


def broadcast_to(x: Any, shape: Sequence[int | str]) -> Tensor:
    """Broadcast to ``shape`` (NumPy rules)."""
    node = to_node(x)
    shape = tuple(int(d) if isinstance(d, (int, np.integer)) else d for d in shape)
    if shape == node.shape:
        return _wrap(node)
    return _wrap(apply("broadcast_to", node, shape=shape))


def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert size-1 axes at ``axis`` (positions in the result, like NumPy)."""
    node = to_node(x)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return _wrap(apply("expand_dims", node,
                       axis=normalize_axis(axes, node.ndim + len(axes), "expand_dims")))


def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    node = to_node(x)
    axes = ([i for i, d in enumerate(node.shape) if d == 1] if axis is None
            else normalize_axis(axis, node.ndim, "squeeze"))
    if builtins.any(node.shape[a] != 1 for a in axes):
        raise ShapeError(f"squeeze: axis {axis} of shape {fmt_shape(node.shape)} is not 1 "
                         f"(at {user_location()})")
    return reshape(node, tuple(d for i, d in enumerate(node.shape) if i not in axes))


def index(x: Any, key: Any) -> Tensor:
    """Indexing limited to what a static graph of our ops can express: ``None`` (new axis),
    ``...`` and full slices ``:``."""
    node = to_node(x)
    key = key if isinstance(key, tuple) else (key,)
    if builtins.any(k is not None and k is not Ellipsis and k != slice(None) for k in key):
        raise UnsupportedOperation(f"indexing with {key!r}: only None, ... and full slices are "
                                   "supported in traced code")
    if key.count(Ellipsis) > 1:
        raise UnsupportedOperation("indexing with more than one ...")
    n_real = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if Ellipsis in key:
        e = key.index(Ellipsis)
        key = key[:e] + (slice(None),) * (node.ndim - n_real) + key[e + 1:]
    else:
        key = key + (slice(None),) * (node.ndim - n_real)
    new_axes = [i for i, k in enumerate(key) if k is None]
    return expand_dims(node, new_axes) if new_axes else _wrap(node)


def zeros_like(x: Any) -> Tensor:
    """A constant 0 broadcast to the shape of ``x``."""
    node = to_node(x)
    return broadcast_to(to_node(0.0, node), node.shape)


def ones_like(x: Any) -> Tensor:
    """A constant 1 broadcast to the shape of ``x``."""
    node = to_node(x)
    return broadcast_to(to_node(1.0, node), node.shape)


def full_like(x: Any, fill_value: Any) -> Tensor:
    """A constant ``fill_value`` broadcast to the shape of ``x``."""
    node = to_node(x)
    return broadcast_to(to_node(float(fill_value), node), node.shape)
