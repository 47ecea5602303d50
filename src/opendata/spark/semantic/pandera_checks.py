"""Declared checks as one pandera.pyspark schema per resource: built-in checks where they fit, named ones otherwise."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opendata.report import Issue
from opendata.semantic.declarations import Check
from opendata.semantic.frames import plain
from opendata.spark.semantic.evaluators import evaluate
from opendata.spark.semantic.registry import SparkOutcome

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from opendata.spark.semantic.registry import Frames


def builtin(check: Check, frame: DataFrame) -> Any | None:
    """The pandera built-in check a declaration is, when one is (else None)."""
    import pandera.pyspark as pap

    s = check.spec
    if check.type == "values" and "subset-of" in s and not s.get("where"):
        if str(s["column"]) in frame.columns:
            return pap.Check.isin([plain(v) for v in s["subset-of"]])
    return None


def pandera_verdicts(
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
    by_builtin: dict[tuple[str, str], str] = {}
    named = []
    for check in group:
        found = builtin(check, frame)
        if found is not None:
            name = str(check.spec["column"])
            if name not in columns:
                columns[name] = pap.Column(frame.schema[name].dataType, checks=[], nullable=True)
            columns[name].checks.append(found)
            by_builtin[(name, str(found.error))] = check.id
            continue
        named.append(pap.Check(_verdict(check, frames, outcomes, issues), name=check.id))
    schema = pap.DataFrameSchema(columns=columns, checks=named, name=resource)
    validated = schema.validate(frame)
    failed: set[str] = set()
    for category in dict(validated.pandera.errors).values():
        for kind, errors in category.items():
            for error in errors:
                key = (str(error.get("column")), str(error.get("check")))
                check_id = by_builtin.get(key, str(error.get("check")))
                if kind != "CHECK_ERROR":
                    failed.add(check_id)
    return failed


def _verdict(
    check: Check, frames: Frames, outcomes: dict[str, SparkOutcome | None], issues: list[Issue]
) -> Callable[[DataFrame], bool]:
    """The pandera check function: the outcome's verdict (computed by Spark SQL, once)."""

    def fn(_frame: DataFrame) -> bool:
        if check.id in outcomes:
            known = outcomes[check.id]
            return True if known is None else known.passed
        outcome = evaluate(check, frames, issues)
        if outcome is None:
            return True
        outcomes[check.id] = outcome
        return outcome.passed

    return fn
