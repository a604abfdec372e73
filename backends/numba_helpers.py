"""Scalar helpers that generated Numba kernels call, and how kernels are decorated.

Every helper exists once per dtype (``sigmoid_float32``, ``sigmoid_float64``, ...): the
functions of ``ir.scalars`` (shared with the CUDA backend and the reference), compiled
``inline="always"``: they cost nothing inside a loop and leave it vectorizable where their
body is.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numba import types as nb_types
from numba.extending import intrinsic
from numba.np.ufunc import parallel as _parallel

from ..ir import scalars

_OPTS = {"inline": "always", "error_model": "numpy"}


# Numba has no math.fmod (CUDA has): the helpers see a math module whose fmod is NumPy's
_MATH = types.ModuleType("math_with_fmod")
_MATH.__dict__.update({k: v for k, v in vars(math).items() if not k.startswith("__")})
_MATH.fmod = np.fmod


def _with_fmod(fn: Callable) -> Callable:
    if "fmod" not in fn.__code__.co_names:
        return fn
    return types.FunctionType(fn.__code__, {**fn.__globals__, "math": _MATH}, fn.__name__,
                              fn.__defaults__, fn.__closure__)


def _make(dtype: type) -> dict[str, Any]:
    helpers = {name: numba.njit(**_OPTS)(_with_fmod(fn))
               for name, fn in scalars.make(dtype).items()}
    third = 1.0 / 3.0

    @numba.njit(**_OPTS)
    def cbrt(x):
        # Numba's np.cbrt is pow(|x|, 1/3): up to 100 ulps off and +0.0 at -0.0. One
        # Newton step in float64 from that estimate is within an ulp; 0, inf, NaN as is
        v = np.float64(x)
        if v == 0.0 or v - v != 0.0:
            return x
        y = math.copysign(abs(v) ** third, v)
        y = y - (y - v / (y * y)) / 3.0
        return dtype(y)

    helpers["cbrt"] = cbrt
    return helpers


HELPERS: dict[str, dict[str, Any]] = {"float32": _make(np.float32), "float64": _make(np.float64)}

# Module-level names that generated code imports, e.g. ``sigmoid_float32``.
for _dt, _table in HELPERS.items():
    for _name, _fn in _table.items():
        globals()[f"{_name}_{_dt}"] = _fn


def _renamed(fn: Callable, name: str) -> Callable:
    """A copy of ``fn`` under another name. Numba's disk cache names its files after the
    function's qualified name, so the serial and parallel builds of one kernel must differ
    there (the cache index does not record the ``parallel`` flag)."""
    new = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    new.__qualname__ = name
    new.__module__ = fn.__module__
    return new


def njit_kernel(fn: Callable, parallel: bool, cache: bool, fastmath: bool) -> Any:
    """Decorate a generated kernel: ``parallel`` uses ``prange`` threads; the serial build
    (for small arrays, where waking threads costs more than the work) gets its own name."""
    target = fn if parallel else _renamed(fn, fn.__name__ + "_serial")
    return numba.njit(parallel=parallel, cache=cache, fastmath=fastmath, error_model="numpy",
                      nogil=True)(target)


def _num_threads() -> int:
    """``numba.get_num_threads()``, without its per-call thread-launch check once Numba's
    threading layer is up (that check takes a lock: a fifth of a small reduction's call)."""
    par = _parallel
    if getattr(par, "_is_initialized", False):
        read = getattr(par, "_get_num_threads", None)
        if read is not None:
            return int(read())
    return numba.get_num_threads()


def reduction_chunks(n: int) -> int:
    """How many chunks a whole-array reduction splits its outer axis into."""
    return max(1, min(n, 4 * _num_threads()))


@intrinsic
def reassoc_add(typingctx, a, b):  # noqa: ARG001 - numba intrinsic signature
    """``a + b`` for floats as an ``fadd reassoc``: a sum loop accumulating through it is
    a reduction LLVM may regroup, so it vectorizes with as many partial sums as the
    target's vectors hold (a plain ``+`` keeps the sequential order: one add per cycle).
    Only this addition may be regrouped: no other fast-math flag (NaN, infinities and
    signed zeros keep IEEE semantics), and the operands keep their own rounding."""
    if not (isinstance(a, nb_types.Float) and a == b):
        return None

    def codegen(context, builder, sig, args):  # noqa: ARG001
        return builder.fadd(args[0], args[1], flags=("reassoc",))

    return a(a, b), codegen


# Row reductions run chunks of rows in parallel (a constant count: see _COLUMN_CHUNKS).
_ROW_CHUNKS = 64


@numba.njit(**_OPTS)
def row_chunks(n_rows: int) -> int:
    """How many chunks of rows a row reduction runs in parallel."""
    return max(1, min(n_rows, _ROW_CHUNKS))


# Chunks of a column reduction: enough for the threads of a large machine, and partial
# rows together kept below _COLUMN_PARTIALS elements. (A constant, not the thread count:
# numba.get_num_threads() inside a kernel would stop Numba from caching it on disk.)
_COLUMN_CHUNKS = 64
_COLUMN_PARTIALS = 1 << 21


@numba.njit(**_OPTS)
def column_chunks(n_reduce: int, n_kept: int) -> int:
    """How many chunks a column reduction (reduced axes before the kept ones, C order)
    splits its first reduced axis into; each accumulates a partial row of ``n_kept``."""
    cap = max(1, _COLUMN_PARTIALS // max(1, n_kept))
    return max(1, min(n_reduce, _COLUMN_CHUNKS, cap))


def raise_empty_reduction(op: str) -> None:
    """NumPy's error for ``max``/``min`` over an empty axis."""
    name = {"max": "maximum", "min": "minimum"}.get(op, op)
    raise ValueError(f"zero-size array to reduction operation {name} which has no identity")


# -- scans and selections along one axis (scans) ---------------------------------------------
# Cumulative sums and products: row kernels over a C-contiguous (rows, n) array; ``scan``
# moves the axis last, runs one (threads from ``parallel_min`` elements, as the fused
# kernels) and moves it back. Sequential like NumPy's (cumsum is not pairwise), so the
# results are bitwise NumPy's, and 4-6x faster (measured 1000x1000 float64, one thread).
# sort, argmax and argmin call NumPy: its SIMD sort and argmax were 3x and 4.5x faster than
# Numba row loops (np.sort per row; a NaN-checking argmax loop does not vectorize), and its
# NaN rules (NaN last; the first NaN wins) are the definition.
_SCAN_OPTS = {"cache": True, "nogil": True, "error_model": "numpy"}


def _row_kernels(parallel: bool) -> dict[str, Any]:
    jit = numba.njit(parallel=parallel, **_SCAN_OPTS)
    rng = numba.prange if parallel else range

    def cumsum(x, out):
        for i in rng(x.shape[0]):
            if x.shape[1]:
                out[i, 0] = x[i, 0]
            for j in range(1, x.shape[1]):
                out[i, j] = out[i, j - 1] + x[i, j]

    def cumsum_reverse(x, out):
        for i in rng(x.shape[0]):
            n = x.shape[1]
            if n:
                out[i, n - 1] = x[i, n - 1]
            for j in range(n - 2, -1, -1):
                out[i, j] = out[i, j + 1] + x[i, j]

    def cumprod(x, out):
        for i in rng(x.shape[0]):
            if x.shape[1]:
                out[i, 0] = x[i, 0]
            for j in range(1, x.shape[1]):
                out[i, j] = out[i, j - 1] * x[i, j]

    suffix = "_parallel" if parallel else "_serial"
    return {fn.__name__: jit(_renamed(fn, f"scan_{fn.__name__}{suffix}"))
            for fn in (cumsum, cumsum_reverse, cumprod)}


_ROWS = {True: _row_kernels(True), False: _row_kernels(False)}


def scan(op: str, x: np.ndarray, axis: int, keepdims: bool = False,
         parallel_min: int = 1 << 15) -> np.ndarray:
    """``op`` (cumsum, cumsum_reverse, cumprod, sort, argmax, argmin) of ``x`` along
    ``axis``, as NumPy; an index result is float64 (the IR carries integers in float64)."""
    x = np.asarray(x)
    if op == "sort":
        return np.sort(x, axis=axis)
    if op == "argsort":  # stable, NaN last; an int64 index
        return np.argsort(x, axis=axis, kind="stable").astype(np.int64)
    if op in ("argmax", "argmin"):
        fn = np.argmax if op == "argmax" else np.argmin
        return np.asarray(fn(x, axis=axis, keepdims=keepdims), dtype=np.float64)
    last = np.moveaxis(x, axis, -1)
    n = last.shape[-1]
    rows = np.ascontiguousarray(last).reshape(math.prod(last.shape[:-1]), n)
    kernel = _ROWS[rows.size >= parallel_min][op]
    out = np.empty_like(rows)
    kernel(rows, out)
    return np.moveaxis(out.reshape(last.shape), -1, axis)


__all__ = ["HELPERS", "column_chunks", "scan", "njit_kernel", "raise_empty_reduction",
           "reassoc_add", "reduction_chunks"]

# -- indexing and joins (index): the driver's array calls for the scatter ops -----------------
from ..ir.refs import pad_slice_ref, scatter_add_along_ref, scatter_add_ref  # noqa: E402,F401
