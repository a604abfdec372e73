"""The ops table is complete: every op states every fact other modules read, the backends'
lowering tables and the rule files agree with it, and each op's NumPy reference agrees
with its mpmath definition at edge values."""

from __future__ import annotations

import dataclasses
import itertools
import re
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eqsat_tensor import mpeval
from eqsat_tensor.ir import LIBRARIES, OPS, Graph, apply, input_node
from eqsat_tensor.rulelang.ast import GUARD_KINDS
from eqsat_tensor.rulelang.expressions import RULE_ATTR_HELPERS, VJP_ATTR_HELPERS
from eqsat_tensor.testing import optable

ELEMENTWISE_FLOAT = [op for op, s in OPS.items() if s.kind == "elementwise"
                     and "comparison" not in s.tags and op not in ("where", "cast")]


@pytest.mark.parametrize("op", sorted(OPS))
def test_every_op_states_every_fact(op):
    problems = optable.missing_facts(OPS[op])
    assert not problems, "\n".join(problems)


def test_a_removed_fact_is_named():
    """Taking one fact away from one op makes the check name that op and that fact."""
    spec = OPS["tanh"]
    no_facts = optable.missing_facts(dataclasses.replace(spec, facts=None))
    assert no_facts == ["op 'tanh': no interval/sign/finiteness facts (OpSpec.facts; "
                        "NO_FACTS to say there are none)"]
    names = {k: v for k, v in spec.names.items() if k != "jax"}
    no_jax = optable.missing_facts(dataclasses.replace(spec, names=names))
    assert len(no_jax) == 1 and "'tanh'" in no_jax[0] and "no jax name" in no_jax[0]
    no_grad = optable.missing_facts(dataclasses.replace(OPS["log1p"], grad=None))
    assert len(no_grad) == 1 and "'log1p'" in no_grad[0] and "VJP" in no_grad[0]
    tables = dict(optable._backend_tables())
    tables["cuda"] = {k: v for k, v in tables["cuda"].items() if k != "expm1"}
    no_cuda = optable.missing_facts(OPS["expm1"], tables)
    assert no_cuda == ["op 'expm1': no CUDA lowering (add it to "
                       "backends/cuda_codegen.CUDA_LOWERING)"]
    tables["cuda"] = dict(tables["cuda"], exp="np.exp({0})")
    assert "calls NumPy" in optable.missing_facts(OPS["exp"], tables)[0]
    assert optable.missing_facts(dataclasses.replace(OPS["exp"], mpmath=None, ns=None)) == [
        "op 'exp': no mpmath definition (OpSpec.mpmath; STRUCTURAL for ops that only move "
        "data)", "op 'exp': no cost (OpSpec.ns, calibrated ns per element)"]


def test_no_vjp_rule_for_an_op_outside_the_table():
    assert optable.vjp_ops() <= set(OPS)


def _rule_texts():
    rules = resources.files("eqsat_tensor.rules")
    for f in sorted(rules.iterdir(), key=lambda p: p.name):
        if f.name.endswith(".rules"):
            yield f.name, f.read_text()


def test_rule_files_name_only_known_ops():
    known = set(OPS) | set(GUARD_KINDS) | set(VJP_ATTR_HELPERS) | set(RULE_ATTR_HELPERS) | {
        "shape"}
    unknown = []
    for name, text in _rule_texts():
        for lineno, line in enumerate(text.splitlines(), 1):
            code = line.split("#", 1)[0]
            # the rule's name (``rule log1p:``) is a label, not an op
            code = re.sub(r"^\s*(rule|vjp)\s+[A-Za-z0-9_.-]+\s*:", "", code) \
                if code.lstrip().startswith("rule") else code
            for fn in re.findall(r"\b([A-Za-z_][A-Za-z_0-9]*)\s*\(", code):
                if fn not in known and fn not in ("rule", "vjp"):
                    unknown.append(f"{name}:{lineno}: {fn}")
    assert not unknown, unknown
    assert sum(1 for _ in _rule_texts()) >= 4


