"""PyMC entry point: ``compile_logp_dlogp(model)`` (``pip install 'eqsat-tensor[pymc]'``).

Imports ``model.logp()`` and ``model.dlogp()`` raw (parameter checks included) with
``from_pytensor``, optimizes them together in one e-graph (forward and backward share
their sub-expressions), compiles the result and returns callables over one flat
parameter vector, the way samplers call a model (nutpie / blackjax style): the vector is
the model's value variables (transformed space) raveled and concatenated in the order of
``model.value_vars``, as ``DictToArrayBijection`` lays them out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._optional import require
from .pytensor_graph import ImportedGraph, parameter_value_error
from .pytensor_io import from_pytensor


@dataclass
class LogpDlogp:
    """Compiled ``logp(x) -> float`` and ``logp_dlogp(x) -> (float, grad)`` over a flat
    vector ``x``; ``names``/``shapes`` give its layout, ``graphs`` the imported and
    optimized graphs, ``report`` the optimizer's report (None when not optimized). On
    the packed Numba path ``logp`` is optimized and compiled on its first call."""

    logp: Callable[[np.ndarray], float]
    logp_dlogp: Callable[[np.ndarray], tuple[float, np.ndarray]]
    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    graphs: dict[str, ImportedGraph] = field(default_factory=dict)
    report: Any = None

    def initial_point(self, model: Any) -> np.ndarray:
        """``model.initial_point()`` as a flat vector in this layout."""
        point = model.initial_point()
        return np.concatenate([np.ravel(point[n]) for n in self.names]).astype(np.float64)

    def __iter__(self):  # logp, logp_dlogp = compile_logp_dlogp(model)
        return iter((self.logp, self.logp_dlogp))


def _splitter(shapes: tuple[tuple[int, ...], ...]) -> Callable[[np.ndarray], list[Any]]:
    bounds = []
    start = 0
    for shape in shapes:
        size = int(np.prod(shape, dtype=np.int64))
        bounds.append((start, start + size, shape))
        start += size
    total = start

    def split(x: np.ndarray) -> list[Any]:
        if type(x) is not np.ndarray or x.dtype != np.float64 or not x.flags.c_contiguous:
            x = np.ascontiguousarray(x, dtype=np.float64)
        if x.shape != (total,):
            raise ValueError(f"expected a flat parameter vector of length {total}, got shape "
                             f"{x.shape}")
        return [x[a:b].reshape(shape) for a, b, shape in bounds]

    return split


def compile_logp_dlogp(model: Any, backend: str = "numba", optimize: bool = True,
                       budget: Any = None, jacobian: bool = True,
                       checks: str = "raise") -> LogpDlogp:
    """Fast ``logp`` and ``logp_dlogp`` callables of a PyMC ``model`` over a flat vector.

    ``checks="raise"``: both raise PyMC's ``ParameterValueError`` where a parameter check
    fails, as ``pytensor.function`` of ``model.logp()`` does. ``checks="ninf"``: the
    checks PyMC marks replaceable give a logp of -inf (and a zero gradient) instead, as
    PyMC's own compiled functions (``model.compile_logp``, its samplers) do.
    ``optimize=False`` compiles the imported graphs as they are; ``backend`` is any
    eqsat-tensor backend (``"numba"``, ``"numpy"``)."""
    if checks not in ("raise", "ninf"):
        raise ValueError(f"checks must be 'raise' or 'ninf', not {checks!r}")
    require("pymc", "pymc", "compile_logp_dlogp")
    value_vars = list(model.value_vars)
    names = tuple(v.name for v in value_vars)
    point = model.initial_point()
    shapes = tuple(tuple(np.shape(point[n])) for n in names)
    logp_var = model.logp(jacobian=jacobian)
    dlogp_var = model.dlogp(jacobian=jacobian)
    joint = from_pytensor([logp_var, dlogp_var], value_vars)
    alone = from_pytensor(logp_var, value_vars)
    report = None
    if optimize:
        from ..optimizer import optimize as run

        res = run(joint.plain(), budget=budget)
        joint = joint.with_graph(res.graph)
        report = res.report
    graphs = {"logp_dlogp": joint, "logp": alone}

    def optimized_alone() -> ImportedGraph:
        if optimize and graphs["logp"] is alone:
            graphs["logp"] = alone.with_graph(run(alone.plain(), budget=budget).graph)
        return graphs["logp"]

    ninf = checks == "ninf"
    if backend == "numba" and all(str(v.type.dtype) == "float64" for v in value_vars):
        from ..backends.numba_packed import PackedUnsupported

        try:  # one compiled call per evaluation (see backends/numba_packed.py)
            joint_call = joint.compile_packed(shapes, ninf)
        except PackedUnsupported:
            joint_call = None  # a step the packed entry cannot express: executables below
        if joint_call is not None:
            out = LogpDlogp(None, joint_call, names, shapes, graphs, report)  # type: ignore
            built: list[Callable] = []

            def logp(x: np.ndarray) -> float:
                """Compiled on its first call (samplers often need only logp_dlogp)."""
                if not built:
                    g = optimized_alone()
                    try:
                        built.append(g.compile_packed(shapes, ninf))
                    except PackedUnsupported:
                        built.append(_unpacked(joint, g, shapes, backend, value_vars,
                                               ninf and all(joint.ninf))[0])
                    out.logp = built[0]
                return built[0](x)

            out.logp = logp
            return out
    logp_fn, logp_dlogp = _unpacked(joint, optimized_alone(), shapes, backend, value_vars,
                                    ninf and all(joint.ninf))
    return LogpDlogp(logp_fn, logp_dlogp, names, shapes, graphs, report)


def _unpacked(joint: ImportedGraph, alone: ImportedGraph, shapes: tuple, backend: str,
              value_vars: list, ninf: bool = False) -> tuple[Callable, Callable]:
    """logp and logp_dlogp through the backend's ordinary executables (any backend);
    ``ninf``: a failed check gives -inf and a zero gradient instead of the error."""
    f_joint = joint.compile(backend)
    f_alone = alone.compile(backend)
    split = _splitter(shapes)
    if all(str(v.type.dtype) == "float64" for v in value_vars):
        # the split arrays have exactly the inputs' dtypes and static shapes: skip binding
        run_joint, run_alone = f_joint.run, f_alone.run
    else:  # float32 value variables: let the executable bind (and convert) the arrays
        def run_joint(arrays: list[Any]) -> Any:
            return f_joint(*arrays)

        def run_alone(arrays: list[Any]) -> Any:
            return f_alone(*arrays)

    error = parameter_value_error() if ninf else ()

    def logp(x: np.ndarray) -> float:
        try:
            return float(run_alone(split(x)))
        except error:
            return -np.inf

    def logp_dlogp(x: np.ndarray) -> tuple[float, np.ndarray]:
        try:
            lp, grad = run_joint(split(x))
        except error:
            return -np.inf, np.zeros(np.size(x))
        return float(lp), grad

    return logp, logp_dlogp


def optimized_model(model: Any, budget: Any = None, jacobian: bool = True) -> Any:
    """A new ``pm.Model`` whose log density is ``model``'s, optimized: one ``pm.Flat``
    per value variable of ``model`` (same name and shape, in the transformed space:
    ``tau_log__`` for a positive ``tau``) and ``model.logp()`` imported raw, optimized and
    put back with ``to_pytensor`` as one ``pm.Potential`` (parameter checks included: a
    failing one gives -inf in PyMC's compiled functions, as in ``model``'s).
    ``pm.sample`` on it draws the value variables; PyMC compiles the optimized graph."""
    pm = require("pymc", "pymc", "optimized_model")
    from ..optimizer import optimize as run
    from .pytensor_export import to_pytensor

    value_vars = list(model.value_vars)
    graph = from_pytensor(model.logp(jacobian=jacobian), value_vars)
    graph = graph.with_graph(run(graph.plain(), budget=budget).graph)
    point = model.initial_point()
    with pm.Model() as new:
        flats = {v.name: pm.Flat(v.name, shape=np.shape(point[v.name]),
                                 initval=point[v.name]) for v in value_vars}
        pm.Potential("logp", to_pytensor(graph, flats))
    return new

