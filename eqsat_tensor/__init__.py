"""eqsat-tensor: tensor graphs optimized by equality saturation, run fast.

``import eqsat_tensor as et``. The builder (``et.tensor``, ``et.exp``, ...) is imported
eagerly; everything heavier (the optimizer, backends, gradients, importers) is imported on
first use through ``__getattr__``, so ``import eqsat_tensor`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from .errors import (
    BackendError,
    DTypeError,
    EqsatError,
    GraphFormatError,
    RuleError,
    ShapeError,
    UnsupportedError,
    UnsupportedOp,
    UnsupportedOperation,
)
from .frontend import functions as _functions
from .frontend.functions import (
    add,
    arctan2,
    broadcast_to,
    cast,
    clip,
    constant,
    div,
    divide,
    equal,
    expand_dims,
    greater,
    greater_equal,
    hypot,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logaddexp,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mul,
    multiply,
    negative,
    not_equal,
    power,
    prod,
    reshape,
    squeeze,
    std,
    sub,
    subtract,
    sum,
    tensor,
    transpose,
    var,
    where,
)
from .frontend.linalg import dot, einsum, norm, outer, tensordot, trace
from .frontend.special import fmax, fmin, log_softmax, softmax
from .frontend.tensor import Tensor, as_graph
from .ir import ELEMENTWISE_UNARY as _UNARY
from .ir import OPS, Graph, Node

# the builder of every elementwise op of one operand, by its op name (``et.exp``, ``et.erf``)
globals().update(_functions.UNARY_BUILDERS)
# -- scans, selections, remainders, rounding (scans) --
cumsum, cumprod, sort = _functions.cumsum, _functions.cumprod, _functions.sort
argmax, argmin = _functions.argmax, _functions.argmin
remainder, mod, fmod = _functions.remainder, _functions.remainder, _functions.fmod
floor_divide = _functions.floor_divide

__version__ = "0.1.0"

# Public name -> module that defines it; imported on first access.
_LAZY = {
    "jit": "eqsat_tensor.jit",
    "compile": "eqsat_tensor.backends",
    "optimize": "eqsat_tensor.optimizer",
    "OptimizeResult": "eqsat_tensor.optimizer",
    "Budget": "eqsat_tensor.egraph.budget",
    "Report": "eqsat_tensor.report",
    "load_rules": "eqsat_tensor.rulelang",
    "default_rules": "eqsat_tensor.rulelang",
    "RuleSet": "eqsat_tensor.rulelang",
    "calibrate": "eqsat_tensor.cost",
    "load_cost_model": "eqsat_tensor.cost",
    "check_rules": "eqsat_tensor.testing",
    "grad": "eqsat_tensor.grad",
    "value_and_grad": "eqsat_tensor.grad",
    "gradients": "eqsat_tensor.grad",
    "vjp": "eqsat_tensor.grad",
    "profile": "eqsat_tensor.profile",
    "progress": "eqsat_tensor.progress",
    "dump": "eqsat_tensor.frontend.json_io",
    "load": "eqsat_tensor.frontend.json_io",
    "dumps": "eqsat_tensor.frontend.json_io",
    "loads": "eqsat_tensor.frontend.json_io",
    "from_sympy": "eqsat_tensor.interop.sympy_io",
    "to_sympy": "eqsat_tensor.interop.sympy_io",
    "from_jax": "eqsat_tensor.interop.jax_io",
    "to_jax": "eqsat_tensor.interop.jax_io",
    "from_pytensor": "eqsat_tensor.interop.pytensor_io",
    "to_pytensor": "eqsat_tensor.interop.pytensor_export",
    "from_fpcore": "eqsat_tensor.interop.fpcore",
    "to_fpcore": "eqsat_tensor.interop.fpcore",
    "measure_accuracy": "eqsat_tensor.accuracy",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'eqsat_tensor' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """Keeps ``et.jit``, ``et.grad`` and ``et.profile`` the functions they are.

    Importing a submodule (``from eqsat_tensor.jit import JitFunction``) makes Python set
    the package attribute of the same name to the submodule, which would shadow the lazy
    public function ``et.jit``. Here such an assignment stores the function instead.
    Import those submodules' contents with ``from eqsat_tensor.jit import ...``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (isinstance(value, types.ModuleType) and _LAZY.get(name) == value.__name__
                and hasattr(value, name)):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
