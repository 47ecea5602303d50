"""Declared checks on Spark: verdicts by pandera's pyspark backend, failing rows and figures by Spark SQL.

Each declaration (`*.checks.json`, parsed by `opendata.semantic.declarations`, as the local
engine does) becomes one check in a `pandera.pyspark.DataFrameSchema` per resource: a built-in
pandera check where one expresses it (`values` with `subset-of` is `Check.isin`), otherwise a
named DataFrame-level check whose verdict is the Spark SQL computation below. pandera's pyspark
backend gives a verdict per check, not the failing rows, so for a failed check the rows (row and
line), groups and expected-versus-actual figures come from the same Spark SQL computation of
the declaration, and become the same Issues the local engine reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any

from opendata.package import Package
from opendata.report import Issue, Report
from opendata.semantic.declarations import Check, as_list
from opendata.semantic.expression import ExpressionError, compiled
from opendata.semantic.frames import close, plain
from opendata.spark.expression import condition
from opendata.spark.structural import SparkTable, col

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    Frames = dict[str, DataFrame]

MAX_ROW_FINDINGS = 1000
_TOLERANCE_HAIR = 1e-9


@dataclass
class SparkOutcome:
    """A check's result: pass or fail, and where (rows, with detail columns `d_*`) or by how much."""

    passed: bool
    failing: DataFrame | None = None  # row, line, and d_<key> columns: the details of each row
    first: list[Any] = field(default_factory=list)  # the first failing rows (up to the cap + 1)
    expected: Any = None
    actual: Any = None
    groups: list[dict[str, Any]] = field(default_factory=list)
    group_lines: list[int | None] = field(default_factory=list)  # each group's first line


SparkEvaluator = Callable[[Check, "Frames"], SparkOutcome]
EVALUATORS: dict[str, SparkEvaluator] = {}


def evaluator(check_type: str) -> Callable[[SparkEvaluator], SparkEvaluator]:
    """Register the decorated function as the Spark evaluator of `check_type`."""

    def register(fn: SparkEvaluator) -> SparkEvaluator:
        EVALUATORS[check_type] = fn
        return fn

    return register


# --- reading the frames -------------------------------------------------------------------


def select(frame: DataFrame, where: Any) -> DataFrame:
    """The rows `where` keeps (all when it is empty)."""
    if not where:
        return frame
    return frame.filter(condition(str(where), frame.columns))


def _need(frame: DataFrame, *names: str) -> None:
    missing = sorted(set(names) - set(frame.columns))
    if missing:
        raise KeyError(", ".join(missing))


def number(value: Any, frames: Frames, default_resource: str) -> Any:
    """A number, or the aggregate a reference describes (computed by Spark)."""
    from pyspark.sql import functions as F

    if not isinstance(value, dict):
        return value
    ref = str(value.get("resource") or default_resource)
    agg = value.get("aggregate", "sum")
    frame = select(frames[ref], value.get("where"))
    if agg == "count":
        return frame.count()
    name = str(value["column"])
    _need(frame, name)
    c = col(name)
    aggregate = {
        "sum": F.coalesce(F.sum(c), F.lit(0)),
        "min": F.min(c),
        "max": F.max(c),
        "mean": F.avg(c),
        "distinct": F.count_distinct(c),
    }.get(agg)
    if aggregate is None:
        raise ValueError(f"unknown aggregate {agg!r}")
    return plain(frame.select(aggregate.alias("x")).first()["x"])


def _operand(frame: DataFrame, value: Any) -> Column:
    from pyspark.sql import functions as F

    if isinstance(value, str):
        _need(frame, value)
        return col(value)
    return F.lit(float(value) if isinstance(value, int | float) else value)


def _off(difference: Column, tolerance: float) -> Column:
    """Where a difference is beyond the tolerance, or unknown (null): a failure."""
    from pyspark.sql import functions as F

    return ~F.coalesce(F.abs(difference) <= tolerance + _TOLERANCE_HAIR, F.lit(False))


