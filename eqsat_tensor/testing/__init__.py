"""Testing helpers for eqsat-tensor users and developers.

``eqsat_tensor.testing.strategies`` holds the hypothesis strategies (values, shapes,
arrays, random well-typed graphs as ``Program``s). ``check_rules`` (rule soundness by
property testing) lives in ``eqsat_tensor.testing.check`` and is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {"check_rules": ".check"}

__all__ = ["check_rules", "examples", "strategies"]


def __getattr__(name: str) -> Any:
    if name == "strategies":
        return importlib.import_module(".strategies", __name__)
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def examples(n: int) -> int:
    """A test's ``max_examples``: ``n`` under the ``ci`` hypothesis profile, scaled up under
    ``dev`` (x1.5) and ``nightly`` (x30), as chosen by the env var ``HYPOTHESIS_PROFILE``."""
    import os

    scale = {"ci": 1.0, "dev": 1.5, "nightly": 30.0}
    return max(1, int(n * scale.get(os.environ.get("HYPOTHESIS_PROFILE", "ci"), 1.0)))
