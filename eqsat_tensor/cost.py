"""The cost model: what a graph costs to run, in estimated nanoseconds.

For a node with output shape ``s`` (symbolic dims count ``symbolic_dim`` elements):

* **compute**: ``ns[op] * numel(s)`` for elementwise ops, ``ns[op] * numel(input)`` for
  reductions, ``matmul_flop_ns * 2*M*N*K`` for matmul; layout ops are free (views);
* **memory traffic**: a fusing backend runs a chain of elementwise ops in one pass, so
  only what must be materialized costs memory traffic: every input read once
  (``byte_ns * bytes``), the result of a reduction or matmul, and each computed
  elementwise operand that a reduction or matmul consumes (written then read again);
* **accuracy**: ``accuracy_ns * risk[op] * numel(s)``: ops that lose accuracy (``log``
  near 1, ``exp`` overflow, cancelling ``add``/``sub``) carry a risk, their stable
  replacements (``logsumexp``, ``softplus``, ``hypot``, ...) carry none, so equal-speed
  forms are ranked by accuracy. The risk reads the analyses where the caller passes the
  operands' bounds (``(lo, hi)``, None where unknown: an unknown range is assumed unsafe):
  an op that overflows (``exp``, ``cosh``, ...: found from its NumPy reference, see
  ``overflow_limits``) carries no risk where its operand's bounds keep it finite, and an
  ``add``/``sub`` whose operands cannot cancel (same sign for ``add``, opposite signs for
  ``sub``) carries none either; any other op with a risk carries none where its relative
  condition number ``|a f'(a) / f(a)|`` (from the op's ``deriv`` and reference) stays small
  over the operand's bounds (``log`` away from 1, ``arccosh`` away from 1: see
  ``well_conditioned``). So an unshifted ``exp`` in a softmax costs more than the
  max-shifted one, and ``y - x`` what ``-x + y`` does less the negation.

The cost of a graph is the sum over its nodes, each counted once however many users it
has (DAG cost). Costs are monotone (a node costs at least 0 on top of its operands).

* **passes**: ``pass_ns`` per kernel pass or plan step (a reduction, a matmul, an
  elementwise result written out for one), the fixed cost of a launch;
* **outputs** (whole graphs only): an elementwise output is written once by a pass of its
  own (the same for every equivalent graph, so it does not change which one is chosen,
  only the predicted ratio between them).

A backend that does not fuse (``fuses=False``: the NumPy reference runs one array pass
per op) pays the memory traffic and a pass for every elementwise node too.

The cost splits into a **time** part (compute, memory, passes: ``graph_time``) and the
**accuracy** part (``graph_accuracy``); extraction minimises their sum, and the optimizer
checks the time part of what it returns against the input's (see ``optimizer``).

``DEFAULT_NS`` and the other defaults were measured with ``calibrate()`` on the
development machine (2 cores, NumPy 2.4) on 2026-11-25: per-element time of each op's
NumPy reference on 2**20 float64 elements, minus the time of a plain copy (the memory
part, which a fusing backend pays once per chain). Per-backend tables (``backend="numba"``
or ``"numpy"``) are shipped as JSON in ``eqsat_tensor/data/costs-<backend>.json``
(measured by ``eqsat_tensor.calibration``); ``calibrate()`` repeats the measurement on the
current machine and saves it in the user cache directory, where ``load_cost_model()``
finds it first.
"""

from __future__ import annotations

import functools
import json
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .ir import OPS, Graph, Shape

# Compute ns per element (float64), measured 2026-11-25 (see module docstring): each op's
# ``OpSpec.ns``.
DEFAULT_NS: dict[str, float] = {op: spec.ns for op, spec in OPS.items() if spec.ns is not None}
DEFAULT_MATMUL_FLOP_NS = 0.0082
DEFAULT_BYTE_NS = 0.034
CALIBRATED_ON = "2026-11-25"

# Accuracy risk per output element (unitless): how much an op tends to lose accuracy or
# overflow where a stable form exists (``OpSpec.risk``; 0 for most ops).
RISK: dict[str, float] = {op: spec.risk for op, spec in OPS.items() if spec.risk}
DEFAULT_ACCURACY_NS = 20.0


