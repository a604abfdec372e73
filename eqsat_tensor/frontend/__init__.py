"""Ways into a graph: the builder, the NumPy tracer, JSON and importers."""

from .tensor import Tensor, as_graph

__all__ = ["Tensor", "as_graph"]
