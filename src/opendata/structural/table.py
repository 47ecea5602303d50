"""The structural layer: a table against its Table Schema, vectorised, with frictionless's codes and rows.

The file is read in chunks of whole records, each parsed by pyarrow on all cores (typed where
pyarrow's rules equal frictionless's, as text otherwise; see opendata.io.reader), every cell is
parsed per its field (cells.py), and constraints (constraints.py), uniqueness, primary and
foreign keys (keys.py) are checked column-wise; Python only loops over findings, never over rows. Row numbers follow frictionless
(the header is row 1, each record after it one row); `line` is the physical line where the record
starts, which differs from the row only after a quoted cell that holds a line break.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun, Refused
from opendata.io.ahead import read_ahead
from opendata.io.arrays import from_numpy
from opendata.io.batches import Batch
from opendata.io.encoding import BadEncoding, find_bad_bytes, quiet_undecodable_rows
from opendata.io.plan import arrow_type, encoded_columns, typed_columns
from opendata.io.reader import CsvReader
from opendata.io.records import holds_no_record
from opendata.io.rowmap import RowMap
from opendata.package import Resource
from opendata.report import Issue
from opendata.structural.constraints import check_batch
from opendata.structural.findings import Findings
from opendata.structural.judged import key_values
from opendata.structural.keys import (
    check_foreign_key,
    check_primary_key,
    check_unique,
    exact_keys,
    key_column,
    wide_field,
    wide_integers,
)
from opendata.structural.kinds import (
    READABLE,
    check_data_files,
    check_file,
    check_file_integrity,
    reader_for,
    relocate,
    with_inferred_schema,
)
from opendata.structural.schema import check_schema, expected_fields

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from opendata.io.reader import CsvReader
    from opendata.package import Field


DEFAULT_BLOCK_SIZE = 64 << 20
# From this chunk size on, two batches are checked at a time and key checks run side by side;
# below it (a run asked for bounded memory) everything is done one at a time.
PARALLEL_CHUNK = 16 << 20
# Per integer column of a batch: the positions and digits of its cells beyond 64 bits.
_Wide = dict[str, tuple[list[int], list[str]]]


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
    unheld: list[tuple[int, str, Any]] = field(default_factory=list)  # see Findings.unheld

    @property
    def has_errors(self) -> bool:
        """Whether any error was found (semantic checks on this table are then skipped)."""
        return any(i.severity == "error" for i in self.issues)


def no_header(found: Findings, open_bytes: Callable[[], io.BufferedIOBase]) -> None:
    """The finding for a file without a header row: `source-error` when it is empty, as
    frictionless says ("the source is empty"), else `blank-header` (frictionless then reports
    the blank lines after the first as blank rows and nothing of the header: not followed)."""
    if holds_no_record(open_bytes):
        found.add("source-error", "the file is empty: no header row and no data")
    else:
        found.add("blank-header", "the file has no header row", row=1, line=1)


def validate_table(
    resource: Resource,
    *,
    keep: set[str] | None = None,
    references: dict[str, pa.Table] | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    schema_issues: Callable[[], list[Issue]] | None = None,
    defer_schema: bool = False,
    on_bytes: Callable[[int], None] | None = None,
) -> TableResult:
    """Check one CSV resource against its schema; keep the typed columns named in `keep` (None: all).

    `references` maps resource names to tables holding (at least) the columns that this
    resource's foreign keys point to. `schema_issues`, when given, waits for the Table Schema
    check running elsewhere: the table is read meanwhile, and its findings are dropped (and
    any error in reading it ignored) if the schema turns out invalid. With `defer_schema`, a
    table read without error does not wait for that verdict: the caller must ask for it.
    `on_bytes` is told the size of each chunk of the file once it is read (for progress bars).
    """
    result = TableResult(resource=resource.name)
    found = Findings(resource)
    if not resource.tabular:
        # A file, not a table: only what applies to any file; no table for checks to read.
        return TableResult(resource=resource.name, issues=check_file(resource), readable=False)
    if resource.format not in READABLE:
        result.readable = False
        found.add(
            "format-error",
            f"format {resource.format!r} is not supported; CSV, TSV, Parquet and inline data are read",
        )
        result.issues = found.issues
        return result
    check_data_files(resource)
    if resource.schema is None:
        resource = with_inferred_schema(resource)
    if schema_issues is None:
        bad_schema = check_schema(resource)
        if bad_schema:
            return TableResult(resource=resource.name, issues=bad_schema, readable=False)
        return _read_table(resource, result, found, keep, references, block_size, on_bytes)
    try:
        _read_table(resource, result, found, keep, references, block_size, on_bytes)
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
    found: Findings,
    keep: set[str] | None,
    references: dict[str, pa.Table] | None,
    block_size: int,
    on_bytes: Callable[[int], None] | None = None,
) -> TableResult:
    """Read and check a table whose files exist (or whose rows are inline) in a format read here."""
    if resource.fullpath is not None:
        check_file_integrity(found, resource)
        result.bytes = sum(p.stat().st_size for p in resource.fullpaths)
    reader = reader_for(resource, block_size)
    reader.on_bytes = on_bytes
    try:
        with quiet_undecodable_rows():
            _read_records(found, reader, resource, keep, references, result)
    except BadEncoding:
        line, offset = find_bad_bytes(
            reader.source.open, "utf-8" if reader.utf8 else reader.encoding
        )
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
    relocate(found.issues, reader.source)
    result.issues = found.issues
    result.unheld = found.unheld
    return result


def _read_records(
    found: Findings,
    reader: CsvReader,
    resource: Resource,
    keep: set[str] | None,
    references: dict[str, pa.Table] | None,
    result: TableResult,
) -> None:
    """The header checked, then every record (raises BadEncoding on bytes that do not decode)."""
    try:
        labels = reader.read_header()
    except LookupError:
        raise CouldNotRun(
            f"unknown encoding {resource.encoding!r}",
            path=resource.path,
            hint="declare a valid encoding, e.g. utf-8",
        ) from None
    if not labels:
        no_header(found, reader.source.open)
        result.readable = False
        return
    if not reader.dialect.header_case:
        names = {f.name.lower(): f.name for f in resource.fields}
        labels = [names.get(label.lower(), label) for label in labels]
    expected = expected_fields(found, labels, resource.fields)
    reader.missing_values = resource.missing_values
    reader.typed, reader.true_values, reader.false_values = typed_columns(
        expected, reader.missing_values
    )
    reader.encoded = encoded_columns(expected, resource)
    reader.fields = expected
    _scan(found, reader, reader.chunks(), expected, resource, keep, references, result)
    for row, name, value in getattr(reader, "refused", []):
        found.add("type-error", f"{value!r} is not a string", row=row, field=name)


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
    found: Findings,
    reader: CsvReader,
    batches: Iterator[Batch],
    expected: list[Field],
    resource: Resource,
    keep: set[str] | None,
    references: dict[str, pa.Table] | None,
    result: TableResult,
) -> None:
    """Run every batch through the cell checks, then the whole-table key checks."""
    scan = _Scan(found, expected, resource, keep, references, reader.block_size >= PARALLEL_CHUNK)
    scan.check_batches(batches)
    scan.check_keys()
    result.rows = len(scan.where)
    result.where = scan.where
    result.chunks = reader.chunks_read
    result.serial_chunks = reader.serial_chunks
    result.table = scan.table()


class _Scan:
    """One table's checks: each batch's cells on a pool of threads, then the keys of the whole table.

    It stores, batch by batch, the columns the caller keeps and those the key checks need, with
    the row map; `parallel` says whether two threads share the work (see PARALLEL_CHUNK).
    """

    def __init__(
        self,
        found: Findings,
        expected: list[Field],
        resource: Resource,
        keep: set[str] | None,
        references: dict[str, pa.Table] | None,
        parallel: bool,
    ) -> None:
        self.found = found
        self.expected = expected
        self.resource = resource
        self.references = references
        self.parallel = parallel
        self.missing_values = resource.missing_values
        self.names = names = [f.name for f in expected]
        self.pk = pk = [n for n in resource.primary_key if n in names]
        self.unique = unique = [f.name for f in expected if f.constraints.get("unique")]
        self.fks = fks = [
            fk for fk in resource.foreign_keys if all(n in names for n in fk["fields"])
        ]
        key_names = set(pk) | set(unique) | {n for fk in fks for n in fk["fields"]}
        self_refs = {
            n
            for fk in fks
            if not fk["reference"].get("resource")
            for n in fk["reference"]["fields"]
        }
        self.wanted = wanted = set(names) if keep is None else (set(keep) & set(names))
        self.store = store = wanted | key_names | (self_refs & set(names))
        self.parts: dict[str, list[pa.Array]] = {n: [] for n in store}
        self.by_name = by_name = {f.name: f for f in expected}
        self.where = RowMap()
        # Integer columns kept only for primary-key or unique checks are stored as int32 while
        # their values fit (at millions of rows, half the memory of a key column).
        fk_names = {n for fk in fks for n in fk["fields"]} | self_refs
        self.narrow = {
            n for n in store - wanted - fk_names if by_name[n].type in ("integer", "year")
        }
        self.order: np.ndarray | None = None  # positions in row order, when the map is not
        self.columns: dict[str, pa.Array] = {}  # the stored columns, joined
        # Integer cells beyond 64 bits (null in the columns) by stored row, and the columns
        # holding any as exact key text (see keys.WIDE).
        self.integers = {
            n: i for i, n in enumerate(names) if n in store and by_name[n].type == "integer"
        }
        self.wide: dict[str, tuple[list[int], list[str]]] = {}
        self.exact: dict[str, pa.Array] = {}

    def checked(self, batch: Batch) -> tuple[Batch, Findings, dict[str, pa.Array], _Wide]:
        """One batch's cell checks, with findings of its own (runs on a worker thread)."""
        own = Findings(self.resource)
        typed, _blank = check_batch(own, batch, self.expected, self.missing_values)
        wide: _Wide = {}
        for name, i in self.integers.items():
            cells = wide_integers(
                self.by_name[name], typed[name], batch.columns[i], self.missing_values
            )
            if cells[0]:
                wide[name] = cells
        return batch, own, typed, wide

    def keep_batch(
        self, batch: Batch, own: Findings, typed: dict[str, pa.Array], wide: _Wide
    ) -> None:
        """Take a checked batch's findings, stored columns and row numbers (in file order)."""
        self.found.issues.extend(own.issues)
        self.found.unheld.extend(own.unheld)
        for name, (positions, digits) in wide.items():
            kept = self.wide.setdefault(name, ([], []))
            kept[0].extend(len(self.where) + p for p in positions)
            kept[1].extend(digits)
        for name in self.store:
            values = typed[name]
            if name in self.narrow:
                values = _narrowed(values, self.parts[name], self.narrow, name)
            self.parts[name].append(values)
        self.where.append(batch.rows, batch.lines)

    def check_batches(self, batches: Iterator[Batch]) -> None:
        """Check every batch while the next ones are read, keeping them in file order."""
        parallel = self.parallel
        # Two batches are checked at a time (pyarrow's kernels release the GIL) and kept in file
        # order, findings included. Small chunks ask for bounded memory: one at a time then.
        with ThreadPoolExecutor(max_workers=2 if parallel else 1) as pool:
            pending: deque[Future[tuple[Batch, Findings, dict[str, pa.Array], _Wide]]] = deque()
            try:
                for batch in read_ahead(batches, depth=4 if parallel else 1):
                    pending.append(pool.submit(self.checked, batch))
                    if len(pending) > (2 if parallel else 0):
                        self.keep_batch(*pending.popleft().result())
                while pending:
                    self.keep_batch(*pending.popleft().result())
            finally:
                for future in pending:
                    future.cancel()

    def column(self, name: str) -> pa.Array:
        """A stored column joined from its batches' parts, in row order."""
        import pyarrow as pa

        chunks = self.parts.pop(name)
        if not chunks:
            arr = pa.array([], arrow_type(self.by_name[name]))
        else:  # one chunk (a small file) as it is: a copy per column is most of a wide table's time
            arr = chunks[0] if len(chunks) == 1 else pa.concat_arrays(chunks)
        order = None if self.order is None else from_numpy(self.order)
        if name in self.wide:
            exact = exact_keys(arr, *self.wide.pop(name))
            self.exact[name] = exact if order is None else exact.take(order)
        return arr if order is None else arr.take(order)

    def key(self, name: str) -> pa.Array:
        """A joined column as key values: exact text if it holds integers beyond 64 bits, and
        one spelling per value for values kept as text (`judged.key_values`)."""
        return key_values(self.by_name[name], self.exact.get(name, self.columns[name]))

    def foreign_keys(self, out: Findings) -> None:
        """Check each foreign key against this table's columns or the referenced resource's."""
        columns = self.columns
        for fk in self.fks:
            ref_name = fk["reference"].get("resource") or ""
            ref_fields = fk["reference"]["fields"]
            ref_cols: list[pa.Array] | None
            if not ref_name or ref_name == self.resource.name:
                ref_cols = (
                    [self.key(n) for n in ref_fields]
                    if all(n in columns for n in ref_fields)
                    else None
                )
            else:
                table = (self.references or {}).get(ref_name)
                ref_cols = (
                    [key_column(table, n) for n in ref_fields]
                    if table is not None and all(n in table.column_names for n in ref_fields)
                    else None
                )
            check_foreign_key(out, fk, [self.key(n) for n in fk["fields"]], ref_cols, self.where)

    def check_keys(self) -> None:
        """Join the stored columns in row order; check uniqueness, the primary and foreign keys."""
        if not self.where.ordered():
            self.where, self.order = self.where.sorted()
        found, where, pk, parallel = self.found, self.where, self.pk, self.parallel
        # Columns are joined, and foreign keys checked beside uniqueness and the primary key, on
        # two threads: numpy's and pyarrow's kernels release the GIL. Findings keep their order.
        # With small chunks (bounded memory) one after the other.
        stored = sorted(self.store)
        fk_found = Findings(self.resource)
        with ThreadPoolExecutor(max_workers=2 if parallel else 1) as pool:
            if parallel:
                self.columns = dict(zip(stored, pool.map(self.column, stored), strict=True))
                fk_done = pool.submit(self.foreign_keys, fk_found)
            else:
                self.columns = {name: self.column(name) for name in stored}
            for name in self.unique:
                check_unique(found, self.key(name), where, name)
            if pk and len(pk) == len(self.resource.primary_key):
                check_primary_key(found, [self.key(n) for n in pk], pk, where)
            if parallel:
                fk_done.result()
            else:
                self.foreign_keys(fk_found)
        found.issues.extend(fk_found.issues)

    def table(self) -> pa.Table:
        """The columns the caller keeps, in schema order."""
        import pyarrow as pa

        kept = [n for n in self.names if n in self.wanted]
        arrays = [self.columns[n] for n in kept]
        fields = [
            wide_field(pa.field(n, a.type), a, self.exact[n])
            if n in self.exact
            else pa.field(n, a.type)
            for n, a in zip(kept, arrays, strict=True)
        ]
        return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def read_typed(resource: Resource) -> pa.Table:
    """The resource as an Arrow table typed per its Table Schema (unparseable cells are null)."""
    result = validate_table(resource, keep=None)
    if result.table is None:
        raise CouldNotRun(f"cannot read resource {resource.name!r}", path=resource.path)
    if result.unheld:
        row, name, text = result.unheld[0]
        raise Refused(
            f"row {row} of field {name!r} holds {text}, an integer beyond 64 bits, which a typed "
            f"table (Parquet, pandas) cannot hold ({len(result.unheld)} such cell(s))",
            path=resource.path,
            hint=f'declare field {name!r} as "type": "number" or "string"',
        )
    return decoded(result.table)


def decoded(table: pa.Table) -> pa.Table:
    """The table with dictionary-encoded columns as plain values."""
    import pyarrow as pa

    for i, column in enumerate(table.columns):
        if pa.types.is_dictionary(column.type):
            table = table.set_column(i, table.field(i).name, column.cast(column.type.value_type))
    return table
