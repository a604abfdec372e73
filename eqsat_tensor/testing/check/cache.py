"""Cached verdicts of ``check_rules``: one JSON file per check, keyed by the rule's text,
the direction, the mode, the settings and the checker's version (a hash of the checker's
own source and of the reference backend and oracle it runs on). JSON only, never pickle;
a corrupt or foreign file is ignored and rewritten.

The directory is ``$EQSAT_TENSOR_CACHE_DIR/rules`` or ``~/.cache/eqsat-tensor/rules``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ...cache_dirs import source_digest, subdir
from ...rulelang.ast import Rule
from .results import Counterexample, RuleResult

_SOURCES = ("testing/check", "backends/numpy_ref.py", "mpeval.py", "ir")


def cache_dir() -> Path:
    """Where verdicts are stored."""
    return subdir("rules")


@functools.lru_cache(maxsize=1)
def checker_version() -> str:
    """A hash of the checker's source and of what it evaluates with."""
    return source_digest("rule checker", Path(__file__).resolve().parents[2], _SOURCES)[:16]


def key(rule: Rule, direction: str, ieee: str, settings: tuple) -> str:
    """The cache key of one check."""
    text = f"{rule.text or repr(rule)}|{sorted(rule.tags)}|{rule.guards!r}|{direction}|{ieee}"
    return hashlib.sha256(f"{checker_version()}|{text}|{settings!r}".encode()).hexdigest()


def _plain(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return {"array": v.astype(np.float64).tolist() if v.dtype.kind == "f" else v.tolist(),
                "dtype": v.dtype.name}
    if isinstance(v, tuple):
        return {"tuple": [_plain(x) for x in v]}
    if isinstance(v, float):
        return {"float": repr(v)}
    return v


def _back(v: Any) -> Any:
    if isinstance(v, dict) and "array" in v:
        return np.asarray(_floats(v["array"]), dtype=v["dtype"])
    if isinstance(v, dict) and "tuple" in v:
        return tuple(_back(x) for x in v["tuple"])
    if isinstance(v, dict) and "float" in v:
        return float(v["float"])
    return v


def _floats(x: Any) -> Any:
    if isinstance(x, list):
        return [_floats(y) for y in x]
    return x


def load(k: str, rule: Rule) -> RuleResult | None:
    """The cached result for key ``k``, or None."""
    path = cache_dir() / f"{k}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        cex = data.pop("counterexample")
        res = RuleResult(rule=rule, cached=True, **{n: _back(v) for n, v in data.items()})
        if cex is not None:
            cex["values"] = {n: _back(v) for n, v in cex["values"].items()}
            cex["index"] = tuple(cex["index"]) if cex["index"] is not None else None
            res.counterexample = Counterexample(**{n: _back(v) for n, v in cex.items()})
        return res
    except (OSError, ValueError, TypeError, KeyError):
        return None


def store(k: str, res: RuleResult) -> None:
    """Save ``res`` under key ``k`` (atomically; errors ignored: the cache is optional)."""
    data = {n: _plain(getattr(res, n)) for n in (
        "name", "direction", "ieee", "tier", "samples", "max_ulps", "checked_exact",
        "ill_typed", "verdict", "reason", "region")}
    cex = res.counterexample
    data["counterexample"] = None if cex is None else {
        "values": {n: _plain(v) for n, v in cex.values.items()}, "dtype": cex.dtype,
        "lhs": cex.lhs, "rhs": cex.rhs, "lhs_value": _plain(cex.lhs_value),
        "rhs_value": _plain(cex.rhs_value),
        "index": None if cex.index is None else list(cex.index),
        "exact": cex.exact, "reason": cex.reason}
    try:
        d = cache_dir()
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, allow_nan=True)
        os.replace(tmp, d / f"{k}.json")
    except (OSError, TypeError, ValueError):
        pass
