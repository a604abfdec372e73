"""Ways into a graph: the builder, the NumPy tracer, JSON and importers.

Importing this package installs the operators and ``ndarray`` methods on ``Tensor``
(``methods``); the modules import in one direction only (``tests/test_frontend_imports``):
``location`` <- ``tensor`` <- ``functions`` <- ``special``, ``linalg`` <- ``numpy_dispatch``
<- ``masked``, ``rebind`` <- ``methods``, and ``coverage`` renders the tables as docs.
"""

from . import methods as _methods  # noqa: F401  (installs Tensor's operators and methods)
from .tensor import Tensor, as_graph

__all__ = ["Tensor", "as_graph"]
