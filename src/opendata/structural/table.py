"""The structural layer: a table against its Table Schema, vectorised, with frictionless's codes and rows.

The file is read in chunks of whole records, each parsed by pyarrow on all cores (typed where
pyarrow's rules equal frictionless's, as text otherwise), every cell is parsed per its field (see
cells.py), and constraints, uniqueness, primary and foreign keys are checked
column-wise; Python only loops over findings, never over rows. Row numbers follow frictionless
(the header is row 1, each record after it one row); `line` is the physical line where the record
starts, which differs from the row only after a quoted cell that holds a line break.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from opendata.errors import CouldNotRun
from opendata.io.digest import file_digest
from opendata.package import Field, Resource
from opendata.report import Issue, jsonable
from opendata.structural.cells import KNOWN_TYPES, arrow_type, parse_column, python_value

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

DEFAULT_BLOCK_SIZE = 64 << 20
# From this chunk size on, two batches are checked at a time and key checks run side by side;
# below it (a run asked for bounded memory) everything is done one at a time.
PARALLEL_CHUNK = 16 << 20


@dataclass
class TableResult:
    """What the structural layer learned about one resource, and its typed columns."""

    resource: str
    issues: list[Issue] = field(default_factory=list)
    table: pa.Table | None = None
    rows: int = 0
    where: RowMap | None = None
    chunks: int = 0  # how many chunks the file was read in
    serial_chunks: int = 0  # of which parsed again serially, to place ragged records
    bytes: int | None = None
    readable: bool = True

    @property
    def has_errors(self) -> bool:
        """Whether any error was found (semantic checks on this table are then skipped)."""
        return any(i.severity == "error" for i in self.issues)


@dataclass
class Run:
    """The numbers first, first + 1, ..., first + n - 1, without an array: most batches' rows and lines."""

    first: int
    n: int

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        import numpy as np

        if isinstance(index, int | np.integer):
            return self.first + int(index)
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return self.first + index

    def array(self) -> np.ndarray:
        import numpy as np

        return np.arange(self.first, self.first + self.n, dtype=np.int64)


def _array(numbers: np.ndarray | Run) -> np.ndarray:
    return numbers.array() if isinstance(numbers, Run) else numbers


class RowMap:
    """Each record's frictionless row number and physical line, by its position in the table.

    Kept as the batches' runs (no per-record arrays unless a batch is irregular), so that a
    table of millions of rows costs no memory for its row numbers.
    """

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.rows: list[np.ndarray | Run] = []
        self.lines: list[np.ndarray | Run] = []
        self.size = 0

    def append(self, rows: np.ndarray | Run, lines: np.ndarray | Run) -> None:
        if len(rows):
            self.offsets.append(self.size)
            self.rows.append(rows)
            self.lines.append(lines)
            self.size += len(rows)

    def __len__(self) -> int:
        return self.size

    def ordered(self) -> bool:
        """Whether positions follow row numbers (a ragged record read serially comes later)."""
        return all(a[len(a) - 1] < b[0] for a, b in zip(self.rows, self.rows[1:], strict=False))

    def sorted(self) -> tuple[RowMap, np.ndarray]:
        """The map in row order, and the positions that put a table in that order."""
        import numpy as np

        rows = np.concatenate([_array(r) for r in self.rows])
        lines = np.concatenate([_array(x) for x in self.lines])
        order = np.argsort(rows, kind="stable")
        out = RowMap()
        out.append(rows[order], lines[order])
        return out, order

    def _part(self, position: int) -> tuple[int, int]:
        import bisect

        k = bisect.bisect_right(self.offsets, position) - 1
        return k, position - self.offsets[k]

    def row(self, position: int) -> int:
        k, i = self._part(int(position))
        return int(self.rows[k][i])

    def line(self, position: int) -> int:
        k, i = self._part(int(position))
        return int(self.lines[k][i])


@dataclass
class _Batch:
    """A block of records as text columns, with frictionless row numbers and physical lines."""

    columns: list[pa.Array]
    rows: np.ndarray | Run
    lines: np.ndarray | Run
    present: list[pa.Array] | None = None
    extra_cells: list[tuple[int, int, list[str]]] = field(default_factory=list)


class _Placed(NamedTuple):
    """A ragged record, numbered as pyarrow's serial parser numbers its invalid rows."""

    number: int
    text: str


class _TypedMiss(Exception):
    """A cell did not convert while reading typed: read as text and find every bad cell."""


class _BadEncoding(Exception):
    """The file does not decode with its declared encoding."""


