"""numba-cuda source for the kernels of a ``Plan`` (the CUDA twin of ``numba_codegen``).

The planner (``plan.py``) is shared with the CPU backend, and so are the scalar lowering
(``numba_lower``) and the per-node expressions, index maps and reduction bookkeeping of
``numba_codegen._KernelWriter``; only the loop structure differs:

* **elementwise** kernels run a grid-stride loop over the flat index of the domain
  (``t``), split into one index per axis (C order, the last axis fastest, so neighbouring
  threads touch neighbouring elements). Kernels of two or more dims also get a ``_rows``
  build: grid y strides over the points of the outer axes, grid x along the last axis,
  with no division per element; the runtime uses it when the last axis is long.
  Broadcast operands are read at index 0 along their extent-1 axes (NumPy rules), so no
  broadcast copy is ever made.
* **reduction** kernels give one block to each row (a point of the kept axes; a whole
  reduction is one row), in a grid-stride loop over rows. In each pass over the row, the
  block's threads stride over the reduced points and accumulate privately, then combine
  their accumulators in a shared-memory tree (``BLOCK`` must be a power of two). Every
  thread then holds the row value, so softmax, logsumexp and layer norm (several passes
  over a row) stay one kernel; values needed in several passes are recomputed. Row values
  are stored by thread 0, FULL values by the thread that computes them. When the last
  domain axis is kept (``sum(x, axis=0)``), a second build ``k<n>_thread`` gives one
  thread to each row instead (it loops over the row alone), so that neighbouring threads
  read neighbouring elements; the runtime uses it when there are many rows.
* whole-array reductions in one pass (``sum(x * x)``) run in two stages:
  ``k<n>_partial`` (one partial per block), then ``k<n>`` (one block combines them).

``generate(plan, block=...)`` returns the module source; the driver lives in
``cuda_runtime`` (it is plain Python over the plan's steps).
"""

from __future__ import annotations

from ..ir import Node
from .cuda_helpers import HELPER_NAMES
from .numba_codegen import _KernelWriter, _Names
from .numba_lower import LOWERING
from .plan import FULL, Kernel, Plan

# numba_lower templates that call NumPy ufuncs (not available in CUDA kernels)
CUDA_LOWERING: dict[str, str] = dict(LOWERING, cbrt="cbrt_{dt}({0})", exp2="exp2_{dt}({0})",
                                    # (scans: no np in CUDA kernels)
                                    fmod="math.fmod({0}, {1})", floor="floor_{dt}({0})",
                                    ceil="ceil_{dt}({0})", trunc="trunc_{dt}({0})",
                                    rint="rint_{dt}({0})")

_CUDA_RESERVED = {"cuda", "numba", "math", "np", "tid", "row", "nrows", "npts", "pt", "t",
                  "rem", "s", "start", "stride", "total", "BLOCK"}


