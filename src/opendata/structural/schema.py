"""The Table Schema itself and the header against it: schema errors and label problems."""

from __future__ import annotations

from typing import Any

from opendata.codes import known
from opendata.package import Field, Resource, shape_problem
from opendata.report import Issue
from opendata.structural.findings import Findings
from opendata.structural.parsers import KNOWN_TYPES


def check_schema(resource: Resource) -> list[Issue]:
    """Problems in the Table Schema itself (unknown types, bad keys), via frictionless's metadata check."""
    from frictionless import Schema

    where = resource.schema_path or resource.path
    if resource.schema is None:
        return []  # a file needs none, and a table's is inferred as frictionless infers it
    problem = shape_problem(resource.schema, "table-schema")
    if problem is not None:
        # frictionless itself may raise on such a schema (a string for `fields`), so it is not asked.
        return [_schema_error(resource, f"invalid schema {problem}")]
    issues = [
        Issue(
            code=known(str(err.type), "metadata-error"),
            layer="descriptor",
            resource=resource.name,
            path=where,
            message=f"invalid schema: {err.note}",
        )
        for err in Schema.validate_descriptor(resource.schema).errors
    ]
    return issues or _field_errors(resource)


def _schema_error(resource: Resource, message: str) -> Issue:
    """A `schema-error` finding on the resource's schema."""
    return Issue(
        code="schema-error",
        layer="descriptor",
        resource=resource.name,
        path=resource.schema_path or resource.path,
        message=message,
    )


def _field_errors(resource: Resource) -> list[Issue]:
    """Fields frictionless accepts but that cannot be checked: bad patterns, unknown types, misfit constraints."""

    def field_error(name: str, problem: str) -> Issue:
        return Issue(
            code="field-error",
            layer="descriptor",
            resource=resource.name,
            path=resource.schema_path or resource.path,
            field=name,
            message=f"invalid schema: {problem}",
        )

    issues = []
    for f in resource.fields:
        pattern = f.constraints.get("pattern")
        if pattern is not None and not _compiles(pattern):
            issues.append(
                field_error(
                    f.name, f"pattern {pattern!r} of field {f.name!r} is not a regular expression"
                )
            )
        if f.type not in KNOWN_TYPES:
            issues.append(field_error(f.name, f"field type {f.type!r} is not supported"))
            continue
        for name, value in _constraint_values(f):
            if not _fits(f, value):
                issues.append(
                    field_error(
                        f.name,
                        f"{name} {value!r} of field {f.name!r} is not a valid {f.type}",
                    )
                )
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
