"""frictionless's verdicts from a child process: the same findings as in-process, and a fallback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from opendata.package import load_package
from opendata.structural.verdicts import IN_PROCESS_ENV, Pending, verdicts
from opendata.validate import validate_package

GOOD = {"fields": [{"name": "a", "type": "integer"}]}
BAD_TYPE = {"fields": [{"name": "a", "type": "integr"}]}
BAD_KEY = {"fields": [{"name": "a", "type": "integer"}], "primaryKey": 7}


def broken_package(make_package: Callable[..., Path]) -> Path:
    """A descriptor frictionless rejects, and two tables whose schemas it rejects."""
    return make_package(
        {"good": ("a\n1\n", GOOD), "typo": ("a\n1\n", BAD_TYPE), "key": ("a\n1\n", BAD_KEY)},
        extra={"name": "Not A Valid Name!", "licenses": "CC0"},
    )


def dicts(found: tuple[list, dict[str, list]]) -> tuple[list, dict[str, list]]:
    descriptor, schemas = found
    return [i.to_dict() for i in descriptor], {
        name: [i.to_dict() for i in issues] for name, issues in schemas.items()
    }


def test_the_child_answers_what_this_process_would(make_package: Callable[..., Path]) -> None:
    package = load_package(broken_package(make_package))
    pending = Pending(package)
    assert pending.child is not None  # a child was started, and its answer is used
    found = dicts(pending.result())
    assert pending.child.returncode == 0
    assert found == dicts(verdicts(package))
    descriptor, schemas = found
    assert descriptor and schemas["typo"] and schemas["key"] and schemas["good"] == []
    assert {i["code"] for i in descriptor} <= {"package-error", "resource-error"}


def test_the_child_prints_json_for_the_descriptor(make_package: Callable[..., Path]) -> None:
    path = broken_package(make_package)
    out = subprocess.run(
        [sys.executable, "-m", "opendata.structural.verdicts", str(path)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    expected = dicts(verdicts(load_package(path)))
    assert json.loads(out) == {"descriptor": expected[0], "schemas": expected[1]}


def test_the_child_refuses_a_missing_descriptor(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "opendata.structural.verdicts", str(tmp_path / "nope.json")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "nope.json" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "executable",
    [
        "/bin/echo",  # starts, exits 0, prints something that is not the answer
        "/bin/false",  # starts and fails
        "/no/such/python",  # cannot start
    ],
)
def test_a_child_that_fails_is_replaced_by_this_process(
    make_package: Callable[..., Path], monkeypatch: pytest.MonkeyPatch, executable: str
) -> None:
    package = load_package(broken_package(make_package))
    expected = dicts(verdicts(package))
    monkeypatch.setattr(sys, "executable", executable)
    assert dicts(Pending(package).result()) == expected


def test_in_process_unless_asked_or_when_told(
    make_package: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = broken_package(make_package)
    package = load_package(path)
    with_child = validate_package(path, child=True).to_dict()
    assert Pending(package, child=False).child is None
    assert validate_package(path).to_dict() == with_child
    assert any(i["layer"] == "descriptor" for i in with_child["issues"])
    monkeypatch.setenv(IN_PROCESS_ENV, "1")
    assert Pending(package).child is None
