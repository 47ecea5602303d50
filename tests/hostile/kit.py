"""Building blocks of the hostile corpus: a small valid package, and ways to break it."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Setup = Callable[[Path], list[str]]

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "year", "type": "integer", "constraints": {"required": True}},
        {"name": "exited", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "region", "type": "string"},
    ],
    "primaryKey": ["year"],
}
CSV = "year,exited,region\n2016,28,east\n2017,125,west\n2018,283,east\n"
EPOCH = "1767225600"


@dataclass
class Case:
    """One hostile input: how to make it, the exit codes allowed, and what must hold after."""

    id: str
    setup: Setup
    exit: tuple[int, ...]
    env: dict[str, str] = field(default_factory=dict)
    limit: float = 30.0
    subprocess: bool = False  # for inputs that could hang the test process itself
    after: Callable[[Path], None] | None = None
    skip: str | None = None
    needs: str | None = None  # the issue whose work this case waits for (expected to fail today)


def package(
    root: Path,
    *,
    csv: str | bytes = CSV,
    schema: Any = None,
    descriptor: dict[str, Any] | None = None,
    checks: Any = None,
    version: str | None = "1.0.0",
    changelog: str | bytes | None = "# Changelog\n\n## [1.0.0]\n\nFirst.\n",
) -> Path:
    """Write a one-table package under ROOT; return the descriptor's path."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    data = root / "data" / "t.csv"
    data.write_bytes(csv if isinstance(csv, bytes) else csv.encode("utf-8"))
    (root / "schemas" / "t.json").write_text(
        json.dumps(SCHEMA if schema is None else schema), encoding="utf-8"
    )
    res: dict[str, Any] = {"name": "t", "path": "data/t.csv", "schema": "schemas/t.json"}
    if checks is not None:
        text = checks if isinstance(checks, str) else json.dumps(checks)
        (root / "schemas" / "t.checks.json").write_text(text, encoding="utf-8")
        res["checks"] = "schemas/t.checks.json"
    desc: dict[str, Any] = {"name": "hostile", "resources": [res]}
    if version is not None:
        desc["version"] = version
    if descriptor is not None:
        desc = descriptor
    path = root / "datapackage.json"
    path.write_text(json.dumps(desc, ensure_ascii=False), encoding="utf-8")
    if changelog is not None:
        raw = changelog.encode("utf-8") if isinstance(changelog, str) else changelog
        (root / "CHANGELOG.md").write_bytes(raw)
    return path


def raw_descriptor(text: str | bytes) -> Setup:
    """A package whose descriptor file holds exactly TEXT."""

    def setup(root: Path) -> list[str]:
        path = package(root / "p")
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        return ["validate", str(path)]

    return setup


def descriptor_with(change: Callable[[dict[str, Any]], Any]) -> Setup:
    """The valid package with CHANGE applied to its descriptor dict."""

    def setup(root: Path) -> list[str]:
        path = package(root / "p")
        desc = json.loads(path.read_text(encoding="utf-8"))
        change(desc)
        path.write_text(json.dumps(desc), encoding="utf-8")
        return ["validate", str(path)]

    return setup


def schema_with(change: Callable[[dict[str, Any]], Any]) -> Setup:
    """The valid package with CHANGE applied to a copy of its Table Schema."""

    def setup(root: Path) -> list[str]:
        schema = json.loads(json.dumps(SCHEMA))
        result = change(schema)
        return ["validate", str(package(root / "p", schema=schema if result is None else result))]

    return setup


def csv_bytes(data: str | bytes, schema: Any = None) -> Setup:
    """The valid package with its data file holding DATA."""

    def setup(root: Path) -> list[str]:
        return ["validate", str(package(root / "p", csv=data, schema=schema))]

    return setup


def one_field(type_: str, cells: list[str], **constraints: Any) -> Setup:
    """A one-column table of TYPE with CONSTRAINTS and the given cells."""
    schema = {"fields": [{"name": "v", "type": type_, "constraints": constraints}]}
    return csv_bytes("v\n" + "".join(f"{c}\n" for c in cells), schema)


def field_with(extra: dict[str, Any], cells: list[str], type_: str = "string") -> Setup:
    """A one-column table whose field carries EXTRA properties."""
    schema = {"fields": [{"name": "v", "type": type_, **extra}]}
    return csv_bytes("v\n" + "".join(f"{c}\n" for c in cells), schema)


def with_checks(checks: Any) -> Setup:
    """The valid package with a checks file holding CHECKS (a value, or raw text)."""

    def setup(root: Path) -> list[str]:
        return ["validate", str(package(root / "p", checks=checks))]

    return setup


def git(root: Path, *args: str) -> None:
    """Run git quietly in ROOT with a fixed identity."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def leftovers(folder: Path) -> list[str]:
    """Hidden staging entries (`.name...`) left in FOLDER or its subfolders."""
    if not folder.exists():
        return []
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob(".*")
        if not any(part == ".git" for part in p.parts) and p.name != ".opendata.lock"
    )
