"""Rule-file expressions: positions in a line (``Line``), the bracket scanner, and the
conversion of Python ``ast`` expressions into ``Var``/``Const``/``App`` patterns and guards.

``parser`` splits a declaration into its parts and hands each expression part here. The
syntax is described in ``parser``'s docstring; the tables of attribute defaults and
required attributes, guard comparisons and input limits live here.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import RuleError
from ..ir import DTYPES, OPS
from ..ir.attr_helpers import HELPERS as ATTR_HELPERS
from .ast import GUARD_KINDS, App, Const, Guard, ShapeOf, Var

__all__ = ["ATTR_DEFAULTS", "MAX_DEPTH", "MAX_LINE_CHARS", "NAMED_CONSTANTS", "NONDIFF_PARAMS",
           "REQUIRED_ATTRS", "RULE_ATTR_HELPERS", "VJP_ATTR_HELPERS", "Converter", "Line",
           "parse_expr"]

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

_GUARD_ARITY = {kind: (2 if kind in ("same_shape", "abs_le") else 1) for kind in GUARD_KINDS}
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
RULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
VJP_RESERVED = ("g", "out")
# Attribute helpers a VJP body may call in attribute position, with the role of their one
# argument: ``inverse(p)`` is the inverse of the permutation bound to ``p``,
# ``swap_last(x)`` the permutation of ``x``'s axes that swaps the last two. They parse to
# ``App(helper, (Var(arg),))`` inside ``attrs``; the gradient driver evaluates them.
# ``part(x)``: the slices of a ``concatenate`` result that hold its operand ``x``.
# Attribute helpers a rewrite's right side may call, with their number of attribute-variable
# arguments: ``compose_slices(s, t)`` is the one ``slices`` equal to slicing by ``s``, then
# by ``t``; the others are declared in ``ir/attr_helpers.py`` (the rule compiler looks each
# up in a table the type analysis fills).
RULE_ATTR_HELPERS: dict[str, int] = {h.name: len(h.args) for h in ATTR_HELPERS.values()}
VJP_ATTR_HELPERS: dict[str, str] = {"inverse": "attr", "swap_last": "tensor", "part": "tensor"}


# --------------------------------------------------------------------------- positions

@dataclass(frozen=True)
class Line:
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


# Text without quote characters has no string literals: the scans below then look at the
# brackets (or the pattern's matches) only, found by ``re``, instead of every character.
_BRACKET = re.compile(r"[()\[\]{}]")


def _quoted(text: str) -> bool:
    return "'" in text or '"' in text


def check_brackets(line: Line, text: str) -> None:
    """Unbalanced brackets are reported where they are, before the line is split."""
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    found = (((m.start(), m.group(), 0) for m in _BRACKET.finditer(text))
             if not _quoted(text) else _scan_top(text))
    for i, c, _ in found:
        if c in "([{":
            stack.append((c, i))
        elif c in pairs:
            if not stack or stack[-1][0] != pairs[c]:
                raise line.error(f"syntax error: unmatched '{c}'", i)
            stack.pop()
    if stack:
        c, i = stack[-1]
        raise line.error(f"syntax error: '{c}' was never closed", i)


def strip_comment(text: str) -> str:
    """``text`` up to its first ``#`` outside a string literal."""
    if not _quoted(text):
        i = text.find("#")
        return text if i < 0 else text[:i]
    for i, c, _ in _scan_top(text):
        if c == "#":
            return text[:i]
    return text


def find_top(text: str, pattern: re.Pattern, start: int = 0) -> re.Match | None:
    """First match of ``pattern`` that starts outside strings and at bracket depth 0."""
    if not _quoted(text):
        pos = start
        while (m := pattern.search(text, pos)) is not None:
            p = m.start()
            if text[p] not in "()[]{}":
                before = text[start:p]
                opens = before.count("(") + before.count("[") + before.count("{")
                if opens == before.count(")") + before.count("]") + before.count("}"):
                    return m
            pos = p + 1
        return None
    for i, c, depth in _scan_top(text, start):
        if depth == 0 and c not in ")]}":
            m = pattern.match(text, i)
            if m:
                return m
    return None


# --------------------------------------------------------------------------- expressions

class Converter:
    """Turns one ``ast`` expression into patterns, with errors located in the file line.

    ``mode`` is ``"pattern"`` (rule sides), ``"guard"`` or ``"vjp"`` (VJP bodies)."""

    def __init__(self, line: Line, segment: str, base: int, mode: str) -> None:
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


def parse_expr(line: Line, start: int, end: int, what: str) -> tuple[ast.expr, str, int]:
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
    if len(segment) + 3 > MAX_DEPTH:  # (shorter: cannot nest that deep, see _check_depth)
        _check_depth(line, tree.body, segment, base, what)
    return tree.body, segment, base


def _check_depth(line: Line, root: ast.expr, segment: str, base: int, what: str) -> None:
    """Iteratively measure the nesting of ``root``: the converters recurse over it.

    Each level of nesting takes at least one character of its own (an operator, bracket,
    dot, comma or ``=``), plus the leaf, its context and operator nodes: a segment of n
    characters nests at most n + 3 levels, so ``parse_expr`` measures long ones only."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            col = base + _char_col(segment, getattr(node, "col_offset", 0))
            raise line.error(f"{what} is nested too deeply (more than {MAX_DEPTH} levels)",
                             col)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
