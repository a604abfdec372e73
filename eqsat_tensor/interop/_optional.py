"""Importing optional dependencies with an error that names the pip extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import EqsatError


class MissingDependency(EqsatError, ImportError):
    """An optional dependency (SymPy, JAX, PyTensor, graphviz) is not installed."""


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise ``MissingDependency`` naming the pip extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"{feature} needs the optional dependency '{module.split('.')[0]}': "
            f"pip install 'eqsat-tensor[{extra}]' ({exc})") from None
