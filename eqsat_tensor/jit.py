"""``@et.jit``: trace a NumPy function once per signature, optimize it, compile it, cache it.

This module is where the frontend, the optimizer and a backend meet; nothing below it
imports it. A signature is the (shape, dtype, memory layout) of every argument; a known
one goes straight to the compiled executable. A new signature is looked up by its shape
class (``jit_shapes``: rank, dtype, layout, which sizes are 0/1 or equal): functions are
traced with symbolic sizes, so a new batch size neither traces, optimizes nor compiles
again. Both caches are bounded (least recently used first out, ``cache_size``) and die
with the function.
"""

from __future__ import annotations

import functools
import inspect
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import forksafe
from .errors import DTypeError, UnsupportedOperation
from .frontend.functions import to_node
from .frontend.tensor import Tensor
from .ir import Graph, input_node
from .jit_shapes import dim_sources, only_known_symbols, shape_class, tracing

DEFAULT_BACKEND = "numba"
DEFAULT_CACHE_SIZE = 64  # signatures (and shape classes) a jitted function keeps
# backends whose executables take symbolic dims (one kernel for every size)
SHAPE_POLYMORPHIC = frozenset({"numba", "numpy"})
_LIVE: weakref.WeakSet = weakref.WeakSet()  # every jitted function (for the fork hook)


@forksafe.on_fork_child
def _new_locks_after_fork() -> None:
    for f in list(_LIVE):
        f._lock = threading.Lock()


def _is_device_array(a: Any) -> bool:
    """A GPU array (numba-cuda, or anything with ``__cuda_array_interface__``)."""
    return getattr(a, "__cuda_ndarray__", False) is True or hasattr(a, "__cuda_array_interface__")


def _layout(a: np.ndarray) -> str:
    if _is_device_array(a):
        return "device"
    if not hasattr(a, "flags"):
        return "lazy"  # dask arrays: no memory layout until they are computed
    if a.flags.c_contiguous:
        return "C"
    return "F" if a.flags.f_contiguous else "A"


def signature_key(arrays: Sequence[np.ndarray]) -> tuple:
    """The cache key of one call: shape, dtype (with byte order) and layout of every
    argument."""
    return tuple((a.shape, a.dtype, _layout(a)) for a in arrays)


def _ndarray_key(args: tuple) -> tuple | None:
    """``signature_key`` of plain ndarrays, by the cheapest reads; None for anything else."""
    key = []
    ndarray = np.ndarray
    for a in args:
        if type(a) is not ndarray:
            return None
        flags = a.flags
        key.append((a.shape, a.dtype, "C" if flags.c_contiguous else
                    "F" if flags.f_contiguous else "A"))
    return tuple(key)


def trace(fn: Callable, names: list[str], arrays: list[np.ndarray],
          shapes: Sequence[tuple] | None = None) -> tuple[Graph, bool]:
    """Trace ``fn`` on symbolic inputs shaped like ``arrays`` (or of ``shapes``, which may
    hold symbolic dims); returns the graph and whether the function returned a tuple
    (several outputs)."""
    shapes = shapes if shapes is not None else [a.shape for a in arrays]
    inputs = [input_node(n, s, a.dtype.name) for n, s, a in zip(names, shapes, arrays)]
    with tracing():
        result = fn(*[Tensor(i) for i in inputs])
    multi = isinstance(result, (tuple, list))
    outs = list(result) if multi else [result]
    if not outs:
        raise UnsupportedOperation(f"{fn.__name__} returned an empty tuple")
    if any(o is None for o in outs):
        raise UnsupportedOperation(f"{fn.__name__} returned None; return the result array(s)")
    nodes = [to_node(o, inputs[0] if inputs else None) for o in outs]
    return Graph(nodes, inputs), multi


class _Compiled:
    __slots__ = ("graph", "optimized", "executable", "report", "multi", "sources")

    def __init__(self, graph: Graph, optimized: Graph, executable: Any, report: Any,
                 multi: bool, sources: tuple = ()) -> None:
        self.graph, self.optimized, self.executable = graph, optimized, executable
        self.report, self.multi = report, multi
        self.sources = sources  # (symbol, argument, axis) of each symbolic dim

    def dims(self, arrays: list[Any]) -> dict[str, int]:
        """Values of the symbolic dims for one call."""
        return {d: arrays[i].shape[ax] for d, i, ax in self.sources}


