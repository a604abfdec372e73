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
  keeping each e-graph's memory until the process exits. That memory is bounded: once
  the process has grown by ``EQSAT_TENSOR_FORK_PIN_MB`` (default 512) MB since the fork,
  or pinned ``EQSAT_TENSOR_FORK_PIN_COUNT`` (default 256) e-graphs, the child stops
  using egglog (one warning; optimizations return the input graph with constants
  folded), so a long-lived fork worker cannot grow without bound (recycle workers with
  ``maxtasksperchild``, or use ``spawn``);
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
_RSS_AT_FORK = 0


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
    (``EQSAT_TENSOR_FORK_EGGLOG=0`` turns egglog off in forked children), or where the
    pinned e-graphs have reached their memory bound (see the module docstring)."""
    if not _EGGLOG_BROKEN:
        return
    if os.environ.get("EQSAT_TENSOR_FORK_EGGLOG", "1") == "0":
        raise ForkedEgglogError(
            "egglog is turned off in processes forked after the parent used it "
            "(EQSAT_TENSOR_FORK_EGGLOG=0): the graph is not optimized; use "
            "multiprocessing.get_context('spawn') or 'forkserver' workers")
    grown = (_rss_bytes() - _RSS_AT_FORK) / 2**20
    limit_mb = _env_number("EQSAT_TENSOR_FORK_PIN_MB", 512.0)
    limit_count = _env_number("EQSAT_TENSOR_FORK_PIN_COUNT", 256.0)
    if _PINNED and (grown > limit_mb or len(_PINNED) >= limit_count):
        raise ForkedEgglogError(
            f"this process was forked after its parent used egglog and now keeps "
            f"{len(_PINNED)} e-graphs it cannot free ({grown:.0f} MB grown since the fork; "
            f"limits EQSAT_TENSOR_FORK_PIN_MB={limit_mb:g}, "
            f"EQSAT_TENSOR_FORK_PIN_COUNT={limit_count:g}): the graph is not optimized; "
            "recycle workers (maxtasksperchild) or use multiprocessing.get_context('spawn') "
            "or 'forkserver' workers")


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment; ``default`` for a missing or bad value."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default  # NaN, zero and negatives: the default


def _rss_bytes() -> int:
    """This process's resident set size (0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        try:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        except Exception:  # noqa: BLE001 - no measure: the count limit still holds
            return 0


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
    global _EGGLOG_BROKEN, _SERIAL_ONLY, _LOCK, _RSS_AT_FORK
    _LOCK = threading.Lock()
    _RSS_AT_FORK = _rss_bytes()
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
