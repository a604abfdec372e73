"""The Dask backend: the optimized graph as a lazy ``dask.array``, one task per chunk per
fused kernel.

``compile(graph, **options) -> DaskExecutable``. The graph is planned exactly like the
Numba CPU backend (``plan.py``) and every kernel of the plan is generated into one Python
module by ``numba_codegen``. Each plan step becomes Dask graph layers:

* an elementwise ``Kernel``: one ``blockwise`` layer whose task runs the Numba kernel on
  one block of every read (broadcast reads keep their single block);
* a reduction ``Kernel`` whose reductions read only elementwise values (``sum``, ``mean``,
  ``max``, ``min``, ``prod``, ``logsumexp`` of a fused prologue such as
  ``mean(sqrt(exp(x)))``), reduced axes in several chunks: one fused tree reduction for
  the whole kernel. The chunk step computes every reduction on its block and returns the
  partials as one structured array; combine levels merge them (``logsumexp`` stably,
  max first); the final step (one task per block of rows) aggregates and runs the
  kernel's row epilogue (``sqrt(mean(y) ** 2 + 1) - max(y)``) as a generated elementwise
  kernel. Two-pass variances and max-shifted sums of exponentials (softmax statistics)
  reduce in the same single pass (Chan's parallel variance; the online-softmax combine).
  With whole rows in every block the kernel runs once per block;
* any other reduction kernel (softmax, layer norm: values at full size after a
  reduction): staged tree reductions over chunked rows, or the whole kernel per block;
* ``MatmulStep`` (and a kernel's matmul prologue): ``dask.array.matmul``; ``ViewStep``:
  the ``dask.array`` layout functions.

Tasks carry the generated source, never compiled code: ``dask_kernels.BlockKernel``
compiles the module once per process (worker) and caches it by source hash, so the same
graph runs with the local schedulers and with ``dask.distributed`` workers.

Options
-------
chunks : Any ("auto")
    Chunks of NumPy inputs (``dask.array.from_array``); Dask arrays keep theirs.
compute : bool (False)
    Return computed NumPy arrays (``dask.compute`` of all outputs together) instead of
    lazy Dask arrays.
scheduler : str | None
    Passed to ``dask.compute`` when ``compute`` is true.
split_every : int | dict | None
    Fan-in of the tree reductions, as for ``dask.array`` reductions (16 when None: a
    partial is one value per row, so combining 16 at once costs little memory and saves
    tree levels; ``dask.array`` uses 4).
fastmath : bool (False)
    As for the Numba CPU backend.
fast_transcendentals : bool (False)
    The SIMD ``exp``/``log``/... of ``backends.fastmath`` (see the Numba CPU backend). Off
    by default here: every worker process compiles the kernels, and inlining them makes a
    compile take ~10x longer (33 s instead of 1.9 s for ``mean(softplus(...))`` on a busy
    2-core machine), more than they save on most workloads.
cache_dir : str | None
    Where workers keep the generated modules with Numba's on-disk cache; None (default)
    compiles once per process into a private temporary directory.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import numpy as np

from ..errors import BackendError
from ..ir import OPS, Graph, Node
from .base import Executable, concrete_shape
from .dask_kernels import BlockKernel, TreeFinal, combine_parts, parts_dtype, pick
from .numba_codegen import generate
from .numba_cpu import fast_functions
from .plan import (
    FULL,
    ROW_DROP,
    Kernel,
    MatmulStep,
    Plan,
    ViewStep,
    is_inline_scalar,
    plan_graph,
    refuse_scans,
)

unsupported_ops: frozenset[str] = frozenset()
required_rules: tuple[str, ...] = ()

DEFAULTS: dict[str, Any] = {"chunks": "auto", "compute": False, "scheduler": None,
                            "split_every": None, "fastmath": False,
                            "fast_transcendentals": False, "cache_dir": None}

_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "logsumexp")


def _da() -> Any:
    import dask.array as da

    return da


# ---------------------------------------------------------------------------------------
# Planning: which kernels run how.


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


class _Step:
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
        self.staged: list[_Step] | None = None  # block mode: the tree-reduction stages

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


def _dask_plan(plan: Plan) -> tuple[list[Any], list[Kernel]]:
    """Plan steps with each kernel wrapped in a ``_Step``, and the kernels to generate."""
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
            block = _Step(step, "block", None, kernel)
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
               variances: dict[int, tuple[str, int]] | None = None) -> _Step:
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
    step = _Step(kernel, "tree", partial, _full_writes_kernel(kernel),
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


def _stages(kernel: Kernel, limit: int = 8) -> list[_Step] | None:
    """A multi-pass kernel (softmax, variance) as a sequence of tree reductions, for
    reduced axes cut into several chunks: the reductions of the first pass are tree-reduced,
    then the rest of the kernel reads them as buffers, and so on. Values before a later
    pass are recomputed from the inputs in that pass (one more read of the inputs per pass
    instead of rechunking whole rows into one block). None if it does not decompose."""
    stages: list[_Step] = []
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


def _read_axes(kernel: Kernel, read: Node) -> tuple[int, ...]:
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


# ---------------------------------------------------------------------------------------
# The executable.


class DaskExecutable(Executable):
    """A graph compiled to Dask graph layers over fused Numba block kernels."""

    backend = "dask"

    def __init__(self, graph: Graph, options: dict[str, Any]) -> None:
        super().__init__(graph)
        self.options = options
        self.plan: Plan = plan_graph(graph)
        refuse_scans(self.plan, "dask")
        self.steps, kernels = _dask_plan(self.plan)
        fast = fast_functions() if options["fast_transcendentals"] else None
        header = (f"eqsat-tensor dask block kernels for graph {graph.fingerprint()[:16]}\n\n"
                  + self.plan.describe())
        self._source, self._consts = generate(
            Plan(self.plan.graph, tuple(kernels)), "C", fast=fast,
            cache=options["cache_dir"] is not None, fastmath=bool(options["fastmath"]),
            header=header)
        self._tag = _source_tag(self._source)

    def source(self) -> str:
        """The generated module that every worker compiles."""
        return self._source

    # -- building the dask graph ---------------------------------------------------------
    def lazy(self, arrays: list[Any], dims: dict[str, int] | None = None) -> list[Any]:
        """The outputs as lazy Dask arrays (inputs: Dask or NumPy arrays, graph order)."""
        da = _da()
        env: dict[int, Any] = {}
        dims = dict(dims or {})
        for node, a in zip(self.graph.inputs, arrays):
            if not isinstance(a, da.Array):
                a = da.from_array(np.asarray(a), chunks=self.options["chunks"])
            if a.dtype.name != node.dtype:
                a = a.astype(node.dtype)
            for want, got in zip(node.shape, a.shape):
                if isinstance(want, str):
                    dims.setdefault(want, int(got))
            env[node.uid] = a
        for step in self.steps:
            if isinstance(step, ViewStep):
                env[step.node.uid] = self._view(step.node, env, dims)
            elif isinstance(step, MatmulStep):
                env[step.node.uid] = self._matmul(step.node, env)
            elif step.mode == "tree" and (step.whole is None
                                          or self._rows_chunked(step.kernel, env)):
                self._tree(step, env, dims)
            elif step.mode == "tree":  # whole rows in every block: the kernel per block
                self._block(step.whole, env)
                for w in step.kernel.writes:
                    self._reference(w, env)
            elif step.staged and self._rows_chunked(step.kernel, env):
                for stage in step.staged:
                    self._tree(stage, env, dims)
            else:
                if step.full is not None:
                    self._block(step.full, env)
                for w in step.kernel.writes:  # broadcast writes left out of the kernel
                    self._reference(w, env)
        return [self._value(o, env) for o in self.plan.graph.outputs]

    def run(self, arrays: list[Any], dims: dict[str, int]) -> list[Any]:
        """Lazy Dask arrays for the outputs, or NumPy arrays with ``compute=True``."""
        outs = self.lazy(arrays, dims)
        if not self.options["compute"]:
            return outs
        import dask

        kwargs = {}
        if self.options["scheduler"] is not None:
            kwargs["scheduler"] = self.options["scheduler"]
        return list(dask.compute(*outs, **kwargs))

    def _value(self, node: Node, env: dict[int, Any]) -> Any:
        """The Dask array of a materialized node (constants are wrapped on first use)."""
        if node.uid not in env:
            da = _da()
            if node.op == "matmul":  # a kernel's matmul prologue, read by a sub-kernel
                env[node.uid] = self._matmul(node, env)
                return env[node.uid]
            if node.op != "constant":
                raise BackendError(f"dask backend: no value for #{node.uid} ({node.op})")
            env[node.uid] = da.from_array(np.asarray(node.value, dtype=node.dtype))
        return env[node.uid]

    def _view(self, node: Node, env: dict[int, Any], dims: dict[str, int]) -> Any:
        da = _da()
        x = self._value(node.inputs[0], env)
        if node.op == "slice":  # (index) basic indexing of a dask array
            return x[tuple(slice(a, b, c) for a, b, c in node.attr("slices"))]
        if node.op == "concatenate":
            return da.concatenate([x, self._value(node.inputs[1], env)], axis=node.attr("axis")[0])
        if node.op == "take":
            idx = np.asarray(self._value(node.inputs[1], env))
            return da.take(x, idx, axis=node.attr("axis")[0])
        if node.spec.kind == "gather":  # scatters, pads, take_along_axis: NumPy, one chunk
            args = [np.asarray(self._value(i, env)) for i in node.inputs]
            attrs = dict(node.attrs)
            if "shape" in attrs:
                attrs["shape"] = concrete_shape(attrs["shape"], dims)
            return da.from_array(node.spec.reference(*args, **attrs))
        if node.op == "transpose":
            return da.transpose(x, node.attr("axes"))
        if node.op == "reshape":
            return da.reshape(x, concrete_shape(node.attr("shape"), dims))
        if node.op == "broadcast_to":
            return da.broadcast_to(x, concrete_shape(node.attr("shape"), dims))
        return da.expand_dims(x, node.attr("axis"))

    def _matmul(self, node: Node, env: dict[int, Any]) -> Any:
        da = _da()
        a, b = (self._value(i, env) for i in node.inputs)
        return da.matmul(a, b).astype(node.dtype)

    def _kernel_args(self, kernel: Kernel, env: dict[int, Any]) -> tuple[list[Any], tuple]:
        for m in kernel.matmuls:
            if m.uid not in env:
                env[m.uid] = self._matmul(m, env)
        args: list[Any] = []
        axes = []
        for r in kernel.reads:
            ax = _read_axes(kernel, r)
            args += [self._value(r, env), ax]
            axes.append(ax)
        return args, tuple(axes)

    def _block_kernel(self, kernel: Kernel, axes: tuple, outputs: tuple, mode: str = "block",
                      ops: tuple[str, ...] = ()) -> BlockKernel:
        label = " ".join(n.op for n in kernel.nodes)
        return BlockKernel(self._source, self.options["cache_dir"], kernel.name,
                           len(kernel.domain), axes, kernel.reduce_axes, outputs, mode, ops,
                           label)

    def _rows_chunked(self, kernel: Kernel, env: dict[int, Any]) -> bool:
        """Whether some read of ``kernel`` is cut into several chunks along a reduced axis
        (then whole rows do not fit in a block without rechunking)."""
        for r in kernel.reads:
            x = self._value(r, env) if r.uid in env or r.op == "constant" else None
            if x is None:
                continue
            for j, a in enumerate(_read_axes(kernel, r)):
                if a in kernel.reduce_axes and len(x.chunks[j]) > 1:
                    return True
        return False

    def _block(self, kernel: Kernel, env: dict[int, Any]) -> None:
        """One blockwise layer: the kernel per block (reduced axes in one chunk)."""
        da = _da()
        ndim = len(kernel.domain)
        args, axes = self._kernel_args(kernel, env)
        if kernel.reduce_axes:  # every row must be whole in one block
            for k in range(0, len(args), 2):
                x, ax = args[k], args[k + 1]
                spec = {j: -1 for j, a in enumerate(ax) if a in kernel.reduce_axes}
                if spec:
                    args[k] = x.rechunk(spec)
        outputs = tuple((w.dtype, kernel.frame(w)) for w in kernel.writes)
        fn = self._block_kernel(kernel, axes, outputs)
        ind = tuple(range(ndim))
        name = f"eqsat-{kernel.name}-{self._tag}"
        if len(kernel.writes) == 1:
            w = kernel.writes[0]
            out_ind, adjust = self._out_index(kernel, kernel.frame(w))
            out = da.blockwise(fn, out_ind, *args, dtype=np.dtype(_np_dtype(w.dtype)),
                               adjust_chunks=adjust, name=_token(name, args),
                               meta=np.empty((0,) * len(out_ind), _np_dtype(w.dtype)),
                               align_arrays=True, concatenate=True)
            env[w.uid] = out
            return
        tuples = da.blockwise(fn, ind, *args, dtype=object, name=_token(name, args),
                              meta=np.empty((0,) * ndim, object), align_arrays=True)
        for j, w in enumerate(kernel.writes):
            out_ind, adjust = self._out_index(kernel, kernel.frame(w))
            env[w.uid] = da.blockwise(functools.partial(pick, j), out_ind, tuples, ind,
                                      dtype=_np_dtype(w.dtype), adjust_chunks=adjust,
                                      name=_token(f"{name}-out{j}", [tuples]),
                                      meta=np.empty((0,) * len(out_ind), _np_dtype(w.dtype)))

    @staticmethod
    def _out_index(kernel: Kernel, frame: str) -> tuple[tuple[int, ...], dict | None]:
        ndim = len(kernel.domain)
        if frame == FULL:
            return tuple(range(ndim)), None
        if frame == ROW_DROP:
            return kernel.kept_axes, None
        return tuple(range(ndim)), {a: 1 for a in kernel.reduce_axes}

    def _tree(self, step: _Step, env: dict[int, Any], dims: dict[str, int]) -> None:
        """One fused tree reduction: the partial kernel per chunk (all reductions of the
        kernel at once, as one structured block), combine levels, and a final step that
        aggregates and runs the epilogue; full-size writes are one blockwise layer."""
        from dask.array.core import _concatenate2
        from toolz import compose

        try:  # dask >= 2025 keeps it here
            from dask.array._reductions_generic import partial_reduce
        except ImportError:  # pragma: no cover - older dask
            from dask.array.reductions import partial_reduce

        da = _da()
        kernel = step.kernel
        if step.full is not None:
            self._block(step.full, env)
        part = step.partial
        if part is None:  # a last stage with no reductions left
            for n in kernel.writes:
                self._reference(n, env)
            return
        reds = list(part.writes)
        pos = {r.uid: j for j, r in enumerate(reds)}
        has_var = any(kind == "var" for kind, _ in step.variances.values())
        ops: tuple[str, ...] = ()
        for r in reds:
            kind, first = step.variances.get(r.uid, (r.op, None))
            ops += (kind if first is None else f"{kind}:{pos[first]}:{len(reds)}",)
        ops += ("count",) if has_var else ()
        args, axes = self._kernel_args(part, env)
        fn = self._block_kernel(part, axes, tuple((r.dtype, kernel.frame(r)) for r in reds),
                                "partial", ops)
        pdt = parts_dtype([_np_dtype(r.dtype) for r in reds] + ([np.float64] if has_var else []))
        ndim = len(kernel.domain)
        ind = tuple(range(ndim))
        tmp = da.blockwise(fn, ind, *args, dtype=pdt,
                           name=_token(f"eqsat-{part.name}-{self._tag}", args),
                           meta=np.empty((0,) * ndim, pdt), align_arrays=True)
        red = kernel.reduce_axes
        tmp._chunks = tuple((1,) * len(c) if a in red else c for a, c in enumerate(tmp.chunks))
        split = _split_every(self.options["split_every"], red)
        depth = 1
        for a in red:
            if split[a] > 1 and tmp.numblocks[a] > 1:
                depth = max(depth, math.ceil(math.log(tmp.numblocks[a], split[a])))
        func = compose(functools.partial(combine_parts, ops, axis=red, keepdims=True),
                       functools.partial(_concatenate2, axes=sorted(red)))
        for level in range(depth - 1):
            tmp = partial_reduce(func, tmp, split, True, dtype=pdt,
                                 name=f"eqsat-{part.name}-combine{level}")
        count = int(np.prod([d for a, d in enumerate(concrete_shape(kernel.domain, dims))
                             if a in red]))
        self._final(step, reds, ops, tmp, count, env)
        for n in kernel.writes:  # row values the epilogue does not cover: op by op
            if n.uid not in env:
                self._reference(n, env)

    def _final(self, step: _Step, reds: list[Node], ops: tuple[str, ...], parts: Any,
               count: int, env: dict[int, Any]) -> None:
        """The last level of the tree: one task per block of rows aggregates the partials
        and runs the epilogue; its results go into ``env``."""
        da = _da()
        kernel, epi = step.kernel, step.epilogue
        ndim, red = len(kernel.domain), kernel.reduce_axes
        slot = {r.uid: j for j, r in enumerate(reds)}
        written = {w.uid for w in kernel.writes}
        outputs: list[tuple[Node, tuple[str, int]]] = []
        extra: list[Any] = []
        epi_reads: list[tuple[str, int]] = []
        epi_fn = None
        if epi is not None:
            epi_axes = []
            for r in epi.reads:
                epi_axes.append(tuple(range(len(epi.domain) - len(r.shape), len(epi.domain))))
                if r.uid in slot:
                    epi_reads.append(("slot", slot[r.uid]))
                else:
                    epi_reads.append(("arg", len(extra)))
                    extra.append(self._value(r, env))
            epi_fn = self._block_kernel(epi, tuple(epi_axes),
                                        tuple((w.dtype, FULL) for w in epi.writes))
            outputs += [(w, ("epi", k)) for k, w in enumerate(epi.writes)]
        phases = kernel.reduction_phases()
        rows_left = epi is None and any(w.uid not in phases for w in kernel.writes
                                        if kernel.frame(w) != FULL)
        for r in reds:
            if r.uid in written or rows_left:
                outputs.append((r, ("slot", slot[r.uid])))
        fn = TreeFinal(ops, count, red,
                       tuple(bool(r.attr("keepdims")) for r in reds) + (True,) * (
                           len(ops) - len(reds)), epi_fn,
                       tuple(epi_reads), tuple(o for _, o in outputs))
        keep = any(len(n.shape) == ndim for n, _ in outputs)
        out_ind = tuple(range(ndim)) if keep else kernel.kept_axes
        new_axes = {a: 1 for a in red} if keep else None
        argind: list[Any] = [parts, tuple(100 + a if a in red else a for a in range(ndim))]
        epi_ind = (tuple(range(ndim)) if epi is not None and len(epi.domain) == ndim
                   else kernel.kept_axes)
        for x in extra:
            ix = epi_ind[len(epi_ind) - x.ndim:] if x.ndim else ()
            argind += [x, tuple(200 + a if a in red else a for a in ix)]
        name = f"eqsat-{kernel.name}-final-{self._tag}"
        if len(outputs) == 1:
            node = outputs[0][0]
            dt = _np_dtype(node.dtype)
            env[node.uid] = da.blockwise(fn, out_ind, *argind, dtype=dt, new_axes=new_axes,
                                         name=_token(name, argind), concatenate=True,
                                         meta=np.empty((0,) * len(out_ind), dt),
                                         align_arrays=True)
            return
        tuples = da.blockwise(fn, out_ind, *argind, dtype=object, new_axes=new_axes,
                              name=_token(name, argind), concatenate=True,
                              meta=np.empty((0,) * len(out_ind), object), align_arrays=True)
        for j, (node, _) in enumerate(outputs):
            ind = tuple(range(ndim)) if len(node.shape) == ndim else kernel.kept_axes
            dt = _np_dtype(node.dtype)
            env[node.uid] = da.blockwise(functools.partial(pick, j), ind, tuples, out_ind,
                                         dtype=dt, name=_token(f"{name}-out{j}", [tuples]),
                                         meta=np.empty((0,) * len(ind), dt))

    def _reference(self, node: Node, env: dict[int, Any]) -> Any:
        """``node`` evaluated with its NumPy reference on Dask arrays (memoized)."""
        if node.uid in env:
            return env[node.uid]
        if is_inline_scalar(node):
            return np.asarray(node.value, dtype=_np_dtype(node.dtype))
        if node.op in ("input", "constant"):
            return self._value(node, env)
        args = [self._reference(i, env) for i in node.inputs]
        out = OPS[node.op].reference(*args, **dict(node.attrs))
        out = out.astype(_np_dtype(node.dtype))
        env[node.uid] = out
        return out


def _split_every(split_every: Any, axes: tuple[int, ...]) -> dict[int, int]:
    """Dask's fan-in per reduced axis (``split_every`` as for ``dask.array`` reductions)."""
    from dask import config

    split_every = split_every or config.get("split_every", 16)
    if isinstance(split_every, dict):
        return {a: split_every.get(a, 2) for a in axes}
    n = max(int(split_every ** (1 / (len(axes) or 1))), 2)
    return dict.fromkeys(axes, n)


