"""Cell checks of one batch: types, required cells, constraints, ragged and blank rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from opendata.structural.cells import Parsed, parse_column
from opendata.structural.findings import Findings, values_at
from opendata.structural.parsers import python_value

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from opendata.io.batches import Batch
    from opendata.package import Field


def _indices(mask: pa.Array) -> np.ndarray:
    """Positions where a mask is true (null counts as false)."""
    import numpy as np
    import pyarrow.compute as pc

    if not pc.any(mask).as_py():
        return np.array([], dtype=np.int64)
    return np.flatnonzero(pc.fill_null(mask, False).to_numpy(zero_copy_only=False))


def _constraint_masks(
    f: Field, values: pa.Array, text: pa.Array
) -> list[tuple[str, Any, pa.Array]]:
    """(constraint, its value, mask of violating cells) for every constraint except required and unique."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        # Once per distinct value; null indices (missing cells) give null, i.e. no violation.
        words = values.dictionary
        return [
            (name, bound, pc.take(mask, values.indices))
            for name, bound, mask in _constraint_masks(f, words, words)
            if pc.any(mask).as_py()
        ]
    out = _bound_masks(f, values)
    c = f.constraints
    if f.type in (
        "string",
        "any",
        "yearmonth",
        "duration",
        "geopoint",
        "object",
        "array",
        "geojson",
    ):
        strings = values if pa.types.is_string(values.type) else text
        if "minLength" in c:
            out.append(
                ("minLength", c["minLength"], pc.less(pc.utf8_length(strings), c["minLength"]))
            )
        if "maxLength" in c:
            out.append(
                ("maxLength", c["maxLength"], pc.greater(pc.utf8_length(strings), c["maxLength"]))
            )
    if "pattern" in c and pa.types.is_string(values.type):
        out.append(("pattern", c["pattern"], _pattern_violations(values, str(c["pattern"]))))
    if "enum" in c and isinstance(c["enum"], list):
        members = [python_value(f, v) for v in c["enum"]]
        try:
            allowed = pa.array([m for m in members if m is not None], values.type)
            out.append(("enum", c["enum"], pc.invert(pc.is_in(values, value_set=allowed))))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            out.append(("enum", c["enum"], pc.is_valid(values)))
    return out


