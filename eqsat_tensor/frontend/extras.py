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


# -- small linear algebra ------------------------------------------------------------------------

MAX_CLOSED_FORM = 4  # det / inv / solve by cofactors up to this size


def _square(a: Any, what: str) -> tuple[Any, int]:
    node = F.to_node(a)
    if node.ndim < 2:
        raise np.linalg.LinAlgError(f"{node.ndim}-dimensional array given. Array must be at "
                                    "least two-dimensional")
    n, m = F._concrete(node.shape[-2:], what)
    if n != m:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")
    if n > MAX_CLOSED_FORM:
        raise unsupported(f"{what} of a {n}x{n} matrix",
                          f"only matrices up to {MAX_CLOSED_FORM}x{MAX_CLOSED_FORM} are "
                          "traced (closed-form cofactors)")
    return _float(a), n


def _entries(a: Any, n: int) -> list[list[Any]]:
    return [[X.index(a, (Ellipsis, i, j)) for j in range(n)] for i in range(n)]


def _det_of(e: list[list[Any]], rows: tuple[int, ...], cols: tuple[int, ...]) -> Any:
    """The determinant of the minor ``rows`` x ``cols`` by Laplace along its first row."""
    if len(rows) == 1:
        return e[rows[0]][cols[0]]
    if len(rows) == 2:
        (r0, r1), (c0, c1) = rows, cols
        return F.subtract(F.multiply(e[r0][c0], e[r1][c1]), F.multiply(e[r0][c1], e[r1][c0]))
    out = None
    for k, c in enumerate(cols):
        minor = _det_of(e, rows[1:], cols[:k] + cols[k + 1:])
        term = F.multiply(e[rows[0]][c], minor)
        out = term if out is None else (F.add(out, term) if k % 2 == 0
                                        else F.subtract(out, term))
    return out


def det(a: Any) -> Tensor:
    """``np.linalg.det`` of (a stack of) n x n matrices, n <= 4, by cofactor expansion."""
    a, n = _square(a, "np.linalg.det")
    if n == 0:
        return F.add(F.sum(a, axis=(-2, -1)), 1.0)
    return _det_of(_entries(a, n), tuple(range(n)), tuple(range(n)))


def inv(a: Any) -> Tensor:
    """``np.linalg.inv`` of (a stack of) n x n matrices, n <= 4: the adjugate over the
    determinant."""
    a, n = _square(a, "np.linalg.inv")
    if n == 0:
        return a
    e = _entries(a, n)
    full = tuple(range(n))
    d = _det_of(e, full, full)
    rows = []
    for i in range(n):  # inv[i][j] = (-1)^(i+j) M[j][i] / det
        row = []
        for j in range(n):
            if n == 1:
                cof: Any = 1.0
            else:
                cof = _det_of(e, full[:j] + full[j + 1:], full[:i] + full[i + 1:])
                if (i + j) % 2:
                    cof = F.negative(cof)
            row.append(F.divide(cof, d))
        rows.append(X.stack(row, axis=-1))
    return X.stack(rows, axis=-2)


def solve(a: Any, b: Any) -> Tensor:
    """``np.linalg.solve`` for n x n ``a`` (n <= 4): ``inv(a) @ b`` (``b`` a vector when
    it is 1-D, like NumPy 2)."""
    return F.matmul(inv(a), _float(b))


def matrix_power(a: Any, n: Any) -> Tensor:
    """``np.linalg.matrix_power`` with a static integer ``n`` (NumPy's own product order;
    a negative ``n`` inverts first)."""
    k = F.static_int(n, "np.linalg.matrix_power(n=...)")
    node = F.to_node(a)
    if node.ndim < 2 or node.shape[-1] != node.shape[-2]:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")
    x: Any = a if isinstance(a, Tensor) else Tensor(node)
    if k == 0:
        (m,) = F._concrete((node.shape[-1],), "np.linalg.matrix_power")
        eye = np.eye(m, dtype=node.dtype if node.dtype != "bool" else np.float64)
        return F.broadcast_to(F.to_node(eye, node), node.shape)
    if k < 0:
        x, k = inv(x), -k
    if k == 1:
        return x
    if k == 2:
        return F.matmul(x, x)
    if k == 3:
        return F.matmul(F.matmul(x, x), x)
    z = result = None
    while k > 0:
        z = x if z is None else F.matmul(z, z)
        k, bit = divmod(k, 2)
        if bit:
            result = z if result is None else F.matmul(result, z)
    return result


# -- scipy.special -------------------------------------------------------------------------------


