"""The special functions (``erf``, ``erfc``, ``gammaln``, ``digamma``) on the CUDA backend under the simulator, against the reference backend
(run by ``tests/test_cuda_simulator.py`` with ``NUMBA_ENABLE_CUDASIM=1``)."""

from __future__ import annotations

import numpy as np
import pytest
from numba import config
from numba_graphs import assert_matches_reference

from eqsat_tensor.backends import cuda as cuda_backend
from eqsat_tensor.ir import Graph, apply, input_node

if not config.ENABLE_CUDASIM:  # pragma: no cover - the runner sets it
    pytest.skip("needs NUMBA_ENABLE_CUDASIM=1 (run through test_cuda_simulator.py)",
                allow_module_level=True)


# each case: the outputs of one graph over x, and the values of x to try
CASES = {
    "erf_erfc": (lambda x: [apply("erf", x), apply("erfc", apply("mul", x, x))],
                 [-30.0, -2.0, -0.5, 0.0, 1e-8, 0.3, 1.0, 6.0, np.nan]),
    "gammaln_digamma": (lambda x: [apply("gammaln", x), apply("digamma", x)],
                        [-30.5, -2.0, -0.5, 0.0, 1e-8, 1.4, 3.0, 40.0, np.nan]),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_special_functions(dtype, case):
    outputs, values = CASES[case]
    x = input_node("x", (9,), dtype)
    g = Graph(outputs(x), [x])
    assert_matches_reference(cuda_backend.compile(g), g, [np.array(values, dtype=dtype)])
