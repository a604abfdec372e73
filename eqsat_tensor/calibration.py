"""Measuring the cost model on this machine, per backend (``et.calibrate``).

``measure(backend)`` returns a JSON-able table (format ``TABLE_FORMAT``):

* ``ns``: compute ns per element of each op. NumPy: each op's reference on ``n`` float64
  elements minus a plain copy. Numba: a one-node graph ``op(x[, y])`` compiled by the
  Numba backend, minus the same kernel doing only a negation (the memory part, which a
  fused chain pays once);
* ``byte_ns``: memory traffic, ns per byte (the negation / copy pass over ``n`` elements,
  16 bytes per element: one read, one write);
* ``pass_ns``: the fixed cost of one more kernel pass or plan step (launch, waking the
  threads, loop set-up): the intercept of the pass time measured at two sizes;
* ``matmul_flop_ns``: a 256x256 matmul on the backend, per flop;
* ``fuses``: whether the backend runs a chain of elementwise ops in one pass (Numba) or
  one array pass per op (NumPy).

Times are the minimum over ``repeat`` runs of the calling thread's CPU time (Numba's serial
kernels, so the work runs in that thread; matmul: the process CPU time, BLAS threads
included): other processes on a loaded machine then barely move them. The per-element
numbers are therefore single-core work; a parallel kernel divides them by its threads.
``calibrate()`` saves the table in the user cache directory (``cost.cache_path``), where
``cost.load_cost_model`` finds it; the tables shipped in ``eqsat_tensor/data/`` were made
the same way on the development machine.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .ir import OPS

TABLE_FORMAT = 1
BACKENDS = ("numpy", "numba")
# ops whose one-node graph is not a plain elementwise or reduction over float64 operands
_SKIP_KINDS = ("leaf", "layout", "matmul", "gather")
TINY = 16  # elements of the arrays that time the fixed cost of a pass
SERIAL = 1 << 62  # parallel_min of the Numba kernels timed: their serial build


def _best(fn: Callable[[], Any], repeat: int, clock: Callable[[], float] = time.thread_time
          ) -> float:
    best = math.inf
    for _ in range(max(repeat, 1)):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best


def _measurable(ops: Iterable[str] | None) -> list[str]:
    chosen = list(OPS) if ops is None else list(ops)
    out = []
    for op in chosen:
        spec = OPS[op]
        if spec.reference is None or spec.kind in _SKIP_KINDS:
            continue
        if spec.attrs and op != "cast" and spec.kind not in ("reduction", "scan"):
            continue
        out.append(op)
    return out


def _numba_graph(op: str, a: Any, b: Any) -> Any:
    from .ir import Graph, apply, input_node

    x = input_node("x", a.shape)
    y = input_node("y", b.shape)
    spec = OPS[op]
    if op == "cast":
        node = apply("cast", x, dtype="float32")
        return Graph(node), [a]
    if spec.kind in ("reduction", "scan"):
        red = spec.kind == "reduction"
        attrs = {k: ((0,) if red else 0) if k == "axis" else False for k in spec.attrs}
        return Graph(apply(op, x, **attrs)), [a]
    if op == "where":
        return Graph(apply("where", apply("greater", x, y), x, y)), [a, b]
    ins = [x, y, y][:spec.arity]
    return Graph(apply(op, *ins)), [a, b][:min(spec.arity, 2)]


def _measure_numba(n: int, repeat: int, ops: list[str]) -> dict[str, Any]:
    from .backends import compile as compile_graph
    from .ir import Graph, apply, input_node

    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 0.9, n)
    b = rng.uniform(0.1, 0.9, n)

    def timed(graph: Any, args: list[Any], clock: Callable[[], float] = time.thread_time
              ) -> float:
        # the serial build: the work runs in the calling thread, whose CPU time is timed
        exe = compile_graph(graph, backend="numba", parallel_min=SERIAL)
        exe(*args)  # compiles outside the timing
        return _best(lambda: exe(*args), repeat * (20 if clock is time.perf_counter else 1),
                     clock)

    def neg_time(m: int) -> float:
        x = input_node("x", (m,))
        return timed(Graph(apply("neg", x)), [a[:m]])

    small = min(max(n // 16, 1024), max(n // 2, 1))  # below n even for a tiny n
    t_big, t_small = neg_time(n), neg_time(small)
    per_elem = max((t_big - t_small) / (n - small), 1e-12)
    # one more plan step: x - sum(x) (a reduction, then an elementwise pass) against neg(x),
    # both over a few elements, where only the fixed costs count
    tiny = input_node("x", (TINY,))
    one = timed(Graph(apply("neg", tiny)), [a[:TINY]], time.perf_counter)
    two = timed(Graph(apply("sub", tiny, apply("sum", tiny, axis=(0,), keepdims=True))),
                [a[:TINY]], time.perf_counter)
    pass_s = max(two - one, 0.0)
    base = t_big
    ns: dict[str, float] = {}
    with np.errstate(all="ignore"):
        for op in ops:
            if op == "neg":
                continue
            try:
                graph, args = _numba_graph(op, a, b)
                t = timed(graph, args)
            except Exception:  # noqa: BLE001 - an op the backend cannot compile keeps its default
                continue
            extra = (len(args) - 1) * 8 * per_elem / 16 * n  # reading another operand
            ns[op] = max((t - base - extra) / n * 1e9, 0.05)
    ns["neg"] = 0.05
    m = 256
    x, y = rng.standard_normal((m, m)), rng.standard_normal((m, m))
    xa, ya = input_node("x", (m, m)), input_node("y", (m, m))
    flop = timed(Graph(apply("matmul", xa, ya)), [x, y], time.process_time) / (2 * m ** 3) * 1e9
    return {"ns": ns, "matmul_flop_ns": flop, "byte_ns": per_elem * 1e9 / 16,
            "pass_ns": pass_s * 1e9, "fuses": True}


def _measure_numpy(n: int, repeat: int, ops: list[str]) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 0.9, n)
    b = rng.uniform(0.1, 0.9, n)
    out = np.empty(n)
    small = min(max(n // 16, 1024), max(n // 2, 1))  # below n even for a tiny n
    t_big = _best(lambda: np.copyto(out, a), repeat)
    t_small = _best(lambda: np.copyto(out[:small], a[:small]), repeat)
    per_elem = max((t_big - t_small) / (n - small), 1e-12)
    copy = t_big / n * 1e9
    ns: dict[str, float] = {}
    with np.errstate(all="ignore"):
        for op in ops:
            spec = OPS[op]
            if spec.kind in ("reduction", "scan"):
                try:
                    t = _best(lambda ref=spec.reference: ref(a, axis=(0,), keepdims=False),
                              repeat) if spec.kind == "reduction" else _best(
                        lambda ref=spec.reference: ref(a, axis=0), repeat)
                except TypeError:  # a reference with another signature keeps its default
                    continue
                ns[op] = max(t / n * 1e9 - copy / 2, 0.05)
                continue
            if op == "cast":
                t = _best(lambda: a.astype(np.float32), repeat)
            else:
                args = [a > 0.5, a, b] if op == "where" else [a, b, b][:spec.arity]
                t = _best(lambda ref=spec.reference, args=args: ref(*args), repeat)
            ns[op] = max(t / n * 1e9 - copy, 0.05)
    m = 256
    x, y = rng.standard_normal((m, m)), rng.standard_normal((m, m))
    flop = _best(lambda: x @ y, repeat, time.process_time) / (2 * m ** 3) * 1e9
    # one more pass: a NumPy call over a few elements
    tiny = a[:TINY]
    pass_s = _best(lambda: np.negative(tiny), repeat * 20, time.perf_counter)
    return {"ns": ns, "matmul_flop_ns": flop, "byte_ns": per_elem * 1e9 / 16,
            "pass_ns": pass_s * 1e9, "fuses": False}


def measure(backend: str = "numpy", n: int = 1 << 20, repeat: int = 5,
            ops: Iterable[str] | None = None) -> dict[str, Any]:
    """The cost table of ``backend`` (``"numpy"`` or ``"numba"``) measured on this machine
    (see the module docstring); ``ops`` limits the per-op part to those ops (the others keep
    the shipped values when loaded)."""
    if backend not in BACKENDS:
        raise ValueError(f"calibrate: backend must be one of {BACKENDS}, got {backend!r}")
    chosen = _measurable(ops)
    data = (_measure_numba if backend == "numba" else _measure_numpy)(n, repeat, chosen)
    data.update({"format": TABLE_FORMAT, "backend": backend, "elements": n,
                 "date": time.strftime("%Y-%m-%d"), "machine": _machine()})
    return data


def _machine() -> str:
    return f"{os.cpu_count()} cpus, NumPy {np.__version__}"


def save(data: dict[str, Any], path: str | os.PathLike) -> Path:
    """Write a table as JSON (atomically: a reader never sees half a file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)  # after a failed write (gone after the rename)
    return target


__all__ = ["BACKENDS", "TABLE_FORMAT", "measure", "save"]