def _bound_masks(f: Field, values: pa.Array) -> list[tuple[str, Any, pa.Array]]:
    """(constraint, its value, mask of violating cells) for minimum, maximum and their exclusive forms."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out: list[tuple[str, Any, pa.Array]] = []
    c = f.constraints
    comparisons = {
        "minimum": pc.greater_equal,
        "maximum": pc.less_equal,
        "exclusiveMinimum": pc.greater,
        "exclusiveMaximum": pc.less,
    }
    for name, op in comparisons.items():
        if name in c and c[name] is not None:
            bound = python_value(f, c[name])
            if bound is None:
                continue
            try:
                ok = op(values, pa.scalar(bound, values.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                continue
            out.append(
                (name, c[name], pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(ok, False))))
            )
    return out


def _pattern_violations(values: pa.Array, pattern: str) -> pa.Array:
    """Cells not matching the pattern from start to end (Python `re` semantics for odd patterns)."""
    import re

    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.invert(pc.match_substring_regex(values, f"^(?:{pattern})$"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        compiled = re.compile(f"^{pattern}$")
        uniques = pc.unique(values)
        bad = pa.array([v is not None and not compiled.match(v) for v in uniques.to_pylist()])
        return pc.fill_null(pc.take(bad, pc.index_in(values, value_set=uniques)), False)


def _report_cells(
    found: Findings,
    batch: Batch,
    f: Field,
    positions: np.ndarray | list[int],
    values: list[Any],
    code: str,
    rule: str,
    describe: Callable[..., tuple[str, dict[str, Any]]],
) -> None:
    """One finding per cell: `describe(value)` gives its message and details."""
    for idx, value in zip(positions, values, strict=True):
        message, details = describe(value)
        found.add(
            code,
            message,
            row=int(batch.rows[idx]),
            line=int(batch.lines[idx]),
            field=f.name,
            rule=rule,
            details=details,
        )


class _Column(NamedTuple):
    """One column of a batch parsed per its field, with its absent (ragged) and empty cells."""

    field: Field
    text: pa.Array
    parsed: Parsed
    absent: pa.Array | None
    empty: pa.Array


def check_batch(
    found: Findings, batch: Batch, expected: list[Field], missing_values: list[str]
) -> tuple[dict[str, pa.Array], np.ndarray]:
    """Type and constraint checks of one batch; returns typed columns and the blank-row mask."""
    import pyarrow as pa

    columns, blank = _parse_batch(batch, expected, missing_values)
    not_blank = pa.array(~blank)
    for column in columns:
        _check_cells(found, batch, column, not_blank)
        _check_constraints(found, batch, column, not_blank)
    _check_rows(found, batch, blank, len(expected))
    return {c.field.name: c.parsed.values for c in columns}, blank


def _parse_batch(
    batch: Batch, expected: list[Field], missing_values: list[str]
) -> tuple[list[_Column], np.ndarray]:
    """Every column parsed per its field, and the mask of blank rows (no cell holds a value)."""
    import numpy as np
    import pyarrow.compute as pc

    columns = []
    blank = np.ones(len(batch.rows), dtype=bool)
    for i, f in enumerate(expected):
        col = batch.columns[i]
        parsed = parse_column(f, col, missing_values)
        absent = pc.invert(batch.present[i]) if batch.present is not None else None
        empty = parsed.missing if absent is None else pc.or_(parsed.missing, absent)
        blank &= pc.fill_null(empty, True).to_numpy(zero_copy_only=False)
        columns.append(_Column(f, col, parsed, absent, empty))
    return columns, blank


def _check_cells(found: Findings, batch: Batch, column: _Column, not_blank: pa.Array) -> None:
    """A column's missing cells (of ragged rows), cells not of its type, and empty required cells."""
    import pyarrow.compute as pc

    f, col, parsed, absent, empty = column
    if absent is not None:
        missing_cells = _indices(pc.and_(absent, not_blank))
        _report_cells(
            found,
            batch,
            f,
            missing_cells,
            [None] * len(missing_cells),
            "missing-cell",
            "missing-cell",
            lambda _v, f=f: (
                f"row has no cell for field {f.name!r}",
                {"expected": f.name, "actual": None},
            ),
        )
    bad = _indices(pc.and_(parsed.invalid, not_blank))
    kind = f"{f.type}" + (f" ({f.format})" if f.format != "default" else "")
    _report_cells(
        found,
        batch,
        f,
        bad,
        values_at(col, bad),
        "type-error",
        f"type:{f.type}",
        lambda v, f=f, kind=kind: (
            f"{v!r} is not a valid {kind}",
            {"expected": f"{f.type}/{f.format}", "actual": v},
        ),
    )
    if f.required:
        unset = _indices(pc.and_(empty, not_blank))
        _report_cells(
            found,
            batch,
            f,
            unset,
            [None] * len(unset),
            "constraint-error",
            "constraint:required",
            lambda _v, f=f: (
                f"field {f.name!r} is required but the cell is empty",
                {"constraint": "required", "expected": "a value", "actual": None},
            ),
        )


def _check_constraints(found: Findings, batch: Batch, column: _Column, not_blank: pa.Array) -> None:
    """A column's cells that violate a constraint other than required and unique."""
    import pyarrow.compute as pc

    f, col, parsed = column.field, column.text, column.parsed
    for name, bound, mask in _constraint_masks(f, parsed.values, col):
        mask = pc.and_(pc.and_(pc.fill_null(mask, False), pc.is_valid(parsed.values)), not_blank)
        hits = _indices(mask)
        _report_cells(
            found,
            batch,
            f,
            hits,
            values_at(col, hits),
            "constraint-error",
            f"constraint:{name}",
            lambda v, name=name, bound=bound: (
                f"{v!r} violates {name} {bound!r}",
                {"constraint": name, "expected": bound, "actual": v},
            ),
        )


def _check_rows(found: Findings, batch: Batch, blank: np.ndarray, width: int) -> None:
    """Extra cells of ragged rows (unless the row is blank), then blank rows."""
    import numpy as np

    blank_rows = set(batch.rows[blank].tolist())
    for row_number, line, cells in batch.extra_cells:
        if row_number in blank_rows:
            continue
        for j, cell in enumerate(cells):
            found.add(
                "extra-cell",
                f"row has an extra cell {cell!r} in column {width + j + 1}",
                row=row_number,
                line=line,
                rule="extra-cell",
                details={"position": width + j + 1, "actual": cell},
            )
    for idx in np.flatnonzero(blank):
        found.add(
            "blank-row",
            "row is completely blank",
            row=int(batch.rows[idx]),
            line=int(batch.lines[idx]),
            rule="blank-row",
        )