def betaln(a: Any, b: Any) -> Tensor:
    """``scipy.special.betaln``: ``gammaln(a) + gammaln(b) - gammaln(a + b)``, with SciPy's
    values where an argument is 0, +-inf or NaN."""
    an, bn = F._operands(_float(a), _float(b))
    core = F.subtract(F.add(F.gammaln(an), F.gammaln(bn)), F.gammaln(F.add(an, bn)))

    def pole(v: Any) -> Any:  # 0, -0 or -inf: B is infinite
        return F.logical_or(F.equal(v, 0.0), F.equal(v, -np.inf))

    out = F.where(F.logical_and(F.equal(an, np.inf), F.isfinite(bn)),
                  F.where(F.greater(bn, 0.0), -np.inf, np.inf), core)
    out = F.where(F.logical_and(F.equal(bn, np.inf), F.isfinite(an)),
                  F.where(F.greater(an, 0.0), -np.inf, np.inf), out)
    out = F.where(F.logical_and(F.equal(an, np.inf), F.equal(bn, np.inf)), np.nan, out)
    out = F.where(F.logical_or(F.isnan(an), F.isnan(bn)), np.nan, out)
    out = F.where(F.logical_or(pole(an), pole(bn)), np.inf, out)
    return F.cast(out, F.to_node(core).dtype)


# Giles (2010), "Approximating the erfinv function", the single-precision polynomials;
# refined by Newton steps on erf / erfc to the dtype's precision.
_GILES_SMALL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_LARGE = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _horner(coeffs: tuple[float, ...], w: Any) -> Any:
    p: Any = coeffs[0]
    for c in coeffs[1:]:
        p = F.add(F.multiply(p, w), c)
    return p


def erfinv(y: Any) -> Tensor:
    """``scipy.special.erfinv``: Giles' approximation, then three Newton steps on
    ``erf(x) = y`` (written with ``erfc`` of ``|x|`` for ``|y| > 1/2``, so the residual
    keeps its digits near +-1); +-1 -> +-inf, ``|y| > 1`` and NaN -> NaN."""
    yf = _float(y)
    ay = F.abs(yf)
    w = F.negative(F.log(F.multiply(F.subtract(1.0, ay), F.add(1.0, ay))))
    small = _horner(_GILES_SMALL, F.subtract(w, 2.5))
    large = _horner(_GILES_LARGE, F.subtract(F.sqrt(w), 3.0))
    x = F.multiply(F.where(F.less(w, 5.0), small, large), ay)  # x >= 0 for |y|
    x = F.where(F.isfinite(x), x, 0.0)
    tail = F.greater(ay, 0.5)
    for _ in range(3):
        resid = F.where(tail, F.subtract(F.subtract(1.0, ay), F.erfc(x)),
                        F.subtract(F.erf(x), ay))
        slope = F.multiply(2.0 / math.sqrt(math.pi), F.exp(F.negative(F.square(x))))
        x = F.subtract(x, F.divide(resid, slope))
    x = F.where(F.equal(ay, 1.0), np.inf, x)
    x = F.where(F.greater(ay, 1.0), np.nan, x)
    # the sign of y (erfinv is odd; -0 -> -0)
    return F.where(F.less(yf, 0.0), F.negative(x), F.where(F.equal(yf, 0.0), yf, x))



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
    """``np.copysign``: ``|x1|`` with the sign of ``x2`` (-0 counts as negative)."""
    a = F.abs(_float(x1))
    return F.where(signbit(x2), F.negative(a), a)


def empty_like(prototype: Any, dtype: Any = None, order: Any = "K", subok: Any = True,
               shape: Any = None, *, device: Any = None) -> Tensor:
    """``np.empty_like``: zeros (the contents of an empty array are unspecified)."""
    if shape is not None:
        raise unsupported("np.empty_like(shape=...)")
    return F.zeros_like(prototype, dtype=dtype)


def vecdot(x1: Any, x2: Any, /, axis: int = -1, **kw: Any) -> Tensor:
    """``np.vecdot``: ``sum(x1 * x2, axis)``."""
    return F.sum(F.multiply(x1, x2), axis=axis)


def matvec(x1: Any, x2: Any, /, **kw: Any) -> Tensor:
    """``np.matvec``: ``(x1 @ x2[..., None])[..., 0]``."""
    return X.index(F.matmul(x1, F.expand_dims(x2, -1)), (Ellipsis, 0))


