"""Hostile inputs to ``et.jit`` and ``Budget`` (issue #22): every one gives the project's
own error naming the argument, or NumPy's answer (never a raw exception or a wrong value)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor import Budget
from eqsat_tensor.errors import ArgumentError, DTypeError, EqsatError


def _f(x):
    return np.sum(x * x) + x * 2.0


def _foreign(kind: str) -> np.ndarray:
    return {
        "object": np.array([1.0, 2.0], dtype=object),
        "str": np.array(["a", "b"]),
        "bytes": np.array([b"a", b"b"]),
        "datetime": np.array([1, 2], dtype="M8[s]"),
        "timedelta": np.array([1, 2], dtype="m8[s]"),
        "structured": np.zeros(2, dtype=[("a", "f8"), ("b", "i4")]),
        "complex": np.array([1 + 2j]),
        "float16": np.ones(2, dtype=np.float16),
        "int8": np.ones(2, dtype=np.int8),
        "uint64": np.ones(2, dtype=np.uint64),
        "void": np.zeros(2, dtype="V8"),
    }[kind]


@pytest.mark.parametrize("kind", ["object", "str", "bytes", "datetime", "timedelta",
                                  "structured", "complex", "float16", "int8", "uint64",
                                  "void"])
def test_unsupported_dtypes_name_the_argument(kind):
    arr = _foreign(kind)
    with pytest.raises(DTypeError, match=r"argument 'x' has dtype"):
        et.jit(_f, backend="numpy")(arr)


def _layouts():
    base = np.linspace(-3.0, 3.0, 24)
    ro = base.copy()
    ro.flags.writeable = False
    return {
        "big-endian f8": base.astype(">f8"),
        "big-endian f4": base.astype(">f4"),
        "strided": base[::3],
        "negative stride": base[::-2],
        "fortran 2-D": np.asfortranarray(base.reshape(4, 6)),
        "read-only": ro,
        "0-d": np.array(1.5),
        "empty": np.ones((0, 3)),
        "empty 0-length": np.ones(0),
        "unaligned": np.frombuffer(b"\0" + base.tobytes(), dtype=np.float64, offset=1,
                                   count=24),
    }


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", list(_layouts()))
def test_odd_layouts_and_byte_orders_give_numpys_answer(name, backend):
    x = _layouts()[name]
    want = np.asarray(_f(np.asarray(x)))
    got = np.asarray(et.jit(_f, backend=backend)(x))
    assert got.shape == want.shape and got.dtype == want.dtype.newbyteorder("=")
    rtol = 1e-6 if want.dtype.itemsize == 4 else 1e-13
    assert np.allclose(got, want, rtol=rtol, atol=0)
    assert not np.shares_memory(got, x)


def test_big_endian_and_vector_dot_on_numba_in_one_kernel():
    """Issue #22's two Numba TypingErrors: big-endian inputs, and 1-D @ 1-D followed by
    elementwise work."""
    a = np.linspace(0.5, 2.0, 5).astype(">f8")
    b = np.linspace(-1.0, 1.0, 5).astype(">f4")

    def f(a, b):
        return np.exp(a @ b) * a + b

    want = f(a.astype("<f8"), b.astype("<f4"))
    assert np.allclose(et.jit(f, backend="numba")(a, b), want, rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda j: j(np.ones(2)),                              # missing y
    lambda j: j(np.ones(2), np.ones(2), np.ones(2)),      # one too many
    lambda j: j(np.ones(2), z=np.ones(2)),                # unknown keyword
    lambda j: j(np.ones(2), np.ones(2), x=np.ones(2)),    # x twice
])
def test_wrong_arguments_to_a_jitted_function(call):
    def add(x, y):
        return x + y

    with pytest.raises(ArgumentError, match=r"add\(x, y\)"):
        call(et.jit(add, backend="numpy"))
    with pytest.raises(TypeError):  # still Python's convention
        call(et.jit(add, backend="numpy"))


def test_matrix_and_masked_arrays_are_rejected():
    """Their operators mean something else (matrix products, masks): refusing is the only
    answer that cannot be wrong."""
    with pytest.raises(DTypeError, match="numpy.matrix"):
        et.jit(_f, backend="numpy")(np.asmatrix(np.ones((2, 2))))
    with pytest.raises(DTypeError, match="masked"):
        et.jit(_f, backend="numpy")(np.ma.array([1.0, 2.0], mask=[0, 1]))


def test_keywords_bind_like_python():
    def sub(x, y):
        return x - y

    got = et.jit(sub, backend="numpy")(y=np.ones(2), x=np.zeros(2))
    assert np.array_equal(got, -np.ones(2))


@pytest.mark.parametrize("value", [[[1.0], [2.0, 3.0]], [np.ones(2), np.ones(3)]])
def test_ragged_lists_are_an_argument_error(value):
    with pytest.raises(ArgumentError, match="argument 'x'.*not an array"):
        et.jit(_f, backend="numpy")(value)


@pytest.mark.parametrize("body", [
    lambda x: (x * i for i in range(3)),   # a generator object
    lambda x: {"a": x},                    # a dict
    lambda x: "text",                      # a string
    lambda x: None,                        # nothing
])
def test_functions_returning_non_arrays(body):
    with pytest.raises(EqsatError):
        et.jit(body, backend="numpy")(np.ones(2))


def test_a_generator_function():
    def gen(x):
        yield x

    with pytest.raises(EqsatError):
        et.jit(gen, backend="numpy")(np.ones(2))


def test_bounded_recursion_in_user_code_traces():
    def f(x, n=30):
        return x if n == 0 else f(x * 1.5, n - 1)

    x = np.array([1.0, -2.0])
    assert np.array_equal(et.jit(f, backend="numpy")(x), f(x))


@pytest.mark.parametrize("kwargs, pattern", [
    ({"seconds": -1}, "seconds"), ({"seconds": math.nan}, "seconds=nan"),
    ({"seconds": "2"}, "not str"), ({"seconds": True}, "not bool"),
    ({"nodes": -5}, "nodes"), ({"nodes": 1.5}, "integer"), ({"nodes": math.nan}, "nodes"),
    ({"nodes": math.inf}, "nodes"), ({"nodes": 0}, "at least 1"), ({"iters": -1}, "iters"),
    ({"match_limit": None}, "NoneType"), ({"growth": -1.0}, "growth"),
])
def test_bad_budget_limits(kwargs, pattern):
    with pytest.raises(ArgumentError, match=pattern):
        Budget(**kwargs)


def test_budget_limits_that_are_valid():
    x = et.tensor("x", (3,))
    expr = x * 2.0 + x * 3.0
    for budget in (Budget(seconds=math.inf), Budget(seconds=10**400), Budget(iters=np.int64(2)),
                   Budget(seconds=np.float32(1.0)), 1.0, None):
        out = et.optimize(expr, budget=budget)
        xs = np.array([1.0, -2.0, 0.5])
        got = et.compile(out.graph, backend="numpy")(xs)
        assert np.allclose(got[0] if isinstance(got, (list, tuple)) else got, xs * 5.0)
    assert Budget(seconds=10**400).seconds == math.inf
    assert Budget(iters=np.int64(2)).iters == 2 and type(Budget(iters=np.int64(2)).iters) is int
    with pytest.raises(ArgumentError, match="Budget or a number"):
        et.optimize(expr, budget="2")


_ENV_PROBE = """
import warnings
import numpy as np
import eqsat_tensor as et
warnings.simplefilter("ignore", RuntimeWarning)  # cache fallbacks warn once
x = np.linspace(-1.0, 1.0, 7)
for backend in {backends!r}:
    got = et.jit(lambda v: np.exp(v) * 2.0 - v, backend=backend)(x)
    assert np.allclose(got, np.exp(x) * 2.0 - x, rtol=1e-13), got
