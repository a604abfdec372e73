"""The packed Numba entry (one compiled call over a flat vector) gives the reference
backend's values: inputs sliced from the vector, results as floats or concatenated
vectors, the first failed check reported, a wrong length refused."""

from __future__ import annotations

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.backends.numba_packed import PackedUnsupported, Packing, compile_packed
from eqsat_tensor.backends.numpy_ref import evaluate
from eqsat_tensor.ir import Graph


def _graph() -> Graph:
    """A small 'model': scalar, vector and matrix inputs, a matmul, reductions, an
    elementwise gradient-like output, a 0-d and a 1-element output, two bool checks."""
    a = et.tensor("a", shape=())
    v = et.tensor("v", shape=(4,))
    m = et.tensor("m", shape=(3, 4))
    r = et.matmul(m, v) * et.exp(a)                       # (3,)
    lp = et.sum(et.log1p(r * r)) - 0.5 * et.sum(v * v)    # 0-d
    dv = -v + et.sum(m, axis=0) * a                        # (4,)
    da = et.reshape(et.sum(r) * a, (1,))                   # (1,)
    dm = et.broadcast_to(et.expand_dims(v, 0), (3, 4)) * a  # (3, 4), not contiguous
    c0 = et.sum(v) > -10.0                                 # checks
    c1 = a < 1.0
    return et.as_graph([lp, da, dv, dm, c0, c1], inputs=[a, v, m])


def _split(x: np.ndarray) -> list[np.ndarray]:
    return [x[0].reshape(()), x[1:5].copy(), x[5:17].reshape(3, 4)]


def test_packed_entry_matches_reference():
    g = _graph()
    fn = compile_packed(g, Packing(((), (4,), (3, 4)), ((0,), (1, 2, 3)), (4, 5)))
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.normal(size=17) * 0.5
        ref = evaluate(g, _split(x))
        lp, grad, bad = fn(x)
        assert bad == -1 and isinstance(lp, float)
        np.testing.assert_allclose(lp, ref[0], rtol=1e-13)
        want = np.concatenate([np.ravel(ref[k]) for k in (1, 2, 3)])
        np.testing.assert_allclose(grad, want, rtol=1e-13, atol=1e-15)
    x = rng.normal(size=17) * 0.5
    x[0] = 2.0  # a < 1 fails: the second check
    assert fn(x)[-1] == 1
    x[1:5] = -5.0  # both fail: the first one is reported
    assert fn(x)[-1] == 0
    assert fn(np.zeros(16))[-1] == -2
    lp32 = fn(np.zeros(17, dtype=np.float32))  # converted, not recompiled for float32
    assert lp32[-1] == -1
    with pytest.raises(ValueError, match="flat parameter vector"):
        fn(np.zeros((17, 1)))


def test_packed_entry_rejects_what_it_cannot_express():
    x = et.tensor("x", shape=(2, 3, 4))
    y = et.tensor("y", shape=(2, 4, 5))
    g = et.as_graph(et.sum(et.matmul(x, y)))
    with pytest.raises(PackedUnsupported):
        compile_packed(g, Packing(((2, 3, 4), (2, 4, 5)), ((0,),)))


def test_symbolic_dims_take_their_size_from_the_packing():
    v = et.tensor("v", shape=("n",))
    s = et.tensor("s", shape=())
    g = et.as_graph([et.sum(v * v) * s, v * s], inputs=[s, v])
    fn = compile_packed(g, Packing(((), (5,)), ((0,), (1,))))
    x = np.arange(6.0) / 3
    lp, grad, bad = fn(x)
    assert bad == -1
    np.testing.assert_allclose(lp, np.sum(x[1:] ** 2) * x[0], rtol=1e-14)
    np.testing.assert_allclose(grad, x[1:] * x[0], rtol=1e-14)


def test_gather_and_scan_steps_run_in_the_packed_entry():
    """take / scatter_add (a gather and its VJP), pad_slice, concatenate and the
    cumulative scans along inner and outer axes, in the one compiled call."""
    from eqsat_tensor.ir import apply, constant_node

    m = et.tensor("m", shape=(4, 3))
    v = et.tensor("v", shape=(5,))
    idx = constant_node(np.array([2, 0, 3, 3, -1]), "int64")
    t = apply("take", m.node, idx, axis=(0,))                          # (5, 3)
    s = apply("scatter_add", apply("mul", t, t), idx, axis=(0,), shape=(4, 3))
    c0 = apply("cumsum", m.node, axis=(0,))
    c1 = apply("cumsum_reverse", m.node, axis=(1,))
    cp = apply("cumprod", v.node, axis=(0,))
    pad = apply("pad_slice", v.node, slices=((1, 6, 1),), shape=(7,))
    cat = apply("concatenate", pad, cp, axis=(0,))
    lp = apply("sum", apply("mul", c0, c1), axis=(0, 1), keepdims=False)
    g = Graph([lp, s, cat], [m.node, v.node])
    fn = compile_packed(g, Packing(((4, 3), (5,)), ((0,), (1, 2))))
    x = np.random.default_rng(1).normal(size=17)
    ref = evaluate(g, [x[:12].reshape(4, 3), x[12:]])
    got_lp, got_rest, bad = fn(x)
    assert bad == -1
    np.testing.assert_allclose(got_lp, ref[0], rtol=1e-14)
    np.testing.assert_allclose(got_rest, np.concatenate([np.ravel(ref[1]), ref[2]]),
                               rtol=1e-14)
