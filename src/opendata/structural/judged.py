"""Constraints on values kept as written (yearmonth, geopoint, duration, JSON, lists, `any` dates).

Such a column holds text, whose order and equality are not the values': `2020-9` comes after
`2020-10` as text, `[1, 2]` equals `[1,2]` as an array. Each distinct text is read once by the
field's parser and its constraints decided on the value, as frictionless decides them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from opendata.io.plan import arrow_type
from opendata.structural.parsers import INVALID, partial_any_date, python_value, scalar_parser

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.package import Field

BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": operator.ge,
    "maximum": operator.le,
    "exclusiveMinimum": operator.gt,
    "exclusiveMaximum": operator.lt,
}
SIZED = ("array", "object", "list")  # minLength/maxLength count items, not characters
JSON_SCHEMA_TYPES = ("array", "object")  # Table Schema v2's `jsonSchema` constraint


def compared_in_python(field: Field) -> bool:
    """Whether a field's values are held as text but constrained as values of its type."""
    import pyarrow as pa

    return field.type not in ("string", "any") and pa.types.is_string(arrow_type(field))


def python_masks(field: Field, values: pa.Array) -> list[tuple[str, Any, pa.Array]]:
    """(constraint, its value, mask of violating cells), each distinct text decided in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    checks = _checks(field)
    if not checks:
        return []
    encoded = pc.dictionary_encode(values)
    parse = scalar_parser(field)
    decided = [parse(text) for text in encoded.dictionary.to_pylist()]
    out = []
    for name, bound, ok in checks:
        bad = [value is not INVALID and not _holds(ok, value) for value in decided]
        if any(bad):
            mask = pc.fill_null(pc.take(pa.array(bad, pa.bool_()), encoded.indices), False)
            out.append((name, bound, mask))
    return out


def _holds(ok: Callable[[Any], bool], value: Any) -> bool:
    try:
        return ok(value)
    except TypeError:  # a bound of another kind (e.g. a naive against an aware time): no verdict
        return True


def _within(op: Callable[[Any, Any], bool], bound: Any, value: Any) -> bool:
    return bool(op(value, bound))


def _checks(field: Field) -> list[tuple[str, Any, Callable[[Any], bool]]]:
    """Each declared constraint as a predicate on a parsed value (True: the value satisfies it)."""
    c = field.constraints
    out: list[tuple[str, Any, Callable[[Any], bool]]] = []
    for name, op in BOUNDS.items():
        bound = python_value(field, c[name]) if c.get(name) is not None else None
        if bound is not None:
            out.append((name, c[name], partial(_within, op, bound)))
    if field.type in SIZED:
        if isinstance(c.get("minLength"), int):
            out.append(("minLength", c["minLength"], lambda v: len(v) >= c["minLength"]))
        if isinstance(c.get("maxLength"), int):
            out.append(("maxLength", c["maxLength"], lambda v: len(v) <= c["maxLength"]))
    if isinstance(c.get("enum"), list):
        members = [python_value(field, m) for m in c["enum"]]
        out.append(("enum", c["enum"], lambda v: v in members))
    if field.type in JSON_SCHEMA_TYPES and isinstance(c.get("jsonSchema"), dict):
        validator = _validator(c["jsonSchema"])
        if validator is not None:
            out.append(("jsonSchema", c["jsonSchema"], validator.is_valid))
    return out


def _validator(schema: dict[str, Any]) -> Any:
    """A validator of the draft the schema names (the latest when it names none); None if invalid.

    An invalid JSON Schema is the Table Schema's problem, for the schema check to report.
    """
    import jsonschema.exceptions
    import jsonschema.validators

    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError:
        return None
    return cls(schema)


def key_values(field: Field, values: pa.Array) -> pa.Array:
    """The column as keys compare it: values kept as text become one spelling per value.

    frictionless compares key cells as values: `2020-1` repeats `2020-01`, `PT24H` repeats
    `P1D`. Each distinct text is given its value's canonical spelling (nulls stay null).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not compared_in_python(field):
        return values
    if not pa.types.is_dictionary(values.type):
        values = pc.dictionary_encode(values)
    parse = scalar_parser(field)
    # A partial date (`1850-01`, `Jan 1850`) is its own value, not the first day of its month.
    any_format, with_time = field.format == "any", field.type == "datetime"
    words = [
        None
        if w is None
        else (any_format and partial_any_date(w, with_time)) or _spelling(parse(w))
        for w in values.dictionary.to_pylist()
    ]
    return pc.take(pa.array(words, pa.string()), values.indices)


def _spelling(value: Any) -> str | None:
    """One text per value: what a key compares for types held as text."""
    import json
    from datetime import date, time, timedelta
    from decimal import Decimal

    if value is INVALID:
        return None
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], Decimal):
        return ",".join(str(v.normalize()) for v in value)  # a geopoint
    if isinstance(value, tuple):
        return f"{value[0]:04d}-{value[1]:02d}"  # a yearmonth
    if isinstance(value, timedelta) or type(value).__name__ == "Duration":
        import isodate

        return str(isodate.duration_isoformat(value))
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
