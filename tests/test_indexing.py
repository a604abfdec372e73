"""Indexing of traced values (issue 18): basic indexing as the ``slice`` view op, integer
arrays / ``np.take`` / ``np.take_along_axis`` as gathers. Each function is traced through
``et.jit`` on the NumPy and Numba backends and compared with NumPy running the very same
Python function on random and edge inputs (NaN, +-inf, +-0, empty slices); gradients are
checked against central finite differences; out-of-range indices raise IndexError like
NumPy; data-dependent shapes raise ``UnsupportedError`` naming the operation and line."""

from __future__ import annotations

import numpy as np
import pytest
from _numeric import finite_difference, weighted_loss

import eqsat_tensor as et
from eqsat_tensor.ir import Graph, apply, constant_node, input_node

EDGE = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.0, 1e-300, 3.0, -0.5, 0.25, 7.0])
IDX = np.array([2, 0, 0, -1])  # repeats and a negative index
ALONG = np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])
ALONG0 = np.array([[2, 0, 1, 1], [0, 0, 2, -1]])


def _m(rng, shape=(3, 4)):
    return rng.standard_normal(shape)


# (id, function, input shapes, differentiable)
CASES = [
    ("cols_from_1", lambda x: x[:, 1:], [(3, 4)], True),
    ("row_0", lambda x: x[0], [(3, 4)], True),
    ("new_axis_ellipsis", lambda x: x[..., None] * x[:, None, :], [(3, 4)], True),
    ("reverse", lambda x: x[::-1], [(3, 4)], True),
    ("steps_negative_bounds", lambda x: x[-2:0:-1, ::2], [(3, 4)], True),
    ("negative_int", lambda x: x[-1, -2] + x[1, :-1].sum(), [(3, 4)], True),
    ("ellipsis_middle", lambda x: x[1, ..., 2:], [(2, 3, 4)], True),
    ("slice_of_slice", lambda x: x[1:][::2][:, ::-1], [(5, 4)], True),
    ("empty_slice", lambda x: x[3:1] + 1.0, [(3, 4)], False),
    ("empty_slice_sum", lambda x: np.sum(x[:, 4:], axis=1), [(3, 4)], False),
    ("exp_of_slice", lambda x: np.exp(x)[:, 1:] * np.log1p(x * x)[:, :-1], [(3, 4)], True),
    ("int_array_rows", lambda x: x[IDX], [(3, 4)], True),
    ("int_array_cols", lambda x: x[:, [1, -1, 1]], [(3, 4)], True),
    ("int_list_with_int", lambda x: x[2, [1, 3]] + x[[0, 2], 1], [(3, 4)], True),
    ("int_array_2d", lambda x: x[np.array([[0, 1], [2, 2]])], [(3, 4)], True),
    ("two_arrays", lambda x: x[[0, 2, 1], [3, 3, 0]], [(3, 4)], True),
    ("array_and_none", lambda x: x[:, None, [0, 2]], [(3, 4)], True),
    ("array_apart", lambda x: x[[0, 1], :, 0], [(2, 3, 4)], True),
    ("take_axis", lambda x: np.take(x, [3, 0], axis=1), [(3, 4)], True),
    ("take_flat", lambda x: np.take(x, [5, 11, 0]), [(3, 4)], True),
    ("take_scalar", lambda x: np.take(x, 1, axis=0), [(3, 4)], True),
    ("take_along_axis", lambda x: np.take_along_axis(x, ALONG, axis=1), [(3, 4)], True),
    ("take_along_axis0", lambda x: np.take_along_axis(x, ALONG0, axis=0), [(3, 4)], True),
    ("gather_rows_loss", lambda x, y: np.sum((x[IDX] - y) ** 2, axis=1),
     [(3, 4), (4, 4)], True),
    ("flip_roll", lambda x: np.flip(x, 1) + np.roll(x, 1, axis=0) + np.flipud(x),
     [(3, 4)], True),
]
IDS = [c[0] for c in CASES]


def _inputs(shapes, seed=18):
    rng = np.random.default_rng(seed)
    return tuple(_m(rng, s) for s in shapes)


def _edge_inputs(shapes):
    rng = np.random.default_rng(3)
    out = []
    for k, s in enumerate(shapes):
        flat = _m(rng, s).ravel()
        picks = np.roll(EDGE, 3 * k)[: flat.size]
        flat[: picks.size] = picks
        out.append(rng.permutation(flat).reshape(s))
    return tuple(out)


