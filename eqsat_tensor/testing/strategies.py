"""Hypothesis strategies for eqsat-tensor: values, shapes, arrays and random graphs.

Reused by the core tests, the rule checker (``check_rules``), pipeline fuzzing and the
backend differential tests. Everything here is a plain ``hypothesis`` strategy, so it
shrinks: a failing random graph shrinks towards fewer, simpler steps.

Values
    ``edge_values(dtype)`` (0, -0.0, ±1, ±eps, ±tiny, ±smallest subnormal, ±huge),
    ``floats(dtype, safe=False)`` (finite floats, edge values mixed in; ``safe`` keeps them
    in ``[1/8, 7/8]``), ``arrays(shape, dtype, safe=False)``.
Shapes
    ``shapes(...)``, ``broadcastable_shapes(shape, ...)`` (size-1 and, optionally, empty
    dims).
Graphs
    A random graph is drawn as a ``Program``: a short list of ``Step``s (input, op,
    constant operand) over the ops table. A program is built two ways, which must give the
    identical hash-consed graph:

    * ``program.build()`` calls the builder (``et.exp(x)``, ``et.sum(x, axis=1)``);
    * ``program.numpy_function()`` is ordinary NumPy code (``np.exp(x)``, ``x + 2.0``,
      ``np.sum(x, axis=1)``, ``x.sum(...)``, ``a @ b``, ``x.T``, ``np.where``); traced by
      ``@et.jit`` (``program.trace()``) it gives the graph, run on arrays
      (``program.run_numpy(arrays)``) it gives the reference values.

    ``programs(...)`` draws programs (size- and depth-bounded), ``graphs(...)`` draws the
    built Graph, ``input_arrays(graph_or_program, safe=...)`` draws matching inputs, and
    ``programs_with_inputs(...)`` draws both. ``print(program)`` shows the NumPy source.
"""

from __future__ import annotations

import inspect
import math
import operator
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import strategies as st

from ..frontend import functions as F
from ..frontend.tensor import Tensor
from ..ir import FLOAT_DTYPES, OPS, ArrayValue, Graph, Node, broadcast_shapes

__all__ = [
    "Step", "Program", "edge_values", "floats", "arrays", "shapes", "broadcastable_shapes",
    "programs", "graphs", "input_arrays", "programs_with_inputs", "NUMPY_OPS", "ALL_OPS",
    "SAFE_RANGE",
]

# The op heads a program may use. NUMPY_OPS have a NumPy spelling the tracer understands;
# sigmoid, softplus and logsumexp have none, so in NumPy code they are written with the
# builder function (traced) or run with the ops table's reference (on arrays).
ALL_OPS = tuple(n for n, s in OPS.items() if s.kind != "leaf")
NUMPY_OPS = tuple(n for n in ALL_OPS if n not in ("sigmoid", "softplus", "logsumexp"))

SAFE_RANGE = (0.125, 0.875)

# ---------------------------------------------------------------------------------------
# Values and arrays.


def edge_values(dtype: str = "float64") -> list[float]:
    """The finite values that break numerics: 0, -0.0, ±1, ±eps, ±tiny (smallest normal),
    ±smallest subnormal, ±huge (largest finite), ±sqrt(huge)."""
    fi = np.finfo(dtype)
    base = [0.0, 1.0, float(fi.eps), float(fi.tiny), float(fi.smallest_subnormal),
            float(fi.max), float(np.sqrt(fi.max)), 0.5, 2.0]
    out = [-0.0]
    for b in base:
        out += [b] if b == 0.0 else [b, -b]
    return out


def floats(dtype: str = "float64", *, safe: bool = False, edges: bool = True
           ) -> st.SearchStrategy[float]:
    """Finite floats representable in ``dtype``, with ``edge_values`` mixed in.

    ``safe=True`` keeps values in ``SAFE_RANGE`` (moderate, positive, < 1), where every
    single op of the table is defined and nothing overflows; compositions may still leave
    a domain (``log`` gives a negative), which the callers compare with ``equal_nan``.
    """
    width = 32 if dtype == "float32" else 64
    if safe:
        return st.floats(*SAFE_RANGE, width=width)
    core = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True, width=width)
    if not edges:
        return core
    return st.one_of(st.sampled_from(edge_values(dtype)), core)


