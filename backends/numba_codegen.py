"""Python/Numba source for a ``Plan``: one function per kernel plus a driver ``run``.

The generated module is plain, readable Python. Each kernel takes the domain extents
(``n0, n1, ...``), then the buffers it reads, then the buffers it writes, and loops over
the domain with ``prange`` on the outermost loop and a contiguous innermost loop. Below
each kernel, ``k0_parallel``/``k0_serial`` are its Numba builds. ``run(arrays, dims,
consts, parallel_min)`` allocates buffers, makes views, calls BLAS for matmuls, calls the
kernels (the parallel build when the domain has at least ``parallel_min`` points) and
returns the outputs. ``order="F"`` reverses elementwise loop nests and allocates their
results in Fortran order, for Fortran-ordered inputs.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

import numpy as np

from ..ir import OPS, Dim, Node, fmt_shape
from .numba_lower import HELPER_NAMES, LOWERING, lower
from .plan import (
    FULL,
    ROW_DROP,
    ROW_KEEP,
    Kernel,
    MatmulStep,
    Plan,
    ScanStep,
    Step,
    ViewStep,
    is_inline_scalar,
    is_leaf,
)

_UNROLL = 4  # independent accumulators per reduction in the innermost loop
_COSTLY = 8.0  # ops at least this costly (exp, log, ...) are kept rather than recomputed
_TILE = 256  # reduction operands computed per tile into a buffer (see _tiled_pass)
# Elementwise kernels with fast transcendentals run in tiles calling block functions
# (``_tiled_elementwise``); False inlines them into one loop (compile time superlinear in
# the number of uses; kept for measurements).
TILED_TRANSCENDENTALS = True
# ... from this many transcendental uses in one kernel on: below it, inlining compiles in
# a few seconds and runs fastest (one pass, no tile traffic: 2x faster at 1e6 points)
TILE_MIN_FAST = 3
_INIT = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}
_RESERVED = re.compile(r"^([a-z]{1,3}\d+|run|run_profiled|times|kernel|math|np|numba|prange|"
                       r"arrays|dims|consts|[wsm]_\w*|f[bm]_\w*|scan|"
                       r"parallel_min|nc|c|lo|hi|k)$")


class _Names:
    """Python names of buffers and constants in the generated module."""

    def __init__(self, plan: Plan, canonical: bool = False) -> None:
        # canonical: names number nodes by their topological position and sizes by
        # slot (``dims[0]``...), so the source depends only on the graph's structure
        # (never on process-wide node counters or on the sizes of concrete dims)
        self.canonical = canonical
        self.cid: dict[int, int] = {}
        if canonical:
            for node in list(plan.graph.inputs) + plan.graph.nodes():
                self.cid.setdefault(node.uid, len(self.cid))
        self.dim_slots: dict[Dim, int] = {}
        self.buffer: dict[int, str] = {}
        for node in plan.graph.inputs:
            name = node.name
            if not name.isidentifier() or not name.isascii():  # never user text in source
                name = f"in_{self.id(node)}"
            elif keyword.iskeyword(name) or _RESERVED.match(name) or name.startswith("_"):
                name = f"arg_{name}"
            self.buffer[node.uid] = name
        self.consts: list[np.ndarray] = []
        self.scalars: dict[tuple, str] = {}
        self.scalar_lines: list[str] = []

    def buf(self, node: Node) -> str:
        if node.uid not in self.buffer:
            if node.op == "constant" and not is_inline_scalar(node):
                self.buffer[node.uid] = f"cst{len(self.consts)}"
                self.consts.append(node.value)
            else:
                self.buffer[node.uid] = f"b{self.id(node)}"
        return self.buffer[node.uid]

    def id(self, node: Node) -> int:
        """The number a node's names carry (canonical: its topological position)."""
        return self.cid[node.uid] if self.canonical else node.uid

    def dim(self, d: Dim) -> str:
        """Source expression of one extent: ``1`` stays literal (broadcasting depends on
        it); every other size, concrete or symbolic, is read from the ``dims`` slot of its
        value, so graphs that differ only in sizes share one module (one Numba compile)."""
        if not self.canonical:
            return _dim_expr(d)
        if d == 1:
            return "1"
        slot = self.dim_slots.setdefault(d, len(self.dim_slots))
        return f"dims[{slot}]"

    def shape(self, shape: tuple) -> str:
        """Source of a shape tuple (see ``dim``)."""
        parts = [self.dim(d) for d in shape]
        return f"({parts[0]},)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"

    def shape_text(self, shape: tuple) -> str:
        """A shape for comments and docstrings (sizes as ``D0``... when canonical)."""
        if not self.canonical:
            return fmt_shape(shape)
        parts = ["1" if d == 1 else f"D{self.dim_slots.setdefault(d, len(self.dim_slots))}"
                 for d in shape]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"

    def scalar(self, value: Any, dtype: str) -> str:
        """A module-level typed constant (``np.float32(0.5)``), so float32 stays float32."""
        key = (repr(value), dtype)
        if key not in self.scalars:
            name = f"c{len(self.scalars)}"
            self.scalars[key] = name
            if dtype == "bool":
                self.scalar_lines.append(f"{name} = np.bool_({bool(value)})")
            else:
                self.scalar_lines.append(f"{name} = np.{dtype}({_float_literal(value)})")
        return self.scalars[key]


