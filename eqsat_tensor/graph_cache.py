"""Persistent cache of optimized graphs: a new process skips saturation and extraction.

``lookup(key_parts, graph)`` / ``store(key_parts, graph, optimized, report)``: the key is a
sha256 of the graph fingerprint (structure, shapes including symbolic dims, dtypes), the
rule set, the budget, the ieee mode, the cost model and the package version. Entries are
JSON files (``<key>.json`` under ``$EQSAT_TENSOR_CACHE_DIR/graphs`` or the platform's user
cache directory), written atomically (temp file + rename); nothing is pickled or
evaluated. Every read is validated: a malformed, truncated or foreign entry, or one whose
graph does not have the inputs and outputs of the graph asked about, is a miss (and is
rewritten). Unwritable directories fall back to an in-memory cache with one warning.
``EQSAT_TENSOR_GRAPH_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import stat
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from . import cache_dirs
from .ir import OPS, ArrayValue, Graph, Node

FORMAT = 1
MAX_ARRAY = 4096  # array constants up to this many elements are stored; larger: no entry
_LOCK = threading.Lock()
_MEMORY: dict[str, str] = {}
_DIR: list[Path | None] = []  # resolved once: [directory or None (memory)]
_WARNED: set[str] = set()


class _Uncacheable(Exception):
    pass


def enabled() -> bool:
    """Whether the cache is on (``EQSAT_TENSOR_GRAPH_CACHE=0`` turns it off)."""
    return os.environ.get("EQSAT_TENSOR_GRAPH_CACHE", "1") not in ("0", "false", "no")


def _warn_once(key: str, message: str) -> None:
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(f"eqsat-tensor: {message}", RuntimeWarning, stacklevel=4)


def cache_dir() -> Path | None:
    """The directory of the entries; None when only memory is usable."""
    with _LOCK:
        if _DIR:
            return _DIR[0]
        chosen = cache_dirs.first_usable(
            [cache_dirs.subdir("graphs"), cache_dirs.private_temp_dir("graphs")],
            "graph cache")
        _DIR.append(chosen)
        return chosen


def make_key(graph: Graph, rules: Any, budget: Any, ieee: str, model: str,
             version: str) -> str:
    """The entry key (hex sha256) of one optimization request."""
    h = hashlib.sha256(f"eqsat-tensor graph cache {FORMAT} {version}".encode())
    for part in (graph.fingerprint(), _rules_digest(rules), repr(budget), ieee, model):
        h.update(b"\0" + str(part).encode())
    return h.hexdigest()


_RULES: dict[int, tuple[Any, str]] = {}


def _rules_digest(rules: Any) -> str:
    if rules is None:  # the shipped default rules: their files' text (nothing parsed)
        return _shipped_digest()
    got = _RULES.get(id(rules))
    if got is not None and got[0] is rules:
        return got[1]
    digest = hashlib.sha256(_canonical(rules).encode()).hexdigest()
    if len(_RULES) > 64:
        _RULES.clear()
    _RULES[id(rules)] = (rules, digest)
    return digest


_SHIPPED: list[str] = []


def _shipped_digest() -> str:
    """Digest of the default rule files (``et.default_rules()``) as shipped."""
    if not _SHIPPED:
        from importlib.resources import files

        from .rulelang import DEFAULT_RULE_FILES

        h = hashlib.sha256(b"shipped rules")
        root = files("eqsat_tensor") / "rules"
        for stem in DEFAULT_RULE_FILES:
            h.update(b"\0" + stem.encode() + b"\0" + (root / f"{stem}.rules").read_bytes())
        h.update(b"\0" + _optimizer_code_digest().encode())
        _SHIPPED.append(h.hexdigest())
    return _SHIPPED[0]


def _canonical(obj: Any) -> str:
    """A repr that does not depend on the hash seed (sets sorted), for dataclass trees."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        inner = ", ".join(f"{f.name}={_canonical(getattr(obj, f.name))}"
                          for f in dataclasses.fields(obj))
        return f"{type(obj).__name__}({inner})"
    if isinstance(obj, (set, frozenset)):
        return "{" + ", ".join(sorted(_canonical(x) for x in obj)) + "}"
    if isinstance(obj, dict):
        return "{" + ", ".join(sorted(f"{_canonical(k)}: {_canonical(v)}"
                                      for k, v in obj.items())) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ", ".join(_canonical(x) for x in obj) + "]"
    return repr(obj)


