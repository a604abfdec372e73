"""``check_rules``: property-test rewrite rules for soundness with hypothesis.

For each rule (each direction of a bidirectional one) hypothesis draws a dtype, shapes
for the pattern variables (scalars, broadcasting, square matrices), attribute values
(axes, keepdims, ...) and element values rich in edge cases (0, -0.0, +-tiny, subnormals,
+-huge, values at exp's overflow, and +-inf/NaN under ``ieee="strict"``) that satisfy the
rule's guard; both sides are built with ``rulelang.ast.instantiate`` and evaluated on the
reference backend. The semantics are those of DESIGN.md ("Semantics and soundness"):

* elements that are equal, or within ``TOL_ULPS`` ulps plus the sides' running rounding
  error bounds (``errbound``), agree;
* otherwise the exact value of the left side (mpmath, ``oracle``) decides: the right side
  is sound there if it is no further from the exact value than the left side (so removing
  an intermediate overflow or a cancellation is allowed), and where the left side is
  undefined (exact NaN) the right side must be NaN too;
* rules tagged ``stability`` get no rounding-bound allowance: they must be at least as
  accurate as the left side against the oracle wherever the sides differ;
* under ``ieee="strict"`` inputs include +-inf, NaN and signed zeros, and NaN, +-inf and
  +-0 results must agree exactly in class (sign of zero included) unless the exact value
  is finite and nonzero (an overflow or underflow removed).

Instances where the right side fails shape inference are skipped and counted
(``RuleResult.ill_typed``): the engine does not fire such a rewrite. Elements where the
two sides are the same real function and the right side only over/underflows in an
intermediate are counted as ``range_issues`` (with an example), not failed.

A failure is shrunk by hypothesis to a minimal counterexample (``Counterexample``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from os import PathLike
from typing import Any, NoReturn

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable, UnsatisfiedAssumption
from hypothesis.extra import numpy as hnp

from ..errors import DTypeError, ShapeError
from ..ir import OPS, Graph, Node, broadcast_shapes, constant_node, input_node
from ..rulelang.ast import App, Guard, Rule, RuleSet, Var, instantiate, pattern_vars
from . import errbound, oracle

TOL_ULPS = 4.0  # agreement tolerance on top of the rounding-error bounds
_SIGN_KINDS = ("nonzero", "positive", "nonnegative", "negative", "nonpositive")
_BUILD_ERRORS = (ShapeError, DTypeError, TypeError, ValueError, KeyError, IndexError)


# ---------------------------------------------------------------------------------------
# Results.


@dataclass
class Counterexample:
    """A (shrunk) input on which the right side of a rule is wrong."""

    values: dict[str, Any]  # variable -> ndarray (tensor) or attribute value
    dtype: str
    lhs: str  # the instantiated left side, as text
    rhs: str
    lhs_value: np.ndarray | None
    rhs_value: np.ndarray | None
    index: tuple[int, ...] | None  # the first bad element
    exact: float | None  # the left side's exact value there (float), when computed
    reason: str

    def __str__(self) -> str:
        lines = [f"{name} = {_fmt_value(v)}" for name, v in self.values.items()]
        lines.append(f"dtype {self.dtype}")
        if self.lhs_value is not None:
            lines.append(f"left   {self.lhs} = {_fmt_value(self.lhs_value)}")
        if self.rhs_value is not None:
            lines.append(f"right  {self.rhs} = {_fmt_value(self.rhs_value)}")
        if self.index is not None and self.lhs_value is not None and self.lhs_value.ndim:
            lines.append(f"at index {self.index}")
        if self.exact is not None:
            lines.append(f"exact  {self.exact!r}")
        lines.append(self.reason)
        return "\n".join(lines)


@dataclass
class RuleResult:
    """The verdict on one rule, in one direction, under one IEEE mode."""

    name: str
    rule: Rule
    direction: str  # "=>" (left to right) or "<=" (the reverse of a bidirectional rule)
    ieee: str
    samples: int = 0
    max_ulps: float = 0.0  # largest error seen, in ulps (vs the left side or the exact value)
    conditioned: int = 0  # elements accepted only by the rounding-error bound
    range_issues: int = 0  # elements where the right side over/underflows in an intermediate
    range_example: Counterexample | None = None  # one of them (not shrunk)
    undecided: int = 0  # differing elements the oracle could not judge (total cancellation)
    ill_typed: int = 0  # instances whose right side fails shape inference: the rule does not
    # fire there (the engine checks), so they are skipped, and counted here
    verdict: str = "sound"  # sound | unsound | skipped
    reason: str = ""
    counterexample: Counterexample | None = None

    @property
    def ok(self) -> bool:
        return self.verdict != "unsound"

    @property
    def label(self) -> str:
        """``name``, with the direction and mode when they are not the plain ones."""
        label = self.name if self.direction == "=>" else f"{self.name} (reverse)"
        return label if self.ieee == "finite" else f"{label} [strict]"

    def __str__(self) -> str:
        head = (f"{self.label}: {self.verdict} ({self.samples} samples, "
                f"max {self.max_ulps:.3g} ulps)")
        if self.reason:
            head += f": {self.reason}"
        if self.counterexample is not None:
            head += "\n" + "\n".join("    " + s for s in str(self.counterexample).splitlines())
        return head


@dataclass
class CheckReport:
    """Results of ``check_rules``, one ``RuleResult`` per rule, direction and IEEE mode."""

    results: list[RuleResult] = field(default_factory=list)
    ieee: str = "finite"
    examples: int = 0
    seed: int | None = None

    @property
    def ok(self) -> bool:
        """True when no rule is unsound."""
        return all(r.ok for r in self.results)

    @property
    def unsound(self) -> list[RuleResult]:
        return [r for r in self.results if r.verdict == "unsound"]

    @property
    def skipped(self) -> list[RuleResult]:
        return [r for r in self.results if r.verdict == "skipped"]

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, name: str) -> RuleResult:
        """The first result for the rule called ``name``."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        lines = [f"check_rules: {len(self.results)} checks, {len(self.unsound)} unsound, "
                 f"{len(self.skipped)} skipped (ieee={self.ieee}, examples={self.examples})"]
        lines += [str(r) for r in self.results if r.verdict != "sound"]
        return "\n".join(lines)


