"""A Table Schema against the standard (v1 and v2): the schema's own properties, then each field's.

The rules are frictionless 5.21's (`Schema` and `Field.metadata_validate`), reported in full:
each field's findings and the schema's are all given, with the JSON pointer of the value at
fault. A field whose type the standard does not know gets that one finding (frictionless stops
the whole validation there).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opendata.package import Field
from opendata.report import Issue
from opendata.structural.profiles import Place, profile_issues

# Constraints each type supports beyond `required` and `unique` (frictionless's fields/*.py).
_BOUNDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
SUPPORTED = {
    "any": ["enum"],
    "array": ["minLength", "maxLength", "enum"],
    "boolean": ["enum"],
    "date": [*_BOUNDS, "enum"],
    "datetime": [*_BOUNDS, "enum"],
    "duration": ["enum"],
    "geojson": ["enum"],
    "geopoint": ["enum"],
    "integer": [*_BOUNDS, "enum"],
    "list": ["minLength", "maxLength"],
    "number": [*_BOUNDS, "enum"],
    "object": ["minLength", "maxLength", "enum"],
    "string": ["minLength", "maxLength", "pattern", "enum"],
    "time": [*_BOUNDS, "enum"],
    "year": [*_BOUNDS, "enum"],
    "yearmonth": [*_BOUNDS, "enum"],
}


def schema_issues(schema: dict[str, Any], version: str, place: Place) -> list[Issue]:
    """Every way a Table Schema and its fields break the standard of VERSION ("v1", "v2", "unknown")."""
    schema = _as_frictionless_reads(schema)
    issues = profile_issues(schema, "standard-schema", "schema-error", place)
    fields = schema.get("fields")
    fields = fields if isinstance(fields, list) else []
    if not issues:
        issues.extend(_schema_rules(schema, fields, version, place))
    for index, field in enumerate(fields):
        issues.extend(field_issues(field, version, place.down("fields", index)))
    return issues


def _as_frictionless_reads(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with a single primary-key or foreign-key field name read as a list of one."""
    schema = dict(schema)
    pk = schema.get("primaryKey")
    if pk and not isinstance(pk, list):
        schema["primaryKey"] = [pk]
    fks = schema.get("foreignKeys")
    if fks and isinstance(fks, list):
        schema["foreignKeys"] = [_foreign_key(fk) if isinstance(fk, dict) else fk for fk in fks]
    return schema


def _foreign_key(fk: dict[str, Any]) -> dict[str, Any]:
    fk = {"fields": [], "reference": {}, **fk}
    if not isinstance(fk["fields"], list):
        fk["fields"] = [fk["fields"]]
    if isinstance(fk["reference"], dict):
        ref = {"resource": "", "fields": [], **fk["reference"]}
        if not isinstance(ref["fields"], list):
            ref["fields"] = [ref["fields"]]
        fk["reference"] = ref
    return fk


def _schema_rules(
    schema: dict[str, Any], fields: list[Any], version: str, place: Place
) -> list[Issue]:
    """The schema's rules across properties: unique field names, keys naming fields, missing values."""
    issues = []
    names = [f["name"] for f in fields if isinstance(f, dict) and "name" in f]
    if len(names) != len({repr(n) for n in names}):
        issues.append(place.issue("schema-error", "names of the fields are not unique", "fields"))
    for index, name in enumerate(schema.get("primaryKey") or []):
        if name not in names:
            issues.append(
                place.issue(
                    "schema-error", f"primary key {name!r} is not a field", "primaryKey", index
                )
            )
    issues.extend(_missing_values(schema, version, "schema-error", place))
    for index, fk in enumerate(schema.get("foreignKeys") or []):
        at = place.down("foreignKeys", index)
        for name in fk["fields"]:
            if name not in names:
                issues.append(at.issue("schema-error", f"foreign key {name!r} is not a field"))
        if len(fk["fields"]) != len(fk["reference"]["fields"]):
            issues.append(
                at.issue(
                    "schema-error",
                    f"foreign key fields {fk['fields']} do not match the reference fields "
                    f"{fk['reference']['fields']} in number",
                )
            )
    return issues


