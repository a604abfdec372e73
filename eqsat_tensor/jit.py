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
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import forksafe
from .backends.base import check_exact_ints
from .backends.int_scans import any_equal
from .errors import ArgumentError, DTypeError, UnsupportedOperation
from .frontend.functions import to_node
from .frontend.masked import Masked
from .frontend.operands import host_value
from .frontend.rebind import rebind
from .frontend.tensor import Tensor
from .ir import INT_DTYPES, Graph, apply, constant_node, input_node
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


def tiered_default() -> bool:
    """Whether ``et.jit`` runs tiered first calls unless told (``tiered=``): on, unless the
    environment variable ``EQSAT_TENSOR_TIERED`` is ``0``/``false``/``no``/``off``."""
    flag = os.environ.get("EQSAT_TENSOR_TIERED", "1").strip().lower()
    return flag not in ("0", "false", "no", "off")


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
          statics: tuple = (), weak: frozenset = frozenset(),
          shapes: Sequence[tuple] | None = None) -> tuple[Graph, bool]:
    """Trace ``fn`` on symbolic inputs shaped like ``arrays`` (or of ``shapes``, which may
    hold symbolic dims); returns the graph and whether the function returned a tuple
    (several outputs).

    ``names`` are all of ``fn``'s parameters; ``statics`` holds ``(name, value)`` for those
    passed as static values (they are not graph inputs), ``arrays`` one array for each of
    the others, in order; ``weak`` names the arguments that were Python floats (weak
    Tensors, NumPy 2 promotion). Known SciPy functions the code calls by name are traced
    through their stand-ins (``frontend.rebind``)."""
    static = dict(statics)
    dynamic = [n for n in names if n not in static]
    shapes = shapes if shapes is not None else [a.shape for a in arrays]
    inputs = [input_node(n, s, a.dtype.name) for n, s, a in zip(dynamic, shapes, arrays)]
    by_name = {n: _input_tensor(n, i, n in weak) for n, i in zip(dynamic, inputs)}
    values = {n: by_name[n] if n in by_name else static[n] for n in names}
    keyword_only = {p.name for p in inspect.signature(fn).parameters.values()
                    if p.kind is p.KEYWORD_ONLY}
    with tracing():
        try:
            result = rebind(fn)(*[values[n] for n in names if n not in keyword_only],
                                **{n: values[n] for n in names if n in keyword_only})
        except UnsupportedOperation as exc:  # list the function's other refusals too
            from .frontend.unsupported_scan import with_all_unsupported

            exc.args = (with_all_unsupported(fn, str(exc)),) + exc.args[1:]
            raise
    multi = isinstance(result, (tuple, list))
    outs = [host_value(o) for o in (result if multi else [result])]  # np.zeros buffers
    if not outs:
        raise UnsupportedOperation(f"{fn.__name__} returned an empty tuple")
    if any(o is None for o in outs):
        raise UnsupportedOperation(f"{fn.__name__} returned None; return the result array(s)")
    for o in outs:
        _check_output(fn, o)
    like = next((i for i in inputs if i.dtype in ("float32", "float64")),
                inputs[0] if inputs else None)
    nodes = [_output_node(o, like) for o in outs]
    return Graph(nodes, inputs), multi


def _input_tensor(name: str, node: Any, weak: bool) -> Tensor:
    """The traced value of an input: an integer input is carried exactly in float64."""
    if node.dtype in INT_DTYPES:
        return Tensor(apply("cast", node, dtype="float64"), int_op=f"the {node.dtype} "
                      f"argument {name!r}", idt=node.dtype)
    return Tensor(node, weak=weak)


def _output_node(out: Any, like: Any) -> Any:
    """The graph node of a result: an integer value is cast to NumPy's integer dtype."""
    if isinstance(out, Tensor) and out.int_op:
        node = out.node
        if node.op == "cast" and node.inputs[0].dtype == out.idt:
            return node.inputs[0]  # an integer argument returned as it is
        return apply("cast", node, dtype=out.idt)
    if isinstance(out, (bool, np.bool_)):
        return constant_node(np.asarray(out), "bool")
    if type(out) in (float, int):  # a Python number returned as it is: NumPy keeps it
        # float64 / int64-sized, it does not take the inputs' float32
        value = constant_node(np.asarray(float(out)), "float64")
        return value if type(out) is float else apply("cast", value, dtype="int64")
    return to_node(out, like)


