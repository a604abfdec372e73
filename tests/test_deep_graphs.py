"""Deep graphs (long chains) pickle, copy, print, fingerprint, round-trip through JSON,
differentiate, plan, lower and evaluate without recursing per node."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import numpy_ref
from eqsat_tensor.backends.numba_codegen import generate
from eqsat_tensor.backends.plan import plan_graph
from eqsat_tensor.ir import Graph


def _chain(n: int) -> tuple[Graph, float]:
    x = et.tensor("x", (3,))
    unused = et.tensor("unused", (2,))
    z, value = x, 1.0
    for k in range(n):
        if k % 2:
            z, value = z * 1.0001, value * 1.0001
        else:
            z, value = z + 0.5, value + 0.5
    return Graph([z.node], [x.node, unused.node]), value


def _check(n: int) -> None:
    g, value = _chain(n)
    g2 = pickle.loads(pickle.dumps(g))
    assert g2 == g and g2.input_names == ("x", "unused")
    assert pickle.loads(pickle.dumps(g.outputs[0])) is g.outputs[0]
    assert copy.deepcopy(g) == g and copy.copy(g) == g
    assert len(str(g)) > n and g2.fingerprint() == g.fingerprint()
    plan = plan_graph(g)
    source, _ = generate(plan)
    assert f"def k{len(plan.kernels()) - 1}(" in source
    out = numpy_ref.compile(g)(np.ones(3), np.ones(2))
    np.testing.assert_allclose(out, np.full(3, value), rtol=1e-9)
    assert et.loads(et.dumps(g)) == g
    x = et.Tensor(g.inputs[0])
    (gx,) = et.gradients(et.sum(et.Tensor(g.outputs[0])), [x])
    slope = numpy_ref.compile(Graph([gx.node], [g.inputs[0]]))(np.ones(3))
    np.testing.assert_allclose(slope, np.full(3, 1.0001 ** (n // 2)), rtol=1e-9)


def test_deep_chain_small():
    _check(5_000)  # several times Python's recursion limit


@pytest.mark.slow
def test_deep_chain_100k():
    _check(100_000)
