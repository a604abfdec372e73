"""Every VJP of ``rules/gradients.rules`` against central finite differences (float64), on
hypothesis-drawn shapes (broadcasting included) and values; and the parser's errors for
bad VJP rules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import eqsat_tensor as et
from eqsat_tensor.backends import compile as et_compile
from eqsat_tensor.errors import RuleError
from eqsat_tensor.ir import OPS, Graph
from eqsat_tensor.rulelang import default_rules, load_rules
from eqsat_tensor.testing import examples

STEP = 1e-6


def _fd_check(build, arrays, rtol=1e-6):
    """``build(*tensors) -> Tensor``; compares et.gradients of <f, ct> with central finite
    differences. The tolerance is scaled to the step: truncation ~ h^2, rounding ~ eps/h."""
    xs = [et.tensor(f"x{i}", a.shape) for i, a in enumerate(arrays)]
    out = build(*xs)
    fwd = et_compile(Graph(out.node, [x.node for x in xs]), backend="numpy")
    rng = np.random.default_rng(len(arrays) + sum(a.size for a in arrays))
    ct = rng.uniform(0.5, 1.5, size=out.shape)
    grads = et.gradients(out, xs, cotangent=ct)
    got = et_compile(Graph([g.node for g in grads], [x.node for x in xs]), backend="numpy")(
        *arrays)
    got = got if isinstance(got, tuple) else (got,)

    def loss(args):
        return float(np.sum(np.asarray(fwd(*args)) * ct))

    for k, a in enumerate(arrays):
        assert got[k].shape == a.shape, (got[k].shape, a.shape)
        fd = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            h = STEP * max(1.0, abs(a[idx]))
            plus = [b.copy() for b in arrays]
            minus = [b.copy() for b in arrays]
            plus[k][idx] += h
            minus[k][idx] -= h
            fd[idx] = (loss(plus) - loss(minus)) / (2 * h)
        scale = 1.0 + np.max(np.abs(fd), initial=0.0)
        atol = scale * (1e3 * STEP ** 2 + 1e-16 / STEP) * 1e2
        np.testing.assert_allclose(got[k], fd, rtol=rtol * 1e2, atol=atol,
                                   err_msg=f"input {k}")


# -- per-op domains ------------------------------------------------------------------------

UNARY_DOMAIN = {
    "log": (0.3, 3.0), "sqrt": (0.3, 3.0), "log2": (0.3, 3.0), "log10": (0.3, 3.0),
    "log1p": (-0.5, 3.0), "arcsin": (-0.8, 0.8), "arccos": (-0.8, 0.8), "tan": (-1.2, 1.2),
    "cbrt": (0.3, 3.0), "reciprocal": (0.3, 3.0),
    "arccosh": (1.2, 3.0), "arctanh": (-0.8, 0.8), "log1mexp": (-3.0, -0.3),
}
UNARY_OPS = [n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 1
             and "differentiable" in s.tags and not s.attrs]
BINARY_OPS = [n for n, s in OPS.items() if s.kind == "elementwise" and s.arity == 2
              and "differentiable" in s.tags]


def _values(rng, shape, lo=-2.0, hi=2.0, away_from_zero=False):
    a = rng.uniform(lo, hi, size=shape)
    if away_from_zero:
        a = np.where(np.abs(a) < 0.2, np.sign(a + 1e-9) * 0.3, a)
    return np.asarray(a, dtype=np.float64)


def test_every_differentiable_op_has_a_vjp():
    ops = {v.op for v in default_rules("gradients").vjps}
    assert ops == {n for n, s in OPS.items() if "differentiable" in s.tags}
    assert len(ops) >= 47


@pytest.mark.parametrize("op", UNARY_OPS)
@settings(max_examples=examples(8))
@given(shape=st.sampled_from([(), (3,), (2, 3)]), seed=st.integers(0, 2 ** 16))
def test_unary_vjp(op, shape, seed):
    lo, hi = UNARY_DOMAIN.get(op, (-2.0, 2.0))
    a = _values(np.random.default_rng(seed), shape, lo, hi, away_from_zero=op == "abs")
    fn = getattr(et, op)
    _fd_check(fn, [a])


@pytest.mark.parametrize("op", BINARY_OPS)
@settings(max_examples=examples(10))
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
       seed=st.integers(0, 2 ** 16))
def test_binary_vjp_with_broadcasting(op, shapes, seed):
    rng = np.random.default_rng(seed)
    sx, sy = shapes.input_shapes
    if op == "pow":
        x, y = _values(rng, sx, 0.5, 2.0), _values(rng, sy, -2.0, 2.0)
    else:
        x = _values(rng, sx, away_from_zero=True)
        y = _values(rng, sy, away_from_zero=op in ("div", "hypot"))
    if op in ("maximum", "minimum"):  # keep finite differences away from ties
        assume(np.min(np.abs(np.subtract(x, y)), initial=1.0) > 0.05)
    fn = {"add": et.add, "sub": et.sub, "mul": et.mul, "div": et.div,
          "pow": et.power}.get(op) or getattr(et, op)
    _fd_check(fn, [x, y])


def _g(build, *arrays):
    xs = [et.tensor(f"x{i}", a.shape) for i, a in enumerate(arrays)]
    out = build(*xs)
    gs = et.gradients(et.sum(out), xs)
    return et_compile(Graph([g.node for g in gs], [x.node for x in xs]),
                      backend="numpy")(*arrays)


def test_conventions_at_zeros_and_ties():
    x = np.array([0.0, 2.0])
    gx, gy = _g(et.power, x, np.array([2.0, 3.0]))
    assert np.all(np.isfinite(gy)) and gy[0] == 0.0 and np.allclose(gx, [0.0, 12.0])
    a = np.array([1.0, 2.0, 3.0])
    for op in (et.maximum, et.minimum):
        gx, gy = _g(op, a, np.array([1.0, 5.0, 0.0]))
        assert gx[0] == 0.5 and gy[0] == 0.5  # a tie splits the cotangent evenly
    (gm,) = (_g(lambda t: et.max(t), np.array([1.0, 3.0, 3.0])),)
    np.testing.assert_allclose(gm, [0.0, 0.5, 0.5])
    np.testing.assert_allclose(_g(et.abs, np.array([-2.0, 0.0, 3.0])), [-1.0, 0.0, 1.0])
    # prod is zero-safe: one zero gets the product of the others, two zeros give 0
    np.testing.assert_allclose(_g(lambda t: et.prod(t, axis=1), np.array(
        [[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 4.0]])),
        [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0], [8.0, 4.0, 2.0]])


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "prod", "logsumexp"])
@settings(max_examples=examples(8))
@given(shape_axis=st.sampled_from([((4,), None), ((2, 3), 0), ((2, 3), 1), ((2, 3), None),
                                   ((2, 3, 2), (0, 2)), ((2, 3, 2), -1)]),
       keepdims=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_reduction_vjp(op, shape_axis, keepdims, seed):
    shape, axis = shape_axis
    lo, hi = (0.5, 1.5) if op == "prod" else (-2.0, 2.0)
    a = _values(np.random.default_rng(seed), shape, lo, hi)
    fn = getattr(et, op)
    _fd_check(lambda t: fn(t, axis=axis, keepdims=keepdims), [a])


@pytest.mark.parametrize("sx,sy", [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)),
                                   ((4,), (4,)), ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 2)),
                                   ((2, 1, 3, 4), (3, 4, 2)), ((4,), (2, 4, 3))])
def test_matmul_vjp(sx, sy):
    rng = np.random.default_rng(0)
    _fd_check(et.matmul, [_values(rng, sx), _values(rng, sy)])


@pytest.mark.parametrize("case", ["transpose", "transpose-default", "reshape", "broadcast_to",
                                  "expand_dims", "where", "cast"])
@settings(max_examples=examples(3))
@given(seed=st.integers(0, 2 ** 16))
def test_layout_where_cast_vjp(case, seed):
    rng = np.random.default_rng(seed)
    a = _values(rng, (2, 3, 4))
    if case == "transpose":
        _fd_check(lambda t: et.transpose(t, (1, 2, 0)) * et.constant(rng.uniform(
            size=(3, 4, 2))), [a])
    elif case == "transpose-default":
        _fd_check(lambda t: et.transpose(t), [a])
    elif case == "reshape":
        _fd_check(lambda t: et.reshape(t, (6, 4)), [a])
    elif case == "broadcast_to":
        _fd_check(lambda t: et.broadcast_to(t, (2, 3, 4)), [_values(rng, (3, 1))])
    elif case == "expand_dims":
        _fd_check(lambda t: et.expand_dims(t, (0, 2)), [a])
    elif case == "where":
        mask = rng.uniform(size=(2, 3, 4)) > 0.5
        _fd_check(lambda t, u: et.where(et.constant(mask), t, u), [a, _values(rng, (3, 4))])
    else:  # through float32 and back: finite differences of a float32 round trip are loose
        g = _g(lambda t: et.cast(et.cast(t, "float32") * 2.0, "float64"), a)
        np.testing.assert_allclose(g, np.full(a.shape, 2.0))


# -- parser errors for VJP rules -----------------------------------------------------------

@pytest.mark.parametrize("text,col,message", [
    ("vjp frobnicate(x): dx = g", 5, "unknown op 'frobnicate'"),
    ("vjp mul(x, y): dx = g * y", 12, "no cotangent for the parameter 'y'"),
    ("vjp exp(x): dx = g * zz", 22, "unbound name 'zz'"),
    ("vjp greater(x, y): dx = g; dy = g", 5, "not differentiable"),
    ("vjp exp(x): dx = g\nvjp exp(x): dx = g * out", 5, "duplicate vjp"),
])
def test_bad_vjp_rules_are_rule_errors(text, col, message):
    with pytest.raises(RuleError) as info:
        load_rules(text, name="bad")
    err = info.value
    assert message in str(err)
    assert err.col == col and err.line == text.count("\n") + 1
    assert "<bad>" in str(err)


def test_gradients_rules_do_not_change_rewrites():
    rs = default_rules("gradients")
    assert len(rs.rules) == 0 and len(rs.vjps) == sum(s.differentiable for s in OPS.values())
    assert all(v.doc for v in rs.vjps)  # a comment per rule
    assert "gradients" not in default_rules().name
