"""The graph IR: immutable, hash-consed ``Node``s, ``Graph``, dtypes, symbolic dims, and the
ops table ``OPS``, the one place each op is described (``OpSpec``: arity, attributes,
shape and dtype rules, NumPy reference, mpmath definition, analysis facts,
differentiability, default cost, printing, and its names in NumPy / SciPy / SymPy / JAX /
PyTensor / FPCore). Every other module reads its facts about ops from here.

Modules: ``shapes`` (shape and dtype rules), ``values`` (array constants), ``spec``
(``OpSpec``, ``OpFacts``), ``mpdefs`` (exact definitions), ``refs`` (NumPy references),
``ops`` (the table), ``text`` (printing), ``graph`` (``Node``, ``apply``, ``Graph``).
The package imports nothing from the rest of eqsat-tensor but ``errors``.
"""

from __future__ import annotations

from .graph import (
    Graph,
    Node,
    apply,
    constant_node,
    input_node,
    normalize_axis,
    topological_order,
)
from .ops import (
    ELEMENTWISE_BINARY,
    ELEMENTWISE_UNARY,
    OPS,
    REDUCTIONS,
    ops_named_in,
    ufunc_ops,
)
from .shapes import (
    DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
    Dim,
    Shape,
    broadcast_shapes,
    fmt_shape,
    promote,
    user_location,
)
from .spec import (
    GRADIENT_RULES,
    LIBRARIES,
    NO_FACTS,
    NOT_DIFFERENTIABLE,
    STRUCTURAL,
    OpFacts,
    OpSpec,
)
from .values import ArrayValue

__all__ = ["DTYPES", "ELEMENTWISE_BINARY", "ELEMENTWISE_UNARY", "FLOAT_DTYPES",
           "INT_DTYPES",
           "GRADIENT_RULES", "LIBRARIES", "NOT_DIFFERENTIABLE", "NO_FACTS", "OPS", "REDUCTIONS",
           "STRUCTURAL", "ArrayValue", "Dim", "Graph", "Node", "OpFacts", "OpSpec", "Shape",
           "apply", "broadcast_shapes", "constant_node", "fmt_shape", "input_node",
           "normalize_axis", "ops_named_in", "promote", "topological_order", "ufunc_ops",
           "user_location"]
