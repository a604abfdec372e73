"""Parser for rule files: text in, ``RuleSet`` out, ``RuleError`` with file:line:col otherwise.

A rule file holds one declaration a line (blank lines and ``#`` comments are skipped; a
trailing ``# comment`` is allowed after a declaration)::

    rule NAME [tag, ...]: LHS => RHS [if GUARD and GUARD ...]
    rule NAME [tag, ...]: LHS <=> RHS [if GUARD ...]
    vjp OP(params..., attr=var...): dx = EXPR; dy = EXPR

The line structure (keyword, name, tags, ``=>``, ``if``, ``;``) is split by a small scanner;
the expression parts are parsed with Python's ``ast`` module (``mode="eval"``) and converted
node by node into ``Var``/``Const``/``App`` patterns. Nothing is ever evaluated: a call is
only accepted when its name is an op in ``ir.OPS`` (or a guard / ``shape`` where those are
allowed), so ``__import__('os')`` is an unknown-op error.

Expression syntax: ``+ - * / ** @``, unary ``-`` (``-2`` folds into ``Const(-2.0)``), numbers,
lowercase variables, ``x.T`` (``transpose(x)``), and op calls with attributes given by
keyword (``sum(x, axis=a, keepdims=k)``) or positionally after the tensor arguments
(``expand_dims(g, a)``). Attribute values are variables (which bind the attribute) or
literals: ints, bools, None, strings, tuples of ints. An attribute left out takes the op's
default, written explicitly into the pattern: reductions ``axis=None`` (all axes),
``keepdims=False``; ``transpose`` ``axes=None`` (reversed). ``reshape``/``broadcast_to``
need ``shape``, ``expand_dims`` needs ``axis``, ``cast`` needs ``dtype``.

Guards: ``x != 0``, ``x > 0``, ``x >= 0``, ``x < 0``, ``x <= 0`` (also ``0 < x`` etc.), and
calls ``finite(x)``, ``same_shape(x, y)``, ``scalar(x)``, ``const(x)`` (any name in
``GUARD_KINDS`` may be called), joined with ``and``. Guard arguments are variables bound on
the left side.

VJP bodies: ``g`` is the incoming cotangent, ``out`` the forward result; ``shape(x)`` is
``ShapeOf(Var("x"))`` and only allowed as an attribute value. Each tensor parameter ``x``
needs exactly one cotangent ``dx`` (except the boolean condition of ``where``).

Columns in errors are 1-based, like editors show them.
"""
from __future__ import annotations

import ast
import re
from typing import Any

from ..errors import RuleError
from ..ir import OPS
from . import cache
from .ast import RULE_TAGS, VJP, Const, Guard, Rule, RuleSet, Var
from .expressions import (
    ATTR_DEFAULTS,
    IDENT,
    MAX_LINE_CHARS,
    NONDIFF_PARAMS,
    REQUIRED_ATTRS,
    RULE_NAME,
    VJP_ATTR_HELPERS,
    VJP_RESERVED,
    Converter,
    Line,
    check_brackets,
    find_top,
    parse_expr,
    strip_comment,
)

# Rule texts this long or longer are cached parsed on disk (``rulelang.cache``).
CACHE_MIN_CHARS = 4096

__all__ = ["parse_rules", "parse_pattern", "REQUIRED_ATTRS", "ATTR_DEFAULTS",
           "VJP_ATTR_HELPERS"]


# --------------------------------------------------------------------------- declarations

_SEP = re.compile(r"<=>|=>")
_IF = re.compile(r"(?<![A-Za-z0-9_.])if\b")
_COLON = re.compile(r":")
_SEMI = re.compile(r";")
_SECTION = re.compile(r"-{2,}|={2,}")


