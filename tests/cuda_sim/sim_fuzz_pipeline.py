"""Pipeline fuzzing on the CUDA backend under the simulator (issue #7: "on every available
backend"): random graphs -> et.optimize -> the CUDA backend, compared with the original
graph on the reference backend (``compare_graphs``). Fewer graphs than on Numba: the
simulator runs each CUDA thread as a Python thread."""

from __future__ import annotations

import numpy as np
import pytest
from fuzz_graphs import Case, combine, random_case
from numba import config

import eqsat_tensor as et
from eqsat_tensor.testing.check import compare_graphs

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
        big, arrays, starts = combine(optimized)
        outs = et.compile(big, backend="cuda")(*arrays)
        outs = outs if isinstance(outs, tuple) else (outs,)
        for c, o, s in zip(cases, optimized, starts):
            values = [np.asarray(v) for v in outs[s:s + len(c.graph.outputs)]]
            msg = compare_graphs(c.graph, o.graph, c.arrays, values=values)
            if msg is not None:
                failures.append(f"seed {c.seed}: {msg}\n  optimized: {o.graph}")
    assert not failures, "\n".join(failures)
