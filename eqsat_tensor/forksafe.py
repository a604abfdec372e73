"""What survives ``os.fork()``: per-process state is rebuilt in the child.

``multiprocessing`` and ``ProcessPoolExecutor`` fork by default on Linux (up to Python
3.13). A forked child gets a copy of the parent's memory but only the forking thread, so:

* locks held by another thread at the time of the fork stay held forever: modules
  register a ``reset`` hook (``on_fork_child``) that replaces their locks and drops
  per-thread caches in the child;
* egglog uses a Rust thread pool (rayon) that is created once per process and whose
  threads do not exist in a child: once the parent has used egglog, whatever egglog hands
  to that pool in the child waits forever. Measured (egglog 13.2): building and running
  a fresh e-graph in such a child works; dropping an e-graph and ``(pop)`` hang. So in
  such a child (``egglog_pinned()``) the engine builds a private e-graph per
  optimization, never pops it and never drops it (``pin``): the child optimizes
  properly, at the price of rebuilding egglog's static program per optimization and
  keeping each e-graph's memory until the process exits;
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
    """Raise ``ForkedEgglogError`` where egglog would hang even with pinned e-graphs
    (``EQSAT_TENSOR_FORK_EGGLOG=0`` turns egglog off in forked children)."""
    if _EGGLOG_BROKEN and os.environ.get("EQSAT_TENSOR_FORK_EGGLOG", "1") == "0":
        raise ForkedEgglogError(
            "egglog is turned off in processes forked after the parent used it "
            "(EQSAT_TENSOR_FORK_EGGLOG=0): the graph is not optimized; use "
            "multiprocessing.get_context('spawn') or 'forkserver' workers")


def egglog_pinned() -> bool:
    """Whether this process was forked after its parent used egglog: e-graphs must then be
    private to one optimization, never popped and never dropped (``pin`` them)."""
    return _EGGLOG_BROKEN


_PINNED: list[object] = []


def pin(obj: object) -> None:
    """Keep ``obj`` (an egglog e-graph) alive until the process exits: dropping it would
    hand work to egglog's thread pool, which a forked child does not have."""
    _PINNED.append(obj)


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


__all__ = ["ForkedEgglogError", "check_egglog", "egglog_pinned", "note_egglog_used",
           "on_fork_child", "pin", "serial_only"]
