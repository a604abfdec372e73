"""PyMC models: logp and logp+gradient call time of ``compile_logp_dlogp`` (eqsat-tensor,
optimized, Numba backend) against PyTensor's C and NUMBA modes.

Models: ``tests/_pymc_models.py`` (eight schools, logistic regression, radon-like
hierarchical, Gaussian mixture, Poisson GLM, robust AR; ``--models`` may also name the
larger-data variants of ``LARGE``). PyTensor functions are compiled
with ``trust_input=True`` (C: ``FAST_RUN``, the C virtual machine with Python
fallbacks for ops without C code) and called with the value arrays already split (its best case);
eqsat-tensor is called the way samplers call it, with one flat vector. Times are the
best of ``--repeat`` rounds of ``--number`` calls, the six functions of a model
interleaved round by round, in microseconds per call. Prints a table
and writes JSON (``--json``). Usage: ``python benchmarks/bench_pymc.py [--models a,b]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import timeit
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))


def _time_all(fns: dict, number: int, repeat: int) -> dict:
    """Microseconds per call of each function: the best of ``repeat`` rounds of ``number``
    calls, the functions interleaved round by round (a busy machine slows all alike)."""
    best = {k: math.inf for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            best[k] = min(best[k], timeit.timeit(fn, number=number) / number * 1e6)
    return best


def bench_model(name: str, number: int, repeat: int) -> dict:
    """Per-call microseconds of logp and logp+grad for one model, each way."""
    import numpy as np
    import pytensor
    from _pymc_models import LARGE, MODELS
    from _pymc_models2 import HELD, MODELS2

    from eqsat_tensor.interop.pymc import compile_logp_dlogp

    model = (MODELS | LARGE | MODELS2 | HELD)[name]()
    row: dict = {"model": name}
    t0 = time.perf_counter()
    compiled = compile_logp_dlogp(model, backend="numba")
    compiled.logp_dlogp(compiled.initial_point(model))
    row["compile_s"] = time.perf_counter() - t0
    x = compiled.initial_point(model) + 0.1
    args, start = [], 0
    for shape in compiled.shapes:
        size = int(np.prod(shape))
        args.append(x[start:start + size].reshape(shape))
        start += size
    logp, dlogp = model.logp(), model.dlogp()
    fns = {}
    for mode, pt_mode in (("C", "FAST_RUN"), ("NUMBA", "NUMBA")):
        f_lp = pytensor.function(model.value_vars, logp, mode=pt_mode, trust_input=True)
        f_both = pytensor.function(model.value_vars, [logp, dlogp], mode=pt_mode,
                                   trust_input=True)
        ref = f_both(*args)
        f_lp(*args)
        fns[f"logp_{mode}"] = lambda f=f_lp: f(*args)
        fns[f"grad_{mode}"] = lambda f=f_both: f(*args)
    lp, g = compiled.logp_dlogp(x)
    row["max_rel_err"] = float(max(abs(lp - ref[0]) / abs(ref[0]),
                                   np.max(np.abs(g - ref[1])) / np.max(np.abs(ref[1]))))
    compiled.logp(x)
    fns["logp_et"] = lambda: compiled.logp(x)
    fns["grad_et"] = lambda: compiled.logp_dlogp(x)
    row.update(_time_all(fns, number, repeat))
    best_lp = min(row["logp_C"], row["logp_NUMBA"])
    best_g = min(row["grad_C"], row["grad_NUMBA"])
    row["ratio_logp"] = row["logp_et"] / best_lp
    row["ratio_grad"] = row["grad_et"] / best_g
    return row


def _row(r: dict) -> None:
    print(f"{r['model']:22s} {r['logp_C']:8.2f} {r['logp_NUMBA']:8.2f} {r['logp_et']:8.2f} "
          f"{r['ratio_logp']:6.2f} | {r['grad_C']:9.2f} {r['grad_NUMBA']:8.2f} "
          f"{r['grad_et']:8.2f} {r['ratio_grad']:6.2f} {r['max_rel_err']:11.1e} "
          f"{r['compile_s']:7.1f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    from _pymc_models import LARGE, MODELS
    from _pymc_models2 import HELD, MODELS2

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated; also " + ", ".join(LARGE) + " (larger data), "
                    + ", ".join(n for n in MODELS2 if n != "mvnormal_lkj") + ", "
                    + ", ".join(HELD) + " (tests/_pymc_models2.py); 'all': every model")
    ap.add_argument("--number", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--json", default=None)
    opts = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    names = opts.models.split(",") if opts.models != "all" else [
        *MODELS, *(n for n in MODELS2 if n != "mvnormal_lkj"), *HELD]
    rows = []
    for m in names:
        try:
            rows.append(bench_model(m, opts.number, opts.repeat))
        except Exception as exc:  # noqa: BLE001 - report the model and go on
            print(f"{m}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}", flush=True)
            continue
        _row(rows[-1])
    head = (f"{'model':22s} {'logp C':>8s} {'NUMBA':>8s} {'et':>8s} {'ratio':>6s} | "
            f"{'lp+grad C':>9s} {'NUMBA':>8s} {'et':>8s} {'ratio':>6s} {'max rel err':>11s} "
            f"{'compile':>7s}")
    print("microseconds per call; ratio = eqsat-tensor / faster of PyTensor C and NUMBA")
    print(head)
    for r in rows:
        _row(r)
    for key in ("ratio_logp", "ratio_grad"):
        geo = math.exp(sum(math.log(r[key]) for r in rows) / len(rows))
        print(f"geomean {key}: {geo:.2f}")
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
