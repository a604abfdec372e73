"""Arrays a traced function makes with ``np.zeros`` / ``np.ones`` / ``np.empty`` /
``np.full`` / ``np.eye`` / ``np.identity``, that later receive traced values.

``out = np.zeros((n, 2)); out[:, 0] = x`` is ordinary NumPy code, but ``np.zeros`` of a
shape never sees a traced value: it returns NumPy's array, and assigning a traced value into
that array asks the value for numbers it does not have. While tracing, the user's code calls
these functions through ``rebind`` and gets a ``HostArray``: NumPy's array in every respect
until a traced value is assigned into it (or used to index it). From then on the array
stands for a traced value (an owned ``Tensor``, ``frontend.assign``): indexing, methods,
ufuncs, NumPy functions and the function's result all read that value. A view of it taken
before that moment would keep the old numbers, so using one raises ``UnsupportedOperation``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir import INT_DTYPES, constant_node
from . import assign as A
from .location import unsupported
from .operands import host_value, unwrap_host
from .tensor import Tensor

# attributes a traced HostArray answers itself (everything else is read from its Tensor)
_OWN = frozenset({"_traced", "__class__", "__dict__", "__array_finalize__",
                  "__array_ufunc__", "__array_function__", "__setitem__", "__getitem__",
                  "__iter__", "__len__", "__repr__", "__str__", "base", "traced_value",
                  "_become_traced", "_eqsat_value"})


def _has_tensor(obj: Any) -> bool:
    if isinstance(obj, Tensor) or (isinstance(obj, HostArray) and obj.traced_value is not None):
        return True
    if isinstance(obj, (tuple, list)):
        return any(_has_tensor(o) for o in obj)
    from .masked import Masked

    return isinstance(obj, Masked)


def _stale(arr: HostArray) -> bool:
    """``arr`` is a view of a HostArray that has since become a traced value."""
    base = np.ndarray.__getattribute__(arr, "base")
    while isinstance(base, HostArray):
        if base.traced_value is not None:
            return True
        base = np.ndarray.__getattribute__(base, "base")
    return False


def _check_fresh(arr: HostArray) -> None:
    if _stale(arr):
        raise unsupported("a view of an array taken before a traced value was assigned into "
                          "the array", "NumPy's view would see the assignment; take the view "
                          "after it")


class HostArray(np.ndarray):
    """NumPy's array made inside a traced function; a traced value once one is assigned
    into it (see the module docstring)."""

    def __array_finalize__(self, obj: Any) -> None:
        self.__dict__["_traced"] = None

    def _eqsat_value(self) -> Tensor | None:
        """The protocol ``operands.host_value`` reads: the traced value, or None; a view
        taken before its array became traced is refused."""
        _check_fresh(self)
        return self.traced_value

    @property
    def traced_value(self) -> Tensor | None:
        """The Tensor this array stands for, or None while it holds NumPy's numbers."""
        return self.__dict__.get("_traced")

    def __getattribute__(self, name: str) -> Any:
        if name not in _OWN:
            traced = np.ndarray.__getattribute__(self, "__dict__").get("_traced")
            if traced is not None:
                return getattr(traced, name)
        return np.ndarray.__getattribute__(self, name)

    def _become_traced(self) -> Tensor:
        """The owned Tensor of this array's current numbers (made once)."""
        traced = self.traced_value
        if traced is not None:
            return traced
        _check_fresh(self)
        if isinstance(np.ndarray.__getattribute__(self, "base"), HostArray):
            raise unsupported("assigning a traced value into a view of an array made with "
                              "np.zeros / np.empty / ... (out[0][1] = v)", "write the whole "
                              "index at once (out[0, 1] = v)")
        values = np.asarray(self.view(np.ndarray))
        name = values.dtype.name
        if name in INT_DTYPES:
            traced = Tensor(constant_node(values.astype(np.float64), "float64"),
                            int_op=f"an array of dtype {name}", idt=name)
        elif name in ("float32", "float64", "bool"):
            traced = Tensor(constant_node(values, name))
        else:
            raise unsupported(f"assigning a traced value into an array of dtype {name}")
        traced.owned = True
        self.__dict__["_traced"] = traced
        return traced

    def __setitem__(self, key: Any, value: Any) -> None:
        _check_fresh(self)
        if self.traced_value is None and not _has_tensor(key) and not _has_tensor(value):
            np.ndarray.__setitem__(self, key, value)
            return
        A.setitem(self._become_traced(), key, value)  # setitem reads traced arrays itself

    def __getitem__(self, key: Any) -> Any:
        _check_fresh(self)
        if self.traced_value is None and not _has_tensor(key):
            return np.ndarray.__getitem__(self, key)
        return self._become_traced()[unwrap_host(key)]

    def __iter__(self) -> Any:
        _check_fresh(self)
        if self.traced_value is not None:
            return iter(self.traced_value)
        return np.ndarray.__iter__(self)

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any
                        ) -> Any:
        for i in inputs:
            if isinstance(i, HostArray):
                _check_fresh(i)
        if _has_tensor(inputs) or _has_tensor(tuple(kwargs.values())):
            if not any(isinstance(i, HostArray) and i.traced_value is not None
                       for i in inputs):
                return NotImplemented  # a Tensor operand: its own protocol traces the call
            return getattr(ufunc, method)(*unwrap_host(inputs), **kwargs)
        plain = tuple(i.view(np.ndarray) if isinstance(i, HostArray) else i for i in inputs)
        return getattr(ufunc, method)(*plain, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if _has_tensor(args) or _has_tensor(tuple(kwargs.values())):
            return func(*unwrap_host(args), **kwargs)
        return super().__array_function__(func, types, args, kwargs)


def _host_of(values: np.ndarray) -> HostArray:
    """A HostArray owning a copy of ``values``."""
    out = np.ndarray.__new__(HostArray, values.shape, values.dtype)
    np.ndarray.__setitem__(out, Ellipsis, values)
    return out


def _standin(original: Callable) -> Callable:
    def make(*args: Any, **kwargs: Any) -> Any:
        if original is np.full and _has_tensor(args[1:]) or _has_tensor(
                kwargs.get("fill_value")):  # np.full(shape, traced): filled by assignment
            fill = args[1] if len(args) > 1 else kwargs["fill_value"]
            dtype = args[2] if len(args) > 2 else kwargs.get("dtype")
            dtype = host_value(fill).dtype if dtype is None else dtype
            out = _host_of(np.zeros(args[0] if args else kwargs["shape"], dtype=dtype))
            out[...] = fill
            return out
        if _has_tensor(args) or _has_tensor(tuple(kwargs.values())):
            return original(*args, **kwargs)
        values = original(*args, **kwargs)
        if not isinstance(values, np.ndarray) or type(values) is not np.ndarray:
            return values
        return _host_of(values)

    make.__name__ = original.__name__
    make.__doc__ = (f"``np.{original.__name__}`` while tracing: NumPy's array, which becomes a "
                    "traced value once one is assigned into it (``frontend.host``).")
    return make


STANDINS: dict[Any, Callable] = {
    f: _standin(f) for f in (np.zeros, np.ones, np.empty, np.full, np.eye, np.identity)}


__all__ = ["STANDINS", "HostArray"]
