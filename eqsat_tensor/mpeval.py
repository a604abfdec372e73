"""Exact evaluation of graphs with mpmath, Herbie-style bits of error, and input sampling.

This is the accuracy oracle shared by the rule checker, the accuracy optimizer and the
FPCore tests. Three functions:

``exact(graph, arrays)``
    The correctly rounded true value of every output element. Each sample is evaluated
    with mpmath at ``start_prec`` bits and again at twice that; samples whose two results
    round to the same float are done, the others are re-evaluated at doubled precision
    until two successive precisions agree or ``max_prec`` is reached. ``add``, ``sub``,
    ``mul`` (and ``neg``, ``abs``, ``square``, sums) are computed *exactly* whenever the
    exact result needs at most ``EXACT_BITS`` bits, so cancellation such as
    ``(x + 1) - x`` at ``x = 1e300`` gets the true answer instead of agreeing on a wrong
    ``0`` at every precision. Only divisions and transcendental functions round.

``bits_of_error(computed, exact)``
    ``log2(1 + number of floats between computed and exact)`` per element, through the
    ordinal map of the IEEE bit patterns (so ``-0.0`` and ``0.0`` are the same float).
    NaN against NaN is 0 bits; NaN against a number is the maximum (64 for float64, 32 for
    float32).

``exact_nodes`` / ``local_error``
    Exact values of every node, and Herbie's local error of each node (the error its own
    float operation adds given exact inputs), to find where accuracy is lost.

``sample_inputs(graph, precondition, n, seed)``
    Random inputs inside ``{"x": (lo, hi)}`` bounds (``sampling.py``, re-exported here).

Each op is evaluated by its one mpmath definition in the ops table (``OpSpec.mpmath``,
``ir/mpdefs.py``); the rule checker's oracle uses the same definitions.

Semantics of ``exact`` (real arithmetic, no IEEE rounding of intermediates):

- Where the expression is undefined the true value is NaN: ``log``/``log2``/``log10`` of a
  negative number, ``sqrt`` of a negative, ``arcsin``/``arccos`` outside ``[-1, 1]``,
  ``0/0``, a negative base to a non-integer power, ``inf - inf``.
- Poles follow the IEEE limit: ``x/0 = ±inf`` (sign of ``x``), ``log(0) = -inf``,
  ``0 ** negative = inf``. Intermediates never overflow or underflow (mpmath exponents are
  unbounded); only the final rounding produces ``inf``/``0`` for out-of-range results.
- ``cast`` between float dtypes is the identity (the mathematical value is kept); the
  *output* dtype decides the final rounding (float64 or float32). ``bool`` outputs are
  returned as bool arrays.
- Reductions (``sum``, ``mean``, ``max``, ``min``, ``prod``, ``logsumexp``), ``matmul``
  and layout ops are supported over small arrays; such graphs are re-evaluated as a whole
  when any element needs more precision (elementwise graphs escalate per sample).

Speed: about 5 µs per mpmath op and sample, so 2,000 samples of a 20-node expression take
well under a second at the usual two precisions.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mpmath
import numpy as np

from .ir import OPS, Graph, Node, mpdefs
from .sampling import DEFAULT_RANGE, TINY, sample_inputs

# Exact add/mul are used while the exact result needs at most this many bits.
EXACT_BITS = mpdefs.EXACT_BITS

_FORMATS = {"float64": (53, -1022, 1023), "float32": (24, -126, 127)}

# -- one context per module: never touch the global mpmath.mp ------------------------------

_ctx = mpmath.MPContext()
_NAN = _ctx.nan
_ZERO = _ctx.zero
_ONE = _ctx.one


def _isnan(x: Any) -> bool:
    return x._mpf_ == _NAN._mpf_


def _bind_ctx(fn: Callable[..., Any]) -> Callable[..., Any]:
    return functools.partial(fn, _ctx)


# op name -> scalar function on mpf values (Python bools for comparisons): each op's one
# mpmath definition (``OpSpec.mpmath``) bound to this module's context.
SCALAR_OPS: dict[str, Callable[..., Any]] = {
    op: _bind_ctx(spec.mpmath) for op, spec in OPS.items()
    if spec.kind == "elementwise" and callable(spec.mpmath)}

_UFUNCS: dict[str, np.ufunc] = {name: np.frompyfunc(fn, OPS[name].arity, 1)
                                for name, fn in SCALAR_OPS.items()}


def _ufunc(name: str, nin: int) -> np.ufunc:
    u = _UFUNCS[name]
    if u.nin != nin:
        u = _UFUNCS[name] = np.frompyfunc(SCALAR_OPS[name], nin, 1)
    return u


# -- rounding an mpf to a float, correctly (round half to even, subnormals included) --------


def round_mpf(value: Any, dtype: str = "float64") -> float:
    """The float (float64 or float32) nearest to the mpmath number ``value``."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    mant, emin, emax = _FORMATS[dtype]
    sign, man, exp, bc = value._mpf_
    if not man:
        if value._mpf_ == _ZERO._mpf_:
            return 0.0
        if _isnan(value):
            return math.nan
        return -math.inf if value < 0 else math.inf
    e = exp + bc - 1  # floor(log2 |value|)
    q = max(e, emin) - (mant - 1)  # exponent of the last mantissa bit at this magnitude
    if exp >= q:
        n = man << (exp - q)
    elif q - exp > bc:  # below half of the smallest step: rounds to zero
        n = 0
    else:
        shift = q - exp
        n = man >> shift
        rem = man & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if rem > half or (rem == half and n & 1):
            n += 1
    if n and q + n.bit_length() - 1 > emax:
        out = math.inf
    else:
        out = math.ldexp(n, q)
    return -out if sign else out


