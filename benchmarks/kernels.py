"""Kernel speed on model-like workloads (issue #21): stable forms, row reductions, a GELU
MLP, the demo's gate and loss, layer norm, a logistic-regression log-likelihood with its
gradient and ``trace(A @ B)``, against NumPy, numexpr (where it applies), ``jax.jit`` and
PyTensor, plus the same graph unoptimized on our Numba backend and the copy bandwidth,
all measured in one process.

Every case runs at each size (elements of its main input; ``--quick``: small sizes for CI);
peers are timed round-robin (one call of each per round) and each keeps its minimum
wall-clock and CPU (``time.process_time``: all threads) time. Per case: the ratio of
eqsat-tensor's time to the best peer's (<= 1.0 is at least as fast), optimized /
unoptimized on the same backend (<= 1.0: optimizing never slowed it down), and for
memory-bound chains the share of the copy bandwidth reached. The workload functions are
written once over an array namespace ``xp`` (``benchmarks.workloads.bind``).

    python -m benchmarks.kernels [--quick] [--sizes 1e6,1e7] [--rounds 7]
                                 [--cases softmax,logsumexp] [--peers numpy,jax] [--json out]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from eqsat_tensor.bench_runner import copy_bandwidth, geometric_mean
from eqsat_tensor.workloads import bind

PEERS = ("numpy", "numexpr", "jax", "pytensor", "eqsat", "eqsat-unopt")
SQRT_2_PI = 0.7978845608028654


# -- the workloads (written once over xp) -----------------------------------------------------
def expm1(xp, x):
    return xp.expm1(x)


def log1p(xp, x):
    return xp.log1p(x)


def softplus(xp, x):
    return xp.log(1.0 + xp.exp(x))


def sigmoid(xp, x):
    return 1.0 / (1.0 + xp.exp(-x))


def logaddexp(xp, x, y):
    return xp.logaddexp(x, y)


def logsumexp_rows(xp, x):
    m = xp.max(x, axis=1, keepdims=True)
    return xp.log(xp.sum(xp.exp(x - m), axis=1, keepdims=True)) + m


def softmax_rows(xp, x):
    e = xp.exp(x - xp.max(x, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def log_softmax_rows(xp, x):
    m = xp.max(x, axis=1, keepdims=True)
    return x - m - xp.log(xp.sum(xp.exp(x - m), axis=1, keepdims=True))


def softplus_mean(xp, x):
    return xp.mean(xp.log(1.0 + xp.exp(x)))


def arith_chain(xp, x, y):
    return x * y + x / (y + 4.0) - 2.0 * x + y * y


def _gelu(xp, h):
    return 0.5 * h * (1.0 + xp.tanh(SQRT_2_PI * (h + 0.044715 * h * h * h)))


def gelu_mlp(xp, x, w1, b1, w2, b2):
    return _gelu(xp, x @ w1 + b1) @ w2 + b2


def demo_gate(xp, x, y):
    return xp.log(1 + xp.exp(x)) * y + xp.exp(x) / (1 + xp.exp(x)) - x * y / x


def demo_loss(xp, X, W, v, y):
    z = (X @ W) @ v
    p = xp.exp(z) / (1 + xp.exp(z))
    return xp.mean((p - y) * (p - y)) + 0.0 * xp.sum(v * v)


def layer_norm(xp, x, gamma, beta):
    mu = xp.mean(x, axis=1, keepdims=True)
    d = x - mu
    var = xp.mean(d * d, axis=1, keepdims=True)
    return d / xp.sqrt(var + 1e-5) * gamma + beta


def logreg_grad(xp, X, w, y):
    z = X @ w
    loglik = xp.sum(y * z - xp.log(1.0 + xp.exp(z)))
    grad = (y - 1.0 / (1.0 + xp.exp(-z))) @ X
    return loglik, grad


def trace_matmul(xp, a, b):
    return xp.trace(a @ b)


def attention(xp, q, k, v):
    s = q @ k.T / 8.0
    e = xp.exp(s - xp.max(s, axis=1, keepdims=True))
    return (e / xp.sum(e, axis=1, keepdims=True)) @ v


# -- inputs by size ---------------------------------------------------------------------------
def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _vec(count: int, low: float = -5.0, high: float = 5.0) -> Callable[[int], list]:
    return lambda n: [_rng(k).uniform(low, high, n) for k in range(count)]


def _rows(extra: int = 0) -> Callable[[int], list]:
    def make(n: int) -> list:
        cols = 1000 if n >= 100_000 else 100
        x = _rng().standard_normal((n // cols, cols)) * 3
        return [x] + [_rng(k + 1).standard_normal(cols) for k in range(extra)]
    return make


def _mlp(n: int) -> list:
    batch, width = (4096, 512) if n >= 100_000 else (256, 64)
    r = _rng()
    return [r.standard_normal((batch, width)), r.standard_normal((width, width)) / 20,
            r.standard_normal(width), r.standard_normal((width, width)) / 20,
            r.standard_normal(width)]


def _design(d: int, with_w: bool = False) -> Callable[[int], list]:
    def make(n: int) -> list:
        r = _rng()
        X = r.standard_normal((n // d, d))
        W = [r.standard_normal((d, d)) / np.sqrt(d)] if with_w else []
        return [X] + W + [r.standard_normal(d) / np.sqrt(d),
                          (r.random(n // d) < 0.5).astype(np.float64)]
    return make


def _square(n: int) -> list:
    m = min(int(math.isqrt(n)), 2000)  # (peers compute the whole product: n^1.5 flops)
    return [_rng(0).standard_normal((m, m)), _rng(1).standard_normal((m, m))]


def _attention(n: int) -> list:
    rows, d = (2000, 64) if n >= 100_000 else (128, 16)
    return [_rng(k).standard_normal((rows, d)) for k in range(3)]


@dataclass(frozen=True)
class Case:
    """One workload: ``fn(xp, *inputs)``, inputs for ``n`` elements, a numexpr form."""

    name: str
    fn: Callable[..., Any]
    inputs: Callable[[int], list]
    numexpr: str | None = None
    memory_bound: bool = False  # judged against the copy bandwidth
    tol: float = 1e-9
    sized: bool = True  # False: one fixed shape whatever the size (the MLP, attention)


CASES: list[Case] = [
    Case("expm1", expm1, _vec(1, -3, 3), "expm1(x)"),
    Case("log1p", log1p, _vec(1, 0, 10), "log1p(x)"),
    Case("softplus", softplus, _vec(1, -30, 30), "log(1.0 + exp(x))", tol=1e-7),
    Case("sigmoid", sigmoid, _vec(1, -30, 30), "1.0 / (1.0 + exp(-x))"),
    Case("logaddexp", logaddexp, _vec(2, -30, 30)),
    Case("softplus_mean", softplus_mean, _vec(1, -30, 30), tol=1e-7),
    Case("logsumexp_rows", logsumexp_rows, _rows()),
    Case("softmax_rows", softmax_rows, _rows()),
    Case("log_softmax_rows", log_softmax_rows, _rows()),
    Case("arith_chain", arith_chain, _vec(2), "x * y + x / (y + 4.0) - 2.0 * x + y * y",
         memory_bound=True),
    Case("gelu_mlp", gelu_mlp, _mlp, tol=1e-8, sized=False),
    Case("demo_gate", demo_gate, _vec(2, -30, 30), tol=1e-7),
    Case("demo_loss", demo_loss, _design(32, with_w=True), tol=1e-8),
    Case("layer_norm", layer_norm, _rows(2), tol=1e-8),
    Case("logreg_grad", logreg_grad, _design(16), tol=1e-7),
    Case("trace_matmul", trace_matmul, _square, tol=1e-8),
    Case("attention", attention, _attention, tol=1e-8, sized=False),
]


# -- peers ------------------------------------------------------------------------------------
def _block(value: Any) -> Any:
    for v in value if isinstance(value, tuple | list) else (value,):
        getattr(v, "block_until_ready", lambda: None)()
    return value


def make_peer(peer: str, case: Case, arrays: list[np.ndarray]) -> Callable[..., Any] | str:
    """The callable of ``peer`` for ``case``, or why it does not apply."""
    names = case.fn.__code__.co_varnames[1:case.fn.__code__.co_argcount]
    if peer == "numpy":
        return bind(case.fn, np)
    if peer == "numexpr":
        if case.numexpr is None:
            return "not expressible"
        import numexpr

        return lambda *a: numexpr.evaluate(case.numexpr, local_dict=dict(zip(names, a)))
    if peer in ("eqsat", "eqsat-unopt"):
        import eqsat_tensor as et

        fn = et.jit(bind(case.fn, np), optimize=peer == "eqsat")
        # the first call may answer from the NumPy tier while Numba compiles in the
        # background: time the compiled kernels, not the tier (nor the compile thread)
        fn(*arrays)
        fn.wait()
        return fn
    if peer == "jax":
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        f = jax.jit(bind(case.fn, jnp))
        return lambda *a: _block(f(*a))
    if peer == "pytensor":
        import pytensor
        import pytensor.tensor as pt

        syms = [pt.tensor(nm, shape=(None,) * a.ndim, dtype=str(a.dtype))
                for nm, a in zip(names, arrays)]
        xp = _PytensorNamespace(pt)
        out = case.fn(xp, *syms)
        f = pytensor.function(syms, list(out) if isinstance(out, tuple) else out,
                              trust_input=True)
        return (lambda *a: tuple(f(*a))) if isinstance(out, tuple) else f
    raise ValueError(f"unknown peer {peer!r}")


class _PytensorNamespace:
    """``pytensor.tensor`` with NumPy's spellings where they differ."""

    def __init__(self, pt: Any) -> None:
        self._pt = pt

    def __getattr__(self, name: str) -> Any:
        if name == "trace":
            return self._pt.linalg.trace
        if name == "logaddexp":
            return lambda a, b: self._pt.logaddexp(a, b)
        return getattr(self._pt, name)