def _fmt_value(v: Any) -> str:
    if isinstance(v, np.ndarray):
        if v.ndim == 0:
            return repr(v.item())
        return np.array2string(v, precision=17, separator=", ") + f"  (shape {v.shape})"
    return repr(v)


# ---------------------------------------------------------------------------------------
# What to sample for one direction of one rule.


@dataclass
class _Plan:
    name: str
    lhs: Any
    rhs: Any
    guards: tuple[Guard, ...]
    tensor_vars: list[str]
    attr_vars: dict[str, str]  # attribute variable -> attribute name (axis, keepdims, ...)
    signs: dict[str, set[str]]
    finite: set[str]
    scalar: set[str]
    const: set[str]
    unbatched: set[str]
    matrix: set[str]
    same_shape: list[set[str]]
    stability: bool
    strict: bool
    rhs_ops: int = 0  # rounding ops on the right side: extra ulps a stability rule may use


def _attr_vars(p: Any, out: dict[str, str]) -> dict[str, str]:
    stack = [p]
    while stack:
        q = stack.pop()
        if isinstance(q, App):
            stack.extend(q.args)
            for k, v in q.attrs:
                if isinstance(v, Var):
                    out.setdefault(v.name, k)
    return out


def _plan(rule: Rule, lhs: Any, rhs: Any, strict: bool) -> _Plan:
    attrs = _attr_vars(rhs, _attr_vars(lhs, {}))
    tensor = sorted((pattern_vars(lhs) | pattern_vars(rhs)) - set(attrs))
    signs: dict[str, set[str]] = {}
    finite, scalar, const, unbatched, matrix = set(), set(), set(), set(), set()
    same: list[set[str]] = []
    for g in rule.guards:
        names = [a.name for a in g.args if isinstance(a, Var)]
        if len(names) != len(g.args):
            continue  # a guard on an expression: checked on the sampled values only
        if g.kind in _SIGN_KINDS:
            signs.setdefault(names[0], set()).add(g.kind)
        elif g.kind == "finite":
            finite.add(names[0])
        elif g.kind == "scalar":
            scalar.add(names[0])
        elif g.kind == "const":
            const.add(names[0])
        elif g.kind == "unbatched":
            unbatched.add(names[0])
        elif g.kind == "matrix":
            matrix.add(names[0])
        elif g.kind == "same_shape":
            group = set(names)
            for other in [s for s in same if s & group]:
                group |= other
                same.remove(other)
            same.append(group)
    rhs_ops = sum(1 for a in _apps(rhs) if a.op in OPS and OPS[a.op].kind != "layout"
                  and a.op not in ("neg", "abs", "where", "maximum", "minimum", "max", "min"))
    return _Plan(rule.name, lhs, rhs, rule.guards, tensor, attrs, signs, finite, scalar, const,
                 unbatched, matrix, same, "stability" in rule.tags, strict, rhs_ops)


# ---------------------------------------------------------------------------------------
# Strategies.