Bounds = tuple[float | None, float | None]


@functools.cache
def overflow_limits(op: str, dtype: str = "float64") -> tuple[float | None, float | None] | None:
    """``(lo, hi)``: the operand range inside which a unary elementwise op with a risk
    does not overflow to +-inf (None: no limit on that side), found by bisection on its
    NumPy reference; None if the op does not overflow for finite operands (then its risk
    is not about overflow)."""
    spec = OPS[op]
    if spec.kind != "elementwise" or spec.arity != 1 or spec.attrs or not spec.risk \
            or spec.reference is None or dtype not in ("float32", "float64"):
        return None
    ft = np.dtype(dtype).type
    big = float(np.finfo(dtype).max)

    def finite(v: float) -> bool:
        with np.errstate(all="ignore"):
            return not bool(np.isinf(spec.reference(np.asarray(ft(v)))))

    ends = []
    for sign in (1.0, -1.0):
        if finite(sign * big):
            ends.append(sign * big)
            continue
        ok, bad = 0.0, big
        for _ in range(2000):
            mid = ok + (bad - ok) / 2 if bad - ok > 1.0 else (ok + bad) / 2
            if mid in (ok, bad) or bad - ok <= 1e-9 * max(1.0, ok):
                break
            if finite(sign * mid):
                ok = mid
            else:
                bad = mid
        ends.append(sign * ok)
    if ends == [big, -big]:
        return None
    return (ends[1] if ends[1] != -big else None, ends[0] if ends[0] != big else None)


def _inside(b: Bounds | None, lo: float | None, hi: float | None) -> bool:
    """``b`` lies in ``[lo, hi]`` (a None limit needs no bound)."""
    if b is None:
        return False
    lo_ok = lo is None or (b[0] is not None and lo <= b[0])
    hi_ok = hi is None or (b[1] is not None and b[1] <= hi)
    return lo_ok and hi_ok


def _nonneg(b: Bounds | None) -> bool:
    return b is not None and b[0] is not None and b[0] >= 0


def _nonpos(b: Bounds | None) -> bool:
    return b is not None and b[1] is not None and b[1] <= 0


def risk_given(op: str, dtype: str, base: float, bounds: Sequence[Bounds | None]) -> float:
    """The accuracy risk of one ``op`` node whose operands have ``bounds`` (see the module
    docstring): ``base`` unless the bounds rule the hazard out."""
    if not base or not bounds:
        return base
    if op == "add" and len(bounds) == 2:
        a, b = bounds
        return 0.0 if (_nonneg(a) and _nonneg(b)) or (_nonpos(a) and _nonpos(b)) else base
    if op == "sub" and len(bounds) == 2:
        a, b = bounds
        return 0.0 if (_nonneg(a) and _nonpos(b)) or (_nonpos(a) and _nonneg(b)) else base
    if op == "div" and len(bounds) == 2:
        # a quotient whose operands are bounded, the divisor away from zero, cannot
        # overflow or lose its digits to underflow (it is correctly rounded)
        a, b = bounds
        if a is not None and b is not None and None not in a and None not in b and (
                b[0] > 0 or b[1] < 0):
            q = [a[0] / b[0], a[0] / b[1], a[1] / b[0], a[1] / b[1]]
            big = max(abs(v) for v in q)
            return 0.0 if big < 1e300 else base
    if len(bounds) == 1 and bounds[0] is not None:
        if _reaches_zero(bounds[0]) and pole_at_zero(op):
            # the operand is computed (its bounds are known) and may have underflowed to
            # 0 where its exact value is not: the op turns that into +-inf (log(ndtr(x)),
            # log(sigmoid(x)) in the tails), a total loss, not a few digits
            return POLE_RISK * base
        limits = overflow_limits(op, dtype)
        if limits is not None:
            return 0.0 if _inside(bounds[0], *limits) else base
        if OPS[op].kind == "elementwise" and well_conditioned(op, *bounds[0]):
            return 0.0
    return base


