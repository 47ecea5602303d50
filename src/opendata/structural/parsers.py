"""Scalar parsers: one text cell to a Table Schema type's value, by frictionless's Python rules."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from opendata.io.plan import DEFAULT_FALSE, DEFAULT_TRUE
from opendata.structural.composite import (
    INVALID,
    LIST_ITEM_TYPES,
    geopoint_parser,
    geopoint_value,
    json_parser,
    list_parser,
    parse_binary,
    parse_duration,
    parse_uri,
)

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


__all__ = ["INVALID", "KNOWN_TYPES", "partial_any_date", "python_value", "scalar_parser"]

# dateutil fills the parts a `format: any` date leaves out from its `default`, which frictionless
# leaves at today: `1850-01` is read as the 2nd of January on the 2nd of a month. A fixed default
# makes the reading a function of the text (the first day of the period), never of the clock.
ANY_DEFAULT = datetime(2000, 1, 1)
_OTHER_DEFAULT = datetime(2001, 2, 2)


def partial_any_date(cell: str, with_time: bool = False) -> str | None:
    """The parts a `format: any` date gives when it leaves some out (`1850-01-??`); else None.

    `with_time` (a datetime): the time of day follows (`????-??-??T10:00:00`).
    """
    from dateutil import parser as dateutil_parser

    try:
        one = dateutil_parser.parse(cell, default=ANY_DEFAULT)
        other = dateutil_parser.parse(cell, default=_OTHER_DEFAULT)
    except (ValueError, OverflowError):
        return None
    if one.date() == other.date():
        return None
    year = f"{one.year:04d}" if one.year == other.year else "????"
    month = f"{one.month:02d}" if one.month == other.month else "??"
    day = f"{one.day:02d}" if one.day == other.day else "??"
    return f"{year}-{month}-{day}" + (f"T{_naive(one).time().isoformat()}" if with_time else "")


def _bare_number_pattern() -> re.Pattern[str]:
    return re.compile(r"((^[^-\d]*)|(\D*$))")


def scalar_parser(field: Field) -> Callable[[str], Any]:
    """A Python function text -> typed value, returning INVALID where frictionless reports a type-error."""
    d = field.descriptor
    # Table Schema v1 once spelled a pattern `fmt:%d/%m/%Y`; frictionless drops the prefix.
    ftype, fmt = field.type, field.format.removeprefix("fmt:")
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
    if ftype == "geopoint":
        return geopoint_parser(fmt)
    if ftype in ("object", "array", "geojson"):
        return json_parser(ftype, fmt)
    if ftype == "list":
        return _list_parser(d)
    if ftype == "duration":
        return parse_duration
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
    """(year, month), compared as frictionless compares its yearmonth tuples."""
    try:
        year, month = cell.split("-")
        value = (int(year), int(month))
    except ValueError:
        return INVALID
    return value if 1 <= value[1] <= 12 else INVALID


def _list_parser(d: dict[str, Any]) -> Callable[[str], Any]:
    """A v2 list: each item read by its item type's default format (no missing values inside)."""
    from opendata.package import Field

    item_type = d.get("itemType", "string")
    item = scalar_parser(
        Field(name="item", type=item_type if item_type in LIST_ITEM_TYPES else "any")
    )
    return list_parser(d, item)


def _date_parser(fmt: str) -> Callable[[str], Any]:
    def parse(cell: str) -> Any:
        try:
            if fmt == "default":
                return datetime.strptime(cell, "%Y-%m-%d").date()
            if fmt == "any":
                from dateutil import parser as dateutil_parser

                return dateutil_parser.parse(cell, default=ANY_DEFAULT).date()
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
                return _naive(dateutil_parser.parse(cell, default=ANY_DEFAULT))
            return _naive(datetime.strptime(cell, fmt))
        except (ValueError, OverflowError, IndexError):
            return INVALID

    return parse


def _time_parser(fmt: str) -> Callable[[str], Any]:
    """Times as frictionless reads them; one with an offset (`10:00:00+02:00`) held in UTC, as datetimes are."""

    def parse(cell: str) -> Any:
        from dateutil import parser as dateutil_parser

        try:
            if fmt == "default":
                if len(cell) < 8 or cell[5] != ":":
                    return INVALID
                value: time = _naive(dateutil_parser.isoparse(f"2000-01-01T{cell}")).time()
                return value
            if fmt == "any":
                return _naive(dateutil_parser.parse(cell, default=ANY_DEFAULT)).time()
            return _naive(datetime.strptime(cell, fmt)).time()
        except (ValueError, OverflowError, IndexError):
            return INVALID

    return parse


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _string_parser(fmt: str) -> Callable[[str], Any]:
    if fmt == "email":
        return lambda cell: cell if _EMAIL.match(cell) else INVALID
    if fmt == "uri":
        return parse_uri
    if fmt == "binary":
        return parse_binary
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
    if field.type == "yearmonth" and isinstance(value, list):
        return tuple(value) if len(value) == 2 else None
    if field.type == "geopoint" and isinstance(value, list | dict):
        point = geopoint_value(value)
        return None if point is INVALID else point
    return value
