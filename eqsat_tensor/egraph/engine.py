"""One egglog e-graph for one optimization: the static program (schema, analyses, compiled
rules), insertion of a graph, one saturation iteration of a phase, size and snapshots.

Declaring ~1,000 rules costs egglog a few hundred milliseconds, so the static program is
built once per (rule set, ieee mode) and kept; each optimization works between ``(push)``
and ``(pop)`` on it, which restores the empty program afterwards. Only the rules that can
fire on the graph's ops are registered (``prune``): a later graph that needs more gets a
program with the union of both (rebuilt in program order; all rules once most are
needed). Commands are run one by one: egglog's ``run_program`` is superlinear in the
number of commands per call.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from typing import Any

from .. import forksafe
from ..egglog_bindings import bindings as b
from ..ir import Graph
from . import analyses, bridge
from .analyses import types as types_analysis
from .bridge import SPAN, row_loads
from .budget import OutOfTime
from .compiler import PHASES, CompiledRules
from .prune import Plan
from .schema import CTOR_TO_OP, datatype_decl

ANALYSIS = analyses.RULESET
LEAF_CTORS = {"Input", "Const", "ArrayConst"}
_SIZED = frozenset(CTOR_TO_OP) | LEAF_CTORS  # what ``Session.size`` counts
_CTOR_NAMES = _SIZED | {"Ref"}  # the constructors rule queries name (``prune``)
# Rules per egglog ruleset ("batch"): an iteration runs a phase's batches one at a time,
# and the runner checks time and e-graph size between them, so one iteration cannot
# overshoot the budget by more than one batch's work.
BATCH_RULES = 24
# The analyses run this many iterations per egglog command (the clock is checked between
# commands), and at most MAX_ANALYSIS_ITERS in all: a deep graph needs one iteration per
# level of new e-nodes; a lattice that never settles must not hang the optimizer.
ANALYSIS_CHUNK = 8
MAX_ANALYSIS_ITERS = 20_000


def _rulesets() -> list[str]:
    return [ANALYSIS] + [rs for p in PHASES for rs in (p, f"{p}-x")]


def batched(compiled: CompiledRules) -> tuple[list[str], dict[str, list[str]]]:
    """The compiled rules' texts re-homed into batch rulesets of at most ``BATCH_RULES``
    rules (``canonicalize_b0``, ...), and the batch names of each phase ruleset, in order."""
    texts: list[str] = []
    batches: dict[str, list[str]] = {}
    count: dict[str, int] = {}
    for c in compiled.rules:
        k = count.get(c.ruleset, 0)
        count[c.ruleset] = k + 1
        name = f"{c.ruleset}_b{k // BATCH_RULES}"
        names = batches.setdefault(c.ruleset, [])
        if not names or names[-1] != name:
            names.append(name)
        texts.append(c.text.replace(f":ruleset {c.ruleset} :name", f":ruleset {name} :name", 1))
    return texts, batches


def program_chunks(compiled: CompiledRules, extra_rulesets: dict[str, list[str]] | None = None
                   ) -> list[str]:
    """The static egglog program as a list of small text chunks."""
    chunks = [datatype_decl(), analyses.declarations()]
    chunks += [c for c in bridge.declarations().split("\n") if c]
    chunks += [f"(ruleset {rs})" for rs in _rulesets()]
    texts, batches = batched(compiled)
    chunks += [f"(ruleset {b})" for names in batches.values() for b in names]
    chunks += [r for r in analyses.rules(ANALYSIS, compiled.ieee).split("\n") if r]
    chunks += texts
    for rs, texts in (extra_rulesets or {}).items():
        chunks.append(f"(ruleset {rs})")
        chunks += texts
    return chunks


# Past this fraction of all rules, a program registers every rule (later graphs then never
# need a rebuild).
FULL_FRACTION = 0.6
# Register only the rules a graph can fire (``prune``); ``EQSAT_TENSOR_PRUNE_RULES=0``
# registers every rule (the result is the same; for comparison and debugging).
PRUNE = os.environ.get("EQSAT_TENSOR_PRUNE_RULES", "1") not in ("0", "false", "no")
# Of those, register a rule only once the constructors its query names are in the e-graph
# (just before the ruleset holding it runs): a small graph's e-graph holds a third of the
# constructors the static closure allows, and egglog plans each rule it is given (~0.2 ms).
# ``EQSAT_TENSOR_LAZY_RULES=0`` registers the whole closure up front (same result).
LAZY = os.environ.get("EQSAT_TENSOR_LAZY_RULES", "1") not in ("0", "false", "no")
_PLANS: dict[Any, tuple[CompiledRules, Plan]] = {}
_PLANS_LOCK = threading.Lock()


def plan(key: Any, compiled: CompiledRules) -> Plan:
    """The static program of ``compiled`` with each chunk's facts (``prune.Plan``), built
    once per key per process."""
    got = _PLANS.get(key)
    if got is None or got[0] is not compiled:  # (an unhashable rule set's key is its id)
        got = (compiled, Plan.of(program_chunks(compiled), _CTOR_NAMES, {bridge.INSERT}))
        with _PLANS_LOCK:
            if len(_PLANS) > 32:
                _PLANS.clear()
            _PLANS[key] = got
    return got[1]


def needed_rules(p: Plan, graph: Graph | None) -> frozenset[int] | None:
    """The rule chunks of ``p`` that can fire on ``graph`` (None: all; also when ``PRUNE``
    is off)."""
    if graph is None or not PRUNE:
        return None
    return p.closure(bridge.inserted_ctors(graph))


def new_egraph(chunks: list[str], deadline: float | None = None) -> Any:
    """A bindings EGraph with ``chunks`` run one at a time; raises ``OutOfTime`` when the
    clock (``time.perf_counter()``) passes ``deadline`` first."""
    eg = _empty_egraph()
    _run_chunks(eg, chunks, 0, deadline)
    return eg


def _empty_egraph() -> Any:
    forksafe.check_egglog()  # would hang in a child forked after egglog ran
    forksafe.note_egglog_used()
    eg = b.EGraph()
    if forksafe.egglog_pinned():  # a forked child: dropping it would hang (forksafe)
        forksafe.pin(eg)
    return eg


def _run_chunks(eg: Any, chunks: list[str], start: int, deadline: float | None,
                progress: Any = None) -> None:
    """Run ``chunks[start:]`` on ``eg``, checking ``deadline`` every few chunks (building
    the static program is the one big step of a first optimization); ``progress.done``
    counts the chunks run, so a later call resumes where this one stopped."""
    for i in range(start, len(chunks)):
        if deadline is not None and time.perf_counter() > deadline:
            raise OutOfTime("building egglog's program took the whole time budget (the "
                            "next optimization in this thread goes on where it stopped)")
        eg.run_program(*eg.parse_program(chunks[i]))
        if progress is not None:
            progress.done = i + 1


class _NeverFree:
    """A lock that is always taken (the stand-in entry of a pinned-e-graph process)."""

    def acquire(self, blocking: bool = True) -> bool:
        return False

    def release(self) -> None:  # pragma: no cover - never acquired
        pass


class _UnownedEntry:
    lock = _NeverFree()
    rows: set = set()


_Unowned = _UnownedEntry()


class _Cached:
    """A thread's cached e-graph holding the static program, built lazily and resumably
    (``build``): a first optimization with a small budget builds what its time allows,
    the next ones go on from there."""

    def __init__(self, chunks: list[str], rules: frozenset[int] | None = None,
                 declared: set[str] | None = None) -> None:
        self.egraph = _empty_egraph()
        self.chunks = chunks
        self.rules = rules  # the plan's rule chunks registered (None: all)
        self.declared = declared  # relations declared (None: all)
        self.rebuilds = 0  # programs for this key built before this one (more rules each)
        self.done = 0  # chunks run so far
        self.lock = threading.Lock()
        self.rows: set = set()  # type-table rows already in the base program
        self.wanted: set[int] = set()  # rules sessions registered late (popped with them)

    def extend(self, p: Plan, rules: frozenset[int]) -> None:
        """Queue the rule chunks ``rules`` not registered yet (``build`` runs them)."""
        if self.rules is None:
            return
        new = sorted(rules - self.rules)
        decl = p.declarations_for(new, self.declared) if self.declared is not None else []
        self.chunks = self.chunks + [p.chunks[i] for i in decl + new]
        self.rules = self.rules | frozenset(new)
        if self.declared is not None:
            self.declared |= {p.facts[i].declares for i in decl}

    def build(self, deadline: float | None) -> None:
        """Run the program chunks not run yet (``OutOfTime`` past ``deadline``)."""
        if self.done < len(self.chunks):
            _run_chunks(self.egraph, self.chunks, self.done, deadline, self)


# egglog's EGraph is "unsendable": only the thread that created it may use or drop it
# (another thread gets a panic). So each thread keeps its own programs.
_LOCAL = threading.local()
_PUSH = None
_ORPHANS: list[Any] = []  # e-graphs inherited through fork: never touched, never dropped


@forksafe.on_fork_child
def _forget_egraphs() -> None:
    global _LOCAL
    _ORPHANS.append(_LOCAL)
    _LOCAL = threading.local()


def _thread_cache() -> dict[Any, _Cached]:
    cache = getattr(_LOCAL, "cache", None)
    if cache is None:
        cache = _LOCAL.cache = {}
    return cache


def forget_programs() -> None:
    """Drop this thread's cached egglog programs (the next optimization builds anew)."""
    _thread_cache().clear()


