"""The structural layer: a table against its Table Schema, vectorised, with frictionless's codes and rows.

The file is read as text by pyarrow's streaming reader (bounded block size), every cell is parsed
per its field (see cells.py), and constraints, uniqueness, primary and foreign keys are checked
column-wise; Python only loops over findings, never over rows. Row numbers follow frictionless
(the header is row 1, each record after it one row); `line` is the physical line where the record
starts, which differs from the row only after a quoted cell that holds a line break.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.cells import KNOWN_TYPES, arrow_type, parse_column, python_value
from opendata.errors import CouldNotRun
from opendata.package import Field, Resource
from opendata.report import Issue

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

DEFAULT_BLOCK_SIZE = 16 << 20
ROW_COLUMN = "__row__"
LINE_COLUMN = "__line__"


@dataclass
class TableResult:
    """What the structural layer learned about one resource, and its typed columns."""

    resource: str
    issues: list[Issue] = field(default_factory=list)
    table: pa.Table | None = None
    rows: int = 0
    bytes: int | None = None
    readable: bool = True

    @property
    def has_errors(self) -> bool:
        """Whether any error was found (semantic checks on this table are then skipped)."""
        return any(i.severity == "error" for i in self.issues)


@dataclass
class _Batch:
    """A block of records as text columns, with frictionless row numbers and physical lines."""

    columns: list[pa.Array]
    rows: np.ndarray
    lines: np.ndarray
    present: list[pa.Array] | None = None
    extra_cells: list[tuple[int, int, list[str]]] = field(default_factory=list)


class _Ragged(Exception):
    """A record with the wrong number of cells turned up while streaming."""


class _TypedMiss(Exception):
    """A cell did not convert while reading typed: read as text and find every bad cell."""


class _BadEncoding(Exception):
    """The file does not decode with its declared encoding."""


class _Reader:
    """Reads a CSV resource as text batches, tolerant of ragged rows."""

    def __init__(self, resource: Resource, block_size: int) -> None:
        assert resource.fullpath is not None
        self.resource = resource
        self.path: Path = resource.fullpath
        self.block_size = block_size
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
        self.may_span_lines = bool(self.quote) and _contains(self.path, str(self.quote).encode())
        # Columns pyarrow may convert while reading (see typed_columns); empty: all text.
        self.typed: dict[int, pa.DataType] = {}
        self.true_values: list[str] = []
        self.false_values: list[str] = []
        self.missing_values: list[str] = [""]

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

    def _options(self, handler: Any, *, threads: bool = False) -> tuple[Any, Any, Any]:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        names = [f"c{i}" for i in range(max(1, len(self.labels)))]
        read = pcsv.ReadOptions(
            column_names=names,
            skip_rows=self.header_lines,
            block_size=self.block_size,
            # Serial parsing is slower, but only then does pyarrow report ragged rows' lines.
            use_threads=threads,
            encoding=self.encoding,
        )
        parse = pcsv.ParseOptions(
            delimiter=self.delimiter,
            quote_char=self.quote or False,
            double_quote=self.double_quote,
            escape_char=self.escape,
            newlines_in_values=bool(self.quote),
            ignore_empty_lines=False,
            invalid_row_handler=handler,
        )
        typed = self.typed if threads else {}
        convert = pcsv.ConvertOptions(
            column_types={n: typed.get(i, pa.string()) for i, n in enumerate(names)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=True,
            null_values=self.missing_values,
            true_values=self.true_values or ["true"],
            false_values=self.false_values or ["false"],
        )
        return read, parse, convert

    def _first_row(self) -> int:
        return 2 if self.has_header else 1

    def stream(self) -> Iterator[_Batch]:
        """Yield batches from the streaming reader; raise _Ragged at the first ragged record."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        ragged: list[Any] = []

        def on_invalid(row: Any) -> str:
            ragged.append(row)
            return "error"

        read, parse, convert = self._options(on_invalid, threads=True)
        next_row = self._first_row()
        next_line = self.header_lines + 1
        try:
            reader = pcsv.open_csv(
                self.path, read_options=read, parse_options=parse, convert_options=convert
            )
            for record_batch in reader:
                n = record_batch.num_rows
                if not n:
                    continue
                batch, next_line = self._batch(list(record_batch.columns), next_row, next_line)
                next_row += n
                yield batch
        except pa.ArrowInvalid as exc:
            if ragged:
                raise _Ragged() from None
            if "UTF8" in str(exc) or "utf8" in str(exc).lower():
                raise _BadEncoding() from None
            if self.typed and "conversion error" in str(exc):
                raise _TypedMiss() from None
            raise CouldNotRun(f"cannot parse as CSV: {exc}", path=self.resource.path) from None

    def serial(self) -> Iterator[_Batch]:
        """Stream the file without threads, where pyarrow reports the physical line of ragged records."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        ragged: list[Any] = []

        def on_invalid(row: Any) -> str:
            ragged.append(row)
            return "skip"

        read, parse, convert = self._options(on_invalid)
        next_row, next_line = self._first_row(), self.header_lines + 1
        width = max(1, len(self.labels))
        try:
            reader = pcsv.open_csv(
                self.path, read_options=read, parse_options=parse, convert_options=convert
            )
            for record_batch in reader:
                # pyarrow may have parsed ahead: ragged records past this block wait for the next.
                batches, next_row, next_line, later = self._merge(
                    list(record_batch.columns), ragged, next_row, next_line
                )
                ragged[:] = later
                yield from batches
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc) or "utf8" in str(exc).lower():
                raise _BadEncoding() from None
            raise CouldNotRun(f"cannot parse as CSV: {exc}", path=self.resource.path) from None
        if ragged:
            empty = [pa.array([], pa.string()) for _ in range(width)]
            batches, _, _, _ = self._merge(empty, list(ragged), next_row, next_line)
            yield from batches

    def _merge(
        self, columns: list[pa.Array], pending: list[Any], next_row: int, next_line: int
    ) -> tuple[list[_Batch], int, int, list[Any]]:
        """One block's good records and the ragged ones pyarrow skipped in it, in file order.

        Returns the batches, the row and line the next block starts at, and the ragged records
        that lie beyond this block.
        """
        import numpy as np
        import pyarrow as pa

        good, good_end = self._batch(columns, next_row, next_line)
        n = len(good.rows)
        # pyarrow numbers a skipped record by its position among records (the header is 1),
        # which is frictionless's row number; its physical line follows from the merge.
        placed: list[tuple[int, int, list[str]]] = []
        later = []
        for row in sorted(pending, key=lambda r: int(r.number)):
            if n and int(row.number) >= next_row + n + len(placed):
                later.append(row)
                continue
            cells = next(csv.reader(io.StringIO(row.text, newline=""), **self.csv_kwargs()), [])
            placed.append((int(row.number), row.text.count("\n") + 1, cells))
        base_rows = good.rows
        base_lines = good.lines
        delta_line = np.zeros(n + 1, dtype=np.int64)
        delta_row = np.zeros(n + 1, dtype=np.int64)
        consumed_lines = 0
        ragged_rows, ragged_lines = [], []
        for order, (row_number, span, _cells) in enumerate(placed):
            idx = int(np.searchsorted(base_rows, row_number - order, side="left"))
            start = int(base_lines[idx]) if idx < n else good_end
            ragged_rows.append(row_number)
            ragged_lines.append(start + consumed_lines)
            delta_line[idx] += span
            delta_row[idx] += 1
            consumed_lines += span
        good.lines = base_lines + np.cumsum(delta_line)[:n]
        good.rows = base_rows + np.cumsum(delta_row)[:n]
        end = good_end + consumed_lines
        out = [good] if n else []
        if placed:
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
            out.append(
                _Batch(
                    columns=[pa.array(c, pa.string()) for c in cols],
                    rows=np.array(ragged_rows, dtype=np.int64),
                    lines=np.array(ragged_lines, dtype=np.int64),
                    present=[pa.array(p, pa.bool_()) for p in present],
                    extra_cells=extras,
                )
            )
        return out, next_row + n + len(placed), end, later

    def _batch(
        self, columns: list[pa.Array], first_row: int, first_line: int
    ) -> tuple[_Batch, int]:
        import numpy as np
        import pyarrow.compute as pc

        n = len(columns[0]) if columns else 0
        rows = np.arange(first_row, first_row + n, dtype=np.int64)
        breaks = None
        if self.may_span_lines:
            for col in columns:
                if _has_newline(col):
                    c = (
                        pc.count_substring(col, "\n")
                        .to_numpy(zero_copy_only=False)
                        .astype(np.int64)
                    )
                    breaks = c if breaks is None else breaks + c
        if breaks is None:
            lines = np.arange(first_line, first_line + n, dtype=np.int64)
            return _Batch(columns, rows, lines), first_line + n
        spans = breaks + 1
        ends = np.cumsum(spans)
        lines = first_line + np.concatenate(([0], ends[:-1])).astype(np.int64)
        return _Batch(columns, rows, lines), first_line + int(ends[-1])


def typed_columns(
    expected: list[Field], missing_values: list[str]
) -> tuple[dict[int, pa.DataType], list[str], list[str]]:
    """Columns pyarrow can convert while reading with exactly frictionless's rules, and bool words.

    Integers and plain numbers are safe: every spelling pyarrow accepts, Python's int() and
    Decimal() accept too; anything else makes the read fail, and the table is read again as text.
    Booleans are safe when all boolean fields share their true and false words.
    """
    import pyarrow as pa

    from opendata.cells import DEFAULT_FALSE, DEFAULT_TRUE

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


def _has_newline(col: pa.Array) -> bool:
    """Whether any cell may hold a line break: one scan of the column's data buffer, no per-cell work."""
    import numpy as np

    data = col.buffers()[2] if len(col.buffers()) > 2 else None
    if data is None or data.size == 0:
        return False
    # The buffer can extend past a sliced array; a break found there only costs the exact count.
    return bool((np.frombuffer(data, dtype=np.uint8) == 10).any())


