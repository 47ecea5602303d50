"""One evaluator per check type, registered under its name; each computes on the frame pandera passes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opendata.semantic.declarations import Check, CheckDefinitionError, as_list
from opendata.semantic.expression import compiled
from opendata.semantic.frames import (
    close,
    column,
    count,
    number,
    operand,
    plain,
    select,
    set_verdict,
)
from opendata.semantic.grouping import compare_groups
from opendata.semantic.registry import EVALUATORS, Outcome, evaluator

if TYPE_CHECKING:
    import pandas as pd


def evaluate(check: Check, frame: pd.DataFrame) -> Outcome:
    """Compute a check's outcome on its resource's frame with its type's evaluator.

    Cross-table references must be resolved first (`semantic.pandera_checks.resolved`).
    """
    fn = EVALUATORS.get(check.type)
    if fn is None:
        raise CheckDefinitionError(f"unknown check type {check.type}")
    # Read for every type: a `tolerance` that is not a number makes any check a check-error,
    # even one whose type ignores it.
    check.tolerance  # noqa: B018
    return fn(check, frame)


def _bounded(check: Check, n: int, frame: pd.DataFrame) -> Outcome:
    """A count against the declared `equals`, `min` and `max` (numbers or aggregate references)."""
    s = check.spec
    ok = True
    expected: dict[str, Any] = {}
    for key, test in (("equals", n.__eq__), ("min", n.__ge__), ("max", n.__le__)):
        if key in s:
            target = number(s[key], frame)
            expected[key] = target
            ok = ok and bool(test(target))
    return Outcome(ok, expected=expected.get("equals", expected), actual=n)


def _at(values: Any, label: Any) -> Any:
    """One row's value of a column operand, or the number the operand is."""
    import pandas as pd

    return plain(values.loc[label] if isinstance(values, pd.Series) else values)


def _details(
    expected: pd.Series, actual: pd.Series, ek: str, ak: str
) -> Callable[[Any], dict[str, Any]]:
    def details(label: Any) -> dict[str, Any]:
        return {ek: plain(expected.loc[label]), ak: plain(actual.loc[label])}

    return details


@evaluator("row-count")
def row_count(check: Check, frame: pd.DataFrame) -> Outcome:
    """The number of (selected) rows against `equals`, `min`, `max`."""
    return _bounded(check, count(frame, check.spec.get("where")), frame)


@evaluator("column-sum")
def column_sum(check: Check, frame: pd.DataFrame) -> Outcome:
    """The sum of a column against a number or an aggregate reference."""
    s = check.spec
    total = plain(column(frame, s.get("where"), s["column"]).sum())
    target = number(s["equals"], frame)
    return Outcome(close(total, target, check.tolerance), expected=target, actual=total)


@evaluator("distinct-count")
def distinct_count(check: Check, frame: pd.DataFrame) -> Outcome:
    """The number of distinct values (or combinations) of columns against `equals`, `min`, `max`."""
    s = check.spec
    selected = select(frame, s.get("where"))
    n = len(selected[as_list(s["column"])].dropna().drop_duplicates())
    return _bounded(check, n, frame)


@evaluator("row-sum")
def row_sum(check: Check, frame: pd.DataFrame) -> Outcome:
    """In every row, the columns add up to a column or a number."""
    s = check.spec
    frame = select(frame, s.get("where"))
    total = frame[list(s["columns"])].sum(axis=1, min_count=1)
    target = operand(frame, s["equals"])
    diff = (total - target).abs()
    bad = ~(diff <= check.tolerance + 1e-9).fillna(False).astype(bool)
    return Outcome(
        not bad.any(),
        failing_rows=bad,
        row_details=lambda label: {"expected": _at(target, label), "actual": _at(total, label)},
    )


@evaluator("group-count")
def group_count(check: Check, frame: pd.DataFrame) -> Outcome:
    """Rows per group here against a column of the matching rows of another resource."""
    return compare_groups(check, frame, None)


@evaluator("group-sum")
def group_sum(check: Check, frame: pd.DataFrame) -> Outcome:
    """A column's sum per group here against a column of the matching rows of another resource."""
    return compare_groups(check, frame, str(check.spec["sum"]))


