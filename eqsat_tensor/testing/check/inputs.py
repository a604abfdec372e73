"""Deterministic inputs for ``check_rules``: edge values, random values over the whole
exponent range, values related to each other (to hit cancellation), shapes and
attribute values, all drawn from a ``numpy.random.Generator`` seeded from the rule text.

Every batch starts with the edge values of the dtype: +-0, +-inf and NaN (when the mode
allows them), subnormals, the smallest and largest normal numbers, the overflow
thresholds of exp, and the guards' boundaries (values next to 0, powers of two next to
the ``exact_recip`` range); the random part follows.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import numpy as np

from ...ir import normalize_slice
from .plan import Plan

BATCH_RANDOM = 3000  # random samples per dtype in the vectorized (elementwise) mode
GRID_LIMIT = 4096  # largest full grid of edge values (more variables: random edge tuples)


def seed_for(text: str, user_seed: int | None = None) -> int:
    """The RNG seed of a check: derived from the rule text (so every run gives the same
    verdict), mixed with ``user_seed`` when one is given (``--seed`` explores)."""
    h = hashlib.sha256(f"{text}|{user_seed}".encode()).digest()
    return int.from_bytes(h[:8], "little")


def edge_values(dtype: str, special: bool) -> np.ndarray:
    """Edge values of ``dtype`` (deduplicated, in a fixed order)."""
    f = np.finfo(dtype)
    tiny, sub, big = float(f.tiny), float(f.smallest_subnormal), float(f.max)
    raw = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, -3.0, 0.1, -0.1, math.pi, 10.0,
           tiny, -tiny, sub, -sub, tiny / 8, -tiny / 8, tiny - sub, float(f.eps),
           1 + float(f.eps), 1 - float(f.eps) / 2, -1 - float(f.eps), 1e-8, -1e-8, 1e8, -1e8,
           20.0, -20.0, 37.0, 88.7, -103.9, 709.78, 710.0, -745.1, -746.0, 1e-300, -1e-300,
           1e-154, 1e154, -1e154, 1e300, -1e300, math.sqrt(big), -math.sqrt(big),
           1 / math.sqrt(big), big, -big, big / 2, 2.0 ** 126, 2.0 ** -126, 2.0 ** 127,
           2.0 ** -127, 1e-310, -5e-324]
    if special:
        raw += [math.inf, -math.inf, math.nan]
    out, seen = [], set()
    with np.errstate(over="ignore", under="ignore"):
        for v in raw:
            c = np.asarray(v, dtype=dtype)
            key = c.tobytes()
            if key in seen or (not np.isfinite(c) and math.isfinite(v)) or (c == 0 and v != 0):
                continue
            seen.add(key)
            out.append(c)
    return np.array(out, dtype=dtype)


def pow2_values(dtype: str) -> np.ndarray:
    """Powers of two on both sides of the ``exact_recip`` range (|k| <= 126), and others."""
    ks = np.arange(-130, 131, 1, dtype=float)
    vals = np.concatenate([np.exp2(ks), -np.exp2(ks), [3.0, 0.1, 1e-310, 10.0, 1.5]])
    with np.errstate(over="ignore", under="ignore"):
        out = vals.astype(dtype)
    return out[np.isfinite(out) & (out != 0)]


def random_values(rng: np.random.Generator, dtype: str, n: int) -> np.ndarray:
    """``n`` finite values of ``dtype``: log-uniform over the whole exponent range
    (subnormals included), moderate values, and values near 1."""
    f = np.finfo(dtype)
    lo = math.log2(float(f.smallest_subnormal))
    hi = math.log2(float(f.max)) - 1e-9
    kind = rng.integers(0, 4, n)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    wide = sign * np.exp2(rng.uniform(lo, hi, n))
    moderate = rng.uniform(-10.0, 10.0, n)
    logmod = sign * 10.0 ** rng.uniform(-5.0, 5.0, n)
    near1 = 1.0 + sign * 10.0 ** rng.uniform(-16.0, -1.0, n)
    out = np.select([kind == 0, kind == 1, kind == 2], [wide, moderate, logmod], near1)
    with np.errstate(over="ignore", under="ignore"):
        arr = out.astype(dtype)
    return np.where(np.isfinite(arr), arr, np.asarray(f.max, dtype=dtype)).astype(dtype)


def apply_signs(values: np.ndarray, kinds: set[str]) -> np.ndarray:
    """Map values into the sign guards' half-line (the guard mask removes the rest)."""
    if kinds & {"positive", "nonnegative"}:
        return np.abs(values)
    if kinds & {"negative", "nonpositive"}:
        return -np.abs(values)
    return values


