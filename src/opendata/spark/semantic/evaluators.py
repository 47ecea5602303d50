"""One Spark SQL evaluator per check type, and the call that runs one (a check-error when it cannot)."""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING, Any

from opendata.report import Issue
from opendata.semantic.declarations import Check, as_list
from opendata.semantic.expression import ExpressionError, compiled
from opendata.semantic.frames import close, plain, set_verdict
from opendata.semantic.runner import check_error
from opendata.spark.expression import condition
from opendata.spark.semantic.frames import (
    TOLERANCE_HAIR,
    bounded,
    need,
    number,
    off,
    operand,
    ordered,
    rows,
    select,
)
from opendata.spark.semantic.registry import EVALUATORS, SparkOutcome, evaluator
from opendata.spark.structural.table import col

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from opendata.spark.semantic.registry import Frames


@evaluator("row-count")
def row_count(check: Check, frames: Frames) -> SparkOutcome:
    """The number of (selected) rows against `equals`, `min`, `max`."""
    n = select(frames[check.resource], check.spec.get("where")).count()
    return bounded(check, n, frames)


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
    need(frame, *columns)
    n = frame.select(*[col(c) for c in columns]).dropna().distinct().count()
    return bounded(check, n, frames)


@evaluator("row-sum")
def row_sum(check: Check, frames: Frames) -> SparkOutcome:
    """In every row, the columns add up to a column or a number."""
    from pyspark.sql import functions as F

    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    names = [str(c) for c in s["columns"]]
    need(frame, *names)
    parts = [col(c).cast("double") for c in names]
    added = reduce(lambda a, b: a + b, [F.coalesce(p, F.lit(0.0)) for p in parts])
    all_null = reduce(lambda a, b: a & b, [p.isNull() for p in parts])
    total = F.when(all_null, F.lit(None)).otherwise(added)
    target = operand(frame, s["equals"])
    bad = off(total - target, check.tolerance)
    return rows(frame, bad, expected=target, actual=total)


def _grouped(
    frames: Frames, resource: str, where: Any, by: list[str], column: str | None
) -> DataFrame:
    """Rows per group (column None) or the column's sum per group (null when all null): g0, g1, …, n."""
    from pyspark.sql import functions as F

    frame = select(frames[resource], where)
    need(frame, *by, *([column] if column else []))
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
        F.abs(F.col("actual") - F.col("expected")) > check.tolerance + TOLERANCE_HAIR
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
    frame, order = ordered(check, frames)
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
    return rows(marked, ~F.col("_good"), previous=F.col("_previous"), actual=c)


@evaluator("running-total")
def running_total(check: Check, frames: Frames) -> SparkOutcome:
    """`total` is the running sum of `column` (from `start`) in `by` order."""
    from pyspark.sql import functions as F

    s = check.spec
    frame, order = ordered(check, frames)
    need(frame, str(s["total"]))
    c = col(str(s["column"])).cast("double")
    from pyspark.sql.window import Window

    upto = order.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    running = F.sum(c).over(upto) + float(s.get("start", 0))
    expected = F.when(c.isNull(), F.lit(None)).otherwise(running)
    marked = frame.select("*", expected.alias("_expected"))
    actual = col(str(s["total"]))
    bad = off(F.col("_expected") - actual, check.tolerance)
    return rows(marked, bad, expected=F.col("_expected"), actual=actual)


@evaluator("difference")
def difference(check: Check, frames: Frames) -> SparkOutcome:
    """After the first row in `by` order, `equals` is the previous `column` minus this one."""
    from pyspark.sql import functions as F

    s = check.spec
    frame, order = ordered(check, frames)
    need(frame, str(s["equals"]))
    c = col(str(s["column"]))
    marked = frame.select(
        "*",
        (F.lag(c).over(order) - c).alias("_expected"),
        (F.row_number().over(order) == 1).alias("_first"),
    )
    actual = col(str(s["equals"]))
    bad = ~F.col("_first") & off(F.col("_expected") - actual, check.tolerance)
    return rows(marked, bad, expected=F.col("_expected"), actual=actual)


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
    value = (operand(frame, s["numerator"]) / operand(frame, s["denominator"])) * float(
        s.get("scale", 1)
    )
    if "round" in s:
        value = F.bround(value, int(s["round"]))
    target = operand(frame, s["equals"])
    return rows(frame, off(value - target, check.tolerance), expected=target, actual=value)


@evaluator("values")
def values(check: Check, frames: Frames) -> SparkOutcome:
    """The set of a column's values against the declared set (equal, within, or containing it)."""
    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    name = str(s["column"])
    need(frame, name)
    found = frame.select(col(name).alias("v")).dropna().distinct().collect()
    actual_set = {plain(r["v"]) for r in found}
    ok, details = set_verdict(s, actual_set)
    return SparkOutcome(ok, **details)


@evaluator("consistent")
def consistent(check: Check, frames: Frames) -> SparkOutcome:
    """All rows sharing the key have one value in `column` (null is a value of its own)."""
    from pyspark.sql import functions as F

    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    keys = [str(k) for k in as_list(s["key"])]
    name = str(s["column"])
    need(frame, *keys, name)
    c = col(name)
    distinct = frame.groupBy(*[col(k).alias(f"_k{i}") for i, k in enumerate(keys)]).agg(
        (F.count_distinct(c) + F.max(c.isNull().cast("int"))).alias("_n")
    )
    split = distinct.filter(F.col("_n") > 1)
    match = reduce(
        lambda a, b: a & b, [col(k).eqNullSafe(F.col(f"_k{i}")) for i, k in enumerate(keys)]
    )
    return rows(frame.join(split, match, "left_semi"), F.lit(True), actual=c)


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
    return rows(frame, ~condition(source, frame.columns))


def evaluate(check: Check, frames: Frames, issues: list[Issue]) -> SparkOutcome | None:
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
        issues.append(check_error(check, str(exc)))
        return None
