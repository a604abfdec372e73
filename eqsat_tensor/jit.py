"""``@et.jit``: trace a NumPy function once per signature, optimize it, compile it, cache it.

This module is where the frontend, the optimizer and a backend meet; nothing below it
imports it. A signature is the (shape, dtype, memory layout) of every argument: a new
signature traces again, a known one goes straight to the compiled executable.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .errors import DTypeError, UnsupportedOperation
from .frontend.functions import to_node
from .frontend.tensor import Tensor
from .ir import Graph, input_node

DEFAULT_BACKEND = "numba"


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


def signature_key(arrays: list[np.ndarray]) -> tuple:
    """The cache key of one call: shape, dtype and layout of every argument."""
    return tuple((a.shape, a.dtype.char, _layout(a)) for a in arrays)


def trace(fn: Callable, names: list[str], arrays: list[np.ndarray]) -> tuple[Graph, bool]:
    """Trace ``fn`` on symbolic inputs shaped like ``arrays``; returns the graph and whether
    the function returned a tuple (several outputs)."""
    inputs = [input_node(n, a.shape, a.dtype.name) for n, a in zip(names, arrays)]
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
    __slots__ = ("graph", "optimized", "executable", "report", "multi")

    def __init__(self, graph: Graph, optimized: Graph, executable: Any, report: Any,
                 multi: bool) -> None:
        self.graph, self.optimized, self.executable = graph, optimized, executable
        self.report, self.multi = report, multi


class JitFunction:
    """A NumPy function compiled per argument signature. Call it like the original."""

    def __init__(self, fn: Callable, *, backend: str | None = None, optimize: bool = True,
                 rules: Any = None, budget: Any = None, ieee: str = "finite",
                 fastmath: bool = False, **backend_options: Any) -> None:
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
        self._cache: dict[tuple, _Compiled] = {}
        self._lock = threading.Lock()
        self.last_report: Any = None

    # -- calling -----------------------------------------------------------------------------
    def _arrays(self, args: tuple, kwargs: dict) -> list[np.ndarray]:
        if kwargs or len(args) != len(self._names):
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments[n] for n in self._names)
        arrays = []
        for name, a in zip(self._names, args):
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
            arrays.append(arr)
        return arrays

    def _compiled(self, arrays: list[np.ndarray]) -> _Compiled:
        key = signature_key(arrays)
        entry = self._cache.get(key)
        if entry is None:
            with self._lock:
                entry = self._cache.get(key)
                if entry is None:
                    entry = self._build(arrays)
                    self._cache[key] = entry
        self.last_report = entry.report
        return entry

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        arrays = self._arrays(args, kwargs)
        entry = self._compiled(arrays)
        outs = entry.executable.run(arrays, {})
        return tuple(outs) if entry.multi else outs[0]

    def _build(self, arrays: list[np.ndarray]) -> _Compiled:
        from .backends import get_backend

        graph, multi = trace(self.fn, self._names, arrays)
        optimized, report = graph, None
        if self.do_optimize:
            optimized, report = self._optimize(graph)
        executable = get_backend(self.backend).compile(optimized, **self.backend_options)
        return _Compiled(graph, optimized, executable, report, multi)

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

    def __repr__(self) -> str:
        return f"<et.jit {self.__name__} backend={self.backend} ({len(self._cache)} signatures)>"


def jit(fn: Callable | None = None, **options: Any) -> Any:
    """Compile a NumPy function: ``@et.jit`` or ``@et.jit(backend="numba", fastmath=False,
    rules=..., budget=..., ieee="finite", optimize=True)``."""
    if fn is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fn, **options)
