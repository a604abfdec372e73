"""xarray interop for the Dask backend: a function compiled with ``backend="dask"`` applied
to dask-backed ``xarray.DataArray`` objects, coordinates and all.

``xarray.apply_ufunc`` does the xarray part (aligning and broadcasting by dimension name,
moving core dimensions last, putting dims, coordinates and attributes back on the
result); the function sees the underlying ``dask.array`` objects (``dask="allowed"``) and
returns lazy Dask arrays, so the fused task graph is what the resulting DataArray holds::

    import eqsat_tensor as et
    from eqsat_tensor.backends.dask_xarray import apply_ufunc

    @et.jit(backend="dask")
    def softmax(x):                      # over the last axis: the core dimension
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    probs = apply_ufunc(softmax, temps, core_dims=["time"])   # dims, coords as temps

xarray is an optional dependency (the ``dask`` extra installs it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def apply_ufunc(fn: Callable[..., Any], *arrays: Any, core_dims: Sequence[str] = (),
                output_core_dims: Sequence[Sequence[str]] | None = None,
                keep_attrs: bool = True, **kwargs: Any) -> Any:
    """``fn`` (compiled with ``backend="dask"``) on xarray objects.

    ``core_dims``: the dimensions ``fn`` works along, moved last (in this order) on every
    input that has them; the others broadcast by name. ``output_core_dims``: per output,
    the core dimensions it keeps. When None: ``core_dims`` if ``fn`` keeps the shape (the
    result of ``fn`` on one zero-size block says which), else none (a reduction over the
    core dims). Other keyword arguments go to ``xarray.apply_ufunc``.
    """
    import xarray as xr

    core = list(core_dims)
    input_core = [[d for d in core if d in getattr(a, "dims", ())] for a in arrays]
    if output_core_dims is None:
        output_core_dims = [core] if _keeps_core(fn, arrays, input_core) else [[]]
    return xr.apply_ufunc(fn, *arrays, input_core_dims=input_core,
                          output_core_dims=[list(d) for d in output_core_dims],
                          dask="allowed", keep_attrs=keep_attrs, **kwargs)


def _keeps_core(fn: Callable[..., Any], arrays: Sequence[Any], input_core: list[list[str]]
                ) -> bool:
    """Whether ``fn`` returns the core dims (same rank as its widest input), tried on the
    inputs' shapes through the lazy graph without computing anything."""
    import xarray as xr

    if not any(input_core):
        return False
    data = []
    for a, cd in zip(arrays, input_core):
        if isinstance(a, xr.DataArray):
            a = a.transpose(*[d for d in a.dims if d not in cd], *cd).data
        data.append(a)
    out = fn(*data)
    out = out[0] if isinstance(out, (tuple, list)) else out
    return getattr(out, "ndim", 0) == max(getattr(d, "ndim", 0) for d in data)


__all__ = ["apply_ufunc"]
