"""The reverse sweep: VJP rules (``rules/gradients.rules``) in, gradient nodes out.

``backward(outputs, cotangents, wrt)`` walks the graph from the outputs back to the
``wrt`` nodes in reverse topological order. For each node on a path to a ``wrt`` node it
instantiates the op's VJP rule with ``g`` (the node's accumulated cotangent), ``out`` (the
node itself), its inputs and its attributes, and adds the result to each input's cotangent.
Around the rules the driver does the bookkeeping that no rule should repeat:

* fan-out: cotangents of a node used several times are summed;
* un-broadcasting: a cotangent of a broadcast shape is summed over the broadcast axes and
  reshaped to the input's shape (so ``vjp add(x, y): dx = g`` is enough);
* dtypes: a cotangent is cast to its input's dtype when they differ;
* ``keepdims=True`` reductions: ``g`` is squeezed first, so rules see ``keepdims=False``;
* 1-D ``matmul`` operands are promoted to matrices (as NumPy does) around the rule;
* the attribute helpers ``inverse(p)``, ``swap_last(x)`` and ``part(x)`` are evaluated here.

Everything is built with ``ir.apply``, so the gradient nodes share structure with the
forward graph by hash-consing (``out`` *is* the forward node).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import OPS, Node, apply, constant_node, topological_order
from ..rulelang.ast import VJP, App, Pattern, instantiate

__all__ = ["backward", "simplify", "unbroadcast", "vjp_table"]


@lru_cache(maxsize=1)
def _shipped_vjps() -> dict[str, VJP]:
    from ..rulelang import default_rules

    return {v.op: v for v in default_rules("gradients").vjps}


def vjp_table(rules: Any = None) -> dict[str, VJP]:
    """VJP rules by op: the shipped ``gradients.rules``, overridden by ``rules`` (a
    ``RuleSet`` whose ``vjps`` replace the shipped ones op by op)."""
    table = dict(_shipped_vjps())
    if rules is not None:
        table.update({v.op: v for v in rules.vjps})
    return table


def unbroadcast(ct: Node, shape: tuple) -> Node:
    """Sum ``ct`` over the axes that broadcasting added to ``shape`` (leading axes, and
    axes where ``shape`` has extent 1), then reshape it to ``shape``."""
    shape = tuple(shape)
    if ct.shape == shape:
        return ct
    lead = ct.ndim - len(shape)
    if lead >= 0:
        axes = list(range(lead)) + [lead + i for i, d in enumerate(shape)
                                    if d == 1 and ct.shape[lead + i] != 1]
        if axes:
            ct = apply("sum", ct, axis=tuple(axes), keepdims=False)
    if ct.shape == shape:
        return ct
    if len([d for d in ct.shape if d != 1]) == len([d for d in shape if d != 1]):
        return apply("reshape", ct, shape=shape)
    return apply("broadcast_to", ct, shape=shape)  # a cotangent smaller than its input


def _resolve_helpers(p: Any, env: dict[str, Any]) -> Any:
    """``p`` with the attribute helpers ``inverse(p)`` / ``swap_last(x)`` evaluated."""
    if isinstance(p, App):
        if p.op == "inverse":
            perm = env[p.args[0].name]
            inv = [0] * len(perm)
            for i, a in enumerate(perm):
                inv[a] = i
            return tuple(inv)
        if p.op == "part":  # the slices of concatenate's result holding operand x
            node, params = env["__node__"], env["__params__"]
            k = params.index(p.args[0].name)
            (ax,) = node.attr("axis")
            start = sum(i.shape[ax] for i in node.inputs[:k])
            stop = start + node.inputs[k].shape[ax]
            return tuple((start, stop, 1) if d == ax else (0, None, 1)
                         for d in range(node.ndim))
        if p.op == "swap_last":
            n = env[p.args[0].name].ndim
            axes = list(range(n))
            if n >= 2:
                axes[-2], axes[-1] = axes[-1], axes[-2]
            return tuple(axes)
        return App(p.op, tuple(_resolve_helpers(a, env) for a in p.args),
                   tuple((k, _resolve_helpers(v, env)) for k, v in p.attrs))
    return p


def _apply_rule(rule: VJP, node: Node, g: Node, needed: Sequence[bool]) -> list[Node | None]:
    """The cotangents of ``node``'s inputs (None where not needed), un-broadcast to each
    input's shape and cast to its dtype."""
    inputs = list(node.inputs)
    spec = OPS[node.op]
    out = node
    if spec.kind == "reduction" and node.attr("keepdims"):  # rules see keepdims=False
        axis = node.attr("axis")
        squeezed = tuple(d for i, d in enumerate(node.shape) if i not in axis)
        g = apply("reshape", g, shape=squeezed)
        out = apply("reshape", node, shape=squeezed)
    promoted = list(inputs)
    if node.op == "matmul":  # promote vectors to matrices, as NumPy's matmul does
        x, y = inputs
        if x.ndim == 1:
            promoted[0] = apply("expand_dims", x, axis=(0,))
        if y.ndim == 1:
            promoted[1] = apply("expand_dims", y, axis=(y.ndim,))
        if promoted != inputs:
            full = apply("matmul", promoted[0], promoted[1])
            g = apply("reshape", g, shape=full.shape)
    env: dict[str, Any] = {"g": g, "out": out, "__node__": node,
                           "__params__": list(rule.params)}
    env.update(zip(rule.params, promoted))
    for attr_name, var in rule.attr_vars:
        env[var] = node.attr(attr_name)
    result: list[Node | None] = []
    grads = dict(rule.grads)
    for i, (param, inp) in enumerate(zip(rule.params, inputs)):
        if not needed[i] or param not in grads:
            result.append(None)
            continue
        expr: Pattern = _resolve_helpers(grads[param], env)
        ct = instantiate(expr, env, like=g)
        ct = unbroadcast(ct, promoted[i].shape)
        if promoted[i] is not inp:
            ct = apply("reshape", ct, shape=inp.shape)
        if ct.dtype != inp.dtype:
            ct = apply("cast", ct, dtype=inp.dtype)
        result.append(ct)
    return result


