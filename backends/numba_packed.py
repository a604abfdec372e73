"""One Numba function for a whole graph over one flat vector (a sampler's calling convention).

A sampler (nutpie, blackjax, PyMC's NUTS) calls ``logp(x)`` / ``logp_dlogp(x)`` millions
of times on a flat float64 vector ``x`` with small models, where the per-call overhead
decides: unpacking ``x`` in Python, one dispatcher call per fused kernel, the buffers
allocated between them and concatenating the gradient cost more than the arithmetic.
``compile_packed`` generates one ``@njit`` *entry* that does all of it in compiled code:

- the graph inputs are views of slices of ``x`` (``Packing.in_shapes``, concatenated in the
  order of ``graph.inputs``);
- the plan's steps run in order: views, BLAS products (``np.dot``) and the fused kernels of
  the Numba backend's generated module (the same kernels ``et.compile`` runs, called
  directly from compiled code: no dispatch), each in its serial or parallel build by its
  size (the sizes are concrete and baked into the entry);
- each result (``Packing.results``) is either a float (one 0-d output) or a new vector,
  the raveled concatenation of its outputs (the gradient of ``model.dlogp()``);
- ``Packing.checks`` are bool outputs that must hold (PyMC's parameter checks): the entry
  also returns the position of the first one that fails, or -1 (-2: ``x`` has the wrong
  length), and the caller raises its own error.

The entry's source lives in a small module of its own that imports the kernel module (so
kernels are compiled once for both paths and cached on disk alike). Graphs the entry
cannot express (batched matmul, dtypes other than float64 in the flat vector, empty
max/min reductions) raise ``PackedUnsupported``; callers fall back to ``compile``.
"""

from __future__ import annotations

import atexit
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from ..errors import BackendError
from ..ir import Graph, Node
from . import numba_cache
from .numba_codegen import _for_cpu
from .numba_flat import flat_kernel
from .numba_packed_steps import SCANS
from .plan import Kernel, MatmulStep, ScanStep, ViewStep, is_inline_scalar
from .plan import Plan as _Plan


class PackedUnsupported(BackendError):
    """The graph has a step the packed entry does not express (use ``compile``)."""


@dataclass(frozen=True)
class Packing:
    """How the entry's flat argument and results map onto a graph's inputs and outputs.

    ``in_shapes``: one concrete shape per graph input, concatenated in input order.
    ``results``: per result, the output indices it is made of: a single 0-d output is
    returned as a float, anything else as the raveled concatenation of the outputs.
    ``checks``: indices of bool outputs that must all hold."""

    in_shapes: tuple[tuple[int, ...], ...]
    results: tuple[tuple[int, ...], ...]
    checks: tuple[int, ...] = ()

    @property
    def size(self) -> int:
        """Length of the flat input vector."""
        return sum(math.prod(s) for s in self.in_shapes)


