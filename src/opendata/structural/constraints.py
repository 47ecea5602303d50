"""Cell checks of one batch: types, required cells, constraints, ragged and blank rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from opendata.io.arrays import from_numpy, to_numpy
from opendata.structural.cells import Parsed, parse_column
from opendata.structural.findings import Findings, values_at
from opendata.structural.judged import compared_in_python, python_masks
from opendata.structural.parsers import python_value, scalar_parser
from opendata.structural.patterns import BUDGET_SECONDS, pattern_violations

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
    return np.flatnonzero(to_numpy(pc.fill_null(mask, False)))


def _constraint_masks(
    f: Field, values: pa.Array, text: pa.Array, undecided: list[int] | None = None
) -> list[tuple[str, Any, pa.Array]]:
    """(constraint, its value, mask of violating cells) for every constraint except required and unique."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(values.type):
        # Once per distinct value; null indices (missing cells) give null, i.e. no violation.
        words = values.dictionary
        return [
            (name, bound, pc.take(mask, values.indices))
            for name, bound, mask in _constraint_masks(f, words, words, undecided)
            if pc.any(mask).as_py()
        ]
    if compared_in_python(f):
        return python_masks(f, values)
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
        if "minLength" in c or "maxLength" in c:
            lengths = pc.utf8_length(strings)
            for name, beyond in (("minLength", pc.less), ("maxLength", pc.greater)):
                if name in c:
                    out.append((name, c[name], beyond(lengths, _int(c[name]))))
    if "pattern" in c and pa.types.is_string(values.type):
        result = pattern_violations(values, str(c["pattern"]))
        if result.timed_out and undecided is not None:
            undecided.append(result.undecided)
        out.append(("pattern", c["pattern"], result.violations))
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
            except OverflowError:
                # A bound beyond 64 bits: every 64-bit value is on the same side of it.
                below = isinstance(bound, int) and bound > 0
                ok = pc.is_valid(values) if below == (name.endswith("aximum")) else _none(values)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                continue
            out.append(
                (name, c[name], pc.and_(pc.is_valid(values), pc.invert(pc.fill_null(ok, False))))
            )
    return out


def _int(bound: Any) -> Any:
    """A length bound as a typed Arrow scalar (inferring a plain number's type imports pandas)."""
    import pyarrow as pa

    return pa.scalar(bound, pa.int64()) if isinstance(bound, int) else bound


def _none(values: pa.Array) -> pa.Array:
    """A mask of false, one per value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.and_(pc.is_valid(values), pa.scalar(False, pa.bool_()))


def _wide_integers(f: Field, parsed: Parsed, text: pa.Array) -> tuple[list[int], list[int]]:
    """Positions and values of integer cells beyond 64 bits (null in the typed column)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if f.type != "integer" or not pa.types.is_string(text.type):
        return [], []
    lost = pc.and_(
        pc.and_(pc.is_null(parsed.values), pc.invert(pc.fill_null(parsed.missing, True))),
        pc.invert(pc.fill_null(parsed.invalid, True)),
    )
    positions = _indices(lost)
    if not len(positions):
        return [], []
    parse = scalar_parser(f)
    cells = values_at(text, positions)
    numbers = [parse(cell) for cell in cells]
    kept = [(int(p), n) for p, n in zip(positions, numbers, strict=True) if isinstance(n, int)]
    return [p for p, _ in kept], [n for _, n in kept]


def _wide_violations(f: Field, value: int) -> list[tuple[str, Any]]:
    """The constraints an integer beyond 64 bits violates, decided in Python as frictionless does."""
    import operator

    c = f.constraints
    out: list[tuple[str, Any]] = []
    for name, op in (
        ("minimum", operator.ge),
        ("maximum", operator.le),
        ("exclusiveMinimum", operator.gt),
        ("exclusiveMaximum", operator.lt),
    ):
        bound = python_value(f, c[name]) if c.get(name) is not None else None
        if isinstance(bound, int | float) and not isinstance(bound, bool) and not op(value, bound):
            out.append((name, c[name]))
    if isinstance(c.get("enum"), list) and value not in [python_value(f, v) for v in c["enum"]]:
        out.append(("enum", c["enum"]))
    return out


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

    columns, blank = _parse_batch(batch, expected, missing_values)
    not_blank = from_numpy(~blank)
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
        blank &= to_numpy(pc.fill_null(empty, True))
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
    import numpy as np

    positions, numbers = _wide_integers(f, parsed, col)
    for position, number in zip(positions, numbers, strict=True):
        found.unheld.append((int(batch.rows[position]), f.name, str(number)))
        for name, bound in _wide_violations(f, number):
            _report_cells(
                found,
                batch,
                f,
                [position],
                values_at(col, np.array([position])),
                "constraint-error",
                f"constraint:{name}",
                lambda v, name=name, bound=bound: (
                    f"{v!r} violates {name} {bound!r}",
                    {"constraint": name, "expected": bound, "actual": v},
                ),
            )
    undecided: list[int] = []
    valid = pc.is_valid(parsed.values)
    if pc.any(parsed.invalid).as_py():
        # A cell not of the field's type has no value to constrain (frictionless), though a
        # column kept as text may still hold its text.
        valid = pc.and_(valid, pc.invert(pc.fill_null(parsed.invalid, False)))
    for name, bound, mask in _constraint_masks(f, parsed.values, col, undecided):
        mask = pc.and_(pc.and_(pc.fill_null(mask, False), valid), not_blank)
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
    if undecided:
        found.add(
            "check-error",
            f"pattern {f.constraints.get('pattern')!r} of field {f.name!r} took more than "
            f"{BUDGET_SECONDS:g} s; {sum(undecided)} distinct value(s) were not checked",
            field=f.name,
            rule="constraint:pattern",
            details={"constraint": "pattern", "undecided": sum(undecided)},
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
