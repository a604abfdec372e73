"""xarray.DataArray objects backed by dask through a ``backend="dask"`` function."""

# ruff: noqa: E402  (imports after the optional-dependency skips)
from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")  # dask and xarray are optional
xr = pytest.importorskip("xarray")

import eqsat_tensor as et
from eqsat_tensor.backends.dask_xarray import apply_ufunc

pytestmark = pytest.mark.dask


def _temps() -> xr.DataArray:
    data = da.from_array(np.random.default_rng(0).normal(size=(6, 9)) * 3, chunks=(4, 4))
    return xr.DataArray(data, dims=("site", "time"),
                        coords={"site": [f"s{i}" for i in range(6)],
                                "time": np.arange(9) * 10, "elev": ("site", np.arange(6.0))},
                        name="temp", attrs={"units": "K"})


def test_elementwise_and_softmax_keep_coords():
    t = _temps()

    @et.jit(backend="dask")
    def smooth(x):
        return np.log1p(np.exp(x)) * 2 - np.tanh(x)

    @et.jit(backend="dask")
    def softmax(x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    out = apply_ufunc(smooth, t)
    assert isinstance(out.data, da.Array)
    assert any(k.startswith("eqsat-") for k in out.data.dask.layers)
    assert out.dims == t.dims and out.attrs == t.attrs
    xr.testing.assert_identical(out.coords.to_dataset(), t.coords.to_dataset())
    v = t.values
    np.testing.assert_allclose(out.values, np.log1p(np.exp(v)) * 2 - np.tanh(v), rtol=1e-12)
    # softmax along "site", the first dim: moved last for the function, put back after
    p = apply_ufunc(softmax, t, core_dims=["site"])
    assert set(p.dims) == {"site", "time"} and p.sizes == t.sizes
    p = p.transpose("site", "time")
    e = np.exp(v - v.max(axis=0))
    np.testing.assert_allclose(p.values, e / e.sum(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(p["elev"].values, t["elev"].values)


def test_reduction_over_a_named_dim_and_broadcast_by_name():
    t = _temps()
    w = xr.DataArray(da.from_array(np.linspace(0.5, 1.5, 9), chunks=4), dims=("time",),
                     coords={"time": np.arange(9) * 10})

    @et.jit(backend="dask")
    def weighted_lse(x, w):
        return np.log(np.sum(np.exp(x) * w, axis=-1))

    out = apply_ufunc(weighted_lse, t, w, core_dims=["time"])
    assert out.dims == ("site",)
    assert list(out["site"].values) == list(t["site"].values)
    np.testing.assert_array_equal(out["elev"].values, t["elev"].values)
    want = np.log(np.sum(np.exp(t.values) * w.values, axis=-1))
    np.testing.assert_allclose(out.values, want, rtol=1e-12)
