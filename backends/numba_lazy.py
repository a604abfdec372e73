"""Lazy ``where`` in generated Numba kernels (a mixin of ``numba_kernel._KernelWriter``).

A fused kernel computes every node once per point, so ``where(c, a, b)`` pays for both
``a`` and ``b`` at every point. Where a branch holds costly work that is used by nothing
else (a log-pdf's tail formula, a special function on one side of a piecewise
definition), the kernel computes it inside an ``if`` on the condition instead:

    v5 = ...                  # the condition
    if v5:
        v6 = gammaln(...)     # the nodes only the true branch uses
        v9 = v6
    else:
        v7 = erfc(...)        # the nodes only the false branch uses
        v9 = v7

A node is *exclusive* to a branch when every in-kernel use of it lies in that branch and
nothing stores, keeps or reads it elsewhere (``pinned``). Only branches with costly work
that is not an inlined vector transcendental are made lazy (``LAZY_MIN_COST``): a branch
stops LLVM from vectorizing the loop, which an all-inline ``exp``/``log`` select keeps.
Values are the same either way (each node computes the same expression), so this is a
schedule, not a rewrite.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ir import OPS, Node
from .plan import FULL

# a branch is evaluated lazily when its exclusive nodes hold at least this much cost in
# ops that are not inlined vector transcendentals (``gammaln`` is 30, ``erf`` 20)
LAZY_MIN_COST = 20.0


class _LazyWhereWriter:
    """Emission of a kernel's per-point values with lazy ``where`` branches."""

    def emit_nodes(self, nodes: list[Node], indent: str,
                   emit: Callable[[Node, str, bool], None],
                   pinned: set[int] | frozenset = frozenset()) -> None:
        """Emit ``nodes`` (in order, FULL frame) through ``emit(node, indent, computed)``:
        ``computed`` is True when the node's value was already assigned (a lazy ``where``),
        and ``emit`` then adds only what follows the value (stores). ``pinned``: nodes
        that must be computed at the top level (stored, kept, loaded)."""
        lazy = self._lazy_wheres(nodes, pinned)
        deferred = {u for pair in lazy.values() for side in pair for u in side}
        position = {n.uid: k for k, n in enumerate(nodes)}
        self._emit_sequence([n for n in nodes if n.uid not in deferred], indent, emit, lazy,
                            nodes, position)

    def _emit_sequence(self, seq: list[Node], indent: str, emit: Callable, lazy: dict,
                       nodes: list[Node], position: dict[int, int]) -> None:
        for n in seq:
            branches = lazy.get(n.uid)
            if branches is None:
                emit(n, indent, False)
                continue
            v = f"v{self.names.id(n)}"
            self.lines.append(f"{indent}if {self.operand(n.inputs[0], FULL)}:")
            for side, body in ((1, branches[0]), (2, branches[1])):
                inner = {u for w, pair in lazy.items() if w in body for s in pair for u in s}
                members = sorted((m for m in nodes if m.uid in body and m.uid not in inner),
                                 key=lambda m: position[m.uid])
                self._emit_sequence(members, indent + "    ", emit, lazy, nodes, position)
                self.lines.append(f"{indent}    {v} = {self.operand(n.inputs[side], FULL)}")
                if side == 1:
                    self.lines.append(f"{indent}else:")
            emit(n, indent, True)

    def _lazy_wheres(self, nodes: list[Node], pinned: set[int] | frozenset
                     ) -> dict[int, tuple[set[int], set[int]]]:
        """where uid -> (uids exclusive to its true branch, to its false branch), for the
        wheres in ``nodes`` with a costly branch."""
        wheres = [n for n in nodes if n.op == "where" and self.k.frame(n) == FULL]
        if not wheres:
            return {}
        here = {n.uid: n for n in nodes}
        users: dict[int, list[Node]] = {}
        for c in self.k.nodes:
            for i in dict.fromkeys(c.inputs):
                users.setdefault(i.uid, []).append(c)
        order = {n.uid: k for k, n in enumerate(nodes)}
        lazy: dict[int, tuple[set[int], set[int]]] = {}
        for w in wheres:
            cond, a, b = w.inputs
            sides = []
            for root in (a, b):
                exclusive: set[int] = set()
                if root.uid in here and root.uid not in pinned and root is not cond and \
                        (a is not b):
                    self._exclusive(root, w, here, order, users, pinned, exclusive)
                sides.append(exclusive)
            if any(self._slow_cost(side, here) >= LAZY_MIN_COST for side in sides):
                lazy[w.uid] = (sides[0], sides[1])
        return lazy

    def _exclusive(self, root: Node, w: Node, here: dict[int, Node], order: dict[int, int],
                   users: dict[int, list[Node]], pinned: set[int] | frozenset,
                   out: set[int]) -> None:
        """Fill ``out`` with the nodes only ``root``'s use by ``w`` needs: ``root`` when
        ``w`` is its only user, then, from the latest node back (``order``: position of
        each node of ``here``), each node of its cone whose users are all in ``out``."""
        if [u.uid for u in users.get(root.uid, [])] != [w.uid]:
            return
        cone: dict[int, Node] = {}
        stack = [root]
        while stack:
            n = stack.pop()
            if n.uid in cone or n.uid not in here or n.uid in pinned:
                continue
            cone[n.uid] = n
            stack.extend(n.inputs)
        out.add(root.uid)
        for n in sorted(cone.values(), key=lambda n: -order[n.uid]):
            if n.uid == root.uid:
                continue
            if all(u.uid in out for u in users.get(n.uid, [])):
                out.add(n.uid)

    def _slow_cost(self, side: set[int], here: dict[int, Node]) -> float:
        """Cost of the ops in ``side`` that are not inlined vector transcendentals."""
        return sum(OPS[n.op].cost for n in (here[u] for u in side)
                   if n.op in OPS and not self._is_fast(n))
