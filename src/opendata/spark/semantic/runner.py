"""Declared checks on Spark: verdicts by pandera's pyspark backend, failing rows and figures by Spark SQL.

Each declaration (`*.checks.json`, parsed by `opendata.semantic.declarations`, as the local
engine does) becomes one check in a `pandera.pyspark.DataFrameSchema` per resource: a built-in
pandera check where one expresses it (`values` with `subset-of` is `Check.isin`), otherwise a
named DataFrame-level check whose verdict is the Spark SQL computation of the declaration
(`opendata.spark.semantic.evaluators`). pandera's pyspark backend gives a verdict per check, not
the failing rows, so for a failed check the rows (row and line), groups and expected-versus-actual
figures come from the same Spark SQL computation, and become the same Issues the local engine
reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.package import Package
from opendata.report import Issue, Report
from opendata.semantic.declarations import Check
from opendata.spark.semantic.evaluators import evaluate
from opendata.spark.semantic.findings import check_issues
from opendata.spark.semantic.pandera_checks import builtin, pandera_verdicts
from opendata.spark.semantic.registry import SparkOutcome
from opendata.spark.structural.table import SparkTable

if TYPE_CHECKING:
    from opendata.spark.semantic.registry import Frames


# Checks computed at once: Spark runs jobs submitted from several threads side by side, and on
# small tables a job is mostly scheduling, so the checks of a package take a fraction of the time.
CHECK_THREADS = 4


def _precomputed(
    checks: list[Check], frames: Frames, issues: list[Issue]
) -> dict[str, SparkOutcome | None]:
    """Every check's outcome (None when it could not run: a check-error in `issues`), by id."""
    from concurrent.futures import ThreadPoolExecutor

    def compute(check: Check) -> tuple[SparkOutcome | None, list[Issue]]:
        found: list[Issue] = []
        return evaluate(check, frames, found), found

    out: dict[str, SparkOutcome | None] = {}
    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        for check, (outcome, found) in zip(checks, pool.map(compute, checks), strict=True):
            out[check.id] = outcome
            issues.extend(found)
    return out


def run_checks(
    spark: Any, package: Package, checks: list[Check], tables: dict[str, SparkTable], report: Report
) -> None:
    """Run the checks whose tables are structurally sound; note the ones skipped and why."""
    from opendata.validate import runnable_checks

    runnable = runnable_checks(checks, tables, report)
    if not runnable:
        return
    frames = {name: t.frame for name, t in tables.items() if t.frame is not None}
    paths = {r.name: r.path for r in package.resources}
    outcomes = _precomputed(
        [c for c in runnable if builtin(c, frames[c.resource]) is None], frames, report.issues
    )
    by_resource: dict[str, list[Check]] = {}
    for check in runnable:
        by_resource.setdefault(check.resource, []).append(check)
    for resource, group in by_resource.items():
        issues: list[Issue] = []
        failed = pandera_verdicts(resource, group, frames, outcomes, issues)
        report.issues.extend(issues)
        for check in group:
            if check.id not in failed:
                continue
            outcome = outcomes.get(check.id) or evaluate(check, frames, report.issues)
            if outcome is not None and not outcome.passed:
                report.issues.extend(check_issues(check, outcome, paths))
