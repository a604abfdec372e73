"""Joins and splits of traced values (issue 18): ``np.concatenate``, ``np.stack``,
``np.hstack``, ``np.vstack``, ``np.column_stack``, ``np.split`` / ``np.array_split``
(static sections), ``np.diff``, ``np.array`` of traced values. Each is traced through
``et.jit`` on the NumPy and Numba backends and compared with NumPy on random and edge inputs
(NaN, +-inf, +-0, empty parts); gradients against central finite differences; the rules
push elementwise ops through ``concatenate``."""

from __future__ import annotations

import numpy as np
import pytest
from _numeric import finite_difference, weighted_loss

import eqsat_tensor as et

EDGE = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0, 1e-300, 3.0, -0.5, 0.25, 7.0])

# (id, function, input shapes, differentiable)
CASES = [
    ("concat_axis0", lambda x, y: np.concatenate([x, y, x]), [(3, 4), (2, 4)], True),
    ("concat_axis1", lambda x, y: np.concatenate((x, y.T[:3]), axis=1), [(3, 4), (2, 4)],
     True),
    ("concat_axis_none", lambda x, y: np.concatenate([x, y], axis=None), [(3, 4), (2, 4)],
     True),
    ("concat_empty_part", lambda x, y: np.concatenate([x[:0], y, x[3:]]),
     [(3, 4), (2, 4)], True),
    ("exp_of_concat", lambda x, y: np.exp(np.concatenate([x, -y])) * 2.0,
     [(3, 4), (2, 4)], True),
    ("stack0", lambda x, y: np.stack([x, x * y[0]]),
     [(3, 4), (2, 4)], True),
    ("stack_last", lambda x, y: np.stack((x[0], y[1]), axis=-1), [(3, 4), (2, 4)], True),
    ("hstack_1d", lambda x, y: np.hstack([x[0], y[1], x[2]]), [(3, 4), (2, 4)], True),
    ("hstack_2d", lambda x, y: np.hstack([x[:2], y]), [(3, 4), (2, 4)], True),
    ("vstack_1d", lambda x, y: np.vstack([x[0], y[1]]), [(3, 4), (2, 4)], True),
    ("vstack_2d", lambda x, y: np.vstack([x, y]), [(3, 4), (2, 4)], True),
    ("column_stack", lambda x, y: np.column_stack([x[0], y[1]]), [(3, 4), (2, 4)], True),
    ("array_of_traced", lambda x, y: np.array([x[0], y[1]]) + np.asarray([y[0], x[1]]),
     [(3, 4), (2, 4)], True),
    ("split_sections", lambda x: np.split(x, 2, axis=1)[1] - np.split(x, [1, 2], axis=1)[0],
     [(3, 4)], True),
    ("array_split_uneven", lambda x: np.array_split(x, 3, axis=1)[0] * 3.0, [(3, 4)], True),
    ("split_parts_sum", lambda x: sum(p.sum(axis=0) for p in np.array_split(x, 2)),
     [(3, 4)], True),
    ("hsplit_vsplit", lambda x: np.hsplit(x, 2)[0] + np.vsplit(x[:2], 2)[1][:, :2],
     [(3, 4)], True),
    ("diff", lambda x: np.diff(x), [(3, 4)], True),
    ("diff_n2_axis0", lambda x: np.diff(x, n=2, axis=0), [(3, 4)], True),
    ("diff_prepend_append", lambda x: np.diff(x, prepend=0.0, append=x[:, :1]), [(3, 4)],
     True),
    ("diff_1d_empty", lambda x: np.diff(x[0, :1]), [(3, 4)], False),
    ("diff_bool", lambda x: np.where(np.diff(x > 0, axis=0), 1.0, 0.0), [(3, 4)], False),
]
IDS = [c[0] for c in CASES]


def _inputs(shapes, seed=18):
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal(s) for s in shapes)


def _edge_inputs(shapes):
    rng = np.random.default_rng(3)
    out = []
    for k, s in enumerate(shapes):
        flat = rng.standard_normal(s).ravel()
        picks = np.roll(EDGE, 3 * k)[: flat.size]
        flat[: picks.size] = picks
        out.append(rng.permutation(flat).reshape(s))
    return tuple(out)


