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

import hashlib
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
    key = hashlib.sha256(source.encode()).hexdigest()
    module = _MODULES.get(key)
    if module is not None:
        return module
    global _TEMP_DIR
    with _LOCK:
        module = _MODULES.get(key)
        if module is None:
            if cache_dir is None:
                if _TEMP_DIR is None:
                    _TEMP_DIR = Path(tempfile.mkdtemp(prefix="eqsat-tensor-dask-"))
                directory = _TEMP_DIR
            else:
                directory = Path(cache_dir)
            module = numba_cache.load(source, directory)
            _MODULES[key] = module
    return module


def loaded_modules() -> int:
    """How many generated modules this process has imported (for tests)."""
    return len(_MODULES)


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
        ``"partial"``: a tree-reduction chunk step; the single write is a reduction and is
        returned with the reduced axes kept (size 1); a ``mean`` is returned as the block's
        sum (its mean times the block's count) so partials add up.
    op
        The reduction op in ``"partial"`` mode.
    """

    def __init__(self, source: str, cache_dir: str | None, name: str, ndim: int,
                 read_axes: tuple[tuple[int, ...], ...], reduce_axes: tuple[int, ...],
                 outputs: tuple[tuple[str, str], ...], mode: str = "block",
                 op: str | None = None) -> None:
        self.source, self.cache_dir, self.name, self.ndim = source, cache_dir, name, ndim
        self.read_axes, self.reduce_axes, self.outputs = read_axes, reduce_axes, outputs
        self.mode, self.op = mode, op

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
        arrays = [np.asarray(b) for b in blocks]
        fn(*args, *arrays, *outs)
        if self.mode == "partial":
            out = outs[0].reshape(tuple(keep))
            if self.op == "mean":
                count = int(np.prod([ext[a] for a in self.reduce_axes]))
                out = (out * out.dtype.type(count)).astype(out.dtype, copy=False)
            return out
        return outs[0] if len(outs) == 1 else tuple(outs)


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
    fn = {"sum": np.sum, "mean": np.sum, "prod": np.prod, "max": np.max, "min": np.min}[op]
    return fn(x, axis=axis, keepdims=keepdims).astype(x.dtype, copy=False)


def aggregate(op: str, count: int, x: np.ndarray, axis: tuple[int, ...], keepdims: bool
              ) -> np.ndarray:
    """The final step: combine, then a mean divides by ``count`` (reduced elements)."""
    out = combine(op, x, axis, keepdims)
    if op == "mean":
        with np.errstate(all="ignore"):
            out = (out / out.dtype.type(count)).astype(x.dtype, copy=False)
    return out


__all__ = ["BlockKernel", "aggregate", "combine", "load_source", "loaded_modules", "pick"]
