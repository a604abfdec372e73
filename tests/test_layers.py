"""The layer contract of DESIGN.md holds: lower layers never import higher ones (imports
inside functions count), backends import only ir and the plan, and no import cycles."""

from __future__ import annotations

from eqsat_tensor.testing import layers

# Known breaches, from the last merges of stop 15: fix the import, then delete the line.
KNOWN_VIOLATIONS: set[str] = {
    "eqsat_tensor.accuracy.series -> eqsat_tensor.interop.sympy_io: layer 4 (accuracy) "
    "imports layer 5 (interop)",
    "eqsat_tensor.graph_cache -> eqsat_tensor: layer 4 (graph_cache) imports layer 5 "
    "(eqsat_tensor)",
}
KNOWN_CYCLES: list[list[str]] = []


def test_package_keeps_its_layers():
    imports = layers.module_imports()
    assert "eqsat_tensor.ir.ops" in imports and "eqsat_tensor.backends.numba_lower" in imports
    found = set(layers.violations(imports))
    assert found <= KNOWN_VIOLATIONS, sorted(found - KNOWN_VIOLATIONS)


def test_no_new_import_cycles():
    found = layers.cycles(layers.module_imports())
    assert all(c in KNOWN_CYCLES for c in found), found


def test_ir_and_printing_do_not_import_each_other():
    imports = layers.module_imports()
    ir = {m: t for m, t in imports.items() if m.startswith("eqsat_tensor.ir")}
    assert not any(t.startswith("eqsat_tensor.printing") for ts in ir.values() for t in ts)
    for mod, targets in ir.items():  # the IR imports nothing above it
        assert all(t.startswith(("eqsat_tensor.ir", "eqsat_tensor.errors")) for t in targets), mod


def _synthetic(**extra: str) -> dict[str, set[str]]:
    """A module map parsed from source text, as ``module_imports`` builds it."""
    sources = {"eqsat_tensor.ir.graph": "from ..errors import ShapeError\n",
               "eqsat_tensor.egraph.engine": "from ..ir import OPS\n",
               "eqsat_tensor.optimizer": "from .egraph import engine\n",
               "eqsat_tensor.backends.numba_cpu": "from ..ir import Graph\nfrom .plan import P\n",
               **extra}
    return {m: layers.imports_of(src, m) for m, src in sources.items()}


def test_checker_passes_a_clean_map_and_fails_a_forbidden_import():
    assert layers.violations(_synthetic()) == []
    # a lower layer importing a higher one, inside a function
    bad = _synthetic(**{"eqsat_tensor.ir.graph": "def f():\n    from ..optimizer import optimize\n"})
    assert layers.violations(bad) == [
        "eqsat_tensor.ir.graph -> eqsat_tensor.optimizer: layer 1 (ir) imports layer 4 "
        "(optimizer)"]
    # a backend importing the e-graph
    bad = _synthetic(**{"eqsat_tensor.backends.numba_cpu": "import eqsat_tensor.egraph.engine\n"})
    assert layers.violations(bad) == [
        "eqsat_tensor.backends.numba_cpu -> eqsat_tensor.egraph.engine: backends import only ir "
        "and the plan"]
    # TYPE_CHECKING imports are not run, so they do not count
    ok = _synthetic(**{"eqsat_tensor.ir.graph": "from typing import TYPE_CHECKING\n"
                       "if TYPE_CHECKING:\n    from ..optimizer import Result\n"})
    assert layers.violations(ok) == []


def test_checker_finds_cycles():
    mods = _synthetic(**{"eqsat_tensor.egraph.engine": "from ..optimizer import x\n"})
    assert layers.cycles(mods) == [["eqsat_tensor.egraph.engine", "eqsat_tensor.optimizer"]]
    assert layers.cycles(_synthetic()) == []
    # through a package that re-exports its submodule: ir -> ir.graph -> optimizer -> ir
    mods = {"eqsat_tensor.ir": layers.imports_of("from .graph import Graph\n", "eqsat_tensor.ir",
                                                 is_package=True),
            "eqsat_tensor.ir.graph": layers.imports_of("def f():\n    from ..optimizer import o\n",
                                                       "eqsat_tensor.ir.graph"),
            "eqsat_tensor.optimizer": layers.imports_of("from .ir import OPS\n",
                                                        "eqsat_tensor.optimizer")}
    assert layers.cycles(mods) == [["eqsat_tensor.ir", "eqsat_tensor.ir.graph",
                                    "eqsat_tensor.optimizer"]]
