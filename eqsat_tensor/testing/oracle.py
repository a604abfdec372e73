"""The exact value of a graph, for ``check_rules``: mpmath at 2,200 bits, with IEEE-style
special values (NaN where an op is undefined, signed infinities at poles).

2,200 bits hold the exact sum of any two float64 values (their exponents span
2^-1074 .. 2^1024), so cancellation in sums is computed exactly; mpmath exponents are
unbounded, so no intermediate overflows. Inputs are the float values themselves (exact);
``-0.0`` becomes 0.

Each op is evaluated by its one mpmath definition in the ops table (``OpSpec.mpmath``),
the same that ``mpeval`` uses; this module adds the working precision, the tracking of
elements it cannot vouch for (cancellation, arguments too large) and rounding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

from ..backends.base import concrete_shape
from ..ir import OPS, Graph, Node

PREC = 2200
_NAN = mpmath.mpf("nan")


def _isnan(x: Any) -> bool:
    return isinstance(x, mpmath.mpf) and mpmath.isnan(x)


# Arguments too large to compute with: exp(exp(1000)) has an exponent of 10^434 digits and
# sin of it would need that many bits of pi. Each op states its limit (``OpSpec.mp_limit``);
# such results are the NaN object ``_CLAMP`` (recognized by identity), and marked unknown
# with everything that depends on them.
_CLAMP = mpmath.mpf("nan")


def _too_big(name: str, args: tuple) -> bool:
    limit = OPS[name].mp_limit
    if limit is None:
        return False
    if name == "pow":
        a, b = args
        return (isinstance(a, mpmath.mpf) and isinstance(b, mpmath.mpf) and a != 0 and b != 0
                and mpmath.isfinite(a) and mpmath.isfinite(b)
                and mpmath.mag(b) + max(mpmath.mag(mpmath.mag(a)), 1) > limit + 20)
    return any(mpmath.mag(a) > limit for a in args if isinstance(a, mpmath.mpf)
               and mpmath.isfinite(a) and a != 0)


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


def _mp(op: str) -> Callable:
    """The op's one mpmath definition (``OpSpec.mpmath``) in the global context."""
    return functools.partial(OPS[op].mpmath, mpmath.mp)


# Each elementwise op's exact definition, from the ops table; comparisons return bools.
_UFUNCS = {name: np.frompyfunc(_mp(name) if "comparison" in spec.tags
                               else _real(_mp(name), name), spec.arity, 1)
           for name, spec in OPS.items()
           if spec.kind == "elementwise" and callable(spec.mpmath) and name != "where"}
_ADD = np.frompyfunc(_real(_mp("add")), 2, 1)
_MUL = np.frompyfunc(_real(_mp("mul")), 2, 1)
_MAX = np.frompyfunc(_mp("maximum"), 2, 1)
_MIN = np.frompyfunc(_mp("minimum"), 2, 1)
_EXP = np.frompyfunc(_real(_mp("exp"), "exp"), 1, 1)
_LOG = np.frompyfunc(_real(_mp("log")), 1, 1)


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
            src = _EXP(x) if node.op == "logsumexp" else x
            out = _reduce(_ADD, _obj(src), axis, keepdims)
            if node.op == "mean":
                n = int(np.prod([x.shape[i] for i in axis]))
                out = _obj(np.frompyfunc(lambda v: v / n, 1, 1)(out))
            if node.op == "logsumexp":
                out = _obj(_LOG(out))
            return out
        ufunc = {"max": _MAX, "min": _MIN, "prod": _MUL}[node.op]
        return _reduce(ufunc, x, axis, keepdims)
    if spec.kind == "matmul":
        return _obj(np.matmul(args[0], args[1]))
    if "shape" in attrs:
        attrs["shape"] = concrete_shape(attrs["shape"], dims)
    if spec.kind == "gather":  # index operands back to ints (they arrive as exact numbers)
        args = [_ints(a) if i.dtype == "int64" else a for a, i in zip(args, node.inputs)]
        return _obj(spec.reference(*args, **attrs))
    return _obj(spec.reference(args[0], **attrs))


def _ints(a: np.ndarray) -> np.ndarray:
    return np.asarray(np.asarray(a, dtype=object).astype(float), dtype=np.int64)


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
    if spec.kind == "gather":  # conservative: a mask anywhere taints the whole result
        any_true = any(bool(np.any(m)) for m in masks)
        return np.full(tuple(concrete_shape(node.shape, dims)), any_true)
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


def _too_close(node: Node, args: list[np.ndarray], prec: int) -> np.ndarray | bool:
    """Where a comparison of inexact operands is decided by less than the working
    precision (``log2(exp2(x)) != x``: equal in real arithmetic, apart by rounding here)."""
    if "comparison" not in OPS[node.op].tags or len(args) != 2:
        return False
    # half the working precision: rounding errors of the operands, grown by cancellation
    # inside them (log2(exp2(1e-40)) keeps about prec - 133 bits), stay far below it
    scale = mpmath.ldexp(1, -(prec // 2))

    def close(a: Any, b: Any) -> bool:
        if not (isinstance(a, mpmath.mpf) and isinstance(b, mpmath.mpf)) or _isnan(a) \
                or _isnan(b) or mpmath.isinf(a) or mpmath.isinf(b):
            return False
        return bool(abs(a - b) <= scale * max(abs(a), abs(b)))

    return np.asarray(np.frompyfunc(close, 2, 1)(*args), dtype=bool)


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
            cancel = (_cancelled(node, args, out, prec) | _too_close(node, args, prec)) & \
                np.broadcast_to(_any_of(node, ins, dims), np.shape(out))
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