class _FileParser:
    def __init__(self, text: str, source: str, ruleset: str,
                 seen_rules: dict[str, Rule], seen_vjps: dict[str, VJP]) -> None:
        self.text, self.source, self.ruleset = text, source, ruleset
        self.seen_rules, self.seen_vjps = seen_rules, seen_vjps
        self.rules: list[Rule] = []
        self.vjps: list[VJP] = []
        self.doc = ""

    def run(self) -> None:
        pending: list[str] = []  # comment lines above the next declaration
        for lineno, raw in enumerate(self.text.splitlines(), start=1):
            line = Line(self.source, lineno, raw.rstrip("\r"))
            if len(line.text) > MAX_LINE_CHARS:
                raise RuleError(f"line too long ({len(line.text)} characters, at most "
                                f"{MAX_LINE_CHARS})", source=self.source, line=lineno,
                                col=MAX_LINE_CHARS + 1)
            body = strip_comment(line.text)
            comment = line.text[len(body):].lstrip("#").strip()
            if not body.strip():
                if not comment or _SECTION.match(comment):
                    pending = []  # a blank line or a "# ---- section ----" header
                else:
                    pending.append(comment)
                continue
            self.doc = " ".join(pending + ([comment] if comment else []))
            pending = []
            start = len(body) - len(body.lstrip())
            check_brackets(line, body)
            m = IDENT.match(body, start)
            keyword = m.group(0) if m else ""
            if keyword == "rule":
                self.rule(line, body, m.end())
            elif keyword == "vjp":
                self.vjp(line, body, m.end())
            else:
                raise line.error("syntax error: expected 'rule NAME: LHS => RHS' or "
                                 "'vjp OP(args): dx = ...'", start)

    # -- rule NAME [tags]: LHS => RHS if GUARD
    def rule(self, line: Line, body: str, pos: int) -> None:
        pos = _skip_ws(body, pos)
        m = RULE_NAME.match(body, pos)
        if not m or pos == len(body):
            raise line.error("syntax error: expected a rule name after 'rule'", pos)
        name, name_col = m.group(0), pos
        pos = _skip_ws(body, m.end())
        tags: list[str] = []
        if pos < len(body) and body[pos] == "[":
            close = body.find("]", pos)
            if close < 0:
                raise line.error("syntax error: '[' of the tag list is never closed", pos)
            col = pos + 1
            for part in body[pos + 1:close].split(","):
                tag = part.strip()
                tag_col = col + (len(part) - len(part.lstrip()))
                col += len(part) + 1
                if not tag:
                    if body[pos + 1:close].strip():  # "[a,,b]"; "[]" is no tags
                        raise line.error("syntax error: empty tag", tag_col)
                    continue
                if tag not in RULE_TAGS:
                    raise line.error(f"unknown tag '{tag}' (tags: {', '.join(RULE_TAGS)})",
                                     tag_col)
                tags.append(tag)
            pos = _skip_ws(body, close + 1)
        if pos >= len(body) or body[pos] != ":":
            raise line.error(f"syntax error: expected ':' after the rule name '{name}'", pos)
        pos += 1
        sep = find_top(body, _SEP, pos)
        if sep is None:
            raise line.error("syntax error: expected '=>' or '<=>' between the left and "
                             "right side", len(body.rstrip()))
        bidirectional = sep.group(0) == "<=>"
        guard_m = find_top(body, _IF, sep.end())
        rhs_end = guard_m.start() if guard_m else len(body)

        lhs_node, lhs_seg, lhs_base = parse_expr(line, pos, sep.start(), "the left side")
        rhs_node, rhs_seg, rhs_base = parse_expr(line, sep.end(), rhs_end, "the right side")
        lhs_conv = Converter(line, lhs_seg, lhs_base, "pattern")
        lhs = lhs_conv.tensor(lhs_node)
        rhs_conv = Converter(line, rhs_seg, rhs_base, "pattern")
        rhs = rhs_conv.tensor(rhs_node)
        guards: tuple[Guard, ...] = ()
        guard_conv = None
        if guard_m is not None:
            g_node, g_seg, g_base = parse_expr(line, guard_m.end(), len(body), "the guard")
            guard_conv = Converter(line, g_seg, g_base, "guard")
            guards = guard_conv.guards(g_node)

        for side, conv, which in ((lhs, lhs_conv, "left"), (rhs, rhs_conv, "right")):
            if which == "left" or bidirectional:
                if isinstance(side, Var):
                    raise line.error(f"the {which} side is a bare variable; it would match "
                                     "everything (write it the other way round)",
                                     conv.base)
                if isinstance(side, Const):
                    raise line.error(f"the {which} side is a bare constant; a rule's left "
                                     "side must be an op application", conv.base)
        _check_roles(line, [lhs_conv, rhs_conv] + ([guard_conv] if guard_conv else []))
        lhs_names = {n for n, _, _ in lhs_conv.occurrences}
        rhs_names = {n for n, _, _ in rhs_conv.occurrences}
        _check_bound(line, rhs_conv, lhs_names, "right side", "left side")
        if bidirectional:
            _check_bound(line, lhs_conv, rhs_names, "left side",
                         "right side (a <=> rule is used in both directions)")
        if guard_conv is not None:
            bound = lhs_names & rhs_names if bidirectional else lhs_names
            _check_bound(line, guard_conv, bound, "guard",
                         "both sides" if bidirectional else "left side")

        if name in self.seen_rules:
            first = self.seen_rules[name]
            raise line.error(f"duplicate rule name '{name}' (first defined at "
                             f"{first.source}:{first.line})", name_col)
        rule = Rule(name=name, lhs=lhs, rhs=rhs, guards=guards, bidirectional=bidirectional,
                    tags=frozenset(tags), ruleset=self.ruleset, source=self.source,
                    line=line.lineno, text=body.strip(), doc=self.doc)
        self.seen_rules[name] = rule
        self.rules.append(rule)

    # -- vjp OP(params, attr=a): dx = ...; dy = ...
    def vjp(self, line: Line, body: str, pos: int) -> None:
        colon = find_top(body, _COLON, pos)
        if colon is None:
            raise line.error("syntax error: expected ':' after 'vjp OP(params)'",
                             len(body.rstrip()))
        head, head_seg, head_base = parse_expr(line, pos, colon.start(), "the vjp head")
        conv = Converter(line, head_seg, head_base, "vjp")
        if not isinstance(head, ast.Call) or not isinstance(head.func, ast.Name):
            raise conv.fail("malformed vjp: expected 'vjp OP(params..., attr=var...)'", head)
        op = head.func.id
        spec = OPS.get(op)
        if spec is None or spec.kind == "leaf":
            raise conv.fail(f"malformed vjp: unknown op '{op}'", head)
        if "differentiable" not in spec.tags:
            raise conv.fail(f"malformed vjp: op '{op}' is not differentiable", head)
        if len(head.args) != spec.arity:
            raise conv.fail(f"malformed vjp: op '{op}' takes {spec.arity} tensor "
                            f"parameter(s), got {len(head.args)}", head)
        params: list[str] = []
        param_cols: dict[str, int] = {}
        for a in head.args:
            if not isinstance(a, ast.Name) or not _is_var_name(a.id) or a.id in OPS:
                raise conv.fail("malformed vjp: parameters are lowercase names", a)
            if a.id in VJP_RESERVED:
                raise conv.fail(f"malformed vjp: '{a.id}' is reserved (g is the incoming "
                                "cotangent, out the forward result)", a)
            if a.id in param_cols:
                raise conv.fail(f"malformed vjp: parameter '{a.id}' given twice", a)
            params.append(a.id)
            param_cols[a.id] = conv.col(a)
        attr_vars: dict[str, str] = {}
        for kw in head.keywords:
            if kw.arg is None or kw.arg not in spec.attrs:
                have = ", ".join(spec.attrs) if spec.attrs else "none"
                raise conv.fail(f"malformed vjp: op '{op}' has no attribute '{kw.arg}' "
                                f"(its attributes: {have})", kw)
            if kw.arg in attr_vars:
                raise conv.fail(f"malformed vjp: attribute '{kw.arg}' given twice", kw)
            v = kw.value
            if (not isinstance(v, ast.Name) or not _is_var_name(v.id) or v.id in OPS
                    or v.id in param_cols or v.id in VJP_RESERVED
                    or v.id in attr_vars.values()):
                raise conv.fail("malformed vjp: an attribute is bound to a fresh lowercase "
                                "variable (e.g. axis=a)", v)
            attr_vars[kw.arg] = v.id
        if op in self.seen_vjps:
            first = self.seen_vjps[op]
            raise conv.fail(f"duplicate vjp for op '{op}' (first defined at "
                            f"{first.source}:{first.line})", head)

        tensor_names = set(params) | set(VJP_RESERVED)
        attr_names = set(attr_vars.values())
        grads: dict[str, Any] = {}
        parts: list[tuple[int, int]] = []
        start = colon.end()
        while True:
            semi = find_top(body, _SEMI, start)
            end = semi.start() if semi else len(body)
            parts.append((start, end))
            if semi is None:
                break
            start = semi.end()
        for start, end in parts:
            if not body[start:end].strip():
                continue
            m = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)").match(body, start)
            if not m or m.end() > end:
                raise line.error("malformed vjp: expected 'dPARAM = EXPR'",
                                 _skip_ws(body, start))
            name, name_col = m.group(1), m.start(1)
            param = name[1:] if name.startswith("d") else ""
            if param not in param_cols:
                raise line.error(f"malformed vjp: '{name}' is not the cotangent of a "
                                 f"parameter of {op}({', '.join(params)}) (write "
                                 f"{' or '.join('d' + p for p in params)})", name_col)
            if param in grads:
                raise line.error(f"malformed vjp: cotangent '{name}' given twice", name_col)
            node, seg, base = parse_expr(line, m.end(), end, f"the expression for {name}")
            expr_conv = Converter(line, seg, base, "vjp")
            expr = expr_conv.tensor(node)
            for var, role, col in expr_conv.occurrences:
                if role == "attr" and var in tensor_names - attr_names:
                    raise line.error(f"'{var}' is a tensor; it cannot be an attribute value",
                                     col)
                if role == "tensor" and var in attr_names:
                    raise line.error(f"'{var}' is an attribute variable; it cannot be used as "
                                     "a tensor", col)
                if var not in tensor_names and var not in attr_names:
                    raise line.error(f"malformed vjp: unbound name '{var}' (a vjp body may "
                                     f"use the parameters {', '.join(params)}, the attribute "
                                     "variables, g and out)", col)
            grads[param] = expr
        nondiff = {params[i] for i in NONDIFF_PARAMS.get(op, ())}
        for p in params:
            if p not in grads and p not in nondiff:
                raise line.error(f"malformed vjp: no cotangent for the parameter '{p}' of "
                                 f"{op} (add 'd{p} = ...')", param_cols[p])
        vjp = VJP(op=op, params=tuple(params),
                  attrs=tuple(f"{k}={v}" for k, v in attr_vars.items()),
                  grads=tuple((p, grads[p]) for p in params if p in grads),
                  ruleset=self.ruleset, source=self.source, line=line.lineno,
                  text=body.strip(), attr_vars=tuple(sorted(attr_vars.items())), doc=self.doc)
        self.seen_vjps[op] = vjp
        self.vjps.append(vjp)


