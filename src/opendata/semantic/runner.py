"""Running the declared checks: each compiled to a pandera check, run lazily, its failures turned into Issues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.io.dtypes import pandas_types
from opendata.io.rowmap import RowMap
from opendata.report import Issue
from opendata.semantic.declarations import Check
from opendata.semantic.evaluators import evaluate
from opendata.semantic.expression import ExpressionError
from opendata.semantic.frames import Codes
from opendata.semantic.registry import Outcome
from opendata.structural.table import decoded

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

MAX_ROW_FINDINGS = 1000


def to_frame(table: pa.Table, rows: int | None = None) -> pd.DataFrame:
    """An Arrow table as a pandas DataFrame with nullable dtypes (no silent float coercion).

    A table with no columns kept still has its `rows` (row-count checks need nothing else).
    """
    import pandas as pd

    if not table.num_columns:
        return pd.DataFrame(index=pd.RangeIndex(rows or 0))
    return decoded(table).to_pandas(types_mapper=pandas_types())


def _rows_of(frame: pd.DataFrame) -> pd.DataFrame:
    """What pandera validates: one boolean column over the frame's rows.

    The checks compute on every frame themselves and give pandera a mask over these rows;
    pandera copies what it validates, which for the full frame costs a copy of every column.
    """
    import numpy as np
    import pandas as pd

    return pd.DataFrame({"row": np.ones(len(frame), dtype=bool)}, index=frame.index)


def run_checks(
    checks: list[Check],
    frames: dict[str, pd.DataFrame],
    paths: dict[str, str | None],
    where: dict[str, RowMap],
    codes: Codes | None = None,
) -> list[Issue]:
    """Run the checks through pandera (lazy: every failure collected) and turn failures into Issues."""
    import pandera.pandas as pandera
    from pandera.errors import SchemaErrors

    issues: list[Issue] = []
    outcomes: dict[str, Outcome] = {}
    by_resource: dict[str, list[Check]] = {}
    for check in checks:
        by_resource.setdefault(check.resource, []).append(check)

    for resource, group in by_resource.items():
        frame = frames[resource]
        compiled = []
        for check in group:
            compiled.append(
                # No `error=`: pandera would then report the message instead of the check's name.
                pandera.Check(
                    _compile(check, frames, outcomes, issues, paths, codes), name=check.id
                )
            )
        schema = pandera.DataFrameSchema(checks=compiled, name=resource)
        failed_rows: dict[str, list[Any]] = {}
        try:
            schema.validate(_rows_of(frame), lazy=True)
        except SchemaErrors as exc:
            cases = exc.failure_cases
            for check_name, index in zip(cases["check"], cases["index"], strict=True):
                failed_rows.setdefault(str(check_name), []).append(index)
        for check in group:
            outcome = outcomes.get(check.id)
            if outcome is None:
                continue
            issues.extend(
                _issues(
                    check, outcome, frame, failed_rows.get(check.id, []), paths, where[resource]
                )
            )
    return issues


def _compile(
    check: Check,
    frames: dict[str, pd.DataFrame],
    outcomes: dict[str, Outcome],
    issues: list[Issue],
    paths: dict[str, str | None],
    codes: Codes | None = None,
) -> Any:
    """The pandera check function: computes the outcome once, returns a row mask or a verdict."""

    def fn(frame: pd.DataFrame) -> Any:
        try:
            outcome = evaluate(check, frames, codes)
        except (ExpressionError, KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
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
            return True
        outcomes[check.id] = outcome
        if outcome.failing_rows is not None:
            return ~outcome.failing_rows.reindex(frame.index, fill_value=False).astype(bool)
        return outcome.passed

    return fn


def _issues(
    check: Check,
    outcome: Outcome,
    frame: pd.DataFrame,
    failed_index: list[Any],
    paths: dict[str, str | None],
    where: RowMap,
) -> list[Issue]:
    """Findings for one failed check: one per failing row or group, or one for an aggregate."""
    if outcome.passed:
        return []
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
    if outcome.failing_rows is not None:
        return _row_issues(check, outcome, frame, failed_index, where, base, claim)
    if outcome.groups and check.kind.groups:
        return _group_issues(check, outcome, frame, where, base, claim)
    details = {"expected": outcome.expected, "actual": outcome.actual}
    if outcome.groups:
        details.update(outcome.groups[0])
    if claim:
        details["claim"] = claim
    return [Issue(message=_describe(check.message, details), details=details, **base)]


def _row_issues(
    check: Check,
    outcome: Outcome,
    frame: pd.DataFrame,
    failed_index: list[Any],
    where: RowMap,
    base: dict[str, Any],
    claim: Any,
) -> list[Issue]:
    """One finding per failing row (pandera's failure cases), the rows past the cap in one more."""
    out: list[Issue] = []
    labels = list(dict.fromkeys(i for i in failed_index if i is not None and i in frame.index))
    positions = frame.index.get_indexer(labels)
    for count, pos in enumerate(positions):
        if count >= MAX_ROW_FINDINGS:
            out.append(
                Issue(
                    message=f"{check.message} — and {len(positions) - count} more rows",
                    details={"more_rows": len(positions) - count},
                    **base,
                )
            )
            break
        details = outcome.row_details(frame.index[pos]) if outcome.row_details else {}
        if claim:
            details["claim"] = claim
        out.append(
            Issue(
                message=_describe(check.message, details),
                line=where.line(pos),
                row=where.row(pos),
                details=details,
                **base,
            )
        )
    return out


def _group_issues(
    check: Check,
    outcome: Outcome,
    frame: pd.DataFrame,
    where: RowMap,
    base: dict[str, Any],
    claim: Any,
) -> list[Issue]:
    """One finding per failing group, at the first line of the group in this resource."""
    out: list[Issue] = []
    for group in outcome.groups:
        details = dict(group)
        if claim:
            details["claim"] = claim
        at = ", ".join(f"{k}={v}" for k, v in group["group"].items())
        out.append(
            Issue(
                message=f"{check.message} — {at}: expected {group['expected']}, found {group['actual']}",
                details=details,
                line=_first_line(frame, group["group"], where),
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


def _first_line(frame: pd.DataFrame, group: dict[str, Any], where: RowMap) -> int | None:
    mask = None
    for k, v in group.items():
        if k not in frame.columns:
            return None
        part = frame[k] == v
        mask = part if mask is None else mask & part
    if mask is None:
        return None
    hits = mask.fillna(False).to_numpy(dtype=bool).nonzero()[0]
    return where.line(int(hits[0])) if len(hits) else None
