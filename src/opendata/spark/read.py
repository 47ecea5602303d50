"""Reading a resource into Spark: CSV records numbered as the local engine numbers them, cells parsed by its rules.

A CSV file is read as lines of text (`spark.read.text`), so that no cell is lost to a typed
reader. Each line gets its physical line number from partition offsets (one small job counts the
lines of every partition). Where no quoted cell holds a line break, a line is a record and its
row number is its line number (the header is row 1). Where one does (a line with an odd number
of quote characters), records are put together from lines by a running count of quotes over the
whole file, a window that runs in one partition: slower, and documented in docs/engines.md.

Records are split into cells by Python's csv module with the resource's dialect, and every cell
is parsed by `opendata.structural.cells.parse_column` — the local engine's own function — inside
`mapInArrow`, so both engines accept exactly the same spellings. The cell-level findings
(type errors, missing and extra cells, required, blank rows) come out of the same pass, as an
array per row; range, length, pattern and enum constraints are left to Spark SQL (see
`opendata.spark.structural.constraints`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opendata.package import Field

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa
    from pyspark.sql import Column, DataFrame, SparkSession

# The cell-level findings of one row, as the parse pass emits them.
ISSUE_TYPE = "array<struct<code:string,field:string,rule:string,actual:string,position:int>>"


@dataclass
class Lines:
    """A CSV file as records: `frame` has row, line, text (header included); and what was learned."""

    frame: DataFrame
    count: int  # records, header included
    bad_line: int | None  # the first line that is not valid UTF-8
    spans_lines: bool  # whether some quoted cell holds a line break
    first: str | None = None  # the first line (the header's, unless it spans lines)


def csv_records(spark: SparkSession, path: str, quote: str | None) -> Lines:
    """The file's records with frictionless row numbers and the physical line each starts on."""
    from pyspark.sql import functions as F

    raw = spark.read.text(path).select(
        F.col("value").alias("text"),
        F.spark_partition_id().alias("_p"),
        F.monotonically_increasing_id().alias("_m"),
        F.input_file_block_start().alias("_b"),
    )
    odd = _odd_quotes(F.col("text"), quote)
    parts = (
        raw.groupBy("_p")
        .agg(
            F.min("_b").alias("block"),
            F.min("_m").alias("first"),
            F.count(F.lit(1)).alias("n"),
            F.max(odd.cast("int")).alias("odd"),
            F.min(F.when(~F.is_valid_utf8("text"), F.col("_m"))).alias("bad"),
            F.min_by("text", "_m").alias("head"),
        )
        .collect()
    )
    offsets, seen, bad_line, spans, first = _partition_offsets(parts)
    if not offsets:
        empty = spark.createDataFrame([], "row long, line long, text string")
        return Lines(empty, 0, None, False)
    shift = F.create_map(*[F.lit(x) for kv in offsets.items() for x in kv])
    lines = raw.select(
        (F.col("_m") + F.element_at(shift, F.col("_p")) + 1).alias("line"), F.col("text")
    )
    if not spans or not quote:
        frame = lines.select(F.col("line").alias("row"), "line", "text")
        return Lines(frame, seen, bad_line, False, first)
    return _joined_records(lines, odd, bad_line)


def _partition_offsets(
    parts: list[Any],
) -> tuple[dict[int, int], int, int | None, bool, str | None]:
    """Each partition's line offset, the line count, the first bad line, whether quotes span
    lines, and the first line — from the partitions' summaries."""
    # Partitions in file order; a line's number is its partition's offset plus its place in it.
    offsets: dict[int, int] = {}
    seen, bad_line, spans = 0, None, False
    ordered = sorted(parts, key=lambda p: (p["block"], p["_p"]))
    first = ordered[0]["head"] if ordered else None
    for part in ordered:
        offsets[part["_p"]] = seen - part["first"]
        if part["bad"] is not None and bad_line is None:
            bad_line = seen + part["bad"] - part["first"] + 1
        seen += part["n"]
        spans = spans or bool(part["odd"])
    return offsets, seen, bad_line, spans, first