def _check_output(fn: Callable, out: Any) -> None:
    """Refuse a result the graph cannot hold, naming it and ``fn``'s definition line."""
    what = why = None
    if isinstance(out, Masked):
        what, why = "a boolean-mask indexing (x[mask]) result", "its length depends on the data"
    elif (not isinstance(out, Tensor) and type(out) is not int
          and np.asarray(out).dtype.kind in "iu"):
        what, why = f"the integer constant {out!r}", "the IR has no integer dtype yet"
    elif type(out) is int and not -2**53 <= out <= 2**53:
        what, why = f"the integer constant {out!r}", "integers are carried exactly in float64"
    if what is not None:
        code = getattr(fn, "__code__", None)
        where = f"{code.co_filename}:{code.co_firstlineno}" if code else "<unknown>"
        raise UnsupportedOperation(f"returning {what} from {fn.__name__} is not supported by "
                                   f"the eqsat-tensor tracer: {why} (at {where})")


_INT64_MIN = np.iinfo(np.int64).min


def check_int64_result(out: Any) -> None:
    """Refuse an int64 result the graph could not hold exactly: integers are carried in
    float64, a value beyond +-2**53 becomes NaN there (``frontend.operands.beyond_exact``)
    and NaN casts to the smallest int64, which no exact value can be."""
    arr = out if type(out) is np.ndarray else np.asarray(out)
    if any_equal(arr, _INT64_MIN):
        raise OverflowError("an int64 result exceeds +-2**53, beyond what eqsat-tensor holds "
                            "exactly (integers are carried in float64); NumPy would give "
                            "the exact or wrapped int64 value: compute it in float64 or "
                            "with NumPy")


def numpy_results(outs: list[Any], graph: Graph) -> list[Any]:
    """Results as NumPy returns them: a 0-d result (a full reduction, ``x @ x`` of vectors)
    becomes a NumPy scalar of the output's dtype, whatever the backend handed back."""
    for i, o in enumerate(outs):
        if graph.outputs[i].dtype == "int64":
            check_int64_result(o)
        if type(o) is np.ndarray:
            if o.ndim == 0:
                outs[i] = o[()]
        elif isinstance(o, (float, int, bool, np.generic)):
            outs[i] = np.dtype(graph.outputs[i].dtype).type(o)
    return outs


def _is_static_value(value: Any) -> bool:
    """Arguments traced as static values by default: Python ints, bools, strings, None and
    tuples of them (axes, ``ddof``, flags, modes); Python floats are weak inputs instead."""
    if value is None or type(value) in (int, bool, str):
        return True
    return type(value) is tuple and all(_is_static_value(v) for v in value)


_NO_WEAK: frozenset = frozenset()
# defaults whose converted array stays valid: immutable values, and arrays (passed as they
# are, so an array changed in place is read anew)
_FIXED_DEFAULTS = (float, int, bool, str, type(None), tuple, np.ndarray)


class _Inline(Exception):
    """Raised by argument binding when an argument is a traced Tensor (jit inside a trace)."""