# How much more an op with a pole at 0 risks when its computed operand may be 0.
POLE_RISK = 8.0


def _reaches_zero(b: Bounds) -> bool:
    lo, hi = b
    return (lo is None or lo <= 0.0) and (hi is None or hi >= 0.0) and not (
        lo is None and hi is None)


@functools.lru_cache(maxsize=512)
def pole_at_zero(op: str) -> bool:
    """True if unary elementwise ``op`` is infinite at 0 (``log``, ``log2``, ``log10``,
    ``gammaln``, ...), read from its NumPy reference."""
    spec = OPS[op]
    if spec.kind != "elementwise" or spec.arity != 1 or spec.attrs or spec.reference is None:
        return False
    with np.errstate(all="ignore"):
        try:
            return bool(np.isinf(spec.reference(np.asarray(0.0))))
        except Exception:  # noqa: BLE001 - an op without a float reference has no pole
            return False


# Relative condition number below which an op's risk is lifted (a few ulps at most).
WELL_CONDITIONED = 4.0


@functools.lru_cache(maxsize=4096)
def well_conditioned(op: str, lo: float | None, hi: float | None) -> bool:
    """True if unary ``op``'s relative condition number ``|a f'(a) / f(a)|`` is at most
    ``WELL_CONDITIONED`` at sample points spanning ``[lo, hi]`` (None: the float range's
    end): the endpoints, points just inside them, and every power of ten between."""
    spec = OPS[op]
    if spec.arity != 1 or spec.reference is None or not callable(spec.deriv):
        return False
    big = 1.7e308
    a_lo = -big if lo is None else lo
    a_hi = big if hi is None else hi
    if not a_lo <= a_hi:
        return False
    pts = {a_lo, a_hi, a_lo + abs(a_lo) * 1e-12 + 1e-300, a_hi - abs(a_hi) * 1e-12 - 1e-300}
    for k in range(-300, 309, 3):
        for v in (10.0 ** k, -(10.0 ** k)):
            if a_lo <= v <= a_hi:
                pts.add(v)
    a = np.array(sorted(p for p in pts if a_lo <= p <= a_hi))
    with np.errstate(all="ignore"):
        v = np.asarray(spec.reference(a), dtype=float)
        d = np.broadcast_to(np.asarray(spec.deriv(a, v), dtype=float), a.shape)
        cond = np.abs(a * d / v)
    cond = np.where(a == 0, 0.0, cond)  # the limit at 0 of the ops concerned is finite
    return bool(np.all(np.isfinite(cond)) and np.all(cond <= WELL_CONDITIONED))


def _default_ns(op: str) -> float:
    return DEFAULT_NS.get(op, 0.3 * OPS[op].cost)


# -- shared forms (costs) --
# Ops that the rules may also write with a primitive other stable forms share (the
# "shared primitives" block of specialize.rules): op -> the ops of that expansion, each
# once, declared by the op (``OpSpec.shared_form``; a test checks them against the rules'
# right sides). The backend-neutral model
# (its per-op numbers are NumPy's, which run these ops in several array passes) assumes a
# fusing backend computes the op as cheaply as its expansion: its cost is capped there,
# less ``PREFER_OP_NS`` per element, so alone the op wins (one node, a readable graph)
# and next to a partner that shares the primitive the expansion wins by what the shared
# nodes save. A measured backend table keeps what was measured (on Numba today the
# expansion of softplus runs faster than its one-call helper, so it is chosen even alone).
SHARED_FORMS: dict[str, tuple[str, ...]] = {op: spec.shared_form for op, spec in OPS.items()
                                             if spec.shared_form}
PREFER_OP_NS = 0.01


def cap_shared_forms(ns: Mapping[str, float]) -> dict[str, float]:
    """``ns`` with each ``SHARED_FORMS`` op costing at most its expansion (see there)."""
    out = dict(ns)
    for op, parts in SHARED_FORMS.items():
        if op in out and all(p in out for p in parts):
            out[op] = min(out[op], max(sum(out[p] for p in parts) - PREFER_OP_NS, 0.0))
    return out


