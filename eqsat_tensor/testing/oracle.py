"""The exact value of a graph, for ``check_rules``: mpmath at 2,200 bits, with IEEE-style
special values (NaN where an op is undefined, signed infinities at poles).

2,200 bits hold the exact sum of any two float64 values (their exponents span
2^-1074 .. 2^1024), so cancellation in sums is computed exactly; mpmath exponents are
unbounded, so no intermediate overflows. Inputs are the float values themselves (exact);
``-0.0`` becomes 0.

When ``eqsat_tensor.mpeval`` is available its ``exact`` is used instead (see
``exact_values``); this module is the fallback, kept small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

from ..backends.base import concrete_shape
from ..ir import OPS, Graph, Node

PREC = 2200
_NAN = mpmath.mpf("nan")
_INF = mpmath.mpf("inf")


def _isnan(x: Any) -> bool:
    return isinstance(x, mpmath.mpf) and mpmath.isnan(x)


# Arguments too large to compute with: exp(exp(1000)) has an exponent of 10^434 digits and
# sin of it would need that many bits of pi. Such results are the NaN object ``_CLAMP``
# (recognized by identity), and marked unknown with everything that depends on them.
_EXP_LIKE = {"exp", "expm1", "exp2", "sinh", "cosh", "sigmoid", "softplus", "logaddexp", "tanh",
             "pow"}
_TRIG = {"sin", "cos", "tan"}
_EXP_MAG, _TRIG_MAG = 1100, 20000
_CLAMP = mpmath.mpf("nan")


def _too_big(name: str, args: tuple) -> bool:
    mags = [mpmath.mag(a) for a in args if isinstance(a, mpmath.mpf) and mpmath.isfinite(a)
            and a != 0]
    if name == "pow":
        a, b = args
        return (isinstance(a, mpmath.mpf) and isinstance(b, mpmath.mpf) and a != 0 and b != 0
                and mpmath.isfinite(a) and mpmath.isfinite(b)
                and mpmath.mag(b) + max(mpmath.mag(mpmath.mag(a)), 1) > _EXP_MAG + 20)
    if name in _EXP_LIKE:
        return any(m > _EXP_MAG for m in mags)
    if name in _TRIG:
        return any(m > _TRIG_MAG for m in mags)
    return False


def _real(fn: Callable, name: str = "") -> Callable:
    """Wrap an mpmath function: NaN in gives NaN out, a complex result is NaN, an argument
    too large to compute with gives ``_CLAMP``."""

    def f(*args: Any) -> Any:
        if any(_isnan(a) for a in args):
            return _NAN
        if name and _too_big(name, args):
            return _CLAMP
        try:
            out = fn(*args)
        except (ZeroDivisionError, ValueError):
            return _NAN
        return _NAN if isinstance(out, mpmath.mpc) else out

    return f


def _div(a: Any, b: Any) -> Any:
    if b == 0:
        return _NAN if a == 0 or _isnan(a) else mpmath.sign(a) * _INF
    return a / b


def _log(x: Any) -> Any:
    return _NAN if x < 0 else (-_INF if x == 0 else mpmath.log(x))


def _pow(a: Any, b: Any) -> Any:
    if b == 0:
        return mpmath.mpf(1)
    if a == 0:
        return _INF if b < 0 else mpmath.mpf(0)
    if a < 0 and not mpmath.isint(b):
        return _NAN
    return mpmath.power(a, b)


def _sigmoid(x: Any) -> Any:
    return 1 / (1 + mpmath.exp(-x))


def _minmax(pick: Callable) -> Callable:
    return lambda a, b: _NAN if _isnan(a) or _isnan(b) else pick(a, b)


_FUNCS: dict[str, Callable] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": _div, "pow": _pow, "maximum": _minmax(max), "minimum": _minmax(min),
    "hypot": mpmath.hypot, "arctan2": mpmath.atan2,
    "logaddexp": lambda a, b: _log(mpmath.exp(a) + mpmath.exp(b)),
    "neg": lambda a: -a, "exp": mpmath.exp, "log": _log,
    "log1p": lambda x: _NAN if x < -1 else (-_INF if x == -1 else mpmath.log1p(x)),
    "expm1": mpmath.expm1, "sqrt": lambda x: _NAN if x < 0 else mpmath.sqrt(x),
    "abs": abs, "square": lambda x: x * x, "reciprocal": lambda x: _div(mpmath.mpf(1), x),
    "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan, "tanh": mpmath.tanh,
    "sinh": mpmath.sinh, "cosh": mpmath.cosh,
    "arcsin": lambda x: _NAN if abs(x) > 1 else mpmath.asin(x),
    "arccos": lambda x: _NAN if abs(x) > 1 else mpmath.acos(x), "arctan": mpmath.atan,
    "cbrt": lambda x: mpmath.sign(x) * mpmath.cbrt(abs(x)),
    "log2": lambda x: _log(x) / mpmath.log(2), "log10": lambda x: _log(x) / mpmath.log(10),
    "exp2": lambda x: mpmath.power(2, x), "sigmoid": _sigmoid,
    "softplus": lambda x: _log(1 + mpmath.exp(x)),
    "less": lambda a, b: a < b, "less_equal": lambda a, b: a <= b,
    "greater": lambda a, b: a > b, "greater_equal": lambda a, b: a >= b,
    "equal": lambda a, b: a == b, "not_equal": lambda a, b: not (a == b),
}
_UFUNCS = {name: np.frompyfunc(fn if name in ("less", "less_equal", "greater", "greater_equal",
                                              "equal", "not_equal") else _real(fn, name),
                               OPS[name].arity, 1)
           for name, fn in _FUNCS.items()}
_ADD = np.frompyfunc(_real(lambda a, b: a + b), 2, 1)
_MUL = np.frompyfunc(_real(lambda a, b: a * b), 2, 1)
_MAX = np.frompyfunc(_minmax(max), 2, 1)
_MIN = np.frompyfunc(_minmax(min), 2, 1)


def _obj(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=object)


def _reduce(ufunc: np.ufunc, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    out = x
    for ax in sorted(axis, reverse=True):  # object ufuncs reduce one axis at a time
        out = _obj(ufunc.reduce(out, axis=ax, keepdims=True))
    return out if keepdims else _obj(np.squeeze(out, axis=axis))


def _round(x: Any, dtype: str) -> Any:
    if isinstance(x, bool) or _isnan(x):
        return x
    return mpmath.mpf(float(np.asarray(float(x), dtype=dtype)))


def _eval_node(node: Node, args: list[np.ndarray], dims: dict[str, int]) -> np.ndarray:
    spec = OPS[node.op]
    attrs = dict(node.attrs)
    if node.op == "constant":
        return to_mp(np.asarray(node.value, dtype=node.dtype))
    if node.op in _UFUNCS:
        return _obj(_UFUNCS[node.op](*args))
    if node.op == "where":
        return _obj(np.where(args[0].astype(bool), args[1], args[2]))
    if node.op == "cast":
        if node.dtype == "bool":
            return _obj(np.frompyfunc(lambda v: bool(v != 0), 1, 1)(args[0]))
        return _obj(np.frompyfunc(lambda v: _round(v, node.dtype), 1, 1)(args[0]))
    if spec.kind == "reduction":
        axis, keepdims = attrs["axis"], attrs["keepdims"]
        x = args[0]
        if node.op in ("sum", "mean", "logsumexp"):
            src = np.frompyfunc(_real(mpmath.exp, "exp"), 1, 1)(x) if node.op == "logsumexp" else x
            out = _reduce(_ADD, _obj(src), axis, keepdims)
            if node.op == "mean":
                n = int(np.prod([x.shape[i] for i in axis]))
                out = _obj(np.frompyfunc(lambda v: v / n, 1, 1)(out))
            if node.op == "logsumexp":
                out = _obj(np.frompyfunc(_real(_log), 1, 1)(out))
            return out
        ufunc = {"max": _MAX, "min": _MIN, "prod": _MUL}[node.op]
        return _reduce(ufunc, x, axis, keepdims)
    if spec.kind == "matmul":
        return _obj(np.matmul(args[0], args[1]))
    if "shape" in attrs:
        attrs["shape"] = concrete_shape(attrs["shape"], dims)
    return _obj(spec.reference(args[0], **attrs))


def to_mp(array: np.ndarray) -> np.ndarray:
    """An object array of mpmath numbers (bools stay bools) holding ``array`` exactly."""
    arr = np.asarray(array)
    if arr.dtype == np.bool_:
        return _obj(arr)
    return _obj(np.frompyfunc(lambda v: mpmath.mpf(float(v)), 1, 1)(arr))


# Ops that are exact at PREC bits on exact operands (sums and products of a few floats).
_EXACT_OPS = {"add", "sub", "mul", "neg", "abs", "square", "maximum", "minimum", "where",
              "cast", "sum", "max", "min", "less", "less_equal", "greater", "greater_equal",
              "equal", "not_equal", "matmul", "transpose", "reshape", "broadcast_to",
              "expand_dims", "constant"}


def _any_of(node: Node, masks: list[np.ndarray], dims: dict[str, int]) -> np.ndarray:
    """Element ``i`` of the result depends on a True element of some input mask."""
    spec = OPS[node.op]
    attrs = dict(node.attrs)
    if spec.kind == "reduction":
        return np.any(masks[0], axis=attrs["axis"], keepdims=attrs["keepdims"])
    if spec.kind == "matmul":
        a, b = (m.astype(np.float64) for m in masks)
        return (a @ np.ones(b.shape) + np.ones(a.shape) @ b) > 0
    if spec.kind == "layout":
        if "shape" in attrs:
            attrs["shape"] = concrete_shape(attrs["shape"], dims)
        return np.asarray(spec.reference(masks[0], **attrs))
    return np.logical_or.reduce(np.broadcast_arrays(*masks)) if masks else np.zeros((), bool)


def _cancelled(node: Node, args: list[np.ndarray], out: np.ndarray, prec: int) -> np.ndarray:
    """Where a sum cancelled (nearly) every bit of PREC: the result is not trustworthy."""
    if node.op not in ("add", "sub", "sum", "mean", "logsumexp") or (
            node.op == "sub" and node.inputs[0] is node.inputs[1]):  # x - x is exactly 0
        return np.zeros(np.shape(out), bool)
    scale = mpmath.ldexp(1, -(prec - 64))
    if node.op in ("add", "sub"):
        f = np.frompyfunc(lambda r, a, b: bool(not _isnan(r) and not mpmath.isinf(r) and
                                               abs(r) <= scale * max(abs(a), abs(b))
                                               and (a != 0 or b != 0)), 3, 1)
        return np.asarray(f(out, *args), dtype=bool)
    if node.op == "logsumexp":
        return np.zeros(np.shape(out), bool)
    attrs = dict(node.attrs)
    mag = _reduce(_ADD, _obj(np.frompyfunc(abs, 1, 1)(args[0])), attrs["axis"],
                  attrs["keepdims"])
    if node.op == "mean":
        n = int(np.prod([args[0].shape[i] for i in attrs["axis"]]))
        mag = _obj(np.frompyfunc(lambda v: v / n, 1, 1)(mag))
    f = np.frompyfunc(lambda r, m: bool(not _isnan(r) and not mpmath.isinf(r) and m != 0 and
                                        abs(r) <= scale * m), 2, 1)
    return np.asarray(f(out, mag), dtype=bool)


def _exact_at(graph: Graph, arrays: list[Any], dims: dict[str, int], prec: int
              ) -> list[tuple[np.ndarray, np.ndarray]]:
    with mpmath.workprec(prec):
        env: dict[int, np.ndarray] = {}
        inexact: dict[int, np.ndarray] = {}
        unknown: dict[int, np.ndarray] = {}
        for n, a in zip(graph.inputs, arrays):
            env[n.uid] = to_mp(np.asarray(a, dtype=n.dtype))
            inexact[n.uid] = unknown[n.uid] = np.zeros(np.shape(a), bool)
        for node in graph.nodes():
            if node.uid in env:
                continue
            args = [env[i.uid] for i in node.inputs]
            out = _eval_node(node, args, dims)
            env[node.uid] = out
            clamped = np.asarray(np.frompyfunc(lambda v: v is _CLAMP, 1, 1)(out), dtype=bool)
            ins = [inexact[i.uid] for i in node.inputs]
            unk = _any_of(node, [unknown[i.uid] for i in node.inputs], dims)
            inx = _any_of(node, ins, dims)
            if node.op not in _EXACT_OPS:
                inx = np.ones(np.shape(out), bool)
            cancel = _cancelled(node, args, out, prec) & np.broadcast_to(
                _any_of(node, ins, dims), np.shape(out))
            inexact[node.uid] = np.broadcast_to(inx, np.shape(out))
            unknown[node.uid] = np.broadcast_to(unk, np.shape(out)) | cancel | clamped
        return [(env[o.uid], unknown[o.uid]) for o in graph.outputs]


def exact_with_unknown(graph: Graph, arrays: list[Any], dims: dict[str, int] | None = None
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(exact values, unknown mask)`` per output: object arrays of ``mpmath.mpf`` and a
    bool mask of the elements the oracle cannot vouch for (an inexact intermediate
    cancelled to below the working precision, as in ``1 - sigmoid(1e300)``). Precision
    starts at PREC bits and is raised to 4 * PREC where something cancelled."""
    dims = dims or {}
    outs = _exact_at(graph, arrays, dims, PREC)
    if not any(u.any() for _, u in outs):
        return outs
    better = _exact_at(graph, arrays, dims, 4 * PREC)
    return [(np.where(u1, v2, v1), u1 & u2) for (v1, u1), (v2, u2) in zip(outs, better)]


