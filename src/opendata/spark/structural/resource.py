"""The structural layer as Spark jobs: header, cells, constraints, keys — with the local engine's codes and rows.

One parse pass (`opendata.spark.read`) types every cell and reports the cell-level findings;
constraints are Spark SQL predicates over the typed columns; `unique` and primary keys are
group-bys (the later rows of a repeated value are reported, with the first row, as frictionless
does); foreign keys are anti-joins against the referenced resource. All findings of a resource
come back to the driver in one collect, as rows of one DataFrame.
"""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING

from opendata.errors import CouldNotRun
from opendata.package import Resource
from opendata.report import Issue
from opendata.spark.structural.constraints import cell_findings
from opendata.spark.structural.findings import describe
from opendata.spark.structural.keys import key_findings
from opendata.spark.structural.sources import read_csv, read_parquet
from opendata.spark.structural.table import SparkTable
from opendata.structural.findings import Findings

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import SparkSession


def validate_resource(
    spark: SparkSession,
    resource: Resource,
    schema_issues: list[Issue],
    tables: dict[str, SparkTable],
) -> SparkTable:
    """Check one resource (CSV or Parquet) against its Table Schema; `tables` are those read before it."""
    result = SparkTable(resource=resource.name)
    found = Findings(resource)
    fmt = _readable_format(resource, found)
    if fmt is None:
        return SparkTable(resource.name, found.issues, readable=False)
    if schema_issues:
        return SparkTable(resource.name, list(schema_issues), readable=False)
    assert resource.fullpath is not None
    _check_size_and_hash(resource, resource.fullpath, found)
    result.bytes = resource.fullpath.stat().st_size
    if fmt == "parquet":
        expected_fields, parsed, rows = read_parquet(spark, resource, found)
    else:
        read = read_csv(spark, resource, found)
        if read is None:
            result.issues = found.issues
            result.readable = False
            return result
        expected_fields, parsed, rows = read
    from pyspark import StorageLevel

    parsed = result.cached = parsed.persist(StorageLevel.MEMORY_AND_DISK)
    result.frame = parsed.select(
        "row", "line", *[parsed[f"v{i}"].alias(f.name) for i, f in enumerate(expected_fields)]
    )
    checks = cell_findings(parsed, expected_fields)
    checks += key_findings(resource, result.frame, [f.name for f in expected_fields], tables, found)
    findings = reduce(lambda a, b: a.unionByName(b), checks)
    for hit in findings.collect():
        describe(found, hit, resource, expected_fields)
    result.rows = rows
    result.issues = found.issues
    return result


def _readable_format(resource: Resource, found: Findings) -> str | None:
    """The format of the resource's file; None (and a finding) when it is not a file read here."""
    if resource.fullpath is None:
        found.add(
            "source-error",
            "inline data is not validated; move it to a CSV file",
            severity="warning",
        )
        return None
    path = resource.fullpath
    if not path.is_file():
        raise CouldNotRun(
            f"data file of resource {resource.name!r} not found",
            path=resource.path,
            hint="create the file or fix the resource's path in datapackage.json",
        )
    fmt = str(resource.descriptor.get("format") or path.suffix.lstrip(".") or "csv").lower()
    if fmt not in ("csv", "tsv", "txt", "parquet"):
        found.add("format-error", f"format {fmt!r} is not supported; only CSV and Parquet are read")
        return None
    return fmt


def _check_size_and_hash(resource: Resource, path: Path, found: Findings) -> None:
    """The file's size and hash against the descriptor's `bytes` and `hash`, when declared."""
    from opendata.structural.integrity import check_integrity

    declared_hash = resource.descriptor.get("hash")
    declared_bytes = resource.descriptor.get("bytes")
    if declared_hash is None and declared_bytes is None:
        return
    check_integrity(found, path, declared_hash, declared_bytes)
