"""Lowering of elementwise ops to Numba scalar expressions: one table entry per op.

``LOWERING[op]`` is a format template over the operands' expressions (``{0}``, ``{1}``,
...) and the dtype-specific names ``{dt}`` (``float32``/``float64``) and ``{one}`` (a typed
constant 1). Helpers named ``name_{dt}`` come from ``numba_helpers``; ``fm_*`` names come
from the fast transcendentals (``eqsat_tensor.backends.fastmath.FUNCS``) when enabled.
Override an entry by passing ``lowering={op: template}`` to ``numba_cpu.compile``.

Ops missing here (and not reductions, matmul or layout ops handled by the planner) raise
``UnsupportedOp``: the backend never falls back to object mode.
"""

from __future__ import annotations

import math

from ..errors import UnsupportedOp
from ..ir import OPS, Node
from ..ir.bounds import node_bounds
from .fastmath import UNIT_FUNCS


def libm_lowering() -> dict[str, str]:
    """``math.<name>({0})`` for each one-operand elementwise op whose NumPy (or SciPy) name
    is a function of Python's ``math`` module (Numba compiles those to libm calls): the
    lowering these ops need follows from their names in the op table."""
    out = {}
    for op, spec in OPS.items():
        if spec.kind != "elementwise" or spec.arity != 1 or spec.attrs:
            continue
        for name in (*spec.name_in("numpy"), *spec.name_in("scipy"))[:1]:
            if callable(getattr(math, name, None)):
                out[op] = f"math.{name}({{0}})"
    return out


# explicit entries replace the derived ones (cbrt, exp2 and the rounding ops below)
LOWERING: dict[str, str] = {**libm_lowering(), **{
    "add": "({0} + {1})",
    "sub": "({0} - {1})",
    "mul": "({0} * {1})",
    "div": "({0} / {1})",
    "pow": "({0} ** {1})",
    "maximum": "nan_maximum_{dt}({0}, {1})",
    "minimum": "nan_minimum_{dt}({0}, {1})",
    "hypot": "math.hypot({0}, {1})",
    "logaddexp": "logaddexp_{dt}({0}, {1})",
    "arctan2": "math.atan2({0}, {1})",
    "neg": "(-{0})",
    "abs": "abs({0})",
    "square": "({0} * {0})",
    "reciprocal": "({one} / {0})",
    "arcsin": "math.asin({0})",
    "arccos": "math.acos({0})",
    "arctan": "math.atan({0})",
    "cbrt": "cbrt_{dt}({0})",
    "exp2": "np.exp2({0})",
    "sigmoid": "sigmoid_{dt}({0})",
    "softplus": "softplus_{dt}({0})",
    "gammaln": "gammaln_{dt}({0})",
    "digamma": "digamma_{dt}({0})",
    "less": "({0} < {1})",
    "less_equal": "({0} <= {1})",
    "greater": "({0} > {1})",
    "greater_equal": "({0} >= {1})",
    "equal": "({0} == {1})",
    "not_equal": "({0} != {1})",
    "where": "({1} if {0} else {2})",
    # -- rounding, remainders, normal cdf (scans) --
    # (LLVM's rounding intrinsics, vectorized; exact integers, so the cast back is exact)
    "floor": "np.{dt}(np.floor({0}))",
    "ceil": "np.{dt}(np.ceil({0}))",
    "trunc": "np.{dt}(np.trunc({0}))",
    "rint": "np.{dt}(np.rint({0}))",
    "fmod": "np.fmod({0}, {1})",
    "remainder": "remainder_{dt}({0}, {1})",
    "floor_divide": "floor_divide_{dt}({0}, {1})",
    "ndtr": "ndtr_{dt}({0})",
    "log_ndtr": "log_ndtr_{dt}({0})",
    # -- inverse hyperbolics, sign, log1mexp (parity) --
    "arcsinh": "math.asinh({0})",
    "arccosh": "math.acosh({0})",
    "arctanh": "math.atanh({0})",
    "sign": "({one} if {0} > 0 else (-{one} if {0} < 0 else ({0} - {0})))",
    "log1mexp": "log1mexp_{dt}({0})",
}}

