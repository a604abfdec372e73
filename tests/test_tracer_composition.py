"""The tracing entry: weak Python scalars, static arguments, NumPy-scalar results, jit inside
jit, jit of grad and grad of jit, SciPy functions rebound by identity, and errors that name
the NumPy / SciPy function and the user's line."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest
import scipy.special
from scipy.special import logsumexp

import eqsat_tensor as et
from eqsat_tensor.errors import UnsupportedOperation

HERE = pathlib.Path(__file__).name


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_python_float_default_argument_is_weak(backend):
    def leaky(x, slope=0.01):
        return np.where(x > 0, x, slope * x)

    x = np.linspace(-1, 1, 5, dtype=np.float32)
    got = et.jit(leaky, backend=backend)(x)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, leaky(x))
    got64 = et.jit(leaky, backend=backend)(x.astype(np.float64), 0.5)
    assert got64.dtype == np.float64
    np.testing.assert_array_equal(got64, leaky(x.astype(np.float64), 0.5))


@pytest.mark.parametrize("fn", [
    lambda x, s: x * s, lambda x, s: np.exp(s) * x, lambda x, s: x / (s * 2.0 + 1),
    lambda x, s: np.where(x > 0, s, x), lambda x, s: -s + abs(s) * x,
    lambda x, s: np.maximum(x.astype(np.float64), s), lambda x, s: x + np.float64(1.5),
], ids=["mul", "ufunc-of-scalar", "python-arith", "where", "unary", "astype64", "np64"])
def test_python_float_argument_promotes_like_numpy_2(fn):
    x = np.linspace(-1, 1, 4, dtype=np.float32)
    want = fn(x, 0.3)
    got = et.jit(fn, backend="numpy")(x, 0.3)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_weak_float_argument_is_an_input_not_a_constant():
    f = et.jit(lambda x, s: x * s, backend="numpy")
    x = np.ones(3, np.float32)
    np.testing.assert_array_equal(f(x, 2.0), np.full(3, 2.0, np.float32))
    np.testing.assert_array_equal(f(x, 3.0), np.full(3, 3.0, np.float32))
    assert len(f._cache) == 1  # one trace for every float value


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("fn", [lambda x: np.sum(x), lambda x: x @ x, lambda x: x.mean(),
                                lambda x: np.linalg.norm(x)])
def test_full_reduction_returns_a_numpy_scalar(fn, backend):
    x = np.arange(1.0, 4.0)
    got, want = et.jit(fn, backend=backend)(x), fn(x)
    assert type(got) is type(want) is np.float64
    assert got == pytest.approx(want)


def test_vector_dot_plus_scalar_on_numpy_backend():
    got = et.jit(lambda x: x @ x + 1.0, backend="numpy")(np.ones(3))
    assert type(got) is np.float64 and got == 4.0


def test_static_argnames_and_int_arguments_are_static():
    def f(x, axis, scale=2.0):
        return np.sum(x, axis=axis) * scale

    x = np.arange(6.0).reshape(2, 3)
    jf = et.jit(f, backend="numpy")
    np.testing.assert_allclose(jf(x, 0), f(x, 0))
    np.testing.assert_allclose(jf(x, axis=1), f(x, 1))
    assert len(jf._cache) == 2  # one per static value

    def g(x, mode):
        return np.exp(x) if mode == "exp" else np.log(x)

    jg = et.jit(g, backend="numpy", static_argnames=("mode",))
    np.testing.assert_allclose(jg(x + 1, "exp"), np.exp(x + 1))
    np.testing.assert_allclose(jg(x + 1, mode="log"), np.log(x + 1))
    jn = et.jit(lambda x, p: x ** p, backend="numpy", static_argnums=1)
    np.testing.assert_allclose(jn(x, 3.0), x ** 3)


def test_static_argnames_must_name_an_argument():
    with pytest.raises(ValueError, match="no argument 'nope'"):
        et.jit(lambda x: x, static_argnames="nope")


def test_jit_inside_jit_is_inlined_into_one_graph():
    inner = et.jit(lambda x: np.exp(x) * 2)
    outer = et.jit(lambda x: inner(x).sum(), backend="numpy")
    x = np.linspace(0, 1, 4)
    assert outer(x) == pytest.approx(np.sum(np.exp(x) * 2))
    graph = outer.trace(x)
    assert graph.op_counts().get("exp") == 1 and len(inner._cache) == 0


def test_jit_of_grad_and_grad_of_jit():
    def f(x):
        return np.sum(x ** 3)

    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(et.jit(et.grad(f), backend="numpy")(x), 3 * x ** 2)
    jf = et.jit(f)
    np.testing.assert_allclose(et.grad(lambda x: jf(x) * 2, backend="numpy")(x), 6 * x ** 2)


def test_scipy_python_functions_are_traced_by_identity():
    def f(x):
        return logsumexp(x, axis=1) + scipy.special.softmax(x, axis=0).sum(axis=1)

    x = np.random.default_rng(0).standard_normal((3, 4))
    graph = et.jit(f, backend="numpy").trace(x)
    assert "logsumexp" in graph.op_counts()
    np.testing.assert_allclose(et.jit(f, backend="numpy")(x), f(x))


def test_helper_functions_are_rebound_too():
    x = np.random.default_rng(1).standard_normal((2, 3))
    np.testing.assert_allclose(et.jit(_uses_helper, backend="numpy")(x), _uses_helper(x))


def _helper(x):
    return scipy.special.log_softmax(x, axis=-1)


def _uses_helper(x):
    return _helper(x) * 2


def _line_of(fn) -> int:
    """The line of the single ``return`` in ``fn`` (where the traced call is)."""
    import inspect

    lines, start = inspect.getsourcelines(fn)
    tree = ast.parse("".join(lines).strip() if lines[0].startswith(" ") else "".join(lines))
    ret = next(n for n in ast.walk(tree) if isinstance(n, ast.Return))
    return start + ret.lineno - 1


def _mask(x):
    return x[x > 0]


def _slice(x):  # slicing is traced (issue 18); several apart index arrays are not
    return x[[0, 1], None, [0, 1]]


def _int_index(x):  # integer indexing is traced; a float index is not
    return x[x[0]]


def _method(x):
    return x.argpartition(1)


def _cumsum(x):
    return np.nancumsum(x, axis=0)


def _lse_weights(x):
    return logsumexp(x, b=x, return_sign=True)


def _setitem(x):
    x[0] = 1.0
    return x


def _concat(x):  # np.concatenate and np.delete are traced (issue 18); np.unique is not
    return np.unique(x)


def _floor_div(x):
    return x << 2


@pytest.mark.parametrize("fn, name", [
    (_mask, "boolean-mask indexing"),
    (_slice, "integer-array indexing with several index arrays (x[array, None, array])"),
    (_int_index, "indexing with a traced float64 value (x[index])"),
    (_method, "ndarray.argpartition"),
    (_cumsum, "np.nancumsum"), (_lse_weights, "scipy.special.logsumexp(..., return_sign=True)"),
    (_concat, "np.unique"), (_floor_div, "np.left_shift"),
], ids=lambda v: getattr(v, "__name__", None))
def test_unsupported_names_the_function_and_the_user_line(fn, name):
    with pytest.raises(UnsupportedOperation) as info:
        et.jit(fn, backend="numpy")(np.ones((2, 3)))
    message = str(info.value)
    assert name in message
    lines = (_line_of(fn), fn.__code__.co_firstlineno)  # a call, or the returning function
    assert any(f"{HERE}:{n})" in message for n in lines), message
    assert "np.cumsum" not in message or "cumsum" in name


def test_item_assignment_names_the_construct():
    with pytest.raises(UnsupportedOperation, match=r"item assignment .*test_tracer_composition"):
        et.jit(_setitem, backend="numpy")(np.ones(3))


def test_scipy_function_called_inside_a_library_call_names_the_scipy_function():
    def f(x):
        from scipy.special import logsumexp as lse  # bound at run time: not rebound

        return lse(x, axis=0)

    with pytest.raises(UnsupportedOperation, match=r"scipy\.special\.logsumexp"):
        et.jit(f, backend="numpy")(np.ones(3))


def test_every_ndarray_member_is_supported_or_refused_by_name():
    x = et.tensor("x", (2, 3))
    for name in dir(np.ndarray):
        if name.startswith("_"):
            continue
        try:
            getattr(x, name)
        except UnsupportedOperation as exc:
            assert f"ndarray.{name}" in str(exc)


def test_int_array_argument_error_is_clear():
    with pytest.raises(et.DTypeError, match=r"argument 'x' has dtype int16.*static_argnames"):
        et.jit(lambda x: x * 2, backend="numpy")(np.arange(3, dtype=np.int16))


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_bool_mask_argument(backend):
    def masked_mean(x, m):
        return np.sum(np.where(m, x, 0.0)) / np.sum(m.astype(float))

    x = np.array([1.0, -2.0, 3.0, 4.0])
    m = np.array([True, False, True, False])
    got = et.jit(masked_mean, backend=backend)(x, m)
    assert type(got) is np.float64 and got == masked_mean(x, m)


_CALLS = 0


def _counts_calls(x):
    global _CALLS
    _CALLS += 1
    return np.exp(x) * 2


def test_np_asarray_of_a_traced_value_and_global_writes():
    x = np.arange(3.0)
    np.testing.assert_allclose(et.jit(lambda x: np.asarray(x, dtype=float) + 1,
                                      backend="numpy")(x), x + 1)
    before = _CALLS
    np.testing.assert_allclose(et.jit(_counts_calls, backend="numpy")(x), np.exp(x) * 2)
    assert _CALLS == before + 1  # the write reached this module (the function is not copied)


def test_grad_with_a_static_argument():
    def loss(w, x, axis):
        return np.sum(np.mean(np.tanh(x * w), axis=axis))

    g = et.grad(loss, backend="numpy", static_argnames=("axis",))
    w = np.array([0.5, -1.0, 2.0])
    x = np.arange(6.0).reshape(2, 3) / 6
    eps = 1e-6
    fd = np.array([(loss(w + eps * e, x, 0) - loss(w - eps * e, x, 0)) / (2 * eps)
                   for e in np.eye(3)])
    np.testing.assert_allclose(g(w, x, 0), fd, rtol=1e-6)
    with pytest.raises(ValueError, match="static"):
        et.grad(loss, argnums=2, backend="numpy", static_argnames=("axis",))(w, x, 0)


def test_keyword_only_arguments():
    def f(x, *, eps=1e-3, axis=-1):
        return x / (np.sum(x, axis=axis, keepdims=True) + eps)

    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(et.jit(f, backend="numpy")(x, eps=0.5), f(x, eps=0.5))
    np.testing.assert_allclose(et.jit(f, backend="numpy")(x, axis=0), f(x, axis=0))


def test_unsupported_scipy_method_is_named_by_its_public_instance():
    from scipy import stats

    def f(x):
        return stats.norm.logpdf(x).sum()

    with pytest.raises(UnsupportedOperation, match=r"scipy\.stats\.norm\.logpdf .*"
                                                   rf"{HERE}:{_line_of(f)}\)"):
        et.jit(f, backend="numpy")(np.ones(3))


def test_jit_of_grad_through_a_scipy_function():
    def f(x):
        return logsumexp(x)

    x = np.array([0.5, -1.0, 2.0])
    np.testing.assert_allclose(et.jit(et.grad(f), backend="numpy")(x),
                               np.exp(x) / np.exp(x).sum())


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("fn", [
    lambda x: x[x > 0].sum(), lambda x: np.mean(x[x > 0]), lambda x: np.exp(x[x < 1]).max(),
    lambda x: (x[x > -1] * 2 + 1).min() + np.std(x[x != 0], ddof=1),
    lambda x: np.sum(x[np.isfinite(x)] ** 2), lambda x: x[x > 0].var(),
    lambda x: np.add.reduce(x[x > 0]) + np.any(x[x > 1] > 2),
], ids=["sum", "mean", "exp-max", "chain-std", "isfinite", "var", "reduce-any"])
def test_boolean_mask_feeding_a_reduction(fn, backend):
    x = np.array([[1.5, -2.0, 0.0], [3.0, 0.5, -0.25]])
    want = fn(x)
    got = et.jit(fn, backend=backend)(x)
    assert type(got) is type(want)
    np.testing.assert_allclose(got, want)


@pytest.mark.parametrize("fn, what", [
    (lambda x: x[x > 0], "returning"),
    (lambda x: len(x[x > 0]), "len()"),
    (lambda x: x[x > 0].shape, "the shape"), (lambda x: x[x > 0] + x, "with an array"),
    (lambda x: np.cumsum(x[x > 0]), "cumsum"),
])
def test_boolean_mask_escaping_its_reduction_is_refused(fn, what):
    with pytest.raises(UnsupportedOperation, match=rf"{what}.*boolean-mask indexing"):
        et.jit(fn, backend="numpy")(np.ones((2, 3)))


class _Model:
    def __init__(self, scale):
        self.scale = scale

    def log_probs(self, x):
        return scipy.special.log_softmax(x * self.scale, axis=-1)


def test_jit_of_a_bound_method_rebinds_scipy_functions():
    model = _Model(2.0)
    x = np.random.default_rng(3).standard_normal((2, 3))
    np.testing.assert_allclose(et.jit(model.log_probs, backend="numpy")(x), model.log_probs(x))
