"""Benchmark of the vectorizable transcendentals in ``eqsat_tensor.backends.fastmath``.

For every op and dtype, time one pass over ``n`` elements (default 1e7) with

* ``libm``: a Numba loop calling ``math.exp`` etc. (scalar libm call, not vectorized),
* ``fast``: the same loop calling ``FUNCS[op][dtype]`` (SIMD),
* ``numpy``: the NumPy ufunc expression,

single-threaded and with ``parallel=True`` / ``prange``, plus the fused chain
``log(1 + exp(x)) * y + x`` that motivated the module (issue 5), against jax.jit when jax is
installed. Runs are interleaved, the minimum of ``--repeat`` runs is reported, and every
result is checked against NumPy before timing. A plain copy gives the memory-bound floor.

Usage: ``python -m benchmarks.bench_fastmath [--n 10000000] [--repeat 7] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable

import numba
import numpy as np

from eqsat_tensor.backends.fastmath import FUNCS, OPS

_INPUTS = {
    "exp": (-20.0, 20.0),
    "log": (1e-3, 1e3),
    "log1p": (-0.5, 10.0),
    "expm1": (-5.0, 5.0),
    "tanh": (-5.0, 5.0),
    "sigmoid": (-20.0, 20.0),
    "softplus": (-20.0, 20.0),
}


@numba.njit(inline="always")
def _libm_sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@numba.njit(inline="always")
def _libm_softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


_LIBM: dict[str, Callable] = {
    "exp": math.exp, "log": math.log, "log1p": math.log1p, "expm1": math.expm1,
    "tanh": math.tanh, "sigmoid": _libm_sigmoid, "softplus": _libm_softplus,
}


def _numpy(op: str) -> Callable[[np.ndarray], np.ndarray]:
    if op == "sigmoid":
        return lambda x: 1 / (1 + np.exp(-x))
    if op == "softplus":
        return lambda x: np.logaddexp(x.dtype.type(0), x)
    return getattr(np, op)


def _loops(fn: Callable) -> tuple[Callable, Callable]:
    """(serial, parallel) Numba loops applying the scalar function fn."""

    @numba.njit
    def serial(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    @numba.njit(parallel=True)
    def parallel(x, out):
        for i in numba.prange(x.size):
            out[i] = fn(x[i])

    return serial, parallel


def _fused_loops(log1p: Callable, exp: Callable) -> Callable:
    @numba.njit(parallel=True)
    def fused(x, y, out):
        for i in numba.prange(x.size):
            out[i] = log1p(exp(x[i])) * y[i] + x[i]

    return fused


def _time(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Minimum seconds per call of each thunk, interleaved over ``repeat`` rounds."""
    best = {k: math.inf for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def _check(name: str, got: np.ndarray, want: np.ndarray) -> None:
    """Raise if got differs from want by more than a few ulps of the largest value."""
    rtol = 1e-12 if got.dtype == np.float64 else 1e-5
    atol = rtol * float(np.max(np.abs(want)))
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        bad = int(np.argmin(close))
        raise AssertionError(f"{name}: differs from NumPy at {bad}: {got[bad]} vs {want[bad]}")


def bench_ops(n: int, repeat: int, dtypes: tuple[str, ...]) -> list[dict]:
    """Time every op and dtype; return rows of milliseconds."""
    rng = np.random.default_rng(0)
    rows = []
    for dtype in dtypes:
        for op in OPS:
            lo, hi = _INPUTS[op]
            x = rng.uniform(lo, hi, n).astype(dtype)
            outs = {k: np.empty_like(x) for k in ("libm", "fast", "libm_par", "fast_par")}
            libm_s, libm_p = _loops(_LIBM[op])
            fast_s, fast_p = _loops(FUNCS[op][dtype])
            np_fn = _numpy(op)
            runs = {
                "numpy": lambda np_fn=np_fn, x=x: np_fn(x),
                "copy": lambda x=x: x.copy(),
            }
            for key, loop in (("libm", libm_s), ("fast", fast_s), ("libm_par", libm_p),
                              ("fast_par", fast_p)):
                runs[key] = lambda f=loop, x=x, o=outs[key]: f(x, o)
            for f in runs.values():  # compile and warm up
                f()
            want = np_fn(x)
            for k, out in outs.items():
                _check(f"{op}/{dtype}/{k}", out, want)
            t = _time(runs, repeat)
            rows.append({"op": op, "dtype": dtype, **{k: v * 1e3 for k, v in t.items()}})
    return rows


def bench_fused(n: int, repeat: int) -> dict:
    """The motivating chain log(1+exp(x))*y + x at float64: libm vs fast (parallel), jax."""
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-5, 5, n), rng.uniform(-1, 1, n)
    out_l, out_f = np.empty_like(x), np.empty_like(x)
    libm = _fused_loops(math.log1p, math.exp)
    fast = _fused_loops(FUNCS["log1p"]["float64"], FUNCS["exp"]["float64"])
    runs: dict[str, Callable[[], object]] = {
        "numpy": lambda: np.log1p(np.exp(x)) * y + x,
        "libm_par": lambda: libm(x, y, out_l),
        "fast_par": lambda: fast(x, y, out_f),
    }
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        jf = jax.jit(lambda a, b: jax.numpy.log1p(jax.numpy.exp(a)) * b + a)
        xj, yj = jax.device_put(x), jax.device_put(y)
        runs["jax.jit"] = lambda: jf(xj, yj).block_until_ready()
    except ImportError:
        pass
    for f in runs.values():
        f()
    want = np.log1p(np.exp(x)) * y + x
    _check("fused/libm", out_l, want)
    _check("fused/fast", out_f, want)
    if "jax.jit" in runs:
        _check("fused/jax", np.asarray(runs["jax.jit"]()), want)
    return {k: v * 1e3 for k, v in _time(runs, repeat).items()}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (milliseconds per pass)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)

    print(f"n = {args.n:.0e}, min of {args.repeat}, threads = {numba.get_num_threads()}; "
          "times in ms")
    rows = bench_ops(args.n, args.repeat, tuple(args.dtypes.split(",")))
    cols = ["libm", "fast", "numpy", "libm_par", "fast_par", "copy"]  # "copy": x.copy()
    print(f"{'op':9}{'dtype':8}" + "".join(f"{c:>10}" for c in cols) + f"{'fast/libm':>11}")
    for r in rows:
        print(f"{r['op']:9}{r['dtype']:8}" + "".join(f"{r[c]:10.1f}" for c in cols)
              + f"{r['libm'] / r['fast']:10.2f}x")
    fused = bench_fused(args.n, args.repeat)
    print("\nfused log(1+exp(x))*y + x, float64, parallel: "
          + ", ".join(f"{k} {v:.1f}" for k, v in fused.items()))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"n": args.n, "repeat": args.repeat, "ops": rows, "fused": fused}, fh,
                      indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
