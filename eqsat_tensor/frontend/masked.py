"""``x[mask]`` where the selection only feeds reductions: traced without a data-dependent
shape.

Boolean-mask indexing gives an array whose length depends on the data, which a static
graph cannot hold. But elementwise functions commute with the selection
(``f(x[m]) == f(x)[m]``) and a reduction over the selection is a masked reduction
(``np.sum(x[m]) == np.sum(np.where(m, x, 0))``), so ``x[m]`` becomes a ``Masked`` value
that supports exactly that: ufuncs, operators, and ``sum``/``mean``/``max``/``min``/``prod``/
``var``/``std``/``any``/``all`` over all of it. Anything that would need its shape raises
``UnsupportedOperation`` naming boolean-mask indexing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import functions as F
from . import indexing as X
from .location import unsupported
from .tensor import Tensor

_WHAT = "boolean-mask indexing (x[mask])"


class Masked:
    """The elements of ``values`` where ``mask`` holds (same shape), in C order."""

    __slots__ = ("values", "mask")
    __array_priority__ = 2000

    def __init__(self, values: Tensor, mask: Tensor) -> None:
        self.values, self.mask = values, mask

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def ndim(self) -> int:
        return 1

    def _refuse(self, what: str) -> Any:
        raise unsupported(f"{what} of a {_WHAT} result", "its length depends on the data; "
                          "only elementwise ops and full reductions of it are traced")

    @property
    def shape(self) -> Any:
        return self._refuse("the shape")

    @property
    def size(self) -> Any:
        return self._refuse("the size")

    def __len__(self) -> int:
        return self._refuse("len()")

    def __iter__(self):
        return self._refuse("iterating")

    def __bool__(self) -> bool:
        return self._refuse("bool()")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self._refuse("converting to an array")

    def __getitem__(self, key: Any) -> Any:
        return self._refuse("indexing")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._refuse(f"ndarray.{name}")

    # -- elementwise ----------------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        from .numpy_dispatch import dispatch_ufunc

        if method == "reduce" and len(inputs) == 1:
            reducer = {np.add: sum_, np.multiply: prod, np.maximum: max_, np.minimum: min_}
            if ufunc in reducer and kwargs.get("axis", 0) in (0, -1, None):
                return reducer[ufunc](self, keepdims=bool(kwargs.get("keepdims")))
        if method != "__call__":
            return self._refuse(f"np.{ufunc.__name__}.{method}")
        values = []
        for v in inputs:
            if isinstance(v, Masked):
                if v.mask is not self.mask and v.mask.node is not self.mask.node:
                    return self._refuse("combining two differently masked")
                values.append(v.values)
            elif isinstance(v, Tensor) or np.ndim(v) != 0:
                return self._refuse(f"np.{ufunc.__name__} with an array")
            else:
                values.append(v)
        out = dispatch_ufunc(ufunc, "__call__", tuple(values), kwargs)
        return Masked(out, self.mask)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: dict) -> Any:
        handler = _FUNCTIONS.get(func)
        if handler is None:
            return self._refuse(getattr(func, "__name__", "this function"))
        return handler(*args, **kwargs)


def _ufunc_op(ufunc: np.ufunc, reflected: bool = False) -> Callable:
    if reflected:
        return lambda self, other: ufunc(other, self)
    return lambda self, other: ufunc(self, other)


for _name, _uf in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                   ("truediv", np.divide), ("pow", np.power), ("lt", np.less),
                   ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                   ("eq", np.equal), ("ne", np.not_equal), ("and", np.logical_and),
                   ("or", np.logical_or)]:
    setattr(Masked, f"__{_name}__", _ufunc_op(_uf))
    if _name in ("add", "sub", "mul", "truediv", "pow", "and", "or"):
        setattr(Masked, f"__r{_name}__", _ufunc_op(_uf, True))
Masked.__neg__ = lambda self: np.negative(self)
Masked.__abs__ = lambda self: np.abs(self)
Masked.__invert__ = lambda self: np.logical_not(self)
Masked.__hash__ = None


# -- reductions over the whole selection --------------------------------------------------------


def _check_axis(m: Masked, axis: Any, what: str) -> None:
    if axis not in (None, 0, -1, (0,), (-1,)):
        m._refuse(f"np.{what}(axis={axis!r})")


def _finish(t: Tensor, keepdims: bool) -> Tensor:
    return F.reshape(t, (1,)) if keepdims else t


def _count(m: Masked) -> Tensor:
    return F.sum(F.cast(m.mask, m.values.node.dtype if m.values.node.dtype != "bool"
                        else "float64"))


def sum_(m: Masked, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``sum(x[m])`` as ``sum(where(m, x, 0))``."""
    _check_axis(m, axis, "sum")
    return _finish(F.sum(F.where(m.mask, m.values, -0.0)), keepdims)