def _scalar_const(n: Node) -> Node | None:
    """The scalar constant ``n`` broadcasts, if it is one (or a layout op of one)."""
    while n.op in ("broadcast_to", "expand_dims", "reshape") and n.inputs:
        n = n.inputs[0]
    if n.op == "constant" and (n.shape == () or all(d == 1 for d in n.shape)):
        return n if n.shape == () else constant_node(float(n.value.reshape(())), n.dtype)
    return None


def simplify(outputs: Sequence[Node]) -> list[Node]:
    """Fold the constant broadcasts that VJP rules create, which constant folding keeps
    (it never folds ``broadcast_to``): ``sum(broadcast_to(c, S), axis)`` becomes ``c * N``
    for static shapes, and an elementwise operand that only broadcasts a scalar constant
    to the other operand's shape becomes that scalar."""
    new: dict[int, Node] = {}
    for node in topological_order(outputs):
        ins = [new[i.uid] for i in node.inputs]
        out: Node | None = None
        spec = OPS[node.op]
        if node.op == "sum" and _scalar_const(ins[0]) is not None:
            c, src = _scalar_const(ins[0]), ins[0]
            axis = node.attr("axis")
            dims = [d for i, d in enumerate(src.shape) if i in axis]
            if all(isinstance(d, int) for d in dims):
                n = 1
                for d in dims:
                    n *= d
                out = constant_node(float(c.value) * n, node.dtype)
                if node.shape:
                    out = apply("broadcast_to", out, shape=node.shape)
        elif (spec.kind == "elementwise" and ins and not node.attrs and node.dtype != "bool"
              and all(_scalar_const(i) is not None for i in ins)):
            consts = [_scalar_const(i) for i in ins]
            with np.errstate(all="ignore"):
                value = spec.reference(*[np.asarray(c.value, dtype=c.dtype) for c in consts])
            out = constant_node(float(np.asarray(value)), node.dtype)
            if node.shape:
                out = apply("broadcast_to", out, shape=node.shape)
        elif spec.kind == "elementwise" and len(ins) == 2:
            for k in (0, 1):
                c, other = _scalar_const(ins[k]), ins[1 - k]
                if (c is not None and ins[k].op != "constant" and c.dtype == ins[k].dtype
                        and len(other.shape) >= len(ins[k].shape)
                        and all(a == b or a == 1 for a, b in zip(
                            ins[k].shape[::-1], other.shape[::-1]))):
                    ins[k] = c
        if out is None and node.op in ("mul", "add", "sub") and len(ins) == 2:
            # drop x * 1, x + 0, x - 0 (the seed cotangent 1 times a VJP, ...): the
            # optimizer would remove them too, but a smaller joint graph inserts faster
            unit = 1.0 if node.op == "mul" else 0.0
            for k in ((0, 1) if node.op != "sub" else (1,)):
                c = ins[k] if ins[k].op == "constant" and ins[k].shape == () else None
                if (c is not None and float(c.value) == unit
                        and ins[1 - k].shape == node.shape and ins[1 - k].dtype == node.dtype):
                    out = ins[1 - k]
                    break
        if out is None:
            if all(a is b for a, b in zip(ins, node.inputs)):
                out = node
            else:
                out = apply(node.op, *ins, **dict(node.attrs))
        new[node.uid] = out
    return [new[o.uid] for o in outputs]


