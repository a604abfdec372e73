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
  over the operand's bounds (``log1p`` away from -1, ``log`` away from 1: see
  ``well_conditioned``). So an unshifted ``exp`` in a softmax costs more than the
  max-shifted one, ``log1p(-exp(x))`` more than ``log1mexp(x)``, and ``y - x`` what
  ``-x + y`` does less the negation.

The cost of a graph is the sum over its nodes, each counted once however many users it
has (DAG cost). Costs are monotone (a node costs at least 0 on top of its operands).

``DEFAULT_NS`` and the other defaults were measured with ``calibrate()`` on the
development machine (2 cores, NumPy 2.4) on 2026-11-25: per-element time of each op's
NumPy reference on 2**20 float64 elements, minus the time of a plain copy (the memory
part, which a fusing backend pays once per chain). ``calibrate()`` repeats this on the
current machine and saves a JSON file in the user cache directory; ``load_cost_model()``
reads it when present.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import tempfile
import time
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
    if len(bounds) == 1 and bounds[0] is not None:
        limits = overflow_limits(op, dtype)
        if limits is not None:
            return 0.0 if _inside(bounds[0], *limits) else base
        if OPS[op].kind == "elementwise" and well_conditioned(op, *bounds[0]):
            return 0.0
    return base


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "_memo", {})

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
        bounds = tuple(bounds)
        key = (op, shape, dtype, tuple(in_shapes), tuple(in_dtypes), tuple(materialized),
               bounds)
        memo = self._memo  # type: ignore[attr-defined]
        got = memo.get(key)
        if got is None:
            got = memo[key] = self._node_cost(op, shape, dtype, in_shapes, in_dtypes,
                                              materialized, bounds)
        return got

    def _node_cost(self, op: str, shape: Shape, dtype: str, in_shapes: Sequence[Shape],
                   in_dtypes: Sequence[str], materialized: Sequence[bool],
                   bounds: Sequence[Bounds | None] = ()) -> float:
        spec = OPS[op]
        n = self.numel(shape)
        if op == "input":
            return self.byte_ns * self.nbytes(shape, dtype)
        if spec.kind == "leaf" or spec.kind == "layout":
            return 50.0 if op == "slice" else 0.0  # (index) making a view costs ~50 ns
        risk = risk_given(op, in_dtypes[0] if in_dtypes else dtype, self.risk.get(op, 0.0),
                          bounds)
        cost = self.accuracy_ns * risk * n
        if spec.kind == "elementwise":
            return cost + self.ns[op] * n
        if spec.kind == "gather":  # (index) one pass writing the result, reading operands
            traffic = self.nbytes(shape, dtype) + sum(
                self.nbytes(s, d) for s, d in zip(in_shapes, in_dtypes))
            return cost + self.ns[op] * n + self.byte_ns * traffic
        if spec.kind in ("reduction", "scan"):
            cost += self.ns[op] * self.numel(in_shapes[0])
        else:  # matmul: 2*M*N*K flops, K the contracted dim of the left operand
            k = in_shapes[0][-1]
            k = k if isinstance(k, int) else self.symbolic_dim
            cost += self.matmul_flop_ns * 2.0 * max(n, 1) * k
        traffic = self.nbytes(shape, dtype)
        for s, d, m in zip(in_shapes, in_dtypes, materialized):
            if m:
                traffic += 2 * self.nbytes(s, d)
        return cost + self.byte_ns * traffic

    def graph_cost(self, graph: Graph,
                   bounds: Mapping[int, Bounds] | None = None) -> float:
        """DAG cost of a graph: each node once. ``bounds`` (node uid -> ``(lo, hi)``, from
        the interval analysis) lets the accuracy term see safe ranges."""
        total = 0.0
        for node in graph.nodes():
            mat = [OPS[i.op].kind == "elementwise" for i in node.inputs]
            bnd = [bounds.get(i.uid) for i in node.inputs] if bounds is not None else []
            total += self.node_cost(node.op, node.shape, node.dtype,
                                    [i.shape for i in node.inputs],
                                    [i.dtype for i in node.inputs], mat, bnd)
        return total

    def describe(self) -> str:
        """One paragraph stating the model (printed in reports)."""
        return (f"cost = compute + memory + accuracy, in ns ({self.source}); compute = "
                f"ns/elem x elements (matmul {self.matmul_flop_ns:g} ns/flop); memory = "
                f"{self.byte_ns:g} ns/byte for inputs, reduction/matmul results and operands "
                f"they force to materialize (elementwise chains fuse); accuracy = "
                f"{self.accuracy_ns:g} ns x risk x elements (no risk where the operands' "
                f"bounds rule out overflow, cancellation or ill-conditioning); symbolic dims = "
                f"{self.symbolic_dim}; DAG cost (shared nodes once).")


