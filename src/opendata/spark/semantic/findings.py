"""A failed declared check on Spark as Issues: one per failing row or group, or one for an aggregate."""

from __future__ import annotations

from typing import Any

from opendata.report import Issue
from opendata.semantic.declarations import Check
from opendata.semantic.frames import plain
from opendata.semantic.runner import aggregate_issue, describe, finding_base
from opendata.spark.semantic.registry import MAX_ROW_FINDINGS, SparkOutcome


def check_issues(check: Check, outcome: SparkOutcome, paths: dict[str, str | None]) -> list[Issue]:
    """Findings for one failed check: one per failing row or group, or one for an aggregate."""
    base = finding_base(check, paths)
    claim = check.spec.get("claim")
    if outcome.failing is not None:
        return _row_issues(check, outcome, base, claim)
    if outcome.groups and check.kind.groups:
        return _group_issues(check, outcome, base, claim)
    return [aggregate_issue(check, base, outcome.expected, outcome.actual, outcome.groups)]


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
                message=describe(check.message, details),
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
