"""Pictures of graphs: before and after optimization side by side (Graphviz).

``comparison_dot(before, after)`` builds one DOT picture with two clusters. Every op node
is annotated with its estimated cost and, when ``times`` are given (from profiling), its
measured time; nodes are filled with one colour per kernel, so one can see what runs
together and where the time goes.

- Kernels come from the Numba planner (``eqsat_tensor.backends.plan``) when it is
  installed; otherwise from a simple estimate of what a fusing backend does: maximal
  connected elementwise regions are one kernel, a reduction ends its kernel, ``matmul``
  is its own. The legend says which was used.
- Costs come from the optimizer's cost model (``eqsat_tensor.cost``, ns) when it is
  installed; otherwise ``OPS[op].cost`` times the number of output elements (symbolic
  dims taken from ``dims``, default 1000 each).

``write(before, after, path)`` renders to ``.svg``, ``.png``, ``.pdf`` or ``.dot`` with
the ``dot`` program (``apt install graphviz``; the Python ``graphviz`` package is not
needed). ``show(before, after)`` returns a ``GraphPicture`` that Jupyter displays inline
(``_repr_svg_``); an optimization report's ``.show()`` calls it.
"""

from __future__ import annotations

import importlib
import math
import os
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from .errors import BackendError
from .ir import OPS, Graph, Node
from .printing import graph_to_dot

PALETTE = ("#ffd8a8", "#b2f2bb", "#a5d8ff", "#eebefa", "#ffc9c9", "#c3fae8", "#ffec99",
           "#d0bfff", "#99e9f2", "#fcc2d7")
DEFAULT_DIM = 1000


# -- annotations ---------------------------------------------------------------------------------


def _elements(node: Node, dims: Mapping[str, int]) -> int:
    return math.prod(dims.get(d, DEFAULT_DIM) if isinstance(d, str) else d
                     for d in node.shape) if node.shape else 1


def _resolve(shape: tuple, dims: Mapping[str, int]) -> tuple:
    return tuple(dims.get(d, d) if isinstance(d, str) else d for d in shape)


def _cost_model() -> Any:
    """The optimizer's cost model (costs in ns), or None where it is not installed."""
    try:
        return importlib.import_module("eqsat_tensor.cost").load_cost_model()
    except (ImportError, AttributeError):
        return None


def node_costs(graph: Graph, dims: Mapping[str, int] | None = None) -> dict[int, float]:
    """Estimated cost per op node uid: the optimizer's cost model
    (``eqsat_tensor.cost.load_cost_model().node_cost``, in ns) when it is installed, else
    ``OPS[op].cost`` times the element count. Symbolic dims take their value from ``dims``
    (else the cost model's default, or ``DEFAULT_DIM``)."""
    dims = dict(dims or {})
    model = _cost_model()
    out: dict[int, float] = {}
    for node in graph.nodes():
        if node.op in ("input", "constant"):
            continue
        if model is not None:
            out[node.uid] = float(model.node_cost(
                node.op, _resolve(node.shape, dims), node.dtype,
                [_resolve(i.shape, dims) for i in node.inputs], [i.dtype for i in node.inputs],
                [OPS[i.op].kind == "elementwise" for i in node.inputs]))
            continue
        n = _elements(node, dims)
        if node.spec.kind in ("reduction", "matmul"):
            n = max(n, _elements(node.inputs[0], dims))
        if node.op == "matmul":
            k = node.inputs[0].shape[-1]
            n *= k if isinstance(k, int) else dims.get(k, DEFAULT_DIM)
        out[node.uid] = OPS[node.op].cost * n
    return out


def _planner_kernels(graph: Graph) -> dict[int, int] | None:
    """Kernel index per node uid from the Numba planner, if it is installed."""
    try:
        plan_mod = importlib.import_module("eqsat_tensor.backends.plan")
    except ImportError:
        return None
    for fname in ("plan", "plan_graph", "make_plan"):
        fn = getattr(plan_mod, fname, None)
        if fn is None:
            continue
        try:
            plan = fn(graph)
        except Exception:
            return None
        kernels = getattr(plan, "kernels", plan)
        out: dict[int, int] = {}
        try:
            for k, kernel in enumerate(kernels):
                nodes = getattr(kernel, "nodes", None) or getattr(kernel, "members", None) or []
                for n in nodes:
                    out[getattr(n, "uid", n)] = k
        except TypeError:
            return None
        return out or None
    return None


def estimated_kernels(graph: Graph) -> dict[int, int]:
    """Kernel index per op-node uid, as a fusing backend would group them: connected
    elementwise regions fuse, a reduction joins the elementwise producers only it uses
    (its result starts a new kernel), matmul and layout ops stand alone."""
    parent: dict[int, int] = {}

    def find(u: int) -> int:
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    ops = [n for n in graph.nodes() if n.op not in ("input", "constant")]
    uses = graph.users()
    for n in ops:
        parent[n.uid] = n.uid
    for n in ops:
        if n.spec.kind not in ("elementwise", "reduction"):
            continue
        for i in n.inputs:
            if i.uid not in parent or i.spec.kind != "elementwise":
                continue
            # an elementwise value also used elsewhere is materialized, not fused into
            # the reduction
            if n.spec.kind == "reduction" and uses.get(i.uid, 0) > 1:
                continue
            parent[find(i.uid)] = find(n.uid)
    roots: dict[int, int] = {}
    return {n.uid: roots.setdefault(find(n.uid), len(roots)) for n in ops}