class _LRU(OrderedDict):
    """A dict that keeps at most ``size`` entries, dropping the least recently used."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = max(1, int(size))

    def get_recent(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            try:
                self.move_to_end(key)
            except KeyError:  # evicted by another thread meanwhile
                pass
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class JitFunction:
    """A NumPy function compiled per argument signature. Call it like the original."""

    def __init__(self, fn: Callable, *, backend: str | None = None, optimize: bool = True,
                 rules: Any = None, budget: Any = None, ieee: str = "finite",
                 fastmath: bool = False, cache_size: int = DEFAULT_CACHE_SIZE,
                 **backend_options: Any) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.backend = backend or DEFAULT_BACKEND
        self.do_optimize = optimize
        self.rules, self.budget, self.ieee = rules, budget, ieee
        self.backend_options = dict(backend_options)
        if fastmath:
            self.backend_options["fastmath"] = True
        self._signature = inspect.signature(fn)
        params = list(self._signature.parameters.values())
        if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            raise UnsupportedOperation(f"@jit: {fn.__name__} takes *args/**kwargs; give each "
                                       "array argument a name")
        self._names = [p.name for p in params]
        self._nargs = len(self._names)
        self._cache = _LRU(cache_size)  # concrete signature -> entry
        self._classes = _LRU(cache_size)  # shape class -> entry (or False: not symbolic)
        self._lock = threading.Lock()
        self.last_report: Any = None
        _LIVE.add(self)

    # -- calling -----------------------------------------------------------------------------
    def _arrays(self, args: tuple, kwargs: dict) -> list[np.ndarray]:
        if kwargs or len(args) != len(self._names):
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments[n] for n in self._names)
        arrays = []
        for name, a in zip(self._names, args):
            if isinstance(a, np.ma.MaskedArray):
                raise DTypeError(f"{self.__name__}: argument {name!r} is a masked array "
                                 "(numpy.ma); masks are not applied: pass x.filled(value)")
            lazy = hasattr(a, "dask") and hasattr(a, "dtype")  # dask arrays stay lazy
            keep = type(a) is np.ndarray or lazy or _is_device_array(a)
            arr = a if keep else np.asarray(a)
            if arr.dtype.kind != "f" or arr.dtype.itemsize not in (4, 8):
                if arr.dtype.kind in "biu" and not isinstance(a, np.ndarray):
                    arr = arr.astype(np.float64)  # Python ints and lists of ints
                else:
                    raise DTypeError(
                        f"{self.__name__}: argument {name!r} has dtype {arr.dtype}; eqsat-tensor "
                        f"computes in float32/float64 (pass {name}.astype(np.float64))")
            if isinstance(arr, np.ndarray) and not arr.dtype.isnative:
                arr = arr.astype(arr.dtype.newbyteorder("="))
            arrays.append(arr)
        return arrays

    def _compiled(self, arrays: list[np.ndarray]) -> _Compiled:
        key = signature_key(arrays)
        entry = self._cache.get_recent(key)
        if entry is None:
            with self._lock:
                entry = self._cache.get_recent(key)
                if entry is None:
                    entry = self._lookup_class(arrays, key)
                    self._cache.put(key, entry)
        self.last_report = entry.report
        return entry

    def _lookup_class(self, arrays: list[np.ndarray], key: tuple) -> _Compiled:
        """The entry of a new signature: its shape class's when that one traced
        symbolically, else a trace of its own (caller holds the lock)."""
        if self.backend not in SHAPE_POLYMORPHIC or type(self)._build is not JitFunction._build:
            return self._build(arrays)  # (subclasses that build differently trace per shape)
        ckey, shapes = shape_class(arrays, tuple(k[2] for k in key))
        entry = self._classes.get_recent(ckey)
        if entry is None:
            entry = self._build_symbolic(arrays, shapes)
            self._classes.put(ckey, entry if entry is not None else False)
        return entry or self._build(arrays)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and len(args) == self._nargs:  # fast path: a known signature
            key = _ndarray_key(args)
            entry = self._cache.get_recent(key) if key is not None else None
            if entry is not None:
                self.last_report = entry.report
                arrays = list(args)
                outs = entry.executable.run(arrays, entry.dims(arrays) if entry.sources else {})
                return tuple(outs) if entry.multi else outs[0]
        arrays = self._arrays(args, kwargs)
        entry = self._compiled(arrays)
        outs = entry.executable.run(arrays, entry.dims(arrays) if entry.sources else {})
        return tuple(outs) if entry.multi else outs[0]

    def _build(self, arrays: list[np.ndarray]) -> _Compiled:
        graph, multi = trace(self.fn, self._names, arrays)
        return self._finish(graph, multi)

    def _build_symbolic(self, arrays: list[np.ndarray], shapes: list[tuple]
                        ) -> _Compiled | None:
        """Trace, optimize and compile with symbolic sizes; None when the function (or a
        step after it) needs concrete sizes."""
        sources = dim_sources(shapes)
        if not sources:
            return None  # nothing symbolic: the concrete trace is the same
        try:
            graph, multi = trace(self.fn, self._names, arrays, shapes)
        except Exception:  # noqa: BLE001 - shape-dependent Python: trace per shape
            return None
        if not only_known_symbols(graph, shapes):
            return None
        try:
            return self._finish(graph, multi, sources)
        except Exception:  # noqa: BLE001 - the concrete path reports real errors
            return None

    def _finish(self, graph: Graph, multi: bool, sources: tuple = ()) -> _Compiled:
        from .backends import get_backend

        optimized, report = graph, None
        if self.do_optimize:
            optimized, report = self._optimize(graph)
        executable = get_backend(self.backend).compile(optimized, **self.backend_options)
        return _Compiled(graph, optimized, executable, report, multi, sources)

    def _optimize(self, graph: Graph) -> tuple[Graph, Any]:
        try:
            from .optimizer import optimize
        except ModuleNotFoundError as exc:  # the optimizer is optional until it lands
            if exc.name != "eqsat_tensor.optimizer":
                raise
            return graph, None
        kwargs: dict[str, Any] = {"ieee": self.ieee}
        if self.rules is not None:
            kwargs["rules"] = self.rules
        if self.budget is not None:
            kwargs["budget"] = self.budget
        res = optimize(graph, **kwargs)
        return res.graph, res.report

    # -- looking inside ------------------------------------------------------------------------
    def lower(self, *args: Any, **kwargs: Any) -> _Compiled:
        """Trace/optimize/compile for these arguments (cached) without running."""
        return self._compiled(self._arrays(args, kwargs))

    def trace(self, *args: Any, **kwargs: Any) -> Graph:
        """The traced graph (before optimization) for these arguments."""
        return self.lower(*args, **kwargs).graph

    def optimized_graph(self, *args: Any, **kwargs: Any) -> Graph:
        """The optimized graph that runs for these arguments."""
        return self.lower(*args, **kwargs).optimized

    def report(self, *args: Any, **kwargs: Any) -> Any:
        """The optimization report for these arguments (or of the last call without args)."""
        if not args and not kwargs:
            return self.last_report
        return self.lower(*args, **kwargs).report

    def source(self, *args: Any, **kwargs: Any) -> str:
        """Generated source of the compiled executable (last signature without args)."""
        if not args and not kwargs:
            if not self._cache:
                raise RuntimeError("call the function (or pass example arguments) first")
            return list(self._cache.values())[-1].executable.source()
        return self.lower(*args, **kwargs).executable.source()

    def cache_info(self) -> dict[str, int]:
        """Sizes of the caches: concrete signatures, shape classes, distinct compiled
        executables, and the bound (``cache_size``)."""
        entries = {id(e) for e in self._cache.values()}
        entries |= {id(e) for e in self._classes.values() if e}
        return {"signatures": len(self._cache), "shape_classes": len(self._classes),
                "executables": len(entries), "cache_size": self._cache.size}

    def __repr__(self) -> str:
        return f"<et.jit {self.__name__} backend={self.backend} ({len(self._cache)} signatures)>"


def jit(fn: Callable | None = None, **options: Any) -> Any:
    """Compile a NumPy function: ``@et.jit`` or ``@et.jit(backend="numba", fastmath=False,
    rules=..., budget=..., ieee="finite", optimize=True, cache_size=64)``; ``cache_size``
    bounds how many signatures and shape classes the function keeps compiled."""
    if fn is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fn, **options)
