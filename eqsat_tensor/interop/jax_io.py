"""JAX functions to graphs (via ``jax.make_jaxpr``) and graphs to JAX callables.

``from_jax(fn, *example_args)`` traces ``fn`` with ``jax.make_jaxpr`` (64-bit mode is
switched on for the trace when an example is float64) and maps each jaxpr primitive to
ops: arithmetic and math primitives one to one (``logistic`` -> ``sigmoid``, ``rsqrt`` ->
``1/sqrt``, ``integer_pow`` -> ``square``/``pow``, ``is_finite`` -> ``abs(x) < inf``),
``select_n`` -> ``where``, ``reduce_sum/max/min/prod`` -> reductions,
``broadcast_in_dim`` -> ``expand_dims`` + ``broadcast_to``, ``dot_general`` (one
contracting dim, leading batch dims) -> ``transpose`` + ``matmul``, ``reshape``,
``squeeze``, ``transpose``, ``convert_element_type`` between floats -> ``cast``;
``stop_gradient`` and ``copy`` are the identity. Sub-jaxprs of ``pjit``/``jit``,
``custom_jvp_call`` and ``custom_vjp_call`` are inlined. Equations whose results are never
used are skipped. Any other primitive that the outputs need is reported: one
``UnsupportedOperation`` lists every such primitive by name.

Inputs are named after ``fn``'s parameters (``W``, ``b``; pytree leaves get ``_0``,
``_1`` suffixes), with the example arrays' shapes and dtypes.

``to_jax(graph)`` returns a function of the graph's inputs (positional in
``graph.inputs`` order, or by name) that computes the outputs with ``jax.numpy``; wrap it
in ``jax.jit`` to run the graph on XLA.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from ..ir import OPS, Graph, Node, apply, constant_node, input_node, ops_named_in
from ._optional import require

# JAX primitive -> op, from the ops table's JAX names (``OpSpec.names["jax"]``); the
# primitives with their own handling below (select_n, convert_element_type, layout,
# dot_general) are left out.
_SIMPLE = {n: op for n, op in ops_named_in("jax").items()
           if OPS[op].kind == "elementwise" and op not in ("where", "cast")}
_REDUCE = {n: op for n, op in ops_named_in("jax").items() if OPS[op].kind == "reduction"}
_IDENTITY = {"stop_gradient", "copy", "copy_p", "optimization_barrier"}
_INLINE = {"pjit", "jit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call",
           "custom_vjp_call_jaxpr", "remat", "checkpoint"}


def _jax() -> Any:
    return require("jax", "jax", "JAX import/export")


def _arg_names(fn: Callable, n: int) -> list[str]:
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return params[:n] + [f"x{i}" for i in range(len(params), n)]


def from_jax(fn: Callable, *example_args: Any) -> Graph:
    """The Graph of ``fn`` traced at ``example_args`` (arrays or pytrees of arrays)."""
    jax = _jax()
    leaves_per_arg = [jax.tree_util.tree_leaves(a) for a in example_args]
    wide = any(np.asarray(leaf).dtype == np.float64 for leaves in leaves_per_arg
               for leaf in leaves)
    with jax.enable_x64(wide):
        closed = jax.make_jaxpr(fn)(*example_args)
    names: list[str] = []
    for base, leaves in zip(_arg_names(fn, len(example_args)), leaves_per_arg):
        names += [base] if len(leaves) == 1 else [f"{base}_{i}" for i in range(len(leaves))]
    conv = _Converter(jax)
    jaxpr = closed.jaxpr
    inputs = []
    for name, var in zip(names, jaxpr.invars):
        dtype = np.dtype(var.aval.dtype).name
        if dtype not in ("float32", "float64", "bool"):
            raise UnsupportedOperation(f"from_jax: input {name!r} has dtype {dtype}; only "
                                       "float32/float64/bool inputs are supported")
        inputs.append(input_node(name, tuple(var.aval.shape), dtype))
    outs = conv.run(closed, inputs, top=True)
    if conv.unsupported:
        raise UnsupportedOperation("from_jax: unsupported jaxpr primitive(s): "
                                   + ", ".join(sorted(conv.unsupported)))
    return Graph(outs, inputs)


class _Converter:
    def __init__(self, jax: Any) -> None:
        self.jax = jax
        self.unsupported: set[str] = set()
        self.values: dict[Any, np.ndarray] = {}  # (index) vars of known constant value

    # -- indexing and joins (index) --------------------------------------------------------
    def value(self, v: Any) -> np.ndarray | None:
        """The constant value of jaxpr variable ``v``, if known."""
        if self.is_literal(v):
            return np.asarray(v.val)
        return self.values.get(v)

    def fold(self, eqn: Any, env: dict) -> bool:
        if eqn.primitive.name == "iota" and np.dtype(eqn.outvars[0].aval.dtype).kind in "iu":
            p = eqn.params  # (clients) an integer range: a value like folded constants
            shape = tuple(int(d) for d in p["shape"])
            d = int(p["dimension"])
            ar = np.arange(shape[d]).reshape((1,) * d + (shape[d],) + (1,) * (len(shape) - d - 1))
            self.values[eqn.outvars[0]] = np.broadcast_to(ar, shape).astype(np.int64)
            return True
        return self._fold(eqn, env)

    def _fold(self, eqn: Any, env: dict) -> bool:
        """Compute an equation on integer constants with JAX itself (the index arithmetic
        ``jnp`` emits around a gather: negative-index wrapping, broadcasts); the integer
        results stay values for ``gather``, never graph nodes."""
        if eqn.primitive.name in _INLINE or not eqn.invars:
            return False
        vals = [self.value(v) for v in eqn.invars]
        if any(x is None for x in vals) or not all(
                np.dtype(o.aval.dtype).kind in "iub" for o in eqn.outvars):
            return False
        try:
            outs = eqn.primitive.bind(*vals, **eqn.params)
        except Exception:  # noqa: BLE001 - not foldable here: convert as usual
            return False
        outs = outs if eqn.primitive.multiple_results else [outs]
        for var, out in zip(eqn.outvars, outs):
            self.values[var] = np.asarray(out)
            if np.asarray(out).dtype == np.bool_:
                env[var] = constant_node(np.asarray(out), "bool")
        return True

    def index_eqn(self, name: str, eqn: Any, ins: list[Node]) -> Node:
        """``slice``, ``rev``, ``concatenate``, ``dynamic_slice`` with constant starts and
        the ``gather`` forms ``jnp`` indexing emits, as eqsat-tensor indexing."""
        from ..frontend import indexing as X

        p = eqn.params
        x = ins[0]
        if name == "slice":
            strides = p["strides"] or (1,) * x.ndim
            key = tuple(slice(int(a), int(b), int(c)) for a, b, c in
                        zip(p["start_indices"], p["limit_indices"], strides))
            return X.index(x, key).node
        if name == "rev":
            return X.flip(x, tuple(int(d) for d in p["dimensions"])).node
        if name == "concatenate":
            return X.concatenate(ins, axis=int(p["dimension"])).node
        if name == "dynamic_slice":
            starts = [self.value(v) for v in eqn.invars[1:]]
            if any(s is None for s in starts):
                raise UnsupportedOperation("dynamic_slice (with starts that are not "
                                           "constants)")
            key = []
            for d, (s, size) in enumerate(zip(starts, p["slice_sizes"])):
                n = x.shape[d]
                s = min(max(int(s), 0), n - int(size))  # XLA clamps the start
                key.append(slice(s, s + int(size)))
            return X.index(x, tuple(key)).node
        if name == "gather":
            return self.gather(x, eqn)
        raise UnsupportedOperation(name)

    def gather(self, x: Node, eqn: Any) -> Node:
        from ..frontend import indexing as X
        from ..frontend.tensor import Tensor

        p = eqn.params
        dn = p["dimension_numbers"]
        idx = self.value(eqn.invars[1])
        if idx is None:
            raise UnsupportedOperation("gather (with indices that are not constants)")
        collapsed = tuple(int(d) for d in dn.collapsed_slice_dims)
        starts = tuple(int(d) for d in dn.start_index_map)
        offset = tuple(int(d) for d in dn.offset_dims)
        batching = tuple(int(d) for d in getattr(dn, "operand_batching_dims", ()))
        sizes = tuple(int(d) for d in p["slice_sizes"])
        if batching:  # take_along_axis: every other axis is a batch axis
            (k,) = starts
            if collapsed != (k,) or set(batching) != set(range(x.ndim)) - {k} or any(
                    s != 1 for s in sizes):
                raise UnsupportedOperation("gather (a batched form other than "
                                           "take_along_axis)")
            along = idx.reshape(idx.shape[:-1])
            return X.take_along_axis(x, along, axis=k).node
        if collapsed != starts or any(sizes[d] != (1 if d in starts else x.shape[d])
                                      for d in range(x.ndim)):
            raise UnsupportedOperation("gather (other than integer-array indexing)")
        key: list[Any] = [slice(None)] * x.ndim
        for j, d in enumerate(starts):
            key[d] = idx[..., j]
        out = X.index(x, tuple(key))
        assert isinstance(out, Tensor)
        # NumPy's layout -> JAX's: the kept axes at ``offset_dims``, the index dims elsewhere
        batch = idx.ndim - 1
        kept = [d for d in range(x.ndim) if d not in starts]
        adjacent = list(starts) == list(range(starts[0], starts[0] + len(starts)))
        np_labels = ([("k", d) for d in kept if d < starts[0]] + [("b", j) for j in range(batch)]
                     + [("k", d) for d in kept if d > starts[0]]) if adjacent else (
            [("b", j) for j in range(batch)] + [("k", d) for d in kept])
        rank = batch + len(kept)
        jax_labels: list[Any] = [None] * rank
        for pos, d in zip(offset, kept):
            jax_labels[pos] = ("k", d)
        rest = iter(range(batch))
        jax_labels = [lab if lab is not None else ("b", next(rest)) for lab in jax_labels]
        perm = tuple(np_labels.index(lab) for lab in jax_labels)
        node = out.node
        return node if perm == tuple(range(rank)) else apply("transpose", node, axes=perm)

    def run(self, closed: Any, args: list[Node], top: bool = False,
            arg_values: list[Any] | None = None) -> list[Node]:
        jaxpr = closed.jaxpr
        env: dict[Any, Node] = {}
        for var, const in zip(jaxpr.constvars, closed.consts):
            env[var] = self.constant(const)
            self.values[var] = np.asarray(const)
        for var, node in zip(jaxpr.invars, args):
            env[var] = node
        for var, val in zip(jaxpr.invars, arg_values or ()):
            if val is not None:
                self.values[var] = val
        needed = self.needed(jaxpr)
        for eqn in jaxpr.eqns:
            if not any(v in needed for v in eqn.outvars if not self.is_drop(v)):
                continue
            if self.fold(eqn, env):  # (index) constant index arithmetic, computed by JAX
                continue
            ins = [self.read(env, v) for v in eqn.invars]
            if any(i is None for i in ins):
                continue  # an input came from an unsupported primitive
            try:
                outs = self.eqn(eqn, ins)
            except UnsupportedOperation as exc:
                self.unsupported.add(str(exc))
                continue
            for v, o in zip(eqn.outvars, outs):
                env[v] = o
        results = [self.read(env, v) for v in jaxpr.outvars]
        if any(r is None for r in results):
            return []
        return results

    def is_drop(self, v: Any) -> bool:
        return type(v).__name__ == "DropVar"

    def needed(self, jaxpr: Any) -> set:
        need = {v for v in jaxpr.outvars if not self.is_literal(v)}
        for eqn in reversed(jaxpr.eqns):
            if any(v in need for v in eqn.outvars if not self.is_drop(v)):
                need.update(v for v in eqn.invars if not self.is_literal(v))
        return need

    def is_literal(self, v: Any) -> bool:
        return type(v).__name__ == "Literal"

    def read(self, env: dict, v: Any) -> Node | None:
        if self.is_literal(v):
            return self.constant(v.val, np.dtype(v.aval.dtype).name)
        if v not in env and v in self.values:  # (index) a folded integer value
            val = self.values[v]
            return constant_node(val.astype(np.int64), "int64") if val.dtype.kind in "iu" \
                else self.constant(val)
        return env.get(v)

    def constant(self, value: Any, dtype: str | None = None) -> Node:
        arr = np.asarray(value)
        dtype = dtype or arr.dtype.name
        if dtype == "bool":
            return constant_node(arr.astype(bool), "bool")
        if dtype not in ("float32", "float64"):
            dtype = "float64"
        return constant_node(arr.astype(dtype), dtype)

    def eqn(self, eqn: Any, ins: list[Node]) -> list[Node]:
        name = eqn.primitive.name
        p = eqn.params
        out_aval = eqn.outvars[0].aval
        if name in _SIMPLE:
            return [apply(_SIMPLE[name], *ins)]
        if name in _IDENTITY:
            return list(ins)
        if name in _INLINE:
            sub = next((p[k] for k in ("jaxpr", "call_jaxpr", "fun_jaxpr") if k in p), None)
            if sub is None:
                raise UnsupportedOperation(name)
            if not hasattr(sub, "consts"):  # an open Jaxpr
                sub = self.jax.extend.core.ClosedJaxpr(sub, ()) if hasattr(
                    self.jax, "extend") else sub
            outs = self.run(sub, ins[:len(sub.jaxpr.invars)],
                            arg_values=[self.value(v) for v in eqn.invars])
            for ov, sv in zip(eqn.outvars, sub.jaxpr.outvars):  # folded values leave too
                if self.value(sv) is not None:
                    self.values[ov] = self.value(sv)
            if not outs:
                raise UnsupportedOperation(name + " (body)")
            return outs
        x = ins[0] if ins else None
        if name in _REDUCE:
            axes = tuple(sorted(int(a) for a in p["axes"]))
            return [apply(_REDUCE[name], x, axis=axes, keepdims=False)]
        if name == "integer_pow":
            y = int(p["y"])
            table = {1: lambda: x, 2: lambda: apply("square", x),
                     -1: lambda: apply("reciprocal", x),
                     -2: lambda: apply("reciprocal", apply("square", x)),
                     3: lambda: apply("mul", apply("square", x), x)}
            if y in table:
                return [table[y]()]
            return [apply("pow", x, constant_node(float(y), x.dtype))]
        if name == "rsqrt":
            return [apply("reciprocal", apply("sqrt", x))]
        if name == "is_finite":
            return [apply("less", apply("abs", x), constant_node(math.inf, x.dtype))]
        if name == "sign":
            zero = constant_node(0.0, x.dtype)
            return [apply("where", apply("greater", x, zero), constant_node(1.0, x.dtype),
                          apply("where", apply("less", x, zero), constant_node(-1.0, x.dtype),
                                x))]
        if name == "select_n":
            pred, cases = ins[0], ins[1:]
            if pred.dtype != "bool" or len(cases) != 2:
                raise UnsupportedOperation("select_n (with an integer selector)")
            return [apply("where", pred, cases[1], cases[0])]
        if name == "clamp":
            lo, v, hi = ins
            return [apply("minimum", apply("maximum", v, lo), hi)]
        if name == "broadcast_in_dim":
            return [self.broadcast(x, tuple(p["shape"]), tuple(p["broadcast_dimensions"]))]
        if name == "reshape":
            if p.get("dimensions") not in (None, ()):
                raise UnsupportedOperation("reshape (with dimensions)")
            shape = tuple(int(d) for d in p["new_sizes"])
            return [x if shape == x.shape else apply("reshape", x, shape=shape)]
        if name == "squeeze":
            shape = tuple(out_aval.shape)
            return [x if shape == x.shape else apply("reshape", x, shape=shape)]
        if name == "expand_dims":
            return [apply("reshape", x, shape=tuple(out_aval.shape))]
        if name == "transpose":
            perm = tuple(int(a) for a in p["permutation"])
            return [x if perm == tuple(range(x.ndim)) else apply("transpose", x, axes=perm)]
        if name == "convert_element_type":
            dtype = np.dtype(p["new_dtype"]).name
            if dtype not in ("float32", "float64", "bool"):
                raise UnsupportedOperation(f"convert_element_type (to {dtype})")
            return [x if dtype == x.dtype else apply("cast", x, dtype=dtype)]
        if name == "dot_general":
            return [self.dot_general(ins[0], ins[1], p["dimension_numbers"])]
        if name in ("slice", "rev", "concatenate", "dynamic_slice", "gather"):  # (index)
            return [self.index_eqn(name, eqn, ins)]
        if name in _CLIENT_PRIMS:  # (clients)
            return [self.client_eqn(name, eqn, ins)]
        if name in ("split", "stack"):  # (index)
            from ..frontend import indexing as X

            if name == "stack":
                return [X.stack(ins, axis=int(p["axis"])).node]
            sizes = [int(n) for n in p["sizes"]]
            cuts = np.cumsum(sizes)[:-1].tolist()
            return [t.node for t in X.split(x, cuts, axis=int(p["axis"]))]
        raise UnsupportedOperation(name)

    # -- scans, logic, rounding, padding (clients) ---------------------------------------
    def client_eqn(self, name: str, eqn: Any, ins: list[Node]) -> Node:
        """``cumsum``/``cumprod``/``cummax`` (``reverse``), ``argmax``/``argmin``, one-operand
        ``sort``, ``and``/``or``/``xor``/``not`` of bools, ``round`` (half to even), ``pad``
        with no interior padding."""
        from ..frontend import functions as F

        p = eqn.params
        x = ins[0]
        if name in ("cumsum", "cumprod"):
            ax = int(p["axis"])
            if p.get("reverse"):
                if name == "cumprod":
                    raise UnsupportedOperation("cumprod (reverse)")
                return apply("cumsum_reverse", x, axis=(ax,))
            return apply(name, x, axis=(ax,))
        if name in ("argmax", "argmin"):
            (ax,) = (int(a) for a in p["axes"])
            out = apply(name, x, axis=(ax,), keepdims=False)
            return out if out.dtype == "int64" else apply("cast", out, dtype="int64")
        if name == "sort":
            if len(ins) != 1:
                raise UnsupportedOperation("sort (of several operands)")
            return apply("sort", x, axis=(int(p["dimension"]),))
        if name in ("and", "or", "xor", "not"):
            if any(i.dtype != "bool" for i in ins):
                raise UnsupportedOperation(f"{name} (of integers: bitwise)")
            fn = {"and": F.logical_and, "or": F.logical_or, "xor": F.logical_xor,
                  "not": F.logical_not}[name]
            return fn(*ins).node
        if name == "round":
            if int(p.get("rounding_method", 0)) != 1:  # away from zero
                t = apply("trunc", x)
                half = constant_node(0.5, x.dtype)
                frac = apply("abs", apply("sub", x, t))
                step = apply("where", apply("less", x, constant_node(0.0, x.dtype)),
                             constant_node(-1.0, x.dtype), constant_node(1.0, x.dtype))
                return apply("where", apply("greater_equal", frac, half), apply("add", t, step),
                             t)
            return apply("rint", x)
        if name == "pad":
            config = [tuple(int(v) for v in c) for c in p["padding_config"]]
            if any(i != 0 or lo < 0 or hi < 0 for lo, hi, i in config):
                raise UnsupportedOperation("pad (with interior or negative padding)")
            shape = tuple(n + lo + hi for n, (lo, hi, _) in zip(x.shape, config))
            slices = tuple((lo, lo + n, 1) for n, (lo, _, _) in zip(x.shape, config))
            out = apply("pad_slice", x, slices=slices, shape=shape)
            fill = ins[1]
            if fill.op == "constant" and not np.any(fill.value):
                return out
            mask = np.ones(shape, dtype=bool)
            mask[tuple(slice(a, b) for a, b, _ in slices)] = False
            return apply("where", constant_node(mask, "bool"),
                         apply("broadcast_to", fill, shape=shape), out)
        raise UnsupportedOperation(name)

    def broadcast(self, x: Node, shape: tuple, dims: tuple) -> Node:
        new_axes = tuple(i for i in range(len(shape)) if i not in dims)
        out = apply("expand_dims", x, axis=new_axes) if new_axes else x
        return out if out.shape == shape else apply("broadcast_to", out, shape=shape)

    def dot_general(self, a: Node, b: Node, dims: Any) -> Node:
        (lc, rc), (lb, rb) = dims
        lc, rc, lb, rb = (tuple(int(i) for i in d) for d in (lc, rc, lb, rb))
        if len(lc) != 1 or len(rc) != 1:
            raise UnsupportedOperation("dot_general (with several contracting dims)")
        a_free = [i for i in range(a.ndim) if i not in lc and i not in lb]
        b_free = [i for i in range(b.ndim) if i not in rc and i not in rb]
        if len(a_free) > 1 or len(b_free) > 1:
            raise UnsupportedOperation("dot_general (with several free dims per operand)")
        a2 = self.permute(a, lb + tuple(a_free) + lc)
        b2 = self.permute(b, rb + rc + tuple(b_free))
        if not a_free:
            a2 = apply("expand_dims", a2, axis=(a2.ndim - 1,))
        if not b_free:
            b2 = apply("expand_dims", b2, axis=(b2.ndim,))
        out = apply("matmul", a2, b2)
        if not a_free or not b_free:
            shape = out.shape[:len(lb)] + tuple(a.shape[i] for i in a_free) + \
                tuple(b.shape[i] for i in b_free)
            out = apply("reshape", out, shape=shape)
        return out

    def permute(self, x: Node, perm: tuple) -> Node:
        return x if perm == tuple(range(x.ndim)) else apply("transpose", x, axes=perm)


# -- graph -> JAX ---------------------------------------------------------------------------------


def to_jax(graph: Graph | Any) -> Callable[..., Any]:
    """A function computing ``graph`` with ``jax.numpy`` (``jax.jit``-compatible).

    Call it with arrays positionally (``graph.inputs`` order) or by input name; it returns
    one array, or a tuple for several outputs. Symbolic dims in ``reshape``/
    ``broadcast_to`` are bound from the argument shapes at call time.
    """
    from ..frontend.tensor import as_graph

    jax = _jax()
    jnp = jax.numpy
    graph = as_graph(graph)
    names = graph.input_names
    table = _jnp_table(jax)

    def fn(*args: Any, **kwargs: Any) -> Any:
        values = dict(zip(names, args))
        values.update(kwargs)
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"missing argument(s) {missing}; inputs are {list(names)}")
        dims: dict[str, int] = {}
        env: dict[int, Any] = {}
        for node in graph.inputs:
            arr = jnp.asarray(values[node.name], dtype=node.dtype)
            for want, got in zip(node.shape, arr.shape):
                if isinstance(want, str):
                    dims.setdefault(want, int(got))
            env[node.uid] = arr
        for node in graph.nodes():
            if node.uid in env:
                continue
            args_ = [env[i.uid] for i in node.inputs]
            if node.op == "constant":
                env[node.uid] = jnp.asarray(node.value, dtype=node.dtype)
                continue
            attrs = dict(node.attrs)
            if "shape" in attrs:
                attrs["shape"] = tuple(dims[d] if isinstance(d, str) else d
                                       for d in attrs["shape"])
            impl = table.get(node.op)
            if impl is None:
                raise UnsupportedOperation(f"to_jax: op '{node.op}' has no jax.numpy form")
            env[node.uid] = impl(*args_, **attrs)
        outs = tuple(env[o.uid] for o in graph.outputs)
        return outs[0] if len(outs) == 1 else outs

    fn.__name__ = "eqsat_graph"
    fn.__doc__ = f"JAX version of:\n{graph}"
    return fn


def _jnp_table(jax: Any) -> dict[str, Callable[..., Any]]:
    jnp = jax.numpy

    def red(f: Callable) -> Callable:
        return lambda x, axis, keepdims: f(x, axis=axis, keepdims=keepdims)

    table: dict[str, Callable[..., Any]] = {}
    for op, spec in OPS.items():  # elementwise ops by their NumPy or SciPy name
        if spec.kind != "elementwise":
            continue
        if spec.name_in("numpy") and hasattr(jnp, spec.name_in("numpy")[0]):
            table[op] = getattr(jnp, spec.name_in("numpy")[0])
        elif spec.name_in("scipy") and hasattr(jax.scipy.special, spec.name_in("scipy")[0]):
            table[op] = getattr(jax.scipy.special, spec.name_in("scipy")[0])
        elif spec.name_in("jax") and hasattr(jax.lax, spec.name_in("jax")[0]):
            table[op] = getattr(jax.lax, spec.name_in("jax")[0])  # the primitive itself
    return table | {
        "sigmoid": jax.nn.sigmoid, "softplus": jax.nn.softplus,
        "where": jnp.where, "cast": lambda x, dtype: x.astype(dtype),
        "sum": red(jnp.sum), "mean": red(jnp.mean), "max": red(jnp.max), "min": red(jnp.min),
        "prod": red(jnp.prod),
        "logsumexp": lambda x, axis, keepdims: jax.scipy.special.logsumexp(
            x, axis=axis, keepdims=keepdims),
        "matmul": jnp.matmul, "transpose": lambda x, axes: jnp.transpose(x, axes),
        "reshape": lambda x, shape: jnp.reshape(x, shape),
        "broadcast_to": lambda x, shape: jnp.broadcast_to(x, shape),
        "expand_dims": lambda x, axis: jnp.expand_dims(x, axis),
    } | _jnp_gather_scan(jax)


# -- indexing, joins and scans (clients) ------------------------------------------------------
_CLIENT_PRIMS = ("cumsum", "cumprod", "argmax", "argmin", "sort", "and", "or", "xor", "not",
                 "round", "pad")


def _jnp_gather_scan(jax: Any) -> dict[str, Callable[..., Any]]:
    """``to_jax`` forms of the ops of kind ``gather`` and ``scan``."""
    jnp = jax.numpy

    def sl(slices: tuple) -> tuple:
        return tuple(slice(a, b, c) for a, b, c in slices)

    def scatter_add_along(g: Any, idx: Any, axis: tuple, shape: tuple) -> Any:
        ax, where = axis[0], []
        for d, (n, m) in enumerate(zip(shape, g.shape)):
            if d == ax:
                where.append(jnp.broadcast_to(idx, g.shape))
            else:
                ar = jnp.arange(m) if n == m else jnp.zeros(m, dtype=jnp.int32)
                where.append(ar.reshape((1,) * d + (m,) + (1,) * (g.ndim - d - 1)))
        return jnp.zeros(shape, g.dtype).at[tuple(where)].add(g)

    return {
        "slice": lambda x, slices: x[sl(slices)],
        "pad_slice": lambda g, slices, shape: jnp.zeros(shape, g.dtype).at[sl(slices)].set(g),
        "concatenate": lambda a, b, axis: jnp.concatenate([a, b], axis=axis[0]),
        "take": lambda x, idx, axis: jnp.take(x, idx, axis=axis[0]),
        "take_along_axis": lambda x, idx, axis: jnp.take_along_axis(x, idx, axis=axis[0]),
        "scatter_add": lambda g, idx, axis, shape: jnp.zeros(shape, g.dtype).at[
            (slice(None),) * axis[0] + (idx,)].add(g),
        "scatter_add_along": scatter_add_along,
        "cumsum": lambda x, axis: jnp.cumsum(x, axis=axis[0]),
        "cumprod": lambda x, axis: jnp.cumprod(x, axis=axis[0]),
        "cumsum_reverse": lambda x, axis: jnp.flip(jnp.cumsum(jnp.flip(x, axis[0]),
                                                              axis=axis[0]), axis[0]),
        "sort": lambda x, axis: jnp.sort(x, axis=axis[0]),
        "argmax": lambda x, axis, keepdims: jnp.argmax(x, axis=axis[0], keepdims=keepdims),
        "argmin": lambda x, axis, keepdims: jnp.argmin(x, axis=axis[0], keepdims=keepdims),
    }
