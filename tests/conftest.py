"""Shared fixtures: build small real packages on disk."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def write_package(
    root: Path,
    tables: dict[str, tuple[str, dict[str, Any]]],
    *,
    checks: dict[str, list[dict[str, Any]]] | None = None,
    package_checks: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write CSVs, schemas and checks under root; return the descriptor path."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    resources = []
    for name, (csv_text, schema) in tables.items():
        (root / "data" / f"{name}.csv").write_text(csv_text, encoding="utf-8")
        (root / "schemas" / f"{name}.schema.json").write_text(json.dumps(schema), encoding="utf-8")
        resource: dict[str, Any] = {
            "name": name,
            "path": f"data/{name}.csv",
            "schema": f"schemas/{name}.schema.json",
        }
        if checks and name in checks:
            (root / "schemas" / f"{name}.checks.json").write_text(
                json.dumps(checks[name]), encoding="utf-8"
            )
            resource["checks"] = f"schemas/{name}.checks.json"
        resources.append(resource)
    descriptor: dict[str, Any] = {"name": "fixture", "resources": resources}
    if package_checks is not None:
        descriptor["checks"] = package_checks
    descriptor.update(extra or {})
    path = root / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def make_package(tmp_path: Path) -> Callable[..., Path]:
    """A factory writing a package into tmp_path."""

    def factory(tables: dict[str, tuple[str, dict[str, Any]]], **kw: Any) -> Path:
        return write_package(tmp_path, tables, **kw)

    return factory


BATCHES_SCHEMA = {
    "fields": [
        {"name": "year", "type": "integer", "constraints": {"required": True}},
        {"name": "exited", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "cumulative", "type": "integer"},
    ],
    "primaryKey": ["year"],
}
BATCHES_CSV = (
    "year,exited,cumulative\n2016,28,28\n2017,125,153\n2018,283,436\n2019,344,780\n2020,52,832\n"
)
