"""Start-up work a new process skips: what ``import eqsat_tensor`` leaves unimported,
constants precomputed once and checked here against their definition."""

from __future__ import annotations

import subprocess
import sys


def test_digamma_series_constants_match_their_mpmath_definition():
    from eqsat_tensor.ir import refs

    hi, lo, coeffs = refs._digamma_series()
    assert (hi, lo) == (refs._X0_HI, refs._X0_LO)
    assert coeffs == refs.DIGAMMA_COEFFS


def test_import_leaves_the_optimizer_and_the_compilers_for_later():
    code = ("import sys, eqsat_tensor as et\n"
            "x = et.tensor('x', (3,)); y = et.exp(x) + 1\n"
            "print(sorted(m for m in ('egglog', 'numba', 'llvmlite', 'jax', 'pytensor')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"
