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
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import RuleError
from ..ir import DTYPES, OPS
from .ast import GUARD_KINDS, RULE_TAGS, VJP, App, Const, Guard, Rule, RuleSet, ShapeOf, Var

__all__ = ["parse_rules", "parse_pattern", "REQUIRED_ATTRS", "ATTR_DEFAULTS",
           "VJP_ATTR_HELPERS"]

# Defaults written into a pattern when an attribute is left out.
ATTR_DEFAULTS: dict[str, dict[str, Any]] = {
    **{op: {"axis": None, "keepdims": False}
       for op, spec in OPS.items() if spec.kind == "reduction"},
    "transpose": {"axes": None},
}
# Attributes a pattern must give.
REQUIRED_ATTRS: dict[str, tuple[str, ...]] = {
    "reshape": ("shape",), "broadcast_to": ("shape",), "expand_dims": ("axis",),
    "cast": ("dtype",),
}
# Tensor parameters that have no cotangent (the boolean condition of ``where``).
NONDIFF_PARAMS: dict[str, tuple[int, ...]] = {"where": (0,), "take": (1,), "take_along_axis": (1,),
                                            "scatter_add": (1,), "scatter_add_along": (1,)}

_GUARD_ARITY = {kind: (2 if kind == "same_shape" else 1) for kind in GUARD_KINDS}
_COMPARE_GUARD = {ast.NotEq: "nonzero", ast.Gt: "positive", ast.GtE: "nonnegative",
                  ast.Lt: "negative", ast.LtE: "nonpositive"}
# ``0 < x`` reads as ``x > 0``.
_FLIPPED = {ast.NotEq: ast.NotEq, ast.Gt: ast.Lt, ast.GtE: ast.LtE, ast.Lt: ast.Gt,
            ast.LtE: ast.GtE}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
           ast.MatMult: "matmul"}
