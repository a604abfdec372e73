"""Fuzzing every parser and loader with Hypothesis: rule text, FPCore, JSON graphs and the
CLI's expressions. Random bytes, grammar-shaped text and mutated valid inputs may only
give the project's own errors (``EqsatError`` subclasses), never another exception or a
hang (each example runs under an alarm). A few hundred examples per parser in CI; the
``stress`` variants run thousands."""

from __future__ import annotations

import contextlib
import io
import json
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eqsat_tensor as et
from eqsat_tensor.cli import main
from eqsat_tensor.errors import EqsatError
from eqsat_tensor.frontend import json_io
from eqsat_tensor.interop.fpcore import from_fpcore
from eqsat_tensor.rulelang import load_rules

RULES_DIR = Path(et.__file__).parent / "rules"
SEED_RULES = [line for f in sorted(RULES_DIR.glob("*.rules"))
              for line in f.read_text().splitlines() if line.startswith(("rule", "vjp"))]
SEED_FPCORE = [
    "(FPCore (x) :pre (<= 0 x 1) (- (sqrt (+ x 1)) (sqrt x)))",
    "(FPCore (x y) (/ (- (exp x) 1) (log (+ 1 y))))",
    "(FPCore (a b c) (let ([d (- (* b b) (* 4 a c))]) (/ (+ (- b) (sqrt d)) (* 2 a))))",
    "(FPCore (x) (if (< x 0) (fabs x) (pow x 1.5)))",
]
SEED_EXPR = ["log(1 + x) - x*y/x", "exp(x) - 1", "sqrt(x*x)", "sum(exp(x), axis=0)",
             "maximum(x, -inf) * 2", "x ** -0.5 + y @ z"]
TIMEOUT_S = 30


@contextlib.contextmanager
def _no_hang(seconds: int = TIMEOUT_S):
    def boom(*_):
        raise TimeoutError(f"parser ran for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _only_own_errors(fn, *args):
    with _no_hang():
        try:
            fn(*args)
        except EqsatError:
            pass


def _mutate(data: st.DataObject, text: str) -> str:
    """A few random character edits of ``text``: insert, delete, replace, duplicate."""
    chars = list(text)
    alphabet = st.sampled_from(list("()[]{},:;=<>!+-*/@.#'\"\\ \n\t0123456789exyzinfa_") +
                               ["1e999", "nan", "inf", "9" * 400, "\x00", "\xff", "é"])
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        kind = data.draw(st.sampled_from(["insert", "delete", "replace", "dup"]))
        i = data.draw(st.integers(0, max(0, len(chars) - 1)), label="at")
        if kind == "insert":
            chars[i:i] = list(data.draw(alphabet))
        elif kind == "delete" and chars:
            del chars[i]
        elif kind == "replace" and chars:
            chars[i] = data.draw(alphabet)
        elif kind == "dup":
            chars[i:i] = chars[i:i + data.draw(st.integers(1, 20))]
    return "".join(chars)


_RULE_TOKENS = st.sampled_from([
    "rule", "vjp", " r", ":", " x", " y", " g", " out", "+", "-", "*", "/", "**", "@", "(", ")",
    "=>", "<=>", " if ", "!=", ">", "0", "1", "2.5", "1e999", "inf", "-inf", "nan", "exp",
    "log", "sum", "axis=", "keepdims=", "True", "None", ",", "[strict]", "[expansive, fast]",
    "#", "=", ";", " dx", " dy", "shape(x)", "\n", " ", "finite(x)", "and", "x.T", "'s'"])
_FP_TOKENS = st.sampled_from([
    "(", ")", "FPCore", "x", "y", ":pre", ":name", "\"n\"", "+", "-", "*", "/", "sqrt", "exp",
    "let", "let*", "[", "]", "if", "<", "<=", "0", "1", "1/3", "1e999", "#x1p3", "PI", "INFINITY",
    "NAN", "fabs", "pow", "while", "!", ";c\n", " ", "fmax", "tensor", "digits", "1e-400"])
_EXPR_TOKENS = st.sampled_from([
    "x", "y", "z", "+", "-", "*", "/", "**", "@", "(", ")", "1", "0", "2.5", "1e999", "inf",
    "nan", "exp", "log", "sum", "axis=", "0", ",", "maximum", "where", "<", ".T", " ", "-1"])


def _joined(tokens: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(tokens, max_size=40).map("".join)


def _settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ------------------------------------------------------------------ rule text

def _rules_case(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["bytes", "grammar", "mutated"]), label="kind")
    if kind == "bytes":
        raw = data.draw(st.binary(max_size=200), label="bytes")
        _only_own_errors(load_rules, raw)
        return
    if kind == "grammar":
        text = data.draw(_joined(_RULE_TOKENS), label="text")
    else:
        text = _mutate(data, data.draw(st.sampled_from(SEED_RULES), label="seed"))
    _only_own_errors(load_rules, text)


@_settings(300)
@given(st.data())
def test_rule_parser_fuzz(data):
    _rules_case(data)


@pytest.mark.stress
@_settings(5000)
@given(st.data())
def test_rule_parser_fuzz_long(data):
    _rules_case(data)


# ------------------------------------------------------------------ FPCore

def _fpcore_case(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["bytes", "grammar", "mutated"]), label="kind")
    if kind == "bytes":
        text = data.draw(st.binary(max_size=200), label="bytes").decode("latin-1")
    elif kind == "grammar":
        text = data.draw(st.lists(_FP_TOKENS, max_size=40).map(" ".join), label="text")
    else:
        text = _mutate(data, data.draw(st.sampled_from(SEED_FPCORE), label="seed"))
    _only_own_errors(from_fpcore, text)


