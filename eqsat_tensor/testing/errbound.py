"""Running error bounds: each node's value on the reference backend with a first-order
bound on its absolute rounding error.

``check_rules`` uses the bound to scale its tolerance: two sides that differ by less than
the sum of their bounds (plus a few ulps) differ only by rounding, however badly the
expression is conditioned. That is what makes reassociated sums (``(a + b) + c`` against
``a + (b + c)``) and rules such as ``exp(a) * exp(b) => exp(a + b)`` (which moves the
condition number of ``exp`` onto the sum) pass, while a wrong rule still differs by far
more than rounding somewhere.

Propagation is the textbook running error analysis: a leaf is exact; an op's bound is
``sum |d op / d input| * input bound`` (``OpSpec.deriv``) plus its own rounding,
``c * u * |value|`` (``u`` the unit roundoff of its dtype, ``c = OpSpec.ulps``: 1 for
correctly rounded ops, a few for libm functions) plus one subnormal spacing for
underflow. Reductions over ``n`` elements add ``n * u * sum |x|``. Non-finite bounds
become ``inf`` (no tolerance from the bound).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backends.base import concrete_shape
from ..ir import OPS, Graph, Node


def _unary_factor(op: str, a: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``|f'(a)|`` for a unary op with value ``v = f(a)`` (``OpSpec.deriv``)."""
    fn = OPS[op].deriv
    return fn(a, v) if callable(fn) else np.ones_like(v)


def _scale(factor: np.ndarray, err: np.ndarray) -> np.ndarray:
    """``factor * err`` where a zero error stays zero even when the factor is inf or nan."""
    out = np.abs(factor) * err
    return np.where(err == 0, 0.0, out)


def _binary(op: str, a: np.ndarray, b: np.ndarray, v: np.ndarray, ea: np.ndarray,
            eb: np.ndarray) -> np.ndarray:
    deriv = OPS[op].deriv
    if deriv == "select":  # maximum, minimum: the result is one of the operands
        return np.maximum(ea, eb)
    if not callable(deriv):
        return np.zeros_like(v)  # comparisons: exact
    da, db = deriv(a, b, v)
    return _scale(np.asarray(da), ea) + _scale(np.asarray(db), eb)


def _reduce(op: str, x: np.ndarray, e: np.ndarray, v: np.ndarray, attrs: dict,
            rounding: bool) -> np.ndarray:
    axis, keepdims = attrs["axis"], attrs["keepdims"]
    n = math.prod(x.shape[i] for i in axis) if axis else 1
    u = np.finfo(v.dtype).eps / 2 if rounding else 0.0
    if op in ("max", "min"):
        return np.max(e, axis=axis, keepdims=keepdims)
    if op in ("sum", "mean"):
        out = np.sum(e, axis=axis, keepdims=keepdims) + n * u * np.sum(np.abs(x), axis=axis,
                                                                        keepdims=keepdims)
        return out / n if op == "mean" else out
    if op == "prod":
        rel = np.sum(np.where(e == 0, 0.0, e / np.abs(x)), axis=axis, keepdims=keepdims)
        return np.abs(v) * (rel + n * u)
    # logsumexp: the weights are a softmax (they sum to one), then log of the sum
    return np.max(e, axis=axis, keepdims=keepdims) + (n + 2) * u * (1 + np.abs(v))


def _node_bound(node: Node, args: list[np.ndarray], errs: list[np.ndarray], v: np.ndarray,
                dims: dict[str, int], rounding: bool = True) -> np.ndarray:
    if node.dtype == "bool":
        return np.zeros(v.shape)
    spec = OPS[node.op]
    attrs = dict(node.attrs)
    u = np.finfo(node.dtype).eps / 2 if rounding else 0.0
    tiny = np.finfo(node.dtype).smallest_subnormal if rounding else 0.0
    if spec.kind == "layout":
        if "shape" in attrs:
            attrs["shape"] = concrete_shape(attrs["shape"], dims)
        return np.asarray(spec.reference(errs[0], **attrs), dtype=np.float64)
    if spec.kind == "reduction":
        return _reduce(node.op, args[0], errs[0], v, attrs, rounding)
    if spec.kind == "matmul":
        a, b = np.abs(args[0]), np.abs(args[1])
        k = args[0].shape[-1]
        return a @ errs[1] + errs[0] @ b + k * u * (a @ b) + k * tiny
    if node.op == "where":
        return np.where(args[0], errs[1], errs[2])
    local = spec.ulps * u * np.abs(v) + (tiny if node.op != "neg" else 0)
    if spec.arity == 1:
        return _scale(_unary_factor(node.op, args[0], v), errs[0]) + local
    return _binary(node.op, args[0], args[1], v, errs[0], errs[1]) + local


def evaluate_with_bounds(graph: Graph, arrays: list[Any], dims: dict[str, int] | None = None,
                         *, rounding: bool = True, perturb_inputs: bool = False
                         ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(value, error bound)`` of each output of ``graph`` for inputs in ``graph.inputs``
    order. Values are exactly those of ``backends.numpy_ref.evaluate``; bounds are float64
    arrays of the output's shape, ``inf`` where the bound is not finite.

    With ``rounding=False, perturb_inputs=True`` the bound is instead the sensitivity of
    the exact result to a relative perturbation of one unit roundoff in every input (the
    condition of the expression at this point), which is how far any backward-stable
    evaluation of it may stray."""
    from ..backends.numpy_ref import _eval_node

    dims = dims or {}
    vals: dict[int, np.ndarray] = {}
    errs: dict[int, np.ndarray] = {}
    for n, a in zip(graph.inputs, arrays):
        vals[n.uid] = np.asarray(a, dtype=n.dtype)
        if perturb_inputs and n.dtype != "bool":
            u_in = np.finfo(n.dtype).eps / 2
            with np.errstate(all="ignore"):
                errs[n.uid] = np.abs(vals[n.uid].astype(np.float64)) * u_in
        else:
            errs[n.uid] = np.zeros(vals[n.uid].shape)
    with np.errstate(all="ignore"):
        for node in graph.nodes():
            if node.uid in vals:
                continue
            args = [vals[i.uid] for i in node.inputs]
            v = _eval_node(node, args, dims)
            vals[node.uid] = v
            if node.op == "constant":
                errs[node.uid] = np.zeros(v.shape)
                continue
            arg_errs = [np.broadcast_to(errs[i.uid], vals[i.uid].shape) for i in node.inputs]
            e = np.asarray(_node_bound(node, args, arg_errs, v, dims, rounding),
                           dtype=np.float64)
            e = np.broadcast_to(e, v.shape)
            errs[node.uid] = np.where(np.isfinite(e) & ~np.isnan(e), e, np.inf)
    return [(vals[o.uid], errs[o.uid]) for o in graph.outputs]
