"""The driver ``run`` of a generated Numba module: views, BLAS matmuls, scans, kernel
calls and output copies for each step of a ``Plan``, plus ``run_profiled``."""

from __future__ import annotations

from ..ir import Node
from .numba_names import _float_literal, _Names
from .plan import (
    FULL,
    Kernel,
    MatmulStep,
    Plan,
    ScanStep,
    Step,
    ViewStep,
    is_inline_scalar,
    is_leaf,
)


def _describe(step: Step, names: _Names) -> str:
    """One line per plan step, with canonical names and sizes (see ``Plan.describe``)."""
    if isinstance(step, Kernel):
        ops = ", ".join(n.op for n in step.nodes)
        extra = f" reduce{step.reduce_axes}" if step.reduce_axes else ""
        mm = f" + {len(step.matmuls)} matmul prologue" if step.matmuls else ""
        return (f"{step.name}: {step.kind}{extra} over {names.shape_text(step.domain)}{mm} "
                f"[{ops}] reads {len(step.reads)} writes {len(step.writes)}")
    what = ("matmul" if isinstance(step, MatmulStep) else f"scan {step.node.op}"
            if isinstance(step, ScanStep) else f"view {step.node.op}")
    return f"{what} {names.buf(step.node)} -> {names.shape_text(step.node.shape)}"


def _aliases_leaf(node: Node, plan: Plan) -> bool:
    """Whether an output's buffer may be (a view of) an input or constant array."""
    views = {s.node.uid for s in plan.steps
             if isinstance(s, ViewStep) and s.node.spec.kind == "layout"}
    while node.uid in views:
        node = node.inputs[0]
    return is_leaf(node)


def _driver(plan: Plan, names: _Names, order: str, flat: set[str] | frozenset = frozenset()
            ) -> list[str]:
    """``run`` and ``run_profiled`` (which also returns a timestamp after each step);
    ``flat`` names the kernels written over one flat axis (``numba_flat``)."""
    g = plan.graph
    args = ", ".join(names.buf(i) for i in g.inputs)
    blocks: list[list[str]] = []
    for step in plan.steps:
        if isinstance(step, ViewStep):
            blocks.append([f"    {names.buf(step.node)} = {_view(step.node, names)}"])
        elif isinstance(step, MatmulStep):
            blocks.append([f"    {names.buf(step.node)} = {_matmul(step.node, names)}"])
        elif isinstance(step, ScanStep):
            blocks.append([f"    {names.buf(step.node)} = {_scan(step.node, names)}"])
        else:
            blocks.append(_kernel_call(step, names, order, step.name in flat))
    outs = []
    seen: set[str] = set()
    for o in g.outputs:
        if is_inline_scalar(o):
            outs.append(_operand_buffer(o, names))
            continue
        buf = names.buf(o)
        if _aliases_leaf(o, plan) or buf in seen:  # outputs never alias inputs or each other
            outs.append(f"np.array({buf}, copy=True)")
        else:
            outs.append(buf)
        seen.add(buf)
    lines: list[str] = []
    for profiled in (False, True):
        fname = "run_profiled" if profiled else "run"
        doc = ("Like run, and a list of time.perf_counter() after each step" if profiled
               else "Compute the graph outputs from the input arrays.")
        lines += [f"def {fname}(arrays, dims, consts, parallel_min):", f'    """{doc}"""']
        if g.inputs:
            lines.append(f"    {args}{',' if len(g.inputs) == 1 else ''} = arrays")
        for k in range(len(names.consts)):
            lines.append(f"    cst{k} = consts[{k}]")
        if profiled:
            lines.append("    times = [perf_counter()]")
        for block in blocks:
            lines += block
            if profiled:
                lines.append("    times.append(perf_counter())")
        result = f"[{', '.join(outs)}]"
        lines.append(f"    return {result}, times" if profiled else f"    return {result}")
        lines += ["", ""]
    return lines


def _operand_buffer(node: Node, names: _Names) -> str:
    if is_inline_scalar(node):
        if node.dtype == "bool":
            return f"np.full((), {bool(node.value)}, np.bool_)"
        return f"np.full((), {_float_literal(node.value)}, np.{node.dtype})"
    return names.buf(node)


