"""Pipeline fuzzing on the CUDA backend under the simulator (issue #7: "on every available
backend"): random graphs -> et.optimize -> the CUDA backend, compared with the original
graph on the reference backend (``compare_graphs``). Fewer graphs than on Numba: the
simulator runs each CUDA thread as a Python thread."""

from __future__ import annotations

import pytest
from fuzz_graphs import Case, mismatches_on_backend, random_case
from numba import config

import eqsat_tensor as et

if not config.ENABLE_CUDASIM:  # pragma: no cover - the runner sets it
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 (run through test_cuda_simulator.py)",
                allow_module_level=True)

N_GRAPHS = 100
BATCH = 25


def test_optimized_graphs_match_on_the_cuda_simulator():
    failures = []
    seeds = list(range(200_000, 200_000 + N_GRAPHS))
    for start in range(0, len(seeds), BATCH):
        cases = [random_case(s, prefix=f"g{s}_") for s in seeds[start:start + BATCH]]
        optimized = [Case(c.seed, et.optimize(c.graph).graph, c.arrays) for c in cases]
        failures += mismatches_on_backend(cases, optimized, "cuda")
    assert not failures, "\n".join(failures)
