"""Execution backends (installed as ``eqsat_tensor.backends``).

Each backend module exposes ``compile(graph, **options) -> Executable``. Backends import
only the IR, never the e-graph layer. Modules are imported lazily, so ``import
eqsat_tensor`` does not pay for Numba, CUDA or Dask.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import BackendError
from ..ir import Graph
from .base import Executable

BACKENDS = {
    "numpy": "numpy_ref",
    "numba": "numba_cpu",
    "cuda": "cuda",
    "dask": "dask",
}


def get_backend(name: str) -> Any:
    """The backend module for ``name`` (``numpy``, ``numba``, ``cuda``, ``dask``)."""
    module = BACKENDS.get(name)
    if module is None:
        raise BackendError(f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}")
    try:
        return importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(__name__):
            raise BackendError(f"backend {name!r} is not available in this version") from None
        raise BackendError(f"backend {name!r} needs the package {exc.name!r}; install it "
                           f"(e.g. pip install 'eqsat-tensor[{name}]')") from None


def compile(graph: Any, backend: str = "numba", **options: Any) -> Executable:
    """Compile a Graph (or Tensor) for ``backend``; call the result positionally in the order
    of ``graph.inputs`` or by input name."""
    return get_backend(backend).compile(_as_graph(graph), **options)


def _as_graph(obj: Any) -> Graph:
    """A Graph from a Graph, or from a Node / traced Tensor (anything with a ``node``) or a
    list of them: duck-typed, so the backends never import the front end."""
    if isinstance(obj, Graph):
        return obj
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    return Graph([getattr(o, "node", o) for o in items])


__all__ = ["BACKENDS", "Executable", "compile", "get_backend"]
