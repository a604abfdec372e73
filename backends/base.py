"""What every backend shares: argument binding and checking, and the ``Executable`` base.

Binding maps positional and keyword arguments onto ``graph.inputs``, converts them to
arrays of the declared dtype, checks ranks and concrete dims, and resolves symbolic dims
(``n``) consistently across inputs. Errors name the input, the expected and the given
shape or dtype.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import DTypeError, ShapeError
from ..ir import Dim, Graph, Node, fmt_shape
from .int_scans import any_beyond

_EXACT_INT = 2**53  # the largest integer range float64 holds exactly


def bind_arguments(graph: Graph, args: Sequence[Any], kwargs: dict[str, Any]
                   ) -> tuple[list[Any], dict[str, int]]:
    """Arrays for ``graph.inputs`` (in order) and the values of the symbolic dims."""
    names = graph.input_names
    if len(args) > len(names):
        raise TypeError(f"got {len(args)} positional arguments, the graph takes {len(names)} "
                        f"({', '.join(names)})")
    values: dict[str, Any] = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"unexpected argument {k!r}; the graph's inputs are {list(names)}")
        if k in values:
            raise TypeError(f"argument {k!r} given twice")
        values[k] = v
    missing = [n for n in names if n not in values]
    if missing:
        raise TypeError(f"missing argument(s) {missing}; the graph's inputs are {list(names)}")
    dims: dict[str, int] = {}
    arrays = [check_input(node, values[node.name], dims) for node in graph.inputs]
    return arrays, dims


def check_exact_ints(name: str, arr: np.ndarray) -> None:
    """Integers are computed in float64: an int64 array holding values beyond +-2**53 would
    be rounded silently, so it is refused (``DTypeError`` naming the input)."""
    if arr.dtype.kind in "iu" and arr.dtype.itemsize == 8 and arr.size and \
            any_beyond(arr, _EXACT_INT):
        raise DTypeError(f"input {name!r} holds integers beyond +-2**53, which eqsat-tensor "
                         "cannot carry exactly (it computes integer values in float64); "
                         "pass them as float64 if rounding is acceptable")


def check_input(node: Node, value: Any, dims: dict[str, int]) -> Any:
    """Check one argument against its input node; returns it as an array of its dtype.

    Arrays that are not NumPy arrays but have a ``shape`` and ``dtype`` (device arrays,
    dask arrays) are checked and returned as they are."""
    # NumPy scalars (np.float64(1.0)) have .shape and .dtype but are not arrays: compiled
    # kernels index inputs, so they become 0-d arrays like Python scalars do
    if isinstance(value, np.ma.MaskedArray):
        raise DTypeError(f"input {node.name!r} is a masked array (numpy.ma); eqsat-tensor "
                         "does not apply masks: pass x.filled(value) or x.compressed()")
    foreign = (hasattr(value, "shape") and hasattr(value, "dtype")
               and not isinstance(value, np.generic))
    arr = value if foreign else np.asarray(value)
    if isinstance(arr, np.ndarray) and not arr.dtype.isnative:  # '>f8' on x86: swap once
        arr = arr.astype(arr.dtype.newbyteorder("="))
    kind = np.dtype(arr.dtype).kind
    if node.dtype == "bool":
        if kind != "b":
            raise DTypeError(f"input {node.name!r} expects bool, got {arr.dtype}")
    elif node.dtype in ("int32", "int64"):  # any integer that fits the declared width
        if kind not in "biu" or (kind in "iu" and not np.can_cast(arr.dtype, node.dtype)):
            raise DTypeError(f"input {node.name!r} expects {node.dtype}, got {arr.dtype}"
                             + (" (would lose range; cast it explicitly)" if kind in "iu"
                                else ""))
        if not foreign:
            check_exact_ints(node.name, arr)
    elif kind not in "biuf":
        raise DTypeError(f"input {node.name!r} expects {node.dtype}, got {arr.dtype}")
    elif kind == "f" and np.dtype(arr.dtype).name != node.dtype:
        if np.dtype(arr.dtype).itemsize > np.dtype(node.dtype).itemsize:
            raise DTypeError(f"input {node.name!r} expects {node.dtype}, got {arr.dtype} "
                             "(would lose precision; cast it explicitly)")
    if len(arr.shape) != len(node.shape):
        raise ShapeError(f"input {node.name!r} expects shape {fmt_shape(node.shape)}, got "
                         f"{fmt_shape(tuple(arr.shape))}")
    for want, got in zip(node.shape, arr.shape):
        if isinstance(want, str):
            if dims.setdefault(want, int(got)) != got:
                raise ShapeError(f"input {node.name!r}: dim {want!r} is {got} here but "
                                 f"{dims[want]} in an earlier input")
        elif want != got:
            raise ShapeError(f"input {node.name!r} expects shape {fmt_shape(node.shape)}, got "
                             f"{fmt_shape(tuple(arr.shape))}")
    if isinstance(arr, np.ndarray) and arr.dtype.name != node.dtype:
        arr = arr.astype(node.dtype)
    return arr


def infer_dims(graph: Graph, arrays: Sequence[Any]) -> dict[str, int]:
    """Values of the symbolic dims read off already-bound input arrays (no checks)."""
    dims: dict[str, int] = {}
    for node, a in zip(graph.inputs, arrays):
        for want, got in zip(node.shape, getattr(a, "shape", ())):
            if isinstance(want, str):
                dims.setdefault(want, int(got))
    return dims


def concrete_shape(shape: Sequence[Dim], dims: dict[str, int]) -> tuple[int, ...]:
    """``shape`` with symbolic dims replaced by their bound values."""
    return tuple(dims[d] if isinstance(d, str) else d for d in shape)


_BOOL = np.dtype(bool)


class Binder:
    """Argument binding of one graph, planned once.

    ``bind`` takes the fast path when every argument is given positionally as an
    ``ndarray`` of exactly the declared (native) dtype and, for concrete shapes, exactly
    the declared shape: then the arguments are the arrays, with no conversion and no
    per-call attribute lookups beyond ``dtype`` and ``shape``. Anything else goes
    through ``bind_arguments`` (conversions, keywords, symbolic dims, errors)."""

    __slots__ = ("graph", "count", "expect", "fast")

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.count = len(graph.inputs)
        self.expect = tuple((_BOOL if n.dtype == "bool" else np.dtype(n.dtype), tuple(n.shape))
                            for n in graph.inputs)
        self.fast = all(isinstance(d, int) for n in graph.inputs for d in n.shape)

    def bind(self, args: Sequence[Any], kwargs: dict[str, Any]
             ) -> tuple[list[Any], dict[str, int]]:
        """Arrays for ``graph.inputs`` (in order) and the values of the symbolic dims."""
        if self.fast and not kwargs and len(args) == self.count:
            ndarray = np.ndarray
            for a, (dtype, shape) in zip(args, self.expect):
                if type(a) is not ndarray or a.dtype is not dtype or a.shape != shape:
                    break
            else:
                return list(args), {}
        return bind_arguments(self.graph, args, kwargs)


class Executable:
    """A compiled graph. Call it with arrays positionally (``graph.inputs`` order) or by
    input name; returns one array, or a tuple for a multi-output graph."""

    backend = "abstract"

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._binder = Binder(graph)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        arrays, dims = self._binder.bind(args, kwargs)
        outs = self.run(arrays, dims)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def run(self, arrays: list[Any], dims: dict[str, int]) -> list[Any]:
        """Compute the outputs from already-bound input arrays (one per ``graph.inputs``)."""
        raise NotImplementedError

    def source(self) -> str:
        """Generated source code, for backends that generate code."""
        return f"# the {self.backend} backend does not generate source code"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.backend}: {self.graph!r}>"