_round64 = np.frompyfunc(lambda v: round_mpf(v, "float64"), 1, 1)
_round32 = np.frompyfunc(lambda v: round_mpf(v, "float32"), 1, 1)


def _round_array(values: np.ndarray, dtype: str) -> np.ndarray:
    if dtype == "bool":
        return np.asarray(values, dtype=bool)
    fn = _round32 if dtype == "float32" else _round64
    return np.asarray(fn(values), dtype=np.float64).astype(dtype)


# -- evaluating a graph on object arrays of mpf ---------------------------------------------

_to_mpf = np.frompyfunc(lambda v: v if isinstance(v, bool) else _ctx.mpf(float(v)), 1, 1)


def _mp_array(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype == np.bool_:
        return arr.astype(object)
    return np.asarray(_to_mpf(arr), dtype=object)


def _reduce(x: np.ndarray, axis: tuple[int, ...], keepdims: bool,
            fn: Callable[[list], Any]) -> np.ndarray:
    x = np.asarray(x, dtype=object)
    rest = [i for i in range(x.ndim) if i not in axis]
    moved = np.transpose(x, rest + list(axis))
    out_shape = tuple(x.shape[i] for i in rest)
    flat = moved.reshape(out_shape + (-1,))
    out = np.empty(out_shape, dtype=object)
    for idx in np.ndindex(*out_shape):
        out[idx] = fn(list(flat[idx]))
    if keepdims:
        out = out.reshape(tuple(1 if i in axis else d for i, d in enumerate(x.shape)))
    return out


_sum = _bind_ctx(mpdefs.r_sum)

_REDUCERS: dict[str, Callable[[list], Any]] = {
    op: _bind_ctx(spec.mpmath) for op, spec in OPS.items()
    if spec.kind == "reduction" and callable(spec.mpmath)}


def _concrete(shape: Sequence[Any], dims: Mapping[str, int]) -> tuple[int, ...]:
    return tuple(dims[d] if isinstance(d, str) else int(d) for d in shape)


def _eval_node(node: Node, args: list[np.ndarray], dims: Mapping[str, int]) -> Any:
    op = node.op
    if op == "constant":
        return _mp_array(np.asarray(node.value))
    if op == "cast":
        (x,) = args
        target = node.attr("dtype")
        if target == "bool":
            return np.frompyfunc(lambda v: bool(v != 0), 1, 1)(x)
        return np.frompyfunc(lambda v: (_ONE if v else _ZERO) if isinstance(v, bool) else v,
                             1, 1)(x)
    if op in SCALAR_OPS:
        return _ufunc(op, len(args))(*args)
    attrs = dict(node.attrs)
    if op in _REDUCERS:
        return _reduce(args[0], tuple(attrs["axis"]), bool(attrs["keepdims"]), _REDUCERS[op])
    if op == "matmul":
        return _matmul(*args)
    if OPS[op].kind == "scan":
        return _scan(op, args[0], attrs["axis"][0], bool(attrs.get("keepdims", False)))
    if op == "transpose":
        return np.transpose(args[0], attrs["axes"])
    if op == "reshape":
        return np.reshape(args[0], _concrete(attrs["shape"], dims))
    if op == "broadcast_to":
        return np.broadcast_to(args[0], _concrete(attrs["shape"], dims))
    if op == "expand_dims":
        return np.expand_dims(args[0], attrs["axis"])
    spec = OPS[op]
    if spec.kind in ("layout", "gather") and spec.reference is not None:  # slice, take, ...
        if "shape" in attrs:
            attrs["shape"] = _concrete(attrs["shape"], dims)
        args = [np.asarray(np.asarray(a, dtype=object).astype(float), dtype=np.int64)
                if i.dtype == "int64" else a for a, i in zip(args, node.inputs)]
        return spec.reference(*args, **attrs)
    raise NotImplementedError(f"mpeval: op {op!r} has no exact evaluation")


def _scan(op: str, x: np.ndarray, axis: int, keepdims: bool) -> np.ndarray:
    """Scans and selections of exact values along ``axis`` (NumPy's NaN rules: sort puts
    NaN last, argmax/argmin return the first NaN)."""
    add, mul = _bind_ctx(mpdefs.add), _bind_ctx(mpdefs.mul)

    def row(vals: list) -> list:
        if op in ("cumsum", "cumprod", "cumsum_reverse"):
            out, acc = [], None
            for v in (vals[::-1] if op == "cumsum_reverse" else vals):
                acc = v if acc is None else (mul if op == "cumprod" else add)(acc, v)
                out.append(acc)
            return out[::-1] if op == "cumsum_reverse" else out
        nan = [mpdefs.isnan(v) for v in vals]
        if op == "sort":
            return sorted(v for v, n in zip(vals, nan) if not n) + [v for v, n in
                                                                    zip(vals, nan) if n]
        if op == "argsort":  # stable, NaN last
            order = sorted((i for i in range(len(vals)) if not nan[i]), key=lambda i: vals[i])
            return [_ctx.mpf(i) for i in order + [i for i in range(len(vals)) if nan[i]]]
        if any(nan):
            return [_ctx.mpf(nan.index(True))]
        pick = max if op == "argmax" else min
        best = pick(vals)
        return [_ctx.mpf(vals.index(best))]

    x = np.moveaxis(np.asarray(x, dtype=object), axis, -1)
    rows = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)
    outs = [row(list(r)) for r in rows]
    if op in ("argmax", "argmin"):
        out = np.empty(x.shape[:-1], dtype=object)
        out.reshape(-1)[:] = [o[0] for o in outs] if outs else []
        return np.expand_dims(out, axis) if keepdims else out
    out = np.empty(rows.shape, dtype=object)
    for i, o in enumerate(outs):
        out[i, :] = o
    return np.moveaxis(out.reshape(x.shape), -1, axis)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    prods = _ufunc("mul", 2)(a2[..., :, :, None], b2[..., None, :, :])
    out = _reduce(prods, (prods.ndim - 2,), False, _sum)
    if a.ndim == 1:
        out = out[..., 0, :]
    if b.ndim == 1:
        out = out[..., 0]
    return out


