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

Modules: this one (options, ``compile``); ``dask_plan`` (which kernels run how);
``dask_layers`` (the steps as Dask graph layers); ``dask_kernels`` (what runs in a task);
``dask_xarray`` (xarray interop).

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
    Fan-in of the tree reductions, as for ``dask.array`` reductions. When None (and no
    ``split_every`` in Dask's config): as many partial blocks as fit in 4 MiB, between 16
    and 256 (a partial is one value per row and reduction, so a full reduction combines
    every chunk's partial in one step; ``dask.array`` uses 4).
fastmath : bool (False)
    As for the Numba CPU backend.
fast_transcendentals : bool (True)
    The SIMD ``exp``/``log``/... of ``backends.fastmath``, as for the Numba CPU backend
    (their compile now costs ~1.5x a scalar build, 1.5 s instead of 1.0 s of CPU for
    ``mean(softplus(t))``, while the kernels run 1.3x to 4x faster per chunk).
inline_inputs : bool (True)
    Compute the blocks of inputs that depend on nothing (``da.random``, ``da.ones``,
    ``da.from_array`` of a NumPy array) inside the kernel tasks that read them, once per
    pass that reads them, instead of as tasks of their own (``dask_fuse``).
cache_dir : str | None
    Where workers keep the generated modules with Numba's on-disk cache; None (default)
    compiles once per process into a private temporary directory.
"""

from __future__ import annotations

from typing import Any

from ..errors import BackendError
from ..ir import Graph
from .dask_layers import DaskExecutable

unsupported_ops: frozenset[str] = frozenset()
required_rules: tuple[str, ...] = ()

DEFAULTS: dict[str, Any] = {"chunks": "auto", "compute": False, "scheduler": None,
                            "split_every": None, "fastmath": False,
                            "fast_transcendentals": True, "cache_dir": None,
                            "inline_inputs": True}

_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "logsumexp")


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