def cache_path() -> Path:
    """Where ``calibrate`` stores its measurements."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "eqsat-tensor" / "costs.json"


def _time(fn: Any, repeat: int) -> float:
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(n: int = 1 << 20, repeat: int = 5) -> dict[str, Any]:
    """Measure per-element NumPy times of every op on this machine (see module doc)."""
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 0.9, n)
    b = rng.uniform(0.1, 0.9, n)
    out = np.empty(n)
    copy = _time(lambda: np.copyto(out, a), repeat) / n * 1e9
    ns: dict[str, float] = {}
    with np.errstate(all="ignore"):
        for op, spec in OPS.items():
            if spec.reference is None or spec.kind in ("leaf", "layout", "matmul", "gather"):
                continue
            if spec.kind in ("reduction", "scan"):
                t = _time(lambda ref=spec.reference: ref(a, axis=(0,), keepdims=False), repeat)
                ns[op] = max(t / n * 1e9 - copy / 2, 0.05)
                continue
            if op == "cast":
                args: list[Any] = [a]
                t = _time(lambda: a.astype(np.float32), repeat)
            else:
                args = [a, b, b][:spec.arity]
                if op == "where":
                    args = [a > 0.5, a, b]
                t = _time(lambda ref=spec.reference, args=args: ref(*args), repeat)
            ns[op] = max(t / n * 1e9 - copy, 0.05)
    m = 256
    x, y = rng.standard_normal((m, m)), rng.standard_normal((m, m))
    flop = _time(lambda: x @ y, repeat) / (2 * m ** 3) * 1e9
    return {"ns": ns, "matmul_flop_ns": flop, "byte_ns": copy / 16, "elements": n,
            "date": time.strftime("%Y-%m-%d")}


def calibrate(path: str | os.PathLike | None = None, *, elements: int = 1 << 20,
              repeat: int = 5) -> CostModel:
    """Measure op costs on this machine with NumPy, save them as JSON (default: the user
    cache dir, see ``cache_path``) and return the resulting ``CostModel``."""
    data = measure(elements, repeat)
    target = Path(path) if path is not None else cache_path()
    tmp = None
    try:  # atomic (temp file + rename); a failed write warns and keeps the measurements
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".costs", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        warnings.warn(f"eqsat-tensor: cannot save the calibration to {target} "
                      f"({exc.strerror or exc}); using it for this process only",
                      RuntimeWarning, stacklevel=2)
        return _from_data(data, "this process only")
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return _from_data(data, str(target))


def _from_data(data: dict[str, Any], where: str) -> CostModel:
    base = CostModel()
    ns = dict(base.ns)
    ns.update({k: float(v) for k, v in data.get("ns", {}).items() if k in OPS})
    return replace(base, ns=ns, matmul_flop_ns=float(data.get("matmul_flop_ns",
                                                               base.matmul_flop_ns)),
                   byte_ns=float(data.get("byte_ns", base.byte_ns)),
                   source=f"calibrated {data.get('date', '?')} ({where})")


_LOADED: dict[tuple, CostModel] = {}


def load_cost_model(path: str | os.PathLike | None = None) -> CostModel:
    """The calibrated model saved by ``calibrate`` if present (and readable), else the
    built-in defaults. Models are kept per file and modification time."""
    target = Path(path) if path is not None else cache_path()
    try:
        key: tuple = (str(target), target.stat().st_mtime_ns)
    except OSError:
        key = ("<defaults>",)
    model = _LOADED.get(key)
    if model is None:
        try:
            model = _from_data(json.loads(target.read_text()), str(target))
        except (OSError, ValueError, TypeError):
            model = CostModel()
        _LOADED[key] = model
    return model


def as_dict(model: CostModel) -> dict[str, Any]:
    """JSON-able view of a model."""
    d = asdict(model)
    d["ns"] = dict(model.ns)
    d["risk"] = dict(model.risk)
    return d
