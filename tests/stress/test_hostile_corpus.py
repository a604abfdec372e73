"""A deterministic corpus of hostile inputs (issue #22), built by mechanism rather than by
listing cases: every field of a valid JSON graph replaced by every wrong kind of value,
every prefix of a valid rule file, every token of it dropped or doubled. Each variant goes
through the real loader and the CLI: it loads (and then the CLI exits 0), or it is the
project's own error, reported by the CLI as one line with exit code 2."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

import eqsat_tensor as et
from eqsat_tensor.cli import main
from eqsat_tensor.errors import EqsatError, GraphFormatError, RuleError
from eqsat_tensor.frontend import json_io
from eqsat_tensor.rulelang import load_rules

HOSTILE = [None, True, False, 0, -1, 1.5, -0.0, 2**63, 10**400, "x", "", "\u2603\u0000",
           [], [1], [[[[[]]]]], {}, {"a": 1}, "NaN", "1e999", "-" * 10_000]


def _valid_doc() -> dict:
    x = et.tensor("x", (2, 3))
    y = et.tensor("y", (3,))
    g = et.sum(et.exp(x) * y + 1.5, axis=0) @ y
    return json.loads(json_io.dumps(g))


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a field (dict key or list index) of a JSON document."""
    out = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, path + (i,))
    return out


def _replaced(doc: Any, path: tuple, new: Any) -> Any:
    doc = json.loads(json.dumps(doc))
    target = doc
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = new
    return doc


def _cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code
    return int(code or 0), err.getvalue()


def _variants_json(limit: int | None) -> list[tuple[str, str]]:
    doc = _valid_doc()
    out = []
    for path in _paths(doc):
        for new in HOSTILE:
            text = json.dumps(_replaced(doc, path, new), allow_nan=True)
            out.append((f"{'.'.join(map(str, path))}={str(new)[:12]!r}", text))
    text = json.dumps(doc)
    for cut in range(0, len(text), max(1, len(text) // 40)):  # truncated documents
        out.append((f"truncated at {cut}", text[:cut]))
    out.append(("deep nesting", "[" * 100_000 + "]" * 100_000))
    out.append(("binary", "\udcff\udcfe"))
    return out if limit is None else out[::max(1, len(out) // limit)]


def _check_json(text: str, tmp_path: Path) -> None:
    try:
        json_io.loads(text)
        loaded = True
    except GraphFormatError as exc:
        loaded = False
        assert str(exc) and "Traceback" not in str(exc)
    path = tmp_path / "g.json"
    path.write_text(text, errors="surrogateescape")
    code, err = _cli(["optimize", str(path)])
    if loaded:
        assert code == 0, err
    else:
        assert code == 2 and err.startswith("error: ") and "Traceback" not in err, err


def test_every_json_field_with_every_wrong_value_ci(tmp_path):
    variants = _variants_json(limit=150)
    assert len(variants) >= 140
    for name, text in variants:
        try:
            _check_json(text, tmp_path)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


@pytest.mark.stress
def test_every_json_field_with_every_wrong_value(tmp_path):
    for name, text in _variants_json(limit=None):
        try:
            _check_json(text, tmp_path)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


_RULES = """# a small valid rule file
rule mul-one: x * 1 => x
rule exp-log: exp(log(x)) => x if x > 0
rule sum-scale [fast]: sum(x * c, axis=a) => sum(x, axis=a) * c if const(c)
rule max-self: maximum(x, x) => x
"""


def _rule_variants(limit: int | None) -> list[tuple[str, str]]:
    out = [(f"prefix {i}", _RULES[:i]) for i in range(len(_RULES) + 1)]
    tokens = re.findall(r"\s+|\w+|[^\w\s]", _RULES)
    for i, tok in enumerate(tokens):
        if tok.isspace():
            continue
        out.append((f"drop {tok!r}@{i}", "".join(tokens[:i] + tokens[i + 1:])))
        out.append((f"double {tok!r}@{i}", "".join(tokens[:i + 1] + tokens[i:])))
        out.append((f"swap {tok!r}@{i}", "".join(tokens[:i] + ["@"] + tokens[i + 1:])))
    return out if limit is None else out[::max(1, len(out) // limit)]


def _check_rules(text: str, tmp_path: Path) -> None:
    try:
        load_rules(text)
        loaded = True
    except RuleError as exc:
        loaded = False
        lines = text.splitlines() or [""]
        assert 0 <= exc.line <= len(lines) + 1 and exc.col >= 0, exc
        assert re.match(r"^.*:\d+:\d+: ", str(exc)), exc
    path = tmp_path / "user.rules"
    path.write_text(text)
    code, err = _cli(["optimize", "x * 1 + exp(log(y))", "--rules", str(path)])
    if loaded:
        assert code == 0, err
    else:
        assert code == 2 and err.startswith("error: ") and "Traceback" not in err, err
        assert re.search(rf"{re.escape(str(path))}:\d+:\d+", err), err


def test_every_rule_file_prefix_and_token_edit_ci(tmp_path):
    for name, text in _rule_variants(limit=60):
        try:
            _check_rules(text, tmp_path)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


@pytest.mark.stress
def test_every_rule_file_prefix_and_token_edit(tmp_path):
    for name, text in _rule_variants(limit=None):
        try:
            _check_rules(text, tmp_path)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


def test_only_project_errors_escape_the_loaders():
    """The corpus above never raises anything but the project's errors in-process."""
    for _, text in _variants_json(limit=60) + _rule_variants(limit=30):
        for load in (json_io.loads, load_rules):
            try:
                load(text)
            except EqsatError:
                pass
