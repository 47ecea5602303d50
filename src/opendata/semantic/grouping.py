"""Group counts and sums across tables, by dictionary code where a key column was read encoded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.semantic.declarations import Check, as_list
from opendata.semantic.frames import Frames, plain, select
from opendata.semantic.registry import Outcome

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa

# bincount copies its input to int64: a million rows at a time
_TALLY_STEP = 1 << 20


def factorized(
    table: pa.Table, keys: frozenset[str] = frozenset()
) -> dict[str, tuple[np.ndarray, pd.Index]]:
    """The dictionary-encoded columns' codes (-1 for null) and distinct values, for grouping.

    Text columns named in `keys` that were read plain (key columns whose values all differ)
    are encoded here. The values are a pandas Index of the dtype `to_frame` gives the column,
    so that groups found by code align with groups pandas finds in other tables.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name in keys and pa.types.is_string(column.type):
            column = _encoded(column)
        if not pa.types.is_dictionary(column.type):
            continue
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        if not pa.types.is_string(array.type.value_type):
            continue
        indices = array.indices.cast(pa.int32())
        if indices.null_count:
            indices = pc.fill_null(indices, -1)
        values = array.dictionary.to_pandas(types_mapper={pa.string(): pd.StringDtype()}.get)
        out[name] = (indices.to_numpy(zero_copy_only=False), pd.Index(values))
    return out


