"""FPCore (FPBench's format for floating-point benchmarks) to and from graphs.

``from_fpcore(text)`` reads one ``(FPCore (args...) :prop value ... body)`` and returns
``(graph, info)``:

- ``graph``: a ``Graph`` with one scalar input per argument (float64, or float32 under
  ``:precision binary32``) and one output. ``let`` and ``let*`` become shared nodes,
  ``if`` becomes ``where`` (``and``/``or``/``not`` in conditions become nested
  ``where``s), comparisons (also chained, ``(< a b c)``) become comparison ops, math
  functions map to ops (``fabs`` -> ``abs``, ``asin`` -> ``arcsin``, ``fmax`` ->
  ``maximum``...). Functions without an op are written with ops: ``asinh``, ``acosh``,
  ``atanh`` (by their log formulas), ``fma(a, b, c)`` -> ``a*b + c`` (two roundings),
  ``copysign``, ``fdim``. Literals (decimals, rationals ``1/3``, hex floats) and named
  constants (``PI``, ``E``, ...) are rounded to the working precision.
- ``info``: an ``FPCoreInfo`` with ``name``, ``arguments``, ``properties`` (raw text of
  every ``:key``), ``precision``, ``pre`` (the ``:pre`` text) and ``precondition``, a
  dict ``{"x": (lo, hi)}`` of box bounds read from the ``:pre`` conjuncts (``(<= lo x
  hi)``, ``(< x hi)``, ``(>= x lo)``, ``(<= (fabs x) hi)``, ``or`` of boxes as their
  hull). A side the precondition leaves open is filled FPBench-style (``±1e3``, see
  ``open_side``) so the box can be sampled. ``info.condition(samples)`` evaluates the
  whole ``:pre`` on NumPy arrays (a bool mask) for what a box cannot say, e.g.
  ``(<= (+ x1 x2) 2)``; pass it to ``mpeval.sample_inputs(..., condition=...)``.

``to_fpcore(graph, name=None, precondition=None)`` writes a scalar single-output graph
back as FPCore, with shared sub-expressions as ``let*`` bindings.

Loops, arrays (``tensor``, ``for``, ``while``) and integer functions (``floor``,
``fmod``...) are not graph ops: they raise ``UnsupportedOperation`` naming the operator
and its ``line:col``. Nothing in the text is evaluated as code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..errors import GraphFormatError, UnsupportedOperation
from ..ir import OPS, Graph, Node, apply, constant_node, input_node, ops_named_in
from .sexpr import Num, Str, Sym, read_all, to_text, where

# FPCore operator -> op name of the same arity, from the ops table's FPCore names (a name
# with "{0}" is the op written as an FPCore expression: written, never read).
FP_TO_OP = {n: op for n, op in ops_named_in("fpcore").items()
            if "comparison" not in OPS[op].tags and "{0}" not in n}
COMPARISONS = {n: op for n, op in ops_named_in("fpcore").items()
               if "comparison" in OPS[op].tags}
CONSTANTS = {
    "E": math.e, "LOG2E": 1 / math.log(2), "LOG10E": 1 / math.log(10), "LN2": math.log(2),
    "LN10": math.log(10), "PI": math.pi, "PI_2": math.pi / 2, "PI_4": math.pi / 4,
    "M_1_PI": 1 / math.pi, "M_2_PI": 2 / math.pi, "M_2_SQRTPI": 2 / math.sqrt(math.pi),
    "SQRT2": math.sqrt(2), "SQRT1_2": math.sqrt(0.5), "INFINITY": math.inf, "NAN": math.nan,
}
UNSUPPORTED = {"floor", "ceil", "round", "trunc", "nearbyint", "fmod", "remainder", "erf",
               "erfc", "tgamma", "lgamma", "isfinite", "isinf", "isnan", "isnormal", "signbit",
               "while", "while*", "for", "for*", "tensor", "tensor*", "array", "ref", "dim",
               "size"} - set(FP_TO_OP)

# Where a precondition leaves a side open, sample up to this magnitude (FPBench's default
# box is [-1e3, 1e3]; a bound beyond it widens the open side by three orders).
OPEN_SIDE = 1e3


def open_side(bound: float) -> float:
    """Magnitude used for an open side of a range whose other side is ``bound``."""
    return max(OPEN_SIDE, abs(bound) * 1e3)


@dataclass
class FPCoreInfo:
    """What an FPCore says besides its body (see the module docstring)."""

    name: str | None
    arguments: tuple[str, ...]
    precision: str = "binary64"
    pre: str | None = None
    precondition: dict[str, tuple[float, float]] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    _pre_expr: Any = field(default=None, repr=False)

    def condition(self, samples: dict[str, np.ndarray]) -> np.ndarray:
        """Bool mask: which samples satisfy the whole ``:pre`` (all True without one)."""
        n = len(next(iter(samples.values()))) if samples else 1
        if self._pre_expr is None:
            return np.ones(n, dtype=bool)
        with np.errstate(all="ignore"):
            mask = _eval_numpy(self._pre_expr, dict(samples))
        return np.broadcast_to(np.asarray(mask, dtype=bool), (n,))


# -- reading ------------------------------------------------------------------------------------


def parse_fpcores(text: str, source: str = "<fpcore>") -> list[list]:
    """The ``(FPCore ...)`` forms of a file, as S-expressions."""
    try:
        forms = read_all(text, source)
    except RecursionError:
        raise GraphFormatError(f"{source}: expression nested too deeply") from None
    for f in forms:
        if not (isinstance(f, list) and f and f[0] == Sym("FPCore")):
            raise GraphFormatError(f"{source}:{where(f)}: expected (FPCore ...), got "
                                   f"{to_text(f)[:60]}")
    return forms


def _select(forms: list[list], select: int | str, source: str) -> list:
    if isinstance(select, int):
        if not -len(forms) <= select < len(forms):
            raise GraphFormatError(f"{source}: no FPCore number {select} ({len(forms)} found)")
        return forms[select]
    for form in forms:
        items = form[1:]
        ident = items[0].name if items and isinstance(items[0], Sym) else None
        for i, item in enumerate(items[:-1]):
            if item == Sym(":name") and _text(items[i + 1]) == select:
                return form
        if ident == select:
            return form
    raise GraphFormatError(f"{source}: no FPCore named {select!r}")


def from_fpcore(text: str | list, source: str = "<fpcore>",
                select: int | str | None = None) -> tuple[Graph, FPCoreInfo]:
    """Import one FPCore (text or an already-read form): ``(graph, info)``.

    When the text holds several FPCores, ``select`` picks one by position or by its
    ``:name`` (or FPCore 2 identifier). Expressions nested too deeply for the reader and
    builder (which recurse) are a ``GraphFormatError``."""
    try:
        return _from_fpcore(text, source, select)
    except RecursionError:
        raise GraphFormatError(f"{source}: expression nested too deeply") from None


def _from_fpcore(text: str | list, source: str,
                 select: int | str | None) -> tuple[Graph, FPCoreInfo]:
    if isinstance(text, str):
        forms = parse_fpcores(text, source)
        if select is not None:
            form = _select(forms, select, source)
        elif len(forms) != 1:
            raise GraphFormatError(f"{source}: expected one FPCore, found {len(forms)}; pass "
                                   "select= (an index or a :name), or use parse_fpcores()")
        else:
            form = forms[0]
    else:
        form = text
    items = form[1:]
    if items and isinstance(items[0], Sym):  # FPCore 2: (FPCore name (args) ...)
        items = items[1:]
    if not items or not isinstance(items[0], list):
        raise GraphFormatError(f"{source}:{where(form)}: FPCore needs an argument list")
    args, rest = items[0], items[1:]
    if not rest:
        raise GraphFormatError(f"{source}:{where(form)}: FPCore has no body")
    props: dict[str, Any] = {}
    i = 0
    while i < len(rest) - 1 and isinstance(rest[i], Sym) and rest[i].name.startswith(":"):
        props[rest[i].name[1:]] = rest[i + 1]
        i += 2
    if i >= len(rest):  # properties all the way: (FPCore (x) :pre p :name n)
        raise GraphFormatError(f"{source}:{where(form)}: FPCore has no body after its "
                               "properties")
    if i != len(rest) - 1:
        raise GraphFormatError(f"{source}:{where(rest[i])}: unexpected {to_text(rest[i])[:40]}")
    body = rest[-1]
    precision = _text(props.get("precision", Sym("binary64")))
    if precision not in ("binary64", "binary32"):
        raise UnsupportedOperation(f"{source}: :precision {precision} is not supported "
                                   "(binary64 or binary32)")
    dtype = "float32" if precision == "binary32" else "float64"
    names: list[str] = []
    env: dict[str, Node] = {}
    for a in args:
        a = _strip_annotation(a)
        if isinstance(a, list):
            raise UnsupportedOperation(f"{source}:{where(a)}: array argument {to_text(a)} is "
                                       "not supported (scalar arguments only)")
        if not isinstance(a, Sym):
            raise GraphFormatError(f"{source}:{where(form)}: FPCore argument {to_text(a)} is "
                                   "not a name")
        if a.name in env:
            raise GraphFormatError(f"{source}:{where(form)}: FPCore argument {a.name} is "
                                   "listed twice")
        names.append(a.name)
        env[a.name] = input_node(_identifier(a.name), (), dtype)
    builder = _Builder(dtype, source)
    out = builder.node(body, env)  # a boolean body (a predicate) is allowed
    graph = Graph(out, [env[n] for n in names])
    pre = props.get("pre")
    info = FPCoreInfo(
        name=_text(props["name"]) if "name" in props else None,
        arguments=tuple(env[n].name for n in names), precision=precision,
        pre=None if pre is None else to_text(pre),
        precondition=_box(pre, names, env) if pre is not None else {},
        properties={k: _text(v) for k, v in props.items()},
        _pre_expr=None if pre is None else _rename(pre, {n: env[n].name for n in names}))
    return graph, info


def _identifier(name: str) -> str:
    """FPCore names may hold characters Python identifiers cannot (``z*``, ``p-r``)."""
    if name.isidentifier():
        return name
    out = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return out if out[:1].isalpha() or out[:1] == "_" else "v_" + out


def _rename(expr: Any, mapping: dict[str, str]) -> Any:
    if isinstance(expr, list):
        return [_rename(e, mapping) for e in expr]
    if isinstance(expr, Sym) and expr.name in mapping:
        return Sym(mapping[expr.name], expr.line, expr.col)
    return expr


def _text(v: Any) -> str:
    return v.text if isinstance(v, Str) else to_text(v)


def _strip_annotation(expr: Any) -> Any:
    """``(! :prop v ... e)`` -> ``e``."""
    while isinstance(expr, list) and expr and expr[0] == Sym("!"):
        expr = expr[-1]
    return expr


def number(text: str) -> float:
    """Value of an FPCore numeric literal, correctly rounded to float64."""
    t = text.lower()
    if "x" in t:
        return float.fromhex(t)
    if "/" in t:
        return float(Fraction(t))
    return float(t)


class _Builder:
    """Turns body S-expressions into nodes of one dtype."""

    def __init__(self, dtype: str, source: str) -> None:
        self.dtype = dtype
        self.source = source

    def const(self, v: float) -> Node:
        return constant_node(v, self.dtype)

    def err(self, expr: Any, msg: str) -> Exception:
        return UnsupportedOperation(f"{self.source}:{where(expr)}: {msg}")

    def value(self, expr: Any, env: dict[str, Node]) -> Node:
        """A float-valued node."""
        node = self.node(expr, env)
        if node.dtype == "bool":
            raise self.err(expr, f"{to_text(expr)[:40]} is a boolean where a number is needed")
        return node

    def node(self, expr: Any, env: dict[str, Node]) -> Node:
        expr = _strip_annotation(expr)
        if isinstance(expr, Num):
            return self.const(number(expr.text))
        if isinstance(expr, Sym):
            if expr.name in env:
                return env[expr.name]
            if expr.name in CONSTANTS:
                return self.const(CONSTANTS[expr.name])
            if expr.name in ("TRUE", "FALSE"):
                return constant_node(expr.name == "TRUE", "bool")
            raise GraphFormatError(f"{self.source}:{where(expr)}: unknown variable {expr.name!r}")
        if not isinstance(expr, list) or not expr or not isinstance(expr[0], Sym):
            raise GraphFormatError(f"{self.source}:{where(expr)}: bad expression "
                                   f"{to_text(expr)[:40]}")
        head, args = expr[0].name, expr[1:]
        if head in ("let", "let*"):
            return self.let(expr, env, sequential=head == "let*")
        if head == "if":
            if len(args) != 3:
                raise self.err(expr, "if takes a condition and two branches")
            return self.select(args[0], self.value(args[1], env), self.value(args[2], env), env)
        if head in ("and", "or", "not"):
            raise self.err(expr, f"'{head}' is only supported inside an if condition")
        if head in COMPARISONS:
            return self.compare(expr, env)
        if head == "cast":
            return self.value(args[0], env)
        if head == "digits":
            m, e, b = (number(a.text) for a in args)
            return self.const(m * b ** e)
        vals = [self.value(a, env) for a in args]
        return self.apply(expr, head, vals)

    def apply(self, expr: Any, head: str, vals: list[Node]) -> Node:
        if head == "-" and len(vals) == 1:
            return apply("neg", vals[0])
        if head in ("+", "*") and len(vals) > 2:  # tolerate n-ary forms
            out = vals[0]
            for v in vals[1:]:
                out = apply(FP_TO_OP[head], out, v)
            return out
        if head in FP_TO_OP:
            op = FP_TO_OP[head]
            if len(vals) != OPS[op].arity:
                raise self.err(expr, f"{head} takes {OPS[op].arity} arguments, got {len(vals)}")
            return apply(op, *vals)
        composite = _COMPOSITES.get(head)
        if composite is not None:
            fn, arity = composite
            if len(vals) != arity:
                raise self.err(expr, f"{head} takes {arity} arguments, got {len(vals)}")
            return fn(self, *vals)
        if head in UNSUPPORTED:
            raise self.err(expr, f"FPCore operator '{head}' is not supported by eqsat-tensor")
        raise self.err(expr, f"unknown FPCore operator '{head}'")

    def let(self, expr: Any, env: dict[str, Node], sequential: bool) -> Node:
        if len(expr) != 3 or not isinstance(expr[1], list):
            raise self.err(expr, f"{expr[0].name} needs bindings and a body")
        inner = dict(env)
        for binding in expr[1]:
            if not (isinstance(binding, list) and len(binding) == 2
                    and isinstance(binding[0], Sym)):
                raise self.err(binding, f"bad binding {to_text(binding)[:40]}")
            inner[binding[0].name] = self.node(binding[1], inner if sequential else env)
        return self.node(expr[2], inner)

    def compare(self, expr: Any, env: dict[str, Node]) -> Node:
        head, args = expr[0].name, expr[1:]
        vals = [self.value(a, env) for a in args]
        if len(vals) < 2:
            raise self.err(expr, f"{head} needs at least two arguments")
        if len(vals) > 2:
            raise self.err(expr, f"chained {head} is only supported inside an if condition")
        return apply(COMPARISONS[head], *vals)

    def select(self, cond: Any, a: Node, b: Node, env: dict[str, Node]) -> Node:
        """``where(cond, a, b)``; ``and``/``or``/``not``/chains as nested wheres."""
        cond = _strip_annotation(cond)
        if isinstance(cond, list) and cond and isinstance(cond[0], Sym):
            head, args = cond[0].name, cond[1:]
            if head == "and":
                out = a
                for c in reversed(args):
                    out = self.select(c, out, b, env)
                return out
            if head == "or":
                out = b
                for c in reversed(args):
                    out = self.select(c, a, out, env)
                return out
            if head == "not":
                return self.select(args[0], b, a, env)
            if head in COMPARISONS and len(args) > 2:
                pairs = [[Sym(head), x, y] for x, y in zip(args, args[1:])]
                return self.select([Sym("and")] + pairs, a, b, env)
        if isinstance(cond, Sym) and cond.name in ("TRUE", "FALSE"):
            return a if cond.name == "TRUE" else b
        c = self.node(cond, env)
        if c.dtype != "bool":
            raise self.err(cond, f"if condition {to_text(cond)[:40]} is not a boolean")
        return apply("where", c, a, b)


def _asinh(b: _Builder, x: Node) -> Node:
    # sign(x) * log(|x| + sqrt(x^2 + 1))
    ax = apply("abs", x)
    mag = apply("log", apply("add", ax, apply("sqrt", apply("add", apply("mul", x, x),
                                                                 b.const(1.0)))))
    return apply("where", apply("less", x, b.const(0.0)), apply("neg", mag), mag)


def _acosh(b: _Builder, x: Node) -> Node:
    return apply("log", apply("add", x, apply("sqrt", apply("sub", apply("mul", x, x),
                                                             b.const(1.0)))))


def _atanh(b: _Builder, x: Node) -> Node:
    one = b.const(1.0)
    return apply("mul", b.const(0.5), apply("log", apply("div", apply("add", one, x),
                                                           apply("sub", one, x))))


def _copysign(b: _Builder, x: Node, y: Node) -> Node:
    ax = apply("abs", x)
    return apply("where", apply("less", y, b.const(0.0)), apply("neg", ax), ax)


_COMPOSITES: dict[str, tuple[Callable[..., Node], int]] = {
    "asinh": (_asinh, 1), "acosh": (_acosh, 1), "atanh": (_atanh, 1),
    "fma": (lambda b, x, y, z: apply("add", apply("mul", x, y), z), 3),
    "copysign": (_copysign, 2),
    "fdim": (lambda b, x, y: apply("maximum", apply("sub", x, y), b.const(0.0)), 2),
}


# -- preconditions ------------------------------------------------------------------------------


def _box(pre: Any, names: list[str], env: dict[str, Node]) -> dict[str, tuple[float, float]]:
    bounds = _bounds(_strip_annotation(pre), set(names))
    out: dict[str, tuple[float, float]] = {}
    for name in names:
        lo, hi = bounds.get(name, (-math.inf, math.inf))
        if lo == -math.inf and hi == math.inf:
            continue
        if lo == -math.inf:
            lo = min(-open_side(hi), hi)
        if hi == math.inf:
            hi = max(open_side(lo), lo)
        out[env[name].name] = (lo, hi)
    return out


def _const_value(expr: Any) -> float | None:
    expr = _strip_annotation(expr)
    if isinstance(expr, Num):
        return number(expr.text)
    if isinstance(expr, Sym) and expr.name in CONSTANTS:
        return CONSTANTS[expr.name]
    if isinstance(expr, list) and len(expr) == 2 and expr[0] == Sym("-"):
        v = _const_value(expr[1])
        return None if v is None else -v
    return None


def _bounds(pre: Any, names: set[str]) -> dict[str, tuple[float, float]]:
    """Box bounds implied by a precondition (a sound over-approximation)."""
    if not isinstance(pre, list) or not pre or not isinstance(pre[0], Sym):
        return {}
    head, args = pre[0].name, [_strip_annotation(a) for a in pre[1:]]
    if head == "and":
        out: dict[str, tuple[float, float]] = {}
        for a in args:
            for k, (lo, hi) in _bounds(a, names).items():
                olo, ohi = out.get(k, (-math.inf, math.inf))
                out[k] = (max(lo, olo), min(hi, ohi))
        return out
    if head == "or":
        parts = [_bounds(a, names) for a in args]
        common = set.intersection(*(set(p) for p in parts)) if parts else set()
        return {k: (min(p[k][0] for p in parts), max(p[k][1] for p in parts)) for k in common}
    if head not in ("<", "<=", ">", ">=", "=="):
        return {}
    if head in (">", ">="):
        args = args[::-1]
    out = {}
    for i, a in enumerate(args):
        var, absolute = None, False
        if isinstance(a, Sym) and a.name in names:
            var = a.name
        elif (isinstance(a, list) and len(a) == 2 and a[0] == Sym("fabs")
              and isinstance(a[1], Sym) and a[1].name in names):
            var, absolute = a[1].name, True
        if var is None:
            continue
        lows = [v for v in map(_const_value, args[:i]) if v is not None]
        highs = [v for v in map(_const_value, args[i + 1:]) if v is not None]
        if head == "==":
            lows = highs = lows + highs
        lo = max(lows) if lows else -math.inf
        hi = min(highs) if highs else math.inf
        if absolute:
            lo, hi = (-hi, hi) if hi < math.inf else (-math.inf, math.inf)
        olo, ohi = out.get(var, (-math.inf, math.inf))
        out[var] = (max(lo, olo), min(hi, ohi))
    return out


def _eval_numpy(expr: Any, env: dict[str, Any]) -> Any:
    """Evaluate a precondition on NumPy arrays with the ops' reference implementations."""
    expr = _strip_annotation(expr)
    if isinstance(expr, Num):
        return number(expr.text)
    if isinstance(expr, Sym):
        if expr.name in env:
            return env[expr.name]
        if expr.name in ("TRUE", "FALSE"):
            return expr.name == "TRUE"
        if expr.name in CONSTANTS:
            return CONSTANTS[expr.name]
        raise GraphFormatError(f"{where(expr)}: unknown name {expr.name!r} in :pre")
    head, args = expr[0].name, expr[1:]
    if head in ("let", "let*"):
        inner = dict(env)
        for name, value in expr[1]:
            inner[name.name] = _eval_numpy(value, inner if head == "let*" else env)
        return _eval_numpy(expr[2], inner)
    vals = [_eval_numpy(a, env) for a in args]
    if head == "and":
        return np.logical_and.reduce([np.asarray(v, dtype=bool) for v in vals])
    if head == "or":
        return np.logical_or.reduce([np.asarray(v, dtype=bool) for v in vals])
    if head == "not":
        return np.logical_not(vals[0])
    if head == "if":
        return np.where(vals[0], vals[1], vals[2])
    if head in COMPARISONS:
        fn = OPS[COMPARISONS[head]].reference
        if head == "!=":
            return np.logical_and.reduce([fn(x, y) for i, x in enumerate(vals)
                                          for y in vals[i + 1:]])
        return np.logical_and.reduce([np.asarray(fn(x, y)) for x, y in zip(vals, vals[1:])])
    if head == "-" and len(vals) == 1:
        return np.negative(vals[0])
    if head in FP_TO_OP:
        arrays = [np.asarray(v, dtype=np.float64) for v in vals]
        return OPS[FP_TO_OP[head]].reference(*arrays)
    raise UnsupportedOperation(f"{where(expr)}: operator '{head}' in :pre is not supported")


