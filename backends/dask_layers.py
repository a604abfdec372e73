"""Graph-building half of the Dask backend: the planned steps (``dask_plan``) as Dask graph
layers over generated Numba block kernels (``dask_kernels``).

``DaskExecutable.lazy`` walks the steps: views through ``dask.array``, a matmul as one
``blockwise`` contraction per output block (``contract``, by cost); a
``block`` step as one ``blockwise`` layer; a ``tree`` step as a blockwise chunk step
returning structured partials, ``partial_reduce`` combine levels and one final blockwise
layer that aggregates and runs the epilogue. Options: see ``backends.dask``.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..errors import BackendError
from ..ir import OPS, Graph, Node
from .base import Executable, concrete_shape
from .dask_fuse import fuse_outputs
from .dask_kernels import BlockKernel, BlockMatmul, TreeFinal, combine_parts, parts_dtype, pick
from .dask_plan import Step, dask_plan, read_axes
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


def _da() -> Any:
    import dask.array as da

    return da


class DaskExecutable(Executable):
    """A graph compiled to Dask graph layers over fused Numba block kernels."""

    backend = "dask"

    def __init__(self, graph: Graph, options: dict[str, Any]) -> None:
        super().__init__(graph)
        self.options = options
        self.plan: Plan = plan_graph(graph)
        refuse_scans(self.plan, "dask")
        self.steps, kernels = dask_plan(self.plan)
        fast = fast_functions() if options["fast_transcendentals"] else None
        # no shapes in the text: the same graph at another size (or chunking) generates the
        # same module, which a worker has compiled already (modules are keyed by source)
        header = "eqsat-tensor dask block kernels"
        self._source, self._consts = generate(
            Plan(self.plan.graph, tuple(kernels)), "C", fast=fast,
            cache=options["cache_dir"] is not None, fastmath=bool(options["fastmath"]),
            header=header, flatten=False)  # blocks call kernels with per-axis extents
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
        outs = [self._value(o, env) for o in self.plan.graph.outputs]
        return fuse_outputs(outs, self.options["inline_inputs"])

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
        """``a @ b``: one task per output block (``contract``) when the operands' blocks
        along the contracted axis fit ``CONTRACT_BYTES``, else ``dask.array.matmul``."""
        da = _da()
        a, b = (self._value(i, env) for i in node.inputs)
        out = contract(a, b, f"eqsat-matmul-{self._tag}")
        if out is None:
            out = da.matmul(a, b)
        return out.astype(_np_dtype(node.dtype))

    def _kernel_args(self, kernel: Kernel, env: dict[int, Any]) -> tuple[list[Any], tuple]:
        for m in kernel.matmuls:
            if m.uid not in env:
                env[m.uid] = self._matmul(m, env)
        args: list[Any] = []
        axes = []
        for r in kernel.reads:
            ax = read_axes(kernel, r)
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
            for j, a in enumerate(read_axes(kernel, r)):
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

    def _tree(self, step: Step, env: dict[int, Any], dims: dict[str, int]) -> None:
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
        rows = int(np.prod([max(c) if c else 0 for a, c in enumerate(tmp.chunks)
                            if a not in red]))
        split = _split_every(self.options["split_every"], red, rows * pdt.itemsize,
                             tmp.numblocks)
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

    def _final(self, step: Step, reds: list[Node], ops: tuple[str, ...], parts: Any,
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
        keeps = tuple(bool(r.attr("keepdims")) for r in reds) + (True,) * (
            len(ops) - len(reds))
        argind: list[Any] = [parts, tuple(100 + a if a in red else a for a in range(ndim))]
        epi_ind = (tuple(range(ndim)) if epi is not None and len(epi.domain) == ndim
                   else kernel.kept_axes)
        for x in extra:
            ix = epi_ind[len(epi_ind) - x.ndim:] if x.ndim else ()
            argind += [x, tuple(200 + a if a in red else a for a in ix)]
        name = f"eqsat-{kernel.name}-final-{self._tag}"
        # one layer per output (no tuple and picks): a final read by one kernel layer
        # fuses into it (``dask_fuse``), each task aggregating its rows' partials itself
        for j, (node, where) in enumerate(outputs):
            fn = TreeFinal(ops, count, red, keeps, epi_fn, tuple(epi_reads), (where,))
            keep = len(node.shape) == ndim
            ind = tuple(range(ndim)) if keep else kernel.kept_axes
            dt = _np_dtype(node.dtype)
            env[node.uid] = da.blockwise(
                fn, ind, *argind, dtype=dt, new_axes={a: 1 for a in red} if keep else None,
                name=_token(f"{name}-out{j}" if j else name, argind),
                meta=np.empty((0,) * len(ind), dt), align_arrays=True)

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


CONTRACT_BYTES = 256 * 2**20  # operand bytes one contraction task may hold


def contract(a: Any, b: Any, prefix: str) -> Any | None:
    """``a @ b`` (both at least 2-D, batch dims equal or on one side only) as one
    ``blockwise`` layer whose task for an output block receives its row block of ``a``
    and column block of ``b`` whole along the contracted axis (one BLAS call, no
    partial products, no reduction tree: a layer that later kernels fuse into), or None
    when those operands exceed ``CONTRACT_BYTES`` (``dask.array.matmul`` then contracts
    chunk by chunk and sums the partial products in a tree, which bounds the memory of
    a task instead). The choice is by the cost in memory of the one-step contraction."""
    import dask.array as da

    if a.ndim < 2 or b.ndim < 2 or any(np.isnan(d) for d in (*a.shape, *b.shape)):
        return None
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    if batch_a and batch_b and batch_a != batch_b:
        return None  # broadcast batch dims: dask.array.matmul
    nb = max(len(batch_a), len(batch_b))
    k = a.shape[-1]
    batch = math.prod(max(c) if c else 0 for c in (a.chunks[:-2] or b.chunks[:-2]))
    rows = max(a.chunks[-2]) if a.chunks[-2] else 0
    cols = max(b.chunks[-1]) if b.chunks[-1] else 0
    cost = batch * k * (rows * a.dtype.itemsize + cols * b.dtype.itemsize)
    if cost > CONTRACT_BYTES:
        return None
    m, n, kk = nb, nb + 1, nb + 2
    a_ind = tuple(range(nb - len(batch_a), nb)) + (m, kk)
    b_ind = tuple(range(nb - len(batch_b), nb)) + (kk, n)
    dtype = np.result_type(a.dtype, b.dtype)
    return da.blockwise(BlockMatmul(), tuple(range(nb)) + (m, n), a, a_ind, b, b_ind,
                        concatenate=True, align_arrays=True, dtype=dtype,
                        meta=np.empty((0,) * (nb + 2), dtype),
                        name=_token(prefix, [a, b]))


FAN_IN_BYTES = 4 * 2**20  # at most this much of partials into one combine task ...
FAN_IN = (16, 256)  # ... within these fan-ins


def _split_every(split_every: Any, axes: tuple[int, ...], part_bytes: int = 0,
                 numblocks: tuple[int, ...] | None = None) -> dict[int, int]:
    """The fan-in per reduced axis (``split_every`` as for ``dask.array`` reductions).
    By default as many partial blocks of ``part_bytes`` as fit in ``FAN_IN_BYTES``,
    within ``FAN_IN``: a partial is one value per row and field, so small partials (a
    full reduction: one value per chunk) combine in one step instead of a tree. When all
    ``numblocks`` of the reduced axes fit in that fan-in, they combine in one step."""
    from dask import config

    split_every = split_every or config.get("split_every", None)
    if split_every is None:
        lo, hi = FAN_IN
        split_every = int(min(hi, max(lo, FAN_IN_BYTES // max(part_bytes, 1))))
    if isinstance(split_every, dict):
        return {a: split_every.get(a, 2) for a in axes}
    if numblocks is not None and math.prod(numblocks[a] for a in axes) <= split_every:
        return {a: max(numblocks[a], 2) for a in axes}
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


__all__ = ["DaskExecutable"]
