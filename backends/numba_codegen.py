"""Python/Numba source for a ``Plan``: one function per kernel plus a driver ``run``.

The generated module is plain, readable Python. Each kernel takes the domain extents
(``n0, n1, ...``), then the buffers it reads, then the buffers it writes, and loops over
the domain with ``prange`` on the outermost loop and a contiguous innermost loop. Below
each kernel, ``k0_parallel``/``k0_serial`` are its Numba builds. ``run(arrays, dims,
consts, parallel_min)`` allocates buffers, makes views, calls BLAS for matmuls, calls the
kernels (the parallel build when the domain has at least ``parallel_min`` points) and
returns the outputs. ``order="F"`` reverses elementwise loop nests and allocates their
results in Fortran order, for Fortran-ordered inputs.

The pieces: ``numba_names`` (names and literals), ``numba_kernel`` with its mixins
``numba_elementwise`` and ``numba_reduce`` (kernel bodies), ``numba_driver`` (``run``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..ir import Dim
from .numba_driver import _describe, _driver, _view
from .numba_elementwise import TILE_MIN_FAST, TILED_TRANSCENDENTALS
from .numba_fastextra import BLOCK_ONLY
from .numba_fastextra import BLOCKS as EXTRA_BLOCKS
from .numba_fastextra import FUNCS as EXTRA_FUNCS
from .numba_flat import flat_kernel
from .numba_kernel import _KernelWriter
from .numba_lower import FAST_BINARY_OPS, HELPER_NAMES, LOWERING, UNIT_OPS
from .numba_names import _Names
from .numba_reduce import _INIT, _columnar
from .plan import Kernel, Plan, ViewStep


def generate(plan: Plan, order: str = "C", *, fast: dict | None = None,
             lowering: dict[str, str] | None = None, cache: bool = True,
             fastmath: bool = False, header: str = "",
             dim_slots: list[Dim] | None = None,
             flatten: bool = True) -> tuple[str, list[np.ndarray]]:
    """Module source for ``plan`` and the array constants ``run`` receives as ``consts``.

    The source depends only on the structure of the graph: nodes are numbered by their
    topological position and every size other than 1 is read from ``dims``, a tuple with
    one slot per distinct size; pass a list as ``dim_slots`` to receive the size (an int
    or a symbolic name) of each slot, in order. ``flatten=False`` keeps every kernel's
    loop nest (callers that pass one extent per domain axis themselves: Dask's blocks)."""
    table = dict(LOWERING)
    table.update(lowering or {})
    names = _Names(plan, canonical=True)
    kernel_src: list[str] = []
    flat: set[str] = set()
    views = {s.node.uid for s in plan.steps if isinstance(s, ViewStep)}
    for kernel in plan.kernels():
        kernel = _for_cpu(kernel)
        collapsed = flat_kernel(kernel, plan, order) if flatten else None
        if collapsed is not None:
            flat.add(kernel.name)
            writer = _KernelWriter(collapsed, names, order, fast, table, kernel.domain)
        else:
            writer = _KernelWriter(kernel, names, order, fast, table)
        writer.view_reads = views
        kernel_src += writer.write()
        kernel_src += ["", f"{kernel.name}_parallel = njit_kernel({kernel.name}, True, CACHE, "
                       "FASTMATH)",
                       f"{kernel.name}_serial = njit_kernel({kernel.name}, False, CACHE, "
                       "FASTMATH)", "", ""]
    driver = _driver(plan, names, order, flat)
    helpers = ",\n    ".join(", ".join(f"{h}_{dt}" for dt in ("float32", "float64"))
                               for h in HELPER_NAMES)
    summary = "\n".join(_describe(step, names) for step in plan.steps)
    title = header or "eqsat-tensor numba kernels"
    doc = (f"{title} (order {order}); sizes other than 1 are the slots of dims "
           f"(D0 = dims[0], ...)\n\n{summary}")
    lines = ([f'"""{doc}"""', "",
              "import math", "from time import perf_counter", "", "import numpy as np",
              "from numba import prange", "",
              "from eqsat_tensor.backends.numba_helpers import (njit_kernel, reduction_chunks, "
              "column_chunks, raise_empty_reduction, scan, row_chunks, reassoc_add,",
              "    pad_slice_ref, scatter_add_ref, scatter_add_along_ref,",
              f"    {helpers})"])
    if fast:
        lines.append("from eqsat_tensor.backends.fastmath import BINARY_FUNCS, BLOCKS, FUNCS, "
                     "SAFE_FASTMATH_FLAGS, UNIT_FUNCS")
        used = {n.op for n in plan.graph.nodes()} | {"exp"}  # (logsumexp uses exp)
        lines.append("from eqsat_tensor.backends import numba_fastextra")
        for op, per_dtype in sorted(fast.items()):
            for dt in sorted(per_dtype):
                if op in used and op in FAST_BINARY_OPS:
                    lines.append(f"fm_{op}_{dt} = BINARY_FUNCS[{op!r}][{dt!r}]")
                elif op in used and dt in EXTRA_FUNCS.get(op, ()):  # (numba_fastextra's own)
                    lines.append(f"fm_{op}_{dt} = numba_fastextra.FUNCS[{op!r}][{dt!r}]")
                    lines.append(f"fb_{op}_{dt} = numba_fastextra.BLOCKS[{op!r}][{dt!r}]")
                elif op in used:
                    lines.append(f"fm_{op}_{dt} = FUNCS[{op!r}][{dt!r}]")
                    lines.append(f"fb_{op}_{dt} = BLOCKS[{op!r}][{dt!r}]")
                if op in used and op in UNIT_OPS:
                    lines.append(f"fmu_{op}_{dt} = UNIT_FUNCS[{op!r}][{dt!r}]")
        for op, dt in sorted({(n.op, n.dtype) for n in plan.graph.nodes()
                              if n.op in BLOCK_ONLY and n.dtype in EXTRA_BLOCKS.get(n.op, ())}):
            lines.append(f"fb_{op}_{dt} = numba_fastextra.BLOCKS[{op!r}][{dt!r}]")
    # fast transcendentals are inlined and take the kernel's flags: full fastmath (nnan,
    # ninf, reassoc) would fold away their rounding tricks, so they get the safe subset
    flags = "set(SAFE_FASTMATH_FLAGS)" if fastmath and fast else str(bool(fastmath))
    lines += ["", f"CACHE = {cache}", f"FASTMATH = {flags}", ""]
    lines += names.scalar_lines + ["", ""] + kernel_src + driver
    if dim_slots is not None:
        dim_slots[:] = sorted(names.dim_slots, key=names.dim_slots.__getitem__)
    return "\n".join(lines) + "\n", names.consts



def _for_cpu(kernel: Kernel) -> Kernel:
    """The kernel as the CPU writer runs it: row reductions take ``logsumexp`` in one pass
    (``Kernel.online_logsumexp``), so ``x - logsumexp(x)`` reads ``x`` twice, not three
    times. Whole-array reductions combine per-chunk partials and keep two passes."""
    if kernel.kept_axes and any(r.op == "logsumexp" for r in kernel.reductions()):
        return dataclasses.replace(kernel, online_logsumexp=True)
    return kernel


__all__ = ["TILED_TRANSCENDENTALS", "TILE_MIN_FAST", "_INIT", "_KernelWriter", "_Names",
           "_columnar", "_view", "generate"]
