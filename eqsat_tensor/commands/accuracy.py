"""``eqsat-tensor accuracy FILE.fpcore|EXPR --pre "x in [0, 1e-3]"``: measure the bits of
error of an expression over sampled inputs and rewrite it for accuracy.

Prints, per output, the mean and max bits of error before and after, the chosen candidate
(and the regimes when candidates are combined with ``where``), the estimated runtime
ratio and the optimized expression. An FPCore's ``:pre`` gives the box (and a condition
for what a box cannot say); ``--pre`` adds or overrides ranges (repeatable, or joined
with ``and``/``,``).
"""

from __future__ import annotations

import argparse
import re

from . import UsageError, looks_like_file, read_source_file

HELP = "measure and improve the floating-point accuracy of an expression"

_RANGE = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s+in\s+\[\s*([^,\]]+)\s*,\s*([^\]]+)\]\s*$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``eqsat-tensor accuracy``."""
    parser.add_argument("target", metavar="FILE_OR_EXPR",
                        help="an .fpcore file (its first FPCore), or an expression such as "
                             "'sqrt(x + 1) - sqrt(x)'")
    parser.add_argument("--pre", action="append", default=[], metavar="'x in [lo, hi]'",
                        help="sampling range of an input (repeatable; 'x in [0, 1] and y in "
                             "[1, 2]' also works)")
    parser.add_argument("--objective", choices=["accuracy", "balanced", "speed"],
                        default="accuracy", help="what to optimize for (default accuracy)")
    parser.add_argument("--samples", type=int, default=1000,
                        help="number of sampled inputs (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--no-regimes", action="store_true",
                        help="choose one candidate; never combine them with where")
    parser.add_argument("--report", action="store_true",
                        help="also print the full optimization report")


def parse_pre(items: list[str]) -> dict[str, tuple[float, float]]:
    """``["x in [0, 1e-3]", "y in [1, 2] and z in [-1, 1]"]`` -> ``{"x": (0.0, 0.001), ...}``.
    Raises ``UsageError`` naming the part it cannot read."""
    from ..errors import GraphFormatError
    from ..interop.fpcore import number

    out: dict[str, tuple[float, float]] = {}
    for item in items:
        for part in re.split(r"\band\b|;|,(?![^\[]*\])", item):
            if not part.strip():
                continue
            m = _RANGE.match(part)
            if m is None:
                raise UsageError(f"--pre: cannot read {part.strip()!r}; write 'x in [lo, hi]'")
            try:
                name, lo, hi = m.group(1), number(m.group(2).strip()), number(m.group(3).strip())
            except (ValueError, GraphFormatError):
                raise UsageError(f"--pre: {part.strip()!r} has a bound that is not a number; "
                                 "write 'x in [lo, hi]'") from None
            if not lo <= hi:
                raise UsageError(f"--pre: empty range for {name}: [{lo}, {hi}]")
            out[name] = (lo, hi)
    return out


def _load(target: str):
    from ..interop.exprtext import parse_expression
    from ..interop.fpcore import from_fpcore, parse_fpcores

    if looks_like_file(target):
        text = read_source_file(target)
        if target.endswith(".fpcore") or text.lstrip().startswith(("(FPCore", ";")):
            forms = parse_fpcores(text, target)
            if not forms:
                raise UsageError(f"{target}: no FPCore found")
            graph, info = from_fpcore(forms[0], target)
            return graph, dict(info.precondition), info.condition, info.name
        return parse_expression(text.strip()), {}, None, None
    return parse_expression(target), {}, None, None


def vectorized(graph):
    """The scalar graph with each input a 1-D array of symbolic length ``n``."""
    from ..ir import Graph, apply, input_node

    new = {i.uid: input_node(i.name, ("n",), i.dtype) for i in graph.inputs}
    for node in graph.nodes():
        if node.uid in new:
            continue
        if node.inputs:
            new[node.uid] = apply(node.op, *[new[i.uid] for i in node.inputs],
                                  **dict(node.attrs))
        else:
            new[node.uid] = node
    return Graph([new[o.uid] for o in graph.outputs], [new[i.uid] for i in graph.inputs])


def runtime_ratio(before, after, inputs: dict, size: int = 100_000) -> tuple[str, float]:
    """Measured time of ``after`` over ``before`` on ``size`` elements resampled from
    ``inputs`` (best of 5), on the Numba backend when it is available, else NumPy."""
    import time

    import numpy as np

    from ..backends import get_backend

    rng = np.random.default_rng(0)
    arrays = {k: rng.choice(v, size) for k, v in inputs.items()}
    try:
        backend = get_backend("numba")
        name = "numba"
    except Exception:  # noqa: BLE001 - not installed or not landed yet
        backend, name = get_backend("numpy"), "numpy"
    times = []
    for g in (vectorized(before), vectorized(after)):
        fn = backend.compile(g)
        args = [arrays[n] for n in g.input_names]
        with np.errstate(all="ignore"):
            fn.run(args, {"n": size})
            best = np.inf
            for _ in range(5):
                t = time.perf_counter()
                fn.run(args, {"n": size})
                best = min(best, time.perf_counter() - t)
        times.append(best)
    return name, times[1] / times[0] if times[0] > 0 else 1.0


def run(args: argparse.Namespace) -> int:
    """Load, measure, optimize for accuracy, print."""
    import time

    from ..accuracy import measure_accuracy, optimize_accuracy

    graph, pre, condition, name = _load(args.target)
    pre.update(parse_pre(args.pre))
    unknown = sorted(set(pre) - set(graph.input_names))
    if unknown:
        raise UsageError(f"--pre names {unknown}, but the inputs are {list(graph.input_names)}")
    t0 = time.perf_counter()
    res = optimize_accuracy(graph, pre, args.objective, n_samples=args.samples, seed=args.seed,
                            condition=condition, regimes=not args.no_regimes)
    seconds = time.perf_counter() - t0
    acc = res.report.accuracy
    # fresh samples (another seed) so the numbers are not those the choice was fitted on
    from ..accuracy import sample

    check = sample(graph, pre, args.samples, args.seed + 1, condition)
    before, after = measure_accuracy(graph, check), measure_accuracy(res.graph, check)
    print(f"expression: {name or args.target}")
    ranges = ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in acc.precondition.items())
    print(f"inputs:     {', '.join(graph.input_names)}"
          f"  ({ranges or 'default range [-1000, 1000]'})")
    for i in range(len(graph.outputs)):
        label = f"output {i}" if len(graph.outputs) > 1 else "bits of error"
        print(f"{label}: mean {before.mean[i]:.2f} -> {after.mean[i]:.2f}, "
              f"max {before.max[i]:.2f} -> {after.max[i]:.2f}  "
              f"({check.n} fresh samples)")
    print(f"candidates: {acc.candidates} measured; chosen: {acc.chosen}")
    if acc.regimes:
        print("regimes:")
        for line in acc.regimes:
            print(f"  {line}")
    backend, ratio = runtime_ratio(graph, res.graph, check.inputs)
    print(f"runtime:    x{ratio:.3g} measured on {backend} (after/before), "
          f"x{acc.cost_ratio:.3g} cost-model estimate; optimized in {seconds:.2f} s")
    print("before:")
    print("  " + str(graph).replace("\n", "\n  "))
    print("after:")
    print("  " + str(res.graph).replace("\n", "\n  "))
    if args.report:
        print()
        print(res.report)
    return 0