def _joined_records(lines: DataFrame, odd: Column, bad_line: int | None) -> Lines:
    """Records put together from numbered lines where quoted cells span lines."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    # A record starts on a line before which an even number of quotes were seen.
    order = Window.orderBy("line")
    marked = lines.withColumn("_odd", odd.cast("int")).withColumn(
        "_seen", F.sum("_odd").over(order) - F.col("_odd")
    )
    numbered = marked.withColumn("row", F.sum(((F.col("_seen") % 2) == 0).cast("long")).over(order))
    frame = numbered.groupBy("row").agg(
        F.min("line").alias("line"),
        F.array_join(
            F.transform(
                F.array_sort(F.collect_list(F.struct("line", "text"))), lambda s: s["text"]
            ),
            "\n",
        ).alias("text"),
    )
    count = frame.count()
    return Lines(frame.select("row", "line", "text"), count, bad_line, True)


def _odd_quotes(text: Column, quote: str | None) -> Column:
    """Whether the text holds an odd number of quote characters (a doubled quote adds two)."""
    from pyspark.sql import functions as F

    if not quote:
        return F.lit(False)
    return ((F.length(text) - F.length(F.translate(text, quote, ""))) % 2) == 1


def csv_kwargs(dialect: dict[str, Any]) -> dict[str, Any]:
    """The Table Schema dialect as keyword arguments of Python's csv module (as the local reader)."""
    quote = dialect.get("quoteChar", '"')
    kwargs: dict[str, Any] = {
        "delimiter": str(dialect.get("delimiter", ",")),
        "doublequote": bool(dialect.get("doubleQuote", True)),
    }
    if quote:
        kwargs["quotechar"] = quote
    else:
        kwargs["quoting"] = csv.QUOTE_NONE
    if dialect.get("escapeChar"):
        kwargs["escapechar"] = dialect["escapeChar"]
    return kwargs


def split_record(text: str | None, kwargs: dict[str, Any]) -> list[str]:
    """The cells of one record ([] for an empty line)."""
    if not text:
        return []
    quote = kwargs.get("quotechar")
    if "escapechar" not in kwargs and (quote is None or quote not in text):
        # Without quotes (or an escape character) the csv module splits at every delimiter.
        return text.split(kwargs["delimiter"])
    try:
        return next(csv.reader([text], **kwargs), [])
    except csv.Error:
        return text.split(kwargs["delimiter"])


def spark_type(field: Field) -> str:
    """The Spark SQL type a field's parsed values are held in (times as text: Spark has no time)."""
    if field.type in ("date", "datetime") and field.format == "any":
        return "string"  # kept as written, as the local engine keeps them (io.plan.arrow_type)
    return {
        "integer": "bigint",
        "year": "bigint",
        "number": "double",
        "boolean": "boolean",
        "date": "date",
        "datetime": "timestamp_ntz",
    }.get(field.type, "string")


def parsed_schema(fields: list[Field]) -> str:
    """The DDL schema of the parse pass's output: row, line, blank, issues, then v0, v1, …"""
    columns = [f"v{i} {spark_type(f)}" for i, f in enumerate(fields)]
    return ", ".join(
        ["row bigint", "line bigint", "blank boolean", f"issues {ISSUE_TYPE}", *columns]
    )


def parse_batches(
    batches: Iterator[pa.RecordBatch],
    fields: list[Field],
    missing_values: list[str],
    dialect: dict[str, Any] | None,
) -> Iterator[pa.RecordBatch]:
    """The parse pass (run by `mapInArrow`): cells split (CSV, `dialect` given) and typed per field.

    Input: row, line and either `text` (a CSV record) or c0, c1, … (a Parquet row). Output: see
    `parsed_schema`. Findings are what the local engine's cell checks report for the row.
    """
    import pyarrow as pa

    kwargs = csv_kwargs(dialect) if dialect is not None else None
    width = len(fields)
    issue_type = pa.list_(
        pa.struct(
            [
                ("code", pa.string()),
                ("field", pa.string()),
                ("rule", pa.string()),
                ("actual", pa.string()),
                ("position", pa.int32()),
            ]
        )
    )
    for batch in batches:
        records, sizes, columns = _cells(batch, width, kwargs)
        blank, found, values = _typed(fields, columns, sizes, records, missing_values)
        arrays = [
            batch.column("row"),
            batch.column("line"),
            pa.array(blank, pa.bool_()),
            pa.array(found, issue_type),
            *values,
        ]
        names = ["row", "line", "blank", "issues", *[f"v{i}" for i in range(width)]]
        yield pa.RecordBatch.from_arrays(arrays, names=names)


