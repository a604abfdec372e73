"""Human-readable views of a graph: infix text with shared nodes named, and Graphviz DOT.

Part of the IR (``Graph.__str__`` and ``Graph.to_dot`` use it); it reads each op's
printing symbol and precedence from the ops table. ``eqsat_tensor.printing`` re-exports
it. Graphs and nodes are duck-typed here, so this module imports nothing from ``graph``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .ops import OPS
from .shapes import fmt_shape
from .values import ArrayValue

if TYPE_CHECKING:
    from .graph import Graph, Node
# A node whose text grows past this many characters is given a name of its own, so that
# printing a 10,000-node chain stays linear instead of nesting ever longer strings.
_MAX_INLINE = 120


def format_constant(node: Node) -> str:
    """Short text for a constant: ``2``, ``0.5``, ``-0.0``, ``array(3, 4)``."""
    v = node.attr("value")
    if isinstance(v, ArrayValue):
        return f"array{fmt_shape(v.array.shape)}"
    if isinstance(v, bool):
        return repr(v)
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") and text != "-0.0" else text


def _attr_text(node: Node) -> str:
    parts = []
    for k, v in node.attrs:
        if k == "keepdims" and not v:
            continue
        full = tuple(range(node.inputs[0].ndim)) if node.inputs else ()
        if k == "axis" and node.spec.kind == "reduction" and tuple(v) == full:
            continue  # a full reduction prints as sum(x)
        parts.append(f"{k}={v}")
    return ", ".join(parts)


def _expr(node: Node, args: list[tuple[str, int]]) -> tuple[str, int]:
    """Text and precedence of ``node`` given its inputs' (text, precedence)."""
    spec = OPS[node.op]

    def wrap(arg: tuple[str, int], min_prec: int) -> str:
        return f"({arg[0]})" if arg[1] < min_prec else arg[0]

    if node.op == "input":
        return node.name, 1000
    if node.op == "constant":
        text = format_constant(node)
        return text, (1000 if not text.startswith("-") else 30)
    if spec.symbol and spec.arity == 2:
        p = spec.precedence
        if node.op == "pow":  # right-associative
            return f"{wrap(args[0], p + 1)} ** {wrap(args[1], p)}", p
        return f"{wrap(args[0], p)} {spec.symbol} {wrap(args[1], p + 1)}", p
    if node.op == "neg":
        return f"-{wrap(args[0], spec.precedence)}", spec.precedence
    inner = [a[0] for a in args]
    extra = _attr_text(node)
    if extra:
        inner.append(extra)
    return f"{node.op}({', '.join(inner)})", 1000


def graph_to_text(graph: Graph) -> str:
    """Infix text of ``graph``: one ``tN = ...`` line per shared (or very long) sub-expression,
    then the output expression(s)."""
    uses = graph.users()
    out_ids = {o.uid for o in graph.outputs}
    texts: dict[int, tuple[str, int]] = {}
    lines: list[str] = []
    counter = 0
    for node in graph.nodes():
        text = _expr(node, [texts[i.uid] for i in node.inputs])
        leaf = node.op in ("input", "constant")
        shared = uses.get(node.uid, 0) > 1 and node.uid not in out_ids
        if not leaf and (shared or (len(text[0]) > _MAX_INLINE and node.uid not in out_ids)):
            counter += 1
            lines.append(f"t{counter} = {text[0]}")
            text = (f"t{counter}", 1000)
        texts[node.uid] = text
    outs = [texts[o.uid][0] for o in graph.outputs]
    lines.append(outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")")
    return "\n".join(lines)


def node_label(node: Node) -> str:
    """One-line label of a node for pictures: op (or name/value) and shape."""
    if node.op == "input":
        head = node.name
    elif node.op == "constant":
        head = format_constant(node)
    else:
        head = OPS[node.op].symbol if OPS[node.op].symbol and node.op != "neg" else node.op
        extra = _attr_text(node)
        if extra:
            head += f" [{extra}]"
    return f"{head}\\n{node.dtype}{fmt_shape(node.shape)}"


def graph_to_dot(graph: Graph, name: str = "G", *, subgraph: bool = False, prefix: str = "n",
                 annotate: Callable[[Node], str] | None = None,
                 colors: dict[int, str] | None = None) -> str:
    """Graphviz DOT source. ``annotate(node)`` adds a line to a node's label (cost, time);
    ``colors`` maps node uid to a fill colour (kernels); ``subgraph`` emits a cluster so two
    graphs can be drawn side by side in one picture."""
    head = f'subgraph "cluster_{name}" {{\n  label="{name}";' if subgraph else \
        f'digraph "{name}" {{\n  rankdir=BT;'
    lines = [head, '  node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", '
                   'fontname="Helvetica"];']
    ids = {}
    for k, node in enumerate(graph.nodes()):
        ids[node.uid] = f"{prefix}{k}"
        label = node_label(node)
        if annotate is not None:
            extra = annotate(node)
            if extra:
                label += "\\n" + extra
        fill = (colors or {}).get(node.uid)
        if fill is None and node.op == "input":
            fill = "#cfe2ff"
        if fill is None and node.op == "constant":
            fill = "#e9ecef"
        style = f', fillcolor="{fill}"' if fill else ""
        shape = ", shape=ellipse" if node.op in ("input", "constant") else ""
        lines.append(f'  {ids[node.uid]} [label="{label}"{shape}{style}];')
        for i in node.inputs:
            lines.append(f"  {ids[i.uid]} -> {ids[node.uid]};")
    for j, o in enumerate(graph.outputs):
        lines.append(f'  {prefix}out{j} [label="out{j}", shape=plaintext, style=""];')
        lines.append(f"  {ids[o.uid]} -> {prefix}out{j};")
    lines.append("}")
    return "\n".join(lines)
