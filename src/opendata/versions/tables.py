"""A resource's rows for a diff: typed as its schema says, or as text when it does not parse."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, BinaryIO, cast

from opendata.errors import CouldNotRun, OpendataError

if TYPE_CHECKING:
    from opendata.package import Resource


def read_rows(resource: Resource, notes: list[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of a resource, typed; as text when it does not parse (with a note)."""
    from opendata.structural.table import read_typed

    try:
        table = read_typed(resource)
    except OpendataError as exc:
        notes.append(f"{resource.name}: compared as text because it does not parse ({exc})")
        return read_text_rows(resource)
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return list(table.column_names), list(zip(*columns, strict=True))


def read_text_rows(resource: Resource) -> tuple[list[str], list[tuple[Any, ...]]]:
    """A tolerant read of a broken CSV: bad bytes replaced, rows fitted to the header."""
    import csv
    import io

    from opendata.io.source import ByteSource

    if not resource.fullpaths or not all(p.is_file() for p in resource.fullpaths):
        raise CouldNotRun(f"resource {resource.name!r} has no readable file", path=resource.path)
    dialect = resource.dialect
    raw = ByteSource.of(resource).open()  # decompressed, its parts joined
    with io.TextIOWrapper(
        cast("BinaryIO", raw), encoding=resource.encoding, errors="replace", newline=""
    ) as fh:
        reader = csv.reader(
            fh,
            delimiter=str(dialect.get("delimiter", ",")),
            quotechar=str(dialect.get("quoteChar", '"')),
        )
        header = next(reader, [])
        width = len(header)
        rows = [tuple((r + [""] * width)[:width]) for r in reader if r]
    return header, rows