def _sfx(u: int) -> str:
    return "" if u == 0 else f"_{u}"


def _small_power(x: str, exponent: float, one: str) -> str | None:
    """``x ** e`` as NumPy computes it: its fast paths for the exponents 2, -1, 0.5, 1 and
    0 (``x ** 0.5`` is ``sqrt``: -0.0 at -0.0, NaN at -inf); libm ``pow`` otherwise
    (``x * x * x`` is not ``pow(x, 3)`` bit for bit)."""
    fast = {2.0: f"({x} * {x})", -1.0: f"({one} / {x})", 0.5: f"math.sqrt({x})",
            1.0: f"({x})", 0.0: one}
    return fast.get(float(exponent))


def _float_literal(value: Any) -> str:
    v = float(value)
    if v != v:
        return "np.nan"
    if v in (np.inf, -np.inf):
        return "np.inf" if v > 0 else "-np.inf"
    return repr(v)


def _dim_expr(d: Dim) -> str:
    return str(d) if isinstance(d, int) else f"dims[{d!r}]"


def _columnar(k: Kernel, order: str) -> bool:
    """Whether a reduction kernel takes the column layout (``_column_reduction``): C order,
    the reduced axes a prefix of the domain, one pass over the data, no full-size stores,
    and no row values needed inside the pass."""
    if order != "C" or not k.reduce_axes or not k.kept_axes:
        return False
    if tuple(k.reduce_axes) != tuple(range(len(k.reduce_axes))):
        return False
    if k.passes() != 1 or k.full_writes():
        return False
    after = k.available_after()
    return all(after[n.uid] >= 1 for n in k.row_nodes())


