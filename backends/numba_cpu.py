"""The Numba CPU backend: fused, parallel, cached kernels for an optimized Graph.

``compile(graph, **options) -> NumbaExecutable``. The graph is planned into fused kernels
(``plan.py``), each kernel becomes readable Python source (``numba_codegen.py``, see
``NumbaExecutable.source()``) compiled by ``numba.njit(parallel=True)``, and the module is
cached in memory and on disk (``numba_cache.py``).

Options
-------
fastmath : bool (False)
    Numba/LLVM ``fastmath`` (reassociation, no NaN/inf guarantees). Off unless asked.
fast_transcendentals : bool (True)
    Use the vectorizable transcendental functions of ``eqsat_tensor.backends.fastmath``
    (the ops in ``fastmath.FUNCS``) when that module is importable; libm otherwise.
parallel_min : int (32768)
    Kernels over fewer points run their serial build (waking threads costs ~20 µs).
disk_cache : bool (True); cache_dir : str | Path | None
    Keep generated modules and Numba's object code on disk (see ``numba_cache``).
lowering : dict[str, str] | None
    Per-op overrides of the lowering table (``numba_lower.LOWERING``).

Threads: unless ``OMP_WAIT_POLICY`` is set (or ``EQSAT_TENSOR_OMP_PASSIVE=0``), importing
this backend sets it to ``PASSIVE`` for Numba's OpenMP threading layer: idle kernel threads
sleep instead of spinning, so they do not take the cores from BLAS (the matmuls of a plan),
from each other's next kernel or from other processes (measured on a loaded 2-core box:
a BLAS call right after a parallel kernel 30-50 ms instead of 0.03 ms; see
``benchmarks/kernels.py``). It must be set before the first parallel kernel of the process.

Declarations for the optimizer: ``unsupported_ops`` (none of the IR ops today) and
``required_rules`` (none). An op without a lowering raises ``UnsupportedOp`` at compile
time; there is no object-mode fallback.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .. import forksafe
from ..errors import BackendError
from ..ir import Graph
from . import numba_cache, numba_fastextra
from .base import Executable, infer_dims
from .numba_codegen import generate
from .numba_lower import FAST_BINARY_OPS
from .plan import Plan, plan_graph

if os.environ.get("EQSAT_TENSOR_OMP_PASSIVE", "1") != "0":
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # (see the module docstring)

unsupported_ops: frozenset[str] = frozenset()
required_rules: tuple[str, ...] = ()

DEFAULTS: dict[str, Any] = {"fastmath": False, "fast_transcendentals": True,
                            "parallel_min": 1 << 15, "disk_cache": True, "cache_dir": None,
                            "lowering": None}

_LOCK = threading.RLock()
# Executables by (graph fingerprint, options), least recently used first. Bounded: a
# long-running process compiling graphs of ever new sizes keeps at most this many (their
# kernels are shared anyway, see numba_codegen: the source does not depend on sizes).
MAX_EXECUTABLES = 256
_EXECUTABLES: OrderedDict[tuple, NumbaExecutable] = OrderedDict()
_LIVE: weakref.WeakSet = weakref.WeakSet()  # every executable (for the fork hook)
_SERIAL = 1 << 62  # parallel_min that never picks the parallel build
_TEMP_DIR: Path | None = None
_TO_SEAL: dict[str, Path] = {}  # modules whose Numba cache files are re-hashed at exit


@forksafe.on_fork_child
def _after_fork() -> None:
    """Locks another thread held at the fork are replaced; where Numba's threading layer
    does not survive fork, executables keep to their serial builds."""
    global _LOCK
    _LOCK = threading.RLock()
    numba_cache._LOCK = threading.RLock()
    for exe in list(_LIVE):
        exe._lock = threading.RLock()
        if forksafe.serial_only():
            exe.parallel_min = _SERIAL


@atexit.register
def _seal_all() -> None:
    for name, directory in list(_TO_SEAL.items()):
        try:
            numba_cache.seal(directory, name)
        except OSError:
            pass


def fast_functions() -> dict[str, dict[str, Any]] | None:
    """``FUNCS`` and ``BINARY_FUNCS`` of ``eqsat_tensor.backends.fastmath`` (the ops whose
    libm calls it replaces), or None when that module is not available."""
    try:
        fm = importlib.import_module("eqsat_tensor.backends.fastmath")
    except ImportError:
        return None
    funcs = getattr(fm, "FUNCS", None)
    if not isinstance(funcs, dict):
        return None
    binary = getattr(fm, "BINARY_FUNCS", {})
    out = ({op: dict(per_dtype) for op, per_dtype in funcs.items()}
           | {op: dict(binary[op]) for op in FAST_BINARY_OPS if op in binary})
    for op, per_dtype in numba_fastextra.FUNCS.items():  # float32 forms fastmath lacks
        out.setdefault(op, {}).update(
            {dt: fn for dt, fn in per_dtype.items() if dt not in out[op]})
    return out


def _cache_dir(options: dict[str, Any]) -> Path | None:
    """Where generated modules and Numba's cache go; None: memory only (see
    ``numba_cache.resolve_cache_dir``)."""
    global _TEMP_DIR
    if options["disk_cache"]:
        return numba_cache.resolve_cache_dir(options["cache_dir"])
    with _LOCK:
        if _TEMP_DIR is None:
            import tempfile

            try:
                _TEMP_DIR = Path(tempfile.mkdtemp(prefix="eqsat-tensor-numba-"))
            except OSError:
                return None
        return _TEMP_DIR


class _Variant:
    """The compiled module of one loop order, and how to fill its ``dims`` slots."""

    __slots__ = ("module", "consts", "run", "name", "warm", "slots", "static_dims")

    def __init__(self, module: Any, consts: list[np.ndarray], name: str,
                 slots: list) -> None:
        self.module, self.consts, self.name, self.slots = module, consts, name, slots
        self.run = module.run
        self.warm = False
        # all sizes concrete: the dims tuple is the same for every call
        self.static_dims = (tuple(slots) if all(isinstance(d, int) for d in slots)
                            else None)

    def dims(self, bound: dict[str, int]) -> tuple[int, ...]:
        """The ``dims`` tuple of the generated ``run`` from the symbolic dims' values."""
        if self.static_dims is not None:
            return self.static_dims
        return tuple(bound[d] if isinstance(d, str) else d for d in self.slots)