def _run(graph: Graph, env: dict[int, np.ndarray], dims: Mapping[str, int],
         prec: int) -> list[np.ndarray]:
    _ctx.prec = prec
    values = dict(env)
    for node in graph.nodes():
        if node.uid in values:
            continue
        if node.op == "input":
            raise KeyError(f"mpeval: no value for input {node.name!r}")
        values[node.uid] = _eval_node(node, [values[i.uid] for i in node.inputs], dims)
    return [np.asarray(values[o.uid], dtype=object) for o in graph.outputs]


def _bind(graph: Graph, arrays: Sequence[Any] | Mapping[str, Any]) -> list[np.ndarray]:
    if isinstance(arrays, Mapping):
        missing = [n for n in graph.input_names if n not in arrays]
        if missing:
            raise KeyError(f"mpeval: no values for inputs {missing}")
        arrays = [arrays[n] for n in graph.input_names]
    if len(arrays) != len(graph.inputs):
        raise TypeError(f"mpeval: got {len(arrays)} arrays for inputs {list(graph.input_names)}")
    return [np.asarray(a) for a in arrays]


def _is_elementwise(graph: Graph) -> bool:
    return all(n.op in ("input", "constant") or n.spec.kind == "elementwise"
               for n in graph.nodes())


def _same_value(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a == b) | (np.isnan(a) & np.isnan(b)) if a.dtype != bool else (a == b)


