"""Graphs back to PyTensor: ``to_pytensor(graph)`` (``pip install 'eqsat-tensor[pytensor]'``).

Returns PyTensor variables computing the graph's outputs, so an optimized graph can go
back into a PyMC model (``pm.Potential``), ``pytensor.function`` or a sampler. An
``ImportedGraph`` (from ``from_pytensor``) gets its outputs back in the user's layout:
pieces concatenated, and its parameter checks as PyMC's ``CheckParameterValue`` (PyTensor's
``Assert`` without PyMC), so a failing check raises as it did before the round trip.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import Graph, Node
from ._optional import require
from .pytensor_graph import ImportedGraph

# our op -> PyTensor function name, where the two differ
_PT_NAMES = {"sub": "sub", "div": "true_div", "square": "sqr", "less": "lt",
             "less_equal": "le", "greater": "gt", "greater_equal": "ge", "equal": "eq",
             "not_equal": "neq", "where": "switch"}


def to_pytensor(graph: Any, inputs: Mapping[str, Any] | None = None) -> Any:
    """PyTensor variables for ``graph``'s outputs (one variable, or a list of them).

    ``inputs`` maps input names to PyTensor variables to build on (a model's value
    variables); inputs not given become new ``pt.tensor`` variables of the input's name,
    dtype and static shape (symbolic dims unknown)."""
    require("pytensor", "pytensor", "PyTensor export")
    import pytensor.tensor as pt

    from ..frontend.tensor import as_graph

    graph = as_graph(graph) if not isinstance(graph, Graph) else graph
    given = dict(inputs or {})
    env: dict[Node, Any] = {}
    dims: dict[str, Any] = {}
    for inp in graph.inputs:
        var = given.get(inp.name)
        if var is None:
            var = pt.tensor(inp.name, dtype=inp.dtype,
                            shape=tuple(d if isinstance(d, int) else None for d in inp.shape))
        env[inp] = var
        for i, d in enumerate(inp.shape):
            if not isinstance(d, int):
                dims.setdefault(d, var.shape[i])
    for node in graph.nodes():
        if node in env:
            continue
        env[node] = _emit(pt, node, [env[i] for i in node.inputs], dims)
    outs = [env[o] for o in graph.outputs]
    if not isinstance(graph, ImportedGraph):
        return outs[0] if len(outs) == 1 else outs
    return _assemble(pt, graph, outs)


def _shape(shape: tuple, dims: dict[str, Any]) -> tuple:
    return tuple(d if isinstance(d, int) else dims[d] for d in shape)


def _emit(pt: Any, node: Node, args: list[Any], dims: dict[str, Any]) -> Any:
    op = node.op
    if op == "constant":
        return pt.constant(np.asarray(node.value, dtype=node.dtype))
    if op == "input":  # an input not listed in graph.inputs cannot occur
        raise UnsupportedOperation(f"to_pytensor: unbound input {node.name!r}")
    if op == "cast":
        return pt.cast(args[0], node.attr("dtype"))
    if op in ("sum", "mean", "max", "min", "prod", "logsumexp"):
        fn = getattr(pt, op)
        return fn(args[0], axis=tuple(node.attr("axis")), keepdims=bool(node.attr("keepdims")))
    if op == "transpose":
        return args[0].transpose(tuple(node.attr("axes")))
    if op == "reshape":
        return pt.reshape(args[0], _shape(node.attr("shape"), dims), ndim=len(node.shape))
    if op == "broadcast_to":
        return pt.broadcast_to(args[0], _shape(node.attr("shape"), dims))
    if op == "expand_dims":
        return pt.expand_dims(args[0], tuple(node.attr("axis")))
    if op in _GATHER_SCAN:  # (clients)
        return _gather_scan(pt, node, args, dims)
    if op == "hypot":
        return pt.sqrt(args[0] * args[0] + args[1] * args[1])
    if op == "cbrt":
        return pt.sign(args[0]) * pt.abs(args[0]) ** (1.0 / 3.0)
    fn = getattr(pt, _PT_NAMES.get(op, op), None)
    if fn is None:
        raise UnsupportedOperation(f"to_pytensor: no PyTensor function for op {op!r}")
    out = fn(*args)
    if str(out.dtype) != node.dtype and node.dtype != "bool":
        out = pt.cast(out, node.dtype)
    return out


def _assemble(pt: Any, graph: ImportedGraph, outs: list[Any]) -> Any:
    n = graph.n_values
    conds = outs[n:]
    results = []
    for idx in graph.layout:
        if len(idx) == 1 and idx[0][1] is None:
            results.append(outs[idx[0][0]])
        else:
            results.append(pt.concatenate([pt.flatten(outs[k]) if outs[k].ndim else
                                           outs[k][None] for k, _ in idx]))
    if conds:
        try:
            from pymc.logprob.utils import CheckParameterValue

            def check(value: Any, cond: Any, msg: str, ninf: bool) -> Any:
                return CheckParameterValue(msg, can_be_replaced_by_ninf=ninf)(value, cond)
        except ImportError:  # pragma: no cover - pymc is optional
            from pytensor.raise_op import Assert

            def check(value: Any, cond: Any, msg: str, ninf: bool) -> Any:
                return Assert(msg)(value, cond)

        ninfs = getattr(graph, "ninf", None) or (False,) * len(graph.messages)
        for cond, msg, ninf in zip(conds, graph.messages, ninfs):
            results = [check(r, cond, msg, ninf) for r in results]
    return results[0] if len(results) == 1 else results


# -- indexing, joins and scans (clients) ------------------------------------------------------
_GATHER_SCAN = ("slice", "pad_slice", "concatenate", "take", "take_along_axis", "scatter_add",
                "scatter_add_along", "cumsum", "cumsum_reverse", "cumprod", "argmax",
                "argmin", "sort")


def _slices(node: Node) -> tuple:
    return tuple(slice(a, b, c) for a, b, c in node.attr("slices"))


def _gather_scan(pt: Any, node: Node, args: list[Any], dims: dict[str, Any]) -> Any:
    """The ops of kind ``gather``/``scan`` as PyTensor indexing, joins and cumulative ops."""
    op = node.op
    x = args[0]
    if op == "slice":
        return x[_slices(node)]
    if op in ("pad_slice", "scatter_add", "scatter_add_along"):
        zeros = pt.zeros(_shape(node.attr("shape"), dims), dtype=node.dtype)
        if op == "pad_slice":
            return pt.set_subtensor(zeros[_slices(node)], x)
        ax = node.attr("axis")[0]
        idx = args[1]
        if op == "scatter_add":
            return pt.inc_subtensor(zeros[(slice(None),) * ax + (idx,)], x)
        where = []  # as refs.scatter_add_along_ref: broadcast index arrays per axis
        for d, (n, m) in enumerate(zip(node.shape, node.inputs[0].shape)):
            if d == ax:
                where.append(pt.broadcast_to(idx, _shape(node.inputs[0].shape, dims)))
            else:
                ar = pt.arange(_shape((m,), dims)[0]) if n == m else \
                    pt.zeros(_shape((m,), dims), dtype="int64")
                shape = (1,) * d + (-1,) + (1,) * (x.ndim - d - 1)
                where.append(ar.reshape(shape))
        return pt.inc_subtensor(zeros[tuple(where)], x)
    if op == "concatenate":
        return pt.concatenate([args[0], args[1]], axis=node.attr("axis")[0])
    if op == "take":
        return pt.take(x, args[1], axis=node.attr("axis")[0])
    if op == "take_along_axis":
        return pt.take_along_axis(x, args[1], axis=node.attr("axis")[0])
    ax = node.attr("axis")[0]
    if op in ("cumsum", "cumprod"):
        return getattr(pt, op)(x, axis=ax)
    if op == "cumsum_reverse":
        flip = (slice(None),) * ax + (slice(None, None, -1),)
        return pt.cumsum(x[flip], axis=ax)[flip]
    if op == "sort":
        return pt.sort(x, axis=ax)
    return getattr(pt, op)(x, axis=ax, keepdims=bool(node.attr("keepdims")))
