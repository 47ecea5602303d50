"""`opendata validate data.csv`: one table, its schema inferred as `describe` (and frictionless) infers it.

The differential cases run `frictionless.validate` on the same file and compare rows, fields
and codes; where the two are meant to differ, the test says so (docs/compatibility.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from opendata.cli import main
from opendata.describe import describe_table
from opendata.errors import CouldNotRun
from opendata.validate import validate_package

NO_FIELD = ("primary-key", "foreign-key", "extra-cell", "blank-row")

CASES = {
    # ten integers and one word: frictionless's 90 % confidence keeps it integer, the word a type-error
    "integers-and-a-word": "a,b\n" + "".join(f"{i},x\n" for i in range(1, 11)) + "abc,p\n",
    # one word in three: text, so nothing to report
    "too-few-integers": "a,b\n1,x\n2,y\nabc,z\n",
    "a-word-after-the-sample": "a\n" + "".join(f"{i}\n" for i in range(150)) + "x\n",
    "booleans-and-a-maybe": "f,n\n"
    + "".join(f"{'true' if i % 2 else 'false'},{i}\n" for i in range(12))
    + "maybe,3\n",
    "blank-row": "a,b\n1,x\n\n2,y\n",
    "extra-cell": "a,b\n1,x\n2,y,z\n3,w\n",
    "missing-cell": "a,b\n1,x\n2\n3,w\n",
    "duplicate-label": "a,a\n1,2\n",
    "codes-with-leading-zeros": "code,n\n010000,1\n020000,2\n030000,3\n",
    "semicolons": "a;b\n1;x\n2;y\n",
}


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's folder as the working directory (the paths below are relative, as typed)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def theirs(path: str) -> set[tuple[Any, Any, str]]:
    """`frictionless validate PATH`'s findings as (row, field, code)."""
    from frictionless import validate

    found = set()
    for row, field, code in validate(path).flatten(["rowNumber", "fieldName", "type"]):
        row = 1 if code.endswith("-label") else row
        found.add((row, None if code in NO_FIELD else field or None, code))
    return found


def ours(path: str, **kw: Any) -> set[tuple[Any, Any, str]]:
    """opendata's findings on PATH as (row, field, code)."""
    report = validate_package(path, **kw)
    return {(i.row, None if i.code in NO_FIELD else i.field, i.code) for i in report.issues}


@pytest.mark.parametrize("case", sorted(CASES))
def test_findings_equal_frictionless_validate_on_the_bare_file(here: Path, case: str) -> None:
    Path(f"{case}.csv").write_text(CASES[case], encoding="utf-8")
    assert ours(f"{case}.csv") == theirs(f"{case}.csv")


def test_a_tsv_file_is_read_with_tabs(here: Path) -> None:
    Path("t.tsv").write_text("code\tn\n010000\t1\n020000\tx\n", encoding="utf-8")
    assert ours("t.tsv") == theirs("t.tsv") == set()
    assert describe_table("t.tsv")["schema"]["fields"][0]["type"] == "string"  # a code, as text
    schema = {"fields": [{"name": "code", "type": "string"}, {"name": "n", "type": "integer"}]}
    Path("s.json").write_text(json.dumps(schema), encoding="utf-8")
    assert ours("t.tsv", schema="s.json") == {(3, "n", "type-error")}


def test_the_integer_column_with_a_word_is_a_type_error_on_its_row(here: Path) -> None:
    Path("t.csv").write_text(CASES["integers-and-a-word"], encoding="utf-8")
    assert ours("t.csv") == {(12, "a", "type-error")}