class _CudaNames(_Names):
    """Buffer and constant names, avoiding the names the CUDA loops use."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan)
        for node in plan.graph.inputs:
            if self.buffer[node.uid] in _CUDA_RESERVED:
                self.buffer[node.uid] = f"arg_{self.buffer[node.uid]}"


class _CudaKernelWriter(_KernelWriter):
    """Source of one ``@cuda.jit`` kernel."""

    def __init__(self, kernel: Kernel, names: _Names, table: dict[str, str]) -> None:
        super().__init__(kernel, names, "C", None, table)
        self.hoist_0d = False  # two-stage kernels write their own heads
        self.phases: dict[int, tuple[int, int]] = {}
        self.no_store = False
        self.per_thread = False  # the ``_thread`` variant: one thread per row

    def has_thread_variant(self) -> bool:
        """The last domain axis is kept (``sum(x, axis=0)``): a variant with one thread
        per row has neighbouring threads read neighbouring elements, where a block per
        row reads with a stride (the runtime picks it when there are many rows)."""
        return bool(self.k.reduce_axes) and (self.ndim - 1) in self.k.kept_axes

    def two_stage(self) -> bool:
        """A whole-array reduction in one pass (``sum(x * x)``, ``max(x)``, no logsumexp,
        no per-point stores): many blocks write partials, one block combines them."""
        k = self.k
        if k.kept_axes or not k.reduce_axes:
            return False
        phases = k.reduction_phases()
        return not k.full_writes() and all(p == (1, 1) for p in phases.values()) and \
            all(r.op != "logsumexp" for r in k.reductions())

    def _split(self, flat: str, axes: list[int], indent: str) -> None:
        """``i{ax}`` for each of ``axes`` from the C-order flat index ``flat``."""
        if not axes:
            return
        if len(axes) == 1:
            self.lines.append(f"{indent}i{axes[0]} = {flat}")
            return
        self.lines.append(f"{indent}rem = {flat}")
        for ax in reversed(axes[1:]):
            self.lines.append(f"{indent}i{ax} = rem % n{ax}")
            self.lines.append(f"{indent}rem = rem // n{ax}")
        self.lines.append(f"{indent}i{axes[0]} = rem")

    @staticmethod
    def _product(axes: list[int]) -> str:
        return " * ".join(f"n{a}" for a in axes) or "1"

    def store(self, node: Node, indent: str) -> None:
        if self.no_store:
            return
        if node in self.k.writes and self.k.reduce_axes and self.k.frame(node) != FULL \
                and not self.per_thread:
            self.lines.append(f"{indent}if tid == 0:")
            indent += "    "
        super().store(node, indent)

    def elementwise(self) -> None:
        axes = list(range(self.ndim))
        if self.per_thread:  # the ``_rows`` build: grid y over outer points, x along rows
            last = axes[-1]
            self.lines.append(f"    nrows = {self._product(axes[:-1])}")
            self.lines.append("    for row in range(cuda.blockIdx.y, nrows, cuda.gridDim.y):")
            self._split("row", axes[:-1], "        ")
            self.lines.append(f"        for i{last} in range(cuda.blockIdx.x * cuda.blockDim.x"
                              f" + cuda.threadIdx.x, n{last}, cuda.blockDim.x * cuda.gridDim.x):")
            indent = "            "
        else:
            self.lines.append(f"    total = {self._product(axes)}")
            self.lines.append("    for t in range(cuda.grid(1), total, cuda.gridsize(1)):")
            indent = "        "
            self._split("t", axes, indent)
        for n in self.k.nodes:
            self.lines.append(f"{indent}v{n.uid} = {self.expr(n)}")
            self.store(n, indent)

    def reduction(self) -> None:
        k = self.k
        self.phases = k.reduction_phases()
        after = k.available_after()
        reds = k.reductions()
        full_writes, row_nodes, npasses = k.full_writes(), k.row_nodes(), k.passes()
        kept, red = list(k.kept_axes), list(k.reduce_axes)
        lines = self.lines
        shared: dict[str, str] = {}
        for r in reds:
            for p in range(self.phases[r.uid][0], self.phases[r.uid][1] + 1):
                acc = self._acc(r, p)[0]
                shared[acc] = f"sh_{acc} = cuda.shared.array(BLOCK, numba.{r.dtype})"
        if not self.per_thread:
            lines.append("    tid = cuda.threadIdx.x")
            lines += [f"    {s}" for s in shared.values()]
        lines.append(f"    nrows = {self._product(kept)}")
        lines.append(f"    npts = {self._product(red)}")
        if self.per_thread:
            lines.append("    for row in range(cuda.grid(1), nrows, cuda.gridsize(1)):")
        else:
            lines.append("    for row in range(cuda.blockIdx.x, nrows, cuda.gridDim.x):")
        indent = "        "
        self._split("row", kept, indent)
        self._row_values(row_nodes, after, 0, indent)
        for p in range(1, npasses + 1):
            active = [r for r in reds if self.phases[r.uid][0] <= p <= self.phases[r.uid][1]]
            stores = [n for n in full_writes if after[n.uid] + 1 == p]
            accs = [self._acc(r, p) for r in active]
            lines.append(f"{indent}# pass {p} over the reduced axes")
            for acc, init, _ in accs:
                lines.append(f"{indent}{acc} = {init}")
            body = indent + "    "
            if self.per_thread:
                lines.append(f"{indent}for pt in range(npts):")
            else:
                lines.append(f"{indent}for pt in range(tid, npts, BLOCK):")
            self._split("pt", red, body)
            roots = [r.inputs[0] for r in active] + stores
            for n in self._needed(roots):
                lines.append(f"{body}v{n.uid} = {self.expr(n)}")
                if n in stores:
                    self.store(n, body)
            for (acc, _, update), r in zip(accs, active):
                v = self.operand(r.inputs[0], FULL)
                lines.append(f"{body}{acc} = {update.format(a=acc, v=v)}")
            for acc, _, update in accs:
                if not self.per_thread:
                    self._tree(acc, update, indent)
            for r in active:
                self._finish(r, p, indent)
            self._row_values(row_nodes, after, p, indent)

    def partial_kernel(self) -> list[str]:
        """Stage 1 of ``two_stage``: block ``b`` reduces a strided share of the points into
        ``p_<acc>[b]``."""
        k = self.k
        self.phases = k.reduction_phases()
        after = k.available_after()
        reds = k.reductions()
        red = list(k.reduce_axes)
        row_nodes = k.row_nodes()
        accs = [self._acc(r, 1) for r in reds]
        start = len(self.lines)
        lines = self.lines
        lines.append("    tid = cuda.threadIdx.x")
        lines += [f"    sh_{acc} = cuda.shared.array(BLOCK, numba.{r.dtype})"
                  for (acc, _, _), r in zip(accs, reds)]
        lines.append(f"    npts = {self._product(red)}")
        self.no_store = True
        self._row_values(row_nodes, after, 0, "    ")
        for acc, init, _ in accs:
            lines.append(f"    {acc} = {init}")
        lines.append("    for pt in range(cuda.blockIdx.x * BLOCK + tid, npts, "
                     "BLOCK * cuda.gridDim.x):")
        self._split("pt", red, "        ")
        for n in self._needed([r.inputs[0] for r in reds]):
            lines.append(f"        v{n.uid} = {self.expr(n)}")
        for (acc, _, update), r in zip(accs, reds):
            v = self.operand(r.inputs[0], FULL)
            lines.append(f"        {acc} = {update.format(a=acc, v=v)}")
        for acc, _, update in accs:
            self._tree(acc, update, "    ")
        lines.append("    if tid == 0:")
        lines += [f"        p_{acc}[cuda.blockIdx.x] = {acc}" for acc, _, _ in accs]
        self.no_store = False
        body = self.lines[start:]
        del self.lines[start:]
        params = [f"n{a}" for a in range(self.ndim)] + [self.names.buf(b) for b in k.reads]
        params += [f"p_{acc}" for acc, _, _ in accs]
        return ["@cuda.jit", f"def {k.name}_partial({', '.join(params)}):",
                f'    """stage 1 of the whole-array reduction {k.name}: one partial per '
                'block"""', *body]

    def combine_kernel(self) -> list[str]:
        """Stage 2 of ``two_stage``: one block combines the partials and finishes."""
        k = self.k
        after = k.available_after()
        reds = k.reductions()
        row_nodes = k.row_nodes()
        accs = [self._acc(r, 1) for r in reds]
        start = len(self.lines)
        lines = self.lines
        lines.append("    tid = cuda.threadIdx.x")
        lines += [f"    sh_{acc} = cuda.shared.array(BLOCK, numba.{r.dtype})"
                  for (acc, _, _), r in zip(accs, reds)]
        self._row_values(row_nodes, after, 0, "    ")
        for acc, init, update in accs:
            lines.append(f"    {acc} = {init}")
            lines.append(f"    for pt in range(tid, p_{acc}.shape[0], BLOCK):")
            lines.append(f"        {acc} = {update.format(a=acc, v=f'p_{acc}[pt]')}")
            self._tree(acc, update, "    ")
        for r in reds:
            self._finish(r, 1, "    ")
        self._row_values(row_nodes, after, 1, "    ")
        body = self.lines[start:]
        del self.lines[start:]
        params = self.params() + [f"p_{acc}" for acc, _, _ in accs]
        ops = ", ".join(dict.fromkeys(n.op for n in k.nodes))
        partials = ", ".join(repr(r.dtype) for r in reds)
        return ["@cuda.jit", f"def {k.name}({', '.join(params)}):",
                f'    """stage 2 (combine the partials) of the whole-array reduction over '
                f'{k.domain}: {ops}"""', *body, "", "",
                f"{k.name}_PARTIALS = ({partials},)  # dtypes of the partial buffers"]

    def _tree(self, acc: str, update: str, indent: str) -> None:
        """Combine the block's accumulators ``acc`` in shared memory; all threads get it."""
        sh = f"sh_{acc}"
        combine = "{a} + {v}" if acc.startswith("s") else update  # logsumexp's sum adds
        step = combine.format(a=f"{sh}[tid]", v=f"{sh}[tid + s]")
        self.lines += [f"{indent}{sh}[tid] = {acc}",
                       f"{indent}cuda.syncthreads()",
                       f"{indent}s = BLOCK // 2",
                       f"{indent}while s > 0:",
                       f"{indent}    if tid < s:",
                       f"{indent}        {sh}[tid] = {step}",
                       f"{indent}    cuda.syncthreads()",
                       f"{indent}    s //= 2",
                       f"{indent}{acc} = {sh}[0]",
                       f"{indent}cuda.syncthreads()  # {sh} is reused by the next row"]

    def params(self) -> list[str]:
        extents = [f"n{a}" for a in range(self.ndim)]
        return (extents + [self.names.buf(b) for b in self.k.reads]
                + [self.names.buf(w) for w in self.k.writes])

    def write(self) -> list[str]:
        if self.two_stage():
            return self.partial_kernel() + ["", ""] + self.combine_kernel()
        out = ["@cuda.jit", *super().write()]
        suffix = "_thread" if self.has_thread_variant() else \
            "_rows" if not self.k.reduce_axes and self.ndim >= 2 else None
        if suffix:
            variant = _CudaKernelWriter(self.k, self.names, self.table)
            variant.per_thread = True
            lines = _KernelWriter.write(variant)
            lines[0] = lines[0].replace(f"def {self.k.name}(", f"def {self.k.name}{suffix}(", 1)
            out += ["", "", "@cuda.jit", *lines]
        return out


