"""The third breadth corpus (tests/breadth_corpus2.py: 86 ordinary scientific NumPy / SciPy
functions written unlike tests/breadth_corpus.py) through et.jit: NumPy's answer on random,
edge (NaN, +-inf, +-0) and empty inputs on the NumPy backend (all), in float32 (a sample)
and on the Numba backend (a sample; all under -m slow); gradients of the differentiable
ones against central finite differences; an unsupported function lists every refusal."""

from __future__ import annotations

import numpy as np
import pytest
from breadth_corpus import args_for, names_a_user_line, outcome
from breadth_corpus2 import CORPUS

import eqsat_tensor as et

NUMBA_SAMPLE = {"clip_by_array", "digitize_bins", "moving_average3", "inverse_small",
                "det_small", "erfinv_probit", "beta_log", "cumulative_max_gap",
                "column_argmin_values", "int_floor_mod", "sinc_sum", "cleaned_sum"}
IDS = [f.__name__ for f in CORPUS]


@pytest.mark.parametrize("fn", CORPUS, ids=IDS)
def test_numpy_backend_matches_numpy(fn):
    assert outcome(fn, "numpy") == "pass"


F32 = [f for f in CORPUS if f.f32][::3]


@pytest.mark.parametrize("fn", F32, ids=[f.__name__ for f in F32])
def test_float32_inputs_match_numpy(fn):
    assert outcome(fn, "numpy", np.float32) == "pass"


SAMPLE = [f for f in CORPUS if f.__name__ in NUMBA_SAMPLE]
REST = [f for f in CORPUS if f.__name__ not in NUMBA_SAMPLE]


@pytest.mark.parametrize("fn", SAMPLE, ids=[f.__name__ for f in SAMPLE])
def test_numba_backend_sample(fn):
    assert outcome(fn, "numba") == "pass"


@pytest.mark.slow
@pytest.mark.parametrize("fn", REST, ids=[f.__name__ for f in REST])
def test_numba_backend_whole_corpus(fn):
    assert outcome(fn, "numba") == "pass"


GRAD = [f for f in CORPUS if f.grad]


@pytest.mark.parametrize("fn", GRAD, ids=[f.__name__ for f in GRAD])
def test_gradient_matches_finite_differences(fn):
    args = args_for(fn, 5, seed=3)
    g = et.grad(fn, backend="numpy")(*args)
    x0 = args[0]
    assert g.shape == x0.shape
    eps = 1e-6
    for k in range(min(x0.size, 6)):
        up, down = x0.copy(), x0.copy()
        up.flat[k] += eps
        down.flat[k] -= eps
        fd = (fn(up, *args[1:]) - fn(down, *args[1:])) / (2 * eps)
        assert g.flat[k] == pytest.approx(fd, rel=1e-5, abs=1e-6), (fn.__name__, k)


def test_an_unsupported_function_lists_every_refusal_with_its_line():
    import scipy.special as sp

    def several(x, y):
        a = np.unique(x)
        b = sp.spence(y) + np.linalg.eigvalsh(np.outer(x, x)).sum()
        c = x.byteswap()
        d = np.frexp(y)[0] + np.linspace(0.0, 1.0, 3)  # a constant: traced fine
        return a.sum() + b + c + d

    with pytest.raises(et.UnsupportedError) as info:
        et.jit(several, backend="numpy")(np.ones(3), np.ones(3))
    message = str(info.value)
    for name in ("np.unique", "scipy.special.spence", "np.linalg.eigvalsh",
                 "ndarray.byteswap", "np.frexp"):
        assert name in message
    assert "linspace" not in message and "np.outer" not in message
    assert names_a_user_line(several, message)
    lines = [ln for ln in message.splitlines() if "also not supported" in ln]
    assert len(lines) == 1 and lines[0].count("(at ") == 4


def test_larger_matrices_are_refused_by_name():
    def inverse5(a):
        return np.linalg.inv(a)

    with pytest.raises(et.UnsupportedError, match="np.linalg.inv of a 5x5") as info:
        et.jit(inverse5, backend="numpy")(np.eye(5))
    assert names_a_user_line(inverse5, str(info.value))
