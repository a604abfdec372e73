"""Kernel planning: partition an (optimized) IR ``Graph`` into fused kernels and driver steps.

Every compiling backend (Numba CPU, CUDA, Dask) plans the same way and then lowers each
step for its target. This module imports only the IR and knows nothing about Numba.

Data structures
---------------
``plan_graph(graph) -> Plan``. A ``Plan`` is a list of ``steps`` in execution order (each
step only reads buffers produced by earlier steps, graph inputs or array constants):

``ViewStep(node)``
    A layout op (``transpose``, ``reshape``, ``broadcast_to``, ``expand_dims``, ``slice``)
    applied to a materialized buffer. Backends run it as a view (no copy) where the layout
    allows. Ops of kind ``gather`` (``take``, ``concatenate``, ``scatter_add``, ...) are
    steps of this kind too: one array-library call on materialized buffers, so a fused
    kernel never indexes out of bounds (the call checks the indices).
``MatmulStep(node)``
    A ``matmul`` whose result other steps read (several consumers, a graph output, or a
    consumer that cannot fuse it). Backends call BLAS.
``Kernel``
    One fused loop nest over ``domain`` (a shape, symbolic dims allowed):

    * ``reduce_axes == ()``: an elementwise kernel; every node in ``nodes`` has the shape
      ``domain`` and is computed once per point of the domain.
    * otherwise a row-wise reduction kernel. The *kept* axes (``kept_axes``) form the outer
      (parallel) loops; each reduction in ``nodes`` reduces exactly ``reduce_axes`` of an
      operand of shape ``domain``. Each node has a *frame* (``frames[node.uid]``):
      ``FULL`` (shape ``domain``, computed per point of the domain), ``ROW_KEEP`` (the
      keepdims row shape: 1 on ``reduce_axes``) or ``ROW_DROP`` (the reduced shape without
      ``reduce_axes``); row nodes are computed once per row. A reduction's operand is in
      the FULL frame; its result is ROW_KEEP or ROW_DROP by ``keepdims``. FULL nodes that
      use row values (``x - max(x, keepdims=True)``) are fused too, so softmax, logsumexp
      and layer norm are one kernel that makes a few passes over each row
      (``reduction_phases`` gives the pass of every reduction).
    * ``matmuls``: BLAS prologue, computed just before the loop and read only by this
      kernel (a matmul with its elementwise epilogue fused into the loop).
    * ``reads``: the buffers the loop reads (graph inputs, array constants, view and
      matmul results, other kernels' ``writes``), broadcast by NumPy rules against the
      frame of the node that reads them. Scalar constants are not buffers: they are
      inlined (``is_inline_scalar``).
    * ``writes``: the nodes the kernel stores to fresh buffers: graph outputs and values
      that other steps read. Everything else stays in registers.

Rules (greedy, consumer-driven, linear in the graph size): nodes are visited from the
outputs backwards; a node joins the kernel of its consumers when *all* its consumers are
in that one kernel and its shape fits the kernel (``domain``, or a row shape of a
reduction kernel whose reduced axes match). Otherwise it starts a kernel of its own and
is materialized exactly once. A reduction joining an elementwise kernel turns it into a
reduction kernel (its operand shape becomes the domain). A reduction over no axes is an
identity and is planned like an elementwise op.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..ir import OPS, Graph, Node, Shape, fmt_shape

FULL = "full"
ROW_KEEP = "row_keep"
ROW_DROP = "row_drop"


def is_inline_scalar(node: Node) -> bool:
    """A scalar constant: inlined into the code, never a buffer."""
    return node.op == "constant" and node.shape == ()


def is_leaf(node: Node) -> bool:
    """Graph inputs and constants."""
    return node.op in ("input", "constant")


def is_identity_reduction(node: Node) -> bool:
    """A reduction over no axes (it returns its operand)."""
    return OPS[node.op].kind == "reduction" and node.attr("axis") == ()


def _kind(node: Node) -> str:
    if is_identity_reduction(node):
        return "elementwise"
    return OPS[node.op].kind


@dataclass(frozen=True)
class _NodeStep:
    """A step that computes one node from its inputs, outside any fused kernel."""

    node: Node

    @property
    def reads(self) -> tuple[Node, ...]:
        return self.node.inputs

    @property
    def writes(self) -> tuple[Node, ...]:
        return (self.node,)


@dataclass(frozen=True)
class ViewStep(_NodeStep):
    """A layout op on a materialized buffer (a view where possible)."""


@dataclass(frozen=True)
class MatmulStep(_NodeStep):
    """A matmul whose result is materialized for other steps (BLAS)."""


@dataclass(frozen=True)
class ScanStep(_NodeStep):
    """A scan or selection along one axis (``cumsum``, ``cumprod``, ``sort``, ``argmax``,
    ``argmin``: ops of kind ``scan``) on a materialized buffer; backends call a row
    kernel of their own over the other axes."""


@dataclass(frozen=True)
class Kernel:
    """One fused loop nest (see the module docstring for the meaning of each field)."""

    name: str
    domain: Shape
    reduce_axes: tuple[int, ...]
    nodes: tuple[Node, ...]
    reads: tuple[Node, ...]
    writes: tuple[Node, ...]
    frames: Mapping[int, str]
    matmuls: tuple[Node, ...] = ()
    # logsumexp in one pass (running max and rescaled sum; the Numba CPU writer's row
    # reductions) instead of two (max, then the sum of exponentials)
    online_logsumexp: bool = False

    @property
    def kind(self) -> str:
        """``"elementwise"`` or ``"reduction"``."""
        return "reduction" if self.reduce_axes else "elementwise"

    @property
    def kept_axes(self) -> tuple[int, ...]:
        """Domain axes that are not reduced (the outer loops)."""
        return tuple(a for a in range(len(self.domain)) if a not in self.reduce_axes)

    def frame(self, node: Node) -> str:
        """The frame of an in-kernel node (``FULL`` for elementwise kernels)."""
        return self.frames.get(node.uid, FULL)

    def reductions(self) -> list[Node]:
        """The reduction nodes of the kernel, in topological order."""
        return [n for n in self.nodes if _kind(n) == "reduction"]

    def reduction_phases(self) -> dict[int, tuple[int, int]]:
        """uid -> (first pass, last pass) over each row for every reduction (passes count
        from 1). A reduction runs in the pass after the last reduction it depends on;
        ``logsumexp`` takes two passes (max, then sum of exponentials), one with
        ``online_logsumexp``."""
        done: dict[int, int] = {}  # uid -> pass after which the value is available
        phases: dict[int, tuple[int, int]] = {}
        inside = {n.uid for n in self.nodes}
        for n in self.nodes:
            dep = max((done.get(i.uid, 0) for i in n.inputs if i.uid in inside), default=0)
            if _kind(n) == "reduction":
                two = n.op == "logsumexp" and not self.online_logsumexp
                last = dep + (2 if two else 1)
                phases[n.uid] = (dep + 1, last)
                done[n.uid] = last
            else:
                done[n.uid] = dep
        return phases

    def available_after(self) -> dict[int, int]:
        """uid -> the pass after which each in-kernel node can be computed (0: any time)."""
        done: dict[int, int] = {}
        inside = {n.uid for n in self.nodes}
        phases = self.reduction_phases()
        for n in self.nodes:
            if n.uid in phases:
                done[n.uid] = phases[n.uid][1]
            else:
                done[n.uid] = max((done.get(i.uid, 0) for i in n.inputs if i.uid in inside),
                                  default=0)
        return done

    def full_writes(self) -> list[Node]:
        """Written nodes of the FULL frame that are not reductions (stored per point)."""
        phases = self.reduction_phases()
        return [n for n in self.writes if self.frame(n) == FULL and n.uid not in phases]

    def row_nodes(self) -> list[Node]:
        """Nodes computed once per row (ROW frames) that are not reductions themselves."""
        phases = self.reduction_phases()
        return [n for n in self.nodes if self.frame(n) != FULL and n.uid not in phases]

    def passes(self) -> int:
        """How many passes over each row the kernel makes (its reductions and stores)."""
        after = self.available_after()
        return max([last for _, last in self.reduction_phases().values()]
                   + [after[n.uid] + 1 for n in self.full_writes()] + [0])

    def describe(self) -> str:
        """One line: name, kind, domain, ops and buffers."""
        ops = ", ".join(n.op for n in self.nodes)
        extra = f" reduce{self.reduce_axes}" if self.reduce_axes else ""
        mm = f" + {len(self.matmuls)} matmul prologue" if self.matmuls else ""
        return (f"{self.name}: {self.kind}{extra} over {fmt_shape(self.domain)}{mm} "
                f"[{ops}] reads {len(self.reads)} writes {len(self.writes)}")


Step = ViewStep | MatmulStep | ScanStep | Kernel


@dataclass(frozen=True)
class Plan:
    """The steps that compute ``graph.outputs``, in execution order."""

    graph: Graph
    steps: tuple[Step, ...]

    def kernels(self) -> list[Kernel]:
        """The fused loop nests."""
        return [s for s in self.steps if isinstance(s, Kernel)]

    def materialized(self) -> list[Node]:
        """Every node that lives in a buffer: array leaves and the steps' writes."""
        out = [n for n in self.graph.nodes() if is_leaf(n) and not is_inline_scalar(n)]
        for s in self.steps:
            out.extend(s.writes)
            if isinstance(s, Kernel):
                out.extend(s.matmuls)
        return out

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def describe(self) -> str:
        """A readable summary, one line per step."""
        lines = []
        for s in self.steps:
            if isinstance(s, Kernel):
                lines.append(s.describe())
            elif isinstance(s, MatmulStep):
                lines.append(f"matmul #{s.node.uid} -> {fmt_shape(s.node.shape)} (BLAS)")
            elif isinstance(s, ScanStep):
                lines.append(f"scan {s.node.op} #{s.node.uid} -> {fmt_shape(s.node.shape)}")
            else:
                lines.append(f"view {s.node.op} #{s.node.uid} -> {fmt_shape(s.node.shape)}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# The planner.


@dataclass
class _Group:
    root: Node
    domain: Shape
    reduce_axes: tuple[int, ...] = ()
    members: list[Node] = field(default_factory=list)
    frames: dict[int, str] = field(default_factory=dict)
    matmuls: list[Node] = field(default_factory=list)

    def row_keep(self) -> Shape:
        return tuple(1 if a in self.reduce_axes else d for a, d in enumerate(self.domain))

    def row_drop(self) -> Shape:
        return tuple(d for a, d in enumerate(self.domain) if a not in self.reduce_axes)

    def frame_of_shape(self, shape: Shape, cheap: bool) -> str | None:
        if tuple(shape) == tuple(self.domain):
            return FULL
        if self.reduce_axes:
            if tuple(shape) == self.row_keep():
                return ROW_KEEP
            if tuple(shape) == self.row_drop():
                return ROW_DROP
        if cheap and len(shape) <= len(self.domain) and all(
                a == b or a == 1 for a, b in zip(reversed(shape), reversed(self.domain))):
            # a cheap broadcast value (``var + eps`` before ``var`` has joined, ``1 - a``
            # of a scalar ``a``): computed per point of the domain (the compiler hoists
            # what is loop-invariant) instead of a kernel launch of its own;
            # ``_row_invariant`` hoists it per row later
            return FULL
        return None


_CHEAP = 4.0  # ops at most this costly may be recomputed along broadcast axes

# Elementwise kernels hold at most this many nodes: a longer fused chain is cut into
# several kernels (the values crossing a cut are stored once). Compile time of one
# generated function grows faster than linearly with its size; this keeps the whole
# graph's compile time linear, at the cost of one store and load per cut.
MAX_KERNEL_NODES = 64

# Frames a consumer in ``frame`` accepts for its in-kernel operands.
_OPERAND_FRAMES = {FULL: {FULL, ROW_KEEP}, ROW_KEEP: {ROW_KEEP}, ROW_DROP: {ROW_DROP}}


def _consumer_frames(group: _Group, consumers: list[Node]) -> set[str]:
    """The frames in which ``consumers`` (all in ``group``) read their operand."""
    frames = set()
    for c in consumers:
        if _kind(c) == "reduction":
            frames.add(FULL)  # a reduction reads its operand point by point
        else:
            frames.add(group.frames[c.uid])
    return frames


def _try_join(group: _Group, node: Node, consumers: list[Node], output: bool = False) -> bool:
    """Add ``node`` to ``group`` if its shape and its consumers' frames allow it. A graph
    ``output`` must have a frame of its own shape: a cheap broadcast value computed per
    point of a larger domain would never be stored when that domain is empty."""
    kind = _kind(node)
    if kind == "matmul":
        if tuple(node.shape) == tuple(group.domain) and \
                _consumer_frames(group, consumers) <= {FULL}:
            group.matmuls.append(node)
            return True
        return False
    if kind == "reduction":
        operand = tuple(node.inputs[0].shape)
        axes = node.attr("axis")
        if not group.reduce_axes:  # may turn an elementwise group into a reduction group
            keep = tuple(1 if a in axes else d for a, d in enumerate(operand))
            drop = tuple(d for a, d in enumerate(operand) if a not in axes)
            if keep == operand or any(f != FULL for f in group.frames.values()):
                return False
            domain = tuple(group.domain)
            if domain == operand and node.attr("keepdims"):
                old_frame = FULL  # x - max(x, keepdims=True): members stay per point
            elif domain == keep and node.attr("keepdims"):
                old_frame = ROW_KEEP
            elif domain == drop and not node.attr("keepdims"):
                old_frame = ROW_DROP
            else:
                return False
            if group.matmuls and old_frame != FULL:
                return False  # a matmul prologue is read in the FULL frame
            group.domain, group.reduce_axes = operand, axes
            for uid in group.frames:
                group.frames[uid] = old_frame
        elif operand != tuple(group.domain) or axes != group.reduce_axes:
            return False
        frame = ROW_KEEP if node.attr("keepdims") else ROW_DROP
    elif kind == "elementwise":
        frame = group.frame_of_shape(node.shape, OPS[node.op].cost <= _CHEAP and not output)
        if frame is None:
            return False
    else:
        return False
    if not all(frame in _OPERAND_FRAMES[f] for f in _consumer_frames(group, consumers)):
        return False
    group.members.append(node)
    group.frames[node.uid] = frame
    return True


def _new_group(node: Node) -> _Group:
    kind = _kind(node)
    if kind == "reduction":
        axes = node.attr("axis")
        g = _Group(node, tuple(node.inputs[0].shape), axes)
        g.frames[node.uid] = ROW_KEEP if node.attr("keepdims") else ROW_DROP
    else:
        g = _Group(node, tuple(node.shape))
        g.frames[node.uid] = FULL
    g.members.append(node)
    return g


def plan_graph(graph: Graph) -> Plan:
    """Partition ``graph`` into views, BLAS matmuls and fused kernels (see module doc)."""
    order = graph.nodes()
    position = {n.uid: k for k, n in enumerate(order)}
    consumers: dict[int, list[Node]] = {n.uid: [] for n in order}
    for n in order:
        for i in dict.fromkeys(n.inputs):  # a node used twice by one consumer counts once
            consumers[i.uid].append(n)
    outputs = {o.uid for o in graph.outputs}

    group_of: dict[int, _Group] = {}
    groups: list[_Group] = []
    singles: list[Step] = []
    for node in reversed(order):
        if is_leaf(node):
            continue
        kind = _kind(node)
        if kind in ("layout", "gather"):  # gathers and joins: one array call each
            singles.append(ViewStep(node))
            continue
        if kind == "scan":
            singles.append(ScanStep(node))
            continue
        cons = consumers[node.uid]
        targets = {id(group_of.get(c.uid)): group_of.get(c.uid) for c in cons}
        target = next(iter(targets.values())) if len(targets) == 1 else None
        if kind == "matmul" and node.uid in outputs:
            target = None
        if target is not None and _try_join(target, node, cons, node.uid in outputs):
            if kind != "matmul":  # a prologue matmul's operands must be buffers
                group_of[node.uid] = target
            continue
        if kind == "matmul":
            singles.append(MatmulStep(node))
            continue
        g = _new_group(node)
        group_of[node.uid] = g
        groups.append(g)

    groups = _merge_siblings(list(reversed(groups)), group_of, consumers)
    groups = _merge_producers(groups, group_of)
    groups = _split_large(groups, group_of, position)

    # A member is written when it is a graph output or read outside its group.
    steps: list[tuple[int, Step]] = []
    for k, g in enumerate(groups):
        members = sorted(g.members, key=lambda n: position[n.uid])
        inside = {n.uid for n in members}
        writes = [n for n in members if n.uid in outputs or any(
            group_of.get(c.uid) is not g for c in consumers[n.uid])]
        reads: dict[int, Node] = {}
        for n in members:
            for i in n.inputs:
                if i.uid not in inside and not is_inline_scalar(i):
                    reads.setdefault(i.uid, i)
        kernel = Kernel(name=f"k{k}", domain=g.domain, reduce_axes=g.reduce_axes,
                        nodes=tuple(members), reads=tuple(reads.values()), writes=tuple(writes),
                        frames=_row_invariant(g, members),
                        matmuls=tuple(sorted(g.matmuls, key=lambda n: position[n.uid])))
        steps.append((max(position[n.uid] for n in members), kernel))
    for s in singles:
        steps.append((position[s.node.uid], s))
    return Plan(graph, tuple(_schedule(steps)))


def _split_large(groups: list[_Group], group_of: dict[int, _Group],
                 position: dict[int, int]) -> list[_Group]:
    """Elementwise groups of more than ``MAX_KERNEL_NODES`` nodes cut into consecutive
    pieces (in topological order, so each piece reads only earlier pieces)."""
    out: list[_Group] = []
    for g in groups:
        if g.reduce_axes or g.matmuls or len(g.members) <= MAX_KERNEL_NODES:
            out.append(g)
            continue
        members = sorted(g.members, key=lambda n: position[n.uid])
        for start in range(0, len(members), MAX_KERNEL_NODES):
            chunk = members[start:start + MAX_KERNEL_NODES]
            piece = _Group(chunk[-1], g.domain)
            piece.members = chunk
            piece.frames = {n.uid: g.frames[n.uid] for n in chunk}
            for n in chunk:
                group_of[n.uid] = piece
            out.append(piece)
    return out


def _row_invariant(g: _Group, members: list[Node]) -> dict[int, str]:
    """Frames, with FULL members of the row shape whose in-kernel operands are row values
    moved to ROW_KEEP (computed once per row instead of once per point)."""
    frames = dict(g.frames)
    if not g.reduce_axes:
        return frames
    keep = g.row_keep()
    for n in members:
        if frames[n.uid] == FULL and _kind(n) == "elementwise" and tuple(n.shape) == keep and \
                all(frames.get(i.uid, ROW_KEEP) == ROW_KEEP for i in n.inputs):
            frames[n.uid] = ROW_KEEP
    return frames


def refuse_scans(plan: Plan, backend: str) -> None:
    """Raise ``UnsupportedOp`` naming the first scan step, for backends without scan
    kernels (CUDA, Dask)."""
    from ..errors import UnsupportedOp

    for s in plan.steps:
        if isinstance(s, ScanStep):
            raise UnsupportedOp(f"the {backend} backend cannot compile op {s.node.op!r} "
                                f"(node #{s.node.uid}, shape {fmt_shape(s.node.shape)}); "
                                "use the numba or numpy backend")


def _step_inputs(step: Step) -> list[Node]:
    if isinstance(step, Kernel):
        return [i for m in step.matmuls for i in m.inputs] + list(step.reads)
    return list(step.reads)


def _schedule(steps: list[tuple[int, Step]]) -> list[Step]:
    """Steps in dependency order (ties by graph position; Kahn's algorithm)."""
    import heapq

    producer: dict[int, int] = {}
    for k, (_, s) in enumerate(steps):
        for w in s.writes:
            producer[w.uid] = k
        if isinstance(s, Kernel):
            for m in s.matmuls:
                producer[m.uid] = k
    deps = [{producer[i.uid] for i in _step_inputs(s) if i.uid in producer} - {k}
            for k, (_, s) in enumerate(steps)]
    users: list[list[int]] = [[] for _ in steps]
    for k, d in enumerate(deps):
        for j in d:
            users[j].append(k)
    waiting = [len(d) for d in deps]
    ready = [(pos, k) for k, (pos, _) in enumerate(steps) if waiting[k] == 0]
    heapq.heapify(ready)
    out: list[Step] = []
    while ready:
        _, k = heapq.heappop(ready)
        out.append(steps[k][1])
        for u in users[k]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, (steps[u][0], u))
    assert len(out) == len(steps), "cycle in the kernel plan"
    return out