def vecmat(x1: Any, x2: Any, /, **kw: Any) -> Tensor:
    """``np.vecmat``: ``(x1[..., None, :] @ x2)[..., 0, :]``."""
    return X.index(F.matmul(F.expand_dims(x1, -2), x2), (Ellipsis, 0, slice(None)))


def vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False,
                ord: Any = 2) -> Tensor:
    """``np.linalg.vector_norm``: a vector norm over ``axis`` (all axes: flattened)."""
    from . import linalg as L

    if axis is None:
        node = F.to_node(x)
        out = L.norm(F.ravel(x), ord=ord, axis=0)
        return F.reshape(out, (1,) * node.ndim) if keepdims else out
    return L.norm(x, ord=ord, axis=axis, keepdims=keepdims)


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


def multi_dot(arrays: Any, *, out: Any = None) -> Tensor:
    """``np.linalg.multi_dot``: a chain of products (the optimizer picks the order); 1-D
    ends are a row and a column vector, like NumPy."""
    if out is not None:
        raise unsupported("np.linalg.multi_dot(out=...)")
    arrs = list(arrays)
    if len(arrs) < 2:
        raise ValueError("Expecting at least two arrays.")
    first, last = F.to_node(arrs[0]).ndim == 1, F.to_node(arrs[-1]).ndim == 1
    if first:
        arrs[0] = F.reshape(arrs[0], (1, -1))
    if last:
        arrs[-1] = F.reshape(arrs[-1], (-1, 1))
    dims = [F._concrete(tuple(F.to_node(a).shape), "np.linalg.multi_dot") for a in arrs]
    p = [d[0] for d in dims] + [dims[-1][1]]
    n = len(arrs)
    # NumPy's order: its three-array cost test, else the matrix-chain dynamic program
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    if n == 3:
        c1 = p[0] * p[1] * p[2] + p[0] * p[2] * p[3]
        c2 = p[1] * p[2] * p[3] + p[0] * p[1] * p[3]
        split[0][2] = 0 if c1 >= c2 else 1

    def chain(i: int, j: int) -> Any:
        if i == j:
            return arrs[i]
        k = split[i][j]
        return F.matmul(chain(i, k), chain(k + 1, j))

    res = chain(0, n - 1)
    if first and last:
        return F.reshape(res, ())
    if first or last:
        return X.index(res, 0) if first else X.index(res, (slice(None), 0))
    return res


def slogdet(a: Any) -> tuple:
    """``np.linalg.slogdet`` (n <= 4): the sign and ``log|det|`` of the cofactor
    determinant."""
    d = det(a)
    return F.sign(d), F.log(F.abs(d))


def cholesky(a: Any, /, *, upper: bool = False) -> Tensor:
    """``np.linalg.cholesky`` of (a stack of) n x n matrices, n <= 8: the unrolled
    Cholesky-Banachiewicz recurrence (the lower triangle of ``a`` is read, like LAPACK);
    a matrix that is not positive definite gives NaN where NumPy raises."""
    node = F.to_node(a)
    if node.ndim < 2:
        raise np.linalg.LinAlgError(f"{node.ndim}-dimensional array given. Array must be at "
                                    "least two-dimensional")
    n, m = F._concrete(node.shape[-2:], "np.linalg.cholesky")
    if n != m:
        raise np.linalg.LinAlgError("Last 2 dimensions of the array must be square")
    if n > 8:
        raise unsupported(f"np.linalg.cholesky of a {n}x{n} matrix",
                          "only matrices up to 8x8 are traced (an unrolled recurrence)")
    af = _float(a)
    e = _entries(af, n)
    L: list[list[Any]] = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s: Any = e[i][j]
            for k in range(j):
                s = F.subtract(s, F.multiply(L[i][k], L[j][k]))
            L[i][j] = F.sqrt(s) if i == j else F.divide(s, L[j][j])
    zero = F.multiply(e[0][0], 0.0)
    zero = F.where(F.isfinite(zero), zero, 0.0)
    rows = [X.stack([L[i][j] if j <= i else zero for j in range(n)], axis=-1)
            for i in range(n)]
    out = X.stack(rows, axis=-2)
    return F.matrix_transpose(out) if upper else out


def gamma(x: Any) -> Tensor:
    """``scipy.special.gamma``: ``exp(gammaln(x))`` with the sign of Gamma (negative on
    (-1, 0), (-3, -2), ...); poles as SciPy: +-0 -> +-inf, negative integers and -inf ->
    NaN."""
    xf = _float(x)
    mag = F.exp(F.gammaln(xf))
    odd = F.not_equal(F.remainder(F.floor(xf), 2.0), 0.0)
    out = F.where(F.logical_and(F.less(xf, 0.0), odd), F.negative(mag), mag)
    neg_int = F.logical_and(F.less(xf, 0.0), F.equal(F.floor(xf), xf))
    out = F.where(neg_int, np.nan, out)
    out = F.where(F.equal(xf, 0.0), F.divide(1.0, xf), out)
    return F.cast(out, F.to_node(xf).dtype)


