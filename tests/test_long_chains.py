"""Long fused chains: the planner cuts them into kernels of at most
``plan.MAX_KERNEL_NODES`` nodes, so no generated function grows with the graph (compile
time and memory linear in the number of ops); results equal the reference backend."""

from __future__ import annotations

import ast

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends import numba_codegen, numba_cpu, numpy_ref, plan
from eqsat_tensor.ir import Graph


def _chain(n: int) -> Graph:
    x = et.tensor("x", ("n",))
    z = x
    ops = [et.exp, et.log1p, et.tanh, et.sin]
    for k in range(n):
        z = ops[k % 4](z * 0.5) + (x if k % 5 == 0 else 0.25)
    return Graph([z.node], [x.node])


def _values(fn: ast.FunctionDef) -> int:
    """Node values a generated function computes (assignments to ``v<id>``)."""
    return sum(isinstance(t, ast.Name) and t.id[:1] == "v" and t.id[1:].isdigit()
               for node in ast.walk(fn) if isinstance(node, ast.Assign) for t in node.targets)


@pytest.mark.parametrize("fast", [True, False])
def test_every_generated_function_of_a_long_chain_is_bounded(fast):
    g = _chain(250)
    computed = sum(n.op not in ("input", "constant") for n in g.nodes())
    assert computed == 750
    p = plan.plan_graph(g)
    kernels = p.kernels()
    bound = plan.MAX_KERNEL_NODES
    assert len(kernels) == -(-computed // bound)
    assert all(len(k.nodes) <= bound for k in kernels)
    assert sum(len(k.nodes) for k in kernels) == computed  # each node in exactly one
    source, _ = numba_codegen.generate(p, fast=numba_cpu.fast_functions() if fast else None)
    funcs = [f for f in ast.parse(source).body if isinstance(f, ast.FunctionDef)
             and f.name not in ("run", "run_profiled")]
    assert len(funcs) == len(kernels)
    assert all(_values(f) <= bound for f in funcs)


@pytest.mark.parametrize("fast", [True, False])
def test_a_chain_cut_into_small_kernels_computes_what_numpy_computes(monkeypatch, fast):
    monkeypatch.setattr(plan, "MAX_KERNEL_NODES", 5)
    x = et.tensor("x", ("m", "n"))
    s = et.tensor("s", ())  # a 0-d input read in several kernels
    z = et.exp(x * s)  # a transcendental of a buffer operand
    mid = z
    for _ in range(4):
        z = et.tanh(z * 0.5) + et.log1p(et.abs(x)) - s
    g = Graph([z.node, mid.node], [x.node, s.node])  # an output in the middle of the chain
    exe = numba_cpu.compile(g, fast_transcendentals=fast, disk_cache=False)
    computed = sum(n.op not in ("input", "constant") for n in g.nodes())
    assert len(exe.plan.kernels()) == -(-computed // 5) >= 4
    a = np.random.default_rng(0).uniform(-2, 2, (3, 700))
    b = np.float64(0.75)
    got, want = exe(a, b), numpy_ref.compile(g)(a, b)
    for g_, w_ in zip(got, want):
        np.testing.assert_allclose(g_, w_, rtol=1e-13, atol=1e-15)
    before = numba_cpu.compiled_specializations()
    exe(np.ascontiguousarray(a[:2, :300]), b)  # a new size compiles nothing
    assert numba_cpu.compiled_specializations() == before
