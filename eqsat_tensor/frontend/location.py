"""Where in the user's code a traced call happened, and which library function it called.

Errors raised while tracing name the user's ``file:line`` and the NumPy / SciPy function
as the user wrote it (``scipy.special.erf``, ``np.linalg.norm``), never a frame inside
eqsat-tensor, NumPy or SciPy. This module imports nothing from the rest of the package.
"""

from __future__ import annotations

import os
import sys
from types import FrameType, ModuleType
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _library_dirs() -> tuple[str, ...]:
    dirs = [_PACKAGE_DIR, os.path.dirname(os.path.abspath(np.__file__))]
    for name in ("scipy", "array_api_compat", "array_api_extra"):
        mod = sys.modules.get(name)
        if mod is not None and getattr(mod, "__file__", None):
            dirs.append(os.path.dirname(os.path.abspath(mod.__file__)))
    return tuple(dirs)


def _is_library(frame: FrameType, dirs: tuple[str, ...]) -> bool:
    fname = frame.f_code.co_filename
    if fname.startswith("<frozen") or "importlib" in fname:
        return True
    return os.path.abspath(fname).startswith(dirs)


def user_frame() -> tuple[FrameType | None, FrameType | None]:
    """The innermost frame of user code and the library frame it called (or None)."""
    dirs = _library_dirs()
    frame: FrameType | None = sys._getframe(1)
    callee: FrameType | None = None
    while frame is not None and _is_library(frame, dirs):
        callee = frame
        frame = frame.f_back
    return frame, callee


def user_location() -> str:
    """``file:line`` of the innermost stack frame outside eqsat-tensor, NumPy and SciPy."""
    frame, _ = user_frame()
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def public_name(obj: Any) -> str:
    """How a user spells a NumPy / SciPy callable: ``np.sum``, ``np.linalg.norm``,
    ``scipy.special.erf`` (ufuncs are found by identity in ``scipy.special``)."""
    name = getattr(obj, "__name__", None) or repr(obj)
    if isinstance(obj, np.ufunc):
        if getattr(np, name, None) is obj:
            return f"np.{name}"
        special = sys.modules.get("scipy.special")
        if special is not None and getattr(special, name, None) is obj:
            return f"scipy.special.{name}"
        return f"ufunc {name}"
    module = getattr(obj, "__module__", None) or "numpy"
    return _public_module_name(module, name)


def _public_module_name(module: str, name: str) -> str:
    if module == "numpy" or module.startswith(("numpy._core", "numpy.core", "numpy.lib")):
        return f"np.{name}"
    if module.startswith("numpy."):
        sub = module[len("numpy."):].split(".")
        public = [p for p in sub if not p.startswith("_")]
        return "np." + ".".join(public + [name])
    if module.startswith("scipy."):
        parts = [p for p in module.split(".") if not p.startswith("_")]
        return ".".join(parts + [name])
    return f"{module}.{name}"


def called_library_function() -> str | None:
    """The public name of the library function the user's code called (the outermost
    NumPy / SciPy frame below the user frame), or None when the user called us directly."""
    _, callee = user_frame()
    if callee is None:
        return None
    code = callee.f_code
    if os.path.abspath(code.co_filename).startswith(_PACKAGE_DIR):
        return None
    module_name = callee.f_globals.get("__name__", "")
    owner = callee.f_locals.get("self", None)  # a method: name it by its public instance
    for public in _public_modules(module_name):
        for attr in dir(public):
            obj = getattr(public, attr, None)
            if owner is not None and obj is owner:
                return _public_module_name(public.__name__, f"{attr}.{code.co_name}")
            fn = getattr(obj, "__wrapped__", obj)
            if getattr(fn, "__code__", None) is code:
                return _public_module_name(public.__name__, attr)
    return _public_module_name(module_name, getattr(code, "co_qualname", code.co_name))


def _public_modules(module_name: str) -> list[ModuleType]:
    """``scipy.special._logsumexp`` -> [scipy.special, scipy]: the public packages above."""
    parts = module_name.split(".")
    out = []
    for i in range(len(parts), 0, -1):
        mod = sys.modules.get(".".join(parts[:i]))
        if mod is not None and not parts[i - 1].startswith("_"):
            out.append(mod)
    return out


def unsupported(what: str, why: str = "") -> UnsupportedOperation:
    """The error for a NumPy / SciPy feature the tracer cannot express: names ``what`` as
    the user wrote it and the user's ``file:line``; when the failing call came from inside a
    SciPy (or other library) function, names that function, the one the user called."""
    reason = f": {why}" if why else ""
    lib = called_library_function()
    if lib is not None and not lib.startswith("np.") and lib != what:
        return UnsupportedOperation(
            f"{lib} is not supported by the eqsat-tensor tracer (it calls {what}{reason}) "
            f"(at {user_location()})")
    return UnsupportedOperation(f"{what} is not supported by the eqsat-tensor tracer{reason} "
                                f"(at {user_location()})")
