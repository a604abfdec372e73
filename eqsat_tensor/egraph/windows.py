"""Windows of a large graph: optimize a graph too big for the time budget piece by piece.

Inserting, saturating and extracting cost roughly ``PER_NODE_SECONDS`` per graph node, so a
50,000-node graph cannot be optimized whole within a 2 s budget (it used to come back
only constant-folded). ``split`` cuts the graph's topological order into contiguous
windows of at most ``size`` operation nodes; ``window_graph`` makes each a graph of its
own (values from earlier windows become inputs ``__cut<k>``, constants are copied in,
values used later or by the outputs become outputs); ``splice`` puts the optimized
windows back. Windows are contiguous in topological order, so every value a window reads
from outside was built before it. Each window is optimized by the same pipeline under its
own share of the budget; the windows left when time runs out stay as they were.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import Graph, Node, input_node

# Seconds per graph node for insertion + saturation + extraction (measured on random DAGs
# of 1k-10k nodes: 0.3-0.45 ms).
PER_NODE_SECONDS = 4e-4
MIN_WINDOW = 150
# Seconds per node kept back at the end: splicing the windows back, costing the result.
SPLICE_SECONDS_PER_NODE = 8e-6
# ... or this many times what folding the graph's constants took, if more (measured at
# 50k nodes: folding 0.25 s, splicing and the report's two costings 0.6 s)
SPLICE_VS_FOLD = 3.0


class Window:
    """One window of a graph: ``build()`` makes its graph (built on demand: building
    nodes costs as much as optimizing a few), with ``cuts`` (each input's name -> the
    outer node it reads) and ``outs`` (the outer node each output stands for)."""

    def __init__(self, chunk: list[Node], outs: list[Node]) -> None:
        self.chunk, self.outs = chunk, outs
        self.cuts: dict[str, Node] = {}
        self._graph: Graph | None = None

    def __len__(self) -> int:
        return len(self.chunk)

    def build(self) -> Graph:
        """The window as a graph of its own (cached)."""
        if self._graph is None:
            inside = {n.uid for n in self.chunk}
            cuts: dict[int, Node] = {}
            built: dict[int, Node] = {}
            for n in self.chunk:
                ins = []
                for i in n.inputs:
                    if i.uid in inside:
                        ins.append(built[i.uid])
                    elif i.op == "constant":
                        ins.append(i)
                    else:
                        if i.uid not in cuts:
                            name = f"__cut{len(cuts)}"
                            cuts[i.uid] = input_node(name, i.shape, i.dtype)
                            self.cuts[name] = i
                        ins.append(cuts[i.uid])
                built[n.uid] = Node(n.op, tuple(ins), n.attrs, n.shape, n.dtype)
            self._graph = Graph([built[n.uid] for n in self.outs], list(cuts.values()))
        return self._graph


def window_size(seconds: float) -> int:
    """Operation nodes per window for a budget of ``seconds``: about a sixth of it each."""
    return max(MIN_WINDOW, int(min(0.15 * seconds / PER_NODE_SECONDS, 1e12)))


def too_big(n_nodes: int, seconds_left: float) -> bool:
    """Whether a graph of ``n_nodes`` nodes should be optimized in windows."""
    return n_nodes * PER_NODE_SECONDS > 0.5 * seconds_left and n_nodes > 2 * MIN_WINDOW


def split(graph: Graph, size: int) -> list[Window]:
    """Cut ``graph`` into windows of at most ``size`` operation nodes (leaves are shared)."""
    order = [n for n in graph.nodes() if n.op not in ("input", "constant")]
    pos = {n.uid: k for k, n in enumerate(order)}
    last_use: dict[int, int] = {}  # node uid -> index (in ``order``) of its last user
    for k, n in enumerate(order):
        for i in n.inputs:
            if last_use.get(i.uid, -1) < k:
                last_use[i.uid] = k
    outputs = {o.uid for o in graph.outputs}
    out: list[Window] = []
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        end = start + len(chunk)
        outs = [n for n in chunk if n.uid in outputs or last_use.get(n.uid, -1) >= end]
        if outs:
            out.append(Window(chunk, outs))
    del pos
    return out


def splice(graph: Graph, done: Sequence[tuple[Window, Graph]]) -> Graph:
    """``graph`` with each window's outputs replaced by its optimized graph's outputs
    (same inputs and output order as the window's graph)."""
    replaced: dict[int, tuple[int, int]] = {}
    for w, (window, _) in enumerate(done):
        for k, n in enumerate(window.outs):
            replaced[n.uid] = (w, k)
    new: dict[int, Node] = {}
    instantiated: dict[int, list[Node]] = {}
    for n in graph.nodes():
        hit = replaced.get(n.uid)
        if hit is not None:
            w, k = hit
            if w not in instantiated:
                window, opt = done[w]  # cuts are known: the window was built
                instantiated[w] = _instantiate(opt, {name: new.get(outer.uid, outer)
                                                     for name, outer in window.cuts.items()})
            new[n.uid] = instantiated[w][k]
        elif n.inputs:
            ins = tuple(new.get(i.uid, i) for i in n.inputs)
            same = all(a is b for a, b in zip(ins, n.inputs))
            new[n.uid] = n if same else Node(n.op, ins, n.attrs, n.shape, n.dtype)
        else:
            new[n.uid] = n
    return Graph([new[o.uid] for o in graph.outputs], list(graph.inputs))


def _instantiate(graph: Graph, inputs: dict[str, Node]) -> list[Node]:
    """The outputs of ``graph`` with its inputs replaced by ``inputs`` (by name)."""
    new: dict[int, Node] = {}
    for n in graph.nodes():
        if n.op == "input":
            new[n.uid] = inputs.get(n.name, n)
        elif n.inputs:
            new[n.uid] = Node(n.op, tuple(new[i.uid] for i in n.inputs), n.attrs, n.shape,
                              n.dtype)
        else:
            new[n.uid] = n
    return [new[o.uid] for o in graph.outputs]
