"""Completeness of the ops table: which facts each op lacks, in words naming op and fact.

``missing_facts(spec)`` lists what one ``OpSpec`` does not state (or states against the
other tables of the package): a NumPy reference, an mpmath definition, a Numba lowering,
a CUDA lowering, analysis facts (or an explicit ``NO_FACTS``), a cost, a VJP rule in
``rules/gradients.rules`` (or an explicit ``NOT_DIFFERENTIABLE``), and each interop name
(or an explicit None, "not in that library"). ``tests/test_op_table.py`` runs it on every
op; a new op that forgets one fact fails there with a message naming both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources

from ..ir import GRADIENT_RULES, LIBRARIES, NOT_DIFFERENTIABLE, OPS, OpSpec

_VJP = re.compile(r"^\s*vjp\s+([A-Za-z_][A-Za-z_0-9]*)\s*\(", re.M)
_HELPER = re.compile(r"\b([a-z_0-9]+)_\{dt\}")


@cache
def vjp_ops() -> frozenset[str]:
    """Ops with a ``vjp`` rule in the shipped ``gradients.rules``."""
    text = resources.files("eqsat_tensor.rules").joinpath(GRADIENT_RULES).read_text()
    return frozenset(_VJP.findall(text))


@cache
def _backend_tables() -> dict[str, object]:
    from ..backends import cuda_helpers, numba_codegen, numba_lower
    from ..backends.cuda_codegen import CUDA_LOWERING

    return {"numba": numba_lower.LOWERING, "cuda": CUDA_LOWERING,
            "numba_helpers": set(numba_lower.HELPER_NAMES),
            "cuda_helpers": set(cuda_helpers.HELPER_NAMES),
            # reductions the code generators accumulate (logsumexp has its own two passes)
            "reductions": set(numba_codegen._INIT) | {"logsumexp"}}


def _lowering_problems(spec: OpSpec, tables: Mapping[str, object]) -> list[str]:
    op = spec.name
    if spec.kind == "reduction":
        ok = op in tables["reductions"]  # type: ignore[operator]
        return [] if ok else [f"op {op!r}: no Numba/CUDA reduction lowering (the code "
                              "generators' accumulator table numba_codegen._INIT)"]
    if spec.kind != "elementwise" or op == "cast":  # planned by kind; cast by its dtype
        return []
    out = []
    for backend, module in (("numba", "backends/numba_lower.LOWERING"),
                            ("cuda", "backends/cuda_codegen.CUDA_LOWERING")):
        template = tables[backend].get(op)  # type: ignore[attr-defined]
        if template is None:
            label = {"numba": "Numba", "cuda": "CUDA"}[backend]
            out.append(f"op {op!r}: no {label} lowering (add it to {module})")
            continue
        helpers = tables[f"{backend}_helpers"]
        for h in _HELPER.findall(template):
            if h not in helpers:  # type: ignore[operator]
                out.append(f"op {op!r}: {backend} lowering {template!r} calls helper {h!r} "
                           f"that backends/{backend}_helpers does not define")
        if backend == "cuda" and "np." in template:
            out.append(f"op {op!r}: CUDA lowering {template!r} calls NumPy, which CUDA "
                       "kernels cannot")
    return out


def missing_facts(spec: OpSpec, tables: Mapping[str, object] | None = None) -> list[str]:
    """One message per fact ``spec`` lacks, each naming the op and the fact."""
    op = spec.name
    out: list[str] = []
    if spec.reference is None and spec.kind != "leaf":
        out.append(f"op {op!r}: no NumPy reference (OpSpec.reference)")
    if spec.mpmath is None:
        out.append(f"op {op!r}: no mpmath definition (OpSpec.mpmath; STRUCTURAL for ops "
                   "that only move data)")
    out += _lowering_problems(spec, tables or _backend_tables())
    if spec.facts is None:
        out.append(f"op {op!r}: no interval/sign/finiteness facts (OpSpec.facts; NO_FACTS "
                   "to say there are none)")
    if spec.ns is None:
        out.append(f"op {op!r}: no cost (OpSpec.ns, calibrated ns per element)")
    if spec.grad == GRADIENT_RULES:
        if op not in vjp_ops():
            out.append(f"op {op!r}: differentiable but no VJP rule in rules/{GRADIENT_RULES}")
    elif spec.grad == NOT_DIFFERENTIABLE:
        if op in vjp_ops():
            out.append(f"op {op!r}: marked not differentiable but has a VJP rule in "
                       f"rules/{GRADIENT_RULES}")
    else:
        out.append(f"op {op!r}: no VJP rule or explicit 'not differentiable' (OpSpec.grad)")
    unknown = [p for p in spec.shared_form if p not in OPS]
    if unknown:
        out.append(f"op {op!r}: shared form names ops not in the table: {unknown} "
                   "(OpSpec.shared_form)")
    for lib in LIBRARIES:
        if lib not in spec.names:
            out.append(f"op {op!r}: no {lib} name (OpSpec.names[{lib!r}]; None for 'not in "
                       "that library')")
    return out


def table_problems(ops: Mapping[str, OpSpec] | None = None) -> list[str]:
    """``missing_facts`` of every op of ``ops`` (default: the ops table)."""
    return [m for spec in (ops or OPS).values() for m in missing_facts(spec)]
