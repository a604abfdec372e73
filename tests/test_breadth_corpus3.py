"""The fourth breadth corpus (tests/breadth_corpus3.py: 137 ordinary scientific NumPy /
SciPy functions written as outside probes) through et.jit: NumPy's answer on random, edge
(NaN, +-inf, +-0) and empty inputs on the NumPy backend (all), in float32 (every fourth),
and on the Numba backend (every tenth; all under -m slow); the one it refuses names the
user's line."""

from __future__ import annotations

import numpy as np
import pytest
from breadth_corpus import outcome
from breadth_corpus3 import CORPUS, REFUSED

TRACED = [f for f in CORPUS if f.__name__ not in REFUSED]
IDS = [f.__name__ for f in TRACED]


@pytest.mark.parametrize("fn", TRACED, ids=IDS)
def test_numpy_backend_matches_numpy(fn):
    assert outcome(fn, "numpy") == "pass"


F32 = [f for f in TRACED if f.f32][::4]


@pytest.mark.parametrize("fn", F32, ids=[f.__name__ for f in F32])
def test_float32_inputs_match_numpy(fn):
    assert outcome(fn, "numpy", np.float32) == "pass"


SAMPLE = TRACED[::10]


@pytest.mark.parametrize("fn", SAMPLE, ids=[f.__name__ for f in SAMPLE])
def test_numba_backend_sample(fn):
    assert outcome(fn, "numba") == "pass"


@pytest.mark.slow
@pytest.mark.parametrize("fn", TRACED, ids=IDS)
def test_numba_backend_all(fn):
    assert outcome(fn, "numba") == "pass"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_name_the_users_line(name):
    fn = next(f for f in CORPUS if f.__name__ == name)
    assert outcome(fn, "numpy") == "refused"
