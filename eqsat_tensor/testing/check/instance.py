"""One concrete instance of a rule: variables bound to arrays and attribute values, both
sides built as IR nodes, evaluated on the reference backend, guards evaluated, and the
exact values (``mpeval``) of any elements the judge asks about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ...backends.numpy_ref import evaluate
from ...errors import DTypeError, ShapeError
from ...ir import Graph, Node, constant_node, input_node
from ...rulelang.ast import MODERATE, App, Guard, instantiate
from .plan import SIGN_KINDS, Plan

BUILD_ERRORS = (ShapeError, DTypeError, TypeError, ValueError, KeyError, IndexError)


class Rejected(Exception):
    """The instance does not satisfy a guard or the left side is ill-typed."""


class IllTyped(Exception):
    """The right side fails shape inference: the engine does not fire the rewrite."""


@dataclass
class Built:
    """Both sides of an instance, built and evaluated."""

    lhs: Node
    rhs: Node
    inputs: list[Node]
    arrays: list[np.ndarray]
    lv: np.ndarray
    rv: np.ndarray
    guard: np.ndarray  # where the value guards hold (broadcast to the left side's shape)


def env_for(plan: Plan, dtype: str, values: dict[str, np.ndarray], attrs: dict[str, Any]
            ) -> tuple[dict[str, Any], list[Node], list[np.ndarray]]:
    """Pattern environment: constants for ``const`` variables, inputs for the others."""
    env: dict[str, Any] = dict(attrs)
    inputs: list[Node] = []
    arrays: list[np.ndarray] = []
    for var in plan.tensor_vars:
        arr = np.asarray(values[var], dtype=dtype)
        if var in plan.const:
            env[var] = constant_node(arr, dtype)
        else:
            env[var] = input_node(var, arr.shape, dtype)
            inputs.append(env[var])
            arrays.append(arr)
    return env, inputs, arrays


def draw_attrs(plan: Plan, dtype: str, values: dict[str, np.ndarray], pick: Any
               ) -> dict[str, Any]:
    """Bind the attribute variables, innermost application first; ``pick(op, attr,
    shape)`` chooses a value for an operand of ``shape``."""
    attrs: dict[str, Any] = {}
    env, _, _ = env_for(plan, dtype, values, attrs)
    for root in (plan.lhs, plan.rhs):
        order: list[App] = []
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            q, done = stack.pop()
            if not isinstance(q, App):
                continue
            if done:
                order.append(q)
                continue
            stack.append((q, True))
            stack.extend((a, False) for a in reversed(q.args))
        for app in order:
            for k, v in app.attrs:
                if type(v).__name__ != "Var" or v.name in env:
                    continue
                try:
                    arg = instantiate(app.args[0], env)
                except BUILD_ERRORS:
                    raise Rejected from None
                env[v.name] = attrs[v.name] = pick(app.op, k, tuple(arg.shape))
    return attrs


def _well_formed(node: Node) -> None:
    for n in Graph(node).nodes():
        if n.op == "transpose" and sorted(n.attr("axes")) != list(range(n.inputs[0].ndim)):
            raise ShapeError("transpose: axes do not fit the operand")


def _guard_mask(g: Guard, env: dict[str, Any], inputs: list[Node], arrays: list[np.ndarray],
                shape: tuple[int, ...]) -> np.ndarray:
    try:
        nodes = [instantiate(a, env) for a in g.args]
    except BUILD_ERRORS:
        raise Rejected from None
    if g.kind == "same_shape":
        ok = all(n.shape == nodes[0].shape for n in nodes)
    elif g.kind == "scalar":
        ok = nodes[0].shape == ()
    elif g.kind == "unbatched":
        ok = len(nodes[0].shape) <= 2
    elif g.kind == "matrix":
        ok = len(nodes[0].shape) == 2
    elif g.kind == "const":
        ok = all(m.op != "input" for n in nodes for m in Graph(n).nodes())
    elif g.kind == "abs_le":
        a, b = (evaluate(Graph(n, inputs=inputs), arrays)[0] for n in nodes)
        with np.errstate(invalid="ignore"):
            test = (np.abs(a) >= 1) & (np.abs(a) <= np.abs(b))
        return np.broadcast_to(test, np.broadcast_shapes(np.shape(test), shape))
    else:
        (val,) = evaluate(Graph(nodes[0], inputs=inputs), arrays)
        with np.errstate(invalid="ignore"):
            if g.kind in SIGN_KINDS:
                test = {"nonzero": val != 0, "positive": val > 0, "nonnegative": val >= 0,
                        "negative": val < 0, "nonpositive": val <= 0}[g.kind]
            elif g.kind == "finite":
                test = np.isfinite(val)
            elif g.kind == "moderate":
                small, big = MODERATE.get(str(val.dtype), MODERATE["float64"])
                test = (np.abs(val) >= small) & (np.abs(val) <= big)
            elif g.kind == "exact_recip":
                mant, _ = np.frexp(np.abs(val.astype(np.float64)))
                test = (mant == 0.5) & (np.abs(val) <= 2.0 ** 126) & (np.abs(val) >= 2.0 ** -126)
            else:
                raise ValueError(f"unknown guard {g.kind!r}")
        return np.broadcast_to(test, np.broadcast_shapes(np.shape(test), shape))
    if not ok:
        raise Rejected
    return np.ones(shape, bool)


def build(plan: Plan, dtype: str, values: dict[str, np.ndarray], attrs: dict[str, Any]
          ) -> Built:
    """Build and evaluate both sides; ``Rejected`` / ``IllTyped`` when they cannot be."""
    env, inputs, arrays = env_for(plan, dtype, values, attrs)
    like = next((env[v] for v in plan.tensor_vars), None)
    try:
        lhs = instantiate(plan.lhs, env, like=like)
        _well_formed(lhs)
    except BUILD_ERRORS:
        raise Rejected from None
    try:
        rhs = instantiate(plan.rhs, env, like=lhs)
        _well_formed(rhs)
        if rhs.dtype != lhs.dtype or np.broadcast_shapes(rhs.shape, lhs.shape) != lhs.shape:
            raise ShapeError("the right side changes the shape or dtype")
    except BUILD_ERRORS:
        raise IllTyped from None
    mask = np.ones(lhs.shape, bool)
    for g in plan.rule.guards:
        m = _guard_mask(g, env, inputs, arrays, lhs.shape)
        if m.shape != lhs.shape:  # a guard on a larger operand: it must hold everywhere
            m = np.broadcast_to(np.all(m), lhs.shape)
        mask = mask & m
    with np.errstate(all="ignore"):
        lv, rv = evaluate(Graph([lhs, rhs], inputs=inputs), arrays)
    return Built(lhs, rhs, inputs, arrays, lv, np.broadcast_to(rv, lv.shape), mask)


def exact_rounded(graph: Graph, arrays: list[np.ndarray], shape: tuple[int, ...],
                  flat: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """The exact value of ``graph``'s output (mpmath at 2,200 bits and more where
    something cancels, ``testing.oracle``), correctly rounded to its dtype, at the flat
    indices ``flat`` of ``shape``; ``fallback`` where the oracle cannot vouch for it."""
    from ...mpeval import round_mpf
    from ..oracle import exact_with_unknown

    dtype = graph.outputs[0].dtype
    try:
        ((vals, unknown),) = exact_with_unknown(graph, arrays)
    except Exception:  # an op the oracle lacks: no verdict from it
        return np.asarray(fallback)
    vals = np.ravel(np.broadcast_to(np.asarray(vals, dtype=object), shape))[flat]
    unknown = np.ravel(np.broadcast_to(unknown, shape))[flat]
    if dtype == "bool":
        out = np.array([bool(v) for v in vals])
    else:
        out = np.array([round_mpf(v, dtype) for v in vals], dtype=dtype)
    return np.where(unknown, fallback, out)


def exact_at(built: Built, flat: np.ndarray, need_rhs: bool
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Correctly rounded exact values of the left (and right) side at flat indices; where
    the oracle cannot tell, the right side's own value (so nothing is flagged there)."""
    rv = np.ravel(built.rv)[flat]
    shape = built.lv.shape
    el = exact_rounded(Graph(built.lhs, inputs=built.inputs), built.arrays, shape, flat, rv)
    er = None
    if need_rhs:
        er = exact_rounded(Graph(built.rhs, inputs=built.inputs), built.arrays, shape, flat, rv)
    return el, er