def _np_dtype(dtype: str) -> Any:
    return np.bool_ if dtype == "bool" else np.dtype(dtype)


def _source_tag(source: str) -> str:
    import hashlib

    return hashlib.sha256(source.encode()).hexdigest()[:8]


def _token(prefix: str, args: list[Any]) -> str:
    from dask.base import tokenize

    return f"{prefix}-{tokenize(*[a.name if hasattr(a, 'name') else a for a in args])}"


def compile(graph: Graph, **options: Any) -> DaskExecutable:
    """Compile ``graph`` for Dask (options: see the module docstring).

    Calling the result with Dask arrays (or NumPy arrays, chunked with ``chunks=``)
    returns lazy Dask arrays, one per graph output; ``.compute()`` runs them.
    """
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise BackendError(f"dask backend: unknown option(s) {sorted(unknown)}; "
                           f"known: {sorted(DEFAULTS)}")
    try:
        import dask.array  # noqa: F401
    except ModuleNotFoundError:
        raise BackendError("the dask backend needs dask[array]: pip install "
                           "'eqsat-tensor[dask]'") from None
    opts = dict(DEFAULTS)
    opts.update(options)
    return DaskExecutable(graph, opts)


__all__ = ["DEFAULTS", "DaskExecutable", "compile", "required_rules", "unsupported_ops"]
