"""Reading ahead: a thread that parses the next batches while the consumer checks earlier ones."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def read_ahead(batches: Iterator[T], depth: int = 4) -> Iterator[T]:
    """The batches, read by a thread that keeps up to `depth` of them ahead of the consumer.

    pyarrow parses without the GIL, and so do most of the checks' compute kernels: while one
    chunk is checked the next is parsed, which keeps both cores busy. Reading stays bounded:
    the thread waits while `depth` batches are queued (a chunk's worth, 4 parsing blocks).
    """
    import queue
    import threading

    q: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        """Queue an item unless the consumer has stopped; whether it was queued."""
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for batch in batches:
                if not put(("batch", batch)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            put(("error", exc))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            kind, item = q.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        thread.join()