class _Writer:
    """Source of the entry function for one plan."""

    def __init__(self, plan: _Plan, packing: Packing, parallel_min: int, chunks: int) -> None:
        self.plan, self.packing = plan, packing
        self.graph: Graph = plan.graph
        self.parallel_min, self.chunks = parallel_min, chunks
        self.names: dict[int, str] = {}
        self.contiguous: set[int] = set()  # buffers known to be C-contiguous
        self.pools: dict[str, list[np.ndarray]] = {}  # constants by dtype
        self.const_lines: list[str] = []
        self.lines: list[str] = []
        self.kernels: set[str] = set()
        self.kernels_extra: set[str] = set()  # numba_packed_steps functions used
        self.ws: dict[str, int] = {}  # workspace elements by dtype
        self.sizes: dict[int, tuple[int, ...]] = {}
        self.bound: dict[str, int] = {}  # symbolic dims' sizes

    # -- names and shapes --------------------------------------------------------------
    def dim(self, d: Any) -> int:
        """A concrete size: symbolic dims take their value from the input shapes."""
        if isinstance(d, int):
            return d
        if d not in self.bound:
            raise PackedUnsupported(f"symbolic dim {d!r} not fixed by the input shapes")
        return self.bound[d]

    def shape(self, node: Node) -> tuple[int, ...]:
        if node.uid not in self.sizes:
            self.sizes[node.uid] = tuple(self.dim(d) for d in node.shape)
        return self.sizes[node.uid]

    def buf(self, node: Node) -> str:
        """The local name of a node's buffer (constants become entry arguments)."""
        if is_inline_scalar(node):
            dt = "np.bool_" if node.dtype == "bool" else f"np.{node.dtype}"
            return f"np.full((), {_literal(node.value, node.dtype)}, {dt})"
        name = self.names.get(node.uid)
        if name is None:
            if node.op == "constant":  # a slice of its dtype's pool: one argument per dtype
                name = f"cst{len(self.const_lines)}"
                value = np.ascontiguousarray(node.value, dtype=node.dtype)
                pool = self.pools.setdefault(node.dtype, [])
                start = sum(a.size for a in pool)
                pool.append(value.ravel())
                self.const_lines.append(f"    {name} = pool_{node.dtype}[{start}:"
                                        f"{start + value.size}].reshape("
                                        f"{_tuple(value.shape) if value.shape else '()'})")
                self.contiguous.add(node.uid)
            elif node.op == "input":
                raise PackedUnsupported(f"input {node.name!r} not bound")  # pragma: no cover
            else:
                name = f"b{len(self.names)}"
            self.names[node.uid] = name
        return name

    def alloc(self, shape: tuple[int, ...], dtype: str) -> str:
        """A new buffer: a slice of the entry's workspace for its dtype (one allocation per
        call and per dtype, and one compiled ``np.empty``), else ``np.empty``."""
        size = math.prod(shape)
        if dtype not in ("float64", "bool"):
            dt = "np.bool_" if dtype == "bool" else f"np.{dtype}"
            return f"np.empty({_tuple(shape) if shape else '()'}, {dt})"
        start = self.ws.get(dtype, 0)
        self.ws[dtype] = start + max(size, 1)
        return f"ws_{dtype}[{start}:{start + size}].reshape({_tuple(shape) if shape else '()'})"

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    # -- steps -------------------------------------------------------------------------
    def inputs(self) -> None:
        if len(self.packing.in_shapes) != len(self.graph.inputs):
            raise BackendError(f"packing: {len(self.packing.in_shapes)} input shapes for "
                               f"{len(self.graph.inputs)} graph inputs")
        start = 0
        for i, (node, shape) in enumerate(zip(self.graph.inputs, self.packing.in_shapes)):
            if node.dtype != "float64":
                raise PackedUnsupported(f"input {node.name!r} is {node.dtype}, not float64")
            shape = tuple(int(d) for d in shape)
            if len(shape) != len(node.shape) or any(
                    self.bound.setdefault(d, n) != n if isinstance(d, str) else d != n
                    for d, n in zip(node.shape, shape)):
                raise BackendError(f"packing: input {node.name!r} of shape {node.shape} "
                                   f"cannot take shape {shape}")
            size = math.prod(shape)
            name = f"in{i}"
            self.names[node.uid] = name
            self.sizes[node.uid] = shape
            self.contiguous.add(node.uid)
            self.emit(f"{name} = x[{start}:{start + size}].reshape({_tuple(shape)})")
            start += size

    def view(self, node: Node) -> None:
        src_node = node.inputs[0]
        src = self.buf(src_node)
        contiguous = src_node.uid in self.contiguous or is_inline_scalar(src_node)
        shape = self.shape(node)
        if node.op in ("reshape", "expand_dims"):
            if not contiguous:
                src = f"np.ascontiguousarray({src})"
            expr = f"{src}.reshape({_tuple(shape)})"
            self.contiguous.add(node.uid)
        elif node.op == "transpose":
            expr = f"np.transpose({src}, {tuple(node.attr('axes'))!r})"
        elif node.op == "broadcast_to" and src_node.op == "constant" and \
                math.prod(shape) <= 1 << 16:  # a constant: broadcast now, into the pool
            from ..ir import constant_node

            full = np.broadcast_to(np.asarray(src_node.value, dtype=src_node.dtype), shape)
            expr = self.buf(constant_node(np.ascontiguousarray(full), src_node.dtype))
            self.contiguous.add(node.uid)
        elif node.op == "broadcast_to":
            expr = f"np.broadcast_to({src}, {_tuple(shape)})"
        else:  # another view op: the Numba backend's own spelling (NumPy indexing)
            from .numba_codegen import _view

            expr = _view(node, _SourceNames(self))
        self.emit(f"{self.buf(node)} = {expr}")

    # -- gather and scan steps (as (A, n, B) blocks: backends/numba_packed_steps.py) -------
    def block(self, node: Node, ax: int) -> str:
        """``node``'s buffer as a C-contiguous (A, n, B) block around axis ``ax``."""
        shape = self.shape(node)
        src = self.buf(node)
        if is_inline_scalar(node) or not shape:
            raise PackedUnsupported("a gather or scan of a 0-d operand")
        if node.uid not in self.contiguous:
            src = f"np.ascontiguousarray({src})"
        a, b = math.prod(shape[:ax]), math.prod(shape[ax + 1:])
        return f"{src}.reshape(({a}, {shape[ax]}, {b}))"

    def flat_index(self, node: Node) -> str:
        if node.dtype != "int64" or is_inline_scalar(node):
            raise PackedUnsupported("an index operand that is not an int64 array")
        src = self.buf(node)
        if node.uid not in self.contiguous:
            src = f"np.ascontiguousarray({src})"
        return f"{src}.reshape(({math.prod(self.shape(node))},))"

    def gather(self, node: Node) -> None:
        out = self.buf(node)
        shape = self.shape(node)
        if node.op == "concatenate":
            a, b = (self.buf(i) for i in node.inputs)
            self.emit(f"{out} = np.concatenate(({a}, {b}), axis={node.attr('axis')[0]})")
        elif node.op == "pad_slice":
            key = ", ".join(f"{a}:{'' if b is None else b}:{c}" if (a, b, c) != (0, None, 1)
                            else ":" for a, b, c in node.attr("slices"))
            self.emit(f"{out} = {self.alloc(shape, node.dtype)}")
            self.emit(f"{out}[...] = 0")
            self.emit(f"{out}[{key}{',' if len(shape) == 1 else ''}] = {self.buf(node.inputs[0])}")
        elif node.op == "take":
            ax = node.attr("axis")[0]
            x, idx = node.inputs
            self.emit(f"{out} = take3({self.block(x, ax)}, {self.flat_index(idx)})"
                      f".reshape({_tuple(shape)})")
            self.kernels_extra.add("take3")
        elif node.op == "scatter_add":
            ax = node.attr("axis")[0]
            g, idx = node.inputs
            gshape = self.shape(g)
            nidx = math.prod(self.shape(idx))
            a, b = math.prod(shape[:ax]), math.prod(shape[ax + 1:])
            src = self.buf(g) if g.uid in self.contiguous else \
                f"np.ascontiguousarray({self.buf(g)})"
            if math.prod(gshape) != a * nidx * b:
                raise PackedUnsupported("scatter_add with a broadcast update")
            self.emit(f"{out} = scatter_add3({src}.reshape(({a}, {nidx}, {b})), "
                      f"{self.flat_index(idx)}, {shape[ax]}).reshape({_tuple(shape)})")
            self.kernels_extra.add("scatter_add3")
        else:
            raise PackedUnsupported(f"gather op {node.op}")
        self.contiguous.add(node.uid)

    def scan(self, node: Node) -> None:
        if node.op not in SCANS:
            raise PackedUnsupported(f"scan op {node.op}")
        (ax,) = node.attr("axis")
        reverse, product = SCANS[node.op]
        self.kernels_extra.add("scan3")
        self.emit(f"{self.buf(node)} = scan3({self.block(node.inputs[0], ax)}, {reverse}, "
                  f"{product}).reshape({_tuple(self.shape(node))})")
        self.contiguous.add(node.uid)

    def matmul(self, node: Node) -> None:
        a, b = node.inputs
        if len(a.shape) > 2 or len(b.shape) > 2 or not (a.dtype == b.dtype == node.dtype) \
                or node.dtype not in ("float32", "float64"):
            raise PackedUnsupported("matmul other than 1-D/2-D of one float dtype")
        expr = f"np.dot({self.buf(a)}, {self.buf(b)})"
        if not node.shape:
            expr = f"np.full((), {expr}, np.{node.dtype})"
        self.emit(f"{self.buf(node)} = {expr}")
        self.contiguous.add(node.uid)

    def kernel(self, k: Kernel) -> None:
        for m in k.matmuls:
            self.matmul(m)
        extents = [self.dim(d) for d in k.domain]
        # a kernel the generated module wrote over one flat axis (numba_flat, C order)
        flat = flat_kernel(_for_cpu(k), self.plan, "C") is not None
        if flat:
            extents = [math.prod(extents)]
        args = [str(e) for e in extents]
        if k.reduce_axes and not k.kept_axes:
            args.append(str(max(1, min(extents[0 if flat else k.reduce_axes[0]],
                                       self.chunks))))
        count = (extents[0] if flat else math.prod(extents[a] for a in k.reduce_axes)
                 ) if k.reduce_axes else 1
        if count == 0 and any(r.op in ("max", "min") for r in k.reductions()):
            raise PackedUnsupported("max/min over an empty axis")
        for w in k.writes:
            self.emit(f"{self.buf(w)} = {self.alloc(self.shape(w), w.dtype)}")
            self.contiguous.add(w.uid)
        bufs = [self.buf(b) for b in (*k.reads, *k.writes)]
        if flat:  # C-order ravels (a copy where a read is not contiguous)
            bufs = [f"np.ascontiguousarray({name}).reshape({extents[0]})" if b.shape else name
                    for name, b in zip(bufs, (*k.reads, *k.writes))]
        args += bufs
        build = "parallel" if math.prod(extents) >= self.parallel_min else "serial"
        fn = f"{k.name}_{build}"
        self.kernels.add(fn)
        self.emit(f"{fn}({', '.join(args)})")

    def results(self) -> list[str]:
        outs = self.graph.outputs
        self.emit("bad = -1")
        for pos, i in enumerate(self.packing.checks):
            node = outs[i]
            if node.dtype != "bool":
                raise BackendError(f"packing: check output {i} is {node.dtype}, not bool")
            if is_inline_scalar(node):
                if bool(node.value):
                    continue
                cond = "False"
            else:
                cond = f"{self.buf(node)}.all()" if node.shape else f"{self.buf(node)}[()]"
            self.emit(f"if bad < 0 and not {cond}:")
            self.emit(f"    bad = {pos}")
        names = []
        for r, idx in enumerate(self.packing.results):
            nodes = [outs[i] for i in idx]
            if len(nodes) == 1 and nodes[0].shape == ():
                n = nodes[0]
                names.append(_literal(n.value, n.dtype) if is_inline_scalar(n)
                             else f"{self.buf(n)}[()]")
                continue
            dtype = np.result_type(*[n.dtype for n in nodes]).name
            total = sum(math.prod(self.shape(n)) for n in nodes)
            name = f"out{r}"
            self.emit(f"{name} = np.empty(n_any + {total}, np.{dtype})")
            start = 0
            for n in nodes:
                size = math.prod(self.shape(n))
                src = self.buf(n)
                if n.uid not in self.contiguous and not is_inline_scalar(n):
                    src = f"np.ascontiguousarray({src})"
                self.emit(f"{name}[{start}:{start + size}] = {src}.reshape(({size},))")
                start += size
            names.append(name)
        return names

    def write(self) -> list[str]:
        self.emit(f"if x.shape[0] != {self.packing.size}:")
        self.emit(f"    x = np.empty(n_any + {self.packing.size}, np.float64)")
        self.emit("    x[:] = 0.0")
        self.emit("    wrong = True")
        self.emit("else:")
        self.emit("    wrong = False")
        self.inputs()
        for step in self.plan.steps:
            if isinstance(step, ViewStep) and step.node.spec.kind == "gather":
                self.gather(step.node)
            elif isinstance(step, ScanStep):
                self.scan(step.node)
            elif isinstance(step, ViewStep):
                self.view(step.node)
            elif isinstance(step, MatmulStep):
                self.matmul(step.node)
            elif isinstance(step, Kernel):
                self.kernel(step)
            else:  # a step kind added later (scans, gathers...): the unpacked path runs it
                raise PackedUnsupported(f"plan step {type(step).__name__}")
        names = self.results()
        self.emit("if wrong:")
        self.emit("    bad = -2")
        params = ", ".join([f"pool_{dt}" for dt in sorted(self.pools)] + ["x"])
        # n_any: 0, but not a compile-time constant, so every np.empty has one signature
        # (a literal size would compile NumPy's allocation once per size: cold compile)
        ws = ["    n_any = x.shape[0] * 0"] + [
            f"    ws_{dt} = np.empty(n_any + {n}, np.{dt})" for dt, n in self.ws.items()]
        body = ws + self.lines[:6] + self.const_lines + self.lines[6:]
        return [f"def entry({params}):",
                '    """The whole graph over the flat vector x: results, then the first '
                'failed check (-1: none, -2: wrong length)."""'] + body + [
                    f"    return ({', '.join(names + ['bad'])},)"]