class _Compiled:
    __slots__ = ("graph", "optimized", "executable", "report", "multi", "sources", "int64_args",
                 "direct", "plain")

    def __init__(self, graph: Graph, optimized: Graph, executable: Any, report: Any,
                 multi: bool, sources: tuple = ()) -> None:
        self.graph, self.optimized, self.executable = graph, optimized, executable
        self.report, self.multi = report, multi
        self.sources = sources  # (symbol, argument, axis) of each symbolic dim
        # int64 arguments: checked on every call to fit float64 exactly (check_exact_ints)
        self.int64_args = tuple(n.name for n in graph.inputs if n.dtype == "int64")
        # the executable's shortcut for warm calls (``direct``), found after its first run
        self.direct: Callable[[list], list] | None = None
        # outputs a compiled backend hands back as NumPy would (arrays of >= 1 dim, not
        # int64): ``numpy_results`` has nothing to do on the direct path
        self.plain = all(o.shape and o.dtype != "int64" for o in optimized.outputs)

    def dims(self, arrays: list[Any]) -> dict[str, int]:
        """Values of the symbolic dims for one call."""
        return {d: arrays[i].shape[ax] for d, i, ax in self.sources}

    def run(self, arrays: list[Any]) -> Any:
        """The function's result (NumPy's types) for bound, checked ``arrays``."""
        direct = self.direct
        if direct is not None:
            outs = direct(arrays)
            if not self.plain:
                outs = numpy_results(outs, self.optimized)
        else:
            outs = numpy_results(self.executable.run(
                arrays, self.dims(arrays) if self.sources else {}), self.optimized)
            # (on the class: a tiered executable would hand the lookup to its compile)
            find = getattr(type(self.executable), "direct", None)
            if find is not None:
                self.direct = find(self.executable, self.sources)
        return tuple(outs) if self.multi else outs[0]


