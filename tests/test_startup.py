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


def test_mpmath_zero_and_nan_constants_match_mpmath():
    from mpmath import libmp, mpf

    from eqsat_tensor.ir import mpdefs

    assert mpdefs.fzero == libmp.fzero and mpdefs.fnan == libmp.fnan
    assert mpdefs.isnan(mpf("nan")) and not mpdefs.isnan(mpf(0))


def test_import_leaves_the_optimizer_and_the_compilers_for_later():
    code = ("import sys, eqsat_tensor as et\n"
            "x = et.tensor('x', (3,)); y = et.exp(x) + 1\n"
            "print(sorted(m for m in ('egglog', 'numba', 'llvmlite', 'jax', 'pytensor', 'mpmath')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"


def test_a_cold_optimization_loads_egglogs_bindings_only_and_egglog_still_imports():
    code = ("import sys, eqsat_tensor as et\n"
            "x = et.tensor('x', (3,))\n"
            "print(et.optimize(et.log(1 + et.exp(x))).graph)\n"
            "print(sorted(m for m in ('egglog', 'egglog.bindings', 'black', 'cloudpickle')"
            " if m in sys.modules))\n"
            "import egglog\n"  # a user's own egglog code afterwards: the same extension
            "from egglog import EGraph, Expr, i64Like, rewrite\n"
            "print(egglog.bindings is sys.modules['egglog.bindings'])\n"
            "class Num(Expr):\n"
            "    def __init__(self, v: i64Like) -> None: ...\n"
            "    def __add__(self, o: 'Num') -> 'Num': ...\n"
            "e = EGraph(); a = e.let('a', Num(1) + Num(2))\n"
            "e.register(rewrite(Num(1) + Num(2)).to(Num(3))); e.run(1); e.check(a == Num(3))\n"
            "print(et.optimize(et.exp(x) / (1 + et.exp(x))).graph)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=True).stdout.split("\n")
    assert out[:4] == ["softplus(x)", "['egglog.bindings']", "True", "sigmoid(x)"]
