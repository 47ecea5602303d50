"""The Python CSV reader: dialects pyarrow cannot apply (comments, header rows, initial spaces).

Records are parsed by Python's csv module with the options frictionless gives it, numbered as
frictionless numbers them (every record counts, comment and header rows included), and handed on
as the same text batches the pyarrow reader yields, so every check downstream is shared.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import replace

from opendata.io.batches import Batch
from opendata.io.dialect import declared, resolve
from opendata.io.encoding import BadEncoding
from opendata.io.reader import CsvReader

# Records per batch: large enough for vectorised checks, small enough to bound memory.
BATCH_ROWS = 65536

# A record: its frictionless row number, the physical line it starts on, its cells.
Record = tuple[int, int, list[str | None]]


def to_batch(records: list[Record], width: int, encoded: set[int]) -> Batch:
    """Records as a batch of `width` text columns; short rows marked absent, extra cells kept aside."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    cols: list[list[str | None]] = [[] for _ in range(width)]
    present: list[list[bool]] = [[] for _ in range(width)]
    extras = []
    ragged = False
    for row, line, cells in records:
        for i in range(width):
            cols[i].append(cells[i] if i < len(cells) else None)
            present[i].append(i < len(cells))
        if len(cells) != width:
            ragged = True
            if len(cells) > width:
                extras.append((row, line, [c or "" for c in cells[width:]]))
    texts = [pa.array(c, pa.string()) for c in cols]
    columns = [pc.dictionary_encode(t) if i in encoded else t for i, t in enumerate(texts)]
    return Batch(
        columns=columns,
        rows=np.array([r[0] for r in records], dtype=np.int64),
        lines=np.array([r[1] for r in records], dtype=np.int64),
        present=[pa.array(p, pa.bool_()) for p in present] if ragged else None,
        extra_cells=extras,
    )


def batches(records: Iterable[Record], width: int, encoded: set[int]) -> Iterator[Batch]:
    """Records cut into batches of BATCH_ROWS."""
    chunk: list[Record] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= BATCH_ROWS:
            yield to_batch(chunk, width, encoded)
            chunk = []
    if chunk:
        yield to_batch(chunk, width, encoded)


class TextReader(CsvReader):
    """A CSV resource read record by record with Python's csv module, as frictionless reads it."""

    def _records(self) -> Iterator[tuple[int, int, list[str]]]:
        """Every record with its number (from 1) and the line it starts on."""
        raw = self.source.open()
        encoding = "utf-8-sig" if self.utf8 else self.encoding
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")  # type: ignore[type-var]
        reader = csv.reader(text, **self.csv_kwargs())
        line = 1
        try:
            for number, cells in enumerate(reader, start=1):
                yield number, line, cells
                line = reader.line_num + 1
        except UnicodeDecodeError:
            raise BadEncoding() from None
        except csv.Error as exc:
            self._parse_error(str(exc))
        finally:
            text.close()

    def read_header(self) -> list[str]:
        """Settle the dialect, then join the labels of the header rows (frictionless's read_labels)."""
        self.dialect = dialect = resolve(
            self.resource.dialect, self.resource.format, self.head_text()
        )
        self.source.skip_repeated_header = dialect.header
        lists: list[list[str]] = []
        width = 0
        declared_rows = "header_rows" in declared(self.resource.dialect)
        for number, _line, cells in self._records():
            if dialect.is_comment(number, cells):
                continue
            width = width or len(cells)
            if dialect.header and not declared_rows and number not in dialect.header_rows:
                # The first row that is not a comment is the header (frictionless looks for
                # one of about the sample's average width: the same row unless it is odd).
                self.dialect = dialect = replace(dialect, header_rows=(number,))
            declared_rows = True
            if dialect.header and number in dialect.header_rows:
                lists.append([c.strip() for c in cells])
            if number >= dialect.first_content_row:
                break
        if not dialect.header:
            # Cells beyond the schema's fields are extra cells, as in frictionless.
            names = [f.name for f in self.resource.fields]
            self.labels = names or [f"field{i + 1}" for i in range(width)]
            return self.labels
        labels: list[str] = []
        previous: dict[int, str] = {}
        for cells in lists:
            for index, cell in enumerate(cells):
                if previous.get(index) == cell:
                    continue
                previous[index] = cell
                if len(labels) <= index:
                    labels.append(cell)
                else:
                    labels[index] = dialect.header_join.join([labels[index], cell])
        self.labels = labels
        return labels

    def _content(self) -> Iterator[Record]:
        dialect = self.dialect
        first = dialect.first_content_row
        for number, line, cells in self._records():
            if number < first or dialect.is_comment(number, cells):
                continue
            if dialect.skip_blank_rows and not any(cells):
                continue
            yield number, line, list(cells)

    def chunks(self) -> Iterator[Batch]:
        """The content records (after header rows, without comments) as text batches."""
        self.typed = {}  # every column as text: the checks convert them
        self.chunks_read = 1
        yield from batches(self._content(), max(1, len(self.labels)), self.encoded)
