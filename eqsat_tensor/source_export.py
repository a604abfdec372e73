"""A graph as importable Python source for NumPy, JAX or PyTensor (``optimize --to``).

``to_source(graph, target, name)`` returns the text of a module defining ``name(*inputs)``
(parameters in ``graph.inputs`` order, named after the inputs) that computes the graph's
outputs with ``numpy``, ``jax.numpy`` or ``pytensor.tensor``. One statement per op node,
shared nodes computed once; symbolic dims used by ``reshape``/``broadcast_to`` are read
from the input shapes. Nothing is evaluated here: the module is plain text that the user
imports.

- ``numpy``: ops the table maps to a NumPy function are called by name; ``sigmoid``,
  ``softplus`` and ``logsumexp`` get small stable helpers in the module; any other op
  falls back to its reference definition from the op table
  (``eqsat_tensor.ir.OPS[op].reference``), so every graph can be written.
- ``jax``: ``jax.numpy`` / ``jax.nn`` / ``jax.scipy.special``; ``jax.jit`` it as usual.
- ``pytensor``: ``name`` builds the symbolic outputs from PyTensor variables and
  ``compile_function()`` returns a compiled ``pytensor.function`` over fresh inputs of the
  graph's dtypes and ranks.

An op with no form in the target raises ``UnsupportedOperation`` naming the op.
"""

from __future__ import annotations

import keyword
import math
import re
from typing import Any

import numpy as np

from .errors import UnsupportedOperation
from .ir import OPS, Node

TARGETS = ("numpy", "jax", "pytensor")
_INFIX = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "matmul": "@"}
_COMPARE_PT = {"less": "lt", "less_equal": "le", "greater": "gt", "greater_equal": "ge",
               "equal": "eq", "not_equal": "neq"}
_NUMPY_HELPERS = {
    "sigmoid": '''def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.result_type(x))
''',
    "softplus": '''def _softplus(x):
    return np.logaddexp(np.zeros((), dtype=np.result_type(x)), x)
''',
    "logsumexp": '''def _logsumexp(x, axis, keepdims):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)
''',
}
_HEADERS = {
    "numpy": "import numpy as np\n",
    "jax": "import jax\nimport jax.numpy as jnp\nimport jax.scipy.special\n",
    "pytensor": "import numpy as np\nimport pytensor\nimport pytensor.tensor as pt\n",
}


_SAME_NAME = ("sum", "mean", "max", "min", "prod")  # np/jnp functions with axis, keepdims
_LAYOUT = {"transpose": "axes", "reshape": "shape", "broadcast_to": "shape",
           "expand_dims": "axis"}  # np/jnp/pt functions taking the attribute second


def _numpy_name(op: str) -> str | None:
    """The NumPy function the op table's reference is, if it is one (``np.add``...)."""
    if op in _SAME_NAME:
        return op
    ref = OPS[op].reference
    name = getattr(ref, "__name__", None)
    if name and getattr(np, name, None) is ref:
        return name
    return {"reciprocal": "reciprocal"}.get(op)


def _ident(name: str, used: set[str]) -> str:
    base = name if name.isidentifier() and not keyword.iskeyword(name) else "arg"
    out, k = base, 0
    while out in used:
        k += 1
        out = f"{base}_{k}"
    used.add(out)
    return out


def _literal(node: Node, target: str) -> str:
    value = node.value
    mod = {"numpy": "np", "jax": "jnp", "pytensor": "np"}[target]
    if isinstance(value, np.ndarray):
        return f"{mod}.asarray({value.tolist()!r}, dtype={node.dtype!r})"
    if node.dtype == "bool":
        return repr(bool(value))
    v = float(value)
    if math.isnan(v):
        text = "float('nan')"
    elif math.isinf(v):
        text = "float('inf')" if v > 0 else "-float('inf')"
    else:
        text = repr(v)
    return f"{mod}.asarray({text}, dtype={node.dtype!r})"


