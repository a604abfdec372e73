"""Regimes: where no single candidate is accurate over the whole input range, split the
range of one input and use a different candidate on each piece, as
``where(x < t1, a, where(x < t2, b, c))`` (vectorizable: both sides are computed and one
is selected per element).

``infer_regimes`` sorts the samples by each input in turn, groups them into at most
``BINS`` runs of equal size (boundaries only where the input's value changes), and finds by
dynamic programming the split into at most ``MAX_REGIMES`` pieces, each with its own
candidate, that minimizes the summed bits of error. Each extra piece must lower the mean
error by ``SPLIT_PENALTY`` bits, and a piece holds at least ``MIN_FRACTION`` of the
samples, so splits are not fitted to noise. For one-input graphs each threshold is then
refined by bisection between the two samples around it (``refine``, Herbie's
binary search on branch points). A threshold is the first sampled value of
the piece on its right: at ``x == t`` the right piece's candidate runs, and that point
was measured with it (so the split point itself is computed by the candidate that was
accurate there).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..ir import Graph, Node, apply, constant_node
from .measure import Candidate, Samples, measure_accuracy

BINS = 64
MAX_REGIMES = 4
SPLIT_PENALTY = 0.25  # bits of mean error each extra regime must save
MIN_FRACTION = 0.03
POOL = 10  # candidates considered (the most accurate ones)
REFINE_STEPS = 8  # bisection steps per branch point (one-input graphs)


@dataclass
class Regimes:
    """The combined ``graph``, the ``variable`` split on, the ``thresholds`` (ascending)
    and the candidate used on each of the ``len(thresholds) + 1`` pieces."""

    graph: Graph
    variable: str
    thresholds: list[float]
    pieces: list[Candidate]
    bits: float  # mean bits of error of the combination on the samples

    def describe(self) -> list[str]:
        """One line per piece: its range of the variable and its candidate."""
        edges = [-np.inf] + list(self.thresholds) + [np.inf]
        out = []
        for lo, hi, c in zip(edges, edges[1:], self.pieces):
            rng = (f"{self.variable} < {hi:.6g}" if lo == -np.inf else
                   f"{self.variable} >= {lo:.6g}" if hi == np.inf else
                   f"{lo:.6g} <= {self.variable} < {hi:.6g}")
            out.append(f"{rng}: {c.origin} ({c.bits:.2f} bits alone)")
        return out


def _segments(x: np.ndarray, bins: int) -> np.ndarray:
    """Boundary positions (into the sorted samples) of about ``bins`` equal runs, only where
    the value changes; includes 0 and ``len(x)``."""
    n = len(x)
    cuts = {0, n}
    for p in np.linspace(0, n, bins + 1)[1:-1].astype(int):
        while 0 < p < n and x[p] == x[p - 1]:
            p += 1
        if 0 < p < n:
            cuts.add(int(p))
    return np.array(sorted(cuts))


def _best_split(err: np.ndarray, x: np.ndarray, max_regimes: int, min_count: int
                ) -> tuple[float, list[int], list[int]]:
    """DP over runs: (total bits, boundary positions, candidate per piece)."""
    order = np.argsort(x, kind="stable")
    xs, es = x[order], err[:, order]
    cuts = _segments(xs, BINS)
    m = len(cuts)
    cum = np.concatenate([np.zeros((es.shape[0], 1)), np.cumsum(es, axis=1)], axis=1)[:, cuts]
    # piece[a, b] = min over candidates of the error of samples cuts[a]:cuts[b]
    diff = cum[:, None, :] - cum[:, :, None]  # k x a x b
    piece = diff.min(axis=0)
    arg = diff.argmin(axis=0)
    count = cuts[None, :] - cuts[:, None]
    piece = np.where((count >= min_count) & (count > 0), piece, np.inf)
    piece[np.tril_indices(m)] = np.inf
    best = [(np.inf, [], [])]
    cost = piece[0].copy()  # one regime ending at b
    back: list[np.ndarray] = []
    results = [(cost[m - 1], 1)]
    for r in range(2, max_regimes + 1):
        tot = cost[:, None] + piece  # prev end a, new end b
        back.append(tot.argmin(axis=0))
        cost = tot.min(axis=0)
        results.append((cost[m - 1], r))
    best_total, best_r = min(results, key=lambda t: t[0] + SPLIT_PENALTY * err.shape[1]
                             * (t[1] - 1))
    if not np.isfinite(best_total):
        return np.inf, [], []
    ends = [m - 1]
    for r in range(best_r, 1, -1):
        ends.append(int(back[r - 2][ends[-1]]))
    ends = ends[::-1]
    starts = [0] + ends[:-1]
    picks = [int(arg[a, b]) for a, b in zip(starts, ends)]
    del best
    return float(best_total), [int(cuts[e]) for e in ends[:-1]], picks


def _local_winners(cands: list[Candidate], pool: list[Candidate], n: int) -> list[Candidate]:
    """Candidates outside ``pool`` that are the most accurate on at least ``MIN_FRACTION``
    of the samples (a series is accurate near its point only, so its mean is poor)."""
    if len(cands) < 2:
        return []
    err = np.stack([np.asarray(c.error.bits[0], dtype=float) for c in cands])
    best = err.min(axis=0)
    out = []
    for c, e in zip(cands, err):
        if any(c is p for p in pool):
            continue
        if np.count_nonzero(e <= best + 0.5) >= max(5, MIN_FRACTION * n) and np.any(
                e < np.min([np.asarray(p.error.bits[0]) for p in pool], axis=0) - 1):
            out.append(c)
    return sorted(out, key=lambda c: c.bits)[:POOL]


def infer_regimes(cands: list[Candidate], samples: Samples, chosen: Candidate,
                  objective: str = "accuracy", max_regimes: int = MAX_REGIMES
                  ) -> Regimes | None:
    """The best regime split of the candidates' first output over one input, or None when
    no split beats ``chosen`` by more than the penalty (see the module docstring)."""
    pool = sorted(cands, key=lambda c: (c.bits, c.cost))[:POOL]
    if chosen not in pool:
        pool.append(chosen)
    pool += _local_winners(cands, pool, samples.n)
    if len(pool) < 2 or samples.n < 20:
        return None
    err = np.stack([np.asarray(c.error.bits[0], dtype=float) for c in pool])
    n = err.shape[1]
    base = float(chosen.error.bits[0].sum())
    best: tuple[float, str, list[int], list[int], np.ndarray] | None = None
    min_count = max(5, int(MIN_FRACTION * n))
    for name, x in samples.inputs.items():
        x = np.asarray(x, dtype=float)
        if np.all(x == x[0]):
            continue
        total, bounds, picks = _best_split(err, x, max_regimes, min_count)
        if len(picks) < 2:
            continue
        if best is None or total < best[0]:
            best = (total, name, bounds, picks, x)
    if best is None:
        return None
    total, name, bounds, picks, x = best
    if total + SPLIT_PENALTY * n * (len(picks) - 1) >= base:
        return None
    xs = np.sort(x, kind="stable")
    thresholds = [float(xs[p]) for p in bounds]
    pieces = [pool[i] for i in picks]
    # merge neighbours that use the same candidate
    t2, p2 = [], [pieces[0]]
    for t, c in zip(thresholds, pieces[1:]):
        if c is p2[-1]:
            continue
        t2.append(t)
        p2.append(c)
    if len(p2) < 2:
        return None
    if len(chosen.graph.inputs) == 1:
        t2 = [refine(chosen.graph, name, xs, t, a.graph, b.graph)
              for t, a, b in zip(t2, p2, p2[1:])]
    graph = combine(chosen.graph, name, t2, [c.graph for c in p2])
    bits = measure_accuracy(graph, samples).total
    if bits >= chosen.bits:
        return None
    return Regimes(graph, name, t2, p2, bits)


def refine(exact_of: Graph, variable: str, xs: np.ndarray, t: float, left: Graph,
           right: Graph, steps: int = REFINE_STEPS) -> float:
    """Herbie's branch-point search: the threshold ``t`` (a sample) lies somewhere between
    the sample before it and itself; bisect that interval, at each midpoint evaluating
    both neighbouring candidates against the oracle (``exact_of`` is any graph of the
    function, of the one input ``variable``), and move toward the point where ``right``
    becomes at least as accurate as ``left``. Returns the refined threshold."""
    from .. import mpeval
    from .measure import Samples, evaluate

    i = int(np.searchsorted(xs, t, side="left"))
    if i == 0:
        return t
    lo, hi = float(xs[i - 1]), float(t)
    for _ in range(steps):
        mid = lo + (hi - lo) / 2 if np.sign(lo) != np.sign(hi) or lo == 0 or hi == 0 \
            or abs(hi / lo) < 4 else float(np.sign(hi) * np.sqrt(abs(lo) * abs(hi)))
        if not lo < mid < hi:
            break
        pt = {variable: np.array([mid])}
        try:
            ex = mpeval.exact(exact_of, pt)
        except Exception:  # noqa: BLE001 - keep the sampled threshold
            break
        s = Samples(pt, [np.asarray(e) for e in ex])
        el = mpeval.bits_of_error(evaluate(left, s)[0], s.exact[0])[0]
        er = mpeval.bits_of_error(evaluate(right, s)[0], s.exact[0])[0]
        if er <= el:
            hi = mid
        else:
            lo = mid
    return hi


def combine(like: Graph, variable: str, thresholds: list[float], graphs: list[Graph]) -> Graph:
    """``where(x < t1, g1, where(x < t2, g2, ... gn))`` on the first output of each graph,
    with ``like.inputs`` as inputs."""
    x: Node = next(n for n in like.inputs if n.name == variable)
    out = graphs[-1].outputs[0]
    for t, g in zip(reversed(thresholds), reversed(graphs[:-1])):
        cond = apply("less", x, constant_node(float(t), x.dtype))
        out = apply("where", cond, g.outputs[0], out)
    return Graph(out, like.inputs)
