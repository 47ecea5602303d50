"""What `validate` was pointed at: a package folder, a descriptor, one data file, or a URL of either.

A folder, or a file named `*.json`, `*.yaml` or `*.yml`, is a descriptor; any other file is one
table, validated against the schema `--schema` names or, without one, the schema `describe`
infers for it (as `frictionless validate data.csv` infers one). A URL is the same by the name
its path ends in, and is downloaded only when remote files are allowed.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opendata.errors import CouldNotRun
from opendata.metadata import MAX_JSON_BYTES, parse_json, read_bounded
from opendata.package import Package, load_package
from opendata.remote import Downloads, is_url, refuse_remote
from opendata.report import Report

DESCRIPTOR_SUFFIXES = (".json", ".yaml", ".yml")


def is_table(source: str | Path) -> bool:
    """Whether SOURCE names one data file rather than a descriptor or a package folder."""
    text = str(source)
    if is_url(text):
        leaf = urllib.parse.urlsplit(text).path.rsplit("/", 1)[-1]
        return bool(leaf) and not leaf.lower().endswith(DESCRIPTOR_SUFFIXES)
    path = Path(text)
    return not path.is_dir() and not path.name.lower().endswith(DESCRIPTOR_SUFFIXES)


@dataclass
class Opened:
    """A package ready to validate, and how to name its files to the user."""

    package: Package
    table: bool
    downloads: Downloads | None

    def public_report(self, report: Report) -> Report:
        """REPORT with every downloaded file named by its URL, not by its temporary copy."""
        if self.downloads is None:
            return report
        public = self.downloads.public
        report.descriptor = public(report.descriptor)
        report.notes = [public(n) for n in report.notes]
        for stats in report.resources:
            stats.path = self._public_path(stats.path)
        for issue in report.issues:
            issue.path = self._public_path(issue.path)
            issue.message = public(issue.message)
            issue.details = {
                k: public(v) if isinstance(v, str) else v for k, v in issue.details.items()
            }
        return report

    def _public_path(self, path: str | None) -> str | None:
        """A finding's path as the user can find it: a remote package's files by their URLs."""
        if path is None or self.downloads is None:
            return path
        if path == self.package.descriptor_path.name:
            return self.downloads.public(str(self.package.descriptor_path))
        return self.downloads.url_of(path) or self.downloads.public(path)


@contextmanager
def open_package(
    source: str | Path, *, schema: str | Path | None = None, allow_remote: bool = False
) -> Iterator[Opened]:
    """The package SOURCE stands for, while downloaded files (if any) exist.

    Raises CouldNotRun (naming the URL, not a temporary file) when it cannot be opened.
    """
    text = str(source)
    table = is_table(text)
    if schema is not None and not table:
        raise CouldNotRun(
            "--schema is for a single data file; a descriptor names its own schemas",
            path=text,
            hint="give a CSV file, or drop --schema",
        )
    if is_url(text) and not allow_remote:
        refuse_remote(text, what="descriptor" if not table else "data file", where=text)
    downloads = Downloads() if allow_remote else None
    with downloads if downloads is not None else nullcontext():
        if table:
            package = _table(text, schema, downloads)
        elif is_url(text) and downloads is not None:
            package = load_package(downloads.fetch_descriptor(text, limit=MAX_JSON_BYTES))
        else:
            package = load_package(text)
        yield Opened(package=package, table=table, downloads=downloads)


def _table(text: str, schema: str | Path | None, downloads: Downloads | None) -> Package:
    """A package of the one data file TEXT (a path or, downloaded, a URL)."""
    from opendata.describe import describe_table
    from opendata.package import table_package

    if downloads is not None and is_url(text):
        path = downloads.fetch(text)
    else:
        path = Path(text)
        if not path.exists():
            raise CouldNotRun(
                "not found", path=text, hint="give a package folder, a descriptor or a data file"
            )
        if not path.is_file():
            raise CouldNotRun("data file is not a regular file", path=text)
    # Inferred even with a schema: the encoding, format and dialect come from the file.
    raw = describe_table(path)
    if schema is not None:
        raw["schema"] = _read_schema(str(schema), downloads)
    return table_package(raw, path, name=str(raw.get("name") or "table"), shown=text)


def _read_schema(text: str, downloads: Downloads | None) -> dict[str, Any]:
    """The Table Schema at TEXT (JSON or YAML; a URL when downloads are allowed)."""
    if "://" in text:
        refuse_remote(text, what="schema", where=text)
        assert downloads is not None  # refuse_remote refused otherwise
        path = downloads.fetch(text, limit=MAX_JSON_BYTES)
    else:
        path = Path(text)
    raw = read_bounded(path, what="schema")
    if path.name.lower().endswith((".yaml", ".yml")):
        import yaml

        try:
            loaded = yaml.safe_load(raw.decode("utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CouldNotRun(f"schema is not valid YAML: {first}", path=text) from None
    else:
        loaded = parse_json(raw, what="schema", where=text)
    if not isinstance(loaded, dict):
        raise CouldNotRun("schema must be a Table Schema object", path=text)
    return loaded