def compiled_specializations() -> int:
    """How many Numba compilations (dispatcher specializations) the generated modules
    loaded in this process hold: a call that compiles nothing leaves it unchanged."""
    total = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("et_") or not hasattr(module, "run"):
            continue
        for attr, value in list(vars(module).items()):
            if attr.endswith(("_parallel", "_serial")) and hasattr(value, "overloads"):
                total += len(value.overloads)
    return total


class NumbaExecutable(Executable):
    """A graph compiled to fused Numba kernels; call it like any ``Executable``."""

    backend = "numba"

    def __init__(self, graph: Graph, options: dict[str, Any]) -> None:
        super().__init__(graph)
        self.options = options
        self.plan: Plan = plan_graph(graph)
        self.fast = fast_functions() if options["fast_transcendentals"] else None
        self.parallel_min = _SERIAL if forksafe.serial_only() else int(options["parallel_min"])
        self.directory = _cache_dir(options)
        self._variants: dict[str, _Variant] = {}
        self._lock = threading.RLock()
        self._orders = any(len(k.domain) >= 2 and not k.reduce_axes for k in self.plan.kernels())
        self._sources = {"C": self._generate("C")}  # raises UnsupportedOp early
        self._c = self._variant("C")
        _LIVE.add(self)

    def _generate(self, order: str) -> tuple[str, list[np.ndarray], list]:
        slots: list = []
        source, consts = generate(self.plan, order, fast=self.fast,
                                  lowering=self.options["lowering"],
                                  cache=bool(self.options["disk_cache"]),
                                  fastmath=bool(self.options["fastmath"]), dim_slots=slots)
        return source, consts, slots

    def _variant(self, order: str) -> _Variant:
        variant = self._variants.get(order)
        if variant is None:
            with self._lock:
                variant = self._variants.get(order)
                if variant is None:
                    if order not in self._sources:
                        self._sources[order] = self._generate(order)
                    source, consts, slots = self._sources[order]
                    module = numba_cache.load(source, self.directory)
                    variant = _Variant(module, consts, numba_cache.module_name(source), slots)
                    self._variants[order] = variant
        return variant

    def source(self, order: str = "C") -> str:
        """The generated Python/Numba source (``order="F"``: the Fortran-order variant)."""
        if order not in self._sources:
            self._sources[order] = self._generate(order)
        return self._sources[order][0]

    def _order(self, arrays: list[Any]) -> str:
        votes = 0
        for a in arrays:
            if a.ndim >= 2:
                flags = a.flags
                if flags.c_contiguous:
                    votes -= 1
                elif flags.f_contiguous:
                    votes += 1
        return "F" if votes > 0 else "C"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        arrays, dims = self._binder.bind(args, kwargs)
        variant = self._variant(self._order(arrays)) if self._orders else self._c
        if variant.warm:
            outs = variant.run(arrays, variant.dims(dims), variant.consts, self.parallel_min)
        else:
            outs = self._first_run(variant, arrays, dims)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def direct(self, sources: tuple) -> Callable[[list[Any]], list[Any]] | None:
        """A function ``arrays -> outputs`` for the warm calls of a caller that has checked
        the arguments and knows where each symbolic dim comes from (``sources``:
        ``(symbol, argument index, axis)``): no layout vote, no dims dict. None until the
        C variant has run once, or when the layout of the arguments picks the variant."""
        variant = self._c
        if self._orders or not variant.warm:
            return None
        run, consts, exe = variant.run, variant.consts, self  # (parallel_min: read per
        if variant.static_dims is not None:  # call, a fork may turn it to serial)
            sizes = variant.static_dims
            return lambda arrays: run(arrays, sizes, consts, exe.parallel_min)
        where = {d: (i, ax) for d, i, ax in sources}
        if not all(d in where for d in variant.slots if isinstance(d, str)):
            return None
        slots = [where[d] if isinstance(d, str) else d for d in variant.slots]
        if len(slots) == 1 and isinstance(slots[0], tuple):  # (most graphs: one symbol)
            (i0, a0), = slots
            return lambda arrays: run(arrays, (arrays[i0].shape[a0],), consts,
                                      exe.parallel_min)
        if len(slots) == 2 and all(isinstance(s, tuple) for s in slots):
            (i0, a0), (i1, a1) = slots
            return lambda arrays: run(arrays, (arrays[i0].shape[a0], arrays[i1].shape[a1]),
                                      consts, exe.parallel_min)
        return lambda arrays: run(arrays, tuple([
            arrays[s[0]].shape[s[1]] if isinstance(s, tuple) else s for s in slots]),
            consts, exe.parallel_min)

    def run(self, arrays: list[Any], dims: dict[str, int]) -> list[Any]:
        """Compute the outputs from bound input arrays (see ``Executable.run``); the
        symbolic dims are read off the arrays when ``dims`` is empty."""
        variant = self._variant(self._order(arrays)) if self._orders else self._c
        if not dims and variant.static_dims is None:
            dims = infer_dims(self.graph, arrays)
        if variant.warm:
            return variant.run(arrays, variant.dims(dims), variant.consts, self.parallel_min)
        return self._first_run(variant, arrays, dims)

    def run_profiled(self, arrays: list[Any], dims: dict[str, int]
                     ) -> tuple[list[Any], list[float]]:
        """Outputs and ``time.perf_counter()`` before the first and after each plan step."""
        variant = self._variant(self._order(arrays)) if self._orders else self._c
        if not dims and variant.static_dims is None:
            dims = infer_dims(self.graph, arrays)
        if not variant.warm:
            self._first_run(variant, arrays, dims)
        return variant.module.run_profiled(arrays, variant.dims(dims), variant.consts,
                                           self.parallel_min)

    def _first_run(self, variant: _Variant, arrays: list[Any], dims: dict[str, int]
                   ) -> list[Any]:
        """First call of a variant: compiles (or loads from disk); a failure while loading
        Numba's cache purges it and compiles once more. Numba cache files written later in
        this process (new layouts) are recorded in the manifest at exit."""
        with self._lock:
            sizes = variant.dims(dims)
            try:
                try:
                    outs = variant.run(arrays, sizes, variant.consts, self.parallel_min)
                except (ValueError, TypeError, ZeroDivisionError, IndexError, KeyError):
                    raise
                except OSError:
                    raise
                except Exception:
                    if self.directory is None:
                        raise
                    numba_cache.purge(self.directory, variant.name)
                    outs = variant.run(arrays, sizes, variant.consts, self.parallel_min)
            except OSError as exc:  # Numba could not write its cache: go on without it
                outs = self._without_cache(variant, exc, arrays, sizes)
            # executables of graphs that differ only in sizes share one module: the
            # first to run it seals its cache files
            if self.options["disk_cache"] and self.directory is not None and \
                    not variant.warm and not getattr(variant.module, "_et_sealed", False):
                numba_cache.seal(self.directory, variant.name)
                variant.module._et_sealed = True
                _TO_SEAL[variant.name] = self.directory
            variant.warm = True
            return outs

    def _without_cache(self, variant: _Variant, exc: OSError, arrays: list[Any],
                       sizes: tuple[int, ...]) -> list[Any]:
        """Switch ``variant`` to an in-memory module without Numba's disk cache (a cache
        write failed: full disk, size limit, read-only...), warn once, and run it."""
        numba_cache.warn_once(f"write:{self.directory}", f"cannot write the kernel cache in "
                              f"{self.directory} ({exc.strerror or exc}); running without it")
        if self.directory is not None:
            numba_cache.purge(self.directory, variant.name)
        if self.fast:
            from . import fastmath

            fastmath.disable_disk_cache()
            numba_fastextra.disable_disk_cache()
        order = next(o for o, v in self._variants.items() if v is variant)
        module = numba_cache.load_in_memory(self._sources[order][0])
        module._et_sealed = True
        variant.module, variant.run = module, module.run
        return variant.run(arrays, sizes, variant.consts, self.parallel_min)

    def compiled_kernels(self, order: str = "C") -> dict[str, Any]:
        """The Numba dispatchers of a variant by name (``k0_parallel``, ``k0_serial``...)."""
        module = self._variant(order).module
        return {f"{k.name}_{m}": getattr(module, f"{k.name}_{m}")
                for k in self.plan.kernels() for m in ("parallel", "serial")}


