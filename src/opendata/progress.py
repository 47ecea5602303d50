"""Progress of long work: library functions report it to an optional listener; the CLI draws it.

A function doing long work takes `progress: Progress | None` and calls `start(progress, ...)`
once per task (a table read, a file fetched), then the returned function with each amount done.
Nobody listening costs one no-op call per chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """Whoever shows progress: told of each task, then of the work done on it."""

    def start(self, description: str, total: int | None) -> Advance:
        """Begin a task of TOTAL units (bytes; None when unknown); return what advances it."""
        ...


def _ignore(amount: int) -> None:
    """Advance nothing: no one is listening."""


def start(progress: Progress | None, description: str, total: int | None) -> Advance:
    """`progress.start(description, total)`, or a no-op when PROGRESS is None."""
    return _ignore if progress is None else progress.start(description, total)