def _edge_values(dtype: str, strict: bool) -> list[float]:
    f = np.finfo(dtype)
    raw = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 0.1, -0.1, math.pi,
           float(f.tiny), -float(f.tiny), float(f.smallest_subnormal),
           -float(f.smallest_subnormal), float(f.tiny) / 8, float(f.eps), 1 + float(f.eps),
           1 - float(f.eps) / 2, -1 - float(f.eps), 1e-8, -1e-8, 1e8, 20.0, -20.0, 88.8, -104.0,
           700.0, 710.0, -745.0, 1e-300, 1e300, -1e300, float(f.max), -float(f.max)]
    if strict:
        raw += [math.inf, -math.inf, math.nan]
    out, seen = [], set()
    for v in raw:
        with np.errstate(over="ignore"):
            c = float(np.asarray(v, dtype=dtype))
        key = np.asarray(c).tobytes()
        if (math.isfinite(c) or not math.isfinite(v)) and (c != 0 or v == 0) and key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _sign_ok(v: float, kinds: frozenset[str]) -> bool:
    """Whether ``v`` satisfies every sign guard in ``kinds`` (NaN only with no guard)."""
    if math.isnan(v):
        return not kinds
    return not ((kinds & {"positive"} and not v > 0) or (kinds & {"nonnegative"} and v < 0)
                or (kinds & {"negative"} and not v < 0) or (kinds & {"nonpositive"} and v > 0)
                or (kinds & {"nonzero"} and v == 0))


def _edges_for(dtype: str, kinds: frozenset[str], allow_special: bool) -> list[float]:
    """The edge values of ``dtype`` that satisfy the sign guards ``kinds``."""
    return [v for v in _edge_values(dtype, allow_special) if _sign_ok(v, kinds)]


@functools.lru_cache(maxsize=256)
def _element_strategy(dtype: str, kinds: frozenset[str], allow_special: bool
                      ) -> st.SearchStrategy:
    """Floats of ``dtype`` satisfying the sign guards ``kinds``, edge values first."""
    lo, hi, lo_open, hi_open = None, None, False, False
    if kinds & {"positive", "nonnegative"}:
        lo, lo_open = 0.0, "positive" in kinds
    if kinds & {"negative", "nonpositive"}:
        hi, hi_open = 0.0, "negative" in kinds
    nonzero = "nonzero" in kinds
    if lo is not None and hi is not None and (lo > hi or (lo == hi and (lo_open or hi_open))):
        return st.nothing()  # contradictory guards: nothing to sample

    def ok(v: float) -> bool:
        if math.isnan(v):
            return not kinds
        return ((lo is None or v > lo or (not lo_open and v >= lo))
                and (hi is None or v < hi or (not hi_open and v <= hi))
                and not (nonzero and v == 0))

    width = 32 if dtype == "float32" else 64
    edges = _edges_for(dtype, kinds, allow_special)
    mlo = -10.0 if lo is None else lo
    mhi = 10.0 if hi is None else hi
    moderate = st.floats(mlo, mhi, exclude_min=lo_open, exclude_max=hi_open, width=width)
    general = st.floats(lo, hi, exclude_min=lo_open and lo is not None,
                        exclude_max=hi_open and hi is not None,
                        allow_nan=allow_special and not kinds,
                        allow_infinity=allow_special, width=width)
    parts = ([st.sampled_from(edges)] if edges else []) + [moderate, general]
    elements = st.one_of(*parts)
    return elements.filter(lambda v: v != 0) if nonzero else elements


@st.composite
def _shapes(draw: Callable, plan: _Plan) -> dict[str, tuple[int, ...]]:
    square = draw(st.booleans())
    if square:
        n = draw(st.integers(1, 3))
        base: tuple[int, ...] = (n, n, n)
    else:
        base = tuple(draw(st.lists(st.integers(1, 3), max_size=3)))
    shapes: dict[str, tuple[int, ...]] = {}
    for var in plan.tensor_vars:
        if var in shapes:
            continue
        if var in plan.scalar:
            shape: tuple[int, ...] = ()
        else:
            if var in plan.matrix:
                rank = 2
            else:
                rank = draw(st.integers(0, min(len(base), 2) if var in plan.unbatched
                                        else len(base)))
            dims = base[len(base) - rank:]
            shape = tuple(1 if (not square and draw(st.booleans())) else d for d in dims)
        group = next((g for g in plan.same_shape if var in g), {var})
        for v in group:
            shapes[v] = () if v in plan.scalar else shape
    return shapes


def _attr_strategy(attr: str, ndim: int) -> st.SearchStrategy:
    if attr == "keepdims":
        return st.booleans()
    if attr == "axis":
        if ndim == 0:
            return st.just(None)
        return st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                         st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                  unique=True).map(tuple))
    if attr == "axes":
        return st.permutations(range(ndim)).map(tuple)
    if attr == "dtype":
        return st.sampled_from(["float64", "float32"])
    return st.nothing()


