"""``ImportedGraph``: a Graph imported from PyTensor/PyMC with its run-time checks and the
way its outputs are put back together.

PyMC's ``CheckParameterValue`` becomes one bool output per condition (the checked value
passes through), and a ``Join``/``MakeVector`` output (the gradient vector of
``model.dlogp()``) becomes one output per piece. The graph stays a plain ``Graph`` for the
optimizer (conditions are outputs, so no rewrite can lose them; one the analyses prove
true folds to the constant ``True`` and is no longer tested). ``compile`` returns a
callable that computes all outputs, raises PyMC's ``ParameterValueError`` with the
check's message where a condition is false (as PyMC does), and concatenates the pieces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ir import Graph, Node


@dataclass(frozen=True)
class Piece:
    """One piece of an output: ``flat`` None means the node is the whole output, True
    that it is raveled into the output's concatenation."""

    node: Node
    flat: bool | None


def parameter_value_error() -> type[Exception]:
    """PyMC's ``ParameterValueError`` when PyMC is installed, else a ``ValueError``."""
    try:
        from pymc.logprob.utils import ParameterValueError
    except ImportError:  # pragma: no cover - pymc is optional
        return ValueError
    return ParameterValueError


class ImportedGraph(Graph):
    """A Graph whose first outputs are pieces of the user's outputs (``layout``) and whose
    last ``len(messages)`` outputs are bool conditions that must hold."""

    __slots__ = ("layout", "messages", "ninf")

    layout: tuple[tuple[tuple[int, bool | None], ...], ...]
    messages: tuple[str, ...]
    # per check: PyMC may turn it into a logp of -inf instead of an error
    # (``CheckParameterValue(can_be_replaced_by_ninf=True)``, as ``compile_pymc`` does)
    ninf: tuple[bool, ...]

    @classmethod
    def build(cls, layout: Sequence[Sequence[Piece]], checks: Sequence[tuple[Node, str]],
              inputs: Sequence[Node] | None = None,
              ninf_messages: frozenset[str] = frozenset()) -> ImportedGraph:
        """An ImportedGraph of user outputs given as pieces, and (condition, message);
        checks whose message is in ``ninf_messages`` may become -inf (see ``ninf``)."""
        outs: list[Node] = []
        idx_layout = []
        for pieces in layout:
            idx = []
            for p in pieces:
                idx.append((len(outs), p.flat))
                outs.append(p.node)
            idx_layout.append(tuple(idx))
        seen: dict[tuple[Node, str], None] = {}
        for node, msg in checks:
            seen.setdefault((node, msg), None)
        graph = cls(outs + [n for n, _ in seen], inputs)
        graph.layout = tuple(idx_layout)
        graph.messages = tuple(m for _, m in seen)
        graph.ninf = tuple(m in ninf_messages for m in graph.messages)
        return graph

    @property
    def n_values(self) -> int:
        """How many outputs are pieces of the user's outputs (the rest are conditions)."""
        return len(self.outputs) - len(self.messages)

    def with_graph(self, graph: Graph) -> ImportedGraph:
        """The same layout and checks over ``graph`` (an optimized version of this one:
        same outputs in the same order)."""
        if len(graph.outputs) != len(self.outputs):
            raise ValueError(f"with_graph: {len(graph.outputs)} outputs, expected "
                             f"{len(self.outputs)}")
        out = ImportedGraph(graph.outputs, graph.inputs)
        out.layout, out.messages, out.ninf = self.layout, self.messages, self.ninf
        return out

    def plain(self) -> Graph:
        """The underlying Graph (all outputs, conditions last)."""
        return Graph(self.outputs, self.inputs)

    def compile(self, backend: str = "numba", **options: Any) -> ImportedExecutable:
        """A callable (arguments as for ``et.compile``) returning the user's outputs, that
        raises PyMC's ``ParameterValueError`` where a check fails."""
        from ..backends import compile as compile_graph

        return ImportedExecutable(self, compile_graph(self.plain(), backend, **options))

    def compile_packed(self, in_shapes: Sequence[tuple[int, ...]], ninf: bool = False,
                       **options: Any) -> Any:
        """The user's outputs as one compiled Numba call over a flat float64 vector: the
        inputs are ``x`` split by ``in_shapes`` (in input order); 0-d outputs come back
        as floats and the others raveled (a ``Join`` output concatenated). Raises PyMC's
        ``ParameterValueError`` where a check fails, ``ValueError`` for a vector of the
        wrong length; ``PackedUnsupported`` (at compile time) for a graph the packed
        entry cannot express. ``ninf=True``: a failing check that PyMC may replace by
        -inf (``self.ninf``) gives -inf for 0-d results and zeros for the others instead
        (what PyMC's ``compile_pymc`` functions give). ``options`` as for the Numba
        backend."""
        from ..backends.numba_packed import PackedUnsupported, Packing, compile_packed

        results = []
        for idx in self.layout:
            if len(idx) == 1 and idx[0][1] is None and len(self.outputs[idx[0][0]].shape) > 1:
                raise PackedUnsupported("an output of rank > 1 (packed results are flat)")
            results.append(tuple(k for k, _ in idx))
        n = self.n_values
        packing = Packing(tuple(tuple(int(d) for d in s) for s in in_shapes), tuple(results),
                          tuple(range(n, len(self.outputs))))
        error = parameter_value_error() if self.messages else ValueError
        messages, size = self.messages, packing.size

        replace = tuple(ninf and flag for flag in self.ninf)

        def fail(bad: int, got: tuple) -> Any:
            if bad == -2:
                raise ValueError(f"expected a flat parameter vector of length {size}")
            if not replace[bad]:
                raise error(messages[bad])
            out = tuple(-np.inf if isinstance(r, float) else np.zeros_like(r) for r in got)
            return out[0] if len(out) == 1 else out

        return compile_packed(self.plain(), packing, fail, **options)


class ImportedExecutable:
    """Compiled ImportedGraph: runs the graph, tests the checks, assembles the outputs."""

    def __init__(self, graph: ImportedGraph, executable: Any) -> None:
        self.graph = graph
        self.executable = executable
        n = graph.n_values
        self._checks = tuple((n + i, msg) for i, msg in enumerate(graph.messages)
                             if not _proven(graph.outputs[n + i]))
        self._error = parameter_value_error() if graph.messages else ValueError
        self._single = len(graph.outputs) == 1

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        outs = self.executable(*args, **kwargs)
        if self._single:
            outs = (outs,)
        return self._finish(outs)

    def run(self, arrays: list[Any], dims: dict[str, int] | None = None) -> Any:
        """Like calling it, from arrays already bound: one ndarray per ``graph.inputs`` of
        exactly the input's dtype and (concrete) shape, and ``dims`` the values of its
        symbolic dims. Skips argument checking (a sampler's inner loop)."""
        return self._finish(self.executable.run(arrays, dims or {}))

    def _finish(self, outs: Any) -> Any:
        for i, msg in self._checks:
            if not outs[i]:
                raise self._error(msg)
        results = []
        for idx in self.graph.layout:
            if len(idx) == 1 and idx[0][1] is None:
                results.append(outs[idx[0][0]])
            else:
                results.append(np.concatenate([np.ravel(outs[k]) for k, _ in idx]))
        return results[0] if len(results) == 1 else tuple(results)

    def source(self) -> str:
        """The compiled graph's generated source (backends that generate code)."""
        return self.executable.source()


def _proven(node: Node) -> bool:
    return node.op == "constant" and bool(np.all(node.value))
