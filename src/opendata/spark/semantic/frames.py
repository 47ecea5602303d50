"""Reading the frames for the Spark evaluators: selected rows, operands, aggregates, failing rows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.semantic.declarations import Check, as_list
from opendata.semantic.frames import plain
from opendata.spark.expression import condition
from opendata.spark.semantic.registry import MAX_ROW_FINDINGS, SparkOutcome
from opendata.spark.structural.table import col

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

    from opendata.spark.semantic.registry import Frames


TOLERANCE_HAIR = 1e-9


def select(frame: DataFrame, where: Any) -> DataFrame:
    """The rows `where` keeps (all when it is empty)."""
    if not where:
        return frame
    return frame.filter(condition(str(where), frame.columns))


def need(frame: DataFrame, *names: str) -> None:
    """Raise KeyError naming the columns `frame` lacks (a check-error for the check)."""
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
    need(frame, name)
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


def operand(frame: DataFrame, value: Any) -> Column:
    """A column by name, or a number or other literal as a Spark value."""
    from pyspark.sql import functions as F

    if isinstance(value, str):
        need(frame, value)
        return col(value)
    return F.lit(float(value) if isinstance(value, int | float) else value)


def off(difference: Column, tolerance: float) -> Column:
    """Where a difference is beyond the tolerance, or unknown (null): a failure."""
    from pyspark.sql import functions as F

    return ~F.coalesce(F.abs(difference) <= tolerance + TOLERANCE_HAIR, F.lit(False))


def rows(frame: DataFrame, bad: Column, **details: Column) -> SparkOutcome:
    """The rows where `bad` holds as the outcome, with `details` as `d_*` columns."""
    failing = frame.filter(bad).select(
        "row", "line", *[c.alias(f"d_{k}") for k, c in details.items()]
    )
    # One job gives the verdict and the rows to report (in file order, up to the cap).
    first = failing.orderBy("row").limit(MAX_ROW_FINDINGS + 1).collect()
    return SparkOutcome(passed=not first, failing=failing, first=first)


def bounded(check: Check, n: int, frames: Frames) -> SparkOutcome:
    """A count against the check's `equals`, `min` and `max` (numbers or aggregates)."""
    s = check.spec
    ok = True
    expected: dict[str, Any] = {}
    for key, test in (("equals", n.__eq__), ("min", n.__ge__), ("max", n.__le__)):
        if key in s:
            target = number(s[key], frames, check.resource)
            expected[key] = target
            ok = ok and bool(test(target))
    return SparkOutcome(ok, expected=expected.get("equals", expected), actual=n)


def ordered(check: Check, frames: Frames) -> tuple[DataFrame, Any]:
    """The selected rows with a window in `by` order (stable: ties keep file order, nulls last)."""
    from pyspark.sql.window import Window

    s = check.spec
    frame = select(frames[check.resource], s.get("where"))
    by = as_list(s["by"])
    need(frame, *by, str(s["column"]))
    order = [col(b).asc_nulls_last() for b in by] + [col("row").asc()]
    return frame, Window.orderBy(*order)
