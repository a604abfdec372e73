"""On-disk cache of generated kernel modules, with Numba's own ``cache=True`` under it.

Layout of the cache directory (``EQSAT_TENSOR_CACHE_DIR`` or ``~/.cache/eqsat-tensor/
numba``; safe to delete at any time)::

    et_<digest>.py               generated source; <digest> = sha256 of the source text,
                                 the codegen/helper/fastmath sources and the Numba version
    et_<digest>.manifest.json    sha256 of each Numba cache file we saw Numba write
    __pycache__/et_<digest>.*    Numba's cache (index .nbi and object code .nbc)

The cache is optional: the directory is the configured one (``cache_dir`` option or
``EQSAT_TENSOR_CACHE_DIR``), else the platform's user cache directory (``platformdirs``),
else a temporary directory, else none at all (modules live in memory and Numba does not
cache), with one warning naming the path that failed; a path of the wrong kind (a file
where a directory is expected, a directory where a file is) is skipped the same way.
Every write that fails with ``OSError`` (full disk, file size limit, read-only or
forbidden directory) leaves no partial entry, warns once, and the call goes on without
the cache; later writes try again.

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
import stat
import sys
import tempfile
import threading
from pathlib import Path
from types import ModuleType

import numba

from .. import cache_dirs
from ..ir import scalars

_LOCK = threading.RLock()
_HERE = Path(__file__).resolve().parent
_VERSION_FILES = ("numba_codegen.py", "numba_names.py", "numba_kernel.py",
                  "numba_elementwise.py", "numba_reduce.py", "numba_driver.py",
                  "numba_helpers.py", "numba_lower.py", "plan.py", "fastmath.py",
                  "numba_cache.py", "numba_packed.py",
                  "numba_packed_steps.py", "numba_fastextra.py", "numba_flat.py")


def default_cache_dir() -> Path:
    """The cache directory used when none is given (it may not be usable; see
    ``resolve_cache_dir``)."""
    return cache_dirs.subdir("numba")


_RESOLVED: dict[str, Path | None] = {}
warn_once = cache_dirs.warn_once


def resolve_cache_dir(configured: str | os.PathLike | None = None) -> Path | None:
    """The first usable cache directory: ``configured`` (or the default), a private
    temporary one; None (memory only) when none is usable. One warning when the first
    choice fails."""
    key = str(configured)
    with _LOCK:
        if key in _RESOLVED:
            return _RESOLVED[key]
        first = Path(configured) if configured else default_cache_dir()
        chosen = cache_dirs.first_usable([first, cache_dirs.private_temp_dir("numba")],
                                         "kernel cache")
        _RESOLVED[key] = chosen
        return chosen


def _code_version() -> str:
    h = hashlib.sha256(numba.__version__.encode())
    h.update(sys.version.encode())
    for path in (*(_HERE / name for name in _VERSION_FILES), Path(scalars.__file__)):
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()


_CODE_VERSION = _code_version()


def module_name(source: str) -> str:
    """The module name (and file stem) of a generated source."""
    h = hashlib.sha256(_CODE_VERSION.encode())
    h.update(source.encode())
    return f"et_{h.hexdigest()[:32]}"


MAX_FILE_BYTES = 1 << 30  # a larger cache "file" is not read (nor is an endless one)


def _read_bytes(path: Path) -> bytes:
    """The bytes of a regular file; ``OSError`` for anything else put in its place (a
    FIFO would block, ``/dev/zero`` never ends, a directory cannot be read)."""
    with open(path, "rb", opener=lambda p, f: os.open(p, f | os.O_NONBLOCK)) as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:
            raise OSError(f"not a regular cache file: {path}")
        return fh.read()


def _sha(path: Path) -> str:
    return hashlib.sha256(_read_bytes(path)).hexdigest()


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
    try:
        return sorted(p for p in pyc.iterdir() if p.name.startswith(name + "."))
    except OSError:  # missing, not a directory, unreadable
        return []


def _unlink(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():  # a directory where a file should be
            import shutil

            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink()
    except OSError:
        pass


def purge(directory: Path, name: str) -> None:
    """Delete Numba's cache files and our manifest for ``name`` (it will recompile)."""
    for p in numba_files(directory, name):
        _unlink(p)
    _unlink(directory / f"{name}.manifest.json")


def _verify(directory: Path, name: str) -> None:
    """Delete every Numba cache file of ``name`` that the manifest does not vouch for."""
    manifest = directory / f"{name}.manifest.json"
    try:
        known = json.loads(_read_bytes(manifest))["files"] if manifest.exists() else {}
        if not isinstance(known, dict):
            raise ValueError("bad manifest")
    except (ValueError, KeyError, TypeError, OSError):
        purge(directory, name)
        return
    try:
        bad = [p for p in numba_files(directory, name) if known.get(p.name) != _sha(p)]
    except OSError:
        purge(directory, name)
        return
    if any(p.suffix == ".nbi" for p in bad):  # an untrusted index: drop everything
        purge(directory, name)
        return
    for p in bad:
        _unlink(p)


def seal(directory: Path, name: str) -> None:
    """Record the hashes of ``name``'s Numba cache files as they are now (a failed write
    warns once and leaves the entry unsealed: it is recompiled next time)."""
    with _LOCK:
        try:
            files = {p.name: _sha(p) for p in numba_files(directory, name)}
            _atomic_write(directory / f"{name}.manifest.json",
                          json.dumps({"files": files}, indent=1))
        except OSError as exc:
            purge(directory, name)
            warn_once(f"write:{directory}", f"cannot write the kernel cache in {directory} "
                      f"({exc.strerror or exc}); running without it")


def uncached_source(source: str) -> str:
    """``source`` with Numba's disk cache turned off (the generated ``CACHE`` flag)."""
    return source.replace("\nCACHE = True\n", "\nCACHE = False\n", 1)


def load_in_memory(source: str) -> ModuleType:
    """Import generated ``source`` without any file (no Numba disk cache)."""
    source = uncached_source(source)
    name = module_name(source) + "_mem"
    with _LOCK:
        module = sys.modules.get(name)
        if module is not None:
            return module
        module = ModuleType(name)
        module.__file__ = f"<eqsat-tensor generated {name}>"
        code = compile(source, module.__file__, "exec")  # our generated code, not user text
        sys.modules[name] = module
        try:
            exec(code, module.__dict__)
        except BaseException:
            del sys.modules[name]
            raise
        return module


def load(source: str, directory: Path | None) -> ModuleType:
    """Import the module for ``source`` from ``directory``, writing it first if needed;
    in memory (without Numba's cache) when ``directory`` is None or cannot be written."""
    if directory is None:
        return load_in_memory(source)
    name = module_name(source)
    with _LOCK:
        module = sys.modules.get(name)
        if module is not None:
            return module
        path = directory / f"{name}.py"
        if path.is_dir() or (path.exists() and not path.is_file()):  # not ours: removed
            _unlink(path)
        try:
            current = _read_bytes(path).decode("utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError):
            current = None
        try:
            if current != source:
                purge(directory, name)
                _atomic_write(path, source)
            else:
                _verify(directory, name)
        except OSError as exc:
            warn_once(f"write:{directory}", f"cannot write the kernel cache in {directory} "
                      f"({exc.strerror or exc}); running without it")
            return load_in_memory(source)
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


__all__ = ["default_cache_dir", "load", "load_in_memory", "module_name", "numba_files", "purge",
           "resolve_cache_dir", "seal", "uncached_source", "warn_once"]