def _contains(path: Path, needle: bytes) -> bool:
    """Whether the file holds these bytes anywhere (a fast scan; a cell can only span lines if quoted)."""
    tail = b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 22):
            if needle in tail + block[: len(needle)] or needle in block:
                return True
            tail = block[-len(needle) :]
    return False


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


def file_digest(path: Path, algorithm: str = "sha256") -> tuple[str, int]:
    """The hex digest and size of a file, read in blocks."""
    h = hashlib.new(algorithm)
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


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
    if not issues:
        for f in resource.fields:
            if f.type not in KNOWN_TYPES:
                issues.append(
                    Issue(
                        code="field-error",
                        layer="descriptor",
                        resource=resource.name,
                        path=where,
                        field=f.name,
                        message=f"invalid schema: field type {f.type!r} is not supported",
                    )
                )
    return issues


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
    """One int64 code per row for the combination of values (nulls are a value of their own)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    combined: np.ndarray | None = None
    for arr in arrays:
        if pa.types.is_floating(arr.type):
            # Arrow hashes -0.0 and 0.0 apart; frictionless compares numbers by value.
            arr = pc.add(arr, 0.0)
        enc = pc.dictionary_encode(arr, null_encoding="encode")
        codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        size = len(enc.dictionary) + 1
        if combined is None:
            combined = codes
        elif int(combined.max(initial=0) + 1) * size < 2**62:
            # In place: at millions of rows every temporary array costs tens of megabytes.
            combined *= size
            combined += codes
        else:
            stacked = np.stack([combined, codes], axis=1)
            _, combined = np.unique(stacked, axis=0, return_inverse=True)
            combined = combined.astype(np.int64).ravel()
    assert combined is not None
    return combined


def _duplicates(codes: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of repeated keys (all but the first) and the position of each one's first occurrence."""
    import numpy as np

    empty = np.array([], dtype=np.int64)
    everything = bool(eligible.all())
    sub = codes if everything else codes[eligible]
    if not len(sub):
        return empty, empty
    # The common case, no repeats, is settled by a plain sort (an argsort with first
    # occurrences costs several times more; pyarrow's count_distinct more still).
    ordered = np.sort(sub)
    if not bool((ordered[1:] == ordered[:-1]).any()):
        return empty, empty
    del ordered
    positions = np.arange(len(codes)) if everything else np.flatnonzero(eligible)
    _, first, inverse = np.unique(sub, return_index=True, return_inverse=True)
    first_of_each = first[inverse.ravel()]
    dup = np.arange(len(sub)) != first_of_each
    return positions[dup], positions[first_of_each[dup]]