def _expand_axis_strategy(ndim: int) -> st.SearchStrategy:
    return st.integers(-(ndim + 1), ndim)


def _shape_strategy(op: str, shape: tuple[int, ...]) -> st.SearchStrategy:
    if op == "broadcast_to":
        return st.sampled_from([shape, (2,) + shape, tuple(3 if d == 1 else d for d in shape)])
    size = math.prod(shape)
    return st.sampled_from([shape, (size,), (1,) + shape, tuple(reversed(shape))])


# ---------------------------------------------------------------------------------------
# One example.


class _Unsound(AssertionError):
    def __init__(self, cex: Counterexample) -> None:
        super().__init__(cex.reason)
        self.cex = cex


@dataclass
class _Stats:
    samples: int = 0
    max_ulps: float = 0.0
    conditioned: int = 0
    failed: bool = False
    range_issues: int = 0  # elements where only an intermediate over/underflow differs
    pending_range: tuple | None = None  # (index, exact, reason) of the latest one
    range_example: Counterexample | None = None
    undecided: int = 0  # elements the oracle could not judge
    ill_typed: int = 0  # instances whose right side fails shape inference (does not fire)
    ill_typed_reason: str = ""


def _draw_attrs(data: Any, plan: _Plan, env: dict[str, Any]) -> None:
    """Bind the attribute variables, innermost application first (post-order)."""
    for root in (plan.lhs, plan.rhs):
        order: list[App] = []
        stack: list[tuple[Any, bool]] = [(root, False)]
        while stack:
            q, done = stack.pop()
            if not isinstance(q, App):
                continue
            if done:
                order.append(q)
                continue
            stack.append((q, True))
            stack.extend((a, False) for a in reversed(q.args))
        for app in order:
            for k, v in app.attrs:
                if not isinstance(v, Var) or v.name in env:
                    continue
                try:
                    arg = instantiate(app.args[0], env)
                except _BUILD_ERRORS:
                    _assume(False)
                if k == "shape":
                    strat = _shape_strategy(app.op, tuple(arg.shape))
                elif app.op == "expand_dims" and k == "axis":
                    strat = _expand_axis_strategy(arg.ndim)
                else:
                    strat = _attr_strategy(k, arg.ndim)
                env[v.name] = data.draw(strat, label=v.name)


def _well_formed(node: Node) -> None:
    """ShapeError for what the IR lets through but no real graph holds: a transpose whose
    axes are not a permutation of its operand's axes."""
    for n in Graph(node).nodes():
        if n.op == "transpose" and sorted(n.attr("axes")) != list(range(n.inputs[0].ndim)):
            raise ShapeError(f"transpose: axes {n.attr('axes')} do not fit an operand of rank "
                             f"{n.inputs[0].ndim}")


def _guard_holds(guard: Guard, env: dict[str, Any], inputs: list[Node],
                 arrays: list[np.ndarray]) -> bool:
    try:
        nodes = [instantiate(a, env) for a in guard.args]
    except _BUILD_ERRORS:
        return False
    if guard.kind == "same_shape":
        return all(n.shape == nodes[0].shape for n in nodes)
    if guard.kind == "scalar":
        return nodes[0].shape == ()
    if guard.kind == "unbatched":
        return len(nodes[0].shape) <= 2
    if guard.kind == "matrix":
        return len(nodes[0].shape) == 2
    if guard.kind == "const":
        return all(n.op == "constant" or (n.op != "input" and all(
            m.op != "input" for m in Graph(n).nodes())) for n in nodes)
    from ..backends.numpy_ref import evaluate

    (val,) = evaluate(Graph(nodes[0], inputs=inputs), arrays)
    with np.errstate(invalid="ignore"):
        test = {"nonzero": val != 0, "positive": val > 0, "nonnegative": val >= 0,
                "negative": val < 0, "nonpositive": val <= 0, "finite": np.isfinite(val)}
    return bool(np.all(test[guard.kind]))


def _classes(x: np.ndarray) -> np.ndarray:
    """0 finite nonzero, 1 NaN, 2 +inf, 3 -inf, 4 +0, 5 -0."""
    with np.errstate(invalid="ignore"):
        c = np.zeros(x.shape, dtype=np.int8)
        c[np.isnan(x)] = 1
        c[x == np.inf] = 2
        c[x == -np.inf] = 3
        c[(x == 0) & ~np.signbit(x)] = 4
        c[(x == 0) & np.signbit(x)] = 5
    return c


