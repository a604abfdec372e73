"""``np.matmul`` on device arrays: CuPy (cuBLAS) when installed, else a tiled kernel.

The fallback kernel computes a batch of ``(M, K) @ (K, N)`` products with ``TILE x TILE``
thread blocks that stage tiles of both operands in shared memory and accumulate in the
output dtype (float32 stays float32). NumPy's rules are kept: 1-D operands are promoted
and squeezed again, batch dims broadcast (stride-0 views, no copies).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import cuda  # a module global: the simulator swaps it inside kernels

from . import cuda_runtime as rt

_KERNELS: dict[tuple[str, int], Any] = {}


def _kernel(dtype: str, tile: int) -> Any:
    key = (dtype, tile)
    if key in _KERNELS:
        return _KERNELS[key]
    import numba

    zero = np.dtype(dtype).type(0.0)
    nbt = numba.from_dtype(np.dtype(dtype))

    @cuda.jit
    def matmul3(a, b, out):  # a (Ba, M, K), b (Bb, K, N), out (B, M, N); Ba, Bb in {1, B}
        sa = cuda.shared.array((tile, tile), nbt)
        sb = cuda.shared.array((tile, tile), nbt)
        tx = cuda.threadIdx.x
        ty = cuda.threadIdx.y
        col = cuda.blockIdx.x * tile + tx
        row = cuda.blockIdx.y * tile + ty
        m = out.shape[1]
        n = out.shape[2]
        kdim = a.shape[2]
        for bz in range(cuda.blockIdx.z, out.shape[0], cuda.gridDim.z):
            ba = bz if a.shape[0] > 1 else 0
            bb = bz if b.shape[0] > 1 else 0
            acc = zero
            for t0 in range(0, kdim, tile):
                if row < m and t0 + tx < kdim:
                    sa[ty, tx] = a[ba, row, t0 + tx]
                else:
                    sa[ty, tx] = zero
                if col < n and t0 + ty < kdim:
                    sb[ty, tx] = b[bb, t0 + ty, col]
                else:
                    sb[ty, tx] = zero
                cuda.syncthreads()
                for kk in range(tile):
                    acc += sa[ty, kk] * sb[kk, tx]
                cuda.syncthreads()
            if row < m and col < n:
                out[bz, row, col] = acc

    _KERNELS[key] = matmul3
    return matmul3


def _cupy() -> Any:
    if rt.simulated():
        return None
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def matmul(a: Any, b: Any, dtype: str) -> Any:
    """``np.matmul(a, b, dtype=dtype)`` for device arrays; returns a device array."""
    cupy = _cupy()
    if cupy is not None:
        out = cupy.matmul(cupy.asarray(a), cupy.asarray(b), dtype=dtype)
        return rt.cuda_module().as_cuda_array(out)
    squeeze = []
    ashape, bshape = tuple(a.shape), tuple(b.shape)  # the simulator's shapes reject [-1]
    if len(ashape) == 1:
        a, squeeze = rt.expand_dims(a, (0,)), squeeze + [-2]
    if len(bshape) == 1:
        b, squeeze = rt.expand_dims(b, (1,)), squeeze + [-1]
    ashape, bshape = tuple(a.shape), tuple(b.shape)
    batch = tuple(np.broadcast_shapes(ashape[:-2], bshape[:-2]))
    m, n = ashape[-2], bshape[-1]
    out = rt.empty(batch + (m, n), dtype)
    if out.size and ashape[-1] == 0:
        out = _fill_zero(out)
    elif out.size:
        a = rt.broadcast_to(a, batch + ashape[-2:])
        b = rt.broadcast_to(b, batch + bshape[-2:])
        if not batch:
            a, b, o = (rt.expand_dims(x, (0,)) for x in (a, b, out))
            _launch(a, b, o, dtype)
        else:
            for idx in np.ndindex(*batch[:-1]):
                _launch(a[idx] if idx else a, b[idx] if idx else b,
                        out[idx] if idx else out, dtype)
    oshape = tuple(out.shape)
    shape = tuple(d for k, d in enumerate(oshape) if k - len(oshape) not in squeeze)
    return rt.reshape(out, shape) if shape != oshape else out


def _fill_zero(out: Any) -> Any:
    host = np.zeros(out.shape, dtype=out.dtype)
    out.copy_to_device(host)
    return out


def _launch(a: Any, b: Any, out: Any, dtype: str) -> None:
    tile = 4 if rt.simulated() else 16
    kernel = _kernel(dtype, tile)
    grid = (math.ceil(out.shape[2] / tile), math.ceil(out.shape[1] / tile),
            max(1, min(out.shape[0], 65535)))
    kernel[grid, (tile, tile)](a, b, out)


__all__ = ["matmul"]
