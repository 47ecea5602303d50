"""The CLI: exit codes, formats, one-line errors, help text and README coverage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.validate import validate_package
from tests.conftest import BATCHES_CSV, BATCHES_SCHEMA, REPO

SUM_832 = [
    {
        "id": "sum-832",
        "type": "column-sum",
        "message": "batches add up to 832",
        "column": "exited",
        "equals": 832,
    }
]


def package(make_package: Callable[..., Path], csv: str = BATCHES_CSV) -> Path:
    return make_package({"batches": (csv, BATCHES_SCHEMA)}, checks={"batches": SUM_832})


def test_valid_exits_0(make_package: Callable[..., Path]) -> None:
    result = CliRunner().invoke(main, ["validate", str(package(make_package))])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_broken_invariant_exits_1_naming_file_line_rule(make_package: Callable[..., Path]) -> None:
    path = package(make_package, BATCHES_CSV.replace("2020,52,832", "2020,53,832"))
    result = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    [issue] = json.loads(result.output)["issues"]
    assert (
        issue["path"],
        issue["rule"],
        issue["details"]["expected"],
        issue["details"]["actual"],
    ) == ("data/batches.csv", "sum-832", 832, 833)


def test_json_is_the_api_dict(make_package: Callable[..., Path]) -> None:
    path = package(make_package, BATCHES_CSV.replace("2016,28", "2016,x"))
    result = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
    assert json.loads(result.output) == validate_package(path).to_dict()


def test_github_format_annotates_the_csv_line(make_package: Callable[..., Path]) -> None:
    path = package(make_package, BATCHES_CSV.replace("2016,28", "2016,x"))
    result = CliRunner().invoke(main, ["validate", str(path), "--format", "github"])
    assert result.exit_code == 1
    assert result.output.startswith("::error file=data/batches.csv,line=2,title=type-error::")


def test_malformed_descriptor_exits_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text('{"name": "x", "resources": [', encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "datapackage.json")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "datapackage.json" in result.output and "Traceback" not in result.output


def test_missing_data_file_exits_2(make_package: Callable[..., Path], tmp_path: Path) -> None:
    path = package(make_package)
    (tmp_path / "data" / "batches.csv").unlink()
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "data/batches.csv" in result.output


def test_missing_descriptor_and_bad_option_exit_2(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "nope.json")]).exit_code == 2
    assert CliRunner().invoke(main, ["validate", "--format", "xml"]).exit_code == 2


def test_only_unknown_resource_exits_2(make_package: Callable[..., Path]) -> None:
    result = CliRunner().invoke(main, ["validate", str(package(make_package)), "--only", "nope"])
    assert result.exit_code == 2


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out = []
    for name, command in group.commands.items():
        out.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{prefix}{name} "))
    return out


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, command in _commands(main):
        assert command.help, f"{name} has no help text"
        assert f"opendata {name}" in readme, f"`opendata {name}` is not in the README"


def test_text_output_caps_each_rule_but_json_keeps_all(make_package: Callable[..., Path]) -> None:
    rows = "".join(f"{2000 + i},x,1\n" for i in range(30))
    path = make_package({"batches": ("year,exited,cumulative\n" + rows, BATCHES_SCHEMA)})
    text = CliRunner().invoke(main, ["validate", str(path)]).output
    assert text.count("type-error") == 20  # 20 shown; the "and 10 more" line names the title
    assert "and 10 more Type Error (type:integer)" in text
    data = json.loads(CliRunner().invoke(main, ["validate", str(path), "--format", "json"]).output)
    assert data["summary"]["by_code"] == {"type-error": 30}


@pytest.mark.parametrize("rows, code", [(5, 0), (3000, 1)])
def test_the_command_exits_with_its_code_and_all_its_output(
    make_package: Callable[..., Path], rows: int, code: int
) -> None:
    """The console entry ends the process without the interpreter's teardown: nothing is lost."""
    lines = [f"{2000 + i},{'x' if rows > 5 else i},{i}" for i in range(rows)]
    csv = "year,exited,cumulative\n" + "\n".join(lines) + "\n"
    path = make_package({"batches": (csv, BATCHES_SCHEMA)})
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output is buffered
    done = subprocess.run(
        [sys.executable, "-m", "opendata", "validate", str(path), "--format", "json"],
        capture_output=True,
        env=env,
    )
    assert done.returncode == code, done.stderr
    report = json.loads(done.stdout)  # complete: far more than a pipe's buffer when invalid
    assert report == validate_package(path).to_dict()
    assert len(report["issues"]) == (rows if code else 0)


def test_the_command_exits_2_with_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "opendata", "validate", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