def arrays(shape: Sequence[int], dtype: str = "float64", *, safe: bool = False,
           elements: st.SearchStrategy | None = None) -> st.SearchStrategy[np.ndarray]:
    """Arrays of ``shape`` and ``dtype`` (``bool`` allowed) with ``floats(dtype, safe)``
    elements unless ``elements`` is given."""
    if dtype == "bool":
        return hnp.arrays(np.bool_, tuple(shape), elements=elements or st.booleans())
    return hnp.arrays(np.dtype(dtype), tuple(shape),
                      elements=elements or floats(dtype, safe=safe))


def shapes(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4,
           allow_empty: bool = False) -> st.SearchStrategy[tuple[int, ...]]:
    """Array shapes; ``allow_empty`` lets a dim be 0 now and then."""
    base = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)
    if not allow_empty:
        return base
    return st.one_of(base, base.flatmap(lambda s: _with_zero(s))) if max_dims > 0 else base


def _with_zero(shape: tuple[int, ...]) -> st.SearchStrategy[tuple[int, ...]]:
    if not shape:
        return st.just(shape)
    return st.integers(0, len(shape) - 1).map(lambda i: shape[:i] + (0,) + shape[i + 1:])


def broadcastable_shapes(shape: Sequence[int], *, max_dims: int | None = None,
                         max_side: int = 4) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes that broadcast with ``shape`` (size-1 dims, fewer or extra leading dims)."""
    shape = tuple(shape)
    top = max_dims if max_dims is not None else len(shape) + 1
    return hnp.broadcastable_shapes(shape, min_dims=0, max_dims=max(top, 0), min_side=1,
                                    max_side=max(max_side, *(d for d in shape), 1))


# ---------------------------------------------------------------------------------------
# Programs.


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
    _meta: tuple = field(default=(), compare=False, repr=False)

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

    def numpy_function(self) -> Callable[..., Any]:
        """A NumPy function of the inputs (by name) computing the outputs (a tuple when
        there are several). Works on arrays and, traced, on Tensors."""
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

    def run_numpy(self, arrays: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Plain NumPy values of the outputs (IEEE semantics, warnings silenced)."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.numpy_function()(*arrays)
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


# ---------------------------------------------------------------------------------------
# Drawing programs.

_SCALARS = (0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 3.0, -2.5, 1e-3, 1e3)
_POW_EXPONENTS = (2.0, 3.0, 0.5, -1.0, 1.0, 0.0)


@dataclass
class _Val:
    shape: tuple[int, ...]
    dtype: str
    depth: int


class _Drawer:
    """State of one program being drawn (values so far, node count)."""

    def __init__(self, draw: Callable, *, max_nodes: int, max_depth: int, max_inputs: int,
                 max_size: int, dtypes: Sequence[str], allow_empty: bool, max_dims: int
                 ) -> None:
        self.draw, self.max_nodes, self.max_depth = draw, max_nodes, max_depth
        self.max_inputs, self.max_size, self.dtypes = max_inputs, max_size, tuple(dtypes)
        self.allow_empty, self.max_dims = allow_empty, max_dims
        self.steps: list[Step] = []
        self.vals: list[_Val] = []
        self.n_inputs = 0
        self.nodes = 0
        self.used: set[int] = set()

    # -- helpers ---------------------------------------------------------------------------
    def fits(self, shape: tuple[int, ...]) -> bool:
        return math.prod(shape) <= self.max_size and len(shape) <= self.max_dims + 1

    def add(self, step: Step, shape: tuple[int, ...], dtype: str, extra_nodes: int = 0) -> int:
        depth = 1 + max((self.vals[i].depth for i in step.args), default=0)
        self.steps.append(step)
        self.vals.append(_Val(tuple(shape), dtype, depth))
        self.used.update(step.args)
        self.nodes += 1 + extra_nodes
        return len(self.vals) - 1

    def new_input(self, shape: tuple[int, ...] | None = None, dtype: str | None = None) -> int:
        if shape is None:
            shape = self.draw(shapes(max_dims=self.max_dims, allow_empty=self.allow_empty))
        if dtype is None:
            dtype = self.draw(st.sampled_from(self.dtypes))
        name = f"x{self.n_inputs}"
        self.n_inputs += 1
        step = Step("input", (), (("dtype", dtype), ("name", name), ("shape", tuple(shape))))
        self.steps.append(step)
        self.vals.append(_Val(tuple(shape), dtype, 0))
        self.nodes += 1
        return len(self.vals) - 1

    def pick(self, ok: Callable[[_Val], bool]) -> int | None:
        cands = [k for k, v in enumerate(self.vals) if ok(v) and v.depth < self.max_depth]
        if not cands:
            return None
        # Mostly consume results nobody uses yet, so that little of the program dangles
        # outside the graph; newest first, so programs grow deep chains as well as wide ones.
        fresh = [k for k in cands if k not in self.used and self.steps[k].op != "input"]
        if fresh and self.draw(st.integers(0, 3)) > 0:
            return self.draw(st.sampled_from(fresh[::-1]))
        return self.draw(st.sampled_from(cands[::-1]))

    def style(self) -> int:
        return self.draw(st.integers(0, 5))

    def const_scalar(self) -> float:
        return self.draw(st.sampled_from(_SCALARS))

    # -- one step of each kind -------------------------------------------------------------
    def unary(self, op: str) -> None:
        i = self.pick(lambda v: v.dtype != "bool")
        if i is not None:
            v = self.vals[i]
            self.add(Step(op, (i,), (), self.style()), v.shape, v.dtype)

    def binary(self, op: str) -> None:
        i = self.pick(lambda v: v.dtype != "bool")
        if i is None:
            return
        a = self.vals[i]
        is_cmp = "comparison" in OPS[op].tags
        out_dtype = (lambda d: "bool") if is_cmp else (lambda d: d)
        choice = self.draw(st.sampled_from(["value", "scalar", "array", "input"]))
        if op == "pow":  # a constant exponent keeps pow defined for more bases
            choice = "pow"
        if choice == "value":
            j = self.pick(lambda v: v.dtype != "bool" and _broadcasts(v.shape, a.shape))
            if j is not None:
                shape = broadcast_shapes(a.shape, self.vals[j].shape)
                if self.fits(shape):
                    args = (i, j) if self.draw(st.booleans()) else (j, i)
                    dtype = _promote(a.dtype, self.vals[j].dtype)
                    self.add(Step(op, args, (), self.style()), shape, out_dtype(dtype))
                    return
            choice = "scalar"
        if choice == "input" and self.n_inputs < self.max_inputs:
            shape = self.draw(broadcastable_shapes(a.shape, max_dims=self.max_dims))
            out = broadcast_shapes(a.shape, shape)
            if self.fits(out):
                j = self.new_input(shape)
                dtype = _promote(a.dtype, self.vals[j].dtype)
                self.add(Step(op, (i, j), (), self.style()), out, out_dtype(dtype))
                return
        if choice == "array":
            shape = self.draw(broadcastable_shapes(a.shape, max_dims=self.max_dims))
            out = broadcast_shapes(a.shape, shape)
            cdt = self.draw(st.sampled_from(self.dtypes))
            if self.fits(out):
                arr = self.draw(arrays(shape, cdt, safe=True))
                side = self.draw(st.sampled_from(["left", "right"]))
                attrs = (("const", ArrayValue(arr)), ("side", side))
                self.add(Step(op, (i,), attrs, self.style()), out,
                         out_dtype(_promote(a.dtype, cdt)), extra_nodes=1)
                return
        if choice == "pow":
            c, side = self.draw(st.sampled_from(_POW_EXPONENTS)), "right"
        else:
            c, side = self.const_scalar(), self.draw(st.sampled_from(["left", "right"]))
        self.add(Step(op, (i,), (("const", c), ("side", side)), self.style()), a.shape,
                 out_dtype(a.dtype), extra_nodes=1)

    def fold(self, last: int, max_nodes: int) -> int:
        """Add the results nobody uses into ``last`` (while the shapes broadcast and the
        node budget lasts), so the graph contains most of the program."""
        for k in range(len(self.vals) - 1, -1, -1):
            v, r = self.vals[k], self.vals[last]
            if (k in self.used or k == last or self.steps[k].op == "input" or v.dtype == "bool"
                    or r.dtype == "bool" or self.nodes >= max_nodes
                    or not _broadcasts(v.shape, r.shape)):
                continue
            out = broadcast_shapes(v.shape, r.shape)
            if self.fits(out):
                last = self.add(Step("add", (last, k), (), self.style()), out,
                                _promote(v.dtype, r.dtype))
        return last

    def where(self) -> None:
        c = self.pick(lambda v: v.dtype == "bool")
        if c is None:
            self.binary(self.draw(st.sampled_from(_COMPARISONS)))
            return
        cs = self.vals[c].shape
        i = self.pick(lambda v: v.dtype != "bool" and _broadcasts(v.shape, cs))
        if i is None:
            return
        a = self.vals[i]
        shape = broadcast_shapes(cs, a.shape)
        j = self.pick(lambda v: v.dtype != "bool" and _broadcasts(v.shape, shape))
        if j is not None and self.draw(st.booleans()):
            out = broadcast_shapes(shape, self.vals[j].shape)
            if self.fits(out):
                args = (c, i, j) if self.draw(st.booleans()) else (c, j, i)
                self.add(Step("where", args, (), 0), out,
                         _promote(a.dtype, self.vals[j].dtype))
                return
        if self.fits(shape):
            self.add(Step("where", (c, i), (("const", self.const_scalar()), ("side", "right"))),
                     shape, a.dtype, extra_nodes=1)

    def reduction(self, op: str) -> None:
        i = self.pick(lambda v: v.dtype != "bool")
        if i is None:
            return
        shape = self.vals[i].shape
        nd = len(shape)
        kind = self.draw(st.sampled_from(["none", "int", "tuple"]))
        if kind == "int" and nd:
            ax = self.draw(st.integers(-nd, nd - 1))
            axes: tuple[int, ...] = (ax % nd,)
            axis: Any = ax
        elif kind == "tuple":
            axes = tuple(sorted(self.draw(st.sets(st.integers(0, max(nd - 1, 0)), max_size=nd)
                                          if nd else st.just(set()))))
            flip = self.draw(st.booleans())
            axis = tuple((a - nd) if flip else a for a in axes)
        else:
            axes, axis = tuple(range(nd)), None
        if op in ("max", "min") and any(shape[a] == 0 for a in axes):
            return  # NumPy raises: no identity for an empty max/min
        if op in ("max", "min") and math.prod(shape) == 0 and not axes and nd == 0:
            return
        keepdims = self.draw(st.booleans())
        out = tuple(1 if k in axes else d for k, d in enumerate(shape)) if keepdims else \
            tuple(d for k, d in enumerate(shape) if k not in axes)
        self.add(Step(op, (i,), (("axis", axis), ("keepdims", keepdims)), self.style()),
                 out, self.vals[i].dtype)

    def matmul(self) -> None:
        i = self.pick(lambda v: v.dtype != "bool" and len(v.shape) >= 1)
        if i is None:
            return
        a = self.vals[i]
        k = a.shape[-1]

        def fits_right(v: _Val) -> bool:
            if v.dtype == "bool" or not v.shape:
                return False
            inner = v.shape[0] if len(v.shape) == 1 else v.shape[-2]
            return inner == k and _matmul_shape(a.shape, v.shape) is not None

        j = self.pick(fits_right) if self.draw(st.booleans()) else None
        if j is None:
            if self.n_inputs >= self.max_inputs:
                return
            m = self.draw(st.integers(1, 3))
            shape = self.draw(st.sampled_from([(k,), (k, m)]))
            j = self.new_input(shape)
        out = _matmul_shape(a.shape, self.vals[j].shape)
        if out is not None and self.fits(out):
            self.add(Step("matmul", (i, j), (), self.style()), out,
                     _promote(a.dtype, self.vals[j].dtype))

    def layout(self, op: str) -> None:
        i = self.pick(lambda v: True)
        if i is None:
            return
        v = self.vals[i]
        shape, nd = v.shape, len(v.shape)
        if op == "transpose":
            if self.draw(st.booleans()):
                axes = None
                out = shape[::-1]
            else:
                axes = tuple(self.draw(st.permutations(range(nd))))
                out = tuple(shape[a] for a in axes)
            self.add(Step(op, (i,), (("axes", axes),), self.style()), out, v.dtype)
        elif op == "reshape":
            out = self.draw(_reshape_targets(shape, self.max_dims))
            self.add(Step(op, (i,), (("shape", out),), self.style()), out, v.dtype)
        elif op == "expand_dims":
            n_new = self.draw(st.integers(1, 2))
            if nd + n_new > self.max_dims + 1:
                return
            axes = tuple(sorted(self.draw(st.sets(st.integers(0, nd + n_new - 1),
                                                  min_size=n_new, max_size=n_new))))
            out = list(shape)
            for ax in axes:
                out.insert(ax, 1)
            self.add(Step(op, (i,), (("axis", axes),), self.style()), tuple(out), v.dtype)
        elif op == "broadcast_to":
            lead = tuple(self.draw(st.lists(st.integers(1, 3), max_size=1)))
            grown = tuple(self.draw(st.integers(0 if self.allow_empty else 1, 3)) if d == 1
                          and self.draw(st.booleans()) else d for d in shape)
            out = lead + grown
            if self.fits(out):
                self.add(Step(op, (i,), (("shape", out),), 0), out, v.dtype)
        elif op == "cast":
            i = self.pick(lambda v: True)
            dtype = self.draw(st.sampled_from(self.dtypes))
            self.add(Step(op, (i,), (("dtype", dtype),)), self.vals[i].shape, dtype)


_COMPARISONS = ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal")


def _broadcasts(a: tuple, b: tuple) -> bool:
    try:
        broadcast_shapes(a, b)
    except Exception:
        return False
    return True


def _promote(*dtypes: str) -> str:
    return "float64" if "float64" in dtypes else "float32"


def _matmul_shape(a: tuple, b: tuple) -> tuple | None:
    try:
        return tuple(OPS["matmul"].shape_rule([a, b], {}))
    except Exception:  # the shape rule's mismatch: no product of these shapes
        return None


@st.composite
def _reshape_targets(draw: Callable, shape: tuple[int, ...], max_dims: int) -> tuple[int, ...]:
    total = math.prod(shape)
    k = draw(st.integers(0 if total == 1 else 1, max(max_dims, 1)))
    if total == 0:
        dims = [draw(st.integers(1, 3)) for _ in range(k)]
        dims[draw(st.integers(0, k - 1))] = 0
        return tuple(dims)
    dims = [1] * k
    for p in _prime_factors(total):
        dims[draw(st.integers(0, k - 1))] *= p
    return tuple(dims)


def _prime_factors(n: int) -> list[int]:
    out, p = [], 2
    while p * p <= n:
        while n % p == 0:
            out.append(p)
            n //= p
        p += 1
    if n > 1:
        out.append(n)
    return out


def _kind_of(op: str) -> str:
    spec = OPS[op]
    if op == "where":
        return "where"
    if spec.kind == "elementwise" and spec.arity == 1 and op != "cast":
        return "unary"
    if spec.kind == "elementwise" and spec.arity == 2:
        return "binary"
    if spec.kind in ("reduction", "matmul"):
        return spec.kind
    return "layout"


@st.composite
def programs(draw: Callable, *, max_nodes: int = 30, max_depth: int = 12, max_inputs: int = 4,
             max_outputs: int = 2, dtypes: Sequence[str] = FLOAT_DTYPES,
             ops: Sequence[str] = NUMPY_OPS, allow_empty: bool = True, max_dims: int = 3,
             max_size: int = 256) -> Program:
    """Random well-typed programs over ``ops``.

    The built graph has at most ``max_nodes`` nodes (inputs and constants counted), depth
    at most ``max_depth`` op levels, at most ``max_inputs`` inputs of ``dtypes``, arrays
    of at most ``max_dims`` dims (``expand_dims`` may add one) and ``max_size`` elements;
    ``allow_empty`` lets dims be 0. Operands broadcast; reductions draw ``axis`` as None,
    an int (negative too) or a tuple, with ``keepdims``; matmul finds or creates a
    matching right operand; ``where`` takes comparisons as conditions.
    """
    unknown = set(ops) - set(ALL_OPS)
    if unknown:
        raise ValueError(f"programs: unknown ops {sorted(unknown)}")
    d = _Drawer(draw, max_nodes=max_nodes, max_depth=max_depth, max_inputs=max(max_inputs, 1),
                max_size=max_size, dtypes=dtypes, allow_empty=allow_empty, max_dims=max_dims)
    d.new_input()
    target = draw(st.integers(min(2, max_nodes), max(max_nodes, 2)))
    ops = tuple(ops)
    for _ in range(4 * target):
        if d.nodes >= target - 2:  # a step adds at most 3 nodes (op, constant, input)
            break
        op = draw(st.sampled_from(ops))
        kind = _kind_of(op)
        if kind == "unary":
            d.unary(op)
        elif kind == "binary":
            d.binary(op)
        elif kind == "where":
            d.where()
        elif kind == "reduction":
            d.reduction(op)
        elif kind == "matmul":
            d.matmul()
        else:
            d.layout(op)
    if len(d.steps) == d.n_inputs:  # no op drawn: at least one step
        d.unary(next((o for o in ops if _kind_of(o) == "unary"), "neg"))
    last = max(k for k, step in enumerate(d.steps) if step.op != "input")
    last = d.fold(last, max_nodes)
    others = [k for k in range(len(d.vals)) if k != last and d.steps[k].op != "input"
              and k not in d.used]
    extra = draw(st.lists(st.sampled_from(others), max_size=max_outputs - 1, unique=True)
                 ) if others and max_outputs > 1 else []
    return Program(tuple(d.steps), (last, *extra))


def graphs(**kwargs: Any) -> st.SearchStrategy[Graph]:
    """Random well-typed Graphs: ``programs(**kwargs)`` built with the builder."""
    return programs(**kwargs).map(lambda p: p.build())


@st.composite
def input_arrays(draw: Callable, target: Graph | Program, *, safe: bool = False,
                 dims: dict[str, int] | None = None) -> list[np.ndarray]:
    """Arrays for the inputs of a Graph or Program, in calling order.

    ``safe`` draws from ``SAFE_RANGE`` (see ``floats``). Symbolic dims of a Graph are bound
    consistently: from ``dims`` when given, else drawn in 1..4."""
    if isinstance(target, Program):
        specs = target.inputs
    else:
        specs = [(n.name, n.shape, n.dtype) for n in target.inputs]
    bound = dict(dims or {})
    out = []
    for _, shape, dtype in specs:
        concrete = []
        for d in shape:
            if isinstance(d, str):
                if d not in bound:
                    bound[d] = draw(st.integers(1, 4))
                d = bound[d]
            concrete.append(d)
        out.append(draw(arrays(tuple(concrete), dtype, safe=safe)))
    return out


@st.composite
def programs_with_inputs(draw: Callable, *, safe: bool = False, **kwargs: Any
                         ) -> tuple[Program, list[np.ndarray]]:
    """A ``programs(**kwargs)`` draw and ``input_arrays`` for it."""
    prog = draw(programs(**kwargs))
    return prog, draw(input_arrays(prog, safe=safe))
