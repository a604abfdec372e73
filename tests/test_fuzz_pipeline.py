"""Pipeline fuzzing (issue #7): random graphs -> et.optimize (default rules and budget) ->
the optimized graph must compute what the original does, on the reference backend and on
every available backend, with zero mismatches.

"Computes what the original does" is check_rules's semantics (``compare_graphs``): equal
within rounding-error bounds, or closer to the exact (mpmath) value. CI runs fixed seeds;
``--fuzz-long[=N]`` (or EQSAT_FUZZ_LONG=N) runs N times more graphs with fresh seeds.
A failing seed goes into tests/fuzz_corpus/ as a regression case (see its README).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import random
import time

import numpy as np
import pytest
from fuzz_graphs import Case, mismatches_on_backend, random_case
from hypothesis import given, settings
from hypothesis import strategies as st

from eqsat_tensor.ir import Graph, apply
from eqsat_tensor.testing import examples, strategies
from eqsat_tensor.testing.check import compare_graphs

N_REFERENCE = 400  # graphs through optimize + reference backend per CI run (--fuzz-long: more)
N_BACKEND = 120  # graphs through each compiled backend per CI run
BATCH = 25  # graphs per compiled multi-output module
CORPUS = pathlib.Path(__file__).parent / "fuzz_corpus"

HAVE_OPTIMIZER = importlib.util.find_spec("eqsat_tensor.optimizer") is not None
needs_optimizer = pytest.mark.skipif(
    not HAVE_OPTIMIZER, reason="eqsat_tensor.optimizer (et.optimize) is not on this branch yet")


def _scale(config: pytest.Config) -> int:
    return int(config.getoption("--fuzz-long", default=0) or
               os.environ.get("EQSAT_FUZZ_LONG", "0") or 0)


def _seeds(config: pytest.Config, n: int, base: int) -> list[int]:
    scale = _scale(config)
    if not scale:
        return list(range(base, base + n))
    start = random.SystemRandom().randrange(10**9)
    print(f"fuzz-long: seeds {start}..{start + n * scale - 1}")
    return list(range(start, start + n * scale))


def _optimize(graph: Graph) -> Graph:
    import eqsat_tensor as et

    return et.optimize(graph).graph


def _report(failures: list[str], total: int, what: str) -> None:
    assert not failures, (f"{len(failures)} of {total} graphs mismatch ({what}); add the seeds to "
                          "tests/fuzz_corpus/ as regression cases:\n" + "\n".join(failures[:10]))


# -- the harness itself (runs without the optimizer) --------------------------------------


def test_harness_accepts_each_graph_against_itself():
    for seed in range(200):
        case = random_case(seed)
        assert compare_graphs(case.graph, case.graph, case.arrays) is None, seed


def _swap_sub(graph: Graph) -> Graph:
    """A deliberately wrong "optimization": a - b becomes b - a everywhere."""
    new: dict[int, object] = {}
    for n in graph.nodes():
        if n.op in ("input", "constant"):
            new[n.uid] = n
            continue
        args = [new[i.uid] for i in n.inputs]
        if n.op == "sub":
            args = args[::-1]
        new[n.uid] = apply(n.op, *args, **dict(n.attrs))
    return Graph([new[o.uid] for o in graph.outputs], inputs=graph.inputs)


def test_harness_catches_a_wrong_rewrite():
    from eqsat_tensor.backends.numpy_ref import evaluate

    caught = differ = 0
    for seed in range(300):
        case = random_case(seed)
        if "sub" not in case.graph.op_counts():
            continue
        wrong = _swap_sub(case.graph)
        a = evaluate(case.graph, case.arrays)
        b = evaluate(wrong, case.arrays)
        if all(np.allclose(x, y, rtol=1e-3, atol=1e-6, equal_nan=True) for x, y in zip(a, b)):
            continue  # the swap happens not to matter here (e.g. x - x)
        differ += 1
        caught += compare_graphs(case.graph, wrong, case.arrays) is not None
    assert differ > 20 and caught == differ


# -- optimize + reference backend ---------------------------------------------------------


def _check_case(case: Case) -> str | None:
    try:
        optimized = _optimize(case.graph)
    except Exception as exc:  # an optimizer crash is a finding too
        return f"seed {case.seed}: optimize raised {type(exc).__name__}: {exc}"
    msg = compare_graphs(case.graph, optimized, case.arrays)
    if msg is not None:
        return f"seed {case.seed}: {msg}\n  original:  {case.graph}\n  optimized: {optimized}"
    return None


@needs_optimizer
def test_optimized_graphs_match_on_the_reference_backend(pytestconfig):
    seeds = _seeds(pytestconfig, N_REFERENCE, base=0)
    t0 = time.perf_counter()
    failures = [m for s in seeds if (m := _check_case(random_case(s))) is not None]
    print(f"fuzz: {len(seeds)} graphs through optimize + numpy_ref in "
          f"{time.perf_counter() - t0:.1f} s")
    _report(failures, len(seeds), "optimize vs original on numpy_ref")


@needs_optimizer
@settings(max_examples=examples(100), deadline=None)
@given(st.data())
def test_optimized_hypothesis_programs_match(data):
    """Core's random programs (every op, edge-value inputs), shrunk on a failure."""
    graph = data.draw(strategies.graphs(max_nodes=14, ops=strategies.ALL_OPS,
                                        allow_empty=False, max_size=64), label="graph")
    arrays = data.draw(strategies.input_arrays(graph), label="arrays")
    optimized = _optimize(graph)
    msg = compare_graphs(graph, optimized, arrays)
    assert msg is None, f"{msg}\n  original:  {graph}\n  optimized: {optimized}"


