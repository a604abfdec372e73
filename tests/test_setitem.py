"""Item assignment (``y[key] = value``) in traced functions (``frontend/assign.py``): into
arrays the function allocated, with basic keys and boolean masks, on both backends against
NumPy; views of the assigned array see the change as in NumPy; assignment into arguments,
views, with index arrays, and into NumPy arrays made outside the trace is refused by name;
gradients flow through the assignment."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et


def copy_then_mask(x):
    y = x.copy()
    y[y < 0] = 0.0
    return y


def zeros_like_columns(x):
    y = np.zeros_like(x)
    y[:, 0] = x[:, 1]
    y[1:, 2] = 5
    return y


def computed_then_masked_from_other(x):
    y = x * 2
    y[x > 1] = x[x > 1] ** 2
    return y


def empty_like_filled(x):
    y = np.empty_like(x)
    y[...] = 3.0
    y[0] = x[0]
    return y


def strided_and_reversed(x):
    y = x.copy()
    y[::2, 1:] = -x[::2, :-1]
    y[-1, ::-1] = x[0]
    return y


def new_axis_in_key(x):
    y = x.copy()
    y[:, None, 1] = x[:, :1]
    return y


def mask_over_rows(x):
    y = x.copy()
    y[x[:, 0] > 0] = 0.0
    return y


def loop_over_columns(x):
    out = np.zeros_like(x)
    for i in range(x.shape[1]):
        out[:, i] = x[:, i] * i
    return out


def normalize_rows_in_place(x):
    y = np.abs(x) + 1.0
    for i in range(y.shape[0]):
        r = y[i]
        y[i] = r / r.sum()
    return y


def shift_by_one(x):
    y = x.copy()
    y[1:] = y[:-1]
    return y


def int_target_truncates(x):
    k = (x > 0).astype(np.int64)
    k[0] = 2.7
    return k


def bool_target(x):
    m = (x > 0).copy()
    m[:, 0] = True
    return m


def float32_target_rounds(x):
    y = x.astype(np.float32)
    y[0] = 1e40
    y[1] = 0.1
    return y


def np_array_copies(x):
    y = np.array(x)
    y[1] = 7.0
    return y, x


def positive_copies(x):
    y = +x
    y[0] = 1.0
    return y, x


def concatenated_then_strided(x):
    y = np.concatenate([x, x])
    y[::3] = 1.5
    return y


def augmented_in_place(x):
    a = np.zeros_like(x)
    b = a  # the same array under two names
    b += 1
    r = a[0]  # a view: sees the next change
    a *= x
    return a, r


def augmented_int_and_float32(x):
    k = (x > 0).astype(np.int64)
    k += 2
    k //= 2
    y = x.astype(np.float32)
    y *= 0.1
    return k, y


def augmented_argument(x):
    x += 1  # NumPy changes the caller's array; the result is the same
    return x


def numpy_zeros_filled_by_columns(x):
    out = np.zeros((x.shape[0], 3))
    out[:, 0] = x[:, 0]
    out[:, 1] = x[:, 1] ** 2
    out[x[:, 2] > 0, 2] = 5.0  # a mask beside an int
    return out


def numpy_empty_filled_in_a_loop(x):
    out = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        out[i] = x[i].sum()
    return out.mean(), out.T, out.reshape(-1, 1).sum(axis=0), out * 2, np.exp(out)


def numpy_int_and_bool_buffers(x):
    c = np.zeros(x.shape[0], dtype=np.int64)
    c[1:] = x[1:, 0] > 0
    m = np.zeros(x.shape, dtype=bool)
    m[:, 1] = x[:, 1] > 0
    return c, m


def eye_rows_by_traced_index(x):
    return np.eye(3)[np.argmax(x, axis=1)]


def numpy_index_and_mask_buffers(x):
    idx = np.zeros(3, dtype=np.int64)
    idx[0] = np.argmax(x[:, 0])
    m = np.zeros(x.shape[0], dtype=bool)
    m[1:] = x[1:, 1] > 0
    y = x.copy()
    y[m] = 0.0
    return x[idx], y


def numpy_full_of_a_traced_value(x):
    a = np.full(3, x.sum())
    a[0] = 1.0
    return a, np.full((2, 3), 0.5) * x[:2]


def numpy_buffer_never_traced(x):
    idx = np.zeros(x.shape[0], dtype=int)  # only NumPy's numbers: stays a NumPy array
    idx[0] = 2
    return x[np.arange(x.shape[0]), idx] + np.ones(4).sum()


def constant_index_arrays(x):
    y = x.copy()
    y[[0, 2]] = 0.0
    y[np.array([1, 1, 3]), 2] = np.array([7.0, 8.0, 9.0])  # a repeated index: the last wins
    y[:, [0]] = -x[:, 1:2]
    z = np.zeros(5)
    z[[4, 0]] = x[:2, 0]
    return y, z


CASES = [constant_index_arrays, numpy_zeros_filled_by_columns, numpy_empty_filled_in_a_loop,
         numpy_int_and_bool_buffers, eye_rows_by_traced_index, numpy_index_and_mask_buffers,
         numpy_full_of_a_traced_value, numpy_buffer_never_traced,
         augmented_in_place, augmented_int_and_float32, augmented_argument,
         copy_then_mask, zeros_like_columns, computed_then_masked_from_other,
         empty_like_filled, strided_and_reversed, new_axis_in_key, mask_over_rows,
         loop_over_columns, normalize_rows_in_place, shift_by_one, int_target_truncates,
         bool_target, float32_target_rounds, np_array_copies, positive_copies,
         concatenated_then_strided]


def _inputs():
    x = np.arange(12.0).reshape(4, 3) - 5.5
    edge = x.copy()
    edge[0, 0], edge[1, 1], edge[2, 2], edge[3, 0] = np.nan, np.inf, -0.0, -np.inf
    return x, edge


def _same(got, want) -> bool:
    got_t = got if isinstance(got, tuple) else (got,)
    want_t = want if isinstance(want, tuple) else (want,)
    return len(got_t) == len(want_t) and all(
        np.asarray(g).dtype == np.asarray(w).dtype and np.asarray(g).shape == np.shape(w)
        and np.allclose(np.asarray(g), np.asarray(w), rtol=1e-13, atol=0.0, equal_nan=True)
        for g, w in zip(got_t, want_t))  # rtol: a compiled exp is within an ulp of NumPy's


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("fn", CASES, ids=[f.__name__ for f in CASES])
def test_assignment_gives_numpys_answer(fn, backend):
    for x, ieee in zip(_inputs(), ("finite", "strict")):  # NaN/inf inputs: strict IEEE
        with np.errstate(all="ignore"):
            want = fn(x.copy())
            got = et.jit(fn, backend=backend, ieee=ieee)(x.copy())
        assert _same(got, want), (fn.__name__, got, want)


def views_see_the_change(x):
    y = x.copy()
    t, r, row = y.T, y.reshape(-1), y[1:]
    first = row[0]
    y[1, 1] = 100.0
    return t, r, first


def split_parts_see_the_change(x):
    y = x.copy()
    a, b = np.split(y, 2)
    y[0, 0] = -7.0
    y[3] = 9.0
    return a, b


def rows_iterated_before(x):
    y = x.copy()
    rows = list(y)
    y[:, 1] = 0.0
    return rows[0], rows[-1]


@pytest.mark.parametrize("fn", [views_see_the_change, split_parts_see_the_change,
                                rows_iterated_before])
def test_views_taken_before_an_assignment_see_it(fn):
    x = _inputs()[0]
    assert _same(et.jit(fn, backend="numpy")(x.copy()), fn(x.copy()))


def into_argument(x):
    x[x < 0] = 0.0
    return x


def into_a_view(x):
    y = x.copy()
    y[0][1] = 5.0
    return y


def with_traced_index_array(x):
    y = x.copy()
    y[np.argmax(x, axis=0)] = 0.0
    return y


def view_of_zeros_taken_before(x):
    out = np.zeros(3)
    v = out[:2]
    out[0] = x[0, 0]
    return v


def into_view_of_zeros(x):
    out = np.zeros((4, 3))
    out[0][1] = x[0, 0]
    return out


def array_into_mask(x):
    y = x.copy()
    y[x > 0] = np.arange(12.0).reshape(4, 3)
    return y


@pytest.mark.parametrize("fn, says", [
    (into_argument, "into an argument or a view"),
    (into_a_view, "into an argument or a view"),
    (with_traced_index_array, "with traced index arrays"),
    (view_of_zeros_taken_before, "a view of an array taken before"),
    (into_view_of_zeros, "into a view of an array made with np.zeros"),
    (array_into_mask, "boolean-mask selection"),
])
def test_untraceable_assignments_are_refused_by_name(fn, says):
    with pytest.raises(et.UnsupportedOperation, match=says) as info:
        et.jit(fn, backend="numpy")(_inputs()[0])
    assert "test_setitem.py" in str(info.value)  # the user's line


def test_augmented_assignment_that_would_grow_the_array_raises_like_numpy():
    def fn(x):
        y = x[0:1].copy()
        y += x
        return y

    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        et.jit(fn, backend="numpy")(_inputs()[0])


def test_an_out_of_bounds_key_raises_numpys_index_error():
    def fn(x):
        y = x.copy()
        y[10] = 1.0
        return y

    with pytest.raises(IndexError, match="out of bounds"):
        et.jit(fn, backend="numpy")(_inputs()[0])


def test_gradient_flows_through_assignment():
    def loss(x):
        y = x.copy()
        y[0] = 2 * x[1]
        y[x > 3] = 0.0
        return (y * y).sum()

    x = np.array([1.0, 2.0, 5.0, -1.0])
    got = et.grad(loss)(x)
    eps = 1e-6
    fd = np.array([(loss(x + eps * e) - loss(x - eps * e)) / (2 * eps) for e in np.eye(4)])
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


def _key_strategy():
    """(shape, key) with a random basic or constant-index-array key for that shape."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
        parts = []
        for n in shape:
            kind = draw(st.sampled_from(["int", "slice", "slice", "array", "full"]))
            if kind == "int":
                parts.append(draw(st.integers(-n, n - 1)))
            elif kind == "slice":
                step = draw(st.sampled_from([None, 1, 2, -1, -2]))
                start = draw(st.one_of(st.none(), st.integers(-n, n)))
                stop = draw(st.one_of(st.none(), st.integers(-n, n)))
                parts.append(slice(start, stop, step))
            elif kind == "array":
                parts.append(draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=3)))
            else:
                parts.append(slice(None))
        arrays = [i for i, p in enumerate(parts) if isinstance(p, list)]
        for i in arrays[1:]:  # one index array (several would broadcast against each other)
            parts[i] = slice(None)
        if draw(st.booleans()) and not arrays:
            parts.insert(draw(st.integers(0, len(parts))), None)
        return shape, tuple(parts)

    return build()


def test_random_keys_assign_like_numpy():
    """Property: for random shapes and keys (ints, slices with any step and bounds, a
    constant index array, a new axis), ``y[key] = value`` traced gives NumPy's array, for
    a scalar value and for a value of the selection's shape."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_key_strategy())
    def check(case):
        shape, key = case
        x = np.arange(float(np.prod(shape))).reshape(shape) + 0.5
        region = x[key].shape

        def scalar(a):
            y = a.copy()
            y[key] = -1.0
            return y

        def array(a):
            y = a.copy()
            y[key] = -np.arange(1.0, 1.0 + int(np.prod(region))).reshape(region)
            return y

        for fn in (scalar, array):
            np.testing.assert_array_equal(et.jit(fn, backend="numpy")(x), fn(x),
                                          err_msg=f"{fn.__name__} {shape} {key}")

    check()
