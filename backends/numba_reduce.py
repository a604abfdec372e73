"""Reduction loop nests of generated Numba kernels (a mixin of ``_KernelWriter``).

Row reductions loop over the kept axes (``prange`` outermost) and make one or more passes
over the reduced axes with independent accumulators; whole-array reductions run chunks in
parallel and combine them; column reductions (reduced axes first) accumulate partial rows.
Costly operands are computed tile by tile into a buffer so that loop vectorizes.
"""

from __future__ import annotations

import numpy as np

from ..ir import OPS, Node
from .numba_elementwise import _TILE
from .numba_names import _sfx
from .plan import FULL, Kernel

_UNROLL = 4  # independent accumulators per reduction in the innermost loop
_COSTLY = 8.0  # ops at least this costly (exp, log, ...) are kept rather than recomputed
_INIT = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}


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
