"""What survives ``os.fork()``: per-process state is rebuilt in the child.

``multiprocessing`` and ``ProcessPoolExecutor`` fork by default on Linux (up to Python
3.13). A forked child gets a copy of the parent's memory but only the forking thread, so:

* locks held by another thread at the time of the fork stay held forever: modules
  register a ``reset`` hook (``on_fork_child``) that replaces their locks and drops
  per-thread caches in the child;
* egglog runs rules on a Rust thread pool (rayon) that is created once per process and
  whose threads do not exist in a child: once the parent has used egglog, any e-graph in
  the child would wait forever. In such a child ``check_egglog`` raises
  ``ForkedEgglogError``, and the optimizer falls back to the unoptimized graph with a
  warning (the graph still compiles and runs);
* Numba's OpenMP threading layer aborts the child on its first parallel kernel when the
  parent had started it: in such a child the Numba backend runs its serial builds.

``spawn`` and ``forkserver`` start methods have none of these limits and are the
recommended way to use eqsat-tensor from worker pools
(``multiprocessing.get_context("spawn")``).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

_HOOKS: list[Callable[[], None]] = []
_EGGLOG_USED = False  # this process has run egglog (its thread pool exists)
_EGGLOG_BROKEN = False  # forked after egglog ran: no egglog in this process
_SERIAL_ONLY = False  # forked after Numba started a non-fork-safe threading layer
_LOCK = threading.Lock()


class ForkedEgglogError(RuntimeError):
    """egglog cannot run in a process forked after the parent used it."""


def on_fork_child(hook: Callable[[], None]) -> Callable[[], None]:
    """Register ``hook`` to run in every forked child (replace locks, drop caches)."""
    with _LOCK:
        _HOOKS.append(hook)
    return hook


def note_egglog_used() -> None:
    """Called when this process first runs egglog."""
    global _EGGLOG_USED
    _EGGLOG_USED = True


def check_egglog() -> None:
    """Raise ``ForkedEgglogError`` where egglog would hang (see the module docstring)."""
    if _EGGLOG_BROKEN:
        raise ForkedEgglogError(
            "egglog cannot run in a process forked (os.fork / multiprocessing 'fork') after "
            "the parent used it: its thread pool does not survive fork. The graph is not "
            "optimized; use multiprocessing.get_context('spawn') or 'forkserver' workers")


def serial_only() -> bool:
    """Whether parallel Numba kernels must not run in this process (see above)."""
    return _SERIAL_ONLY


def _numba_layer_unsafe() -> bool:
    numba = sys.modules.get("numba")
    if numba is None:
        return False
    try:
        from numba.np.ufunc import parallel
    except ImportError:  # pragma: no cover - numba layout changed
        return True
    if not getattr(parallel, "_is_initialized", False):
        return False  # no thread pool yet: the child starts its own
    try:
        return numba.threading_layer() != "tbb"  # omp aborts; workqueue threads are gone
    except ValueError:
        return False


def _after_fork_in_child() -> None:
    global _EGGLOG_BROKEN, _SERIAL_ONLY, _LOCK
    _LOCK = threading.Lock()
    _EGGLOG_BROKEN = _EGGLOG_BROKEN or _EGGLOG_USED
    _SERIAL_ONLY = _SERIAL_ONLY or _numba_layer_unsafe()
    for hook in list(_HOOKS):
        try:
            hook()
        except Exception:  # noqa: BLE001 - a failing hook must not kill the child
            pass


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


__all__ = ["ForkedEgglogError", "check_egglog", "note_egglog_used", "on_fork_child",
           "serial_only"]
