"""Source of one generated Numba kernel function (``_KernelWriter``).

The writer holds what elementwise and reduction bodies share: index maps that broadcast
operands into the loop frame, operand and expression source, stores and loop headers.
The bodies themselves come from ``numba_elementwise`` and ``numba_reduce``.
"""

from __future__ import annotations

from ..ir import Node
from .numba_elementwise import _ElementwiseWriter
from .numba_fastextra import BLOCK_ONLY
from .numba_fastextra import BLOCKS as EXTRA_BLOCKS
from .numba_lazy import _LazyWhereWriter
from .numba_lower import FAST_BINARY_OPS, LOWERING, UNIT_OPS, in_unit_interval, lower
from .numba_names import _Names, _small_power
from .numba_reduce import _ReductionWriter
from .plan import FULL, ROW_DROP, ROW_KEEP, Kernel, is_inline_scalar


class _KernelWriter(_ElementwiseWriter, _ReductionWriter, _LazyWhereWriter):
    """Source of one kernel function."""

    def __init__(self, kernel: Kernel, names: _Names, order: str, fast: dict | None,
                 table: dict[str, str], full_shape: tuple | None = None) -> None:
        self.k, self.names, self.order, self.fast, self.table = kernel, names, order, fast, table
        # a flat kernel (numba_flat): one axis over the points of ``full_shape``, every
        # full-shape value indexed by i0
        self.flat = full_shape is not None
        self.full_shape = tuple(full_shape) if self.flat else tuple(kernel.domain)
        self.view_reads: set[int] = set()  # reads that plan views made (maybe strided)
        self.inside = {n.uid for n in kernel.nodes}
        self.lines: list[str] = []
        self.ndim = len(kernel.domain)
        # 0-d buffers are read once, before the loops: numba's parfor lowering types a
        # 0-d array read inside a prange loop as a scalar and fails on ``b[()]``
        self.hoist_0d = True
        self.hoisted: dict[str, str] = {}
        self.tiles: dict[int, str] = {}  # uid -> its element in a tile row (tiled kernels)

    # -- index maps ---------------------------------------------------------------------
    def _frame_axes(self, frame: str) -> list[int]:
        if frame == ROW_DROP:
            return list(self.k.kept_axes)
        return list(range(self.ndim))

    def _index(self, shape: tuple, frame: str) -> str:
        """Index of a value of ``shape`` broadcast (NumPy rules) into ``frame``."""
        if self.flat:  # only full-shape and 0-d values in a flat kernel
            return "i0" if shape else "()"
        axes = self._frame_axes(frame)
        offset = len(axes) - len(shape)
        parts = []
        for j, extent in enumerate(shape):
            ax = axes[offset + j]
            if extent == 1 or (frame == ROW_KEEP and ax in self.k.reduce_axes):
                parts.append("0")
            else:
                parts.append(f"i{ax}")
        if not parts:
            return "()"
        return ", ".join(parts)

    def operand(self, node: Node, frame: str) -> str:
        if node.uid in self.inside:
            tile = self.tiles.get(node.uid)
            return tile if tile is not None else f"v{self.names.id(node)}"
        if is_inline_scalar(node):
            return self.names.scalar(node.value, node.dtype)
        buf = self.names.buf(node)
        if self.hoist_0d and not node.shape:
            return self.hoisted.setdefault(buf, f"s_{buf}")
        return f"{buf}[{self._index(node.shape, frame)}]"

    def expr(self, node: Node) -> str:
        frame = self.k.frame(node)
        args = [self.operand(i, frame) for i in node.inputs]
        if node.op in ("sum", "mean", "max", "min", "prod", "logsumexp"):  # identity (axis=())
            if node.op in ("sum", "mean") and node.dtype.startswith("float"):
                # NumPy adds to its +0.0 identity: a -0.0 operand gives +0.0 (robust)
                return f"({args[0]} + {self.names.scalar(0.0, node.dtype)})"
            return args[0]
        one = self.names.scalar(1.0, node.dtype if node.dtype != "bool" else "float64")
        if node.op == "pow" and is_inline_scalar(node.inputs[1]) and \
                node.inputs[0].dtype == node.dtype and self.table["pow"] == LOWERING["pow"]:
            power = _small_power(args[0], node.inputs[1].value, one)
            if power is not None:
                return power
        if node.op in UNIT_OPS and self._is_fast(node) and in_unit_interval(node.inputs[0]):
            return f"fmu_{node.op}_{node.dtype}({args[0]})"
        return lower(node, args, one, self.table, self.fast)

    def store(self, node: Node, indent: str) -> None:
        if node in self.k.writes:
            idx = self._index(node.shape, self.k.frame(node))
            self.lines.append(f"{indent}{self.names.buf(node)}[{idx}] = v{self.names.id(node)}")

    # -- loop nests ---------------------------------------------------------------------
    def _open_loops(self, axes: list[int], indent: str, parallel: bool) -> str:
        for k, ax in enumerate(axes):
            rng = "prange" if parallel and k == 0 else "range"
            self.lines.append(f"{indent}for i{ax} in {rng}(n{ax}):")
            indent += "    "
        return indent

    def _needed(self, roots: list[Node], cut: set[int] | None = None) -> list[Node]:
        """In-kernel FULL nodes that ``roots`` depend on (including them), in order; the
        inputs of nodes in ``cut`` (loaded from a buffer) are not followed."""
        want: set[int] = set()
        stack = [r for r in roots]
        while stack:
            n = stack.pop()
            if n.uid in want or n.uid not in self.inside or self.k.frame(n) != FULL:
                continue
            if n.uid in self.phases:  # a reduction: its value is a row scalar by now
                continue
            want.add(n.uid)
            if not cut or n.uid not in cut:
                stack.extend(n.inputs)
        return [n for n in self.k.nodes if n.uid in want]

    def _is_fast(self, node: Node) -> bool:
        """A transcendental computed by a fast function (inlined, or a block function in
        tiled kernels), not libm."""
        if not self.fast:
            return False
        return (node.op in self.fast and node.op not in FAST_BINARY_OPS
                and node.dtype in self.fast[node.op]) or self._is_block_only(node)

    def _is_block_only(self, node: Node) -> bool:
        """A transcendental with only a block function (``numba_fastextra.BLOCK_ONLY``): fast
        in tiled elementwise kernels, libm elsewhere."""
        return (bool(self.fast) and node.op in BLOCK_ONLY
                and node.dtype in EXTRA_BLOCKS.get(node.op, ()))

    # -- the function -------------------------------------------------------------------
    def params(self) -> list[str]:
        extents = [f"n{a}" for a in range(self.ndim)]
        if self.k.reduce_axes and not self.k.kept_axes:
            extents.append("nc")
        return (extents + [self.names.buf(b) for b in self.k.reads]
                + [self.names.buf(w) for w in self.k.writes])

    def write(self) -> list[str]:
        body_start = len(self.lines)
        if self.k.reduce_axes:
            self.reduction()
        else:
            self.elementwise()
        body = self.lines[body_start:]
        ops = ", ".join(dict.fromkeys(n.op for n in self.k.nodes))
        over = self.names.shape_text(self.full_shape) + (" (flat)" if self.flat else "")
        head = [f"def {self.k.name}({', '.join(self.params())}):",
                f'    """{self.k.kind} over {over}: {ops}"""']
        head += [f"    {local} = {buf}[()]" for buf, local in self.hoisted.items()]
        return head + body
