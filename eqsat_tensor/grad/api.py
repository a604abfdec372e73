"""Reverse-mode gradients: ``et.grad``, ``et.value_and_grad``, ``et.vjp``, ``et.gradients``.

The gradient of a traced function is built from the VJP rules in ``rules/gradients.rules``
by the reverse sweep in ``grad.driver``, then optimized together with the forward graph:

1. trace ``f`` (like ``@et.jit``) and optimize the forward graph alone, so the stable form
   of the value is chosen first (``log(1 + exp(x))`` becomes ``softplus(x)``);
2. run the reverse sweep on the optimized forward graph (its VJP uses ``sigmoid``);
3. optimize the joint graph (value and gradients as outputs) in one e-graph, so shared
   work (``exp(x)`` for the value and the gradient) is computed once;
4. compile the joint graph into one program (numba by default, ``backend="numpy"`` too).

Called on symbolic ``Tensor`` arguments (inside another traced function) the gradient
functions return Tensors instead, which is how ``et.grad(et.grad(f))`` works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError, UnsupportedOperation
from ..frontend.functions import to_node
from ..frontend.rebind import rebind
from ..frontend.tensor import Tensor
from ..ir import Graph, Node, constant_node, input_node
from ..jit import JitFunction, _Compiled, trace
from .driver import backward

__all__ = ["grad", "value_and_grad", "vjp", "gradients", "GradFunction"]

Argnums = int | Sequence[int]


def _node_of(value: Any, like: Node | None = None) -> Node:
    return to_node(value, like)


def _seed(value: Node, fname: str) -> Node:
    if value.shape != ():
        raise ShapeError(
            f"{fname}: the function must return a scalar, it returned shape {value.shape}; "
            "for non-scalar outputs use et.vjp(f, *args) and call the returned function with "
            "a cotangent of that shape")
    return constant_node(1.0, value.dtype)


class GradFunction(JitFunction):
    """``et.grad(f)`` / ``et.value_and_grad(f)``: traced, optimized and compiled per
    argument signature like ``@et.jit``. ``optimized_graph(*args)`` is the joint graph that
    runs; ``trace(*args)`` the joint graph before optimization."""

    _auto_static = False  # every argument is a graph input (argnums index them)

    def __init__(self, fn: Callable, argnums: Argnums = 0, *, with_value: bool = False,
                 rules: Any = None, vjp_rules: Any = None, **options: Any) -> None:
        super().__init__(fn, rules=rules, **options)
        self.single = isinstance(argnums, int)
        self.argnums = (argnums,) if self.single else tuple(argnums)
        for a in self.argnums:
            if not isinstance(a, int) or not -len(self._names) <= a < len(self._names):
                raise ValueError(f"argnums {argnums!r} out of range for {fn.__name__} with "
                                 f"{len(self._names)} argument(s)")
        self.argnums = tuple(a % len(self._names) for a in self.argnums)
        self.with_value = with_value
        self.vjp_rules = vjp_rules

    # -- the gradient graph ------------------------------------------------------------
    def _joint(self, graph: Graph) -> Graph:
        """Outputs ``[value, *grads]`` for a traced scalar ``graph``."""
        value = graph.outputs[0]
        seed = _seed(value, f"et.grad({self.fn.__name__})")
        by_name = {i.name: i for i in graph.inputs}  # static arguments are not inputs
        if any(self._names[i] not in by_name for i in self.argnums):
            raise ValueError(f"et.grad({self.fn.__name__}): argnums {self.argnums} name a "
                             "static argument")
        wrt = [by_name[self._names[i]] for i in self.argnums]
        grads = backward([value], [seed], wrt, self.vjp_rules)
        return Graph([value, *grads], graph.inputs)

    def _build(self, arrays: list[np.ndarray], statics: tuple = (),
               weak: frozenset = frozenset()) -> _Compiled:
        from ..backends import get_backend

        graph, multi = trace(self.fn, self._names, arrays, statics, weak)
        if multi:
            raise UnsupportedOperation(f"et.grad({self.fn.__name__}): the function returned "
                                       "several outputs; return one scalar")
        naive = self._joint(graph)
        optimized, report = naive, None
        if self.do_optimize:
            forward, _ = self._optimize(graph)  # the stable forward form first
            optimized, report = self._optimize(self._joint(forward))
        executable = get_backend(self.backend).compile(optimized, **self.backend_options)
        return _Compiled(naive, optimized, executable, report, True)

    def _pack(self, outs: Sequence[Any]) -> Any:
        value, grads = outs[0], tuple(outs[1:])
        g = grads[0] if self.single else grads
        return (value, g) if self.with_value else g

    # -- calling -------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        values = list(args) + list(kwargs.values())
        if any(isinstance(v, (Tensor, Node)) for v in values):
            return self._symbolic(args, kwargs)
        arrays, statics, weak = self._split(args, kwargs)
        entry = self._compiled(arrays, statics, weak)
        outs = entry.executable.run(arrays, {})
        return self._pack(outs)

    def _symbolic(self, args: tuple, kwargs: dict) -> Any:
        """Inside a trace: return Tensors built from the VJP rules (not optimized here; the
        enclosing trace is optimized as a whole)."""
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        raw = [bound.arguments[n] for n in self._names]
        like = next((_node_of(v) for v in raw if isinstance(v, (Tensor, Node))), None)
        nodes = [_node_of(v, like) for v in raw]
        result = rebind(self.fn)(*[Tensor(n) for n in nodes])
        if isinstance(result, (tuple, list)):
            raise UnsupportedOperation(f"et.grad({self.fn.__name__}): the function returned "
                                       "several outputs; return one scalar")
        value = _node_of(result, like)
        seed = _seed(value, f"et.grad({self.fn.__name__})")
        grads = backward([value], [seed], [nodes[i] for i in self.argnums], self.vjp_rules)
        return self._pack([Tensor(value)] + [Tensor(g) for g in grads])

    def __repr__(self) -> str:
        kind = "value_and_grad" if self.with_value else "grad"
        return f"<et.{kind} {self.__name__} argnums={self.argnums} backend={self.backend}>"


def grad(fn: Callable, argnums: Argnums = 0, **options: Any) -> GradFunction:
    """The gradient of a scalar NumPy-style function ``fn``.

    ``argnums`` (an int or a tuple of ints) picks the arguments to differentiate; the result
    returns one array for an int, a tuple for a tuple. ``options`` are those of ``et.jit``
    (``backend="numba"`` default, ``"numpy"``; ``rules=``, ``budget=``, ``optimize=``) plus
    ``vjp_rules=`` (a ``RuleSet`` whose ``vjp`` lines override the shipped ones). Forward
    and backward are optimized together and compiled into one program. ``grad(grad(f))``
    works for scalar functions of scalars. A non-scalar result raises ``ShapeError`` (use
    ``et.vjp``)."""
    return GradFunction(fn, argnums, with_value=False, **options)


def value_and_grad(fn: Callable, argnums: Argnums = 0, **options: Any) -> GradFunction:
    """Like ``grad`` but returns ``(value, gradient)``, both from one compiled program."""
    return GradFunction(fn, argnums, with_value=True, **options)


def gradients(output: Any, wrt: Sequence[Any], cotangent: Any = None, *,
              vjp_rules: Any = None) -> list[Tensor]:
    """Symbolic gradients of a graph: ``d output / d w`` for each ``w`` in ``wrt``.

    ``output`` is a Tensor, Node or single-output Graph; ``wrt`` holds Tensors or Nodes of
    that graph, or input names. ``cotangent`` (a Tensor or array broadcastable to the
    output's shape) is required for a non-scalar output. Returns Tensors of the ``wrt``
    shapes, not optimized (pass them, or ``Graph([...])`` of them, to ``et.optimize``)."""
    if isinstance(output, Graph):
        if len(output.outputs) != 1:
            raise ValueError("et.gradients: the graph must have one output")
        by_name = {i.name: i for i in output.inputs}
        output = output.outputs[0]
    else:
        output = _node_of(output)
        by_name = {n.name: n for n in Graph(output).inputs}
    if isinstance(wrt, (Tensor, Node, str)):
        raise TypeError("et.gradients: wrt must be a list (of Tensors, Nodes or input names)")
    nodes = []
    for w in wrt:
        if isinstance(w, str):
            if w not in by_name:
                raise ValueError(f"et.gradients: no input named {w!r} (inputs: "
                                 f"{sorted(by_name)})")
            w = by_name[w]
        nodes.append(_node_of(w))
    if cotangent is None:
        seed = _seed(output, "et.gradients")
    else:
        seed = _node_of(cotangent, output)  # broadcast to the output's shape if needed
    return [Tensor(g) for g in backward([output], [seed], nodes, vjp_rules)]


class _VJPFunction:
    """The cotangent map returned by ``et.vjp``: ``vjp_fn(ct)`` gives one gradient per
    argument of ``f``, as a tuple."""

    def __init__(self, graph: Graph, backend: str, optimize: bool, rules: Any,
                 vjp_rules: Any) -> None:
        self.graph = graph
        self.backend, self.optimize, self.rules = backend, optimize, rules
        self.vjp_rules = vjp_rules
        self._exe: Any = None

    def symbolic(self, cotangent: Any) -> tuple[Tensor, ...]:
        """The gradients as Tensors for a cotangent Tensor (or array)."""
        out = self.graph.outputs[0]
        seed = _node_of(cotangent, out)
        if seed.shape != out.shape:
            raise ShapeError(f"et.vjp: cotangent shape {seed.shape} differs from the output "
                             f"shape {out.shape}")
        grads = backward([out], [seed], list(self.graph.inputs), self.vjp_rules)
        return tuple(Tensor(g) for g in grads)

    def __call__(self, cotangent: Any) -> tuple[Any, ...]:
        if isinstance(cotangent, (Tensor, Node)):
            return self.symbolic(cotangent)
        out = self.graph.outputs[0]
        if self._exe is None:
            from ..backends import get_backend

            ct = input_node("_cotangent", out.shape, out.dtype)
            grads = backward([out], [ct], list(self.graph.inputs), self.vjp_rules)
            g = Graph(grads, list(self.graph.inputs) + [ct])
            if self.optimize:
                from ..optimizer import optimize

                g = optimize(g, rules=self.rules).graph
            self._exe = get_backend(self.backend).compile(g)
        ct_arr = np.asarray(cotangent, dtype=out.dtype)
        if ct_arr.shape != tuple(out.shape):
            raise ShapeError(f"et.vjp: cotangent shape {ct_arr.shape} differs from the output "
                             f"shape {out.shape}")
        outs = self._exe.run(list(self._args) + [ct_arr], {})
        return tuple(outs)

    _args: Sequence[np.ndarray] = ()


def vjp(fn: Callable, *args: Any, backend: str | None = None, optimize: bool = True,
        rules: Any = None, vjp_rules: Any = None) -> tuple[Any, _VJPFunction]:
    """``(value, vjp_fn)`` for ``fn`` at ``args``: ``vjp_fn(ct)`` returns the gradients of
    ``<fn(*args), ct>`` for every argument, as a tuple. Works for any output shape. With
    Tensor arguments the value and gradients are Tensors."""
    from ..jit import DEFAULT_BACKEND

    backend = backend or DEFAULT_BACKEND
    if any(isinstance(a, (Tensor, Node)) for a in args):
        like = next(_node_of(a) for a in args if isinstance(a, (Tensor, Node)))
        nodes = [_node_of(a, like) for a in args]
        value = _node_of(rebind(fn)(*[Tensor(n) for n in nodes]), like)

        def sym(ct: Any) -> tuple[Tensor, ...]:
            seed = _node_of(ct, value)
            return tuple(Tensor(g) for g in backward([value], [seed], nodes, vjp_rules))

        return Tensor(value), sym  # type: ignore[return-value]
    jf = JitFunction(fn, backend=backend, optimize=optimize, rules=rules)
    arrays, statics, weak = jf._split(args, {})
    graph, multi = trace(fn, jf._names, arrays, statics, weak)
    if multi:
        raise UnsupportedOperation("et.vjp: the function returned several outputs; return one")
    value = jf(*args)
    f = _VJPFunction(graph, backend, optimize, rules, vjp_rules)
    f._args = arrays
    return value, f
