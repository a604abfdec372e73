"""Trace library functions written in Python by rebinding them, found by identity.

``scipy.special.logsumexp`` is a Python function: called on a ``Tensor`` it runs SciPy's own
array-API code, which converts its argument to a NumPy array and fails. NumPy's protocols
cannot intercept such a call, so the tracing entry calls ``rebind(fn)`` instead of ``fn``: a
copy of the user's function whose global names, closure cells and module attributes
(``scipy.special.logsumexp``, ``sp.special.softmax``, ``from scipy.special import
log_softmax``) that hold a function of ``numpy_dispatch.SCIPY_FUNCTIONS`` point at its traced
stand-in. User helper functions it calls are rebound the same way. Nothing is patched in
place: the user's function, its module and SciPy stay untouched.
"""

from __future__ import annotations

import dis
import os
import types
from collections.abc import Callable
from typing import Any

from .host import STANDINS
from .location import _library_dirs
from .numpy_dispatch import traced_replacement

_MISSING = object()
_PROXIED_MODULES = ("numpy", "scipy", "scipy.special")


class _ModuleProxy(types.ModuleType):
    """A module whose known functions read as their traced stand-ins."""

    def __init__(self, module: types.ModuleType, state: _State) -> None:
        super().__init__(module.__name__, module.__doc__)
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_state", state)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        replaced = self._state.replacement(value)
        return value if replaced is None else replaced


class _State:
    """One rebinding: copied globals dicts and rebound functions, shared so that helpers
    and recursion see the same copies."""

    def __init__(self) -> None:
        self.functions: dict[int, Callable] = {}
        self.globals: dict[int, dict] = {}
        self.keep: list[Any] = []  # keeps ids above valid
        self.dirs = _library_dirs()

    def replacement(self, value: Any) -> Any:
        """The stand-in for ``value``, or None when it is to be used as it is."""
        traced = traced_replacement(value) or _array_maker(value)
        if traced is not None:
            return traced
        if isinstance(value, types.ModuleType) and value.__name__ in _PROXIED_MODULES:
            return _ModuleProxy(value, self)
        if isinstance(value, types.FunctionType) and self._is_user_code(value):
            rebound = self.function(value)
            return None if rebound is value else rebound
        return None

    def _is_user_code(self, fn: types.FunctionType) -> bool:
        return not os.path.abspath(fn.__code__.co_filename).startswith(self.dirs)

    def function(self, fn: types.FunctionType) -> Callable:
        done = self.functions.get(id(fn))
        if done is not None:
            return done
        if _writes_globals(fn.__code__):  # its writes must reach the real module: leave it
            self.functions[id(fn)] = fn
            return fn
        self.functions[id(fn)] = fn  # recursion: the original until proven otherwise
        self.keep.append(fn)
        swaps: dict[str, Any] = {}
        for name in _global_names(fn.__code__):
            value = fn.__globals__.get(name, _MISSING)
            if value is _MISSING:
                continue
            new = self.replacement(value)
            if new is not None:
                swaps[name] = new
        cells = fn.__closure__
        new_cells = None
        if cells:
            values = [_cell_value(c) for c in cells]
            replaced = [None if v is _MISSING else self.replacement(v) for v in values]
            if any(r is not None for r in replaced):
                new_cells = tuple(c if r is None else types.CellType(r)
                                  for c, r in zip(cells, replaced))
        if not swaps and new_cells is None:
            return fn
        g = fn.__globals__
        if swaps:
            g = self.globals.setdefault(id(fn.__globals__), dict(fn.__globals__))
            g.update(swaps)
        new = types.FunctionType(fn.__code__, g, fn.__name__, fn.__defaults__,
                                 new_cells if new_cells is not None else cells)
        new.__kwdefaults__ = fn.__kwdefaults__
        new.__dict__.update(fn.__dict__)
        new.__qualname__ = fn.__qualname__
        self.functions[id(fn)] = new
        return new


def _array_maker(value: Any) -> Callable | None:
    """The tracing stand-in of ``np.zeros``, ``np.ones``, ... (``frontend.host``), or None."""
    try:
        return STANDINS.get(value)
    except TypeError:  # unhashable
        return None


def _cell_value(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _MISSING


def _writes_globals(code: types.CodeType) -> bool:
    if any(i.opname in ("STORE_GLOBAL", "DELETE_GLOBAL") for i in dis.get_instructions(code)):
        return True
    return any(_writes_globals(c) for c in code.co_consts if isinstance(c, types.CodeType))


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def rebind(fn: Callable) -> Callable:
    """``fn``, or a copy of it that calls the traced stand-ins of known library functions."""
    if isinstance(fn, types.MethodType) and isinstance(fn.__func__, types.FunctionType):
        return types.MethodType(_State().function(fn.__func__), fn.__self__)
    if not isinstance(fn, types.FunctionType):
        return fn
    return _State().function(fn)