def _rows(frame: DataFrame, bad: Column, **details: Column) -> SparkOutcome:
    failing = frame.filter(bad).select(
        "row", "line", *[c.alias(f"d_{k}") for k, c in details.items()]
    )
    # One job gives the verdict and the rows to report (in file order, up to the cap).
    first = failing.orderBy("row").limit(MAX_ROW_FINDINGS + 1).collect()
    return SparkOutcome(passed=not first, failing=failing, first=first)


def _bounded(check: Check, n: int, frames: Frames) -> SparkOutcome:
    s = check.spec
    ok = True
    expected: dict[str, Any] = {}
    for key, test in (("equals", n.__eq__), ("min", n.__ge__), ("max", n.__le__)):
        if key in s:
            target = number(s[key], frames, check.resource)
            expected[key] = target
            ok = ok and bool(test(target))
    return SparkOutcome(ok, expected=expected.get("equals", expected), actual=n)


def _ordered(check: Check, frames: Frames) -> tuple[DataFrame, Any]:
    """The selected rows with a window in `by` order (stable: ties keep file order, nulls last)."""
    from pyspark.sql.window import Window

    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    by = as_list(s["by"])
    _need(frame, *by, str(s["column"]))
    order = [col(b).asc_nulls_last() for b in by] + [col("row").asc()]
    return frame, Window.orderBy(*order)


# --- one evaluator per check type ---------------------------------------------------------


@evaluator("row-count")
def row_count(check: Check, frames: Frames) -> SparkOutcome:
    """The number of (selected) rows against `equals`, `min`, `max`."""
    n = select(frames[check.resource], check.spec.get("where")).count()
    return _bounded(check, n, frames)


@evaluator("column-sum")
def column_sum(check: Check, frames: Frames) -> SparkOutcome:
    """The sum of a column against a number or an aggregate reference."""
    s = check.spec
    total = number(
        {"resource": check.resource, "column": s["column"], "where": s.get("where")},
        frames,
        check.resource,
    )
    target = number(s["equals"], frames, check.resource)
    return SparkOutcome(close(total, target, check.tolerance), expected=target, actual=total)


@evaluator("distinct-count")
def distinct_count(check: Check, frames: Frames) -> SparkOutcome:
    """Distinct values (or combinations, nulls dropped) against `equals`, `min`, `max`."""
    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    columns = [str(c) for c in as_list(s["column"])]
    _need(frame, *columns)
    n = frame.select(*[col(c) for c in columns]).dropna().distinct().count()
    return _bounded(check, n, frames)


@evaluator("row-sum")
def row_sum(check: Check, frames: Frames) -> SparkOutcome:
    """In every row, the columns add up to a column or a number."""
    from pyspark.sql import functions as F

    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    names = [str(c) for c in s["columns"]]
    _need(frame, *names)
    parts = [col(c).cast("double") for c in names]
    added = reduce(lambda a, b: a + b, [F.coalesce(p, F.lit(0.0)) for p in parts])
    all_null = reduce(lambda a, b: a & b, [p.isNull() for p in parts])
    total = F.when(all_null, F.lit(None)).otherwise(added)
    target = _operand(frame, s["equals"])
    bad = _off(total - target, check.tolerance)
    return _rows(frame, bad, expected=target, actual=total)


def _grouped(
    frames: Frames, resource: str, where: Any, by: list[str], column: str | None
) -> DataFrame:
    """Rows per group (column None) or the column's sum per group (null when all null): g0, g1, …, n."""
    from pyspark.sql import functions as F

    frame = select(frames[resource], where)
    _need(frame, *by, *([column] if column else []))
    keys = [col(b).alias(f"g{i}") for i, b in enumerate(by)]
    if column is None:
        return frame.groupBy(*keys).agg(F.count(F.lit(1)).alias("n"))
    return frame.groupBy(*keys).agg(F.sum(col(column)).alias("n"))