def exact(graph: Graph, arrays: Sequence[Any] | Mapping[str, Any], *, start_prec: int = 128,
          max_prec: int = 4096, dims: Mapping[str, int] | None = None,
          info: dict | None = None) -> list[np.ndarray]:
    """Correctly rounded true values of ``graph.outputs`` for the given inputs.

    Parameters
    ----------
    graph:
        Any graph of supported ops (see the module docstring).
    arrays:
        Input values in ``graph.inputs`` order, or a mapping from input name to value.
        Elementwise graphs accept any broadcast-compatible arrays (for example a 1-D array
        of samples for each scalar input).
    start_prec, max_prec:
        First and largest mpmath precision in bits. Each sample is evaluated at
        ``start_prec`` and ``2 * start_prec`` and, while the two results round to
        different floats, at doubled precisions up to ``max_prec``.
    dims:
        Values of symbolic dims used by ``reshape``/``broadcast_to`` attributes.
    info:
        If a dict is passed, it receives ``"precision"`` (the precision at which each
        output element converged, per output, as arrays) and ``"unconverged"`` (how many
        elements still disagreed at ``max_prec``; their last value is returned).

    Returns
    -------
    One array per output, of the output's dtype (float64, float32 or bool), holding the
    true value rounded to nearest-even, NaN where the expression is undefined.
    """
    dims = dict(dims or {})
    inputs = _bind(graph, arrays)
    if _is_elementwise(graph):
        return _exact_elementwise(graph, inputs, start_prec, max_prec, dims, info)
    return _exact_whole(graph, inputs, start_prec, max_prec, dims, info)


