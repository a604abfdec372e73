"""``OpSpec``: everything the package knows about one op, and ``OpFacts``, its analysis facts.

A fact that is deliberately absent is written out: ``NO_FACTS`` (the analyses know
nothing about the op), ``NOT_DIFFERENTIABLE`` (no VJP rule), ``None`` as an interop name
("not in that library"), ``STRUCTURAL`` as an mpmath definition (the op moves data and
the exact evaluators apply it to arrays of exact numbers). A missing fact is ``None``
(or a missing key) and fails the completeness tests (``tests/test_op_table.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .shapes import Shape

# The libraries whose names each op declares (a name, a tuple of names, or None).
LIBRARIES = ("numpy", "scipy", "sympy", "jax", "pytensor", "fpcore")

# Where the VJP of a differentiable op lives, and the marker of a non-differentiable op.
GRADIENT_RULES = "gradients.rules"
NOT_DIFFERENTIABLE = "not differentiable"

# The exact evaluators apply this op to object arrays themselves (layout, cast, leaves).
STRUCTURAL = "structural"

Sign = str  # one of "positive", "nonnegative", "nonzero", "negative", "nonpositive"


@dataclass(frozen=True)
class OpFacts:
    """What the e-graph analyses may assume about an op (``egraph/analyses/*`` read it).

    ``range``: bounds ``(lo, hi)`` of the result over the whole domain (None: open side).
    ``interval``: how operand bounds give result bounds: ``"keep"`` (the operand's bounds),
    or a tuple of ``+1``/``-1``, one per operand (the result is that signed sum: ``add``
    is ``(1, 1)``, ``sub`` ``(1, -1)``, ``neg`` ``(-1,)``), or ``"increasing"`` (a
    non-decreasing unary op: the result is ``>= f(0)`` where the operand is ``>= 0`` and
    ``<= f(0)`` where it is ``<= 0``, ``f(0)`` read from the reference).
    ``sign``: rows ``(needs, fact)``: when operand ``i`` has sign fact ``needs[i]`` (None:
    anything), the result has ``fact``.
    ``same_sign``: the result has every sign fact of its (first) operand.
    ``finite_if``: operand indices whose finiteness makes the result finite in IEEE
    arithmetic (``sin``: ``(0,)``; ``where``: ``(1, 2)``).
    ``domain``: ``"total"`` (mathematically defined for every real operand; overflow to
    inf allowed), ``(k, fact)`` (defined where operand ``k`` has sign ``fact``, e.g.
    ``log``: ``(0, "positive")``), or None (never proven defined).
    """

    range: tuple[float | None, float | None] | None = None
    interval: str | tuple[int, ...] | None = None
    sign: tuple[tuple[tuple[Sign | None, ...], Sign], ...] = ()
    same_sign: bool = False
    finite_if: tuple[int, ...] = ()
    domain: str | tuple[int, Sign] | None = None


NO_FACTS = OpFacts()


@dataclass(frozen=True)
class OpSpec:
    """Everything the package knows about one op.

    ``arity`` is the number of tensor inputs; ``attrs`` the names of its static
    attributes; ``kind`` one of ``leaf``, ``elementwise``, ``reduction``, ``matmul``,
    ``layout``, ``gather`` (data moved between positions: take, concatenate, scatters).
    ``reference(*arrays, **attrs)`` is the NumPy definition.
    ``mpmath(ctx, *values)`` is the one exact definition (``ctx`` an mpmath context;
    reductions take ``(ctx, list_of_values)``), used by ``mpeval``, the rule checker's
    oracle and accuracy measurement. ``mp_limit``: argument magnitude (``mpmath.mag``)
    beyond which the exact value is not computable in reasonable time (``exp(exp(1000))``).
    ``deriv(a, v)`` (elementwise float ops): ``|f'(a)|`` as a NumPy expression (``v`` the
    value), a tuple of partials for binary ops; ``ulps`` the rounding error of the op
    itself in units of ``u * |value|``; both feed ``testing/errbound``.
    ``facts``: analysis facts (``OpFacts``). ``grad``: ``GRADIENT_RULES`` or
    ``NOT_DIFFERENTIABLE``. ``ns``: compute ns per element (the calibrated default that
    ``cost.py`` reads); ``risk``: accuracy risk per element; ``cost``: relative work per
    element (add = 1), which the code generators use to decide what to recompute.
    ``symbol``/``precedence`` drive infix printing. ``names``: the op's name in each of
    ``LIBRARIES`` (None: not in it; an FPCore name with ``{0}``, ``{1}``... is the op
    written as an FPCore expression, for ops FPCore has no operator for). ``tags`` hold
    properties such as ``commutative``, ``associative``, ``comparison``.
    ``shared_form``: the ops of the expansion the rules may also write this op as, with a
    primitive other stable forms share (the "shared primitives" block of
    ``specialize.rules``), each once; ``cost.py`` caps the op's cost at that expansion's.
    """

    name: str
    arity: int
    kind: str
    shape_rule: Callable[[Sequence[Shape], dict], Shape]
    dtype_rule: Callable[[Sequence[str], dict], str]
    reference: Callable[..., Any] | None
    attrs: tuple[str, ...] = ()
    cost: float = 1.0
    symbol: str | None = None
    precedence: int = 100
    tags: frozenset[str] = field(default_factory=frozenset)
    mpmath: Callable[..., Any] | str | None = None
    mp_limit: int | None = None
    deriv: Callable[..., Any] | None = None
    ulps: float = 3.0
    facts: OpFacts | None = None
    grad: str | None = None
    ns: float | None = None
    risk: float = 0.0
    names: Mapping[str, str | tuple[str, ...] | None] = field(default_factory=dict)
    shared_form: tuple[str, ...] = ()

    @property
    def is_elementwise(self) -> bool:
        return self.kind == "elementwise"

    @property
    def differentiable(self) -> bool:
        return self.grad == GRADIENT_RULES

    def name_in(self, library: str) -> tuple[str, ...]:
        """The op's names in ``library`` (empty when it has none there)."""
        n = self.names.get(library)
        return () if n is None else ((n,) if isinstance(n, str) else tuple(n))
