"""The benchmark workloads (issue #5 item 6), written once for every array namespace.

Each workload is a function ``fn(xp, *arrays)`` over a NumPy-like namespace ``xp``
(``numpy``, ``jax.numpy``, ``pytensor.tensor``), the input arrays for a size (``full`` or
``quick``), and a numexpr expression where numexpr can express it. ``bind(fn, xp)`` gives a
function of the arrays alone, with named parameters (what ``@et.jit`` needs).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Workload:
    """One benchmark: ``fn(xp, *inputs)``, its inputs by size, and peer formulations."""

    name: str
    category: str  # "memory", "transcendental", "stability", "row-wise", "reduction", "matmul"
    fn: Callable[..., Any]
    inputs: Callable[[bool], list[np.ndarray]]  # quick -> arrays
    numexpr: str | None = None  # numexpr expression over the parameter names
    tol: float = 1e-9  # relative tolerance of the equality check (stability cases differ)

    @property
    def names(self) -> list[str]:
        return list(inspect.signature(self.fn).parameters)[1:]


def bind(fn: Callable[..., Any], xp: Any) -> Callable[..., Any]:
    """``fn`` with ``xp`` bound; keeps the array parameters' names in its signature."""
    params = list(inspect.signature(fn).parameters)[1:]

    def bound(*args: Any) -> Any:
        return fn(xp, *args)

    bound.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in params])
    bound.__name__ = bound.__qualname__ = fn.__name__
    return bound


def _vec(n_full: int, n_quick: int, count: int, low: float = -3.0, high: float = 3.0,
         seed: int = 0) -> Callable[[bool], list[np.ndarray]]:
    def make(quick: bool) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        n = n_quick if quick else n_full
        return [rng.uniform(low, high, n) for _ in range(count)]

    return make


def _rows(count: int = 1, seed: int = 0) -> Callable[[bool], list[np.ndarray]]:
    def make(quick: bool) -> list[np.ndarray]:
        rng = np.random.default_rng(seed)
        shape = (40, 250) if quick else (2000, 5000)
        x = rng.standard_normal(shape) * 3
        extra = [rng.standard_normal(shape[1]) for _ in range(count - 1)]
        return [x] + extra

    return make


