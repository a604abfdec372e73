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