@dataclass(frozen=True)
class CostModel:
    """Per-op costs (ns per element), matmul ns per flop, memory ns per byte, the accuracy
    weight (ns per unit of risk per element) and the size assumed for symbolic dims."""

    ns: Mapping[str, float] = field(default_factory=lambda: {op: _default_ns(op) for op in OPS})
    matmul_flop_ns: float = DEFAULT_MATMUL_FLOP_NS
    byte_ns: float = DEFAULT_BYTE_NS
    accuracy_ns: float = DEFAULT_ACCURACY_NS
    risk: Mapping[str, float] = field(default_factory=lambda: dict(RISK))
    symbolic_dim: int = 1000
    source: str = f"built-in defaults calibrated {CALIBRATED_ON}"
    pass_ns: float = 0.0
    fuses: bool = True
    backend: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_memo", {})
        if self.fuses and self.backend is None:
            object.__setattr__(self, "ns", cap_shared_forms(self.ns))

    def numel(self, shape: Shape) -> int:
        """Element count, symbolic dims counted as ``symbolic_dim``."""
        return math.prod(d if isinstance(d, int) else self.symbolic_dim for d in shape)

    def nbytes(self, shape: Shape, dtype: str) -> float:
        """Bytes of an array of that shape and dtype."""
        return self.numel(shape) * (1 if dtype == "bool" else np.dtype(dtype).itemsize)

    def node_cost(self, op: str, shape: Shape, dtype: str, in_shapes: Sequence[Shape],
                  in_dtypes: Sequence[str], materialized: Sequence[bool] = (),
                  bounds: Sequence[Bounds | None] = ()) -> float:
        """Cost of one node. ``materialized[i]`` says operand ``i`` is a computed
        elementwise result (it must be written out if this op cannot fuse it);
        ``bounds[i]`` is operand ``i``'s ``(lo, hi)`` from the analyses (``None`` or
        missing: unknown, assumed unsafe)."""
        t, a = self.node_parts(op, shape, dtype, in_shapes, in_dtypes, materialized, bounds)
        return t + a

    def node_parts(self, op: str, shape: Shape, dtype: str, in_shapes: Sequence[Shape],
                   in_dtypes: Sequence[str], materialized: Sequence[bool] = (),
                   bounds: Sequence[Bounds | None] = ()) -> tuple[float, float]:
        """``(time, accuracy)`` parts of ``node_cost``."""
        bounds = tuple(bounds)
        key = (op, shape, dtype, tuple(in_shapes), tuple(in_dtypes), tuple(materialized),
               bounds)
        memo = self._memo  # type: ignore[attr-defined]
        got = memo.get(key)
        if got is None:
            got = memo[key] = self._node_parts(op, shape, dtype, in_shapes, in_dtypes,
                                               materialized, bounds)
        return got

    def _node_parts(self, op: str, shape: Shape, dtype: str, in_shapes: Sequence[Shape],
                    in_dtypes: Sequence[str], materialized: Sequence[bool],
                    bounds: Sequence[Bounds | None] = ()) -> tuple[float, float]:
        spec = OPS[op]
        n = self.numel(shape)
        if op == "input":
            return self.byte_ns * self.nbytes(shape, dtype), 0.0
        if spec.kind == "leaf" or spec.kind == "layout":
            # (index) making a view costs ~50 ns; other layout ops 1 ns (a tie-breaker: of two
            # graphs otherwise equal, the one with fewer views)
            return (50.0 if op == "slice" else (1.0 if spec.kind == "layout" else 0.0)), 0.0
        risk = risk_given(op, in_dtypes[0] if in_dtypes else dtype, self.risk.get(op, 0.0),
                          bounds)
        acc = self.accuracy_ns * risk * n
        if spec.kind == "elementwise":
            t = self.ns[op] * n
            if not self.fuses:  # one array pass per op: read the operands, write the result
                t += self.pass_ns + self.byte_ns * (self.nbytes(shape, dtype) + sum(
                    self.nbytes(s, d) for s, d, m in zip(in_shapes, in_dtypes, materialized)
                    if m))
            return t, acc
        if spec.kind == "gather":  # (index) one pass writing the result, reading operands
            traffic = self.nbytes(shape, dtype) + sum(
                self.nbytes(s, d) for s, d in zip(in_shapes, in_dtypes))
            return self.ns[op] * n + self.byte_ns * traffic + self.pass_ns, acc
        if spec.kind in ("reduction", "scan"):
            t = self.ns[op] * self.numel(in_shapes[0])
        else:  # matmul: 2*M*N*K flops, K the contracted dim of the left operand
            k = in_shapes[0][-1]
            k = k if isinstance(k, int) else self.symbolic_dim
            t = self.matmul_flop_ns * 2.0 * max(n, 1) * k
        traffic = self.nbytes(shape, dtype)
        passes = 1
        for s, d, m in zip(in_shapes, in_dtypes, materialized):
            if m:
                # a fusing backend writes the operand in a pass of its own and reads it
                # back; a non-fusing one has paid for the write at the operand
                traffic += (2 if self.fuses else 1) * self.nbytes(s, d)
                passes += 1 if self.fuses else 0
        return t + self.byte_ns * traffic + self.pass_ns * passes, acc

    def graph_parts(self, graph: Graph,
                    bounds: Mapping[int, Bounds] | None = None) -> tuple[float, float]:
        """``(time, accuracy)`` parts of ``graph_cost``."""
        t_total = a_total = 0.0
        for node in graph.nodes():
            mat = [OPS[i.op].kind == "elementwise" for i in node.inputs]
            bnd = [bounds.get(i.uid) for i in node.inputs] if bounds is not None else []
            t, a = self.node_parts(node.op, node.shape, node.dtype,
                                   [i.shape for i in node.inputs],
                                   [i.dtype for i in node.inputs], mat, bnd)
            t_total += t
            a_total += a
        # the outputs an elementwise chain (or an input returned as it is) leaves: written
        # once, by a pass of their own (reductions and matmuls paid for theirs)
        for node in {o.uid: o for o in graph.outputs}.values():
            if OPS[node.op].kind in ("elementwise", "leaf", "layout"):
                t_total += self.byte_ns * self.nbytes(node.shape, node.dtype) + self.pass_ns
        return t_total, a_total

    def graph_cost(self, graph: Graph,
                   bounds: Mapping[int, Bounds] | None = None) -> float:
        """DAG cost of a graph: each node once. ``bounds`` (node uid -> ``(lo, hi)``, from
        the interval analysis) lets the accuracy term see safe ranges."""
        t, a = self.graph_parts(graph, bounds)
        return t + a

    def graph_time(self, graph: Graph) -> float:
        """The time part of ``graph_cost`` (compute, memory traffic and passes, in ns): what
        the model predicts one run of the graph takes on its backend."""
        return self.graph_parts(graph)[0]

    def describe(self) -> str:
        """One paragraph stating the model (printed in reports)."""
        return (f"cost = compute + memory + accuracy, in ns ({self.source}); compute = "
                f"ns/elem x elements (matmul {self.matmul_flop_ns:g} ns/flop); memory = "
                f"{self.byte_ns:g} ns/byte for inputs, reduction/matmul results and operands "
                f"they force to materialize (elementwise chains fuse); accuracy = "
                f"{self.accuracy_ns:g} ns x risk x elements (no risk where the operands' "
                f"bounds rule out overflow, cancellation or ill-conditioning); "
                f"{self.pass_ns:g} ns per kernel pass"
                f"{'' if self.fuses else ', one pass per op (no fusion)'}; symbolic dims = "
                f"{self.symbolic_dim}; DAG cost (shared nodes once).")