def _range_only(e: Any, er: Any, rval: float, dtype: str) -> bool:
    """The two sides are the same real function here (equal exact values) and the right
    side's float result is off only because an intermediate overflowed or underflowed."""
    if isinstance(e, bool) or isinstance(er, bool):
        return False
    with np.errstate(all="ignore"):
        want = float(np.asarray(float(e), dtype=dtype))
        other = float(np.asarray(float(er), dtype=dtype))
    if math.isnan(want) or not (want == other or oracle.ulps_from_exact(other, e, dtype)
                                <= TOL_ULPS):
        return False
    return not math.isfinite(rval) or (rval == 0 and want != 0)


def _compare(plan: _Plan, dtype: str, lv: np.ndarray, rv: np.ndarray, lb: np.ndarray,
             rb: np.ndarray, ls: np.ndarray,
             exact_fn: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]],
             stats: _Stats) -> tuple[tuple[int, ...], float | None, str] | None:
    """None when the sides agree on every element, else (index, exact, reason).

    ``exact_fn()`` gives the exact values of both sides and the mask of elements where the
    oracle cannot vouch for the left side's (counted in ``stats.undecided``). Elements
    where the sides are the same real function and the right side only over/underflows in
    an intermediate are counted in ``stats.range_issues`` (reassociation does that at the
    edge of the range), not failed.

    ``lb`` and ``rb`` are the sides' rounding-error bounds, ``ls`` the left side's
    sensitivity to input perturbations of one unit roundoff: the right side may differ
    from the left by ``TOL_ULPS`` ulps plus ``lb + rb + ls``, except for stability rules
    (``TOL_ULPS`` plus one ulp per rounding op of the right side). This is soundness, not
    accuracy: a right side may lose accuracy to cancellation in its own sums (what
    reassociation and ``log(a*b) => log(a) + log(b)`` do), by as much as its rounding
    bound says; stability rules are where accuracy is judged.
    """
    rv = np.broadcast_to(rv, lv.shape)
    lb, rb = np.broadcast_to(lb, lv.shape), np.broadcast_to(rb, lv.shape)
    ls = np.broadcast_to(ls, lv.shape)
    with np.errstate(all="ignore"):
        l64, r64 = lv.astype(np.float64), rv.astype(np.float64)
        ulp = np.spacing(np.abs(lv)).astype(np.float64)
        diff = np.abs(l64 - r64)
        same = (l64 == r64) | (np.isnan(l64) & np.isnan(r64))
        if plan.strict:
            same &= _classes(lv) == _classes(rv)
        allowance = TOL_ULPS * ulp + (0.0 if plan.stability else lb + rb + ls)
        # an infinite bound (a pole: sqrt or log at 0) decides nothing: the oracle does
        near = np.isfinite(l64) & np.isfinite(r64) & np.isfinite(allowance) & (diff <= allowance)
        plain = near & (diff <= TOL_ULPS * ulp)
    if plain.any():
        stats.max_ulps = max(stats.max_ulps, float(np.max(np.where(plain, diff / ulp, 0))))
    stats.conditioned += int(np.count_nonzero(near & ~plain & ~same))
    bad = np.argwhere(~(same | near))
    if len(bad) == 0:
        return None
    exact_l, exact_r, unknown = exact_fn()
    exact = np.broadcast_to(exact_l, lv.shape)
    exact_r = np.broadcast_to(exact_r, lv.shape)
    unknown = np.broadcast_to(unknown, lv.shape)
    tol = TOL_ULPS + (plan.rhs_ops if plan.stability else 0)
    lcls, rcls = _classes(lv), _classes(rv)
    for idx in map(tuple, bad):
        e, lval, rval = exact[idx], float(l64[idx]), float(r64[idx])
        if unknown[idx]:
            stats.undecided += 1
            continue
        if _range_only(e, exact_r[idx], rval, dtype):
            stats.range_issues += 1
            stats.pending_range = (idx, float(e), f"the right side gives {rval!r} where the "
                                   f"left side is {lval!r}: an intermediate over/underflows")
            continue
        ul = oracle.ulps_from_exact(lval, e, dtype)
        ur = oracle.ulps_from_exact(rval, e, dtype)
        efloat = float(e) if not isinstance(e, bool) else None
        finite_exact = efloat is not None and math.isfinite(efloat) and e != 0
        if plan.strict and lcls[idx] != rcls[idx] and (lcls[idx] or rcls[idx]) \
                and not finite_exact:
            return idx, efloat, (f"under strict IEEE the sides differ in class: left {lval!r}, "
                                 f"right {rval!r}")
        eulp = float(np.spacing(np.asarray(min(abs(efloat or 0.0), float(np.finfo(dtype).max)),
                                           dtype=dtype))) if efloat is not None else 1.0
        own_bound = float(rb[idx]) / eulp if math.isfinite(float(rb[idx])) else 0.0
        accurate_alone = ur <= tol + own_bound
        if ur <= tol or (ur <= ul + tol and (math.isfinite(ul) or accurate_alone)):
            stats.max_ulps = max(stats.max_ulps, ur)
            continue
        if math.isnan(lval) and efloat is not None and math.isnan(efloat):
            reason = f"the left side is undefined (NaN) here but the right side gives {rval!r}"
        elif (math.isnan(rval) and not math.isnan(lval)) or (
                math.isinf(rval) and math.isfinite(lval)):
            reason = f"the right side gives {rval!r} where the left side is {lval!r}"
        elif plan.stability:
            reason = (f"less accurate than the left side: {ur:.3g} ulps from the exact value, "
                      f"the left side {ul:.3g}")
        else:
            reason = (f"the sides differ: right {rval!r} is {ur:.3g} ulps from the exact value, "
                      f"left {lval!r} is {ul:.3g}")
        return idx, efloat, reason
    return None


