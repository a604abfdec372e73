"""The parsed form of rule files: the contract between the parser, the e-graph rule
compiler, the soundness checker and the gradient driver.

A rule file parses into a ``RuleSet`` of ``Rule``s (rewrites) and ``VJP``s (gradient
rules). Patterns are small immutable trees:

* ``Var("x")``: a pattern variable (lowercase identifier). In a tensor position it matches
  any e-class; as an attribute value (``sum(x, axis=a)``) it binds the attribute.
* ``Const(1.0)``: a numeric literal; matches a scalar constant of that value (any float
  dtype, broadcast like a Python scalar).
* ``App(op, args, attrs)``: an op from ``ir.OPS`` applied to patterns; ``attrs`` is a
  sorted tuple of ``(name, value)`` where value is a ``Var`` or a literal
  (int, bool, None, tuple of ints) or ``ShapeOf(Var)`` (only in VJP bodies).

Guards are conjunctions of ``Guard(kind, args)`` atoms with kinds from ``GUARD_KINDS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Guard atoms the analyses can prove. Surface syntax in a rule file:
#   x != 0 -> nonzero     x > 0 -> positive      x >= 0 -> nonnegative
#   x < 0  -> negative    x <= 0 -> nonpositive  finite(x) -> finite
#   same_shape(x, y)      scalar(x) (shape ())   const(x) (a constant)
#   unbatched(x) (rank <= 2: no batch axes for matmul)      matrix(x) (rank 2)
#   exact_recip(c) (a constant whose reciprocal is exact and normal: +-2^k, |k| <= 126)
#   moderate(x) (every element's magnitude is within MODERATE[dtype]: no product or sum
#                of a few such values overflows or underflows)
#   abs_le(c, d) (constants with 1 <= |c| <= |d|: with exact_recip on both, d / c is a
#                 power of two in [1, |d|], so scaling by it is exact unless it overflows,
#                 and it overflows only where scaling by d does)
GUARD_KINDS = ("nonzero", "positive", "nonnegative", "negative", "nonpositive", "finite",
               "same_shape", "scalar", "const", "unbatched", "matrix", "exact_recip",
               "moderate", "abs_le")
# dtype -> (smallest, largest) magnitude that ``moderate(x)`` allows
MODERATE = {"float64": (2.0 ** -100, 2.0 ** 100), "float32": (2.0 ** -20, 2.0 ** 20)}

# Tags a rule may carry, written ``rule NAME [tag, tag]: ...``:
#   expansive  - assoc/comm-like rules that grow the e-graph; run under back-off
#   strict     - also sound for inf, nan and signed zeros (runs under ieee="strict")
#   stability  - the right side is more accurate; checked against an mpmath oracle
#   fast       - exact only in real arithmetic (reassociation, factoring, scalar motion):
#                may create an intermediate overflow; runs under ieee="fast" only
#                (docs/soundness.md)
RULE_TAGS = ("expansive", "strict", "stability", "fast")


@dataclass(frozen=True)
class Var:
    """A pattern variable."""

    name: str


@dataclass(frozen=True)
class Const:
    """A numeric literal (a scalar constant)."""

    value: float


@dataclass(frozen=True)
class ShapeOf:
    """``shape(x)`` in a VJP body: the (static) shape of the forward input ``x``."""

    var: Var


@dataclass(frozen=True)
class App:
    """``op(args..., attr=value...)``."""

    op: str
    args: tuple[Pattern, ...]
    attrs: tuple[tuple[str, Any], ...] = ()

    def attr(self, name: str, default: Any = None) -> Any:
        for k, v in self.attrs:
            if k == name:
                return v
        return default


Pattern = Var | Const | App


@dataclass(frozen=True)
class Guard:
    """One guard atom, e.g. ``Guard("positive", (Var("x"),))`` for ``x > 0``."""

    kind: str
    args: tuple[Pattern, ...]


@dataclass(frozen=True)
class Rule:
    """``rule NAME [tags]: LHS => RHS [if GUARD and ...]`` (``<=>`` sets bidirectional)."""

    name: str
    lhs: Pattern
    rhs: Pattern
    guards: tuple[Guard, ...] = ()
    bidirectional: bool = False
    tags: frozenset[str] = frozenset()
    ruleset: str = "user"  # file stem: algebra, stability, specialize, ...
    source: str = "<rules>"
    line: int = 0
    text: str = ""  # the rule's source line, for reports
    doc: str = ""  # the comment lines right above the rule and its trailing comment


@dataclass(frozen=True)
class VJP:
    """``vjp OP(params..., attr=a...): dx = EXPR; dy = EXPR``.

    ``grads`` maps each tensor parameter name to its cotangent expression, which may use
    the parameters, the attribute variables, ``g`` (the incoming cotangent) and ``out``
    (the op's forward result). ``attrs`` lists the header's attribute bindings as
    ``"name=var"`` strings in header order (``("axis=a",)`` for ``vjp sum(x, axis=a)``);
    ``attr_vars`` holds the same as ``(name, var)`` pairs, sorted by attribute name. In
    attribute position a body may also use ``ShapeOf`` and the helpers ``inverse(p)`` /
    ``swap_last(x)``, parsed as ``App(helper, (Var,))``."""

    op: str
    params: tuple[str, ...]
    attrs: tuple[str, ...]
    grads: tuple[tuple[str, Pattern], ...]
    ruleset: str = "gradients"
    source: str = "<rules>"
    line: int = 0
    text: str = ""
    attr_vars: tuple[tuple[str, str], ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class RuleSet:
    """Rules and VJPs from one or more files. ``a + b`` concatenates (names stay unique)."""

    name: str
    rules: tuple[Rule, ...] = ()
    vjps: tuple[VJP, ...] = ()
    files: tuple[str, ...] = field(default=())

    def __add__(self, other: RuleSet) -> RuleSet:
        seen = {r.name for r in self.rules}
        rules = self.rules + tuple(r for r in other.rules if r.name not in seen)
        ops = {v.op for v in self.vjps}
        vjps = self.vjps + tuple(v for v in other.vjps if v.op not in ops)
        return RuleSet(f"{self.name}+{other.name}", rules, vjps, self.files + other.files)

    def __hash__(self) -> int:
        # computed once: a RuleSet keys the compiled-rules and program caches, and hashing
        # ~400 rule trees costs milliseconds each time
        got = self.__dict__.get("_hash")
        if got is None:
            got = hash((self.name, self.rules, self.vjps, self.files))
            object.__setattr__(self, "_hash", got)
        return got

    def __len__(self) -> int:
        return len(self.rules) + len(self.vjps)

    def __iter__(self):
        return iter(self.rules)

    def rule(self, name: str) -> Rule:
        """The rule called ``name``."""
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def select(self, *, ruleset: str | None = None, tag: str | None = None,
               names: Any = None) -> RuleSet:
        """The rules of one file stem, with one tag, or with the given names."""
        keep = tuple(r for r in self.rules
                     if (ruleset is None or r.ruleset == ruleset)
                     and (tag is None or tag in r.tags)
                     and (names is None or r.name in names))
        return RuleSet(self.name, keep, self.vjps, self.files)


def pattern_vars(p: Pattern) -> set[str]:
    """Names of the tensor and attribute variables in a pattern."""
    out: set[str] = set()
    stack: list[Any] = [p]
    while stack:
        q = stack.pop()
        if isinstance(q, Var):
            out.add(q.name)
        elif isinstance(q, ShapeOf):
            out.add(q.var.name)
        elif isinstance(q, App):
            stack.extend(q.args)
            stack.extend(v for _, v in q.attrs)
    return out


def instantiate(p: Pattern, env: dict[str, Any], like: Any = None) -> Any:
    """Build the IR node for pattern ``p`` with variables bound by ``env``.

    ``env`` maps tensor variables to ``Node``s and attribute variables to attribute
    values. ``Const``s become scalar constants typed like ``like`` (a Node) or the first
    tensor operand beside them. Attribute values pass through the builder, so axes are
    normalized and shapes inferred (ShapeError if the instance is ill-typed).
    """
    from ..ir import FLOAT_DTYPES, Node, apply, constant_node, normalize_axis

    def resolve_attr(v: Any) -> Any:
        if isinstance(v, App):  # an attribute helper (ir/attr_helpers.py)
            from ..ir.attr_helpers import HELPERS

            got = HELPERS[v.op](*(env[a.name] for a in v.args))
            if got is None:
                raise ValueError(f"{v.op}: undefined for these attribute values")
            return got
        if isinstance(v, Var):
            return env[v.name]
        if isinstance(v, ShapeOf):
            return env[v.var.name].shape
        return v

    def build(q: Any, hint: Node | None) -> Node:
        if isinstance(q, Var):
            val = env[q.name]
            return val if isinstance(val, Node) else val.node  # a Node or a traced Tensor
        if isinstance(q, Const):  # a Python float is weak: it takes a float sibling's dtype
            dtype = hint.dtype if hint is not None and hint.dtype in FLOAT_DTYPES else "float64"
            return constant_node(float(q.value), dtype)
        assert isinstance(q, App), q
        # Build tensor args first so constants can take their dtype from a sibling.
        built: list[Node | None] = [None] * len(q.args)
        for i, a in enumerate(q.args):
            if not isinstance(a, Const):
                built[i] = build(a, hint)
        # A bool sibling (where's condition) gives no dtype: use a float one or the hint.
        sibling = next((b for b in built if b is not None and b.dtype != "bool"), hint)
        args = [b if b is not None else build(a, sibling) for a, b in zip(q.args, built)]
        attrs = {k: resolve_attr(v) for k, v in q.attrs}
        from ..ir import OPS

        spec = OPS[q.op]
        if spec.kind == "reduction":
            attrs.setdefault("axis", None)
            attrs.setdefault("keepdims", False)
            attrs["axis"] = normalize_axis(attrs["axis"], args[0].ndim, q.op)
            attrs["keepdims"] = bool(attrs["keepdims"])
        elif q.op == "expand_dims":
            ax = attrs["axis"]
            ax = (ax,) if isinstance(ax, int) else tuple(ax)
            attrs["axis"] = normalize_axis(ax, args[0].ndim + len(ax), "expand_dims")
        elif q.op == "transpose":
            axes = attrs.get("axes")
            attrs["axes"] = tuple(reversed(range(args[0].ndim))) if axes is None else tuple(axes)
        elif q.op in ("reshape", "broadcast_to"):
            attrs["shape"] = tuple(attrs["shape"])
        if not spec.attrs and not attrs:
            return apply(q.op, *args)
        return apply(q.op, *args, **attrs)

    return build(p, like)
