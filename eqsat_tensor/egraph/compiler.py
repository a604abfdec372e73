"""The rule compiler: each parsed ``Rule`` becomes egglog rules (text for ``parse_program``).

``L => R if G`` compiles to ``(rule ((= root L) G... typefacts) ((union root R)))``:

* pattern variables become egglog variables (``v_x``), attribute variables (``axis=a``)
  bind an attribute on the left and reuse it on the right (``a_a``); attributes a pattern
  leaves out match anything and carry over to the same attribute on the right;
* a literal ``Const`` on the left matches any e-class the constant analysis knows to
  hold that value everywhere (``(cval e)``: a scalar constant of any dtype, or one
  broadcast or reshaped); on the right it takes the dtype of the matched e-class;
* guards become facts over the analysis relations (``(positive v_x)``); ``finite(x)``
  reads ``safe`` under ``ieee="finite"``, ``finite`` under ``ieee="strict"`` and
  ``defined`` under ``ieee="fast"``;
* shape and dtype are preserved: a right side that is a variable or a constant is used
  as is when its type equals the matched class's type, and wrapped in ``broadcast_to`` to
  the class's shape otherwise (a dtype mismatch refuses the match); a right side whose
  shape cannot be proven equal (it drops variables or has non-elementwise ops) is wrapped
  in ``broadcast_to`` too, which the type analysis removes when it is a no-op. A literal
  on the left also matches a broadcast constant, whose shape the right side may drop: the
  plain form is guarded by "every left literal's class is a scalar", and a ``~cK`` form
  wraps the right side in ``broadcast_to`` otherwise.

``<=>`` compiles both directions (the reverse is skipped, with a note, when its left
side is a bare variable or leaves variables unbound). Each compiled rule is named
``NAME`` (or ``NAME<=`` for the reverse), so egglog's match counts map back to rules.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

from ..errors import RuleError
from ..ir import OPS
from ..ir.attr_helpers import HELPERS as ATTR_HELPERS
from ..rulelang.ast import App, Const, Guard, Rule, RuleSet, Var
from .fast_guard import finite_variants
from .schema import ctor, tuple_id

# Rule-file stem -> saturation phase. Other stems (user files) join canonicalization.
PHASE_OF = {"algebra": "canonicalize", "stability": "stability", "specialize": "specialize"}
PHASES = ("canonicalize", "stability", "specialize")
# Shipped rule files, whose rules that grow the e-graph carry the ``expansive`` tag; in
# any other (user) file such rules are recognised by ``grows``.
CURATED = frozenset({*PHASE_OF, "accuracy", "gradients"})
# Attributes whose ``None`` default depends on the operand's rank -> the rank table.
_RANK_DEFAULT = {"axis": "allaxes", "axes": "revaxes"}
# Attribute helpers of right sides -> the egglog table holding their values (filled by the
# type analysis, ``analyses/types.py``).
_ATTR_TABLES = {h.name: h.table for h in ATTR_HELPERS.values()}
SIGN_GUARDS = ("nonzero", "positive", "nonnegative", "negative", "nonpositive")


class Unsupported(ValueError):
    """A well-formed rule the compiler cannot express; it is skipped with a note."""


@dataclass(frozen=True)
class CompiledRule:
    """One egglog rule generated from (one direction of) a ``Rule``."""

    name: str  # egglog :name
    rule: Rule
    phase: str
    ruleset: str  # egglog ruleset: the phase, or PHASE-x for expansive rules
    text: str


@dataclass
class CompiledRules:
    """Everything compiled from a ``RuleSet`` for one ``ieee`` mode."""

    rules: list[CompiledRule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    attr_literals: dict[str, set] = field(default_factory=dict)
    ieee: str = "finite"  # the mode compiled for (the analyses' mode-dependent cleanups)

    def rule_of(self, egg_name: str) -> str | None:
        """Source rule name of an egglog rule name (None for analysis rules)."""
        base = egg_name.split("~")[0]
        base = base[:-2] if base.endswith("<=") else base
        return base if base in self._names else None

    @functools.cached_property
    def _names(self) -> set[str]:
        return {c.rule.name for c in self.rules}


def _float(v: float) -> str:
    v = float(v)
    if v != v:
        return "NaN"  # egglog's spelling; inf and -inf are spelled as Python does
    text = repr(v)
    return text if any(c in text for c in ".en") else text + ".0"


def _attr_literal(op: str, name: str, value: Any) -> str:
    if name in ("keepdims",):
        return str(int(bool(value)))
    if name == "dtype":
        return f"\"{value}\""
    if name in ("axis", "axes", "shape"):
        tup = (value,) if isinstance(value, int) else tuple(value)
        if name == "axis" and any(a < 0 for a in tup):
            raise Unsupported(f"{op}: negative axis {value!r} needs the rank; write it as a "
                             "non-negative axis")
        if name == "axis":
            tup = tuple(sorted(tup))
        return str(tuple_id(name, tup))
    raise ValueError(f"{op}: attribute {name}={value!r} cannot be written in a rule")


class _Direction:
    """Compiles one direction ``lhs => rhs``."""

    def __init__(self, rule: Rule, lhs: Any, rhs: Any, ieee: str, literals: dict[str, set]):
        self.rule, self.lhs, self.rhs, self.ieee = rule, lhs, rhs, ieee
        self.literals = literals
        self.fresh = 0
        self.carry: dict[str, str] = {}  # attr name -> first left wildcard
        self.tensor_vars: set[str] = set()
        self.attr_vars: set[str] = set()
        self.uses_dtype = False
        self.const_facts: list[str] = []
        self.const_vars: list[str] = []  # e-class variables of literal constants on the left
        self.rhs_facts: list[str] = []

    def _new(self, prefix: str) -> str:
        self.fresh += 1
        return f"__{prefix}{self.fresh}"

    def _attr(self, op: str, name: str, value: Any, side: str) -> str:
        if isinstance(value, App) and side == "rhs":  # an attribute helper
            for a in value.args:
                if a.name not in self.attr_vars:
                    raise ValueError(f"attribute variable {a.name!r} is not bound on the left")
            k = self._new("k")
            args = " ".join(f"a_{a.name}" for a in value.args)
            self.rhs_facts.append(f"(= {k} ({_ATTR_TABLES[value.op]} {args}))")
            return k
        if isinstance(value, Var):
            if side == "lhs":
                self.attr_vars.add(value.name)
            elif value.name not in self.attr_vars:
                raise ValueError(f"attribute variable {value.name!r} is not bound on the left")
            return f"a_{value.name}"
        text = _attr_literal(op, name, value)
        if name in ("axis", "axes", "shape", "keepdims"):
            self.literals.setdefault(name, set()).add(int(text))
        return text

    def pattern(self, p: Any) -> str:
        """Left side (a query pattern)."""
        if isinstance(p, Var):
            self.tensor_vars.add(p.name)
            return f"v_{p.name}"
        if isinstance(p, Const):
            v = self._new("c")
            self.const_facts.append(f"(= {_float(p.value)} (cval {v}))")
            self.const_vars.append(v)
            return v
        assert isinstance(p, App), p
        spec = OPS[p.op]
        args = [self.pattern(a) for a in p.args]
        given = dict(p.attrs)
        for name in spec.attrs:
            if name in given and given[name] is None and name in _RANK_DEFAULT:
                # axis=None / axes=None: all axes / reversed, for the operand's rank
                operand = args[0]
                if operand.startswith("("):
                    bound = self._new("o")
                    self.const_facts.append(f"(= {bound} {operand})")
                    args[0] = operand = bound
                w = self._new("w")
                self.const_facts.append(
                    f"(= {w} ({_RANK_DEFAULT[name]} (tyrank (ty {operand}))))")
                args.append(w)
            elif name in given:
                args.append(self._attr(p.op, name, given[name], "lhs"))
            else:
                w = self._new("w")
                self.carry.setdefault(name, w)
                args.append(w)
        return f"({ctor(p.op)} {' '.join(args)})"

    def term(self, p: Any) -> str:
        """Right side (an action term)."""
        if isinstance(p, Var):
            if p.name not in self.tensor_vars:
                raise ValueError(f"variable {p.name!r} is not bound on the left")
            return f"v_{p.name}"
        if isinstance(p, Const):
            self.uses_dtype = True
            return f"(Const {_float(p.value)} __d)"
        assert isinstance(p, App), p
        spec = OPS[p.op]
        args = [self.term(a) for a in p.args]
        given = dict(p.attrs)
        for name in spec.attrs:
            if name in given and given[name] is None and name in _RANK_DEFAULT:
                w = self._new("w")
                self.rhs_facts.append(
                    f"(= {w} ({_RANK_DEFAULT[name]} {self._rank(p.args[0])}))")
                args.append(w)
            elif name in given:
                args.append(self._attr(p.op, name, given[name], "rhs"))
            elif name in self.carry:
                args.append(self.carry[name])
            elif name == "keepdims":
                args.append("0")
            else:
                raise ValueError(f"{p.op}: attribute {name!r} on the right must be given or "
                                 "bound on the left")
        return f"({ctor(p.op)} {' '.join(args)})"

    def _rank(self, p: Any) -> str:
        """A query variable (or literal) holding the rank of right-side term ``p``."""
        if isinstance(p, Const):
            return "0"
        if isinstance(p, Var):
            r = self._new("r")
            self.rhs_facts.append(f"(= {r} (tyrank (ty v_{p.name})))")
            return r
        if isinstance(p, App) and OPS[p.op].kind == "elementwise":
            ranks = [self._rank(a) for a in p.args]
            out = ranks[0]
            for other in ranks[1:]:
                out = f"(max {out} {other})"
            return out
        if isinstance(p, App) and OPS[p.op].kind == "reduction" and p.attr("axis") is None:
            return self._rank(p.args[0]) if p.attr("keepdims") else "0"
        raise Unsupported(f"{getattr(p, 'op', p)}: cannot tell the rank of this operand of an "
                         "attribute left at its default (write axis=a / axes=a)")

    def guard(self, g: Guard) -> list[str]:
        args = [self.pattern(a) if not isinstance(a, Var) else f"v_{a.name}" for a in g.args]
        for a in g.args:
            if isinstance(a, Var) and a.name not in self.tensor_vars:
                raise ValueError(f"guard {g.kind} uses {a.name!r}, not bound on the left")
        if g.kind in SIGN_GUARDS or g.kind == "const":
            rel = "isconst" if g.kind == "const" else g.kind
            return [f"({rel} {args[0]})"]
        if g.kind == "exact_recip":
            # a nonzero constant +-2^k with |k| <= 126: 1/c is exact and normal in float32
            # and float64. a / (a - a*(1 - 2^-53)) is 2^53 exactly for a power of two a and
            # below it otherwise (the subtraction gives half an ulp for 2^k, one ulp else)
            v, a = self._new("cv"), self._new("ca")
            return [f"(= {v} (cval {args[0]}))", f"(= {a} (abs {v}))",
                    f"(<= {a} 8.507059173023462e+37)", f"(>= {a} 1.1754943508222875e-38)",
                    f"(= 9007199254740992.0 (/ {a} (- {a} (* {a} 0.9999999999999999))))"]
        if g.kind == "abs_le":
            # two constants with 1 <= |c| <= |d|
            u, w = self._new("cv"), self._new("cv")
            return [f"(= {u} (cval {args[0]}))", f"(= {w} (cval {args[1]}))",
                    f"(>= (abs {u}) 1.0)", f"(<= (abs {u}) (abs {w}))"]
        if g.kind == "finite":
            # strict: proven finite; finite: proven, or defined and reaching no comparison;
            # fast: mathematically defined (an overflow may be removed) (finite.py)
            rel = {"strict": "finite", "finite": "safe"}.get(self.ieee, "defined")
            return [f"({rel} {args[0]})"]
        if g.kind == "moderate":
            return [f"(moderate {args[0]})"]
        if g.kind == "scalar":
            return [f"(= 0 (tyrank (ty {args[0]})))"]
        if g.kind == "unbatched":
            r = self._new("r")
            return [f"(= {r} (tyrank (ty {args[0]})))", f"(<= {r} 2)"]
        if g.kind == "matrix":
            return [f"(= 2 (tyrank (ty {args[0]})))"]
        if g.kind == "same_shape":
            s = self._new("s")
            return [f"(= {s} (tyshape (ty {a})))" for a in args]
        raise ValueError(f"unknown guard {g.kind!r}")

    def _shape_safe(self) -> bool:
        """Both sides elementwise and the right keeps every left variable: then the right
        side broadcasts to the same shape as the left."""
        def ops_and_vars(p: Any) -> tuple[bool, set[str]]:
            ok, vs, stack = True, set(), [p]
            while stack:
                q = stack.pop()
                if isinstance(q, Var):
                    vs.add(q.name)
                elif isinstance(q, App):
                    ok = ok and OPS[q.op].kind == "elementwise"
                    stack.extend(q.args)
            return ok, vs

        lok, lv = ops_and_vars(self.lhs)
        rok, rv = ops_and_vars(self.rhs)
        return lok and rok and lv <= rv

    def compile(self, name: str, ruleset: str) -> list[tuple[str, str]]:
        """``[(egglog name, rule text)]`` for this direction."""
        if not isinstance(self.lhs, App):
            raise ValueError("the left side must be an op application")
        facts = [f"(= __root {self.pattern(self.lhs)})"]
        for g in self.rule.guards:
            facts += self.guard(g)
        facts += self.const_facts
        facts.append("(= __t (ty __root))")
        rhs_text = self.term(self.rhs)
        facts += self.rhs_facts
        tail = f":ruleset {ruleset} :name \"{{}}\""
        out = []

        def emit(egg_name: str, extra: list[str], action: str) -> None:
            body = " ".join(facts + extra)
            out.append((egg_name, f"(rule ({body}) ({action}) {tail.format(egg_name)})"))

        rhs = self.rhs
        if isinstance(rhs, Var):
            v = rhs_text
            emit(name, [f"(= __t (ty {v}))"], f"(union __root {v})")
            emit(f"{name}~b", [f"(= __tv (ty {v}))", "(!= __tv __t)", "(= __d (tydtype __t))",
                               "(= __d (tydtype __tv))", "(= __s (tyshape __t))"],
                 f"(union __root (BroadcastTo {v} __s))")
        elif isinstance(rhs, Const):
            c = rhs_text
            emit(name, ["(= __d (tydtype __t))", "(= 0 (tyrank __t))"], f"(union __root {c})")
            emit(f"{name}~b", ["(= __d (tydtype __t))", "(= __s (tyshape __t))",
                               "(> (tyrank __t) 0)"], f"(union __root (BroadcastTo {c} __s))")
        else:
            r = rhs_text
            extra = ["(= __d (tydtype __t))"] if self.uses_dtype else []
            if self._shape_safe():
                # A literal on the left matches a broadcast constant too (``cval``), whose
                # shape the right side drops: the plain form only where every such
                # constant is a scalar, a ``broadcast_to`` to the class's shape otherwise.
                scalar = [f"(= 0 (tyrank (ty {c})))" for c in self.const_vars]
                emit(name, extra + scalar, f"(union __root {r})")
                for k, c in enumerate(self.const_vars):
                    emit(f"{name}~c{k}", extra + [f"(> (tyrank (ty {c})) 0)",
                                                  "(= __s (tyshape __t))"],
                         f"(union __root (BroadcastTo {r} __s))")
            else:
                emit(name, extra + ["(= __s (tyshape __t))"],
                     f"(union __root (BroadcastTo {r} __s))")
        return out


def _census(p: Any) -> tuple[dict[str, int], dict[str, int]]:
    """How often each op and each variable occurs in a pattern."""
    ops: dict[str, int] = {}
    names: dict[str, int] = {}
    stack = [p]
    while stack:
        q = stack.pop()
        if isinstance(q, Var):
            names[q.name] = names.get(q.name, 0) + 1
        elif isinstance(q, App):
            ops[q.op] = ops.get(q.op, 0) + 1
            stack.extend(q.args)
    return ops, names


def grows(lhs: Any, rhs: Any) -> bool:
    """True for a rewrite that can grow the e-graph without bound, whatever its tags: one
    that rearranges the same ops over the same variables (commutativity, associativity),
    or whose right side uses a variable more often than its left (distributivity,
    ``x => (x + x) / 2``). Such directions of user rule files run under back-off with
    match limits, like rules tagged ``expansive``."""
    if not isinstance(lhs, App) or not isinstance(rhs, App):
        return False
    lops, lvars = _census(lhs)
    rops, rvars = _census(rhs)
    if lops == rops and lvars == rvars and lhs != rhs:
        return True
    return any(n > lvars.get(v, 0) for v, n in rvars.items())


def _vars(p: Any) -> set[str]:
    out, stack = set(), [p]
    while stack:
        q = stack.pop()
        if isinstance(q, Var):
            out.add(q.name)
        elif isinstance(q, App):
            stack.extend(q.args)
    return out


def compile_rules(rules: RuleSet, ieee: str = "finite") -> CompiledRules:
    """Compile every rewrite rule of ``rules`` for ``ieee`` ("finite" or "strict").

    Rules that cannot be expressed raise ``RuleError`` naming the rule's file and line.
    Under ``ieee="strict"`` only rules tagged ``strict`` are compiled; rules tagged
    ``fast`` as they are under ``ieee="fast"``, and under ``ieee="finite"`` as the
    magnitude-guarded variants of ``fast_guard`` (docs/soundness.md).
    """
    if ieee not in ("finite", "strict", "fast"):
        raise ValueError(f"ieee must be 'finite', 'strict' or 'fast', got {ieee!r}")
    out = CompiledRules(ieee=ieee)
    for source in rules.rules:
        if ieee == "strict" and "strict" not in source.tags:
            continue
        variants = [("", source)]
        if ieee != "fast" and "fast" in source.tags:
            # under ieee="finite": only where the analyses prove the magnitudes safe
            variants = finite_variants(source) if ieee == "finite" else []
        for suffix, rule in variants:
            _compile_rule(rule, suffix, ieee, out)
    return out


def _compile_rule(rule: Rule, suffix: str, ieee: str, out: CompiledRules) -> None:
    """Compile both directions of ``rule`` into ``out`` (egglog names get ``suffix``)."""
    phase = PHASE_OF.get(rule.ruleset, "canonicalize")
    directions = [(rule.name + suffix, rule.lhs, rule.rhs)]
    if rule.bidirectional:
        if isinstance(rule.rhs, App) and _vars(rule.lhs) <= _vars(rule.rhs):
            directions.append((f"{rule.name}<={suffix}", rule.rhs, rule.lhs))
        else:
            out.notes.append(f"{rule.name}: reverse direction skipped (its left side would "
                             "be a bare variable/constant or leave variables unbound)")
    for name, lhs, rhs in directions:
        expansive = "expansive" in rule.tags or (rule.ruleset not in CURATED
                                                 and grows(lhs, rhs))
        ruleset = f"{phase}-x" if expansive else phase
        try:
            parts = _Direction(rule, lhs, rhs, ieee, out.attr_literals).compile(name, ruleset)
        except Unsupported as exc:
            out.notes.append(f"{rule.source}:{rule.line}: rule {name} skipped: {exc}")
            continue
        except (ValueError, KeyError) as exc:
            raise RuleError(f"rule {rule.name}: {exc}", source=rule.source, line=rule.line,
                            col=1, text=rule.text) from None
        for egg_name, text in parts:
            out.rules.append(CompiledRule(egg_name, rule, phase, ruleset, text))


_CACHE: dict[Any, CompiledRules] = {}
_CACHE_LOCK = threading.Lock()


def compiled_rules(rules: RuleSet, ieee: str) -> tuple[Any, CompiledRules]:
    """``compile_rules(rules, ieee)``, cached per (rule set, ieee mode); returns the cache
    key (which also names the engine's cached egglog program) and the compiled rules."""
    try:
        key: Any = (rules, ieee)
        hash(key)
    except TypeError:
        key = (id(rules), ieee)
    with _CACHE_LOCK:
        got = _CACHE.get(key)
        if got is None:
            if len(_CACHE) > 32:
                _CACHE.clear()
            got = _CACHE[key] = compile_rules(rules, ieee)
    return key, got
