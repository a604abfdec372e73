"""More ordinary NumPy / SciPy functions as compositions of traced ops (breadth2):
``nan_to_num``, ``digitize``, ``sinc``, ``fix``, ``convolve``/``correlate``,
``ufunc.accumulate`` of ``maximum``/``minimum``, ``linalg.matrix_power``, small-matrix
``linalg.det``/``inv``/``solve`` (cofactors, n <= 4), ``scipy.special.betaln`` and
``erfinv``. Each follows NumPy's / SciPy's own steps where they are known, so NaN, +-inf
and +-0 come out as NumPy's do.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import construct as C
from . import functions as F
from . import indexing as X
from .location import unsupported
from .operands import promote_floats
from .tensor import Tensor

# -- elementwise ---------------------------------------------------------------------------------


def _float(x: Any) -> Any:
    """The operand as a float tensor (ints and bools become float64, like NumPy's ufuncs)."""
    node = F.to_node(x)
    if node.dtype not in ("float32", "float64"):
        return F.cast(node, "float64")
    return x if isinstance(x, Tensor) else Tensor(node)


def nan_to_num(x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None,
               neginf: Any = None) -> Tensor:
    """``np.nan_to_num``: NaN -> ``nan``, +inf -> ``posinf`` (default the dtype's largest
    finite value), -inf -> ``neginf`` (default its most negative)."""
    node = F.to_node(x)
    if node.dtype not in ("float32", "float64"):
        return x
    big = float(np.finfo(node.dtype).max)
    hi = big if posinf is None else posinf
    lo = -big if neginf is None else neginf
    out = F.where(F.isnan(node), nan, node)
    out = F.where(F.equal(node, np.inf), hi, out)
    return F.where(F.equal(node, -np.inf), lo, out)


def sinc(x: Any) -> Tensor:
    """``np.sinc``: NumPy's own steps, ``y = pi * where(x == 0, 1e-20, x); sin(y) / y``."""
    xf = _float(x)
    y = F.multiply(math.pi, F.where(F.equal(xf, 0.0), 1.0e-20, xf))
    return F.divide(F.sin(y), y)


def fix(x: Any, out: Any = None) -> Tensor:
    """``np.fix``: round toward zero (``trunc``)."""
    if out is not None:
        raise unsupported("np.fix(..., out=...)")
    return F.trunc(x)


def digitize(x: Any, bins: Any, right: bool = False) -> Tensor:
    """``np.digitize``: NumPy's steps, ``searchsorted`` of monotonic ``bins`` (decreasing
    bins counted from the end); constant bins are checked like NumPy's, traced bins are
    taken as increasing when ``bins[0] <= bins[-1]``."""
    from .statistics import searchsorted

    side = "left" if right else "right"
    if not F._holds_tensor(bins):
        b = np.asarray(bins)
        if b.ndim != 1:
            raise ValueError("bins must be one-dimensional")
        d = np.diff(b)
        if np.all(d >= 0):
            return searchsorted(b, x, side=side)
        if np.all(d <= 0):
            return F._as_int(F.subtract(len(b), searchsorted(b[::-1], x, side=side)),
                             "np.digitize")
        raise ValueError("bins must be monotonically increasing or decreasing")
    bn = F.to_node(bins)
    if bn.ndim != 1:
        raise ValueError("bins must be one-dimensional")
    (m,) = F._concrete(bn.shape, "np.digitize")
    inc = searchsorted(bn, x, side=side)
    if m < 2:
        return inc
    dec = F.subtract(m, searchsorted(X.flip(bn), x, side=side))
    down = F.greater(X.index(bn, 0), X.index(bn, m - 1))
    return F._as_int(F.where(down, dec, inc), "np.digitize")


# -- scans ---------------------------------------------------------------------------------------


def accumulate(ufunc: np.ufunc, x: Any, axis: int = 0, dtype: Any = None) -> Tensor:
    """``np.add/multiply/maximum/minimum.accumulate`` along ``axis``: ``cumsum``,
    ``cumprod``, or a running max/min by doubling steps (log2 n shifted maxima, NaN
    propagating like ``np.maximum``)."""
    from .location import public_name

    name = public_name(ufunc)
    x = x if dtype is None else F.cast(x, dtype)
    if ufunc is np.add:
        return F.cumsum(x, axis)
    if ufunc is np.multiply:
        return F.cumprod(x, axis)
    if ufunc not in (np.maximum, np.minimum, np.fmax, np.fmin):
        raise unsupported(f"{name}.accumulate")
    node = F.to_node(x)
    if node.ndim == 0:
        raise ValueError("accumulate not allowed on scalars")
    (ax,) = F._axis(F.static_int(axis, f"{name}.accumulate(axis=...)"), node.ndim,
                    f"{name}.accumulate")
    (n,) = F._concrete((node.shape[ax],), f"{name}.accumulate")
    from . import special as S

    op = {np.maximum: F.maximum, np.minimum: F.minimum, np.fmax: S.fmax,
          np.fmin: S.fmin}[ufunc]
    out: Any = x if isinstance(x, Tensor) else Tensor(node)
    step = 1
    while step < n:
        head = X.index(out, (slice(None),) * ax + (slice(0, step),))
        prev = X.index(out, (slice(None),) * ax + (slice(0, n - step),))
        tail = X.index(out, (slice(None),) * ax + (slice(step, n),))
        out = X.concatenate([head, op(tail, prev)], axis=ax)
        step *= 2
    return out


def cumulative_sum(x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None,
                   include_initial: bool = False) -> Tensor:
    """``np.cumulative_sum`` (NumPy 2.1): ``cumsum`` (``axis`` needed beyond 1-D)."""
    node = F.to_node(x)
    if axis is None:
        if node.ndim > 1:
            raise ValueError("axis must be specified for multi-dimensional arrays")
        axis = 0
    if out is not None:
        raise unsupported("np.cumulative_sum(out=...)")
    res = F.cumsum(x if dtype is None else F.cast(x, dtype), axis)
    if include_initial:
        rn = F.to_node(res)
        ax = int(axis) % rn.ndim
        shape = tuple(1 if k == ax else d for k, d in enumerate(rn.shape))
        zero = F.cast(F.broadcast_to(0.0, shape), rn.dtype)
        res = X.concatenate([zero, res], axis=ax)
    return res


def convolve(a: Any, v: Any, mode: str = "full") -> Tensor:
    """``np.convolve`` of two 1-D arrays (constant or traced): a sum of shifted, scaled
    copies of the longer one, zero outside (no product with the padding)."""
    an, vn = F.to_node(a), F.to_node(v)
    if an.ndim != 1 or vn.ndim != 1:
        raise ValueError("object too deep for desired array")
    (n,) = F._concrete(an.shape, "np.convolve")
    (m,) = F._concrete(vn.shape, "np.convolve")
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    if m > n:
        a, v, an, vn, n, m = v, a, vn, an, m, n
    full = None
    for k in range(m):
        term = F.multiply(X.index(v if isinstance(v, Tensor) else vn, k), a)
        term = C.pad(term, ((k, m - 1 - k),))
        full = term if full is None else F.add(full, term)
    if mode == "full":
        return full
    if mode == "valid":
        return X.index(full, slice(m - 1, n))
    if mode == "same":
        s = (m - 1) // 2
        return X.index(full, slice(s, s + n))
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


def correlate(a: Any, v: Any, mode: str = "valid") -> Tensor:
    """``np.correlate`` of 1-D arrays with ``len(v) <= len(a)``: ``convolve(a, v[::-1])``."""
    vn = F.to_node(v)
    if vn.ndim != 1 or F.to_node(a).ndim != 1:
        raise ValueError("object too deep for desired array")
    if F._concrete(vn.shape, "np.correlate")[0] > F._concrete(F.to_node(a).shape,
                                                             "np.correlate")[0]:
        raise unsupported("np.correlate with len(v) > len(a)")
    return convolve(a, X.flip(v if isinstance(v, Tensor) else vn), mode)


# -- selections, calculus, joins -----------------------------------------------------------------


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Tensor:
    """``np.select``: the first true condition's choice, ``default`` elsewhere (a chain of
    ``where`` from the last condition to the first)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    out: Any = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        if F.to_node(cond).dtype != "bool":
            raise TypeError("invalid entry in condlist: should be boolean ndarray")
        out = F.where(cond, choice, out)
    return out


def piecewise(x: Any, condlist: Any, funclist: Any, *args: Any, **kw: Any) -> Tensor:
    """``np.piecewise``: each function applied to the whole ``x`` (not only where its
    condition holds) and selected by ``where``; later conditions win, like NumPy's
    assignments; the extra function of ``len(condlist) + 1`` is the otherwise case."""
    node = F.to_node(x)
    conds = [condlist] if not isinstance(condlist, (list, tuple)) else list(condlist)
    funcs = list(funclist)
    if len(funcs) == len(conds) + 1:
        others = None
        for c in conds:
            others = c if others is None else F.logical_or(others, c)
        conds.append(F.logical_not(others))
    elif len(funcs) != len(conds):
        raise ValueError(f"with {len(conds)} condition(s), either {len(conds)} or "
                         f"{len(conds) + 1} functions are expected")
    out: Any = F.zeros_like(x)
    for c, f in zip(conds, funcs):
        val = f(x, *args, **kw) if callable(f) else f
        out = F.where(c, val, out)
    if node.dtype != F.to_node(out).dtype:
        out = F.cast(out, node.dtype)
    return out


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Tensor:
    """``np.trapezoid`` (and ``np.trapz``): NumPy's steps, ``sum(d * (y[1:] + y[:-1]) / 2)``
    with ``d`` the spacing (``dx``, or ``diff(x)``)."""
    yn = F.to_node(y)
    ax = axis % yn.ndim
    (n,) = F._concrete((yn.shape[ax],), "np.trapezoid")

    def part(v: Any, s: slice) -> Any:
        return X.index(v, (slice(None),) * ax + (s,))

    if x is None:
        d: Any = dx
    else:
        xn = F.to_node(x)
        d = X.diff(x, axis=-1 if xn.ndim == 1 else axis)
        if xn.ndim == 1:
            d = F.reshape(d, (-1,) + (1,) * (yn.ndim - 1 - ax))
    mid = F.divide(F.add(part(y, slice(1, None)), part(y, slice(0, builtins_max(n - 1, 0)))),
                   2.0)
    return F.sum(F.multiply(d, mid), axis=ax)


def builtins_max(a: int, b: int) -> int:
    return a if a > b else b


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``np.gradient`` with scalar spacings and ``edge_order=1``: central differences
    inside, one-sided at the ends (a tuple for several axes, like NumPy)."""
    node = F.to_node(f)
    if edge_order != 1:
        raise unsupported("np.gradient(edge_order=2)")
    axes = tuple(range(node.ndim)) if axis is None else (
        (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis))
    axes = tuple(int(a) % node.ndim for a in axes)
    if len(varargs) == 0:
        steps: list[Any] = [1.0] * len(axes)
    elif len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        steps = [varargs[0]] * len(axes)
    elif len(varargs) == len(axes) and all(np.ndim(v) == 0 for v in varargs):
        steps = list(varargs)
    else:
        raise unsupported("np.gradient with coordinate arrays", "give scalar spacings")
    g = f if node.dtype in ("float32", "float64") else F.cast(node, "float64")
    outs = []
    for ax, h in zip(axes, steps):
        (n,) = F._concrete((node.shape[ax],), "np.gradient")
        if n < 2:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")

        def part(s: slice, ax: int = ax) -> Any:
            return X.index(g, (slice(None),) * ax + (s,))

        first = F.divide(F.subtract(part(slice(1, 2)), part(slice(0, 1))), h)
        last = F.divide(F.subtract(part(slice(n - 1, n)), part(slice(n - 2, n - 1))), h)
        pieces = [first]
        if n > 2:
            twice = 2.0 * h if not F._holds_tensor(h) else F.multiply(2.0, h)
            pieces.append(F.divide(F.subtract(part(slice(2, n)), part(slice(0, n - 2))),
                                   twice))
        pieces.append(last)
        outs.append(X.concatenate(pieces, axis=ax))
    return outs[0] if len(outs) == 1 else tuple(outs)


def append(arr: Any, values: Any, axis: Any = None) -> Tensor:
    """``np.append``: ``concatenate`` (of the flattened arrays when ``axis`` is None)."""
    if axis is None:
        return X.concatenate([F.ravel(arr), F.ravel(values)], axis=0)
    return X.concatenate([arr, values], axis=axis)


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Tensor:
    """``np.ediff1d``: ``diff`` of the flattened array, with ``to_begin``/``to_end``."""
    parts = [X.diff(F.ravel(ary))]
    if to_begin is not None:
        parts.insert(0, F.ravel(F.to_node(to_begin, F.to_node(ary))))
    if to_end is not None:
        parts.append(F.ravel(F.to_node(to_end, F.to_node(ary))))
    return X.concatenate(parts, axis=0) if len(parts) > 1 else parts[0]


def dstack(tup: Any) -> Tensor:
    """``np.dstack``: stacked along the third axis (1-D and 2-D arrays raised to 3-D)."""
    arrs = []
    for a in tup:
        node = F.to_node(a)
        if node.ndim == 0:
            a = F.reshape(a, (1, 1, 1))
        elif node.ndim == 1:
            a = F.reshape(a, (1, node.shape[0], 1))
        elif node.ndim == 2:
            a = F.reshape(a, tuple(node.shape) + (1,))
        arrs.append(a)
    return X.concatenate(arrs, axis=2)


def block(arrays: Any) -> Tensor:
    """``np.block`` of nested lists: inner lists join along the last axis, outer ones
    along the axes before it."""
    def depth(v: Any) -> int:
        return 1 + depth(v[0]) if isinstance(v, list) and v else 0

    d = depth(arrays)

    def join(v: Any, level: int) -> Any:
        if not isinstance(v, list):
            return v
        parts = [join(p, level + 1) for p in v]
        nd = builtins_max(max(F.to_node(p).ndim for p in parts), d)
        parts = [F.reshape(p, (1,) * (nd - F.to_node(p).ndim) + tuple(F.to_node(p).shape))
                 for p in parts]
        return X.concatenate(parts, axis=-(d - level))

    return join(arrays, 0)


def _static_positions(obj: Any, n: int, what: str) -> list[int]:
    if F._holds_tensor(obj):
        raise unsupported(f"{what} with traced positions", "give constant positions")
    pos = np.atleast_1d(np.asarray(obj))
    if pos.dtype == bool:
        return [int(i) for i in np.flatnonzero(pos)]
    return sorted({int(i) % n if n else int(i) for i in pos})


def delete(arr: Any, obj: Any, axis: Any = None) -> Tensor:
    """``np.delete`` at constant positions: a ``take`` of the kept ones."""
    if axis is None:
        arr, axis = F.ravel(arr), 0
    node = F.to_node(arr)
    ax = int(axis) % node.ndim
    (n,) = F._concrete((node.shape[ax],), "np.delete")
    gone = set(_static_positions(obj, n, "np.delete"))
    keep = np.array([i for i in range(n) if i not in gone], dtype=np.int64)
    return X.take(arr, keep, axis=ax)


def insert(arr: Any, obj: Any, values: Any, axis: Any = None) -> Tensor:
    """``np.insert`` of one value (or row) before one constant position."""
    if axis is None:
        arr, axis = F.ravel(arr), 0
    node = F.to_node(arr)
    ax = int(axis) % node.ndim
    (n,) = F._concrete((node.shape[ax],), "np.insert")
    if F._holds_tensor(obj) or np.ndim(obj) != 0:
        raise unsupported("np.insert at several or traced positions")
    i = int(obj)
    if not -n <= i <= n:
        raise IndexError(f"index {i} is out of bounds for axis {ax} with size {n}")
    i %= n + 1 if i < 0 else n + 1
    if int(obj) < 0:
        i = n + int(obj)
    shape = tuple(1 if k == ax else d for k, d in enumerate(node.shape))
    val = F.broadcast_to(F.to_node(values, node), shape)
    if F.to_node(val).dtype != node.dtype:
        val = F.cast(val, node.dtype)
    lo = X.index(arr, (slice(None),) * ax + (slice(0, i),))
    hi = X.index(arr, (slice(None),) * ax + (slice(i, n),))
    return X.concatenate([lo, val, hi], axis=ax)


def diagflat(v: Any, k: int = 0) -> Tensor:
    """``np.diagflat``: ``diag`` of the flattened input."""
    from . import linalg as L

    return L.diag(F.ravel(v), k)


def broadcast_arrays(*args: Any, subok: bool = False) -> tuple:
    """``np.broadcast_arrays``: each operand broadcast to the common shape."""
    shape = np.broadcast_shapes(*[tuple(F.to_node(a).shape) for a in args])
    return tuple(F.broadcast_to(a, shape) for a in args)


def unravel_index(indices: Any, shape: Any, order: str = "C") -> tuple:
    """``np.unravel_index`` of traced flat indices into a constant ``shape``."""
    if order != "C":
        raise unsupported(f"np.unravel_index(order={order!r})")
    dims = tuple(int(d) for d in np.atleast_1d(shape))
    out = []
    rest: Any = indices
    for k in range(len(dims) - 1, -1, -1):
        out.append(F._as_int(F.remainder(rest, dims[k]) if k else rest,
                             "np.unravel_index"))
        rest = F.floor_divide(rest, dims[k])
    return tuple(reversed(out))


def isin(element: Any, test_elements: Any, assume_unique: bool = False,
         invert: bool = False, *, kind: Any = None) -> Tensor:
    """``np.isin``: equal to any of ``test_elements`` (a broadcast comparison)."""
    e = F.to_node(element)
    t = F.ravel(F.to_node(test_elements, e))
    hit = F.any(F.equal(F.expand_dims(e, -1), F.reshape(t, (1,) * e.ndim + (-1,))), axis=-1)
    return F.logical_not(hit) if invert else hit


def divmod_(x1: Any, x2: Any) -> tuple:
    """``np.divmod``: ``(floor_divide, remainder)``."""
    return F.floor_divide(x1, x2), F.remainder(x1, x2)


def signbit(x: Any) -> Tensor:
    """``np.signbit``: negative, or -0 (NaN taken as positive)."""
    node = F.to_node(x)
    if node.dtype == "bool":
        return F.not_equal(node, node)
    if node.dtype not in ("float32", "float64"):
        return F.less(node, 0)
    return F.logical_or(F.less(node, 0.0), F.logical_and(
        F.equal(node, 0.0), F.less(F.divide(1.0, node), 0.0)))


def copysign(x1: Any, x2: Any) -> Tensor:
    """``np.copysign``: ``|x1|`` with the sign of ``x2`` (-0 counts as negative), in the
    two operands' common dtype."""
    x1, x2 = promote_floats(x1, x2)
    a = F.abs(x1)
    return F.where(signbit(x2), F.negative(a), a)


def float_power(x1: Any, x2: Any) -> Tensor:
    """``np.float_power``: ``x1 ** x2`` computed in float64 whatever the operands' dtypes."""
    return F.power(*(F.cast(v, "float64") for v in promote_floats(x1, x2)))


def empty_like(prototype: Any, dtype: Any = None, order: Any = "K", subok: Any = True,
               shape: Any = None, *, device: Any = None) -> Tensor:
    """``np.empty_like``: zeros (the contents of an empty array are unspecified)."""
    if shape is not None:
        raise unsupported("np.empty_like(shape=...)")
    return F.zeros_like(prototype, dtype=dtype)


def nanargmax(a: Any, axis: Any = None, out: Any = None, *, keepdims: Any = False) -> Tensor:
    """``np.nanargmax``: ``argmax`` with NaN taken as -inf (an all-NaN slice gives 0 where
    NumPy raises)."""
    if out is not None:
        raise unsupported("np.nanargmax(out=...)")
    node = F.to_node(a)
    return F.argmax(F.where(F.isnan(node), -np.inf, node), axis, bool(keepdims))


def nanargmin(a: Any, axis: Any = None, out: Any = None, *, keepdims: Any = False) -> Tensor:
    """``np.nanargmin``: ``argmin`` with NaN taken as +inf (an all-NaN slice gives 0 where
    NumPy raises)."""
    if out is not None:
        raise unsupported("np.nanargmin(out=...)")
    node = F.to_node(a)
    return F.argmin(F.where(F.isnan(node), np.inf, node), axis, bool(keepdims))
