"""DAG-aware, shape-aware extraction over a frozen snapshot of the e-graph.

egglog's built-in extractor uses tree cost (a shared sub-graph counted once per use, u64
overflow on big DAGs), so extraction is ours. ``Snapshot`` reads every e-node from
``EGraph.freeze()`` (constructor rows, the ``Ref`` index of the inserted nodes and the
``ty`` analysis).
Every e-node is type-checked: its own type, computed from its children's types with the
op's shape and dtype rules, must equal its class's type, or it is never chosen.

``Extractor`` picks one e-node per class bottom-up in the order of Knuth's generalisation
of Dijkstra's algorithm: a class is finalised when its cheapest ready e-node is popped, and
an e-node becomes ready once all its child classes are final. The chosen nodes therefore
form an acyclic graph by construction. An e-node's cost is its own cost (``cost.py``) plus
its distinct child classes' costs, each divided by the number of parent classes that share
it, so a shared sub-graph is amortised rather than counted once per use (no exponential
blow-up on 10,000-node DAGs). The reported cost of a selection is its exact DAG cost: each
chosen e-node counted once.

``Extractor.refine`` then improves the selection by local search on the exact DAG cost:
one class at a time takes another ready e-node where that lowers the total (a shared
sub-graph counted once, which the amortised order can misjudge either way), within
``REFINE_TRIALS`` trials and the deadline.

``Extractor.candidates(k)`` returns up to ``k`` different selections (one per distinct
root e-node choice, best first), for callers that rank extractions by another measure,
such as measured accuracy.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import Any

from ..cost import CostModel
from ..ir import OPS, ArrayValue
from .analyses.types import result_type
from .budget import OutOfTime
from .schema import CTOR_TO_OP, INTERN, decode_attr, type_id, type_value

EXTRACTOR_NAME = "eqsat-tensor DAG extractor (Knuth order, amortised sharing, exact DAG cost)"
# E-nodes handled between two looks at the clock.
CLOCK_EVERY = 2048
# Local-search trials of ``Extractor.refine`` (each costs one exact DAG costing), and the
# largest selection it is tried on.
REFINE_TRIALS = 400
REFINE_MAX_NODES = 2000
REFINE_SECONDS = 0.1


class ExtractionError(LookupError):
    """No acyclic, well-typed selection exists for e-class ``cls``."""

    def __init__(self, message: str, cls: int) -> None:
        super().__init__(message)
        self.cls = cls


@dataclass
class ENode:
    """One e-node: its class, IR op, child classes, decoded attributes and encoded attrs."""

    cls: int
    op: str
    children: tuple[int, ...]
    attrs: dict[str, Any]
    enc: tuple = ()


@dataclass
class Snapshot:
    """The e-graph as plain Python data (class ids are small ints)."""

    nodes: list[ENode] = field(default_factory=list)
    class_type: dict[int, int] = field(default_factory=dict)
    index_class: dict[int, int] = field(default_factory=dict)  # (Ref i): IR node i's class
    # interval analysis: class -> (lo, hi), None where unbounded (the accuracy cost)
    class_bounds: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len({n.cls for n in self.nodes})


def snapshot(egraph: Any) -> Snapshot:
    """Read a bindings ``EGraph`` into a ``Snapshot`` (skipping subsumed e-nodes)."""
    fz = egraph.freeze()
    ids: dict[Any, int] = {}

    def cid(value: Any) -> int:
        got = ids.get(value)
        if got is None:
            got = ids[value] = len(ids)
        return got

    snap = Snapshot()
    funcs = fz.functions
    i64, f64, string = egraph.value_to_i64, egraph.value_to_f64, egraph.value_to_string
    for row in funcs["Ref"].rows:
        snap.index_class[i64(row.inputs[0])] = cid(row.output)
    for row in funcs["ty"].rows:
        snap.class_type[cid(row.inputs[0])] = i64(row.output)
    for k, fname in enumerate(("lo", "hi")):
        fn = funcs.get(fname)
        for row in (fn.rows if fn is not None else ()):
            c = cid(row.inputs[0])
            b = list(snap.class_bounds.get(c, (None, None)))
            b[k] = f64(row.output)
            snap.class_bounds[c] = (b[0], b[1])
    for row in funcs["Input"].rows:
        snap.nodes.append(ENode(cid(row.output), "input", (), {"name": string(row.inputs[0])}))
    for row in funcs["Const"].rows:
        if row.subsumed:
            continue
        d = string(row.inputs[1])
        snap.nodes.append(ENode(cid(row.output), "constant", (),
                                {"value": f64(row.inputs[0]), "dtype": d}))
    for row in funcs["ArrayConst"].rows:
        arr = INTERN.value(i64(row.inputs[0]))[1]
        assert isinstance(arr, ArrayValue)
        d = type_value(i64(row.inputs[1]))[1]
        snap.nodes.append(ENode(cid(row.output), "constant", (), {"value": arr, "dtype": d}))
    for name, op in CTOR_TO_OP.items():
        fn = funcs.get(name)
        if fn is None:
            continue
        spec = OPS[op]
        k = spec.arity
        sorts = fn.input_sorts[k:]
        for row in fn.rows:
            if row.subsumed:
                continue
            ins = row.inputs
            enc = tuple(string(v) if s == "String" else i64(v) for v, s in zip(ins[k:], sorts))
            attrs = {a: decode_attr(a, v) for a, v in zip(spec.attrs, enc)}
            snap.nodes.append(ENode(cid(row.output), op, tuple(cid(v) for v in ins[:k]),
                                    attrs, enc))
    return snap


def _leaf_type(n: ENode, snap: Snapshot) -> int | None:
    if n.op == "constant":
        v = n.attrs["value"]
        shape = v.array.shape if isinstance(v, ArrayValue) else ()
        return type_id(shape, n.attrs["dtype"])
    return snap.class_type.get(n.cls)


@dataclass
class Selection:
    """One extracted e-node per reachable class, in dependency order."""

    order: list[ENode]
    roots: list[int]
    cost: float


class Extractor:
    """DAG-aware extraction of ``roots`` from a ``Snapshot`` under a ``CostModel``."""

    name = EXTRACTOR_NAME

    def __init__(self, snap: Snapshot, model: CostModel, deadline: float | None = None) -> None:
        """Extract over ``snap``; raises ``OutOfTime`` if the clock passes ``deadline``
        (``time.perf_counter()``) before the selection is known."""
        self.snap, self.model = snap, model
        self.deadline = deadline
        self._memo: dict[tuple, float] = {}
        self._valid = self._typecheck()
        self.best: dict[int, int] = {}
        self.cost: dict[int, float] = {}
        self.node_cost: dict[int, float] = {}
        self._run()

    def _typecheck(self) -> list[bool]:
        snap, memo = self.snap, {}
        valid = []
        for k, n in enumerate(snap.nodes):
            if k % CLOCK_EVERY == 0:
                self._clock()
            want = snap.class_type.get(n.cls)
            if OPS[n.op].kind == "leaf":
                valid.append(want is not None and _leaf_type(n, snap) == want)
                continue
            ins = tuple(snap.class_type.get(c) for c in n.children)
            if want is None or None in ins:
                valid.append(False)
                continue
            key = (n.op, ins, n.enc)
            got = memo.get(key)
            if got is None:
                got = memo[key] = result_type(n.op, ins, n.enc)
            valid.append(got == want)
        return valid

    def own_cost(self, i: int) -> float:
        """Cost of e-node ``i`` alone (given the currently chosen child e-nodes)."""
        n = self.snap.nodes[i]
        types = self.snap.class_type
        mat = []
        nodes = self.snap.nodes
        for c in n.children:
            j = self.best.get(c)
            mat.append(j is not None and OPS[nodes[j].op].kind == "elementwise")
        bounds = self.snap.class_bounds
        bnd = tuple(bounds.get(c) for c in n.children)
        key = (n.op, types[n.cls], tuple(types[c] for c in n.children), tuple(mat), bnd)
        got = self._memo.get(key)
        if got is None:
            shape, dtype = type_value(types[n.cls])
            ins = [type_value(types[c]) for c in n.children]
            got = self._memo[key] = self.model.node_cost(
                n.op, shape, dtype, [s for s, _ in ins], [d for _, d in ins], mat, bnd)
        return got

    def _run(self) -> None:
        snap = self.snap
        parents: dict[int, list[int]] = {}
        parent_classes: dict[int, set[int]] = {}
        pending: list[int] = []
        heap: list[tuple[float, int, int]] = []
        distinct = [tuple(dict.fromkeys(n.children)) for n in snap.nodes]
        for i, n in enumerate(snap.nodes):
            if not self._valid[i]:
                pending.append(-1)
                continue
            pending.append(len(distinct[i]))
            for c in distinct[i]:
                parents.setdefault(c, []).append(i)
                parent_classes.setdefault(c, set()).add(n.cls)
            if not distinct[i]:
                c = self.node_cost[i] = self.own_cost(i)
                heapq.heappush(heap, (c, i, n.cls))
        share = {c: max(1, len(p)) for c, p in parent_classes.items()}
        popped = 0
        while heap:
            popped += 1
            if popped % CLOCK_EVERY == 0:
                self._clock()
            c, i, cls = heapq.heappop(heap)
            if cls in self.best:
                continue
            self.best[cls], self.cost[cls] = i, c
            for p in parents.get(cls, ()):
                pending[p] -= 1
                if pending[p] == 0 and snap.nodes[p].cls not in self.best:
                    own = self.own_cost(p)
                    total = own + sum(self.cost[ch] / share[ch] for ch in distinct[p])
                    self.node_cost[p] = total
                    heapq.heappush(heap, (total, p, snap.nodes[p].cls))

    def _clock(self) -> None:
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise OutOfTime("extraction ran past the time budget")

    def select(self, roots: list[int], root_choice: dict[int, int] | None = None) -> Selection:
        """The selection for ``roots`` (optionally forcing e-node choices for some classes),
        with its exact DAG cost. Raises ``LookupError`` if a root has no valid e-node."""
        if root_choice:
            choice = dict(self.best)
            choice.update(root_choice)
        else:
            choice = self.best
        return self._select(roots, choice)

    def _select(self, roots: list[int], choice: dict[int, int]) -> Selection:
        order: list[ENode] = []
        state: dict[int, int] = {}  # 1 = on stack, 2 = done
        total = 0.0
        for r in roots:
            if r not in choice:
                raise ExtractionError("no well-typed e-node for an output e-class", r)
            stack = [(r, False)]
            steps = 0
            while stack:
                steps += 1
                if steps % CLOCK_EVERY == 0:
                    self._clock()
                cls, expanded = stack.pop()
                if state.get(cls) == 2:
                    continue
                node = self.snap.nodes[choice[cls]]
                if expanded:
                    state[cls] = 2
                    order.append(node)
                    continue
                if state.get(cls) == 1:
                    raise ExtractionError("the selection is cyclic", cls)
                state[cls] = 1
                stack.append((cls, True))
                for ch in node.children:
                    if state.get(ch) != 2:
                        stack.append((ch, False))
        saved = self.best
        self.best = choice
        try:
            for node in order:
                i = choice[node.cls]
                total += self.own_cost(i)
        finally:
            self.best = saved
        return Selection(order, list(roots), total)

    def refine(self, roots: list[int], trials: int = REFINE_TRIALS) -> Selection:
        """The selection for ``roots`` after local search on its exact DAG cost: for each
        chosen class, each other well-typed e-node whose child classes all have a choice is
        tried in its place; a change that lowers the total cost is kept (first
        improvement), until a pass changes nothing, ``trials`` are spent or
        ``REFINE_SECONDS`` have passed. Updates the per-class choice (``best``) so later
        selections start from it."""
        sel = self.select(roots)
        if len(sel.order) > REFINE_MAX_NODES:
            return sel
        stop = time.perf_counter() + REFINE_SECONDS
        alts: dict[int, list[int]] = {}
        for i, n in enumerate(self.snap.nodes):
            if self._valid[i] and all(c in self.best for c in n.children):
                alts.setdefault(n.cls, []).append(i)
        choice = dict(self.best)
        spent = 0
        changed = True
        while changed and spent < trials:
            changed = False
            for node in list(sel.order):
                cls = node.cls
                current = choice[cls]
                for j in alts.get(cls, ()):
                    if j == current or spent >= trials:
                        continue
                    spent += 1
                    if time.perf_counter() > stop:
                        spent = trials
                        break
                    self._clock()
                    choice[cls] = j
                    try:
                        got = self._select(roots, choice)
                    except ExtractionError:
                        choice[cls] = current
                        continue
                    if got.cost < sel.cost * (1 - 1e-9):
                        sel, changed = got, True
                        break
                    choice[cls] = current
                if changed:
                    break
        self.best = choice
        return sel

    def candidates(self, roots: list[int], k: int = 3) -> list[Selection]:
        """Up to ``k`` distinct acyclic selections: the refined best (``refine``), then each
        alternative ready e-node of the first root class (ranked by cost)."""
        out = [self.refine(roots)]
        if not roots:
            return out
        r0 = roots[0]
        alts = sorted((c, i) for i, c in self.node_cost.items()
                      if self.snap.nodes[i].cls == r0 and i != self.best.get(r0))
        for _, i in alts:
            if len(out) >= k:
                break
            try:
                out.append(self.select(roots, {r0: i}))
            except LookupError:
                continue
        return out


def is_finite_cost(x: float) -> bool:
    """True if a selection cost is a finite number."""
    return math.isfinite(x)
