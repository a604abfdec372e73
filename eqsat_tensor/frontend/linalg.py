"""Linear algebra and statistics built from ``matmul``, reductions, layout ops and
constant masks: ``dot``/``inner``/``outer``/``tensordot``, ``einsum`` (any subscripts, ``...``
included), ``trace``/``diag``/``diagonal``/``triu``/``tril`` (exact ``where`` masks, so an
off-diagonal inf or NaN never leaks in), ``linalg.norm``, ``cov``/``corrcoef``, ``polyval``.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..ir import Node, apply, constant_node, fmt_shape
from .functions import (  # noqa: A004  (sum, max, ... shadow builtins on purpose)
    _concrete,
    _nonzero_count,
    _operands,
    _wrap,
    abs,
    add,
    atleast_2d,
    broadcast_to,
    cast,
    clip,
    divide,
    equal,
    matmul,
    max,
    mean,
    min,
    multiply,
    power,
    reshape,
    sqrt,
    square,
    squeeze,
    static_int,
    subtract,
    sum,
    to_node,
    transpose,
    where,
)
from .location import unsupported, user_location
from .tensor import Tensor


def polyval(p: Any, x: Any) -> Tensor:
    """``np.polyval`` by Horner's rule: ``p`` (coefficients, highest power first) constant
    or traced, evaluated at ``x``."""
    coeffs = to_node(p, to_node(x) if isinstance(x, Tensor) else None)
    if coeffs.ndim != 1:
        raise ValueError("np.polyval: p must be 1-D")
    (n,) = _concrete(coeffs.shape, "np.polyval")
    if coeffs.op == "constant":  # NumPy scalars of p's dtype (strong, like p[i] in NumPy)
        terms: list[Any] = [constant_node(c, coeffs.dtype)
                            for c in np.asarray(coeffs.value).reshape(-1)]
    else:
        raise unsupported("np.polyval with traced coefficients", "indexing the coefficient "
                          "array needs a slice op")
    xs = to_node(x)
    out: Any = multiply(xs, 0.0) if n == 0 else add(multiply(xs, 0.0), terms[0])
    for c in terms[1:]:
        out = add(multiply(out, xs), c)
    return out


def cov(m: Any, rowvar: bool = True, bias: bool = False, ddof: Any = None) -> Tensor:
    """``np.cov`` of one 1-D or 2-D array (variables in rows unless ``rowvar=False``):
    ``Xc @ Xc.T / (N - ddof)`` with ``Xc`` the centred observations."""
    node = to_node(m)
    if node.ndim > 2:
        raise ValueError("m has more than 2 dimensions")
    node = cast(node, "float64").node  # NumPy computes the covariance in float64 at least
    x = atleast_2d(node)
    if not rowvar and node.ndim == 2:
        x = transpose(x)
    n = _concrete((x.shape[1],), "np.cov")[0]
    ddof = (0 if bias else 1) if ddof is None else static_int(ddof, "np.cov ddof")
    xc = subtract(x, mean(x, axis=1, keepdims=True))
    c = divide(matmul(xc, transpose(xc)), float(builtins.max(n - ddof, 0)))
    return reshape(c, ()) if x.shape[0] == 1 else c


def with_y(m: Any, y: Any, rowvar: bool) -> Tensor:
    """``np.cov(m, y)`` / ``np.corrcoef(x, y)``: the variables of ``y`` as further rows
    of ``m`` (each made 2-D and, without ``rowvar``, transposed unless it is one row), as
    NumPy joins them."""
    from .indexing import concatenate

    rows = []
    for v in (m, y):
        t = atleast_2d(cast(v, "float64"))
        rows.append(transpose(t) if not rowvar and t.node.shape[0] != 1 else t)
    return concatenate(rows, axis=0)


def corrcoef(x: Any, rowvar: bool = True) -> Tensor:
    """``np.corrcoef`` of one array: the covariance over ``sqrt(outer(var, var))``, clipped
    to [-1, 1] like NumPy."""
    c = cov(x, rowvar=rowvar)
    if c.ndim == 0:
        return divide(c, c)
    node = atleast_2d(cast(x, "float64"))
    if not rowvar and to_node(x).ndim == 2:
        node = transpose(node)
    n = _concrete((node.shape[1],), "np.corrcoef")[0]
    xc = subtract(node, mean(node, axis=1, keepdims=True))
    d = divide(sum(square(xc), axis=1), float(builtins.max(n - 1, 0)))
    r = divide(c, sqrt(multiply(reshape(d, (-1, 1)), reshape(d, (1, -1)))))
    return clip(r, -1.0, 1.0)


def _blas_product(na: Node, nb: Node) -> Tensor:
    """The product of two operands of at most 2 dims as NumPy's ``dot`` computes it for
    float32/float64 (``cblas_matrixproduct``). An operand with one element (0-d, ``(1,)``,
    ``(1, 1)``) is a scalar ``s`` there: when both are, the result is their plain product
    (``-0.0 * 1.0`` keeps its sign, where ``matmul`` adds it to +0.0); when only one is, the
    result is BLAS ``axpy`` into a zeroed array: ``+0.0 + s * x``, and all zeros when
    ``s == 0`` (``axpy`` skips a zero scale, so ``0 * inf`` gives 0 there, not NaN).
    Every other product (``dot``/``gemv``/``gemm`` into a zeroed result) is ``matmul``."""
    size_a, size_b = _static_size(na.shape), _static_size(nb.shape)
    floats = na.dtype in ("float32", "float64") and nb.dtype in ("float32", "float64")
    if not floats or (size_a != 1 and size_b != 1):
        if na.ndim == 0 or nb.ndim == 0:
            return multiply(na, nb)
        return _wrap(apply("matmul", na, nb))
    if na.ndim == 0 or nb.ndim == 0:
        shape = nb.shape if na.ndim == 0 else na.shape
    else:
        shape = apply("matmul", na, nb).shape  # checks that the operands align
    xa = reshape(na, ()) if size_a == 1 else _wrap(na)
    xb = reshape(nb, ()) if size_b == 1 else _wrap(nb)
    prod = multiply(xa, xb)
    if size_a != 1 or size_b != 1:
        scale = xa if size_a == 1 else xb
        prod = where(equal(scale, 0.0), 0.0, add(prod, 0.0))
    return reshape(prod, shape) if tuple(prod.shape) != tuple(shape) else prod


def _static_size(shape: Sequence[Any]) -> int | None:
    if all(isinstance(d, (int, np.integer)) for d in shape):
        return math.prod(int(d) for d in shape)
    return None


def dot(a: Any, b: Any) -> Tensor:
    """``np.dot``: a product with a scalar, NumPy's BLAS product for 1-D/2-D (see
    ``_blas_product``), else the sum over the last axis of ``a`` and the second-to-last of
    ``b`` (NumPy's own loop there: a zero plus the products, like ``matmul``)."""
    na, nb = _operands(a, b)
    if na.ndim <= 2 and nb.ndim <= 2:
        return _blas_product(na, nb)
    if na.ndim == 0 or nb.ndim == 0:  # NumPy's N-D path: a product with the scalar
        return multiply(na, nb)
    return _tensordot(na, nb, ([na.ndim - 1], [builtins.max(nb.ndim - 2, 0)]), blas=False)


def vdot(a: Any, b: Any) -> Tensor:
    """``np.vdot`` for real arrays: the dot product of the flattened operands."""
    na, nb = _operands(a, b)
    return matmul(reshape(na, (-1,)), reshape(nb, (-1,)))


def inner(a: Any, b: Any) -> Tensor:
    """``np.inner``: the sum over the last axes of both operands."""
    na, nb = _operands(a, b)
    if na.ndim <= 2 and nb.ndim <= 2:  # NumPy: dot(a, b.T), its BLAS product
        flip = nb.ndim == 2 and na.ndim > 0
        return _blas_product(na, transpose(nb).node if flip else nb)
    if na.ndim == 0 or nb.ndim == 0:
        return multiply(na, nb)
    return _tensordot(na, nb, ([na.ndim - 1], [nb.ndim - 1]), blas=False)


def outer(a: Any, b: Any) -> Tensor:
    """``np.outer``: ``a.ravel()[:, None] * b.ravel()[None, :]``."""
    na, nb = _operands(a, b)
    return multiply(reshape(na, (-1, 1)), reshape(nb, (1, -1)))


def tensordot(a: Any, b: Any, axes: Any = 2) -> Tensor:
    """``np.tensordot``: contract ``axes`` of ``a`` with those of ``b`` as one product of the
    operands transposed and reshaped to 2-D (NumPy's ``dot`` of them: ``_blas_product``)."""
    na, nb = _operands(a, b)
    return _tensordot(na, nb, axes, blas=True)


def _tensordot(na: Node, nb: Node, axes: Any, blas: bool) -> Tensor:
    """``tensordot`` of two nodes; ``blas``: the 2-D product is NumPy's ``dot`` (else
    ``matmul``, NumPy's N-D loop)."""
    if isinstance(axes, (int, np.integer)):
        k = int(axes)
        ax_a, ax_b = list(range(na.ndim - k, na.ndim)), list(range(k))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a = [int(i) % builtins.max(na.ndim, 1) for i in ax_a]
    ax_b = [int(i) % builtins.max(nb.ndim, 1) for i in ax_b]
    if len(ax_a) != len(ax_b) or builtins.any(na.shape[i] != nb.shape[j]
                                              for i, j in zip(ax_a, ax_b)):
        raise ShapeError(f"tensordot: axes {ax_a} of {fmt_shape(na.shape)} and {ax_b} of "
                         f"{fmt_shape(nb.shape)} differ (at {user_location()})")
    free_a = [i for i in range(na.ndim) if i not in ax_a]
    free_b = [i for i in range(nb.ndim) if i not in ax_b]
    sa = _concrete(na.shape, "np.tensordot")
    sb = _concrete(nb.shape, "np.tensordot")
    k = math.prod(sa[i] for i in ax_a)
    lhs = reshape(transpose(na, free_a + ax_a), (math.prod(sa[i] for i in free_a), k))
    rhs = reshape(transpose(nb, ax_b + free_b), (k, math.prod(sb[i] for i in free_b)))
    out = _blas_product(lhs.node, rhs.node) if blas else matmul(lhs, rhs)
    return reshape(out, tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


def _eye_mask(n: int, m: int, k: int) -> Node:
    return constant_node(np.eye(n, m, k, dtype=bool), "bool")


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """``np.trace``: the sum of the diagonal, as ``sum(where(eye, a, 0))`` over the two axes
    (exact: off-diagonal inf or NaN does not leak in)."""
    node = to_node(a)
    if node.ndim < 2:
        raise ShapeError(f"np.trace needs at least 2 dims, got shape {fmt_shape(node.shape)} "
                         f"(at {user_location()})")
    ax1, ax2 = (int(axis1) % node.ndim, int(axis2) % node.ndim)
    if (node.op == "matmul" and node.ndim == 2 and (ax1, ax2) == (0, 1)
            and static_int(offset, "np.trace offset") == 0
            and all(i.ndim == 2 for i in node.inputs)
            and node.inputs[0].shape == node.inputs[1].shape[::-1]):
        # (kernels) trace(A @ B) = sum(A * B.T): the diagonal only, n*k products instead
        # of the n*n*k of the whole product (every entry of A and B still takes part)
        a, b = node.inputs
        return sum(multiply(a, transpose(b, (1, 0))), axis=(0, 1))
    rest = [i for i in range(node.ndim) if i not in (ax1, ax2)]
    moved = transpose(node, rest + [ax1, ax2])
    n, m = _concrete((node.shape[ax1], node.shape[ax2]), "np.trace")
    picked = where(_eye_mask(n, m, static_int(offset, "np.trace offset")), moved, -0.0)
    return sum(picked, axis=(-2, -1))


def diag(v: Any, k: int = 0) -> Tensor:
    """``np.diag``: of a 1-D array (``k=0``) the square matrix with ``v`` on its diagonal,
    ``where(eye, v[:, None], 0)``; of a 2-D array its diagonal (see ``diagonal``). An
    off-centre diagonal matrix needs a pad op the IR does not have yet."""
    node = to_node(v)
    if node.ndim == 2:
        return diagonal(node, k)
    if node.ndim != 1:
        raise ValueError("Input must be 1- or 2-d.")
    if static_int(k, "np.diag k") != 0:
        raise unsupported(f"np.diag(v, k={k}) of a 1-D array", "an off-centre diagonal needs "
                          "a pad op")
    (n,) = _concrete(node.shape, "np.diag")
    col = broadcast_to(reshape(node, (n, 1)), (n, n))
    return where(_eye_mask(n, n, 0), col, 0.0)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """``np.diagonal`` of a 2-D array (any ``offset``): a strided slice of the flattened
    array, so every value and zero sign is NumPy's."""
    node = to_node(a)
    if node.ndim != 2 or sorted((int(axis1) % 2, int(axis2) % 2)) != [0, 1]:
        raise unsupported("np.diagonal of an array with more than 2 dims",
                          "it needs a gather op")
    if int(axis1) % 2 == 1:
        node = transpose(node).node
    k = static_int(offset, "np.diagonal offset")
    from .indexing import same_int

    return same_int(a, _diagonal_of_last_two(node, k, "np.diagonal"))


def _diagonal_of_last_two(node: Node, k: int, what: str) -> Tensor:
    """The ``k``-th diagonal of the last two axes, as NumPy's view gives it (every value
    and zero sign kept): the two axes flattened, then one strided slice."""
    from .indexing import index

    *rest, n, m = node.shape
    n, m = _concrete((n, m), what)
    start = k if k >= 0 else -k * m
    length = builtins.max(0, builtins.min(n, m - k) if k >= 0 else builtins.min(n + k, m))
    flat = reshape(node, tuple(rest) + (n * m,))
    if length == 0:
        key = (Ellipsis, slice(0, 0))
    else:
        key = (Ellipsis, slice(start, start + (length - 1) * (m + 1) + 1, m + 1))
    return index(flat, key)


def _tri(name: str, upper: bool):
    def fn(m: Any, k: int = 0) -> Tensor:
        node = to_node(m)
        if node.ndim < 2:
            raise unsupported(f"np.{name} of a 1-D array")
        n, cols = _concrete(node.shape[-2:], f"np.{name}")
        k = static_int(k, f"np.{name} k")
        mask = np.triu(np.ones((n, cols), bool), k) if upper else np.tril(
            np.ones((n, cols), bool), k)
        return where(constant_node(mask, "bool"), node, 0.0)

    fn.__name__ = name
    fn.__doc__ = (f"``np.{name}``: ``where(mask, m, 0)`` with the constant "
                  f"{'upper' if upper else 'lower'}-triangle mask.")
    return fn


triu, tril = _tri("triu", True), _tri("tril", False)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``np.linalg.norm`` for vector norms (any ``ord`` but NumPy's matrix-only ones) and
    the matrix norms ``'fro'``, 1, -1, inf, -inf. ``'nuc'`` and 2 need an SVD."""
    node = to_node(x)
    if axis is None:
        axes = tuple(range(node.ndim))
        if ord is not None and node.ndim > 2:
            raise ValueError("Improper number of dimensions to norm.")
        if ord is None:
            return sqrt(sum(square(node), axis=None, keepdims=keepdims))
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    axes = tuple(int(a) % builtins.max(node.ndim, 1) for a in axes)
    if len(axes) == 1:
        return _vector_norm(node, ord, axes, keepdims)
    if len(axes) == 2:
        return _matrix_norm(node, ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _vector_norm(node: Node, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Tensor:
    if ord is None or ord == 2:
        return sqrt(sum(square(node), axis=axes, keepdims=keepdims))
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    if ord == np.inf:
        return max(abs(node), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return min(abs(node), axis=axes, keepdims=keepdims)
    if ord == 0:
        return cast(_nonzero_count(node, axis=axes, keepdims=keepdims), node.dtype)
    if ord == 1:
        return sum(abs(node), axis=axes, keepdims=keepdims)
    p = float(ord)
    return power(sum(power(abs(node), p), axis=axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(node: Node, ord: Any, axes: tuple[int, ...], keepdims: bool) -> Tensor:
    row, col = axes
    if ord is None or ord == "fro":
        return sqrt(sum(square(node), axis=axes, keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        # 1: max over columns of the column sums (sum over rows); inf: over rows
        summed_axis, then_axis = (row, col) if ord in (1, -1) else (col, row)
        sums = sum(abs(node), axis=summed_axis, keepdims=True)
        pick = max if ord in (1, np.inf) else min
        out = pick(sums, axis=then_axis, keepdims=True)
        return out if keepdims else squeeze(out, axis=axes)
    raise unsupported(f"np.linalg.norm(ord={ord!r}) of a matrix",
                      "it needs singular values (an SVD op)")


def einsum(subscripts: str, *operands: Any) -> Tensor:
    """``np.einsum`` for explicit or implicit subscripts (``...`` included): operands are
    combined left to right; a pair that contracts indices becomes one (batched) ``matmul``,
    otherwise a broadcast multiply; indices used nowhere later are summed first. A repeated
    index inside one operand (a diagonal) takes the diagonal with an ``eye`` mask."""
    if not isinstance(subscripts, str):
        raise unsupported("np.einsum with interleaved (operand, sublist) arguments")
    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"np.einsum: {len(terms)} subscripts for {len(operands)} operands")
    nodes = _operands(*operands)
    ell = ""
    if "..." in spec:
        terms, nodes, ell = _einsum_ellipsis(terms, nodes)
        out = out.replace("...", ell)
    if not builtins.all(c.isalpha() for c in "".join(terms) + out):
        raise ValueError(f"np.einsum: invalid subscripts {subscripts!r}")
    if not arrow:  # implicit mode: broadcast dims, then indices used once, alphabetically
        letters = "".join(terms)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell)
                                   if letters.count(c) == 1))
    sizes: dict[str, Any] = {}
    items: list[tuple[Node, str]] = []
    for term, node in zip(terms, nodes):
        if len(term) != node.ndim:
            raise ShapeError(f"np.einsum: subscripts {term!r} for an operand of shape "
                             f"{fmt_shape(node.shape)} (at {user_location()})")
        for c, d in zip(term, node.shape):
            if sizes.setdefault(c, d) != d:
                if d == 1:  # a size-1 dim broadcasts, as in NumPy's einsum
                    continue
                if sizes[c] != 1:
                    raise ShapeError(f"np.einsum: index {c!r} has sizes {sizes[c]} and {d} "
                                     f"(at {user_location()})")
                sizes[c] = d
    for i, (term, node) in enumerate(zip(terms, nodes)):
        want = tuple(sizes[c] for c in term)
        if want != tuple(node.shape):
            nodes[i] = broadcast_to(node, want).node
    for term, node in zip(terms, nodes):
        items.append(_einsum_diagonal(node, term))
    for i, (node, term) in enumerate(items):  # sum indices no other term or output needs
        later = out + "".join(t for j, (_, t) in enumerate(items) if j != i)
        items[i] = _einsum_sum(node, term, later)
    node, term = items[0]
    for k in range(1, len(items)):
        keep = out + "".join(t for _, t in items[k + 1:])
        node, term = _einsum_pair(node, term, *items[k], keep)
    node, term = _einsum_sum(node, term, out)
    result = transpose(node, [term.index(c) for c in out])
    summed = set("".join(terms)) - set(out)
    if (len(items) > 1 or summed) and result.node.dtype in ("float32", "float64"):
        # NumPy's einsum adds products and sums into a zeroed output: -0.0 comes out +0.0
        # (a single operand without a sum is a view and keeps it)
        result = add(result, constant_node(0.0, result.node.dtype))
    return result


def _einsum_ellipsis(terms: list[str], nodes: list[Node]) -> tuple[list[str], list[Node], str]:
    """Replace ``...`` by fresh upper-case indices for the broadcast dims (aligned from the
    right, size-1 dims broadcast to the others)."""
    used = set("".join(terms))
    fresh = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in used]
    counts = [n.ndim - len(t.replace("...", "")) if "..." in t else 0
              for t, n in zip(terms, nodes)]
    width = builtins.max(counts, default=0)
    ell = "".join(fresh[:width])
    shape = broadcast_shapes_of([n.shape[t.index("..."):t.index("...") + k] if "..." in t
                                 else () for t, n, k in zip(terms, nodes, counts)])
    new_terms, new_nodes = [], []
    for t, n, k in zip(terms, nodes, counts):
        if "..." not in t:
            new_terms.append(t)
            new_nodes.append(n)
            continue
        i = t.index("...")
        letters = ell[width - k:]
        want = n.shape[:i] + shape[width - k:] + n.shape[i + k:]
        if want != n.shape:
            n = broadcast_to(n, want).node
        new_terms.append(t[:i] + letters + t[i + 3:])
        new_nodes.append(n)
    return new_terms, new_nodes, ell


def broadcast_shapes_of(shapes: Sequence[tuple]) -> tuple:
    """NumPy's broadcast of ``shapes`` (ShapeError naming einsum when they do not fit)."""
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except (ValueError, TypeError):
        raise ShapeError(f"np.einsum: the '...' dims {list(shapes)} do not broadcast (at "
                         f"{user_location()})") from None


def _einsum_diagonal(node: Node, term: str) -> tuple[Node, str]:
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        i, j = term.index(c), term.index(c, term.index(c) + 1)
        rest = [k for k in range(node.ndim) if k not in (i, j)]
        moved = transpose(node, rest + [i, j]).node
        picked = _diagonal_of_last_two(moved, 0, "np.einsum with a repeated index").node
        node, term = picked, "".join(term[k] for k in rest) + c
    return node, term


def _einsum_sum(node: Node, term: str, keep: str) -> tuple[Node, str]:
    drop = tuple(i for i, c in enumerate(term) if c not in keep)
    if not drop:
        return node, term
    return sum(node, axis=drop).node, "".join(c for c in term if c in keep)


def _einsum_pair(a: Node, ta: str, b: Node, tb: str, keep: str) -> tuple[Node, str]:
    contracted = [c for c in ta if c in tb and c not in keep]
    if not contracted:  # no shared summed index: a broadcast multiply
        union = ta + "".join(c for c in tb if c not in ta)
        xa = _einsum_align(a, ta, union)
        xb = _einsum_align(b, tb, union)
        return multiply(xa, xb).node, union
    batch = [c for c in ta if c in tb and c in keep]
    free_a = [c for c in ta if c not in tb]
    free_b = [c for c in tb if c not in ta]
    sizes = dict(zip(ta, a.shape)) | dict(zip(tb, b.shape))
    dims = {c: _concrete((sizes[c],), "np.einsum")[0] for c in sizes}
    fa, fb = math.prod(dims[c] for c in free_a), math.prod(dims[c] for c in free_b)
    k = math.prod(dims[c] for c in contracted)
    bshape = tuple(dims[c] for c in batch)
    lhs = reshape(transpose(a, [ta.index(c) for c in batch + free_a + contracted]),
                  bshape + (fa, k))
    rhs = reshape(transpose(b, [tb.index(c) for c in batch + contracted + free_b]),
                  bshape + (k, fb))
    prod_ = matmul(lhs, rhs)
    result = reshape(prod_, bshape + tuple(dims[c] for c in free_a + free_b))
    return result.node, "".join(batch + free_a + free_b)


def _einsum_align(node: Node, term: str, union: str) -> Tensor:
    """``node`` (indexed by ``term``) transposed to ``union``'s order with size-1 axes for
    the indices it lacks."""
    order = [c for c in union if c in term]
    moved = transpose(node, [term.index(c) for c in order])
    shape = tuple(node.shape[term.index(c)] if c in term else 1 for c in union)
    return reshape(moved, shape)