def _missing_values(
    descriptor: dict[str, Any], version: str, code: str, place: Place
) -> list[Issue]:
    """Missing values in object form (v2) have unique values and labels, and are not allowed in v1."""
    entries = descriptor.get("missingValues") or []
    if not any(isinstance(e, dict) for e in entries):
        return []
    issues = []
    values = [e["value"] if isinstance(e, dict) else e for e in entries]
    labels = [e["label"] for e in entries if isinstance(e, dict) and e.get("label") is not None]
    for kind, items in (("value", values), ("label", labels)):
        for item in sorted({repr(v) for v in items if items.count(v) > 1}):
            issues.append(
                place.issue(code, f"missing value {kind} {item} is not unique", "missingValues")
            )
    if version == "v1":
        issues.append(
            place.issue(code, "missing values in object form need Data Package v2", "missingValues")
        )
    return issues


def field_issues(field: Any, version: str, place: Place) -> list[Issue]:
    """Every way one field breaks the standard of VERSION."""
    name = field.get("name") if isinstance(field, dict) else None
    place = replace(place, field=name if isinstance(name, str) else None)
    if not isinstance(field, dict):
        return [place.issue("field-error", f"{field!r} is not an object")]
    kind = field.get("type") or "string"
    if kind not in SUPPORTED:
        return [place.issue("field-error", f"field type {kind!r} is not supported", "type")]
    field = dict(field)
    if isinstance(field.get("format"), str) and field["format"].startswith("fmt:"):
        field["format"] = field["format"][len("fmt:") :]
    issues = profile_issues(field, "standard-field", "field-error", place, patch=f"types/{kind}")
    if not issues:
        issues.extend(_field_rules(field, kind, version, place))
    return issues


def _field_rules(field: dict[str, Any], kind: str, version: str, place: Place) -> list[Issue]:
    """A field's rules across properties: constraints its type supports, v2-only ones, its example."""
    issues = []
    constraints = field.get("constraints") or {}
    for name in constraints:
        if name == "jsonSchema" and kind in ("object", "array"):
            continue  # Table Schema v2's (below); frictionless 5.21 refuses it (docs/compatibility.md)
        if name not in [*SUPPORTED[kind], "required", "unique"]:
            problem = f"constraint {name!r} is not supported by type {kind!r}"
            issues.append(place.issue("field-error", problem, "constraints", name))
    issues.extend(_missing_values(field, version, "field-error", place))
    if version == "v1":
        for name in ("exclusiveMinimum", "exclusiveMaximum", "jsonSchema"):
            if name in constraints and (name != "jsonSchema" or kind in ("object", "array")):
                problem = f"constraint {name!r} needs Data Package v2"
                issues.append(place.issue("field-error", problem, "constraints", name))
    example = field.get("example")
    if example and not _example_fits(field, kind, example):
        problem = f"example {example!r} is not a valid {kind}"
        issues.append(place.issue("field-error", problem, "example"))
    if "required" in field:
        problem = '"required" belongs in "constraints"'
        issues.append(place.issue("field-error", problem, "required"))
    return issues


# The non-text example values each type reads as valid (frictionless's value readers).
_NATIVE: dict[str, tuple[type, ...]] = {
    "any": (object,),
    "array": (list,),
    "boolean": (bool,),
    "geojson": (dict,),
    "geopoint": (list, dict),
    "integer": (int,),
    "number": (int, float),
    "object": (dict,),
    "year": (int,),
}


def _example_fits(field: dict[str, Any], kind: str, example: Any) -> bool:
    """Whether the field's `example` reads as a value of its type and format."""
    from opendata.structural.parsers import INVALID, scalar_parser

    if not isinstance(example, str):
        if isinstance(example, bool) and kind not in ("boolean", "any"):
            return False
        return isinstance(example, _NATIVE.get(kind, ()))
    descriptor = {"type": kind, "format": field.get("format", "default")}
    if kind == "boolean":
        descriptor.update({k: field[k] for k in ("trueValues", "falseValues") if k in field})
    checked = Field(
        name=str(field["name"]), type=kind, format=descriptor["format"], descriptor=descriptor
    )
    try:
        return scalar_parser(checked)(example) is not INVALID
    except Exception:  # a format the parsers cannot apply: the example cannot be read either
        return False