def test_lowering_tables_name_only_known_ops():
    from eqsat_tensor.backends import dask, fastmath

    tables = optable._backend_tables()
    for backend in ("numba", "cuda"):
        assert set(tables[backend]) <= set(OPS), backend
    # the fast transcendentals: elementwise ops, every one with an accuracy bound
    assert set(fastmath.FUNCS) == set(fastmath.MAX_ULP)
    assert all(OPS[op].kind == "elementwise" for op in fastmath.FUNCS)
    assert set(dask._REDUCTIONS) == {op for op, s in OPS.items() if s.kind == "reduction"}


def test_interop_names_exist_in_their_libraries():
    sympy = pytest.importorskip("sympy")
    import scipy.special

    from eqsat_tensor.interop import fpcore
    from eqsat_tensor.interop.sympy_io import _resolve

    assert set(LIBRARIES) == {"numpy", "scipy", "sympy", "jax", "pytensor", "fpcore"}
    for op, spec in OPS.items():
        for n in spec.name_in("numpy"):
            assert callable(getattr(np, n)), (op, n)
        for n in spec.name_in("scipy"):
            assert callable(getattr(scipy.special, n)), (op, n)
        for n in spec.name_in("sympy"):
            assert _resolve(sympy, n) is not None, (op, n)
        for n in spec.name_in("fpcore"):
            assert n not in fpcore.UNSUPPORTED, (op, n)
    jax = pytest.importorskip("jax")
    for op, spec in OPS.items():
        for n in spec.name_in("jax"):
            assert hasattr(jax.lax, f"{n}_p"), (op, n)


# -- each reference against its mpmath definition at edge values -------------------------------

TINY, SUB, HUGE = np.finfo(np.float64).tiny, 5e-324, np.finfo(np.float64).max
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan, SUB, -SUB, TINY, -TINY, HUGE, -HUGE, 1.0, -1.0,
         0.5, -0.5, 2.0, -3.0, 1e-8, -1e-8, 30.0, -30.0, 710.0, -745.0]
# Where IEEE deliberately differs from the real-number limit the exact definition takes.
IEEE_CONVENTIONS = {
    # pow(-inf, y), pow(x, ±inf), pow(1, nan): C99 Annex F values, not limits of reals
    "pow": lambda a, b: ~np.isfinite(a) | ~np.isfinite(b) | (a == 1),
    # atan2(±inf, ±inf) = ±pi/4, ±3pi/4 (C99); the real limit does not exist
    "arctan2": lambda a, b: np.isinf(a) & np.isinf(b),
    # hypot(±inf, nan) = inf (C99)
    "hypot": lambda a, b: np.isinf(a) | np.isinf(b),
}
# Bits of error (Herbie's measure) a libm function may have; correctly rounded ops need 1.
MAX_BITS = 3.0


def _check(op: str, columns: list[np.ndarray]) -> None:
    spec = OPS[op]
    xs = [input_node(f"x{i}", ("n",), "float64") for i in range(spec.arity)]
    graph = Graph(apply(op, *xs), xs)
    with np.errstate(all="ignore"):
        computed = np.asarray(spec.reference(*columns), dtype=np.float64)
    exact = mpeval.exact(graph, columns)[0]
    bits = mpeval.bits_of_error(computed, exact)
    # mpmath has no -0.0: the exact value of 1 / -0.0 is +inf, IEEE's -inf
    skip = np.logical_or.reduce([(c == 0) & np.signbit(c) for c in columns])
    if op in IEEE_CONVENTIONS:
        skip |= IEEE_CONVENTIONS[op](*columns)
    bits = np.where(skip, 0.0, bits)
    bad = np.flatnonzero(bits > MAX_BITS)
    assert not bad.size, [(tuple(float(c[i]) for c in columns), float(computed[i]),
                           float(exact[i])) for i in bad[:5]]


@pytest.mark.parametrize("op", ELEMENTWISE_FLOAT)
def test_reference_agrees_with_mpmath_at_edge_values(op):
    grid = list(itertools.product(EDGES, repeat=OPS[op].arity))
    _check(op, [np.array(c, dtype=np.float64) for c in zip(*grid)])


@pytest.mark.parametrize("op", ELEMENTWISE_FLOAT)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_reference_agrees_with_mpmath_on_any_floats(op, data):
    floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
    cols = [np.array([data.draw(floats)]) for _ in range(OPS[op].arity)]
    _check(op, cols)
