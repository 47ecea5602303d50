"""Scalar parsers: one text cell to a Table Schema type's value, by frictionless's Python rules."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from opendata.io.plan import DEFAULT_FALSE, DEFAULT_TRUE

if TYPE_CHECKING:
    from opendata.package import Field


KNOWN_TYPES = {
    "string",
    "number",
    "integer",
    "boolean",
    "object",
    "array",
    "list",
    "date",
    "time",
    "datetime",
    "year",
    "yearmonth",
    "duration",
    "geopoint",
    "geojson",
    "any",
}


# What a parser returns for a cell frictionless reports as a type-error.
INVALID = object()


def _bare_number_pattern() -> re.Pattern[str]:
    return re.compile(r"((^[^-\d]*)|(\D*$))")


def scalar_parser(field: Field) -> Callable[[str], Any]:
    """A Python function text -> typed value, returning INVALID where frictionless reports a type-error."""
    d = field.descriptor
    ftype, fmt = field.type, field.format
    if ftype == "integer":
        return _integer_parser(d)
    if ftype == "number":
        return _number_parser(d)
    if ftype == "boolean":
        mapping = {v: True for v in d.get("trueValues", DEFAULT_TRUE)}
        mapping.update({v: False for v in d.get("falseValues", DEFAULT_FALSE)})
        return lambda cell: mapping.get(cell, INVALID)
    if ftype == "year":
        return _parse_year
    if ftype == "date":
        return _date_parser(fmt)
    if ftype == "datetime":
        return _datetime_parser(fmt)
    if ftype == "time":
        return _time_parser(fmt)
    if ftype == "yearmonth":
        return _parse_yearmonth
    if ftype in ("object", "array", "list", "geojson", "geopoint", "duration"):
        return _json_like_parser(ftype, d)
    if ftype == "string":
        return _string_parser(fmt)
    return lambda cell: cell


def _integer_parser(d: dict[str, Any]) -> Callable[[str], Any]:
    bare = d.get("bareNumber", True)
    pattern = None if bare else _bare_number_pattern()

    def parse_integer(cell: str) -> Any:
        cell = cell.strip()
        if pattern:
            cell = pattern.sub("", cell)
        try:
            return int(cell)
        except ValueError:
            return INVALID

    return parse_integer


def _number_parser(d: dict[str, Any]) -> Callable[[str], Any]:
    bare = d.get("bareNumber", True)
    pattern = None if bare else _bare_number_pattern()
    group = d.get("groupChar", "")
    decimal_char = d.get("decimalChar", ".")
    processing = any(k in d for k in ("groupChar", "decimalChar", "bareNumber"))

    def parse_number(cell: str) -> Any:
        cell = cell.strip()
        if processing:
            if pattern:
                cell = pattern.sub("", cell)
            if group:
                cell = cell.replace(group, "")
            if decimal_char != "." and "." in cell:
                return INVALID
            cell = cell.replace(decimal_char, ".")
        try:
            return float(Decimal(cell))
        except (InvalidOperation, ValueError):
            return INVALID

    return parse_number


def _parse_year(cell: str) -> Any:
    if len(cell) != 4:
        return INVALID
    try:
        value = int(cell)
    except ValueError:
        return INVALID
    return value if 0 <= value <= 9999 else INVALID


def _parse_yearmonth(cell: str) -> Any:
    try:
        year, month = cell.split("-")
        int(year)
        if not 1 <= int(month) <= 12:
            return INVALID
    except ValueError:
        return INVALID
    return cell


def _date_parser(fmt: str) -> Callable[[str], Any]:
    def parse(cell: str) -> Any:
        try:
            if fmt == "default":
                return datetime.strptime(cell, "%Y-%m-%d").date()
            if fmt == "any":
                from dateutil import parser as dateutil_parser

                return dateutil_parser.parse(cell).date()
            return datetime.strptime(cell, fmt).date()
        except (ValueError, OverflowError):
            return INVALID

    return parse


def _naive(value: datetime) -> datetime:

    if value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _datetime_parser(fmt: str) -> Callable[[str], Any]:
    def parse(cell: str) -> Any:
        from dateutil import parser as dateutil_parser

        try:
            if fmt == "default":
                if len(cell) < 19 or cell[16] != ":":
                    return INVALID
                return _naive(dateutil_parser.isoparse(cell))
            if fmt == "any":
                return _naive(dateutil_parser.parse(cell))
            return _naive(datetime.strptime(cell, fmt))
        except (ValueError, OverflowError, IndexError):
            return INVALID

    return parse


def _time_parser(fmt: str) -> Callable[[str], Any]:
    def parse(cell: str) -> Any:
        from dateutil import parser as dateutil_parser

        try:
            if fmt == "default":
                if len(cell) < 8 or cell[5] != ":":
                    return INVALID
                value: time = dateutil_parser.isoparse(f"2000-01-01T{cell}").time()
                return value
            if fmt == "any":
                return dateutil_parser.parse(cell).time()
            return datetime.strptime(cell, fmt).time()
        except (ValueError, OverflowError, IndexError):
            return INVALID

    return parse


def _json_like_parser(ftype: str, d: dict[str, Any]) -> Callable[[str], Any]:
    def parse(cell: str) -> Any:
        if ftype == "list":
            return cell
        if ftype == "duration":
            return (
                cell
                if re.fullmatch(
                    r"P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?",
                    cell,
                )
                else INVALID
            )
        if ftype == "geopoint":
            parts = cell.split(",")
            try:
                lon, lat = (float(p) for p in parts)
            except ValueError:
                return INVALID
            return cell if -180 <= lon <= 180 and -90 <= lat <= 90 else INVALID
        try:
            value = json.loads(cell)
        except (ValueError, RecursionError):  # frictionless: any failure is a type error
            return INVALID
        expected = {"object": dict, "geojson": dict, "array": list}[ftype]
        return cell if isinstance(value, expected) else INVALID

    return parse


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _string_parser(fmt: str) -> Callable[[str], Any]:
    if fmt == "email":
        return lambda cell: cell if _EMAIL.match(cell) else INVALID
    if fmt == "uri":

        def parse_uri(cell: str) -> Any:
            from urllib.parse import urlparse

            parsed = urlparse(cell)
            return cell if parsed.scheme and parsed.netloc else INVALID

        return parse_uri
    if fmt == "uuid":

        def parse_uuid(cell: str) -> Any:
            try:
                uuid.UUID(cell)
            except ValueError:
                return INVALID
            return cell

        return parse_uuid
    return lambda cell: cell


def python_value(field: Field, value: Any) -> Any:
    """Parse a constraint value (minimum, enum member) as frictionless does: text through the field's parser."""
    if isinstance(value, str):
        parsed = scalar_parser(field)(value)
        return None if parsed is INVALID else parsed
    if field.type == "number" and isinstance(value, int | float):
        return float(value)
    return value