def _merge_siblings(groups: list[_Group], group_of: dict[int, _Group],
                    consumers: dict[int, list[Node]]) -> list[_Group]:
    """Horizontal fusion: groups with the same domain and reduced axes, neither reading
    (even indirectly) what the other computes, become one loop nest, so a multi-output
    graph reads its inputs once. ``groups`` come in dependency order."""
    host_of: dict[int, _Group] = {}  # id(group) -> the group it was merged into
    deps: dict[int, set[int]] = {}  # id(host) -> ids of hosts it reads from
    by_key: dict[tuple, list[_Group]] = {}
    merged: list[_Group] = []

    sources = _SourceGroups(group_of)

    for g in groups:
        direct = set()
        for n in g.members + g.matmuls:
            for i in n.inputs:
                for h in sources(i):
                    if h is not g:
                        direct.add(id(_host(host_of, h)))
        key = (tuple(g.domain), g.reduce_axes)
        target = None
        if not g.matmuls:
            for cand in by_key.get(key, []):
                if not _reaches(deps, direct, id(cand)):
                    target = cand
                    break
        if target is None:
            deps[id(g)] = direct
            merged.append(g)
            if not g.matmuls:
                by_key.setdefault(key, []).append(g)
            continue
        target.members.extend(g.members)
        target.frames.update(g.frames)
        for n in g.members:
            group_of[n.uid] = target
        host_of[id(g)] = target
        deps[id(target)] |= direct
    return merged