# -- writing ------------------------------------------------------------------------------------

_OP_TO_FP = {op: fp for fp, op in FP_TO_OP.items()}
_OP_TO_FP.update({cmp: fp for fp, cmp in COMPARISONS.items()})
# ops FPCore has no operator for, as FPCore expressions over "{0}", "{1}"... (op table)
_FP_FORMS = {op: n for n, op in ops_named_in("fpcore").items() if "{0}" in n}


def _fp_number(v: float) -> str:
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "(- INFINITY)"
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _fp_node(node: Node, args: list[str]) -> str:
    op = node.op
    if op == "constant":
        if node.dtype == "bool":
            return "TRUE" if node.value else "FALSE"
        if np.ndim(node.value) != 0:
            raise UnsupportedOperation("to_fpcore: array constants cannot be written as FPCore")
        return _fp_number(float(node.value))
    if op in _OP_TO_FP:
        return f"({_OP_TO_FP[op]} {' '.join(args)})"
    if op in _FP_FORMS:
        return _FP_FORMS[op].format(*args)
    if op == "cast":
        if node.dtype == "bool":
            return f"(!= {args[0]} 0)"
        return args[0]
    raise UnsupportedOperation(f"to_fpcore: op '{op}' has no FPCore form (FPCore is scalar: "
                               "no reductions, matmul or layout ops)")


