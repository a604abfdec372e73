"""The floating-point contract, vectorized: is a right side's value acceptable where the
left side's is the reference? (docs/soundness.md; shared by ``check_rules``,
``compare_graphs`` and the differential fuzzer.)

Per element, with ``l`` the left (original) value and ``r`` the right (rewritten) one:

* ``strict``: ``r`` has the same bits as ``l`` (NaN payloads aside; the sign of a zero and
  of an infinity counts). No oracle.
* otherwise elements equal to ``l`` or within ``tol`` ulps of it (finite both) pass; the
  oracle (``mpeval.exact``, correctly rounded) judges the rest, at most ``cap`` of them,
  the worst first:

  - where the exact value is undefined (NaN), ``r`` must be NaN;
  - ``finite`` and ``stability``: ``r`` passes when it is no further from the exact value
    than ``l`` plus ``tol`` ulps (a stability rule also its rounding ops). It is
    **unsound** when it is wrong where ``l`` is right: non-finite where the exact value is
    finite, zero where it is not (or the reverse), of the other sign (these even where
    ``l`` is inaccurate but of the right class), or more than 2^(p/2) ulps off;
    **accuracy-losing** when its error exceeds ``accuracy_ulps`` ulps
    and ``accuracy_ulps`` times the left side's error (bits of error: more than
    log2(accuracy_ulps) bits worse; any excess, for a stability rule). Nothing is
    excused as an "intermediate" over/underflow;
  - ``fast``: the two sides must be the same real function: equal exact values.

  Under strict inputs (``ieee="strict"``) the class (NaN, +-inf, +-0) must also match
  unless ``r`` is closer to a finite nonzero exact value (an overflow removed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

TOL_ULPS = 4.0  # agreement without the oracle
ACCURACY_ULPS = 16.0  # accuracy-losing beyond this many ulps worse than the left side
CAP = 64  # elements judged by the oracle per instance

ExactFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


@dataclass
class Finding:
    """One bad element: its flat index in the left side's shape, why, the exact value."""

    kind: str  # "unsound" | "accuracy-losing"
    flat: int
    reason: str
    exact: float | None = None


@dataclass
class Judgement:
    """The verdict on one instance."""

    max_ulps: float = 0.0
    checked_exact: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def kind(self) -> str | None:
        """``unsound``, ``accuracy-losing`` or None."""
        kinds = {f.kind for f in self.findings}
        return "unsound" if "unsound" in kinds else ("accuracy-losing" if kinds else None)

    def first(self) -> Finding | None:
        """The first finding of the worst kind."""
        kind = self.kind
        return next((f for f in self.findings if f.kind == kind), None)


