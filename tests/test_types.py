"""Every Table Schema type, format and constraint: opendata finds what frictionless 5.21 finds.

One differential test, parametrised by (type and options, cells): each case writes a package of
one table (`n`, the row's index, and `v`, the cells), validates it with both, and compares the
sets of (row, field, code). Cases marked v2 declare the Data Package v2 profile on the package
and its Table Schema. Where frictionless is wrong (docs/compatibility.md), the tests after the
differential one say what opendata does instead.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from opendata.package import load_package
from opendata.structural.table import read_typed, validate_table
from opendata.validate import validate_package

V2_PACKAGE = "https://datapackage.org/profiles/2.0/datapackage.json"
V2_SCHEMA = "https://datapackage.org/profiles/2.0/tableschema.json"
POINT = '{"type": "Point", "coordinates": [1, 2]}'
TOPOLOGY = '{"type": "Topology", "objects": {}, "arcs": []}'

# (id, field descriptor without its name, cells of `v`, whether the package is v2)
CASES: list[tuple[str, dict[str, Any], list[str], bool]] = [
    # geopoint
    (
        "geopoint",
        {"type": "geopoint"},
        ["90,45", "90, 45", "181,0", "a,b", "1,2,3", "[1,2]"],
        False,
    ),
    (
        "geopoint-array",
        {"type": "geopoint", "format": "array"},
        [
            "[151.2660, -27.1944]",
            "[1,2]",
            "[181,0]",
            "[1]",
            "1,2",
            '{"lon":1,"lat":2}',
            '["1","2"]',
        ],
        False,
    ),
    (
        "geopoint-object",
        {"type": "geopoint", "format": "object"},
        [
            '{"lon": 151.266, "lat": -27.19}',
            '{"lat": 2, "lon": 1}',
            '{"lon": 1}',
            "[1,2]",
            '{"lon":1,"lat":91}',
            '{"lon":1,"lat":2,"x":3}',
            '{"lon":"1","lat":"2"}',
            "x",
        ],
        False,
    ),
    (
        "geopoint-enum",
        {"type": "geopoint", "constraints": {"enum": ["1,2"]}},
        ["1,2", "1, 2", "1,3"],
        False,
    ),
    # geojson, topojson, object, array
    (
        "geojson",
        {"type": "geojson"},
        [POINT, '{"type": "Nope"}', "{}", "[1]", "x", TOPOLOGY],
        False,
    ),
    ("topojson", {"type": "geojson", "format": "topojson"}, [TOPOLOGY, POINT, "{}"], False),
    ("object", {"type": "object"}, ['{"a": 1}', "[1]", "x", "{}", '"s"', "null"], False),
    ("array", {"type": "array"}, ["[1, 2]", '{"a":1}', "x", "[]", "1"], False),
    (
        "object-length",
        {"type": "object", "constraints": {"minLength": 2}},
        ['{"a":1}', '{"a":1,"b":2}'],
        False,
    ),
    (
        "array-length",
        {"type": "array", "constraints": {"minLength": 2, "maxLength": 3}},
        ["[1]", "[1,2]", "[1,2,3,4]", "x"],
        False,
    ),
    (
        "array-enum",
        {"type": "array", "constraints": {"enum": [[1, 2]]}},
        ["[1,2]", "[1, 2]", "[2,1]"],
        False,
    ),
    (
        "object-enum",
        {"type": "object", "constraints": {"enum": [{"a": 1}]}},
        ['{"a":1}', '{"a":2}'],
        False,
    ),
    # list (v2)
    ("list", {"type": "list"}, ["a,b", "a", "a,,b"], True),
    (
        "list-integer",
        {"type": "list", "itemType": "integer"},
        ["1,2", "1,x", "1", " 1,2", "1,"],
        True,
    ),
    (
        "list-delimiter",
        {"type": "list", "delimiter": ";", "itemType": "number"},
        ["1.5;2", "1,2", "1;x"],
        True,
    ),
    (
        "list-date",
        {"type": "list", "itemType": "date"},
        ["2020-01-01,2020-02-01", "2020-01-01,x"],
        True,
    ),
    ("list-boolean", {"type": "list", "itemType": "boolean"}, ["true,false", "true,yes"], True),
    (
        "list-length",
        {"type": "list", "constraints": {"minLength": 2, "maxLength": 2}},
        ["a", "a,b", "a,b,c"],
        True,
    ),
    # duration
    (
        "duration",
        {"type": "duration"},
        ["P1Y", "P1Y2M3DT4H5M6S", "PT1.5S", "P", "1Y", "P1W", "-P1D", "P1.5Y", "PT", "x"],
        False,
    ),
    (
        "duration-enum",
        {"type": "duration", "constraints": {"enum": ["P1D"]}},
        ["P1D", "P2D", "PT24H"],
        False,
    ),
    # date, time, datetime: default, any, patterns
    (
        "date",
        {"type": "date"},
        ["2020-01-01", "2020-1-1", "2020-02-30", "x", "2020-01-01T00:00"],
        False,
    ),
    (
        "date-any",
        {"type": "date", "format": "any"},
        ["2020-01-01", "1 Jan 2020", "x", "2020-01-01T10:00"],
        False,
    ),
    (
        "date-pattern",
        {"type": "date", "format": "%d/%m/%Y"},
        ["01/02/2020", "2020-01-01", "31/02/2020"],
        False,
    ),
    (
        "date-old-pattern",
        {"type": "date", "format": "fmt:%d/%m/%Y"},
        ["01/02/2020", "2020-01-01"],
        False,
    ),
    (
        "datetime",
        {"type": "datetime"},
        [
            "2020-01-01T10:00:00",
            "2020-01-01T10:00:00Z",
            "2020-01-01T10:00:00+02:00",
            "2020-01-01 10:00:00",
            "2020-01-01T10:00",
            "2020-01-01",
            "x",
        ],
        False,
    ),
    (
        "datetime-any",
        {"type": "datetime", "format": "any"},
        ["2020-01-01", "1 Jan 2020 10:00", "x"],
        False,
    ),
    (
        "datetime-pattern",
        {"type": "datetime", "format": "%d/%m/%Y %H:%M"},
        ["01/02/2020 10:00", "x"],
        False,
    ),
    (
        "time",
        {"type": "time"},
        ["10:00:00", "10:00", "25:00:00", "10:00:00Z", "10:00:00.5", "x"],
        False,
    ),
    ("time-any", {"type": "time", "format": "any"}, ["10:00", "10pm", "x"], False),
    ("time-pattern", {"type": "time", "format": "%H.%M"}, ["10.30", "10:30"], False),
    # year, yearmonth
    ("year", {"type": "year"}, ["2020", "020", "20200", "-200", "x", "0000"], False),
    (
        "yearmonth",
        {"type": "yearmonth"},
        ["2020-01", "2020-13", "2020", "2020-1", "x-01", "-1-01"],
        False,
    ),
    (
        "yearmonth-bounds",
        {"type": "yearmonth", "constraints": {"minimum": "2020-02", "maximum": "2020-10"}},
        ["2020-01", "2020-05", "2020-11", "2020-9", "2020-010"],
        False,
    ),
    (
        "yearmonth-enum",
        {"type": "yearmonth", "constraints": {"enum": ["2020-01"]}},
        ["2020-01", "2020-1", "2020-02"],
        False,
    ),
    # numbers
    ("number", {"type": "number"}, ["1.5", "-2", "1e3", "NaN", "inf", "x", "1,5", " 2 "], False),
    (
        "number-chars",
        {"type": "number", "decimalChar": ",", "groupChar": "."},
        ["1.234,5", "1,5", "1.5", "x"],
        False,
    ),
    ("number-group", {"type": "number", "groupChar": " "}, ["1 234.5", "1234", "x"], False),
    # bareNumber is true unless declared: a currency sign is a type error with decimalChar too
    ("number-chars-bare", {"type": "number", "decimalChar": ","}, ["1,5", "€1,5", "1,5%"], False),
    (
        "number-bare",
        {"type": "number", "bareNumber": False},
        ["€1.5", "1.5%", "x", "$-3", "1.5"],
        False,
    ),
    ("integer", {"type": "integer"}, ["1", "+5", "007", "1.5", "x", "0x1F", " 3"], False),
    (
        "integer-bare",
        {"type": "integer", "bareNumber": False},
        ["$5", "5%", "x", "1.5", "-5 €"],
        False,
    ),
    ("integer-group", {"type": "integer", "groupChar": ","}, ["1,000", "1000", "1,0"], False),
    # booleans and strings
    ("boolean", {"type": "boolean"}, ["true", "False", "1", "0", "yes", "t"], False),
    (
        "boolean-words",
        {"type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]},
        ["yes", "no", "true", "1"],
        False,
    ),
    (
        "boolean-enum",
        {"type": "boolean", "constraints": {"enum": [True]}},
        ["true", "false", "1"],
        False,
    ),
    ("email", {"type": "string", "format": "email"}, ["a@b.co", "x", "a@b"], False),
    (
        "uri",
        {"type": "string", "format": "uri"},
        ["http://a.b", "x", "mailto:a@b.c", "urn:isbn:1", "a b:c"],
        False,
    ),
    (
        "uuid",
        {"type": "string", "format": "uuid"},
        ["12345678-1234-5678-1234-567812345678", "x"],
        False,
    ),
    ("binary", {"type": "string", "format": "binary"}, ["aGVsbG8=", "x", "!!", "aGVsbG8"], False),
    ("any", {"type": "any", "constraints": {"enum": ["a"]}}, ["a", "b", "1"], False),
    # missing values (field-level: v2)
    (
        "field-missing",
        {"type": "integer", "missingValues": ["-", "NA"]},
        ["1", "-", "NA", ""],
        True,
    ),
    (
        "field-missing-required",
        {"type": "integer", "missingValues": ["-"], "constraints": {"required": True}},
        ["1", "-", ""],
        True,
    ),
    (
        "field-missing-objects",
        {"type": "number", "missingValues": [{"value": "n/a", "label": "not asked"}]},
        ["1.5", "n/a", ""],
        True,
    ),
    (
        "field-missing-none",
        {"type": "string", "missingValues": [], "constraints": {"required": True}},
        ["a", ""],
        True,
    ),
    # bounds and enums on each type that has them
    (
        "integer-bounds",
        {"type": "integer", "constraints": {"minimum": 2, "maximum": 5}},
        ["1", "2", "5", "6"],
        False,
    ),
    (
        "number-bounds",
        {"type": "number", "constraints": {"minimum": 1.5, "maximum": "2.5"}},
        ["1.4", "1.5", "2.6"],
        False,
    ),
    (
        "number-bound-chars",
        {"type": "number", "decimalChar": ",", "constraints": {"minimum": 1.5}},
        ["1,4", "1,6"],
        False,
    ),
    (
        "number-enum",
        {"type": "number", "constraints": {"enum": [1.5, "2"]}},
        ["1.5", "2", "2.0", "3"],
        False,
    ),
    (
        "date-bounds",
        {"type": "date", "constraints": {"minimum": "2020-01-01", "maximum": "2020-12-31"}},
        ["2019-12-31", "2020-06-01", "2021-01-01"],
        False,
    ),
    (
        "date-enum",
        {"type": "date", "constraints": {"enum": ["2020-01-01"]}},
        ["2020-01-01", "2020-01-02"],
        False,
    ),
    (
        "date-any-bounds",
        {"type": "date", "format": "any", "constraints": {"minimum": "2020-01-01"}},
        ["2019-12-31", "1 Jan 2020", "2 Jan 2020"],
        False,
    ),
    (
        "datetime-bounds",
        {"type": "datetime", "constraints": {"minimum": "2020-01-01T00:00:00"}},
        ["2019-12-31T00:00:00", "2020-06-01T00:00:00"],
        False,
    ),
    (
        "time-bounds",
        {"type": "time", "constraints": {"minimum": "10:00:00", "maximum": "12:00:00"}},
        ["09:00:00", "11:00:00", "13:00:00"],
        False,
    ),
    (
        "year-bounds",
        {"type": "year", "constraints": {"minimum": 2000, "maximum": 2020}},
        ["1999", "2010", "2021"],
        False,
    ),
    (
        "string-lengths",
        {"type": "string", "constraints": {"minLength": 2, "maxLength": 3}},
        ["a", "ab", "abcd", "脱贫"],
        False,
    ),
    ("string-enum", {"type": "string", "constraints": {"enum": ["a", "b"]}}, ["a", "c"], False),
    # exclusive bounds (v2)
    (
        "exclusive-integer",
        {"type": "integer", "constraints": {"exclusiveMinimum": 1, "exclusiveMaximum": 5}},
        ["1", "2", "5", "4"],
        True,
    ),
    (
        "exclusive-number",
        {"type": "number", "constraints": {"exclusiveMaximum": 1.5}},
        ["1.4", "1.5"],
        True,
    ),
    (
        "exclusive-date",
        {"type": "date", "constraints": {"exclusiveMinimum": "2020-01-01"}},
        ["2020-01-01", "2020-01-02"],
        True,
    ),
    (
        "exclusive-year",
        {"type": "year", "constraints": {"exclusiveMaximum": 2020}},
        ["2019", "2020"],
        True,
    ),
    (
        "exclusive-yearmonth",
        {"type": "yearmonth", "constraints": {"exclusiveMinimum": "2020-01"}},
        ["2020-01", "2020-2"],
        True,
    ),
    (
        "exclusive-time",
        {"type": "time", "constraints": {"exclusiveMaximum": "12:00:00"}},
        ["11:59:59", "12:00:00"],
        True,
    ),
    # unique: values kept as text repeat as values
    (
        "yearmonth-unique",
        {"type": "yearmonth", "constraints": {"unique": True}},
        ["2020-01", "2020-1", "2020-02"],
        False,
    ),
    (
        "geopoint-unique",
        {"type": "geopoint", "constraints": {"unique": True}},
        ["1,2", "1.0, 2", "2,1"],
        False,
    ),
    (
        "duration-unique",
        {"type": "duration", "constraints": {"unique": True}},
        ["P1D", "PT24H", "P2D"],
        False,
    ),
    (
        "date-any-unique",
        {"type": "date", "format": "any", "constraints": {"unique": True}},
        ["2020-01-01", "1 Jan 2020", "x"],
        False,
    ),
    # constraints a type does not take: both refuse the schema
    (
        "exclusive-v1",
        {"type": "integer", "constraints": {"exclusiveMinimum": 1}},
        ["1", "2"],
        False,
    ),
    ("geopoint-maxLength", {"type": "geopoint", "constraints": {"maxLength": 3}}, ["1,2"], False),
    ("duration-minimum", {"type": "duration", "constraints": {"minimum": "P1D"}}, ["P2D"], False),
    (
        "date-pattern-constraint",
        {"type": "date", "constraints": {"pattern": "2020.*"}},
        ["2020-01-01"],
        False,
    ),
]


def _write(root: Path, field: dict[str, Any], cells: list[str], v2: bool) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["n", "v"])
    writer.writerows([i, cell] for i, cell in enumerate(cells))
    (root / "t.csv").write_text(buffer.getvalue(), encoding="utf-8")
    schema: dict[str, Any] = {"fields": [{"name": "n", "type": "integer"}, {"name": "v", **field}]}
    descriptor: dict[str, Any] = {
        "name": "types",
        "resources": [{"name": "t", "path": "t.csv", "schema": schema}],
    }
    if v2:
        descriptor["$schema"] = V2_PACKAGE
        schema["$schema"] = V2_SCHEMA
    path = root / "datapackage.json"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


def _theirs(path: Path) -> set[tuple[Any, Any, str]]:
    from frictionless import validate

    report = validate(str(path))
    found = {(None, None, str(err.type)) for err in report.errors}
    for task in report.tasks:
        for err in task.errors:
            found.add(
                (getattr(err, "row_number", None), getattr(err, "field_name", None), err.type)
            )
    return found


def _ours(path: Path) -> set[tuple[Any, Any, str]]:
    report = validate_package(path)
    return {(i.row, i.field if i.row else None, i.code) for i in report.issues}


@pytest.mark.parametrize(
    ("field", "cells", "v2"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_same_findings_as_frictionless(
    field: dict[str, Any], cells: list[str], v2: bool, tmp_path: Path
) -> None:
    path = _write(tmp_path, field, cells, v2)
    ours, theirs = _ours(path), _theirs(path)
    assert ours == theirs, (sorted(ours - theirs, key=str), sorted(theirs - ours, key=str))


def test_every_type_has_a_case() -> None:
    from opendata.structural.parsers import KNOWN_TYPES

    assert {c[1]["type"] for c in CASES} == KNOWN_TYPES


# Where frictionless is wrong (docs/compatibility.md): opendata's own behaviour.


def _cells(tmp_path: Path, field: dict[str, Any], cells: list[str]) -> set[tuple[Any, Any, str]]:
    """Findings of the cell layer alone (the Table Schema check is not asked)."""
    resource = load_package(_write(tmp_path, field, cells, True)).resources[0]
    issues = validate_table(resource, schema_issues=list).issues
    return {(i.row, i.field, i.code) for i in issues}


def test_partial_date_under_format_any_is_read_without_the_clock(tmp_path: Path) -> None:
    # frictionless reads 1850-01 as the day of the month it runs on; opendata as the 1st.
    field = {"type": "date", "format": "any", "constraints": {"minimum": "1850-01-01"}}
    assert _cells(tmp_path, field, ["1850-01", "1849-12"]) == {(3, "v", "constraint-error")}
    field["constraints"] = {"maximum": "1850-01-01"}
    assert _cells(tmp_path, field, ["1850-01"]) == set()


def test_partial_date_under_format_any_is_kept_as_written(tmp_path: Path) -> None:
    field = {"type": "date", "format": "any"}
    resource = load_package(_write(tmp_path, field, ["1850-01", "2 Jan 2020", ""], False))
    table = read_typed(resource.resources[0])
    assert table.column("v").to_pylist() == ["1850-01", "2 Jan 2020", None]


def test_a_partial_date_is_not_the_first_day_of_its_month_in_a_key(tmp_path: Path) -> None:
    field = {"type": "date", "format": "any", "constraints": {"unique": True}}
    assert _cells(tmp_path, field, ["1850-01", "1850-01-01", "Jan 1850"]) == {
        (4, "v", "unique-error")
    }
    field["type"] = "datetime"
    assert _cells(tmp_path, field, ["10:00", "11:00", "10:00:00"]) == {(4, "v", "unique-error")}


def test_json_schema_constraint_is_evaluated(tmp_path: Path) -> None:
    # frictionless 5.21 refuses `jsonSchema` (a Table Schema v2 constraint of object and array).
    obj = {"type": "object", "constraints": {"jsonSchema": {"type": "object", "required": ["a"]}}}
    assert _cells(tmp_path, obj, ['{"a": 1}', '{"b": 1}', "x"]) == {
        (3, "v", "constraint-error"),
        (4, "v", "type-error"),
    }
    items = {"type": "array", "items": {"type": "integer"}}
    arr = {"type": "array", "constraints": {"jsonSchema": items}}
    assert _cells(tmp_path, arr, ["[1, 2]", '[1, "x"]']) == {(3, "v", "constraint-error")}


def test_json_schema_is_a_v2_constraint_of_objects_and_arrays(tmp_path: Path) -> None:
    # frictionless 5.21 refuses `jsonSchema` under either version; opendata reads the standard:
    # Table Schema v2 has it for object and array, v1 does not.
    obj = {"type": "object", "constraints": {"jsonSchema": {"type": "object", "required": ["a"]}}}
    v2 = _ours(_write(tmp_path, obj, ['{"a": 1}', '{"b": 1}'], v2=True))
    assert v2 == {(3, "v", "constraint-error")}
    (tmp_path / "v1").mkdir()
    report = validate_package(_write(tmp_path / "v1", obj, ['{"a": 1}'], v2=False))
    assert [(i.code, i.field) for i in report.issues] == [("field-error", "v")]
    assert "needs Data Package v2" in report.issues[0].message
    string = {"type": "string", "constraints": {"jsonSchema": {"type": "string"}}}
    (tmp_path / "s").mkdir()
    report = validate_package(_write(tmp_path / "s", string, ["x"], v2=True))
    assert [(i.code, i.field) for i in report.issues] == [("field-error", "v")]


def test_a_missing_cell_breaks_no_constraint_of_a_value_kept_as_text(tmp_path: Path) -> None:
    field = {"type": "yearmonth", "constraints": {"minimum": "2020-01"}}
    assert _cells(tmp_path, field, ["2020-02", "", "2019-12"]) == {(4, "v", "constraint-error")}


def test_a_json_schema_finding_names_its_rule(tmp_path: Path) -> None:
    obj = {"type": "object", "constraints": {"jsonSchema": {"required": ["a"]}}}
    resource = load_package(_write(tmp_path, obj, ['{"b": 1}'], True)).resources[0]
    [issue] = validate_table(resource, schema_issues=list).issues
    assert (issue.code, issue.rule) == ("constraint-error", "constraint:jsonSchema")


def test_an_example_in_the_default_format_is_accepted(tmp_path: Path) -> None:
    field = {"type": "date", "example": "2020-01-31"}
    assert validate_package(_write(tmp_path, field, ["2020-02-01"], False)).issues == []
    field["example"] = "31/01/2020"
    (tmp_path / "bad").mkdir()
    issues = validate_package(_write(tmp_path / "bad", field, ["2020-02-01"], False)).issues
    assert [(i.code, i.field) for i in issues] == [("field-error", "v")]


def test_unique_lists_compare_as_values(tmp_path: Path) -> None:
    # frictionless raises (a list is unhashable); opendata compares the items' values.
    field = {"type": "list", "itemType": "integer", "constraints": {"unique": True}}
    assert _cells(tmp_path, field, ["1,2", "1,02", "2,1"]) == {(3, "v", "unique-error")}