def _drop(key: Any, entry: _Cached) -> None:
    cache = _thread_cache()
    if cache.get(key) is entry:
        del cache[key]


def _covers(have: frozenset[int] | None, need: frozenset[int] | None) -> bool:
    return have is None or (need is not None and need <= have)


def _cached(key: Any, p: Plan, need: frozenset[int] | None, lazy: bool = False) -> _Cached:
    """This thread's program for ``key`` holding (at least) the rules ``need``: the cached
    one, or (if it lacks some and is not in use) a new one with the union of both.
    ``lazy``: the session registers more rules as it runs, so a cached program that
    lacks some gets them added (with those earlier sessions registered late) instead."""
    cache = _thread_cache()
    entry = cache.get(key)
    if entry is not None and entry.lock.locked():
        return entry  # (a locked one: the caller builds a private e-graph)
    if lazy and need is not None and (entry is None or entry.rules is not None):
        if entry is None:
            if len(cache) > 16:
                cache.clear()
            entry = cache[key] = _Cached(p.program(need), need, p.declared_by(need))
        else:
            entry.extend(p, need | frozenset(entry.wanted))
            entry.wanted.clear()
        return entry
    if entry is not None and _covers(entry.rules, need):
        return entry
    if entry is None and len(cache) > 16:
        cache.clear()
    rebuilds = 0 if entry is None else entry.rebuilds + 1
    rules = need
    if entry is not None and need is not None and entry.rules is not None:
        rules = need | entry.rules
    # a second rebuild, or most rules needed: all of them (at most three builds per key)
    if rules is not None and (rebuilds > 1 or len(rules) > FULL_FRACTION * len(p.rules)):
        rules = None
    entry = _Cached(p.program(rules), rules, p.declared_by(rules))
    entry.rebuilds = rebuilds
    cache[key] = entry
    return entry


