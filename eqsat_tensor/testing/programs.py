"""``Program``: a random graph as a small list of ``Step``s, runnable three ways.

``Program.build()`` uses the builder (``et.exp``), ``Program.numpy_function()`` is NumPy
code (``np.exp``, operators, methods) that the tracer turns into the same graph
(``Program.trace()``) and that computes reference values on arrays
(``Program.run_numpy``). ``strategies.programs`` draws them.
"""

from __future__ import annotations

import inspect
import math
import operator
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..frontend import functions as F
from ..frontend.tensor import Tensor
from ..ir import OPS, ArrayValue, Graph, Node

__all__ = ["ALL_OPS", "NUMPY_OPS", "Program", "Step"]

# The op heads a program may use. NUMPY_OPS have a NumPy spelling the tracer understands
# (a NumPy name in the ops table); the others (sigmoid, softplus, logsumexp, erf...) are
# written with the builder function (traced) or run with the ops table's reference.
ALL_OPS = tuple(n for n, s in OPS.items() if s.kind != "leaf")
NUMPY_OPS = tuple(n for n in ALL_OPS if OPS[n].name_in("numpy") or n == "cast")


@dataclass(frozen=True)
class Step:
    """One step of a ``Program``.

    ``op`` is ``"input"`` or an op name of the table; ``args`` index earlier values (the
    results of earlier steps, inputs included); ``attrs`` are keyword attributes (``axis``,
    ``keepdims``, ``axes``, ``shape``, ``dtype``, and for a constant operand ``const`` with
    ``side`` ``"left"``/``"right"``); ``style`` picks one NumPy spelling among equivalent
    ones (operator, ufunc, method), so the tracer sees every form.
    """

    op: str
    args: tuple[int, ...] = ()
    attrs: tuple[tuple[str, Any], ...] = ()
    style: int = 0

    def attr(self, name: str, default: Any = None) -> Any:
        """Value of attribute ``name``."""
        return dict(self.attrs).get(name, default)