def _cells(
    batch: pa.RecordBatch, width: int, kwargs: dict[str, Any] | None
) -> tuple[list[list[str]], np.ndarray, list[pa.Array]]:
    """A batch's records split into cells (CSV, `kwargs` given), each row's cell count, the columns."""
    import numpy as np
    import pyarrow as pa

    n = batch.num_rows
    if kwargs is None:
        sizes = np.full(n, width, dtype=np.int64)
        return [], sizes, [batch.column(f"c{i}") for i in range(width)]
    records = [split_record(t, kwargs) for t in batch.column("text").to_pylist()]
    if n and batch.column("row")[0].as_py() == 1 and records and records[0]:
        records[0][0] = records[0][0].removeprefix("\ufeff")
    sizes = np.array([len(r) for r in records], dtype=np.int64)
    columns = [
        pa.array([r[i] if i < len(r) else None for r in records], pa.string()) for i in range(width)
    ]
    return records, sizes, columns


def _typed(
    fields: list[Field],
    columns: list[pa.Array],
    sizes: np.ndarray,
    records: list[list[str]],
    missing_values: list[str],
) -> tuple[np.ndarray, list[list[dict[str, Any]]], list[pa.Array]]:
    """Every column parsed by the local engine's rules: blank rows, each row's findings, the values."""
    import numpy as np
    import pyarrow.compute as pc

    from opendata.structural.cells import parse_column

    n, width = len(sizes), len(fields)
    found: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    blank = np.ones(n, dtype=bool)
    parsed_all = []
    for i, f in enumerate(fields):
        parsed = parse_column(f, columns[i], missing_values)
        absent = sizes <= i
        empty = pc.fill_null(parsed.missing, True).to_numpy(zero_copy_only=False) | absent
        blank &= empty
        parsed_all.append((f, parsed, absent, empty))
    values = []
    for i, (f, parsed, absent, empty) in enumerate(parsed_all):
        text = columns[i]
        invalid = pc.fill_null(parsed.invalid, False).to_numpy(zero_copy_only=False)
        for r in np.flatnonzero(absent & ~blank):
            found[r].append(_cell("missing-cell", f.name, "missing-cell"))
        for r in np.flatnonzero(invalid & ~blank):
            cell = text[int(r)].as_py()
            found[r].append(_cell("type-error", f.name, f"type:{f.type}", cell))
        if f.required:
            for r in np.flatnonzero(empty & ~blank):
                found[r].append(_cell("constraint-error", f.name, "constraint:required"))
        values.append(_spark_ready(parsed.values, f))
    for r in np.flatnonzero((sizes > width) & ~blank):
        for j, cell in enumerate(records[r][width:]):
            found[r].append(_cell("extra-cell", None, "extra-cell", cell, width + j + 1))
    for r in np.flatnonzero(blank):
        found[r].append(_cell("blank-row", None, "blank-row"))
    return blank, found, values


def _cell(
    code: str, field: str | None, rule: str, actual: str | None = None, position: int | None = None
) -> dict[str, Any]:
    return {"code": code, "field": field, "rule": rule, "actual": actual, "position": position}


def _spark_ready(values: pa.Array, field: Field) -> pa.Array:
    """Parsed values in the Arrow type Spark expects for `spark_type(field)`."""
    import pyarrow as pa

    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    if spark_type(field) == "string" and not pa.types.is_string(values.type):
        return pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())
    return values


def parse(
    records: DataFrame,
    fields: list[Field],
    missing_values: list[str],
    dialect: dict[str, Any] | None,
) -> DataFrame:
    """`records` (row, line, and text or c0, c1, …) parsed: see `parsed_schema`."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return parse_batches(batches, fields, missing_values, dialect)

    return records.mapInArrow(run, parsed_schema(fields))


def header(lines: Lines, dialect: dict[str, Any]) -> list[str]:
    """The header's labels (field1, field2, … when the dialect says there is no header)."""
    from pyspark.sql import functions as F

    if lines.spans_lines or lines.first is None:
        found = lines.frame.filter(F.col("row") == 1).select("text").collect()
        text = found[0]["text"] if found else ""
    else:
        text = lines.first
    cells = split_record((text or "").removeprefix("\ufeff"), csv_kwargs(dialect))
    if dialect.get("header", True):
        return cells
    return [f"field{i + 1}" for i in range(len(cells))]
