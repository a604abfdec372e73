"""Tiered first calls (``et.jit``'s default on the Numba backend): answer from the NumPy
reference backend on the optimized graph while Numba compiles in a background thread, then
switch.

The first call of a new signature costs tracing, optimizing (or a graph-cache hit) and one
NumPy evaluation instead of Numba's start-up and a compilation; later calls run the
reference backend until the compiled kernels are ready, then the compiled executable. Both
compute the same optimized graph with the same dtypes, shapes and result types; values may
differ in the last bits (fast transcendentals, fused loops), as between any two backends.
A call that raises on the reference (an index out of range, a shape error) starts no
compilation: the compile starts after the first call that succeeds, on a copy of its
arguments.

The compile thread is not a daemon: a process that ends while it runs waits for it, so
Numba's disk cache is complete for the next process. ``os.fork`` waits for running
compiles first (a child must not inherit Numba's compiler lock held by a thread that does
not exist there). A compile that fails leaves the function on the reference backend with
one warning. In a child forked before a compile started, the next call compiles in the
foreground.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

_RUNNING: set[threading.Thread] = set()  # compile threads not yet finished
_RUNNING_LOCK = threading.Lock()
# errors of the warm-up run that belong to its data, not to the compilation
_DATA_ERRORS = (IndexError, ZeroDivisionError, FloatingPointError, OverflowError)


def wait_all(timeout: float | None = None) -> bool:
    """Wait for every background compilation of this process; True when none is left."""
    with _RUNNING_LOCK:
        threads = [t for t in _RUNNING if t is not threading.current_thread()]
    for t in threads:
        t.join(timeout)
    return not any(t.is_alive() for t in threads)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=wait_all)


class TieredExecutable:
    """An executable that runs ``reference`` until ``build()`` (started in a thread after
    the first successful ``run``) has produced the compiled executable."""

    backend = "tiered"

    def __init__(self, reference: Any, build: Callable[[], Any]) -> None:
        self.reference, self._build = reference, build
        self.compiled: Any = None
        self.error: BaseException | None = None
        # called with the compiled executable once it is ready (et.jit swaps it in, so a
        # warm call goes straight to the kernels)
        self.on_ready: Callable[[Any], None] | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def run(self, arrays: list[Any], dims: dict[str, int]) -> list[Any]:
        """Outputs for bound input arrays, from the compiled executable once it is ready."""
        exe = self.compiled
        if exe is not None:
            return exe.run(arrays, dims)
        if self.error is None and os.getpid() != self._pid and self._thread is None:
            # forked before any compile started here: compile in the foreground
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._compile(list(arrays), dims)
            if self.compiled is not None:
                return self.compiled.run(arrays, dims)
        outs = self.reference.run(arrays, dims)
        if self._thread is None and self.error is None:
            self._start(arrays, dims)
        return outs

    def _start(self, arrays: list[Any], dims: dict[str, int]) -> None:
        with self._lock:
            if self._thread is not None:
                return
            # the warm-up runs on copies: the caller may change its arrays meanwhile
            sample = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                      for a in arrays]
            thread = threading.Thread(target=self._compile_in_thread,
                                      args=(sample, dict(dims)),
                                      name="eqsat-tensor-compile", daemon=False)
            with _RUNNING_LOCK:
                _RUNNING.add(thread)
            self._thread = thread
            thread.start()

    def _compile_in_thread(self, sample: list[Any], dims: dict[str, int]) -> None:
        try:
            self._compile(sample, dims)
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(threading.current_thread())

    def _compile(self, sample: list[Any], dims: dict[str, int]) -> None:
        try:
            exe = self._build()
        except BaseException as exc:  # noqa: BLE001 - reported, the reference goes on
            self._failed(exc)
            return
        try:
            exe.run(sample, dims)  # compiles this signature's kernels
        except _DATA_ERRORS:
            pass  # the kernels are built; this sample's data raise as on the reference
        except BaseException as exc:  # noqa: BLE001
            self._failed(exc)
            return
        self._ready(exe)

    def _ready(self, exe: Any) -> None:
        self.compiled = exe
        if self.on_ready is not None:
            self.on_ready(exe)

    def _failed(self, exc: BaseException) -> None:
        self.error = exc
        warnings.warn(f"eqsat-tensor: background compilation failed ({type(exc).__name__}: "
                      f"{exc}); this function keeps running on the NumPy reference "
                      "backend", RuntimeWarning, stacklevel=1)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background compilation; True when the compiled executable runs."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return self.compiled is not None

    def settle(self) -> Any:
        """The compiled executable, built in the foreground when nothing has run yet (its
        kernels compile on their first run), or the reference after a failed compile."""
        with self._lock:
            if self._thread is None and self.compiled is None and self.error is None:
                self._ready(self._build())
        self.wait()
        return self.compiled or self.reference

    def source(self) -> str:
        """The compiled executable's source (waits for the compilation)."""
        return self.settle().source()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("compiled", "reference", "error"):
            raise AttributeError(name)
        return getattr(self.settle(), name)


__all__ = ["TieredExecutable", "wait_all"]