def _merge_producers(groups: list[_Group], group_of: dict[int, _Group]) -> list[_Group]:
    """An elementwise group whose values several kernels read (so it did not join its
    consumer: ``_try_join`` wants all consumers in one kernel) joins the first consumer
    kernel over the same domain, when that kernel does not also depend on it through
    another kernel (that would be a cycle). Its values are computed in that loop and
    stored for the other readers: one launch and one pass over the data fewer (a PyMC
    gradient of 60 points had 24 kernels, most of a few ops). ``groups`` come in
    dependency order and keep it."""
    sources = _SourceGroups(group_of)
    deps: dict[int, set[int]] = {}
    for g in groups:
        deps[id(g)] = {id(h) for n in g.members + g.matmuls for i in n.inputs
                       for h in sources(i) if h is not g}

    # id(merged group) -> the group that took it in (``sources`` remembers groups as they
    # were)
    host_of: dict[int, _Group] = {}
    gone: set[int] = set()
    for p in groups:
        if p.reduce_axes or p.matmuls:
            continue
        for c in groups:
            if id(c) in gone or c is p or id(p) not in deps[id(c)] or c.matmuls or \
                    tuple(c.domain) != tuple(p.domain):
                continue
            if c.reduce_axes and any(OPS[n.op].cost > _CHEAP for n in p.members):
                continue  # costly terms in a reduction's passes: computed in each pass
            if _reaches(deps, deps[id(c)] - {id(p)}, id(p)):
                continue  # c also reads p through another kernel
            if any(group_of.get(i.uid) is None and any(
                    _host(host_of, h) is p for h in sources(i))
                   for n in c.members for i in n.inputs):
                continue  # c reads p's values through a view: p's buffer must exist first
            c.members[:0] = p.members
            for n in p.members:
                c.frames[n.uid] = FULL
                group_of[n.uid] = c
            deps[id(c)] = (deps[id(c)] | deps[id(p)]) - {id(p), id(c)}
            for k, d in deps.items():
                if id(p) in d:
                    d.discard(id(p))
                    if k != id(c):
                        d.add(id(c))
            gone.add(id(p))
            host_of[id(p)] = c
            break
    return [g for g in groups if id(g) not in gone]


