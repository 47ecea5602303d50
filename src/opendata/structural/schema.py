"""The Table Schema itself and the header against it: schema errors and label problems."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opendata.metadata import shape_problem
from opendata.package import Field, Resource
from opendata.report import Issue
from opendata.structural.findings import Findings
from opendata.structural.parsers import KNOWN_TYPES
from opendata.structural.profiles import Place
from opendata.structural.tableschema import schema_issues


def check_schema(resource: Resource) -> list[Issue]:
    """Problems in the Table Schema itself: the standard's rules, then what opendata cannot read."""
    if resource.schema is None:
        return []  # a file needs none, and a table's is inferred as frictionless infers it
    if resource.schema_path:
        place = Place(resource.schema_path, "", resource.name, what="schema")
    else:
        place = Place(resource.descriptor_file, "", resource.name, what="schema")
        place = place.down("resources", resource.index, "schema")
    issues = schema_issues(resource.schema, resource.standard, place)
    if issues:
        faulty = {i.field for i in issues}
        return issues + [i for i in _field_errors(resource, place) if i.field not in faulty]
    # What the standard allows but opendata's reader cannot use yet (never silently skipped).
    problem = shape_problem(resource.schema, "table-schema")
    if problem is not None:
        return [place.issue("schema-error", f"opendata cannot read this schema yet: {problem}")]
    return _field_errors(resource, place)


def _field_errors(resource: Resource, place: Place) -> list[Issue]:
    """Fields the standard accepts but that cannot be checked: bad patterns, misfit bounds.

    frictionless raises on these when it reads the table; here they make the schema invalid.
    """
    issues = []
    raw = (resource.schema or {}).get("fields")
    positions = (
        [i for i, d in enumerate(raw) if isinstance(d, dict)] if isinstance(raw, list) else []
    )
    for index, f in zip(positions, resource.fields, strict=False):
        at = replace(place, field=f.name).down("fields", index)
        pattern = f.constraints.get("pattern")
        if pattern is not None and not _compiles(pattern):
            problem = f"pattern {pattern!r} of field {f.name!r} is not a regular expression"
            issues.append(at.issue("field-error", problem, "constraints", "pattern"))
        if f.type not in KNOWN_TYPES:
            issues.append(
                at.issue("field-error", f"field type {f.type!r} is not supported", "type")
            )
            continue
        for name, value in _constraint_values(f):
            if not _fits(f, value):
                problem = f"{name} {value!r} of field {f.name!r} is not a valid {f.type}"
                key = "enum" if name == "enum member" else name
                issues.append(at.issue("field-error", problem, "constraints", key))
    return issues


BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _constraint_values(f: Field) -> list[tuple[str, Any]]:
    """(constraint, value) of every bound and enum member a field declares."""
    c = f.constraints
    found = [(name, c[name]) for name in BOUNDS if c.get(name) is not None]
    if isinstance(c.get("enum"), list):
        found.extend(("enum member", v) for v in c["enum"] if v is not None)
    return found


def _fits(f: Field, value: Any) -> bool:
    """Whether a constraint value can be read as the field's type (frictionless would raise)."""
    from opendata.structural.parsers import python_value

    if isinstance(value, bool) and f.type != "boolean":
        return False
    if f.type in ("integer", "number", "year") and not isinstance(value, str | int | float):
        return False
    if f.type in ("date", "datetime", "time", "yearmonth") and not isinstance(value, str):
        return f.type == "yearmonth" and isinstance(value, list)
    return f.type in ("any", "object", "array", "geojson") or python_value(f, value) is not None


def _compiles(pattern: Any) -> bool:
    import re

    try:
        re.compile(str(pattern))
    except re.error:
        return False
    return True


def _label_problem(
    label: str, position: int, field: Field, seen: set[str]
) -> tuple[str, str] | None:
    """The frictionless code and a message for a header label, or None when it is right."""
    if label == "":
        return "blank-label", f"column {position} has a blank label; expected {field.name!r}"
    if label in seen:
        return "duplicate-label", f"label {label!r} in column {position} repeats an earlier one"
    if label != field.name:
        return (
            "incorrect-label",
            f"column {position} is labelled {label!r}; the schema expects {field.name!r}",
        )
    return None


def expected_fields(found: Findings, labels: list[str], fields: list[Field]) -> list[Field]:
    """Check the header against the schema; the fields each column is read as (by position)."""
    seen: set[str] = set()
    for i, label in enumerate(labels):
        details: dict[str, Any] = {"position": i + 1, "actual": label}
        if i >= len(fields):
            message = f"column {i + 1} ({label!r}) has no field in the schema"
            found.add("extra-label", message, row=1, line=1, details=details)
        else:
            problem = _label_problem(label, i + 1, fields[i], seen)
            if problem:
                details["expected"] = fields[i].name
                found.add(*problem, row=1, line=1, field=fields[i].name, details=details)
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
    expected = list(fields[: len(labels)])
    for i in range(len(fields), len(labels)):
        expected.append(Field(name=labels[i] or f"field{i + 1}", type="any"))
    return expected
