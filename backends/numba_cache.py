"""On-disk cache of generated kernel modules, with Numba's own ``cache=True`` under it.

Layout of the cache directory (``EQSAT_TENSOR_CACHE_DIR`` or ``~/.cache/eqsat-tensor/
numba``; safe to delete at any time)::

    et_<digest>.py               generated source; <digest> = sha256 of the source text,
                                 the codegen/helper/fastmath sources and the Numba version
    et_<digest>.manifest.json    sha256 of each Numba cache file we saw Numba write
    __pycache__/et_<digest>.*    Numba's cache (index .nbi and object code .nbc)

Nothing is trusted blindly: a source file whose text differs from what we would write is
rewritten (Numba then sees a new timestamp and ignores its old entries); Numba cache files
not listed in the manifest with the same hash are deleted before import, so a corrupted or
foreign file is recompiled instead of loaded. No user data is pickled: array constants are
passed at run time, never written here. Writes are atomic (temp file + rename), so several
processes may share the directory.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

import numba

_LOCK = threading.RLock()
_HERE = Path(__file__).resolve().parent
_VERSION_FILES = ("numba_codegen.py", "numba_helpers.py", "numba_lower.py", "plan.py",
                  "fastmath.py", "numba_cache.py")


def default_cache_dir() -> Path:
    """The cache directory used when none is given."""
    env = os.environ.get("EQSAT_TENSOR_CACHE_DIR")
    if env:
        return Path(env) / "numba"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "eqsat-tensor" / "numba"


def _code_version() -> str:
    h = hashlib.sha256(numba.__version__.encode())
    h.update(sys.version.encode())
    for name in _VERSION_FILES:
        path = _HERE / name
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()


_CODE_VERSION = _code_version()


def module_name(source: str) -> str:
    """The module name (and file stem) of a generated source."""
    h = hashlib.sha256(_CODE_VERSION.encode())
    h.update(source.encode())
    return f"et_{h.hexdigest()[:32]}"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _atomic_write(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def numba_files(directory: Path, name: str) -> list[Path]:
    """Numba's cache files for module ``name``."""
    pyc = directory / "__pycache__"
    if not pyc.is_dir():
        return []
    return sorted(p for p in pyc.iterdir() if p.name.startswith(name + "."))


def purge(directory: Path, name: str) -> None:
    """Delete Numba's cache files and our manifest for ``name`` (it will recompile)."""
    for p in numba_files(directory, name):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
    manifest = directory / f"{name}.manifest.json"
    if manifest.exists():
        manifest.unlink()


def _verify(directory: Path, name: str) -> None:
    """Delete every Numba cache file of ``name`` that the manifest does not vouch for."""
    manifest = directory / f"{name}.manifest.json"
    try:
        known = json.loads(manifest.read_text())["files"] if manifest.exists() else {}
        if not isinstance(known, dict):
            raise ValueError("bad manifest")
    except (ValueError, KeyError, TypeError, OSError):
        purge(directory, name)
        return
    bad = [p for p in numba_files(directory, name) if known.get(p.name) != _sha(p)]
    if any(p.suffix == ".nbi" for p in bad):  # an untrusted index: drop everything
        purge(directory, name)
        return
    for p in bad:
        p.unlink()


def seal(directory: Path, name: str) -> None:
    """Record the hashes of ``name``'s Numba cache files as they are now."""
    with _LOCK:
        files = {p.name: _sha(p) for p in numba_files(directory, name)}
        _atomic_write(directory / f"{name}.manifest.json", json.dumps({"files": files}, indent=1))


def load(source: str, directory: Path) -> ModuleType:
    """Import the module for ``source`` from ``directory``, writing it first if needed."""
    name = module_name(source)
    with _LOCK:
        module = sys.modules.get(name)
        if module is not None:
            return module
        path = directory / f"{name}.py"
        try:
            current = path.read_text(encoding="utf-8") if path.exists() else None
        except (OSError, UnicodeDecodeError):
            current = None
        if current != source:
            purge(directory, name)
            _atomic_write(path, source)
        else:
            _verify(directory, name)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import generated kernels from {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
        return module


__all__ = ["default_cache_dir", "load", "module_name", "numba_files", "purge", "seal"]