@_settings(300)
@given(st.data())
def test_fpcore_parser_fuzz(data):
    _fpcore_case(data)


@pytest.mark.stress
@_settings(5000)
@given(st.data())
def test_fpcore_parser_fuzz_long(data):
    _fpcore_case(data)


# ------------------------------------------------------------------ JSON graphs

_VALID_JSON = json_io.dumps(et.sum(et.exp(et.tensor("x", ("n", 3))) * 2.0, axis=1))
_JSON_LEAVES = (st.none() | st.booleans() | st.integers(-10, 10) | st.integers() |
                st.floats(allow_nan=False) | st.sampled_from(
                    ["x", "add", "input", "constant", "float64", "nan", "inf", ""]))
_JSON_VALUES = st.recursive(_JSON_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    st.sampled_from(["op", "inputs", "attrs", "shape", "dtype", "value", "float", "array",
                     "axis", "keepdims", "name", "format", "version", "nodes", "outputs"]),
    inner, max_size=5), max_leaves=12)


def _json_case(data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["bytes", "grammar", "mutated", "edited"]), label="kind")
    if kind == "bytes":
        _only_own_errors(json_io.loads, data.draw(st.binary(max_size=200), label="bytes"))
    elif kind == "grammar":
        doc = data.draw(_JSON_VALUES, label="doc")
        _only_own_errors(json_io.loads, json.dumps(doc))
    elif kind == "mutated":
        _only_own_errors(json_io.loads, _mutate(data, _VALID_JSON))
    else:
        doc = json.loads(_VALID_JSON)
        target = data.draw(st.sampled_from(["top", "node", "attrs"]))
        value = data.draw(_JSON_VALUES, label="value")
        if target == "top":
            doc[data.draw(st.sampled_from(sorted(doc) + ["extra"]))] = value
        else:
            node = doc["nodes"][data.draw(st.integers(0, len(doc["nodes"]) - 1))]
            where = node if target == "node" else node["attrs"]
            where[data.draw(st.sampled_from(sorted(where) + ["extra"]))] = value
        _only_own_errors(json_io.loads, json.dumps(doc))


@_settings(300)
@given(st.data())
def test_json_loader_fuzz(data):
    _json_case(data)


@pytest.mark.stress
@_settings(5000)
@given(st.data())
def test_json_loader_fuzz_long(data):
    _json_case(data)


# ------------------------------------------------------------------ CLI expressions

def _expr_case(data: st.DataObject) -> str:
    if data.draw(st.booleans(), label="grammar"):
        return data.draw(_joined(_EXPR_TOKENS), label="text")
    return _mutate(data, data.draw(st.sampled_from(SEED_EXPR), label="seed"))


@_settings(300)
@given(st.data())
def test_cli_expression_parser_fuzz(data):
    from eqsat_tensor.commands.optimize import expression_graph

    _only_own_errors(expression_graph, _expr_case(data), {})


@pytest.mark.stress
@_settings(3000)
@given(st.data())
def test_cli_expression_parser_fuzz_long(data):
    from eqsat_tensor.commands.optimize import expression_graph

    _only_own_errors(expression_graph, _expr_case(data), {})


@_settings(25)
@given(st.data())
def test_cli_exit_codes_fuzz(data):
    """The whole CLI on fuzzed expressions: exit code 0 or 2, never a traceback."""
    text = _expr_case(data)
    if text.startswith("-") or not text.strip():
        text = "(" + text + ")"
    out, err = io.StringIO(), io.StringIO()
    with _no_hang(60), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["optimize", text])
    assert code in (0, 2)
    if code == 2:
        assert len(err.getvalue().strip().splitlines()) == 1
