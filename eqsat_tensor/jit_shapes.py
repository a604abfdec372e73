"""Shape classes for ``@et.jit``: one trace, one optimization and one kernel per (rank,
dtype, layout, size pattern), whatever the sizes.

A call's *shape class* keeps what a traced graph may depend on: each argument's rank,
dtype and memory layout, which extents are 0 or 1 (broadcasting and empty arrays depend on
them), and which extents are equal to each other (``x + y`` needs equal sizes). Every
other extent becomes a symbolic dim ``d0, d1, ...`` (one per distinct size, numbered by
first appearance), so calling with a new batch size reuses the class's compiled function.

Python code in the traced function that depends on a size (``if x.shape[0] == 3``,
``x.shape[0] * 2``, ``int(x.shape[0])``, ``range(n)``) cannot be traced symbolically:
while tracing, a symbolic dim raises ``ShapeDependent`` when user code compares it with a
number or multiplies it, and ``jit`` falls back to one trace per concrete shape for that
class (always correct, just not shape-polymorphic).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .ir import Graph

_STATE = threading.local()


class ShapeDependent(TypeError):
    """User code used a symbolic size as a number while tracing."""


def _user_frame() -> bool:
    """Whether the dunder below was called from user code (not from this library)."""
    frame = sys._getframe(2)
    name = frame.f_globals.get("__name__", "")
    return not (name == "eqsat_tensor" or name.startswith("eqsat_tensor."))


class SymDim(str):
    """A symbolic extent: a ``str`` for the IR, but not a number for user code."""

    __slots__ = ()

    def _guard(self, other: Any) -> None:
        if getattr(_STATE, "tracing", False) and not isinstance(other, str) and \
                _user_frame():
            raise ShapeDependent(f"the traced function uses the size {str(self)!r} as a "
                                 "number")

    def __eq__(self, other: object) -> bool:
        self._guard(other)
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        self._guard(other)
        return str.__ne__(self, other)

    def __mul__(self, other: Any) -> Any:
        self._guard(other)
        return str.__mul__(self, other)

    def __rmul__(self, other: Any) -> Any:
        self._guard(other)
        return str.__rmul__(self, other)

    def __mod__(self, other: Any) -> Any:
        self._guard(other)
        return str.__mod__(self, other)

    __hash__ = str.__hash__


@contextmanager
def tracing() -> Iterator[None]:
    """While active (in this thread), ``SymDim`` refuses to act as a number."""
    previous = getattr(_STATE, "tracing", False)
    _STATE.tracing = True
    try:
        yield
    finally:
        _STATE.tracing = previous


def shape_class(arrays: list[Any], layouts: tuple[str, ...]) -> tuple[tuple, list[tuple]]:
    """The class key of a call and the symbolic shape of each argument."""
    first: dict[int, int] = {}
    key: list[tuple] = []
    shapes: list[tuple] = []
    for a, layout in zip(arrays, layouts):
        codes: list[Any] = []
        shape: list[Any] = []
        for extent in a.shape:
            extent = int(extent)
            if extent in (0, 1):
                codes.append(extent)
                shape.append(extent)
            else:
                k = first.setdefault(extent, len(first))
                codes.append(f"d{k}")
                shape.append(SymDim(f"d{k}"))
        key.append((tuple(codes), a.dtype.char, layout))
        shapes.append(tuple(shape))
    return tuple(key), shapes


def dim_sources(shapes: list[tuple]) -> tuple[tuple[str, int, int], ...]:
    """(symbol, argument index, axis) of the first occurrence of every symbolic dim."""
    seen: dict[str, tuple[str, int, int]] = {}
    for i, shape in enumerate(shapes):
        for ax, d in enumerate(shape):
            if isinstance(d, str) and d not in seen:
                seen[d] = (str(d), i, ax)
    return tuple(seen.values())


def only_known_symbols(graph: Graph, shapes: list[tuple]) -> bool:
    """Whether every symbolic dim in ``graph`` (shapes and shape attributes) is one of the
    inputs' symbols: a size built from a symbol by string operations (``"d0" + "d0"``)
    means the trace used sizes as values."""
    known = {d for s in shapes for d in s if isinstance(d, str)}
    for node in graph.nodes():
        for d in node.shape:
            if isinstance(d, str) and d not in known:
                return False
        for _, v in node.attrs:
            if isinstance(v, tuple) and any(isinstance(d, str) and d not in known for d in v):
                return False
    return True


__all__ = ["ShapeDependent", "SymDim", "dim_sources", "only_known_symbols", "shape_class",
           "tracing"]