class _SourceNames:
    """The naming interface of the Numba backend's code emitters over a ``_Writer``
    (buffers by its names, sizes as concrete numbers)."""

    def __init__(self, writer: _Writer) -> None:
        self.writer = writer

    def buf(self, node: Node) -> str:
        return self.writer.buf(node)

    def dim(self, d: Any) -> str:
        return str(self.writer.dim(d))

    def shape(self, shape: tuple) -> str:
        return _tuple([self.writer.dim(d) for d in shape]) if shape else "()"


def _tuple(shape: Sequence[int]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def _literal(value: Any, dtype: str) -> str:
    if dtype == "bool":
        return repr(bool(value))
    v = float(np.asarray(value))
    if math.isnan(v):
        text = "np.nan"
    elif math.isinf(v):
        text = "np.inf" if v > 0 else "-np.inf"
    else:
        text = repr(v)
    return f"np.{dtype}({text})"


def entry_source(plan: _Plan, packing: Packing, kernel_module: str | None, *,
                 parallel_min: int, chunks: int, cache: bool
                 ) -> tuple[str, list[np.ndarray]]:
    """Module source of the entry for ``plan`` and the arrays it takes before ``x``: the
    graph's array constants, one flat pool per dtype (see the module docstring);
    ``kernel_module`` is the generated kernel module's name (imported by the entry
    module)."""
    writer = _Writer(plan, packing, parallel_min, chunks)
    body = writer.write()
    lines = ['"""eqsat-tensor packed entry: the whole graph over one flat vector."""', "",
             "import numba", "import numpy as np", ""]
    if writer.kernels:
        if kernel_module is None:  # pragma: no cover - kernels imply a module
            raise BackendError("packed entry: no kernel module")
        lines.append(f"from {kernel_module} import {', '.join(sorted(writer.kernels))}")
    if writer.kernels_extra:
        lines.append("from eqsat_tensor.backends.numba_packed_steps import "
                     + ", ".join(sorted(writer.kernels_extra)))
    lines += ["", f"CACHE = {bool(cache)}", "", "",
              "@numba.njit(cache=CACHE, nogil=True, error_model='numpy')"]
    lines += body
    pools = [np.concatenate(writer.pools[dt]) for dt in sorted(writer.pools)]
    return "\n".join(lines) + "\n", pools


def compile_packed(graph: Graph, packing: Packing, fail: Callable[[int, tuple], Any] | None
                   = None, **options: Any) -> Callable[[Any], Any]:
    """The whole graph over one flat float64 vector ``x`` in one compiled call (see the
    module docstring); ``options`` as for the Numba backend's ``compile``. Raises
    ``PackedUnsupported`` for graphs it cannot express.

    Without ``fail``: ``fn(x) -> (result..., bad)``. With it: ``fn(x)`` returns the
    results (one, or a tuple), or where ``bad != -1`` what ``fail(bad, results)`` returns
    (it may raise instead)."""
    from .numba_cpu import compile as compile_numba

    exe = compile_numba(graph, **options)
    kernels = exe.compiled_kernels("C") if exe.plan.kernels() else {}
    module_name = next(iter(kernels.values())).py_func.__module__ if kernels else None
    source, pools = entry_source(exe.plan, packing, module_name,
                                 parallel_min=exe.parallel_min,
                                 chunks=4 * numba.get_num_threads(),
                                 cache=exe.directory is not None)
    module = numba_cache.load(source, exe.directory)
    call = functools.partial(module.entry, *pools)
    try:  # compile now (or load from the disk cache): a typing failure means unsupported
        call(np.zeros(packing.size))
    except numba.core.errors.NumbaError as exc:
        raise PackedUnsupported(f"the packed entry does not compile: {exc}") from None
    if exe.directory is not None and not module.__name__.endswith("_mem"):
        # record the Numba cache files just written (the next process trusts only those),
        # and again at exit (a later specialization); the kernel module's executable
        # re-seals it when it runs itself
        for name in filter(None, (module.__name__, module_name)):
            _TO_SEAL[name] = exe.directory
            numba_cache.seal(exe.directory, name)
    return _bind(call, packing, fail)


_TO_SEAL: dict[str, Any] = {}  # generated modules whose cache files are re-sealed at exit


@atexit.register
def _seal_all() -> None:
    for name, directory in list(_TO_SEAL.items()):
        try:
            numba_cache.seal(directory, name)
        except OSError:  # pragma: no cover - seal warns and purges itself
            pass


def _bind(call: Callable, packing: Packing, fail: Callable[[int, tuple], Any] | None
          ) -> Callable[[Any], Any]:
    """``fn(x)``: ``x`` converted to a contiguous float64 vector unless it is one (the
    common case costs a type, a dtype and a rank check), then one call of the entry."""
    ndarray, f64, size = np.ndarray, np.dtype(np.float64), packing.size

    def coerce(x: Any) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float64)
        if x.ndim != 1:
            raise ValueError(f"expected a flat parameter vector of length {size}, got "
                             f"shape {x.shape}")
        return x

    if fail is None:
        def fn(x: Any) -> Any:
            if type(x) is not ndarray or x.dtype is not f64 or x.ndim != 1:
                x = coerce(x)
            return call(x)
    elif len(packing.results) == 1:
        def fn(x: Any) -> Any:
            if type(x) is not ndarray or x.dtype is not f64 or x.ndim != 1:
                x = coerce(x)
            r, bad = call(x)
            if bad != -1:
                return fail(bad, (r,))
            return r
    elif len(packing.results) == 2:
        def fn(x: Any) -> Any:
            if type(x) is not ndarray or x.dtype is not f64 or x.ndim != 1:
                x = coerce(x)
            r0, r1, bad = call(x)
            if bad != -1:
                return fail(bad, (r0, r1))
            return r0, r1
    else:
        def fn(x: Any) -> Any:
            if type(x) is not ndarray or x.dtype is not f64 or x.ndim != 1:
                x = coerce(x)
            *rs, bad = call(x)
            if bad != -1:
                return fail(bad, tuple(rs))
            return tuple(rs)
    return fn


__all__ = ["Packing", "PackedUnsupported", "compile_packed", "entry_source"]