def compile(graph: Graph, **options: Any) -> NumbaExecutable:
    """Compile ``graph`` for the CPU with Numba (options: see the module docstring).

    Executables are cached in memory by (graph fingerprint, options); the fingerprint
    covers dtypes, ranks and shapes, and contiguity picks a loop-order variant at run time.
    """
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise BackendError(f"numba backend: unknown option(s) {sorted(unknown)}; "
                           f"known: {sorted(DEFAULTS)}")
    opts = dict(DEFAULTS)
    opts.update(options)
    lowering = opts["lowering"]
    key = (graph.fingerprint(), opts["fastmath"], opts["fast_transcendentals"],
           opts["parallel_min"], opts["disk_cache"], str(opts["cache_dir"]),
           tuple(sorted(lowering.items())) if lowering else ())
    with _LOCK:
        exe = _EXECUTABLES.get(key)
        if exe is not None and exe.graph == graph:
            _EXECUTABLES.move_to_end(key)
            return exe
    exe = NumbaExecutable(graph, opts)
    with _LOCK:
        _EXECUTABLES[key] = exe
        while len(_EXECUTABLES) > MAX_EXECUTABLES:
            _EXECUTABLES.popitem(last=False)
    return exe


__all__ = ["DEFAULTS", "MAX_EXECUTABLES", "NumbaExecutable", "compile",
           "compiled_specializations", "fast_functions", "required_rules",
           "unsupported_ops"]