def _run_example(data: Any, plan: _Plan, stats: _Stats) -> None:
    dtype = data.draw(st.sampled_from(["float64", "float32"]), label="dtype")
    shapes = data.draw(_shapes(plan), label="shapes")
    values: dict[str, Any] = {}
    env: dict[str, Any] = {}
    inputs: list[Node] = []
    arrays: list[np.ndarray] = []
    for var in plan.tensor_vars:
        allow_special = plan.strict and var not in plan.finite
        elems = _element_strategy(dtype, frozenset(plan.signs.get(var, ())), allow_special)
        arr = data.draw(hnp.arrays(np.dtype(dtype), shapes[var], elements=elems), label=var)
        values[var] = arr
        if var in plan.const:
            env[var] = constant_node(arr, dtype)
        else:
            env[var] = input_node(var, shapes[var], dtype)
            inputs.append(env[var])
            arrays.append(arr)
    _draw_attrs(data, plan, env)
    values.update({k: env[k] for k in plan.attr_vars if k in env})
    like = next((env[v] for v in plan.tensor_vars), None)  # constants take the vars' dtype
    try:
        lhs = instantiate(plan.lhs, env, like=like)
        _well_formed(lhs)
    except _BUILD_ERRORS:
        _assume(False)
    for g in plan.guards:
        _assume(_guard_holds(g, env, inputs, arrays))
    lhs_text = str(Graph(lhs, inputs=inputs))

    def fail(reason: str, lval=None, rval=None, rhs_text="?", index=None,
             exact=None) -> NoReturn:
        stats.failed = True
        raise _Unsound(Counterexample(values, dtype, lhs_text, rhs_text, lval, rval, index,
                                      exact, reason))

    try:
        rhs = instantiate(plan.rhs, env, like=lhs)
        _well_formed(rhs)
    except _BUILD_ERRORS as exc:
        # The engine does not fire a rewrite whose right side fails shape inference
        # (rules/algebra.rules, matmul-assoc), so such an instance is not a counterexample.
        if not stats.failed:
            stats.ill_typed += 1
            stats.ill_typed_reason = re.sub(r" \(at [^()]*\)$", "", str(exc))
        _assume(False)
    rhs_text = str(Graph(rhs, inputs=inputs))
    if rhs.dtype != lhs.dtype:
        fail(f"the right side changes the dtype from {lhs.dtype} to {rhs.dtype}",
             rhs_text=rhs_text)
    try:
        ok_shape = broadcast_shapes(rhs.shape, lhs.shape) == lhs.shape
    except Exception:
        ok_shape = False
    if not ok_shape:
        fail(f"the right side has shape {rhs.shape}, the left side {lhs.shape}",
             rhs_text=rhs_text)
    graph = Graph([lhs, rhs], inputs=inputs)
    (lv, lb), (rv, rb) = errbound.evaluate_with_bounds(graph, arrays)
    if lhs.dtype == "bool":
        lb, rb = np.zeros(lv.shape), np.zeros(rv.shape)
        lv, rv = lv.astype(dtype), rv.astype(dtype)

    def exact() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        (el, unknown), (er, _) = oracle.exact_with_unknown(graph, arrays)
        return el, er, unknown

    ((_, ls),) = errbound.evaluate_with_bounds(Graph(lhs, inputs=inputs), arrays,
                                               rounding=False, perturb_inputs=True)
    problem = _compare(plan, dtype, lv, rv, lb, rb, ls, exact, stats)
    rfull = np.broadcast_to(rv, lv.shape).copy()
    if problem is not None:
        index, ex, reason = problem
        fail(reason, lv, rfull, rhs_text, index, ex)
    if stats.pending_range is not None and stats.range_example is None:
        index, ex, reason = stats.pending_range
        stats.range_example = Counterexample(values, dtype, lhs_text, rhs_text, lv, rfull,
                                             index, ex, reason)
    stats.pending_range = None
    if not stats.failed:
        stats.samples += 1


