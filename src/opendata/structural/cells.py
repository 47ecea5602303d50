"""Parse text cells into Table Schema types, vectorised, with frictionless's exact semantics.

Every column is parsed in two steps. A fast path casts the whole column with pyarrow; the few
cells it does not accept — errors, or valid but unusual spellings such as ``+5`` or ``2020-1-1`` —
are decided one distinct value at a time by the same Python rules frictionless applies
(``int()``, ``Decimal()``, ``strptime``). The result is the typed column, a mask of cells that
do not parse, and a mask of missing cells.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.package import Field

DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
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
_INVALID = object()


def arrow_type(field: Field) -> pa.DataType:
    """The Arrow type a field's values are held in."""
    import pyarrow as pa

    return {
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us"),
        "time": pa.time64("us"),
        "year": pa.int64(),
    }.get(field.type, pa.string())


def _bare_number_pattern() -> re.Pattern[str]:
    return re.compile(r"((^[^-\d]*)|(\D*$))")


def scalar_parser(field: Field) -> Callable[[str], Any]:
    """A Python function text -> typed value, returning _INVALID where frictionless reports a type-error."""
    d = field.descriptor
    ftype, fmt = field.type, field.format

    if ftype == "integer":
        bare = d.get("bareNumber", True)
        pattern = None if bare else _bare_number_pattern()

        def parse_integer(cell: str) -> Any:
            cell = cell.strip()
            if pattern:
                cell = pattern.sub("", cell)
            try:
                return int(cell)
            except ValueError:
                return _INVALID

        return parse_integer

    if ftype == "number":
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
                    return _INVALID
                cell = cell.replace(decimal_char, ".")
            try:
                return float(Decimal(cell))
            except (InvalidOperation, ValueError):
                return _INVALID

        return parse_number

    if ftype == "boolean":
        mapping = {v: True for v in d.get("trueValues", DEFAULT_TRUE)}
        mapping.update({v: False for v in d.get("falseValues", DEFAULT_FALSE)})
        return lambda cell: mapping.get(cell, _INVALID)

    if ftype == "year":

        def parse_year(cell: str) -> Any:
            if len(cell) != 4:
                return _INVALID
            try:
                value = int(cell)
            except ValueError:
                return _INVALID
            return value if 0 <= value <= 9999 else _INVALID

        return parse_year

    if ftype == "date":
        return _date_parser(fmt)
    if ftype == "datetime":
        return _datetime_parser(fmt)
    if ftype == "time":
        return _time_parser(fmt)
    if ftype == "yearmonth":

        def parse_yearmonth(cell: str) -> Any:
            try:
                year, month = cell.split("-")
                int(year)
                if not 1 <= int(month) <= 12:
                    return _INVALID
            except ValueError:
                return _INVALID
            return cell

        return parse_yearmonth
    if ftype in ("object", "array", "list", "geojson", "geopoint", "duration"):
        return _json_like_parser(ftype, d)
    if ftype == "string":
        return _string_parser(fmt)
    return lambda cell: cell


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
            return _INVALID

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
                    return _INVALID
                return _naive(dateutil_parser.isoparse(cell))
            if fmt == "any":
                return _naive(dateutil_parser.parse(cell))
            return _naive(datetime.strptime(cell, fmt))
        except (ValueError, OverflowError, IndexError):
            return _INVALID

    return parse


def _time_parser(fmt: str) -> Callable[[str], Any]:
    def parse(cell: str) -> Any:
        from dateutil import parser as dateutil_parser

        try:
            if fmt == "default":
                if len(cell) < 8 or cell[5] != ":":
                    return _INVALID
                value: time = dateutil_parser.isoparse(f"2000-01-01T{cell}").time()
                return value
            if fmt == "any":
                return dateutil_parser.parse(cell).time()
            return datetime.strptime(cell, fmt).time()
        except (ValueError, OverflowError, IndexError):
            return _INVALID

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
                else _INVALID
            )
        if ftype == "geopoint":
            parts = cell.split(",")
            try:
                lon, lat = (float(p) for p in parts)
            except ValueError:
                return _INVALID
            return cell if -180 <= lon <= 180 and -90 <= lat <= 90 else _INVALID
        try:
            value = json.loads(cell)
        except ValueError:
            return _INVALID
        expected = {"object": dict, "geojson": dict, "array": list}[ftype]
        return cell if isinstance(value, expected) else _INVALID

    return parse


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _string_parser(fmt: str) -> Callable[[str], Any]:
    if fmt == "email":
        return lambda cell: cell if _EMAIL.match(cell) else _INVALID
    if fmt == "uri":

        def parse_uri(cell: str) -> Any:
            from urllib.parse import urlparse

            parsed = urlparse(cell)
            return cell if parsed.scheme and parsed.netloc else _INVALID

        return parse_uri
    if fmt == "uuid":

        def parse_uuid(cell: str) -> Any:
            try:
                uuid.UUID(cell)
            except ValueError:
                return _INVALID
            return cell

        return parse_uuid
    return lambda cell: cell