def _depends_on(order: list[Node], wrt: set[int]) -> set[int]:
    """uids of the nodes in ``order`` that are, or use, a node in ``wrt``."""
    dep: set[int] = set()
    for n in order:
        if n.uid in wrt or any(i.uid in dep for i in n.inputs):
            dep.add(n.uid)
    return dep


def backward(outputs: Sequence[Node], cotangents: Sequence[Node], wrt: Sequence[Node],
             rules: Any = None) -> list[Node]:
    """Gradient nodes of ``sum_i <outputs[i], cotangents[i]>`` with respect to each node of
    ``wrt``: one node per ``wrt`` entry, of its shape and dtype (zeros where the outputs
    do not depend on it). ``rules`` (a ``RuleSet``) may override the shipped VJPs."""
    table = vjp_table(rules)
    order = topological_order(outputs)
    dep = _depends_on(order, {w.uid for w in wrt})
    cts: dict[int, Node] = {}

    def accumulate(node: Node, ct: Node) -> None:
        old = cts.get(node.uid)
        cts[node.uid] = ct if old is None else apply("add", old, ct)

    for out, ct in zip(outputs, cotangents):
        if ct.shape != out.shape:
            ct = apply("broadcast_to", ct, shape=out.shape)
        if ct.dtype != out.dtype:
            ct = apply("cast", ct, dtype=out.dtype)
        accumulate(out, ct)
    wrt_uids = {w.uid for w in wrt}
    for node in reversed(order):
        g = cts.get(node.uid)
        if g is None or node.uid not in dep or not node.inputs:
            continue
        needed = [i.uid in dep and i.dtype != "bool" for i in node.inputs]
        if not any(needed):
            continue
        rule = table.get(node.op)
        if rule is None:
            raise UnsupportedOperation(
                f"cannot differentiate '{node.op}': no vjp rule for it (add one to "
                "rules/gradients.rules or pass rules= with a 'vjp' line)")
        for inp, ct in zip(node.inputs, _apply_rule(rule, node, g, needed)):
            if ct is not None:
                accumulate(inp, ct)
    cts_kept = [cts[w.uid] for w in wrt if w.uid in cts]
    folded = iter(simplify(cts_kept))
    for w in wrt:
        if w.uid in cts:
            cts[w.uid] = next(folded)
    result = []
    for w in wrt:
        ct = cts.get(w.uid) if w.uid in wrt_uids else None
        if ct is None:
            ct = constant_node(0.0, w.dtype)
            if w.shape:
                ct = apply("broadcast_to", ct, shape=w.shape)
        result.append(ct)
    return result

