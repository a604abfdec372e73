"""Differential fuzzing of ``et.jit`` against plain NumPy (issue #29).

``random_program(rng)`` draws a small NumPy program (a ``programs.Program``): elementwise
ops with array and Python-float operands, reductions with random axes, matmuls,
``where`` over comparisons, broadcasting, float32 or float64. ``random_inputs`` fills its
inputs with ordinary values mixed with +-0, subnormals, +-1e308 and (under
``ieee="strict"``) +-inf and NaN. ``run_batch`` traces many programs as one function,
runs it through ``et.jit`` on each backend and IEEE mode, and judges every output
against NumPy by the contract of the mode (``check.judge``, docs/soundness.md):

* ``strict``: bit for bit on the NumPy backend; on compiled backends the special values
  (NaN, +-inf, +-0 and its sign) exactly and finite values no worse than NumPy's
  against the oracle (their libm and summation order differ);
* ``finite`` (finite inputs): finite where NumPy is, NaN where the program is undefined,
  never wrong where NumPy is right;
* ``fast``: runs and keeps shapes and dtypes (its rewrites may over/underflow).

A failing program is re-run alone and shrunk (``shrink``): outputs cut to the first
failing step, inputs to the simplest values, printed as NumPy code with its inputs.
Nothing here is random without a seed: a seed reproduces a program and its inputs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..ir import OPS
from .check.judge import judge
from .programs import Program, Step

# Unary steps: every one-operand elementwise op of the op table that NumPy has as a ufunc,
# is differentiable and states the domain where it is defined (a new op is fuzzed as soon
# as it is declared).
UNARY = tuple(op for op, spec in OPS.items()
              if spec.kind == "elementwise" and spec.arity == 1 and not spec.attrs
              and spec.name_in("numpy") and spec.differentiable
              and spec.facts is not None and spec.facts.domain is not None)
BINARY = ("add", "sub", "mul", "div", "maximum", "minimum", "hypot", "logaddexp")
REDUCTIONS = ("sum", "mean", "max", "min")
CONSTS = (0.0, 1.0, 2.0, 0.5, -1.0, 3.0, 1e308, 1e-300, 1e300, -1e-40, 0.1, 1e-310, 5e-324,
          -0.5, 1e30)
POWERS = (0.5, 2.0, -1.0, 3.0, -0.5, 1.0, 0.0)
MODES = ("strict", "finite", "fast")


def _specials(dtype: str, strict: bool) -> np.ndarray:
    f = np.finfo(dtype)
    vals = [0.0, -0.0, float(f.tiny), -float(f.tiny), float(f.smallest_subnormal),
            -float(f.smallest_subnormal), float(f.max), -float(f.max), 1e308, -1e308, 1.0,
            -1.0, 2.0]
    if strict:
        vals += [math.inf, -math.inf, math.nan]
    with np.errstate(over="ignore"):
        out = np.array(vals).astype(dtype)
    return out if strict else out[np.isfinite(out)]


def random_inputs(program: Program, rng: np.random.Generator, strict: bool
                  ) -> list[np.ndarray]:
    """Input arrays for ``program``: ordinary values mixed with edge values."""
    out = []
    for _, shape, dtype in program.inputs:
        n = math.prod(shape)
        special = _specials(dtype, strict)
        kind = rng.integers(0, 4, n)
        wide = 300.0 if rng.random() < 0.5 else 30.0
        ordinary = np.where(kind == 0, rng.uniform(-3, 3, n),
                            np.where(rng.random(n) < 0.5, -1, 1)
                            * 10.0 ** rng.uniform(-wide, wide, n))
        with np.errstate(over="ignore"):
            vals = np.where(kind == 3, special[rng.integers(0, len(special), n)],
                            ordinary.astype(dtype))
        vals = np.asarray(vals, dtype=dtype)
        if not strict:  # finite inputs only (1e300 overflows float32)
            big = np.asarray(np.finfo(dtype).max, dtype=dtype)
            vals = np.where(np.isfinite(vals), vals, np.copysign(big, vals)).astype(dtype)
        out.append(vals.reshape(shape))
    return out


@dataclass
class _Gen:
    rng: np.random.Generator
    dtype: str
    steps: list[Step] = field(default_factory=list)
    shapes: list[tuple[int, ...] | None] = field(default_factory=list)  # None: bool
    vector_dot: bool = True

    def pick(self, float_only: bool = True) -> int:
        idx = [i for i, s in enumerate(self.shapes) if s is not None or not float_only]
        return idx[int(self.rng.integers(0, len(idx)))]

    def add(self, step: Step, shape: tuple[int, ...] | None) -> None:
        self.steps.append(step)
        self.shapes.append(shape)


def _broadcast(a: tuple, b: tuple) -> tuple | None:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


def random_program(rng: np.random.Generator, max_steps: int = 6, vector_dot: bool = True
                   ) -> Program:
    """A random well-typed NumPy program over one dtype (see the module docstring).
    ``vector_dot=False`` leaves out 1-D @ 1-D (a 0-d result)."""
    dtype = "float32" if rng.random() < 0.35 else "float64"
    g = _Gen(rng, dtype, vector_dot=vector_dot)
    base = tuple(int(d) for d in rng.integers(1, 4, int(rng.integers(1, 3))))
    for k in range(int(rng.integers(1, 4))):
        rank = int(rng.integers(0, len(base) + 1))
        shape = tuple(1 if rng.random() < 0.3 else d for d in base[len(base) - rank:])
        g.add(Step("input", attrs=(("name", f"x{k}"), ("shape", shape), ("dtype", dtype))), shape)
    for _ in range(int(rng.integers(1, max_steps + 1))):
        _random_step(g)
    last = len(g.steps) - 1
    while g.shapes[last] is None:
        last -= 1
    outputs = (last,) if rng.random() < 0.7 or last == 0 else (g.pick(), last)
    return Program(tuple(g.steps), tuple(dict.fromkeys(outputs)))


def _template(g: _Gen) -> None:
    """Shapes that rewrites change: a shared factor, a scalar through a reduction or a
    matmul, a regrouped product, a doubled term, x - x, powers and exp/log pairs."""
    rng = g.rng
    a, b, c = g.pick(), g.pick(), g.pick()
    sa, sb, sc = g.shapes[a], g.shapes[b], g.shapes[c]
    k = CONSTS[int(rng.integers(0, len(CONSTS)))]
    n = len(g.steps)
    t = int(rng.integers(0, 8))
    ab, ac = _broadcast(sa, sb), _broadcast(sa, sc)
    if t == 0 and ab and ac and _broadcast(ab, ac):  # a*b + a*c (or -)
        g.add(Step("mul", (a, b)), ab)
        g.add(Step("mul", (a, c)), ac)
        g.add(Step("add" if rng.random() < 0.7 else "sub", (n, n + 1)), _broadcast(ab, ac))
    elif t == 1:  # sum/mean/max(a * k)
        g.add(Step("mul", (a,), (("const", k), ("side", "right"))), sa)
        red = ("sum", "mean", "max")[int(rng.integers(0, 3))]
        g.add(Step(red, (n,), (("axis", None), ("keepdims", False))), ())
    elif t == 2 and ab:  # c * (minimum(b, a) * k)
        g.add(Step("minimum", (b, a)), ab)
        g.add(Step("mul", (n,), (("const", k), ("side", "right"))), ab)
        out = _broadcast(sc, ab)
        if out:
            g.add(Step("mul", (c, n + 1)), out)
    elif t == 3 and ab:  # a*b + a*b
        g.add(Step("mul", (a, b)), ab)
        g.add(Step("mul", (a, b)), ab)
        g.add(Step("add", (n, n + 1)), ab)
    elif t == 4:  # (a - a) * k
        g.add(Step("sub", (a, a)), sa)
        g.add(Step("mul", (n,), (("const", k), ("side", "right"))), sa)
    elif t == 5:  # sqrt(a ** 2), a ** 0.5, a ** -0.5
        e = (2.0, 0.5, -0.5)[int(rng.integers(0, 3))]
        g.add(Step("pow", (a,), (("const", e), ("side", "right"))), sa)
        if e == 2.0:
            g.add(Step("sqrt", (n,)), sa)
    elif t == 6 and ab:  # exp(a) * exp(b), log(a) - log(b)
        f, h = (("exp", "mul"), ("log", "sub"))[int(rng.integers(0, 2))]
        g.add(Step(f, (a,)), sa)
        g.add(Step(f, (b,)), sb)
        g.add(Step(h, (n, n + 1)), ab)
    elif t == 7 and 1 <= len(sa) <= 2 and 1 <= len(sb) <= 2 and sa[-1] == sb[0] and (
            g.vector_dot or not len(sa) == len(sb) == 1):  # (a * k) @ b, (-a) @ b
        if rng.random() < 0.5:
            g.add(Step("mul", (a,), (("const", k), ("side", "left"))), sa)
        else:
            g.add(Step("neg", (a,)), sa)
        g.add(Step("matmul", (n, b)), sa[:-1] + sb[1:])


def _random_step(g: _Gen) -> None:
    rng = g.rng
    if rng.random() < 0.35:
        _template(g)
        return
    r = rng.random()
    style = int(rng.integers(0, 6))
    a = g.pick()
    sa = g.shapes[a]
    if r < 0.25:
        op = UNARY[int(rng.integers(0, len(UNARY)))]
        g.add(Step(op, (a,), style=style), sa)
    elif r < 0.5:
        b = g.pick()
        out = _broadcast(sa, g.shapes[b])
        if out is None:
            return
        op = BINARY[int(rng.integers(0, len(BINARY)))]
        g.add(Step(op, (a, b), style=style), out)
    elif r < 0.68:
        op = ("add", "sub", "mul", "div", "pow", "maximum", "minimum")[int(rng.integers(0, 7))]
        c = POWERS[int(rng.integers(0, len(POWERS)))] if op == "pow" else \
            CONSTS[int(rng.integers(0, len(CONSTS)))]
        side = "right" if op == "pow" or rng.random() < 0.6 else "left"
        g.add(Step(op, (a,), (("const", c), ("side", side)), style=style), sa)
    elif r < 0.82:
        op = REDUCTIONS[int(rng.integers(0, len(REDUCTIONS)))]
        nd = len(sa)
        axis: Any = None
        if nd and rng.random() < 0.6:
            axis = int(rng.integers(-nd, nd))
        keep = bool(rng.random() < 0.3)
        if axis is None:
            shape = (1,) * nd if keep else ()
        else:
            ax = axis % nd
            shape = sa[:ax] + ((1,) if keep else ()) + sa[ax + 1:]
        g.add(Step(op, (a,), (("axis", axis), ("keepdims", keep)), style=style), shape)
    elif r < 0.9:
        b = g.pick()
        sb = g.shapes[b]
        if not (1 <= len(sa) <= 2 and 1 <= len(sb) <= 2) or sa[-1] != sb[0] or (
                not g.vector_dot and len(sa) == len(sb) == 1):
            return
        shape = sa[:-1] + sb[1:]
        g.add(Step("matmul", (a, b), style=style % 3), shape)  # @, np.matmul, np.dot
    else:
        b, x, y = g.pick(), g.pick(), g.pick()
        cond = _broadcast(sa, g.shapes[b])
        out = cond and _broadcast(_broadcast(cond, g.shapes[x]) or (), g.shapes[y])
        if cond is None or out is None or _broadcast(cond, g.shapes[x]) is None:
            return
        cmp = ("less", "greater", "less_equal")[int(rng.integers(0, 3))]
        g.add(Step(cmp, (a, b), style=style), None)
        g.add(Step("where", (len(g.steps) - 1, x, y)), out)


def combine(programs: Sequence[Program]) -> tuple[Program, list[list[int]]]:
    """One program computing all of ``programs`` (inputs renamed ``p{k}_x{i}``), and for
    each program the positions of its outputs in the combined output tuple."""
    steps: list[Step] = []
    outputs: list[int] = []
    where: list[list[int]] = []
    for k, p in enumerate(programs):
        off = len(steps)
        for s in p.steps:
            if s.op == "input":
                attrs = tuple((n, f"p{k}_{v}" if n == "name" else v) for n, v in s.attrs)
                steps.append(Step("input", (), attrs, s.style))
            else:
                steps.append(Step(s.op, tuple(i + off for i in s.args), s.attrs, s.style))
        where.append(list(range(len(outputs), len(outputs) + len(p.outputs))))
        outputs += [i + off for i in p.outputs]
    return Program(tuple(steps), tuple(outputs)), where


@dataclass
class Failure:
    """A program whose ``et.jit`` result breaks the contract (or raises)."""

    program: Program
    arrays: list[np.ndarray]
    backend: str
    ieee: str
    message: str

    def __str__(self) -> str:
        vals = ", ".join(f"{n} = {a.tolist()!r}" for n, a in zip(self.program.input_names,
                                                                   self.arrays))
        return (f"{self.backend}, ieee={self.ieee}: {self.message}\n{self.program.source()}\n"
                f"inputs ({self.program.inputs[0][2]}): {vals}")


def judge_outputs(want: Sequence[np.ndarray], got: Sequence[Any], backend: str, ieee: str
                  ) -> str | None:
    """None when ``got`` keeps the contract of ``ieee`` against NumPy's ``want``."""
    for i, (w, g) in enumerate(zip(want, got)):
        g = np.asarray(g)
        if g.shape != w.shape or g.dtype != w.dtype:
            return f"output {i}: shape/dtype {g.shape} {g.dtype}, NumPy {w.shape} {w.dtype}"
        if ieee == "fast" or w.dtype == np.bool_:
            continue
        tier = "strict" if ieee == "strict" and backend == "numpy" else "finite"
        j = judge(tier, ieee == "strict", w, g,
                  lambda flat, w=w: (np.ravel(w)[flat], None), accuracy_ulps=math.inf)
        if j.kind is None:
            continue
        f = j.first()
        idx = np.unravel_index(f.flat, w.shape) if w.ndim else ()
        return (f"output {i} at {tuple(int(k) for k in idx)}: NumPy {w[idx]!r}, "
                f"{backend} {np.broadcast_to(g, w.shape)[idx]!r}: {f.reason}")
    return None


