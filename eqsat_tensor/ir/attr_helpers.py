"""Attribute helpers: functions of attribute values that a rewrite's right side may call.

A rule such as ``transpose(transpose(x, axes=p), axes=q) => transpose(x,
axes=compose_axes(p, q))`` needs the composed attribute, which egglog cannot compute by
itself. Each helper is declared once here, with the attribute kinds of its arguments and
of its result and a Python function; the rule parser reads the names and arities, the rule
compiler the egglog table, the type analysis fills the table over the attribute values of
the graph (closed a few times, like the types), and the rule checker calls the function on
the values it draws. A helper returns ``None`` where it is undefined (ranks that do not
fit): the table has no row there and the rewrite does not fire.

Layout ops compose in general this way (a permutation of a permutation is one permutation,
an ``expand_dims`` of a ``reshape`` one ``reshape``, a slice of a slice one slice), not by a
rule per case.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .shapes import compose_slices


@dataclass(frozen=True)
class AttrHelper:
    """One helper: rule-language ``name``, egglog function ``table``, the attribute kinds
    of its arguments (``args``) and result (``result``) and the Python function ``fn``."""

    name: str
    table: str
    args: tuple[str, ...]
    result: str
    fn: Callable[..., Any]
    doc: str = ""

    def __call__(self, *values: Any) -> Any:
        """The helper's value, or None where it is undefined."""
        try:
            return self.fn(*values)
        except (ValueError, TypeError, IndexError):
            return None


def _as_tuple(v: Any) -> tuple[int, ...]:
    return (int(v),) if isinstance(v, int) else tuple(int(a) for a in v)


def compose_axes(inner: Sequence[int], outer: Sequence[int]) -> tuple[int, ...] | None:
    """The one permutation equal to ``transpose(transpose(x, inner), outer)``: axis ``i``
    of the result is axis ``inner[outer[i]]`` of ``x``. None if the ranks differ."""
    p, q = _as_tuple(inner), _as_tuple(outer)
    if len(p) != len(q) or sorted(p) != list(range(len(p))) or sorted(q) != list(range(len(q))):
        return None
    return tuple(p[i] for i in q)


def _normal_axes(axis: Any, rank: int) -> tuple[int, ...] | None:
    ax = sorted(a + rank if a < 0 else a for a in _as_tuple(axis))
    if any(not 0 <= a < rank for a in ax) or len(set(ax)) != len(ax):
        return None
    return tuple(ax)


def insert_axes(shape: Sequence[int], axis: Any) -> tuple[int, ...] | None:
    """The shape of ``expand_dims(reshape(x, shape), axis)``: ``shape`` with a 1 at each
    position of ``axis`` (positions of the result, negative counted from its end)."""
    s = _as_tuple(shape)
    ax = _normal_axes(axis, len(s) + len(_as_tuple(axis)))
    if ax is None:
        return None
    rest = iter(s)
    return tuple(1 if k in ax else next(rest) for k in range(len(s) + len(ax)))


def compose_expand(inner: Any, outer: Any) -> tuple[int, ...] | None:
    """The one ``axis`` of ``expand_dims(expand_dims(x, inner), outer)``: the result's new
    axes are ``outer``'s and, among the others in order, those ``inner`` made. Normal
    (non-negative) axes only: the operand's rank is not known here."""
    a, b = _as_tuple(inner), _as_tuple(outer)
    if any(v < 0 for v in a + b) or len(set(b)) != len(b) or len(set(a)) != len(a):
        return None
    kept: list[int] = []
    k = 0
    while len(kept) <= max(a, default=-1):
        if k not in b:
            kept.append(k)
        k += 1
    return tuple(sorted(set(b) | {kept[i] for i in a}))


HELPERS: dict[str, AttrHelper] = {h.name: h for h in (
    AttrHelper("compose_slices", "slice-compose", ("slices", "slices"), "slices",
               compose_slices, "one slice equal to slicing by s, then by t"),
    AttrHelper("compose_axes", "axes-compose", ("axes", "axes"), "axes", compose_axes,
               "one permutation equal to transposing by p, then by q"),
    AttrHelper("insert_axes", "shape-insert", ("shape", "axis"), "shape", insert_axes,
               "shape s with a unit axis at each position of a (expand_dims of a reshape)"),
    AttrHelper("compose_expand", "expand-compose", ("axis", "axis"), "axis", compose_expand,
               "one expand_dims axis equal to expanding by a, then by b"),
)}