def _run_command(egraph: Any, rulesets: list[str], match_limit: int, ban_length: int,
                 backoff: bool) -> Any:
    """One run of ``rulesets`` (one iteration each), under egglog's back-off scheduler
    (``match_limit`` matches per rule, banned for ``ban_length`` iterations past it) if
    ``backoff``."""
    if backoff:
        runs = " ".join(f"(run-with bo {rs})" for rs in rulesets)
        text = (f"(run-schedule (seq (let-scheduler bo (back-off :match-limit {match_limit} "
                f":ban-length {ban_length})) {runs}))")
    else:
        text = "(run-schedule (seq " + " ".join(f"(run {rs})" for rs in rulesets) + "))"
    (cmd,) = egraph.parse_program(text)
    return cmd


def _run_chunked(egraph: Any, cmds: list[Any], chunk: int = 64,
                 deadline: float | None = None) -> None:
    for i in range(0, len(cmds), chunk):
        if deadline is not None and time.perf_counter() > deadline:
            raise OutOfTime("inserting the graph took the whole time budget")
        egraph.run_program(*cmds[i:i + chunk])


class Session:
    """The e-graph of one optimization (use as a context manager)."""

    def __init__(self, key: Any, compiled: CompiledRules, deadline: float | None = None,
                 graph: Graph | None = None) -> None:
        """``deadline``: building the static program (a thread's first optimization)
        stops with ``OutOfTime`` there; a cached program resumes on the next call.
        ``graph``: the graph this session will insert; only the rules that can fire on
        its ops are registered (``prune``; None: every rule)."""
        self.compiled = compiled
        self._key = key
        self._plan = plan(key, compiled)
        need = needed_rules(self._plan, graph)
        start = need
        lazy = LAZY and need is not None and graph is not None
        if lazy:
            start = self._plan.startable(need, bridge.inserted_ctors(graph))
        # In a child forked after egglog ran, the cached program cannot be popped: each
        # optimization gets a private (pinned) e-graph instead.
        self._entry = (_cached(key, self._plan, start, lazy) if not forksafe.egglog_pinned()
                       else _Unowned)
        self._owned = self._entry.lock.acquire(blocking=False)
        if self._owned:
            try:
                self._entry.build(deadline)
            except BaseException as exc:
                self._entry.lock.release()
                self._owned = False
                if not isinstance(exc, OutOfTime):  # maybe mid-chunk: rebuild next time
                    _drop(self._key, self._entry)
                raise
            self.egraph = self._entry.egraph
            registered = self._entry.rules
            declared = self._entry.declared
        else:  # a nested optimization in this thread holds it: a private e-graph
            self.egraph = new_egraph(self._plan.program(start), deadline)
            registered = start
            declared = self._plan.declared_by(start)
        # relations declared (a rule registered late may need more; None: all)
        self._declared = set(declared) if declared is not None else None
        # rules of the closure not registered yet, by ruleset: registered just before their
        # ruleset runs, once the constructors their queries name are in the e-graph
        self._pending: dict[str, list[int]] = {}
        self._late: set[int] = set()  # registered so (popped with the session)
        if lazy and registered is not None and need is not None:
            for i in sorted(need - registered):
                self._pending.setdefault(self._plan.facts[i].ruleset or "", []).append(i)
        # constructors in the e-graph after the last run (None: stale), and per ruleset
        # those its waiting rules were last checked against
        self._present: frozenset[str] | None = None
        self._checked: dict[str, frozenset[str]] = {}
        self._steps: dict[Any, Any] = {}
        # batches with no rule that can ever fire are skipped
        live = self._plan.rulesets(need if lazy else registered)
        self._batches = {rs: [n for n in names if n in live]
                         for rs, names in batched(compiled)[1].items()}
        self.index: dict[int, int] = {}
        self._pushed = False

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is not None and self._owned:
            _drop(self._key, self._entry)  # the program may be mid-run: rebuild it next time
        self.close()

    def close(self) -> None:
        """Restore the cached program (pop) and release it."""
        if self._owned:
            self._owned = False
            # rules registered late go into the base program at the next session's start
            self._entry.wanted.update(self._late)
            try:
                if self._pushed:
                    self.egraph.run_program(*self.egraph.parse_program("(pop)"))
            except BaseException as exc:  # egglog panics are BaseExceptions
                _drop(self._key, self._entry)  # a panicking e-graph is dropped
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
            finally:
                self._entry.lock.release()

    def insert(self, graph: Graph, extra_attrs: dict[str, set], ieee: str = "finite",
               deadline: float | None = None) -> None:
        """Insert ``graph`` and the type tables for its types; raises ``OutOfTime`` if the
        clock passes ``deadline`` (``time.perf_counter()``) between command chunks.

        Type-table rows are facts about interned types, true in every e-graph, so on the
        cached program they are added below the ``(push)`` and kept for later calls."""
        rows = types_analysis.tables(graph.nodes(), extra_attrs)
        self._present = None
        try:
            tmpdir: Any = tempfile.TemporaryDirectory(prefix="eqsat-insert-")
        except OSError:  # no temporary directory (full disk): rows as commands
            tmpdir = contextlib.nullcontext(None)
        with tmpdir as tmp:
            if self._owned:
                new = [r for r in rows if r not in self._entry.rows]
                _run_chunked(self.egraph, row_loads(new, tmp))
                self._entry.rows.update(new)
                self.egraph.run_program(*self.egraph.parse_program("(push)"))
                self._pushed = True
            else:
                _run_chunked(self.egraph, row_loads(rows, tmp))
            facts = analyses.seed_facts(graph, ieee)
            cmds, self.index = bridge.insertion(graph, facts, tmp)
            _run_chunked(self.egraph, cmds, deadline=deadline)

    def run_analysis(self, deadline: float | None = None) -> bool:
        """Saturate the analyses, ``ANALYSIS_CHUNK`` iterations per egglog command, checking
        the clock (``time.perf_counter()``) against ``deadline`` between commands and
        stopping after ``MAX_ANALYSIS_ITERS`` iterations. Returns True if they saturated
        (False: cut short; e-nodes added since may lack facts, so guards do not fire on
        them and extraction skips the untyped ones)."""
        self._register_ready(ANALYSIS)
        cmd = self._steps.get("analysis")
        if cmd is None:
            text = f"(run-schedule (repeat {ANALYSIS_CHUNK} (run {ANALYSIS})))"
            (cmd,) = self.egraph.parse_program(text)
            self._steps["analysis"] = cmd
        for _ in range(0, MAX_ANALYSIS_ITERS, ANALYSIS_CHUNK):
            self._present = None
            (out,) = self.egraph.run_program(cmd)
            if not out.report.updated:
                return True
            if deadline is not None and time.perf_counter() >= deadline:
                return False
        return False

    def batches(self, phase: str, expansive: bool = True) -> list[str]:
        """The egglog rulesets one iteration of ``phase`` runs, in order: its plain rule
        batches, then (if ``expansive``) its expansive ones."""
        out = list(self._batches.get(phase, []))
        if expansive:
            out += [f"x:{b}" for b in self._batches.get(f"{phase}-x", [])]
        return out

    def run_batch(self, batch: str, match_limit: int, ban_length: int,
                  bounded: bool = False) -> dict[str, int]:
        """Run one batch once (see ``batches``); expansive batches (``x:`` prefix) always
        run under back-off with ``match_limit`` matches per rule, plain ones only if
        ``bounded``. Returns egglog's match counts per rule name."""
        expansive = batch.startswith("x:")
        name = batch[2:] if expansive else batch
        self._register_ready(name)
        backoff = expansive or bounded
        limit = match_limit
        key = (name, limit, ban_length, backoff)
        cmd = self._steps.get(key)
        if cmd is None:
            cmd = self._steps[key] = _run_command(self.egraph, [name], limit, ban_length,
                                                  backoff)
        self._present = None
        (out,) = self.egraph.run_program(cmd)
        return dict(out.report.num_matches_per_rule)

    def step(self, phase: str, match_limit: int, ban_length: int,
             bounded: bool = False, expansive: bool = True) -> dict[str, int]:
        """One whole iteration of ``phase`` (every batch, then the analyses); returns
        egglog's match counts per rule name. The runner uses ``run_batch`` instead, to
        check its budget between batches."""
        counts: dict[str, int] = {}
        for batch in self.batches(phase, expansive):
            limit = match_limit if batch.startswith("x:") else 5 * match_limit
            for k, v in self.run_batch(batch, limit, ban_length, bounded).items():
                counts[k] = counts.get(k, 0) + v
        self.run_analysis()
        return counts

    def size(self) -> int:
        """Number of e-nodes of the tensor sort (constructors only, no tables)."""
        (out,) = self.egraph.run_program(b.PrintSize(SPAN, None))
        total = 0
        present = []
        for name, n in out.sizes:
            if n and name in _CTOR_NAMES:
                present.append(name)
                if name in _SIZED:
                    total += n
        self._present = frozenset(present)
        return total

    def _present_names(self) -> frozenset[str]:
        """The constructors with at least one e-node now."""
        if self._present is None:
            self.size()
        return self._present or frozenset()

    def _register_ready(self, ruleset: str) -> None:
        """Register the pending rules of ``ruleset`` whose queries' constructors are in
        the e-graph now (a rule registered late still matches every row already there)."""
        pending = self._pending.get(ruleset)
        if not pending:
            return
        present = self._present_names()
        if self._checked.get(ruleset) == present:
            return  # no new constructor since the last check: none of them is ready
        self._checked[ruleset] = present
        ready = self._plan.ready(pending, present)
        if not ready:
            return
        chunks = self._plan.chunks
        decl: list[int] = []
        if self._declared is not None:  # the relations they name first
            decl = self._plan.declarations_for(ready, self._declared)
            self._declared.update(self._plan.facts[i].declares or "" for i in decl)
        for i in decl + ready:
            self.egraph.run_program(*self.egraph.parse_program(chunks[i]))
        done = set(ready)
        self._pending[ruleset] = [i for i in pending if i not in done]
        self._late.update(done)

    def freeze(self) -> Any:
        """A frozen snapshot of the e-graph (rows of every function)."""
        return self.egraph.freeze()