t = et.tensor("x", (3,))
assert str(et.optimize(et.log(et.exp(t)), budget=et.Budget(seconds=30)).graph) == "x"
print("ok")
"""


@pytest.mark.parametrize("case, backends", [
    ("cache dir is a file", ("numpy", "numba")),
    ("every cache location unusable", ("numpy", "numba")),
    ("garbage in every EQSAT_TENSOR_ variable", ("numpy",)),
    ("unicode and very long cache paths", ("numpy",)),
])
def test_hostile_environments_still_give_answers(tmp_path, case, backends):
    import subprocess
    import sys
    from pathlib import Path

    afile = tmp_path / "afile"
    afile.write_text("not a directory")
    env = {
        "cache dir is a file": {"EQSAT_TENSOR_CACHE_DIR": str(afile),
                                "EQSAT_TENSOR_GRAPH_CACHE": "1"},
        "every cache location unusable": {
            "EQSAT_TENSOR_CACHE_DIR": str(afile / "sub"), "XDG_CACHE_HOME": str(afile),
            "HOME": str(afile), "TMPDIR": str(afile), "EQSAT_TENSOR_GRAPH_CACHE": "1"},
        "garbage in every EQSAT_TENSOR_ variable": {
            "EQSAT_TENSOR_GRAPH_CACHE": "maybe", "EQSAT_TENSOR_TIERED": "\u2603",
            "EQSAT_TENSOR_FORK_EGGLOG": "-1", "EQSAT_TENSOR_CHECK_RULES": "nan",
            "EQSAT_TENSOR_FORK_PIN_MB": "lots", "EQSAT_TENSOR_FORK_PIN_COUNT": "-3",
            "EQSAT_TENSOR_CACHE_DIR": str(tmp_path / "c")},
        "unicode and very long cache paths": {
            "EQSAT_TENSOR_CACHE_DIR": str(tmp_path / ("\u00fcn\u00efc\u00f8d\u00e9" + "a" * 300)),
            "EQSAT_TENSOR_GRAPH_CACHE": "1"},
    }[case]
    root = Path(__file__).resolve().parents[1]
    full = dict(__import__("os").environ, PYTHONPATH=str(root), **env)
    done = subprocess.run([sys.executable, "-c", _ENV_PROBE.format(backends=backends)],
                          env=full, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-3000:]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("flag, value", [("--seconds", "-1"), ("--seconds", "nan"),
                                         ("--nodes", "0"), ("--iters", "-3")])
def test_bad_budget_flags_exit_2_with_one_line(flag, value, capsys):
    from eqsat_tensor.cli import main

    assert main(["optimize", "x + 1", flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Budget(") and len(err.splitlines()) == 1, err