def _ref(fn, args):
    with np.errstate(all="ignore"):
        return fn(*args)


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)
    keep = ~np.isnan(want)
    np.testing.assert_array_equal(np.signbit(got)[keep], np.signbit(want)[keep])


@pytest.mark.parametrize("name, fn, shapes, diff", CASES, ids=IDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_matches_numpy_on_random_inputs(name, fn, shapes, diff, backend):
    args = _inputs(shapes)
    got = et.jit(fn, backend=backend)(*args)
    want = _ref(fn, args)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert np.shape(got) == np.shape(want)


@pytest.mark.parametrize("name, fn, shapes, diff", CASES, ids=IDS)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_matches_numpy_on_nan_inf_and_signed_zero(name, fn, shapes, diff, backend):
    args = _edge_inputs(shapes)
    _same(et.jit(fn, backend=backend, ieee="strict")(*args), _ref(fn, args))


@pytest.mark.parametrize("name, fn, shapes, diff", [c for c in CASES if c[3]],
                         ids=[c[0] for c in CASES if c[3]])
def test_gradient_matches_finite_differences(name, fn, shapes, diff):
    args = _inputs(shapes)
    w = np.random.default_rng(1).standard_normal(np.shape(_ref(fn, args)))
    loss = weighted_loss(fn, w, len(args))

    got = et.grad(loss, argnums=0, backend="numpy")(*args)
    np.testing.assert_allclose(got, finite_difference(loss, args), rtol=1e-5, atol=1e-6)


def test_gradient_on_the_numba_backend_accumulates_repeated_indices():
    x = _inputs([(3, 4)])[0]

    def loss(x):
        return np.sum(np.exp(x[IDX])) + np.sum(x[:, 1:] ** 2)

    got = et.grad(loss, backend="numba")(x)
    np.testing.assert_allclose(got, finite_difference(loss, (x,)), rtol=1e-5, atol=1e-6)


def test_slice_of_an_elementwise_op_computes_only_the_slice():
    x = et.tensor("x", (50, 60))
    res = et.optimize(et.exp(x)[:, 1:] + 1.0, budget=et.Budget(seconds=60))
    ops = {n.op: n for n in res.graph.nodes()}
    assert ops["exp"].shape == (50, 59)  # exp runs on the slice, not on the whole input
    assert ops["slice"].inputs[0].op == "input"


def test_slice_of_a_slice_is_one_slice():
    x = et.tensor("x", (10, 8))
    y = x[1:][::2][:, ::-3]
    assert y.node.op == "slice" and y.node.inputs[0].op == "input"
    v = np.arange(80.0).reshape(10, 8)
    np.testing.assert_array_equal(et.compile(y.graph())(v), v[1:][::2][:, ::-3])


@pytest.mark.parametrize("fn", [lambda x: x[[0, 3]], lambda x: x[:, [-5]],
                                lambda x: np.take(x, [4], axis=1), lambda x: x[3],
                                lambda x: x[0, 4]])
def test_constant_indices_out_of_range_raise_index_error(fn):
    x = np.ones((3, 4))
    with pytest.raises(IndexError):
        fn(x)  # NumPy raises too
    with pytest.raises(IndexError, match="out of bounds"):
        et.jit(fn, backend="numpy")(x)


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_traced_int64_indices_are_checked_when_the_kernel_runs(backend):
    x = input_node("x", (3, 4))
    i = input_node("i", (2,), "int64")
    out = apply("exp", apply("take", x, i, axis=(0,)))
    fn = et.compile(Graph(out, [x, i]), backend=backend)
    v = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_allclose(fn(v, np.array([2, -3])), np.exp(v[[2, -3]]))
    with pytest.raises(IndexError):
        fn(v, np.array([0, 3]))


def test_constant_index_dtype_is_int64():
    x = et.tensor("x", (3, 4))
    node = x[[1, 2]].node
    assert node.op == "take" and node.inputs[1].dtype == "int64"
    assert node.inputs[1] is constant_node(np.array([1, 2]), "int64")


@pytest.mark.parametrize("fn, what", [
    (lambda x: x[x > 0], "boolean-mask indexing"),
    (lambda x: x[:, x[0] > 0], "boolean-mask indexing"),
    (lambda x: x[np.array([True, False, True])], "boolean-mask indexing"),
])
def test_escaping_data_dependent_shapes_are_unsupported(fn, what):
    with pytest.raises(et.UnsupportedError, match=what) as info:
        et.jit(fn, backend="numpy")(np.ones((3, 3)))
    assert "test_indexing.py" in str(info.value)  # the user's line


def test_masked_reduction_still_works():
    x = _inputs([(3, 4)])[0]
    fn = et.jit(lambda x: np.sum(x[x > 0]) + x[x < 0].mean(), backend="numpy")
    np.testing.assert_allclose(fn(x), np.sum(x[x > 0]) + x[x < 0].mean())


def test_index_errors_like_numpy():
    x = np.ones((3, 4))
    with pytest.raises(IndexError, match="too many indices"):
        et.jit(lambda x: x[0, 0, 0], backend="numpy")(x)
    with pytest.raises(IndexError, match="single ellipsis"):
        et.jit(lambda x: x[..., ...], backend="numpy")(x)


def test_methods_take_and_builder_indexing():
    x = _inputs([(3, 4)])[0]
    fn = et.jit(lambda x: x.take([0, 2], axis=1) + x[:, 1:3], backend="numpy")
    np.testing.assert_array_equal(fn(x), x.take([0, 2], axis=1) + x[:, 1:3])


def test_a_new_batch_size_still_gives_numpys_answer():
    fn = et.jit(lambda x: x[:, 1:] * 2.0, backend="numpy")
    for n in (3, 5, 7):
        x = np.arange(n * 4.0).reshape(n, 4)
        np.testing.assert_array_equal(fn(x), x[:, 1:] * 2.0)


def test_compose_slices_equals_slicing_twice():
    from eqsat_tensor.ir import compose_slices, normalize_slice

    rng = np.random.default_rng(7)

    def draw():
        bound = [None] + list(range(-8, 9))
        return slice(bound[rng.integers(len(bound))], bound[rng.integers(len(bound))],
                     [None, 1, 2, 3, -1, -2, -3][rng.integers(7)])

    for _ in range(3000):
        n = int(rng.integers(0, 8))
        v = np.arange(n)
        s1, s2 = draw(), draw()
        t1 = normalize_slice(s1, n)
        t2 = normalize_slice(s2, len(v[s1]))
        np.testing.assert_array_equal(v[slice(*t1)], v[s1])
        for shape in ((n,), None):  # normal form, and the shape-free form of the rules
            (t,) = compose_slices([t1], [t2], shape)
            np.testing.assert_array_equal(v[slice(*t)], v[s1][s2])


def test_slice_of_a_slice_is_one_slice_in_the_egraph():
    from eqsat_tensor.ir import normalize_slice

    x = input_node("x", (10, 8))
    inner = apply("slice", x, slices=(normalize_slice(slice(1, None), 10), (0, None, 1)))
    outer = apply("slice", apply("exp", inner),
                  slices=(normalize_slice(slice(None, None, 2), 9),
                          normalize_slice(slice(None, None, -3), 8)))
    res = et.optimize(Graph(outer), budget=et.Budget(seconds=60))  # (a loaded CI machine)
    assert "slice-slice" in res.report.rules_fired
    assert res.graph.op_counts().get("slice") == 1
    v = np.random.default_rng(0).standard_normal((10, 8))
    np.testing.assert_allclose(et.compile(res.graph)(v), np.exp(v[1:])[::2, ::-3], rtol=1e-15)


def test_json_round_trip_of_every_indexing_op():
    from eqsat_tensor.frontend import json_io
    from eqsat_tensor.ir import normalize_slice

    x = input_node("x", (4, 5))
    i = constant_node(np.array([0, 0, 2]), "int64")
    j = constant_node(np.array([[0], [1], [1], [2]]), "int64")
    s = apply("slice", x, slices=(normalize_slice(slice(1, None), 4),
                                  normalize_slice(slice(None, None, -2), 5)))
    outs = [s, apply("pad_slice", s, slices=s.attr("slices"), shape=(4, 5)),
            apply("concatenate", x, x, axis=(1,)),
            apply("scatter_add", apply("take", x, i, axis=(0,)), i, axis=(0,), shape=(4, 5)),
            apply("scatter_add_along", apply("take_along_axis", x, j, axis=(1,)), j, axis=(1,),
                  shape=(4, 5))]
    g = Graph(outs, [x])
    back = json_io.loads(json_io.dumps(g))
    assert back == g
    v = np.random.default_rng(0).standard_normal((4, 5))
    want = et.compile(back, backend="numpy")(v)
    backends = ["numba"] + (["dask"] if _has("dask") else [])
    for backend in backends:
        for a, b in zip(want, et.compile(g, backend=backend)(v)):
            np.testing.assert_array_equal(a, b)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None
