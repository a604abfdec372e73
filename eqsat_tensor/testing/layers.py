"""The layer contract of DESIGN.md, checked on the package's import statements.

Layers, lowest first; a module imports only from its own layer or below:

0. ``errors``, ``egglog_bindings``, ``cache_dirs`` (leaves)
1. ``ir``
2. ``rulelang``, ``cost`` (and ``calibration``, which measures it), ``mpeval``,
   ``sampling``, ``printing``, ``report``
3. ``egraph``
4. ``optimizer``, ``grad``, ``accuracy`` (and their modules)
5. front doors: ``frontend``, ``interop``, ``jit``, ``profile``, ``viz``, ``commands``,
   ``cli``, ``testing``, the package itself (``eqsat_tensor/__init__``)

``backends`` stand beside the layers: they import only ``errors``, ``ir`` and each other
(the execution plan lives in ``backends/plan.py``), never ``egraph`` or the optimizer;
any layer above ``ir`` may use them.

``module_imports`` reads every ``import`` with ``ast`` (also those inside functions, not
those under ``if TYPE_CHECKING:``), ``violations`` lists the imports that break the
contract and ``cycles`` the import cycles between modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

PACKAGE = "eqsat_tensor"

LAYERS: dict[str, int] = {
    "errors": 0, "progress": 0, "forksafe": 0, "egglog_bindings": 0, "cache_dirs": 0,
    "ir": 1,
    "rulelang": 2, "cost": 2, "calibration": 2, "mpeval": 2, "sampling": 2, "printing": 2,
    "report": 2,
    "egraph": 3,
    "optimizer": 4, "accuracy": 4,
    "frontend": 5, "interop": 5, "jit": 5, "profile": 5, "viz": 5, "commands": 5, "cli": 5,
    "testing": 5, "source_export": 5, "workloads": 5, "bench_runner": 5, "": 5,
    "jit_shapes": 5, "graph_cache": 4, "jit_tiered": 5,
    # sub-modules placed apart from their package: the soundness checker and the mpmath
    # oracle are clients of the rule language and the reference backend (the optimizer
    # runs the quick check on new rule files); et.grad's tracing API (grad/__init__, grad.api)
    # is a front door, reverse mode (grad.driver) is not
    "testing.oracle": 2, "testing.errbound": 2, "testing.check": 4, "grad": 5, "grad.driver": 4,
}
BACKENDS = "backends"
BACKEND_MAY_IMPORT = ("errors", "ir", "backends", "forksafe", "cache_dirs")  # leaves


def _top(module: str) -> str:
    """``eqsat_tensor.egraph.engine`` -> ``egraph``; the package itself -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _key(module: str) -> str:
    """The longest ``LAYERS`` key (or the top-level name) that ``module`` lives under:
    ``eqsat_tensor.testing.check.plan`` -> ``testing.check``."""
    parts = module.split(".")[1:]
    for n in range(len(parts), 1, -1):
        key = ".".join(parts[:n])
        if key in LAYERS:
            return key
    return parts[0] if parts else ""


def layer_of(module: str) -> int | None:
    """The layer of a package module (None for backends and unknown top-level names)."""
    return LAYERS.get(_key(module))


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = [PACKAGE, *rel.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING")


def imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Package modules imported by ``source`` (module ``module``), anywhere in the file."""
    out: set[str] = set()
    base = module.split(".") if is_package else module.split(".")[:-1]
    todo: list[ast.AST] = [ast.parse(source)]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            todo.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == PACKAGE}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                prefix = base[:len(base) - node.level + 1]
                target = ".".join(prefix + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == PACKAGE:
                # ``from . import finite`` imports the submodule ``finite``; the package's
                # ``__init__`` runs for any of its submodules anyway, so it is no edge then
                if node.module:
                    out.add(target)
                out |= {f"{target}.{a.name}" for a in node.names if a.name != "*"}
        todo.extend(ast.iter_child_nodes(node))
    return out


def module_imports(root: str | Path | None = None) -> dict[str, set[str]]:
    """``{module: package modules it imports}`` for every ``.py`` file of the package."""
    root = Path(root) if root is not None else Path(__file__).resolve().parent.parent
    out: dict[str, set[str]] = {}
    files = [(p, _module_name(p, root)) for p in sorted(root.rglob("*.py"))]
    backends = root / BACKENDS  # a symlink in a checkout: rglob does not enter it
    if backends.is_symlink():
        files += [(p, _module_name(backends / p.name, root))
                  for p in sorted(backends.resolve().glob("*.py"))]
    for path, name in files:
        if "__pycache__" not in path.parts:
            out[name] = imports_of(path.read_text(), name, path.name == "__init__.py")
    return out


def _known(module: str, modules: Iterable[str]) -> str | None:
    """The longest known module that ``module`` names (an imported name may be a class)."""
    mods = set(modules)
    parts = module.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in mods:
            return cand
        parts.pop()
    return None


def violations(imports: Mapping[str, Iterable[str]]) -> list[str]:
    """Imports that break the layer contract, as ``importer -> imported: why``."""
    out = []
    mods = set(imports)
    for mod, targets in sorted(imports.items()):
        src_top = _key(mod)
        for target in sorted({_known(t, mods) or t for t in targets}):
            dst_top = _key(target)
            if dst_top == src_top:
                continue
            if src_top == BACKENDS:
                if dst_top not in BACKEND_MAY_IMPORT:
                    out.append(f"{mod} -> {target}: backends import only ir and the plan")
                continue
            src, dst = LAYERS.get(src_top), LAYERS.get(dst_top)
            if dst_top == BACKENDS:
                if src is not None and src < 2:
                    out.append(f"{mod} -> {target}: layer {src} may not use the backends")
                continue
            if src is None or dst is None:
                out.append(f"{mod} -> {target}: module not placed in a layer (LAYERS)")
            elif dst > src:
                out.append(f"{mod} -> {target}: layer {src} ({src_top or PACKAGE}) imports "
                           f"layer {dst} ({dst_top or PACKAGE})")
    return out


def cycles(imports: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Import cycles between modules (strongly connected components of two or more).
    A module importing its own package (``from . import x`` inside the package) is not an
    edge: the package's ``__init__`` runs first anyway; a package re-exporting a submodule
    is one."""
    mods = set(imports)
    graph: dict[str, set[str]] = {}
    for mod, targets in imports.items():
        edges = {_known(t, mods) for t in targets} - {None, mod}
        graph[mod] = {t for t in edges if not mod.startswith(t + ".")}  # type: ignore[union-attr]
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out
