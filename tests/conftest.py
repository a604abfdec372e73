"""Shared pytest setup: hypothesis profiles.

Profiles, chosen by the environment variable ``HYPOTHESIS_PROFILE`` (default ``ci``):

* ``ci``: derandomized (the same examples on every run), modest example counts, no
  deadline (the CI machine is shared and slow), no example database.
* ``dev``: random examples, a few more of them, prints statistics on failure.
* ``nightly``: many examples, for long fuzzing runs.

Tests that need more or fewer examples than the profile say
``@settings(max_examples=examples(n))`` (``eqsat_tensor.testing.examples``), so the nightly
profile still multiplies them.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow,
                                                      HealthCheck.data_too_large]}

settings.register_profile("ci", derandomize=True, max_examples=60, database=None,
                          print_blob=True, **_COMMON)
settings.register_profile("dev", max_examples=100, **_COMMON)
settings.register_profile("nightly", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# et.optimize checks user rule files on first use (testing/check/quick.py); the suite's
# own deliberately odd rule fixtures would each pay for it: off here, on in the tests of
# that check (tests/test_check_rules.py)
os.environ.setdefault("EQSAT_TENSOR_CHECK_RULES", "0")
# the persistent optimized-graph cache would let one test see another run's result
os.environ.setdefault("EQSAT_TENSOR_GRAPH_CACHE", "0")
# nor parsed rule files (tests that check that cache turn it on in a private directory)
os.environ.setdefault("EQSAT_TENSOR_RULE_CACHE", "0")
# et.jit's tiered first calls (on by default) would let a test of the Numba backend see
# the NumPy reference's answer: off here unless asked for (EQSAT_TENSOR_TIERED=1 runs the
# suite on the default); tests/test_jit_tiered.py tests the default itself
os.environ.setdefault("EQSAT_TENSOR_TIERED", "0")

pytest_plugins = ["conftest_fuzz"]  # --fuzz-long (tests/conftest_fuzz.py, soundness)
