"""Structural findings computed in Spark: their common columns, and each as an Issue with the local engine's message."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opendata.package import Field, Resource
from opendata.report import jsonable
from opendata.structural.findings import Findings

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


# The columns of a finding computed in Spark; `actual` and `key` are JSON text.
FINDING = (
    "code string, field string, rule string, row bigint, line bigint, actual string, "
    "position int, first_row bigint, key string"
)


def finding(
    frame: DataFrame,
    code: str,
    field: str | None,
    rule: str,
    *,
    actual: Column | None = None,
    position: Column | None = None,
    first_row: Column | None = None,
    key: Column | None = None,
) -> DataFrame:
    """Rows of `frame` as findings (the common columns of every finding)."""
    from pyspark.sql import functions as F

    def text(c: Column | None) -> Column:
        return F.lit(None).cast("string") if c is None else c

    return frame.select(
        F.lit(code).alias("code"),
        F.lit(field).cast("string").alias("field"),
        F.lit(rule).alias("rule"),
        F.col("row").cast("bigint").alias("row"),
        F.col("line").cast("bigint").alias("line"),
        text(actual).alias("actual"),
        (F.lit(None) if position is None else position).cast("int").alias("position"),
        (F.lit(None) if first_row is None else first_row).cast("bigint").alias("first_row"),
        text(key).alias("key"),
    )


def as_json(value: Column) -> Column:
    """A value as JSON text (a one-item array, so that any type serialises)."""
    from pyspark.sql import functions as F

    return F.to_json(F.array(value))


# A finding's message and its Issue's other keywords; from (hit, actual, resource, fields by name).
Said = tuple[str, dict[str, Any]]
Words = Callable[[Any, Any, Resource, dict[str, Field]], Said]


def describe(found: Findings, hit: Any, resource: Resource, fields: list[Field]) -> None:
    """Turn one finding computed in Spark into an Issue with the local engine's message."""
    code = hit["code"]
    actual = json.loads(hit["actual"])[0] if hit["actual"] and code != "foreign-key" else None
    required = code == "constraint-error" and hit["rule"] == "constraint:required"
    words = _WORDS.get("required" if required else code)
    if words is None:
        return
    by_name = {f.name: f for f in fields}
    message, kw = words(hit, actual, resource, by_name)
    found.add(code, message, row=hit["row"], line=hit["line"], **kw)


def _missing_cell(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    name = hit["field"]
    return f"row has no cell for field {name!r}", {
        "field": name,
        "rule": hit["rule"],
        "details": {"expected": name, "actual": None},
    }


def _type_error(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    name = hit["field"]
    f = by_name[name]
    kind = f"{f.type}" + (f" ({f.format})" if f.format != "default" else "")
    return f"{actual!r} is not a valid {kind}", {
        "field": name,
        "rule": hit["rule"],
        "details": {"expected": f"{f.type}/{f.format}", "actual": actual},
    }


def _required(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    name = hit["field"]
    return f"field {name!r} is required but the cell is empty", {
        "field": name,
        "rule": hit["rule"],
        "details": {"constraint": "required", "expected": "a value", "actual": None},
    }


def _constraint(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    name, rule = hit["field"], hit["rule"]
    constraint = rule.split(":", 1)[1]
    bound = by_name[name].constraints[constraint]
    value = jsonable(actual)
    return f"{value!r} violates {constraint} {bound!r}", {
        "field": name,
        "rule": rule,
        "details": {"constraint": constraint, "expected": bound, "actual": value},
    }


def _extra_cell(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    position = hit["position"]
    return f"row has an extra cell {actual!r} in column {position}", {
        "rule": hit["rule"],
        "details": {"position": position, "actual": actual},
    }


def _blank_row(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    return "row is completely blank", {"rule": hit["rule"]}


def _unique(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    name, first = hit["field"], hit["first_row"]
    return f"{actual!r} in field {name!r} repeats the value of row {first}", {
        "field": name,
        "rule": hit["rule"],
        "details": {"constraint": "unique", "actual": actual, "first_row": first},
    }


def _primary_key(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    names = [n for n in resource.primary_key]
    if hit["key"] is None:
        return f"primary key ({', '.join(names)}) is empty", {
            "rule": hit["rule"],
            "details": {"fields": names, "actual": None},
        }
    value = json.loads(hit["key"])
    first = hit["first_row"]
    return f"primary key ({', '.join(names)}) = {value} repeats row {first}", {
        "rule": hit["rule"],
        "details": {"fields": names, "actual": value, "first_row": first},
    }


def _foreign_key(hit: Any, actual: Any, resource: Resource, by_name: dict[str, Field]) -> Said:
    meta = json.loads(hit["actual"])
    value = json.loads(hit["key"])
    ref_name, names, ref_fields = meta["reference"], meta["fields"], meta["reference_fields"]
    message = f"({', '.join(names)}) = {value} not found in {ref_name} ({', '.join(ref_fields)})"
    return message, {
        "field": hit["field"],
        "rule": hit["rule"],
        "details": {
            "fields": names,
            "actual": value,
            "reference": ref_name,
            "reference_fields": ref_fields,
        },
    }


_WORDS: dict[str, Words] = {
    "missing-cell": _missing_cell,
    "type-error": _type_error,
    "required": _required,
    "constraint-error": _constraint,
    "extra-cell": _extra_cell,
    "blank-row": _blank_row,
    "unique-error": _unique,
    "primary-key": _primary_key,
    "foreign-key": _foreign_key,
}
