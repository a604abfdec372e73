"""Progress display for anything that can take more than a second.

One switch, one display: ``with et.progress():`` (or ``et.optimize(..., progress=True)``,
or any ``eqsat-tensor`` command) turns on a ``rich`` progress display (a terminal, or a
live widget in a notebook) for the code inside. Library code reports through the small
functions below, which do nothing when no display is active, so the hooks cost a
context-variable lookup:

- ``task(description, total)``: a context manager around a phase (a benchmark run);
  ``step(...)`` on it advances the bar and updates the detail text; ``phase(description)``
  and ``phase(description, done=True)`` mark a phase without a block (extraction);
- ``saturation_step(iteration, total, enodes, counts)``: one line from the saturation
  runner (iteration i of the budget, e-graph size, the rule that matched most);
- Numba compilation is seen without any hook in the backends: while a display is active,
  a listener on Numba's ``numba:compile`` events shows "compiling kernel i of n" for the
  generated modules (kernels are the functions named ``k<i>_parallel`` / ``k<i>_serial``).

The display appears only after ``delay`` seconds (default 0.5 s), so fast calls print
nothing, and it is transient: it disappears when the work is done. It is drawn on
stderr, and only on a terminal or in a notebook (logs and pipes get nothing).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

_ACTIVE: contextvars.ContextVar[_Display | None] = contextvars.ContextVar(
    "eqsat_tensor_progress", default=None)
_KERNEL = re.compile(r"^k(\d+)_(parallel|serial)$")


class _Display:
    """A lazily started ``rich.progress.Progress`` (shown only once work lasts ``delay``)."""

    def __init__(self, console: Any = None, delay: float = 0.5) -> None:
        self.console = console
        self.delay = delay
        self.t0 = time.perf_counter()
        self._progress: Any = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._tasks: dict[str, Any] = {}
        self._pending: dict[str, dict[str, Any]] = {}

    # -- the rich display, started late --------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._progress is not None or self._timer is None:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            if self.console is None:
                from rich.console import Console

                self.console = Console(stderr=True)
            if not (self.console.is_terminal or self.console.is_jupyter):
                return  # logs and pipes: no live display
            self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                      BarColumn(), MofNCompleteColumn(),
                                      TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                                      console=self.console, transient=True)
            self._progress.start()
            for key, state in self._pending.items():
                self._tasks[key] = self._progress.add_task(**state)

    def open(self) -> None:
        self._timer = threading.Timer(self.delay, self._start)
        self._timer.daemon = True
        self._timer.start()

    def close(self) -> None:
        with self._lock:
            timer, self._timer = self._timer, None
            if timer is not None:
                timer.cancel()
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    # -- tasks ----------------------------------------------------------------------------

    def update(self, key: str, description: str, total: float | None = None,
               completed: float | None = None, detail: str = "", done: bool = False) -> None:
        with self._lock:
            if done:
                self._pending.pop(key, None)
                task = self._tasks.pop(key, None)
                if task is not None and self._progress is not None:
                    self._progress.remove_task(task)
                return
            state = self._pending.setdefault(
                key, {"description": description, "total": total, "completed": 0,
                      "detail": ""})
            state["description"] = description
            state["detail"] = detail
            if total is not None:
                state["total"] = total
            if completed is not None:
                state["completed"] = completed
            if self._progress is not None:
                task = self._tasks.get(key)
                if task is None:
                    self._tasks[key] = self._progress.add_task(**state)
                else:
                    self._progress.update(task, description=description, total=state["total"],
                                          completed=state["completed"], detail=detail)


def active() -> bool:
    """Whether a progress display is on in this context."""
    return _ACTIVE.get() is not None


@contextlib.contextmanager
def progress(enabled: bool = True, *, console: Any = None, delay: float = 0.5
             ) -> Iterator[None]:
    """Show progress for the code inside (``with et.progress(): f(x)``). Nested uses
    share the outer display; ``enabled=False`` is a no-op, so callers can pass a flag."""
    if not enabled or _ACTIVE.get() is not None:
        yield
        return
    display = _Display(console, delay)
    token = _ACTIVE.set(display)
    display.open()
    try:
        with _numba_listener(display):
            yield
    finally:
        display.close()
        _ACTIVE.reset(token)


class Task:
    """A handle on one line of the display (does nothing when progress is off)."""

    def __init__(self, key: str, description: str, total: float | None) -> None:
        self.key, self.description, self.total = key, description, total
        self.completed = 0.0

    def step(self, advance: float = 1.0, *, completed: float | None = None,
             total: float | None = None, detail: str = "", description: str | None = None
             ) -> None:
        """Advance by ``advance`` (or set ``completed``); update the detail text."""
        display = _ACTIVE.get()
        self.completed = completed if completed is not None else self.completed + advance
        self.total = total if total is not None else self.total
        self.description = description or self.description
        if display is not None:
            display.update(self.key, self.description, self.total, self.completed, detail)


@contextlib.contextmanager
def task(description: str, total: float | None = None) -> Iterator[Task]:
    """A progress line for a phase; removed when the block ends."""
    key = f"{description}#{id(object())}"
    handle = Task(key, description, total)
    display = _ACTIVE.get()
    if display is not None:
        display.update(key, description, total, 0)
    try:
        yield handle
    finally:
        if display is not None:
            display.update(key, description, done=True)


def phase(description: str, done: bool = False) -> None:
    """A one-line phase without a count (``phase("extracting")`` ... ``phase("extracting",
    done=True)``), for call sites where a ``with task(...)`` block does not fit."""
    display = _ACTIVE.get()
    if display is not None:
        display.update(f"phase:{description}", description, None, 0, done=done)


def saturation_step(iteration: int, total: int, enodes: int,
                    counts: Mapping[str, int] | None = None, phase: str = "",
                    name_of: Callable[[str], str | None] | None = None) -> None:
    """One saturation iteration finished (called by the runner between iterations):
    ``counts`` are the matches per (egglog) rule name, ``name_of`` maps them to rule names."""
    display = _ACTIVE.get()
    if display is None:
        return
    top = ""
    if counts:
        name, n = max(counts.items(), key=lambda kv: kv[1])
        if name_of is not None:
            name = name_of(name) or name
        top = f", top rule {name} x{n}" if n else ""
    label = f"saturating ({phase})" if phase else "saturating"
    display.update("saturate", label, total, iteration, f"{enodes:,} e-nodes{top}")


def saturation_done() -> None:
    """Saturation ended: drop its line."""
    display = _ACTIVE.get()
    if display is not None:
        display.update("saturate", "saturating", done=True)


# -- Numba compilation, seen through Numba's event API ---------------------------------------


@contextlib.contextmanager
def _numba_listener(display: _Display) -> Iterator[None]:
    try:
        from numba.core import event
    except ImportError:  # numba is a core dependency, but be safe
        yield
        return

    seen: dict[int, set[str]] = {}

    class Listener(event.Listener):  # type: ignore[misc]
        def on_start(self, ev: Any) -> None:
            disp = (ev.data or {}).get("dispatcher")
            fn = getattr(disp, "py_func", None)
            m = _KERNEL.match(getattr(fn, "__name__", ""))
            if m is None:
                return
            glb = fn.__globals__
            kernels = {k.group(1) for k in map(_KERNEL.match, glb) if k}
            done = seen.setdefault(id(glb), set())
            done.add(m.group(1))
            display.update(f"numba{id(glb)}", "numba: compiling kernel", len(kernels),
                           len(done), f"k{m.group(1)} ({m.group(2)})")

        def on_end(self, ev: Any) -> None:
            pass

    with event.install_listener("numba:compile", Listener()):
        try:
            yield
        finally:
            for key in [f"numba{k}" for k in seen]:
                display.update(key, "", done=True)