class _KernelWriter:
    """Source of one kernel function."""

    def __init__(self, kernel: Kernel, names: _Names, order: str, fast: dict | None,
                 table: dict[str, str]) -> None:
        self.k, self.names, self.order, self.fast, self.table = kernel, names, order, fast, table
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
        return bool(self.fast) and node.op in self.fast and node.dtype in self.fast[node.op]

    def elementwise(self) -> None:
        axes = list(range(self.ndim))
        if self.order == "F":
            axes.reverse()
        self.phases: dict[int, tuple[int, int]] = {}
        if TILED_TRANSCENDENTALS and axes and \
                sum(self._is_fast(n) for n in self.k.nodes) >= TILE_MIN_FAST:
            self._tiled_elementwise(axes)
            return
        indent = self._open_loops(axes, "    ", True)
        for n in self.k.nodes:
            self.lines.append(f"{indent}v{self.names.id(n)} = {self.expr(n)}")
            self.store(n, indent)

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

    def reduction(self) -> None:
        if _columnar(self.k, self.order):
            self._column_reduction()
            return
        k = self.k
        self.phases = k.reduction_phases()
        after = k.available_after()
        reds = k.reductions()
        full_writes, row_nodes, npasses = k.full_writes(), k.row_nodes(), k.passes()
        kept, red = list(k.kept_axes), list(k.reduce_axes)
        whole = not kept
        indent = "    " if whole else self._open_loops(kept, "    ", True)
        self._row_values(row_nodes, after, 0, indent)
        plans = []
        for p in range(1, npasses + 1):
            active = [r for r in reds if self.phases[r.uid][0] <= p <= self.phases[r.uid][1]]
            stores = [n for n in full_writes if after[n.uid] + 1 == p]
            roots = [r.inputs[0] for r in active] + stores
            plans.append((p, active, stores, self._needed(roots)))
        scratch = self._scratch(plans, full_writes, after)
        for p, active, stores, _ in plans:
            self.lines.append(f"{indent}# pass {p} over the reduced axes")
            accs = [self._acc(r, p) for r in active]
            unroll = _UNROLL if 0 < len(accs) <= 2 else 1  # bounded code size
            inner = indent + "    "
            if whole:  # parallel over chunks of the outer reduced axis, then combine
                for (acc, _, _), r in zip(accs, active):
                    self.lines.append(f"{indent}p{acc} = np.empty(nc, np.{r.dtype})")
                self.lines.append(f"{indent}for c in prange(nc):")
                names, level = [f"q{acc}" for acc, _, _ in accs], inner
            else:
                names, level = [acc for acc, _, _ in accs], indent
            for name, (_, init, _) in zip(names, accs):
                for u in range(unroll):
                    self.lines.append(f"{level}{name}{_sfx(u)} = {init}")
            chunk = (f"c * n{red[0]} // nc", f"(c + 1) * n{red[0]} // nc")
            if whole and len(red) > 1:
                self.lines.append(f"{inner}for i{red[0]} in range({chunk[0]}, {chunk[1]}):")
                outer = self._open_loops(red[1:-1], inner + "    ", False)
                lo, hi = "0", f"n{red[-1]}"
            elif whole:
                outer, (lo, hi) = inner, chunk
            else:
                outer = self._open_loops(red[:-1], indent, False)
                lo, hi = "0", f"n{red[-1]}"
            loaded = {uid for uid, (first, _) in scratch.items() if p > first}
            roots = [r.inputs[0] for r in active] + stores
            last = red[-1]
            tiled = unroll > 1 and self._tileable(roots, loaded, scratch, stores, accs)
            if tiled:
                self._tiled_pass(outer, lo, hi, roots, accs, active, names, unroll)
            elif unroll > 1:  # independent accumulators: no serial dependency between adds
                self.lines.append(f"{outer}for j{last} in range({lo}, {hi} - ({hi} - {lo}) % "
                                  f"{unroll}, {unroll}):")
                for u in range(unroll):
                    self.lines.append(f"{outer}    i{last} = j{last} + {u}")
                    self._pass_body(outer + "    ", roots, loaded, scratch, stores, accs,
                                    active, [f"{n}{_sfx(u)}" for n in names])
                lo = f"{hi} - ({hi} - {lo}) % {unroll}"
            if not tiled:
                self.lines.append(f"{outer}for i{last} in range({lo}, {hi}):")
                self._pass_body(outer + "    ", roots, loaded, scratch, stores, accs, active,
                                names)
            if unroll > 1:
                for name, (acc, _, update) in zip(names, accs):
                    parts = [f"{name}{_sfx(u)}" for u in range(unroll)]
                    self.lines.append(f"{level}{name} = {self._combine(acc, update, parts)}")
            if whole:
                for acc, _, _ in accs:
                    self.lines.append(f"{inner}p{acc}[c] = q{acc}")
                for acc, init, update in accs:
                    combine = self._combine(acc, update, [acc, f"p{acc}[c]"])
                    self.lines.append(f"{indent}{acc} = {init}")
                    self.lines.append(f"{indent}for c in range(nc):")
                    self.lines.append(f"{indent}    {acc} = {combine}")
            for r in active:
                self._finish(r, p, indent)
            self._row_values(row_nodes, after, p, indent)

    def _column_reduction(self) -> None:
        """Reduced axes before the kept ones (``sum(x, axis=0)`` of a C-ordered matrix):
        looping over the kept axes outside would stride through memory. Instead chunks of
        the first reduced axis run in parallel, each accumulating a partial row over
        contiguous, vectorizable inner loops along the kept axes; a last loop over the
        kept axes combines the partial rows and finishes each value."""
        k = self.k
        self.phases = k.reduction_phases()
        after = k.available_after()
        reds = k.reductions()
        row_nodes = k.row_nodes()
        kept, red = list(k.kept_axes), list(k.reduce_axes)
        accs = [self._acc(r, 1) for r in reds]
        kept_n = ", ".join(f"n{a}" for a in kept)
        cell = ", ".join(["c"] + [f"i{a}" for a in kept])
        first = ", ".join(["0"] + [f"i{a}" for a in kept])
        ind = "    "
        kept_size = " * ".join(f"n{a}" for a in kept)
        self.lines.append(f"{ind}nc = column_chunks(n{red[0]}, {kept_size})")
        for (acc, _, _), r in zip(accs, reds):
            self.lines.append(f"{ind}p{acc} = np.empty((nc, {kept_n}), np.{r.dtype})")
        self.lines.append(f"{ind}for c in prange(nc):")
        init_level = self._open_loops(kept, ind + "    ", False)
        for acc, init, _ in accs:
            self.lines.append(f"{init_level}p{acc}[{cell}] = {init}")
        chunk = f"c * n{red[0]} // nc, (c + 1) * n{red[0]} // nc"
        self.lines.append(f"{ind}    for i{red[0]} in range({chunk}):")
        level = self._open_loops(red[1:] + kept, ind + "        ", False)
        for n in self._needed([r.inputs[0] for r in reds]):
            self.lines.append(f"{level}v{self.names.id(n)} = {self.expr(n)}")
        for (acc, _, update), r in zip(accs, reds):
            target = f"p{acc}[{cell}]"
            value = update.format(a=target, v=self.operand(r.inputs[0], FULL))
            self.lines.append(f"{level}{target} = {value}")
        row = self._open_loops(kept, ind, True)
        for acc, _, update in accs:
            self.lines.append(f"{row}{acc} = p{acc}[{first}]")
            self.lines.append(f"{row}for c in range(1, nc):")
            combined = self._combine(acc, update, [acc, f"p{acc}[{cell}]"])
            self.lines.append(f"{row}    {acc} = {combined}")
        for r in reds:
            self._finish(r, 1, row)
        self._row_values(row_nodes, after, 1, row)

    def _tileable(self, roots: list[Node], loaded: set[int], scratch: dict,
                  stores: list[Node], accs: list) -> bool:
        """A pass whose operands are costly (transcendentals) and that stores nothing:
        computing them tile by tile into a buffer lets LLVM vectorize that loop (a loop
        that also accumulates cannot be vectorized without reassociating the adds)."""
        if stores or loaded:
            return False
        needed = self._needed(roots, cut=loaded)
        if any(n.uid in scratch for n in needed):
            return False
        return (any(acc.startswith("s") for acc, _, _ in accs)
                or any(OPS[n.op].cost >= _COSTLY for n in needed))

    def _tiled_pass(self, outer: str, lo: str, hi: str, roots: list[Node], accs: list,
                    active: list[Node], names: list[str], unroll: int) -> None:
        """The innermost loop of a pass in tiles of ``_TILE``: one loop computes each
        reduction's contribution into a tile buffer, a second adds the tile up with
        ``unroll`` independent accumulators (the same order of additions per accumulator
        as the untiled loop)."""
        last = self.k.reduce_axes[-1]
        i, b, e = f"i{last}", f"_b{last}", f"_e{last}"  # (never a buffer or value name)
        tiles = [f"t{acc}" for acc, _, _ in accs]
        for t, r in zip(tiles, active):
            self.lines.append(f"{outer}{t} = np.empty({_TILE}, np.{r.dtype})")
        self.lines.append(f"{outer}for {b} in range({lo}, {hi}, {_TILE}):")
        body = outer + "    "
        self.lines.append(f"{body}{e} = min({b} + {_TILE}, {hi})")
        self.lines.append(f"{body}for {i} in range({b}, {e}):")
        for n in self._needed(roots):
            self.lines.append(f"{body}    v{self.names.id(n)} = {self.expr(n)}")
        for t, (acc, _, update), r in zip(tiles, accs, active):
            v = self.operand(r.inputs[0], FULL)
            if acc.startswith("s"):  # logsumexp's exp(v - max) is the costly part
                v = update.format(a="", v=v).lstrip(" +")
            self.lines.append(f"{body}    {t}[{i} - {b}] = {v}")
        w, m = f"_w{last}", f"_m{last}"
        self.lines.append(f"{body}{m} = {e} - {b}")
        self.lines.append(f"{body}for {w} in range(0, {m} - {m} % {unroll}, {unroll}):")
        for u in range(unroll):
            for t, name, (acc, _, update) in zip(tiles, names, accs):
                a = f"{name}{_sfx(u)}"
                tv = f"{t}[{w} + {u}]"
                step = f"{a} + {tv}" if acc.startswith("s") else update.format(a=a, v=tv)
                self.lines.append(f"{body}    {a} = {step}")
        self.lines.append(f"{body}for {w} in range({m} - {m} % {unroll}, {m}):")
        for t, name, (acc, _, update) in zip(tiles, names, accs):
            tv = f"{t}[{w}]"
            step = f"{name} + {tv}" if acc.startswith("s") else update.format(a=name, v=tv)
            self.lines.append(f"{body}    {name} = {step}")

    def _pass_body(self, body: str, roots: list[Node], loaded: set[int], scratch: dict,
                   stores: list[Node], accs: list, active: list[Node], names: list[str]) -> None:
        """One point of a pass: the FULL values it needs, its stores, the updates."""
        for n in self._needed(roots, cut=loaded):
            idx = self._index(n.shape, FULL)
            keep = scratch.get(n.uid)
            if n.uid in loaded:  # computed in an earlier pass and kept in a buffer
                self.lines.append(f"{body}v{self.names.id(n)} = {self.names.buf(keep[1])}[{idx}]")
                continue
            self.lines.append(f"{body}v{self.names.id(n)} = {self.expr(n)}")
            if keep is not None and keep[1] is not n:
                self.lines.append(f"{body}{self.names.buf(keep[1])}[{idx}] = v{self.names.id(n)}"
                                  "  # kept for a later pass")
            if n in stores:
                self.store(n, body)
        for name, (_, _, update), r in zip(names, accs, active):
            v = self.operand(r.inputs[0], FULL)
            self.lines.append(f"{body}{name} = {update.format(a=name, v=v)}")

    @staticmethod
    def _combine(acc: str, update: str, parts: list[str]) -> str:
        """Expression combining partial accumulators (pairwise)."""
        while len(parts) > 1:
            merged = []
            for a, b in zip(parts[::2], parts[1::2]):
                if acc.startswith("s"):  # logsumexp's sum of exponentials adds up
                    merged.append(f"({a} + {b})")
                else:
                    merged.append(update.format(a=a, v=b))
            if len(parts) % 2:
                merged.append(parts[-1])
            parts = merged
        return parts[0]

    def _scratch(self, plans: list, full_writes: list[Node], after: dict[int, int]
                 ) -> dict[int, tuple[int, Node]]:
        """Costly FULL values needed in several passes: uid -> (pass that computes it, the
        output buffer that keeps it for the later passes). The buffer is the value's own
        when it is an output, else an output of the same dtype written in the value's last
        pass (read before it is overwritten at the same index). Softmax computes each
        ``exp`` once this way."""
        uses: dict[int, list[int]] = {}
        nodes: dict[int, Node] = {}
        for p, _, _, needed in plans:
            for n in needed:
                uses.setdefault(n.uid, []).append(p)
                nodes[n.uid] = n
        taken: set[int] = set()
        out: dict[int, tuple[int, Node]] = {}
        for uid, passes in uses.items():
            n = nodes[uid]
            if len(passes) < 2 or OPS[n.op].cost < _COSTLY or tuple(n.shape) != tuple(
                    self.k.domain):
                continue
            first, last = passes[0], passes[-1]
            if n in full_writes and after[n.uid] + 1 == first:
                out[uid] = (first, n)
                continue
            for w in full_writes:
                if w.uid not in taken and w is not n and w.dtype == n.dtype and \
                        after[w.uid] + 1 == last and tuple(w.shape) == tuple(self.k.domain):
                    taken.add(w.uid)
                    out[uid] = (first, w)
                    break
        return out

    def _acc(self, r: Node, p: int) -> tuple[str, str, str]:
        """(accumulator name, initial value, update template over ``{v}``)."""
        dt = r.dtype
        if r.op == "logsumexp":
            if p == self.phases[r.uid][0]:
                init = self.names.scalar(-np.inf, dt)
                return (f"m{self.names.id(r)}", init, f"nan_maximum_{dt}({{a}}, {{v}})")
            zero = self.names.scalar(0.0, dt)
            exp = f"fm_exp_{dt}" if self.fast and dt in self.fast.get("exp", {}) else "math.exp"
            return (f"s{self.names.id(r)}", zero, f"{{a}} + {exp}({{v}} - ms{self.names.id(r)})")
        if r.op in ("max", "min"):
            init = self.names.scalar(-np.inf if r.op == "max" else np.inf, dt)
            fn = "nan_maximum" if r.op == "max" else "nan_minimum"
            return (f"r{self.names.id(r)}", init, f"{fn}_{dt}({{a}}, {{v}})")
        op = "*" if r.op == "prod" else "+"
        return (f"r{self.names.id(r)}", self.names.scalar(_INIT[r.op], dt), f"{{a}} {op} {{v}}")

    def _finish(self, r: Node, p: int, indent: str) -> None:
        first, last = self.phases[r.uid]
        dt = r.dtype
        if r.op == "logsumexp" and p == first:
            rid = self.names.id(r)
            self.lines.append(f"{indent}ms{rid} = finite_or_zero_{dt}(m{rid})")
            return
        if p != last:
            return
        if r.op == "logsumexp":
            value = f"np.{dt}(math.log(s{self.names.id(r)}) + ms{self.names.id(r)})"
        elif r.op == "mean":
            count = " * ".join(f"n{a}" for a in self.k.reduce_axes)
            value = f"np.{dt}(r{self.names.id(r)} / np.{dt}({count}))"
        elif r.op in ("sum", "prod"):
            value = f"np.{dt}(r{self.names.id(r)})"
        else:
            value = f"r{self.names.id(r)}"
        self.lines.append(f"{indent}v{self.names.id(r)} = {value}")
        self.store(r, indent)

    def _row_values(self, row_nodes: list[Node], after: dict[int, int], p: int,
                    indent: str) -> None:
        for n in row_nodes:
            if after[n.uid] == p:
                self.lines.append(f"{indent}v{self.names.id(n)} = {self.expr(n)}")
                self.store(n, indent)

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
        head = [f"def {self.k.name}({', '.join(self.params())}):",
                f'    """{self.k.kind} over {self.names.shape_text(self.k.domain)}: {ops}"""']
        head += [f"    {local} = {buf}[()]" for buf, local in self.hoisted.items()]
        return head + body