def _is_var_name(name: str) -> bool:
    return bool(name) and (name[0].islower() or name[0] == "_")


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _check_roles(line: Line, convs: list[Converter]) -> None:
    """A name is either a tensor variable or an attribute variable, never both."""
    roles: dict[str, str] = {}
    for conv in convs:
        for name, role, col in conv.occurrences:
            if roles.setdefault(name, role) != role:
                what = "an attribute value" if role == "attr" else "a tensor"
                raise line.error(f"'{name}' is used both as a tensor and as an attribute "
                                 f"value; here as {what}", col)


def _check_bound(line: Line, conv: Converter, bound: set[str], where: str,
                 binder: str) -> None:
    for name, _, col in conv.occurrences:
        if name not in bound:
            raise line.error(f"unbound variable '{name}' on the {where}: it does not appear "
                             f"on the {binder}", col)


# --------------------------------------------------------------------------- public

def parse_rules(text: str, *, source: str = "<rules>", ruleset: str = "user",
                seen: RuleSet | None = None) -> RuleSet:
    """Parse rule-file ``text`` into a ``RuleSet`` named ``ruleset``.

    ``source`` names the text in errors (``file:line:col``). ``seen`` is a RuleSet already
    loaded alongside this one: a rule name or VJP op defined in both is a duplicate.
    Raises ``RuleError`` for the first malformed line."""
    entry = None
    if len(text) >= CACHE_MIN_CHARS and cache.enabled():  # (small texts parse in no time)
        entry = cache.key(text, source, ruleset, seen)
        got = cache.load(entry)
        if got is not None:
            return got
    seen_rules = {r.name: r for r in seen.rules} if seen is not None else {}
    seen_vjps = {v.op: v for v in seen.vjps} if seen is not None else {}
    p = _FileParser(text, source, ruleset, seen_rules, seen_vjps)
    p.run()
    out = RuleSet(ruleset, tuple(p.rules), tuple(p.vjps), (source,))
    if entry is not None:
        cache.store(entry, out)
    return out


def parse_pattern(text: str, *, source: str = "<pattern>") -> Any:
    """Parse one pattern expression such as ``"log(1 + x)"`` (handy in tests and tools)."""
    line = Line(source, 1, text)
    node, seg, base = parse_expr(line, 0, len(text), "the pattern")
    return Converter(line, seg, base, "pattern").tensor(node)
