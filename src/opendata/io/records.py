"""Record boundaries in raw CSV bytes: where records and lines end, and whether a cell spans lines."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable

    import pyarrow as pa


class Placed(NamedTuple):
    """A ragged record, numbered as pyarrow's serial parser numbers its invalid rows."""

    number: int
    text: str


def holds_no_record(open_bytes: Callable[[], io.BufferedIOBase]) -> bool:
    """Whether a file (its bytes as OPEN_BYTES gives them, decompressed) is empty as frictionless
    sees it: no bytes, a UTF-8 byte-order mark, or one line break (several blank lines are blank
    rows to it)."""
    with open_bytes() as fh:
        head = fh.read(8)
    return head.removeprefix(b"\xef\xbb\xbf") in (b"", b"\n", b"\r\n", b"\r")


def record_end(buf: bytearray, have: int, quote: bytes) -> int:
    """Where the last whole record in buf[:have] ends (0: none does); buf starts at a record.

    A line break ends a record unless it lies inside a quoted cell, which is when an odd number
    of quote characters precede it (a doubled quote inside a cell adds two).
    """
    cut = buf.rfind(b"\n", 0, have) + 1
    if not quote or cut == 0:
        return cut
    odd = buf.count(quote, 0, cut) % 2
    while odd and cut:
        previous = buf.rfind(b"\n", 0, cut - 1) + 1
        odd ^= buf.count(quote, previous, cut) % 2
        cut = previous
    return cut


def after_lines(raw: bytes | bytearray, lines: int, end: int) -> int | None:
    """Where raw[:end] continues after its first `lines` lines; None if it has fewer."""
    at = 0
    for _ in range(lines):
        at = raw.find(b"\n", at, end) + 1
        if not at:
            return None
    return at


def whole_lines(
    raw: bytes | bytearray, text: bytes, start: int, end: int, limit: int, crlf: bool
) -> list[int]:
    """Where `text` is a whole line of raw[start:end] (ended by LF, CRLF or the end); at most limit + 1."""
    hits = []
    for eol in (b"\n", b"\r\n") if crlf else (b"\n",):
        if raw.startswith(text + eol, start, end):
            hits.append(start)
        needle = b"\n" + text + eol
        at = raw.find(needle, start, end)
        while at >= 0 and len(hits) <= limit:
            hits.append(at + 1)
            at = raw.find(needle, at + len(needle) - 1, end)
    last = end - len(text)
    if (
        last >= start
        and raw[end - 1 : end] != b"\n"
        and raw.startswith(text, last, end)
        and (last == start or raw[last - 1 : last] == b"\n")
    ):
        hits.append(last)
    return sorted(set(hits))


def has_newline(col: pa.Array) -> bool:
    """Whether any cell may hold a line break: one scan of the column's data buffer, no per-cell work."""
    import numpy as np

    data = col.buffers()[2] if len(col.buffers()) > 2 else None
    if data is None or data.size == 0:
        return False
    # The buffer can extend past a sliced array; a break found there only costs the exact count.
    return bool((np.frombuffer(data, dtype=np.uint8) == 10).any())


def locate_ragged(
    raw: bytes | bytearray, end: int, ragged: list[Any], skip: int, encoding: str
) -> list[Placed] | None:
    """Number the ragged records a threaded parse skipped, by finding their lines in the chunk.

    pyarrow's threaded parser does not say where a skipped record was. Where no cell can
    span lines, records are lines, and a record's number follows from counting line breaks
    before the line that holds exactly its text. None when that cannot be decided (quotes
    in the chunk, a text not found as often as it was skipped): then parse serially.
    Numbers count as pyarrow's serial parser does: the chunk's first line is 1.
    """
    start = after_lines(raw, skip, end)
    if start is None:
        return None
    crlf = raw.find(b"\r", start, end) >= 0
    if crlf and raw.count(b"\r", start, end) != raw.count(b"\r\n", start, end):
        return None  # a lone carriage return also ends a record: count serially
    wanted: dict[bytes, int] = {}
    for row in ragged:
        try:
            text = str(row.text).encode(encoding)
        except (UnicodeError, LookupError):
            return None
        if not text:
            return None
        wanted[text] = wanted.get(text, 0) + 1
    found: list[tuple[int, bytes]] = []
    for text, count in wanted.items():
        hits = whole_lines(raw, text, start, end, count, crlf)
        if len(hits) != count:
            return None
        found.extend((h, text) for h in hits)
    found.sort()
    placed = []
    counted, lines = start, 0
    for position, text in found:
        lines += raw.count(b"\n", counted, position)
        counted = position
        placed.append(Placed(skip + 1 + lines, text.decode(encoding)))
    return placed
