"""Parquet resources, read batch by batch and handed on as text batches checked like a CSV's.

Each column is written as the text of its values (ISO dates and times, `true`/`false`, JSON for
lists and structs), so a value of the wrong Arrow type for its field is a type error exactly
where a CSV cell with that text would be. Rows are numbered as frictionless numbers them: the
column names are row 1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.io.batches import Batch
from opendata.io.reader import CsvReader
from opendata.io.rowmap import Run

if TYPE_CHECKING:
    import pyarrow as pa

BATCH_ROWS = 65536


def as_text(column: pa.Array) -> pa.Array:
    """The column's values as text, spelled as a CSV holding them would spell them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return column.cast(pa.string())
    if pa.types.is_timestamp(kind):
        return pc.strftime(column, format="%Y-%m-%dT%H:%M:%S")
    if pa.types.is_nested(kind):
        return pa.array(
            [None if v is None else json.dumps(v, default=str) for v in column.to_pylist()],
            pa.string(),
        )
    try:
        return column.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())


class ParquetReader(CsvReader):
    """Reads a Parquet resource: the column names are its header."""

    def _file(self) -> Any:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(str(self.resource.fullpath))
        except (OSError, pa.ArrowException) as exc:
            raise CouldNotRun(
                f"cannot read as Parquet: {exc}",
                path=self.resource.path,
                hint="is it a Parquet file?",
            ) from None

    def read_header(self) -> list[str]:
        """The file's column names."""
        self.labels = list(self._file().schema_arrow.names)
        return self.labels

    def chunks(self) -> Iterator[Batch]:
        """The file's rows as text batches."""
        import pyarrow.compute as pc

        self.typed = {}
        row = 2
        for record_batch in self._file().iter_batches(batch_size=BATCH_ROWS):
            self.chunks_read += 1
            n = record_batch.num_rows
            columns = [as_text(c) for c in record_batch.columns]
            columns = [
                pc.dictionary_encode(c) if i in self.encoded else c for i, c in enumerate(columns)
            ]
            yield Batch(columns=columns, rows=Run(row, n), lines=Run(row, n))
            row += n