# Fast vectorizable versions may replace libm for the ops of ``fastmath.FUNCS`` (see
# backends/fastmath.py), and for the two-argument ones (``fastmath.BINARY_FUNCS``; no block
# functions):
FAST_BINARY_OPS = ("logaddexp",)

# Helper names a template may use, by prefix (imported by the generated module).
HELPER_NAMES = ("nan_maximum", "nan_minimum", "logaddexp", "sigmoid", "softplus",
                "finite_or_zero", "cbrt", "gammaln", "digamma",
                # -- scans --
                "floor", "ceil", "trunc", "rint", "remainder", "floor_divide", "ndtr",
                "log_ndtr", "log1mexp")


def lower(node: Node, args: list[str], one: str, table: dict[str, str],
          fast: dict[str, dict[str, object]] | None = None) -> str:
    """The scalar expression computing ``node`` from operand expressions ``args``."""
    if node.op == "cast":
        target = node.attr("dtype")
        if target == "bool":
            return f"({args[0]} != 0)"
        return f"np.{target}({args[0]})"
    if fast and node.op in fast and node.dtype in fast[node.op]:
        return f"fm_{node.op}_{node.dtype}({', '.join(args)})"
    template = table.get(node.op)
    if node.op == "pow" and table.get("pow") == LOWERING["pow"]:
        template = _const_power(node) or template
    if template is None:
        raise UnsupportedOp(f"the numba backend cannot compile op {node.op!r} "
                            f"(node #{node.uid}, shape {node.shape}, dtype {node.dtype})")
    dt = node.dtype if node.dtype != "bool" else "float64"
    if node.op in ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal"):
        dt = "float64"
    return template.format(*args, dt=dt, one=one)


# NumPy's power has fast paths for these scalar exponents, and they differ from pow() at
# signed zeros and infinities (x ** 0.5 is sqrt: -0.0 ** 0.5 is -0.0, -inf ** 0.5 NaN)
_CONST_POWERS = {0.5: "math.sqrt({0})", 2.0: "({0} * {0})", -1.0: "({one} / {0})",
                 1.0: "({0})", 0.0: "{one}"}


def _const_power(node: Node) -> str | None:
    exponent = node.inputs[1]
    if exponent.op != "constant" or exponent.shape != ():
        return None
    template = _CONST_POWERS.get(float(exponent.attr("value")))
    if template is None:
        return None
    return template


# Ops with a faster fast-transcendental form for an operand in [0, 1], as the fast-math
# table declares them beside the functions (``fastmath.UNIT_FUNCS``), chosen where
# ``in_unit_interval`` proves the range.
UNIT_OPS: tuple[str, ...] = tuple(UNIT_FUNCS)


def value_bounds(node: Node, depth: int = 6) -> tuple[float, float]:
    """Bounds ``(lo, hi)`` (+-inf: unbounded) on the values of ``node``, looking ``depth``
    producers up: the interval transfer of the op table's facts (``ir.bounds``, which the
    e-graph's interval analysis mirrors). NaN is outside any bound: the functions chosen
    from these bounds pass NaN through."""
    lo, hi = node_bounds(node, depth)
    return (-math.inf if lo is None else lo, math.inf if hi is None else hi)


def in_unit_interval(node: Node) -> bool:
    """True where ``value_bounds`` puts every value of ``node`` in [0, 1]."""
    lo, hi = value_bounds(node)
    return lo >= 0.0 and hi <= 1.0


__all__ = ["FAST_BINARY_OPS", "HELPER_NAMES", "LOWERING", "UNIT_OPS", "in_unit_interval",
           "lower", "value_bounds"]


# -- PyMC's special functions (clients) --
LOWERING["erfcx"] = "erfcx_{dt}({0})"
HELPER_NAMES = (*HELPER_NAMES, "erfcx")
