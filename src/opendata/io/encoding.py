"""Text encodings: names as pyarrow takes them, decoding a file's head, finding its first bad byte, and
keeping pyarrow's complaints about undecodable rows quiet."""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


class BadEncoding(Exception):
    """The file does not decode with its declared encoding."""


def reader_encoding(declared: str) -> tuple[bool, str]:
    """Whether a declared encoding is UTF-8, and its name as pyarrow's CSV reader takes it."""
    enc = declared.lower().replace("_", "-")
    utf8 = enc in ("utf-8", "utf8", "utf-8-sig")
    return utf8, "utf8" if utf8 else enc


def decode_head(head: bytes, utf8: bool, encoding: str) -> str:
    """The text of a file's first bytes, to parse its header from.

    UTF-8 is decoded up to the first sequence that does not decode (the block may end inside a
    character); one at the very start raises BadEncoding. Other encodings replace bad bytes.
    """
    if utf8:
        cut = head
        while cut:
            try:
                return cut.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                if exc.start == 0:
                    raise BadEncoding() from None
                cut = cut[: exc.start]
        return ""
    return head.decode(encoding, errors="replace")


def encodes_as_ascii(encoding: str, marks: list[str]) -> bool:
    """Whether each mark is encoded as its own ASCII bytes (False for an unknown encoding)."""
    import codecs

    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        return False
    return all(codec.encode(m)[0] == m.encode("ascii") for m in marks)


def find_bad_bytes(
    source: Path | Callable[[], IO[bytes] | Any], encoding: str = "utf-8"
) -> tuple[int, int]:
    """The (line, byte offset) of the first sequence that does not decode, read in blocks (the
    end of the bytes when none is found before it).

    SOURCE is a file, or a function opening a binary stream (a decompressed or joined one).
    """
    return _scan(source, encoding)[0]


def first_bad_bytes(source: Path, encoding: str) -> tuple[int, int] | None:
    """The (line, byte offset) of the first bytes that do not decode, or None when all do
    (a sequence cut off at the end counts); LookupError for an unknown encoding."""
    position, bad = _scan(source, encoding)
    return position if bad else None


def _scan(
    source: Path | Callable[[], IO[bytes] | Any], encoding: str
) -> tuple[tuple[int, int], bool]:
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    line, offset = 1, 0
    with source.open("rb") if isinstance(source, Path) else source() as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return (line + block[: exc.start].count(b"\n"), offset + exc.start), True
            line += block.count(b"\n")
            offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return (line, offset), True
    return (line, offset), False


_quiet_lock = threading.Lock()
_quiet_users = 0
_hook_before: Callable[[Any], object] | None = None


def _drop_undecodable_rows(unraisable: Any) -> None:
    frames = traceback.extract_tb(unraisable.exc_traceback) if unraisable.exc_traceback else []
    from_pyarrow = any(frame.filename.endswith("_csv.pyx") for frame in frames)
    if isinstance(unraisable.exc_value, UnicodeDecodeError) and from_pyarrow:
        return
    (_hook_before or sys.__unraisablehook__)(unraisable)


@contextmanager
def quiet_undecodable_rows() -> Iterator[None]:
    """While reading, drop pyarrow's "Exception ignored" report of a row it cannot decode.

    pyarrow decodes a ragged record as UTF-8 before it hands it to the invalid-row handler; when
    that fails no Python frame can catch the error, and Python prints it with a traceback. The
    bytes are reported anyway (an encoding-error), so only those reports are dropped; every
    other one reaches the hook that was there before. Nested and concurrent readers share it.
    """
    global _quiet_users, _hook_before
    with _quiet_lock:
        if _quiet_users == 0:
            _hook_before = sys.unraisablehook
            sys.unraisablehook = _drop_undecodable_rows
        _quiet_users += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_users -= 1
            if _quiet_users == 0:
                sys.unraisablehook = _hook_before or sys.__unraisablehook__
                _hook_before = None