def _compare_groups(check: Check, frames: Frames, sum_column: str | None) -> SparkOutcome:
    """Rows (or a column's sum) per group here against `against.column` of the rows there."""
    from pyspark.sql import functions as F

    s = check.spec
    by = [str(b) for b in as_list(s["by"])]
    against = s["against"]
    key = [str(k) for k in as_list(against.get("key") or by)]
    mine = _grouped(frames, check.resource, s.get("where"), by, sum_column)
    theirs = _grouped(
        frames, str(against["resource"]), against.get("where"), key, str(against["column"])
    )
    theirs = theirs.select(
        *[F.col(f"g{i}").alias(f"h{i}") for i in range(len(key))], F.col("n").alias("m")
    )
    match = reduce(
        lambda a, b: a & b, [F.col(f"g{i}").eqNullSafe(F.col(f"h{i}")) for i in range(len(by))]
    )
    joined = mine.join(theirs, match, "full_outer").select(
        *[F.coalesce(F.col(f"g{i}"), F.col(f"h{i}")).alias(f"k{i}") for i in range(len(by))],
        F.coalesce(F.col("n").cast("double"), F.lit(0.0)).alias("actual"),
        F.coalesce(F.col("m").cast("double"), F.lit(0.0)).alias("expected"),
    )
    bad = joined.filter(
        F.abs(F.col("actual") - F.col("expected")) > check.tolerance + _TOLERANCE_HAIR
    )
    # Each group's first line in this resource (all its rows, not only those `where` keeps;
    # a null key matches no row, as in the local engine).
    starts = (
        frames[check.resource]
        .groupBy(*[col(b).alias(f"s{i}") for i, b in enumerate(by)])
        .agg(F.min("line").alias("first_line"))
    )
    same = reduce(lambda a, b: a & b, [F.col(f"k{i}") == F.col(f"s{i}") for i in range(len(by))])
    located = bad.join(starts, same, "left")
    order = [F.col(f"k{i}").asc_nulls_last() for i in range(len(by))]
    groups, lines = [], []
    for hit in located.orderBy(*order).collect():
        groups.append(
            {
                "group": {b: plain(hit[f"k{i}"]) for i, b in enumerate(by)},
                "expected": plain(hit["expected"]),
                "actual": plain(hit["actual"]),
            }
        )
        lines.append(hit["first_line"])
    return SparkOutcome(not groups, groups=groups, group_lines=lines)


@evaluator("group-count")
def group_count(check: Check, frames: Frames) -> SparkOutcome:
    """Rows per group here against a column of the matching rows of another resource."""
    return _compare_groups(check, frames, None)


@evaluator("group-sum")
def group_sum(check: Check, frames: Frames) -> SparkOutcome:
    """A column's sum per group here against a column of the matching rows of another resource."""
    return _compare_groups(check, frames, str(check.spec["sum"]))


@evaluator("monotonic")
def monotonic(check: Check, frames: Frames) -> SparkOutcome:
    """A column moves in one direction (strictly or not) in `by` order."""
    from pyspark.sql import functions as F

    s = check.spec
    frame, order = _ordered(check, frames)
    c = col(str(s["column"]))
    previous = F.lag(c).over(order)
    step = c - previous
    increasing = s.get("direction", "increasing") == "increasing"
    strict = bool(s.get("strict", True))
    if increasing:
        good = step > 0 if strict else step >= 0
    else:
        good = step < 0 if strict else step <= 0
    marked = frame.select(
        "*", previous.alias("_previous"), F.coalesce(good, F.lit(True)).alias("_good")
    )
    return _rows(marked, ~F.col("_good"), previous=F.col("_previous"), actual=c)


