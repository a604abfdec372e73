"""The differential fuzzer's long run, in chunks of fresh processes (issue #29).

``python -m eqsat_tensor.testing.longfuzz --programs 10000 --jobs 2`` runs
``difffuzz.fuzz`` on ``--programs`` programs, each on both backends in all three modes, as
chunks of ``--chunk`` programs (chunk ``k`` is seeded ``--seed + k``, so any chunk can be
re-run alone), ``--jobs`` processes at a time. A fresh process per chunk keeps memory
bounded: every batch compiles new Numba kernels, which a process never frees (about 2 MB
per program). Prints one line per finished chunk and every failure (shrunk, as NumPy code
with its inputs); exits 1 when any chunk failed or crashed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

_CHUNK = """
import json, sys
from eqsat_tensor.testing import difffuzz
c = difffuzz.fuzz(seed={seed}, n={n}, backends={backends!r}, batch={batch})
print("LONGFUZZ " + json.dumps({{"programs": c.programs, "runs": c.runs,
                                 "failures": [str(f) for f in c.failures]}}))
"""


def run_chunk(seed: int, n: int, backends: tuple[str, ...], batch: int,
              timeout: float | None = None) -> dict:
    """Fuzz ``n`` programs seeded by ``seed`` in a fresh Python process; its counts and
    failures (a crash of the process is reported as a failure)."""
    code = _CHUNK.format(seed=seed, n=n, backends=backends, batch=batch)
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"programs": 0, "runs": 0, "failures": [f"chunk {seed}: over {timeout} s"]}
    for line in proc.stdout.splitlines():
        if line.startswith("LONGFUZZ "):
            return json.loads(line[len("LONGFUZZ "):])
    return {"programs": 0, "runs": 0,
            "failures": [f"chunk {seed}: exit {proc.returncode}\n{proc.stderr[-4000:]}"]}


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module doc."""
    ap = argparse.ArgumentParser(prog="python -m eqsat_tensor.testing.longfuzz",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--programs", type=int, default=10_000)
    ap.add_argument("--chunk", type=int, default=1_000, help="programs per process")
    ap.add_argument("--jobs", type=int, default=2, help="processes at a time")
    ap.add_argument("--seed", type=int, default=100, help="seed of the first chunk")
    ap.add_argument("--batch", type=int, default=50, help="programs traced as one function")
    ap.add_argument("--backends", default="numpy,numba")
    args = ap.parse_args(argv)
    backends = tuple(b for b in args.backends.split(",") if b)
    sizes = [min(args.chunk, args.programs - s) for s in range(0, args.programs, args.chunk)]
    start = time.perf_counter()
    total = {"programs": 0, "runs": 0, "failures": 0}

    def one(k: int) -> tuple[int, dict]:
        return k, run_chunk(args.seed + k, sizes[k], backends, args.batch)

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for k, res in pool.map(one, range(len(sizes))):
            total["programs"] += res["programs"]
            total["runs"] += res["runs"]
            total["failures"] += len(res["failures"])
            print(f"chunk seed {args.seed + k}: {res['programs']} programs, {res['runs']} "
                  f"runs, {len(res['failures'])} failures; total {total['programs']} "
                  f"programs, {total['failures']} failures, "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
            for f in res["failures"]:
                print(f"FAILURE (chunk seed {args.seed + k})\n{f}\n", flush=True)
    print(f"longfuzz: {total['programs']} programs, {total['runs']} runs, "
          f"{total['failures']} failures")
    return 1 if total["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