_PY_OPS = {ast.FloorDiv: "//", ast.Mod: "%", ast.BitAnd: "&", ast.BitOr: "|",
           ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
# Named float constants (``x * inf``, ``maximum(x, -inf)``): never pattern variables.
NAMED_CONSTANTS = {"inf": math.inf, "nan": math.nan}
# Input limits: a longer line, or an expression nested deeper (brackets, operator chains
# such as a 10,000-term sum), is a RuleError at its position rather than a recursion or
# memory failure of the parser.
MAX_LINE_CHARS = 100_000
MAX_DEPTH = 200
_MAX_ATTR_INT = 2**31 - 1
_RULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VJP_RESERVED = ("g", "out")
# Attribute helpers a VJP body may call in attribute position, with the role of their one
# argument: ``inverse(p)`` is the inverse of the permutation bound to ``p``,
# ``swap_last(x)`` the permutation of ``x``'s axes that swaps the last two. They parse to
# ``App(helper, (Var(arg),))`` inside ``attrs``; the gradient driver evaluates them.
# ``part(x)``: the slices of a ``concatenate`` result that hold its operand ``x``.
# Attribute helpers a rewrite's right side may call, with their number of attribute-variable
# arguments: ``compose_slices(s, t)`` is the one ``slices`` equal to slicing by ``s``, then
# by ``t`` (the rule compiler looks it up in a table the type analysis fills).
RULE_ATTR_HELPERS: dict[str, int] = {"compose_slices": 2}
VJP_ATTR_HELPERS: dict[str, str] = {"inverse": "attr", "swap_last": "tensor", "part": "tensor"}


# --------------------------------------------------------------------------- positions

@dataclass(frozen=True)
class _Line:
    """One physical line of a rule file, for error messages."""

    source: str
    lineno: int
    text: str  # the full line, without the newline

    def error(self, message: str, col0: int) -> RuleError:
        """A RuleError pointing at 0-based column ``col0`` of this line."""
        col0 = max(0, min(col0, len(self.text)))
        return RuleError(message, source=self.source, line=self.lineno, col=col0 + 1,
                         text=self.text)


def _char_col(segment: str, byte_offset: int) -> int:
    """Convert an ``ast`` UTF-8 byte offset into ``segment`` to a character offset."""
    return len(segment.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _scan_top(text: str, start: int = 0):
    """Yield ``(index, char, depth)`` for characters outside string literals."""
    depth = 0
    quote = ""
    i = start
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        else:
            if c in "([{":
                depth += 1
            elif c in ")]}":
                depth -= 1
            yield i, c, depth
        i += 1


def _check_brackets(line: _Line, text: str) -> None:
    """Unbalanced brackets are reported where they are, before the line is split."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    for i, c, _ in _scan_top(text):
        if c in "([{":
            stack.append((c, i))
        elif c in pairs:
            if not stack or stack[-1][0] != pairs[c]:
                raise line.error(f"syntax error: unmatched '{c}'", i)
            stack.pop()
    if stack:
        c, i = stack[-1]
        raise line.error(f"syntax error: '{c}' was never closed", i)


def _strip_comment(text: str) -> str:
    for i, c, _ in _scan_top(text):
        if c == "#":
            return text[:i]
    return text


def _find_top(text: str, pattern: re.Pattern, start: int = 0) -> re.Match | None:
    """First match of ``pattern`` that starts outside strings and at bracket depth 0."""
    for i, c, depth in _scan_top(text, start):
        if depth == 0 and c not in ")]}":
            m = pattern.match(text, i)
            if m:
                return m
    return None


# --------------------------------------------------------------------------- expressions

class _Converter:
    """Turns one ``ast`` expression into patterns, with errors located in the file line.

    ``mode`` is ``"pattern"`` (rule sides), ``"guard"`` or ``"vjp"`` (VJP bodies)."""

    def __init__(self, line: _Line, segment: str, base: int, mode: str) -> None:
        self.line, self.segment, self.base, self.mode = line, segment, base, mode
        # name -> ("tensor" | "attr", col0 of first use)
        self.uses: dict[str, tuple[str, int]] = {}
        self.occurrences: list[tuple[str, str, int]] = []  # (name, role, col0)

    def col(self, node: ast.AST) -> int:
        return self.base + _char_col(self.segment, getattr(node, "col_offset", 0))

    def fail(self, message: str, node: ast.AST) -> RuleError:
        return self.line.error(message, self.col(node))

    def use(self, name: str, role: str, node: ast.AST) -> None:
        self.occurrences.append((name, role, self.col(node)))

    # -- tensor positions
    def tensor(self, node: ast.expr) -> Any:
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                sym = _PY_OPS.get(type(node.op), type(node.op).__name__)
                raise self.fail(f"operator {sym} is not supported in rules", node)
            return App(op, (self.tensor(node.left), self.tensor(node.right)))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                number = self.number(node.operand)
                if number is not None:
                    return Const(-number)
                return App("neg", (self.tensor(node.operand),))
            if isinstance(node.op, ast.UAdd):
                return self.tensor(node.operand)
            raise self.fail("operator 'not'/'~' is not supported in rules", node)
        if isinstance(node, ast.Constant):
            number = self.number(node)
            if number is None:
                raise self.fail(f"{node.value!r} is not a number; only numeric literals can "
                                "stand for tensors", node)
            return Const(number)
        if isinstance(node, ast.Name):
            if node.id in NAMED_CONSTANTS:
                return Const(NAMED_CONSTANTS[node.id])
            return self.variable(node, "tensor")
        if isinstance(node, ast.Attribute):
            if node.attr == "T":
                return App("transpose", (self.tensor(node.value),),
                           tuple(sorted(ATTR_DEFAULTS["transpose"].items())))
            raise self.fail(f"unsupported attribute .{node.attr} (only .T, the transpose, "
                            "is allowed)", node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Compare):
            raise self.fail("comparisons are only allowed in guards (after 'if'); use "
                            "less(x, y) etc. for comparison ops", node)
        if isinstance(node, ast.BoolOp):
            raise self.fail("'and'/'or' are only allowed in guards (after 'if')", node)
        raise self.fail(f"unsupported syntax ({type(node).__name__}) in a rule expression",
                        node)

    def number(self, node: ast.expr) -> float | None:
        """The float value of a numeric literal or named constant (None otherwise); a
        literal that overflows float64 (``1e999``, a 400-digit integer) is an error."""
        if isinstance(node, ast.Name) and node.id in NAMED_CONSTANTS:
            return NAMED_CONSTANTS[node.id]
        if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
                and not isinstance(node.value, bool)):
            try:
                value = float(node.value)
            except OverflowError:
                value = math.inf
            if not math.isfinite(value):
                raise self.fail("numeric literal overflows float64 (write inf for infinity)",
                                node)
            return value
        return None

    def variable(self, node: ast.Name, role: str) -> Var:
        name = node.id
        if name in NAMED_CONSTANTS:
            raise self.fail(f"'{name}' is a constant, not a pattern variable", node)
        if name in OPS:
            raise self.fail(f"'{name}' is an op; call it as {name}(...)", node)
        if not name[0].islower() and name[0] != "_":
            raise self.fail(f"pattern variables are lowercase identifiers, got '{name}'",
                            node)
        self.use(name, role, node)
        return Var(name)

    def call(self, node: ast.Call) -> App:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only op names can be called (e.g. exp(x))", node)
        name = node.func.id
        if name == "shape" and self.mode == "vjp":
            raise self.fail("shape(x) is only allowed as an attribute value, e.g. "
                            "broadcast_to(g, shape=shape(x))", node)
        spec = OPS.get(name)
        if spec is None or spec.kind == "leaf":
            hint = ""
            if name in GUARD_KINDS:
                hint = f" ({name} is a guard; guards go after 'if')"
            raise self.fail(f"unknown op '{name}'{hint}", node)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.fail("*args is not allowed in rules", arg)
        n_attrs = len(spec.attrs)
        if not (spec.arity <= len(node.args) <= spec.arity + n_attrs):
            want = (f"{spec.arity}" if not n_attrs
                    else f"{spec.arity} (plus up to {n_attrs} attribute(s) "
                         f"{', '.join(spec.attrs)})")
            raise self.fail(f"op '{name}' takes {want} argument(s), got {len(node.args)}",
                            node)
        args = tuple(self.tensor(a) for a in node.args[:spec.arity])
        attrs: dict[str, Any] = {}
        for attr_name, value in zip(spec.attrs, node.args[spec.arity:]):
            attrs[attr_name] = self.attr_kind(attr_name, value)
        for kw in node.keywords:
            if kw.arg is None:
                raise self.fail("**kwargs is not allowed in rules", kw)
            if kw.arg not in spec.attrs:
                have = ", ".join(spec.attrs) if spec.attrs else "none"
                raise self.fail(f"op '{name}' has no attribute '{kw.arg}' (its attributes: "
                                f"{have})", kw)
            if kw.arg in attrs:
                raise self.fail(f"attribute '{kw.arg}' of '{name}' given twice", kw)
            attrs[kw.arg] = self.attr_kind(kw.arg, kw.value)
        for attr_name, default in ATTR_DEFAULTS.get(name, {}).items():
            attrs.setdefault(attr_name, default)
        for attr_name in REQUIRED_ATTRS.get(name, ()):
            if attr_name not in attrs:
                raise self.fail(f"op '{name}' needs the attribute '{attr_name}'", node)
        return App(name, args, tuple(sorted(attrs.items())))

    # -- attribute positions
    def attr_kind(self, name: str, node: ast.expr) -> Any:
        """``attr_value`` checked against what attribute ``name`` holds: axes are ints,
        tuples of ints or None; ``keepdims`` a bool; ``shape`` a tuple of ints; ``dtype``
        a dtype name (a variable or a VJP helper fits any of them)."""
        value = self.attr_value(node)
        if isinstance(value, (Var, ShapeOf, App)):
            return value
        ok = {"axis": lambda v: v is None or type(v) is int or isinstance(v, tuple),
              "axes": lambda v: v is None or isinstance(v, tuple),
              "keepdims": lambda v: isinstance(v, bool),
              "shape": lambda v: isinstance(v, tuple),
              "dtype": lambda v: isinstance(v, str) and v in DTYPES}.get(name)
        if ok is not None and not ok(value):
            raise self.fail(f"attribute '{name}' cannot be {value!r}", node)
        return value

    def attr_value(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Name):
            return self.variable(node, "attr")
        if isinstance(node, ast.Constant):
            if type(node.value) is int and abs(node.value) > _MAX_ATTR_INT:
                raise self.fail(f"integer attribute out of range (|value| <= {_MAX_ATTR_INT})",
                                node)
            if node.value is None or isinstance(node.value, (bool, int, str)):
                return node.value
            raise self.fail(f"attribute values are variables, ints, bools, None, strings "
                            f"or tuples of ints, got {node.value!r}", node)
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
                and isinstance(node.operand, ast.Constant)
                and type(node.operand.value) is int):
            return -node.operand.value
        if isinstance(node, (ast.Tuple, ast.List)):
            items = []
            for elt in node.elts:
                v = self.attr_value(elt)
                if type(v) is not int:
                    raise self.fail("tuple attribute values hold ints only", elt)
                items.append(v)
            return tuple(items)
        if (self.mode == "vjp" and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name) and node.func.id == "shape"):
            if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Name):
                raise self.fail("shape(...) takes one parameter name, e.g. shape(x)", node)
            return ShapeOf(self.variable(node.args[0], "tensor"))
        if (self.mode != "vjp" and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name) and node.func.id in RULE_ATTR_HELPERS):
            helper = node.func.id  # (index) an attribute computed from bound ones
            if (len(node.args) != RULE_ATTR_HELPERS[helper] or node.keywords
                    or not all(isinstance(a, ast.Name) for a in node.args)):
                raise self.fail(f"{helper}(...) takes {RULE_ATTR_HELPERS[helper]} attribute "
                                "variables", node)
            return App(helper, tuple(self.variable(a, "attr") for a in node.args))
        if (self.mode == "vjp" and isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name) and node.func.id in VJP_ATTR_HELPERS):
            helper = node.func.id
            if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Name):
                raise self.fail(f"{helper}(...) takes one variable name", node)
            return App(helper, (self.variable(node.args[0], VJP_ATTR_HELPERS[helper]),))
        raise self.fail("attribute values are variables, ints, bools, None, strings or "
                        "tuples of ints" + (", shape(x), inverse(p), swap_last(x) or part(x)"
                                            if self.mode == "vjp" else ""),
                        node)

    # -- guards
    def guards(self, node: ast.expr) -> tuple[Guard, ...]:
        if isinstance(node, ast.BoolOp):
            if not isinstance(node.op, ast.And):
                raise self.fail("guards are joined with 'and' only", node)
            out: list[Guard] = []
            for v in node.values:
                out.extend(self.guards(v))
            return tuple(out)
        return (self.guard_atom(node),)

    def guard_atom(self, node: ast.expr) -> Guard:
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.fail("chained comparisons are not supported in guards; "
                                "join atoms with 'and'", node)
            op, left, right = type(node.ops[0]), node.left, node.comparators[0]
            if self.number(left) is not None and self.number(right) is None:
                op, left, right = _FLIPPED.get(op, op), right, left
            kind = _COMPARE_GUARD.get(op)
            if kind is None:
                raise self.fail("unknown guard: comparisons in guards are !=, >, >=, <, <= "
                                "against 0", node)
            if self.number(right) != 0.0:
                raise self.fail("unknown guard: guards compare a variable with 0 "
                                "(x != 0, x > 0, x >= 0, x < 0, x <= 0)", right)
            return Guard(kind, (self.guard_arg(left),))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            kind = node.func.id
            if kind not in GUARD_KINDS:
                raise self.fail(f"unknown guard '{kind}' (guards: x != 0, x > 0, x >= 0, "
                                f"x < 0, x <= 0, {', '.join(k + '(...)' for k in GUARD_KINDS)})",
                                node)
            if node.keywords or len(node.args) != _GUARD_ARITY[kind]:
                raise self.fail(f"guard '{kind}' takes {_GUARD_ARITY[kind]} variable(s)", node)
            return Guard(kind, tuple(self.guard_arg(a) for a in node.args))
        raise self.fail("unknown guard (guards: x != 0, x > 0, x >= 0, x < 0, x <= 0, "
                        f"{', '.join(k + '(...)' for k in GUARD_KINDS)})", node)

    def guard_arg(self, node: ast.expr) -> Var:
        if not isinstance(node, ast.Name):
            raise self.fail("guard arguments are pattern variables bound on the left side",
                            node)
        return self.variable(node, "tensor")


def _parse_expr(line: _Line, start: int, end: int, what: str) -> tuple[ast.expr, str, int]:
    """``ast``-parse ``line.text[start:end]``; return (node, segment, base column)."""
    raw = line.text[start:end]
    stripped = raw.lstrip()
    base = start + (len(raw) - len(stripped))
    segment = stripped.rstrip()
    if not segment:
        raise line.error(f"syntax error: missing {what}", start)
    try:
        tree = ast.parse(segment, mode="eval")
    except SyntaxError as e:
        offset = (e.offset or 1) - 1 if e.lineno in (None, 1) else len(segment)
        if offset <= 0 and e.msg == "invalid syntax":
            offset = len(segment)  # CPython reports some errors at offset 0
        raise line.error(f"syntax error in {what}: {e.msg}",
                         base + min(offset, len(segment))) from None
    except (RecursionError, MemoryError):
        raise line.error(f"{what} is nested too deeply (more than {MAX_DEPTH} levels)",
                         base) from None
    except ValueError as e:  # e.g. a NUL character
        raise line.error(f"syntax error in {what}: {e}", base) from None
    _check_depth(line, tree.body, segment, base, what)
    return tree.body, segment, base


def _check_depth(line: _Line, root: ast.expr, segment: str, base: int, what: str) -> None:
    """Iteratively measure the nesting of ``root``: the converters recurse over it."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            col = base + _char_col(segment, getattr(node, "col_offset", 0))
            raise line.error(f"{what} is nested too deeply (more than {MAX_DEPTH} levels)",
                             col)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


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
            line = _Line(self.source, lineno, raw.rstrip("\r"))
            if len(line.text) > MAX_LINE_CHARS:
                raise RuleError(f"line too long ({len(line.text)} characters, at most "
                                f"{MAX_LINE_CHARS})", source=self.source, line=lineno,
                                col=MAX_LINE_CHARS + 1)
            body = _strip_comment(line.text)
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
            _check_brackets(line, body)
            m = _IDENT.match(body, start)
            keyword = m.group(0) if m else ""
            if keyword == "rule":
                self.rule(line, body, m.end())
            elif keyword == "vjp":
                self.vjp(line, body, m.end())
            else:
                raise line.error("syntax error: expected 'rule NAME: LHS => RHS' or "
                                 "'vjp OP(args): dx = ...'", start)

    # -- rule NAME [tags]: LHS => RHS if GUARD
    def rule(self, line: _Line, body: str, pos: int) -> None:
        pos = _skip_ws(body, pos)
        m = _RULE_NAME.match(body, pos)
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
        sep = _find_top(body, _SEP, pos)
        if sep is None:
            raise line.error("syntax error: expected '=>' or '<=>' between the left and "
                             "right side", len(body.rstrip()))
        bidirectional = sep.group(0) == "<=>"
        guard_m = _find_top(body, _IF, sep.end())
        rhs_end = guard_m.start() if guard_m else len(body)

        lhs_node, lhs_seg, lhs_base = _parse_expr(line, pos, sep.start(), "the left side")
        rhs_node, rhs_seg, rhs_base = _parse_expr(line, sep.end(), rhs_end, "the right side")
        lhs_conv = _Converter(line, lhs_seg, lhs_base, "pattern")
        lhs = lhs_conv.tensor(lhs_node)
        rhs_conv = _Converter(line, rhs_seg, rhs_base, "pattern")
        rhs = rhs_conv.tensor(rhs_node)
        guards: tuple[Guard, ...] = ()
        guard_conv = None
        if guard_m is not None:
            g_node, g_seg, g_base = _parse_expr(line, guard_m.end(), len(body), "the guard")
            guard_conv = _Converter(line, g_seg, g_base, "guard")
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
    def vjp(self, line: _Line, body: str, pos: int) -> None:
        colon = _find_top(body, _COLON, pos)
        if colon is None:
            raise line.error("syntax error: expected ':' after 'vjp OP(params)'",
                             len(body.rstrip()))
        head, head_seg, head_base = _parse_expr(line, pos, colon.start(), "the vjp head")
        conv = _Converter(line, head_seg, head_base, "vjp")
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
            if a.id in _VJP_RESERVED:
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
                    or v.id in param_cols or v.id in _VJP_RESERVED
                    or v.id in attr_vars.values()):
                raise conv.fail("malformed vjp: an attribute is bound to a fresh lowercase "
                                "variable (e.g. axis=a)", v)
            attr_vars[kw.arg] = v.id
        if op in self.seen_vjps:
            first = self.seen_vjps[op]
            raise conv.fail(f"duplicate vjp for op '{op}' (first defined at "
                            f"{first.source}:{first.line})", head)

        tensor_names = set(params) | set(_VJP_RESERVED)
        attr_names = set(attr_vars.values())
        grads: dict[str, Any] = {}
        parts: list[tuple[int, int]] = []
        start = colon.end()
        while True:
            semi = _find_top(body, _SEMI, start)
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
            node, seg, base = _parse_expr(line, m.end(), end, f"the expression for {name}")
            expr_conv = _Converter(line, seg, base, "vjp")
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


def _check_roles(line: _Line, convs: list[_Converter]) -> None:
    """A name is either a tensor variable or an attribute variable, never both."""
    roles: dict[str, str] = {}
    for conv in convs:
        for name, role, col in conv.occurrences:
            if roles.setdefault(name, role) != role:
                what = "an attribute value" if role == "attr" else "a tensor"
                raise line.error(f"'{name}' is used both as a tensor and as an attribute "
                                 f"value; here as {what}", col)


def _check_bound(line: _Line, conv: _Converter, bound: set[str], where: str,
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
    seen_rules = {r.name: r for r in seen.rules} if seen is not None else {}
    seen_vjps = {v.op: v for v in seen.vjps} if seen is not None else {}
    p = _FileParser(text, source, ruleset, seen_rules, seen_vjps)
    p.run()
    return RuleSet(ruleset, tuple(p.rules), tuple(p.vjps), (source,))


def parse_pattern(text: str, *, source: str = "<pattern>") -> Any:
    """Parse one pattern expression such as ``"log(1 + x)"`` (handy in tests and tools)."""
    line = _Line(source, 1, text)
    node, seg, base = _parse_expr(line, 0, len(text), "the pattern")
    return _Converter(line, seg, base, "pattern").tensor(node)