# -- compiled backends --------------------------------------------------------------------


def _available_backends() -> list[str]:
    from eqsat_tensor.backends import get_backend
    from eqsat_tensor.errors import BackendError

    out = []
    for name in ("numba", "cuda"):
        try:
            get_backend(name)
            if name == "cuda":  # imports without a GPU; runs only on one or the simulator
                from eqsat_tensor.backends.cuda_runtime import require_cuda

                require_cuda()
        except BackendError:
            continue
        out.append(name)
    return out


@needs_optimizer
@pytest.mark.parametrize("backend", ["numba", "cuda"])
def test_optimized_graphs_match_on_compiled_backends(backend, pytestconfig):
    if backend not in _available_backends():
        pytest.skip(f"backend {backend!r} is not available")

    n = N_BACKEND if backend == "numba" else N_BACKEND // 10  # the CUDA simulator is slow
    seeds = _seeds(pytestconfig, n, base=100_000)
    failures: list[str] = []
    t0 = time.perf_counter()
    for start in range(0, len(seeds), BATCH):
        cases = [random_case(s, prefix=f"g{s}_") for s in seeds[start:start + BATCH]]
        optimized = []
        for c in cases:
            try:
                optimized.append(Case(c.seed, _optimize(c.graph), c.arrays))
            except Exception as exc:
                failures.append(f"seed {c.seed}: optimize raised {type(exc).__name__}: {exc}")
                optimized.append(c)
        failures += mismatches_on_backend(cases, optimized, backend)
    print(f"fuzz: {len(seeds)} graphs through optimize + {backend} in "
          f"{time.perf_counter() - t0:.1f} s")
    _report(failures, len(seeds), f"optimize + {backend} vs original")


# -- regression corpus --------------------------------------------------------------------


def _corpus() -> list[dict]:
    return [dict(json.loads(p.read_text()), file=p.name) for p in sorted(CORPUS.glob("*.json"))]


@needs_optimizer
@pytest.mark.parametrize("entry", _corpus(), ids=lambda e: e["file"])
def test_corpus_regressions(entry):
    case = random_case(entry["seed"], size=entry.get("size", 8))
    msg = _check_case(case)
    assert msg is None, f"{entry['file']} ({entry.get('note', '')}): {msg}"


def test_a_flipped_comparison_must_agree_with_the_exact_answer():
    """Replay (hypothesis found it): outside the strict tier a rewrite may change a value by
    rounding, so a comparison of nearly equal values may flip; it is sound only where the
    optimized side gives the exact answer. ``log(exp(x))`` rounds tiny float32 x to 0, so
    NumPy says ``t >= 2t``; with ``log(exp(x)) -> x`` the optimized side says False, which
    is the exact answer; a flip away from the exact answer is still caught."""
    import eqsat_tensor as et
    from eqsat_tensor.ir import Graph
    from eqsat_tensor.testing.check.graphs import compare_graphs

    x = et.tensor("x0", (), dtype="float32")
    t = et.log(et.exp(x))
    original = Graph([(t >= t + t).node])
    tiny = [np.array(1.1754944e-38, dtype=np.float32)]
    assert compare_graphs(original, Graph([(x >= x + x).node]), tiny) is None
    three = [np.array(3.0, dtype=np.float32)]  # NumPy and the exact answer: False
    assert "boolean results differ" in compare_graphs(original, Graph([(x < x + x).node]), three)
    assert "boolean results differ" in compare_graphs(original, Graph([(x >= x + x).node]),
                                                      tiny, ieee="strict")
