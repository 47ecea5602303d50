"""Parse text cells into Table Schema types, vectorised, with frictionless's exact semantics.

Every column is parsed in two steps. A fast path casts the whole column with pyarrow; the few
cells it does not accept — errors, or valid but unusual spellings such as ``+5`` or ``2020-1-1`` —
are decided one distinct value at a time by the same Python rules frictionless applies
(``int()``, ``Decimal()``, ``strptime``; see parsers.py). The result is the typed column, a
mask of cells that do not parse, and a mask of missing cells. The whole-column casts live in
opendata.io.convert, which the reader uses too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from opendata.io.convert import fast_cast, int_cast_safe, mark_missing, strict_iso_dates
from opendata.io.plan import DEFAULT_FALSE, DEFAULT_TRUE, arrow_type, field_missing_values
from opendata.structural.parsers import INVALID, scalar_parser

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.package import Field


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
    missing_values = field_missing_values(field, missing_values)
    if pa.types.is_dictionary(column.type):
        return _parse_encoded(field, column, missing_values)
    if not pa.types.is_string(column.type):
        # Converted while reading (integers, numbers, booleans): nulls are the missing cells.
        missing = pc.is_null(column)
        return Parsed(column, missing, pc.and_(pc.is_valid(column), pa.scalar(False, pa.bool_())))
    text, missing = mark_missing(column, missing_values)

    if field.type in ("string", "any") and field.format in ("default", "any", "wkt"):
        return Parsed(text, missing, pc.and_(pc.invert(missing), pa.scalar(False, pa.bool_())))
    if pa.types.is_string(target):
        return _parse_kept_as_text(field, text, missing)

    hex_free = int_cast_safe(field, text)
    fast = fast_cast(field, text, target, hex_free)
    if fast is not None:
        return Parsed(fast, missing, pc.and_(pc.invert(missing), pa.scalar(False, pa.bool_())))
    return _parse_with_residue(field, text, missing, target, hex_free)


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
        else pc.and_(none, pa.scalar(False, pa.bool_()))
    )
    if pa.types.is_string(words.values.type):
        kept = (
            pc.if_else(missing, pa.scalar(None, indices.type), indices) if any_missing else indices
        )
        values: pa.Array = pa.DictionaryArray.from_arrays(kept, column.dictionary)
    else:
        values = pc.take(words.values, indices)
    return Parsed(values, missing, invalid)


def _parse_kept_as_text(field: Field, text: pa.Array, missing: pa.Array) -> Parsed:
    """A column whose values are kept as written: only which cells parse is decided (once each)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parse = scalar_parser(field)
    encoded = pc.dictionary_encode(text)
    _values, bad = _decide(encoded.dictionary.to_pylist(), parse)
    invalid = pc.fill_null(pc.take(pa.array(bad, pa.bool_()), encoded.indices), False)
    if any(bad):
        text = pc.if_else(invalid, pa.scalar(None, pa.string()), text)
    return Parsed(text, missing, invalid)


def _parse_with_residue(
    field: Field, text: pa.Array, missing: pa.Array, target: pa.DataType, hex_free: bool
) -> Parsed:
    """Cast what pyarrow accepts; decide the rest one distinct value at a time in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    fast_values = _cast_plain_cells(field, text, target, hex_free)
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
        pc.and_(residue, pa.scalar(False, pa.bool_())), residue, pa.array(bad, pa.bool_())
    )
    return Parsed(values, missing, invalid)


def _cast_plain_cells(
    field: Field, text: pa.Array, target: pa.DataType, hex_free: bool
) -> pa.Array:
    """The cells pyarrow casts exactly as frictionless parses them; null elsewhere (the residue)."""
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
                fast_values = strict_iso_dates(plain_text)
            else:
                fast_values = pc.cast(plain_text, target)
    if fast_values is None:
        fast_values = pa.nulls(len(text), target)
    return fast_values


def _decide(cells: list[str], parse: Callable[[str], Any]) -> tuple[list[Any], list[bool]]:
    """Each cell's value (None when invalid) and whether it is invalid; a repeat is parsed once."""
    decided: dict[str, Any] = {}
    values: list[Any] = []
    bad: list[bool] = []
    for cell in cells:
        value = decided.get(cell, _UNSEEN)
        if value is _UNSEEN:
            value = decided[cell] = parse(cell)
        bad.append(value is INVALID)
        values.append(None if value is INVALID else value)
    return values, bad


_UNSEEN = object()


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


def _to_arrow(values: list[Any], target: pa.DataType) -> pa.Array:
    """Python values to an Arrow array of the target type; out-of-range integers become null."""
    import pyarrow as pa

    if pa.types.is_integer(target):
        values = [v if v is None or -(2**63) <= v < 2**63 else None for v in values]
    if pa.types.is_date(target):
        values = [v if v is None or isinstance(v, date) else None for v in values]
    return pa.array(values, type=target)
