"""`opendata describe`: a drafted descriptor that validates, keeps codes as text, and never overwrites."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from opendata.cli import main
from opendata.validate import validate_package

TABLE = (
    "code,name,year,share,exited,when\n"
    "010000,甲,2016,0.5,true,2020-01-02\n"
    "520000,贵州,2020,7.9,false,2020-11-23\n"
    "530000,云南,2019,,false,\n"
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding one CSV and nothing else, as the working directory."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "provinces.csv").write_text(TABLE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _describe(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["describe", *args])
    return result.exit_code, result.output


def test_the_draft_validates_with_opendata_and_frictionless(folder: Path) -> None:
    from frictionless import Package

    code, text = _describe("data/provinces.csv", "--name", "demo")
    assert code == 0
    (folder / "datapackage.json").write_text(text, encoding="utf-8")
    report = validate_package(folder / "datapackage.json")
    assert report.valid, report.flatten("line", "field", "code")
    assert report.resources[0].rows == 3
    assert Package(str(folder / "datapackage.json")).validate().valid


def test_types_are_inferred_and_codes_with_leading_zeros_stay_text(folder: Path) -> None:
    descriptor = json.loads(_describe("data/provinces.csv")[1])
    fields = {f["name"]: f for f in descriptor["resources"][0]["schema"]["fields"]}
    assert {n: f["type"] for n, f in fields.items()} == {
        "code": "string",
        "name": "string",
        "year": "integer",
        "share": "number",
        "exited": "boolean",
        "when": "date",
    }
    assert fields["code"]["constraints"] == {"pattern": r"^\d{6}$"}
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", descriptor["name"])  # a valid package name


def test_yaml_says_the_same_as_json(folder: Path) -> None:
    as_json = json.loads(_describe("data/provinces.csv")[1])
    assert yaml.safe_load(_describe("data/provinces.csv", "--format", "yaml")[1]) == as_json


def test_out_writes_a_new_file_and_never_overwrites(folder: Path) -> None:
    assert _describe("data/provinces.csv", "--out", "datapackage.json")[0] == 0
    written = (folder / "datapackage.json").read_text(encoding="utf-8")
    assert json.loads(written)["resources"][0]["path"] == "data/provinces.csv"
    (folder / "datapackage.json").write_text("{}", encoding="utf-8")
    code, output = _describe("data/provinces.csv", "--out", "datapackage.json")
    assert code == 2 and "file exists" in output
    assert (folder / "datapackage.json").read_text(encoding="utf-8") == "{}"


@pytest.mark.parametrize(
    ("path", "says"),
    [("missing.csv", "not found"), ("../outside.csv", "relative to the package folder")],
)
def test_paths_it_cannot_describe_are_could_not_run(folder: Path, path: str, says: str) -> None:
    (folder.parent / "outside.csv").write_text(TABLE, encoding="utf-8")
    code, output = _describe(path)
    assert code == 2 and says in output
    assert "Traceback" not in output
