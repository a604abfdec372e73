"""Ways into a graph: the builder, the NumPy tracer, JSON and importers.

Importing this package installs the operators and ``ndarray`` methods on ``Tensor``
(``methods``); the modules below it import in one direction only:
``location`` <- ``tensor`` <- ``functions`` <- ``numpy_dispatch`` <- ``methods``.
"""

from . import methods as _methods  # noqa: F401  (installs Tensor's operators and methods)
from .tensor import Tensor, as_graph

__all__ = ["Tensor", "as_graph"]
