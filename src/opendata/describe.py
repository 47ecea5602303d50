"""Draft a descriptor for new data: frictionless infers each table's schema, we fix what it gets wrong for codes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from opendata.errors import CouldNotRun

# Rows read to infer types; frictionless's default (100) misses a late leading zero too often.
SAMPLE_ROWS = 1000
_NAME = re.compile(r"[^a-z0-9._-]+")


def _package_name(paths: list[Path]) -> str:
    """A Data Package name from the folder the tables sit in (lower case, `-` for the rest)."""
    folder = paths[0].resolve().parent.name if paths else "package"
    return _NAME.sub("-", folder.lower()).strip("-._") or "package"


def _keep_codes_as_text(raw: dict[str, Any], path: Path) -> list[str]:
    """Integer columns holding a value with a leading zero become text (with a width pattern).

    Division codes, postcodes and the like (`010000`) are identifiers, not quantities: typed as
    integers they lose their leading zeros in every reader downstream. Returns the columns changed.
    """
    import csv

    fields = {
        f["name"]: f for f in raw.get("schema", {}).get("fields", []) if f.get("type") == "integer"
    }
    if not fields:
        return []
    widths: dict[str, set[int]] = {name: set() for name in fields}
    leading_zero: set[str] = set()
    with path.open(encoding=raw.get("encoding") or "utf-8", newline="") as fh:
        for count, row in enumerate(csv.DictReader(fh)):
            if count >= SAMPLE_ROWS:
                break
            for name in fields:
                value = (row.get(name) or "").strip()
                if value:
                    widths[name].add(len(value))
                    if len(value) > 1 and value.startswith("0"):
                        leading_zero.add(name)
    for name in leading_zero:
        fields[name]["type"] = "string"
        if len(widths[name]) == 1:
            width = next(iter(widths[name]))
            fields[name].setdefault("constraints", {})["pattern"] = rf"^\d{{{width}}}$"
    return sorted(leading_zero)


def describe_tables(paths: list[str | Path], *, name: str | None = None) -> dict[str, Any]:
    """A Data Package descriptor for these data files, each schema inferred by frictionless."""
    from frictionless import Detector, Package, Resource, describe

    files = [Path(p) for p in paths]
    for path in files:
        if path.is_absolute() or ".." in path.parts:
            raise CouldNotRun(
                "give data files as paths relative to the package folder",
                path=str(path),
                hint="run describe from the folder that will hold datapackage.json",
            )
        if not path.is_file():
            raise CouldNotRun("data file not found", path=str(path))
    detector = Detector(sample_size=SAMPLE_ROWS)
    resources: list[Resource] = []
    for path in files:
        try:
            resource = describe(str(path), type="resource", detector=detector)
        except Exception as exc:  # frictionless raises its own errors and the parsers' ones
            raise CouldNotRun(
                f"cannot infer a schema: {exc}", path=str(path), hint="is it a CSV file?"
            ) from None
        if not isinstance(resource, Resource):
            raise CouldNotRun("not a single data file", path=str(path), hint="name a CSV file")
        resources.append(resource)
    package = Package(name=name or _package_name(files), resources=resources)
    descriptor: dict[str, Any] = package.to_descriptor()
    for raw, path in zip(descriptor.get("resources", []), files, strict=True):
        raw.pop("scheme", None)  # "file" is the default; a descriptor is clearer without it
        if raw.get("format") in ("csv", "tsv"):
            _keep_codes_as_text(raw, path)
    return descriptor


def render_descriptor(descriptor: dict[str, Any], fmt: str = "json") -> str:
    """The descriptor as JSON (2-space indent, UTF-8) or YAML."""
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False))
    import json

    return json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
