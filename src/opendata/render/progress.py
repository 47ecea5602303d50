"""Progress bars on a terminal (rich), shown only once the work has taken more than a moment."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opendata.progress import Advance, Progress

# Work done faster than this shows no bar at all: a flash of a bar is noise.
DELAY_SECONDS = 1.0


class TerminalProgress:
    """A rich progress display on stderr that appears after DELAY seconds of work, then stays live.

    `start` and the returned advance functions may be called from any thread (the CSV reader
    reads ahead on its own): rich's Progress locks its tasks, and the one-time start is locked.
    """

    def __init__(self, console: Any, delay: float = DELAY_SECONDS) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.delay = delay
        self.began = time.monotonic()
        self.shown = False
        self._lock = threading.Lock()

    def start(self, description: str, total: int | None) -> Advance:
        """Add a task; its advance function also brings the bar up once the delay has passed."""
        task = self.bar.add_task(description, total=total)
        done = 0

        def advance(amount: int) -> None:
            nonlocal done
            done += amount
            # A finished task leaves the screen: the bar shows the work still going on.
            finished = total is not None and done >= total
            self.bar.update(task, advance=amount, visible=not finished)
            if not self.shown and time.monotonic() - self.began >= self.delay:
                with self._lock:
                    if not self.shown:
                        self.shown = True
                        self.bar.start()

        return advance

    def stop(self) -> None:
        """Take the bar off the screen (it is transient), leaving the terminal as it was."""
        with self._lock:
            if self.shown:
                self.bar.stop()
                self.shown = False


def may_be_terminal(stream: Any) -> bool:
    """False where rich would surely find no terminal: not a tty, and no variable forcing one.

    Answering that without rich saves importing it (about 0.03 s) on a pipe or in a log.
    """
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True  # rich's own reading of them decides
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def wanted(console: Any) -> bool:
    """Whether to draw bars: stderr is a terminal, not a CI log, not a dumb terminal."""
    return bool(console.is_terminal) and not os.environ.get("CI") and not console.is_dumb_terminal


@contextmanager
def terminal_progress(console: Any = None) -> Iterator[Progress | None]:
    """A TerminalProgress on stderr while the block runs, or None on a pipe or in CI."""
    if console is None and (os.environ.get("CI") or not may_be_terminal(sys.stderr)):
        yield None
        return
    from rich.console import Console

    console = console or Console(stderr=True)
    if not wanted(console):
        yield None
        return
    progress = TerminalProgress(console)
    try:
        yield progress
    finally:
        progress.stop()
