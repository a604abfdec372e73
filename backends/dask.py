"""The Dask backend: the optimized graph as a lazy ``dask.array``, one task per chunk per
fused kernel.

``compile(graph, **options) -> DaskExecutable``. The graph is planned exactly like the
Numba CPU backend (``plan.py``) and every kernel of the plan is generated into one Python
module by ``numba_codegen``. Each plan step becomes Dask graph layers:

* an elementwise ``Kernel``: one ``blockwise`` layer whose task runs the Numba kernel on
  one block of every read (broadcast reads keep their single block);
* a reduction ``Kernel`` whose reductions read only elementwise values (``sum``, ``mean``,
  ``max``, ``min``, ``prod``, ``logsumexp`` of a fused prologue such as
  ``mean(sqrt(exp(x)))``): a Dask tree reduction per reduction node, with the fused
  kernel as the chunk step and a NumPy combine step (partial sums add up, ``logsumexp``
  combines the partial results stably: max first, then the sum of exponentials). Values
  computed from the reduced rows (``mean(x) * 2``) follow as small ``dask.array`` ops;
* any other reduction kernel (softmax, layer norm: several passes over each row): the
  reduced axes are rechunked into one chunk and the whole kernel runs per block;
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
    Fan-in of the tree reductions (Dask's default when None).
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
from typing import Any

import numpy as np

from ..errors import BackendError
from ..ir import OPS, Graph, Node
from .base import Executable, concrete_shape
from .dask_kernels import BlockKernel, aggregate, combine, pick
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
    tree reduction per reduction node in ``subs``, and ``full``, an elementwise kernel for
    the full-size writes)."""

    def __init__(self, kernel: Kernel, mode: str, subs: list[tuple[Node, Kernel]],
                 full: Kernel | None = None) -> None:
        self.kernel, self.mode, self.subs, self.full = kernel, mode, subs, full
        self.staged: list[_Step] | None = None  # block mode: the tree-reduction stages

    def kernels(self) -> list[Kernel]:
        """The kernels this step generates (a tree step's; a block step's own)."""
        out = [sub for _, sub in self.subs]
        return out + ([self.full] if self.full is not None else [])


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


def _dask_plan(plan: Plan) -> tuple[list[Any], list[Kernel]]:
    """Plan steps with each kernel wrapped in a ``_Step``, and the kernels to generate."""
    steps: list[Any] = []
    kernels: list[Kernel] = []
    for step in plan.steps:
        if not isinstance(step, Kernel):
            steps.append(step)
            continue
        if step.reduce_axes and _tree_reducible(step):
            tree = _tree_step(step)
            steps.append(tree)
            kernels += tree.kernels()
        else:
            kernel = _proper_writes(step)
            block = _Step(step, "block", [], kernel)
            if kernel is not None:
                kernels.append(kernel)
            if step.reduce_axes:
                block.staged = _stages(step)
                for stage in block.staged or []:
                    kernels += stage.kernels()
            steps.append(block)
    return steps, kernels


def _tree_step(kernel: Kernel) -> _Step:
    """A tree-reducible kernel: one tree reduction per reduction, full-size writes fused."""
    subs = []
    for j, r in enumerate(kernel.reductions()):
        subs.append((r, _sub_kernel(kernel, f"{kernel.name}r{j}", _inside_deps(kernel, r),
                                    (r,))))
    return _Step(kernel, "tree", subs, _full_writes_kernel(kernel))


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
            Plan(graph, tuple(kernels)), "C", fast=fast, cache=options["cache_dir"] is not None,
            fastmath=bool(options["fastmath"]), header=header)
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
            elif step.mode == "tree":
                self._tree(step, env, dims)
            elif step.staged and self._rows_chunked(step.kernel, env):
                for stage in step.staged:
                    self._tree(stage, env, dims)
            else:
                if step.full is not None:
                    self._block(step.full, env)
                for w in step.kernel.writes:  # broadcast writes left out of the kernel
                    self._reference(w, env)
        return [self._value(o, env) for o in self.graph.outputs]

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
                      op: str | None = None) -> BlockKernel:
        return BlockKernel(self._source, self.options["cache_dir"], kernel.name,
                           len(kernel.domain), axes, kernel.reduce_axes, outputs, mode, op)

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
        """Tree reductions with the fused kernel as the chunk step; then the row values."""
        from dask.array.reductions import _tree_reduce

        da = _da()
        kernel = step.kernel
        if step.full is not None:
            self._block(step.full, env)
        for r, sub in step.subs:
            args, axes = self._kernel_args(sub, env)
            fn = self._block_kernel(sub, axes, ((r.dtype, kernel.frame(r)),), "partial", r.op)
            ind = tuple(range(len(kernel.domain)))
            tmp = da.blockwise(fn, ind, *args, dtype=_np_dtype(r.dtype),
                               name=_token(f"eqsat-{sub.name}-{self._tag}", args),
                               meta=np.empty((0,) * len(ind), _np_dtype(r.dtype)),
                               align_arrays=True)
            tmp._chunks = tuple((1,) * len(c) if a in kernel.reduce_axes else c
                                for a, c in enumerate(tmp.chunks))
            count = int(np.prod([d for a, d in enumerate(concrete_shape(kernel.domain, dims))
                                 if a in kernel.reduce_axes]))
            env[r.uid] = _tree_reduce(
                tmp, functools.partial(aggregate, r.op, count), kernel.reduce_axes,
                bool(r.attr("keepdims")), _np_dtype(r.dtype), self.options["split_every"],
                functools.partial(combine, r.op),
                name=_token(f"eqsat-{sub.name}-{r.op}-{self._tag}", args))
        # values computed from the reduced rows: small dask.array ops, op by op
        for n in kernel.nodes:
            if n.uid not in env and n in kernel.writes:
                self._reference(n, env)

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
