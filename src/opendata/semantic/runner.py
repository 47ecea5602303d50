"""Running the declared checks: each resource's checks as one pandera schema, its failures turned into Issues."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.io.dtypes import pandas_types
from opendata.io.rowmap import RowMap
from opendata.report import Issue
from opendata.semantic.declarations import Check
from opendata.semantic.evaluators import evaluate
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


def run_checks(
    checks: list[Check],
    frames: dict[str, pd.DataFrame],
    paths: dict[str, str | None],
    where: dict[str, RowMap],
    codes: Codes | None = None,
) -> list[Issue]:
    """Run each resource's checks as one pandera schema (lazy: every failure collected).

    Each resource's frame holds only the columns its checks read, plus, as categoricals, the
    key columns read only as dictionary codes (`grouping.with_keys`). References to other
    resources are resolved first; pandera then runs every check on the frame, and its
    `SchemaErrors.failure_cases` say which checks failed on which rows, or could not run.
    """
    from opendata.semantic.grouping import with_keys

    issues: list[Issue] = []
    codes = codes or {}
    keyed = {name: with_keys(frame, codes.get(name, {})) for name, frame in frames.items()}
    by_resource: dict[str, list[Check]] = {}
    for check in checks:
        by_resource.setdefault(check.resource, []).append(check)
    for resource, group in by_resource.items():
        issues.extend(
            _run_resource(resource, group, keyed, frames[resource], paths, where[resource])
        )
    return issues


def _run_resource(
    resource: str,
    group: list[Check],
    keyed: dict[str, pd.DataFrame],
    frame: pd.DataFrame,
    paths: dict[str, str | None],
    where: RowMap,
) -> list[Issue]:
    """One resource's checks through one pandera DataFrameSchema, failures turned into Issues."""
    import pandera.pandas as pandera
    from pandera.errors import SchemaErrors

    from opendata.semantic.pandera_checks import builtin, from_declaration, pandera_check, resolved

    issues: list[Issue] = []
    runnable: list[tuple[Check, dict[str, Any]]] = []
    for check in group:
        try:
            declaration = resolved(check, keyed)
        except Exception as exc:  # whatever stops a check from running is a finding
            issues.append(check_error(check, _reason(exc)))
            continue
        runnable.append((check, declaration))
    # Where pandera reports each check: (None, i) for the i-th frame-wide check, (column, j) for
    # the j-th built-in check of a column.
    places: dict[tuple[str | None, int], int] = {}
    frame_checks: list[Any] = []
    column_checks: dict[str, list[Any]] = {}
    for number, (check, declaration) in enumerate(runnable):
        found = builtin(check)
        if found is None:
            places[(None, len(frame_checks))] = number
            # pandera lists the failing rows reported one by one (and one more); the
            # evaluator counts the rest. Listing them all would cost a row per column each.
            cases = MAX_ROW_FINDINGS + 1
            frame_checks.append(pandera_check(check, declaration, cases=cases))
        else:
            name, pcheck = found
            places[(name, len(column_checks.setdefault(name, [])))] = number
            column_checks[name].append(pcheck)
    schema = pandera.DataFrameSchema(
        {name: pandera.Column(checks=cs, nullable=True) for name, cs in column_checks.items()},
        checks=frame_checks,
        name=resource,
    )
    failed: dict[int, list[Any]] = {}
    errors: dict[int, str] = {}
    try:
        schema.validate(keyed[resource], lazy=True, inplace=True)
    except SchemaErrors as exc:
        failed, errors = _failures(exc, places)
    for number, (check, declaration) in enumerate(runnable):
        if number in errors:
            issues.append(check_error(check, errors[number]))
        elif number in failed:
            # pandera said which rows fail; the evaluator says what was expected there.
            outcome = evaluate(from_declaration(declaration), keyed[resource])
            issues.extend(_issues(check, outcome, frame, failed[number], paths, where))
    return issues


