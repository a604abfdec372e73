"""Random inputs for accuracy measurement, inside a precondition's box.

``sample_inputs(graph, precondition, n, seed)``: half of each input uniform, half
log-uniform in magnitude where the range spans three or more orders of magnitude (the
FPBench / Herbie convention), optionally filtered by a condition on the samples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from .ir import Graph

# Default sampling range of an input the precondition does not bound (FPBench convention
# used by ``shared/data/fpbench-dev.json``).
DEFAULT_RANGE = (-1e3, 1e3)

# Smallest magnitude sampled log-uniformly in a range that contains 0. 1e-20 makes the
# mean naive bits of error of the FPBench dev set closest to the recorded ones.
TINY = 1e-20


def _orders_of_magnitude(lo: float, hi: float) -> float:
    if lo > 0:
        return math.log10(hi / lo)
    if hi < 0:
        return math.log10(lo / hi)
    return math.inf if max(abs(lo), abs(hi)) > 0 else 0.0


def _sample_range(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"sample range ({lo}, {hi}) must be finite with lo <= hi")
    if lo == hi:
        return np.full(n, lo)
    u = rng.uniform(0.0, 1.0, n)
    uniform = np.clip(lo * (1.0 - u) + hi * u, lo, hi)  # no overflow of hi - lo
    if _orders_of_magnitude(lo, hi) < 3:
        return uniform
    m = n // 2
    if lo > 0 or hi < 0:
        a, b = sorted((abs(lo), abs(hi)))
        mags = np.exp(rng.uniform(math.log(a), math.log(b), m))
        logs = mags if lo > 0 else -mags
    else:
        # contains 0: pick a side with probability proportional to its log-span
        log_tiny = math.log(TINY)
        spans = [math.log(max(hi, TINY)) - log_tiny if hi > 0 else 0.0,
                 math.log(max(-lo, TINY)) - log_tiny if lo < 0 else 0.0]
        neg = rng.uniform(0, sum(spans), m) < spans[1]
        log_top = np.where(neg, math.log(max(-lo, TINY)), math.log(max(hi, TINY)))
        mags = np.exp(log_tiny + rng.uniform(0, 1, m) * (log_top - log_tiny))
        logs = np.where(neg, -mags, mags)
    out = uniform.copy()
    out[rng.permutation(n)[:m]] = np.clip(logs, lo, hi)
    return out


def sample_inputs(graph: Graph, precondition: Mapping[str, tuple[float, float]] | None = None,
                  n: int = 2000, seed: int = 0, *,
                  condition: Callable[[dict[str, np.ndarray]], np.ndarray] | None = None,
                  max_tries: int = 50) -> dict[str, np.ndarray]:
    """``n`` random samples of each input of ``graph``, as a dict name -> 1-D array.

    ``precondition`` maps input names to ``(lo, hi)`` (inclusive); unlisted inputs use
    ``DEFAULT_RANGE``. A range spanning three or more orders of magnitude (or containing
    0) gets half of its samples log-uniform in magnitude (down to ``TINY``), the rest
    uniform. ``condition(samples) -> bool mask`` rejects samples (for preconditions that
    are not boxes, e.g. FPCore's ``(<= (+ x y) 2)``); rejection retries up to
    ``max_tries`` rounds and raises ``ValueError`` if it cannot find ``n`` samples.
    Arrays have the input's dtype; inputs must be scalar-shaped or the graph elementwise.
    """
    precondition = dict(precondition or {})
    unknown = set(precondition) - set(graph.input_names)
    if unknown:
        raise KeyError(f"precondition names {sorted(unknown)} are not inputs of the graph "
                       f"({list(graph.input_names)})")
    rng = np.random.default_rng(seed)
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in graph.input_names}
    have = 0
    for _ in range(max_tries):
        batch = {node.name: _sample_range(rng, *precondition.get(node.name, DEFAULT_RANGE),
                                          n).astype(node.dtype)
                 for node in graph.inputs}
        if condition is not None:
            with np.errstate(all="ignore"):
                keep = np.broadcast_to(np.asarray(condition(batch), dtype=bool), (n,))
            batch = {k: v[keep] for k, v in batch.items()}
        for k, v in batch.items():
            chunks[k].append(v)
        have += len(next(iter(batch.values()))) if batch else n
        if have >= n:
            break
    if have < n:
        raise ValueError(f"could only find {have} of {n} samples satisfying the condition")
    return {k: np.concatenate(v)[:n] if v else np.zeros(0) for k, v in chunks.items()}
