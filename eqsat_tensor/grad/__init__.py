"""Reverse-mode gradients: the public functions (``api``: ``et.grad``,
``et.value_and_grad``, ``et.vjp``, ``et.gradients``) and the reverse sweep over the VJP
rules (``driver``)."""

from __future__ import annotations

from .api import GradFunction, grad, gradients, value_and_grad, vjp
from .driver import backward, simplify, unbroadcast, vjp_table

__all__ = ["grad", "value_and_grad", "vjp", "gradients", "GradFunction",
           "backward", "simplify", "unbroadcast", "vjp_table"]
