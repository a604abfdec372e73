"""Points and comparisons shared by the PyMC import tests: random points around a model's
initial point, a point that fails a parameter check, and "the same outcome as PyTensor"
(the same error and message, or equal values)."""

from __future__ import annotations

import numpy as np
import pytest


def points(model, n: int = 3, seed: int = 0) -> list[list[np.ndarray]]:
    """``n`` points around the model's initial point, one array per value variable."""
    rng = np.random.default_rng(seed)
    ip = model.initial_point()
    return [[np.asarray(ip[v.name] + 0.7 * rng.normal(size=np.shape(ip[v.name])))
             for v in model.value_vars] for _ in range(n)]


def split_flat(x: np.ndarray, shapes) -> list[np.ndarray]:
    """The flat parameter vector ``x`` cut into one array per value variable."""
    args, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        args.append(x[start:start + size].reshape(shape))
        start += size
    return args


def bad_point(model) -> list[np.ndarray]:
    """A point failing a parameter check: log-transformed scales at -800 (the scale
    underflows to 0: every ``sigma > 0`` check of a free scale fails at once), else NaN in
    the first parameter."""
    ip = model.initial_point()
    args = [np.asarray(ip[v.name], dtype=float) for v in model.value_vars]
    logs = [i for i, v in enumerate(model.value_vars) if v.name.endswith("_log__")]
    for i in logs:
        args[i] = np.full_like(args[i], -800.0)
    if not logs:
        args[0] = np.full_like(args[0], np.nan)
    return args


def close(got, ref) -> None:
    """Equal to 1e-10 relative (absolute 1e-12 of the largest reference value)."""
    ref = np.asarray(ref)
    scale = float(np.max(np.abs(ref))) if ref.size else 1.0
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12 * scale)


def same_outcome(call, ref_call, args) -> None:
    """Both raise the same error with the same first line, or both give equal values (NaN
    where the reference is NaN)."""
    try:
        expected = ref_call(*args)
    except Exception as exc:  # noqa: BLE001 - whatever PyMC raises, we must raise
        with pytest.raises(type(exc)) as info:
            call(*args)
        # PyTensor appends the apply node's description to the message
        assert str(exc).splitlines()[0] == str(info.value).splitlines()[0]
        return
    got = call(*args)
    for g, e in zip(got if isinstance(got, (tuple, list)) else (got,), expected):
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e))
        finite = np.isfinite(e)
        close(np.asarray(g)[finite], np.asarray(e)[finite])
