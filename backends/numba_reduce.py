"""Reduction loop nests of generated Numba kernels (a mixin of ``_KernelWriter``).

Row reductions loop over the kept axes (``prange`` outermost) and make one or more passes
over the reduced axes with independent accumulators; whole-array reductions run chunks in
parallel and combine them; column reductions (reduced axes first) accumulate partial rows.
Costly operands are computed tile by tile into a buffer so that loop vectorizes.
"""

from __future__ import annotations

import numpy as np

from ..ir import OPS, Node
from .plan import FULL, Kernel

_BLOCK = 2048  # points per block of a one-pass logsumexp (L1-sized; see _lane_pass)
_LANES = 16  # lane accumulators per reduction (a power of two; see _lane_pass)
_COSTLY = 8.0  # ops at least this costly (exp, log, ...) are kept rather than recomputed
_SUM = "{a} + "  # the update template of a sum (see _acc)
_INIT = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}


def _columnar(k: Kernel, order: str) -> bool:
    """Whether a reduction kernel takes the column layout (``_column_reduction``): C order,
    the reduced axes a prefix of the domain, one pass over the data, no full-size stores,
    and no row values needed inside the pass."""
    if order != "C" or not k.reduce_axes or not k.kept_axes:
        return False
    if tuple(k.reduce_axes) != tuple(range(len(k.reduce_axes))):
        return False
    if k.passes() != 1 or k.full_writes() or k.online_logsumexp:
        return False
    after = k.available_after()
    return all(after[n.uid] >= 1 for n in k.row_nodes())



