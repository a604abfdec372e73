"""The CUDA backend in the main test process (no GPU here, no simulator): it imports, says
clearly what is missing, and its float32 kernels compile (NVVM, no GPU needed) to PTX
without float64 instructions. The kernels themselves are tested under the simulator
(``test_cuda_simulator.py``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import eqsat_tensor as et
from eqsat_tensor.errors import BackendError
from eqsat_tensor.ir import Graph

cuda_backend = pytest.importorskip("eqsat_tensor.backends.cuda")
numba_cuda = pytest.importorskip("numba.cuda")

pytestmark = pytest.mark.cuda

_F64 = re.compile(r"\.f64\b|%fd\d")  # float64 instructions or registers


def _no_gpu() -> bool:
    from numba import config

    return not config.ENABLE_CUDASIM and not numba_cuda.is_available()


def _graph(dtype: str) -> Graph:
    x, y = et.tensor("x", (4, 6), dtype), et.tensor("y", (6,), dtype)
    s = et.tensor("s", (), dtype)
    e = et.exp(x - et.max(x, axis=1, keepdims=True))
    softmax = e / et.sum(e, axis=1, keepdims=True)
    mu = et.mean(x, axis=0, keepdims=True)
    ln = (x - mu) / et.sqrt(et.mean(et.square(x - mu), axis=0, keepdims=True) + 1e-5) * y
    ew = et.sigmoid(x) * y + et.softplus(x) - et.cbrt(et.exp2(x)) + et.logaddexp(x, y) * s
    return Graph([softmax.node, ln.node, ew.node, et.logsumexp(x).node,
                  et.where(et.greater(x, 0.5), x, y).node, et.power(et.abs(x), 1.5).node],
                 [x.node, y.node, s.node])


@pytest.mark.skipif(not _no_gpu(), reason="this machine has a GPU (or the simulator is on)")
def test_no_gpu_gives_a_clear_error():
    x = et.tensor("x", (3,))
    with pytest.raises(BackendError, match="NUMBA_ENABLE_CUDASIM=1"):
        et.compile(et.exp(x), backend="cuda")

    @et.jit(backend="cuda")
    def f(a):
        return np.exp(a)

    with pytest.raises(BackendError, match="no CUDA GPU"):
        f(np.ones(3))


def test_unknown_option_is_named():
    x = et.tensor("x", (3,))
    with pytest.raises(BackendError, match="unknown option"):
        cuda_backend.compile(Graph([et.exp(x).node]), blocks=3)


def test_generated_source_is_readable():
    exe = cuda_backend.CudaExecutable(_graph("float32"), dict(cuda_backend.DEFAULTS))
    src = exe.source()
    assert "@cuda.jit" in src and "cuda.grid(1)" in src and "cuda.syncthreads()" in src
    assert "np.float32(" in src and "_float64(" not in src  # no float64 helper calls
    compile(src, "<generated>", "exec")


def _ptx(dtype: str, graph: Graph | None = None) -> dict[str, str]:
    graph = graph if graph is not None else _graph(dtype)
    exe = cuda_backend.CudaExecutable(graph, dict(cuda_backend.DEFAULTS))
    try:
        return exe.ptx()
    except Exception as exc:  # no NVVM/libdevice on this machine
        if "NVVM" in str(exc) or "libdevice" in str(exc) or "nvvm" in str(exc):
            pytest.skip(f"NVVM is not available: {exc}")
        raise


def test_float32_kernels_have_no_float64_instructions():
    ptx = _ptx("float32")
    assert len(ptx) >= 3 and any(name.endswith("_thread") for name in ptx)
    for name, code in ptx.items():
        bad = [line for line in code.splitlines() if _F64.search(line)]
        assert not bad, f"{name}: float64 in a float32 kernel: {bad[:5]}"


def test_two_stage_reduction_kernels_compile():
    x, s = et.tensor("x", (4, 6), "float32"), et.tensor("s", (), "float32")
    g = Graph([et.sqrt(et.sum(x * x)).node, et.max(x * s).node, et.mean(x).node],
              [x.node, s.node])
    ptx = _ptx("float32", g)
    assert sorted(ptx) == ["k0", "k0_partial"]
    assert not any(_F64.search(code) for code in ptx.values())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_matmul_and_copy_kernels_compile(dtype):
    import numba

    from eqsat_tensor.backends import cuda_matmul

    _ptx(dtype)  # skips without NVVM
    arr = numba.types.Array(numba.from_dtype(np.dtype(dtype)), 3, "A")
    kernel = cuda_matmul._kernel(dtype, 16)
    code, _ = numba_cuda.compile_ptx(kernel.py_func, (arr, arr, arr), cc=(8, 0))
    if dtype == "float32":
        assert not _F64.search(code)
    assert "matmul3" in code


def test_float64_kernels_compute_in_float64():
    ptx = _ptx("float64")
    assert all(_F64.search(code) for code in ptx.values())


@pytest.mark.skipif(not _no_gpu(), reason="this machine has a GPU (or the simulator is on)")
def test_bench_without_gpu_exits_2_with_a_message(capsys):
    bench_cuda = pytest.importorskip("benchmarks.bench_cuda")
    assert bench_cuda.main(["--quick"]) == 2
    assert "no CUDA GPU" in capsys.readouterr().err
