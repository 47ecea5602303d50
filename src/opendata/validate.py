"""Validate a package: descriptor, then each table's structure, then the declared checks, then grounding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.io.rowmap import RowMap
from opendata.package import Package, Resource
from opendata.progress import Progress, start
from opendata.report import Issue, Report, ResourceStats
from opendata.structural.table import DEFAULT_BLOCK_SIZE, TableResult, validate_table
from opendata.structural.verdicts import Pending, Verdicts

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.semantic.declarations import Check
    from opendata.spark.structural.table import SparkTable


def _prepare(pending: Pending, semantic: bool) -> Verdicts:
    """Import pandas and pandera when checks will run, then work out the descriptor's verdicts.

    Without declared checks nothing here needs pandas (the tables stay in Arrow); the command
    line also keeps pyarrow from importing it (`opendata.startup.defer_pandas`).
    """
    if semantic:
        import pandas  # noqa: F401
        import pandera.pandas  # noqa: F401  (imported now, used by the semantic layer later)
    return pending.result()


class _Background:
    """Runs a function on a daemon thread; `result()` waits for it and re-raises its error.

    Used for the pandas and pandera imports and the descriptor's verdicts: imports are
    Python-bound, while reading tables is mostly pyarrow's parsing, which releases the GIL, so on
    two cores they overlap. A daemon thread never delays the exit after an error.
    """

    def __init__(self, fn: Callable[..., Verdicts], *args: Any) -> None:
        import threading

        import numpy  # noqa: F401  (imported here first: the thread must not race the reader)
        import pyarrow.compute
        import pyarrow.csv  # noqa: F401

        self._value: Verdicts = ([], {})
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(fn, *args), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., Verdicts], *args: Any) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # re-raised in the caller's thread by result()
            self._error = exc

    def result(self) -> Verdicts:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


def _columns_needed(package: Package, checks: list[Check]) -> dict[str, set[str]]:
    """For each resource, the columns that checks or other tables' foreign keys read."""
    needed: dict[str, set[str]] = {r.name: set() for r in package.resources}
    for check in checks:
        for resource, cols in check.needs().items():
            needed.setdefault(resource, set()).update(cols)
    for r in package.resources:
        for fk in r.foreign_keys:
            ref = fk["reference"].get("resource") or r.name
            needed.setdefault(ref, set()).update(fk["reference"]["fields"])
    return needed


def read_order(package: Package, names: list[str]) -> list[str]:
    """Resources in an order where every foreign-key target comes before the tables pointing to it."""
    deps = {
        r.name: {fk["reference"].get("resource") for fk in r.foreign_keys} - {"", None, r.name}
        for r in package.resources
    }
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting or name not in deps:
            return
        visiting.add(name)
        for dep in sorted(d for d in deps[name] if d):
            visit(dep)
        visiting.discard(name)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _size(resource: Resource) -> int | None:
    """The bytes a resource's reader will report, for a progress bar; None when unknown.

    The reader counts the bytes it parses: a compressed file's are not its size on disk.
    """
    if resource.compression or not resource.fullpaths:
        return None
    if not all(path.is_file() for path in resource.fullpaths):
        return None
    return sum(path.stat().st_size for path in resource.fullpaths)


def validate_package(
    source: str | Path,
    *,
    only: str | None = None,
    sources: str | Path | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    progress: Progress | None = None,
    schema: str | Path | None = None,
    allow_remote: bool = False,
) -> Report:
    """Validate a Data Package and return every finding; raises CouldNotRun when it cannot start.

    SOURCE is a package folder, a descriptor, or one data file (validated against `schema`, or
    against the schema `opendata describe` infers for it); with `allow_remote` it may be an
    http(s) URL, and URLs in the descriptor are downloaded too (see `opendata.inputs`).
    `progress` is told of each table read and the bytes read of it.
    """
    from opendata.inputs import open_package

    with open_package(source, schema=schema, allow_remote=allow_remote) as opened:
        package = opened.package
        report = _validate(package, Pending(package), only, sources, block_size, progress)
        return opened.public_report(report)


def _validate(
    package: Package,
    pending: Pending,
    only: str | None,
    sources: str | Path | None,
    block_size: int,
    progress: Progress | None = None,
) -> Report:
    report = Report(descriptor=str(package.descriptor_path))
    checks, problems = _declared_checks(package)
    background = _Background(_prepare, pending, bool(checks))
    for where, message, rule in problems:
        report.issues.append(
            Issue(code="check-error", layer="descriptor", path=where, message=message, rule=rule)
        )

    selected, order, checks = selection(package, checks, only)
    results, tables = _read_tables(
        package, order, _columns_needed(package, checks), block_size, background, progress
    )
    for name in order:
        if name in selected:
            resource, result = package.get(name), results[name]
            report.issues.extend(result.issues)
            report.resources.append(
                ResourceStats(
                    name=name,
                    path=resource.path,
                    rows=result.rows,
                    fields=len(resource.fields),
                    bytes=result.bytes,
                )
            )

    report.issues[:0] = background.result()[0]
    _run_semantic(package, checks, results, tables, report)
    if sources is not None:
        from opendata.grounding import ground_facts

        report.issues.extend(ground_facts(package, Path(sources), report))
    else:
        report.notes.append("grounding skipped: no --sources folder given")
    return report