def _exact_elementwise(graph: Graph, inputs: list[np.ndarray], start_prec: int, max_prec: int,
                       dims: Mapping[str, int], info: dict | None) -> list[np.ndarray]:
    """Per-sample escalation: broadcast every leaf to the common shape and flatten."""
    leaf_shapes = [a.shape for a in inputs]
    leaf_shapes += [np.shape(n.value) for n in graph.nodes() if n.op == "constant"]
    full = np.broadcast_shapes(*leaf_shapes) if leaf_shapes else ()
    # each output must cover the full shape, else evaluate the graph as a whole
    for out in graph.outputs:
        sub = Graph(out)
        shapes = [a.shape for n, a in zip(graph.inputs, inputs) if n in sub.inputs]
        shapes += [np.shape(n.value) for n in sub.nodes() if n.op == "constant"]
        if (np.broadcast_shapes(*shapes) if shapes else ()) != full:
            return _exact_whole(graph, inputs, start_prec, max_prec, dims, info)
    size = int(np.prod(full)) if full else 1
    flat = {n.uid: _mp_array(np.broadcast_to(a, full).reshape(size))
            for n, a in zip(graph.inputs, inputs)}
    const_env = {n.uid: _mp_array(np.broadcast_to(np.asarray(n.value), full).reshape(size))
                 for n in graph.nodes() if n.op == "constant" and np.ndim(n.value) > 0}
    results = [np.empty(size, dtype=o.dtype) for o in graph.outputs]
    precision = np.zeros(size, dtype=np.int64)
    active = np.arange(size)
    prec = start_prec

    def run_on(idx: np.ndarray, p: int) -> list[np.ndarray]:
        env = {uid: arr[idx] for uid, arr in flat.items()}
        env.update({uid: arr[idx] for uid, arr in const_env.items()})
        vals = _run(graph, env, dims, p)
        return [_round_array(np.broadcast_to(v, idx.shape), o.dtype)
                for v, o in zip(vals, graph.outputs)]

    prev = run_on(active, prec)
    while active.size:
        if prec >= max_prec:
            for r, p in zip(results, prev):
                r[active] = p
            precision[active] = prec
            break
        prec = min(2 * prec, max_prec)
        cur = run_on(active, prec)
        agree = np.ones(active.size, dtype=bool)
        for p, c in zip(prev, cur):
            agree &= _same_value(p, c)
        for r, c in zip(results, cur):
            r[active[agree]] = c[agree]
        precision[active[agree]] = prec
        active = active[~agree]
        prev = [c[~agree] for c in cur]
    if info is not None:
        info["precision"] = [precision.reshape(full)] * len(graph.outputs)
        info["unconverged"] = int(active.size)
    return [r.reshape(full) for r in results]


def _exact_whole(graph: Graph, inputs: list[np.ndarray], start_prec: int, max_prec: int,
                 dims: Mapping[str, int], info: dict | None) -> list[np.ndarray]:
    env = {n.uid: _mp_array(a) for n, a in zip(graph.inputs, inputs)}
    prec = start_prec
    prev = [_round_array(v, o.dtype) for v, o in zip(_run(graph, env, dims, prec), graph.outputs)]
    unconverged = 0
    while prec < max_prec:
        prec = min(2 * prec, max_prec)
        cur = [_round_array(v, o.dtype)
               for v, o in zip(_run(graph, env, dims, prec), graph.outputs)]
        same = [_same_value(p, c) for p, c in zip(prev, cur)]
        prev = cur
        if all(bool(s.all()) for s in same):
            break
        unconverged = sum(int((~s).sum()) for s in same)
    if info is not None:
        info["precision"] = [np.full(np.shape(p), prec) for p in prev]
        info["unconverged"] = unconverged if prec >= max_prec else 0
    return prev


# -- bits of error ----------------------------------------------------------------------------


def _ordinals(x: np.ndarray) -> np.ndarray:
    """Map floats to integers so that adjacent floats are adjacent integers (-0 == 0)."""
    if x.dtype == np.float32:
        bits = x.view(np.int32).astype(np.int64)
        mask = np.int64(0x7FFFFFFF)
    else:
        bits = x.astype(np.float64).view(np.int64)
        mask = np.int64(0x7FFFFFFFFFFFFFFF)
    return np.where(bits < 0, -(bits & mask), bits)