def run_one(program: Program, arrays: list[np.ndarray], backend: str, ieee: str,
            exact: bool = True) -> str | None:
    """Run ``program`` through ``et.jit`` and judge it; None when it keeps the contract.
    ``exact``: disagreements are judged against the oracle (else against NumPy's value,
    which is stricter)."""
    import eqsat_tensor as et

    want = program.run_numpy(arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # optimizer fallbacks are failures
        try:
            with np.errstate(all="ignore"):
                got = et.jit(program.numpy_function(), backend=backend, ieee=ieee,
                             tiered=False)(*arrays)
        except RuntimeWarning as w:
            if "optimizer failed" not in str(w):
                raise
            return f"raised {type(w).__name__}: {w}"
        except Exception as exc:  # a crash
            return f"raised {type(exc).__name__}: {exc}"
    got = got if isinstance(got, tuple) else (got,)
    msg = _judge(program, arrays, want, got, backend, ieee, exact)
    if msg is not None and program.has_zero_ties:
        # the sign of a max/min of tied zeros is open (NumPy's own depends on its SIMD
        # blocking): either resolution keeps the contract
        for sign in "+-":
            tied = program.run_numpy(arrays, zero_ties=sign)
            if _judge(program, arrays, tied, got, backend, ieee, exact) is None:
                return None
    return msg


def _judge(program: Program, arrays: list[np.ndarray], want: list[np.ndarray],
           got: Sequence[Any], backend: str, ieee: str, exact: bool) -> str | None:
    if exact:
        return _judge_exact(program, arrays, want, got, backend, ieee)
    return judge_outputs(want, got, backend, ieee)


def _judge_exact(program: Program, arrays: list[np.ndarray], want: list[np.ndarray],
                 got: Sequence[Any], backend: str, ieee: str) -> str | None:
    from .check.instance import exact_rounded

    graph = program.build()
    for i, (w, g) in enumerate(zip(want, got)):
        g = np.asarray(g)
        if g.shape != w.shape or g.dtype != w.dtype:
            return f"output {i}: shape/dtype {g.shape} {g.dtype}, NumPy {w.shape} {w.dtype}"
        if ieee == "fast" or w.dtype == np.bool_:
            continue
        tier = "strict" if ieee == "strict" and backend == "numpy" else "finite"

        def exact_fn(flat: np.ndarray, i: int = i, g: np.ndarray = g):
            from ..ir import Graph

            fallback = np.ravel(np.broadcast_to(g, want[i].shape))[flat]
            return exact_rounded(Graph(graph.outputs[i], inputs=graph.inputs), arrays,
                                 want[i].shape, flat, fallback), None

        with np.errstate(all="ignore"):
            j = judge(tier, ieee == "strict", w, g, exact_fn, accuracy_ulps=math.inf)
        if j.kind is not None:
            f = j.first()
            idx = np.unravel_index(f.flat, w.shape) if w.ndim else ()
            return (f"output {i} at {tuple(int(k) for k in idx)}: NumPy {w[idx]!r}, "
                    f"{backend} {np.broadcast_to(g, w.shape)[idx]!r}, exact {f.exact!r}: "
                    f"{f.reason}")
    return None


def shrink(failure: Failure) -> Failure:
    """A smaller failing program: the shortest prefix whose last step fails, then input
    elements replaced by simple values (0, 1, -1, 2, 0.5) while it still fails."""
    prog, arrays = failure.program, [a.copy() for a in failure.arrays]

    def fails(p: Program, arrs: list[np.ndarray]) -> str | None:
        try:
            return run_one(p, arrs, failure.backend, failure.ieee)
        except Exception:
            return None

    for end in range(len(prog.steps)):
        if prog.steps[end].op == "input" or OPS[prog.steps[end].op].kind == "leaf":
            continue
        cand = Program(prog.steps[: end + 1], (end,))
        if cand.run_numpy(arrays)[0].dtype == np.bool_:
            continue
        if fails(cand, arrays):
            prog = cand
            break
    for k, arr in enumerate(arrays):
        for pos in np.ndindex(arr.shape):
            for simple in (0.0, 1.0, -1.0, 2.0, 0.5):
                if arr[pos] == simple and math.copysign(1, arr[pos]) > 0:
                    break
                trial = [a.copy() for a in arrays]
                trial[k][pos] = simple
                if fails(prog, trial):
                    arrays = trial
                    break
    msg = fails(prog, arrays) or failure.message
    return Failure(prog, arrays, failure.backend, failure.ieee, msg)


@dataclass
class Counts:
    """What a fuzzing run saw."""

    programs: int = 0
    runs: int = 0  # program x backend x mode
    failures: list[Failure] = field(default_factory=list)


def fuzz(seed: int, n: int, backends: Sequence[str] = ("numpy", "numba"),
         modes: Sequence[str] = MODES, batch: int = 25, shrink_failures: bool = True,
         vector_dot: bool = True) -> Counts:
    """Run ``n`` random programs (seeded by ``seed``) through every backend and mode, in
    batches of ``batch`` programs traced as one function; failures are re-run alone,
    confirmed and shrunk."""
    rng = np.random.default_rng(seed)
    counts = Counts()
    done = 0
    while done < n:
        size = min(batch, n - done)
        progs = [random_program(rng, vector_dot=vector_dot) for _ in range(size)]
        data = {m: [random_inputs(p, rng, m == "strict") for p in progs] for m in modes}
        done += size
        counts.programs += size
        big, where = combine(progs)
        for mode in modes:
            arrays = [a for arrs in data[mode] for a in arrs]
            for backend in backends:
                counts.runs += size
                if run_one(big, arrays, backend, mode) is None:
                    continue
                for p, arrs in zip(progs, data[mode]):
                    msg = run_one(p, arrs, backend, mode)
                    if msg is not None:
                        f = Failure(p, arrs, backend, mode, msg)
                        counts.failures.append(shrink(f) if shrink_failures else f)
    return counts
