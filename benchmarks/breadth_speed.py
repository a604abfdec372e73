"""Warm-call speed of the Numba backend on the breadth corpora, against plain NumPy
(issue #18: "the Numba backend's warm call is never slower than plain NumPy, geomean <= 0.6").

The functions and their input builders are those of ``tests/breadth_corpus.py`` and
``tests/breadth_corpus2.py`` (ordinary NumPy / SciPy code: losses, normalizations,
statistics, small models). For each function, dtype (float64, float32) and size (a small
one, where per-call overhead dominates, and a realistic one), the function is traced with
``et.jit(f, backend="numba")``, compiled (``fn.wait()`` where tiered), checked against NumPy
on the timed inputs (a function refused or differing is listed, not timed), then the warm
call and NumPy's are timed interleaved, best of ``--rounds`` rounds, each round repeating
the call for at least ``--min-time`` seconds. Times are CPU seconds of the process (all
threads: a parallel kernel is charged for every core it keeps busy) unless ``--wall``.

The batch size ``n`` of a function is chosen so that its largest argument has about
``--small`` / ``--large`` elements (0 leaves that size out; quadratic functions, which
build an (n, n) intermediate, keep n <= ``--quadratic-n``). Fixed-shape functions (no
``n``) run once at their own size and are counted in both.

Run: ``python -m benchmarks.breadth_speed [--small=1000] [--large=300000] [--f64|--f32]
[--only=name,name] [--every=K] [--limit=K] [--json=out.json]``. It prints per-function
ratios (Numba / NumPy; below 1 is faster), then per dtype and size the geomean, the count
slower than NumPy and the worst 10. This is a benchmark, not a test: nothing asserts a time.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

_TESTS = Path(__file__).resolve().parent.parent / "tests"


def corpus() -> list[Callable]:
    """Every function of both breadth corpora (their ``CORPUS`` lists, in order)."""
    sys.path.insert(0, str(_TESTS))
    import breadth_corpus
    import breadth_corpus2

    return [*breadth_corpus.CORPUS, *breadth_corpus2.CORPUS]


def batch_size(fn: Callable, elements: int, quadratic_n: int) -> int | None:
    """The ``n`` that gives ``fn``'s largest argument about ``elements`` elements (None:
    ``fn`` has no batch dimension)."""
    per_n = 0
    for spec in fn.specs:
        dims = spec.split(":")[1].split(",")
        if "n" in dims:
            per_n = max(per_n, math.prod(int(d) for d in dims if d != "n") * dims.count("n"))
    if per_n == 0:
        return None
    n = max(1, elements // per_n)
    return min(n, quadratic_n) if fn.quadratic else n


def _per_call(f: Callable, args: tuple, min_time: float, clock: Callable[[], float]) -> float:
    t0 = clock()
    k = 0
    while True:
        f(*args)
        k += 1
        t = clock() - t0
        if t >= min_time:
            return t / k


def measure(fn: Callable, n: int, dtype, rounds: int, min_time: float,
            clock: Callable[[], float]) -> tuple[float, float] | str:
    """(Numba warm seconds, NumPy seconds) per call at batch size ``n``, or why not timed."""
    from breadth_corpus import args_for, same

    import eqsat_tensor as et

    args = args_for(fn, n, dtype)
    with np.errstate(all="ignore"):
        try:
            want = fn(*args)
        except Exception as exc:  # noqa: BLE001  (NumPy itself refuses this input)
            return f"numpy raises {type(exc).__name__}"
        jitted = et.jit(fn, backend="numba")
        try:
            got = jitted(*args)
            if hasattr(jitted, "wait"):
                jitted.wait()
            got = jitted(*args)
        except Exception as exc:  # noqa: BLE001  (refused or failing: not timed)
            return f"{type(exc).__name__}: {str(exc).splitlines()[0][:100]}"
        if not same(got, want, dtype):
            return "differs from NumPy"
        ours, ref = [], []
        for _ in range(rounds):  # interleaved
            ref.append(_per_call(fn, args, min_time, clock))
            ours.append(_per_call(jitted, args, min_time, clock))
    return min(ours), min(ref)


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def main(argv: list[str]) -> dict:
    """Run the benchmark (see the module docstring); returns the results."""
    os.environ.setdefault("EQSAT_TENSOR_TIERED", "0")
    warnings.simplefilter("ignore")
    opt = {a.split("=")[0][2:]: (a.split("=", 1)[1] if "=" in a else "1")
           for a in argv if a.startswith("--")}
    small, large = int(float(opt.get("small", 1e3))), int(float(opt.get("large", 3e5)))
    rounds, min_time = int(opt.get("rounds", 5)), float(opt.get("min-time", 0.02))
    quadratic_n = int(opt.get("quadratic-n", 1000))
    clock = time.perf_counter if "wall" in opt else time.process_time
    dtypes = [np.float64, np.float32]
    if "f64" in opt:
        dtypes = [np.float64]
    if "f32" in opt:
        dtypes = [np.float32]
    fns = corpus()
    if "only" in opt:
        names = set(opt["only"].split(","))
        fns = [f for f in fns if f.__name__ in names]
    if "every" in opt:  # a sample: every k-th function of the two corpora
        fns = fns[:: int(opt["every"])]
    if "limit" in opt:
        fns = fns[: int(opt["limit"])]
    sizes = {label: e for label, e in (("small", small), ("large", large)) if e > 0}
    results: dict[str, dict] = {}
    for dtype in dtypes:
        dt = np.dtype(dtype).name
        for fn in fns:
            if dtype == np.float32 and not fn.f32:
                continue
            for label, elements in sizes.items():
                n = batch_size(fn, elements, quadratic_n)
                if n is None and label == "large":
                    key_small = f"{fn.__name__}[{dt},small]"
                    if key_small in results:
                        results[f"{fn.__name__}[{dt},large]"] = results[key_small]
                    continue
                r = measure(fn, n or 0, dtype, rounds, min_time, clock)
                key = f"{fn.__name__}[{dt},{label}]"
                if isinstance(r, str):
                    results[key] = {"skipped": r}
                    print(f"  {key:44s} not timed: {r}", flush=True)
                    continue
                ours, ref = r
                results[key] = {"numba": ours, "numpy": ref, "ratio": ours / ref, "n": n}
                print(f"  {key:44s} n={n!s:>7} numba {ours * 1e6:10.1f} us  numpy "
                      f"{ref * 1e6:10.1f} us  ratio {ours / ref:5.2f}", flush=True)
    summarize(results)
    if "json" in opt:
        Path(opt["json"]).write_text(json.dumps(results, indent=1))
    return results


def summarize(results: dict[str, dict]) -> None:
    """Per dtype and size: geomean ratio, how many slower than NumPy, the worst 10."""
    print("\n| dtype | size | functions | geomean | slower than NumPy | worst 10 |")
    print("|---|---|---|---|---|---|")
    for dt in ("float64", "float32"):
        for label in ("small", "large"):
            rs = {k.split("[")[0]: v["ratio"] for k, v in results.items()
                  if k.endswith(f"[{dt},{label}]") and "ratio" in v}
            if not rs:
                continue
            worst = sorted(rs.items(), key=lambda kv: -kv[1])[:10]
            slower = sum(r > 1.0 for r in rs.values())
            print(f"| {dt} | {label} | {len(rs)} | {geomean(list(rs.values())):.2f} | {slower} | "
                  + ", ".join(f"{k} {v:.2f}" for k, v in worst) + " |")
    skipped = sorted({k.split("[")[0] for k, v in results.items() if "skipped" in v})
    if skipped:
        print(f"\nnot timed (refused, failing or differing): {len(skipped)}: {', '.join(skipped)}")


if __name__ == "__main__":
    main(sys.argv[1:])