def _declared_checks(
    package: Package,
) -> tuple[list[Check], list[tuple[str | None, str, str | None]]]:
    """The declared checks and definition problems; the semantic layer loads only when there are any."""
    if not package.checks and not any(r.checks for r in package.resources):
        return [], []
    from opendata.semantic.declarations import collect_checks
    from opendata.semantic.specification import check_declarations

    check_declarations(package)
    return collect_checks(package)


def selection(
    package: Package, checks: list[Check], only: str | None
) -> tuple[list[str], list[str], list[Check]]:
    """The resources reported on, every resource to read (in foreign-key order), and the checks to run.

    With `only`, the other resources its checks or foreign keys read are read too, unreported.
    """
    if only is not None and not package.has(only):
        raise CouldNotRun(
            f"no resource named {only!r}",
            path=str(package.descriptor_path),
            hint=f"choose one of: {', '.join(r.name for r in package.resources)}",
        )
    selected = [only] if only else [r.name for r in package.resources]
    if only:
        checks = [c for c in checks if c.resource == only]
    wanted = set(selected)
    for check in checks:
        wanted.update(check.needs())
    for name in list(wanted):
        for fk in package.get(name).foreign_keys if package.has(name) else []:
            ref = fk["reference"].get("resource")
            if ref:
                wanted.add(ref)
    # A name no resource has is reported where it is declared: a check reading it is a
    # check-error (`collect_checks`), a foreign key to it a foreign-key finding of its table.
    order = read_order(package, [r.name for r in package.resources if r.name in wanted])
    return selected, order, checks


def _read_tables(
    package: Package,
    order: list[str],
    needed: dict[str, set[str]],
    block_size: int,
    background: _Background,
    progress: Progress | None,
) -> tuple[dict[str, TableResult], dict[str, pa.Table]]:
    """Each table's structural result and the typed columns kept of it, read in `order`.

    Tables are read without waiting for the verdict on their schemas (it arrives
    from the background thread meanwhile). Should a schema be invalid, which is rare, every
    table is read again in order, each after its verdict, so that no table is compared with
    (or keyed against) a table whose schema cannot be trusted.
    """

    def read_all(defer: bool) -> tuple[dict[str, TableResult], dict[str, pa.Table]]:
        results: dict[str, TableResult] = {}
        tables: dict[str, pa.Table] = {}
        for name in order:
            result = validate_table(
                package.get(name),
                keep=needed.get(name, set()),
                references=tables,
                block_size=block_size,
                schema_issues=lambda name=name: background.result()[1][name],  # type: ignore[misc]
                defer_schema=defer,
                on_bytes=start(progress, f"reading {name}", _size(package.get(name))),
            )
            results[name] = result
            if result.table is not None:
                tables[name] = result.table
        return results, tables

    results, tables = read_all(defer=True)
    verdicts = background.result()[1]
    if any(verdicts.get(name) for name in results):
        results, tables = read_all(defer=False)
    return results, tables


def runnable_checks(
    checks: list[Check], results: Mapping[str, TableResult | SparkTable], report: Report
) -> list[Check]:
    """The checks whose tables are structurally sound; the others are noted as skipped, and counted.

    Either engine's structural results will do: what matters is whether a table read cleanly.
    """
    runnable: list[Check] = []
    stats = {s.name: s for s in report.resources}
    for check in checks:
        broken = sorted(
            name
            for name in check.needs()
            if name not in results or results[name].has_errors or not results[name].readable
        )
        if broken:
            report.notes.append(
                f"check {check.id} skipped: resource(s) {', '.join(broken)} have structural errors"
            )
            if check.resource in stats:
                stats[check.resource].checks_skipped += 1
            continue
        runnable.append(check)
        if check.resource in stats:
            stats[check.resource].checks_run += 1
    return runnable


def _run_semantic(
    package: Package,
    checks: list[Check],
    results: dict[str, TableResult],
    tables: dict[str, pa.Table],
    report: Report,
) -> None:
    """Run the checks whose tables are structurally sound; note the ones skipped and why."""
    runnable = runnable_checks(checks, results, report)
    if not runnable:
        return
    from opendata.semantic.declarations import coded_only
    from opendata.semantic.grouping import factorized
    from opendata.semantic.runner import run_checks, to_frame

    names = {n for c in runnable for n in c.needs()}
    keys = {key for c in runnable for key in c.group_keys()}
    codes = {n: factorized(tables[n], frozenset(c for r, c in keys if r == n)) for n in names}
    keyed_only = coded_only(runnable)
    frames = {
        n: to_frame(
            tables[n].drop_columns(sorted(keyed_only.get(n, set()) & set(codes[n]))),
            results[n].rows,
        )
        for n in names
    }
    paths = {r.name: r.path for r in package.resources}
    where = {n: results[n].where or RowMap() for n in names}
    report.issues.extend(run_checks(runnable, frames, paths, where, codes))
