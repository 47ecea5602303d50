"""Differential fuzzing: on generated small schemas and CSVs, opendata finds what frictionless finds.

A fixed, derandomized set of examples runs by default; `pytest -m fuzz` runs many more
(OPENDATA_FUZZ_EXAMPLES, default 1000). Where frictionless is wrong, docs/compatibility.md says
so and `_known` encodes the expectation.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.validate import validate_package

STRUCTURAL = {
    "type-error",
    "constraint-error",
    "missing-cell",
    "extra-cell",
    "blank-row",
    "unique-error",
    "primary-key",
    "blank-label",
    "duplicate-label",
    "incorrect-label",
    "extra-label",
    "missing-label",
    "blank-header",
}
BIG = "123456789012345678901234567890"
CELLS: dict[str, list[str]] = {
    "integer": [
        *("0", "1", "-7", "42", "+5", "007", "1.5", "x", " 3", BIG, "-" + BIG, "0x1F"),
        *("+" + BIG, "0" + BIG, BIG + "0"),  # integers beyond 64 bits, one spelled three ways
    ],
    "number": ["0", "1.5", "-2", "1e3", "inf", "NaN", "-Infinity", "1e400", "x", "1,5", " 2"],
    "string": ["a", "ab", "abc", "脱贫", "e\u0301", "a b", "A1", "_", "x,y", 'q"q', "a\nb"],
    "boolean": ["true", "false", "True", "FALSE", "1", "0", "yes", "x"],
    "date": ["2020-01-01", "2020-02-30", "2020-1-1", "20200101", "x"],
    "year": ["2016", "2020", "1999", "20x0", "-1"],
    # Types held as text but compared as values (structural/judged.py); the first two are valid.
    "yearmonth": ["2020-01", "2020-1", "2020-10", "2020-9", "2020-13", "x"],
    "geopoint": ["1,2", "1, 2", "181,0", "x", "90,45"],
    "duration": ["P1D", "PT24H", "P", "x", "P1Y"],
    # Naive times only: frictionless holds an offset apart (10:00Z != 10:00), we hold it in UTC.
    "time": ["10:00:00", "10:00", "25:00:00", "09:30:00", "10:00:00.0"],
    "datetime": ["2020-01-01T10:00:00", "2020-01-01T10:00:00.000", "2020-01-01 10:00:00", "x"],
}
PATTERNS = [r"\w+", r"[a-z]+", r"\d+", "a|b", r"[\w ]+", ".", r"\S+"]
BOUNDS = {
    "integer": [0, 2, 41, 10**25],
    "number": [0, 1.5, 2],
    "year": [2016, 2020],
    "yearmonth": ["2020-02", "2020-9"],
    "time": ["10:00:00"],
    "datetime": ["2020-01-01T10:00:00"],
}
ENUMS = ("string", "integer", "yearmonth", "geopoint", "duration")


@st.composite
def fields(draw: Any, name: str) -> dict[str, Any]:
    ftype = draw(st.sampled_from(sorted(CELLS)))
    constraints: dict[str, Any] = {}
    if draw(st.booleans()):
        constraints["required"] = True
    if draw(st.integers(0, 3)) == 0:
        constraints["unique"] = True
    if ftype in BOUNDS:
        # exclusiveMinimum/Maximum need the Data Package v2 profile in frictionless 5: not fuzzed.
        for key in ("minimum", "maximum"):
            if draw(st.integers(0, 4)) == 0:
                constraints[key] = draw(st.sampled_from(BOUNDS[ftype]))
    if ftype == "string":
        if draw(st.integers(0, 2)) == 0:
            constraints["pattern"] = draw(st.sampled_from(PATTERNS))
        if draw(st.integers(0, 3)) == 0:
            constraints["minLength"] = draw(st.integers(0, 3))
        if draw(st.integers(0, 3)) == 0:
            constraints["maxLength"] = draw(st.integers(1, 3))
    if ftype in ENUMS and draw(st.integers(0, 3)) == 0:
        # Members of the field's type (an invalid member is a field-error here, not there).
        members = CELLS[ftype][:5] if ftype in ("string", "integer") else CELLS[ftype][:2]
        constraints["enum"] = draw(
            st.lists(st.sampled_from(members), min_size=1, max_size=3, unique=True)
        )
    field: dict[str, Any] = {"name": name, "type": ftype}
    if constraints:
        field["constraints"] = constraints
    return field


@st.composite
def tables(draw: Any) -> tuple[dict[str, Any], str]:
    width = draw(st.integers(1, 3))
    names = [f"f{i}" for i in range(width)]
    schema: dict[str, Any] = {"fields": [draw(fields(n)) for n in names]}
    if draw(st.booleans()):
        schema["primaryKey"] = draw(
            st.lists(st.sampled_from(names), min_size=1, max_size=width, unique=True)
        )
    header = list(names)
    if draw(st.integers(0, 6)) == 0:
        header[0] = draw(st.sampled_from([" f0", "f0 ", "F0", "", "f1", "\u3000f0"]))
    rows: list[list[str]] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            rows.append([""] * width)  # blank row
            continue
        row = [draw(st.sampled_from([*CELLS[f["type"]], ""])) for f in schema["fields"]]
        if kind == 1:
            row = row[: draw(st.integers(1, width))]  # ragged: short
        elif kind == 2:
            row = [*row, "extra"]  # ragged: long
        elif kind == 3 and rows:
            row = list(rows[-1])  # a repeated row
        rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return schema, buffer.getvalue()


def _theirs(root: Path) -> set[tuple[Any, Any, str]]:
    from frictionless import Package

    report = Package(str(root / "datapackage.json")).validate()
    found = set()
    for task in report.tasks:
        for err in task.errors:
            code = err.type
            if code not in STRUCTURAL:
                continue
            row = 1 if code.endswith("-label") else getattr(err, "row_number", None)
            field = getattr(err, "field_name", None) or None
            if code in ("primary-key", "extra-cell", "blank-row"):
                field = None
            found.add((row, field, code))
    return found


def _ours(root: Path) -> set[tuple[Any, Any, str]]:
    report = validate_package(root / "datapackage.json")
    found = set()
    for issue in report.issues:
        if issue.code not in STRUCTURAL:
            continue
        field = None if issue.code in ("primary-key", "extra-cell", "blank-row") else issue.field
        found.add((issue.row, field, issue.code))
    return found


def _known(schema: dict[str, Any], text: str) -> bool:
    """Inputs where the two are known to differ (docs/compatibility.md): skipped, not compared."""
    keyed = set(schema.get("primaryKey", [])) | {
        f["name"] for f in schema["fields"] if f.get("constraints", {}).get("unique")
    }
    # Numbers in a key: frictionless keeps Decimals (1e400 != inf, and NaN never equals a NaN
    # so never repeats), we keep doubles.
    huge_number_in_key = any(
        f["type"] == "number" and f["name"] in keyed for f in schema["fields"]
    ) and any(word in text for word in ("1e400", "NaN"))
    # A file of blank lines: frictionless reports blank rows, opendata a blank header (an empty
    # file is a source-error in both).
    no_header = not text.strip(",\n") and text not in ("", "\n")
    return huge_number_in_key or no_header


def _write(root: Path, schema: dict[str, Any], text: str) -> None:
    (root / "t.csv").write_text(text, encoding="utf-8")
    descriptor = {
        "name": "fuzz",
        "resources": [{"name": "t", "path": "t.csv", "schema": schema}],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")


def _compare(tmp: Path, schema: dict[str, Any], text: str) -> None:
    if _known(schema, text):
        return
    import tempfile

    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        root = Path(folder)
        _write(root, schema, text)
        ours, theirs = _ours(root), _theirs(root)
        assert ours == theirs, (
            json.dumps(schema),
            text,
            sorted(ours - theirs, key=str),
            sorted(theirs - ours, key=str),
        )


EXAMPLES = 40
COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@settings(max_examples=EXAMPLES, derandomize=True, **COMMON)  # type: ignore[arg-type]
@given(table=tables())
def test_same_findings_as_frictionless(table: tuple[dict[str, Any], str], tmp_path: Path) -> None:
    _compare(tmp_path, *table)


@pytest.mark.fuzz
@settings(max_examples=int(os.environ.get("OPENDATA_FUZZ_EXAMPLES", "1000")), **COMMON)  # type: ignore[arg-type]
@given(table=tables())
def test_same_findings_as_frictionless_at_length(
    table: tuple[dict[str, Any], str], tmp_path: Path
) -> None:
    _compare(tmp_path, *table)