def _fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def _fmt_cost(c: float, in_ns: bool) -> str:
    return f"est {_fmt_time(c * 1e-9)}" if in_ns else f"cost {c:.3g}"


def graph_dot(graph: Graph, name: str, prefix: str, *, dims: Mapping[str, int] | None = None,
              times: Mapping[int, float] | None = None, kernels: str = "auto") -> tuple[str, str]:
    """One cluster of the picture and the legend line describing it."""
    costs = node_costs(graph, dims)
    in_ns = _cost_model() is not None
    total = sum(costs.values())
    groups = _planner_kernels(graph) if kernels == "auto" else None
    source = "planner" if groups else "estimated"
    if groups is None and kernels != "none":
        groups = estimated_kernels(graph)
    colors = {uid: PALETTE[k % len(PALETTE)] for uid, k in (groups or {}).items()}

    def annotate(node: Node) -> str:
        parts = []
        if node.uid in costs:
            parts.append(_fmt_cost(costs[node.uid], in_ns))
        if times and node.uid in times:
            parts.append(f"t {_fmt_time(times[node.uid])}")
        if groups and node.uid in groups:
            parts.append(f"k{groups[node.uid]}")
        return "  ".join(parts)

    n_kernels = len(set(groups.values())) if groups else 0
    label = (f"{name}: {len(graph)} nodes, {_fmt_cost(total, in_ns)}"
             + (f", {n_kernels} kernels ({source})" if groups else ""))
    if times:
        label += f", measured {_fmt_time(sum(times.values()))}"
    body = graph_to_dot(graph, name=label, subgraph=True, prefix=prefix, annotate=annotate,
                        colors=colors)
    return body, label


def comparison_dot(before: Any, after: Any | None = None, *, dims: Mapping[str, int] | None = None,
                   times_before: Mapping[int, float] | None = None,
                   times_after: Mapping[int, float] | None = None,
                   names: tuple[str, str] = ("before", "after"), kernels: str = "auto") -> str:
    """DOT source of ``before`` and (optionally) ``after`` side by side, one cluster each.

    ``times_*`` map node uids to measured seconds; ``kernels`` is ``"auto"`` (planner if
    installed, else estimated), ``"estimated"`` or ``"none"``.
    """
    from .frontend.tensor import as_graph

    parts = ['digraph "eqsat" {', "  rankdir=BT; newrank=true; fontname=Helvetica;"]
    body, _ = graph_dot(as_graph(before), names[0], "b", dims=dims, times=times_before,
                        kernels=kernels)
    parts.append(body)
    if after is not None:
        body, _ = graph_dot(as_graph(after), names[1], "a", dims=dims, times=times_after,
                            kernels=kernels)
        parts.append(body)
    parts.append("}")
    return "\n".join(parts)


# -- rendering ------------------------------------------------------------------------------------


def dot_binary() -> str:
    """Path of Graphviz's ``dot`` program, or a clear error."""
    path = shutil.which("dot")
    if path is None:
        raise BackendError("drawing graphs needs Graphviz's 'dot' program: apt install "
                           "graphviz (or conda install graphviz), and pip install "
                           "'eqsat-tensor[viz]'")
    return path


def render(dot_source: str, fmt: str = "svg") -> bytes:
    """Run ``dot -T<fmt>`` on DOT source and return the output bytes."""
    proc = subprocess.run([dot_binary(), f"-T{fmt}"], input=dot_source.encode(),
                          capture_output=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise BackendError(f"dot -T{fmt} failed: {proc.stderr.decode(errors='replace')[:500]}")
    return proc.stdout


def write(before: Any, after: Any | None, path: str, **kwargs: Any) -> str:
    """Draw ``before``/``after`` into ``path``; the extension picks the format (``.svg``,
    ``.png``, ``.pdf``, ``.dot``). Returns ``path``."""
    source = comparison_dot(before, after, **kwargs)
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
    data = source.encode() if fmt in ("dot", "gv") else render(source, fmt)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


class GraphPicture:
    """A rendered picture; Jupyter shows it inline through ``_repr_svg_``."""

    def __init__(self, dot_source: str) -> None:
        self.dot_source = dot_source
        self._svg: str | None = None

    def svg(self) -> str:
        """The SVG text (rendered once)."""
        if self._svg is None:
            self._svg = render(self.dot_source, "svg").decode()
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg()

    def save(self, path: str) -> str:
        """Write to ``path`` (format from the extension)."""
        fmt = os.path.splitext(path)[1].lstrip(".").lower() or "svg"
        data = self.dot_source.encode() if fmt in ("dot", "gv") else render(self.dot_source, fmt)
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def __repr__(self) -> str:
        return f"<GraphPicture: {self.dot_source.count(' -> ')} edges>"


def show(before: Any, after: Any | None = None, **kwargs: Any) -> GraphPicture:
    """A ``GraphPicture`` of ``before`` and ``after`` (see ``comparison_dot``).

    ``before`` may also be an ``OptimizeResult`` (``et.optimize``'s result): its original
    and optimized graphs are drawn."""
    if after is None and hasattr(before, "original") and hasattr(before, "graph"):
        before, after = before.original, before.graph
    return GraphPicture(comparison_dot(before, after, **kwargs))