def _assume(condition: bool) -> None:
    """hypothesis' ``assume``, usable in the edge sweep too (outside ``@given``)."""
    if not condition:
        raise UnsatisfiedAssumption()


class _NoSweep(Exception):
    """The rule needs a draw the edge sweep cannot make (attribute values)."""


class _SweepData:
    """Stands in for hypothesis' ``data`` in the edge sweep: fixed dtype, shapes and
    arrays; any other draw (an attribute) ends the sweep for this rule."""

    def __init__(self, dtype: str, shapes: dict[str, tuple[int, ...]],
                 arrays: dict[str, np.ndarray]) -> None:
        self.fixed: dict[str, Any] = {"dtype": dtype, "shapes": shapes, **arrays}

    def draw(self, strategy: Any, label: str = "") -> Any:
        if label not in self.fixed:
            raise _NoSweep(label)
        return self.fixed[label]


def _edge_sweep(plan: _Plan, stats: _Stats) -> None:
    """Run every edge value through the rule once per dtype, deterministically.

    Random generation hits a particular edge value (1e-8 for ``log(1 + x)``, tiny for an
    underflow) only by chance, and how often depends on the hypothesis version; the sweep
    puts all of them in one vector per variable (rotated so variables meet different
    partners) before the random phase starts."""
    if plan.attr_vars:
        return
    for dtype in ("float64", "float32"):
        shapes: dict[str, tuple[int, ...]] = {}
        arrays: dict[str, np.ndarray] = {}
        for i, var in enumerate(plan.tensor_vars):
            allow_special = plan.strict and var not in plan.finite
            edges = _edges_for(dtype, frozenset(plan.signs.get(var, ())), allow_special)
            if not edges:
                return
            if var in plan.scalar:
                shapes[var], arrays[var] = (), np.asarray(edges[i % len(edges)], dtype=dtype)
            else:
                rolled = np.roll(np.asarray(edges, dtype=dtype), 7 * i)
                shapes[var], arrays[var] = (48,), np.resize(rolled, 48)
        try:
            with np.errstate(all="ignore"):
                _run_example(_SweepData(dtype, shapes, arrays), plan, stats)
        except (_NoSweep, UnsatisfiedAssumption):
            continue  # a guard fails on some element or the shapes do not fit: random only


def _check_one(rule: Rule, direction: str, strict: bool, examples: int,
               seed: int | None) -> RuleResult:
    lhs, rhs = (rule.lhs, rule.rhs) if direction == "=>" else (rule.rhs, rule.lhs)
    plan = _plan(rule, lhs, rhs, strict)
    result = RuleResult(rule.name, rule, direction, "strict" if strict else "finite")
    unknown = sorted({a.op for a in _apps(lhs) + _apps(rhs)} - set(OPS))
    if unknown:
        result.verdict, result.reason = "skipped", f"unknown op(s) {unknown}"
        return result
    stats = _Stats()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=[Phase.generate, Phase.shrink], verbosity=Verbosity.quiet,
              print_blob=False)
    @given(st.data())
    def prop(data: Any) -> None:
        _run_example(data, plan, stats)

    if seed is not None:
        prop = hypothesis_seed(seed)(prop)
    try:
        _edge_sweep(plan, stats)
        with np.errstate(all="ignore"):
            prop()
    except _Unsound as exc:
        result.verdict, result.reason = "unsound", exc.cex.reason
        result.counterexample = exc.cex
    except Unsatisfiable:
        result.verdict = "skipped"
        result.reason = "no well-typed input satisfying the guard was found"
        if stats.ill_typed:
            result.reason += f" (the right side was ill-typed: {stats.ill_typed_reason})"
    result.samples, result.max_ulps = stats.samples, stats.max_ulps
    result.conditioned = stats.conditioned
    result.range_issues, result.range_example = stats.range_issues, stats.range_example
    result.undecided, result.ill_typed = stats.undecided, stats.ill_typed
    if result.verdict == "sound" and stats.samples == 0:
        result.verdict = "skipped"
        result.reason = "no well-typed input satisfying the guard was found"
        if stats.ill_typed:
            result.reason += f" (the right side was ill-typed: {stats.ill_typed_reason})"
    return result


def _apps(p: Any) -> list[App]:
    out, stack = [], [p]
    while stack:
        q = stack.pop()
        if isinstance(q, App):
            out.append(q)
            stack.extend(q.args)
    return out


# ---------------------------------------------------------------------------------------
# The public entry point.


RulesLike = RuleSet | Rule | str | PathLike | Iterable[Any]


