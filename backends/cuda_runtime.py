"""Device-side plumbing of the CUDA backend: availability, transfers, views, launches.

Everything here works the same on a GPU and under numba-cuda's simulator
(``NUMBA_ENABLE_CUDASIM=1``, where device arrays wrap NumPy arrays): the two differ only
in how a strided view is built (``strided_view``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BackendError


def cuda_module() -> Any:
    """``numba.cuda`` (the simulator's when ``NUMBA_ENABLE_CUDASIM=1``)."""
    try:
        from numba import cuda
    except ImportError as exc:  # pragma: no cover - numba-cuda is a dependency of [cuda]
        raise BackendError("the cuda backend needs numba-cuda (pip install "
                           "'eqsat-tensor[cuda]')") from exc
    return cuda


def simulated() -> bool:
    """Whether numba-cuda runs its simulator (``NUMBA_ENABLE_CUDASIM=1``)."""
    from numba import config

    return bool(config.ENABLE_CUDASIM)


def require_cuda() -> Any:
    """``numba.cuda``, or ``BackendError`` when there is neither a GPU nor the simulator."""
    cuda = cuda_module()
    if simulated():
        return cuda
    try:
        ok = cuda.is_available()
    except Exception:  # a broken driver install reads as no GPU
        ok = False
    if not ok:
        raise BackendError("backend 'cuda': no CUDA GPU or driver found on this machine "
                           "(numba.cuda.is_available() is False). To run the CUDA backend "
                           "without a GPU, for testing, set NUMBA_ENABLE_CUDASIM=1 before "
                           "importing numba (it is slow: small arrays only).")
    return cuda


def is_device_array(a: Any) -> bool:
    """A numba-cuda device array, or anything exposing ``__cuda_array_interface__``
    (CuPy, PyTorch CUDA tensors)."""
    return (getattr(a, "__cuda_ndarray__", False) is True
            or hasattr(a, "__cuda_array_interface__"))


def as_device(a: Any) -> Any:
    """A numba-cuda device array viewing ``a`` (no copy) when it is on the device; a copy
    of a host array otherwise."""
    cuda = cuda_module()
    if getattr(a, "__cuda_ndarray__", False) is True:
        return a
    if hasattr(a, "__cuda_array_interface__"):
        return cuda.as_cuda_array(a)
    if simulated():  # the simulator's to_device makes 0-d arrays 1-d
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        return FakeCUDAArray(np.array(a, copy=True, order="C"))
    return cuda.to_device(np.ascontiguousarray(a))


def to_host(a: Any) -> np.ndarray:
    """A NumPy copy of a device array."""
    return a.copy_to_host()


def empty(shape: tuple[int, ...], dtype: str) -> Any:
    """A fresh C-contiguous device array."""
    if simulated():  # the simulator's device_array makes 0-d arrays 1-d
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        return FakeCUDAArray(np.empty(shape, np.bool_ if dtype == "bool" else dtype))
    return cuda_module().device_array(shape, dtype=np.bool_ if dtype == "bool" else dtype)


def strided_view(a: Any, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
    """A device array over the memory of ``a`` with another shape and byte strides (0 for
    broadcast axes)."""
    if simulated():
        from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray

        base = a._ary if isinstance(a, FakeCUDAArray) else np.asarray(a)
        return FakeCUDAArray(np.lib.stride_tricks.as_strided(base, shape, strides))
    from numba.cuda.cudadrv.devicearray import DeviceNDArray

    return DeviceNDArray(shape, strides, a.dtype, stream=a.stream, gpu_data=a.gpu_data)


def _c_strides(shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
    strides, acc = [], itemsize
    for d in reversed(shape):
        strides.append(acc)
        acc *= max(d, 1)
    return tuple(reversed(strides))


def is_c_contiguous(a: Any) -> bool:
    """C order, looking only at axes longer than one."""
    expect = _c_strides(tuple(a.shape), a.dtype.itemsize)
    return all(d <= 1 or s == e for d, s, e in zip(a.shape, a.strides, expect))


def transpose(a: Any, axes: tuple[int, ...]) -> Any:
    """``np.transpose`` as a view."""
    return strided_view(a, tuple(a.shape[k] for k in axes), tuple(a.strides[k] for k in axes))


def expand_dims(a: Any, axis: tuple[int, ...]) -> Any:
    """``np.expand_dims`` as a view."""
    shape, strides = list(a.shape), list(a.strides)
    for ax in sorted(axis):
        shape.insert(ax, 1)
        strides.insert(ax, 0)
    return strided_view(a, tuple(shape), tuple(strides))


def broadcast_to(a: Any, shape: tuple[int, ...]) -> Any:
    """``np.broadcast_to`` as a view (stride 0 along broadcast axes)."""
    pad = len(shape) - len(a.shape)
    strides = [0] * pad
    for d, s, want in zip(a.shape, a.strides, shape[pad:]):
        strides.append(s if d == want else 0)
    return strided_view(a, tuple(shape), tuple(strides))


def reshape(a: Any, shape: tuple[int, ...]) -> Any:
    """``np.reshape``: a view of a C-contiguous array, else a contiguous copy first."""
    if not is_c_contiguous(a):
        a = contiguous_copy(a)
    return strided_view(a, tuple(shape), _c_strides(tuple(shape), a.dtype.itemsize))


_COPY_KERNELS: dict[int, Any] = {}


def contiguous_copy(a: Any) -> Any:
    """A C-contiguous device copy of a strided device array (a generated copy kernel)."""
    ndim = len(a.shape)
    out = empty(tuple(a.shape), a.dtype.name)
    if ndim == 0 or a.size == 0:
        if ndim == 0:
            out.copy_to_device(a)
        return out
    kernel = _COPY_KERNELS.get(ndim)
    if kernel is None:
        idx = ", ".join(f"i{k}" for k in range(ndim))
        lines = ["def copy(src, dst):", "    total = dst.size",
                 "    for t in range(cuda.grid(1), total, cuda.gridsize(1)):", "        rem = t"]
        for k in reversed(range(1, ndim)):
            lines += [f"        i{k} = rem % dst.shape[{k}]",
                      f"        rem = rem // dst.shape[{k}]"]
        lines += ["        i0 = rem", f"        dst[{idx}] = src[{idx}]"]
        scope: dict[str, Any] = {"cuda": cuda_module()}
        exec("\n".join(lines), scope)  # noqa: S102 - our own template
        kernel = _COPY_KERNELS[ndim] = cuda_module().jit(scope["copy"])
    blocks, threads = elementwise_launch(a.size)
    kernel[blocks, threads](a, out)
    return out


def simulator_math() -> Any:
    """A stand-in for ``math`` in kernels run by the simulator: NumPy's functions give
    IEEE results (NaN, inf) where Python's ``math`` raises, as a GPU does."""
    import math as libm
    import types

    # every ``math`` function, replaced by the NumPy ufunc of the same name where there is
    # one (``math.erf`` has none: it never raises, so the scalar function itself serves)
    names = {k: getattr(np, k) if isinstance(getattr(np, k, None), np.ufunc) else v
             for k, v in vars(libm).items() if callable(v)}
    names.update(asin=np.arcsin, acos=np.arccos, atan=np.arctan, atan2=np.arctan2,
                 pow=np.power)
    return types.SimpleNamespace(**names)


def elementwise_launch(total: int) -> tuple[int, int]:
    """(blocks, threads per block) of a grid-stride loop over ``total`` points."""
    threads = 32 if simulated() else 256
    cap = 4 if simulated() else 65535
    return max(1, min(cap, math.ceil(total / threads))), threads


def rows_launch(extents: tuple[int, ...] | list[int]) -> tuple[tuple[int, int], int] | None:
    """(grid (x, y), threads) of an elementwise ``_rows`` build, or None when the last
    axis is shorter than a block (the flat grid-stride build wastes no threads then)."""
    threads = 32 if simulated() else 256
    last = extents[-1]
    if last < threads:
        return None
    outer = int(np.prod(extents[:-1]))
    cap = 4 if simulated() else 65535
    bx = max(1, min(cap, math.ceil(last / threads)))
    by = max(1, min(cap, outer, max(1, (1 << 16) // bx)))
    return (bx, by), threads


def partial_blocks(points: int, block: int) -> int:
    """Blocks of stage 1 of a whole-array reduction (each writes one partial)."""
    return max(1, min(4 if simulated() else 1024, math.ceil(points / block)))


def reduction_launch(rows: int) -> int:
    """Blocks of a row-per-block reduction (the kernel strides over further rows)."""
    return max(1, min(4 if simulated() else 65535, rows))


__all__ = ["as_device", "broadcast_to", "contiguous_copy", "cuda_module", "elementwise_launch",
           "empty", "expand_dims", "is_c_contiguous", "is_device_array", "partial_blocks",
           "reduction_launch", "require_cuda", "reshape", "rows_launch", "simulated",
           "simulator_math", "strided_view", "to_host", "transpose"]
