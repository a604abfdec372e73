"""The breadth corpus (tests/breadth_corpus.py: 111 ordinary scientific NumPy / SciPy
functions) through et.jit: every function gives NumPy's answer on random, edge (NaN,
+-inf, +-0) and empty inputs, or is refused with UnsupportedOperation naming a line of the
function; never a wrong answer or a traceback from inside the tracer. The NumPy backend
runs the whole corpus; the Numba backend a sample (all of it under -m slow)."""

from __future__ import annotations

import numpy as np
import pytest
from breadth_corpus import CORPUS, outcome

# refused on purpose: the result's shape depends on the data
REFUSED = {"histogram_counts", "distinct_count"}
NUMBA_SAMPLE = {"softmax_xent", "median_abs_deviation", "nan_mean_std", "bucketize",
                "piecewise_linear", "kronecker", "cross_product", "pad_zeros", "ranks",
                "integer_arithmetic", "int32_sum", "batched_matmul", "masked_mean",
                "correlation", "cumprod_rows", "to_int32"}


def _expected(fn) -> str:
    return "refused" if fn.__name__ in REFUSED else "pass"


@pytest.mark.parametrize("fn", CORPUS, ids=[f.__name__ for f in CORPUS])
def test_numpy_backend_matches_numpy_or_refuses_clearly(fn):
    assert outcome(fn, "numpy") == _expected(fn)


@pytest.mark.parametrize("fn", [f for f in CORPUS if f.f32][::3],
                         ids=[f.__name__ for f in CORPUS if f.f32][::3])
def test_float32_inputs_match_numpy(fn):
    assert outcome(fn, "numpy", np.float32) == _expected(fn)


@pytest.mark.parametrize("fn", [f for f in CORPUS if f.__name__ in NUMBA_SAMPLE],
                         ids=[f.__name__ for f in CORPUS if f.__name__ in NUMBA_SAMPLE])
def test_numba_backend_sample(fn):
    assert outcome(fn, "numba") == _expected(fn)


@pytest.mark.slow
@pytest.mark.parametrize("fn", [f for f in CORPUS if f.__name__ not in NUMBA_SAMPLE],
                         ids=[f.__name__ for f in CORPUS if f.__name__ not in NUMBA_SAMPLE])
def test_numba_backend_whole_corpus(fn):
    assert outcome(fn, "numba") == _expected(fn)


def test_unsupported_functions_name_themselves_and_the_line():
    from breadth_corpus import distinct_count, names_a_user_line

    import eqsat_tensor as et

    with pytest.raises(et.UnsupportedError, match="np.unique") as info:
        et.jit(distinct_count, backend="numpy")(np.arange(4))
    assert names_a_user_line(distinct_count, str(info.value))