@evaluator("running-total")
def running_total(check: Check, frames: Frames) -> SparkOutcome:
    """`total` is the running sum of `column` (from `start`) in `by` order."""
    from pyspark.sql import functions as F

    s = check.spec
    frame, order = _ordered(check, frames)
    _need(frame, str(s["total"]))
    c = col(str(s["column"])).cast("double")
    from pyspark.sql.window import Window

    upto = order.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    running = F.sum(c).over(upto) + float(s.get("start", 0))
    expected = F.when(c.isNull(), F.lit(None)).otherwise(running)
    marked = frame.select("*", expected.alias("_expected"))
    actual = col(str(s["total"]))
    bad = _off(F.col("_expected") - actual, check.tolerance)
    return _rows(marked, bad, expected=F.col("_expected"), actual=actual)


@evaluator("difference")
def difference(check: Check, frames: Frames) -> SparkOutcome:
    """After the first row in `by` order, `equals` is the previous `column` minus this one."""
    from pyspark.sql import functions as F

    s = check.spec
    frame, order = _ordered(check, frames)
    _need(frame, str(s["equals"]))
    c = col(str(s["column"]))
    marked = frame.select(
        "*",
        (F.lag(c).over(order) - c).alias("_expected"),
        (F.row_number().over(order) == 1).alias("_first"),
    )
    actual = col(str(s["equals"]))
    bad = ~F.col("_first") & _off(F.col("_expected") - actual, check.tolerance)
    return _rows(marked, bad, expected=F.col("_expected"), actual=actual)


@evaluator("ratio")
def ratio(check: Check, frames: Frames) -> SparkOutcome:
    """`scale` × numerator / denominator, rounded as declared, against a column or a number."""
    from pyspark.sql import functions as F

    s = check.spec
    if not any(isinstance(s[k], str) for k in ("numerator", "denominator", "equals")):
        value = float(s["numerator"]) / float(s["denominator"]) * float(s.get("scale", 1))
        if "round" in s:
            value = round(value, int(s["round"]))
        return SparkOutcome(
            close(value, s["equals"], check.tolerance), expected=s["equals"], actual=plain(value)
        )
    frame = select(frames[check.resource], s.get("where"))
    value = (_operand(frame, s["numerator"]) / _operand(frame, s["denominator"])) * float(
        s.get("scale", 1)
    )
    if "round" in s:
        value = F.bround(value, int(s["round"]))
    target = _operand(frame, s["equals"])
    return _rows(frame, _off(value - target, check.tolerance), expected=target, actual=value)


@evaluator("values")
def values(check: Check, frames: Frames) -> SparkOutcome:
    """The set of a column's values against the declared set (equal, within, or containing it)."""
    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    name = str(s["column"])
    _need(frame, name)
    found = frame.select(col(name).alias("v")).dropna().distinct().collect()
    actual_set = {plain(r["v"]) for r in found}
    if "equals" in s:
        want = {plain(v) for v in s["equals"]}
        ok = actual_set == want
    elif "subset-of" in s:
        want = {plain(v) for v in s["subset-of"]}
        ok = actual_set <= want
    else:
        want = {plain(v) for v in s["superset-of"]}
        ok = actual_set >= want
    return SparkOutcome(
        ok,
        expected=sorted(want, key=str),
        actual=sorted(actual_set, key=str),
        groups=[
            {
                "missing": sorted(want - actual_set, key=str),
                "unexpected": sorted(actual_set - want, key=str),
            }
        ],
    )


@evaluator("consistent")
def consistent(check: Check, frames: Frames) -> SparkOutcome:
    """All rows sharing the key have one value in `column` (null is a value of its own)."""
    from pyspark.sql import functions as F

    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    keys = [str(k) for k in as_list(s["key"])]
    name = str(s["column"])
    _need(frame, *keys, name)
    c = col(name)
    distinct = frame.groupBy(*[col(k).alias(f"_k{i}") for i, k in enumerate(keys)]).agg(
        (F.count_distinct(c) + F.max(c.isNull().cast("int"))).alias("_n")
    )
    split = distinct.filter(F.col("_n") > 1)
    match = reduce(
        lambda a, b: a & b, [col(k).eqNullSafe(F.col(f"_k{i}")) for i, k in enumerate(keys)]
    )
    return _rows(frame.join(split, match, "left_semi"), F.lit(True), actual=c)


