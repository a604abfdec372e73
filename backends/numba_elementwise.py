"""Elementwise loop nests of generated Numba kernels (a mixin of ``_KernelWriter``).

A plain elementwise kernel is one loop nest with ``prange`` outermost. A kernel with
several fast transcendentals runs in tiles: each transcendental is one call of its
separately compiled block function (``fastmath.BLOCKS``) over a row of a scratch block.
"""

from __future__ import annotations

from ..ir import Node
from .plan import FULL, is_inline_scalar

_TILE = 256  # points per tile (tiled elementwise kernels and tiled reduction passes)
# Elementwise kernels with fast transcendentals run in tiles calling block functions
# (``_tiled_elementwise``); False inlines them into one loop (compile time superlinear in
# the number of uses; kept for measurements).
TILED_TRANSCENDENTALS = True
# ... from this many transcendental uses in one kernel on: below it, inlining compiles in
# a few seconds and runs fastest (one pass, no tile traffic: 2x faster at 1e6 points)
TILE_MIN_FAST = 3
# Kernels with a block-only transcendental run tiled where the contiguous axis has at least
# this many points (a block call per short row costs more than libm saves)
_TILE_ROW_MIN = 64


class _ElementwiseWriter:
    """Elementwise kernel bodies; mixed into ``numba_kernel._KernelWriter``."""

    def elementwise(self) -> None:
        axes = list(range(self.ndim))
        if self.order == "F":
            axes.reverse()
        self.phases: dict[int, tuple[int, int]] = {}
        if TILED_TRANSCENDENTALS and axes and \
                sum(self._is_fast(n) for n in self.k.nodes) >= TILE_MIN_FAST:
            self._tiled_elementwise(axes)
            return
        if TILED_TRANSCENDENTALS and axes and any(self._is_block_only(n) for n in self.k.nodes):
            # block-only transcendentals (numba_fastextra) pay off in tiles of long rows; short
            # rows (an (n, 4) array) keep the plain loop with libm: chosen at run time
            start = len(self.lines)
            self._tiled_elementwise(axes)
            tiled = ["    " + line for line in self.lines[start:]]
            del self.lines[start:]
            self.tiles = {}
            self.lines.append(f"    if n{axes[-1]} >= {_TILE_ROW_MIN}:")
            self.lines += tiled
            self.lines.append("    else:")
            indent = self._open_loops(axes, "        ", True)
        else:
            indent = self._open_loops(axes, "    ", True)
        def emit(n: Node, indent: str, computed: bool) -> None:
            if not computed:
                self.lines.append(f"{indent}v{self.names.id(n)} = {self.expr(n)}")
            self.store(n, indent)

        self.emit_nodes(list(self.k.nodes), indent, emit, {w.uid for w in self.k.writes})

    def _tiled_elementwise(self, axes: list[int]) -> None:
        """An elementwise kernel with fast transcendentals, in tiles of ``_TILE`` points
        along the contiguous axis: each node fills one row of a per-dtype scratch block
        (a short loop LLVM vectorizes), and each transcendental is one call of its
        separately compiled block function (``fastmath.BLOCKS``), so the kernel holds no
        inlined copy of each transcendental: its size and compile time grow linearly with the
        number of ops (which ``plan.MAX_KERNEL_NODES`` bounds), and the transcendentals
        still run as SIMD loops."""
        inner, outer = axes[-1], axes[:-1]
        b, m = f"_b{inner}", f"_m{inner}"  # (underscore: never a buffer or value name)
        if outer:
            indent = self._open_loops(outer, "    ", True)
            self.lines.append(f"{indent}for {b} in range(0, n{inner}, {_TILE}):")
        else:
            self.lines.append(f"    for _t{inner} in prange((n{inner} + {_TILE - 1}) // {_TILE}):")
            indent = "    "
            self.lines.append(f"{indent}    {b} = _t{inner} * {_TILE}")
        body = indent + "    "
        self.lines.append(f"{body}{m} = min({b} + {_TILE}, n{inner}) - {b}")
        row_of, count = self._tile_rows()
        row = {uid: f"w_{n.dtype}_{row_of[uid]}" for uid, n in
               ((n.uid, n) for n in self.k.nodes)}
        fast = {n.uid for n in self.k.nodes if self._is_fast(n)}
        # a transcendental of an operand from a buffer reads it from a row of its own
        # (never the output row: in-place calls defeat the vectorized loop's alias check)
        in_rows = sorted({n.dtype for n in self.k.nodes if n.uid in fast and not (
            n.inputs[0].uid in self.inside and n.inputs[0].dtype == n.dtype)})
        for dt, rows in sorted(count.items()):
            np_dt = "np.bool_" if dt == "bool" else f"np.{dt}"
            for r in range(rows):
                self.lines.append(f"{body}w_{dt}_{r} = np.empty({_TILE}, {np_dt})")
            if dt in in_rows:
                self.lines.append(f"{body}w_{dt}_in = np.empty({_TILE}, {np_dt})")
        needs_row = {i.uid for n in self.k.nodes if n.uid in fast for i in n.inputs}
        # runs of consecutive non-transcendental nodes share one loop, values in registers;
        # a value goes through its row when a transcendental or a later run reads it
        runs: list[list[Node]] = []
        for n in self.k.nodes:
            if n.uid in fast or not runs or runs[-1][0].uid in fast:
                runs.append([n])
            else:
                runs[-1].append(n)
        run_of = {n.uid: k for k, r in enumerate(runs) for n in r}
        for n in self.k.nodes:
            for i in n.inputs:
                if i.uid in self.inside and run_of[i.uid] != run_of[n.uid]:
                    needs_row.add(i.uid)
        for run in runs:
            self._tile_run(run, body, inner, fast, row, needs_row)

    def _tile_run(self, run: list[Node], body: str, inner: int, fast: set[int],
                  row: dict[int, str], needs_row: set[int]) -> None:
        """Lines computing one run of a tiled kernel for the tile at ``_b`` (``_m``
        points): one block-function call for a transcendental, else one loop."""
        b, m = f"_b{inner}", f"_m{inner}"

        def head(nodes: list[Node]) -> list[str]:
            # a counted while loop: Numba types and lowers it with less IR than a range
            # iterator (14% less compile time on long chains); LLVM vectorizes both alike
            lines = [f"{body}j = 0", f"{body}while j < {m}:"]
            if any(i.uid not in self.inside and not is_inline_scalar(i) and i.shape
                   for n in nodes for i in n.inputs) or any(n in self.k.writes for n in nodes):
                lines.append(f"{body}    i{inner} = {b} + j")  # buffers are read or written
            return lines

        def tail() -> list[str]:
            return [f"{body}    j += 1"]

        n = run[0]
        if n.uid in fast:
            src = n.inputs[0]
            if src.uid in self.inside and src.dtype == n.dtype:
                arg = row[src.uid]
            else:  # an operand from a buffer: staged in its own row first
                arg = f"w_{n.dtype}_in"
                self.lines += head([n]) + [f"{body}    {arg}[j] = {self.operand(src, FULL)}"]
                self.lines += tail()
            self.lines.append(f"{body}fb_{n.op}_{n.dtype}({arg}, {row[n.uid]}, {m})")
            self.tiles[n.uid] = f"{row[n.uid]}[j]"
            if n in self.k.writes:
                self.lines += head([n])
                self.store_tile(n, body + "    ")
                self.lines += tail()
            return
        self.lines += head(run)
        for n in run:
            v = f"v{self.names.id(n)}"
            self.lines.append(f"{body}    {v} = {self.expr(n)}")
            self.tiles[n.uid] = v
            if n.uid in needs_row:
                self.lines.append(f"{body}    {row[n.uid]}[j] = {v}")
            self.store_tile(n, body + "    ")
        self.lines += tail()
        for n in run:  # later runs read these values from their rows
            self.tiles[n.uid] = f"{row[n.uid]}[j]"

    def store_tile(self, node: Node, indent: str) -> None:
        if node in self.k.writes:
            idx = self._index(node.shape, FULL)
            self.lines.append(f"{indent}{self.names.buf(node)}[{idx}] = {self.tiles[node.uid]}")

    def _tile_rows(self) -> tuple[dict[int, int], dict[str, int]]:
        """A scratch row per in-kernel node, reused once the node's last reader ran:
        uid -> row, and the number of rows per dtype."""
        last: dict[int, int] = {}
        for k, n in enumerate(self.k.nodes):
            for i in n.inputs:
                if i.uid in self.inside:
                    last[i.uid] = k
        free: dict[str, list[int]] = {}
        count: dict[str, int] = {}
        row: dict[int, int] = {}
        for k, n in enumerate(self.k.nodes):
            pool = free.setdefault(n.dtype, [])
            if pool:
                row[n.uid] = pool.pop()
            else:
                row[n.uid] = count.get(n.dtype, 0)
                count[n.dtype] = row[n.uid] + 1
            for i in dict.fromkeys(n.inputs):  # rows whose last reader is n are free after
                if i.uid in self.inside and last.get(i.uid) == k:
                    free.setdefault(i.dtype, []).append(row[i.uid])
        return row, count
