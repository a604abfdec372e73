"""Tiered first calls for ``et.jit(..., tiered=True)``: answer from the NumPy reference
backend on the optimized graph while Numba compiles in a background thread, then switch.

The first call of a new signature costs tracing, optimizing (or a graph-cache hit) and one
NumPy evaluation instead of a Numba compilation; later calls run the reference backend
until the compiled kernels are ready, then the compiled executable. Both compute the same
optimized graph (results may differ in the last bits: fast transcendentals, fused loops).

The compile thread is not a daemon: a process that ends while it runs waits for it, so
Numba's disk cache is complete for the next process. A compile that fails leaves the
function on the reference backend with one warning. In a child forked while a compile
ran, the next call compiles in the foreground.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


class TieredExecutable:
    """An executable that runs ``reference`` until ``build()`` (started in a thread on the
    first ``run``) has produced the compiled executable."""

    backend = "tiered"

    def __init__(self, reference: Any, build: Callable[[], Any]) -> None:
        self.reference, self._build = reference, build
        self.compiled: Any = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def run(self, arrays: list[Any], dims: dict[str, int]) -> list[Any]:
        """Outputs for bound input arrays, from the compiled executable once it is ready."""
        exe = self.compiled
        if exe is not None:
            return exe.run(arrays, dims)
        if self.error is None:
            if os.getpid() != self._pid:  # forked: the compile thread is gone
                self._foreground(arrays, dims)
                if self.compiled is not None:
                    return self.compiled.run(arrays, dims)
            elif self._thread is None:
                self._start(arrays, dims)
        return self.reference.run(arrays, dims)

    def _start(self, arrays: list[Any], dims: dict[str, int]) -> None:
        with self._lock:
            if self._thread is not None:
                return
            # the warm-up runs on copies: the caller may change its arrays meanwhile
            sample = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                      for a in arrays]
            self._thread = threading.Thread(target=self._compile, args=(sample, dict(dims)),
                                            name="eqsat-tensor-compile", daemon=False)
            self._thread.start()

    def _compile(self, sample: list[Any], dims: dict[str, int]) -> None:
        try:
            exe = self._build()
            exe.run(sample, dims)  # compiles this signature's kernels
        except BaseException as exc:  # noqa: BLE001 - reported, the reference goes on
            self.error = exc
            warnings.warn(f"eqsat-tensor: background compilation failed ({type(exc).__name__}: "
                          f"{exc}); this function keeps running on the NumPy reference "
                          "backend", RuntimeWarning, stacklevel=1)
            return
        self.compiled = exe

    def _foreground(self, arrays: list[Any], dims: dict[str, int]) -> None:
        self._pid, self._thread, self._lock = os.getpid(), None, threading.Lock()
        self._compile(list(arrays), dims)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background compilation; True when the compiled executable runs."""
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        return self.compiled is not None

    def source(self) -> str:
        """The compiled executable's source (waits for the compilation)."""
        self.wait()
        return (self.compiled or self.reference).source()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name in ("compiled", "reference", "error"):
            raise AttributeError(name)
        self.wait()
        return getattr(self.compiled or self.reference, name)


__all__ = ["TieredExecutable"]
