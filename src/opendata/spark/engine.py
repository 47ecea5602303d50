"""`validate --engine spark`: the package validated on Spark, into the same Report as the local engine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from opendata.errors import CouldNotRun
from opendata.package import Package, Resource, load_package
from opendata.report import Issue, Report, ResourceStats
from opendata.validate import selection

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from opendata.spark.structural.table import SparkTable


# Dialect options the Spark reader applies; any other is read only by the local engine.
SPARK_DIALECT = frozenset({"delimiter", "quoteChar", "doubleQuote", "escapeChar", "header"})


def refuse_unreadable(package: Package) -> None:
    """CouldNotRun, before a session starts, for a resource the Spark engine would misread.

    The Spark engine reads one plain CSV or Parquet file per resource with an explicit schema;
    compressed and multipart files, inline data, other files, inferred schemas, guessed dialects
    and the rest of the CSV dialect are the local engine's (Spark would give wrong findings).
    """
    for resource in package.resources:
        problem = _unreadable(resource)
        if problem:
            raise CouldNotRun(
                f"resource {resource.name!r} {problem}, which the Spark engine does not read",
                path=str(package.descriptor_path),
                hint="validate this package with --engine local",
            )


def _unreadable(resource: Resource) -> str | None:
    """What about the resource the Spark engine cannot read, or None."""
    if len(resource.fullpaths) > 1:
        return "has a multipart path"
    if resource.compression:
        return f"is compressed ({resource.compression})"
    if resource.fullpath is None:
        return "holds inline data"
    if not resource.tabular:
        return "is not a table"
    if resource.schema is None:
        return "has no Table Schema"
    options = set(resource.dialect) - SPARK_DIALECT - {"$schema", "csvddfVersion"}
    if options:
        return f"uses dialect options {sorted(options)}"
    return _guessed_dialect(resource)


def _guessed_dialect(resource: Resource) -> str | None:
    """How the local engine would guess a CSV's dialect where the descriptor is silent, when
    that is not what the Spark reader assumes (a `,` delimiter, `"` quotes, no initial space)."""
    from dataclasses import asdict

    from opendata.io.dialect import resolve

    if resource.format == "parquet" or resource.fullpath is None:
        return None
    try:
        with resource.fullpath.open("rb") as fh:
            sample = fh.read(16384).decode(resource.encoding, errors="replace")
    except (OSError, LookupError):
        return None  # the read itself reports it
    given = asdict(resolve(resource.dialect, resource.format, ""))
    guessed = asdict(resolve(resource.dialect, resource.format, sample))
    differs = {k: v for k, v in guessed.items() if given[k] != v}
    if not differs and given["delimiter"] == resource.dialect.get("delimiter", ","):
        return None
    return f"reads as {differs or {'delimiter': given['delimiter']}} where the dialect is silent"


def validate_package_spark(
    source: str | Path,
    *,
    master: str | None = None,
    only: str | None = None,
    sources: str | Path | None = None,
    spark: SparkSession | None = None,
    timings: dict[str, float] | None = None,
) -> Report:
    """Validate a Data Package on Spark; the Report the local engine's `validate_package` gives.

    With `spark`, that session is used (and left running); otherwise one is started for
    `master` (see `opendata.spark.session.master_url`) and stopped at the end. `timings`, when
    given, receives the seconds each phase took (session, each resource, checks).
    """
    from opendata.spark.session import require
    from opendata.spark.session import session as start

    package = load_package(source)
    refuse_unreadable(package)
    require()
    clock = timings if timings is not None else {}
    began = time.perf_counter()
    own = spark is None
    spark = spark or start(master)
    clock["session"] = time.perf_counter() - began
    try:
        return _validate(spark, package, only, sources, clock)
    except Exception as exc:
        if not type(exc).__module__.startswith(("pyspark", "py4j")):
            raise
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CouldNotRun(
            f"a Spark job failed: {first[:300]}",
            path=str(package.descriptor_path),
            hint="see the Spark log above; docs/engines.md lists the settings that matter",
        ) from None
    finally:
        if own:
            spark.stop()


def _validate(
    spark: SparkSession,
    package: Package,
    only: str | None,
    sources: str | Path | None,
    clock: dict[str, float],
) -> Report:
    from opendata.semantic.declarations import collect_checks
    from opendata.semantic.specification import check_declarations
    from opendata.spark.semantic.runner import run_checks
    from opendata.structural.verdicts import verdicts

    report = Report(descriptor=str(package.descriptor_path))
    check_declarations(package)  # a malformed check file is exit 2, as in the local engine
    checks, problems = collect_checks(package)
    for where, message, rule in problems:
        report.issues.append(
            Issue(code="check-error", layer="descriptor", path=where, message=message, rule=rule)
        )
    selected, order, checks = selection(package, checks, only)

    descriptor_issues, schema_issues = verdicts(package)
    tables = _structural(spark, package, order, schema_issues, clock)
    report.issues.extend(descriptor_issues)
    _report_tables(report, package, order, selected, tables)
    began = time.perf_counter()
    run_checks(spark, package, checks, tables, report)
    clock["checks"] = time.perf_counter() - began
    if sources is not None:
        from opendata.grounding import ground_facts

        report.issues.extend(ground_facts(package, Path(sources), report))
    else:
        report.notes.append("grounding skipped: no --sources folder given")
    for table in tables.values():
        if table.cached is not None:
            table.cached.unpersist()
    return report


def _report_tables(
    report: Report,
    package: Package,
    order: list[str],
    selected: list[str],
    tables: dict[str, SparkTable],
) -> None:
    """The selected resources' structural findings and figures, into the report."""
    for name in order:
        if name not in selected:
            continue
        resource, table = package.get(name), tables[name]
        report.issues.extend(table.issues)
        report.resources.append(
            ResourceStats(
                name=name,
                path=resource.path,
                rows=table.rows,
                fields=len(resource.fields),
                bytes=table.bytes,
            )
        )


# Resources validated at once: their Spark jobs run side by side (on small tables a job is
# mostly scheduling); a table waits for the tables its foreign keys reference.
RESOURCE_THREADS = 3


def _structural(
    spark: SparkSession,
    package: Package,
    order: list[str],
    schema_issues: dict[str, list[Issue]],
    clock: dict[str, float],
) -> dict[str, SparkTable]:
    """Every resource in `order` validated, each after the resources it references."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from opendata.spark.structural.resource import validate_resource

    tables: dict[str, SparkTable] = {}
    done: dict[str, Future[SparkTable]] = {}

    def one(name: str) -> SparkTable:
        resource = package.get(name)
        for fk in resource.foreign_keys:
            ref = fk["reference"].get("resource")
            if ref in done and ref != name:
                done[ref].result()  # submitted earlier (order is topological): no deadlock
        began = time.perf_counter()
        table = validate_resource(spark, resource, schema_issues.get(name, []), tables)
        clock[f"structural:{name}"] = time.perf_counter() - began
        tables[name] = table
        return table

    with ThreadPoolExecutor(max_workers=RESOURCE_THREADS) as pool:
        for name in order:
            done[name] = pool.submit(one, name)
        for future in done.values():
            future.result()
    return tables