def _check_unique(
    found: _Findings, values: pa.Array, rows: np.ndarray, lines: np.ndarray, name: str
) -> None:
    import pyarrow.compute as pc

    eligible = pc.is_valid(values).to_numpy(zero_copy_only=False)
    dups, firsts = _duplicates(_codes([values]), eligible)
    dup_values = _values_at(values, dups)
    for pos, first, value in zip(dups.tolist(), firsts.tolist(), dup_values, strict=True):
        found.add(
            "unique-error",
            f"{value!r} in field {name!r} repeats the value of row {rows[first]}",
            row=int(rows[pos]),
            line=int(lines[pos]),
            field=name,
            rule="constraint:unique",
            details={
                "constraint": "unique",
                "actual": value,
                "first_row": int(rows[first]),
            },
        )


def _check_primary_key(
    found: _Findings, keys: list[pa.Array], names: list[str], rows: np.ndarray, lines: np.ndarray
) -> None:
    import numpy as np
    import pyarrow.compute as pc

    all_null = np.ones(len(rows), dtype=bool)
    for arr in keys:
        all_null &= pc.is_null(arr).to_numpy(zero_copy_only=False)
    for pos in np.flatnonzero(all_null).tolist():
        found.add(
            "primary-key",
            f"primary key ({', '.join(names)}) is empty",
            row=int(rows[pos]),
            line=int(lines[pos]),
            rule="primary-key",
            details={"fields": names, "actual": None},
        )
    dups, firsts = _duplicates(_codes(keys), ~all_null)
    dup_values = _tuples_at(keys, dups)
    for pos, first, value in zip(dups.tolist(), firsts.tolist(), dup_values, strict=True):
        found.add(
            "primary-key",
            f"primary key ({', '.join(names)}) = {value} repeats row {rows[first]}",
            row=int(rows[pos]),
            line=int(lines[pos]),
            rule="primary-key",
            details={"fields": names, "actual": value, "first_row": int(rows[first])},
        )