def _failures(
    exc: Any, places: dict[tuple[str | None, int], int]
) -> tuple[dict[int, list[Any]], dict[int, str]]:
    """From pandera's SchemaErrors: failing row labels per check, and the checks that raised."""
    from pandera.errors import SchemaErrorReason

    def place(context: Any, column: Any, number: Any) -> tuple[str | None, int] | None:
        if number is None or number != number:  # None or NaN: not one of the declared checks
            return None
        return (None if context == "DataFrameSchema" else str(column), int(number))

    errors: dict[int, str] = {}
    for error in exc.schema_errors:
        if error.reason_code == SchemaErrorReason.COLUMN_NOT_IN_DATAFRAME:
            missing = str(error.failure_cases)
            for (name, _), n in places.items():
                if name == missing:
                    errors[n] = f"KeyError: no column {missing!r}"
        elif error.reason_code == SchemaErrorReason.CHECK_ERROR:
            context = type(error.schema).__name__
            key = place(context, getattr(error.schema, "name", None), error.check_index)
            if key in places:
                errors[places[key]] = _unquoted(str(error.failure_cases))
    cases = exc.failure_cases
    failed: dict[int, list[Any]] = {}
    for context, column, number, index in zip(
        cases["schema_context"], cases["column"], cases["check_number"], cases["index"], strict=True
    ):
        key = place(context, column, number)
        if key in places:
            failed.setdefault(places[key], []).append(index)
    return failed, errors


def _reason(exc: BaseException) -> str:
    """An exception as `Type: message`."""
    message = exc.args[0] if len(exc.args) == 1 else str(exc)
    return f"{type(exc).__name__}: {message}" if message != "" else type(exc).__name__


def _unquoted(raised: str) -> str:
    """pandera's name for an exception a check raised, `Type("message")`, as `Type: message`."""
    import re

    match = re.fullmatch(r'(\w+)\("(.*)"\)', raised, re.DOTALL)
    return f"{match[1]}: {match[2]}" if match else raised


def check_error(check: Check, reason: str) -> Issue:
    """A `check-error` finding: the check could not run, and why."""
    return Issue(
        code="check-error",
        severity="error",
        layer="semantic",
        resource=check.resource,
        path=check.declared_in,
        rule=check.id,
        message=f"check {check.id!r} could not run: {reason}",
    )


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
    base = finding_base(check, paths)
    claim = check.spec.get("claim")
    if outcome.failing_rows is not None:
        return _row_issues(check, outcome, frame, failed_index, where, base, claim)
    if outcome.groups and check.kind.groups:
        return _group_issues(check, outcome, frame, where, base, claim)
    return [aggregate_issue(check, base, outcome.expected, outcome.actual, outcome.groups)]


def finding_base(check: Check, paths: dict[str, str | None]) -> dict[str, Any]:
    """What every finding of a failed check carries (either engine's), as Issue arguments."""
    return {
        "code": check.code,
        "severity": check.severity,
        "layer": "semantic",
        "resource": check.resource,
        "path": paths.get(check.resource),
        "rule": check.id,
        "field": check.field,
    }


def aggregate_issue(
    check: Check, base: dict[str, Any], expected: Any, actual: Any, groups: list[dict[str, Any]]
) -> Issue:
    """The one finding of a failed check on a whole table: expected against actual."""
    details = {"expected": expected, "actual": actual}
    if groups:
        details.update(groups[0])
    if check.spec.get("claim"):
        details["claim"] = check.spec["claim"]
    return Issue(message=describe(check.message, details), details=details, **base)


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
    failing = outcome.failing_rows
    total = len(positions) if failing is None else int(failing.to_numpy(bool, na_value=False).sum())
    for count, pos in enumerate(positions):
        if count >= MAX_ROW_FINDINGS:
            out.append(
                Issue(
                    message=f"{check.message} — and {total - count} more rows",
                    details={"more_rows": total - count},
                    **base,
                )
            )
            break
        details = outcome.row_details(frame.index[pos]) if outcome.row_details else {}
        if claim:
            details["claim"] = claim
        out.append(
            Issue(
                message=describe(check.message, details),
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


def describe(message: str, details: dict[str, Any]) -> str:
    """A check's own message, then what was expected and found."""
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
