"""Parsed rule files cached on disk as JSON (``rulelang.cache``), and the parser's
quote-free scans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eqsat_tensor.errors import RuleError
from eqsat_tensor.rulelang import cache, expressions, parser, shipped_rule_files
from eqsat_tensor.rulelang.parser import parse_rules


@pytest.fixture
def rule_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EQSAT_TENSOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("EQSAT_TENSOR_RULE_CACHE", "1")
    return tmp_path / "parsed-rules"


def _text(stem: str) -> str:
    return Path(shipped_rule_files()[stem]).read_text(encoding="utf-8")


def _parse_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self):
        raise AssertionError("parsed instead of read from the cache")

    monkeypatch.setattr(parser._FileParser, "run", boom)


@pytest.mark.parametrize("stem", sorted(shipped_rule_files()))
def test_json_round_trip_of_every_shipped_file(stem: str) -> None:
    rules = parse_rules(_text(stem), source=f"rules/{stem}.rules", ruleset=stem)
    back = cache.loads(cache.dumps(rules))
    # repr: Const(nan) is never == itself; repr also tells 1 from 1.0, () from []
    assert repr(back) == repr(rules) and len(back) == len(rules) > 0


def test_second_parse_reads_the_cache(rule_cache: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    text = _text("algebra")
    first = parse_rules(text, source="rules/algebra.rules", ruleset="algebra")
    assert len(list(rule_cache.glob("*.json"))) == 1
    _parse_fails(monkeypatch)
    again = parse_rules(text, source="rules/algebra.rules", ruleset="algebra")
    assert repr(again) == repr(first)
    with pytest.raises(AssertionError, match="parsed instead"):  # other text: a miss
        parse_rules(text + "\nrule extra-one: x * 1.0 => x\n", source="rules/algebra.rules",
                    ruleset="algebra")


def test_corrupt_entry_is_parsed_again_and_rewritten(rule_cache: Path) -> None:
    text = _text("stability")
    first = parse_rules(text, source="s", ruleset="stability")
    (entry,) = rule_cache.glob("*.json")
    entry.write_text('{"format": 1, "key": "', encoding="utf-8")
    again = parse_rules(text, source="s", ruleset="stability")
    assert repr(again) == repr(first)
    assert json.loads(entry.read_text(encoding="utf-8"))["key"] == entry.stem
    entry.write_text(json.dumps({"format": 1, "key": "other", "rules": None}))  # foreign
    assert repr(parse_rules(text, source="s", ruleset="stability")) == repr(first)


def test_unwritable_directory_still_parses(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("EQSAT_TENSOR_CACHE_DIR", str(blocker))
    monkeypatch.setenv("EQSAT_TENSOR_RULE_CACHE", "1")
    rules = parse_rules(_text("specialize"), source="p", ruleset="specialize")
    assert len(rules.rules) > 0


def test_off_switch_and_small_texts_write_nothing(rule_cache: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    parse_rules("rule tiny: x * 1.0 => x", source="t", ruleset="t")
    assert not rule_cache.exists()
    monkeypatch.setenv("EQSAT_TENSOR_RULE_CACHE", "0")
    parse_rules(_text("algebra"), source="a", ruleset="algebra")
    assert not rule_cache.exists()


def test_rules_loaded_alongside_are_part_of_the_key(rule_cache: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    alg = parse_rules(_text("algebra"), source="a", ruleset="algebra")
    parse_rules(_text("stability"), source="s", ruleset="stability")
    _parse_fails(monkeypatch)
    with pytest.raises(AssertionError, match="parsed instead"):
        parse_rules(_text("stability"), source="s", ruleset="stability", seen=alg)


# The parser's scans take a shortcut on text without quote characters; it must agree
# with the character-by-character scan it replaces.
_TEXT = st.text(alphabet="()[]{}#=><:;if x.1_ ", max_size=40)


def _slow_find(text: str, pattern, start: int):
    for i, c, depth in expressions._scan_top(text, start):
        if depth == 0 and c not in ")]}":
            m = pattern.match(text, i)
            if m:
                return m.span()
    return None


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.integers(0, 5))
def test_quote_free_scans_agree_with_the_full_scan(text: str, start: int) -> None:
    start = min(start, len(text))
    for pattern in (parser._SEP, parser._IF, parser._COLON, parser._SEMI):
        got = expressions.find_top(text, pattern, start)
        assert (got.span() if got else None) == _slow_find(text, pattern, start)
    slow_comment = next((text[:i] for i, c, _ in expressions._scan_top(text) if c == "#"),
                        text)
    assert expressions.strip_comment(text) == slow_comment
    line = expressions.Line("<t>", 1, text)

    def outcome(fn):
        try:
            fn()
            return None
        except RuleError as exc:
            return str(exc)

    def slow_brackets():
        pairs = {")": "(", "]": "[", "}": "{"}
        stack = []
        for i, c, _ in expressions._scan_top(text):
            if c in "([{":
                stack.append((c, i))
            elif c in pairs:
                if not stack or stack[-1][0] != pairs[c]:
                    raise line.error(f"syntax error: unmatched '{c}'", i)
                stack.pop()
        if stack:
            c, i = stack[-1]
            raise line.error(f"syntax error: '{c}' was never closed", i)

    assert outcome(lambda: expressions.check_brackets(line, text)) == outcome(slow_brackets)
