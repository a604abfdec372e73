"""An adversarial second differential fuzzer (issues #28, #29), independent of ``difffuzz``.

``difffuzz`` draws short float programs around the rewrites the issue named. This one draws
what a user's code looks like in the large: chains of 10-30 NumPy calls over inputs of
mixed ranks and dtypes (float32 beside float64, int32/int64, bool), broadcasting between
ranks, ``keepdims`` reductions on every axis (empty and size-1 axes included), ``where``
over NaN-producing conditions, Python-scalar constants on either side (ints, floats that
round to inf or 0 in float32, -0.0), slicing, ``concatenate``, ``cumsum``, ``einsum``,
``matmul``, casts and ``scipy.special`` functions; inputs mix ordinary values with +-0,
+-inf, NaN, subnormals and +-max.

A ``Program`` is data (``Op`` records interpreted by ``Program.run``), so the same code
runs on NumPy arrays (the reference) and on traced values (``et.jit``); ``Program.source``
prints it as NumPy code for a report. ``check`` runs it through ``et.jit`` on each backend
and IEEE mode and judges each output by ``docs/soundness.md`` (``check.judge`` with the
mpmath oracle of the traced graph): integer outputs exactly; ``strict`` bit for bit on the
NumPy backend; ``fast`` only shapes, dtypes, and that nothing raises. It also flags an
exception that is not the project's own (``EqsatError``), an optimizer fallback warning,
and an optimization whose CPU time exceeds ``1.5 s + 0.5 s`` per budgeted second.

Everything is seeded: ``random_program(rng)`` and ``random_inputs`` reproduce from a seed;
``shrink`` cuts a failing program to the smallest prefix and simplest inputs that fail.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .advprograms import (
    BINARY,
    COMPARE,
    FLOAT_CONSTS,
    FLOATS,
    INT_BINARY,
    INT_CONSTS,
    MODES,
    PREDICATES,
    REDUCE,
    REDUCED,
    UNARY,
    Op,
    Program,
    _apply,
    rule_forms,
)

# -- generation ---------------------------------------------------------------------------


@dataclass
class _Gen:
    rng: np.random.Generator
    steps: list[Op] = field(default_factory=list)
    meta: list[tuple[tuple[int, ...], str]] = field(default_factory=list)  # shape, dtype

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.rng.integers(0, len(seq)))]

    def pick(self, want: str = "num") -> int | None:
        """A recent value (later ones more often) of a kind: num (float or int), float,
        int, bool, any."""
        ok = [i for i, (_, d) in enumerate(self.meta) if
              want == "any" or (want == "bool" and d == "bool")
              or (want == "float" and d in FLOATS + ("pyfloat",))
              or (want == "int" and d in ("int32", "int64"))
              or (want == "num" and d != "bool")]
        if not ok:
            return None
        w = np.arange(1, len(ok) + 1, dtype=float) ** 1.5
        return ok[int(self.rng.choice(len(ok), p=w / w.sum()))]

    def add(self, op: Op, probe: Callable[[], Any]) -> bool:
        """Append ``op`` if NumPy accepts it on zero arrays of the operand shapes (its
        result shape and dtype are then NumPy's)."""
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = np.asarray(probe())
            except Exception:
                return False
        if out.dtype.name not in FLOATS + ("int32", "int64", "bool") or out.size > 4096:
            return False
        self.steps.append(op)
        self.meta.append((out.shape, out.dtype.name))
        return True


def _dummy(meta: tuple[tuple[int, ...], str]) -> Any:
    return 1.5 if meta[1] == "pyfloat" else np.ones(meta[0], dtype=meta[1])


def random_program(rng: np.random.Generator, min_ops: int = 10, max_ops: int = 30) -> Program:
    """A random NumPy program of ``min_ops``..``max_ops`` calls (see the module docstring)."""
    g = _Gen(rng)
    main = g.choice(FLOATS)
    rank = int(rng.integers(0, 4))
    base = tuple(int(g.choice((0, 1, 2, 3, 3, 4))) if rng.random() < 0.08 else
                 int(g.choice((1, 2, 3, 4))) for _ in range(rank))
    n_in = int(rng.integers(1, 5))
    for k in range(n_in):
        r = int(rng.integers(0, len(base) + 1))
        shape = tuple(1 if rng.random() < 0.25 else d for d in base[len(base) - r:])
        u = rng.random()
        dtype = (main if k == 0 or u < 0.5 else
                 ("float32" if main == "float64" else "float64") if u < 0.65 else
                 g.choice(("int32", "int64")) if u < 0.8 else "bool" if u < 0.9 else
                 "pyfloat")  # a Python float argument: weakly typed, like NumPy 2's
        shape = () if dtype == "pyfloat" else shape
        g.steps.append(Op("input", f"x{k}", (), (("shape", shape), ("dtype", dtype))))
        g.meta.append((shape, dtype))
    target = int(rng.integers(min_ops, max_ops + 1))
    tries = 0
    while len(g.steps) - n_in < target and tries < 20 * target:
        tries += 1
        _step(g)
    last = len(g.steps) - 1
    outs = [last]
    if rng.random() < 0.4:
        outs.insert(0, int(rng.integers(n_in, last + 1)) if last >= n_in else last)
    return Program(tuple(g.steps), tuple(dict.fromkeys(outs)))


def _chain(g: _Gen, a: int, ops: Sequence[tuple], b: int | None = None) -> None:
    """Append ops, each applied to the previous result (``"@"`` in args: that result;
    ``"a"``: the value ``a``; ``"b"``: the value ``b``, else ``a``; ``("#", k)``: the result
    of the ``k``-th op; a reduction's ``axis="?"``: an axis of ``a``, or None)."""
    cur, made = a, []
    nd = len(g.meta[a][0])
    axis = int(g.rng.integers(-nd, nd)) if nd else None
    for kind, name, args, params in ops:
        idx = tuple(cur if x == "@" else a if x == "a" else (a if b is None else b)
                    if x == "b" else made[x[1]] if isinstance(x, tuple) else x for x in args)
        params = tuple((k, axis if v == "?" else v) for k, v in params)
        op = Op(kind, name, idx, params)
        vals = [_dummy(m) for m in g.meta]
        if not g.add(op, lambda op=op, vals=vals: _apply(op, vals)):
            return
        cur = len(g.steps) - 1
        made.append(cur)


# Forms around rounding and reductions that no rule's left side spells out: signed zero,
# square/sqrt round trips, centring by a keepdims reduction, softmax's numerator,
# scalings that under- or overflow on the way, and self-applied binary ops.
_U = (lambda n: ("unary", n, ("@",), ()))
_B = (lambda n, x, y: ("binary", n, (x, y), ()))


def _c(n: str, k: float, left: bool = False) -> tuple:
    return ("const", n, ("@",), (("c", k), ("left", left), ("operator", False)))


_ROUNDING_FORMS = (
    [_c("add", -0.0)], [_U("square"), _U("sqrt")], [_U("sqrt"), _U("square")],
    [_U("absolute"), _U("sqrt"), _U("square")],
    [_U("negative"), _U("exp"), _c("add", 1.0), _c("divide", 1.0, True)],
    [("reduce", "max", ("@",), REDUCED), _B("subtract", "a", "@"), _U("exp")],
    [("reduce", "mean", ("@",), REDUCED), _B("subtract", "a", "@")],
    [_U("exp"), ("reduce", "sum", ("@",), REDUCED), _U("log")],
    [_c("multiply", 3.0), _c("divide", 3.0)], [_c("multiply", 1e-300),
                                               ("reduce", "sum", ("@",), REDUCED)],
    [_c("divide", 2.0), _c("multiply", 2.0)], [_U("sin"), _U("square"), _B("add", "@", "@")],
    [_B("multiply", "a", "a"), _B("subtract", "@", "a")],
    [_c("maximum", 0.0), _c("minimum", 0.0)], [_c("hypot", 0.0)], [_B("logaddexp", "a", "a")],
    [_c("multiply", 2.0), _c("subtract", 1.0), _U("negative")],
)
# Rule-targeted forms of at most this many calls (a program may end that far past 30).
_MAX_FORM = 4


@functools.cache
def _rule_forms() -> tuple[list[tuple], ...]:
    return tuple(f for f in rule_forms() if len(f) <= _MAX_FORM)


def _pattern(g: _Gen) -> None:
    """A form the rewrite rules target (a left side of a shipped rule: identities,
    cancellations, stable forms, inverse pairs, logsumexp; two times in three) or one
    of ``_ROUNDING_FORMS``, on a random float value (and a second one where the rule has
    two variables: the same value half the time)."""
    a = g.pick("float")
    if a is None:
        return
    forms = _rule_forms() if g.rng.random() < 2 / 3 else _ROUNDING_FORMS
    form = forms[int(g.rng.integers(0, len(forms)))]
    b = g.pick("float") if g.rng.random() < 0.5 else a
    _chain(g, a, form, b)


def _step(g: _Gen) -> None:
    rng = g.rng
    if rng.random() < 0.25:
        _pattern(g)
        return
    r = rng.random()
    vals = [_dummy(m) for m in g.meta]
    if r < 0.2:
        a = g.pick("float") if rng.random() < 0.85 else g.pick("num")
        if a is None:
            return
        name = g.choice(list(UNARY))
        g.add(Op("unary", name, (a,)), lambda: UNARY[name][0](vals[a]))
    elif r < 0.38:
        a, b = g.pick("num"), g.pick("num")
        ints = g.meta[a][1] in ("int32", "int64") and g.meta[b][1] in ("int32", "int64")
        name = g.choice(INT_BINARY if ints else list(BINARY))
        g.add(Op("binary", name, (a, b)), lambda: BINARY[name][0](vals[a], vals[b]))
    elif r < 0.55:
        a = g.pick("num")
        is_int = g.meta[a][1] in ("int32", "int64")
        name = g.choice(("add", "subtract", "multiply", "maximum", "minimum") if is_int
                        else ("add", "subtract", "multiply", "divide", "power", "maximum",
                              "minimum", "hypot", "arctan2"))
        if name == "power":
            c: Any = g.choice((0.5, 2.0, -1.0, 2, 3, -0.5, 1.0, 0.0, 1.5))
        else:
            c = g.choice(INT_CONSTS if is_int or rng.random() < 0.25 else FLOAT_CONSTS)
        left = bool(rng.random() < 0.35) and name != "power"
        oper = name in ("add", "subtract", "multiply", "divide", "power") and rng.random() < 0.6 \
            and g.meta[a][1] != "pyfloat"  # Python arithmetic on a Python float is not NumPy's
        params = (("c", c), ("left", left), ("operator", oper))
        op = Op("const", name, (a,), params)
        g.add(op, lambda: _apply(op, vals))
    elif r < 0.64:
        if rng.random() < 0.35:
            a = g.pick("float")
            if a is None:
                return
            name = g.choice(list(PREDICATES))
            g.add(Op("predicate", name, (a,)), lambda: PREDICATES[name](vals[a]))
        else:
            a, b = g.pick("num"), g.pick("num")
            name = g.choice(list(COMPARE))
            g.add(Op("compare", name, (a, b)), lambda: COMPARE[name](vals[a], vals[b]))
    elif r < 0.68:
        a, b = g.pick("bool"), g.pick("bool")
        if a is None:
            return
        name = g.choice(("and", "or", "not"))
        args = (a,) if name == "not" else (a, b)
        op = Op("logic", name, args)
        g.add(op, lambda: _apply(op, vals))
    elif r < 0.78:
        c = g.pick("bool")
        x, y = g.pick("num"), g.pick("num")
        if c is None:
            return
        params: tuple = ()
        u = rng.random()
        if u < 0.2:
            params = (("x", g.choice((0.0, -0.0, 1.0, math.nan if rng.random() < 0.3 else 2.0))),)
            args = (c, y)
        elif u < 0.35:
            params = (("y", g.choice((0.0, 1.0, -1.0))),)
            args = (c, x)
        else:
            args = (c, x, y)
        op = Op("where", "", args, params)
        g.add(op, lambda: _apply(op, vals))
    elif r < 0.87:
        a = g.pick("num") if rng.random() < 0.9 else g.pick("any")
        nd = len(g.meta[a][0])
        name = g.choice(list(REDUCE))
        u = rng.random()
        axis: Any = (None if u < 0.3 or nd == 0 else int(rng.integers(-nd, nd)) if u < 0.85
                     else tuple(sorted({int(i) for i in rng.integers(0, nd, 2)})))
        keep = bool(rng.random() < 0.5)
        if name in ("max", "min") and 0 in g.meta[a][0]:
            return  # NumPy raises on an empty max/min
        op = Op("reduce", name, (a,), (("axis", axis), ("keepdims", keep)))
        g.add(op, lambda: _apply(op, vals))
    elif r < 0.9:
        a = g.pick("num")
        nd = len(g.meta[a][0])
        axis = None if nd == 0 or rng.random() < 0.2 else int(rng.integers(-nd, nd))
        op = Op("cumsum", "", (a,), (("axis", axis),))
        g.add(op, lambda: _apply(op, vals))
    elif r < 0.94:
        a = g.pick("num")
        shape = g.meta[a][0]
        if not shape:
            return
        ax = int(rng.integers(0, len(shape)))
        choices = [slice(1, None), slice(None, None, -1), slice(0, 1), slice(None, -1),
                   slice(None, None, 2), -1, 0]
        idx = g.choice(choices)
        index = (Ellipsis, idx) if ax == len(shape) - 1 and rng.random() < 0.5 else \
            (slice(None),) * ax + (idx,)
        if isinstance(idx, int) and shape[ax] == 0:
            return
        op = Op("slice", "", (a,), (("index", index),))
        g.add(op, lambda: _apply(op, vals))
    elif r < 0.96:
        a = g.pick("num")
        shape = g.meta[a][0]
        if not shape:
            return
        same = [i for i, (s, d) in enumerate(g.meta) if len(s) == len(shape) and d != "bool"]
        b = g.choice(same)
        ax = int(rng.integers(0, len(shape)))
        op = Op("concat", "", (a, b), (("axis", ax),))
        g.add(op, lambda: _apply(op, vals))
    elif r < 0.985:
        a, b = g.pick("num"), g.pick("num")
        sa, sb = g.meta[a][0], g.meta[b][0]
        if len(sa) == 2 and len(sb) == 2 and rng.random() < 0.5:
            sub = g.choice(("ij,jk->ik", "ij,ij->i", "ij,ij->j", "ij->ji", "ij->"))
        elif len(sa) == 1 and len(sb) == 1:
            sub = g.choice(("i,i->", "i,j->ij", "i->"))
        elif len(sa) == 2 and len(sb) == 1:
            sub = g.choice(("ij,j->i", "ii->i", "ij->j"))
        else:
            if 1 <= len(sa) <= 3 and 1 <= len(sb) <= 3 and rng.random() < 0.6:
                op = Op("matmul", "", (a, b))
                g.add(op, lambda: _apply(op, vals))
            return
        args = (a,) if "," not in sub else (a, b)
        op = Op("einsum", sub, args)
        g.add(op, lambda: _apply(op, vals))
    else:
        a = g.pick("num")
        if rng.random() < 0.3 and len(g.meta[a][0]) >= 2:
            op = Op("transpose", "", (a,))
        else:
            op = Op("astype", g.choice(FLOATS), (a,))
        g.add(op, lambda: _apply(op, vals))


def _edge(dtype: str, strict: bool) -> np.ndarray:
    f = np.finfo(dtype)
    v = [0.0, -0.0, float(f.tiny), -float(f.tiny), float(f.smallest_subnormal),
         -float(f.smallest_subnormal), float(f.max), -float(f.max), 1.0, -1.0, 0.5,
         float(f.eps), 1e-310 if dtype == "float64" else 1e-40]
    if strict:
        v += [math.inf, -math.inf, math.nan]
    return np.array(v).astype(dtype)


def random_inputs(program: Program, rng: np.random.Generator, strict: bool
                  ) -> list[np.ndarray]:
    """Inputs: ordinary values mixed with edge values (non-finite ones when ``strict``)."""
    out = []
    for _, shape, dtype in program.inputs:
        n = math.prod(shape)
        if dtype == "pyfloat":
            edge = _edge("float64", strict)
            out.append(float(edge[rng.integers(0, len(edge))]) if rng.random() < 0.4
                       else float(rng.normal(0, 3)))
            continue
        if dtype == "bool":
            arr = rng.random(n) < 0.5
        elif dtype in ("int32", "int64"):
            arr = np.where(rng.random(n) < 0.8, rng.integers(-6, 7, n),
                           rng.integers(-40000, 40000, n)).astype(dtype)
        else:
            edge = _edge(dtype, strict)
            kind = rng.random(n)
            big = float(np.finfo(dtype).max)  # float32 holds no 1e39: finite inputs stay so
            ordinary = np.clip(np.where(kind < 0.5, rng.normal(0, 2, n),
                                        np.sign(rng.normal(size=n)) * 10.0 ** rng.uniform(
                                            -40, 40, n)), -big, big).astype(dtype)
            arr = np.where(kind < 0.75, ordinary, edge[rng.integers(0, len(edge), n)])
            arr = arr.astype(dtype)
        out.append(np.asarray(arr).reshape(shape))
    return out


# -- checking -----------------------------------------------------------------------------


@dataclass
class Failure:
    """A program whose jit result breaks the contract, raises, falls back or overruns."""

    program: Program
    arrays: list[np.ndarray]
    backend: str
    ieee: str
    message: str

    def __str__(self) -> str:
        ins = "\n".join(f"  {n} = {a!r}" if isinstance(a, float) else
                        f"  {n} = np.array({a.tolist()!r}, dtype=np.{a.dtype})"
                        for (n, _, _), a in zip(self.program.inputs, self.arrays))
        return f"{self.backend}, ieee={self.ieee}: {self.message}\n{self.program.source()}\n{ins}"


BUDGET_SECONDS = 2.0  # the default Budget; it must hold within 1.5 s + 0.5 s


def run_one(program: Program, arrays: list[np.ndarray], backend: str, ieee: str) -> str | None:
    """Run ``program`` through ``et.jit``; None when it keeps the contract, else why not."""
    import eqsat_tensor as et
    from eqsat_tensor.errors import EqsatError

    want = program.reference(arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        t0 = time.process_time()
        try:
            with np.errstate(all="ignore"):
                fn = et.jit(program.function(), backend=backend, ieee=ieee, tiered=False)
                got = fn(*arrays)
        except RuntimeWarning as w:
            return f"warning {w}"
        except EqsatError as exc:
            return f"raised {type(exc).__name__}: {exc}"
        except Exception as exc:  # a crash: not the project's own error
            return f"crashed {type(exc).__name__}: {exc}"
        cpu = time.process_time() - t0
    if backend == "numpy" and cpu > 1.5 * BUDGET_SECONDS + 0.5 + 1.0:  # + trace/lowering
        return f"over budget: {cpu:.2f} s CPU"
    got = got if isinstance(got, tuple) else (got,)
    return judge_outputs(program, arrays, want, got, backend, ieee)


def judge_outputs(program: Program, arrays: list[np.ndarray], want: list[np.ndarray],
                  got: Sequence[Any], backend: str, ieee: str) -> str | None:
    """The contract of ``ieee`` (docs/soundness.md) on each output."""
    from ..ir import Graph
    from .check.instance import exact_rounded
    from .check.judge import judge

    if len(got) != len(want):
        return f"{len(got)} outputs, NumPy {len(want)}"
    graph = None
    for i, (w, g) in enumerate(zip(want, got)):
        g = np.asarray(g)
        if g.shape != w.shape or g.dtype != w.dtype:
            return f"output {i}: shape/dtype {g.shape} {g.dtype}, NumPy {w.shape} {w.dtype}"
        if w.dtype.kind in "iu":
            if not np.array_equal(w, g):
                bad = np.flatnonzero(np.ravel(w) != np.ravel(g))[0]
                return f"output {i}: integers differ at flat {bad}: NumPy {np.ravel(w)[bad]}, " \
                       f"got {np.ravel(g)[bad]}"
            continue
        if ieee == "fast" or w.size == 0:
            continue
        # bit for bit where NumPy's own ufuncs compute both sides; SciPy's functions are
        # the library's own implementations (a few ulps, special values exact)
        tier = "strict" if ieee == "strict" and backend == "numpy" and not program.uses_scipy \
            else "finite"
        if graph is None:
            graph = _trace(program, arrays)

        def exact_fn(flat: np.ndarray, i: int = i, g: np.ndarray = g, graph: Any = graph
                     ) -> tuple:
            fallback = np.ravel(np.broadcast_to(g, want[i].shape))[flat]
            return exact_rounded(Graph(graph.outputs[i], inputs=graph.inputs), arrays,
                                 want[i].shape, flat, fallback), None

        with np.errstate(all="ignore"):
            j = judge(tier, ieee == "strict", w, g, exact_fn, accuracy_ulps=math.inf)
        if j.kind is not None:
            f = j.first()
            idx = np.unravel_index(f.flat, w.shape) if w.ndim else ()
            return (f"output {i} at {tuple(int(k) for k in idx)}: NumPy {w[idx]!r}, got "
                    f"{g[idx]!r}, exact {f.exact!r}: {f.reason}")
    return None


def _trace(program: Program, arrays: list[np.ndarray]) -> Any:
    from ..jit import JitFunction

    fn = JitFunction(program.function(), backend="numpy", optimize=False)
    return fn.trace(*arrays)


def _copy(a: Any) -> Any:
    return a.copy() if isinstance(a, np.ndarray) else a


def shrink(f: Failure) -> Failure:
    """The shortest prefix (output: its last step) that still fails, then simpler inputs."""
    prog, arrays = f.program, [_copy(a) for a in f.arrays]

    def fails(p: Program, arrs: list[np.ndarray]) -> str | None:
        try:
            return run_one(p, arrs, f.backend, f.ieee)
        except Exception:
            return None

    n_in = len(prog.inputs)
    for end in range(n_in, len(prog.steps)):
        cand = Program(prog.steps[: end + 1], (end,))
        if fails(cand, arrays):
            prog = cand
            break
    for k, arr in enumerate(arrays):
        if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
            continue
        for pos in np.ndindex(arr.shape):
            for simple in (0.0, 1.0, -1.0, 2.0):
                if arr[pos] == simple and not np.signbit(arr[pos]):
                    break
                trial = [_copy(a) for a in arrays]
                trial[k][pos] = simple
                if fails(prog, trial):
                    arrays = trial
                    break
    return Failure(prog, arrays, f.backend, f.ieee, fails(prog, arrays) or f.message)


@dataclass
class Counts:
    """What a run saw."""

    programs: int = 0
    runs: int = 0
    failures: list[Failure] = field(default_factory=list)


def combine(programs: Sequence[Program]) -> Program:
    """One program computing every output of ``programs`` (inputs renamed ``p{k}_x{i}``)."""
    steps: list[Op] = []
    outputs: list[int] = []
    for k, p in enumerate(programs):
        off = len(steps)
        for s in p.steps:
            if s.kind == "input":
                steps.append(Op("input", f"p{k}_{s.name}", (), s.params))
            else:
                steps.append(Op(s.kind, s.name, tuple(i + off for i in s.args), s.params))
        outputs += [i + off for i in p.outputs]
    return Program(tuple(steps), tuple(outputs))


def fuzz(seed: int, n: int, backends: Sequence[str] = ("numpy", "numba"),
         modes: Sequence[str] = MODES, do_shrink: bool = True, batch: int = 1,
         on_failure: Callable[[Failure], None] | None = None) -> Counts:
    """Run ``n`` programs from ``seed`` on every backend and mode; ``batch`` programs are
    traced as one function (a failing batch is re-run program by program)."""
    rng = np.random.default_rng(seed)
    counts = Counts()
    done = 0
    while done < n:
        progs = [random_program(rng) for _ in range(min(batch, n - done))]
        data = [{m: random_inputs(p, rng, m == "strict") for m in modes} for p in progs]
        done += len(progs)
        counts.programs += len(progs)
        big = combine(progs) if len(progs) > 1 else progs[0]
        for mode in modes:
            for backend in backends:
                counts.runs += len(progs)
                arrays = [a for d in data for a in d[mode]]
                msg = run_one(big, arrays, backend, mode)
                if msg is None:
                    continue
                for p, d in zip(progs, data):
                    one = run_one(p, d[mode], backend, mode) if len(progs) > 1 else msg
                    if one is None:
                        continue
                    fail = Failure(p, d[mode], backend, mode, one)
                    fail = shrink(fail) if do_shrink else fail
                    counts.failures.append(fail)
                    if on_failure:
                        on_failure(fail)
    return counts
