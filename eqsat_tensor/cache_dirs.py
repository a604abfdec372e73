"""Where eqsat-tensor's on-disk caches live, and how their keys name the code that wrote
them (one definition for the graph cache, the parsed-rule cache, the rule checker's
verdicts, the calibrated cost tables and the Numba kernel cache).

The root is ``$EQSAT_TENSOR_CACHE_DIR`` when set, else the platform's user cache
directory (``platformdirs``; on Linux ``$XDG_CACHE_HOME/eqsat-tensor`` or
``~/.cache/eqsat-tensor``); each cache takes a sub-directory (``graphs``, ``numba``,
``parsed-rules``, ``rules``). ``first_usable`` picks the first directory of a list that
accepts files, so a cache falls back to a private temporary directory and then to memory
with one warning instead of failing.

A leaf module: it imports nothing from the package, so every layer and the backends may
use it.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path

__all__ = ["cache_root", "first_usable", "private_temp_dir", "source_digest", "subdir",
           "warn_once"]

_APP = "eqsat-tensor"
_WARNED: set[str] = set()
_LOCK = threading.Lock()


def cache_root() -> Path:
    """The root of every eqsat-tensor cache (see the module doc); it may not exist yet."""
    env = os.environ.get("EQSAT_TENSOR_CACHE_DIR")
    if env:
        return Path(env)
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir(_APP))
    except Exception:  # noqa: BLE001 - optional, and HOME may be unset or odd
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                 ".cache")
        return Path(base) / _APP


def subdir(name: str) -> Path:
    """The directory of the cache called ``name`` under ``cache_root()``."""
    return cache_root() / name


def private_temp_dir(name: str) -> Path:
    """A per-user directory for cache ``name`` under the system's temporary directory (the
    last fallback: a directory shared between users would let one plant entries for
    another)."""
    user = f"-{os.getuid()}" if hasattr(os, "getuid") else ""
    return Path(tempfile.gettempdir()) / f"{_APP}{user}" / name


def warn_once(key: str, message: str, stacklevel: int = 3) -> None:
    """A ``RuntimeWarning`` the first time ``key`` comes up in this process."""
    with _LOCK:
        if key in _WARNED:
            return
        _WARNED.add(key)
    warnings.warn(f"eqsat-tensor: {message}", RuntimeWarning, stacklevel=stacklevel)


def unusable_reason(directory: Path) -> str | None:
    """None when ``directory`` exists (or was created) and accepts files, else why not."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not directory.is_dir():
            return "not a directory"
        fd, probe = tempfile.mkstemp(dir=directory, prefix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc.strerror or exc}"
    return None


def first_usable(candidates: Iterable[Path], what: str) -> Path | None:
    """The first of ``candidates`` that accepts files; None (memory only) when none does.
    One warning (per ``what`` and first candidate) when the first choice fails."""
    failed: list[str] = []
    chosen: Path | None = None
    for candidate in dict.fromkeys(candidates):
        why = unusable_reason(candidate)
        if why is None:
            chosen = candidate
            break
        failed.append(f"{candidate} ({why})")
    if failed:
        where = str(chosen) if chosen is not None else "memory (no disk cache)"
        warn_once(f"dir:{what}:{failed[0]}",
                  f"{what} directory {failed[0]} is not usable; using {where}", stacklevel=4)
    return chosen


def source_digest(label: str, root: Path, names: Iterable[str]) -> str:
    """sha256 (hex) of ``label`` and of the Python sources ``names`` under ``root`` (files,
    or directories read recursively), each with its path relative to ``root``: a cache
    entry written by other code than this checkout's is never served."""
    h = hashlib.sha256(label.encode())
    for name in names:
        path = root / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            if f.is_file():
                h.update(b"\0" + f.relative_to(root).as_posix().encode() + b"\0"
                         + f.read_bytes())
    return h.hexdigest()