@evaluator("expression")
def expression(check: Check, frames: Frames) -> SparkOutcome:
    """The expression is true on every (selected) row (or, when it is a scalar, true)."""
    import pandas as pd

    s = check.spec
    source = str(s["expression"])
    if not compiled(source).columns:
        result = compiled(source).evaluate(pd.DataFrame())
        return SparkOutcome(bool(result), expected=True, actual=bool(result))
    frame = select(frames[check.resource], s.get("where"))
    return _rows(frame, ~condition(source, frame.columns))


# --- pandera: one schema per resource -----------------------------------------------------


def _builtin(check: Check, frame: DataFrame) -> Any | None:
    """The pandera built-in check a declaration is, when one is (else None)."""
    import pandera.pyspark as pap

    s = check.spec
    if check.type == "values" and "subset-of" in s and not s.get("where"):
        if str(s["column"]) in frame.columns:
            return pap.Check.isin([plain(v) for v in s["subset-of"]])
    return None


def _pandera_verdicts(
    resource: str,
    group: list[Check],
    frames: Frames,
    outcomes: dict[str, SparkOutcome | None],
    issues: list[Issue],
) -> set[str]:
    """Validate the resource's frame with a pandera.pyspark schema of its checks; the failed ids."""
    import pandera.pyspark as pap

    frame = frames[resource]
    columns: dict[str, Any] = {}
    builtin: dict[tuple[str, str], str] = {}
    named = []
    for check in group:
        found = _builtin(check, frame)
        if found is not None:
            name = str(check.spec["column"])
            if name not in columns:
                columns[name] = pap.Column(frame.schema[name].dataType, checks=[], nullable=True)
            columns[name].checks.append(found)
            builtin[(name, str(found.error))] = check.id
            continue
        named.append(pap.Check(_verdict(check, frames, outcomes, issues), name=check.id))
    schema = pap.DataFrameSchema(columns=columns, checks=named, name=resource)
    validated = schema.validate(frame)
    failed: set[str] = set()
    for category in dict(validated.pandera.errors).values():
        for kind, errors in category.items():
            for error in errors:
                key = (str(error.get("column")), str(error.get("check")))
                check_id = builtin.get(key, str(error.get("check")))
                if kind != "CHECK_ERROR":
                    failed.add(check_id)
    return failed


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
        return _evaluate(check, frames, found), found

    out: dict[str, SparkOutcome | None] = {}
    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        for check, (outcome, found) in zip(checks, pool.map(compute, checks), strict=True):
            out[check.id] = outcome
            issues.extend(found)
    return out


def _verdict(
    check: Check, frames: Frames, outcomes: dict[str, SparkOutcome | None], issues: list[Issue]
) -> Callable[[DataFrame], bool]:
    """The pandera check function: the outcome's verdict (computed by Spark SQL, once)."""

    def fn(_frame: DataFrame) -> bool:
        if check.id in outcomes:
            known = outcomes[check.id]
            return True if known is None else known.passed
        outcome = _evaluate(check, frames, issues)
        if outcome is None:
            return True
        outcomes[check.id] = outcome
        return outcome.passed

    return fn


def _evaluate(check: Check, frames: Frames, issues: list[Issue]) -> SparkOutcome | None:
    """The check's outcome; None, and a check-error Issue, when it could not be evaluated."""
    from pyspark.errors import AnalysisException

    try:
        check.tolerance  # noqa: B018  (not a number: a check-error, as in the local engine)
        return EVALUATORS[check.type](check, frames)
    except (
        ExpressionError,
        KeyError,
        TypeError,
        ValueError,
        ZeroDivisionError,
        AnalysisException,
    ) as exc:
        issues.append(
            Issue(
                code="check-error",
                severity="error",
                layer="semantic",
                resource=check.resource,
                path=check.declared_in,
                rule=check.id,
                message=f"check {check.id!r} could not run: {exc}",
            )
        )
        return None


