"""Small linear algebra as compositions of traced ops (breadth2): ``linalg.det``/``inv``/
``solve``/``slogdet`` by cofactors (n <= 4), ``cholesky`` unrolled (n <= 8), ``matrix_power``,
``multi_dot`` in NumPy's product order, ``vecdot``/``matvec``/``vecmat``/``vector_norm``.
Larger matrices raise ``UnsupportedError`` naming the size."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functions as F
from . import indexing as X
from .extras import _float
from .location import unsupported
from .tensor import Tensor

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