def exact(graph: Graph, arrays: list[Any], dims: dict[str, int] | None = None) -> list[np.ndarray]:
    """Exact values (object arrays of ``mpmath.mpf``) of ``graph.outputs``; see
    ``exact_with_unknown`` for which elements can be trusted."""
    return [v for v, _ in exact_with_unknown(graph, arrays, dims)]


def ulps_from_exact(value: float, exact_value: Any, dtype: str) -> float:
    """How many ulps (of ``dtype``, at the exact value) ``value`` is from ``exact_value``:
    0 for matching NaNs or infinities, ``inf`` for a wrong class."""
    if _isnan(exact_value):
        return 0.0 if np.isnan(value) else np.inf
    if mpmath.isinf(exact_value):
        return 0.0 if value == float(exact_value) else np.inf
    with np.errstate(over="ignore"):
        rounded = float(np.asarray(float(exact_value), dtype=dtype))
    if np.isinf(rounded):  # the exact value overflows the dtype: inf is correctly rounded
        return 0.0 if value == rounded else np.inf
    if not np.isfinite(value):
        return np.inf
    info = np.finfo(dtype)
    with mpmath.workprec(PREC):
        ulp = float(np.spacing(np.asarray(min(abs(rounded), float(info.max)), dtype=dtype)))
        return float(abs(mpmath.mpf(float(value)) - exact_value) / ulp)