def _ref(fn, args):
    with np.errstate(all="ignore"):
        return fn(*args)


@pytest.mark.parametrize("name, fn, shapes, diff", CASES, ids=IDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_matches_numpy_on_random_inputs(name, fn, shapes, diff, backend):
    args = _inputs(shapes)
    got, want = et.jit(fn, backend=backend)(*args), _ref(fn, args)
    assert np.shape(got) == np.shape(want) and np.asarray(got).dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name, fn, shapes, diff", CASES, ids=IDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_matches_numpy_on_nan_inf_and_signed_zero(name, fn, shapes, diff, backend):
    args = _edge_inputs(shapes)
    got, want = np.asarray(et.jit(fn, backend=backend, ieee="strict")(*args)), _ref(fn, args)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    keep = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got)[keep], np.signbit(want)[keep])


@pytest.mark.parametrize("name, fn, shapes, diff", [c for c in CASES if c[3]],
                         ids=[c[0] for c in CASES if c[3]])
def test_gradient_matches_finite_differences(name, fn, shapes, diff):
    args = _inputs(shapes)
    w = np.random.default_rng(1).standard_normal(np.shape(_ref(fn, args)))
    loss = weighted_loss(fn, w, len(args))
    for i in range(len(args)):
        got = et.grad(loss, argnums=i, backend="numpy")(*args)
        np.testing.assert_allclose(got, finite_difference(loss, args, i), rtol=1e-5,
                                   atol=1e-6)


def test_mixed_dtypes_promote_like_numpy():
    x, y = _inputs([(2, 3), (2, 3)])
    fn = et.jit(lambda x, y: np.concatenate([x, y]), backend="numpy")
    got = fn(x.astype(np.float32), y)
    want = np.concatenate([x.astype(np.float32), y])
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    got32 = fn(x.astype(np.float32), y.astype(np.float32))
    assert got32.dtype == np.float32


def test_exp_is_pushed_through_concatenate_both_ways():
    x, y = et.tensor("x", (3, 4)), et.tensor("y", (2, 4))
    res = et.optimize(et.exp(np.concatenate([x, y])), budget=et.Budget(seconds=60))
    assert any("concat" in r for r in res.report.rules_fired), res.report.rules_fired
    v = _inputs([(3, 4), (2, 4)])
    np.testing.assert_allclose(et.compile(res.graph)(*v), np.exp(np.concatenate(v)), rtol=1e-15)


@pytest.mark.parametrize("fn, err", [
    (lambda x: np.split(x, 3, axis=1), "equal division"),
    (lambda x: np.concatenate([x, x[:, :2]]), "must match exactly"),
    (lambda x: np.stack([x, x[:2]]), "same shape"),
])
def test_bad_joins_raise_like_numpy(fn, err):
    x = np.ones((3, 4))
    with pytest.raises(ValueError):
        fn(x)
    with pytest.raises(ValueError, match=err):
        et.jit(fn, backend="numpy")(x)


@pytest.mark.parametrize("key", [slice(0, 2), slice(3, 5), slice(4, None), slice(4, 2, -1),
                                 slice(2, None, -1), slice(None, None, -1), slice(1, 4),
                                 slice(0, 5, 3)])
def test_slice_of_a_concatenate_inside_one_part_reads_only_that_part(key):
    a, b = et.tensor("a", (3, 4)), et.tensor("b", (2, 4))
    y = np.concatenate([a, np.exp(b)])[key]
    av, bv = _inputs([(3, 4), (2, 4)])
    whole = np.concatenate([av, np.exp(bv)])
    idx = range(5)[key]
    inside = max(idx) < 3 or min(idx) >= 3
    assert (y.node.op != "concatenate" and "concatenate" not in y.graph().op_counts()) == inside
    got = et.compile(y.graph(), backend="numpy")(**{n: {"a": av, "b": bv}[n]
                                                    for n in y.graph().input_names})
    np.testing.assert_array_equal(got, whole[key])
