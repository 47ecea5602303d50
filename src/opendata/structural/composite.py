"""Parsers of the composite Table Schema types: geopoint, geojson, object, array, list, duration.

Each turns one text cell into the value frictionless compares constraints with (a tuple, a dict,
a list, an ISO 8601 duration), or INVALID where frictionless reports a type-error. The table
keeps these cells as written (see opendata.io.plan.arrow_type); the values only decide types
and constraints.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

# What a parser returns for a cell frictionless reports as a type-error.
INVALID = object()

# The item types a v2 `list` field may declare (Table Schema v2, as frictionless reads it).
LIST_ITEM_TYPES = ("string", "integer", "boolean", "number", "datetime", "date", "time")


def geopoint_parser(fmt: str) -> Callable[[str], Any]:
    """`lon,lat`, `[lon, lat]` or `{"lon": .., "lat": ..}` to a (lon, lat) pair of Decimals."""

    def parse(cell: str) -> Any:
        try:
            if fmt == "array":
                lon, lat = json.loads(cell)
            elif fmt == "object":
                point = json.loads(cell)
                if len(point) != 2:
                    return INVALID
                lon, lat = point["lon"], point["lat"]
            else:
                lon, lat = (part.strip() for part in cell.split(","))
            return _point(lon, lat)
        except (ValueError, TypeError, KeyError, ArithmeticError, RecursionError):
            return INVALID

    return parse


def geopoint_value(value: Any) -> Any:
    """A constraint's geopoint given as a list or an object (not text), as a (lon, lat) pair."""
    try:
        if isinstance(value, dict):
            return _point(value["lon"], value["lat"])
        return _point(*value)
    except (ValueError, TypeError, KeyError, ArithmeticError):
        return INVALID


def _point(lon: Any, lat: Any) -> Any:
    # frictionless: Decimal(lon), Decimal(lat), each within its range (a float goes in as is).
    pair = (Decimal(lon), Decimal(lat))
    if not (-180 <= pair[0] <= 180 and -90 <= pair[1] <= 90):
        return INVALID
    return pair


def json_parser(ftype: str, fmt: str) -> Callable[[str], Any]:
    """JSON text to a dict (object, geojson) or a list (array); geojson checked against its profile."""
    expected = list if ftype == "array" else dict
    profile = _profile_validator(fmt) if ftype == "geojson" else None

    def parse(cell: str) -> Any:
        try:
            value = json.loads(cell)
        except (ValueError, RecursionError):  # frictionless: any failure is a type error
            return INVALID
        if not isinstance(value, expected):
            return INVALID
        if profile is not None and not profile.is_valid(value):
            return INVALID
        return value

    return parse


@cache
def _profile_validator(fmt: str) -> Any:
    """frictionless's GeoJSON (default) or TopoJSON profile as a validator; None for other formats.

    The profiles are read from frictionless's installed assets without importing frictionless.
    """
    import importlib.util

    import jsonschema.validators

    name = {"default": "geojson.json", "topojson": "topojson.json"}.get(fmt)
    spec = importlib.util.find_spec("frictionless")
    if name is None or spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "profiles" / name
    profile = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(profile)(profile)


def list_parser(descriptor: dict[str, Any], item: Callable[[str], Any]) -> Callable[[str], Any]:
    """A v2 `list` cell split on its delimiter, each item read by `item` (its type's default format)."""
    delimiter = descriptor.get("delimiter", ",")

    def parse(cell: str) -> Any:
        items = []
        for text in cell.split(delimiter):
            value = item(text)
            if value is INVALID:
                return INVALID
            items.append(value)
        return items

    return parse


def parse_duration(cell: str) -> Any:
    """An ISO 8601 duration as isodate reads it (frictionless's parser), or INVALID."""
    import isodate

    try:
        return isodate.parse_duration(cell)
    except Exception:  # isodate raises several kinds; frictionless takes any as a type error
        return INVALID


def parse_binary(cell: str) -> Any:
    """Base64 text as Python's b64decode accepts it (frictionless's test); the text, or INVALID."""
    import base64
    import binascii

    try:
        base64.b64decode(cell)
    except (binascii.Error, ValueError):
        return INVALID
    return cell


def parse_uri(cell: str) -> Any:
    """A URI with a scheme, by RFC 3986 (frictionless's test: `mailto:a@b.c` is one); or INVALID."""
    import rfc3986
    import rfc3986.validators
    from rfc3986.exceptions import ValidationError

    validator = rfc3986.validators.Validator().require_presence_of("scheme")
    try:
        validator.validate(rfc3986.uri_reference(cell))
    except ValidationError:
        return INVALID
    return cell