# -- encoding ---------------------------------------------------------------------------
def _enc(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return str(v) if isinstance(v, str) else v
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return {"f": float(v).hex()}
    if isinstance(v, tuple):
        return {"t": [_enc(x) for x in v]}
    if isinstance(v, ArrayValue):
        a = v.array
        if a.size > MAX_ARRAY or a.dtype.kind not in "biuf":
            raise _Uncacheable
        return {"a": {"dtype": a.dtype.str, "shape": list(a.shape),
                      "data": [float(x).hex() if a.dtype.kind == "f" else int(x)
                               for x in a.reshape(-1).tolist()]}}
    raise _Uncacheable


def _dec(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, dict) and len(v) == 1:
        (tag, body), = v.items()
        if tag == "f" and isinstance(body, str):
            return float.fromhex(body)
        if tag == "t" and isinstance(body, list):
            return tuple(_dec(x) for x in body)
        if tag == "a" and isinstance(body, dict):
            dtype = np.dtype(str(body["dtype"]))
            shape = tuple(int(d) for d in body["shape"])
            data = [float.fromhex(x) if isinstance(x, str) else int(x) for x in body["data"]]
            if dtype.kind not in "biuf" or len(data) != math.prod(shape):
                raise ValueError("bad array constant")
            return ArrayValue(np.array(data, dtype=dtype).reshape(shape))
    raise ValueError(f"bad attribute value {v!r}")


def _encode(graph: Graph) -> dict[str, Any]:
    order = graph.nodes()
    index = {n.uid: k for k, n in enumerate(order)}
    rows = [[n.op, [index[i.uid] for i in n.inputs], [[k, _enc(v)] for k, v in n.attrs],
             [d if isinstance(d, int) else str(d) for d in n.shape], n.dtype] for n in order]
    unused = [[_enc(i.name), [d if isinstance(d, int) else str(d) for d in i.shape], i.dtype]
              for i in graph.inputs if i.uid not in index]
    return {"nodes": rows, "outputs": [index[o.uid] for o in graph.outputs],
            "inputs": [index.get(i.uid, -1) for i in graph.inputs], "unused": unused}


def _decode(doc: dict[str, Any]) -> Graph:
    nodes: list[Node] = []
    for row in doc["nodes"]:
        op, ins, attrs, shape, dtype = row
        if op not in OPS or not all(isinstance(i, int) and 0 <= i < len(nodes) for i in ins):
            raise ValueError("bad node row")
        if not all((isinstance(d, int) and d >= 0) or (isinstance(d, str) and d.isidentifier())
                   for d in shape) or not isinstance(dtype, str):
            raise ValueError("bad shape or dtype")
        pairs = tuple(sorted((str(k), _dec(v)) for k, v in attrs))
        nodes.append(Node(op, tuple(nodes[i] for i in ins), pairs, tuple(shape), dtype))
    unused = iter(doc["unused"])
    inputs = []
    for i in doc["inputs"]:
        if i == -1:
            name, shape, dtype = next(unused)
            inputs.append(Node("input", (), (("name", name),), tuple(shape), dtype))
        else:
            inputs.append(nodes[i])
    return Graph([nodes[o] for o in doc["outputs"]], inputs)


def _same_signature(a: Graph, b: Graph) -> bool:
    return ([(i.name, tuple(i.shape), i.dtype) for i in a.inputs]
            == [(i.name, tuple(i.shape), i.dtype) for i in b.inputs]
            and [(tuple(o.shape), o.dtype) for o in a.outputs]
            == [(tuple(o.shape), o.dtype) for o in b.outputs])


# -- reading and writing ---------------------------------------------------------------
def lookup(key: str, graph: Graph) -> tuple[Graph, dict[str, Any]] | None:
    """The cached optimized graph and report fields for ``key``, or None."""
    if not enabled():
        return None
    text = _MEMORY.get(key)
    directory = cache_dir()
    if text is None and directory is not None:
        text = _read_entry(directory / f"{key}.json")
    if text is None:
        return None
    try:
        doc = json.loads(text)
        if doc.get("format") != FORMAT or doc.get("key") != key:
            return None
        if doc.get("digest") != _digest(doc["graph"], doc["report"]):
            return None  # a flipped bit or an edited value: never used
        optimized = _decode(doc["graph"])
        report = doc["report"]
        if not isinstance(report, dict) or not _same_signature(graph, optimized):
            return None
    except Exception:  # noqa: BLE001 - any malformed entry is a miss (and is rewritten)
        return None
    return optimized, report


MAX_ENTRY_BYTES = 64 * 2**20  # a larger (or endless) "entry" is not read


def _read_entry(path: Path) -> str | None:
    """The text of a regular file of at most ``MAX_ENTRY_BYTES``, else None (a directory,
    a device or FIFO put in an entry's place, unreadable or undecodable bytes)."""
    try:
        with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NONBLOCK)) as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_ENTRY_BYTES:
                return None
            return fh.read(MAX_ENTRY_BYTES + 1).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _digest(graph: Any, report: Any) -> str:
    """sha256 of an entry's payload, stored beside it and checked on every read."""
    text = json.dumps([graph, report], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store(key: str, optimized: Graph, report: dict[str, Any]) -> None:
    """Write the entry for ``key`` (atomically); failures warn once and are ignored."""
    if not enabled():
        return
    try:
        encoded = _encode(optimized)
        text = json.dumps({"format": FORMAT, "key": key, "graph": encoded, "report": report,
                           "digest": _digest(encoded, report)})
    except (_Uncacheable, TypeError, ValueError):
        return
    directory = cache_dir()
    if directory is None:
        with _LOCK:
            if len(_MEMORY) > 1024:
                _MEMORY.clear()
            _MEMORY[key] = text
        return
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key[:16]}", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        target = directory / f"{key}.json"
        if target.is_dir() and not target.is_symlink():
            os.rmdir(target)  # an empty directory in an entry's place (else: OSError)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        _warn_once(f"write:{directory}", f"cannot write the graph cache in {directory} "
                   f"({exc.strerror or exc}); keeping entries in memory")
        with _LOCK:
            _MEMORY[key] = text
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


