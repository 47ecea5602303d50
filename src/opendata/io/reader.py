"""The chunked CSV reader: a resource's records as Arrow batches, whole records per chunk, ragged rows in place."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.io.batches import Batch, Ragged, interleave, make_room
from opendata.io.convert import convert_plain
from opendata.io.dialect import Dialect, declared, resolve
from opendata.io.encoding import BadEncoding, decode_head, encodes_as_ascii, reader_encoding
from opendata.io.records import Placed, after_lines, has_newline, locate_ragged, record_end
from opendata.io.rowmap import Run
from opendata.io.source import ByteSource

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.package import Field, Resource


class _TypedMiss(Exception):
    """A cell did not convert while reading typed: read as text and find every bad cell."""


class CsvReader:
    """Reads a CSV resource in chunks of whole records, tolerant of ragged rows.

    Each chunk (``block_size`` bytes, cut at the last record boundary) is parsed by pyarrow with
    both cores; a chunk that holds a ragged record is parsed again serially, the only mode in
    which pyarrow tells where the record was, and a chunk with a cell that does not convert is
    parsed again as text. Memory is bounded by the chunk, whatever the file's size.
    """

    def __init__(self, resource: Resource, block_size: int) -> None:
        self.resource = resource
        self.source = ByteSource.of(resource)
        self.block_size = max(1, block_size)
        self.dialect = Dialect(**declared(resource.dialect))
        self.utf8, self.encoding = reader_encoding(resource.encoding)
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
        self.demoted: set[int] = set()  # typed columns read as text from now on (a bad cell)
        self.fields: list[Field] = []  # the schema's field for each column (for `demoted`)
        # Told the bytes of each chunk once it is parsed (a progress bar); None: nobody asks.
        self.on_bytes: Callable[[int], None] | None = None

    @property
    def delimiter(self) -> str:
        """The delimiter the file is read with."""
        return self.dialect.delimiter

    @property
    def quote(self) -> str:
        """The quote character ("" for none)."""
        return self.dialect.quote_char

    @property
    def escape(self) -> str | bool:
        """The escape character, or False."""
        return self.dialect.escape_char or False

    @property
    def has_header(self) -> bool:
        """Whether the file starts with a header record."""
        return self.dialect.header

    def csv_kwargs(self) -> dict[str, Any]:
        """The dialect as keyword arguments of Python's csv module."""
        return self.dialect.csv_kwargs()

    def head_text(self) -> str:
        """The decoded text of the stream's first megabyte (the header and the sniffer's sample)."""
        with self.source.open() as fh:
            head = fh.read(1 << 20)
        return decode_head(head, self.utf8, self.encoding)

    def read_header(self) -> list[str]:
        """Settle the dialect, then parse the header record (or take the schema's names without one)."""
        text = self.head_text()
        self.dialect = resolve(self.resource.dialect, self.resource.format, text)
        self.source.skip_repeated_header = self.has_header
        reader = csv.reader(io.StringIO(text, newline=""), **self.csv_kwargs())
        first = next(reader, [])
        if self.has_header:
            # frictionless strips each label (helpers.stringify_label): " year " is "year".
            self.labels = [label.strip() for label in first]
            self.header_lines = reader.line_num if first else 0
        else:
            # Without a header, frictionless names the columns by the schema (no label checks).
            # Cells beyond the schema's fields are extra cells, as in frictionless.
            names = [f.name for f in self.resource.fields]
            self.labels = names or [f"field{i + 1}" for i in range(len(first))]
        return self.labels

    @property
    def splittable(self) -> bool:
        """Whether record boundaries can be found in the raw bytes.

        They can when line breaks, quotes and delimiters are single ASCII bytes that never occur
        inside another character (UTF-8, GBK, Big5, Latin-1: not UTF-16) and no escape character
        can hide a quote. Otherwise the file is read as one chunk.
        """
        marks = ["\n", self.delimiter] + ([str(self.quote)] if self.quote else [])
        return encodes_as_ascii(self.encoding, marks) and not self.escape

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
            double_quote=bool(self.csv_kwargs()["doublequote"]),
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

    # A named seam: tests/test_chunks.py spies on it to see which columns each chunk demotes.
    def _promote(self, blocks: list[list[pa.Array]]) -> list[list[pa.Array]]:
        """A chunk read as text: its typed columns converted where every cell allows it.

        A column whose cells all convert becomes typed here (the checks then take it as read
        typed); one with a cell that does not stays text, for the checks to find that cell, and
        is read as text from now on. So one bad cell costs its own column's conversion, not a
        text read of every typed column in the rest of the file.
        """
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

    def chunks(self) -> Iterator[Batch]:
        """Yield the file's records as batches, chunk by chunk, in file order."""
        quote = str(self.quote).encode() if self.quote else b""
        split = self.splittable
        known = self.source.size()
        size = self.block_size if split or known is None else known + 1
        if split and known is not None:
            size = min(size, known + 1)
        buf = bytearray(size)
        have = 0
        eof = False
        first = True
        row, line = self._first_row(), self.header_lines + 1
        with self.source.open() as fh:
            while True:
                with memoryview(buf) as view:
                    while have < len(buf) and not eof:
                        got = fh.readinto(view[have:])
                        eof = not got
                        have += got
                # One scan for quotes per fill: they decide both where a record may end and
                # whether a cell may span lines.
                quoted = bool(quote) and buf.find(quote, 0, have) >= 0
                if eof:
                    cut = have
                else:
                    # Unsplittable bytes are read whole: the buffer grows until the end.
                    cut = record_end(buf, have, quote if quoted else b"") if split else 0
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
                if self.on_bytes is not None:
                    self.on_bytes(cut)
                yield from batches
                first = False
                if eof and cut == have:
                    return
                rest = have - cut
                buf[:rest] = buf[cut:have]
                have = rest

    def _chunk(
        self, data: memoryview, first: bool, row: int, line: int
    ) -> tuple[list[Batch], int, int]:
        """The batches of one chunk of whole records, and the row and line after it."""
        import pyarrow as pa

        skip = self.header_lines if first else 0
        typed = bool(self._typed_now())
        if typed and any(t == pa.int64() for t in self._typed_now().values()):
            # pyarrow reads 0x1F as 31; frictionless (Python's int) rejects it. Looking for the
            # single byte first is much faster, and most files hold no x at all.
            raw = data.obj if isinstance(data.obj, bytearray) else bytes(data)
            end = len(data)
            begin = after_lines(raw, skip, end)  # not the header: labels may hold an x
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

    def _locate(self, data: memoryview, ragged: list[Any], skip: int) -> list[Placed] | None:
        """Number the ragged records a threaded parse skipped (see records.locate_ragged)."""
        if self.may_span_lines:
            return None
        raw = data.obj if isinstance(data.obj, bytearray) else bytes(data)
        return locate_ragged(raw, len(data), ragged, skip, self.encoding)

    def _merge_all(
        self, blocks: list[list[pa.Array]], pending: list[Any], row: int, line: int, offset: int
    ) -> tuple[list[Batch], int, int]:
        """The batches of a chunk's blocks with its ragged records put back in place."""
        import pyarrow as pa

        out: list[Batch] = []
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
            raise BadEncoding() from None
        raise CouldNotRun(f"cannot parse as CSV: {message}", path=self.resource.path) from None

    def _serial(
        self, data: memoryview, skip: int, next_row: int, next_line: int
    ) -> tuple[list[Batch], int, int]:
        """Parse a chunk without threads, where pyarrow reports the position of ragged records."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        ragged: list[Any] = []

        def on_invalid(row: Any) -> str:
            ragged.append(row)
            return "skip"

        # pyarrow numbers records from 1 counting skipped rows; frictionless from the header.
        offset = next_row - (skip + 1)
        out: list[Batch] = []
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
    ) -> tuple[list[Batch], int, int, list[Any]]:
        """One block's good records and the ragged ones pyarrow skipped in it, in file order.

        Returns the batches, the row and line the next block starts at, and the ragged records
        that lie beyond this block.
        """
        good, good_end = self._batch(columns, next_row, next_line)
        n = len(good.rows)
        placed, later = self._place(pending, next_row, n, offset)
        if not placed:
            return ([good] if n else []), next_row + n, good_end, later
        lines, at, consumed_lines = make_room(good, good_end, placed)
        bad = self._ragged_batch(placed, lines, len(columns))
        return (
            interleave(good, bad, at),
            next_row + n + len(placed),
            good_end + consumed_lines,
            later,
        )

    def _place(
        self, pending: list[Any], next_row: int, n: int, offset: int
    ) -> tuple[list[Ragged], list[Any]]:
        """The ragged records that fall among a block's n good records, as cells; and the later ones."""
        # pyarrow numbers a skipped record by its position among records (the header is 1),
        # which is frictionless's row number; its physical line follows from the merge.
        placed: list[Ragged] = []
        later = []
        for row in sorted(pending, key=lambda r: int(r.number)):
            number = int(row.number) + offset
            if n and number >= next_row + n + len(placed):
                later.append(row)
                continue
            cells = next(csv.reader(io.StringIO(row.text, newline=""), **self.csv_kwargs()), [])
            placed.append((number, row.text.count("\n") + 1, cells))
        return placed, later

    def _ragged_batch(self, placed: list[Ragged], lines: list[int], width: int) -> Batch:
        """The ragged records as a batch of `width` columns; their cells beyond it kept aside."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        cols: list[list[str | None]] = [[] for _ in range(width)]
        present: list[list[bool]] = [[] for _ in range(width)]
        extras = []
        for (row_number, _span, cells), line in zip(placed, lines, strict=True):
            for i in range(width):
                cols[i].append(cells[i] if i < len(cells) else None)
                present[i].append(i < len(cells))
            if len(cells) > width:
                extras.append((row_number, line, cells[width:]))
        texts = [pa.array(c, pa.string()) for c in cols]
        return Batch(
            columns=[
                pc.dictionary_encode(t) if i in self.encoded else t for i, t in enumerate(texts)
            ],
            rows=np.array([number for number, _span, _cells in placed], dtype=np.int64),
            lines=np.array(lines, dtype=np.int64),
            present=[pa.array(p, pa.bool_()) for p in present],
            extra_cells=extras,
        )

    def _batch(self, columns: list[pa.Array], first_row: int, first_line: int) -> tuple[Batch, int]:
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
                if has_newline(words):
                    counts = pc.count_substring(words, "\n")
                    if encoded:
                        counts = pc.fill_null(pc.take(counts, col.indices), 0)
                    c = counts.to_numpy(zero_copy_only=False).astype(np.int64)
                    breaks = c if breaks is None else breaks + c
        if breaks is None:
            return Batch(columns, rows, Run(first_line, n)), first_line + n
        spans = breaks + 1
        ends = np.cumsum(spans)
        lines = first_line + np.concatenate(([0], ends[:-1])).astype(np.int64)
        return Batch(columns, rows, lines), first_line + int(ends[-1])
