"""Held-out parity cases: variations of the catalogue's families written before the rules
were tuned (composed arguments, other axes, other exponents), run only as a check that
the mechanisms generalize. Same format as ``catalogue.py``."""

from __future__ import annotations

import numpy as np
from scipy import special as sp

from .catalogue import ANY, NEG, POS, REAL, UNIT, A, c, form

R2 = A([-3.0, -0.5, 0.0, 0.5, 2.0, 30.0, 400.0])
BIG2 = A([[1e300, -3.0], [2.0, 1e299], [750.0, 749.0]])

HELDOUT = [
    c("h:softmax-axis0", "held out", lambda x: np.exp(x) / np.sum(np.exp(x), axis=0, keepdims=True),
      BIG2, want=form("max", ""), stable=True),
    c("h:log1mexp-abs", "held out", lambda x: np.log1p(-np.exp(-np.abs(x))), -NEG,
      want=form("log1mexp", "exp"), stable=True),
    c("h:log1p-neg-expit-sum", "held out", lambda x, y: np.log1p(-sp.expit(x + y)), REAL, REAL[::-1],
      want=form("softplus", "log1p sigmoid"), stable=True),
    c("h:log-expit-2x", "held out", lambda x: np.log(sp.expit(2 * x)), REAL,
      want=form("softplus", "log sigmoid"), stable=True),
    c("h:exp-log-sq1", "held out", lambda x: np.exp(np.log(x * x + 1)), R2,
      want=form("", "exp log")),
    c("h:neg-max-neg-axis0", "held out", lambda x: -np.max(-x, axis=0), BIG2,
      want=form("min", "max neg")),
    c("h:pow33", "held out", lambda x: x ** 9, A([-1.5, 0.5, 1.0001, 2.0, 3.0]),
      want=form("", "pow")),
    c("h:pow-neg5", "held out", lambda x: x ** -5, A([-1.5, 0.5, 1.0001, 2.0, 3.0]),
      want=form("", "pow")),
    c("h:where-merge-sub", "held out",
      lambda cnd, a, b: np.where(cnd, a, b) - np.where(cnd, b, a),
      A([True, False, True]), A([1.0, 2.0, 3.0]), A([0.5, -1.0, 8.0]), want=form("", "", where=1)),
    c("h:log-recip-sq", "held out", lambda x: np.log(1 / (x * x + 1)), R2,
      want=form("", "div reciprocal")),
    c("h:log-sigmoid-sum", "held out", lambda x, y: np.log(sp.expit(x - y)), REAL, REAL[::-1],
      want=form("softplus", "log sigmoid"), stable=True),
    c("h:arcsinh-sinh-2x", "held out", lambda x: np.arcsinh(np.sinh(2 * x)), REAL,
      want=form("", "sinh arcsinh"), stable=True),
    c("h:exp2-log2-any", "held out", lambda x: np.exp2(np.log2(x)), ANY,
      want=form("", "exp2 log2"), stable=True),
    c("h:log-neg-expm1-2x", "held out", lambda x: np.log(-np.expm1(2 * x)), NEG,
      want=form("log1mexp", "expm1"), stable=True),
    c("h:sqrt-mul-sqrt-pos", "held out", lambda x: np.sqrt(np.exp(x)) * np.sqrt(np.exp(x)), R2,
      want=form("", "sqrt")),
    c("h:abs-merge3", "held out", lambda x, y: np.abs(2 * x) * np.abs(y - 1), REAL, POS[:1].repeat(12),
      want=form("", "", abs=1)),
    c("h:tanh-arctanh-unit", "held out", lambda x: np.tanh(np.arctanh(x)), UNIT,
      want=form("", "tanh")),
    c("h:neg:log1p-exp", "held out (negative)", lambda x: np.log1p(np.exp(x) * 0.5), REAL[REAL < 700],
      kind="negative", want=form("", "log1mexp")),
    c("h:neg:max-plus", "held out (negative)", lambda x: -np.max(x + 1.0), REAL,
      kind="negative", want=form("max", "min")),
]
