"""Collapsing a kernel's loop nest to one flat loop (the Numba CPU writer, C order).

A kernel over an (n, 4) domain loops 4 points at a time along its contiguous axis: a
whole-array reduction's lane accumulators (16 lanes along the last axis) never fill, so
the sum runs as one scalar dependency chain, and a tiled kernel calls its block functions
on tiles of 4 points. Where every value the kernel reads, computes or writes has either the
kernel's full shape or none (no broadcasting, no per-row values), the element at
``(i0, i1, ...)`` of each array is the element at the same flat position of its C-order
ravel, so the kernel can run over one axis of ``n0 * n1 * ...`` points instead: the driver
passes ``a.reshape(-1)`` (a view of the C-contiguous buffers it allocates and of
contiguous inputs; NumPy copies an input that is not contiguous, which keeps the result
right) and the writer indexes every full-shape value by ``i0``.

Only elementwise kernels and whole-array reductions (no kept axes) qualify, without a
matmul prologue, reading no buffer that a plan view (slice, transpose, broadcast) made:
those are strided, and copying them would cost a pass.
"""

from __future__ import annotations

import dataclasses

from ..ir import Dim
from .plan import FULL, Kernel, Plan, ViewStep


def flat_kernel(kernel: Kernel, plan: Plan, order: str) -> Kernel | None:
    """The kernel over one flat axis (domain ``(n0 * n1 * ...,)``), or None where the
    loop nest must stay as it is. The flat kernel's domain holds the original domain's
    dims as one tuple entry (see ``flat_extent``); node shapes are unchanged."""
    if order != "C" or len(kernel.domain) < 2 or kernel.matmuls or kernel.online_logsumexp:
        return None
    if kernel.reduce_axes and kernel.kept_axes:
        return None
    full = tuple(kernel.domain)
    if any(d == 0 for d in full):
        return None
    for n in (*kernel.nodes, *kernel.reads, *kernel.writes):
        if n.shape and tuple(n.shape) != full:
            return None
    if any(kernel.frame(n) != FULL for n in kernel.nodes if n.shape):
        # a value the plan computes once per row (all reduced extents 1: the row is the
        # whole domain) sits outside the loop, where the flat index does not exist
        return None
    views = {s.node.uid for s in plan.steps if isinstance(s, ViewStep)}
    if any(r.uid in views and r.shape for r in kernel.reads):
        return None
    return dataclasses.replace(kernel, domain=(full,),
                               reduce_axes=(0,) if kernel.reduce_axes else ())


def flat_extent(domain_entry: tuple[Dim, ...], dim_text) -> str:
    """Source of the flat extent: the product of the original dims (``dim_text(d)`` is the
    source of one dim)."""
    return " * ".join(f"({dim_text(d)})" for d in domain_entry)


__all__ = ["flat_extent", "flat_kernel"]