def bits_of_error(computed: Any, exact: Any) -> np.ndarray:
    """Herbie's error measure per element: ``log2(1 + #floats between computed and exact)``.

    Both arrays are compared in the dtype of ``exact`` (float32 if it is float32, else
    float64). NaN vs NaN is 0 bits, NaN vs a number the maximum (32 or 64 bits).
    """
    ex = np.asarray(exact)
    dtype = np.float32 if ex.dtype == np.float32 else np.float64
    ex = ex.astype(dtype)
    co = np.broadcast_to(np.asarray(computed).astype(dtype), ex.shape)
    oa, ob = _ordinals(np.ascontiguousarray(co)), _ordinals(np.ascontiguousarray(ex))
    same_sign = (oa >= 0) == (ob >= 0)
    with np.errstate(over="ignore"):
        diff_same = np.abs(oa - ob).astype(np.uint64)
        diff_cross = np.abs(oa).astype(np.uint64) + np.abs(ob).astype(np.uint64)
    diff = np.where(same_sign, diff_same, diff_cross)
    bits = np.log2(1.0 + diff.astype(np.float64))
    nan_a, nan_b = np.isnan(co), np.isnan(ex)
    max_bits = 32.0 if dtype == np.float32 else 64.0
    bits = np.where(nan_a & nan_b, 0.0, np.where(nan_a | nan_b, max_bits, bits))
    return np.minimum(bits, max_bits)


def measure_bits(graph: Graph, samples: Sequence[Any] | Mapping[str, Any], *,
                 exact_values: list[np.ndarray] | None = None,
                 computed: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """Bits of error per output element of ``graph`` evaluated by the NumPy reference
    backend (or the given ``computed`` values) against ``exact`` (computed if not given)."""
    from .backends.numpy_ref import evaluate

    inputs = _bind(graph, samples)
    if exact_values is None:
        exact_values = exact(graph, inputs)
    if computed is None:
        computed = evaluate(graph, inputs)
    return [bits_of_error(c, e) for c, e in zip(computed, exact_values)]


def exact_nodes(graph: Graph, arrays: Sequence[Any] | Mapping[str, Any],
                **kwargs: Any) -> dict[int, np.ndarray]:
    """Correctly rounded true value of *every* op node (by uid), inputs as given.

    The same escalation as ``exact`` runs over all nodes at once, so a sample is done only
    when every node's value is stable. ``kwargs`` go to ``exact``.
    """
    ops = [n for n in graph.nodes() if n.op not in ("input", "constant")]
    if not ops:
        return {}
    values = exact(Graph(ops, graph.inputs), arrays, **kwargs)
    return {n.uid: v for n, v in zip(ops, values)}


def local_error(graph: Graph, arrays: Sequence[Any] | Mapping[str, Any],
                **kwargs: Any) -> dict[int, np.ndarray]:
    """Herbie's local error of each op node (by uid), in bits per sample: the error of the
    node's own float operation (the NumPy reference) applied to the correctly rounded
    exact values of its inputs, against the node's correctly rounded exact value. High
    local error marks where accuracy is lost; error merely propagated from inputs does
    not count."""
    inputs = dict(zip(graph.input_names, _bind(graph, arrays)))
    truth = exact_nodes(graph, inputs, **kwargs)
    out: dict[int, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for node in graph.nodes():
            if node.uid not in truth:
                continue
            args = []
            for i in node.inputs:
                if i.op == "input":
                    args.append(np.asarray(inputs[i.name], dtype=i.dtype))
                elif i.op == "constant":
                    args.append(np.asarray(i.value, dtype=i.dtype))
                else:
                    args.append(truth[i.uid])
            computed = np.asarray(OPS[node.op].reference(*args, **dict(node.attrs)))
            if node.dtype == "bool":
                out[node.uid] = np.where(computed == truth[node.uid], 0.0, 64.0)
            else:
                out[node.uid] = bits_of_error(computed.astype(node.dtype), truth[node.uid])
    return out


__all__ = ["DEFAULT_RANGE", "EXACT_BITS", "TINY", "bits_of_error", "exact", "exact_nodes",
           "local_error", "measure_bits", "round_mpf", "sample_inputs"]