def generate(plan: Plan, order: str = "C", *, fast: dict | None = None,
             lowering: dict[str, str] | None = None, cache: bool = True,
             fastmath: bool = False, header: str = "",
             dim_slots: list[Dim] | None = None) -> tuple[str, list[np.ndarray]]:
    """Module source for ``plan`` and the array constants ``run`` receives as ``consts``.

    The source depends only on the structure of the graph: nodes are numbered by their
    topological position and every size other than 1 is read from ``dims``, a tuple with
    one slot per distinct size; pass a list as ``dim_slots`` to receive the size (an int
    or a symbolic name) of each slot, in order."""
    table = dict(LOWERING)
    table.update(lowering or {})
    names = _Names(plan, canonical=True)
    kernel_src: list[str] = []
    for kernel in plan.kernels():
        writer = _KernelWriter(kernel, names, order, fast, table)
        kernel_src += writer.write()
        kernel_src += ["", f"{kernel.name}_parallel = njit_kernel({kernel.name}, True, CACHE, "
                       "FASTMATH)",
                       f"{kernel.name}_serial = njit_kernel({kernel.name}, False, CACHE, "
                       "FASTMATH)", "", ""]
    driver = _driver(plan, names, order)
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
              "column_chunks, raise_empty_reduction, scan,",
              "    pad_slice_ref, scatter_add_ref, scatter_add_along_ref,",
              f"    {helpers})"])
    if fast:
        lines.append("from eqsat_tensor.backends.fastmath import BLOCKS, FUNCS, "
                     "SAFE_FASTMATH_FLAGS")
        used = {n.op for n in plan.graph.nodes()} | {"exp"}  # (logsumexp uses exp)
        for op, per_dtype in sorted(fast.items()):
            for dt in sorted(per_dtype):
                if op in used:
                    lines.append(f"fm_{op}_{dt} = FUNCS[{op!r}][{dt!r}]")
                    lines.append(f"fb_{op}_{dt} = BLOCKS[{op!r}][{dt!r}]")
    # fast transcendentals are inlined and take the kernel's flags: full fastmath (nnan,
    # ninf, reassoc) would fold away their rounding tricks, so they get the safe subset
    flags = "set(SAFE_FASTMATH_FLAGS)" if fastmath and fast else str(bool(fastmath))
    lines += ["", f"CACHE = {cache}", f"FASTMATH = {flags}", ""]
    lines += names.scalar_lines + ["", ""] + kernel_src + driver
    if dim_slots is not None:
        dim_slots[:] = sorted(names.dim_slots, key=names.dim_slots.__getitem__)
    return "\n".join(lines) + "\n", names.consts


