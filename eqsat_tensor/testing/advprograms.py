"""The program model of the adversarial fuzzer (``advfuzz``): ``Op`` records interpreted
by ``Program.run`` on NumPy arrays (the reference) or traced values (``et.jit``), printed
as NumPy code by ``Program.source``; the op vocabulary and constants the generator draws."""

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.special as sps

FLOATS = ("float32", "float64")
MODES = ("strict", "finite", "fast")



def _library_function(names: Sequence[tuple[str, str]]) -> tuple[Callable, str] | None:
    """The first of ``(library, name)`` that NumPy or ``scipy.special`` has, with its
    spelling in a program's source."""
    for lib, name in names:
        mod, prefix = (np, "np") if lib == "numpy" else (sps, "scipy.special")
        if callable(getattr(mod, name, None)):
            return getattr(mod, name), f"{prefix}.{name}"
    return None


def _unary_vocabulary() -> dict[str, tuple[Callable, str]]:
    """name -> (callable on arrays and traced values, spelling): every one-operand
    elementwise op of the op table that is differentiable and states its domain (the
    selection ``difffuzz.UNARY`` makes), by its NumPy name, else its SciPy name; then the
    one-operand SciPy functions declared as compositions (``data/compositions.txt``)."""
    from ..frontend.compositions import compositions
    from ..ir import OPS

    out: dict[str, tuple[Callable, str]] = {}
    for spec in OPS.values():
        if (spec.kind == "elementwise" and spec.arity == 1 and not spec.attrs
                and spec.differentiable and spec.facts is not None
                and spec.facts.domain is not None):
            names = [(lib, n) for lib in ("numpy", "scipy") for n in spec.name_in(lib)]
            fn = _library_function(names)
            if fn is not None:
                out[names[0][1]] = fn
    for c in compositions().values():
        fn = _library_function([("scipy", c.name)]) if c.arity == 1 else None
        if fn is not None:
            out.setdefault(c.name, fn)
    return out


UNARY: dict[str, tuple[Callable, str]] = _unary_vocabulary()
BINARY: dict[str, tuple[Callable, str]] = {
    n: (getattr(np, n), f"np.{n}") for n in (
        "add", "subtract", "multiply", "divide", "maximum", "minimum", "fmax", "fmin",
        "hypot", "arctan2", "logaddexp", "power")}
BINARY.update({"xlogy": (sps.xlogy, "scipy.special.xlogy")})
INT_BINARY = ("add", "subtract", "multiply", "maximum", "minimum")
COMPARE = {"less": np.less, "greater": np.greater, "less_equal": np.less_equal,
           "equal": np.equal, "not_equal": np.not_equal}
PREDICATES = {"isnan": np.isnan, "isfinite": np.isfinite, "isinf": np.isinf}
REDUCE = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}
FLOAT_CONSTS = (0.0, -0.0, 1.0, 0.5, -1.0, 2.0, 3.0, 1e308, -1e308, 1e-308, 5e-324, 3.4e38,
                1e-45, 1e-300, 1e300, 0.1, -2.5, 7.0)
INT_CONSTS = (0, 1, 2, -1, 3, 10)


