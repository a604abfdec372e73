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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ..ir import FLOAT_DTYPES, OPS, ArrayValue, Graph, broadcast_shapes
from .programs import ALL_OPS, NUMPY_OPS, Program, Step
from .values import SAFE_RANGE, arrays, broadcastable_shapes, edge_values, floats, shapes

__all__ = [
    "Step", "Program", "edge_values", "floats", "arrays", "shapes", "broadcastable_shapes",
    "programs", "graphs", "input_arrays", "programs_with_inputs", "NUMPY_OPS", "ALL_OPS",
    "SAFE_RANGE",
]

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

    def fold(self, last: int, max_nodes: int, ops: Sequence[str]) -> int:
        """Combine the results nobody uses into ``last`` with ``add`` (or another arithmetic
        op of ``ops``) while the shapes broadcast and the node budget lasts, so the graph
        contains most of the program."""
        arith = [o for o in ops if _kind_of(o) == "binary" and "comparison" not in OPS[o].tags]
        if not arith:
            return last
        op = "add" if "add" in arith else arith[0]
        for k in range(len(self.vals) - 1, -1, -1):
            v, r = self.vals[k], self.vals[last]
            if (k in self.used or k == last or self.steps[k].op == "input" or v.dtype == "bool"
                    or r.dtype == "bool" or self.nodes >= max_nodes
                    or max(v.depth, r.depth) >= self.max_depth
                    or not _broadcasts(v.shape, r.shape)):
                continue
            out = broadcast_shapes(v.shape, r.shape)
            if self.fits(out):
                last = self.add(Step(op, (last, k), (), self.style()), out,
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
    last = d.fold(last, max_nodes, ops)
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
