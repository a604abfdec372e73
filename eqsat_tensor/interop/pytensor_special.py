"""Closed forms of PyTensor special functions the IR has no op for, where PyMC calls them
with arguments that make them finite sums of existing ops (a mixin-free helper of
``from_pytensor``).

- ``GammaIncC(n, x)`` (the regularized upper incomplete gamma ``Q(n, x)``) with ``n`` a
  constant of positive integers: PyMC's Poisson ``logcdf`` (``Q(k + 1, mu)``), which
  ``pm.Truncated``, ``pm.Censored`` and the hurdle models of Poisson counts use.
  ``Q(n, x) = exp(-x) sum_{j<n} x^j / j!``: all terms positive (no cancellation), each
  ``exp(j log x - log j!)`` in the log domain (no overflow) and summed by ``logsumexp``
  along a new last axis of length ``max(n)``, terms past each element's ``n`` masked.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import Node, apply, constant_node

# At most this many terms (the largest count + 1): the sum costs max(n) exps per element.
MAX_GAMMAINCC_TERMS = 2048


def gammaincc_integer(a: Node, x: Node, fdtype: str) -> Node:
    """``Q(a, x)`` for a constant ``a`` of positive integers (see the module docstring);
    ``UnsupportedOperation`` for any other ``a``."""
    if a.op != "constant":
        raise UnsupportedOperation("GammaIncC (with a first argument that is not a constant)")
    n = np.asarray(a.value, dtype=np.float64)
    if n.size == 0 or not np.all(np.isfinite(n)) or np.any(n < 1) or np.any(n != np.round(n)) \
            or n.max() > MAX_GAMMAINCC_TERMS:
        raise UnsupportedOperation("GammaIncC (with a first argument that is not a constant of "
                                   f"positive integers up to {MAX_GAMMAINCC_TERMS})")
    terms = int(n.max())
    j = np.arange(terms, dtype=np.float64)
    log_fact = np.array([math.lgamma(k + 1.0) for k in j])
    last = x.ndim
    log_x = apply("log", apply("expand_dims", x, axis=(last,)))
    # j log x, with the j = 0 term x^0 = 1 also at x = 0 (0 * -inf would be NaN)
    j_log_x = apply("where", constant_node(j == 0, "bool"), constant_node(0.0, fdtype),
                    apply("mul", constant_node(j.astype(fdtype), fdtype), log_x))
    log_terms = apply("sub", j_log_x, constant_node(log_fact.astype(fdtype), fdtype))
    mask = n[..., None] > j  # the terms j < n of each element
    if not mask.all():
        log_terms = apply("where", constant_node(mask, "bool"), log_terms,
                          constant_node(-np.inf, fdtype))
    log_q = apply("sub", apply("logsumexp", log_terms, axis=(log_terms.ndim - 1,),
                               keepdims=False), x)
    q = apply("exp", log_q)
    # Q(n, inf) = 0 (inf - inf would be NaN)
    inf = constant_node(np.inf, fdtype)
    return apply("where", apply("equal", x, inf), constant_node(0.0, fdtype), q)
