"""Tests that kill the mutants issue 20 found surviving: each pins one rule an edit could break."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from opendata.package import Field
from opendata.release.gate import release_check
from opendata.validate import validate_package
from opendata.versions.diff import diff_packages
from tests.hostile.kit import SCHEMA, git, package


def _lines(report: Any, code: str) -> list[int | None]:
    return sorted(i.line for i in report.issues if i.code == code)


def _one_field(tmp_path: Path, ftype: str, cells: list[str], **extra: Any) -> Any:
    schema = {"fields": [{"name": "v", "type": ftype, **extra}]}
    csv = "v\n" + "".join(f"{c}\n" for c in cells)
    return validate_package(package(tmp_path, csv=csv, schema=schema))


def test_exclusive_bounds_reject_the_bound_itself() -> None:
    # An internal seam (constraints._constraint_masks): frictionless 5 accepts the exclusive
    # bounds only under the Data Package v2 profile, so they are checked below validation.
    from opendata.structural.constraints import _constraint_masks

    values = pa.array([0, 1, 2], pa.int64())
    for name, expected in (
        ("exclusiveMinimum", [True, True, False]),
        ("exclusiveMaximum", [False, True, True]),
    ):
        field = Field(name="v", type="integer", constraints={name: 1})
        [mask] = [m for n, _, m in _constraint_masks(field, values, values) if n == name]
        assert mask.to_pylist() == expected, name


def test_header_false_reads_the_first_line_as_data(tmp_path: Path) -> None:
    path = package(tmp_path, csv="2016,28,east\n2017,x,west\n")
    desc = json.loads(path.read_text())
    desc["resources"][0]["dialect"] = {"header": False}
    path.write_text(json.dumps(desc))
    schema = json.loads((tmp_path / "schemas" / "t.json").read_text())
    schema["fields"] = [{**f, "name": f"field{i + 1}"} for i, f in enumerate(schema["fields"])]
    schema["primaryKey"] = ["field1"]
    (tmp_path / "schemas" / "t.json").write_text(json.dumps(schema))
    report = validate_package(path)
    assert [(i.code, i.line) for i in report.issues] == [("type-error", 2)]
    assert report.resources[0].rows == 2


def test_a_ragged_record_spanning_lines_moves_the_next_lines(tmp_path: Path) -> None:
    csv = 'year,exited,region\n2016,1,"a\nb\nc",extra\n2017,x,d\n'
    report = validate_package(package(tmp_path, csv=csv))
    assert [(i.code, i.line) for i in report.issues] == [("extra-cell", 2), ("type-error", 5)]


def test_hex_integers_are_type_errors_in_either_case(tmp_path: Path) -> None:
    report = _one_field(tmp_path, "integer", ["0x1F", "0X1F", "31"])
    assert _lines(report, "type-error") == [2, 3]


def test_a_ratio_is_compared_after_the_sources_rounding(tmp_path: Path) -> None:
    checks = [
        {
            "id": "share",
            "type": "ratio",
            "message": "291 of 305 is 95.4 %",
            "numerator": 291,
            "denominator": 305,
            "scale": 100,
            "round": 1,
            "equals": 95.4,
        }
    ]
    report = validate_package(package(tmp_path, checks=checks))
    assert report.valid, [i.message for i in report.issues]


@pytest.mark.parametrize(("year", "valid"), [("2016", True), ("2020", True), ("2021", False)])
def test_a_chained_comparison_keeps_both_bounds(tmp_path: Path, year: str, valid: bool) -> None:
    checks = [
        {
            "id": "years",
            "type": "expression",
            "message": "2016-2020",
            "expression": "2016 <= year <= 2020",
        }
    ]
    csv = f"year,exited,region\n2018,1,a\n{year},2,b\n"
    report = validate_package(package(tmp_path, csv=csv, checks=checks))
    assert report.valid is valid


def _gate_repo(root: Path, version: str, change: str) -> Any:
    package(root, changelog=f"## [{version}]\n\nx\n## [1.0.0]\n\nfirst\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    schema = json.loads((root / "schemas" / "t.json").read_text())
    if change == "patch":
        (root / "data" / "t.csv").write_text(
            "year,exited,region\n2016,29,east\n2017,125,west\n2018,283,east\n"
        )
    elif change == "major":
        schema["fields"][1]["constraints"]["maximum"] = 1000
    (root / "schemas" / "t.json").write_text(json.dumps(schema))
    desc = json.loads((root / "datapackage.json").read_text())
    desc["version"] = version
    (root / "datapackage.json").write_text(json.dumps(desc))
    return release_check(root, "HEAD")


@pytest.mark.parametrize(
    ("version", "change", "passed"),
    [
        ("1.0.1", "patch", True),
        ("2.0.0", "patch", True),  # over-bumping is allowed: "at least as far as the diff"
        ("1.0.0", "patch", False),
        ("1.1.0", "major", False),
        ("2.0.0", "major", True),
        ("0.9.0", "patch", False),  # going back is never a bump
    ],
)
def test_the_gate_wants_at_least_the_bump_the_diff_implies(
    tmp_path: Path, version: str, change: str, passed: bool
) -> None:
    result = _gate_repo(tmp_path, version, change)
    assert result.passed is passed, result.problems


def _schema_diff(tmp_path: Path, old: dict[str, Any], new: dict[str, Any]) -> str:
    package(tmp_path / "a", schema=old)
    package(tmp_path / "b", schema=new)
    return diff_packages(tmp_path / "a", tmp_path / "b").bump


def _with(**constraints: Any) -> dict[str, Any]:
    schema = json.loads(json.dumps(SCHEMA))
    schema["fields"][2]["constraints"] = constraints
    return schema


def test_narrowing_an_enum_is_major_widening_minor(tmp_path: Path) -> None:
    wide, narrow = _with(enum=["east", "west", "north"]), _with(enum=["east", "west"])
    assert _schema_diff(tmp_path / "1", wide, narrow) == "major"
    assert _schema_diff(tmp_path / "2", narrow, wide) == "minor"


def test_removing_a_foreign_key_is_minor_adding_one_major(tmp_path: Path) -> None:
    with_fk = json.loads(json.dumps(SCHEMA))
    with_fk["foreignKeys"] = [{"fields": "year", "reference": {"resource": "", "fields": "year"}}]
    assert _schema_diff(tmp_path / "1", with_fk, SCHEMA) == "minor"
    assert _schema_diff(tmp_path / "2", SCHEMA, with_fk) == "major"


def test_get_checks_the_zip_and_every_file_against_index_json(tmp_path: Path) -> None:
    from opendata.errors import Refused
    from opendata.release.get import get
    from tests.hostile.cases_release import _catalog

    catalog = _catalog(tmp_path)
    index_path = catalog / "index.json"
    original = index_path.read_text()
    for edit in ("zip", "file"):
        index = json.loads(original)
        meta = index["packages"]["hostile"]["versions"]["1.0.0"]
        target = meta["zip"] if edit == "zip" else meta["files"][0]
        target["sha256"] = "0" * 64
        index_path.write_text(json.dumps(index))
        with pytest.raises(Refused, match="sha256"):
            get(str(catalog), "hostile@1.0.0", tmp_path / f"out-{edit}")
        assert not (tmp_path / f"out-{edit}").exists()


@pytest.mark.parametrize(
    ("constraints", "violated"),
    [
        ({"exclusiveMinimum": 10**30}, ["exclusiveMinimum"]),
        ({"exclusiveMaximum": 10**30}, ["exclusiveMaximum"]),
        ({"minimum": 10**30, "maximum": 10**30}, []),
        ({"enum": [str(10**30)]}, []),
        ({"enum": [1, 2]}, ["enum"]),
    ],
)
def test_integers_beyond_64_bits_meet_every_bound(
    constraints: dict[str, Any], violated: list[str]
) -> None:
    # An internal seam (constraints._wide_violations): the exclusive bounds cannot pass the
    # schema check without the v2 profile (see test_exclusive_bounds_reject_the_bound_itself).
    from opendata.structural.constraints import _wide_violations

    field = Field(name="v", type="integer", constraints=constraints)
    assert [name for name, _ in _wide_violations(field, 10**30)] == violated


def test_findings_name_their_rule(tmp_path: Path) -> None:
    csv = f"year,exited,region\n2016,{10**30},east,extra\n"
    schema = json.loads(json.dumps(SCHEMA))
    schema["fields"][1]["constraints"] = {"enum": [1]}
    report = validate_package(package(tmp_path, csv=csv, schema=schema))
    assert sorted((i.code, i.rule) for i in report.issues) == [
        ("constraint-error", "constraint:enum"),
        ("extra-cell", "extra-cell"),
    ]


def test_extra_cells_carry_their_position_and_value(tmp_path: Path) -> None:
    csv = "year,exited,region\n2016,1,east,x,y\n"
    report = validate_package(package(tmp_path, csv=csv))
    extra = [i for i in report.issues if i.code == "extra-cell"]
    assert [(i.line, i.rule, i.details) for i in extra] == [
        (2, "extra-cell", {"position": 4, "actual": "x"}),
        (2, "extra-cell", {"position": 5, "actual": "y"}),
    ]
    assert "column 5" in extra[1].message


def test_a_blank_row_names_its_rule(tmp_path: Path) -> None:
    report = validate_package(package(tmp_path, csv="year,exited,region\n2016,1,a\n,,\n"))
    blank = [(i.line, i.rule) for i in report.issues if i.code == "blank-row"]
    assert blank == [(3, "blank-row")]  # frictionless adds a primary-key error for it too


@pytest.mark.parametrize(
    ("constraints", "bad"),
    [
        ({"maximum": -(10**40)}, [2, 3]),
        ({"minimum": 10**40}, [2, 3]),
        ({"maximum": 10**40, "minimum": -(10**40)}, []),
        ({"minimum": 6, "maximum": 10**40}, [2]),
    ],
)
def test_bounds_beyond_64_bits_put_every_value_on_one_side(
    tmp_path: Path, constraints: dict[str, Any], bad: list[int]
) -> None:
    report = _one_field(tmp_path, "integer", ["5", "7"], constraints=constraints)
    assert _lines(report, "constraint-error") == bad


def test_an_unreadable_bound_does_not_hide_the_next_one() -> None:
    # An internal seam (constraints._bound_masks): the schema check refuses such a bound first.
    from opendata.structural.constraints import _bound_masks

    field = Field(name="v", type="integer", constraints={"minimum": "zero", "maximum": 1})
    [(name, _, mask)] = _bound_masks(field, pa.array([0, 5], pa.int64()))
    assert (name, mask.to_pylist()) == ("maximum", [False, True])
