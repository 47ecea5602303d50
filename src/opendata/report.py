"""The finding model: every problem is an Issue; a Report holds them all."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from opendata.codes import CODES, Layer

Severity = Literal["error", "warning"]

REPORT_FORMAT_VERSION = 1


def jsonable(value: Any) -> Any:
    """A value as JSON: dates as ISO strings, decimals and non-finite floats as strings."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


@dataclass
class Issue:
    """One problem: stable code, where it is, which rule, and expected versus actual."""

    code: str
    message: str
    severity: Severity = "error"
    layer: Layer = "structural"
    resource: str | None = None
    path: str | None = None
    line: int | None = None
    row: int | None = None
    field: str | None = None
    rule: str | None = None
    details: dict[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"issue code {self.code!r} is not in the catalogue (opendata.codes)")

    @property
    def title(self) -> str:
        """The code's title from the catalogue, e.g. "Type Error"."""
        return CODES[self.code].title

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the issue (keys always present, nulls where unknown)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "layer": self.layer,
            "resource": self.resource,
            "path": self.path,
            "line": self.line,
            "row": self.row,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
            "details": self.details,
        }

    def sort_key(self) -> tuple[Any, ...]:
        """Order issues by resource, line, field, code for stable output."""
        return (
            self.resource or "",
            self.line if self.line is not None else -1,
            self.field or "",
            self.code,
            self.rule or "",
        )


@dataclass
class ResourceStats:
    """What was looked at in one resource."""

    name: str
    path: str | None = None
    rows: int | None = None
    fields: int | None = None
    bytes: int | None = None
    checks_run: int = 0
    checks_skipped: int = 0


@dataclass
class Report:
    """All issues of one validation run, plus per-resource stats."""

    descriptor: str
    issues: list[Issue] = dc_field(default_factory=list)
    resources: list[ResourceStats] = dc_field(default_factory=list)
    notes: list[str] = dc_field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        """Issues that make the package invalid."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Issues that are reported but do not make the package invalid."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def sorted_issues(self) -> list[Issue]:
        """Issues in a stable order (resource, line, field, code)."""
        return sorted(self.issues, key=Issue.sort_key)

    def flatten(self, *keys: str) -> list[list[Any]]:
        """Issues as lists of the given attributes, e.g. flatten("line", "field", "code")."""
        return [[getattr(i, k) for k in keys] for i in self.sorted_issues()]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: what `opendata validate --format json` prints."""
        counts = Counter(i.code for i in self.issues)
        return {
            "format": REPORT_FORMAT_VERSION,
            "descriptor": self.descriptor,
            "valid": self.valid,
            "summary": {
                "errors": len(self.errors),
                "warnings": len(self.warnings),
                "by_code": dict(sorted(counts.items())),
            },
            "resources": [
                {
                    "name": r.name,
                    "path": r.path,
                    "rows": r.rows,
                    "fields": r.fields,
                    "bytes": r.bytes,
                    "checks_run": r.checks_run,
                    "checks_skipped": r.checks_skipped,
                }
                for r in self.resources
            ],
            "notes": list(self.notes),
            "issues": [i.to_dict() for i in self.sorted_issues()],
        }
