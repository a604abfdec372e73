"""Testing helpers for eqsat-tensor users and developers.

``eqsat_tensor.testing.strategies`` holds the hypothesis strategies (values, shapes,
arrays, random well-typed graphs as ``Program``s). ``check_rules`` (rule soundness by
property testing) lives in ``eqsat_tensor.testing.check`` and is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"check_rules": ".check"}

__all__ = ["check_rules", "strategies"]


def __getattr__(name: str) -> Any:
    if name == "strategies":
        return importlib.import_module(".strategies", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
