"""The rule-file language: parser, checks, ``load_rules`` and ``default_rules``.

``load_rules(path_or_text)`` parses one rule file (or rule text, or several files loaded
together); ``default_rules()`` loads the rule files shipped in ``eqsat_tensor/rules``
(algebra, stability and specialize unless names are given). The parsed form is described
in ``eqsat_tensor.rulelang.ast``; the syntax in ``eqsat_tensor.rulelang.parser``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..errors import RuleError, RuleFileNotFound
from .ast import (
    GUARD_KINDS,
    RULE_TAGS,
    VJP,
    App,
    Const,
    Guard,
    Pattern,
    Rule,
    RuleSet,
    ShapeOf,
    Var,
    instantiate,
    pattern_vars,
)
from .parser import parse_pattern, parse_rules

__all__ = ["load_rules", "default_rules", "shipped_rule_files", "parse_rules",
           "parse_pattern", "RuleSet", "Rule", "VJP", "Var", "Const", "App", "ShapeOf",
           "Guard", "Pattern", "GUARD_KINDS", "RULE_TAGS", "RuleError", "instantiate",
           "pattern_vars", "DEFAULT_RULE_FILES"]

DEFAULT_RULE_FILES = ("algebra", "stability", "specialize")

PathOrText = str | os.PathLike


def _is_path(item: PathOrText) -> bool:
    if isinstance(item, os.PathLike):
        return True
    if "\n" in item or "\0" in item or len(item) > 4096:
        return False
    text = item.strip()
    if text.endswith(".rules") or os.path.isfile(item):
        return True
    # one word that cannot be a rule ("my_rules.txt", "rules/extra"): a file name, so a
    # typo reports a missing file instead of a parse error on the path
    return (bool(text) and not any(c.isspace() for c in text)
            and not any(c in text for c in "=(#"))


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text of a rule file; anything else is a RuleError at the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RuleError(f"not UTF-8 text (byte 0x{data[exc.start]:02x}); rule files are "
                        "UTF-8", source=source, line=line, col=col) from None


def _load_one(item: PathOrText, name: str | None, seen: RuleSet | None) -> RuleSet:
    if isinstance(item, (bytes, bytearray)):  # bytes are rule text, never a path
        label = name or "user"
        return parse_rules(_decode(bytes(item), f"<{label}>"), source=f"<{label}>",
                           ruleset=label, seen=seen)
    if not isinstance(item, (str, os.PathLike)):
        raise TypeError(f"load_rules expects a path or rule text, got {type(item).__name__}")
    if _is_path(item):
        path = Path(item)
        if not path.is_file():
            raise RuleFileNotFound(str(path))
        text = _decode(path.read_bytes(), str(path))
        return parse_rules(text, source=str(path), ruleset=name or path.stem, seen=seen)
    label = name or "user"
    return parse_rules(item, source=f"<{label}>", ruleset=label, seen=seen)


def _combine(sets: Sequence[RuleSet], name: str) -> RuleSet:
    rules = tuple(r for s in sets for r in s.rules)
    vjps = tuple(v for s in sets for v in s.vjps)
    return RuleSet(name, rules, vjps, tuple(f for s in sets for f in s.files))


def load_rules(path_or_text: PathOrText | bytes | Sequence[PathOrText], *,
               name: str | None = None) -> RuleSet:
    """Parse rules from a file, from rule text, or from several files loaded together.

    ``path_or_text`` is a ``pathlib.Path``, a ``str`` path to an existing file, rule text
    (``"rule my-rule: x * 1 => x"``, or UTF-8 ``bytes``), or a list of those. Each
    rule's ``ruleset`` is the file stem, or ``name`` when given (``"user"`` for text).
    Rule names must be unique across everything loaded in one call. Raises ``RuleError``
    (file:line:col, the line and a caret) for a malformed rule or text that is not UTF-8,
    and ``FileNotFoundError`` for a missing file. Nothing is registered globally, so
    loading the same rules twice is fine."""
    if isinstance(path_or_text, (str, os.PathLike, bytes, bytearray)):
        return _load_one(path_or_text, name, None)
    sets: list[RuleSet] = []
    for item in path_or_text:
        seen = _combine(sets, "seen") if sets else None
        sets.append(_load_one(item, name, seen))
    return _combine(sets, name or "+".join(s.name for s in sets))


def shipped_rule_files() -> dict[str, str]:
    """Names of the rule files shipped with eqsat-tensor, mapped to their location."""
    root = files("eqsat_tensor") / "rules"
    return {entry.name[: -len(".rules")]: str(entry) for entry in sorted(
        root.iterdir(), key=lambda e: e.name) if entry.name.endswith(".rules")}


def _rules_root() -> Any:
    """The shipped rule files' folder: a plain path where the package is a folder on disk
    (``importlib.resources`` costs a cold optimization a few milliseconds), else the
    package's resources (a zip import)."""
    here = Path(__file__).resolve().parent.parent / "rules"
    return here if here.is_dir() else files("eqsat_tensor") / "rules"


@lru_cache(maxsize=32)
def _default_rules(names: tuple[str, ...]) -> RuleSet:
    root = _rules_root()
    sets: list[RuleSet] = []
    for stem in names:
        entry = root / f"{stem}.rules"
        if not entry.is_file():
            available = ", ".join(shipped_rule_files())
            raise ValueError(f"no shipped rule file '{stem}' (available: {available})")
        seen = _combine(sets, "seen") if sets else None
        sets.append(parse_rules(entry.read_text(encoding="utf-8"),
                                source=f"rules/{stem}.rules", ruleset=stem, seen=seen))
    return _combine(sets, "+".join(names))


def default_rules(*names: str) -> RuleSet:
    """The shipped rule files as one ``RuleSet``: ``default_rules()`` loads algebra,
    stability and specialize; ``default_rules("gradients")`` or any list of file stems
    loads those (read through ``importlib.resources``, so it works when installed)."""
    return _default_rules(tuple(names) if names else DEFAULT_RULE_FILES)