def _gather(node: Node, names: _Names) -> str:
    """A gather or join op as one NumPy call (NumPy checks the indices: IndexError)."""
    a, b = (_operand_buffer(i, names) for i in node.inputs[:2]) if node.spec.arity == 2 else (
        _operand_buffer(node.inputs[0], names), "")
    axis = node.attr("axis")
    ax = axis[0] if axis else 0
    if node.op == "concatenate":
        return f"np.concatenate(({a}, {b}), axis={ax})"
    if node.op == "take":
        return f"np.take({a}, {b}, axis={ax})"
    if node.op == "take_along_axis":
        return f"np.take_along_axis({a}, {b}, axis={ax})"
    shape = names.shape(node.attr("shape"))
    if node.op == "pad_slice":
        return f"pad_slice_ref({a}, {tuple(node.attr('slices'))!r}, {shape})"
    return f"{node.op}_ref({a}, {b}, ({ax},), {shape})"  # scatter_add(_along)


def _view(node: Node, names: _Names) -> str:
    """A layout op as a view, by the cheapest spelling (no ``np.expand_dims`` call)."""
    if node.spec.kind == "gather":
        return _gather(node, names)
    src = _operand_buffer(node.inputs[0], names)
    if node.op == "slice":
        key = ", ".join(f"{a}:{'' if b is None else b}:{c}" if (a, b, c) != (0, None, 1)
                        else ":" for a, b, c in node.attr("slices"))
        return f"{src}[{key}{',' if len(node.shape) == 1 else ''}]"
    if node.op == "transpose":
        return f"{src}.transpose({tuple(node.attr('axes'))!r})"
    if node.op == "reshape":
        return f"{src}.reshape({names.shape(node.attr('shape'))})"
    if node.op == "broadcast_to":
        return f"np.broadcast_to({src}, {names.shape(node.attr('shape'))})"
    axes = set(node.attr("axis"))  # expand_dims: index with None at the new axes
    parts = ["None" if a in axes else ":" for a in range(len(node.shape))]
    return f"{src}[{', '.join(parts)}{',' if len(parts) == 1 else ''}]"


def _matmul(node: Node, names: _Names) -> str:
    a, b = (_operand_buffer(i, names) for i in node.inputs)
    if not node.shape:  # 1-D @ 1-D: NumPy returns a scalar; kernels index a 0-d array
        return f"np.asarray(np.matmul({a}, {b}, dtype=np.{node.dtype}))"
    return f"np.matmul({a}, {b}, dtype=np.{node.dtype})"


def _scan(node: Node, names: _Names) -> str:
    """A scan or selection: ``numba_helpers.scan`` (row kernels along the axis)."""
    src = _operand_buffer(node.inputs[0], names)
    (axis,) = node.attr("axis")
    keep = bool(node.attr("keepdims"))
    return f"scan({node.op!r}, {src}, {axis}, {keep}, parallel_min)"


def _kernel_call(k: Kernel, names: _Names, order: str, flat: bool = False) -> list[str]:
    lines = [f"    # {_describe(k, names)}"]
    for m in k.matmuls:
        lines.append(f"    {names.buf(m)} = {_matmul(m, names)}")
    extents = [names.dim(d) for d in k.domain]
    if flat:  # one axis over every point (numba_flat): n0 = the product of the extents
        extents = [" * ".join(extents)]
    for a, e in enumerate(extents):
        lines.append(f"    n{a} = {e}")
    args = [f"n{a}" for a in range(len(extents))]
    if k.reduce_axes and not k.kept_axes:
        lines.append(f"    nc = reduction_chunks(n{0 if flat else k.reduce_axes[0]})")
        args.append("nc")
    if any(r.op in ("max", "min") for r in k.reductions()):
        count = "n0" if flat else " * ".join(f"n{a}" for a in k.reduce_axes)
        ops = sorted({r.op for r in k.reductions() if r.op in ("max", "min")})
        lines.append(f"    if {count} == 0:")
        lines.append(f"        raise_empty_reduction({ops[0]!r})")
    for w in k.writes:
        frame = k.frame(w)
        worder = "F" if order == "F" and frame == FULL and not k.reduce_axes else "C"
        dt = "np.bool_" if w.dtype == "bool" else f"np.{w.dtype}"
        lines.append(f"    {names.buf(w)} = np.empty({names.shape(w.shape)}, {dt}, "
                     f"order={worder!r})")
    size = " * ".join(f"n{a}" for a in range(len(extents))) or "1"
    if flat:  # C-order ravels: views of the buffers allocated here and of contiguous inputs
        args += [f"{names.buf(b)}.reshape(-1)" if b.shape else names.buf(b)
                 for b in (*k.reads, *k.writes)]
    else:
        args += [names.buf(b) for b in k.reads] + [names.buf(w) for w in k.writes]
    lines.append(f"    kernel = {k.name}_parallel if {size} >= parallel_min else {k.name}_serial")
    lines.append(f"    kernel({', '.join(args)})")
    return lines
