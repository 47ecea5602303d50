"""Keys: codes for key values, repeats, and the unique, primary-key and foreign-key checks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.io.arrays import from_numpy, to_numpy
from opendata.structural.findings import Findings, tuples_at, values_at
from opendata.structural.parsers import scalar_parser

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from opendata.io.rowmap import RowMap
    from opendata.package import Field


# Integers beyond 64 bits are null in an integer column; to compare keys as frictionless does
# (as Python integers), a column holding any is compared as canonical decimal text instead, and
# a kept column carries its wide cells in this field-metadata entry (JSON [[row, digits], ...])
# for the tables whose foreign keys point to it. Only then: the common path stays 64-bit.
WIDE = b"opendata.wide"
# The longest 64-bit integer written plainly is 20 characters ("-9223372036854775808") and the
# smallest beyond 64 bits 19 ("9223372036854775808"): shorter cells cannot be wide.
_WIDE_LENGTH = 19


def wide_integers(
    field: Field, values: pa.Array, text: pa.Array, missing: list[str]
) -> tuple[list[int], list[str]]:
    """Positions and canonical digits of an integer column's cells beyond 64 bits.

    `values` is the parsed (64-bit) column, null where a cell is missing, not an integer or
    too wide; `text` its cells. Only null cells long enough to be wide are parsed in Python
    (by the field's own parser), so a column without nulls costs nothing.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if not values.null_count or not pa.types.is_string(text.type):
        return [], []
    long_null = pc.and_(pc.is_null(values), pc.greater_equal(pc.utf8_length(text), _WIDE_LENGTH))
    if not pc.any(long_null).as_py():
        return [], []
    positions = pc.indices_nonzero(pc.fill_null(long_null, False)).to_pylist()
    parse = scalar_parser(field)
    found: tuple[list[int], list[str]] = ([], [])
    for pos, cell in zip(positions, text.take(pa.array(positions)).to_pylist(), strict=True):
        if cell in missing:
            continue
        number = parse(cell)
        if isinstance(number, int) and not isinstance(number, bool):
            found[0].append(pos)
            found[1].append(str(number))
    return found


def exact_keys(values: pa.Array, positions: list[int], digits: list[str]) -> pa.Array:
    """An integer column as canonical decimal text, with its wide cells (ascending positions) in.

    Python's and Arrow's decimal forms of an integer agree (no sign for positives, no leading
    zeros), so `007`, `+7` and `7` stay one value, as they are one Python integer.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(values, pa.string())
    if not positions:
        return text
    mask = np.zeros(len(values), dtype=bool)
    mask[positions] = True
    return pc.replace_with_mask(text, pa.array(mask), pa.array(digits, pa.string()))


def wide_field(field: pa.Field, values: pa.Array, exact: pa.Array) -> pa.Field:
    """FIELD with the wide cells of a column (null in VALUES, digits in EXACT) in its metadata."""
    import json

    import pyarrow.compute as pc

    wide = pc.indices_nonzero(pc.and_(pc.is_null(values), pc.is_valid(exact))).to_pylist()
    digits = exact.take(wide).to_pylist() if wide else []
    pairs = json.dumps([[p, d] for p, d in zip(wide, digits, strict=True)])
    return field.with_metadata({**(field.metadata or {}), WIDE: pairs.encode()})


def key_column(table: pa.Table, name: str) -> pa.Array:
    """A table's column as key values: exact text when its field lists wide cells (`wide_field`)."""
    import json

    arr = table.column(name).combine_chunks()
    raw = (table.schema.field(name).metadata or {}).get(WIDE)
    if raw is None:
        return arr
    pairs = json.loads(raw)
    return exact_keys(arr, [p for p, _ in pairs], [d for _, d in pairs])


def row_codes(arrays: list[pa.Array]) -> np.ndarray:
    """One integer code per row for the combination of values (nulls are a value of their own).

    int32 while every combination fits, else int64; built column by column in place: at
    millions of rows each code array costs tens of megabytes. The result is the caller's own.
    """
    import numpy as np

    combined: np.ndarray | None = None
    for arr in arrays:
        codes, size = _column_codes(arr)
        if combined is None:
            dtype = np.int32 if size < 2**31 else np.int64
            combined = codes.astype(dtype, copy=not (codes.flags.writeable and codes.flags.owndata))
            continue
        limit = (int(combined.max(initial=0)) + 1) * size
        if limit < 2**62:
            if limit >= 2**31 and combined.dtype == np.int32:
                combined = combined.astype(np.int64)
            combined *= size
            combined += codes
        else:
            stacked = np.stack([combined.astype(np.int64), codes.astype(np.int64)], axis=1)
            _, inverse = np.unique(stacked, axis=0, return_inverse=True)
            combined = inverse.astype(np.int64).ravel()
        del codes
    assert combined is not None
    return combined


def _column_codes(arr: pa.Array) -> tuple[np.ndarray, int]:
    """Codes 0..size-1 of one column's values, equal exactly where the values are equal."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        # The dictionary's values are distinct (pyarrow unifies dictionaries on concatenation).
        size = len(arr.dictionary) + 1
        indices = arr.indices
        if indices.null_count:
            indices = pc.fill_null(indices, size - 1)
        return to_numpy(indices), size
    if pa.types.is_integer(arr.type) and len(arr):
        bounds = pc.min_max(arr).as_py()
        low, high = bounds["min"], bounds["max"]
        if low is not None and high - low < max(2 * len(arr), 1 << 16):
            # A narrow range (years, small counts, most codes): the offset is the code, no
            # hashing. Codes then leave gaps, at most one per row: counting them stays cheap.
            size = high - low + 2
            # The values buffer as it is (null slots hold anything), then nulls get their code.
            width = arr.type.bit_width // 8
            values = np.frombuffer(
                arr.buffers()[1], dtype=f"i{width}", count=len(arr), offset=arr.offset * width
            )
            codes = np.empty(len(arr), dtype=np.int32)
            np.subtract(values, low, out=codes, casting="unsafe")
            if arr.null_count:
                codes[to_numpy(pc.is_null(arr))] = size - 1
            return codes, size
    if pa.types.is_floating(arr.type):
        # Arrow hashes -0.0 and 0.0 apart; frictionless compares numbers by value.
        arr = pc.add(arr, pa.scalar(0.0, pa.float64()))
    digits = digit_values(arr)
    if digits is not None:
        ints, shaped = digits
        if shaped.all():
            return _column_codes(from_numpy(ints))
        if shaped.any():
            # Codes for the digit strings, then codes above them for the few other values.
            codes, size = _column_codes(from_numpy(ints[shaped]))
            other = pc.dictionary_encode(arr.filter(from_numpy(~shaped)), null_encoding="encode")
            out = np.empty(len(arr), dtype=np.int64)
            out[shaped] = codes
            out[~shaped] = to_numpy(other.indices).astype(np.int64) + size
            return out, size + len(other.dictionary) + 1
    enc = pc.dictionary_encode(arr, null_encoding="encode")
    return to_numpy(enc.indices), len(enc.dictionary) + 1


def digit_values(arr: pa.Array, width: int | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """A text column's values as integers where they are `width` ASCII digits, and where they are.

    Among strings of one length made of digits, the number tells them apart, and hashing or
    counting integers is many times faster than hashing text: codes such as division codes
    take this path. `width` defaults to the first value's length; None when the column is not
    plain text or that width is not 1 to 18 digits. Other values (and nulls) are not shaped.
    """
    import numpy as np
    import pyarrow as pa

    n = len(arr)
    if arr.type != pa.string() or not n or arr.null_count == n:
        return None
    validity, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1, offset=arr.offset * 4)
    lengths = np.diff(offsets)
    if width is None:
        first = 0 if validity is None else int(np.argmax(to_numpy(arr.is_valid())))
        width = int(lengths[first])
    if not 1 <= width <= 18 or data_buf is None:
        return None
    data = np.frombuffer(data_buf, dtype=np.uint8)
    begin, end = int(offsets[0]), int(offsets[-1])
    if validity is None and end - begin == width * n and bool((lengths == width).all()):
        # The common case: every value has the width, so the bytes are an n-by-width matrix.
        matrix = data[begin:end].reshape(n, width)
        columns = [matrix[:, k] for k in range(width)]
        shaped = np.ones(n, dtype=bool)
    else:
        shaped = lengths == width
        if validity is not None:
            shaped &= to_numpy(arr.is_valid())
        starts = np.minimum(offsets[:-1], max(len(data) - width, 0))
        columns = [data[starts + k] for k in range(width)]
    ints = np.zeros(n, dtype=np.int64)
    for column in columns:
        digit = column - np.uint8(48)  # bytes below '0' wrap around to large values
        shaped &= digit < 10
        ints *= 10
        ints += digit
    return ints, shaped


def duplicates(codes: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of repeated keys (all but the first) and the position of each one's first occurrence.

    Only rows marked eligible count. `codes` is consumed: rewritten in place, so that no
    row-sized copy is made (at millions of rows each one is tens of megabytes).
    """
    import numpy as np

    empty = np.array([], dtype=np.int64)
    if not len(codes) or not eligible.any():
        return empty, empty
    top = int(codes.max())
    holes = np.flatnonzero(~eligible)
    if len(holes):
        # Each row without a key gets a code of its own above the others: never a repeat.
        if top + len(holes) >= np.iinfo(codes.dtype).max:
            codes = codes.astype(np.int64)
        codes[holes] = np.arange(top + 1, top + 1 + len(holes), dtype=codes.dtype)
        top += len(holes)
    del holes
    # The common case, no repeats, is settled by counting (codes in a narrow range) or by a
    # plain sort; only the rows whose key repeats are then ordered to find first occurrences.
    if top < 4 * len(codes) + (1 << 16):
        # A byte per possible code first: as many codes seen as rows means no repeats, for a
        # tenth of the memory that counting takes (fresh pages cost more than the pass).
        seen = np.zeros(top + 1, dtype=bool)
        seen[codes] = True
        if int(np.count_nonzero(seen)) == len(codes):
            return empty, empty
        del seen
        counts = np.bincount(codes, minlength=top + 1)
        repeated = (counts > 1)[codes]  # a gather of booleans: no row-sized integer temporary
        del counts
    else:
        ordered = np.sort(codes)
        same = ordered[1:] == ordered[:-1]
        if not bool(same.any()):
            return empty, empty
        repeated = np.isin(codes, np.unique(ordered[1:][same]))
        del ordered, same
    local = np.flatnonzero(repeated)
    # np.unique's return_index gives first occurrences (it sorts stably for that).
    _, first, inverse = np.unique(codes[local], return_index=True, return_inverse=True)
    first_of_each = local[first[inverse.ravel()]]
    dup = local != first_of_each
    return local[dup], first_of_each[dup]


def check_unique(found: Findings, values: pa.Array, where: RowMap, name: str) -> None:
    """A unique-error for each repeat of a value in a unique field (nulls never repeat)."""
    import pyarrow.compute as pc

    eligible = to_numpy(pc.is_valid(values))
    dups, firsts = duplicates(row_codes([values]), eligible)
    dup_values = values_at(values, dups)
    for pos, first, value in zip(dups.tolist(), firsts.tolist(), dup_values, strict=True):
        found.add(
            "unique-error",
            f"{value!r} in field {name!r} repeats the value of row {where.row(first)}",
            row=where.row(pos),
            line=where.line(pos),
            field=name,
            rule="constraint:unique",
            details={
                "constraint": "unique",
                "actual": value,
                "first_row": where.row(first),
            },
        )


def check_primary_key(
    found: Findings, keys: list[pa.Array], names: list[str], where: RowMap
) -> None:
    """A primary-key finding for each row whose key is empty and each repeat of a key."""
    import numpy as np
    import pyarrow.compute as pc

    all_null = np.ones(len(where), dtype=bool)
    for arr in keys:
        all_null &= to_numpy(pc.is_null(arr))
    for pos in np.flatnonzero(all_null).tolist():
        found.add(
            "primary-key",
            f"primary key ({', '.join(names)}) is empty",
            row=where.row(pos),
            line=where.line(pos),
            rule="primary-key",
            details={"fields": names, "actual": None},
        )
    dups, firsts = duplicates(row_codes(keys), ~all_null)
    dup_values = tuples_at(keys, dups)
    for pos, first, value in zip(dups.tolist(), firsts.tolist(), dup_values, strict=True):
        found.add(
            "primary-key",
            f"primary key ({', '.join(names)}) = {value} repeats row {where.row(first)}",
            row=where.row(pos),
            line=where.line(pos),
            rule="primary-key",
            details={"fields": names, "actual": value, "first_row": where.row(first)},
        )


def check_foreign_key(
    found: Findings,
    fk: dict[str, Any],
    keys: list[pa.Array],
    reference: list[pa.Array] | None,
    where: RowMap,
) -> None:
    """A foreign-key finding for each key not in the reference (or one if the reference is missing)."""
    import numpy as np

    names = fk["fields"]
    ref_name = fk["reference"].get("resource") or "(this table)"
    ref_fields = fk["reference"]["fields"]
    if reference is None:
        found.add(
            "foreign-key",
            f"foreign key ({', '.join(names)}) refers to resource {ref_name!r}, which does not exist",
            rule="foreign-key",
            details={"fields": names, "reference": ref_name},
        )
        return
    missing = _unmatched(keys, reference)
    misses = np.flatnonzero(missing)
    for pos, value in zip(misses.tolist(), tuples_at(keys, misses), strict=True):
        found.add(
            "foreign-key",
            f"({', '.join(names)}) = {value} not found in {ref_name} ({', '.join(ref_fields)})",
            row=where.row(pos),
            line=where.line(pos),
            field=names[0] if len(names) == 1 else None,
            rule="foreign-key",
            details={
                "fields": names,
                "actual": value,
                "reference": ref_name,
                "reference_fields": ref_fields,
            },
        )


def _unmatched(keys: list[pa.Array], reference: list[pa.Array]) -> np.ndarray:
    """Mask of rows whose key (not all null) is absent from the reference's keys."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n, m = len(keys[0]), len(reference[0]) if reference else 0
    all_null = np.ones(n, dtype=bool)
    for arr in keys:
        all_null &= to_numpy(pc.is_null(arr))
    ref_all_null = np.ones(m, dtype=bool)
    for arr in reference:
        ref_all_null &= to_numpy(pc.is_null(arr))
    pairs = [_comparable(mine, theirs) for mine, theirs in zip(keys, reference, strict=True)]
    if len(pairs) == 1 and pa.types.is_dictionary(pairs[0][0].type):
        # One lookup per distinct value, spread to the rows by their indices.
        mine, theirs = pairs[0]
        theirs = theirs.filter(from_numpy(~ref_all_null))
        known = from_numpy(known_values(mine.dictionary, theirs))
        found = pc.fill_null(pc.take(known, mine.indices), False)
        return ~to_numpy(found) & ~all_null
    joined = [pa.concat_arrays([_decoded(mine), _decoded(theirs)]) for mine, theirs in pairs]
    codes = row_codes(joined)
    ref_codes = codes[n:][~ref_all_null]
    return ~np.isin(codes[:n], ref_codes) & ~all_null


def known_values(values: pa.Array, reference: pa.Array) -> np.ndarray:
    """Which of the values occur in the reference (neither holds nulls), as a numpy mask.

    Digit codes of the reference's width are compared as numbers (a lookup table when they
    are short); only the values of another shape are hashed as text, against the reference's
    values of another shape, the only ones they can equal.
    """
    import numpy as np
    import pyarrow.compute as pc

    theirs = digit_values(reference)
    mine = digit_values(values, int(pc.binary_length(reference[0]).as_py())) if theirs else None
    if theirs is None or mine is None:
        return to_numpy(pc.is_in(values, value_set=reference))
    (their_ints, their_shaped), (my_ints, my_shaped) = theirs, mine
    known = np.zeros(len(values), dtype=bool)
    their_ints = their_ints[their_shaped]
    if len(their_ints) and int(their_ints.max()) < 1 << 26:
        table = np.zeros(int(their_ints.max()) + 1, dtype=bool)
        table[their_ints] = True
        mine_ints = my_ints[my_shaped]
        known[my_shaped] = table[np.minimum(mine_ints, len(table) - 1)] & (mine_ints < len(table))
    else:
        known[my_shaped] = np.isin(my_ints[my_shaped], their_ints)
    other = ~my_shaped
    if other.any():
        rest = reference.filter(from_numpy(~their_shaped))
        known[other] = to_numpy(pc.is_in(values.filter(from_numpy(other)), value_set=rest))
    return known


def _decoded(arr: pa.Array) -> pa.Array:
    import pyarrow as pa

    return arr.dictionary_decode() if pa.types.is_dictionary(arr.type) else arr


def _comparable(mine: pa.Array, theirs: pa.Array) -> tuple[pa.Array, pa.Array]:
    """A key column and its reference column in one value type (numbers as numbers)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    theirs = _decoded(theirs)
    value_type = mine.type.value_type if pa.types.is_dictionary(mine.type) else mine.type
    if value_type == theirs.type:
        return mine, theirs
    numeric = pa.types.is_integer(value_type) or pa.types.is_floating(value_type)
    numeric_r = pa.types.is_integer(theirs.type) or pa.types.is_floating(theirs.type)
    common = pa.float64() if numeric and numeric_r else pa.string()
    return pc.cast(_decoded(mine), common), pc.cast(theirs, common)