def bit_same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Same value and sign bit, or NaN both."""
    with np.errstate(invalid="ignore"):
        return ((a == b) & (np.signbit(a) == np.signbit(b))) | (np.isnan(a) & np.isnan(b))


def classes(x: np.ndarray) -> np.ndarray:
    """0 finite nonzero, 1 NaN, 2 +inf, 3 -inf, 4 +0, 5 -0."""
    with np.errstate(invalid="ignore"):
        c = np.zeros(x.shape, dtype=np.int8)
        c[np.isnan(x)] = 1
        c[x == np.inf] = 2
        c[x == -np.inf] = 3
        c[(x == 0) & ~np.signbit(x)] = 4
        c[(x == 0) & np.signbit(x)] = 5
    return c


def ulps(value: float, exact: float, dtype: str) -> float:
    """How many ulps (of ``dtype``, at ``exact``) ``value`` is from the correctly rounded
    exact value: 0 for matching NaNs or infinities, inf for a wrong class."""
    if math.isnan(exact) or math.isnan(value):
        return 0.0 if math.isnan(exact) and math.isnan(value) else math.inf
    if math.isinf(exact) or math.isinf(value):
        return 0.0 if value == exact else math.inf
    spacing = float(np.spacing(np.abs(np.asarray(exact, dtype=dtype))))
    return abs(value - exact) / spacing


def wrong_class(value: float, exact: float) -> bool:
    """``value`` is NaN, infinite, zero or of a sign where ``exact`` is not."""
    if math.isnan(exact):
        return not math.isnan(value)
    if math.isnan(value) or (math.isinf(value) and not math.isinf(exact)):
        return True
    return (value == 0) != (exact == 0) or (value != 0 and (value < 0) != (exact < 0))


def gross(value: float, exact: float, u: float, dtype: str) -> bool:
    """``value`` has no correct digits: wrong class, wrong sign, or > 2^(p/2) ulps off."""
    return wrong_class(value, exact) or u > 2.0 ** (np.finfo(dtype).nmant // 2)


def _describe(lval: float, r: float, e: float, ul: float, ur: float) -> str:
    if math.isnan(r) or math.isinf(r):
        return f"the right side gives {r!r} where the left side is {lval!r}"
    if r == 0 and e != 0:
        return f"the right side underflows to {r!r} where the left side is {lval!r}"
    return (f"the right side {r!r} is {ur:.3g} ulps from the exact value, the left side "
            f"{lval!r} {ul:.3g}")


def _select(bad: np.ndarray, score: np.ndarray, cap: int) -> np.ndarray:
    """Up to ``cap`` bad flat indices: the worst half by score, the rest spread evenly."""
    if len(bad) <= cap:
        return bad
    order = bad[np.argsort(-score[bad], kind="stable")]
    worst = order[: cap // 2]
    rest = np.setdiff1d(bad, worst)
    spread = rest[np.linspace(0, len(rest) - 1, cap - len(worst)).astype(int)]
    return np.sort(np.concatenate([worst, spread]))


def judge(tier: str, strict_inputs: bool, lv: np.ndarray, rv: np.ndarray,
          exact_fn: ExactFn, *, tol: float = TOL_ULPS, accuracy_ulps: float = ACCURACY_ULPS,
          rhs_ops: int = 0, cap: int = CAP) -> Judgement:
    """Judge the right side ``rv`` against the left side ``lv`` (broadcast to its shape).

    ``exact_fn(flat)`` gives the correctly rounded exact values of the left side (and,
    for the ``fast`` tier, of the right side) at the flat indices ``flat``."""
    out = Judgement()
    rv = np.broadcast_to(rv, lv.shape)
    lf, r = np.ravel(lv), np.ravel(rv)
    if lf.dtype == np.bool_ or r.dtype == np.bool_:
        bad = np.flatnonzero(lf != r)
        if len(bad) and tier != "strict":
            # outside the strict tier values may change by rounding, so a comparison of
            # nearly equal values may flip; the right side must then give the exact answer
            # (log(exp(x)) >= 2 log(exp(x)) is False for tiny x > 0; NumPy's rounding says
            # True)
            picked = _select(bad, np.zeros(len(lf)), cap)
            exact = np.asarray(exact_fn(picked)[0]).astype(bool)
            bad = picked[r[picked] != exact]
        out.findings += [Finding("unsound", int(i), f"boolean results differ: left {lf[i]!r}, "
                                 f"right {r[i]!r}") for i in bad[:1]]
        return out
    dtype = lf.dtype.name
    same = bit_same(lf, r)
    if tier == "strict":
        bad = np.flatnonzero(~same)
        out.findings += [Finding("unsound", int(i), f"not bit-exact: left {float(lf[i])!r}, "
                                 f"right {float(r[i])!r}") for i in bad[:1]]
        return out
    with np.errstate(all="ignore"):
        l64, r64 = lf.astype(np.float64), r.astype(np.float64)
        ulp = np.spacing(np.abs(lf)).astype(np.float64)
        dist = np.abs(l64 - r64) / ulp
        close = np.isfinite(l64) & np.isfinite(r64) & (dist <= tol)
        if strict_inputs:
            close &= classes(lf) == classes(r)
        ok = same | close
        if close.any():
            out.max_ulps = float(np.max(np.where(close, dist, 0.0)))
        cls_l, cls_r = classes(lf), classes(r)
        hard = (cls_l != cls_r) & ((cls_l < 4) | (cls_r < 4))
        score = np.where(hard, np.inf, np.nan_to_num(dist, nan=np.inf, posinf=np.inf))
    bad = np.flatnonzero(~ok)
    if len(bad) == 0:
        return out
    sel = _select(bad, score, cap)
    el, er = exact_fn(sel)
    out.checked_exact = len(sel)
    allowance = tol + (rhs_ops if tier == "stability" else 0)
    for j, i in enumerate(sel):
        lval, rval, e = float(l64[i]), float(r64[i]), float(el[j])
        if tier == "fast":
            e2 = float(er[j]) if er is not None else e
            if not (e == e2 or (math.isnan(e) and math.isnan(e2))
                    or ulps(e2, e, dtype) <= 1):
                out.findings.append(Finding("unsound", int(i), (
                    f"the sides are different real functions here: exact left {e!r}, exact "
                    f"right {e2!r}"), e))
            continue
        if math.isnan(e):
            if not math.isnan(rval):
                out.findings.append(Finding("unsound", int(i), (
                    f"the left side is undefined (NaN) here but the right side gives "
                    f"{rval!r}"), e))
            continue
        ul, ur = ulps(lval, e, dtype), ulps(rval, e, dtype)
        if ur <= ul + allowance:
            if math.isfinite(ur):
                out.max_ulps = max(out.max_ulps, ur)
            # an overflow removed: closer to a finite exact value that is nonzero, or zero
            # where the left side is not even finite (inf * 5e-324 where the true factor
            # is 744: the exact product rounds to 0)
            if strict_inputs and cls_l[i] != cls_r[i] and not (
                    math.isfinite(e) and (e != 0 or not math.isfinite(lval)) and ur < ul):
                out.findings.append(Finding("unsound", int(i), (
                    f"under strict IEEE the sides differ: left {lval!r}, right {rval!r}"), e))
            continue
        if (gross(rval, e, ur, dtype) and not gross(lval, e, ul, dtype)) or (
                wrong_class(rval, e) and not wrong_class(lval, e)):
            out.findings.append(Finding("unsound", int(i), _describe(lval, rval, e, ul, ur), e))
        elif tier == "stability" or ur > accuracy_ulps * max(1.0, ul):
            out.findings.append(Finding("accuracy-losing", int(i), (
                f"less accurate than the left side: right {rval!r} is {ur:.3g} ulps from the "
                f"exact value {e!r}, left {lval!r} {ul:.3g}"), e))
    return out
