"""Planning half of the Dask backend: how each kernel of a ``plan.py`` plan runs as Dask
graph layers.

``dask_plan`` wraps every plan kernel in a ``Step``: ``block`` (the kernel per block, rows
rechunked whole, or staged tree reductions for multi-pass kernels over chunked rows) or
``tree`` (one fused tree reduction: a chunk step writing every reduction, combine levels,
and a final step running the elementwise epilogue). It also finds the two-pass kernels
(variances, max-shifted sums of exponentials) that reduce in a single pass over the
chunks, and merges adjacent tree reductions over the same axes. ``dask_layers`` turns the
steps into Dask layers.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import BackendError
from ..ir import OPS, Node
from .plan import FULL, ROW_DROP, Kernel, Plan, is_inline_scalar


def _inside_deps(kernel: Kernel, root: Node) -> list[Node]:
    """``root`` and the in-kernel nodes it depends on, in kernel order."""
    inside = {n.uid for n in kernel.nodes}
    want: set[int] = set()
    stack = [root]
    while stack:
        n = stack.pop()
        if n.uid in want or n.uid not in inside:
            continue
        want.add(n.uid)
        stack.extend(n.inputs)
    return [n for n in kernel.nodes if n.uid in want]


def _sub_kernel(kernel: Kernel, name: str, nodes: list[Node], writes: tuple[Node, ...]
                ) -> Kernel:
    inside = {n.uid for n in nodes}
    reads: dict[int, Node] = {}
    for n in nodes:
        for i in n.inputs:
            if i.uid not in inside and not is_inline_scalar(i):
                reads.setdefault(i.uid, i)
    return Kernel(name=name, domain=kernel.domain, reduce_axes=kernel.reduce_axes,
                  nodes=tuple(nodes), reads=tuple(reads.values()), writes=writes,
                  frames=kernel.frames)


def _tree_reducible(kernel: Kernel) -> bool:
    """Every reduction reads only elementwise values (no value computed from another
    reduction of this kernel feeds a reduction or a full-size output)."""
    phases = kernel.reduction_phases()
    after = kernel.available_after()
    if any(first != 1 for first, _ in phases.values()):
        return False
    return not any(kernel.frame(n) == FULL and n.uid not in phases and after[n.uid] > 0
                   for n in kernel.nodes)


class Step:
    """How one plan kernel runs: ``block`` (``full``, the kernel without broadcast writes,
    blockwise after rechunking the reduced axes of a reduction kernel) or ``tree`` (one
    fused tree reduction: ``partial``, a kernel writing every reduction, is the chunk step;
    ``epilogue``, an elementwise kernel over the reduced rows, runs in the final step;
    ``full``, an elementwise kernel for the full-size writes; ``whole``, the kernel run
    per block when the reduced axes are one chunk)."""

    def __init__(self, kernel: Kernel, mode: str, partial: Kernel | None = None,
                 full: Kernel | None = None, epilogue: Kernel | None = None,
                 whole: Kernel | None = None) -> None:
        self.kernel, self.mode, self.partial, self.full = kernel, mode, partial, full
        self.epilogue, self.whole = epilogue, whole
        self.variances: dict[int, tuple[str, int]] = {}  # tree: see _variances
        self.staged: list[Step] | None = None  # block mode: the tree-reduction stages

    def kernels(self) -> list[Kernel]:
        """The kernels this step generates."""
        return [k for k in (self.partial, self.full, self.epilogue, self.whole)
                if k is not None]


def _full_writes_kernel(kernel: Kernel) -> Kernel | None:
    """An elementwise kernel for the full-size outputs of a tree-reduced kernel (``y`` of
    ``y, sum(y)``), or None when there are none (or they read a dropped-axes row value,
    which does not broadcast against the domain; those run op by op)."""
    phases = kernel.reduction_phases()
    writes = [n for n in kernel.writes if kernel.frame(n) == FULL and n.uid not in phases
              and tuple(n.shape) == tuple(kernel.domain)]
    if not writes:
        return None
    nodes: dict[int, Node] = {}
    for w in writes:
        for n in _inside_deps(kernel, w):
            nodes[n.uid] = n
    if any(kernel.frame(n) == ROW_DROP or n.uid in phases for n in nodes.values()):
        return None
    order = [n for n in kernel.nodes if n.uid in nodes]
    sub = _sub_kernel(kernel, f"{kernel.name}e", order, tuple(writes))
    return Kernel(name=sub.name, domain=sub.domain, reduce_axes=(), nodes=sub.nodes,
                  reads=sub.reads, writes=sub.writes, frames={n.uid: FULL for n in order})


def _merge_trees(steps: list[Any]) -> list[Any]:
    """Adjacent tree-reducible kernels over the same domain and axes as one kernel, when
    the second one's reductions and full-size values do not read the first one's writes
    (``max(x)`` and ``logsumexp(x) - max(x)`` of a softmax reduce in one pass over the
    chunks; the planner splits them for the CPU, where a pass is cheap)."""
    out: list[Any] = []
    for step in steps:
        prev = out[-1] if out else None
        if (isinstance(step, Kernel) and isinstance(prev, Kernel) and step.reduce_axes
                and prev.reduce_axes == step.reduce_axes and prev.domain == step.domain
                and not prev.matmuls and not step.matmuls
                and _tree_reducible(prev) and _tree_reducible(step)):
            mine = {w.uid for w in prev.writes}
            inside = {n.uid for n in prev.nodes}
            reads = {r.uid: r for r in prev.reads}
            for r in step.reads:
                if r.uid not in mine:
                    reads.setdefault(r.uid, r)
            frames = dict(prev.frames)
            frames.update(step.frames)
            merged = Kernel(name=prev.name, domain=prev.domain, reduce_axes=prev.reduce_axes,
                            nodes=prev.nodes + tuple(n for n in step.nodes
                                                     if n.uid not in inside),
                            reads=tuple(reads.values()), writes=prev.writes + step.writes,
                            frames=frames)
            if _tree_reducible(merged) and not any(
                    r.uid in mine for n in step.nodes if step.frame(n) == FULL
                    for r in n.inputs):
                out[-1] = merged
                continue
        out.append(step)
    return out


def dask_plan(plan: Plan) -> tuple[list[Any], list[Kernel]]:
    """Plan steps with each kernel wrapped in a ``Step``, and the kernels to generate."""
    steps: list[Any] = []
    kernels: list[Kernel] = []
    for step in _merge_trees(list(plan.steps)):
        if not isinstance(step, Kernel):
            steps.append(step)
            continue
        if step.reduce_axes and _tree_reducible(step):
            tree = _tree_step(step, whole=True)
            steps.append(tree)
            kernels += tree.kernels()
        elif step.reduce_axes and _variances(step) is not None:
            tree = _tree_step(step, whole=True, variances=_variances(step))
            steps.append(tree)
            kernels += tree.kernels()
        else:
            kernel = _proper_writes(step)
            block = Step(step, "block", None, kernel)
            if kernel is not None:
                kernels.append(kernel)
            if step.reduce_axes:
                block.staged = _stages(step)
                for stage in block.staged or []:
                    kernels += stage.kernels()
            steps.append(block)
    return steps, kernels


def _two_pass_match(r: Node, inside: set[int], phases: dict, after: dict
                    ) -> tuple[str, Node, set[int]] | None:
    """``(kind, first-pass reduction, inner nodes)`` when second-pass reduction ``r`` is
    a variance ``mean(d * d)`` (or ``square(d)``, ``d ** 2``), ``d = z - mean(z)``, or a
    max-shifted sum ``sum(exp(z - max(z)))`` / ``logsumexp(z - max(z))`` (the first-pass
    reduction with ``keepdims`` over the same axes, ``z`` computed before any pass)."""
    arg = r.inputs[0]
    if r.op == "mean":
        d = arg.inputs[0] if arg.op in ("mul", "square", "pow") else None
        two = arg.op == "pow" and arg.inputs[1].op == "constant" and np.ndim(
            arg.inputs[1].value) == 0 and float(arg.inputs[1].value) == 2.0
        if d is None or (arg.op == "mul" and arg.inputs[1] is not d) or (
                arg.op == "pow" and not two):
            return None
        kind, first_op, inner = "var", "mean", {arg.uid}
    elif r.op == "sum" and arg.op == "exp":
        d, kind, first_op, inner = arg.inputs[0], "sumexp", "max", {arg.uid}
    elif r.op == "logsumexp":
        d, kind, first_op, inner = arg, "lseshift", "max", set()
    else:
        return None
    if d.op != "sub" or tuple(d.shape) != tuple(d.inputs[0].shape):
        return None
    z, mu = d.inputs
    if (mu.op != first_op or mu.uid not in inside or mu.inputs[0] is not z
            or not mu.attr("keepdims") or mu.attr("axis") != r.attr("axis")
            or phases[mu.uid][0] != 1 or after.get(z.uid, 0) > 0
            or z.dtype not in ("float32", "float64")):
        return None
    return kind, mu, inner | {d.uid}


def _variances(kernel: Kernel) -> dict[int, tuple[str, int]] | None:
    """``{uid of r: (kind, uid of the first-pass reduction)}`` for a two-pass kernel whose
    every second-pass reduction ``r`` is a variance or a max-shifted sum of exponentials
    (``_two_pass_match``), the values that wait for the first pass being only their inner
    nodes. Such a kernel reduces in one tree: each chunk runs both passes on its block and
    gives its count, sum and squared deviations from its own mean (combined as Chan et
    al.'s parallel variance, Welford's update for blocks), or its max ``m_i`` and
    ``s_i = sum(exp(z - m_i))`` (combined as ``sum s_i * exp(m_i - max m_i)``, the online
    softmax). None otherwise."""
    phases = kernel.reduction_phases()
    after = kernel.available_after()
    inside = {n.uid for n in kernel.nodes}
    found: dict[int, tuple[str, int]] = {}
    allowed: set[int] = set()
    for r in kernel.reductions():
        if phases[r.uid][0] == 1:
            continue
        match = _two_pass_match(r, inside, phases, after)
        if match is None:
            return None
        kind, mu, inner = match
        found[r.uid] = (kind, mu.uid)
        allowed |= inner
    if not found:
        return None
    for n in kernel.nodes:  # nothing else waits for a first-pass reduction at full size
        if (kernel.frame(n) == FULL and n.uid not in phases and after[n.uid] > 0
                and n.uid not in allowed):
            return None
    users: dict[int, list[Node]] = {}
    for n in kernel.nodes:
        for i in n.inputs:
            users.setdefault(i.uid, []).append(n)
    for uid in allowed:
        if any(u.uid not in allowed and u.uid not in found for u in users.get(uid, [])):
            return None
        if any(w.uid == uid for w in kernel.writes):
            return None
    if any(phases[r.uid][0] > 2 for r in kernel.reductions()):
        return None
    return found


def _tree_step(kernel: Kernel, whole: bool = False,
               variances: dict[int, tuple[str, int]] | None = None) -> Step:
    """A tree-reducible kernel: every reduction in one chunk step, the row values after
    them in the final step, full-size writes fused (``whole``: also the kernel itself, for
    blocks that hold whole rows; ``variances``: see ``_variances``)."""
    variances = variances or {}
    needed = {n.uid for w in kernel.writes for n in _inside_deps(kernel, w)}
    needed |= {uid for _, uid in variances.values()}
    reds = [r for r in kernel.reductions() if r.uid in needed]
    partial = None
    if reds:
        want: dict[int, Node] = {}
        for r in reds:
            for n in _inside_deps(kernel, r):
                want[n.uid] = n
        partial = _sub_kernel(kernel, f"{kernel.name}p",
                              [n for n in kernel.nodes if n.uid in want], tuple(reds))
    block = _proper_writes(kernel) if whole else None
    step = Step(kernel, "tree", partial, _full_writes_kernel(kernel),
                 _epilogue_kernel(kernel), block)
    step.variances = variances
    return step


def _row_shapes(kernel: Kernel) -> tuple[tuple, tuple]:
    """The shapes of a row value of ``kernel``: reduced axes kept (size 1), and dropped."""
    keep = tuple(1 if a in kernel.reduce_axes else d for a, d in enumerate(kernel.domain))
    return keep, tuple(kernel.domain[a] for a in kernel.kept_axes)


def _epilogue_kernel(kernel: Kernel) -> Kernel | None:
    """An elementwise kernel over the reduced rows for the row values ``kernel`` writes
    (``log(s) + m * 2`` after ``s = sum(..)``, ``m = max(..)``): it reads the reductions
    (and row-shaped buffers) and runs in the final step of the tree. None when there are
    none, or they are not all of one row shape (those run op by op)."""
    phases = kernel.reduction_phases()
    writes = [w for w in kernel.writes if kernel.frame(w) != FULL and w.uid not in phases]
    if not writes or len({tuple(w.shape) for w in writes}) != 1:
        return None
    shape = tuple(writes[0].shape)
    if shape not in _row_shapes(kernel):
        return None
    inside = {n.uid for n in kernel.nodes}
    nodes: dict[int, Node] = {}
    stack = list(writes)
    while stack:  # the writes' in-kernel dependencies, up to the reductions
        n = stack.pop()
        if n.uid in nodes or n.uid not in inside or n.uid in phases:
            continue
        nodes[n.uid] = n
        stack.extend(n.inputs)
    if any(kernel.frame(n) == FULL for n in nodes.values()):
        return None
    order = [n for n in kernel.nodes if n.uid in nodes]
    sub = _sub_kernel(kernel, f"{kernel.name}a", order, tuple(writes))
    return Kernel(name=sub.name, domain=shape, reduce_axes=(), nodes=sub.nodes,
                  reads=sub.reads, writes=sub.writes, frames={n.uid: FULL for n in order})


def _stages(kernel: Kernel, limit: int = 8) -> list[Step] | None:
    """A multi-pass kernel (softmax, variance) as a sequence of tree reductions, for
    reduced axes cut into several chunks: the reductions of the first pass are tree-reduced,
    then the rest of the kernel reads them as buffers, and so on. Values before a later
    pass are recomputed from the inputs in that pass (one more read of the inputs per pass
    instead of rechunking whole rows into one block). None if it does not decompose."""
    stages: list[Step] = []
    k = kernel
    for depth in range(limit):
        if _tree_reducible(k):
            stages.append(_tree_step(k))
            return stages
        phases = k.reduction_phases()
        first = tuple(r for r in k.reductions() if phases[r.uid][0] == 1)
        if not first:
            return None
        second = tuple(r for r in k.reductions() if phases[r.uid][0] == 2
                       and r.op in ("mean", "sum", "logsumexp"))
        wanted: dict[int, Node] = {}
        for w in first + second:
            for n in _inside_deps(k, w):
                wanted[n.uid] = n
        both = _sub_kernel(k, f"{kernel.name}s{depth}",
                           [n for n in k.nodes if n.uid in wanted], first + second)
        variances = _variances(both) if second else None
        if variances:  # the variances of the second pass reduce with the first
            stages.append(_tree_step(both, variances=variances))
            first = first + tuple(r for r in second if r.uid in variances)
        else:
            stages.append(_tree_step(dataclasses.replace(k, name=f"{kernel.name}s{depth}",
                                                         writes=first)))
        done = {r.uid for r in first}
        writes = tuple(w for w in k.writes if w.uid not in done)
        rest = [n for n in k.nodes if n.uid not in done]
        k = dataclasses.replace(k, nodes=tuple(rest))  # for _inside_deps
        needed: dict[int, Node] = {}
        for w in writes:
            for n in _inside_deps(k, w):
                needed[n.uid] = n
        k = _sub_kernel(k, f"{kernel.name}s{depth + 1}",
                        [n for n in rest if n.uid in needed], writes)
    return None


def _proper_writes(kernel: Kernel) -> Kernel | None:
    """``kernel`` without its broadcast writes: a cheap value of a smaller shape computed
    per point of the domain (``y - min(y, keepdims=True)`` in a kernel over ``x + ...``)
    would be stored once per block along its broadcast axes; those few values run op by
    op instead (``_reference``). None when nothing else is written."""
    writes = tuple(w for w in kernel.writes
                   if kernel.frame(w) != FULL or tuple(w.shape) == tuple(kernel.domain))
    if writes == kernel.writes:
        return kernel
    return dataclasses.replace(kernel, writes=writes) if writes else None


def read_axes(kernel: Kernel, read: Node) -> tuple[int, ...]:
    """Domain axes of the dims of ``read`` (NumPy broadcasting against the frame of the
    nodes that read it)."""
    found: set[tuple[int, ...]] = set()
    for n in kernel.nodes:
        if read not in n.inputs:
            continue
        frame = FULL if OPS[n.op].kind == "reduction" else kernel.frame(n)
        axes = kernel.kept_axes if frame == ROW_DROP else tuple(range(len(kernel.domain)))
        found.add(tuple(axes[len(axes) - len(read.shape):]) if read.shape else ())
    if len(found) != 1:
        raise BackendError(f"dask backend: kernel {kernel.name} reads #{read.uid} in "
                           "differently aligned frames")
    return found.pop()


__all__ = ["Step", "dask_plan", "read_axes"]