def _check_foreign_key(
    found: _Findings,
    fk: dict[str, Any],
    keys: list[pa.Array],
    reference: list[pa.Array] | None,
    rows: np.ndarray,
    lines: np.ndarray,
) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

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
    n = len(keys[0])
    m = len(reference[0]) if reference else 0
    all_null = np.ones(n, dtype=bool)
    for arr in keys:
        all_null &= pc.is_null(arr).to_numpy(zero_copy_only=False)
    ref_all_null = np.ones(m, dtype=bool)
    for arr in reference:
        ref_all_null &= pc.is_null(arr).to_numpy(zero_copy_only=False)
    joined = []
    for mine, theirs in zip(keys, reference, strict=True):
        if mine.type != theirs.type:
            numeric = pa.types.is_integer(mine.type) or pa.types.is_floating(mine.type)
            numeric_r = pa.types.is_integer(theirs.type) or pa.types.is_floating(theirs.type)
            common = pa.float64() if numeric and numeric_r else pa.string()
            mine, theirs = pc.cast(mine, common), pc.cast(theirs, common)
        joined.append(pa.concat_arrays([mine, theirs]))
    codes = _codes(joined)
    ref_codes = codes[n:][~ref_all_null]
    missing = ~np.isin(codes[:n], ref_codes) & ~all_null
    misses = np.flatnonzero(missing)
    for pos, value in zip(misses.tolist(), _tuples_at(keys, misses), strict=True):
        found.add(
            "foreign-key",
            f"({', '.join(names)}) = {value} not found in {ref_name} ({', '.join(ref_fields)})",
            row=int(rows[pos]),
            line=int(lines[pos]),
            field=names[0] if len(names) == 1 else None,
            rule="foreign-key",
            details={
                "fields": names,
                "actual": value,
                "reference": ref_name,
                "reference_fields": ref_fields,
            },
        )