class _ReductionWriter:
    """Reduction kernel bodies; mixed into ``numba_kernel._KernelWriter``."""

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
        plans = []
        for p in range(1, npasses + 1):
            active = [r for r in reds if self.phases[r.uid][0] <= p <= self.phases[r.uid][1]]
            stores = [n for n in full_writes if after[n.uid] + 1 == p]
            roots = [r.inputs[0] for r in active] + stores
            plans.append((p, active, stores, self._needed(roots)))
        scratch = self._scratch(plans, full_writes, after)
        accs_of = {p: [self._acc(r, p) for r in active] for p, active, _, _ in plans}
        if whole:
            indent = "    "
        else:  # chunks of rows in parallel; each chunk allocates its lane arrays once
            indent = self._open_row_chunks(kept, [
                (f"_{row}{acc}", r.dtype) for p, active, _, _ in plans
                for (acc, _, _), r in zip(accs_of[p], active)
                for row in (("l", "lx") if self._online(r) else ("l",))])
        self._row_values(row_nodes, after, 0, indent)
        for p, active, stores, _ in plans:
            self.lines.append(f"{indent}# pass {p} over the reduced axes")
            accs = accs_of[p]
            inner = indent + "    "
            if whole:  # parallel over chunks of the outer reduced axis, then combine
                for (acc, _, _), r in zip(accs, active):
                    self.lines.append(f"{indent}p{acc} = np.empty(nc, np.{r.dtype})")
                self.lines.append(f"{indent}for c in prange(nc):")
                names, level = [f"q{acc}" for acc, _, _ in accs], inner
                for name, r in zip(names, active):
                    for row in (("l", "lx") if self._online(r) else ("l",)):
                        self.lines.append(f"{level}_{row}{name} = np.empty({_LANES}, "
                                          f"np.{r.dtype})")
            else:
                names, level = [acc for acc, _, _ in accs], indent
            chunk = (f"c * n{red[0]} // nc", f"(c + 1) * n{red[0]} // nc")
            if whole and len(red) > 1:
                lo, hi = "0", f"n{red[-1]}"
            elif whole:
                lo, hi = chunk
            else:
                lo, hi = "0", f"n{red[-1]}"
            if accs:
                self._lanes_open(level, p, names, accs, active)
            if whole and len(red) > 1:
                self.lines.append(f"{inner}for i{red[0]} in range({chunk[0]}, {chunk[1]}):")
                outer = self._open_loops(red[1:-1], inner + "    ", False)
            elif whole:
                outer = inner
            else:
                outer = self._open_loops(red[:-1], indent, False)
            loaded = {uid for uid, (first, _) in scratch.items() if p > first}
            roots = [r.inputs[0] for r in active] + stores
            last = red[-1]
            if accs:
                self._lane_pass(outer, p, lo, hi, roots, loaded, scratch, stores, accs,
                                active, names)
                self._lanes_close(level, p, names, accs)
            else:  # stores only: a plain loop vectorizes
                self.lines.append(f"{outer}for i{last} in range({lo}, {hi}):")
                self._pass_body(outer + "    ", roots, loaded, scratch, stores, accs, active,
                                names)
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

    def _open_row_chunks(self, kept: list[int], lanes: list[tuple[str, str]]) -> str:
        """Loops over the kept axes: ``prange`` over chunks of the first (``row_chunks``),
        the lane arrays of every pass allocated once per chunk, then the rows of the chunk
        and the other kept axes. Returns the indentation of the loop body."""
        a0 = kept[0]
        self.lines.append(f"    _nk = row_chunks(n{a0})")
        self.lines.append("    for _ck in prange(_nk):")
        for name, dt in lanes:
            self.lines.append(f"        {name} = np.empty({_LANES}, np.{dt})")
        self.lines.append(f"        for i{a0} in range(_ck * n{a0} // _nk, "
                          f"(_ck + 1) * n{a0} // _nk):")
        return self._open_loops(kept[1:], "            ", False)

    def _lanes_open(self, level: str, p: int, names: list[str], accs: list,
                    active: list[Node]) -> None:
        """The lane accumulators of pass ``p`` set to the identity."""
        self.lines.append(f"{level}for _j{p} in range({_LANES}):")
        for name, (_, init, _) in zip(names, accs):
            self.lines.append(f"{level}    _l{name}[_j{p}] = {init}")
        for r in active:
            if self._online(r):
                rid = self.names.id(r)
                self.lines.append(f"{level}mx{rid} = {self.names.scalar(-np.inf, r.dtype)}")
                self.lines.append(f"{level}ms{rid} = {self.names.scalar(0.0, r.dtype)}")

    def _lane_pass(self, outer: str, p: int, lo: str, hi: str, roots: list[Node],
                   loaded: set[int], scratch: dict, stores: list[Node], accs: list,
                   active: list[Node], names: list[str]) -> None:
        """The innermost loop of pass ``p`` (see ``_lane_loop``). With a one-pass
        logsumexp the reduced axis runs in blocks of ``_BLOCK`` points (they stay in the
        L1 cache): the block's max first, then the sums rescaled to the new shift by one
        exponential where the max grew, then the block's points as usual."""
        online = [(name, r) for name, r in zip(names, active) if self._online(r)]
        if not online:
            self._lane_loop(outer, p, lo, hi, roots, loaded, scratch, stores, accs, active,
                            names)
            return
        blo, bhi, j = f"_B{p}", f"_E{p}", f"_j{p}"
        self.lines.append(f"{outer}for {blo} in range({lo}, {hi}, {_BLOCK}):")
        ind = outer + "    "
        self.lines.append(f"{ind}{bhi} = min({blo} + {_BLOCK}, {hi})")
        maxes = []
        for name, r in online:
            init = self.names.scalar(-np.inf, r.dtype)
            maxes.append((f"m{name}", init, f"nan_maximum_{r.dtype}({{a}}, {{v}})"))
            self.lines.append(f"{ind}for {j} in range({_LANES}):")
            self.lines.append(f"{ind}    _lx{name}[{j}] = {init}")
        self._lane_loop(ind, p, blo, bhi, [r.inputs[0] for _, r in online], loaded, scratch,
                        [], maxes, [r for _, r in online], [f"x{name}" for name, _ in online])
        self._lanes_close(ind, p, [f"x{name}" for name, _ in online], maxes)
        for name, r in online:
            dt, rid = r.dtype, self.names.id(r)
            exp = f"fm_exp_{dt}" if self.fast and dt in self.fast.get("exp", {}) else "math.exp"
            self.lines.append(f"{ind}x{name} = nan_maximum_{dt}(mx{rid}, x{name})")
            self.lines.append(f"{ind}if x{name} != mx{rid}:")
            self.lines.append(f"{ind}    mx{rid} = x{name}")
            self.lines.append(f"{ind}    _sh{rid} = finite_or_zero_{dt}(x{name})")
            self.lines.append(f"{ind}    _f{rid} = {exp}(ms{rid} - _sh{rid})")
            self.lines.append(f"{ind}    ms{rid} = _sh{rid}")
            self.lines.append(f"{ind}    for {j} in range({_LANES}):")
            self.lines.append(f"{ind}        if _l{name}[{j}] != 0:  # (0 * inf would be NaN)")
            self.lines.append(f"{ind}            _l{name}[{j}] = _l{name}[{j}] * _f{rid}")
        self._lane_loop(ind, p, blo, bhi, roots, loaded, scratch, stores, accs, active, names)

    def _lane_loop(self, outer: str, p: int, lo: str, hi: str, roots: list[Node],
                   loaded: set[int], scratch: dict, stores: list[Node], accs: list,
                   active: list[Node], names: list[str]) -> None:
        """Points ``lo..hi`` of the reduced axis in tiles of ``_LANES``: point ``j`` of a
        tile updates lane ``j`` of each accumulator array ``_l{name}``. No lane depends on
        another, so the loop (transcendentals included) vectorizes without reassociating
        an addition, and its constant trip count keeps the lanes in registers. The last
        partial tile runs the same body over fewer lanes."""
        last = self.k.reduce_axes[-1]
        b, j, e = f"_b{p}", f"_j{p}", f"_e{p}"
        contiguous = self.flat or (self.order == "C" and last == self.ndim - 1 and not any(
            r.uid in self.view_reads and r.shape for r in self.k.reads))
        if contiguous and accs and all(update.startswith(_SUM) and not acc.startswith("s")
                        for acc, _, update in accs) and all(
                OPS[n.op].cost < _COSTLY for n in self._needed(roots, cut=loaded)
                if n.op in OPS):
            # cheap sums only: one scalar accumulator per sum through ``reassoc_add``, which
            # LLVM vectorizes with its own partial sums (5x the lanes' speed on a sum of
            # squares), added to lane 0. Costly terms (exp, logsumexp's exponentials) keep
            # the lanes: their constant-count loop vectorizes the inlined transcendental,
            # which the reduction loop did not always (mean(softplus(x)) 1.5x slower); so do
            # strided points (a reduced axis that is not the contiguous one, a transposed
            # view): the lanes' independent chains beat a strided vector reduction 2x
            sums = [f"_t{n}" for n in names]
            adds = [(acc, init, f"reassoc_add({{a}}, {update[len(_SUM):]})")
                    for acc, init, update in accs]
            for t, (_, _, _), r in zip(sums, accs, active):
                self.lines.append(f"{outer}{t} = {self.names.scalar(0.0, r.dtype)}")
            self.lines.append(f"{outer}for {j} in range({hi} - {lo}):")
            self.lines.append(f"{outer}    i{last} = np.uintp({lo} + {j})")
            self._pass_body(outer + "    ", roots, loaded, scratch, stores, adds, active, sums)
            for t, n in zip(sums, names):
                self.lines.append(f"{outer}_l{n}[0] = _l{n}[0] + {t}")
            return
        lane_names = [f"_l{n}[{j}]" for n in names]
        self.lines.append(f"{outer}{e} = {lo} + ({hi} - {lo}) // {_LANES} * {_LANES}")
        self.lines.append(f"{outer}for {b} in range({lo}, {e}, {_LANES}):")
        self.lines.append(f"{outer}    for {j} in range({_LANES}):")
        # an unsigned index: Numba then skips the negative-index wraparound, which LLVM
        # cannot drop when the tile start's sign is unknown (a gather instead of a load)
        self.lines.append(f"{outer}        i{last} = np.uintp({b} + {j})")
        self._pass_body(outer + "        ", roots, loaded, scratch, stores, accs, active,
                        lane_names)
        self.lines.append(f"{outer}for {j} in range({hi} - {e}):")
        self.lines.append(f"{outer}    i{last} = np.uintp({e} + {j})")
        self._pass_body(outer + "    ", roots, loaded, scratch, stores, accs, active,
                        lane_names)

    def _online(self, r: Node) -> bool:
        """Whether ``r`` is a logsumexp computed in one pass (``Kernel.online_logsumexp``)."""
        return r.op == "logsumexp" and self.k.online_logsumexp

    def _lanes_close(self, level: str, p: int, names: list[str], accs: list) -> None:
        """Each accumulator from its lanes, combined pairwise (a tree of halvings)."""
        j = f"_j{p}"
        h = _LANES
        while h > 1:
            h //= 2
            self.lines.append(f"{level}for {j} in range({h}):")
            for name, (acc, _, update) in zip(names, accs):
                merged = self._combine(acc, update, [f"_l{name}[{j}]", f"_l{name}[{j} + {h}]"])
                self.lines.append(f"{level}    _l{name}[{j}] = {merged}")
        for name in names:
            self.lines.append(f"{level}{name} = _l{name}[0]")

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
        def emit(n: Node, level: str, computed: bool) -> None:
            if not computed:
                self.lines.append(f"{level}v{self.names.id(n)} = {self.expr(n)}")

        self.emit_nodes(self._needed([r.inputs[0] for r in reds]), level, emit,
                        {w.uid for w in self.k.writes})
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

    def _pass_body(self, body: str, roots: list[Node], loaded: set[int], scratch: dict,
                   stores: list[Node], accs: list, active: list[Node], names: list[str]) -> None:
        """One point of a pass: the FULL values it needs, its stores, the updates."""
        def emit(n: Node, body: str, computed: bool) -> None:
            idx = self._index(n.shape, FULL)
            keep = scratch.get(n.uid)
            if n.uid in loaded:  # computed in an earlier pass and kept in a buffer
                self.lines.append(f"{body}v{self.names.id(n)} = {self.names.buf(keep[1])}[{idx}]")
                return
            if not computed:
                self.lines.append(f"{body}v{self.names.id(n)} = {self.expr(n)}")
            if keep is not None and keep[1] is not n:
                self.lines.append(f"{body}{self.names.buf(keep[1])}[{idx}] = v{self.names.id(n)}"
                                  "  # kept for a later pass")
            if n in stores:
                self.store(n, body)

        pinned = set(loaded) | set(scratch) | {n.uid for n in stores} | {
            w.uid for w in self.k.writes}
        self.emit_nodes(self._needed(roots, cut=loaded), body, emit, pinned)
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
            if len(passes) < 2 or OPS[n.op].cost < _COSTLY or tuple(n.shape) != self.full_shape:
                continue
            first, last = passes[0], passes[-1]
            if n in full_writes and after[n.uid] + 1 == first:
                out[uid] = (first, n)
                continue
            for w in full_writes:
                if w.uid not in taken and w is not n and w.dtype == n.dtype and \
                        after[w.uid] + 1 == last and tuple(w.shape) == self.full_shape:
                    taken.add(w.uid)
                    out[uid] = (first, w)
                    break
        return out

    def _acc(self, r: Node, p: int) -> tuple[str, str, str]:
        """(accumulator name, initial value, update template over ``{v}``)."""
        dt = r.dtype
        if r.op == "logsumexp":
            if p == self.phases[r.uid][0] and not self._online(r):
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
        if r.op == "logsumexp" and p == first and not self._online(r):
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
