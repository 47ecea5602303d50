"""Descriptors as the standard reads them: JSON or YAML, v1 or v2, every finding named and located."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.errors import CouldNotRun
from opendata.package import load_package
from opendata.validate import validate_package

V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
COUNTIES = "code,province,people\n110101,Beijing,5\n110102,Beijing,7\n"
SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "code", "type": "string"},
        {"name": "province", "type": "string"},
        {"name": "people", "type": "integer", "constraints": {"minimum": 0}},
    ],
    "primaryKey": "code",
}


def descriptor(**extra: Any) -> dict[str, Any]:
    """A v1 tabular package of one table, in the shape of the core datasets."""
    return {
        "name": "county-panel",
        "profile": "tabular-data-package",
        "licenses": [{"name": "ODC-PDDL-1.0", "path": "http://opendatacommons.org/licenses/pddl/"}],
        "resources": [
            {
                "name": "counties",
                "path": "counties.csv",
                "profile": "tabular-data-resource",
                "schema": SCHEMA,
            }
        ],
        **extra,
    }


def write(
    root: Path, d: dict[str, Any], name: str = "datapackage.json", csv: str = COUNTIES
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "counties.csv").write_text(csv, encoding="utf-8")
    path = root / name
    if name.endswith((".yaml", ".yml")):
        import yaml

        path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    else:
        path.write_text(json.dumps(d), encoding="utf-8")
    return path


def codes(path: Path) -> list[tuple[str | None, str]]:
    return sorted((i.resource, i.code) for i in validate_package(path).issues)


# ---------------------------------------------------------------- v1 and v2


def test_a_v1_tabular_resource_with_its_schema_is_valid(tmp_path: Path) -> None:
    assert codes(write(tmp_path, descriptor())) == []


def test_a_v1_tabular_resource_without_a_schema_is_named(tmp_path: Path) -> None:
    d = descriptor()
    del d["resources"][0]["schema"]
    [issue] = [i for i in validate_package(write(tmp_path, d)).issues if i.code == "resource-error"]
    assert issue.resource == "counties"
    assert issue.message.endswith("at /resources/0/profile")


def test_exclusive_bounds_need_v2_and_are_then_checked(tmp_path: Path) -> None:
    d = descriptor()
    d["resources"][0]["schema"] = {
        "fields": [
            {"name": "code", "type": "string"},
            {"name": "province", "type": "string"},
            {"name": "people", "type": "integer", "constraints": {"exclusiveMinimum": 5}},
        ]
    }
    [v1] = validate_package(write(tmp_path / "v1", d)).issues
    assert (v1.code, v1.field) == ("field-error", "people")
    assert "at /resources/0/schema/fields/2/constraints/exclusiveMinimum" in v1.message
    [v2] = validate_package(write(tmp_path / "v2", {"$schema": V2, **d})).issues
    assert (v2.code, v2.row, v2.field) == ("constraint-error", 2, "people")


def test_v2_allows_any_name_and_v1_does_not(tmp_path: Path) -> None:
    d = descriptor(name="County Panel")
    assert codes(write(tmp_path / "v1", d)) == [(None, "package-error")]
    assert codes(write(tmp_path / "v2", {"$schema": V2, **d})) == []


# ---------------------------------------------------------------- findings never hide others


def test_a_bad_licence_does_not_stop_the_tables_being_checked(tmp_path: Path) -> None:
    d = descriptor(licenses=[{"title": "Open"}])
    d["resources"][0]["licenses"] = [{"name": "CC0-1.0"}, {"title": "no name"}]
    report = validate_package(write(tmp_path, d, csv=COUNTIES + "110103,Beijing,-1\n"))
    found = {(i.code, i.resource, i.details.get("pointer")) for i in report.issues}
    assert found == {
        ("package-error", None, "/licenses/0"),
        ("resource-error", "counties", "/resources/0/licenses/1"),
        ("constraint-error", "counties", None),
    }
    [bad_cell] = [i for i in report.issues if i.code == "constraint-error"]
    assert (bad_cell.row, bad_cell.field) == (4, "people")


def test_a_schema_file_finding_points_inside_that_file(tmp_path: Path) -> None:
    d = descriptor()
    d["resources"][0]["schema"] = "counties.schema.yaml"
    write(tmp_path, d)
    bad = {**SCHEMA, "fields": [*SCHEMA["fields"][:2], {"name": "people", "type": "integr"}]}
    import yaml

    (tmp_path / "counties.schema.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    [issue] = validate_package(tmp_path / "datapackage.json").issues
    assert (issue.code, issue.resource, issue.field) == ("field-error", "counties", "people")
    assert issue.path == "counties.schema.yaml"
    assert issue.details["pointer"] == "/fields/2/type"


# ---------------------------------------------------------------- YAML


@pytest.mark.parametrize("name", ["datapackage.yaml", "datapackage.yml"])
def test_a_yaml_descriptor_reads_as_its_json(tmp_path: Path, name: str) -> None:
    bad = descriptor(licenses=[{"title": "Open"}])

    def issues(path: Path) -> list[dict[str, Any]]:
        return [{**i.to_dict(), "path": None} for i in validate_package(path).issues]

    as_json = issues(write(tmp_path / "json", bad))
    assert issues(write(tmp_path / "yaml", bad, name)) == as_json != []
    assert issues(tmp_path / "yaml") == as_json  # the folder holding it


def test_a_folder_is_searched_json_then_yaml_then_yml(tmp_path: Path) -> None:
    write(tmp_path, descriptor(), "datapackage.yml")
    assert load_package(tmp_path).descriptor_path.name == "datapackage.yml"
    write(tmp_path, descriptor(), "datapackage.yaml")
    assert load_package(tmp_path).descriptor_path.name == "datapackage.yaml"
    write(tmp_path, descriptor(), "datapackage.json")
    assert load_package(tmp_path).descriptor_path.name == "datapackage.json"


def test_an_empty_folder_names_the_descriptors_it_looked_for(tmp_path: Path) -> None:
    with pytest.raises(CouldNotRun, match="descriptor not found") as found:
        load_package(tmp_path)
    assert "datapackage.yml" in found.value.one_line


def test_yaml_dates_stay_text(tmp_path: Path) -> None:
    path = write(tmp_path, descriptor(), "datapackage.yaml")
    path.write_text(path.read_text() + "created: 2024-05-01T10:00:00Z\n", encoding="utf-8")
    assert load_package(path).descriptor["created"] == "2024-05-01T10:00:00Z"
    assert codes(path) == []


def test_a_yaml_syntax_error_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "datapackage.yaml"
    path.write_text("name: x\nresources:\n  - name: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "datapackage.yaml" in line and "not valid YAML" in line and "line 4" in line
    assert "Traceback" not in result.output


def test_yaml_aliases_are_refused_quickly(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    path = tmp_path / "datapackage.yaml"
    path.write_text("\n".join(lines) + "\nresources: [*a11]\n", encoding="utf-8")
    began = time.perf_counter()
    with pytest.raises(CouldNotRun, match="alias"):
        load_package(path)
    assert time.perf_counter() - began < 2


@pytest.mark.parametrize(
    "text, problem",
    [
        ("resources: " + "[" * 100 + "]" * 100, "nested"),
        ("resources: []\n1: one\n", "key that is not a string"),
        ("resources: []\nbytes: .nan\n", "nan"),
        ("resources: []\n---\nresources: []\n", "more than one YAML document"),
        ("resources: !!python/object:os.system [ls]\n", "not valid YAML"),
    ],
)
def test_yaml_that_json_cannot_hold_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "datapackage.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CouldNotRun, match=problem):
        load_package(path)


# ---------------------------------------------------------------- no frictionless at run time


def test_validation_imports_neither_frictionless_nor_starts_a_process(tmp_path: Path) -> None:
    d = descriptor(licenses=[{"title": "Open"}])
    d["resources"][0]["schema"] = {"fields": [{"name": "code", "type": "integr"}]}
    path = write(tmp_path, d)
    script = (
        "import subprocess, sys\n"
        "def refuse(*a, **k): raise AssertionError('a process was started')\n"
        "subprocess.Popen.__init__ = refuse\n"
        "from opendata.validate import validate_package\n"
        f"report = validate_package({str(path)!r})\n"
        "assert sorted({i.code for i in report.issues}) == ['field-error', 'package-error']\n"
        "assert 'frictionless' not in sys.modules, 'frictionless was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_yaml_checks_and_a_yaml_package_in_diff(tmp_path: Path) -> None:
    import yaml

    from opendata.versions.diff import diff_packages

    d = descriptor()
    d["resources"][0]["checks"] = "counties.checks.yml"
    path = write(tmp_path / "old", d, "datapackage.yml")
    check = {"id": "people-sum", "type": "column-sum", "column": "people", "equals": 12}
    check["message"] = "county populations add up to 12"
    (path.parent / "counties.checks.yml").write_text(yaml.safe_dump([check]), encoding="utf-8")
    assert codes(path) == []
    (path.parent / "counties.csv").write_text(COUNTIES + "110103,Beijing,1\n", encoding="utf-8")
    [(resource, code)] = codes(path)
    assert resource == "counties" and code != "check-error"
    write(tmp_path / "new", descriptor(), "datapackage.yml")
    [changed] = diff_packages(tmp_path / "old", tmp_path / "new").resources
    assert (changed.rows_before, changed.rows_after) == (3, 2)


def test_the_command_finds_a_yaml_descriptor_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from opendata.cli import main

    write(tmp_path, descriptor(), "datapackage.yaml")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "datapackage.yaml: valid" in result.output