def run_checks(
    spark: Any, package: Package, checks: list[Check], tables: dict[str, SparkTable], report: Report
) -> None:
    """Run the checks whose tables are structurally sound; note the ones skipped and why."""
    runnable: list[Check] = []
    stats = {s.name: s for s in report.resources}
    for check in checks:
        broken = sorted(
            name
            for name in check.needs()
            if name not in tables or tables[name].has_errors or not tables[name].readable
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
    if not runnable:
        return
    frames = {name: t.frame for name, t in tables.items() if t.frame is not None}
    paths = {r.name: r.path for r in package.resources}
    outcomes = _precomputed(
        [c for c in runnable if _builtin(c, frames[c.resource]) is None], frames, report.issues
    )
    by_resource: dict[str, list[Check]] = {}
    for check in runnable:
        by_resource.setdefault(check.resource, []).append(check)
    for resource, group in by_resource.items():
        issues: list[Issue] = []
        failed = _pandera_verdicts(resource, group, frames, outcomes, issues)
        report.issues.extend(issues)
        for check in group:
            if check.id not in failed:
                continue
            outcome = outcomes.get(check.id) or _evaluate(check, frames, report.issues)
            if outcome is not None and not outcome.passed:
                report.issues.extend(_issues(check, outcome, paths))


def _issues(check: Check, outcome: SparkOutcome, paths: dict[str, str | None]) -> list[Issue]:
    """Findings for one failed check: one per failing row or group, or one for an aggregate."""
    base: dict[str, Any] = {
        "code": check.code,
        "severity": check.severity,
        "layer": "semantic",
        "resource": check.resource,
        "path": paths.get(check.resource),
        "rule": check.id,
        "field": check.field,
    }
    claim = check.spec.get("claim")
    if outcome.failing is not None:
        return _row_issues(check, outcome, base, claim)
    if outcome.groups and check.kind.groups:
        return _group_issues(check, outcome, base, claim)
    details = {"expected": outcome.expected, "actual": outcome.actual}
    if outcome.groups:
        details.update(outcome.groups[0])
    if claim:
        details["claim"] = claim
    return [Issue(message=_describe(check.message, details), details=details, **base)]


def _row_issues(
    check: Check, outcome: SparkOutcome, base: dict[str, Any], claim: Any
) -> list[Issue]:
    """One finding per failing row, in file order; the rows past the cap in one more."""
    rows = outcome.first
    out: list[Issue] = []
    for hit in rows[:MAX_ROW_FINDINGS]:
        details = {k[2:]: plain(hit[k]) for k in hit.asDict() if k.startswith("d_")}
        if claim:
            details["claim"] = claim
        out.append(
            Issue(
                message=_describe(check.message, details),
                line=hit["line"],
                row=hit["row"],
                details=details,
                **base,
            )
        )
    if len(rows) > MAX_ROW_FINDINGS and outcome.failing is not None:
        more = outcome.failing.count() - MAX_ROW_FINDINGS
        out.append(
            Issue(
                message=f"{check.message} — and {more} more rows",
                details={"more_rows": more},
                **base,
            )
        )
    return out


def _group_issues(
    check: Check, outcome: SparkOutcome, base: dict[str, Any], claim: Any
) -> list[Issue]:
    """One finding per failing group, at the first line of the group in this resource."""
    out: list[Issue] = []
    for group, line in zip(outcome.groups, outcome.group_lines, strict=True):
        details = dict(group)
        if claim:
            details["claim"] = claim
        at = ", ".join(f"{k}={v}" for k, v in group["group"].items())
        out.append(
            Issue(
                message=f"{check.message} — {at}: expected {group['expected']}, found {group['actual']}",
                details=details,
                line=line,
                **base,
            )
        )
    return out


def _describe(message: str, details: dict[str, Any]) -> str:
    if "expected" in details and "actual" in details:
        return f"{message} — expected {details['expected']}, found {details['actual']}"
    if "actual" in details:
        return f"{message} — found {details['actual']}"
    return message