def _swap_in(entry: _Compiled, executable: Any) -> None:
    """A tiered entry's compiled executable replaces it (warm calls skip the tier)."""
    entry.executable = executable
    entry.direct = None


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
                 fastmath: bool = False, static_argnums: Any = (), static_argnames: Any = (),
                 cache_size: int = DEFAULT_CACHE_SIZE, tiered: bool | None = None,
                 **backend_options: Any) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.backend = backend or DEFAULT_BACKEND
        self.do_optimize = optimize
        # tiered first calls (jit_tiered): the NumPy reference answers while Numba compiles
        self.tiered = tiered_default() if tiered is None else bool(tiered)
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
        # defaults of the trailing positional parameters: a call that leaves them out is
        # completed without inspect's binding (a third of a small call's time)
        tail = [p for p in params if p.default is not p.empty]
        self._tail_defaults = tuple(p.default for p in tail) if all(
            p.kind is p.POSITIONAL_OR_KEYWORD for p in params) and params[len(params) - len(
                tail):] == tail else None
        self._static = _static_names(fn, self._names, static_argnums, static_argnames)
        # calls leaving trailing defaults out: (count passed, their key) -> (entry, the
        # defaults' arrays); None where a default could be a static argument's value
        self._defaulted: dict | None = {} if self._tail_defaults and not self._static else None
        self._cache = _LRU(cache_size)  # concrete signature -> entry
        self._classes = _LRU(cache_size)  # shape class -> entry (or False: not symbolic)
        self._lock = threading.Lock()
        self._last: tuple | None = None  # (key, entry) of the last fast-path call
        self.last_report: Any = None
        _LIVE.add(self)

    # -- calling -----------------------------------------------------------------------------
    _auto_static = True  # Python ints/bools/str/None are static (GradFunction: inputs)

    def _arrays(self, args: tuple, kwargs: dict) -> list[np.ndarray]:
        return self._split(args, kwargs)[0]

    def _split(self, args: tuple, kwargs: dict) -> tuple[list[np.ndarray], tuple, frozenset]:
        """The array arguments (converted), the ``(name, value)`` static ones, and the names
        of the arguments that were Python floats (weak)."""
        if not kwargs and not self._static and len(args) == self._nargs:
            for a in args:  # the common case: native-order float arrays only
                if type(a) is not np.ndarray or a.dtype.kind != "f" or a.dtype.itemsize not in (
                        4, 8) or not a.dtype.isnative:
                    break
            else:
                return list(args), (), _NO_WEAK
        if not kwargs and self._tail_defaults and \
                0 < self._nargs - len(args) <= len(self._tail_defaults):
            args = args + self._tail_defaults[len(args) - self._nargs:]
        if kwargs or len(args) != self._nargs:
            try:
                bound = self._signature.bind(*args, **kwargs)
            except TypeError as exc:
                raise ArgumentError(f"{self.__name__}{self._signature}: {exc}") from None
            bound.apply_defaults()
            args = tuple(bound.arguments[n] for n in self._names)
        arrays = []
        statics = []
        weak: list[str] = []
        for name, a in zip(self._names, args):
            if isinstance(a, np.ma.MaskedArray):
                raise DTypeError(f"{self.__name__}: argument {name!r} is a masked array "
                                 "(numpy.ma); masks are not applied: pass x.filled(value)")
            if isinstance(a, np.matrix):  # ``*`` and ``**`` mean matrix products there
                raise DTypeError(f"{self.__name__}: argument {name!r} is a numpy.matrix, whose "
                                 "operators are matrix products; pass np.asarray(x)")
            if type(a) is np.ndarray and name not in self._static:
                arr = a
            elif name in self._static or (self._auto_static and _is_static_value(a)):
                try:
                    hash(a)
                except TypeError:
                    raise ArgumentError(f"{self.__name__}: static argument {name!r} must be "
                                    f"hashable, got {type(a).__name__}") from None
                statics.append((name, a))
                continue
            elif isinstance(a, Tensor):
                raise _Inline
            elif type(a) in (float, int):  # a weak Python scalar: a float64 input
                weak.append(name)
                arr = np.asarray(a, dtype=np.float64)
            else:
                lazy = hasattr(a, "dask") and hasattr(a, "dtype")  # dask arrays stay lazy
                keep = lazy or _is_device_array(a)
                try:
                    arr = a if keep else np.asarray(a)
                except (ValueError, TypeError) as exc:  # ragged lists, odd objects
                    raise ArgumentError(f"{self.__name__}: argument {name!r} "
                                        f"({type(a).__name__}) is not an array: {exc}") from None
            if (arr.dtype.kind != "f" or arr.dtype.itemsize not in (4, 8)) and (
                    arr.dtype != np.bool_ or not isinstance(a, np.ndarray)) and (
                    arr.dtype.name not in INT_DTYPES or not isinstance(a, np.ndarray)):
                # float32/64, bool and int32/int64 arrays are inputs of their own dtype
                if arr.dtype.kind in "biu" and not isinstance(a, np.ndarray):
                    arr = arr.astype(np.float64)  # Python ints and lists of ints
                else:
                    raise DTypeError(
                        f"{self.__name__}: argument {name!r} has dtype {arr.dtype}; eqsat-tensor "
                        f"takes float32/float64, bool, int32 and int64 arrays (pass "
                        f"{name}.astype(np.int64) or .astype(np.float64), or mark it "
                        f"static with et.jit(..., static_argnames=({name!r},)))")
            if isinstance(arr, np.ndarray) and not arr.dtype.isnative:
                arr = arr.astype(arr.dtype.newbyteorder("="))
            if isinstance(arr, np.ndarray) and arr.dtype.kind in "iu":
                check_exact_ints(name, arr)
            arrays.append(arr)
        return arrays, tuple(statics), frozenset(weak)

    def _compiled(self, arrays: list[np.ndarray], statics: tuple = (),
                  weak: frozenset = frozenset()) -> _Compiled:
        base = signature_key(arrays)
        key = (base, statics, weak) if statics or weak else base
        entry = self._cache.get_recent(key)
        if entry is None:
            with self._lock:
                entry = self._cache.get_recent(key)
                if entry is None:
                    entry = self._lookup_class(arrays, base, statics, weak)
                    self._cache.put(key, entry)
        self.last_report = entry.report
        return entry

    def _lookup_class(self, arrays: list[np.ndarray], base: tuple, statics: tuple,
                      weak: frozenset) -> _Compiled:
        """The entry of a new signature: its shape class's when that one traced
        symbolically, else a trace of its own (caller holds the lock)."""
        if self.backend not in SHAPE_POLYMORPHIC or type(self)._build is not JitFunction._build:
            return self._build(arrays, statics, weak)  # (subclasses trace per shape)
        ckey, shapes = shape_class(arrays, tuple(k[2] for k in base))
        ckey = (ckey, statics, weak)
        entry = self._classes.get_recent(ckey)
        if entry is None:
            entry = self._build_symbolic(arrays, shapes, statics, weak)
            self._classes.put(ckey, entry if entry is not None else False)
        return entry or self._build(arrays, statics, weak)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs and len(args) == self._nargs:  # fast path: a known signature
            key = _ndarray_key(args)
            last = self._last  # the signature of the previous call: no LRU bookkeeping
            if last is not None and last[0] == key:
                entry = last[1]
            else:
                entry = self._cache.get_recent(key) if key is not None else None
                if entry is not None:
                    self._last = (key, entry)
            if entry is not None:
                self.last_report = entry.report
                arrays = list(args)
                for name in entry.int64_args:
                    check_exact_ints(name, arrays[self._names.index(name)])
                return entry.run(arrays)
        elif not kwargs and self._defaulted is not None:  # fast path: trailing defaults left out
            key = (len(args), _ndarray_key(args))
            hit = self._defaulted.get(key)
            if hit is not None:
                entry, filled = hit
                self.last_report = entry.report
                arrays = [*args, *filled]
                for name in entry.int64_args:
                    i = self._names.index(name)
                    if i < len(args):
                        check_exact_ints(name, arrays[i])
                return entry.run(arrays)
        try:
            arrays, statics, weak = self._split(args, kwargs)
        except _Inline:
            return self._inline(args, kwargs)
        entry = self._compiled(arrays, statics, weak)
        if not kwargs and self._defaulted is not None and len(args) < self._nargs:
            self._remember_defaulted(args, arrays, entry)
        return entry.run(arrays)

    def _remember_defaulted(self, args: tuple, arrays: list, entry: _Compiled) -> None:
        """Keep ``entry`` and the defaults' converted arrays for calls that pass the same
        kind of arrays and leave the same trailing defaults out (``_split`` converts a
        default Python float to an array on every call: most of a small call's time).
        Only when the passed arguments are the plain arrays the entry runs on."""
        key = _ndarray_key(args)
        if key is None or len(arrays) < len(args) or any(
                a is not b for a, b in zip(args, arrays)):
            return
        if not all(type(d) in _FIXED_DEFAULTS for d in self._tail_defaults[
                len(args) - self._nargs:]):
            return  # a list or another mutable default may change between calls
        if len(self._defaulted) >= 8:
            self._defaulted.clear()
        self._defaulted[(len(args), key)] = (entry, tuple(arrays[len(args):]))

    def _inline(self, args: tuple, kwargs: dict) -> Any:
        """Called on traced values (inside another ``jit``, ``grad``...): trace the body
        into the caller's graph, which is optimized and compiled as one."""
        return rebind(self.fn)(*args, **kwargs)

    def _build(self, arrays: list[np.ndarray], statics: tuple = (),
               weak: frozenset = frozenset()) -> _Compiled:
        graph, multi = trace(self.fn, self._names, arrays, statics, weak)
        return self._finish(graph, multi)

    def _build_symbolic(self, arrays: list[np.ndarray], shapes: list[tuple],
                        statics: tuple = (), weak: frozenset = frozenset()
                        ) -> _Compiled | None:
        """Trace, optimize and compile with symbolic sizes; None when the function (or a
        step after it) needs concrete sizes."""
        sources = dim_sources(shapes)
        if not sources:
            return None  # nothing symbolic: the concrete trace is the same
        try:
            graph, multi = trace(self.fn, self._names, arrays, statics, weak, shapes)
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
        if self.tiered and self.backend == "numba":
            from .jit_tiered import TieredExecutable

            name, options = self.backend, self.backend_options  # (Numba is imported and
            executable: Any = TieredExecutable(  # compiles in the background thread)
                get_backend("numpy").compile(optimized),
                lambda: get_backend(name).compile(optimized, **options))
            entry = _Compiled(graph, optimized, executable, report, multi, sources)
            executable.on_ready = functools.partial(_swap_in, entry)
            return entry
        executable = get_backend(self.backend).compile(optimized, **self.backend_options)
        return _Compiled(graph, optimized, executable, report, multi, sources)

    def _optimize(self, graph: Graph) -> tuple[Graph, Any]:
        from .optimizer import optimize

        kwargs: dict[str, Any] = {"ieee": self.ieee, "backend": self.backend}
        if self.rules is not None:
            kwargs["rules"] = self.rules
        if self.budget is not None:
            kwargs["budget"] = self.budget
        res = optimize(graph, **kwargs)
        return res.graph, res.report

    # -- looking inside ------------------------------------------------------------------------
    def lower(self, *args: Any, **kwargs: Any) -> _Compiled:
        """Trace/optimize/compile for these arguments (cached) without running."""
        return self._compiled(*self._split(args, kwargs))

    def trace(self, *args: Any, **kwargs: Any) -> Graph:
        """The traced graph (before optimization) for these arguments, with their concrete
        shapes (the compiled entry may hold the symbolic-size trace of their shape class)."""
        if type(self)._build is not JitFunction._build:  # subclasses trace per shape
            return self.lower(*args, **kwargs).graph
        arrays, statics, weak = self._split(args, kwargs)
        return trace(self.fn, self._names, arrays, statics, weak)[0]

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

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background compilations of tiered first calls (a no-op otherwise);
        True when every signature called so far runs its compiled executable (or was never
        tiered), False after ``timeout`` seconds or when a compilation failed."""
        entries = {id(e): e for e in self._cache.values()}
        entries.update({id(e): e for e in self._classes.values() if e})
        ready = True
        for entry in entries.values():
            waiter = getattr(type(entry.executable), "wait", None)
            if waiter is not None:
                ready = waiter(entry.executable, timeout) and ready
        return ready

    def cache_info(self) -> dict[str, int]:
        """Sizes of the caches: concrete signatures, shape classes, distinct compiled
        executables, and the bound (``cache_size``)."""
        entries = {id(e) for e in self._cache.values()}
        entries |= {id(e) for e in self._classes.values() if e}
        return {"signatures": len(self._cache), "shape_classes": len(self._classes),
                "executables": len(entries), "cache_size": self._cache.size}

    def __repr__(self) -> str:
        return f"<et.jit {self.__name__} backend={self.backend} ({len(self._cache)} signatures)>"


def _static_names(fn: Callable, names: list[str], argnums: Any, argnames: Any) -> frozenset:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    keys = (argnames,) if isinstance(argnames, str) else tuple(argnames)
    out = set()
    for i in nums:
        if not -len(names) <= i < len(names):
            raise ValueError(f"static_argnums {argnums!r} out of range for {fn.__name__} with "
                             f"{len(names)} argument(s)")
        out.add(names[i])
    for k in keys:
        if k not in names:
            raise ValueError(f"static_argnames: {fn.__name__} has no argument {k!r}")
        out.add(k)
    return frozenset(out)


def jit(fn: Callable | None = None, **options: Any) -> Any:
    """Compile a NumPy function: ``@et.jit`` or ``@et.jit(backend="numba", fastmath=False,
    rules=..., budget=..., ieee="finite", optimize=True, static_argnums=(),
    static_argnames=(), cache_size=64, tiered=None)``.

    Array arguments are traced per shape class (rank, dtype, layout, which sizes are 0, 1
    or equal): a new batch size reuses the compiled function. Python floats are weak inputs
    (float32 beside float32 arrays, like NumPy 2); Python ints, bools, strings, None and
    tuples of them, and the arguments named by ``static_argnums`` / ``static_argnames``,
    are static: baked into the trace, one compiled version per value. Called on traced
    values (inside another ``jit`` or ``grad``) the function is inlined into the caller's
    graph. A 0-d result is returned as a NumPy scalar, like NumPy's full reductions.
    ``cache_size`` bounds how many signatures and shape classes the function keeps.
    ``tiered`` (default on for the Numba backend; ``tiered=False`` or the environment
    variable ``EQSAT_TENSOR_TIERED=0`` turns it off): the first calls of a new signature
    run the NumPy reference backend on the optimized graph while Numba compiles in a
    background thread, then the compiled kernels take over (same dtypes, shapes and
    result types; values may differ in the last bits). ``f.wait()`` waits for those
    compilations (see ``eqsat_tensor.jit_tiered``)."""
    if fn is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fn, **options)
