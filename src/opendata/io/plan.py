"""How each column is read: its Arrow type, and whether pyarrow converts or dictionary-encodes it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.package import Field, Resource

# frictionless's default words for a boolean field.
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]


def arrow_type(field: Field) -> pa.DataType:
    """The Arrow (and so Parquet) type a field's values are held in: a function of the schema alone.

    Types with an exact Arrow counterpart get it; every other value is kept as written, as
    text (docs/releases.md has the table). `date` and `datetime` with `format: any` are text:
    such a cell may leave out parts (`1850-01`), and a date type would have to invent them.
    """
    import pyarrow as pa

    if field.type in ("date", "datetime") and field.format == "any":
        return pa.string()
    return {
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us"),
        "time": pa.time64("us"),
        "year": pa.int64(),
    }.get(field.type, pa.string())


def plain_missing_values(entries: Any) -> list[str]:
    """`missingValues` as plain strings: v2 also allows `{"value": .., "label": ..}` entries."""
    if not isinstance(entries, list):
        return [""]
    return [str(e.get("value")) if isinstance(e, dict) else str(e) for e in entries]


def field_missing_values(field: Field, schema_level: list[str]) -> list[str]:
    """The strings that mean "no value" in a field: its own `missingValues` (v2), else the schema's."""
    own = field.descriptor.get("missingValues")
    return schema_level if own is None else plain_missing_values(own)


def typed_columns(
    expected: list[Field], missing_values: list[str]
) -> tuple[dict[int, pa.DataType], list[str], list[str]]:
    """Columns pyarrow can convert while reading with exactly frictionless's rules, and bool words.

    Integers and plain numbers are safe: every spelling pyarrow accepts, Python's int() and
    Decimal() accept too; anything else makes the read fail, and that chunk is read again as text.
    Booleans are safe when all boolean fields share their true and false words.
    """
    import pyarrow as pa

    plan: dict[int, pa.DataType] = {}
    words: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    for i, f in enumerate(expected):
        d = f.descriptor
        if "missingValues" in d:
            continue  # pyarrow's null values are the schema's; such a field reads as text
        if f.type == "integer" and d.get("bareNumber", True) and f.format == "default":
            plan[i] = pa.int64()
        elif (
            f.type == "number"
            and d.get("bareNumber", True)
            and not any(k in d for k in ("groupChar", "decimalChar"))
        ):
            plan[i] = pa.float64()
        elif f.type == "boolean":
            words.add(
                (
                    tuple(d.get("trueValues", DEFAULT_TRUE)),
                    tuple(d.get("falseValues", DEFAULT_FALSE)),
                )
            )
            plan[i] = pa.bool_()
    if len(words) > 1 or any(
        set(t) & set(fv) or set(t + fv) & set(missing_values) for t, fv in words
    ):
        plan = {i: t for i, t in plan.items() if t != pa.bool_()}
        words = set()
    true_values, false_values = list(words.pop()) if words else ([], [])
    return plan, list(true_values), list(false_values)


def encoded_columns(expected: list[Field], resource: Resource) -> set[int]:
    """Text columns worth reading dictionary-encoded: their values repeat or are looked up.

    Key columns are hashed anyway (the dictionary is the hash), and constraints, dates and
    foreign-key lookups then run once per distinct value instead of once per cell. A column
    whose values must all differ (unique, or the whole primary key) is the exception: its
    dictionary would be as long as the column, and joining the chunks' dictionaries hashes
    every value a second time, so it is read as plain text and hashed once, by the key check.
    """
    keys = set(resource.primary_key)
    keys |= {n for fk in resource.foreign_keys for n in fk["fields"]}
    distinct = set(resource.primary_key) if len(resource.primary_key) == 1 else set()
    out = set()
    for i, f in enumerate(expected):
        c = f.constraints
        if f.name in distinct or c.get("unique"):
            continue
        if f.type == "string" and f.format == "default":
            if f.name in keys or c.get("unique") or "pattern" in c or "enum" in c:
                out.add(i)
        elif f.type == "date":
            out.add(i)
    return out