def _matmul_inputs(quick: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    n = 64 if quick else 1000
    return [rng.standard_normal((n, n)), rng.standard_normal((n, n)), rng.standard_normal(n)]


N, NQ = 10_000_000, 20_000

# -- the functions ------------------------------------------------------------------------


def arith_chain(xp, x, y):
    return x * y + x / (y + 4.0) - 2.0 * x + y * y


def arith_chain_long(xp, x, y, z):
    return (x + y) * (x - z) + (y * z - x) * 0.5 + (x * x - y) / (z * z + 1.0)


def transcendental(xp, x, y):
    return xp.log(1.0 + xp.exp(x)) * y + xp.exp(-x * x)


def tanh_sigmoid(xp, x, y):
    return xp.tanh(x) * (1.0 / (1.0 + xp.exp(-y)))


def log1p_small(xp, x):
    return xp.log(1.0 + x)


def softplus(xp, x):
    return xp.log(1.0 + xp.exp(x))


def bce_logits(xp, z, t):
    return xp.mean(xp.maximum(z, 0.0) - z * t + xp.log(1.0 + xp.exp(-xp.abs(z))))


def logsumexp_rows(xp, x):
    m = xp.max(x, axis=1, keepdims=True)
    return xp.log(xp.sum(xp.exp(x - m), axis=1, keepdims=True)) + m


def softmax_rows(xp, x):
    e = xp.exp(x - xp.max(x, axis=1, keepdims=True))
    return e / xp.sum(e, axis=1, keepdims=True)


def layer_norm(xp, x, gamma, beta):
    mu = xp.mean(x, axis=1, keepdims=True)
    d = x - mu
    var = xp.mean(d * d, axis=1, keepdims=True)
    return d / xp.sqrt(var + 1e-5) * gamma + beta


def sum_of_squares(xp, x):
    return xp.sum(x * x)


def redundant(xp, x, y):
    return (x * y + 1.0) * (x * y + 1.0) + xp.sqrt(xp.abs(x * y + 1.0))


def identities(xp, x, y):
    return x * 2.0 / 2.0 + 0.0 * y + (x - x)


def polynomial(xp, x):
    return 3.0 * x ** 3 + 2.0 * x ** 2 - 5.0 * x + 1.0


def matmul_chain(xp, a, b, v):
    return (a @ b) @ v


# -- indexing and joins (index): an attention-like fused loss --------------------------------


def _attention_inputs(quick: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    n, d = (64, 16) if quick else (2000, 64)
    q, k, v = (rng.standard_normal((n, d)) for _ in range(3))
    return [q, k, v, rng.standard_normal((n // 2, d - 1))]


def _targets(n: int) -> np.ndarray:
    """The gathered rows: every other row, in a scrambled order (a constant index)."""
    return (np.arange(n // 2) * 7) % n


def attention_loss(xp, q, k, v, w):
    n, d = q.shape
    s = xp.einsum("id,jd->ij", q, k) / float(np.sqrt(d))
    p = xp.exp(s - xp.max(s, axis=1, keepdims=True))
    o = (p / xp.sum(p, axis=1, keepdims=True)) @ v
    rows = xp.take(o, _targets(int(n)), axis=0)  # a gather of the target rows
    return xp.sum((rows[:, 1:] - w) ** 2) + xp.sum(xp.abs(o[:, :1]))  # slices


WORKLOADS: list[Workload] = [
    Workload("arith_chain", "memory", arith_chain, _vec(N, NQ, 2),
             "x * y + x / (y + 4.0) - 2.0 * x + y * y"),
    Workload("arith_chain_long", "memory", arith_chain_long, _vec(N, NQ, 3),
             "(x + y) * (x - z) + (y * z - x) * 0.5 + (x * x - y) / (z * z + 1.0)"),
    Workload("transcendental", "transcendental", transcendental, _vec(N, NQ, 2),
             "log(1.0 + exp(x)) * y + exp(-x * x)"),
    Workload("tanh_sigmoid", "transcendental", tanh_sigmoid, _vec(N, NQ, 2),
             "tanh(x) * (1.0 / (1.0 + exp(-y)))"),
    Workload("log1p_small", "stability", log1p_small, _vec(N, NQ, 1, -1e-9, 1e-9),
             "log(1.0 + x)", tol=1e-6),
    Workload("softplus", "stability", softplus, _vec(N, NQ, 1, -30.0, 30.0),
             "log(1.0 + exp(x))", tol=1e-6),
    Workload("bce_logits", "stability", bce_logits, _vec(N, NQ, 2, -8.0, 8.0),
             None, tol=1e-6),
    Workload("logsumexp_rows", "row-wise", logsumexp_rows, _rows(1)),
    Workload("softmax_rows", "row-wise", softmax_rows, _rows(1)),
    Workload("layer_norm", "row-wise", layer_norm, _rows(3), tol=1e-8),
    Workload("sum_of_squares", "reduction", sum_of_squares, _vec(N, NQ, 1), "sum(x * x)",
             tol=1e-8),
    Workload("redundant", "memory", redundant, _vec(N, NQ, 2),
             "(x * y + 1.0) * (x * y + 1.0) + sqrt(abs(x * y + 1.0))"),
    Workload("identities", "memory", identities, _vec(N, NQ, 2),
             "x * 2.0 / 2.0 + 0.0 * y + (x - x)"),
    Workload("polynomial", "memory", polynomial, _vec(N, NQ, 1),
             "3.0 * x ** 3 + 2.0 * x ** 2 - 5.0 * x + 1.0", tol=1e-8),
    Workload("matmul_chain", "matmul", matmul_chain, _matmul_inputs, tol=1e-8),
    Workload("attention_loss", "matmul", attention_loss, _attention_inputs, tol=1e-8),
]

BY_NAME = {w.name: w for w in WORKLOADS}


def min_bytes(arrays: list[np.ndarray], result: Any) -> int:
    """Bytes a perfect implementation must move: read every input once, write the result."""
    out = sum(np.asarray(r).nbytes for r in (result if isinstance(result, tuple) else (result,)))
    return sum(a.nbytes for a in arrays) + out


__all__ = ["BY_NAME", "WORKLOADS", "Workload", "bind", "min_bytes"]
