"""egglog's Rust bindings (``egglog.bindings``) without egglog's Python layer.

eqsat-tensor talks to egglog only through ``egglog.bindings`` (the compiled extension), but
``from egglog import bindings`` first runs ``egglog/__init__.py``, which builds the
high-level Python DSL and imports ``black``, ``cloudpickle``, ``opentelemetry`` and more:
~0.19 s of CPU on every cold optimization, ~95 % of it for code we never call. Here the
extension is loaded on its own (~0.01 s). A later ``import egglog`` by anyone still works
and finds the same extension module: the package gets its ``bindings`` attribute before
its ``__init__`` runs. Anything unexpected (no extension file, an egglog that already ran)
falls back to the ordinary import.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

_NAME = "egglog.bindings"


class _GiveBindings(importlib.abc.MetaPathFinder):
    """Finds ``egglog`` as usual, and hands the package the loaded ``bindings`` before its
    ``__init__`` runs (a module already in ``sys.modules`` is not set as an attribute of
    its parent package by the import system)."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != "egglog":
            return None
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        spec = importlib.util.find_spec("egglog")
        if spec is None or spec.loader is None:
            return spec
        inner = spec.loader

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return inner.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                bindings = sys.modules.get(_NAME)
                if bindings is not None:
                    module.bindings = bindings
                inner.exec_module(module)

        spec.loader = _Loader()
        return spec


def _load() -> ModuleType:
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    if "egglog" not in sys.modules:
        try:
            package = importlib.util.find_spec("egglog")
            where = package.submodule_search_locations if package else None
            path = next((Path(d) / f"bindings{s}" for d in (where or ())
                         for s in importlib.machinery.EXTENSION_SUFFIXES
                         if (Path(d) / f"bindings{s}").is_file()), None)
            if path is not None:
                spec = importlib.util.spec_from_file_location(_NAME, path)
                if spec is not None and spec.loader is not None:
                    module = importlib.util.module_from_spec(spec)
                    sys.modules[_NAME] = module
                    try:
                        spec.loader.exec_module(module)
                    except BaseException:
                        sys.modules.pop(_NAME, None)
                        raise
                    sys.meta_path.insert(0, _GiveBindings())
                    return module
        except ImportError:
            pass
    from egglog import bindings as module  # the ordinary import

    return module


bindings = _load()

__all__ = ["bindings"]
