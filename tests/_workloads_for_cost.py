"""The graphs the never-slower check runs on: every benchmark workload (quick inputs) and
the demo's gate and model loss, traced without optimization."""

from __future__ import annotations

import functools

import numpy as np

from eqsat_tensor import workloads as W
from eqsat_tensor.commands.demo import gate, model_loss
from eqsat_tensor.ir import Graph
from eqsat_tensor.jit import JitFunction

NAMES = [w.name for w in W.WORKLOADS] + ["demo_gate", "demo_loss"]


@functools.cache
def traced(name: str) -> tuple[Graph, str]:
    """(graph, ieee mode) of workload ``name``."""
    rng = np.random.default_rng(0)
    if name == "demo_gate":
        fn, arrays, ieee = gate, [rng.uniform(-30, 800, 1000), rng.standard_normal(1000)], \
            "finite"
    elif name == "demo_loss":
        fn = model_loss
        arrays = [rng.standard_normal((500, 8)), rng.standard_normal((8, 8)),
                  rng.standard_normal(8), (rng.random(500) < 0.5) * 1.0]
        ieee = "fast"
    else:
        w = W.BY_NAME[name]
        fn, arrays, ieee = W.bind(w.fn, np), w.inputs(True), "finite"
    return JitFunction(fn, backend="numpy", optimize=False).trace(*arrays), ieee
