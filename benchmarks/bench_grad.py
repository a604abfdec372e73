"""Benchmark of ``et.value_and_grad`` (joint forward+backward optimization, one numba
program) against hand-written NumPy gradients and ``jax.jit(jax.value_and_grad)``.

Workloads (``n`` rows, default 100,000, ``d`` = 16 features):

* ``logreg``: mean(log(1 + exp(X @ w)) - y * (X @ w)), gradient w.r.t. ``w``;
* ``tanh``: a tanh layer, sum(tanh(X @ W)) with ``W`` of shape (d, 16);
* ``mlp``: a 2-layer MLP with a squared loss, mean((tanh(X @ W1) @ W2 - y) ** 2).

Every implementation's value and gradient are checked against the NumPy one before
timing; the minimum of ``--repeat`` runs is reported (milliseconds), plus the node counts of
the naive and the jointly optimized gradient graph.

Usage: ``python -m benchmarks.bench_grad [--n 100000] [--repeat 20] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

import eqsat_tensor as et


def logreg(w, X, y):
    z = X @ w
    return np.mean(np.log(1 + np.exp(z)) - y * z)


def logreg_numpy(w, X, y):
    z = X @ w
    value = np.mean(np.logaddexp(0.0, z) - y * z)
    p = 0.5 * (1 + np.tanh(0.5 * z))  # sigmoid, stable
    return value, X.T @ ((p - y) / len(y))


def tanh_layer(W, X):
    return np.sum(np.tanh(X @ W))


def tanh_layer_numpy(W, X):
    h = np.tanh(X @ W)
    return np.sum(h), X.T @ (1 - h * h)


def mlp(W1, W2, X, y):
    h = np.tanh(X @ W1)
    return np.mean((h @ W2 - y) ** 2)


def mlp_numpy(W1, W2, X, y):
    h = np.tanh(X @ W1)
    r = h @ W2 - y
    value = np.mean(r * r)
    dr = (2.0 / len(y)) * r
    return value, (X.T @ (np.outer(dr, W2) * (1 - h * h)), h.T @ dr)


def _jax(name: str) -> Callable | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    if name == "logreg":
        def f(w, X, y):
            z = X @ w
            return jnp.mean(jax.nn.softplus(z) - y * z)
        return jax.jit(jax.value_and_grad(f))
    if name == "tanh":
        return jax.jit(jax.value_and_grad(lambda W, X: jnp.sum(jnp.tanh(X @ W))))

    def g(W1, W2, X, y):
        return jnp.mean((jnp.tanh(X @ W1) @ W2 - y) ** 2)
    return jax.jit(jax.value_and_grad(g, argnums=(0, 1)))


def _race(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, float]:
    """Minimum time (ms) of each function over ``repeat`` rounds, run interleaved so that
    load from other processes hits every contender alike."""
    best = {name: float("inf") for name in fns}
    for fn in fns.values():
        fn()
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            out = fn()
            for a in _flat_raw(out):
                if hasattr(a, "block_until_ready"):
                    a.block_until_ready()
            best[name] = min(best[name], time.perf_counter() - t)
    return {name: t * 1e3 for name, t in best.items()}


def _flat_raw(x: Any) -> list[Any]:
    if isinstance(x, (tuple, list)):
        return [a for item in x for a in _flat_raw(item)]
    return [x]


def _flat(x: Any) -> list[np.ndarray]:
    if isinstance(x, (tuple, list)):
        return [a for item in x for a in _flat(item)]
    return [np.asarray(x)]


def run(n: int, repeat: int) -> list[dict[str, Any]]:
    """Time every workload; returns one row per workload."""
    rng = np.random.default_rng(0)
    d, hidden = 16, 16
    X = rng.normal(size=(n, d))
    y = (rng.uniform(size=n) > 0.5).astype(np.float64)
    cases = {
        "logreg": (logreg, logreg_numpy, (rng.normal(size=d), X, y), 0),
        "tanh": (tanh_layer, tanh_layer_numpy, (rng.normal(size=(d, hidden)) * 0.3, X), 0),
        "mlp": (mlp, mlp_numpy, (rng.normal(size=(d, hidden)) * 0.3, rng.normal(size=hidden),
                                 X, y), (0, 1)),
    }
    rows = []
    for name, (f, hand, args, argnums) in cases.items():
        ours = et.value_and_grad(f, argnums=argnums)
        t0 = time.perf_counter()
        got = ours(*args)
        first = time.perf_counter() - t0
        want = hand(*args)
        for a, b in zip(_flat(got), _flat(want)):
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
        fns: dict[str, Callable[[], Any]] = {"numpy": partial(hand, *args),
                                              "eqsat": partial(ours, *args)}
        jf = _jax(name)
        if jf is not None:
            for a, b in zip(_flat(jf(*args)), _flat(want)):
                np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)
            fns["jax"] = partial(jf, *args)
        times = _race(fns, repeat)
        row = {"workload": name, "n": n, "first_call_s": first,
               "naive_nodes": len(ours.trace(*args)),
               "optimized_nodes": len(ours.optimized_graph(*args)),
               **{f"{k}_ms": v for k, v in times.items()}}
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: print the table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    rows = run(args.n, args.repeat)
    print(f"{'workload':<9}{'numpy ms':>10}{'eqsat ms':>10}{'jax ms':>10}"
          f"{'nodes naive->opt':>18}")
    for r in rows:
        jax_ms = f"{r['jax_ms']:10.2f}" if "jax_ms" in r else f"{'-':>10}"
        print(f"{r['workload']:<9}{r['numpy_ms']:10.2f}{r['eqsat_ms']:10.2f}{jax_ms}"
              f"{r['naive_nodes']:>10} -> {r['optimized_nodes']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)


if __name__ == "__main__":
    main()
