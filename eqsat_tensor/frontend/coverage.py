"""Render ``docs/numpy_coverage.md``: every NumPy / SciPy function, ufunc, ``ndarray`` method
and operator the tracer covers, read from the dispatch tables (so the page cannot drift).

``python -m eqsat_tensor.frontend.coverage > docs/numpy_coverage.md`` regenerates it; a
test checks the committed page is current.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from . import methods, numpy_dispatch
from .location import public_name

_HEADER = """# NumPy and SciPy coverage of the tracer

Generated from the dispatch tables by `python -m eqsat_tensor.frontend.coverage`
(do not edit by hand; `tests/test_numpy_coverage_doc.py` checks it is current).

Everything listed here is traced into the graph by `et.jit`, `et.grad` and friends;
anything else raises `UnsupportedOperation` naming the function as you wrote it and the
line of your code. Python floats are weak scalars (NumPy 2 rules: `float32 * 2.0` stays
float32); Python ints, bools, strings and None passed to `et.jit` are static. A 0-d result
is a NumPy scalar, as in NumPy. `x[mask]` (a bool mask of `x`'s shape) is traced where it
only feeds elementwise ops and full reductions (`np.sum(x[x > 0])` becomes a masked sum);
see [tracing.md](tracing.md).
"""


def _summary(fn: Callable) -> str:
    doc = (getattr(fn, "__doc__", None) or "").strip()
    first = doc.split("\n\n")[0].replace("\n", " ")
    return " ".join(first.split()).replace("|", "\\|")


def _table(rows: Iterable[tuple[str, str]], head: tuple[str, str]) -> list[str]:
    out = [f"| {head[0]} | {head[1]} |", "|---|---|"]
    out += [f"| `{name}` | {text} |" for name, text in sorted(rows)]
    return out + [""]


def render() -> str:
    """The Markdown page."""
    import scipy.special  # noqa: F401  (so scipy ufunc names resolve)

    lines = [_HEADER]
    lines += ["## NumPy ufuncs", ""]
    lines += _table(((public_name(u), _summary(h)) for u, h in numpy_dispatch.UFUNCS.items()),
                    ("ufunc", "traced as"))
    lines += ["Reductions `ufunc.reduce`: " + ", ".join(
        f"`{public_name(u)}.reduce`" for u in numpy_dispatch.UFUNC_REDUCE) + "; `outer` of "
        "every binary ufunc above.", ""]
    lines += ["## NumPy functions", ""]
    lines += _table(((public_name(f), _summary(h)) for f, h in numpy_dispatch.FUNCTIONS.items()),
                    ("function", "traced as"))
    lines += ["## scipy.special", ""]
    rows = [(f"scipy.special.{n}", _summary(h)) for n, h in numpy_dispatch.SCIPY_UFUNCS.items()]
    rows += [(f"scipy.special.{n}", _summary(h))
             for n, h in numpy_dispatch.SCIPY_FUNCTIONS.items()]
    lines += _table(rows, ("function", "traced as"))
    lines += ["SciPy functions written in Python (`logsumexp`, `softmax`, `log_softmax`) are "
              "found by identity where your function names them (module globals, "
              "`scipy.special.f`, closures, helper functions) and traced as listed.", ""]
    lines += ["## ndarray methods and attributes of a traced value", ""]
    rows = [(f"x.{n}", "method") for n in methods._METHODS if not n.startswith("_")]
    rows += [(f"x.{n}", "attribute") for n in methods._PROPERTIES]
    rows += [(f"x.{n}", "attribute") for n in ("shape", "dtype", "ndim", "size", "itemsize",
                                                "nbytes")]
    lines += _table(rows, ("member", "kind"))
    ops = sorted(n for n in methods._OPERATORS if methods._OPERATORS[n].__name__ != "method")
    lines += ["Operators: " + ", ".join(f"`{n}`" for n in ops) + " (`& | ^ ~` on bool values); "
              "indexing `x[...]` with integers, slices (steps and negative bounds included), "
              "`None`, `...` (basic indexing: a view), integer arrays and lists (a gather; "
              "constant indices are checked like NumPy's, with IndexError), and bool masks "
              "that feed reductions; iterating over the rows of an array of known length.",
              ""]
    lines += ["## Refused with a reason", ""]
    lines += _table(((f"x.{n}", why) for n, why in methods._REFUSED.items()),
                    ("member", "why"))
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
