"""Series-expansion candidates for the accuracy optimizer (Herbie's ``taylor`` step).

Where an expression cancels near a point (``(1 - cos x) / x**2`` near 0, ``sqrt(x + 1) -
sqrt(x)`` near infinity), no rewrite of finite size removes the cancellation everywhere,
but a truncated series does near that point: ``1/2 - x**2/24``. ``series_candidates``
expands, with SymPy (optional: without it no series candidates are offered), the whole
expression and the sub-expressions of highest local error in each input around 0 and
around ±infinity (the other inputs stay symbols), to a few orders. Each truncation is
returned with the magnitude of its first omitted term (the truncation error estimate,
``SeriesCandidate.omitted``); the optimizer measures every candidate against the oracle
and ``accuracy.regimes`` uses a series only on the part of the input range where it is
the most accurate candidate.

Expansion is bounded: expressions over ``MAX_OPS`` ops are not expanded, and each
expansion gets ``SECONDS`` of this process's CPU time (a SIGPROF timer, so that a loaded
machine does not cut expansions short; and a SIGALRM timer at ``WALL_SLACK`` times that
of wall time, so that it stays bounded), where the caller is the main thread that has no
timer of its own running; elsewhere only the size bound and the total deadline,
checked between expansions, apply). The total deadline counts CPU time too, and wall time
over ``WALL_SLACK``.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..ir import Graph, Node, apply

ORDERS = (2, 3, 5)  # terms kept
POINTS = ("0", "oo", "-oo")
MAX_OPS = 40
SECONDS = 0.8  # per expansion
ORDER = 12  # expansions are to O(x**ORDER) (O(x**-ORDER) around infinity)
TOTAL_SECONDS = 3.0  # all expansions of one call
SUBEXPRESSIONS = 2  # local-error nodes expanded besides the root
WALL_SLACK = 3.0  # the total deadline also passes after WALL_SLACK x its seconds of wall time


@dataclass
class SeriesCandidate:
    """A truncated expansion: the graph, the variable, the point (``"0"``, ``"oo"``,
    ``"-oo"``), the number of terms kept and the first omitted term (a SymPy expression,
    or None when the series terminates)."""

    graph: Graph
    variable: str
    point: str
    terms: int
    omitted: Any

    @property
    def origin(self) -> str:
        return f"series:{self.variable}@{self.point}/{self.terms}"


class _Timeout(BaseException):
    """Not an ``Exception``: SymPy's own ``except Exception`` clauses must not swallow it."""


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise ``_Timeout`` after ``seconds`` of CPU time, or ``WALL_SLACK`` times that of
    wall time, whichever comes first (main thread only; a no-op elsewhere).

    The timers re-fire every 50 ms until cleared, so a raise that lands where Python
    ignores it (a ``__del__`` or gc callback) does not leave the expansion unbounded. Such
    a swallowed ``_Timeout`` is dropped by a ``sys.unraisablehook`` of ours instead of
    reaching the caller's hook (pytest turns it into an error), and the timer never
    raises while that hook hands another unraisable exception on, nor after the context
    is left (a signal pending at exit)."""
    timers = ((signal.ITIMER_PROF, signal.SIGPROF, seconds),
              (signal.ITIMER_REAL, signal.SIGALRM, WALL_SLACK * seconds))
    if (threading.current_thread() is not threading.main_thread() or seconds <= 0
            or any(signal.getitimer(t)[0] > 0 for t, _, _ in timers)):
        yield  # not ours to take: another thread, or the caller's own timer is running
        return
    state = {"armed": True, "in_hook": False}
    outer_hook = sys.unraisablehook

    def fire(signum: int, frame: Any) -> None:
        if state["armed"] and not state["in_hook"]:
            raise _Timeout

    def unraisable(args: Any) -> None:
        if isinstance(args.exc_value, _Timeout):
            return  # ours, fired inside a finalizer: the next tick raises again
        state["in_hook"] = True
        try:
            outer_hook(args)
        finally:
            state["in_hook"] = False

    old = [signal.signal(sig, fire) for _, sig, _ in timers]
    sys.unraisablehook = unraisable
    for timer, _, after in timers:
        signal.setitimer(timer, after, 0.05)
    try:
        yield
    finally:
        state["armed"] = False
        for (timer, sig, _), handler in zip(timers, old):
            signal.setitimer(timer, 0)
            signal.signal(sig, handler)
        sys.unraisablehook = outer_hook


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:
        return None
    return sympy


def _rebind(graph: Graph, inputs: list[Node]) -> Graph:
    """``graph`` rebuilt over the given input nodes (matched by name)."""
    by_name = {n.name: n for n in inputs}
    new: dict[int, Node] = {}
    for node in graph.nodes():
        if node.op == "input":
            new[node.uid] = by_name[node.name]
        elif node.inputs:
            new[node.uid] = apply(node.op, *[new[i.uid] for i in node.inputs],
                                  **dict(node.attrs))
        else:
            new[node.uid] = node
    return Graph([new[o.uid] for o in graph.outputs], inputs)


def _terms(sp: Any, expr: Any, var: Any, point: str, n: int) -> list[Any] | None:
    """Up to ``n + 1`` terms of the expansion, the dominant one first (ascending powers
    of ``var`` around 0, descending around infinity); None where there is none."""
    x0 = {"0": 0, "oo": sp.oo, "-oo": -sp.oo}[point]
    got = sp.series(expr, var, x0, n=ORDER)
    if not got.has(sp.Order) and (point != "0" or not expr.is_polynomial()):
        return None  # not expanded
    # a polynomial in var expands exactly: its expanded terms ((1 + x)**8 - 1 is
    # 8 x + 28 x**2 + ..., no cancellation near 0) and their truncations are candidates
    poly = got.removeO()
    if poly == 0 or poly.has(sp.nan, sp.zoo, sp.oo, sp.AccumBounds, sp.Subs, sp.Order):
        return None
    terms = list(sp.Add.make_args(sp.expand(sp.powsimp(poly))))

    pos = sp.Dummy("p", positive=True)

    def power(t: Any) -> Any:
        _, e = sp.powdenest(t.subs(var, pos), force=True).as_coeff_exponent(pos)
        return e if e.is_number else 0

    terms.sort(key=power, reverse=point != "0")
    return terms if not got.has(sp.Order) else terms[:n + 1]  # an exact expansion: all


def series_terms(expr: Any, var: Any, point: str = "0", n: int = 3) -> list[Any] | None:
    """The first ``n + 1`` terms of the expansion of the SymPy ``expr`` in ``var`` around
    ``point`` (``"0"``, ``"oo"``, ``"-oo"``), or None where SymPy cannot expand it (or is
    not installed)."""
    sp = _sympy()
    if sp is None:
        return None
    try:
        return _terms(sp, expr, var, point, n)
    except Exception:  # noqa: BLE001 - SymPy raises many kinds on non-analytic points
        return None


def _expansions(sp: Any, expr: Any, names: list[str], deadline: Callable[[], float],
                points: tuple[str, ...] = POINTS) -> Iterator[tuple[str, str, int, Any, Any]]:
    """(variable, point, terms kept, truncated expression, first omitted term)."""
    top = max(ORDERS)
    for v in sorted(expr.free_symbols, key=str):
        if str(v) not in names:
            continue
        for point in points:
            left = deadline()
            if left <= 0:
                return
            try:
                with _deadline(min(SECONDS, left)):
                    terms = _terms(sp, expr, v, point, top)
            except (_Timeout, RecursionError):
                continue
            except Exception:  # noqa: BLE001 - not expandable there
                continue
            if not terms or (len(terms) == 1 and terms[0] == expr):
                continue
            for k in ORDERS + ((len(terms),) if len(terms) > top + 1 else ()):
                kept = sp.Add(*terms[:k])
                omitted = terms[k] if k < len(terms) else None
                yield str(v), point, min(k, len(terms)), kept, omitted
                if k >= len(terms):
                    break


def series_candidates(graph: Graph, roots: list[Node] | None = None,
                      seconds: float = TOTAL_SECONDS) -> list[SeriesCandidate]:
    """Truncated series of ``graph``'s single output, and of each node in ``roots`` (the
    sub-expressions of highest local error, substituted back into the graph), around 0 and
    ±infinity in each input (see the module docstring). Empty without SymPy."""
    sp = _sympy()
    if sp is None or len(graph.outputs) != 1:
        return []
    from ..interop.sympy_io import from_sympy, to_sympy

    cpu, wall = time.process_time() + seconds, time.perf_counter() + WALL_SLACK * seconds

    def deadline() -> float:
        """Seconds left: of CPU time, or of the wall-time allowance if that is less."""
        return min(cpu - time.process_time(), (wall - time.perf_counter()) / WALL_SLACK)

    names = list(graph.input_names)
    out: list[SeriesCandidate] = []
    seen: set[str] = set()
    root = graph.outputs[0]
    targets = [root] + [r for r in (roots or []) if r is not root]
    exprs: dict[int, Any] = {}
    for target in targets:
        sub = Graph(target, graph.inputs)
        if sum(1 for n in sub.nodes() if n.op not in ("input", "constant")) > MAX_OPS:
            continue
        try:
            exprs[target.uid] = sp.nsimplify(to_sympy(sub), rational=True)
        except Exception:  # noqa: BLE001 - ops without a SymPy form
            continue
    # sub-expressions expanded at the same point with the same terms, substituted together:
    # (x - sin x) / (x - tan x) cancels in both, and one substitution leaves the other
    together: dict[tuple[str, str, int], dict[int, Node]] = {}
    # point by point (0 first, where most cancellations are), every target at each point:
    # a slow expansion of the whole expression does not starve its sub-expressions
    for point in POINTS:
        for target in targets:
            if target.uid not in exprs:
                continue
            for var, pt, k, kept, omitted in _expansions(sp, exprs[target.uid], names,
                                                         deadline, (point,)):
                key = f"{target.uid}:{kept}"
                if key in seen:
                    continue
                seen.add(key)
                try:
                    piece = _rebind(from_sympy(kept, inputs=names, dtype=target.dtype),
                                    graph.inputs)
                except Exception:  # noqa: BLE001 - a term with no op (a special function)
                    continue
                if piece.outputs[0].shape != target.shape:
                    continue
                if target is root:
                    out.append(SeriesCandidate(piece, var, pt, k, omitted))
                    continue
                out.append(SeriesCandidate(_substitute(graph, {target.uid: piece.outputs[0]}),
                                           var, pt, k, omitted))
                together.setdefault((var, pt, k), {})[target.uid] = piece.outputs[0]
    for (var, pt, k), subs in together.items():
        if len(subs) > 1:
            out.append(SeriesCandidate(_substitute(graph, subs), var, pt, k, None))
    return out


def _substitute(graph: Graph, values: dict[int, Node]) -> Graph:
    """``graph`` with each node whose uid is a key of ``values`` replaced by its value."""
    new: dict[int, Node] = {}
    for node in graph.nodes():
        if node.uid in values:
            new[node.uid] = values[node.uid]
        elif node.inputs:
            new[node.uid] = apply(node.op, *[new[i.uid] for i in node.inputs],
                                  **dict(node.attrs))
        else:
            new[node.uid] = node
    return Graph([new[o.uid] for o in graph.outputs], graph.inputs)


__all__ = ["SeriesCandidate", "series_candidates", "series_terms"]