__all__ = ["cache_dir", "enabled", "lookup", "make_key", "store"]


# -- the optimizer's side ----------------------------------------------------------------
_REPORT_FIELDS = ("nodes_after", "egraph_nodes", "egraph_classes", "iterations",
                  "phase_iterations", "rules_fired", "cost_before", "cost_after",
                  "stop_reason", "extractor")


# The modules whose code decides what the optimizer returns: a change to any of them (a
# development checkout between releases) must not serve entries an older version stored.
_OPTIMIZER_CODE = ("egraph", "rulelang", "ir", "accuracy", "grad", "optimizer.py", "cost.py",
                   "calibration.py")
_CODE: list[str] = []


def _optimizer_code_digest() -> str:
    """Digest of the optimizer's own source files (read once per process)."""
    if not _CODE:
        _CODE.append(cache_dirs.source_digest("optimizer code", Path(__file__).parent,
                                              _OPTIMIZER_CODE))
    return _CODE[0]


def request_key(graph: Graph, rules: Any, budget: Any, ieee: str, model: Any,
                plain: bool) -> str | None:
    """The key of an ``optimize`` call, or None when it is not cacheable (``plain`` is
    False: custom schedule, cost model or several candidates)."""
    if not plain or not enabled():
        return None
    from . import __version__

    try:
        return make_key(graph, rules, budget, ieee, model.describe(),
                        f"{__version__} {_optimizer_code_digest()}")
    except Exception:  # noqa: BLE001 - an unhashable custom object: no caching
        return None


def report_fields(report: Any) -> dict[str, Any]:
    """The JSON-able report fields an entry keeps."""
    return {f: getattr(report, f) for f in _REPORT_FIELDS if hasattr(report, f)}


def restore_report(report: Any, fields: dict[str, Any]) -> None:
    """Copy an entry's report fields into ``report`` and say where the graph came from."""
    for f in _REPORT_FIELDS:
        if f in fields and hasattr(report, f):
            setattr(report, f, fields[f])
    report.stop_reason = str(fields.get("stop_reason", "cached"))
    report.notes.append("optimized graph from the persistent graph cache (no saturation)")