def test_findings_name_the_csv_file_and_exit_1(here: Path) -> None:
    (here / "data").mkdir()
    Path("data/gdp.csv").write_text(CASES["integers-and-a-word"], encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "data/gdp.csv", "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["descriptor"] == "data/gdp.csv"
    assert [(i["path"], i["line"], i["field"]) for i in report["issues"]] == [
        ("data/gdp.csv", 12, "a")
    ]
    assert CliRunner().invoke(main, ["validate", str(here / "data" / "gdp.csv")]).exit_code == 1


def test_a_valid_file_exits_0(here: Path) -> None:
    Path("ok.csv").write_text(CASES["too-few-integers"], encoding="utf-8")
    assert CliRunner().invoke(main, ["validate", "ok.csv"]).exit_code == 0


def test_describe_then_validate_finds_what_validating_the_file_finds(here: Path) -> None:
    Path("t.csv").write_text(CASES["integers-and-a-word"], encoding="utf-8")
    drafted = CliRunner().invoke(main, ["describe", "t.csv"])
    Path("datapackage.json").write_text(drafted.stdout, encoding="utf-8")
    assert ours("datapackage.json") == ours("t.csv") == {(12, "a", "type-error")}


def test_a_late_code_of_another_width_breaks_the_inferred_pattern(here: Path) -> None:
    """A documented difference: frictionless types leading-zero codes as integers and reports
    nothing; describe keeps them as text of the width seen in its 1000-row sample, so a code of
    another width after the sample breaks the pattern."""
    rows = "".join(f"{i:06d},{i}\n" for i in range(1, 1101)) + "12345,0\n"
    Path("codes.csv").write_text("code,n\n" + rows, encoding="utf-8")
    assert theirs("codes.csv") == set()
    assert ours("codes.csv") == {(1102, "code", "constraint-error")}


def test_a_sample_of_1000_rows_can_decide_a_type_frictionless_decides_on_100(here: Path) -> None:
    """A documented difference: 100 integers then 20 words are integers to frictionless (it
    samples 100 rows) and text to opendata (1000 rows, 83 % integers, under the 90 % needed)."""
    rows = "".join(f"{i}\n" for i in range(100)) + "word\n" * 20
    Path("late.csv").write_text("a\n" + rows, encoding="utf-8")
    assert len(theirs("late.csv")) == 20
    assert ours("late.csv") == set()


# --- --schema ----------------------------------------------------------------------------------

SCHEMA = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]}


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_a_given_schema_replaces_the_inferred_one(here: Path, fmt: str) -> None:
    (here / "schemas").mkdir()
    text = json.dumps(SCHEMA) if fmt == "json" else yaml.safe_dump(SCHEMA)
    Path(f"schemas/t.{fmt}").write_text(text, encoding="utf-8")
    Path("t.csv").write_text(CASES["too-few-integers"], encoding="utf-8")
    assert ours("t.csv") == set()  # inferred: text
    assert ours("t.csv", schema=f"schemas/t.{fmt}") == {(4, "a", "type-error")}
    result = CliRunner().invoke(main, ["validate", "t.csv", "--schema", f"schemas/t.{fmt}"])
    assert result.exit_code == 1


def test_schema_is_for_a_data_file_only(here: Path) -> None:
    Path("s.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    Path("datapackage.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "datapackage.json", "--schema", "s.json"])
    assert result.exit_code == 2 and "--schema is for a single data file" in result.stderr


def test_a_schema_that_is_not_an_object_could_not_run(here: Path) -> None:
    Path("t.csv").write_text(CASES["too-few-integers"], encoding="utf-8")
    Path("s.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(CouldNotRun, match="must be a Table Schema object"):
        validate_package("t.csv", schema="s.json")


# --- what is a descriptor and what is a table --------------------------------------------------


def test_a_table_schema_given_as_the_descriptor_says_what_to_do(here: Path) -> None:
    Path("schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "schema.json"])
    assert result.exit_code == 2
    assert "not a Data Package descriptor" in result.stderr and "--schema" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_missing_data_file_could_not_run(here: Path) -> None:
    result = CliRunner().invoke(main, ["validate", "missing.csv"])
    assert result.exit_code == 2 and "missing.csv: not found" in result.stderr


def test_the_spark_engine_refuses_a_single_file_before_starting(here: Path) -> None:
    Path("t.csv").write_text(CASES["too-few-integers"], encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "t.csv", "--engine", "spark"])
    assert result.exit_code == 2 and "--engine spark reads local descriptors only" in result.stderr
