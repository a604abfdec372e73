"""``compare_graphs``: does an optimized graph (or another backend's output) keep the
contract of the IEEE mode against the original graph on given inputs?"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...ir import Graph
from .instance import exact_rounded
from .judge import judge


def compare_graphs(original: Graph, optimized: Graph, arrays: list[Any],
                   values: list[Any] | None = None, ieee: str = "finite",
                   accuracy_ulps: float | None = None) -> str | None:
    """Whether ``optimized`` computes what ``original`` does under ``ieee``'s contract
    (docs/soundness.md): ``"strict"`` bit for bit; ``"finite"`` finite where the
    original is, NaN where it is undefined, never wrong where it is right (and, with
    ``accuracy_ulps``, never that many ulps less accurate); ``"fast"`` the same real
    function. Both graphs take ``arrays`` in ``graph.inputs`` order; ``values`` are
    outputs of ``optimized`` computed elsewhere (another backend) to judge instead of its
    reference-backend values. Returns None, or a message naming the output, the element
    and the values."""
    from ...backends.numpy_ref import evaluate

    ref = evaluate(original, arrays)
    new = [np.asarray(v) for v in values] if values is not None else evaluate(optimized, arrays)
    tier = {"strict": "strict", "fast": "fast"}.get(ieee, "finite")
    for i, (lv, rv) in enumerate(zip(ref, new)):
        if rv.shape != lv.shape or rv.dtype != lv.dtype:
            return (f"output {i}: shape/dtype {rv.shape} {rv.dtype}, expected {lv.shape} "
                    f"{lv.dtype}")

        def exact_fn(flat: np.ndarray, i: int = i) -> tuple[np.ndarray, np.ndarray | None]:
            fallback = np.ravel(np.broadcast_to(new[i], ref[i].shape))[flat]
            el = exact_rounded(Graph(original.outputs[i], inputs=original.inputs), arrays,
                               ref[i].shape, flat, fallback)
            if tier != "fast":
                return el, None
            if values is not None:
                return el, el
            return el, exact_rounded(Graph(optimized.outputs[i], inputs=optimized.inputs),
                                     arrays, ref[i].shape, flat, fallback)

        with np.errstate(all="ignore"):
            j = judge(tier, False, lv, rv, exact_fn,
                      accuracy_ulps=math.inf if accuracy_ulps is None else accuracy_ulps)
        f = j.first()
        if f is not None:
            index = np.unravel_index(f.flat, lv.shape) if lv.ndim else ()
            return (f"output {i} at {tuple(int(k) for k in index)}: original "
                    f"{lv[index]!r}, optimized {np.broadcast_to(rv, lv.shape)[index]!r}, exact "
                    f"{f.exact!r}: {f.reason}")
    return None
