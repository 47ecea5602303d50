"""The header of a resource on Spark: its labels checked against the schema's fields."""

from __future__ import annotations

from typing import Any

from opendata.package import Field
from opendata.spark.structural.table import Findings


def expected_fields(found: Findings, labels: list[str], fields: list[Field]) -> list[Field]:
    """Check the header against the schema; the fields each column is read as (by position)."""
    seen: set[str] = set()
    for i, label in enumerate(labels):
        details: dict[str, Any] = {"position": i + 1, "actual": label}
        if i >= len(fields):
            message = f"column {i + 1} ({label!r}) has no field in the schema"
            found.add("extra-label", message, row=1, line=1, details=details)
        else:
            f = fields[i]
            problem = None
            if label == "":
                problem = ("blank-label", f"column {i + 1} has a blank label; expected {f.name!r}")
            elif label in seen:
                problem = (
                    "duplicate-label",
                    f"label {label!r} in column {i + 1} repeats an earlier one",
                )
            elif label != f.name:
                problem = (
                    "incorrect-label",
                    f"column {i + 1} is labelled {label!r}; the schema expects {f.name!r}",
                )
            if problem:
                details["expected"] = f.name
                found.add(*problem, row=1, line=1, field=f.name, details=details)
        seen.add(label)
    for i in range(len(labels), len(fields)):
        found.add(
            "missing-label",
            f"field {fields[i].name!r} has no column in the header",
            row=1,
            line=1,
            field=fields[i].name,
            details={"position": i + 1, "expected": fields[i].name},
        )
    out = list(fields[: len(labels)])
    for i in range(len(fields), len(labels)):
        out.append(Field(name=labels[i] or f"field{i + 1}", type="any"))
    return out
