"""Classic numerical-analysis expressions of the Hamming kind (NMSE problems), written for
this project from the families of issue 24, not copied from the FPBench data: differences
of roots, reciprocals, logarithms, exponentials, trigonometric and inverse-trigonometric
functions, quadratic-formula roots, quotients that need a series near 0, hyperbolic forms.

Each case is ``(id, family, expression, precondition)``; the expression is in the text form
of ``interop.exprtext.parse_expression``. Ranges are wide (several orders of magnitude, or
both signs) so that one rewrite rarely fits the whole range. ``HOLDOUT`` lists the ids held
back from development: measure them only to check that the method generalizes.
"""

from __future__ import annotations

CASES: list[tuple[str, str, str, dict[str, tuple[float, float]]]] = [
    ("sqrt-succ", "root difference", "sqrt(x + 1) - sqrt(x)", {"x": (0.0, 1e15)}),
    ("recip-succ", "fraction", "1 / (x + 1) - 1 / x", {"x": (1.0, 1e12)}),
    ("cos-m1", "series", "cos(x) - 1", {"x": (-2.0, 2.0)}),
    ("one-m-cos-over-sin", "half angle", "(1 - cos(x)) / sin(x)", {"x": (1e-12, 3.0)}),
    ("exp-m1", "expm1", "exp(x) - 1", {"x": (-5.0, 5.0)}),
    ("log-succ", "log difference", "log(x + 1) - log(x)", {"x": (1e-3, 1e14)}),
    ("tan-shift", "tan difference", "tan(x + d) - tan(x)",
     {"x": (-1.2, 1.2), "d": (1e-14, 1e-3)}),
    ("cbrt-succ", "root difference", "cbrt(x + 1) - cbrt(x)", {"x": (1.0, 1e15)}),
    ("quad-plus", "quadratic", "(-b + sqrt(b * b - 4 * a * c)) / (2 * a)",
     {"a": (1e-3, 10.0), "b": (1.0, 1e8), "c": (1e-3, 10.0)}),
    ("quad-minus", "quadratic", "(-b - sqrt(b * b - 4 * a * c)) / (2 * a)",
     {"a": (1e-3, 10.0), "b": (-1e8, -1.0), "c": (1e-3, 10.0)}),
    ("quad-half", "quadratic", "(-h + sqrt(h * h - c)) / a",
     {"a": (0.5, 4.0), "h": (1.0, 1e8), "c": (1e-3, 10.0)}),
    ("recip-m-cot", "series", "1 / x - 1 / tan(x)", {"x": (1e-9, 1.5)}),
    ("expq2", "exp quotient", "exp(x) / (exp(x) - 1)", {"x": (1e-10, 30.0)}),
    ("logq", "log quotient", "log((1 - x) / (1 + x))", {"x": (-0.9, 0.9)}),
    ("sinh-exp", "hyperbolic", "(exp(x) - exp(-x)) / 2", {"x": (-3.0, 3.0)}),
    ("cosh-m1-exp", "hyperbolic", "(exp(x) + exp(-x)) / 2 - 1", {"x": (-2.0, 2.0)}),
    ("atan-succ", "inverse trig", "arctan(x + 1) - arctan(x)", {"x": (1.0, 1e12)}),
    ("x-m-sin", "series", "x - sin(x)", {"x": (1e-8, 2.0)}),
    ("sin-shift", "sum to product", "sin(x + d) - sin(x)",
     {"x": (-3.0, 3.0), "d": (1e-14, 1e-4)}),
    ("cos-shift", "sum to product", "cos(x + d) - cos(x)",
     {"x": (-3.0, 3.0), "d": (1e-14, 1e-4)}),
    ("three-frac", "fraction", "1 / (x + 1) - 2 / x + 1 / (x - 1)", {"x": (2.0, 1e7)}),
    ("isqrt-succ", "root difference", "1 / sqrt(x) - 1 / sqrt(x + 1)", {"x": (1.0, 1e14)}),
    ("qrt-succ", "root difference", "(x + 1) ** 0.25 - x ** 0.25", {"x": (1.0, 1e14)}),
    ("exp-sym-m2", "hyperbolic", "exp(x) - 2 + exp(-x)", {"x": (-1.0, 1.0)}),
    ("expm1-over-x", "series", "(exp(x) - 1) / x", {"x": (1e-12, 2.0)}),
    ("log1p-over-x", "series", "log(1 + x) / x", {"x": (1e-12, 1.0)}),
    ("tan-m-sin", "series", "tan(x) - sin(x)", {"x": (1e-6, 1.0)}),
    ("one-m-cos-x2", "series", "(1 - cos(x)) / (x * x)", {"x": (1e-8, 2.0)}),
    ("asinh-log", "log of root", "log(x + sqrt(x * x + 1))", {"x": (-1e6, 1e6)}),
    ("qlog", "log quotient", "log(1 - x) / log(1 + x)", {"x": (1e-10, 0.5)}),
    ("sqrt-sym", "root difference", "sqrt(1 + x) - sqrt(1 - x)", {"x": (1e-12, 0.5)}),
    ("sinc-m1", "series", "sin(x) / x - 1", {"x": (1e-8, 1.0)}),
    ("bernoulli", "exp quotient", "x / (exp(x) - 1)", {"x": (1e-10, 5.0)}),
    ("hypot-m-x", "root difference", "sqrt(x * x + 1) - x", {"x": (1.0, 1e9)}),
    ("sinh-m-x", "series", "sinh(x) - x", {"x": (1e-8, 1.0)}),
    ("log-pred", "log difference", "log(x) - log(x - 1)", {"x": (2.0, 1e12)}),
    ("cbrt-pred", "root difference", "cbrt(x) - cbrt(x - 1)", {"x": (2.0, 1e14)}),
    ("exp-shift", "exp difference", "exp(x) - exp(x - d)",
     {"x": (-5.0, 5.0), "d": (1e-14, 1e-4)}),
    ("recip-sin-m-cot", "half angle", "1 / sin(x) - 1 / tan(x)", {"x": (1e-9, 3.0)}),
    ("tanh-m-x", "series", "tanh(x) - x", {"x": (1e-8, 1.0)}),
    ("pow-one-m1", "expm1", "(1 + x) ** 8 - 1", {"x": (1e-12, 1e-2)}),
    ("acos-near-one", "inverse trig", "arccos(1 - x)", {"x": (1e-14, 1e-2)}),
]

# every fourth case is held back from development
HOLDOUT = frozenset(c[0] for i, c in enumerate(CASES) if i % 4 == 3)

__all__ = ["CASES", "HOLDOUT"]