def _describe(step: Step, names: _Names) -> str:
    """One line per plan step, with canonical names and sizes (see ``Plan.describe``)."""
    if isinstance(step, Kernel):
        ops = ", ".join(n.op for n in step.nodes)
        extra = f" reduce{step.reduce_axes}" if step.reduce_axes else ""
        mm = f" + {len(step.matmuls)} matmul prologue" if step.matmuls else ""
        return (f"{step.name}: {step.kind}{extra} over {names.shape_text(step.domain)}{mm} "
                f"[{ops}] reads {len(step.reads)} writes {len(step.writes)}")
    what = ("matmul" if isinstance(step, MatmulStep) else f"scan {step.node.op}"
            if isinstance(step, ScanStep) else f"view {step.node.op}")
    return f"{what} {names.buf(step.node)} -> {names.shape_text(step.node.shape)}"


def _aliases_leaf(node: Node, plan: Plan) -> bool:
    """Whether an output's buffer may be (a view of) an input or constant array."""
    views = {s.node.uid for s in plan.steps
             if isinstance(s, ViewStep) and s.node.spec.kind == "layout"}
    while node.uid in views:
        node = node.inputs[0]
    return is_leaf(node)


def _driver(plan: Plan, names: _Names, order: str) -> list[str]:
    """``run`` and ``run_profiled`` (which also returns a timestamp after each step)."""
    g = plan.graph
    args = ", ".join(names.buf(i) for i in g.inputs)
    blocks: list[list[str]] = []
    for step in plan.steps:
        if isinstance(step, ViewStep):
            blocks.append([f"    {names.buf(step.node)} = {_view(step.node, names)}"])
        elif isinstance(step, MatmulStep):
            blocks.append([f"    {names.buf(step.node)} = {_matmul(step.node, names)}"])
        elif isinstance(step, ScanStep):
            blocks.append([f"    {names.buf(step.node)} = {_scan(step.node, names)}"])
        else:
            blocks.append(_kernel_call(step, names, order))
    outs = []
    seen: set[str] = set()
    for o in g.outputs:
        if is_inline_scalar(o):
            outs.append(_operand_buffer(o, names))
            continue
        buf = names.buf(o)
        if _aliases_leaf(o, plan) or buf in seen:  # outputs never alias inputs or each other
            outs.append(f"np.array({buf}, copy=True)")
        else:
            outs.append(buf)
        seen.add(buf)
    lines: list[str] = []
    for profiled in (False, True):
        fname = "run_profiled" if profiled else "run"
        doc = ("Like run, and a list of time.perf_counter() after each step" if profiled
               else "Compute the graph outputs from the input arrays.")
        lines += [f"def {fname}(arrays, dims, consts, parallel_min):", f'    """{doc}"""']
        if g.inputs:
            lines.append(f"    {args}{',' if len(g.inputs) == 1 else ''} = arrays")
        for k in range(len(names.consts)):
            lines.append(f"    cst{k} = consts[{k}]")
        if profiled:
            lines.append("    times = [perf_counter()]")
        for block in blocks:
            lines += block
            if profiled:
                lines.append("    times.append(perf_counter())")
        result = f"[{', '.join(outs)}]"
        lines.append(f"    return {result}, times" if profiled else f"    return {result}")
        lines += ["", ""]
    return lines