SHIPPED_DIR = Path(__file__).parent / "data"


def cache_path(backend: str | None = None) -> Path:
    """Where ``calibrate`` stores its measurements for ``backend`` (None: the table of the
    backend-neutral default model, ``costs.json``) in the user cache directory."""
    from .cache_dirs import cache_root

    return cache_root() / ("costs.json" if backend is None else f"costs-{backend}.json")


def shipped_path(backend: str) -> Path:
    """The table shipped with eqsat-tensor for ``backend`` (committed JSON)."""
    return SHIPPED_DIR / f"costs-{backend}.json"


def measure(n: int = 1 << 20, repeat: int = 5) -> dict[str, Any]:
    """Measure per-element NumPy times of every op on this machine (see module doc)."""
    from .calibration import measure as measure_backend

    return measure_backend("numpy", n, repeat)


def calibrate(path: str | os.PathLike | None = None, *, backend: str | None = None,
              elements: int = 1 << 20, repeat: int = 5,
              ops: Sequence[str] | None = None) -> CostModel:
    """Measure op costs on this machine on ``backend`` (``"numba"`` when Numba is
    installed, else ``"numpy"``; see ``eqsat_tensor.calibrate``), save them as JSON
    (default: the user cache dir, see ``cache_path``) and return the resulting
    ``CostModel``. ``ops`` limits the per-op measurements to those ops."""
    from . import calibration as cal

    if backend is None:
        import importlib.util

        backend = "numba" if importlib.util.find_spec("numba") is not None else "numpy"
    data = cal.measure(backend, elements, repeat, ops)
    target = Path(path) if path is not None else cache_path(backend)
    try:  # atomic (temp file + rename); a failed write warns and keeps the measurements
        cal.save(data, target)
    except OSError as exc:
        warnings.warn(f"eqsat-tensor: cannot save the calibration to {target} "
                      f"({exc.strerror or exc}); using it for this process only",
                      RuntimeWarning, stacklevel=2)
        return _from_data(data, "this process only")
    _LOADED.clear()
    return _from_data(data, str(target))


