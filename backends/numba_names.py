"""Names in generated Numba modules: buffers, constants, extents, literals.

``_Names`` gives every buffer, typed scalar constant and extent of a ``Plan`` its Python
name in the generated module; the canonical numbering makes the source depend only on the
graph's structure. The helpers print literals (floats, small powers) as NumPy computes them.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

import numpy as np

from ..ir import Dim, Node, fmt_shape
from .plan import Plan, is_inline_scalar

_RESERVED = re.compile(r"^([a-z]{1,3}\d+|run|run_profiled|times|kernel|math|np|numba|prange|"
                       r"arrays|dims|consts|[wsm]_\w*|f[bm]_\w*|scan|"
                       r"parallel_min|nc|c|lo|hi|k|row_chunks|column_chunks|reduction_chunks)$")


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
