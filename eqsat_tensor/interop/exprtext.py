"""Expression text such as ``"log(1 + x) - x*y/x"`` to a Graph, through Python's ``ast``.

The text is parsed, never evaluated: only numbers, names, ``+ - * / **``, unary ``-``,
one comparison (``x < y``), ``a if c else b`` (becomes ``where``) and calls of known
functions are accepted. Function names are op names (``exp``, ``sigmoid``, ...) plus
the usual aliases of NumPy, SymPy and C (``ln``, ``asin``, ``atan2``, ``Abs``, ``Max``,
``fabs``, ``pow``...). Reductions take literal keyword arguments: ``sum(x, axis=0)``.
``pi``, ``e``/``E``, ``inf`` and ``nan`` are constants; any other name is an input.

This is the text form used by ``import_graph("sympy", text)`` and the CLI's
``--from sympy``; SymPy itself is not needed to read it.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence

from ..errors import GraphFormatError, UnsupportedOperation
from ..ir import OPS, Graph, Node, apply, constant_node, input_node, normalize_axis

ALIASES = {
    "ln": "log", "asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2",
    "Abs": "abs", "fabs": "abs", "Max": "maximum", "Min": "minimum", "max": "maximum",
    "min": "minimum", "fmax": "maximum", "fmin": "minimum", "pow": "pow", "power": "pow",
    "Pow": "pow", "negative": "neg", "exp": "exp", "cbrt": "cbrt", "Cbrt": "cbrt",
    "expit": "sigmoid", "logistic": "sigmoid", "hypot": "hypot", "arctan2": "arctan2",
}
CONSTANTS = {"pi": math.pi, "e": math.e, "E": math.e, "inf": math.inf, "oo": math.inf,
             "nan": math.nan}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
           ast.MatMult: "matmul"}
_CMPOPS = {ast.Lt: "less", ast.LtE: "less_equal", ast.Gt: "greater", ast.GtE: "greater_equal",
           ast.Eq: "equal", ast.NotEq: "not_equal"}
# reductions: ``max``/``min`` with one argument reduce; with two they are elementwise
_REDUCE_NAMES = {"sum": "sum", "mean": "mean", "prod": "prod", "logsumexp": "logsumexp",
                 "amax": "max", "amin": "min"}


def parse_expression(text: str, *, dtype: str = "float64",
                     shapes: Mapping[str, Sequence[int | str]] | None = None,
                     inputs: Sequence[str] | None = None) -> Graph:
    """Graph of the expression ``text`` (one expression, or a tuple of them for several
    outputs). Inputs are scalars of ``dtype`` unless ``shapes`` gives their shape; their
    order is ``inputs`` if given, else the order of first appearance."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise GraphFormatError(f"<expr>:{exc.lineno}:{exc.offset}: cannot parse expression "
                               f"{text!r}: {exc.msg}") from None
    builder = _Builder(text, dtype, dict(shapes or {}))
    body = tree.body
    outs = [builder.build(e) for e in body.elts] if isinstance(body, ast.Tuple) else \
        [builder.build(body)]
    names = list(inputs) if inputs is not None else list(builder.inputs)
    for n in names:
        if n not in builder.inputs:
            builder.inputs[n] = input_node(n, tuple(builder.shapes.get(n, ())), dtype)
    return Graph(outs, [builder.inputs[n] for n in names])


class _Builder:
    def __init__(self, text: str, dtype: str, shapes: dict) -> None:
        self.text, self.dtype, self.shapes = text, dtype, shapes
        self.inputs: dict[str, Node] = {}

    def err(self, node: ast.AST, msg: str, cls: type = GraphFormatError) -> Exception:
        col = getattr(node, "col_offset", 0) + 1
        return cls(f"<expr>:1:{col}: {msg} in {self.text!r}")

    def const(self, v: float) -> Node:
        return constant_node(v, self.dtype)

    def build(self, node: ast.AST) -> Node:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.err(node, f"unsupported literal {node.value!r}")
            return self.const(float(node.value))
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS and node.id not in self.shapes:
                return self.const(CONSTANTS[node.id])
            if node.id not in self.inputs:
                self.inputs[node.id] = input_node(node.id, tuple(self.shapes.get(node.id, ())),
                                                  self.dtype)
            return self.inputs[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return apply(_BINOPS[type(node.op)], self.build(node.left), self.build(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.build(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            if inner.op == "constant" and inner.shape == ():
                return self.const(-inner.value)
            return apply("neg", inner)
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1 or type(node.ops[0]) not in _CMPOPS:
                raise self.err(node, "only single comparisons (<, <=, >, >=, ==, !=) are "
                                     "supported")
            return apply(_CMPOPS[type(node.ops[0])], self.build(node.left),
                         self.build(node.comparators[0]))
        if isinstance(node, ast.IfExp):
            return apply("where", self.build(node.test), self.build(node.body),
                         self.build(node.orelse))
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.err(node, f"unsupported syntax {type(node).__name__}", UnsupportedOperation)

    def call(self, node: ast.Call) -> Node:
        if not isinstance(node.func, ast.Name):
            raise self.err(node, "only calls of plain function names are supported")
        name = node.func.id
        kwargs = {}
        for kw in node.keywords:
            try:
                kwargs[kw.arg] = ast.literal_eval(kw.value)
            except ValueError:
                raise self.err(kw.value, f"keyword {kw.arg}= must be a literal") from None
        args = [self.build(a) for a in node.args]
        if name in _REDUCE_NAMES or (name in ("max", "min") and len(args) == 1):
            op = _REDUCE_NAMES.get(name, name)
            (x,) = args
            axis = normalize_axis(kwargs.get("axis"), x.ndim, op)
            return apply(op, x, axis=axis, keepdims=bool(kwargs.get("keepdims", False)))
        if name == "where":
            return apply("where", *args)
        if name in ("transpose", "matmul"):
            if name == "transpose":
                axes = kwargs.get("axes") or tuple(reversed(range(args[0].ndim)))
                return apply("transpose", args[0], axes=tuple(axes))
            return apply("matmul", *args)
        op = ALIASES.get(name, name)
        if op == "log" and len(args) == 2:  # log(x, base)
            return apply("div", apply("log", args[0]), apply("log", args[1]))
        if op in ("maximum", "minimum") and len(args) > 2:
            out = args[0]
            for a in args[1:]:
                out = apply(op, out, a)
            return out
        spec = OPS.get(op)
        if spec is None or spec.kind != "elementwise" or spec.attrs:
            raise self.err(node, f"unknown function {name!r}", UnsupportedOperation)
        if len(args) != spec.arity or kwargs:
            raise self.err(node, f"{name} takes {spec.arity} argument(s)")
        return apply(op, *args)


def expression_inputs(text: str) -> list[str]:
    """Input names of an expression in order of first appearance (no graph built)."""
    return list(parse_expression(text).input_names)