def python_value(field: Field, value: Any) -> Any:
    """Parse a constraint value (minimum, enum member) as frictionless does: text through the field's parser."""
    if isinstance(value, str):
        parsed = scalar_parser(field)(value)
        return None if parsed is _INVALID else parsed
    if field.type == "number" and isinstance(value, int | float):
        return float(value)
    return value


@dataclass
class Parsed:
    """A parsed column: typed values, and masks of missing and unparseable cells."""

    values: pa.Array
    missing: pa.Array
    invalid: pa.Array


def parse_column(field: Field, column: pa.Array, missing_values: list[str]) -> Parsed:
    """Parse one text column into the field's type; missing and invalid cells become null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    target = arrow_type(field)
    if pa.types.is_dictionary(column.type):
        return _parse_encoded(field, column, missing_values)
    if not pa.types.is_string(column.type):
        # Converted while reading (integers, numbers, booleans): nulls are the missing cells.
        missing = pc.is_null(column)
        return Parsed(column, missing, pc.and_(pc.is_valid(column), pa.scalar(False)))
    text, missing = _present(column, missing_values)

    if field.type in ("string", "any") and field.format in ("default", "any", "binary", "wkt"):
        return Parsed(text, missing, pc.and_(pc.invert(missing), pa.scalar(False)))

    hex_free = _hex_free(field, text)
    fast = _fast_cast(field, text, target, hex_free)
    if fast is not None:
        return Parsed(fast, missing, pc.and_(pc.invert(missing), pa.scalar(False)))
    return _parse_with_residue(field, text, missing, target, hex_free)


def convert_plain(field: Field, column: pa.Array, missing_values: list[str]) -> pa.Array | None:
    """A text column in its field's type when every present cell has a plain spelling; else None.

    Missing cells become null. This is what `parse_column` gives for such a column, and what
    pyarrow's typed reader gives for one of the columns `typed_columns` lets it convert.
    """
    text, _missing = _present(column, missing_values)
    return _fast_cast(field, text, arrow_type(field), _hex_free(field, text))


def _hex_free(field: Field, text: pa.Array) -> bool:
    """Whether pyarrow's integer cast may be trusted: it reads 0x1F as 31, Python's int() does not."""
    return field.type != "integer" or not _may_hold_x(text)


def _present(column: pa.Array, missing_values: list[str]) -> tuple[pa.Array, pa.Array]:
    """The text with its missing cells null, and the mask of missing cells."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if missing_values == [""]:
        # The common case: a length test is much cheaper than a hash lookup per cell.
        missing = pc.fill_null(pc.equal(pc.binary_length(column), 0), True)
    elif missing_values:
        missing = pc.fill_null(
            pc.is_in(column, value_set=pa.array(missing_values, pa.string())), True
        )
    else:
        missing = pc.is_null(column)
    any_missing = pc.any(missing).as_py() or False
    text = pc.if_else(missing, pa.scalar(None, pa.string()), column) if any_missing else column
    return text, missing