@dataclass(frozen=True)
class Program:
    """A random well-typed computation: ``steps`` and the indices of its ``outputs``."""

    steps: tuple[Step, ...]
    outputs: tuple[int, ...]

    # -- introspection ---------------------------------------------------------------------
    @property
    def inputs(self) -> list[tuple[str, tuple[int, ...], str]]:
        """``(name, shape, dtype)`` of each input, in calling order."""
        return [(s.attr("name"), s.attr("shape"), s.attr("dtype")) for s in self.steps
                if s.op == "input"]

    @property
    def input_names(self) -> list[str]:
        """Names of the inputs, in calling order."""
        return [i[0] for i in self.inputs]

    @property
    def numpy_only(self) -> bool:
        """True when every step has a pure NumPy spelling (no builder-only op)."""
        return all(s.op == "input" or s.op in NUMPY_OPS for s in self.steps)

    # -- the three ways to run it ----------------------------------------------------------
    def build(self) -> Graph:
        """The graph, built with the builder API (``et.exp``, ``et.sum``, ...)."""
        vals: list[Tensor] = []
        inputs: list[Node] = []
        for step in self.steps:
            if step.op == "input":
                t = F.tensor(step.attr("name"), step.attr("shape"), step.attr("dtype"))
                inputs.append(t.node)
            else:
                t = _build_step(step, vals)
            vals.append(t)
        return Graph([F.to_node(vals[i]) for i in self.outputs], inputs)

    @property
    def has_zero_ties(self) -> bool:
        """True when a ``max``/``min`` reduction may tie ``+0.0`` with ``-0.0`` (whose
        sign NumPy itself picks by its SIMD blocking: see ``run_numpy``)."""
        return any(s.op in _ZERO_TIE_OPS for s in self.steps)

    def numpy_function(self, zero_ties: str | None = None) -> Callable[..., Any]:
        """A NumPy function of the inputs (by name) computing the outputs (a tuple when
        there are several). Works on arrays and, traced, on Tensors.

        ``zero_ties`` (``"+"`` or ``"-"``, arrays only): a ``max``/``min`` reduction whose
        extreme is a zero that occurs with both signs returns that sign of zero."""
        steps, outputs = self.steps, self.outputs
        names = self.input_names

        def program(*args: Any) -> Any:
            it = iter(args)
            vals: list[Any] = []
            for step in steps:
                if step.op == "input":
                    vals.append(next(it))
                    continue
                out = _numpy_step(step, vals)
                if zero_ties is not None and step.op in _ZERO_TIE_OPS:
                    out = _resolve_zero_ties(step, vals[step.args[0]], out, zero_ties)
                # NumPy returns scalars (np.float64) from full reductions; keep arrays.
                vals.append(np.asarray(out) if isinstance(out, np.generic) else out)
            outs = tuple(vals[i] for i in outputs)
            return outs if len(outs) > 1 else outs[0]

        program.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in names])
        program.__name__ = "program"
        return program

    def trace(self) -> Graph:
        """The graph traced from ``numpy_function()`` by ``@et.jit`` (no optimization)."""
        from ..jit import JitFunction

        fn = JitFunction(self.numpy_function(), backend="numpy", optimize=False)
        return fn.trace(*[np.zeros(shape, dtype) for _, shape, dtype in self.inputs])

    def run_numpy(self, arrays: Sequence[np.ndarray], zero_ties: str | None = None
                  ) -> list[np.ndarray]:
        """Plain NumPy values of the outputs (IEEE semantics, warnings silenced).

        ``zero_ties``: see ``numpy_function``. NumPy's ``max``/``min`` of zeros of both
        signs depends on its SIMD blocking (``np.max`` of sixteen ``0.0`` then ``-0.0`` is
        ``-0.0``, of seventeen ``0.0``), so the contract leaves that sign open and a judge
        accepts either resolution."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.numpy_function(zero_ties)(*arrays)
        outs = out if len(self.outputs) > 1 else (out,)
        return [np.asarray(o) for o in outs]

    # -- reading it ------------------------------------------------------------------------
    def source(self) -> str:
        """The NumPy code of ``numpy_function`` as text."""
        lines = [f"def program({', '.join(self.input_names)}):"]
        names: list[str] = []
        for k, step in enumerate(self.steps):
            if step.op == "input":
                names.append(step.attr("name"))
                continue
            names.append(f"v{k}")
            lines.append(f"    v{k} = {_step_text(step, names)}")
        lines.append(f"    return {', '.join(names[i] for i in self.outputs)}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # hypothesis/IPython
        printer.text(repr(self))

    def __repr__(self) -> str:
        sig = ", ".join(f"{n}: {d}{list(s)}" for n, s, d in self.inputs)
        return f"Program[{sig}]:\n{self.source()}"


# -- the builder spelling ---------------------------------------------------------------------

_BUILDER_NAMES = {"pow": "power", "neg": "negative"}


def _builder(op: str) -> Callable:
    return getattr(F, _BUILDER_NAMES.get(op, op))


def _const(step: Step) -> Any:
    c = step.attr("const")
    return c.array if isinstance(c, ArrayValue) else c


def _build_step(step: Step, vals: list[Any]) -> Tensor:
    op, a = step.op, [vals[i] for i in step.args]
    spec = OPS[op]
    if step.attr("side") is not None:  # a binary op (or where) with a constant operand
        c = _const(step)
        a = [c] + a if step.attr("side") == "left" else a + [c]
    if op == "cast":
        return F.cast(a[0], step.attr("dtype"))
    if spec.kind == "reduction":
        return _builder(op)(a[0], axis=step.attr("axis"), keepdims=step.attr("keepdims"))
    if op == "transpose":
        return F.transpose(a[0], step.attr("axes"))
    if op in ("reshape", "broadcast_to"):
        return _builder(op)(a[0], step.attr("shape"))
    if op == "expand_dims":
        return F.expand_dims(a[0], step.attr("axis"))
    return _builder(op)(*a)


# -- the NumPy spelling -----------------------------------------------------------------------

_OPERATORS = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
              "div": operator.truediv, "pow": operator.pow, "matmul": operator.matmul,
              "less": operator.lt, "less_equal": operator.le, "greater": operator.gt,
              "greater_equal": operator.ge, "equal": operator.eq, "not_equal": operator.ne}
_UFUNC_NAMES = {"sub": "subtract", "mul": "multiply", "div": "divide", "pow": "power",
                "neg": "negative", "abs": "absolute"}
_OP_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@",
               "less": "<", "less_equal": "<=", "greater": ">", "greater_equal": ">=",
               "equal": "==", "not_equal": "!="}
_ZERO_TIE_OPS = ("max", "min")


def _resolve_zero_ties(step: Step, x: np.ndarray, out: Any, sign: str) -> np.ndarray:
    """``out`` (a max/min reduction of ``x``) with ``sign`` on each zero result whose
    reduced slice holds both ``+0.0`` and ``-0.0``."""
    x, out = np.asarray(x), np.asarray(out)
    if x.dtype.kind != "f":
        return out
    kw = {"axis": step.attr("axis"), "keepdims": step.attr("keepdims")}
    zero = x == 0
    tie = (out == 0) & np.any(zero & np.signbit(x), **kw) & np.any(zero & ~np.signbit(x), **kw)
    return np.where(tie, out.dtype.type(-0.0 if sign == "-" else 0.0), out).astype(out.dtype)


_REDUCE_NP = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod}


def _ufunc(op: str) -> np.ufunc:
    return getattr(np, _UFUNC_NAMES.get(op, op))


def _uses_operator(step: Step) -> bool:
    # A Python scalar on the left of a comparison is reflected by Python (2 < x runs
    # x > 2), which is a different graph: those always use the ufunc spelling.
    if step.op not in _OPERATORS or step.style % 2:
        return False
    return not (step.attr("side") == "left" and OPS[step.op].tags & {"comparison"}
                and not isinstance(step.attr("const"), ArrayValue))


def _numpy_step(step: Step, vals: list[Any]) -> Any:
    op, a = step.op, [vals[i] for i in step.args]
    spec = OPS[op]
    if step.attr("side") is not None:
        c = _const(step)
        a = [c] + a if step.attr("side") == "left" else a + [c]
    traced = any(isinstance(v, Tensor) for v in a)
    if op not in NUMPY_OPS:  # builder-only ops: traced with the builder, run by reference
        if traced:
            return _build_step(step, vals)
        if spec.kind == "reduction":
            x = np.asarray(a[0])
            axis = tuple(range(x.ndim)) if step.attr("axis") is None else tuple(
                sorted(int(i) % x.ndim for i in np.atleast_1d(step.attr("axis"))))
            return spec.reference(x, axis=axis, keepdims=step.attr("keepdims"))
        return spec.reference(*a)
    if op == "neg":
        return -a[0] if step.style % 2 == 0 else np.negative(a[0])
    if op == "abs":
        return abs(a[0]) if step.style % 2 == 0 else np.absolute(a[0])
    if op == "where":
        return np.where(*a)
    if op == "cast":
        return a[0].astype(step.attr("dtype"))
    if spec.kind == "reduction":
        kw = {"axis": step.attr("axis"), "keepdims": step.attr("keepdims")}
        return getattr(a[0], op)(**kw) if step.style % 2 == 0 else _REDUCE_NP[op](a[0], **kw)
    if op == "matmul":
        if step.style % 3 == 2 and 1 <= len(a[0].shape) <= 2 and 1 <= len(a[1].shape) <= 2:
            return np.dot(a[0], a[1])
        return a[0] @ a[1] if step.style % 3 == 0 else np.matmul(a[0], a[1])
    if op == "transpose":
        axes = step.attr("axes")
        if axes is None:
            return a[0].T if step.style % 2 == 0 else np.transpose(a[0])
        return a[0].transpose(axes) if step.style % 2 == 0 else np.transpose(a[0], axes)
    if op == "reshape":
        shape = step.attr("shape")
        return a[0].reshape(shape) if step.style % 2 == 0 else np.reshape(a[0], shape)
    if op == "broadcast_to":
        return np.broadcast_to(a[0], step.attr("shape"))
    if op == "expand_dims":
        axis, nd = step.attr("axis"), len(a[0].shape)
        if step.style % 2 == 0 and axis == (0,):
            return a[0][None]
        if step.style % 2 == 0 and axis == (nd,):
            return a[0][..., None]
        return np.expand_dims(a[0], axis)
    if _uses_operator(step):
        return _OPERATORS[op](*a)
    return _ufunc(op)(*a)


def _fmt_const(c: Any) -> str:
    if isinstance(c, ArrayValue):
        arr = c.array
        return f"np.array({arr.tolist()!r}, dtype=np.{arr.dtype.name})"
    return repr(c) if not (isinstance(c, float) and not math.isfinite(c)) else f"float({str(c)!r})"


def _step_text(step: Step, names: list[str]) -> str:
    op = step.op
    a = [names[i] for i in step.args]
    if step.attr("side") is not None:
        c = _fmt_const(step.attr("const"))
        a = [c] + a if step.attr("side") == "left" else a + [c]
    spec = OPS[op]
    if op not in NUMPY_OPS:
        attrs = "".join(f", {k}={v!r}" for k, v in step.attrs if k in ("axis", "keepdims"))
        return f"et.{op}({', '.join(a)}{attrs})"
    if op == "neg":
        return f"-{a[0]}" if step.style % 2 == 0 else f"np.negative({a[0]})"
    if op == "abs":
        return f"abs({a[0]})" if step.style % 2 == 0 else f"np.absolute({a[0]})"
    if op == "where":
        return f"np.where({', '.join(a)})"
    if op == "cast":
        return f"{a[0]}.astype(np.{step.attr('dtype')})"
    if spec.kind == "reduction":
        kw = f"axis={step.attr('axis')!r}, keepdims={step.attr('keepdims')}"
        return f"{a[0]}.{op}({kw})" if step.style % 2 == 0 else f"np.{op}({a[0]}, {kw})"
    if op == "transpose":
        axes = step.attr("axes")
        if axes is None:
            return f"{a[0]}.T" if step.style % 2 == 0 else f"np.transpose({a[0]})"
        return f"{a[0]}.transpose({axes})" if step.style % 2 == 0 else \
            f"np.transpose({a[0]}, {axes})"
    if op == "reshape":
        return f"{a[0]}.reshape({step.attr('shape')})" if step.style % 2 == 0 else \
            f"np.reshape({a[0]}, {step.attr('shape')})"
    if op == "broadcast_to":
        return f"np.broadcast_to({a[0]}, {step.attr('shape')})"
    if op == "expand_dims":
        return f"np.expand_dims({a[0]}, {step.attr('axis')})"
    if op == "matmul" and step.style % 3 == 2:
        return f"np.dot({a[0]}, {a[1]})  # np.matmul when a side has more than 2 dims"
    if op == "matmul" and step.style % 3 == 1:
        return f"np.matmul({a[0]}, {a[1]})"
    if _uses_operator(step):
        return f"{a[0]} {_OP_SYMBOLS[op]} {a[1]}"
    return f"np.{_ufunc(op).__name__}({', '.join(a)})"