def _ordered(check: Check, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The (selected) rows, the same rows sorted by `by`, and `column` in that order."""
    s = check.spec
    frame = select(frame, s.get("where"))
    ordered = frame.sort_values(s["by"], kind="stable")
    return frame, ordered, ordered[s["column"]]


@evaluator("monotonic")
def monotonic(check: Check, frame: pd.DataFrame) -> Outcome:
    """A column moves in one direction (strictly or not) in `by` order."""
    s = check.spec
    frame, _, col = _ordered(check, frame)
    step = col.diff()
    increasing = s.get("direction", "increasing") == "increasing"
    strict = bool(s.get("strict", True))
    if increasing:
        good = step > 0 if strict else step >= 0
    else:
        good = step < 0 if strict else step <= 0
    good = good.astype("boolean").fillna(True) if len(step) else good
    good.iloc[:1] = True
    bad = ~good.astype(bool)
    return Outcome(
        not bad.any(),
        failing_rows=bad.reindex(frame.index, fill_value=False),
        row_details=_details(col.shift(1), col, "previous", "actual"),
    )


@evaluator("running-total")
def running_total(check: Check, frame: pd.DataFrame) -> Outcome:
    """`total` is the running sum of `column` (from `start`) in `by` order."""
    s = check.spec
    frame, ordered, col = _ordered(check, frame)
    expected_total = col.cumsum() + float(s.get("start", 0))
    actual = ordered[s["total"]]
    bad = ~((expected_total - actual).abs() <= check.tolerance + 1e-9).fillna(False).astype(bool)
    return Outcome(
        not bad.any(),
        failing_rows=bad.reindex(frame.index, fill_value=False),
        row_details=_details(expected_total, actual, "expected", "actual"),
    )


@evaluator("difference")
def difference(check: Check, frame: pd.DataFrame) -> Outcome:
    """After the first row in `by` order, `equals` is the previous `column` minus this one."""
    frame, ordered, col = _ordered(check, frame)
    expected_diff = col.shift(1) - col
    actual = ordered[check.spec["equals"]]
    bad = ~((expected_diff - actual).abs() <= check.tolerance + 1e-9).fillna(False).astype(bool)
    if len(bad):
        bad.iloc[0] = False
    return Outcome(
        not bad.any(),
        failing_rows=bad.reindex(frame.index, fill_value=False),
        row_details=_details(expected_diff, actual, "expected", "actual"),
    )


@evaluator("ratio")
def ratio(check: Check, frame: pd.DataFrame) -> Outcome:
    """`scale` × numerator / denominator, rounded as declared, against a column or a number."""
    import pandas as pd

    s = check.spec
    tol = check.tolerance
    frame = select(frame, s.get("where"))
    num = operand(frame, s["numerator"])
    den = operand(frame, s["denominator"])
    target = operand(frame, s["equals"])
    value = (num / den) * float(s.get("scale", 1))
    if "round" in s:
        value = (
            value.round(int(s["round"]))
            if isinstance(value, pd.Series)
            else round(value, int(s["round"]))
        )
    if isinstance(value, pd.Series) or isinstance(target, pd.Series):
        diff = (value - target).abs()
        bad = ~(diff <= tol + 1e-9).fillna(False).astype(bool)
        if not isinstance(bad, pd.Series):
            bad = pd.Series(bool(bad), index=frame.index)
        return Outcome(
            not bad.any(),
            failing_rows=bad,
            row_details=lambda label: {"expected": _at(target, label), "actual": _at(value, label)},
        )
    return Outcome(close(value, target, tol), expected=target, actual=plain(value))


@evaluator("values")
def values(check: Check, frame: pd.DataFrame) -> Outcome:
    """The set of a column's values against the declared set (equal, within, or containing it)."""
    s = check.spec
    selected = column(frame, s.get("where"), s["column"])
    actual_set = {plain(v) for v in selected.dropna().unique().tolist()}
    ok, details = set_verdict(s, actual_set)
    return Outcome(ok, **details)


@evaluator("consistent")
def consistent(check: Check, frame: pd.DataFrame) -> Outcome:
    """All rows sharing the key have one value in `column`."""
    s = check.spec
    frame = select(frame, s.get("where"))
    keys = as_list(s["key"])
    col = s["column"]
    distinct = frame.groupby(keys, dropna=False)[col].transform("nunique", dropna=False)
    bad = (distinct > 1).astype(bool)
    return Outcome(
        not bool(bad.any()),
        failing_rows=bad,
        row_details=lambda label: {"actual": plain(frame[col].loc[label])},
    )


@evaluator("expression")
def expression(check: Check, frame: pd.DataFrame) -> Outcome:
    """The expression is true on every (selected) row (or, when it is a scalar, true)."""
    import pandas as pd

    s = check.spec
    frame = select(frame, s.get("where"))
    result = compiled(str(s["expression"])).evaluate(frame)
    if not isinstance(result, pd.Series):
        return Outcome(bool(result), expected=True, actual=bool(result))
    bad = ~result.astype(bool)
    return Outcome(not bad.any(), failing_rows=bad)
