"""Which egglog rules a graph can fire: the static program pruned to a graph's ops.

Registering ~1,000 rules costs egglog most of a cold optimization (each rule is planned
when it is added), while a small graph can only ever fire a few of them. A rule can match
only if every constructor named in its query is in the e-graph, and a constructor is in
the e-graph only if the inserted graph has it or some rule that can fire builds it in its
actions. So the rules worth registering are a fixpoint: start from the constructors the
graph inserts, add every rule whose query constructors are all available, add the
constructors its actions build, repeat (``Plan.closure``).

A rule left out can never match, so it never changes the e-graph: saturation with the
pruned program is the same as with the whole one (same matches, same e-nodes, in the same
order, since the kept chunks keep their order). Everything that is not a rule (sorts,
functions, relations, rulesets, table rows) is always kept. The facts are read from the
egglog text of each chunk, so new analyses, ops and rule files need nothing here.

Insertion rules (ruleset ``bridge.INSERT``) are the one special case: they build op ``X``
from the rows of ``X``'s insertion table, which only a graph with ``X`` fills, and run
only while the graph is inserted, so they are kept only where the graph itself has every
constructor they name. A ``relation`` that only dropped rules read (the insertion table
of an op the graph lacks) is not declared either.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# egglog tokens: a string literal, a parenthesis, or an atom.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[()]|[^\s()"]+')
_DECLARATIONS = frozenset({"datatype", "datatype*", "sort", "constructor", "function",
                           "relation", "ruleset", "unstable-combined-ruleset"})
_RELATION = re.compile(r'\(relation\s+([^\s()"]+)')


@dataclass(frozen=True)
class ChunkFacts:
    """What one program chunk needs and builds. ``rule`` is False for declarations
    (always registered); ``needs``: constructors its query names; ``makes``: those its
    actions build; ``ruleset``: the ruleset it belongs to (rules only)."""

    rule: bool
    needs: frozenset[str] = frozenset()
    makes: frozenset[str] = frozenset()
    ruleset: str | None = None
    seeded: bool = False  # an insertion rule: kept only if the graph has all ``needs``
    uses: frozenset[str] = frozenset()  # relations the rule names
    declares: str | None = None  # the relation a ``(relation NAME ...)`` chunk declares


def chunk_facts(text: str, ctors: frozenset[str], passive: frozenset[str] = frozenset(),
                relations: frozenset[str] = frozenset()) -> ChunkFacts:
    """Facts of one chunk of egglog text. ``ctors``: the constructor names that count;
    rules of a ``passive`` ruleset (insertion) need what they build instead;
    ``relations``: the relation names whose readers are recorded."""
    tokens = _TOKEN.findall(text)
    if len(tokens) < 4 or tokens[0] != "(" or tokens[1] != "rule":
        one = len(tokens) > 3 and _one_form(tokens)
        if one and tokens[1] in _DECLARATIONS:  # names constructors without building any
            return ChunkFacts(False, declares=tokens[2] if tokens[1] == "relation" else None)
        # anything else (a rewrite, a top-level action, several forms) may build the
        # constructors it names: they count as present from the start
        return ChunkFacts(False, makes=frozenset(t for t in tokens if t in ctors))
    uses = frozenset(t for t in tokens if t in relations)
    groups: list[set[str]] = [set(), set()]  # query, actions
    depth, group = 0, -1
    i = 2
    while i < len(tokens):
        tok = tokens[i]
        if tok == "(":
            if depth == 0:
                group += 1
                if group > 1:
                    raise ValueError(f"unexpected rule form: {text[:120]}")
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth < 0:
                break
        elif depth > 0 and tok in ctors:
            groups[group].add(tok)
        elif depth == 0 and tok == ":ruleset" and i + 1 < len(tokens):
            break
        i += 1
    ruleset = None
    for k in range(i, len(tokens) - 1):
        if tokens[k] == ":ruleset":
            ruleset = tokens[k + 1]
            break
    query, actions = frozenset(groups[0]), frozenset(groups[1])
    if ruleset in passive:
        return ChunkFacts(True, query | actions, frozenset(), ruleset, True, uses)
    return ChunkFacts(True, query, actions, ruleset, False, uses)


def _one_form(tokens: list[str]) -> bool:
    """Whether ``tokens`` are exactly one parenthesized form."""
    depth = 0
    for k, tok in enumerate(tokens):
        depth += (tok == "(") - (tok == ")")
        if depth == 0:
            return k == len(tokens) - 1
    return False


@dataclass
class Plan:
    """The whole static program as chunks with their facts; ``closure`` picks the rules
    one graph needs."""

    chunks: list[str]
    facts: list[ChunkFacts]
    rules: list[int] = field(init=False)  # indices of the rule chunks
    _by_ctor: dict[str, list[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rules = [i for i, f in enumerate(self.facts) if f.rule]
        self._by_ctor = {}
        self._seeded = [i for i in self.rules if self.facts[i].seeded]
        self._built = {c for f in self.facts if not f.rule for c in f.makes}
        self._readers: dict[str, list[int]] = {}
        self._declaration = {f.declares: i for i, f in enumerate(self.facts)
                             if f.declares is not None}
        for i in self.rules:
            for r in self.facts[i].uses:
                self._readers.setdefault(r, []).append(i)
            if self.facts[i].seeded:
                continue
            for c in self.facts[i].needs:
                self._by_ctor.setdefault(c, []).append(i)

    @classmethod
    def of(cls, chunks: Sequence[str], ctors: Iterable[str],
           passive: Iterable[str] = ()) -> Plan:
        """The plan of ``chunks`` (see ``chunk_facts``)."""
        names, quiet = frozenset(ctors), frozenset(passive)
        relations = frozenset(m.group(1) for c in chunks
                              if (m := _RELATION.match(c)) is not None)
        return cls(list(chunks), [chunk_facts(c, names, quiet, relations) for c in chunks])

    def closure(self, seeds: Iterable[str]) -> frozenset[int]:
        """Indices of the rule chunks that can fire in an e-graph holding the
        constructors ``seeds``: the least set closed under "all its query's
        constructors are available" (available: a seed, or built by a chosen rule)."""
        seeds = set(seeds)
        missing = {i: len(self.facts[i].needs) for i in self.rules if not self.facts[i].seeded}
        have: set[str] = set()
        ready = [i for i, n in missing.items() if n == 0]
        todo = list(seeds | self._built)
        chosen = {i for i in self._seeded if self.facts[i].needs <= seeds}
        while todo or ready:
            while ready:
                i = ready.pop()
                chosen.add(i)
                todo.extend(c for c in self.facts[i].makes if c not in have)
            while todo:
                c = todo.pop()
                if c in have:
                    continue
                have.add(c)
                for i in self._by_ctor.get(c, ()):
                    missing[i] -= 1
                    if missing[i] == 0:
                        ready.append(i)
        return frozenset(chosen)

    def program(self, rules: frozenset[int] | None) -> list[str]:
        """The chunks to run, in program order: every declaration and the chosen rules
        (``None``: all of them)."""
        if rules is None:
            return list(self.chunks)
        return [c for i, (c, f) in enumerate(zip(self.chunks, self.facts))
                if (i in rules if f.rule else self._declared(f.declares, rules))]

    def declared_by(self, rules: frozenset[int] | None) -> set[str] | None:
        """The relations ``program(rules)`` declares in chunks of their own (None: all)."""
        if rules is None:
            return None
        return {f.declares for f in self.facts
                if f.declares is not None and self._declared(f.declares, rules)}

    def declarations_for(self, rules: Iterable[int], declared: set[str]) -> list[int]:
        """The declaration chunks of the relations ``rules`` name that are not in
        ``declared`` (to run before those rules), in program order."""
        need = {r for i in rules for r in self.facts[i].uses if r not in declared}
        return sorted(self._declaration[r] for r in need if r in self._declaration)

    def startable(self, rules: frozenset[int], seeds: Iterable[str]) -> frozenset[int]:
        """Of the chosen ``rules`` (``closure(seeds)``), those that can match as soon as
        the graph is inserted: insertion rules, and rules whose query names only inserted
        constructors (or ones the declarations build). The rest can wait (``ready``)."""
        have = set(seeds) | self._built
        return frozenset(i for i in rules
                         if self.facts[i].seeded or self.facts[i].needs <= have)

    def ready(self, candidates: Iterable[int], present: Iterable[str]) -> list[int]:
        """Of the rule chunks ``candidates``, those that can match in an e-graph holding
        the constructors ``present``, counting what the ready ones build in turn (a
        command may run their ruleset several times), in program order."""
        have = set(present)
        left = list(candidates)
        out: list[int] = []
        changed = True
        while changed and left:
            changed = False
            rest = []
            for i in left:
                f = self.facts[i]
                if f.needs <= have:
                    out.append(i)
                    if not f.makes <= have:
                        have |= f.makes
                        changed = True
                else:
                    rest.append(i)
            left = rest
        return sorted(out)

    def _declared(self, relation: str | None, rules: frozenset[int]) -> bool:
        """Whether a declaration is kept: all but relations that only dropped rules read."""
        readers = self._readers.get(relation) if relation is not None else None
        return not readers or any(i in rules for i in readers)

    def rulesets(self, rules: frozenset[int] | None) -> set[str]:
        """Rulesets with at least one chosen rule."""
        idx = self.rules if rules is None else rules
        return {r for i in idx if (r := self.facts[i].ruleset) is not None}