def _pool(plan: Plan, var: str, dtype: str) -> np.ndarray:
    special = plan.strict_inputs and var not in plan.finite
    if var in plan.exact_recip:
        pool = pow2_values(dtype)
    else:
        pool = edge_values(dtype, special)
    pool = apply_signs(pool, plan.signs.get(var, set()))
    _, first = np.unique(pool.view(f"u{pool.itemsize}"), return_index=True)
    return pool[np.sort(first)]


def batch(plan: Plan, dtype: str, rng: np.random.Generator, n_random: int = BATCH_RANDOM
          ) -> dict[str, np.ndarray]:
    """One long vector per tensor variable: a grid of edge values, random values, and
    values related to the other variables' (equal, opposite, a few ulps apart)."""
    names = plan.tensor_vars
    pools = [_pool(plan, v, dtype) for v in names]
    total = math.prod(len(p) for p in pools)
    if total <= GRID_LIMIT:
        grid = np.meshgrid(*pools, indexing="ij") if names else []
        edge_part = [g.ravel() for g in grid]
    else:
        edge_part = [p[rng.integers(0, len(p), GRID_LIMIT)] for p in pools]
    rand_part, rel_part = [], []
    for i, v in enumerate(names):
        if v in plan.exact_recip:
            rand_part.append(pools[i][rng.integers(0, len(pools[i]), n_random)])
            rel_part.append(pools[i][rng.integers(0, len(pools[i]), n_random)])
            continue
        r = random_values(rng, dtype, n_random)
        mix = rng.random(n_random) < 0.2
        r = np.where(mix, pools[i][rng.integers(0, len(pools[i]), n_random)], r)
        rand_part.append(apply_signs(r, plan.signs.get(v, set())))
        rel = random_values(rng, dtype, n_random)
        if i:
            base = rel_part[int(rng.integers(0, i))]
            k = rng.integers(-4, 5, n_random).astype(dtype)
            eps = np.asarray(np.finfo(dtype).eps, dtype=dtype)
            how = rng.integers(0, 6, n_random)
            with np.errstate(all="ignore"):
                related = np.select([how == 0, how == 1, how == 2, how == 3, how == 4],
                                    [base, -base, base * (1 + k * eps), base * 2, base / 2],
                                    base + k)
            rel = np.where(rng.random(n_random) < 0.6, related.astype(dtype), rel)
        rel_part.append(apply_signs(rel.astype(dtype), plan.signs.get(v, set())))
    out = {}
    for i, v in enumerate(names):
        arr = np.concatenate([edge_part[i], rand_part[i], rel_part[i]]).astype(dtype)
        if not (plan.strict_inputs and v not in plan.finite):  # finite inputs only
            n = len(edge_part[i])
            tail = arr[n:]
            arr[n:] = np.where(np.isfinite(tail), tail, np.finfo(dtype).max * np.sign(tail))
            arr = np.where(np.isnan(arr), np.asarray(0, dtype=dtype), arr).astype(dtype)
        out[v] = arr
    return out


SCALES = (1.0, 1e300, 0.5, 0.5, 1e-300, 1e-300, 1e-310, 1e154, 1e-154, 1e30, 1e-30)


