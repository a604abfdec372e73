"""Parsed rule files cached on disk as JSON, keyed by what the parse depends on.

Parsing the shipped rule files costs tens of milliseconds of a cold ``et.optimize``; a
process that finds the parse of the same text cached reads it back instead. The key
hashes the rule text, its source name and ruleset, the names of the rules loaded
alongside it (duplicate names are errors), the op table (op names, arity and
attributes: the parser checks patterns against it) and the parser's own source, so any
change to one of them misses. Entries are plain JSON (never pickle), written atomically,
validated on read; a corrupt, foreign or unreadable entry is ignored and rewritten, an
unwritable directory silently leaves only the parse. ``EQSAT_TENSOR_RULE_CACHE=0`` turns
the cache off. The directory is ``$EQSAT_TENSOR_CACHE_DIR/parsed-rules`` or the
platform's user cache directory.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import operator
import os
import tempfile
from pathlib import Path
from typing import Any

from ..cache_dirs import source_digest, subdir
from . import ast as rule_ast

FORMAT = 1
_CLASSES = {c.__name__: c for c in (rule_ast.Var, rule_ast.Const, rule_ast.ShapeOf,
                                    rule_ast.App, rule_ast.Guard, rule_ast.Rule,
                                    rule_ast.VJP, rule_ast.RuleSet)}
_FIELDS = {name: tuple(f.name for f in dataclasses.fields(c)) for name, c in _CLASSES.items()}
# class -> (its name, a getter of its fields' values as a tuple)
_GETTERS = {c: (name, operator.attrgetter(*_FIELDS[name])) for name, c in _CLASSES.items()}
_ONE_FIELD = {c for name, c in _CLASSES.items() if len(_FIELDS[name]) == 1}
_SOURCES = ("ast.py", "parser.py", "expressions.py", "powers.py", "cache.py")


class _Unencodable(TypeError):
    pass


def enabled() -> bool:
    """Whether parsed rule files are cached (``EQSAT_TENSOR_RULE_CACHE=0``: no)."""
    return os.environ.get("EQSAT_TENSOR_RULE_CACHE", "1") not in ("0", "false", "no")


def cache_dir() -> Path:
    """Where parsed rule files are stored."""
    return subdir("parsed-rules")


@functools.lru_cache(maxsize=1)
def _fingerprint() -> str:
    """Hash of the parser's source, the attribute helpers and the op table it checks
    patterns against."""
    from ..ir import OPS

    # the attribute helpers a rule may call are part of the language the parser reads
    package = Path(__file__).resolve().parent.parent
    sources = source_digest(f"eqsat-tensor parsed rules {FORMAT}", package,
                            [*(f"rulelang/{name}" for name in _SOURCES), "ir/attr_helpers.py"])
    h = hashlib.sha256(sources.encode())
    for op in sorted(OPS):
        spec = OPS[op]
        h.update(f"\0{op}:{spec.kind}:{spec.arity}:{','.join(spec.attrs)}".encode())
    return h.hexdigest()


def key(text: str, source: str, ruleset: str, seen: Any) -> str:
    """The entry key of parsing ``text`` (hex sha256)."""
    h = hashlib.sha256(_fingerprint().encode())
    seen_names = sorted(r.name for r in seen.rules) + sorted(
        "vjp:" + v.op for v in seen.vjps) if seen is not None else []
    for part in (source, ruleset, "\n".join(seen_names), text):
        h.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _default(obj: Any) -> Any:
    """JSON form of what ``json`` cannot write itself: the AST's dataclasses and the
    tags' frozensets. (Everything else in a parsed RuleSet is a str, int, bool, None,
    float or tuple; the AST has no lists, so every JSON array reads back as a tuple.)"""
    cls = type(obj)
    got = _GETTERS.get(cls)
    if got is not None:
        values = got[1](obj)
        return {"@": got[0], "v": (values,) if cls in _ONE_FIELD else values}
    if isinstance(obj, frozenset):
        return {"s": sorted(obj)}
    raise _Unencodable(f"cannot cache a {cls.__name__} in a parsed rule file")


def dumps(obj: Any) -> str:
    """JSON text of a parsed ``RuleSet`` (or any part of one, or a dict of them). Floats
    are written exactly (``repr``; ``NaN`` and ``Infinity`` as Python's ``json`` does)."""
    return json.dumps(obj, default=_default, check_circular=False)


def _tup(v: Any) -> Any:
    return tuple([_tup(x) if type(x) is list else x for x in v]) if type(v) is list else v


def _decode_obj(d: dict[str, Any]) -> Any:
    if "@" in d:
        cls, names = _CLASSES[d["@"]], _FIELDS[d["@"]]
        if len(d["v"]) != len(names):
            raise ValueError("wrong number of fields")
        return cls(*[_tup(v) if type(v) is list else v for v in d["v"]])
    if len(d) == 1 and "s" in d:
        return frozenset(d["s"])
    return d


def loads(text: str) -> Any:
    """Inverse of ``dumps``."""
    return json.loads(text, object_hook=_decode_obj)


def load(entry_key: str) -> Any:
    """The cached ``RuleSet`` of ``entry_key``, or None (missing, corrupt, foreign)."""
    if not enabled():
        return None
    try:
        text = (cache_dir() / f"{entry_key}.json").read_text(encoding="utf-8")
        doc = loads(text)
        if (isinstance(doc, dict) and doc.get("format") == FORMAT
                and doc.get("key") == entry_key
                and isinstance(doc.get("rules"), rule_ast.RuleSet)):
            return doc["rules"]
    except (OSError, ValueError, TypeError, KeyError, UnicodeDecodeError, RecursionError):
        pass
    return None


def store(entry_key: str, rules: Any) -> None:
    """Write the entry (atomically); any failure leaves the cache as it was."""
    if not enabled():
        return
    tmp = None
    try:
        text = dumps({"format": FORMAT, "key": entry_key, "rules": rules})
        directory = cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{entry_key[:16]}",
                                   suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, directory / f"{entry_key}.json")
        tmp = None
    except (OSError, _Unencodable, TypeError, ValueError, RecursionError):
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