class _Reader:
    """Reads a CSV resource in chunks of whole records, tolerant of ragged rows.

    Each chunk (``block_size`` bytes, cut at the last record boundary) is parsed by pyarrow with
    both cores; a chunk that holds a ragged record is parsed again serially, the only mode in
    which pyarrow tells where the record was, and a chunk with a cell that does not convert is
    parsed again as text. Memory is bounded by the chunk, whatever the file's size.
    """

    def __init__(self, resource: Resource, block_size: int) -> None:
        assert resource.fullpath is not None
        self.resource = resource
        self.path: Path = resource.fullpath
        self.block_size = max(1, block_size)
        dialect = resource.dialect
        self.delimiter = str(dialect.get("delimiter", ","))
        self.quote = dialect.get("quoteChar", '"')
        self.double_quote = bool(dialect.get("doubleQuote", True))
        self.escape = dialect.get("escapeChar") or False
        self.has_header = bool(dialect.get("header", True))
        enc = resource.encoding.lower().replace("_", "-")
        self.utf8 = enc in ("utf-8", "utf8", "utf-8-sig")
        self.encoding = "utf8" if self.utf8 else enc
        self.labels: list[str] = []
        self.header_lines = 0
        # Whether the chunk being read holds a quote: only then can a cell span lines.
        self.may_span_lines = bool(self.quote)
        # Columns pyarrow may convert while reading (see typed_columns); empty: all text.
        self.typed: dict[int, pa.DataType] = {}
        # Text columns read dictionary-encoded (repeated values: keys, codes, categories, dates).
        self.encoded: set[int] = set()
        self.true_values: list[str] = []
        self.false_values: list[str] = []
        self.missing_values: list[str] = [""]
        self.chunks_read = 0
        self.serial_chunks = 0  # chunks parsed again without threads to place ragged records
        # Typed columns read as text from now on: a cell of theirs did not convert.
        self.demoted: set[int] = set()
        self.fields: list[Field] = []  # the schema's field for each column (for `demoted`)

    def csv_kwargs(self) -> dict[str, Any]:
        """The dialect as keyword arguments of Python's csv module."""
        kwargs: dict[str, Any] = {"delimiter": self.delimiter, "doublequote": self.double_quote}
        if self.quote:
            kwargs["quotechar"] = self.quote
        else:
            kwargs["quoting"] = csv.QUOTE_NONE
        if self.escape:
            kwargs["escapechar"] = self.escape
        return kwargs

    def read_header(self) -> list[str]:
        """Parse the header record (or name the columns when the dialect says there is none)."""
        with self.path.open("rb") as fh:
            head = fh.read(1 << 20)
        if self.utf8:
            cut = head
            while cut:
                try:
                    text = cut.decode("utf-8-sig")
                    break
                except UnicodeDecodeError as exc:
                    if exc.start == 0:
                        raise _BadEncoding() from None
                    cut = cut[: exc.start]
            else:
                text = ""
        else:
            text = head.decode(self.encoding, errors="replace")
        reader = csv.reader(io.StringIO(text, newline=""), **self.csv_kwargs())
        first = next(reader, [])
        if self.has_header:
            self.labels = list(first)
            self.header_lines = reader.line_num if first else 0
        else:
            self.labels = [f"field{i + 1}" for i in range(len(first))]
        return self.labels

    @property
    def splittable(self) -> bool:
        """Whether record boundaries can be found in the raw bytes.

        They can when line breaks, quotes and delimiters are single ASCII bytes that never occur
        inside another character (UTF-8, GBK, Big5, Latin-1: not UTF-16) and no escape character
        can hide a quote. Otherwise the file is read as one chunk.
        """
        import codecs

        try:
            codec = codecs.lookup(self.encoding)
        except LookupError:
            return False
        marks = ["\n", self.delimiter] + ([str(self.quote)] if self.quote else [])
        return not self.escape and all(codec.encode(m)[0] == m.encode("ascii") for m in marks)

    def _options(
        self, handler: Any, *, threads: bool, typed: bool, skip_rows: int, block_size: int
    ) -> tuple[Any, Any, Any]:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        names = [f"c{i}" for i in range(max(1, len(self.labels)))]
        read = pcsv.ReadOptions(
            column_names=names,
            skip_rows=skip_rows,
            block_size=block_size,
            # Serial parsing is slower, but only then does pyarrow report ragged rows' lines.
            use_threads=threads,
            encoding=self.encoding,
        )
        parse = pcsv.ParseOptions(
            delimiter=self.delimiter,
            quote_char=self.quote or False,
            double_quote=self.double_quote,
            escape_char=self.escape,
            # Only a quoted cell can hold a line break; pyarrow parses faster when told none does.
            newlines_in_values=bool(self.quote) and self.may_span_lines,
            ignore_empty_lines=False,
            invalid_row_handler=handler,
        )
        text = pa.string()
        encoded = pa.dictionary(pa.int32(), pa.string())
        types = {i: (encoded if i in self.encoded else text) for i in range(len(names))}
        if typed:
            types.update(self._typed_now())
        convert = pcsv.ConvertOptions(
            column_types={n: types[i] for i, n in enumerate(names)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=True,
            null_values=self.missing_values,
            true_values=self.true_values or ["true"],
            false_values=self.false_values or ["false"],
        )
        return read, parse, convert

    def _typed_now(self) -> dict[int, pa.DataType]:
        """The columns pyarrow converts while reading, except those demoted to text."""
        return {i: t for i, t in self.typed.items() if i not in self.demoted}

    def _promote(self, blocks: list[list[pa.Array]]) -> list[list[pa.Array]]:
        """A chunk read as text: its typed columns converted where every cell allows it.

        A column whose cells all convert becomes typed here (the checks then take it as read
        typed); one with a cell that does not stays text, for the checks to find that cell, and
        is read as text from now on. So one bad cell costs its own column's conversion, not a
        text read of every typed column in the rest of the file.
        """
        from opendata.structural.cells import convert_plain

        for i in self._typed_now():
            field = self.fields[i]
            converted = [convert_plain(field, b[i], self.missing_values) for b in blocks]
            if any(c is None for c in converted):
                self.demoted.add(i)
                continue
            for block, column in zip(blocks, converted, strict=True):
                block[i] = column
        return blocks

    def _parse_block(self) -> int:
        """pyarrow's block: a quarter of a chunk (two per core), measured fastest; small chunks whole."""
        if self.block_size < 4 << 20:
            return self.block_size
        return min(self.block_size // 4, 16 << 20)

    def _first_row(self) -> int:
        return 2 if self.has_header else 1

    def chunks(self) -> Iterator[_Batch]:
        """Yield the file's records as batches, chunk by chunk, in file order."""
        quote = str(self.quote).encode() if self.quote else b""
        split = self.splittable
        whole = self.path.stat().st_size + 1
        size = min(self.block_size, whole) if split else whole
        buf = bytearray(size)
        have = 0
        eof = False
        first = True
        row, line = self._first_row(), self.header_lines + 1
        with self.path.open("rb") as fh:
            while True:
                with memoryview(buf) as view:
                    while have < len(buf) and not eof:
                        got = fh.readinto(view[have:])
                        eof = not got
                        have += got
                # One scan for quotes per fill: they decide both where a record may end and
                # whether a cell may span lines.
                quoted = bool(quote) and buf.find(quote, 0, have) >= 0
                cut = have if eof else _record_end(buf, have, quote if quoted else b"")
                if not cut:
                    # One record longer than the buffer: make room and read on.
                    bigger = bytearray(2 * len(buf))
                    bigger[:have] = buf[:have]
                    buf = bigger
                    continue
                self.may_span_lines = quoted
                with memoryview(buf) as view:
                    batches, row, line = self._chunk(view[:cut], first, row, line)
                self.chunks_read += 1
                yield from batches
                first = False
                if eof and cut == have:
                    return
                rest = have - cut
                buf[:rest] = buf[cut:have]
                have = rest

    def _chunk(
        self, data: memoryview, first: bool, row: int, line: int
    ) -> tuple[list[_Batch], int, int]:
        """The batches of one chunk of whole records, and the row and line after it."""
        import pyarrow as pa

        skip = self.header_lines if first else 0
        typed = bool(self._typed_now())
        if typed and any(t == pa.int64() for t in self._typed_now().values()):
            # pyarrow reads 0x1F as 31; frictionless (Python's int) rejects it. Looking for the
            # single byte first is much faster, and most files hold no x at all.
            raw = data.obj if isinstance(data.obj, bytearray) else bytes(data)
            end = len(data)
            begin = _after_lines(raw, skip, end)  # not the header: labels may hold an x
            if begin is None:
                begin = end
            for x in (b"x", b"X"):
                if typed and raw.find(x, begin, end) >= 0:
                    typed = raw.find(b"0" + x, begin, end) < 0
        for attempt_typed in [True, False] if typed else [False]:
            try:
                table, ragged = self._read(data, attempt_typed, skip)
            except _TypedMiss:
                # A failed typed parse costs a whole parse: the chunk is read as text, and the
                # columns holding a cell that does not convert are read as text from now on.
                continue
            if table is None and not ragged:
                return [], row, line
            located = self._locate(data, ragged, skip) if ragged else []
            if located is None:
                break  # ragged records whose place is unknown: parse the chunk serially
            # One batch per parsing block: no copy here; tables are concatenated once, at the end.
            blocks = [list(b.columns) for b in table.to_batches()] if table is not None else []
            if not attempt_typed and self._typed_now():
                blocks = self._promote(blocks)
            return self._merge_all(blocks, located, row, line, row - (skip + 1))
        self.serial_chunks += 1
        return self._serial(data, skip, row, line)

    def _read(self, data: memoryview, typed: bool, skip: int) -> tuple[pa.Table | None, list[Any]]:
        """Parse a chunk with both cores: the good records, and the ragged ones pyarrow skipped.

        Raises _TypedMiss when a cell does not convert to its column's type.
        """
        import pyarrow as pa
        import pyarrow.csv as pcsv

        ragged: list[Any] = []

        def on_invalid(row: Any) -> str:
            ragged.append(row)
            return "skip"

        block = self._parse_block()
        while True:
            ragged.clear()
            read, parse, convert = self._options(
                on_invalid, threads=True, typed=typed, skip_rows=skip, block_size=block
            )
            try:
                table = pcsv.read_csv(
                    pa.py_buffer(data),
                    read_options=read,
                    parse_options=parse,
                    convert_options=convert,
                )
                return table, list(ragged)
            except pa.ArrowInvalid as exc:
                message = str(exc)
                if "Empty CSV file" in message:
                    return None, list(ragged)
                if typed and "conversion error" in message:
                    raise _TypedMiss() from None
                if "straddl" in message and block < len(data):
                    block = len(data) + 1  # a quoted cell longer than a parsing block
                    continue
                self._parse_error(message)

    def _locate(self, data: memoryview, ragged: list[Any], skip: int) -> list[_Placed] | None:
        """Number the ragged records a threaded parse skipped, by finding their lines in the chunk.

        pyarrow's threaded parser does not say where a skipped record was. Where no cell can
        span lines, records are lines, and a record's number follows from counting line breaks
        before the line that holds exactly its text. None when that cannot be decided (quotes
        in the chunk, a text not found as often as it was skipped): then parse serially.
        Numbers count as pyarrow's serial parser does: the chunk's first line is 1.
        """
        if self.may_span_lines:
            return None
        raw = data.obj if isinstance(data.obj, bytearray) else bytes(data)
        end = len(data)
        start = _after_lines(raw, skip, end)
        if start is None:
            return None
        crlf = raw.find(b"\r", start, end) >= 0
        if crlf and raw.count(b"\r", start, end) != raw.count(b"\r\n", start, end):
            return None  # a lone carriage return also ends a record: count serially
        wanted: dict[bytes, int] = {}
        for row in ragged:
            try:
                text = str(row.text).encode(self.encoding)
            except (UnicodeError, LookupError):
                return None
            if not text:
                return None
            wanted[text] = wanted.get(text, 0) + 1
        found: list[tuple[int, bytes]] = []
        for text, count in wanted.items():
            hits = _whole_lines(raw, text, start, end, count, crlf)
            if len(hits) != count:
                return None
            found.extend((h, text) for h in hits)
        found.sort()
        placed = []
        counted, lines = start, 0
        for position, text in found:
            lines += raw.count(b"\n", counted, position)
            counted = position
            placed.append(_Placed(skip + 1 + lines, text.decode(self.encoding)))
        return placed

    def _merge_all(
        self, blocks: list[list[pa.Array]], pending: list[Any], row: int, line: int, offset: int
    ) -> tuple[list[_Batch], int, int]:
        """The batches of a chunk's blocks with its ragged records put back in place."""
        import pyarrow as pa

        out: list[_Batch] = []
        for columns in blocks:
            batches, row, line, pending = self._merge(columns, pending, row, line, offset)
            out.extend(batches)
        if pending:
            empty = [pa.array([], pa.string()) for _ in range(max(1, len(self.labels)))]
            batches, row, line, _ = self._merge(empty, pending, row, line, offset)
            out.extend(batches)
        return out, row, line

    def _parse_error(self, message: str) -> None:
        if "UTF8" in message or "utf8" in message.lower():
            raise _BadEncoding() from None
        raise CouldNotRun(f"cannot parse as CSV: {message}", path=self.resource.path) from None

    def _serial(
        self, data: memoryview, skip: int, next_row: int, next_line: int
    ) -> tuple[list[_Batch], int, int]:
        """Parse a chunk without threads, where pyarrow reports the position of ragged records."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        ragged: list[Any] = []

        def on_invalid(row: Any) -> str:
            ragged.append(row)
            return "skip"

        # pyarrow numbers records from 1 counting skipped rows; frictionless from the header.
        offset = next_row - (skip + 1)
        out: list[_Batch] = []
        block = self._parse_block()
        read, parse, convert = self._options(
            on_invalid, threads=False, typed=False, skip_rows=skip, block_size=block
        )
        try:
            reader = pcsv.open_csv(
                pa.BufferReader(pa.py_buffer(data)),
                read_options=read,
                parse_options=parse,
                convert_options=convert,
            )
            for record_batch in reader:
                # pyarrow may have parsed ahead: ragged records past this block wait for the next.
                batches, next_row, next_line, later = self._merge(
                    list(record_batch.columns), ragged, next_row, next_line, offset
                )
                ragged[:] = later
                out.extend(batches)
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" not in str(exc):
                self._parse_error(str(exc))
        tail, next_row, next_line = self._merge_all([], list(ragged), next_row, next_line, offset)
        return out + tail, next_row, next_line

    def _merge(
        self,
        columns: list[pa.Array],
        pending: list[Any],
        next_row: int,
        next_line: int,
        offset: int,
    ) -> tuple[list[_Batch], int, int, list[Any]]:
        """One block's good records and the ragged ones pyarrow skipped in it, in file order.

        Returns the batches, the row and line the next block starts at, and the ragged records
        that lie beyond this block.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        good, good_end = self._batch(columns, next_row, next_line)
        n = len(good.rows)
        # pyarrow numbers a skipped record by its position among records (the header is 1),
        # which is frictionless's row number; its physical line follows from the merge.
        placed: list[tuple[int, int, list[str]]] = []
        later = []
        for row in sorted(pending, key=lambda r: int(r.number)):
            number = int(row.number) + offset
            if n and number >= next_row + n + len(placed):
                later.append(row)
                continue
            cells = next(csv.reader(io.StringIO(row.text, newline=""), **self.csv_kwargs()), [])
            placed.append((number, row.text.count("\n") + 1, cells))
        if not placed:
            return ([good] if n else []), next_row + n, good_end, later
        base_rows = _array(good.rows)
        base_lines = _array(good.lines)
        delta_line = np.zeros(n + 1, dtype=np.int64)
        delta_row = np.zeros(n + 1, dtype=np.int64)
        consumed_lines = 0
        ragged_rows, ragged_lines, at = [], [], []
        for order, (row_number, span, _cells) in enumerate(placed):
            idx = int(np.searchsorted(base_rows, row_number - order, side="left"))
            start = int(base_lines[idx]) if idx < n else good_end
            ragged_rows.append(row_number)
            ragged_lines.append(start + consumed_lines)
            at.append(idx)
            delta_line[idx] += span
            delta_row[idx] += 1
            consumed_lines += span
        good.lines = base_lines + np.cumsum(delta_line)[:n]
        good.rows = base_rows + np.cumsum(delta_row)[:n]
        end = good_end + consumed_lines
        width = len(columns)
        cols: list[list[str | None]] = [[] for _ in range(width)]
        present: list[list[bool]] = [[] for _ in range(width)]
        extras = []
        for (_number, _span, cells), row_number, line in zip(
            placed, ragged_rows, ragged_lines, strict=True
        ):
            for i in range(width):
                cols[i].append(cells[i] if i < len(cells) else None)
                present[i].append(i < len(cells))
            if len(cells) > width:
                extras.append((row_number, line, cells[width:]))
        texts = [pa.array(c, pa.string()) for c in cols]
        bad = _Batch(
            columns=[
                pc.dictionary_encode(t) if i in self.encoded else t for i, t in enumerate(texts)
            ],
            rows=np.array(ragged_rows, dtype=np.int64),
            lines=np.array(ragged_lines, dtype=np.int64),
            present=[pa.array(p, pa.bool_()) for p in present],
            extra_cells=extras,
        )
        return _interleave(good, bad, at), next_row + n + len(placed), end, later

    def _batch(
        self, columns: list[pa.Array], first_row: int, first_line: int
    ) -> tuple[_Batch, int]:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        n = len(columns[0]) if columns else 0
        rows = Run(first_row, n)
        breaks = None
        if self.may_span_lines:
            for col in columns:
                encoded = pa.types.is_dictionary(col.type)
                words = col.dictionary if encoded else col
                if _has_newline(words):
                    counts = pc.count_substring(words, "\n")
                    if encoded:
                        counts = pc.fill_null(pc.take(counts, col.indices), 0)
                    c = counts.to_numpy(zero_copy_only=False).astype(np.int64)
                    breaks = c if breaks is None else breaks + c
        if breaks is None:
            return _Batch(columns, rows, Run(first_line, n)), first_line + n
        spans = breaks + 1
        ends = np.cumsum(spans)
        lines = first_line + np.concatenate(([0], ends[:-1])).astype(np.int64)
        return _Batch(columns, rows, lines), first_line + int(ends[-1])


# Beyond this many places where ragged records go, a block is not cut up: its ragged records
# follow it, and the table is put in row order once at the end (RowMap.sorted).
_MAX_CUTS = 64


def _interleave(good: _Batch, bad: _Batch, at: list[int]) -> list[_Batch]:
    """The good records cut where the ragged ones go (`at`: good records before each), in order.

    Slices share memory with the block, so keeping file order costs no copy of the columns.
    """
    n = len(good.rows)
    cuts = sorted(set(at))
    if len(cuts) > _MAX_CUTS:
        return ([good] if n else []) + [bad]
    out: list[_Batch] = []
    previous, k = 0, 0
    for cut in cuts:
        if cut > previous:
            out.append(_slice(good, previous, cut))
        m = at.count(cut)
        out.append(_slice(bad, k, k + m))
        previous, k = cut, k + m
    if previous < n:
        out.append(_slice(good, previous, n))
    return out


def _numbers(numbers: np.ndarray | Run, start: int, stop: int) -> np.ndarray | Run:
    """numbers[start:stop], as a run when they are consecutive."""
    if isinstance(numbers, Run):
        return Run(numbers.first + start, stop - start)
    part = numbers[start:stop]
    if len(part) and int(part[-1]) - int(part[0]) == len(part) - 1:
        return Run(int(part[0]), len(part))
    return part


def _slice(batch: _Batch, start: int, stop: int) -> _Batch:
    rows = _numbers(batch.rows, start, stop)
    kept = set(_array(rows).tolist()) if batch.extra_cells else set()
    return _Batch(
        columns=[c.slice(start, stop - start) for c in batch.columns],
        rows=rows,
        lines=_numbers(batch.lines, start, stop),
        present=(
            None if batch.present is None else [p.slice(start, stop - start) for p in batch.present]
        ),
        extra_cells=[e for e in batch.extra_cells if e[0] in kept],
    )


def _after_lines(raw: bytes | bytearray, lines: int, end: int) -> int | None:
    """Where raw[:end] continues after its first `lines` lines; None if it has fewer."""
    at = 0
    for _ in range(lines):
        at = raw.find(b"\n", at, end) + 1
        if not at:
            return None
    return at


def _whole_lines(
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


def typed_columns(
    expected: list[Field], missing_values: list[str]
) -> tuple[dict[int, pa.DataType], list[str], list[str]]:
    """Columns pyarrow can convert while reading with exactly frictionless's rules, and bool words.

    Integers and plain numbers are safe: every spelling pyarrow accepts, Python's int() and
    Decimal() accept too; anything else makes the read fail, and that chunk is read again as text.
    Booleans are safe when all boolean fields share their true and false words.
    """
    import pyarrow as pa

    from opendata.structural.cells import DEFAULT_FALSE, DEFAULT_TRUE

    plan: dict[int, pa.DataType] = {}
    words: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for i, f in enumerate(expected):
        d = f.descriptor
        if f.type == "integer" and d.get("bareNumber", True) and f.format == "default":
            plan[i] = pa.int64()
        elif (
            f.type == "number"
            and d.get("bareNumber", True)
            and not any(k in d for k in ("groupChar", "decimalChar"))
        ):
            plan[i] = pa.float64()
        elif f.type == "boolean":
            words.add(
                (
                    tuple(d.get("trueValues", DEFAULT_TRUE)),
                    tuple(d.get("falseValues", DEFAULT_FALSE)),
                )
            )
            plan[i] = pa.bool_()
    if len(words) > 1 or any(
        set(t) & set(fv) or set(t + fv) & set(missing_values) for t, fv in words
    ):
        plan = {i: t for i, t in plan.items() if t != pa.bool_()}
        words = set()
    true_values, false_values = list(words.pop()) if words else ([], [])
    return plan, list(true_values), list(false_values)


def encoded_columns(expected: list[Field], resource: Resource) -> set[int]:
    """Text columns worth reading dictionary-encoded: their values repeat or are looked up.

    Key columns are hashed anyway (the dictionary is the hash), and constraints, dates and
    foreign-key lookups then run once per distinct value instead of once per cell. A column
    whose values must all differ (unique, or the whole primary key) is the exception: its
    dictionary would be as long as the column, and joining the chunks' dictionaries hashes
    every value a second time, so it is read as plain text and hashed once, by the key check.
    """
    keys = set(resource.primary_key)
    keys |= {n for fk in resource.foreign_keys for n in fk["fields"]}
    distinct = set(resource.primary_key) if len(resource.primary_key) == 1 else set()
    out = set()
    for i, f in enumerate(expected):
        c = f.constraints
        if f.name in distinct or c.get("unique"):
            continue
        if f.type == "string" and f.format == "default":
            if f.name in keys or c.get("unique") or "pattern" in c or "enum" in c:
                out.add(i)
        elif f.type == "date":
            out.add(i)
    return out


def _record_end(buf: bytearray, have: int, quote: bytes) -> int:
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


def _has_newline(col: pa.Array) -> bool:
    """Whether any cell may hold a line break: one scan of the column's data buffer, no per-cell work."""
    import numpy as np

    data = col.buffers()[2] if len(col.buffers()) > 2 else None
    if data is None or data.size == 0:
        return False
    # The buffer can extend past a sliced array; a break found there only costs the exact count.
    return bool((np.frombuffer(data, dtype=np.uint8) == 10).any())


def find_bad_bytes(path: Path, encoding: str = "utf-8") -> tuple[int, int]:
    """The (line, byte offset) of the first sequence that does not decode, read in blocks."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    line, offset = 1, 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return line + block[: exc.start].count(b"\n"), offset + exc.start
            line += block.count(b"\n")
            offset += len(block)
    return line, offset


def check_schema(resource: Resource) -> list[Issue]:
    """Problems in the Table Schema itself (unknown types, bad keys), via frictionless's metadata check."""
    from frictionless import Schema

    where = resource.schema_path or resource.path
    if resource.schema is None:
        return [
            Issue(
                code="schema-error",
                layer="descriptor",
                resource=resource.name,
                path=where,
                message=f"resource {resource.name!r} has no schema; add a Table Schema",
            )
        ]
    issues = [
        Issue(
            code=str(err.type),
            layer="descriptor",
            resource=resource.name,
            path=where,
            message=f"invalid schema: {err.note}",
        )
        for err in Schema.validate_descriptor(resource.schema).errors
    ]
    if issues:
        return issues

    def field_error(name: str, problem: str) -> Issue:
        return Issue(
            code="field-error",
            layer="descriptor",
            resource=resource.name,
            path=where,
            field=name,
            message=f"invalid schema: {problem}",
        )

    for f in resource.fields:
        pattern = f.constraints.get("pattern")
        if pattern is not None and not _compiles(pattern):
            issues.append(
                field_error(
                    f.name, f"pattern {pattern!r} of field {f.name!r} is not a regular expression"
                )
            )
        if f.type not in KNOWN_TYPES:
            issues.append(field_error(f.name, f"field type {f.type!r} is not supported"))
    return issues


def _compiles(pattern: Any) -> bool:
    import re

    try:
        re.compile(str(pattern))
    except re.error:
        return False
    return True


class _Findings:
    """Collects the issues of one resource."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.issues: list[Issue] = []

    def add(self, code: str, message: str, **kw: Any) -> None:
        self.issues.append(
            Issue(
                code=code,
                message=message,
                layer="structural",
                resource=self.resource.name,
                path=self.resource.path,
                **kw,
            )
        )


def _label_problem(
    label: str, position: int, field: Field, seen: set[str]
) -> tuple[str, str] | None:
    """The frictionless code and a message for a header label, or None when it is right."""
    if label == "":
        return "blank-label", f"column {position} has a blank label; expected {field.name!r}"
    if label in seen:
        return "duplicate-label", f"label {label!r} in column {position} repeats an earlier one"
    if label != field.name:
        return (
            "incorrect-label",
            f"column {position} is labelled {label!r}; the schema expects {field.name!r}",
        )
    return None


def _expected_fields(found: _Findings, labels: list[str], fields: list[Field]) -> list[Field]:
    """Check the header against the schema; the fields each column is read as (by position)."""
    seen: set[str] = set()
    for i, label in enumerate(labels):
        details: dict[str, Any] = {"position": i + 1, "actual": label}
        if i >= len(fields):
            message = f"column {i + 1} ({label!r}) has no field in the schema"
            found.add("extra-label", message, row=1, line=1, details=details)
        else:
            problem = _label_problem(label, i + 1, fields[i], seen)
            if problem:
                details["expected"] = fields[i].name
                found.add(*problem, row=1, line=1, field=fields[i].name, details=details)
        seen.add(label)
    for i in range(len(labels), len(fields)):
        found.add(
            "missing-label",
            f"field {fields[i].name!r} has no column in the header",
            row=1,
            line=1,
            field=fields[i].name,
            details={"position": i + 1, "expected": fields[i].name},
        )
    expected = list(fields[: len(labels)])
    for i in range(len(fields), len(labels)):
        expected.append(Field(name=labels[i] or f"field{i + 1}", type="any"))
    return expected


def _indices(mask: pa.Array) -> np.ndarray:
    import numpy as np
    import pyarrow.compute as pc

    if not pc.any(mask).as_py():
        return np.array([], dtype=np.int64)
    return np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))


def _constraint_masks(
    f: Field, values: pa.Array, text: pa.Array
) -> list[tuple[str, Any, pa.Array]]:
    """(constraint, its value, mask of violating cells) for every constraint except required and unique."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        # Once per distinct value; null indices (missing cells) give null, i.e. no violation.
        words = values.dictionary
        return [
            (name, bound, pc.take(mask, values.indices))
            for name, bound, mask in _constraint_masks(f, words, words)
            if pc.any(mask).as_py()
        ]
    out: list[tuple[str, Any, pa.Array]] = []
    c = f.constraints
    comparisons = {
        "minimum": pc.greater_equal,
        "maximum": pc.less_equal,
        "exclusiveMinimum": pc.greater,
        "exclusiveMaximum": pc.less,
    }
    for name, op in comparisons.items():
        if name in c and c[name] is not None:
            bound = python_value(f, c[name])
            if bound is None:
                continue
            try:
                ok = op(values, pa.scalar(bound, values.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                continue
            out.append(
                (name, c[name], pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(ok, False))))
            )
    if f.type in (
        "string",
        "any",
        "yearmonth",
        "duration",
        "geopoint",
        "object",
        "array",
        "geojson",
    ):
        strings = values if pa.types.is_string(values.type) else text
        if "minLength" in c:
            out.append(
                ("minLength", c["minLength"], pc.less(pc.utf8_length(strings), c["minLength"]))
            )
        if "maxLength" in c:
            out.append(
                ("maxLength", c["maxLength"], pc.greater(pc.utf8_length(strings), c["maxLength"]))
            )
    if "pattern" in c and pa.types.is_string(values.type):
        out.append(("pattern", c["pattern"], _pattern_violations(values, str(c["pattern"]))))
    if "enum" in c and isinstance(c["enum"], list):
        members = [python_value(f, v) for v in c["enum"]]
        try:
            allowed = pa.array([m for m in members if m is not None], values.type)
            out.append(("enum", c["enum"], pc.invert(pc.is_in(values, value_set=allowed))))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out.append(("enum", c["enum"], pc.is_valid(values)))
    return out


def _pattern_violations(values: pa.Array, pattern: str) -> pa.Array:
    """Cells not matching the pattern from start to end (Python `re` semantics for odd patterns)."""
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.invert(pc.match_substring_regex(values, f"^(?:{pattern})$"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        compiled = re.compile(f"^{pattern}$")
        uniques = pc.unique(values)
        bad = pa.array([v is not None and not compiled.match(v) for v in uniques.to_pylist()])
        return pc.fill_null(pc.take(bad, pc.index_in(values, value_set=uniques)), False)


def _report_cells(
    found: _Findings,
    batch: _Batch,
    f: Field,
    positions: np.ndarray | list[int],
    values: list[Any],
    code: str,
    rule: str,
    describe: Callable[..., tuple[str, dict[str, Any]]],
) -> None:
    """One finding per cell: `describe(value)` gives its message and details."""
    for idx, value in zip(positions, values, strict=True):
        message, details = describe(value)
        found.add(
            code,
            message,
            row=int(batch.rows[idx]),
            line=int(batch.lines[idx]),
            field=f.name,
            rule=rule,
            details=details,
        )


def _check_batch(
    found: _Findings, batch: _Batch, expected: list[Field], missing_values: list[str]
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Type and constraint checks of one batch; returns typed columns and the blank-row mask."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(batch.rows)
    typed: dict[str, pa.Array] = {}
    parsed_all = []
    blank = np.ones(n, dtype=bool)
    for i, f in enumerate(expected):
        col = batch.columns[i]
        parsed = parse_column(f, col, missing_values)
        absent = pc.invert(batch.present[i]) if batch.present is not None else None
        empty = parsed.missing if absent is None else pc.or_(parsed.missing, absent)
        blank &= pc.fill_null(empty, True).to_numpy(zero_copy_only=False)
        parsed_all.append((f, col, parsed, absent, empty))
        typed[f.name] = parsed.values
    not_blank = pa.array(~blank)

    for f, col, parsed, absent, empty in parsed_all:
        if absent is not None:
            missing_cells = _indices(pc.and_(absent, not_blank))
            _report_cells(
                found,
                batch,
                f,
                missing_cells,
                [None] * len(missing_cells),
                "missing-cell",
                "missing-cell",
                lambda _v, f=f: (
                    f"row has no cell for field {f.name!r}",
                    {"expected": f.name, "actual": None},
                ),
            )
        bad = _indices(pc.and_(parsed.invalid, not_blank))
        kind = f"{f.type}" + (f" ({f.format})" if f.format != "default" else "")
        _report_cells(
            found,
            batch,
            f,
            bad,
            _values_at(col, bad),
            "type-error",
            f"type:{f.type}",
            lambda v, f=f, kind=kind: (
                f"{v!r} is not a valid {kind}",
                {"expected": f"{f.type}/{f.format}", "actual": v},
            ),
        )
        if f.required:
            unset = _indices(pc.and_(empty, not_blank))
            _report_cells(
                found,
                batch,
                f,
                unset,
                [None] * len(unset),
                "constraint-error",
                "constraint:required",
                lambda _v, f=f: (
                    f"field {f.name!r} is required but the cell is empty",
                    {"constraint": "required", "expected": "a value", "actual": None},
                ),
            )
        for name, bound, mask in _constraint_masks(f, parsed.values, col):
            mask = pc.and_(
                pc.and_(pc.fill_null(mask, False), pc.is_valid(parsed.values)), not_blank
            )
            hits = _indices(mask)
            _report_cells(
                found,
                batch,
                f,
                hits,
                _values_at(col, hits),
                "constraint-error",
                f"constraint:{name}",
                lambda v, name=name, bound=bound: (
                    f"{v!r} violates {name} {bound!r}",
                    {"constraint": name, "expected": bound, "actual": v},
                ),
            )
    blank_rows = set(batch.rows[blank].tolist())
    for row_number, line, cells in batch.extra_cells:
        if row_number in blank_rows:
            continue
        for j, cell in enumerate(cells):
            found.add(
                "extra-cell",
                f"row has an extra cell {cell!r} in column {len(expected) + j + 1}",
                row=row_number,
                line=line,
                rule="extra-cell",
                details={"position": len(expected) + j + 1, "actual": cell},
            )
    for idx in np.flatnonzero(blank):
        found.add(
            "blank-row",
            "row is completely blank",
            row=int(batch.rows[idx]),
            line=int(batch.lines[idx]),
            rule="blank-row",
        )
    return typed, blank


def _codes(arrays: list[pa.Array]) -> np.ndarray:
    """One integer code per row for the combination of values (nulls are a value of their own).

    int32 while every combination fits, else int64; built column by column in place: at
    millions of rows each code array costs tens of megabytes. The result is the caller's own.
    """
    import numpy as np

    combined: np.ndarray | None = None
    for arr in arrays:
        codes, size = _column_codes(arr)
        if combined is None:
            dtype = np.int32 if size < 2**31 else np.int64
            combined = codes.astype(dtype, copy=not (codes.flags.writeable and codes.flags.owndata))
            continue
        limit = (int(combined.max(initial=0)) + 1) * size
        if limit < 2**62:
            if limit >= 2**31 and combined.dtype == np.int32:
                combined = combined.astype(np.int64)
            combined *= size
            combined += codes
        else:
            stacked = np.stack([combined.astype(np.int64), codes.astype(np.int64)], axis=1)
            _, inverse = np.unique(stacked, axis=0, return_inverse=True)
            combined = inverse.astype(np.int64).ravel()
        del codes
    assert combined is not None
    return combined


def _column_codes(arr: pa.Array) -> tuple[np.ndarray, int]:
    """Codes 0..size-1 of one column's values, equal exactly where the values are equal."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        # The dictionary's values are distinct (pyarrow unifies dictionaries on concatenation).
        size = len(arr.dictionary) + 1
        indices = arr.indices
        if indices.null_count:
            indices = pc.fill_null(indices, size - 1)
        return indices.to_numpy(zero_copy_only=False), size
    if pa.types.is_integer(arr.type) and len(arr):
        bounds = pc.min_max(arr).as_py()
        low, high = bounds["min"], bounds["max"]
        if low is not None and high - low < max(2 * len(arr), 1 << 16):
            # A narrow range (years, small counts, most codes): the offset is the code, no
            # hashing. Codes then leave gaps, at most one per row: counting them stays cheap.
            size = high - low + 2
            # The values buffer as it is (null slots hold anything), then nulls get their code.
            width = arr.type.bit_width // 8
            values = np.frombuffer(
                arr.buffers()[1], dtype=f"i{width}", count=len(arr), offset=arr.offset * width
            )
            codes = np.empty(len(arr), dtype=np.int32)
            np.subtract(values, low, out=codes, casting="unsafe")
            if arr.null_count:
                codes[pc.is_null(arr).to_numpy(zero_copy_only=False)] = size - 1
            return codes, size
    if pa.types.is_floating(arr.type):
        # Arrow hashes -0.0 and 0.0 apart; frictionless compares numbers by value.
        arr = pc.add(arr, 0.0)
    digits = digit_values(arr)
    if digits is not None:
        ints, shaped = digits
        if shaped.all():
            return _column_codes(pa.array(ints))
        if shaped.any():
            # Codes for the digit strings, then codes above them for the few other values.
            codes, size = _column_codes(pa.array(ints[shaped]))
            other = pc.dictionary_encode(arr.filter(pa.array(~shaped)), null_encoding="encode")
            out = np.empty(len(arr), dtype=np.int64)
            out[shaped] = codes
            out[~shaped] = other.indices.to_numpy(zero_copy_only=False).astype(np.int64) + size
            return out, size + len(other.dictionary) + 1
    enc = pc.dictionary_encode(arr, null_encoding="encode")
    return enc.indices.to_numpy(zero_copy_only=False), len(enc.dictionary) + 1


def digit_values(arr: pa.Array, width: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """A text column's values as integers where they are `width` ASCII digits, and where they are.

    Among strings of one length made of digits, the number tells them apart, and hashing or
    counting integers is many times faster than hashing text: codes such as division codes
    take this path. `width` defaults to the first value's length; None when the column is not
    plain text or that width is not 1 to 18 digits. Other values (and nulls) are not shaped.
    """
    import numpy as np
    import pyarrow as pa

    n = len(arr)
    if arr.type != pa.string() or not n or arr.null_count == n:
        return None
    validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1, offset=arr.offset * 4)
    lengths = np.diff(offsets)
    if width is None:
        first = 0 if validity is None else int(np.argmax(arr.is_valid().to_numpy(False)))
        width = int(lengths[first])
    if not 1 <= width <= 18 or data_buf is None:
        return None
    data = np.frombuffer(data_buf, dtype=np.uint8)
    begin, end = int(offsets[0]), int(offsets[-1])
    if validity is None and end - begin == width * n and bool((lengths == width).all()):
        # The common case: every value has the width, so the bytes are an n-by-width matrix.
        matrix = data[begin:end].reshape(n, width)
        columns = [matrix[:, k] for k in range(width)]
        shaped = np.ones(n, dtype=bool)
    else:
        shaped = lengths == width
        if validity is not None:
            shaped &= arr.is_valid().to_numpy(zero_copy_only=False)
        starts = np.minimum(offsets[:-1], max(len(data) - width, 0))
        columns = [data[starts + k] for k in range(width)]
    ints = np.zeros(n, dtype=np.int64)
    for column in columns:
        digit = column - np.uint8(48)  # bytes below '0' wrap around to large values
        shaped &= digit < 10
        ints *= 10
        ints += digit
    return ints, shaped


def _duplicates(codes: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of repeated keys (all but the first) and the position of each one's first occurrence.

    Only rows marked eligible count. `codes` is consumed: rewritten in place, so that no
    row-sized copy is made (at millions of rows each one is tens of megabytes).
    """
    import numpy as np

    empty = np.array([], dtype=np.int64)
    if not len(codes) or not eligible.any():
        return empty, empty
    top = int(codes.max())
    holes = np.flatnonzero(~eligible)
    if len(holes):
        # Each row without a key gets a code of its own above the others: never a repeat.
        if top + len(holes) >= np.iinfo(codes.dtype).max:
            codes = codes.astype(np.int64)
        codes[holes] = np.arange(top + 1, top + 1 + len(holes), dtype=codes.dtype)
        top += len(holes)
    del holes
    # The common case, no repeats, is settled by counting (codes in a narrow range) or by a
    # plain sort; only the rows whose key repeats are then ordered to find first occurrences.
    if top < 4 * len(codes) + (1 << 16):
        # A byte per possible code first: as many codes seen as rows means no repeats, for a
        # tenth of the memory that counting takes (fresh pages cost more than the pass).
        seen = np.zeros(top + 1, dtype=bool)
        seen[codes] = True
        if int(np.count_nonzero(seen)) == len(codes):
            return empty, empty
        del seen
        counts = np.bincount(codes, minlength=top + 1)
        repeated = (counts > 1)[codes]  # a gather of booleans: no row-sized integer temporary
        del counts
    else:
        ordered = np.sort(codes)
        same = ordered[1:] == ordered[:-1]
        if not bool(same.any()):
            return empty, empty
        repeated = np.isin(codes, np.unique(ordered[1:][same]))
        del ordered, same
    local = np.flatnonzero(repeated)
    # np.unique's return_index gives first occurrences (it sorts stably for that).
    _, first, inverse = np.unique(codes[local], return_index=True, return_inverse=True)
    first_of_each = local[first[inverse.ravel()]]
    dup = local != first_of_each
    return local[dup], first_of_each[dup]


def _check_unique(found: _Findings, values: pa.Array, where: RowMap, name: str) -> None:
    import pyarrow.compute as pc

    eligible = pc.is_valid(values).to_numpy(zero_copy_only=False)
    dups, firsts = _duplicates(_codes([values]), eligible)
    dup_values = _values_at(values, dups)
    for pos, first, value in zip(dups.tolist(), firsts.tolist(), dup_values, strict=True):
        found.add(
            "unique-error",
            f"{value!r} in field {name!r} repeats the value of row {where.row(first)}",
            row=where.row(pos),
            line=where.line(pos),
            field=name,
            rule="constraint:unique",
            details={
                "constraint": "unique",
                "actual": value,
                "first_row": where.row(first),
            },
        )


def _check_primary_key(
    found: _Findings, keys: list[pa.Array], names: list[str], where: RowMap
) -> None:
    import numpy as np
    import pyarrow.compute as pc

    all_null = np.ones(len(where), dtype=bool)
    for arr in keys:
        all_null &= pc.is_null(arr).to_numpy(zero_copy_only=False)
    for pos in np.flatnonzero(all_null).tolist():
        found.add(
            "primary-key",
            f"primary key ({', '.join(names)}) is empty",
            row=where.row(pos),
            line=where.line(pos),
            rule="primary-key",
            details={"fields": names, "actual": None},
        )
    dups, firsts = _duplicates(_codes(keys), ~all_null)
    dup_values = _tuples_at(keys, dups)
    for pos, first, value in zip(dups.tolist(), firsts.tolist(), dup_values, strict=True):
        found.add(
            "primary-key",
            f"primary key ({', '.join(names)}) = {value} repeats row {where.row(first)}",
            row=where.row(pos),
            line=where.line(pos),
            rule="primary-key",
            details={"fields": names, "actual": value, "first_row": where.row(first)},
        )


def _check_foreign_key(
    found: _Findings,
    fk: dict[str, Any],
    keys: list[pa.Array],
    reference: list[pa.Array] | None,
    where: RowMap,
) -> None:
    import numpy as np

    names = fk["fields"]
    ref_name = fk["reference"].get("resource") or "(this table)"
    ref_fields = fk["reference"]["fields"]
    if reference is None:
        found.add(
            "foreign-key",
            f"foreign key ({', '.join(names)}) refers to resource {ref_name!r}, which does not exist",
            rule="foreign-key",
            details={"fields": names, "reference": ref_name},
        )
        return
    missing = _unmatched(keys, reference)
    misses = np.flatnonzero(missing)
    for pos, value in zip(misses.tolist(), _tuples_at(keys, misses), strict=True):
        found.add(
            "foreign-key",
            f"({', '.join(names)}) = {value} not found in {ref_name} ({', '.join(ref_fields)})",
            row=where.row(pos),
            line=where.line(pos),
            field=names[0] if len(names) == 1 else None,
            rule="foreign-key",
            details={
                "fields": names,
                "actual": value,
                "reference": ref_name,
                "reference_fields": ref_fields,
            },
        )


def _unmatched(keys: list[pa.Array], reference: list[pa.Array]) -> np.ndarray:
    """Mask of rows whose key (not all null) is absent from the reference's keys."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n, m = len(keys[0]), len(reference[0]) if reference else 0
    all_null = np.ones(n, dtype=bool)
    for arr in keys:
        all_null &= pc.is_null(arr).to_numpy(zero_copy_only=False)
    ref_all_null = np.ones(m, dtype=bool)
    for arr in reference:
        ref_all_null &= pc.is_null(arr).to_numpy(zero_copy_only=False)
    pairs = [_comparable(mine, theirs) for mine, theirs in zip(keys, reference, strict=True)]
    if len(pairs) == 1 and pa.types.is_dictionary(pairs[0][0].type):
        # One lookup per distinct value, spread to the rows by their indices.
        mine, theirs = pairs[0]
        theirs = theirs.filter(pa.array(~ref_all_null))
        known = pa.array(_known(mine.dictionary, theirs))
        found = pc.fill_null(pc.take(known, mine.indices), False)
        return ~found.to_numpy(zero_copy_only=False) & ~all_null
    joined = [pa.concat_arrays([_decoded(mine), _decoded(theirs)]) for mine, theirs in pairs]
    codes = _codes(joined)
    ref_codes = codes[n:][~ref_all_null]
    return ~np.isin(codes[:n], ref_codes) & ~all_null


def _known(values: pa.Array, reference: pa.Array) -> np.ndarray:
    """Which of the values occur in the reference (neither holds nulls), as a numpy mask.

    Digit codes of the reference's width are compared as numbers (a lookup table when they
    are short); only the values of another shape are hashed as text, against the reference's
    values of another shape, the only ones they can equal.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    theirs = digit_values(reference)
    mine = digit_values(values, int(pc.binary_length(reference[0]).as_py())) if theirs else None
    if theirs is None or mine is None:
        return pc.is_in(values, value_set=reference).to_numpy(zero_copy_only=False)
    (their_ints, their_shaped), (my_ints, my_shaped) = theirs, mine
    known = np.zeros(len(values), dtype=bool)
    their_ints = their_ints[their_shaped]
    if len(their_ints) and int(their_ints.max()) < 1 << 26:
        table = np.zeros(int(their_ints.max()) + 1, dtype=bool)
        table[their_ints] = True
        mine_ints = my_ints[my_shaped]
        known[my_shaped] = table[np.minimum(mine_ints, len(table) - 1)] & (mine_ints < len(table))
    else:
        known[my_shaped] = np.isin(my_ints[my_shaped], their_ints)
    other = ~my_shaped
    if other.any():
        rest = reference.filter(pa.array(~their_shaped))
        known[other] = pc.is_in(values.filter(pa.array(other)), value_set=rest).to_numpy(
            zero_copy_only=False
        )
    return known


def _decoded(arr: pa.Array) -> pa.Array:
    import pyarrow as pa

    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def _comparable(mine: pa.Array, theirs: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A key column and its reference column in one value type (numbers as numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    theirs = _decoded(theirs)
    value_type = mine.type.value_type if pa.types.is_dictionary(mine.type) else mine.type
    if value_type == theirs.type:
        return mine, theirs
    numeric = pa.types.is_integer(value_type) or pa.types.is_floating(value_type)
    numeric_r = pa.types.is_integer(theirs.type) or pa.types.is_floating(theirs.type)
    common = pa.float64() if numeric and numeric_r else pa.string()
    return pc.cast(_decoded(mine), common), pc.cast(theirs, common)


def _values_at(arr: pa.Array, positions: np.ndarray) -> list[Any]:
    """The Python values at these positions, taken in one vectorised step."""
    import pyarrow as pa

    if not len(positions):
        return []
    return [jsonable(v) for v in arr.take(pa.array(positions)).to_pylist()]


def _tuples_at(arrays: list[pa.Array], positions: np.ndarray) -> list[list[Any]]:
    """Key values (one list per position) taken in one vectorised step per column."""
    columns = [_values_at(arr, positions) for arr in arrays]
    return [list(t) for t in zip(*columns, strict=True)] if columns else []


def _check_integrity(found: _Findings, path: Path, declared_hash: Any, declared_bytes: Any) -> None:
    """Compare a file with the hash and bytes its descriptor declares."""
    algorithm, expected = "md5", str(declared_hash or "")
    if ":" in expected:
        algorithm, expected = expected.split(":", 1)
    digest, size = file_digest(path, algorithm if declared_hash else "sha256")
    if declared_bytes is not None and int(declared_bytes) != size:
        found.add(
            "byte-count",
            f"file has {size} bytes; the descriptor declares {declared_bytes}",
            rule="bytes",
            details={"expected": declared_bytes, "actual": size},
        )
    if declared_hash and digest != expected:
        found.add(
            "hash-count",
            f"file's {algorithm} is {digest}; the descriptor declares {expected}",
            rule="hash",
            details={"expected": expected, "actual": digest},
        )


def validate_table(
    resource: Resource,
    *,
    keep: set[str] | None = None,
    references: dict[str, pa.Table] | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    schema_issues: Callable[[], list[Issue]] | None = None,
    defer_schema: bool = False,
) -> TableResult:
    """Check one CSV resource against its schema; keep the typed columns named in `keep` (None: all).

    `references` maps resource names to tables holding (at least) the columns that this
    resource's foreign keys point to. `schema_issues`, when given, waits for the Table Schema
    check running elsewhere: the table is read meanwhile, and its findings are dropped (and
    any error in reading it ignored) if the schema turns out invalid. With `defer_schema`, a
    table read without error does not wait for that verdict: the caller must ask for it.
    """
    result = TableResult(resource=resource.name)
    found = _Findings(resource)
    if resource.fullpath is None:
        result.readable = False
        found.add(
            "source-error",
            "inline data is not validated; move it to a CSV file",
            severity="warning",
        )
        result.issues = found.issues
        return result
    path = resource.fullpath
    if not path.is_file():
        raise CouldNotRun(
            f"data file of resource {resource.name!r} not found",
            path=resource.path,
            hint="create the file or fix the resource's path in datapackage.json",
        )
    fmt = str(resource.descriptor.get("format") or path.suffix.lstrip(".") or "csv").lower()
    if fmt not in ("csv", "tsv", "txt"):
        result.readable = False
        found.add("format-error", f"format {fmt!r} is not supported; only CSV resources are read")
        result.issues = found.issues
        return result
    if schema_issues is None:
        bad_schema = check_schema(resource)
        if bad_schema:
            return TableResult(resource=resource.name, issues=bad_schema, readable=False)
        return _read_table(resource, result, found, keep, references, block_size)
    try:
        _read_table(resource, result, found, keep, references, block_size)
    except Exception:
        bad_schema = schema_issues()
        if not bad_schema:
            raise
    else:
        bad_schema = [] if defer_schema else schema_issues()
    if bad_schema:
        return TableResult(resource=resource.name, issues=bad_schema, readable=False)
    return result


def _read_table(
    resource: Resource,
    result: TableResult,
    found: _Findings,
    keep: set[str] | None,
    references: dict[str, pa.Table] | None,
    block_size: int,
) -> TableResult:
    """Read and check a table whose file exists and is a CSV."""
    assert resource.fullpath is not None
    path = resource.fullpath
    declared_hash = resource.descriptor.get("hash")
    declared_bytes = resource.descriptor.get("bytes")
    if declared_hash is not None or declared_bytes is not None:
        _check_integrity(found, path, declared_hash, declared_bytes)
    result.bytes = path.stat().st_size

    reader = _Reader(resource, block_size)
    try:
        try:
            labels = reader.read_header()
        except LookupError:
            raise CouldNotRun(
                f"unknown encoding {resource.encoding!r}",
                path=resource.path,
                hint="declare a valid encoding, e.g. utf-8",
            ) from None
        if not labels:
            found.add("blank-header", "the file has no header row", row=1, line=1)
            result.readable = False
            result.issues = found.issues
            return result
        expected = _expected_fields(found, labels, resource.fields)
        reader.missing_values = list((resource.schema or {}).get("missingValues", [""]))
        reader.typed, reader.true_values, reader.false_values = typed_columns(
            expected, reader.missing_values
        )
        reader.encoded = encoded_columns(expected, resource)
        reader.fields = expected
        _scan(found, reader, reader.chunks(), expected, resource, keep, references, result)
    except _BadEncoding:
        line, offset = find_bad_bytes(path, "utf-8" if reader.utf8 else reader.encoding)
        found.add(
            "encoding-error",
            f"line {line} is not valid {resource.encoding} (byte {offset}); save the file as "
            'UTF-8, or declare its real encoding (e.g. "encoding": "gbk") in the descriptor',
            line=line,
            rule="encoding",
            details={"expected": resource.encoding, "byte_offset": offset},
        )
        result.readable = False
        result.table = None
    result.issues = found.issues
    return result


def _ahead(batches: Iterator[_Batch], depth: int = 4) -> Iterator[_Batch]:
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


def _narrowed(values: pa.Array, parts: list[pa.Array], narrow: set[str], name: str) -> pa.Array:
    """int64 values as int32 when they fit; at the first that do not, the column (its stored
    parts too) goes back to int64 for good and leaves `narrow`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.type != pa.int64():
        return values
    bounds = pc.min_max(values).as_py()
    low, high = bounds["min"], bounds["max"]
    if low is None or (-(2**31) <= low and high < 2**31):
        return values.cast(pa.int32())
    narrow.discard(name)
    parts[:] = [p.cast(pa.int64()) for p in parts]
    return values


def _scan(
    found: _Findings,
    reader: _Reader,
    batches: Iterator[_Batch],
    expected: list[Field],
    resource: Resource,
    keep: set[str] | None,
    references: dict[str, pa.Table] | None,
    result: TableResult,
) -> None:
    """Run every batch through the cell checks, then the whole-table key checks."""
    import pyarrow as pa

    schema = resource.schema or {}
    missing_values = list(schema.get("missingValues", [""]))
    names = [f.name for f in expected]
    pk = [n for n in resource.primary_key if n in names]
    unique = [f.name for f in expected if f.constraints.get("unique")]
    fks = [fk for fk in resource.foreign_keys if all(n in names for n in fk["fields"])]
    key_names = set(pk) | set(unique) | {n for fk in fks for n in fk["fields"]}
    self_refs = {
        n for fk in fks if not fk["reference"].get("resource") for n in fk["reference"]["fields"]
    }
    wanted = set(names) if keep is None else (set(keep) & set(names))
    store = wanted | key_names | (self_refs & set(names))
    parts: dict[str, list[pa.Array]] = {n: [] for n in store}
    by_name = {f.name: f for f in expected}
    where = RowMap()
    # Integer columns kept only for primary-key or unique checks are stored as int32 while
    # their values fit (at millions of rows, half the memory of a key column).
    fk_names = {n for fk in fks for n in fk["fields"]} | self_refs
    narrow = {n for n in store - wanted - fk_names if by_name[n].type in ("integer", "year")}

    def checked(batch: _Batch) -> tuple[_Batch, _Findings, dict[str, pa.Array]]:
        own = _Findings(resource)
        typed, _blank = _check_batch(own, batch, expected, missing_values)
        return batch, own, typed

    def keep_batch(batch: _Batch, own: _Findings, typed: dict[str, pa.Array]) -> None:
        found.issues.extend(own.issues)
        for name in store:
            values = typed[name]
            if name in narrow:
                values = _narrowed(values, parts[name], narrow, name)
            parts[name].append(values)
        where.append(batch.rows, batch.lines)

    # Two batches are checked at a time (pyarrow's kernels release the GIL) and kept in file
    # order, findings included. Small chunks ask for bounded memory: one at a time then.
    parallel = reader.block_size >= PARALLEL_CHUNK
    with ThreadPoolExecutor(max_workers=2 if parallel else 1) as pool:
        pending: deque[Future[tuple[_Batch, _Findings, dict[str, pa.Array]]]] = deque()
        try:
            for batch in _ahead(batches, depth=4 if parallel else 1):
                pending.append(pool.submit(checked, batch))
                if len(pending) > (2 if parallel else 0):
                    keep_batch(*pending.popleft().result())
            while pending:
                keep_batch(*pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
    order = None
    if not where.ordered():
        where, order = where.sorted()

    def column(name: str) -> pa.Array:
        chunks = parts.pop(name)
        arr = pa.concat_arrays(chunks) if chunks else pa.array([], arrow_type(by_name[name]))
        return arr if order is None else arr.take(pa.array(order))

    def foreign_keys(out: _Findings) -> None:
        for fk in fks:
            ref_name = fk["reference"].get("resource") or ""
            ref_fields = fk["reference"]["fields"]
            ref_cols: list[pa.Array] | None
            if not ref_name or ref_name == resource.name:
                ref_cols = (
                    [columns[n] for n in ref_fields]
                    if all(n in columns for n in ref_fields)
                    else None
                )
            else:
                table = (references or {}).get(ref_name)
                ref_cols = (
                    [table.column(n).combine_chunks() for n in ref_fields]
                    if table is not None and all(n in table.column_names for n in ref_fields)
                    else None
                )
            _check_foreign_key(out, fk, [columns[n] for n in fk["fields"]], ref_cols, where)

    # Columns are joined, and foreign keys checked beside uniqueness and the primary key, on
    # two threads: numpy's and pyarrow's kernels release the GIL. Findings keep their order.
    # With small chunks (bounded memory) one after the other.
    stored = sorted(store)
    fk_found = _Findings(resource)
    with ThreadPoolExecutor(max_workers=2 if parallel else 1) as pool:
        if parallel:
            columns = dict(zip(stored, pool.map(column, stored), strict=True))
            fk_done = pool.submit(foreign_keys, fk_found)
        else:
            columns = {name: column(name) for name in stored}
        for name in unique:
            _check_unique(found, columns[name], where, name)
        if pk and len(pk) == len(resource.primary_key):
            _check_primary_key(found, [columns[n] for n in pk], pk, where)
        if parallel:
            fk_done.result()
        else:
            foreign_keys(fk_found)
    found.issues.extend(fk_found.issues)
    kept = [n for n in names if n in wanted]
    result.rows = len(where)
    result.where = where
    result.chunks = reader.chunks_read
    result.serial_chunks = reader.serial_chunks
    result.table = pa.table([columns[n] for n in kept], names=kept)


def read_typed(resource: Resource) -> pa.Table:
    """The resource as an Arrow table typed per its Table Schema (unparseable cells are null)."""
    result = validate_table(resource, keep=None)
    if result.table is None:
        raise CouldNotRun(f"cannot read resource {resource.name!r}", path=resource.path)
    return decoded(result.table)


def decoded(table: pa.Table) -> pa.Table:
    """The table with dictionary-encoded columns as plain values."""
    import pyarrow as pa

    for i, column in enumerate(table.columns):
        if pa.types.is_dictionary(column.type):
            table = table.set_column(i, table.field(i).name, column.cast(column.type.value_type))
    return table