def _from_data(data: dict[str, Any], where: str, base: CostModel | None = None) -> CostModel:
    fmt = data.get("format", 1)
    if not isinstance(fmt, int) or fmt > 1:
        raise ValueError(f"cost table {where}: unknown format {fmt!r}")
    base = base or CostModel()
    ns = dict(base.ns)
    ns.update({k: float(v) for k, v in data.get("ns", {}).items() if k in OPS})
    backend = data.get("backend")
    return replace(base, ns=ns, matmul_flop_ns=float(data.get("matmul_flop_ns",
                                                               base.matmul_flop_ns)),
                   byte_ns=float(data.get("byte_ns", base.byte_ns)),
                   pass_ns=float(data.get("pass_ns", base.pass_ns)),
                   fuses=bool(data.get("fuses", base.fuses)),
                   backend=backend if isinstance(backend, str) else base.backend,
                   source=f"calibrated {data.get('date', '?')} on {backend or 'NumPy'} "
                          f"({where})")


_LOADED: dict[tuple, CostModel] = {}


def load_cost_model(path: str | os.PathLike | None = None, *,
                    backend: str | None = None) -> CostModel:
    """The cost model for ``backend``: the table ``calibrate`` saved in the user cache if
    present and readable, else the table shipped for that backend, else the built-in
    defaults. ``backend=None`` is the backend-neutral model (the built-in per-op defaults,
    or a ``costs.json`` written by an older ``calibrate``). ``path`` names the table
    explicitly. Models are kept per file and modification time."""
    targets = [Path(path)] if path is not None else [cache_path(backend)]
    if path is None and backend is not None:
        targets.append(shipped_path(backend))
    key: tuple = (backend,)
    for target in targets:
        try:
            key += (str(target), target.stat().st_mtime_ns)
        except OSError:
            continue
    model = _LOADED.get(key)
    if model is not None:
        return model
    model = None
    base = None
    for target in reversed(targets):  # the shipped table first, the user's on top
        try:
            model = base = _from_data(json.loads(target.read_text()), str(target), base)
        except (OSError, ValueError, TypeError, AttributeError):
            continue
    if model is None:
        model = CostModel() if backend is None else replace(CostModel(), backend=backend)
    _LOADED[key] = model
    return model


def as_dict(model: CostModel) -> dict[str, Any]:
    """JSON-able view of a model."""
    d = asdict(model)
    d["ns"] = dict(model.ns)
    d["risk"] = dict(model.risk)
    return d