def _parse_encoded(field: Field, column: pa.Array, missing_values: list[str]) -> Parsed:
    """Parse a dictionary-encoded column once per distinct value, then spread the result.

    Text fields stay encoded (their missing cells become null indices), so that keys and
    lookups downstream keep working on the small dictionary.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    indices = column.indices
    words = parse_column(field, column.dictionary.cast(pa.string()), missing_values)
    # Spreading a mask costs a pass over the rows: skip it when no distinct value is flagged.
    none = pc.is_null(indices)  # all false, except absent cells of a ragged row
    any_missing = pc.any(words.missing).as_py() or False
    missing = pc.fill_null(pc.take(words.missing, indices), True) if any_missing else none
    invalid = (
        pc.fill_null(pc.take(words.invalid, indices), False)
        if pc.any(words.invalid).as_py()
        else pc.and_(none, pa.scalar(False))
    )
    if pa.types.is_string(words.values.type):
        kept = (
            pc.if_else(missing, pa.scalar(None, indices.type), indices) if any_missing else indices
        )
        values: pa.Array = pa.DictionaryArray.from_arrays(kept, column.dictionary)
    else:
        values = pc.take(words.values, indices)
    return Parsed(values, missing, invalid)


def _fast_cast(
    field: Field, text: pa.Array, target: pa.DataType, hex_free: bool
) -> pa.Array | None:
    """Cast the whole column at once when every present cell has a plain spelling; else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    d = field.descriptor
    plain_number = not any(k in d for k in ("groupChar", "decimalChar")) and d.get(
        "bareNumber", True
    )
    try:
        if field.type == "integer" and plain_number:
            if not hex_free:
                return None
            return pc.cast(text, pa.int64())
        if field.type == "number" and plain_number:
            return pc.cast(text, pa.float64())
        if field.type == "boolean":
            tv = d.get("trueValues", DEFAULT_TRUE)
            fv = d.get("falseValues", DEFAULT_FALSE)
            is_true = pc.is_in(text, value_set=pa.array(tv, pa.string()))
            is_false = pc.is_in(text, value_set=pa.array(fv, pa.string()))
            if pc.all(pc.or_(pc.or_(is_true, is_false), pc.is_null(text))).as_py() is False:
                return None
            return pc.if_else(pc.is_null(text), pa.scalar(None, pa.bool_()), is_true)
        if field.type == "date" and field.format == "default":
            ok = pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}$")
            if pc.all(pc.or_(ok, pc.is_null(text))).as_py() is False:
                return None
            values = _strict_iso_dates(text)
            if pc.any(pc.and_(pc.is_null(values), pc.is_valid(text))).as_py():
                return None
            return values
        if field.type == "year":
            ok = pc.match_substring_regex(text, r"^\d{4}$")
            if pc.all(pc.or_(ok, pc.is_null(text))).as_py() is False:
                return None
            return pc.cast(text, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return None


def _parse_with_residue(
    field: Field, text: pa.Array, missing: pa.Array, target: pa.DataType, hex_free: bool
) -> Parsed:
    """Cast what pyarrow accepts; decide the rest one distinct value at a time in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fast_values = None
    bare = field.descriptor.get("bareNumber", True)
    spelled_plain = bare and not any(k in field.descriptor for k in ("groupChar", "decimalChar"))
    if spelled_plain and (field.type == "number" or (field.type == "integer" and hex_free)):
        fast_values = _bisect_cast(text, target)
    elif field.type == "boolean":
        # The true and false words are exact: every other present cell is the residue.
        d = field.descriptor
        is_true = pc.is_in(text, value_set=pa.array(d.get("trueValues", DEFAULT_TRUE), pa.string()))
        is_false = pc.is_in(
            text, value_set=pa.array(d.get("falseValues", DEFAULT_FALSE), pa.string())
        )
        fast_values = pc.if_else(pc.or_(is_true, is_false), is_true, pa.scalar(None, pa.bool_()))
    elif field.type in ("integer", "number", "year", "date") and not (
        field.type == "number" and any(k in field.descriptor for k in ("groupChar", "decimalChar"))
    ):
        pattern = {
            "integer": r"^-?\d{1,18}$",
            "number": r"^-?\d{1,15}(\.\d{1,15})?$",
            "year": r"^\d{4}$",
            "date": r"^\d{4}-\d{2}-\d{2}$" if field.format == "default" else None,
        }[field.type]
        if pattern and bare:
            plain = pc.fill_null(pc.match_substring_regex(text, pattern), False)
            plain_text = pc.if_else(plain, text, pa.scalar(None, pa.string()))
            if field.type == "date":
                fast_values = _strict_iso_dates(plain_text)
            else:
                fast_values = pc.cast(plain_text, target)
    if fast_values is None:
        fast_values = pa.nulls(len(text), target)

    residue = pc.and_(pc.is_null(fast_values), pc.is_valid(text))
    if not pc.any(residue).as_py():
        return Parsed(fast_values, missing, residue)

    parse = scalar_parser(field)
    residue_text = pc.filter(text, residue)
    if len(residue_text) > max(len(text) // 16, 4096):
        # Much of the column: parse each distinct value once, and spread by hashing the column.
        uniques = pc.unique(residue_text)
        parsed_values, bad = _decide(uniques.to_pylist(), parse)
        index = pc.if_else(
            residue, pc.index_in(text, value_set=uniques), pa.scalar(None, pa.int32())
        )
        values = pc.if_else(residue, pc.take(_to_arrow(parsed_values, target), index), fast_values)
        invalid = pc.fill_null(pc.take(pa.array(bad, pa.bool_()), index), False)
        return Parsed(values, missing, invalid)
    # A few cells: only they are looked at (the column is not hashed), each distinct one parsed
    # once, and the results put in their places.
    parsed_values, bad = _decide(residue_text.to_pylist(), parse)
    values = pc.replace_with_mask(fast_values, residue, _to_arrow(parsed_values, target))
    invalid = pc.replace_with_mask(
        pc.and_(residue, pa.scalar(False)), residue, pa.array(bad, pa.bool_())
    )
    return Parsed(values, missing, invalid)


def _decide(cells: list[str], parse: Callable[[str], Any]) -> tuple[list[Any], list[bool]]:
    """Each cell's value (None when invalid) and whether it is invalid; a repeat is parsed once."""
    decided: dict[str, Any] = {}
    values: list[Any] = []
    bad: list[bool] = []
    for cell in cells:
        value = decided.get(cell, _UNSEEN)
        if value is _UNSEEN:
            value = decided[cell] = parse(cell)
        bad.append(value is _INVALID)
        values.append(None if value is _INVALID else value)
    return values, bad


_UNSEEN = object()


def _may_hold_x(text: pa.Array) -> bool:
    """Whether any cell may hold an x or X: one byte search of the values buffer, no per-cell work.

    The buffer may extend past a sliced array; a hit there only costs the slower exact path.
    """
    buffers = text.buffers()
    data = buffers[2] if len(buffers) > 2 and buffers[2] is not None else None
    if data is None or data.size == 0:
        return False
    raw = data.to_pybytes()
    return raw.find(b"x") >= 0 or raw.find(b"X") >= 0


# Bisection stops at runs this short: their cells are decided one distinct value at a time.
_LEAF = 512


def _bisect_cast(text: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast with pyarrow where it accepts, halving the runs it rejects; null in rejected short runs.

    A cast stops at the first bad cell, so a column with a few bad cells costs about two casts,
    where a regular expression per cell would cost several; a column of bad cells costs one
    cheap failed cast per run. Callers decide the null (rejected) cells another way.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    pieces: list[pa.Array] = []
    stack = [(0, len(text))]
    while stack:
        lo, hi = stack.pop()
        try:
            pieces.append(pc.cast(text.slice(lo, hi - lo), target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            if hi - lo <= _LEAF:
                pieces.append(pa.nulls(hi - lo, target))
            else:
                mid = (lo + hi) // 2
                stack.extend([(mid, hi), (lo, mid)])  # the lower half is popped first
    if len(pieces) == 1:
        return pieces[0]
    return pa.concat_arrays(pieces)


def _strict_iso_dates(text: pa.Array) -> pa.Array:
    """Parse YYYY-MM-DD; null where the text is no real date (pyarrow rolls 02-30 over to March)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    # Dates repeat a lot: parse each distinct value once.
    encoded = pc.dictionary_encode(text)
    words = encoded.dictionary
    stamps = pc.strptime(words, format="%Y-%m-%d", unit="s", error_is_null=True)
    same = pc.fill_null(pc.equal(pc.strftime(stamps, format="%Y-%m-%d"), words), False)
    days = pc.cast(pc.if_else(same, stamps, pa.scalar(None, stamps.type)), pa.date32())
    return pc.take(days, encoded.indices)


def _to_arrow(values: list[Any], target: pa.DataType) -> pa.Array:
    """Python values to an Arrow array of the target type; out-of-range integers become null."""
    import pyarrow as pa

    if pa.types.is_integer(target):
        values = [v if v is None or -(2**63) <= v < 2**63 else None for v in values]
    if pa.types.is_date(target):
        values = [v if v is None or isinstance(v, date) else None for v in values]
    return pa.array(values, type=target)