def small_values(plan: Plan, var: str, dtype: str, rng: np.random.Generator,
                 shape: tuple[int, ...], style: int) -> np.ndarray:
    """Values for one array of a shaped instance. ``style`` 0: simple ones (0, -0, +-1,
    +-2: where a sum is an exact zero and the sign of that zero shows); 1: edge and random
    values; 2: one magnitude per array (1e300, the largest finite / 2, 1e-300, ...), so a
    sum or a product of several of them over- or underflows where a scaled one does not."""
    n = math.prod(shape)
    pool = _pool(plan, var, dtype)
    if style == 2 and var not in plan.exact_recip:
        f = np.finfo(dtype)
        scale = SCALES[int(rng.integers(0, len(SCALES)))]
        scale = float(f.max) * scale if scale == 0.5 else scale
        sign = np.where(rng.random(n) < 0.5, 1.0, -1.0) if rng.random() < 0.5 else 1.0
        with np.errstate(all="ignore"):
            vals = (sign * scale * rng.uniform(0.5, 1.0, n)).astype(dtype)
        vals = np.where(np.isfinite(vals), vals, np.asarray(f.max, dtype=dtype))
        return apply_signs(vals, plan.signs.get(var, set())).astype(dtype).reshape(shape)
    if style == 0:
        base = np.array([0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5], dtype=dtype)
        if plan.strict_inputs and var not in plan.finite:
            base = np.concatenate([base, np.array([np.inf, -np.inf, np.nan], dtype=dtype)])
        if var in plan.exact_recip:
            base = np.array([1.0, 2.0, 0.5, -4.0], dtype=dtype)
        base = apply_signs(base, plan.signs.get(var, set()))
        vals = base[rng.integers(0, len(base), n)]
    else:
        vals = np.where(rng.random(n) < 0.5, pool[rng.integers(0, len(pool), n)],
                        apply_signs(random_values(rng, dtype, n), plan.signs.get(var, set())))
        if var in plan.exact_recip:
            vals = pool[rng.integers(0, len(pool), n)]
    return vals.astype(dtype).reshape(shape)


def shapes(plan: Plan, rng: np.random.Generator) -> dict[str, tuple[int, ...]]:
    """Shapes of the tensor variables for one instance: scalars, broadcasting size-1 axes,
    square matrices, the guards' ranks."""
    square = bool(rng.random() < 0.5)
    if square:
        n = int(rng.integers(1, 4))
        base: tuple[int, ...] = (n, n, n)
    else:
        base = tuple(int(d) for d in rng.integers(1, 4, int(rng.integers(0, 4))))
    out: dict[str, tuple[int, ...]] = {}
    for var in plan.tensor_vars:
        if var in out:
            continue
        if var in plan.scalar:
            shape: tuple[int, ...] = ()
        else:
            if var in plan.matrix:
                rank = 2
            else:
                top = min(len(base), 2) if var in plan.unbatched else len(base)
                rank = int(rng.integers(0, top + 1))
            dims = base[len(base) - rank:] if rank else ()
            shape = tuple(1 if (not square and rng.random() < 0.5) else d for d in dims)
        group = next((g for g in plan.same_shape if var in g), {var})
        for v in group:
            out[v] = () if v in plan.scalar else shape
    return out


def attr_value(rng: np.random.Generator, op: str, attr: str, shape: tuple[int, ...]) -> Any:
    """A value for attribute ``attr`` of ``op`` applied to an operand of ``shape``."""
    ndim = len(shape)
    if attr == "keepdims":
        return bool(rng.random() < 0.5)
    if attr == "axis" and op in ("concatenate", "take", "take_along_axis"):  # one axis
        return (int(rng.integers(0, ndim)),) if ndim else (0,)
    if attr == "slices":  # basic indexing: a slice per axis, steps and reversals included
        return tuple(normalize_slice(slice(*[None if rng.random() < 0.3 else int(v) for v in (
            rng.integers(-n - 1, n + 2), rng.integers(-n - 1, n + 2))],
            [None, 1, 2, -1, -2][int(rng.integers(0, 5))]), n) for n in shape)
    if attr == "axis" and op == "expand_dims":
        return int(rng.integers(-(ndim + 1), ndim + 1))
    if attr == "axis":
        if ndim == 0:
            return None
        k = int(rng.integers(0, 3))
        if k == 0:
            return None
        if k == 1:
            return int(rng.integers(-ndim, ndim))
        size = int(rng.integers(1, ndim + 1))
        return tuple(sorted(int(a) for a in rng.permutation(ndim)[:size]))
    if attr == "axes":
        return tuple(int(a) for a in rng.permutation(ndim))
    if attr == "dtype":
        return ["float64", "float32"][int(rng.integers(0, 2))]
    if attr == "shape":
        size = math.prod(shape)
        options = [shape, (size,), (1,) + shape, tuple(reversed(shape))]
        if op == "broadcast_to":
            options = [shape, (2,) + shape, tuple(3 if d == 1 else d for d in shape)]
        return options[int(rng.integers(0, len(options)))]
    raise KeyError(attr)



