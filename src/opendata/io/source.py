"""A resource's bytes as one stream: decompressed (gz, zip, bz2, xz) and its parts joined (multipart)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from opendata.errors import CouldNotRun

if TYPE_CHECKING:
    from opendata.package import Resource


@dataclass
class Part:
    """One file of a multipart resource: where its lines start in the joined stream."""

    path: str
    first_line: int = 1  # the joined stream's line number of this part's first kept line
    skipped: int = 0  # header lines left out at the part's start


@dataclass
class ByteSource:
    """Where a table's bytes come from; `open()` gives them as one binary stream.

    A later part of a multipart CSV whose first line repeats the first part's header has that
    line left out (frictionless leaves out every later part's first line; see
    docs/compatibility.md). `parts` records where each part's lines start once read.
    """

    files: list[Path]
    names: list[str]
    compression: str | None = None
    skip_repeated_header: bool = True
    parts: list[Part] = field(default_factory=list)

    @classmethod
    def of(cls, resource: Resource, header: bool = True) -> ByteSource:
        """The byte source of a resource that has a path."""
        files = resource.fullpaths or ([resource.fullpath] if resource.fullpath else [])
        names = resource.paths or ([resource.path] if resource.path else [])
        return cls(files, names, resource.compression, header)

    @property
    def plain(self) -> bool:
        """Whether the stream is one uncompressed file (its size is known, it can be re-read)."""
        return len(self.files) == 1 and not self.compression

    def size(self) -> int | None:
        """The stream's size in bytes, when known before reading it."""
        return self.files[0].stat().st_size if self.plain else None

    def open(self) -> io.BufferedIOBase:
        """The bytes, decompressed and joined."""
        if len(self.files) == 1:
            self.parts = [Part(self.names[0])]
            return self._open_one(self.files[0], self.names[0])
        return io.BufferedReader(_Joined(self), buffer_size=1 << 20)

    def _open_one(self, path: Path, name: str) -> io.BufferedIOBase:
        kind = self.compression
        try:
            if kind == "gz":
                import gzip

                return gzip.open(path, "rb")
            if kind == "bz2":
                import bz2

                return bz2.open(path, "rb")
            if kind == "xz":
                import lzma

                return lzma.open(path, "rb")
            if kind == "zip":
                return _zip_member(path, name)
            if kind:
                raise CouldNotRun(
                    f"compression {kind!r} is not supported",
                    path=name,
                    hint="use gz, zip, bz2 or xz, or store the file uncompressed",
                )
            return path.open("rb")
        except OSError as exc:
            raise CouldNotRun(f"cannot read data file: {exc}", path=name) from None

    def locate(self, line: int) -> tuple[str, int]:
        """The part and its own line number for a line of the joined stream."""
        chosen = self.parts[0] if self.parts else Part(self.names[0])
        for part in self.parts:
            if part.first_line <= line:
                chosen = part
        return chosen.path, line - chosen.first_line + 1 + chosen.skipped


def _zip_member(path: Path, name: str) -> io.BufferedIOBase:
    """The one file a zip archive holds (frictionless reads a zipped CSV's single member)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise CouldNotRun(
            "not a zip archive", path=name, hint="fix the file or its compression"
        ) from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) != 1:
        raise CouldNotRun(
            f"the zip archive holds {len(members)} files; one is expected",
            path=name,
            hint="zip a single data file per resource",
        )
    return cast(io.BufferedIOBase, archive.open(members[0]))


class _Joined(io.RawIOBase):
    """The parts of a multipart resource read one after the other, as one raw stream."""

    def __init__(self, source: ByteSource) -> None:
        self.source = source
        self.index = -1
        self.current: io.BufferedIOBase | None = None
        self.header: bytes | None = None
        self.lines = 1  # the joined stream's line number at the current position
        self.pending = b""
        source.parts = []

    def readable(self) -> bool:
        return True

    def _next_part(self) -> bool:
        if self.current is not None:
            self.current.close()
        self.index += 1
        if self.index >= len(self.source.files):
            self.current = None
            return False
        name = self.source.names[self.index]
        self.current = self.source._open_one(self.source.files[self.index], name)
        first = self.current.readline()
        part = Part(name, first_line=self.lines)
        if self.index == 0:
            self.header = first
        elif self.source.skip_repeated_header and first.rstrip(b"\r\n") == (
            self.header or b""
        ).rstrip(b"\r\n"):
            first, part.skipped = b"", 1
        self.source.parts.append(part)
        self.pending = first
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while True:
            if self.pending:
                n = min(len(buffer), len(self.pending))
                buffer[:n] = self.pending[:n]
                self._count(self.pending[:n])
                self.pending = self.pending[n:]
                return n
            if self.current is not None:
                got = self.current.readinto(buffer)
                if got:
                    self._count(bytes(buffer[:got]))
                    return got
            if not self._next_part():
                return 0

    def _count(self, data: bytes) -> None:
        self.lines += data.count(b"\n")

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
        super().close()