def _equal(got: Any, want: Any, tol: float) -> bool:
    got = got if isinstance(got, tuple | list) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    return len(got) == len(want) and all(
        np.shape(g) == np.shape(w) and np.allclose(np.asarray(g), w, rtol=tol, atol=tol,
                                                   equal_nan=True)
        for g, w in zip(got, want))


# -- measurement ------------------------------------------------------------------------------
@dataclass
class Row:
    """One case at one size: best wall and CPU seconds per peer, and why peers were skipped."""

    case: str
    size: int
    nbytes: int
    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    memory_bound: bool = False

    def best_peer(self) -> tuple[str, float] | None:
        peers = {p: t for p, t in self.wall.items() if not p.startswith("eqsat")}
        return min(peers.items(), key=lambda kv: kv[1]) if peers else None

    def ratio(self) -> float | None:
        """eqsat's time / the best peer's (<= 1.0: at least as fast)."""
        best = self.best_peer()
        return self.wall["eqsat"] / best[1] if best and "eqsat" in self.wall else None

    def opt_ratio(self) -> float | None:
        """optimized / unoptimized time on the same backend."""
        if "eqsat" in self.wall and "eqsat-unopt" in self.wall:
            return self.wall["eqsat"] / self.wall["eqsat-unopt"]
        return None