def _collect(rules: RulesLike) -> list[Rule]:
    if isinstance(rules, Rule):
        return [rules]
    if isinstance(rules, RuleSet):
        return list(rules.rules)
    if isinstance(rules, (str, PathLike)):
        from ..rulelang import load_rules  # the parser; imported only for file input

        return list(load_rules(rules).rules)
    out: list[Rule] = []
    for item in rules:
        out.extend(_collect(item))
    return out


def check_rules(rules: RulesLike, examples: int = 200, ieee: str = "finite",
                seed: int | None = None,
                progress: Callable[[RuleResult], None] | None = None) -> CheckReport:
    """Property-test rewrite rules for soundness on the reference backend.

    Parameters
    ----------
    rules
        A ``RuleSet``, a ``Rule``, a rule file path, or an iterable of those.
    examples
        Hypothesis examples per rule, direction and mode.
    ieee
        ``"finite"``: finite inputs; rules tagged ``strict`` are also checked under strict
        IEEE (their tag claims it). ``"strict"``: every rule is checked with +-inf, NaN and
        signed-zero inputs, and special results must agree exactly in class.
    seed
        Fix hypothesis's random seed for a reproducible run.
    progress
        Called with each ``RuleResult`` as it is finished (the CLI's progress bar).

    Returns
    -------
    CheckReport
        One ``RuleResult`` per rule, direction (both for ``<=>``) and mode; a failing rule
        carries a shrunk ``Counterexample``.
    """
    if ieee not in ("finite", "strict"):
        raise ValueError(f"ieee must be 'finite' or 'strict', got {ieee!r}")
    report = CheckReport(ieee=ieee, examples=examples, seed=seed)
    for rule in _collect(rules):
        modes = [True] if ieee == "strict" else [False] + (
            [True] if "strict" in rule.tags else [])
        directions = ["=>", "<="] if rule.bidirectional else ["=>"]
        for strict in modes:
            for direction in directions:
                res = _check_one(rule, direction, strict, examples, seed)
                report.results.append(res)
                if progress is not None:
                    progress(res)
    return report


def count_checks(rules: RulesLike, ieee: str = "finite") -> tuple[list[Rule], int]:
    """The rules ``check_rules`` would check and how many checks that makes (for progress)."""
    collected = _collect(rules)
    n = 0
    for rule in collected:
        modes = 1 if ieee == "strict" else 1 + ("strict" in rule.tags)
        n += modes * (2 if rule.bidirectional else 1)
    return collected, n


def compare_graphs(original: Graph, optimized: Graph, arrays: list[Any],
                   values: list[Any] | None = None, ieee: str = "finite") -> str | None:
    """Whether ``optimized`` computes what ``original`` does, under ``check_rules``'s
    semantics (within rounding bounds, or closer to the exact value; NaN where the
    original is undefined). Both graphs take ``arrays`` in ``graph.inputs`` order.
    ``values``: outputs of ``optimized`` computed elsewhere (another backend) to judge
    instead of its reference-backend values. Returns None, or a message naming the output,
    the element and the values."""
    ref = errbound.evaluate_with_bounds(original, arrays)
    sens = errbound.evaluate_with_bounds(original, arrays, rounding=False, perturb_inputs=True)
    new = errbound.evaluate_with_bounds(optimized, arrays)
    plan = _Plan("graph", None, None, (), [], {}, {}, set(), set(), set(), set(), set(), [], False,
                 ieee == "strict")
    for i, ((lv, lb), (rv, rb)) in enumerate(zip(ref, new)):
        if values is not None:
            rv = np.asarray(values[i])
        if rv.shape != lv.shape or rv.dtype != lv.dtype:
            return (f"output {i}: shape/dtype {rv.shape} {rv.dtype}, expected {lv.shape} "
                    f"{lv.dtype}")
        if lv.dtype == np.bool_:
            if not np.array_equal(lv, rv):
                return f"output {i}: boolean results differ"
            continue

        def exact(i: int = i) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            (el, unknown), = oracle.exact_with_unknown(
                Graph(original.outputs[i], inputs=original.inputs), arrays)
            (er, _), = oracle.exact_with_unknown(
                Graph(optimized.outputs[i], inputs=optimized.inputs), arrays)
            return el, er, unknown

        with np.errstate(all="ignore"):
            problem = _compare(plan, str(lv.dtype), lv, rv, lb, rb, sens[i][1], exact,
                               _Stats())
        if problem is not None:
            index, ex, reason = problem
            return (f"output {i} at {index}: original {lv[index]!r}, optimized {rv[index]!r}, "
                    f"exact {ex!r}: {reason}")
    return None


__all__ = ["CheckReport", "Counterexample", "RuleResult", "TOL_ULPS", "check_rules",
           "compare_graphs", "count_checks"]
