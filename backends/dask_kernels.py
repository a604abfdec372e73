"""Worker-side half of the Dask backend: block functions that run generated Numba kernels.

Dask tasks must be picklable and must run in other processes (``dask.distributed``
workers). Compiled Numba functions are never pickled: a ``BlockKernel`` carries the
generated module *source* (a string) and the kernel's name; on first use in a process it
imports the module (``numba_cache.load``, keyed by the source hash, so each process
compiles a module once) and calls the kernel's serial build on the block. Dask supplies
the parallelism (one task per chunk), so the Numba builds do not start threads of their
own.

This module also holds the combine/aggregate steps of the tree reductions (NumPy on the
small per-chunk partial results).
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from . import numba_cache

_LOCK = threading.RLock()
_MODULES: dict[str, ModuleType] = {}
_TEMP_DIR: Path | None = None


def load_source(source: str, cache_dir: str | None = None) -> ModuleType:
    """The imported module of a generated ``source``, compiled once per process.

    ``cache_dir`` None writes the module file to a private temporary directory (the
    source is generated with Numba's ``cache=False`` then); otherwise to ``cache_dir``."""
    module = _MODULES.get(source)  # keyed by the text itself: no hash of it per task
    if module is not None:
        return module
    global _TEMP_DIR
    with _LOCK:
        module = _MODULES.get(source)
        if module is None:
            if cache_dir is None:
                if _TEMP_DIR is None:
                    _TEMP_DIR = Path(tempfile.mkdtemp(prefix="eqsat-tensor-dask-"))
                directory = _TEMP_DIR
            else:
                directory = Path(cache_dir)
            module = numba_cache.load(source, directory)
            _MODULES[source] = module
    return module


def loaded_modules() -> int:
    """How many generated modules this process has imported (for tests)."""
    return len(_MODULES)


def _task_where() -> str:
    """The running task's key on a ``dask.distributed`` worker (its chunk index), or ''."""
    import sys

    worker = sys.modules.get("distributed.worker")
    key = getattr(getattr(worker, "thread_state", None), "key", None) if worker else None
    return f" in task {key!r}" if key is not None else ""


def _fail(what: str, blocks: tuple[Any, ...], exc: Exception) -> Exception:
    """A worker-side error naming the kernel, its ops and the chunk."""
    from ..errors import BackendError

    shapes = ", ".join(str(tuple(np.shape(b))) for b in blocks)
    err = BackendError(f"dask backend: {what} failed on a chunk{_task_where()} "
                       f"(block shapes {shapes}): {type(exc).__name__}: {exc}")
    return err


class BlockKernel:
    """Run one fused kernel on one block per task.

    Parameters
    ----------
    source, cache_dir
        The generated module (see ``load_source``).
    name
        The kernel function in that module (its ``<name>_serial`` build is called).
    ndim
        Rank of the kernel's domain.
    read_axes
        For each read (in the kernel's parameter order), the domain axes its dims map to.
    reduce_axes
        The kernel's reduced axes (empty for an elementwise kernel).
    outputs
        For each write: ``(dtype, frame)`` with frame ``full``, ``row_keep`` or ``row_drop``.
    mode
        ``"block"``: return the writes as computed (one array, or a tuple for several).
        ``"partial"``: a tree-reduction chunk step; every write is a reduction (``ops``)
        and the block's partial results are returned as one structured array (field
        ``p<j>`` per write) with the reduced axes kept (size 1); a ``mean`` is returned as
        the block's sum (its mean times the block's count) so partials add up.
    ops
        The reduction op of each write in ``"partial"`` mode.
    label
        What the kernel computes (its ops), for error messages.
    """

    def __init__(self, source: str, cache_dir: str | None, name: str, ndim: int,
                 read_axes: tuple[tuple[int, ...], ...], reduce_axes: tuple[int, ...],
                 outputs: tuple[tuple[str, str], ...], mode: str = "block",
                 ops: tuple[str, ...] = (), label: str = "") -> None:
        self.source, self.cache_dir, self.name, self.ndim = source, cache_dir, name, ndim
        self.read_axes, self.reduce_axes, self.outputs = read_axes, reduce_axes, outputs
        self.mode, self.ops, self.label = mode, ops, label

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"<BlockKernel {self.name} {self.mode}>"

    def extents(self, blocks: tuple[np.ndarray, ...]) -> list[int]:
        """The domain extents of this block: on each axis, the extent of the reads that do not
        broadcast along it (extent 1), or 1."""
        ext = [1] * self.ndim
        for block, axes in zip(blocks, self.read_axes):
            for size, ax in zip(np.shape(block), axes):
                if size != 1:  # 0 too: an empty block
                    ext[ax] = int(size)
        return ext

    def __call__(self, *blocks: np.ndarray) -> Any:
        try:
            return self._run(blocks)
        except Exception as exc:
            raise _fail(f"kernel {self.name} [{self.label}]", blocks, exc) from exc

    def _run(self, blocks: tuple[np.ndarray, ...]) -> Any:
        module = load_source(self.source, self.cache_dir)
        fn = getattr(module, f"{self.name}_serial")
        ext = self.extents(blocks)
        kept = [e for a, e in enumerate(ext) if a not in self.reduce_axes]
        keep = [1 if a in self.reduce_axes else e for a, e in enumerate(ext)]
        outs = []
        for dtype, frame in self.outputs:
            shape = {"full": ext, "row_keep": keep, "row_drop": kept}[frame]
            outs.append(np.empty(tuple(shape), np.bool_ if dtype == "bool" else dtype))
        args = list(ext)
        if self.reduce_axes and len(kept) == 0:
            args.append(1)  # nc: one chunk, the block itself
        arrays = [_contiguous(b) for b in blocks]
        count = int(np.prod([ext[a] for a in self.reduce_axes]))
        if self.mode == "block" and self.reduce_axes and count == 0:
            empty_max_min(self.label.split())  # whole rows in the block: none at all
        fn(*args, *arrays, *outs)
        if self.mode == "partial":
            parts = []
            for op, out in zip(self.ops, outs):
                out = out.reshape(tuple(keep))
                if op == "mean" or op.startswith("var:"):  # sums: mean * n, M2 = var * n
                    with np.errstate(all="ignore"):
                        out = (out * out.dtype.type(count)).astype(out.dtype, copy=False)
                    if count == 0:
                        out = np.zeros_like(out)
                parts.append(out)
            if "count" in self.ops:
                parts.append(np.full(tuple(keep), float(count)))
            return pack(parts, tuple(keep))
        return outs[0] if len(outs) == 1 else tuple(outs)


class BlockMatmul:
    """One output block of a chunked ``matmul``: Dask concatenates the operands' blocks
    along the contracted axis (``blockwise(concatenate=True)``), so the whole contraction
    of a block of rows and a block of columns is one BLAS call in one task. Errors name
    the op and the block shapes (and the task on a worker)."""

    def __repr__(self) -> str:
        return "<BlockMatmul>"

    def __call__(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        from ..ir import OPS

        try:
            return OPS["matmul"].reference(np.asarray(a), np.asarray(b))
        except Exception as exc:
            raise _fail("matmul", (a, b), exc) from exc


def _contiguous(block: Any) -> np.ndarray:
    """``block`` in C order: a view of a column chunk (``da.from_array`` slices) would
    make Numba compile and run the any-layout build, which does not vectorize (3x slower
    on the mean of a softplus written out); one copy costs less. 0-d blocks stay 0-d."""
    a = np.asarray(block)
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def empty_max_min(ops: Any) -> None:
    """NumPy's error for ``max``/``min`` over nothing, if ``ops`` has one."""
    for op in ops:
        if op in ("max", "min"):
            name = {"max": "maximum", "min": "minimum"}[op]
            raise ValueError(f"zero-size array to reduction operation {name} which has no "
                             "identity")


def parts_dtype(dtypes: list[Any]) -> np.dtype:
    """The structured dtype of a tree reduction's partial results (field ``p<j>``)."""
    return np.dtype([(f"p{j}", np.dtype(d)) for j, d in enumerate(dtypes)])


def pack(parts: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """Several same-shaped partial results as one structured array (one Dask block)."""
    out = np.empty(shape, parts_dtype([p.dtype for p in parts]))
    for j, p in enumerate(parts):
        out[f"p{j}"] = p
    return out


def pick(item: int, blocks: Any) -> np.ndarray:
    """One output of a multi-output block (Dask passes a one-element list per dropped
    axis: the reduced axes of a block kernel are one chunk)."""
    while isinstance(blocks, list):
        blocks = blocks[0]
    return blocks[item]


# ---------------------------------------------------------------------------------------
# Tree-reduction combine and aggregate steps (``dask.array.reductions._tree_reduce``
# calls them with ``axis`` and ``keepdims``).


def _lse(x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Stable logsumexp of partial logsumexps: max first, then the sum of exponentials."""
    with np.errstate(all="ignore"):
        m = np.max(x, axis=axis, keepdims=True)
        m = np.where(np.isfinite(m), m, 0).astype(x.dtype)
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    out = out.astype(x.dtype, copy=False)
    return out if keepdims else np.squeeze(out, axis=axis)


def combine(op: str, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Combine partial results of reduction ``op`` (a mean's partials are sums)."""
    if op == "logsumexp":
        return _lse(x, axis, keepdims)
    fn = {"sum": np.sum, "mean": np.sum, "count": np.sum, "prod": np.prod, "max": np.max,
          "min": np.min}[op]
    return fn(x, axis=axis, keepdims=keepdims).astype(x.dtype, copy=False)


def aggregate(op: str, count: int, x: np.ndarray, axis: tuple[int, ...], keepdims: bool
              ) -> np.ndarray:
    """The final step: combine, then a mean divides by ``count`` (reduced elements)."""
    out = combine(op, x, axis, keepdims)
    if op == "mean":
        with np.errstate(all="ignore"):
            out = (out / out.dtype.type(count)).astype(x.dtype, copy=False)
    return out


def _combine_var(x: np.ndarray, op: str, j: int, axis: tuple[int, ...], keepdims: bool
                 ) -> np.ndarray:
    """Sum of squared deviations of the union of blocks (Chan et al.): the blocks' own
    ``M2_i`` plus ``n_i * (mean_i - mean)**2``; field ``p<j>`` holds ``M2_i``, the op
    names the fields of the sums and the counts (``var:<sum field>:<count field>``)."""
    _, k, c = op.split(":")
    m2, s, n = x[f"p{j}"], x[f"p{k}"], x[f"p{c}"]
    with np.errstate(all="ignore"):
        total = np.sum(n, axis=axis, keepdims=True)
        mean = np.sum(s, axis=axis, keepdims=True) / np.where(total > 0, total, 1)
        own = np.where(n > 0, s / np.where(n > 0, n, 1), 0)
        out = np.sum(m2 + n * (own - mean) ** 2, axis=axis, keepdims=keepdims)
    return out.astype(m2.dtype, copy=False)


def _combine_shifted(x: np.ndarray, op: str, j: int, axis: tuple[int, ...], keepdims: bool
                     ) -> np.ndarray:
    """Max-shifted partials of the union of blocks: field ``p<j>`` holds each block's
    ``s_i = sum(exp(z - m_i))`` (``sumexp``) or ``l_i = logsumexp(z - m_i)``
    (``lseshift``) for its own max ``m_i`` (field ``p<k>``, op ``<kind>:<k>:<n>``); the
    result is relative to ``M = max m_i``: ``sum s_i exp(m_i - M)``, or the logsumexp of
    ``l_i + (m_i - M)``."""
    kind, k, _ = op.split(":")
    v, m = x[f"p{j}"], x[f"p{k}"]
    with np.errstate(all="ignore"):
        big = np.max(m, axis=axis, keepdims=True)
        shift = m - big
        if kind == "sumexp":
            out = np.sum(v * np.exp(shift), axis=axis, keepdims=keepdims)
        else:
            out = _lse(v + shift, axis, keepdims)
    return out.astype(v.dtype, copy=False)


def _combine_field(ops: tuple[str, ...], x: np.ndarray, j: int, axis: tuple[int, ...],
                   keepdims: bool) -> np.ndarray:
    op = ops[j]
    if op.startswith("var:"):
        return _combine_var(x, op, j, axis, keepdims)
    if op.startswith(("sumexp:", "lseshift:")):
        return _combine_shifted(x, op, j, axis, keepdims)
    return combine(op, x[f"p{j}"], axis, keepdims)


def combine_parts(ops: tuple[str, ...], x: np.ndarray, axis: tuple[int, ...],
                  keepdims: bool = True) -> np.ndarray:
    """Combine a block of structured partials (an intermediate level of the tree)."""
    parts = [_combine_field(ops, x, j, axis, keepdims) for j in range(len(ops))]
    return pack(parts, parts[0].shape)


def _join(blocks: Any, axis: int) -> np.ndarray:
    """The blocks Dask passes for contracted (reduced) axes, nested lists of partials of
    size 1 along those axes, as one array: concatenated along ``axis``, every other reduced
    axis left at size 1. The combines reduce over all reduced axes at once and do not
    depend on the order of the partials, so the nesting order does not matter."""
    if not isinstance(blocks, list):
        return blocks
    flat: list[Any] = []
    stack = [blocks]
    while stack:
        b = stack.pop()
        if isinstance(b, list):
            stack.extend(reversed(b))
        else:
            flat.append(b)
    return flat[0] if len(flat) == 1 else np.concatenate(flat, axis=axis)


class TreeFinal:
    """The last level of a fused tree reduction: one task per output block combines the
    partials of its rows (``aggregate``), then runs the kernel's elementwise epilogue on
    the reduced values (``log(s) + m * 2`` after ``s = sum(..)``, ``m = max(..)``).

    Parameters
    ----------
    ops, count
        The reduction of each partial field and the number of reduced elements (a mean
        divides by it; ``max``/``min`` of nothing raise NumPy's error).
    reduce_axes
        The reduced axes of the (concatenated) partials block.
    slot_keep
        For each field: whether the reduction keeps its reduced axes (``keepdims``).
    epilogue
        A ``BlockKernel`` over the reduced rows, or None.
    epi_reads
        For each epilogue read: ``("slot", j)`` (a reduction) or ``("arg", k)`` (the
        ``k``-th extra block given to the task).
    outputs
        What the task returns: ``("slot", j)`` or ``("epi", k)`` each (one: the array
        itself; several: a tuple).
    """

    def __init__(self, ops: tuple[str, ...], count: int, reduce_axes: tuple[int, ...],
                 slot_keep: tuple[bool, ...], epilogue: BlockKernel | None,
                 epi_reads: tuple[tuple[str, int], ...], outputs: tuple[tuple[str, int], ...]
                 ) -> None:
        self.ops, self.count, self.reduce_axes = ops, count, reduce_axes
        self.slot_keep, self.epilogue, self.epi_reads = slot_keep, epilogue, epi_reads
        self.outputs = outputs

    def __repr__(self) -> str:
        return f"<TreeFinal {'/'.join(self.ops)}>"

    def __call__(self, parts: Any, *extra: np.ndarray) -> Any:
        try:
            return self._run(parts, extra)
        except Exception as exc:
            what = f"the final step of {'/'.join(self.ops)}"
            if self.epilogue is not None:
                what += f" + kernel {self.epilogue.name} [{self.epilogue.label}]"
            raise _fail(what, (parts, *extra), exc) from exc

    def _run(self, parts: Any, extra: tuple[Any, ...]) -> Any:
        parts = _join(parts, self.reduce_axes[0] if self.reduce_axes else 0)
        extra = tuple(_join(x, 0) for x in extra)
        if self.count == 0:
            empty_max_min(self.ops)
        slots = []
        for j, op in enumerate(self.ops):
            if op.startswith("var:"):  # M2 / n
                v = _combine_var(parts, op, j, self.reduce_axes, True)
                with np.errstate(all="ignore"):
                    v = (v / v.dtype.type(self.count)).astype(v.dtype, copy=False)
            elif op.startswith(("sumexp:", "lseshift:")):
                v = _combine_shifted(parts, op, j, self.reduce_axes, True)
            else:
                v = aggregate(op, self.count, parts[f"p{j}"], self.reduce_axes, True)
            slots.append(v if self.slot_keep[j] else np.squeeze(v, axis=self.reduce_axes))
        epi: tuple = ()
        if self.epilogue is not None:
            args = [slots[i] if kind == "slot" else extra[i] for kind, i in self.epi_reads]
            got = self.epilogue._run(tuple(args))
            epi = got if isinstance(got, tuple) else (got,)
        outs = [slots[i] if kind == "slot" else epi[i] for kind, i in self.outputs]
        return outs[0] if len(outs) == 1 else tuple(outs)


__all__ = ["BlockKernel", "BlockMatmul", "TreeFinal", "aggregate", "combine", "combine_parts",
           "load_source", "loaded_modules", "pack", "parts_dtype", "pick"]