def to_fpcore(graph: Graph | Any, name: str | None = None,
              precondition: dict[str, tuple[float, float]] | None = None) -> str:
    """FPCore text of a scalar, single-output graph; shared nodes become ``let*``."""
    from ..frontend.tensor import as_graph

    graph = as_graph(graph)
    if len(graph.outputs) != 1:
        raise UnsupportedOperation(f"to_fpcore: FPCore has one output, the graph has "
                                   f"{len(graph.outputs)}")
    for node in graph.nodes():
        if node.shape != ():
            raise UnsupportedOperation(f"to_fpcore: node {node.op} has shape {node.shape}; "
                                       "FPCore graphs must be scalar")
    uses = graph.users()
    texts: dict[int, str] = {}
    bindings: list[str] = []
    for node in graph.nodes():
        if node.op == "input":
            texts[node.uid] = node.name
            continue
        text = _fp_node(node, [texts[i.uid] for i in node.inputs])
        if uses.get(node.uid, 0) > 1 and node.op != "constant" and node is not graph.outputs[0]:
            var = f"t{len(bindings)}"
            bindings.append(f"[{var} {text}]")
            text = var
        texts[node.uid] = text
    body = texts[graph.outputs[0].uid]
    if bindings:
        body = f"(let* ({' '.join(bindings)}) {body})"
    props = []
    if name:
        props.append(f':name "{name}"')
    precision = {"float32": "binary32"}.get(graph.outputs[0].dtype)
    if precision:
        props.append(f":precision {precision}")
    if precondition:
        conds = [f"(<= {_fp_number(lo)} {k} {_fp_number(hi)})"
                 for k, (lo, hi) in precondition.items()]
        props.append(":pre " + (conds[0] if len(conds) == 1 else f"(and {' '.join(conds)})"))
    head = f"(FPCore ({' '.join(graph.input_names)})"
    return " ".join([head] + props + [body]) + ")"