_TEMPORAL = (date, datetime, time)


def _jsonable(value: Any) -> Any:
    if isinstance(value, _TEMPORAL):
        return value.isoformat()
    return value


def _values_at(arr: pa.Array, positions: np.ndarray) -> list[Any]:
    """The Python values at these positions, taken in one vectorised step."""
    import pyarrow as pa

    if not len(positions):
        return []
    return [_jsonable(v) for v in arr.take(pa.array(positions)).to_pylist()]


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
) -> TableResult:
    """Check one CSV resource against its schema; keep the typed columns named in `keep` (None: all).

    `references` maps resource names to tables holding (at least) the columns that this
    resource's foreign keys point to.
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
    schema_issues = check_schema(resource)
    if schema_issues:
        result.readable = False
        result.issues = schema_issues
        return result
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
        header_issues = list(found.issues)
        reader.missing_values = list((resource.schema or {}).get("missingValues", [""]))
        reader.typed, reader.true_values, reader.false_values = typed_columns(
            expected, reader.missing_values
        )
        # Optimistic first: typed columns converted while reading (valid data pays only the
        # parse); a cell that does not convert sends the table to the all-text path, which finds
        # every bad cell; a ragged row sends it to the serial path, which knows its line.
        try:
            try:
                _scan(found, reader, reader.stream(), expected, resource, keep, references, result)
            except _TypedMiss:
                found.issues = list(header_issues)
                reader.typed = {}
                _scan(found, reader, reader.stream(), expected, resource, keep, references, result)
        except _Ragged:
            found.issues = list(header_issues)
            reader.typed = {}
            _scan(found, reader, reader.serial(), expected, resource, keep, references, result)
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
    import numpy as np
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
    row_parts, line_parts = [], []
    for batch in batches:
        typed, _blank = _check_batch(found, batch, expected, missing_values)
        for name in store:
            parts[name].append(typed[name])
        row_parts.append(batch.rows)
        line_parts.append(batch.lines)
    rows = np.concatenate(row_parts) if row_parts else np.array([], dtype=np.int64)
    lines = np.concatenate(line_parts) if line_parts else np.array([], dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    reorder = len(row_parts) > 1 and not bool(np.all(np.diff(rows) > 0))
    by_name = {f.name: f for f in expected}

    def column(name: str) -> pa.Array:
        chunks = parts[name]
        arr = pa.concat_arrays(chunks) if chunks else pa.array([], arrow_type(by_name[name]))
        return arr.take(pa.array(order)) if reorder else arr

    columns = {name: column(name) for name in store}
    if reorder:
        rows, lines = rows[order], lines[order]
    for name in unique:
        _check_unique(found, columns[name], rows, lines, name)
    if pk and len(pk) == len(resource.primary_key):
        _check_primary_key(found, [columns[n] for n in pk], pk, rows, lines)
    for fk in fks:
        ref_name = fk["reference"].get("resource") or ""
        ref_fields = fk["reference"]["fields"]
        ref_cols: list[pa.Array] | None
        if not ref_name or ref_name == resource.name:
            ref_cols = (
                [columns[n] for n in ref_fields] if all(n in columns for n in ref_fields) else None
            )
        else:
            table = (references or {}).get(ref_name)
            ref_cols = (
                [table.column(n).combine_chunks() for n in ref_fields]
                if table is not None and all(n in table.column_names for n in ref_fields)
                else None
            )
        _check_foreign_key(found, fk, [columns[n] for n in fk["fields"]], ref_cols, rows, lines)
    kept = [n for n in names if n in wanted]
    result.rows = len(rows)
    result.table = pa.table(
        [columns[n] for n in kept] + [pa.array(rows), pa.array(lines)],
        names=[*kept, ROW_COLUMN, LINE_COLUMN],
    )


def read_typed(resource: Resource) -> pa.Table:
    """The resource as an Arrow table typed per its Table Schema (unparseable cells are null)."""
    result = validate_table(resource, keep=None)
    if result.table is None:
        raise CouldNotRun(f"cannot read resource {resource.name!r}", path=resource.path)
    return result.table.drop_columns([ROW_COLUMN, LINE_COLUMN])
