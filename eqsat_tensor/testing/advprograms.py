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

# name -> (callable on arrays and traced values, NumPy spelling)
UNARY: dict[str, tuple[Callable, str]] = {
    n: (getattr(np, n), f"np.{n}") for n in (
        "exp", "log", "sqrt", "tanh", "sin", "cos", "expm1", "log1p", "abs", "negative",
        "square", "arctan", "sinh", "cosh", "floor", "ceil", "sign", "rint", "cbrt",
        "reciprocal", "log2", "exp2", "arcsinh", "trunc", "log10")}
UNARY.update({n: (getattr(sps, n), f"scipy.special.{n}") for n in (
    "erf", "erfc", "expit", "ndtr", "log_ndtr", "gammaln", "erfcx", "logit")})
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