def prod(m: Masked, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``prod(x[m])`` as ``prod(where(m, x, 1))``."""
    _check_axis(m, axis, "prod")
    return _finish(F.prod(F.where(m.mask, m.values, 1.0)), keepdims)


def mean(m: Masked, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``mean(x[m])``: the masked sum over the count (NaN for an empty selection)."""
    _check_axis(m, axis, "mean")
    return _finish(F.divide(sum_(m), _count(m)), keepdims)


def max_(m: Masked, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``max(x[m])`` as ``max(where(m, x, -inf))`` (NumPy raises for an empty selection;
    this gives -inf)."""
    _check_axis(m, axis, "max")
    return _finish(F.max(F.where(m.mask, m.values, -np.inf)), keepdims)


def min_(m: Masked, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``min(x[m])`` as ``min(where(m, x, inf))`` (+inf for an empty selection)."""
    _check_axis(m, axis, "min")
    return _finish(F.min(F.where(m.mask, m.values, np.inf)), keepdims)


def var(m: Masked, axis: Any = None, dtype: Any = None, out: Any = None, ddof: int = 0,
        keepdims: bool = False, **kw: Any) -> Tensor:
    """``var(x[m], ddof)``: masked squared deviations over ``count - ddof``."""
    _check_axis(m, axis, "var")
    centred = F.subtract(m.values, mean(m))
    ss = F.sum(F.where(m.mask, F.square(centred), 0.0))
    return _finish(F.divide(ss, F.maximum(F.subtract(_count(m), float(ddof)), 0.0)), keepdims)


def std(m: Masked, *args: Any, **kwargs: Any) -> Tensor:
    """``std(x[m], ddof)``: the square root of ``var``."""
    return F.sqrt(var(m, *args, **kwargs))


def any_(m: Masked, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``any(x[m])``: some selected element is nonzero."""
    _check_axis(m, axis, "any")
    return _finish(F.any(F.logical_and(m.mask, m.values)), keepdims)


def all_(m: Masked, axis: Any = None, keepdims: bool = False, **kw: Any) -> Tensor:
    """``all(x[m])``: every selected element is nonzero."""
    _check_axis(m, axis, "all")
    return _finish(F.all(F.logical_or(F.logical_not(m.mask), m.values)), keepdims)


_FUNCTIONS: dict[Any, Callable] = {
    np.sum: sum_, np.mean: mean, np.max: max_, np.min: min_, np.amax: max_, np.amin: min_,
    np.prod: prod, np.var: var, np.std: std, np.any: any_, np.all: all_,
}
for _name, _fn in [("sum", sum_), ("mean", mean), ("max", max_), ("min", min_), ("prod", prod),
                   ("var", var), ("std", std), ("any", any_), ("all", all_)]:
    setattr(Masked, _name, _fn)


def getitem(x: Tensor, key: Any) -> Any:
    """``x[key]``: a ``Masked`` value for a bool mask of ``x``'s shape, else
    ``indexing.index``."""
    if isinstance(key, Tensor) and key.node.dtype == "bool" and key.shape == x.shape:
        return Masked(x, key)
    if (not isinstance(key, (Tensor, tuple, slice, int)) and key is not None
            and key is not Ellipsis and np.asarray(key).dtype == np.bool_
            and np.shape(key) == x.shape):
        return Masked(x, F.constant(np.asarray(key)))
    return X.index(x, key)
