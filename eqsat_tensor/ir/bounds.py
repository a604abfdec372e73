"""Bounds on the values of IR nodes, from the op table's facts: the one definition of the
interval transfer functions.

``transfer`` gives the bounds of an op's result from its operands' bounds: constants, the
fixed ranges of bounded functions (``RANGES``, ``OpFacts.range``), interval arithmetic for
signed sums (``LINEAR``: ``add``, ``sub``, ``neg``), the ops that keep their operand's
bounds (``KEEPS_BOUNDS``), non-decreasing ops through their value at 0 (``INCREASING``)
and products by their corners; ``order_transfer`` the bounds of ``maximum``/``minimum``/
``where`` and of quotients by operands bounded away from zero; ``shifted_bound`` the
upper bound of a max-shifted value (``x - max(x)``). ``graph_bounds`` applies them to a
whole graph and ``node_bounds`` to the few producers above one node.

The e-graph's interval analysis (``egraph/analyses/interval``) writes the same facts as
egglog rules and uses these functions as its Python mirror; the backends read
``node_bounds`` to choose a cheaper form where an operand's range is known (they may not
import the e-graph).
"""

from __future__ import annotations

import math

import numpy as np

from .graph import Graph, Node
from .ops import OPS

Bounds = tuple[float | None, float | None]  # (lo, hi); None: unbounded on that side

# op -> (lower bound or None, upper bound or None) over the op's whole domain.
RANGES = {op: spec.facts.range for op, spec in OPS.items()
          if spec.facts is not None and spec.facts.range is not None}
# ops whose result has its operand's bounds
KEEPS_BOUNDS = tuple(op for op, spec in OPS.items()
                     if spec.facts is not None and spec.facts.interval == "keep")
# ops whose result is a signed sum of their operands: op -> (+1 or -1 per operand)
LINEAR = {op: spec.facts.interval for op, spec in OPS.items()
          if spec.facts is not None and isinstance(spec.facts.interval, tuple)}


def _value_at_zero(op: str) -> float:
    with np.errstate(all="ignore"):
        return float(OPS[op].reference(np.asarray(0.0)))


# non-decreasing unary ops -> f(0): the result is >= f(0) where the operand is >= 0 and
# <= f(0) where it is <= 0 (exp of a non-positive value is at most 1: the shared-exp forms
# of softplus and sigmoid rely on it)
INCREASING = {op: _value_at_zero(op) for op, spec in OPS.items()
              if spec.facts is not None and spec.facts.interval == "increasing"}


def order_transfer(op: str, operands: list[Bounds]) -> Bounds:
    """Bounds of ``maximum``/``minimum``/``where`` from their operands', and of a quotient
    by an operand bounded away from zero (None: no bound from these)."""
    def known(*v: float | None) -> bool:
        return all(x is not None for x in v)

    if op == "maximum":
        (la, ha), (lb, hb) = operands
        lows = [v for v in (la, lb) if v is not None]
        return (max(lows) if lows else None, max(ha, hb) if known(ha, hb) else None)
    if op == "minimum":
        (la, ha), (lb, hb) = operands
        highs = [v for v in (ha, hb) if v is not None]
        return (min(la, lb) if known(la, lb) else None, min(highs) if highs else None)
    if op == "where":
        _, (la, ha), (lb, hb) = operands
        return (min(la, lb) if known(la, lb) else None, max(ha, hb) if known(ha, hb) else None)
    if op == "div":
        (lx, hx), (ly, hy) = operands
        if known(lx, hx, ly, hy) and (ly > 0 or hy < 0):
            c = [lx / ly, lx / hy, hx / ly, hx / hy]
            if all(abs(v) < 1e300 for v in c):
                return (min(c), max(c))
    return (None, None)


def _tighter(a: Bounds, b: Bounds) -> Bounds:
    """The intersection of two bounds (the e-graph's merge: max of lows, min of highs)."""
    lo = a[0] if b[0] is None else b[0] if a[0] is None else max(a[0], b[0])
    hi = a[1] if b[1] is None else b[1] if a[1] is None else min(a[1], b[1])
    return (lo, hi)


def _shift_max(x: Node, m: Node) -> bool:
    return (m.op == "max" and m.inputs[0] is x
            and (bool(dict(m.attrs).get("keepdims")) or m.ndim == 0))


def _const(node: Node, value: float | None = None) -> bool:
    return node.op == "constant" and node.ndim == 0 and (
        value is None or float(node.value) == value)