def _operand_buffer(node: Node, names: _Names) -> str:
    if is_inline_scalar(node):
        if node.dtype == "bool":
            return f"np.full((), {bool(node.value)}, np.bool_)"
        return f"np.full((), {_float_literal(node.value)}, np.{node.dtype})"
    return names.buf(node)


def _gather(node: Node, names: _Names) -> str:
    """A gather or join op as one NumPy call (NumPy checks the indices: IndexError)."""
    a, b = (_operand_buffer(i, names) for i in node.inputs[:2]) if node.spec.arity == 2 else (
        _operand_buffer(node.inputs[0], names), "")
    axis = node.attr("axis")
    ax = axis[0] if axis else 0
    if node.op == "concatenate":
        return f"np.concatenate(({a}, {b}), axis={ax})"
    if node.op == "take":
        return f"np.take({a}, {b}, axis={ax})"
    if node.op == "take_along_axis":
        return f"np.take_along_axis({a}, {b}, axis={ax})"
    shape = names.shape(node.attr("shape"))
    if node.op == "pad_slice":
        return f"pad_slice_ref({a}, {tuple(node.attr('slices'))!r}, {shape})"
    return f"{node.op}_ref({a}, {b}, ({ax},), {shape})"  # scatter_add(_along)


def _view(node: Node, names: _Names) -> str:
    """A layout op as a view, by the cheapest spelling (no ``np.expand_dims`` call)."""
    if node.spec.kind == "gather":
        return _gather(node, names)
    src = _operand_buffer(node.inputs[0], names)
    if node.op == "slice":
        key = ", ".join(f"{a}:{'' if b is None else b}:{c}" if (a, b, c) != (0, None, 1)
                        else ":" for a, b, c in node.attr("slices"))
        return f"{src}[{key}{',' if len(node.shape) == 1 else ''}]"
    if node.op == "transpose":
        return f"{src}.transpose({tuple(node.attr('axes'))!r})"
    if node.op == "reshape":
        return f"{src}.reshape({names.shape(node.attr('shape'))})"
    if node.op == "broadcast_to":
        return f"np.broadcast_to({src}, {names.shape(node.attr('shape'))})"
    axes = set(node.attr("axis"))  # expand_dims: index with None at the new axes
    parts = ["None" if a in axes else ":" for a in range(len(node.shape))]
    return f"{src}[{', '.join(parts)}{',' if len(parts) == 1 else ''}]"


