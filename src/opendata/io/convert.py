"""Plain text to Arrow: whole-column casts of the spellings pyarrow and frictionless read alike."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opendata.io.plan import DEFAULT_FALSE, DEFAULT_TRUE, arrow_type

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.package import Field


def convert_plain(field: Field, column: pa.Array, missing_values: list[str]) -> pa.Array | None:
    """A text column in its field's type when every present cell has a plain spelling; else None.

    Missing cells become null. This is what `parse_column` gives for such a column, and what
    pyarrow's typed reader gives for one of the columns `typed_columns` lets it convert.
    """
    text, _missing = mark_missing(column, missing_values)
    return fast_cast(field, text, arrow_type(field), int_cast_safe(field, text))


def int_cast_safe(field: Field, text: pa.Array) -> bool:
    """Whether pyarrow's integer cast may be trusted: it reads 0x1F as 31, Python's int() does not."""
    return field.type != "integer" or not _may_hold_x(text)


def mark_missing(column: pa.Array, missing_values: list[str]) -> tuple[pa.Array, pa.Array]:
    """The text with its missing cells null, and the mask of missing cells."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if missing_values == [""]:
        # The common case: a length test is much cheaper than a hash lookup per cell.
        missing = pc.fill_null(pc.equal(pc.binary_length(column), pa.scalar(0, pa.int64())), True)
    elif missing_values:
        missing = pc.fill_null(
            pc.is_in(column, value_set=pa.array(missing_values, pa.string())), True
        )
    else:
        missing = pc.is_null(column)
    any_missing = pc.any(missing).as_py() or False
    text = pc.if_else(missing, pa.scalar(None, pa.string()), column) if any_missing else column
    return text, missing


def fast_cast(field: Field, text: pa.Array, target: pa.DataType, hex_free: bool) -> pa.Array | None:
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
            values = strict_iso_dates(text)
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


def strict_iso_dates(text: pa.Array) -> pa.Array:
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
