"""Run a rewrite-parity catalogue case through ``et.optimize`` and classify it.

A case is a NumPy function, input arrays (overflow-prone points included) and the form
PyTensor rewrites it to, stated as ops the optimized graph must hold (``has``) and must not
hold (``lacks``). The result is classified:

* ``SAME``: the optimized graph has PyTensor's form and no value is wrong;
* ``BETTER``: the graph matches one of the case's ``better`` forms (a sound choice where
  PyTensor's rewrite changes a value, e.g. keeping ``x / x`` for ``x = 0``), or it is not
  PyTensor's form but strictly more accurate than NumPy wherever they differ;
* ``WORSE``: neither;
* ``wrong``: some value is farther from the mpmath reference than NumPy's by more than the
  rounding allowance (counted separately; a wrong case is also WORSE).

Negative controls (``kind="negative"``) must leave the op counts of the traced graph as
they are (``untouched``), or match their own ``has``/``lacks``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import eqsat_tensor as et
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.egraph.budget import Budget
from eqsat_tensor.jit import trace
from eqsat_tensor.mpeval import bits_of_error, exact

# bits of error allowed beyond NumPy's own (a few ulps of rounding)
ALLOWANCE_BITS = 3.0
# the catalogue checks which rewrites happen, not how fast: a generous time budget, so a
# loaded machine (the first call compiles the rule program inside the budget) cannot
# change the verdict; iterations and e-nodes are bounded as by default
BUDGET = Budget(seconds=60.0)


@dataclass(frozen=True)
class Form:
    """Ops a graph must hold (with at least/most counts) and must not hold."""

    has: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    counts: tuple[tuple[str, int], ...] = ()  # op, exact count

    def matches(self, counts: dict[str, int]) -> bool:
        return (all(counts.get(o, 0) > 0 for o in self.has)
                and not any(counts.get(o, 0) for o in self.lacks)
                and all(counts.get(o, 0) == n for o, n in self.counts))


def form(has: str = "", lacks: str = "", **counts: int) -> Form:
    """``form("softplus", "log sigmoid", where=1)``."""
    return Form(tuple(has.split()), tuple(lacks.split()), tuple(sorted(counts.items())))


UNCHANGED = Form(counts=(("__unchanged__", 1),))


@dataclass(frozen=True)
class Case:
    """One catalogue entry."""

    name: str
    source: str
    fn: Callable[..., Any]
    inputs: tuple[np.ndarray, ...]
    want: Form = UNCHANGED
    better: tuple[Form, ...] = ()
    kind: str = "positive"
    stable: bool = False  # PyTensor's form is accurate at every input: ours must be too


@dataclass
class Outcome:
    """The classification of one case and what it is based on."""

    case: Case
    verdict: str
    wrong: bool
    before: str
    after: str
    ours_bits: float
    numpy_bits: float
    notes: list[str] = field(default_factory=list)


def _matches(f: Form, counts: dict[str, int], before: dict[str, int]) -> bool:
    if f.counts == UNCHANGED.counts:
        return counts == before
    return f.matches(counts)


def _counts(graph: et.Graph) -> dict[str, int]:
    c = dict(graph.op_counts())
    c.pop("input", None)
    return c


def run_case(case: Case, ieee: str = "finite") -> Outcome:
    """Optimize, evaluate and classify one case."""
    arrays = [np.asarray(a) for a in case.inputs]
    names = [f"x{i}" for i in range(len(arrays))]
    graph, _ = trace(case.fn, names, arrays)
    res = et.optimize(graph, ieee=ieee, fallback=False, budget=BUDGET)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = exact(graph, arrays, start_prec=2200, max_prec=8800)[0]
        ours = np.asarray(evaluate(res.graph, arrays)[0], dtype=ref.dtype)
        naive = np.asarray(case.fn(*arrays), dtype=ref.dtype)
    if ref.dtype == np.bool_:
        ob = (ours != ref).astype(float) * 64
        nb = (naive != ref).astype(float) * 64
    else:
        ob, nb = bits_of_error(ours, ref), bits_of_error(naive, ref)
    wrong = bool(np.any(ob > np.maximum(nb, ALLOWANCE_BITS) + ALLOWANCE_BITS))
    before, after = _counts(graph), _counts(res.graph)
    notes = []
    if case.kind == "negative":
        ok = _matches(case.want, after, before)
        verdict = "SAME" if ok and not wrong else "WORSE"
    elif _matches(case.want, after, before) and not (
            case.stable and np.any(ob > ALLOWANCE_BITS + 1)):
        verdict = "SAME"
    elif any(_matches(b, after, before) for b in case.better):
        verdict = "BETTER"
    elif (after != before and np.all(ob <= np.maximum(nb, ALLOWANCE_BITS))
          and np.any(ob + ALLOWANCE_BITS < nb)):
        verdict = "BETTER"
        notes.append("not PyTensor's form, more accurate than NumPy")
    else:
        verdict = "WORSE"
    if wrong:
        verdict = "WORSE"
        notes.append(f"wrong value: {ob.max():.1f} bits against NumPy's {nb.max():.1f}")
    return Outcome(case, verdict, wrong, str(graph), str(res.graph), float(ob.max()),
                   float(nb.max()), notes)


def tally(outcomes: list[Outcome]) -> dict[str, int]:
    """Counts of SAME / BETTER / WORSE / wrong over positive cases, and negative controls
    kept / broken."""
    out = {"SAME": 0, "BETTER": 0, "WORSE": 0, "wrong": 0, "neg_kept": 0, "neg_broken": 0}
    for o in outcomes:
        if o.case.kind == "negative":
            out["neg_kept" if o.verdict == "SAME" else "neg_broken"] += 1
        else:
            out[o.verdict] += 1
        out["wrong"] += o.wrong
    return out
