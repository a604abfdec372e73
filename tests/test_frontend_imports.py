"""The frontend modules import in one direction only: no cycle among them, counting imports
made inside functions (a lazy import is still a dependency)."""

from __future__ import annotations

import ast
import pathlib

import eqsat_tensor

FRONTEND = pathlib.Path(eqsat_tensor.__file__).parent / "frontend"


def _imports(path: pathlib.Path) -> set[str]:
    """Sibling frontend modules that ``path`` imports anywhere in its body."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "eqsat_tensor.frontend."):
            out.add(node.module.split(".")[2])
    return out


def test_frontend_modules_have_no_import_cycle():
    modules = {p.stem: p for p in FRONTEND.glob("*.py") if p.stem != "__init__"}
    graph = {m: _imports(p) & set(modules) for m, p in modules.items()}
    assert "functions" in graph["numpy_dispatch"]  # the walk sees real imports
    state: dict[str, int] = {}

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for dep in sorted(graph[m]):
            if state.get(dep) == 1:
                raise AssertionError(f"import cycle: {' -> '.join(path + [m, dep])}")
            if dep not in state:
                visit(dep, path + [m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
