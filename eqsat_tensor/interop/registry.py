"""One entry point per direction for the CLI's ``--from`` / ``--to``: text in, text out.

``import_graph(kind, source)`` reads a graph from text:

- ``"sympy"`` (alias ``"expr"``): an expression such as ``"log(1 + x)"``, parsed with
  Python's ``ast`` into our ops (``interop.exprtext``); never executed, SymPy not needed.
- ``"fpcore"``: one ``(FPCore ...)``; ``import_with_info`` also returns its precondition.
- ``"json"``: the versioned JSON format of ``eqsat_tensor.frontend.json_io``.

``export_graph(kind, graph)`` writes one: ``"sympy"`` (SymPy's text of ``to_sympy``),
``"fpcore"``, ``"json"``, ``"text"`` (our infix form) and ``"jax"`` (a callable, not
text: ``to_jax``). ``import_file(path)`` picks the kind from the file extension.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..errors import GraphFormatError
from ..ir import Graph

IMPORT_KINDS = ("sympy", "expr", "fpcore", "json")
EXPORT_KINDS = ("sympy", "fpcore", "json", "text", "jax")
EXTENSIONS = {".fpcore": "fpcore", ".fpc": "fpcore", ".json": "json", ".expr": "expr",
              ".txt": "expr", ".py": "expr"}


def import_with_info(kind: str, source: str,
                     select: int | str | None = None) -> tuple[Graph, dict[str, Any]]:
    """``(graph, info)``: ``info`` has ``"precondition"`` (``{"x": (lo, hi)}``, possibly
    empty), and for FPCore also ``"name"``, ``"condition"`` (a mask function over samples)
    and ``"fpcore"`` (the ``FPCoreInfo``). ``select`` picks one FPCore of several (by
    index or ``:name``)."""
    kind = kind.lower()
    if kind in ("sympy", "expr"):
        from .exprtext import parse_expression

        return parse_expression(source), {"precondition": {}}
    if kind == "fpcore":
        from .fpcore import from_fpcore

        graph, info = from_fpcore(source, select=select)
        return graph, {"precondition": dict(info.precondition), "name": info.name,
                       "condition": info.condition, "fpcore": info}
    if kind == "json":
        from ..frontend import json_io

        return json_io.loads(source), {"precondition": {}}
    raise GraphFormatError(f"unknown import kind {kind!r}; choose one of {IMPORT_KINDS}")


def import_graph(kind: str, source: str) -> Graph:
    """A Graph from ``source`` text of the given ``kind`` (see the module docstring)."""
    return import_with_info(kind, source)[0]


def kind_of_file(path: str) -> str:
    """The import kind for a file name (by extension), ``expr`` if unknown."""
    return EXTENSIONS.get(os.path.splitext(path)[1].lower(), "expr")


def import_file(path: str, kind: str | None = None,
                select: int | str | None = None) -> tuple[Graph, dict[str, Any]]:
    """Read ``path`` and import it (kind from the extension unless given)."""
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    kind = kind or kind_of_file(path)
    if kind == "fpcore":
        from .fpcore import from_fpcore

        graph, info = from_fpcore(text, source=path, select=select)
        return graph, {"precondition": dict(info.precondition), "name": info.name,
                       "condition": info.condition, "fpcore": info}
    return import_with_info(kind, text)


def export_graph(kind: str, graph: Graph | Any) -> str | Callable[..., Any]:
    """``graph`` as text of ``kind`` (``sympy``, ``fpcore``, ``json``, ``text``), or a
    callable for ``jax``."""
    from ..frontend.tensor import as_graph

    graph = as_graph(graph)
    kind = kind.lower()
    if kind == "sympy":
        from .sympy_io import to_sympy

        return str(to_sympy(graph))
    if kind == "fpcore":
        from .fpcore import to_fpcore

        return to_fpcore(graph)
    if kind == "json":
        from ..frontend import json_io

        return json_io.dumps(graph)
    if kind == "text":
        return str(graph)
    if kind == "jax":
        from .jax_io import to_jax

        return to_jax(graph)
    raise GraphFormatError(f"unknown export kind {kind!r}; choose one of {EXPORT_KINDS}")
