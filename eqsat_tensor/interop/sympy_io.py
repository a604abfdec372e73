"""SymPy expressions to and from graphs (``pip install 'eqsat-tensor[sympy]'``).

``from_sympy(expr)`` maps SymPy's arithmetic (``Add``, ``Mul`` with negative powers as
division, ``Pow`` with ``1/2`` as ``sqrt`` and ``2`` as ``square``), elementary functions,
the C functions of ``sympy.codegen.cfunctions`` (``exp2``, ``log2``, ``log10``, ``Cbrt``,
``hypot``, ...: each op's SymPy names come from the ops table), ``Abs``, ``Max``/``Min``,
``atan2``, ``sign``, ``erf``/``erfc``/``loggamma``, ``gamma`` (``exp(gammaln)``, by
reflection below 0), ``polygamma(0, x)`` (``digamma``), ``Piecewise`` (nested ``where``;
``And``/``Or``/``Not`` conditions) and relations to comparison ops. Matrix
expressions map where our ops can say the same: a ``MatrixSymbol`` is a 2-D input,
``MatMul`` is ``matmul`` (times a scalar coefficient), ``MatAdd`` is ``add``, ``Transpose``
is ``transpose``, ``HadamardProduct``/``HadamardPower`` are ``mul``/``pow`` and ``MatPow``
with a positive integer is repeated ``matmul``. An explicit ``Matrix`` (or a list/tuple of
expressions) becomes one output per entry. Numbers become float constants (rounded from
SymPy's exact value).

``to_sympy(graph)`` goes back: scalar inputs become real ``Symbol``s, 2-D inputs
``MatrixSymbol``s (symbolic dims become positive integer symbols), ops with a SymPy function
(``OpSpec.names["sympy"]``) that function, ``sigmoid``/``softplus``/``logaddexp`` their
formulas, ``where`` a ``Piecewise``. Reductions and rank-1 or rank-3+ tensors have no SymPy
form and raise ``UnsupportedOperation``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from ..errors import UnsupportedOperation
from ..ir import OPS, Graph, Node, apply, constant_node, input_node
from ._optional import require


def _sympy() -> Any:
    return require("sympy", "sympy", "SymPy import/export")


def _cfuncs() -> Any:
    return require("sympy.codegen.cfunctions", "sympy", "SymPy import/export")


def _resolve(sp: Any, path: str) -> Any:
    """The SymPy object at attribute path ``path`` below ``sympy`` (``codegen.cfunctions.
    exp2``), or None. Attribute lookups only: nothing is evaluated."""
    obj = sp
    for part in path.split("."):
        if part == "codegen" and obj is sp:
            import sympy.codegen.cfunctions  # noqa: F401 - makes the submodule an attribute
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


@functools.cache
def _functions(sp: Any) -> dict[str, list[Any]]:
    """op -> its SymPy functions (first: the one to write), from ``OpSpec.names["sympy"]``,
    for elementwise ops that are plain function applications (not ``Add``/``Mul``/
    ``Pow`` nor the n-ary ``Max``/``Min``, which the converters handle themselves)."""
    out: dict[str, list[Any]] = {}
    for op, spec in OPS.items():
        if spec.kind != "elementwise" or "associative" in spec.tags or op == "pow":
            continue
        fns = [f for f in (_resolve(sp, n) for n in spec.name_in("sympy")) if f is not None]
        if fns:
            out[op] = fns
    return out


# -- SymPy -> graph -------------------------------------------------------------------------------


def from_sympy(expr: Any, *, inputs: Sequence[Any] | None = None, dtype: str = "float64",
               shapes: dict[str, tuple] | None = None) -> Graph:
    """A Graph computing the SymPy expression(s) ``expr``.

    ``inputs`` (symbols or names) fixes the order of the graph's inputs, default sorted by
    name; ``shapes`` gives a shape to a scalar symbol (elementwise use on arrays);
    ``dtype`` is the float dtype of inputs and constants.
    """
    sp = _sympy()
    if isinstance(expr, sp.MatrixBase):
        exprs = list(expr)
    elif isinstance(expr, (list, tuple)):
        exprs = list(expr)
    else:
        exprs = [expr]
    exprs = [sp.sympify(e) for e in exprs]
    conv = _FromSympy(sp, dtype, dict(shapes or {}))
    outs = [conv.node(e) for e in exprs]
    if inputs is None:
        names = sorted(conv.inputs)
    else:
        names = [str(getattr(i, "name", i)) for i in inputs]
        for n in names:
            if n not in conv.inputs:
                conv.inputs[n] = input_node(n, tuple(conv.shapes.get(n, ())), dtype)
    return Graph(outs, [conv.inputs[n] for n in names])


class _FromSympy:
    def __init__(self, sp: Any, dtype: str, shapes: dict) -> None:
        self.sp, self.dtype, self.shapes = sp, dtype, shapes
        self.inputs: dict[str, Node] = {}
        self.memo: dict[Any, Node] = {}
        _cfuncs()
        fns = _functions(sp)
        self.unary = {f: op for op, fs in fns.items() if OPS[op].arity == 1 for f in fs}
        self.binary = {f: op for op, fs in fns.items() if OPS[op].arity == 2 for f in fs}
        self.relations = {sp.StrictLessThan: "less", sp.LessThan: "less_equal",
                          sp.StrictGreaterThan: "greater", sp.GreaterThan: "greater_equal",
                          sp.Equality: "equal", sp.Unequality: "not_equal"}

    def const(self, v: Any) -> Node:
        try:
            return constant_node(float(v), self.dtype)
        except TypeError:
            raise UnsupportedOperation(f"from_sympy: {v} is not a real number") from None

    def dim(self, d: Any) -> int | str:
        return int(d) if getattr(d, "is_Integer", False) else str(d)

    def node(self, e: Any) -> Node:
        if e in self.memo:
            return self.memo[e]
        out = self._node(e)
        self.memo[e] = out
        return out

    def _input(self, name: str, shape: tuple) -> Node:
        if name not in self.inputs:
            self.inputs[name] = input_node(name, shape, self.dtype)
        return self.inputs[name]

    def _node(self, e: Any) -> Node:
        sp = self.sp
        if isinstance(e, sp.MatrixSymbol):
            return self._input(e.name, (self.dim(e.shape[0]), self.dim(e.shape[1])))
        if isinstance(e, sp.Symbol):
            return self._input(e.name, tuple(self.shapes.get(e.name, ())))
        if e is sp.true or e is sp.false:
            return constant_node(bool(e), "bool")
        if getattr(e, "is_Matrix", False):
            return self.matrix(e)
        if e.is_number and not e.free_symbols:
            return self.const(sp.N(e, 30))
        if isinstance(e, sp.Add):
            return self.add(e.args)
        if isinstance(e, sp.Mul):
            return self.mul(e.args)
        if isinstance(e, sp.Pow):
            return self.pow(e.base, e.exp)
        func = type(e)
        if func in self.unary:
            return apply(self.unary[func], self.node(e.args[0]))
        if func in self.binary:
            return apply(self.binary[func], *(self.node(a) for a in e.args))
        if func in (sp.Max, sp.Min):
            op = "maximum" if func is sp.Max else "minimum"
            nodes = [self.node(a) for a in e.args]
            out = nodes[0]
            for n in nodes[1:]:
                out = apply(op, out, n)
            return out
        if func is sp.sign:
            x = self.node(e.args[0])
            zero, one = self.const(0), self.const(1)
            return apply("where", apply("greater", x, zero), one,
                         apply("where", apply("less", x, zero), self.const(-1), zero))
        if func in self.relations:
            return apply(self.relations[func], self.node(e.lhs), self.node(e.rhs))
        if func is sp.polygamma and e.args[0] == 0 and "digamma" in self.unary.values():
            return apply("digamma", self.node(e.args[1]))  # SymPy writes digamma(x) so
        if func is sp.gamma:
            return self.gamma(self.node(e.args[0]))
        if func in (sp.beta, sp.Heaviside, sp.Mod, sp.sinc, sp.factorial):  # (clients)
            return self.more(func, e)
        if isinstance(e, sp.Piecewise):
            out = self.const(float("nan"))
            for value, cond in reversed(e.args):
                out = self.select(cond, self.node(value), out)
            return out
        return self.matrix(e)

    def more(self, func: Any, e: Any) -> Node:
        """(clients) ``beta(a, b)`` = exp(gammaln a + gammaln b - gammaln(a + b)) (positive
        arguments), ``factorial(x)`` = gamma(x + 1), ``Heaviside(x, h0)`` (h0 = 1/2 by
        default), ``Mod`` (the sign of the divisor: NumPy's remainder), ``sinc(x)`` =
        sin(x)/x (1 at 0, unnormalized as in SymPy)."""
        sp = self.sp
        args = [self.node(a) for a in e.args]
        if func is sp.beta:
            a, b = args if len(args) == 2 else (args[0], args[0])
            lg = [apply("gammaln", t) for t in (a, b, apply("add", a, b))]
            return apply("exp", apply("sub", apply("add", lg[0], lg[1]), lg[2]))
        if func is sp.factorial:
            return self.gamma(apply("add", args[0], self.const(1)))
        if func is sp.Heaviside:
            x = args[0]
            h0 = args[1] if len(args) > 1 else self.const(0.5)
            zero = self.const(0)
            return apply("where", apply("greater", x, zero), self.const(1),
                         apply("where", apply("less", x, zero), zero,
                               apply("add", apply("mul", x, zero), h0)))
        if func is sp.Mod:
            return apply("remainder", args[0], args[1])
        x = args[0]
        zero = self.const(0)
        return apply("where", apply("equal", x, zero), self.const(1),
                     apply("div", apply("sin", x), x))

    def gamma(self, x: Node) -> Node:
        """Gamma from ``gammaln``: ``exp(gammaln(x))`` for ``x > 0``, else the reflection
        ``pi / (sin(pi x) exp(gammaln(1 - x)))`` (which carries the sign)."""
        pos = apply("exp", apply("gammaln", x))
        one, pi = self.const(1), self.const(self.sp.pi.evalf(30))
        refl = apply("div", pi, apply("mul", apply("sin", apply("mul", pi, x)),
                                      apply("exp", apply("gammaln", apply("sub", one, x)))))
        return apply("where", apply("greater", x, self.const(0)), pos, refl)

    def select(self, cond: Any, a: Node, b: Node) -> Node:
        sp = self.sp
        if cond is sp.true:
            return a
        if cond is sp.false:
            return b
        if isinstance(cond, sp.And):
            out = a
            for c in cond.args:
                out = self.select(c, out, b)
            return out
        if isinstance(cond, sp.Or):
            out = b
            for c in cond.args:
                out = self.select(c, a, out)
            return out
        if isinstance(cond, sp.Not):
            return self.select(cond.args[0], b, a)
        return apply("where", self.node(cond), a, b)

    def add(self, args: Sequence[Any]) -> Node:
        pos, neg = [], []
        for a in args:
            coeff, rest = a.as_coeff_Mul()
            if coeff.is_negative and coeff.is_Number:
                neg.append(-a)
            else:
                pos.append(a)
        out = self.node(pos[0]) if pos else apply("neg", self.node(neg.pop(0)))
        for a in pos[1:]:
            out = apply("add", out, self.node(a))
        for a in neg:
            out = apply("sub", out, self.node(a))
        return out

    def mul(self, args: Sequence[Any]) -> Node:
        sp = self.sp
        num, den = [], []
        sign = 1
        for a in args:
            if a.is_Number and a.is_negative:
                sign, a = -sign, -a
                if a == 1:
                    continue
            if isinstance(a, sp.Pow) and a.exp.is_Number and a.exp.is_negative:
                den.append(a.base if a.exp == -1 else sp.Pow(a.base, -a.exp, evaluate=False))
            elif isinstance(a, sp.Rational) and not a.is_Integer and a.p == 1:
                den.append(sp.Integer(a.q))
            else:
                num.append(a)
        out = self.product(num) if num else None
        if den:
            out = apply("div", out if out is not None else self.const(1), self.product(den))
        if out is None:
            out = self.const(1)
        return apply("neg", out) if sign < 0 else out

    def product(self, factors: Sequence[Any]) -> Node:
        out = self.node(factors[0])
        for f in factors[1:]:
            out = apply("mul", out, self.node(f))
        return out

    def pow(self, base: Any, exp: Any) -> Node:
        sp = self.sp
        if base is sp.E:
            return apply("exp", self.node(exp))
        b = self.node(base)
        if exp == sp.Rational(1, 2):
            return apply("sqrt", b)
        if exp == 2:
            return apply("square", b)
        if exp == -1:
            return apply("div", self.const(1), b)
        if exp == sp.Rational(-1, 2):
            return apply("div", self.const(1), apply("sqrt", b))
        return apply("pow", b, self.node(exp))

    def matrix(self, e: Any) -> Node:
        sp = self.sp
        if isinstance(e, sp.MatMul):
            scalars = [a for a in e.args if not getattr(a, "is_Matrix", False)]
            mats = [self.node(a) for a in e.args if getattr(a, "is_Matrix", False)]
            out = mats[0]
            for m in mats[1:]:
                out = apply("matmul", out, m)
            for s in scalars:
                out = apply("mul", self.node(s), out)
            return out
        if isinstance(e, sp.MatAdd):
            return self.add(e.args)
        if isinstance(e, sp.HadamardProduct):
            return self.product(e.args)
        if isinstance(e, sp.ImmutableMatrix) or isinstance(e, sp.MatrixBase):
            return constant_node(sp.matrix2numpy(e, dtype=float), self.dtype)
        if isinstance(e, sp.Transpose):
            return apply("transpose", self.node(e.arg), axes=(1, 0))
        if isinstance(e, sp.HadamardPower):
            return self.pow(e.base, e.exp)
        if isinstance(e, sp.MatPow) and e.exp.is_Integer and e.exp > 0:
            m = self.node(e.base)
            out = m
            for _ in range(int(e.exp) - 1):
                out = apply("matmul", out, m)
            return out
        raise UnsupportedOperation(f"from_sympy: {type(e).__name__} ({e}) has no eqsat-tensor op")


# -- graph -> SymPy -------------------------------------------------------------------------------


def to_sympy(graph: Graph | Any) -> Any:
    """The SymPy expression of a graph's output (a tuple for several outputs)."""
    from ..frontend.tensor import as_graph

    sp = _sympy()
    cf = _cfuncs()
    graph = as_graph(graph)
    env: dict[int, Any] = {}
    for node in graph.nodes():
        env[node.uid] = _to_sympy_node(sp, cf, node, [env[i.uid] for i in node.inputs])
    outs = tuple(env[o.uid] for o in graph.outputs)
    return outs[0] if len(outs) == 1 else outs


def _sym_dim(sp: Any, d: int | str) -> Any:
    return sp.Integer(d) if isinstance(d, int) else sp.Symbol(d, integer=True, positive=True)


def _number(sp: Any, v: float) -> Any:
    if v != v:
        return sp.nan
    if v in (float("inf"), float("-inf")):
        return sp.oo if v > 0 else -sp.oo
    if float(v).is_integer() and abs(v) < 2 ** 53:
        return sp.Integer(int(v))
    return sp.Float(v)


def _to_sympy_node(sp: Any, cf: Any, node: Node, a: list[Any]) -> Any:
    op = node.op
    if op == "input":
        if node.ndim == 0:
            return sp.Symbol(node.name, real=True)
        if node.ndim == 2:
            return sp.MatrixSymbol(node.name, *(_sym_dim(sp, d) for d in node.shape))
        raise UnsupportedOperation(f"to_sympy: input {node.name!r} has rank {node.ndim}; only "
                                   "scalars and matrices have a SymPy form")
    if op == "constant":
        if node.dtype == "bool":
            return sp.true if node.value else sp.false
        if node.ndim:
            return sp.ImmutableMatrix(node.value) if node.ndim == 2 else _unsupported(node)
        return _number(sp, float(node.value))
    is_mat = [getattr(x, "is_Matrix", False) for x in a]
    if any(is_mat):
        return _matrix_op(sp, node, a, is_mat)
    table = {
        "add": lambda: a[0] + a[1], "sub": lambda: a[0] - a[1], "mul": lambda: a[0] * a[1],
        "div": lambda: a[0] / a[1], "pow": lambda: a[0] ** a[1], "neg": lambda: -a[0],
        "square": lambda: a[0] ** 2, "reciprocal": lambda: 1 / a[0],
        "maximum": lambda: sp.Max(a[0], a[1]), "minimum": lambda: sp.Min(a[0], a[1]),
        "logaddexp": lambda: sp.log(sp.exp(a[0]) + sp.exp(a[1])),
        "sigmoid": lambda: 1 / (1 + sp.exp(-a[0])),
        "softplus": lambda: sp.log(1 + sp.exp(a[0])),
        "less": lambda: sp.Lt(a[0], a[1]), "less_equal": lambda: sp.Le(a[0], a[1]),
        "greater": lambda: sp.Gt(a[0], a[1]), "greater_equal": lambda: sp.Ge(a[0], a[1]),
        "equal": lambda: sp.Eq(a[0], a[1]), "not_equal": lambda: sp.Ne(a[0], a[1]),
        "where": lambda: sp.Piecewise((a[1], a[0]), (a[2], True)),
        "cast": lambda: sp.Ne(a[0], 0) if node.dtype == "bool" else a[0],
    }
    if op in table:
        return table[op]()
    fns = _functions(sp).get(op)
    if fns is None:
        return _unsupported(node)
    return fns[0](*a)


def _matrix_op(sp: Any, node: Node, a: list[Any], is_mat: list[bool]) -> Any:
    op = node.op
    if op == "matmul" and all(is_mat):
        return sp.MatMul(a[0], a[1])
    if op == "add" and all(is_mat):
        return sp.MatAdd(a[0], a[1])
    if op == "sub" and all(is_mat):
        return sp.MatAdd(a[0], -a[1])
    if op == "mul" and all(is_mat):
        return sp.HadamardProduct(a[0], a[1])
    if op == "mul":
        return sp.MatMul(*a)
    if op == "div" and is_mat[0] and not is_mat[1]:
        return sp.MatMul(1 / a[1], a[0])
    if op == "neg":
        return -a[0]
    if op == "transpose" and node.attr("axes") == (1, 0):
        return sp.Transpose(a[0])
    return _unsupported(node)


def _unsupported(node: Node) -> Any:
    raise UnsupportedOperation(f"to_sympy: op '{node.op}' on shape {node.shape} has no SymPy "
                               "form")
