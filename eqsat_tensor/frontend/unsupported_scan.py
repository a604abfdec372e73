"""Everything unsupported at once: when tracing stops at the first NumPy / SciPy call the
tracer cannot express, the rest of the user's function is read (its source, not run) for
other calls that would stop it too, so one error lists them all with their lines.

The scan follows the traced values through the function's assignments (a name assigned
from an expression that mentions a parameter or another traced name is traced) and reports
a call of a NumPy / SciPy callable with a traced argument that no tracer table handles, and
a method of a traced value that the traced tensor lacks. It only reads; it never evaluates
user text.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np

from .location import public_name


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _targets(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Store)}


def _traced_names(tree: ast.AST, params: set[str]) -> set[str]:
    """Names whose value derives from a parameter (two passes, for loops)."""
    traced = set(params)
    for _ in range(2):
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and node.value:
                if _names(node.value) & traced:
                    for t in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                        traced |= _targets(t)
            elif isinstance(node, (ast.For, ast.comprehension)):
                if _names(node.iter) & traced:
                    traced |= _targets(node.target)
    return traced


def _resolve(expr: ast.AST, scope: dict[str, Any]) -> Any:
    """The object a dotted name (``np.linalg.eigh``) refers to in ``scope``, or None."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name) or expr.id not in scope:
        return None
    obj = scope[expr.id]
    for p in reversed(parts):
        try:
            obj = getattr(obj, p)
        except AttributeError:
            return None
    return obj


def _is_library(obj: Any) -> bool:
    if isinstance(obj, np.ufunc):
        return True
    module = getattr(obj, "__module__", None) or ""
    return callable(obj) and module.split(".")[0] in ("numpy", "scipy")


def _handled(obj: Any) -> bool:
    from . import numpy_dispatch as D

    try:
        if isinstance(obj, np.ufunc):
            return obj in D.UFUNCS or D._scipy_ufunc(obj) is not None
        return (obj in D.FUNCTIONS or D.traced_replacement(obj) is not None
                or obj in D.NUMPY_REBOUND)
    except TypeError:
        return True


def _ufunc_method_handled(ufunc: np.ufunc, method: str) -> bool:
    from . import numpy_dispatch as D

    if method == "reduce":
        return ufunc in D.UFUNC_REDUCE
    if method == "accumulate":
        return ufunc in D.ACCUMULATE
    if method == "outer":
        return _handled(ufunc) and ufunc.nin == 2
    return False


def unsupported_calls(fn: Callable) -> list[tuple[str, int]]:
    """``(what, line)`` for every call in ``fn``'s source that the tracer would refuse
    (best effort: an empty list when the source cannot be read)."""
    from .tensor import Tensor

    try:
        lines, start = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return []
    scope = dict(getattr(fn, "__globals__", {}))
    if getattr(fn, "__closure__", None):
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                scope[name] = cell.cell_contents
            except ValueError:
                pass
    params = set(inspect.signature(fn).parameters)
    traced = _traced_names(tree, params)
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        args = list(node.args) + [k.value for k in node.keywords]
        line = start + node.lineno - 1
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in traced and func.value.id not in scope:
            if hasattr(np.ndarray, func.attr) and not hasattr(Tensor, func.attr):
                found.append((f"ndarray.{func.attr}", line))
            continue
        if not any(_names(a) & traced for a in args):
            continue
        obj = _resolve(func, scope)
        if isinstance(func, ast.Attribute):
            base = _resolve(func.value, scope)
            if isinstance(base, np.ufunc):
                if not _ufunc_method_handled(base, func.attr):
                    found.append((f"{public_name(base)}.{func.attr}", line))
                continue
        if obj is not None and _is_library(obj) and not _handled(obj):
            found.append((public_name(obj), line))
    return sorted(set(found), key=lambda t: (t[1], t[0]))


def with_all_unsupported(fn: Callable, message: str) -> str:
    """``message`` (the first refusal) followed by the other calls of ``fn`` that the tracer
    would refuse, each with its ``file:line``; ``message`` unchanged when there are none."""
    try:
        calls = unsupported_calls(fn)
        path = inspect.getsourcefile(fn) or "<unknown>"
    except Exception:  # noqa: BLE001  (the scan only adds to an error: never replace it)
        return message
    others = [(w, n) for w, n in calls
              if not (f"{w} " in message and f":{n})" in message)]
    if not others:
        return message
    listed = "; ".join(f"{w} (at {path}:{n})" for w, n in others)
    return f"{message}\nalso not supported in {fn.__name__}: {listed}"