def generate(plan: Plan, block: int = 256, lowering: dict[str, str] | None = None,
             header: str = "") -> tuple[str, _Names]:
    """The kernel module's source for ``plan`` and its buffer names (``names.buf(node)``,
    ``names.consts``). ``block``: threads per block of the reduction kernels (a power of
    two; the runtime launches them with exactly this many)."""
    if block < 1 or block & (block - 1):
        raise ValueError(f"block must be a power of two, got {block}")
    table = dict(CUDA_LOWERING)
    table.update(lowering or {})
    names = _CudaNames(plan)
    kernel_src: list[str] = []
    for kernel in plan.kernels():
        kernel_src += _CudaKernelWriter(kernel, names, table).write() + ["", ""]
    helpers = ",\n    ".join(", ".join(f"{h}_{dt}" for dt in ("float32", "float64"))
                               for h in HELPER_NAMES)
    lines = [f'"""{header or "eqsat-tensor CUDA kernels"}"""', "", "import math", "",
             "import numba", "import numpy as np", "from numba import cuda", "",
             "from eqsat_tensor.backends.cuda_helpers import (", f"    {helpers})", "",
             f"BLOCK = {block}", ""]
    lines += names.scalar_lines + ["", ""] + kernel_src
    return "\n".join(lines).rstrip() + "\n", names


__all__ = ["CUDA_LOWERING", "generate"]
