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
    import gzip

    fields = {
        f["name"]: f for f in raw.get("schema", {}).get("fields", []) if f.get("type") == "integer"
    }
    if not fields:
        return []
    widths: dict[str, set[int]] = {name: set() for name in fields}
    leading_zero: set[str] = set()
    dialect: dict[str, Any] = d if isinstance(d := raw.get("dialect"), dict) else {}
    delimiter = dialect.get("delimiter") or ","
    encoding = raw.get("encoding") or "utf-8"
    opened = (
        gzip.open(path, "rt", encoding=encoding, newline="")
        if raw.get("compression") == "gz"
        else path.open(encoding=encoding, newline="")
    )
    with opened as fh:
        for count, row in enumerate(csv.DictReader(fh, delimiter=delimiter)):
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


def _infer(path: Path, detector: Any) -> dict[str, Any]:
    """One data file's resource descriptor, as frictionless's `describe` infers it."""
    from frictionless import Resource, describe

    try:
        resource = describe(str(path), type="resource", detector=detector)
    except Exception as exc:  # frictionless raises its own errors and the parsers' ones
        raise CouldNotRun(
            f"cannot infer a schema: {exc}", path=str(path), hint="is it a CSV file?"
        ) from None
    if not isinstance(resource, Resource):
        raise CouldNotRun("not a single data file", path=str(path), hint="name a CSV file")
    raw: dict[str, Any] = resource.to_descriptor()
    raw.pop("scheme", None)  # "file" is the default; a descriptor is clearer without it
    dialect = raw.get("dialect")
    if isinstance(dialect, dict) and isinstance(dialect.get("csv"), dict):
        # frictionless writes CSV options as v2's `{"csv": {...}}`; the v1 form (the options
        # themselves) is what every reader of a Data Package, frictionless included, reads.
        raw["dialect"] = {**{k: v for k, v in dialect.items() if k != "csv"}, **dialect["csv"]}
    if raw.get("format") in ("csv", "tsv"):
        _keep_codes_as_text(raw, path)
    return raw


def describe_table(path: str | Path) -> dict[str, Any]:
    """One data file's resource descriptor with its inferred schema, as `describe` drafts it.

    `opendata validate data.csv` validates against this same schema, so that a descriptor
    drafted by `describe` finds what validating the bare file finds.
    """
    from frictionless import Detector

    return _infer(Path(path), Detector(sample_size=SAMPLE_ROWS))


def describe_tables(
    paths: list[str | Path], *, name: str | None = None, allow_remote: bool = False
) -> dict[str, Any]:
    """A Data Package descriptor for these data files, each schema inferred by frictionless.

    A path may be an http(s) URL when `allow_remote`: the file is downloaded to infer its
    schema, and the resource keeps the URL as its path.
    """
    from contextlib import nullcontext

    from opendata.remote import Downloads, is_url, refuse_remote

    files = [str(p) for p in paths]
    for text in files:
        path = Path(text)
        if "://" in text:
            if not allow_remote:
                refuse_remote(text, what="data file", where=text)
        elif path.is_absolute() or ".." in path.parts:
            raise CouldNotRun(
                "give data files as paths relative to the package folder",
                path=str(path),
                hint="run describe from the folder that will hold datapackage.json",
            )
        elif not path.is_file():
            raise CouldNotRun("data file not found", path=str(path))
    resources: list[dict[str, Any]] = []
    with Downloads() if allow_remote else nullcontext() as downloads:
        for text in files:
            if is_url(text) and downloads is not None:
                resource = describe_table(downloads.fetch(text))
                resource["path"] = text
            else:
                resource = describe_table(text)
            resources.append(resource)
    local = [Path(p) for p in files if "://" not in p]
    return {"name": name or _package_name(local), "resources": resources}


def render_descriptor(descriptor: dict[str, Any], fmt: str = "json") -> str:
    """The descriptor as JSON (2-space indent, UTF-8) or YAML."""
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False))
    import json

    return json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