def shifted_bound(node: Node) -> float | None:
    """The upper bound of a max-shifted ``node``: ``x - max(x)`` over the same axes (kept,
    or all reduced) is at most 0, since rounding is monotone; ``x - where(m - t > 0, m,
    0)`` with ``m = max(x)`` is at most ``max(t, 0)`` (None: not such a node)."""
    if node.op != "sub":
        return None
    x, c = node.inputs
    if _shift_max(x, c):
        return 0.0
    if c.op != "where" or not _const(c.inputs[2], 0.0):
        return None
    g, m = c.inputs[0], c.inputs[1]
    if not (_shift_max(x, m) and g.op == "greater" and _const(g.inputs[1], 0.0)):
        return None
    d = g.inputs[0]
    if d.op == "sub" and d.inputs[0] is m and _const(d.inputs[1]):
        return max(float(d.inputs[1].value), 0.0)
    return None


def node_transfer(node: Node, operands: list[Bounds]) -> Bounds:
    """Bounds of ``node`` from its operands' bounds: ``transfer``, tightened by
    ``shifted_bound`` and ``order_transfer``."""
    value = float(node.value) if _const(node) else None
    lo, hi = transfer(node.op, value, operands)
    shift = shifted_bound(node)
    if shift is not None:
        hi = shift if hi is None else min(hi, shift)
    if node.op in ("maximum", "minimum", "where", "div"):
        lo, hi = _tighter((lo, hi), order_transfer(node.op, operands))
    return (lo, hi)


def graph_bounds(graph: Graph) -> dict[int, Bounds]:
    """``(lo, hi)`` of every node of ``graph`` (by uid), as the e-graph's interval rules
    would find them on the graph alone."""
    out: dict[int, Bounds] = {}
    for node in graph.nodes():
        out[node.uid] = node_transfer(node, [out[i.uid] for i in node.inputs])
    return out


def node_bounds(node: Node, depth: int = 6) -> Bounds:
    """``(lo, hi)`` of ``node`` looking at most ``depth`` producers up (a node further up
    is unbounded): ``graph_bounds`` for one node of a large graph."""
    memo: dict[tuple[int, int], Bounds] = {}

    def walk(n: Node, d: int) -> Bounds:
        if d == 0 and not _const(n):
            return (None, None)
        key = (n.uid, d)
        if key not in memo:
            memo[key] = node_transfer(n, [walk(i, d - 1) for i in n.inputs])
        return memo[key]

    return walk(node, depth)


def transfer(op: str, value: float | None, operands: list[Bounds]) -> Bounds:
    """Bounds of the result of ``op`` (``value``: a scalar constant's value) from its
    operands' bounds (None: unbounded)."""
    if op == "constant" and value is not None:
        if math.isfinite(value):
            return (value, value)
        return (None, None)
    lo: float | None = None
    hi: float | None = None
    if op in RANGES:
        lo, hi = RANGES[op]
    if op in LINEAR:
        lo, hi = 0.0, 0.0
        for sgn, (la, ha) in zip(LINEAR[op], operands):
            lo_t, hi_t = (la, ha) if sgn > 0 else (-ha if ha is not None else None,
                                                    -la if la is not None else None)
            lo = lo + lo_t if lo is not None and lo_t is not None else None
            hi = hi + hi_t if hi is not None and hi_t is not None else None
    elif op in KEEPS_BOUNDS:
        lo, hi = operands[0]
    elif op in INCREASING:
        (la, ha), f0 = operands[0], INCREASING[op]
        if la is not None and la >= 0:
            lo = f0 if lo is None else max(lo, f0)
        if ha is not None and ha <= 0:
            hi = f0 if hi is None else min(hi, f0)
    elif op == "mul" and all(b is not None for bd in operands for b in bd):
        (lx, hx), (ly, hy) = operands
        corners = [lx * ly, lx * hy, hx * ly, hx * hy]
        if all(abs(c) < 1e300 for c in corners):
            lo, hi = min(corners), max(corners)
    return (lo, hi)


def sign_facts(bounds: Bounds) -> set[str]:
    """Sign relations implied by bounds (the e-graph's ``iv-*`` sign rules)."""
    lo, hi = bounds
    out = set()
    if lo is not None:
        if lo > 0:
            out.add("positive")
        if lo >= 0:
            out.add("nonnegative")
    if hi is not None:
        if hi < 0:
            out.add("negative")
        if hi <= 0:
            out.add("nonpositive")
    return out
