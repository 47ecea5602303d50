"""The repository's own package validates, and breaking an invariant is caught and located."""

from __future__ import annotations

import shutil
from pathlib import Path

from opendata.validate import validate_package
from tests.conftest import REPO


def copy_repo_package(tmp_path: Path) -> Path:
    shutil.copy(REPO / "datapackage.json", tmp_path / "datapackage.json")
    shutil.copytree(REPO / "data", tmp_path / "data")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    return tmp_path / "datapackage.json"


def test_repository_package_is_valid() -> None:
    report = validate_package(REPO / "datapackage.json")
    assert [i.to_dict() for i in report.errors] == []
    assert {r.name for r in report.resources} >= {
        "counties",
        "provinces",
        "exit_batches",
        "rural_poverty",
        "sources",
    }
    assert sum(r.checks_run for r in report.resources) > 20


def test_changing_one_number_breaks_an_invariant(tmp_path: Path) -> None:
    descriptor = copy_repo_package(tmp_path)
    path = tmp_path / "data" / "exit_batches.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[1].split(",")
    fields[1] = str(int(fields[1]) + 1)
    lines[1] = ",".join(fields)
    path.write_text("".join(lines), encoding="utf-8")
    report = validate_package(descriptor)
    assert not report.valid
    located = [
        i for i in report.errors if i.path == "data/exit_batches.csv" and i.line == 2 and i.rule
    ]
    assert located, [i.to_dict() for i in report.errors]
    assert all("expected" in i.details or i.code == "expression-failed" for i in located)