def measure(case: Case, n: int, peers: list[str], rounds: int) -> Row:
    """Build every peer, check it against NumPy, then time them round-robin."""
    arrays = case.inputs(n)
    want = case.fn(np, *arrays)
    out_bytes = sum(np.asarray(w).nbytes for w in (want if isinstance(want, tuple) else (want,)))
    row = Row(case.name, n, sum(a.nbytes for a in arrays) + out_bytes,
              memory_bound=case.memory_bound)
    fns: dict[str, Callable[..., Any]] = {}
    for peer in peers:
        try:
            fn = make_peer(peer, case, arrays)
            if isinstance(fn, str):
                row.skipped[peer] = fn
                continue
            if not _equal(fn(*arrays), want, case.tol):
                row.skipped[peer] = "result differs from NumPy"
                continue
            fns[peer] = fn
        except Exception as exc:  # a peer that cannot run a case is reported, not fatal
            row.skipped[peer] = f"{type(exc).__name__}: {exc}"[:90]
    for _ in range(rounds):
        for peer, fn in fns.items():
            c, t = time.process_time(), time.perf_counter()
            fn(*arrays)
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            row.wall[peer] = min(row.wall.get(peer, math.inf), wall)
            row.cpu[peer] = min(row.cpu.get(peer, math.inf), cpu)
    return row