def _encoded(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A plain text column dictionary-encoded; digit codes of one width without hashing text."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from opendata.structural.keys import digit_values

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    digits = digit_values(array)
    if digits is None or not digits[1].all():
        return pc.dictionary_encode(array)
    _, first, inverse = np.unique(digits[0], return_index=True, return_inverse=True)
    return pa.DictionaryArray.from_arrays(
        pa.array(inverse.ravel().astype(np.int32)), array.take(pa.array(first))
    )


def with_keys(frame: pd.DataFrame, codes: dict[str, tuple[np.ndarray, pd.Index]]) -> pd.DataFrame:
    """The frame plus, as pandas categoricals, the key columns it was built without.

    A categorical holds the dictionary codes and the distinct values, so a check grouping by
    such a column counts by code, on the frame pandera passes it, with no text decoded.
    """
    import pandas as pd

    missing = {name: cv for name, cv in codes.items() if name not in frame.columns}
    if not missing:
        return frame
    extra = {
        name: pd.Categorical.from_codes(indices, dtype=pd.CategoricalDtype(uniques))
        for name, (indices, uniques) in missing.items()
        if len(indices) == len(frame)
    }
    return frame.assign(**extra) if extra else frame


def grouped(frame: pd.DataFrame, where: Any, by: list[str], column: str | None) -> pd.Series:
    """Rows per group (column None) or the column's sum per group, nulls a group of their own.

    The values of pandas's `groupby(..., dropna=False)`, not necessarily in its order. By code
    when the key is a single categorical column (see `with_keys`) and the sum (if any) is of
    integers, which bincount adds exactly.
    """
    import numpy as np
    import pandas as pd

    frame = select(frame, where)
    key = frame[by[0]] if len(by) == 1 else None
    values = frame[column] if column is not None else None
    if (
        key is None
        or not isinstance(key.dtype, pd.CategoricalDtype)
        or (values is not None and not pd.api.types.is_integer_dtype(values.dtype))
    ):
        return _by_pandas(frame, by, column)
    indices = key.cat.codes.to_numpy()
    uniques = key.cat.categories
    size = len(uniques) + 1  # slot 0: the null key, code c in slot c + 1

    counts = _tally(indices, size)
    present = counts > 0
    if values is None:
        result = counts
    else:
        valid = values.notna().to_numpy()
        numbers = values.to_numpy(dtype="float64", na_value=0.0)
        if np.abs(numbers).sum() >= 2**53:  # beyond exact float sums: let pandas add
            return _by_pandas(frame, by, column)
        sums = _tally(indices, size, numbers, valid)
        with_values = _tally(indices, size, keep=valid) > 0
        result = pd.array(sums.round().astype(np.int64), dtype="Int64")
        result[~with_values] = pd.NA  # min_count=1: a group of nulls sums to null
    out = pd.Series(result[1:][present[1:]], index=uniques[present[1:]])
    if present[0]:
        null = pd.Series([result[0]], index=pd.Index([None], dtype=uniques.dtype))
        out = pd.concat([out, null]) if len(out) else null
    out.index.name = by[0]
    return out


def _by_pandas(frame: pd.DataFrame, by: list[str], column: str | None) -> pd.Series:
    """`grouped` by pandas, categorical key columns decoded to their values first."""
    import pandas as pd

    keyed = frame
    for name in by:
        key = keyed[name]
        if isinstance(key.dtype, pd.CategoricalDtype):
            # Not categories.take(codes, allow_fill=True): without a fill_value, pandas 2 reads
            # the null code -1 as the last category; the cast gives nulls in pandas 2 and 3.
            keyed = keyed.assign(**{name: key.astype(key.cat.categories.dtype)})
    groups = keyed.groupby(by, dropna=False)
    return groups.size() if column is None else groups[column].sum(min_count=1)


def _tally(
    indices: np.ndarray,
    size: int,
    weights: np.ndarray | None = None,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """Rows (or `weights`) per code slot, null in slot 0, counting only the rows `keep` marks."""
    import numpy as np

    total = np.zeros(size, dtype=np.int64 if weights is None else np.float64)
    for start in range(0, len(indices), _TALLY_STEP):
        slots = np.add(indices[start : start + _TALLY_STEP], 1, dtype=np.int64)
        w = None if weights is None else weights[start : start + _TALLY_STEP]
        if keep is not None:
            k = keep[start : start + _TALLY_STEP]
            slots, w = slots[k], (None if w is None else w[k])
        total += np.bincount(slots, weights=w, minlength=size)
    return total


def their_groups(check: Check, frames: Frames) -> pd.Series:
    """`against.column` per group of the other resource: what a group check compares with."""
    s = check.spec
    against = s["against"]
    key = as_list(against.get("key") or s["by"])
    return grouped(
        frames[str(against["resource"])], against.get("where"), key, str(against["column"])
    )


def as_rows(theirs: pd.Series) -> list[list[Any]]:
    """A group check's resolved values as plain rows `[key..., value]` (for YAML and JSON)."""
    rows = []
    for idx, value in theirs.items():
        keys = idx if isinstance(idx, tuple) else (idx,)
        rows.append([*(plain(k) for k in keys), plain(value)])
    return sorted(rows, key=lambda row: [str(k) for k in row[:-1]])  # the same YAML every build


def _from_rows(rows: list[list[Any]], key: list[str]) -> pd.Series:
    import pandas as pd

    if len(key) == 1:
        index = pd.Index([r[0] for r in rows], name=key[0])
    else:
        index = pd.MultiIndex.from_tuples([tuple(r[:-1]) for r in rows], names=key)
    return pd.Series([r[-1] for r in rows], index=index, dtype="Float64")


def compare_groups(check: Check, frame: pd.DataFrame, sum_column: str | None) -> Outcome:
    """Rows (or `sum_column`'s sum) per group here against the other resource's resolved values.

    `against.values` holds them: a Series when the check runs here, rows `[key..., value]`
    when it comes from an exported schema.
    """
    import pandas as pd

    s = check.spec
    by = as_list(s["by"])
    against = s["against"]
    key = as_list(against.get("key") or by)
    if "values" not in against:
        raise ValueError("`against` was not resolved: it needs the other resource's `values`")
    theirs = against["values"]
    if not isinstance(theirs, pd.Series):
        theirs = _from_rows(list(theirs), key)
    mine = grouped(frame, s.get("where"), by, sum_column)
    mine.index.names = key
    joined = pd.concat([mine.rename("actual"), theirs.rename("expected")], axis=1).fillna(0)
    tol = check.tolerance
    bad = joined[(joined["actual"] - joined["expected"]).abs() > tol + 1e-9]
    bad = bad.sort_index(na_position="last")  # groups reported in key order
    groups = []
    for idx, row in bad.iterrows():
        values = idx if isinstance(idx, tuple) else (idx,)
        groups.append(
            {
                "group": {k: plain(v) for k, v in zip(by, values, strict=True)},
                "expected": plain(row["expected"]),
                "actual": plain(row["actual"]),
            }
        )
    return Outcome(not groups, groups=groups)
