"""Human-readable views of a graph: infix text with shared nodes named, and Graphviz DOT.

The implementation lives in the IR (``ir/text.py``), so that ``Graph.__str__`` needs no
import back up from ``ir``; this module is its public name.
"""

from __future__ import annotations

from .ir.text import format_constant, graph_to_dot, graph_to_text, node_label

__all__ = ["format_constant", "graph_to_dot", "graph_to_text", "node_label"]