def run(cases: list[Case], sizes: list[int], peers: list[str], rounds: int,
        progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Every case at every size (fixed-shape cases once); the JSON-able report."""
    bandwidth = copy_bandwidth(16 * max(sizes), repeats=rounds)
    rows = []
    for case in cases:
        for n in (sizes if case.sized else sizes[-1:]):
            if progress:
                progress(f"{case.name} @ {n:.0e}")
            rows.append(measure(case, n, peers, rounds))
    ratios = [r.ratio() for r in rows if r.ratio()]
    return {"copy_bandwidth_GBps": bandwidth / 1e9, "peers": peers, "rounds": rounds,
            "rows": [vars(r) | {"ratio": r.ratio(), "opt_ratio": r.opt_ratio(),
                                "pct_bandwidth": _pct(r, bandwidth)} for r in rows],
            "geomean_ratio": geometric_mean(ratios)}


def _pct(row: Row, bandwidth: float) -> float | None:
    if "eqsat" not in row.wall:
        return None
    return 100.0 * row.nbytes / bandwidth / row.wall["eqsat"]


def table(report: dict[str, Any]) -> str:
    """A Markdown table: ms (wall / CPU) per peer, ratio to the best peer, opt/unopt."""
    peers = report["peers"]
    head = (["case", "n"] + peers + ["best peer", "eqsat/best", "opt/unopt", "% copy bw"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in report["rows"]:
        cells = [r["case"], f"{r['size']:.0e}"]
        for p in peers:
            w, c = r["wall"].get(p), r["cpu"].get(p)
            cells.append(f"{w * 1e3:.2f} / {c * 1e3:.2f}" if w is not None else "-")
        best = min(((p, t) for p, t in r["wall"].items() if not p.startswith("eqsat")),
                   key=lambda kv: kv[1], default=("-", 0))
        cells.append(best[0])
        cells.append(f"{r['ratio']:.2f}" if r["ratio"] else "-")
        cells.append(f"{r['opt_ratio']:.2f}" if r["opt_ratio"] else "-")
        pct = r["pct_bandwidth"]
        cells.append(f"{pct:.0f}%" if pct is not None and r["memory_bound"] else "-")
        lines.append("| " + " | ".join(cells) + " |")
    skipped = sorted({f"{p}: {why}" for r in report["rows"] for p, why in r["skipped"].items()})
    lines.append("")
    lines.append(f"ms wall / CPU (all threads), min of {report['rounds']} interleaved rounds; "
                 f"copy bandwidth {report['copy_bandwidth_GBps']:.1f} GB/s; geomean "
                 f"eqsat/best peer {report['geomean_ratio']:.2f}")
    if skipped:
        lines.append("skipped: " + "; ".join(skipped))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.kernels``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.kernels", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (CI)")
    parser.add_argument("--sizes", default="1e6,1e7", help="elements, comma-separated")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cases", default="", help="comma-separated case names (all)")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--json", default="", help="also write the report here")
    args = parser.parse_args(argv)
    sizes = [20_000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    wanted = set(filter(None, args.cases.split(",")))
    cases = [c for c in CASES if not wanted or c.name in wanted]
    report = run(cases, sizes, args.peers.split(","), 3 if args.quick else args.rounds,
                 progress=lambda s: print(s, flush=True))
    print(table(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
