"""The operators, ``ndarray`` methods and NumPy protocols of ``Tensor``, installed on the
class by ``install`` (imported once by ``frontend/__init__``), like JAX installs its array
methods. Keeping them here lets ``functions`` build Tensors without an import cycle.

Every ``ndarray`` method with a traced function counterpart is routed through the same
handler as that function (``x.sum(axis=0)`` is ``np.sum(x, axis=0)``); every other
``ndarray`` method or attribute raises ``UnsupportedOperation`` naming it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from . import assign as A
from . import functions as F
from . import indexing as X
from . import masked
from . import ownership as O
from . import special as S
from .location import unsupported
from .numpy_dispatch import FUNCTIONS, dispatch_function, dispatch_ufunc
from .operands import unwrap_host
from .tensor import Tensor


def _weak_operand(v: Any) -> bool:
    return (isinstance(v, Tensor) and v.weak) or type(v) in (int, float, bool)


def _binary(fn: Callable, reflected: bool = False) -> Callable:
    """A Python operator: on two Python-float-like values (weak Tensors and Python
    scalars) the result stays weak, as Python arithmetic on floats gives a Python float."""

    def op(self: Tensor, other: Any) -> Any:
        out = fn(other, self) if reflected else fn(self, other)
        if self.weak and _weak_operand(other) and isinstance(out, Tensor) and (
                out.node.dtype != "bool"):
            return Tensor(out.node, weak=True)
        return out

    return op


def _weak_unary(fn: Callable) -> Callable:
    def op(self: Tensor) -> Tensor:
        out = fn(self)
        return Tensor(out.node, weak=True) if self.weak else out

    return op


def _refuse_operator(symbol: str, numpy_name: str) -> Callable:
    def method(self: Tensor, *other: Any) -> Any:
        raise unsupported(f"the {symbol} operator (np.{numpy_name})",
                          "it needs an op the IR does not have yet")

    return method


_OPERATORS: dict[str, Callable] = {
    "__add__": _binary(F.add), "__radd__": _binary(F.add, True),
    "__sub__": _binary(F.subtract), "__rsub__": _binary(F.subtract, True),
    "__mul__": _binary(F.multiply), "__rmul__": _binary(F.multiply, True),
    "__truediv__": _binary(F.divide), "__rtruediv__": _binary(F.divide, True),
    "__pow__": _binary(F.power), "__rpow__": _binary(F.power, True),
    "__matmul__": _binary(F.matmul), "__rmatmul__": _binary(F.matmul, True),
    "__lt__": _binary(F.less), "__le__": _binary(F.less_equal),
    "__gt__": _binary(F.greater), "__ge__": _binary(F.greater_equal),
    "__eq__": _binary(F.equal), "__ne__": _binary(F.not_equal),
    "__and__": _binary(F.bitwise_and), "__rand__": _binary(F.bitwise_and, True),
    "__or__": _binary(F.bitwise_or), "__ror__": _binary(F.bitwise_or, True),
    "__xor__": _binary(F.bitwise_xor), "__rxor__": _binary(F.bitwise_xor, True),
    "__invert__": lambda self: F.invert(self),
    "__neg__": _weak_unary(F.negative), "__pos__": lambda self: O.fresh(self),
    "__abs__": _weak_unary(F.abs),
    "__mod__": _binary(F.remainder), "__rmod__": _binary(F.remainder, True),
    "__floordiv__": _binary(F.floor_divide), "__rfloordiv__": _binary(F.floor_divide, True),
    "__divmod__": lambda self, other: (F.floor_divide(self, other), F.remainder(self, other)),
    "__rdivmod__": lambda self, other: (F.floor_divide(other, self), F.remainder(other, self)),
    "__lshift__": _refuse_operator("<<", "left_shift"),
    "__rshift__": _refuse_operator(">>", "right_shift"),
    "__round__": lambda self, ndigits=None: S.round_(self, 0 if ndigits is None else ndigits),
}


def _in_place(name: str) -> Callable:
    """``y op= other``: NumPy computes into ``y``'s memory, so an array the function owns
    changes in place (its views see it, ``frontend.assign``); an argument or a view gets
    the result as a new value under the same name (the caller's array is not changed)."""
    binary = _OPERATORS[name]

    def method(self: Tensor, other: Any) -> Any:
        out = binary(self, other)
        if not (self.owned and isinstance(out, Tensor)):
            return out
        if out.shape != self.shape:
            raise ValueError(f"non-broadcastable output operand with shape "
                             f"{self.shape} doesn't match the broadcast shape {out.shape}")
        A.setitem(self, Ellipsis, out)
        return self

    method.__name__ = name.replace("__", "__i", 1)
    return method


def _via(func: Any) -> Callable:
    """A method that is ``func(self, *args, **kwargs)`` through the function's handler."""
    handler = FUNCTIONS[func]
    return lambda self, *args, **kwargs: handler(self, *args, **kwargs)


def _shape_args(args: Sequence[Any]) -> Any:
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _reshape(self: Tensor, *shape: Any, order: str = "C", copy: Any = None) -> Tensor:
    if order != "C":
        raise unsupported(f"ndarray.reshape(order={order!r})", "only order='C' is traced")
    return F.reshape(self, _shape_args(shape))


def _transpose(self: Tensor, *axes: Any) -> Tensor:
    axes = _shape_args(axes)
    return F.transpose(self, axes or None)


def _astype(self: Tensor, dtype: Any, order: str = "K", casting: str = "unsafe",
            subok: bool = True, copy: bool = True) -> Tensor:
    return F.cast(self, dtype)


def _flatten(self: Tensor, order: str = "C") -> Tensor:
    if order != "C":
        raise unsupported(f"ndarray.flatten(order={order!r})", "only order='C' is traced")
    return F.ravel(self)


# ndarray methods and properties with a traced counterpart.
_METHODS: dict[str, Callable] = {
    "sum": _via(np.sum), "mean": _via(np.mean), "max": _via(np.max), "min": _via(np.min),
    "prod": _via(np.prod), "std": _via(np.std), "var": _via(np.var), "any": _via(np.any),
    "all": _via(np.all), "diagonal": _via(np.diagonal), "clip": _via(np.clip),
    "dot": _via(np.dot), "trace": _via(np.trace), "round": _via(np.round),
    "cumsum": _via(np.cumsum), "cumprod": _via(np.cumprod), "argmax": _via(np.argmax),
    "argmin": _via(np.argmin),
    "ravel": _via(np.ravel), "squeeze": _via(np.squeeze), "swapaxes": _via(np.swapaxes),
    "reshape": _reshape, "transpose": _transpose, "astype": _astype, "flatten": _flatten,
    "copy": lambda self, order="C": O.fresh(self), "conj": lambda self: O.fresh(self),
    "conjugate": lambda self: O.fresh(self),
    "__getitem__": lambda self, key: masked.getitem(self, key),
    # -- indexing and joins (index) --
    "take": lambda self, indices, axis=None, out=None, mode="raise": np.take(
        self, indices, axis=axis, out=out, mode=mode),
    "__iter__": lambda self: (X.index(self, i) for i in range(len(self))),
    # -- sorting, lookup and construction (breadth) --
    "argsort": _via(np.argsort), "repeat": _via(np.repeat),
    "searchsorted": lambda self, v, side="left", sorter=None: np.searchsorted(
        self, v, side=side, sorter=sorter),
}
_PROPERTIES: dict[str, Callable] = {
    "T": lambda self: F.transpose(self), "mT": lambda self: F.matrix_transpose(self),
    "real": lambda self: self, "imag": lambda self: F.zeros_like(self),
}

# ndarray members that stay unsupported, with the reason a user can act on.
_NEEDS_OP = "it needs an op the IR does not have yet"
_REFUSED: dict[str, str] = {
    **{m: _NEEDS_OP for m in ("argpartition", "partition", "choose", "compress",
                              "nonzero")},
    "sort": "x.sort() sorts in place, which cannot be traced; use np.sort(x)",
    **{m: "in-place changes cannot be traced" for m in ("fill", "put", "resize",
                                                        "setfield", "setflags", "byteswap")},
    **{m: "the value is not known while tracing" for m in (
        "item", "tolist", "tobytes", "tofile", "dump", "dumps", "data", "ctypes", "flat",
        "strides", "base", "flags", "view", "getfield", "to_device", "device")},
}


class UnsupportedAttribute(UnsupportedOperation, AttributeError):
    """An ``ndarray`` member a traced value lacks: ``UnsupportedOperation`` for the user,
    ``AttributeError`` for ``hasattr`` probes in library code."""


def _getattr(self: Tensor, name: str) -> Any:
    if name in _REFUSED:
        raise UnsupportedAttribute(str(unsupported(f"ndarray.{name}", _REFUSED[name])))
    if hasattr(np.ndarray, name) and not name.startswith("__"):
        raise UnsupportedAttribute(str(unsupported(f"ndarray.{name}")))
    raise AttributeError(f"'Tensor' object has no attribute {name!r}")


def _setitem(self: Tensor, key: Any, value: Any) -> None:
    A.setitem(self, key, value)


def _basic_key(key: Any) -> bool:
    """``key`` is basic indexing (a view in NumPy), not an index array (a copy)."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))
               for k in parts)


def _allocating(name: str, fn: Callable) -> Callable:
    """``fn`` whose Tensor results are owned arrays (``frontend.assign``), or views of
    ``self`` for the ndarray members that return views."""
    if name == "__iter__":
        return lambda self: (O.mark_view(X.index(self, i), self,
                                         lambda src, i=i: X.index(src, i))
                             for i in range(len(self)))
    if name == "__getitem__":
        def getitem(self: Any, key: Any) -> Any:
            key = unwrap_host(key)  # an index array made with np.zeros and assigned into
            out = fn(self, key)
            if _basic_key(key):
                return O.mark_view(out, self, lambda src: fn(src, key))
            return O.mark_owned(out, (self,))

        return getitem
    if name in O.VIEW_METHODS:
        def view(self: Any, *args: Any, **kwargs: Any) -> Any:
            return O.mark_view(fn(self, *args, **kwargs), self,
                               lambda src: fn(src, *args, **kwargs))

        view.__name__ = getattr(fn, "__name__", name)
        view.__doc__ = fn.__doc__
        return view

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return O.mark_owned(fn(self, *args, **kwargs), (self, *args))

    method.__name__ = getattr(fn, "__name__", name)
    method.__doc__ = fn.__doc__
    return method


def _array_ufunc(self: Tensor, ufunc: np.ufunc, method: str, *inputs: Any,
                 **kwargs: Any) -> Any:
    return dispatch_ufunc(ufunc, method, inputs, kwargs)


def _array_function(self: Tensor, func: Any, types: Any, args: Sequence[Any],
                    kwargs: dict) -> Any:
    return dispatch_function(func, tuple(args), kwargs)


def install(cls: type = Tensor) -> None:
    """Put the operators, ndarray methods and NumPy protocols on ``cls``."""
    for name, fn in {**_OPERATORS, **_METHODS}.items():
        setattr(cls, name, _allocating(name, fn))
    for name in ("__add__", "__sub__", "__mul__", "__truediv__", "__pow__", "__mod__",
                 "__floordiv__", "__and__", "__or__", "__xor__"):
        setattr(cls, name.replace("__", "__i", 1), _in_place(name))
    for name, fn in _PROPERTIES.items():
        setattr(cls, name, property(_allocating(name, fn)))
    cls.__getattr__ = _getattr
    cls.__setitem__ = _setitem
    cls.__array_ufunc__ = _array_ufunc
    cls.__array_function__ = _array_function
    cls.__hash__ = None


install()