def _shape_text(shape: tuple, dims: dict[str, str]) -> str:
    parts = [dims[d] if isinstance(d, str) else str(d) for d in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _call(node: Node, args: list[str], target: str, dims: dict[str, str],
          helpers: set[str]) -> str:
    op = node.op
    attrs = dict(node.attrs)
    if op in _INFIX:
        return f"({args[0]} {_INFIX[op]} {args[1]})"
    if op == "neg":
        return f"(-{args[0]})"
    if "shape" in attrs:
        attrs["shape"] = _shape_text(tuple(attrs["shape"]), dims)
    if op in _LAYOUT:
        key = _LAYOUT[op]
        value = attrs[key] if key == "shape" else repr(attrs[key])
        mod = {"numpy": "np", "jax": "jnp", "pytensor": "pt"}[target]
        return f"{mod}.{op}({args[0]}, {value})"
    if target == "numpy":
        return _numpy_call(node, args, attrs, helpers)
    if target == "jax":
        return _jax_call(node, args, attrs)
    return _pytensor_call(node, args, attrs)


def _kw(attrs: dict[str, Any]) -> str:
    return "".join(f", {k}={v if k == 'shape' else repr(v)}" for k, v in sorted(attrs.items()))


def _numpy_call(node: Node, args: list[str], attrs: dict, helpers: set[str]) -> str:
    op = node.op
    if op in _NUMPY_HELPERS:
        helpers.add(op)
        return f"_{op}({', '.join(args)}{_kw(attrs)})"
    if op == "cast":
        return f"np.asarray({args[0]}).astype({attrs['dtype']!r})"
    name = _numpy_name(op)
    if name is not None:
        return f"np.{name}({', '.join(args)}{_kw(attrs)})"
    helpers.add(f"ref:{op}")  # any other op: its reference definition from the op table
    return f"_OPS[{op!r}].reference({', '.join(args)}{_kw(attrs)})"


def _jax_call(node: Node, args: list[str], attrs: dict) -> str:
    op = node.op
    special = {"sigmoid": "jax.nn.sigmoid", "softplus": "jax.nn.softplus",
               "logsumexp": "jax.scipy.special.logsumexp"}
    if op in special:
        return f"{special[op]}({', '.join(args)}{_kw(attrs)})"
    if op == "cast":
        return f"jnp.asarray({args[0]}).astype({attrs['dtype']!r})"
    name = _numpy_name(op)
    if name is not None:  # jax.numpy mirrors NumPy's names
        return f"jnp.{name}({', '.join(args)}{_kw(attrs)})"
    raise UnsupportedOperation(f"--to jax: op '{op}' has no jax.numpy form")


def _pytensor_call(node: Node, args: list[str], attrs: dict) -> str:
    op = node.op
    if op in _COMPARE_PT:
        return f"pt.{_COMPARE_PT[op]}({', '.join(args)})"
    simple = {"where": "switch", "square": "sqr", "abs": "abs", "maximum": "maximum",
              "minimum": "minimum", "sigmoid": "sigmoid", "softplus": "softplus",
              "logaddexp": "logaddexp", "arctan2": "arctan2", "reciprocal": "reciprocal"}
    if op in simple:
        return f"pt.{simple[op]}({', '.join(args)})"
    if op == "cast":
        return f"pt.cast({args[0]}, {attrs['dtype']!r})"
    if op in ("sum", "mean", "max", "min", "prod", "logsumexp"):
        return f"pt.{op}({args[0]}{_kw(attrs)})"
    if node.spec.kind == "elementwise" and op not in ("hypot", "cbrt"):
        name = _numpy_name(op)
        if name is not None:
            return f"pt.{name}({', '.join(args)})"
    raise UnsupportedOperation(f"--to pytensor: op '{op}' has no pytensor.tensor form")


def to_source(graph: Any, target: str = "numpy", name: str = "optimized") -> str:
    """Python module text defining ``name(*inputs)`` that computes ``graph`` with
    ``target`` (``"numpy"``, ``"jax"`` or ``"pytensor"``); see the module docstring."""
    from .frontend.tensor import as_graph

    if target not in TARGETS:
        raise UnsupportedOperation(f"unknown source target {target!r}; choose one of {TARGETS}")
    graph = as_graph(graph)
    used: set[str] = {"np", "jnp", "jax", "pt", "pytensor", "compile_function", "_OPS"}
    fname = _ident(name, used)
    params = {n.uid: _ident(n.name, used) for n in graph.inputs}
    body: list[str] = []
    dims: dict[str, str] = {}
    dim_lines: list[tuple[str, str]] = []
    for n in graph.inputs:
        for axis, d in enumerate(n.shape):
            if isinstance(d, str) and d not in dims:
                dims[d] = _ident(d, used)
                dim_lines.append((dims[d], f"    {dims[d]} = {params[n.uid]}.shape[{axis}]"))
    env = dict(params)
    helpers: set[str] = set()
    uses = graph.users()
    outputs = {o.uid for o in graph.outputs}
    for node in graph.nodes():
        if node.uid in env:
            continue
        if node.op == "constant":
            text = _literal(node, target)
        else:
            text = _call(node, [env[i.uid] for i in node.inputs], target, dims, helpers)
        if uses.get(node.uid, 0) > 1 or node.uid in outputs or len(text) > 60:
            var = _ident(f"t{len(body)}", used)
            body.append(f"    {var} = {text}")
            text = var
        env[node.uid] = text
    code = "\n".join(body)
    body = [line for var, line in dim_lines
            if re.search(rf"\b{re.escape(var)}\b", code)] + body  # only the dims used
    outs = [env[o.uid] for o in graph.outputs]
    body.append(f"    return {outs[0] if len(outs) == 1 else '(' + ', '.join(outs) + ',)'}")
    doc = str(graph).replace("\\", "\\\\").replace('"""', "'''")
    lines = [f'"""Generated by eqsat-tensor ({target}). Computes:\n\n{doc}\n"""', "",
             _HEADERS[target]]
    if any(h.startswith("ref:") for h in helpers):
        lines.append("from eqsat_tensor.ir import OPS as _OPS\n")
    lines += [_NUMPY_HELPERS[h] for h in sorted(helpers) if h in _NUMPY_HELPERS]
    sig = ", ".join(params[n.uid] for n in graph.inputs)
    lines.append(f"def {fname}({sig}):")
    lines += body
    if target == "pytensor":
        lines += ["", "", "def compile_function():",
                  f'    """A compiled ``pytensor.function`` of ``{fname}``."""']
        made = []
        for n in graph.inputs:
            shape = tuple(None if isinstance(d, str) else d for d in n.shape)
            lines.append(f"    {params[n.uid]} = pt.tensor({n.name!r}, shape={shape!r}, "
                         f"dtype={n.dtype!r})")
            made.append(params[n.uid])
        lines.append(f"    return pytensor.function([{', '.join(made)}], {fname}({sig}))")
    return "\n".join(lines) + "\n"
