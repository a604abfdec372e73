"""Time to first result, side by side with ``jax.jit`` and ``pytensor.function``.

``python -m benchmarks.latency [--chains 60,120,240,1000] [--json out.json] [--skip-peers]``

Every cold number comes from a fresh Python process (``subprocess``), with a fresh cache
directory where "empty cache" is measured and the same one again for "warm cache":

* cold import, cold optimize of a 4-node graph (then again in a new process that finds
  the rule files' parse cached; a row says when the 2 s budget cut it short), first call
  of a 10-op function (empty cache, then warm cache in a new process; by default the
  NumPy reference answers while Numba compiles in the background, also measured with
  ``tiered=False``, the compile in the foreground), first call at a new batch size
  (after the compile);
* warm per-call overhead with 1, 2 and 8 inputs (0-d arrays: pure dispatch cost);
* compile time and peak memory (``ru_maxrss`` of the process) of fused chains of
  transcendental ops.

Wall-clock numbers depend on the machine and its load: compare rows of one run only. The
``(CPU)`` rows are the process's CPU time over the same span (all threads): on a shared,
loaded machine they show the work done where the wall clock mostly shows the waiting.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from typing import Any

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_PRELUDE = textwrap.dedent("""
    import json, os, resource, sys, time
    T0 = time.perf_counter()
    C0 = time.process_time()
    def emit(**kw):
        kw["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(kw))
""")

# fn(x, y): 10 elementwise ops
_FN10 = "np.log(1 + np.exp(x)) * y - np.tanh(x * y) + np.sqrt(x * x + 1.0) / (y + 2.0)"

_SNIPPETS: dict[str, str] = {
    "import:et": "import eqsat_tensor\nemit(seconds=time.perf_counter() - T0, "
                 "cpu=time.process_time() - C0)",
    "import:jax": "import jax, jax.numpy\nemit(seconds=time.perf_counter() - T0, "
                 "cpu=time.process_time() - C0)",
    "import:pytensor": "import pytensor, pytensor.tensor\nemit(seconds=time.perf_counter() - T0, "
                 "cpu=time.process_time() - C0)",
    "optimize:et": textwrap.dedent("""
        import eqsat_tensor as et
        x = et.tensor("x", (8,))
        c = time.process_time(); t = time.perf_counter()
        r = et.optimize(et.log(1 + et.exp(x)) * 2.0)
        emit(seconds=time.perf_counter() - t, cpu=time.process_time() - c,
             stop=r.report.stop_reason)
    """),
    "first_call:et": textwrap.dedent(f"""
        import numpy as np
        import eqsat_tensor as et
        f = et.jit(lambda x, y: {_FN10})
        x = np.linspace(-1, 1, 1000); y = np.linspace(0, 2, 1000)
        c = time.process_time(); t = time.perf_counter(); f(x, y)
        first = time.perf_counter() - t; cpu = time.process_time() - c
        f.wait(); ready = time.perf_counter() - t  # the Numba kernels run from here on
        f(x, y)
        x2 = np.linspace(-1, 1, 1001); y2 = np.linspace(0, 2, 1001)
        t = time.perf_counter(); f(x2, y2); new = time.perf_counter() - t
        x3 = np.linspace(-1, 1, 5000); y3 = np.linspace(0, 2, 5000)
        t = time.perf_counter(); f(x3, y3); new2 = time.perf_counter() - t
        emit(seconds=first, cpu=cpu, new_size=max(new, new2), compiled_after=ready)
    """),
    "first_call_untiered:et": textwrap.dedent(f"""
        import numpy as np
        import eqsat_tensor as et
        f = et.jit(lambda x, y: {_FN10}, tiered=False)
        x = np.linspace(-1, 1, 1000); y = np.linspace(0, 2, 1000)
        c = time.process_time(); t = time.perf_counter(); f(x, y)
        emit(seconds=time.perf_counter() - t, cpu=time.process_time() - c)
    """),
    "first_call:jax": textwrap.dedent(f"""
        import numpy as np
        import jax, jax.numpy as np_
        jax.config.update("jax_enable_x64", True)
        np = np_
        f = jax.jit(lambda x, y: {_FN10})
        import numpy
        x = numpy.linspace(-1, 1, 1000); y = numpy.linspace(0, 2, 1000)
        c = time.process_time(); t = time.perf_counter(); f(x, y).block_until_ready()
        first = time.perf_counter() - t; cpu = time.process_time() - c
        x2 = numpy.linspace(-1, 1, 1001); y2 = numpy.linspace(0, 2, 1001)
        t = time.perf_counter(); f(x2, y2).block_until_ready(); new = time.perf_counter() - t
        x3 = numpy.linspace(-1, 1, 5000); y3 = numpy.linspace(0, 2, 5000)
        t = time.perf_counter(); f(x3, y3).block_until_ready(); new2 = time.perf_counter() - t
        emit(seconds=first, cpu=cpu, new_size=max(new, new2))
    """),
    "first_call:pytensor": textwrap.dedent(f"""
        import numpy
        import pytensor, pytensor.tensor as pt
        np = pt
        x = pt.dvector("x"); y = pt.dvector("y")
        c = time.process_time(); t = time.perf_counter()
        f = pytensor.function([x, y], {_FN10})
        xv = numpy.linspace(-1, 1, 1000); yv = numpy.linspace(0, 2, 1000)
        f(xv, yv); first = time.perf_counter() - t; cpu = time.process_time() - c
        x2 = numpy.linspace(-1, 1, 1001); y2 = numpy.linspace(0, 2, 1001)
        t = time.perf_counter(); f(x2, y2); new = time.perf_counter() - t
        emit(seconds=first, cpu=cpu, new_size=new)
    """),
    "per_call:et": textwrap.dedent("""
        import timeit
        import numpy as np
        import eqsat_tensor as et
        def f1(a0):
            return a0 * 2.0
        def f2(a0, a1):
            return a0 * 2.0 + a1
        def f8(a0, a1, a2, a3, a4, a5, a6, a7):
            return a0 * 2.0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
        FNS = {1: f1, 2: f2, 8: f8}
        out = {}
        for k in (1, 2, 8):
            names = [f"a{i}" for i in range(k)]
            ts = [et.tensor(n, ()) for n in names]
            expr = ts[0] * 2.0
            for t_ in ts[1:]:
                expr = expr + t_
            exe = et.compile(expr, backend="numba")
            args = [np.ones(()) for _ in names]
            exe(*args)
            out[f"compile_{k}"] = min(timeit.repeat(lambda: exe(*args), number=1000,
                                                    repeat=31)) / 1000
            f = et.jit(FNS[k])
            f(*args)
            out[f"jit_{k}"] = min(timeit.repeat(lambda: f(*args), number=1000,
                                                repeat=31)) / 1000
        emit(**out)
    """),
    "per_call:jax": textwrap.dedent("""
        import timeit
        import numpy as np
        import jax
        jax.config.update("jax_enable_x64", True)
        out = {}
        for k in (1, 2, 8):
            def fn(*a):
                r = a[0] * 2.0
                for v in a[1:]:
                    r = r + v
                return r
            f = jax.jit(fn)
            args = [np.ones(()) for _ in range(k)]
            f(*args).block_until_ready()
            out[f"jit_{k}"] = min(timeit.repeat(lambda: f(*args), number=1000,
                                                repeat=31)) / 1000
        emit(**out)
    """),
    "per_call:pytensor": textwrap.dedent("""
        import timeit
        import numpy as np
        import pytensor, pytensor.tensor as pt
        out = {}
        for k in (1, 2, 8):
            xs = [pt.dscalar(f"a{i}") for i in range(k)]
            r = xs[0] * 2.0
            for v in xs[1:]:
                r = r + v
            f = pytensor.function(xs, r)
            args = [np.ones(()) for _ in range(k)]
            f(*args)
            out[f"function_{k}"] = min(timeit.repeat(lambda: f(*args), number=1000,
                                                     repeat=31)) / 1000
            f.trust_input = True
            out[f"trusted_{k}"] = min(timeit.repeat(lambda: f(*args), number=1000,
                                                    repeat=31)) / 1000
        emit(**out)
    """),
}


def _chain_snippet(tool: str, n: int) -> str:
    if tool == "et":
        return textwrap.dedent(f"""
            import numpy as np
            import eqsat_tensor as et
            from eqsat_tensor.ir import Graph
            x = et.tensor("x", ("n",)); z = x
            ops = [et.exp, et.log1p, et.tanh]
            for k in range({n}):
                z = ops[k % 3](z * 0.5)
            exe = et.compile(Graph([z.node]), backend="numba")
            a = np.linspace(-1, 1, 1000)
            c = time.process_time(); t = time.perf_counter(); exe(a)
            emit(seconds=time.perf_counter() - t, cpu=time.process_time() - c)
        """)
    if tool == "jax":
        return textwrap.dedent(f"""
            import numpy
            import jax, jax.numpy as jnp
            jax.config.update("jax_enable_x64", True)
            ops = [jnp.exp, jnp.log1p, jnp.tanh]
            def fn(z):
                for k in range({n}):
                    z = ops[k % 3](z * 0.5)
                return z
            f = jax.jit(fn)
            a = numpy.linspace(-1, 1, 1000)
            c = time.process_time(); t = time.perf_counter(); f(a).block_until_ready()
            emit(seconds=time.perf_counter() - t, cpu=time.process_time() - c)
        """)
    return textwrap.dedent(f"""
        import numpy
        import pytensor, pytensor.tensor as pt
        x = pt.dvector("x"); z = x
        ops = [pt.exp, pt.log1p, pt.tanh]
        for k in range({n}):
            z = ops[k % 3](z * 0.5)
        c = time.process_time(); t = time.perf_counter()
        f = pytensor.function([x], z); f(numpy.linspace(-1, 1, 1000))
        emit(seconds=time.perf_counter() - t, cpu=time.process_time() - c)
    """)


def run_snippet(code: str, cache_dir: str, timeout: float = 900.0,
                root: str = HERE) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter (importing eqsat-tensor from ``root``); its
    ``emit(...)`` dict, or ``{"error": ...}``."""
    env = dict(os.environ, EQSAT_TENSOR_CACHE_DIR=cache_dir,
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PYTENSOR_FLAGS=f"compiledir={os.path.join(cache_dir, 'pytensor')}")
    try:
        # (run from ``root``: ``python -c`` puts the working directory first on sys.path)
        res = subprocess.run([sys.executable, "-c", _PRELUDE + code], env=env, cwd=root,
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    for line in res.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    return {"error": (res.stderr.strip().splitlines() or ["no output"])[-1][:200]}


def measure(chains: list[int], peers: bool = True) -> dict[str, Any]:
    """All measurements (see the module docstring) as a nested dict."""
    tools = ["et"] + (["jax", "pytensor"] if peers else [])
    out: dict[str, Any] = {}
    for tool in tools:
        cold = tempfile.mkdtemp(prefix="et-latency-")
        out[f"import:{tool}"] = run_snippet(_SNIPPETS[f"import:{tool}"], cold)
        out[f"first_call:{tool}"] = run_snippet(_SNIPPETS[f"first_call:{tool}"], cold)
        out[f"first_call_warm:{tool}"] = run_snippet(_SNIPPETS[f"first_call:{tool}"], cold)
        out[f"per_call:{tool}"] = run_snippet(_SNIPPETS[f"per_call:{tool}"], cold)
        if tool == "et":  # first calls compiling in the foreground: empty cache, then warm
            fg = tempfile.mkdtemp(prefix="et-latency-")
            out["first_call_untiered:et"] = run_snippet(_SNIPPETS["first_call_untiered:et"], fg)
            out["first_call_untiered_warm:et"] = run_snippet(
                _SNIPPETS["first_call_untiered:et"], fg)
        for n in chains:
            out[f"chain{n}:{tool}"] = run_snippet(_chain_snippet(tool, n),
                                                  tempfile.mkdtemp(prefix="et-latency-"))
    cold = tempfile.mkdtemp(prefix="et-latency-")
    out["optimize:et"] = run_snippet(_SNIPPETS["optimize:et"], cold)
    # a later process: the rule files' parse is cached (drop the optimized graph's entry)
    shutil.rmtree(os.path.join(cold, "graphs"), ignore_errors=True)
    out["optimize_rules_cached:et"] = run_snippet(_SNIPPETS["optimize:et"], cold)
    return out


def _fmt(value: Any, scale: float = 1.0, unit: str = "s") -> str:
    if not isinstance(value, (int, float)):
        return "-"
    v = value * scale
    return f"{v:.3g} {unit}"


def table(results: dict[str, Any], chains: list[int]) -> str:
    """A plain-text table: one row per measurement, one column per tool."""
    tools = [t for t in ("et", "jax", "pytensor") if f"import:{t}" in results]
    rows = [("cold import", "import", "seconds", 1.0, "s"),
            ("  (CPU)", "import", "cpu", 1.0, "s"),
            ("first call, empty cache", "first_call", "seconds", 1.0, "s"),
            ("  (CPU)", "first_call", "cpu", 1.0, "s"),
            ("first call, warm cache", "first_call_warm", "seconds", 1.0, "s"),
            ("  (CPU)", "first_call_warm", "cpu", 1.0, "s"),
            ("first call at a new batch size", "first_call_warm", "new_size", 1e3, "ms")]
    for k in (1, 2, 8):
        rows.append((f"warm call, {k} inputs", "per_call", f"jit_{k}", 1e6, "us"))
    rows.append(("warm call, 2 inputs (et.compile / pytensor.function)", "per_call",
                 "compile_2", 1e6, "us"))
    for n in chains:
        rows.append((f"chain of {n} ops: compile", f"chain{n}", "seconds", 1.0, "s"))
        rows.append(("  (CPU)", f"chain{n}", "cpu", 1.0, "s"))
        rows.append((f"chain of {n} ops: peak RSS", f"chain{n}", "maxrss_mb", 1.0, "MB"))
    width = max(len(r[0]) for r in rows) + 2
    lines = [" " * width + "".join(f"{t:>14}" for t in tools)]
    for label, key, field, scale, unit in rows:
        cells = []
        for t in tools:
            entry = results.get(f"{key}:{t}", {})
            f = field
            if t == "pytensor" and key == "per_call":
                f = field.replace("jit_", "function_").replace("compile_", "function_")
            if t == "jax" and key == "per_call":
                f = field.replace("compile_", "jit_")
            cells.append(_fmt(entry.get(f), scale, unit) if "error" not in entry else "error")
        lines.append(f"{label:<{width}}" + "".join(f"{c:>14}" for c in cells))
    for key, label in (("first_call", "Numba kernels ready after (et, empty cache)"),
                       ("first_call_warm", "Numba kernels ready after (et, warm cache)")):
        entry = results.get(f"{key}:et", {})
        lines.append(f"{label:<{width}}{_fmt(entry.get('compiled_after')):>14}")
    for key, label in (("first_call_untiered", "first call, empty cache, tiered=False (et)"),
                       ("first_call_untiered_warm", "first call, warm cache, tiered=False (et)")):
        entry = results.get(f"{key}:et", {})
        lines.append(f"{label:<{width}}{_fmt(entry.get('seconds')):>14}"
                     f"   (CPU {_fmt(entry.get('cpu'))})")
    for key, label in (("optimize", "cold optimize, 4-node graph (et)"),
                       ("optimize_rules_cached", "cold optimize, rule parse cached (et)")):
        opt = results.get(f"{key}:et", {})
        stop = f"   ({opt['stop']})" if opt.get("stop") not in (None, "saturated") else ""
        lines.append(f"{label:<{width}}{_fmt(opt.get('seconds')):>14}{stop}")
        lines.append(f"{'  (CPU)':<{width}}{_fmt(opt.get('cpu')):>14}")
    return "\n".join(lines)


def compare_optimize(other: str, repeat: int = 7) -> str:
    """Cold optimize of the 4-node graph, this tree against the checkout ``other``: fresh
    processes taking turns (so both see the same load), each with a fresh cache directory,
    then (in a later process) with the rule files' parse cached. A table of medians."""
    import statistics

    trees = {"this tree": HERE, "other": os.path.abspath(other)}
    got: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for _ in range(repeat):
        for name, root in trees.items():
            cold = tempfile.mkdtemp(prefix="et-latency-")
            got.setdefault((name, "fresh cache"), []).append(
                run_snippet(_SNIPPETS["optimize:et"], cold, root=root))
            shutil.rmtree(os.path.join(cold, "graphs"), ignore_errors=True)
            got.setdefault((name, "rule parse cached"), []).append(
                run_snippet(_SNIPPETS["optimize:et"], cold, root=root))
            shutil.rmtree(cold, ignore_errors=True)
    lines = [f"cold optimize, 4-node graph: medians of {repeat} interleaved fresh processes",
             f"{'':<34}{'CPU':>10}{'wall':>10}{'min CPU':>10}{'max CPU':>10}"]
    for (name, case), runs in got.items():
        ok = [r for r in runs if "error" not in r]
        if not ok:
            lines.append(f"{name + ', ' + case:<34}  error: {runs[0]['error']}")
            continue
        cpu = [r["cpu"] for r in ok]
        lines.append(f"{name + ', ' + case:<34}{statistics.median(cpu):>10.3f}"
                     f"{statistics.median(r['seconds'] for r in ok):>10.3f}"
                     f"{min(cpu):>10.3f}{max(cpu):>10.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chains", default="60,120,240",
                        help="chain lengths, comma separated (1000 takes minutes)")
    parser.add_argument("--skip-peers", action="store_true", help="eqsat-tensor only")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--compare-optimize", metavar="TREE",
                        help="only the cold optimize, against the checkout TREE (interleaved)")
    parser.add_argument("--repeat", type=int, default=7,
                        help="runs of each tree for --compare-optimize")
    args = parser.parse_args(argv)
    if args.compare_optimize:
        print(compare_optimize(args.compare_optimize, args.repeat))
        return 0
    chains = [int(c) for c in args.chains.split(",") if c]
    results = measure(chains, peers=not args.skip_peers)
    print(table(results, chains))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