def _host(host_of: dict[int, _Group], g: _Group) -> _Group:
    """The group that ``g`` was merged into (through every merge since), or ``g``."""
    while id(g) in host_of:
        g = host_of[id(g)]
    return g


def _reaches(deps: dict[int, set[int]], start: set[int], target: int) -> bool:
    """Whether group ``target`` is among ``start`` or what they read from, transitively
    (``deps``: id(group) -> ids of the groups it reads from)."""
    seen, stack = set(), list(start)
    while stack:
        k = stack.pop()
        if k == target:
            return True
        if k not in seen:
            seen.add(k)
            stack.extend(deps.get(k, ()))
    return False


class _SourceGroups:
    """The groups a node's value comes from, looking through the nodes no group computes
    (views and BLAS matmuls): a kernel reading transpose(y) depends on y's kernel."""

    def __init__(self, group_of: dict[int, _Group]) -> None:
        self.group_of = group_of
        self.through: dict[int, tuple[_Group, ...]] = {}

    def __call__(self, node: Node) -> tuple[_Group, ...]:
        h = self.group_of.get(node.uid)
        if h is not None:
            return (h,)
        if is_leaf(node):
            return ()
        if node.uid not in self.through:
            stack, found = [node], {}
            seen = set()
            while stack:
                q = stack.pop()
                if q.uid in seen:
                    continue
                seen.add(q.uid)
                for i in q.inputs:
                    hi = self.group_of.get(i.uid)
                    if hi is not None:
                        found[id(hi)] = hi
                    elif not is_leaf(i):
                        stack.append(i)
            self.through[node.uid] = tuple(found.values())
        return self.through[node.uid]


__all__ = ["FULL", "MAX_KERNEL_NODES", "ROW_DROP", "ROW_KEEP", "Kernel", "MatmulStep", "Plan",
           "ScanStep", "Step", "ViewStep", "is_identity_reduction", "is_inline_scalar",
           "is_leaf", "plan_graph", "refuse_scans"]