@dataclass(frozen=True)
class Op:
    """One step: ``kind`` (``input``, ``unary``, ``binary``, ``const``, ``compare``,
    ``predicate``, ``logic``, ``where``, ``reduce``, ``cumsum``, ``slice``, ``concat``,
    ``einsum``, ``matmul``, ``astype``, ``transpose``), ``name``, argument indices and
    parameters."""

    kind: str
    name: str = ""
    args: tuple[int, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()

    def p(self, key: str, default: Any = None) -> Any:
        """Parameter ``key``."""
        return dict(self.params).get(key, default)


@dataclass(frozen=True)
class Program:
    """Steps (inputs first) and the indices of the outputs."""

    steps: tuple[Op, ...]
    outputs: tuple[int, ...]

    @property
    def inputs(self) -> list[tuple[str, tuple[int, ...], str]]:
        """``(name, shape, dtype)`` per input."""
        return [(s.name, s.p("shape"), s.p("dtype")) for s in self.steps if s.kind == "input"]

    @property
    def uses_scipy(self) -> bool:
        """True when a step calls a ``scipy.special`` function."""
        return any(s.kind in ("unary", "binary") and (UNARY.get(s.name) or BINARY[s.name])[1]
                   .startswith("scipy") for s in self.steps)

    def run(self, *args: Any) -> Any:
        """Run on NumPy arrays or on traced values (``et.jit``)."""
        it = iter(args)
        vals: list[Any] = []
        for s in self.steps:
            vals.append(next(it) if s.kind == "input" else _apply(s, vals))
        outs = tuple(vals[i] for i in self.outputs)
        return outs if len(outs) > 1 else outs[0]

    def function(self) -> Callable[..., Any]:
        """``run`` with one named parameter per input (what ``et.jit`` traces)."""
        import inspect

        def program(*args: Any) -> Any:
            return self.run(*args)

        program.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD)
             for n, _, _ in self.inputs])
        return program

    def reference(self, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        """NumPy's outputs (warnings silenced)."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.run(*arrays)
        out = out if len(self.outputs) > 1 else (out,)
        return [np.asarray(o) for o in out]

    def source(self) -> str:
        """The program as NumPy code."""
        names: list[str] = []
        lines = [f"def program({', '.join(n for n, _, _ in self.inputs)}):"]
        for k, s in enumerate(self.steps):
            if s.kind == "input":
                names.append(s.name)
                continue
            names.append(f"v{k}")
            lines.append(f"    v{k} = {_text(s, names)}")
        lines.append(f"    return {', '.join(names[i] for i in self.outputs)}")
        return "\n".join(lines)


def _const(c: Any) -> Any:
    return c


def _apply(s: Op, vals: list[Any]) -> Any:
    a = [vals[i] for i in s.args]
    k = s.kind
    if k == "unary":
        return UNARY[s.name][0](a[0])
    if k == "binary":
        return BINARY[s.name][0](a[0], a[1])
    if k == "const":  # a Python scalar on one side, via the operator or the ufunc
        c, fn = s.p("c"), BINARY[s.name][0]
        if s.p("operator"):
            op = {"add": "__add__", "subtract": "__sub__", "multiply": "__mul__",
                  "divide": "__truediv__", "power": "__pow__"}[s.name]
            if s.p("left"):
                return getattr(a[0], op.replace("__", "__r", 1))(c)
            return getattr(a[0], op)(c)
        return fn(c, a[0]) if s.p("left") else fn(a[0], c)
    if k == "compare":
        return COMPARE[s.name](a[0], a[1])
    if k == "predicate":
        return PREDICATES[s.name](a[0])
    if k == "logic":
        return {"and": np.logical_and, "or": np.logical_or}[s.name](a[0], a[1]) \
            if s.name != "not" else np.logical_not(a[0])
    if k == "where":
        x = a[1] if s.p("x") is None else s.p("x")
        y = a[-1] if s.p("y") is None else s.p("y")
        return np.where(a[0], x, y)
    if k == "reduce":
        return REDUCE[s.name](a[0], axis=s.p("axis"), keepdims=s.p("keepdims"))
    if k == "cumsum":
        return np.cumsum(a[0], axis=s.p("axis"))
    if k == "slice":
        return a[0][s.p("index")]
    if k == "concat":
        return np.concatenate(a, axis=s.p("axis"))
    if k == "einsum":
        return np.einsum(s.name, *a)
    if k == "matmul":
        return a[0] @ a[1]
    if k == "astype":
        return a[0].astype(s.name)
    if k == "transpose":
        return np.transpose(a[0])
    raise AssertionError(k)


def _idx_text(index: tuple) -> str:
    def one(i: Any) -> str:
        if i is Ellipsis:
            return "..."
        if i is None:
            return "None"
        if isinstance(i, slice):
            return (f"{'' if i.start is None else i.start}:{'' if i.stop is None else i.stop}"
                    + ("" if i.step is None else f":{i.step}"))
        return repr(i)
    return ", ".join(one(i) for i in index)


def _text(s: Op, n: list[str]) -> str:
    a = [n[i] for i in s.args]
    k = s.kind
    if k == "unary":
        return f"{UNARY[s.name][1]}({a[0]})"
    if k == "binary":
        return f"{BINARY[s.name][1]}({a[0]}, {a[1]})"
    if k == "const":
        c = repr(s.p("c")) if not (isinstance(s.p("c"), float) and not math.isfinite(
            s.p("c"))) else f"float('{s.p('c')}')"
        if s.p("operator"):
            sym = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/",
                   "power": "**"}[s.name]
            return f"{c} {sym} {a[0]}" if s.p("left") else f"{a[0]} {sym} {c}"
        return f"{BINARY[s.name][1]}({c}, {a[0]})" if s.p("left") else \
            f"{BINARY[s.name][1]}({a[0]}, {c})"
    if k == "compare":
        return f"np.{s.name}({a[0]}, {a[1]})"
    if k == "predicate":
        return f"np.{s.name}({a[0]})"
    if k == "logic":
        return f"np.logical_{s.name}({', '.join(a)})"
    if k == "where":
        x = a[1] if s.p("x") is None else repr(s.p("x"))
        y = a[-1] if s.p("y") is None else repr(s.p("y"))
        return f"np.where({a[0]}, {x}, {y})"
    if k == "reduce":
        return f"np.{s.name}({a[0]}, axis={s.p('axis')!r}, keepdims={s.p('keepdims')})"
    if k == "cumsum":
        return f"np.cumsum({a[0]}, axis={s.p('axis')!r})"
    if k == "slice":
        return f"{a[0]}[{_idx_text(s.p('index'))}]"
    if k == "concat":
        return f"np.concatenate(({', '.join(a)},), axis={s.p('axis')})"
    if k == "einsum":
        return f"np.einsum({s.name!r}, {', '.join(a)})"
    if k == "matmul":
        return f"{a[0]} @ {a[1]}"
    if k == "astype":
        return f"{a[0]}.astype(np.{s.name})"
    if k == "transpose":
        return f"np.transpose({a[0]})"
    raise AssertionError(k)


# -- forms the rewrite rules target ----------------------------------------------------------
# A form is a list of steps ``(kind, name, args, params)`` that ``advfuzz`` appends to a
# program; an argument is ``"a"`` (the value the form starts from), ``"b"`` (a second
# value), or ``("#", k)`` (the result of the form's step ``k``); the parameters of a
# reduction are ``REDUCED`` (the generator picks the axis, keepdims=True).
REDUCED = (("axis", "?"), ("keepdims", True))


def _step_name(op: str) -> tuple[str, str] | None:
    """The program model's ``(kind, name)`` for the IR op ``op`` (None: not in it)."""
    from ..ir import OPS

    spec = OPS[op]
    if spec.kind == "reduction":
        return ("reduce", op) if op in REDUCE else None
    names = [*spec.name_in("numpy"), *spec.name_in("scipy")]
    if spec.kind != "elementwise" or spec.attrs or not names:
        return None
    table = {1: UNARY, 2: COMPARE if "comparison" in spec.tags else BINARY}.get(spec.arity, {})
    kind = {1: "unary", 2: "compare" if "comparison" in spec.tags else "binary"}.get(
        spec.arity, "")
    return next(((kind, n) for n in names if n in table), None)


def _form(pattern: Any, steps: list[tuple], first: str) -> Any:
    """Append the steps computing ``pattern`` (rule-language ``App``/``Var``/``Const``) to
    ``steps``; return the reference to its result, ``("c", value)`` for a constant, or None
    where the program model has no step for an op."""
    from ..rulelang import App, Const, Var

    if isinstance(pattern, Var):
        return "a" if pattern.name == first else "b"
    if isinstance(pattern, Const):
        return ("c", float(pattern.value))
    if not isinstance(pattern, App):
        return None
    args = [_form(p, steps, first) for p in pattern.args]
    if any(a is None for a in args):
        return None
    tensors = tuple(a for a in args if not (isinstance(a, tuple) and a[0] == "c"))
    if pattern.op == "where" and len(args) == 3 and args[0] in tensors:
        params = tuple((k, a[1]) for k, a in zip(("x", "y"), args[1:]) if a not in tensors)
        steps.append(("where", "", tensors, params))
        return ("#", len(steps) - 1)
    kind_name = _step_name(pattern.op)
    if kind_name is None or not tensors:
        return None
    kind, name = kind_name
    if kind == "reduce":
        steps.append((kind, name, tensors[:1], REDUCED))
    elif len(tensors) == len(args):
        steps.append((kind, name, tensors, ()))
    elif kind == "binary":  # one constant operand
        left = args[0] not in tensors
        c = args[0][1] if left else args[1][1]
        steps.append(("const", name, tensors, (("c", c), ("left", left), ("operator", False))))
    else:
        return None
    return ("#", len(steps) - 1)


def rule_forms() -> list[list[tuple]]:
    """The left sides (both sides of a ``<=>`` rule) of the shipped rules, as forms, where
    every op of the side has a step in the program model; each distinct form once, in
    file order (so seeded programs reproduce)."""
    from ..rulelang import default_rules, shipped_rule_files
    from ..rulelang.ast import pattern_vars

    out: dict[str, list[tuple]] = {}
    for rule in default_rules(*shipped_rule_files()).rules:
        for side in (rule.lhs, rule.rhs) if rule.bidirectional else (rule.lhs,):
            names = sorted(pattern_vars(side))
            steps: list[tuple] = []
            if names and _form(side, steps, names[0]) is not None and steps:
                out.setdefault(repr(steps), steps)
    return list(out.values())
