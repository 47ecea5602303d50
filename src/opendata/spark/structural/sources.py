"""A resource's file (CSV or Parquet) read into Spark: the header checked, every cell parsed."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from opendata.package import Field, Resource
from opendata.spark.read import csv_records, header, parse, spark_type
from opendata.spark.structural.table import col
from opendata.structural.findings import Findings
from opendata.structural.schema import expected_fields
from opendata.structural.table import no_header

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def read_csv(
    spark: SparkSession, resource: Resource, found: Findings
) -> tuple[list[Field], DataFrame, int] | None:
    """The header checked, the records parsed, and how many; None when the file cannot be read on."""
    from pyspark.sql import functions as F

    assert resource.fullpath is not None
    dialect = resource.dialect
    enc = resource.encoding.lower().replace("_", "-")
    if enc not in ("utf-8", "utf8", "utf-8-sig"):
        found.add(
            "source-error",
            f"encoding {resource.encoding!r} is not read by the Spark engine; save the file as "
            "UTF-8 or validate it with --engine local",
            rule="encoding",
        )
        return None
    quote = dialect.get("quoteChar", '"') or None
    lines = csv_records(spark, str(resource.fullpath), quote)
    if lines.bad_line is not None:
        found.add(
            "encoding-error",
            f"line {lines.bad_line} is not valid {resource.encoding}; save the file as UTF-8, or "
            'declare its real encoding (e.g. "encoding": "gbk") in the descriptor',
            line=lines.bad_line,
            rule="encoding",
            details={"expected": resource.encoding},
        )
        return None
    labels = header(lines, dialect) if lines.count else []
    if not labels:
        path = resource.fullpath
        no_header(found, lambda: path.open("rb") if path else io.BytesIO())
        return None
    expected = expected_fields(found, labels, resource.fields)
    records, rows = lines.frame, lines.count
    if dialect.get("header", True):
        records, rows = records.filter(F.col("row") > 1), rows - 1
    missing_values = resource.missing_values
    return expected, parse(records, expected, missing_values, dialect), rows


def read_parquet(
    spark: SparkSession, resource: Resource, found: Findings
) -> tuple[list[Field], DataFrame, int]:
    """A Parquet file's columns as cells: same-typed columns as they are, the others parsed as text.

    Rows are numbered from 2 (as if a header were row 1) by the file's row index; there are no
    lines.
    """
    from pyspark.sql import functions as F

    df = spark.read.parquet(str(resource.fullpath))
    labels = list(df.columns)
    expected = expected_fields(found, labels, resource.fields)
    types = dict(df.dtypes)
    cells = []
    for i, f in enumerate(expected):
        name = labels[i]
        same = types[name] == spark_type(f) or (
            spark_type(f) == "timestamp_ntz" and types[name] == "timestamp"
        )
        value = col(name).cast(spark_type(f)) if same else col(name).cast("string")
        cells.append(value.alias(f"c{i}"))
    records = df.select(
        (F.col("_metadata.row_index") + 2).alias("row"),
        F.lit(None).cast("bigint").alias("line"),
        *cells,
    )
    missing_values = resource.missing_values
    return expected, parse(records, expected, missing_values, None), df.count()