def ndtri(p: Any) -> Tensor:
    """``scipy.special.ndtri``: ``sqrt(2) * erfinv(2p - 1)``, computed from ``2p`` (or
    ``2(1 - p)``) so the tails keep their digits; 0 -> -inf, 1 -> inf."""
    pf = _float(p)
    lower = F.less(pf, 0.5)
    q = F.where(lower, F.multiply(2.0, pf), F.multiply(2.0, F.subtract(1.0, pf)))
    x = _erfinv_tail(q)
    out = F.multiply(math.sqrt(2.0), F.where(lower, F.negative(x), x))
    out = F.where(F.logical_or(F.less(pf, 0.0), F.greater(pf, 1.0)), np.nan, out)
    return F.cast(out, F.to_node(pf).dtype)


def _erfinv_tail(q: Any) -> Any:
    """``erfinv(1 - q)`` for ``q`` in [0, 1] (``q`` given exactly): Giles' start and three
    Newton steps on ``erfc(x) = q``."""
    w = F.negative(F.log(F.multiply(q, F.subtract(2.0, q))))
    small = _horner(_GILES_SMALL, F.subtract(w, 2.5))
    large = _horner(_GILES_LARGE, F.subtract(F.sqrt(w), 3.0))
    x = F.multiply(F.where(F.less(w, 5.0), small, large), F.subtract(1.0, q))
    x = F.where(F.isfinite(x), x, 0.0)
    for _ in range(3):
        resid = F.subtract(q, F.erfc(x))  # erf(x) - (1 - q)
        slope = F.multiply(2.0 / math.sqrt(math.pi), F.exp(F.negative(F.square(x))))
        x = F.subtract(x, F.divide(resid, slope))
    return F.where(F.equal(q, 0.0), np.inf, x)


def huber(delta: Any, r: Any) -> Tensor:
    """``scipy.special.huber``: ``r**2 / 2`` within ``delta``, ``delta (|r| - delta/2)``
    outside; ``inf`` for a negative ``delta``."""
    a = F.abs(r)
    out = F.where(F.less_equal(a, delta), F.multiply(0.5, F.square(r)),
                  F.multiply(delta, F.subtract(a, F.multiply(0.5, delta))))
    return F.where(F.less(delta, 0.0), np.inf, out)


def pseudo_huber(delta: Any, r: Any) -> Tensor:
    """``scipy.special.pseudo_huber``: ``delta**2 (sqrt(1 + (r/delta)**2) - 1)``; 0 where
    ``delta`` or ``r`` is 0, ``inf`` for a negative ``delta``."""
    t = F.divide(r, delta)
    out = F.multiply(F.square(delta), F.subtract(F.sqrt(F.add(1.0, F.square(t))), 1.0))
    out = F.where(F.logical_or(F.equal(delta, 0.0), F.equal(r, 0.0)), 0.0, out)
    return F.where(F.less(delta, 0.0), np.inf, out)


def boxcox1p(x: Any, lmbda: Any) -> Tensor:
    """``scipy.special.boxcox1p``: ``log1p(x)`` for ``lmbda == 0`` (|lmbda| < 1e-19),
    else ``expm1(lmbda log1p(x)) / lmbda``."""
    lp = F.log1p(x)
    out = F.divide(F.expm1(F.multiply(lmbda, lp)), lmbda)
    return F.where(F.less(F.abs(lmbda), 1e-19), lp, out)


def boxcox(x: Any, lmbda: Any) -> Tensor:
    """``scipy.special.boxcox``: ``log(x)`` for ``lmbda == 0`` (|lmbda| < 1e-19), else
    ``expm1(lmbda log(x)) / lmbda``."""
    lx = F.log(x)
    out = F.divide(F.expm1(F.multiply(lmbda, lx)), lmbda)
    return F.where(F.less(F.abs(lmbda), 1e-19), lx, out)


def cosm1(x: Any) -> Tensor:
    """``scipy.special.cosm1``: ``cos(x) - 1`` as ``-2 sin(x/2)**2`` (no cancellation)."""
    return F.multiply(-2.0, F.square(F.sin(F.multiply(0.5, x))))


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