def _matmul(node: Node, names: _Names) -> str:
    a, b = (_operand_buffer(i, names) for i in node.inputs)
    if not node.shape:  # 1-D @ 1-D: NumPy returns a scalar; kernels index a 0-d array
        return f"np.asarray(np.matmul({a}, {b}, dtype=np.{node.dtype}))"
    return f"np.matmul({a}, {b}, dtype=np.{node.dtype})"


def _scan(node: Node, names: _Names) -> str:
    """A scan or selection: ``numba_helpers.scan`` (row kernels along the axis)."""
    src = _operand_buffer(node.inputs[0], names)
    (axis,) = node.attr("axis")
    keep = bool(node.attr("keepdims"))
    return f"scan({node.op!r}, {src}, {axis}, {keep}, parallel_min)"


def _kernel_call(k: Kernel, names: _Names, order: str) -> list[str]:
    lines = [f"    # {_describe(k, names)}"]
    for m in k.matmuls:
        lines.append(f"    {names.buf(m)} = {_matmul(m, names)}")
    extents = [names.dim(d) for d in k.domain]
    for a, e in enumerate(extents):
        lines.append(f"    n{a} = {e}")
    args = [f"n{a}" for a in range(len(k.domain))]
    if k.reduce_axes and not k.kept_axes:
        lines.append(f"    nc = reduction_chunks(n{k.reduce_axes[0]})")
        args.append("nc")
    if any(r.op in ("max", "min") for r in k.reductions()):
        count = " * ".join(f"n{a}" for a in k.reduce_axes)
        ops = sorted({r.op for r in k.reductions() if r.op in ("max", "min")})
        lines.append(f"    if {count} == 0:")
        lines.append(f"        raise_empty_reduction({ops[0]!r})")
    for w in k.writes:
        frame = k.frame(w)
        worder = "F" if order == "F" and frame == FULL and not k.reduce_axes else "C"
        dt = "np.bool_" if w.dtype == "bool" else f"np.{w.dtype}"
        lines.append(f"    {names.buf(w)} = np.empty({names.shape(w.shape)}, {dt}, "
                     f"order={worder!r})")
    size = " * ".join(f"n{a}" for a in range(len(k.domain))) or "1"
    args += [names.buf(b) for b in k.reads] + [names.buf(w) for w in k.writes]
    lines.append(f"    kernel = {k.name}_parallel if {size} >= parallel_min else {k.name}_serial")
    lines.append(f"    kernel({', '.join(args)})")
    return lines


__all__ = ["generate"]
