"""Grounding: every figure as written in a facts table must occur in the source text it cites."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.report import Issue

if TYPE_CHECKING:
    from opendata.package import Package, Resource
    from opendata.report import Report

FIGURE_FIELD = "as_written"
SOURCE_FIELD = "source_id"
LOCATOR_FIELD = "locator"
_PARAGRAPH = re.compile(r"¶\s*(\d+)\s*$")
_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


def grounded_resources(package: Package) -> list[Resource]:
    """Resources that state figures: they have `as_written` and `source_id` fields."""
    out = []
    for r in package.resources:
        names = {f.name for f in r.fields}
        if {FIGURE_FIELD, SOURCE_FIELD} <= names:
            out.append(r)
    return out


def _source_text(folder: Path, source_id: str) -> str | None:
    for candidate in [*sorted(folder.glob(f"{source_id}.*")), folder / source_id]:
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8-sig", errors="replace")
    return None


def ground_facts(package: Package, folder: Path, report: Report) -> list[Issue]:
    """Check each figure against its source text (whitespace ignored; in the cited paragraph if `¶N`)."""
    import csv

    if not folder.is_dir():
        raise CouldNotRun(
            "sources folder not found",
            path=str(folder),
            hint="pass a folder holding <source_id>.txt files",
        )
    issues: list[Issue] = []
    resources = grounded_resources(package)
    if not resources:
        report.notes.append("grounding: no resource has as_written and source_id fields")
        return issues
    texts: dict[str, str | None] = {}
    checked = 0
    for r in resources:
        assert r.fullpath is not None
        with r.fullpath.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            for record in reader:
                line = reader.line_num
                figure = (record.get(FIGURE_FIELD) or "").strip()
                source_id = (record.get(SOURCE_FIELD) or "").strip()
                if not figure or not source_id:
                    continue
                if source_id not in texts:
                    texts[source_id] = _source_text(folder, source_id)
                text = texts[source_id]
                base: dict[str, Any] = {
                    "layer": "grounding",
                    "resource": r.name,
                    "path": r.path,
                    "line": line,
                    "field": FIGURE_FIELD,
                    "rule": "grounding",
                }
                if text is None:
                    issues.append(
                        Issue(
                            code="source-missing",
                            severity="warning",
                            message=f"no text for source {source_id!r} in {folder}",
                            details={"source_id": source_id},
                            **base,
                        )
                    )
                    continue
                checked += 1
                locator = (record.get(LOCATOR_FIELD) or "").strip()
                match = _PARAGRAPH.search(locator)
                haystack = text
                where = "the source"
                if match:
                    paragraphs = [p for p in text.splitlines() if p.strip()]
                    n = int(match.group(1))
                    haystack = paragraphs[n - 1] if 0 < n <= len(paragraphs) else ""
                    where = f"paragraph ¶{n}"
                if _squash(figure) not in _squash(haystack):
                    found_elsewhere = _squash(figure) in _squash(text)
                    issues.append(
                        Issue(
                            code="ungrounded-figure",
                            message=f"{figure!r} does not occur in {where} of {source_id}"
                            + (
                                " (it occurs elsewhere in the document: fix the locator)"
                                if found_elsewhere
                                else ""
                            ),
                            details={
                                "expected": figure,
                                "source_id": source_id,
                                "locator": locator,
                                "elsewhere": found_elsewhere,
                            },
                            **base,
                        )
                    )
    report.notes.append(f"grounding: {checked} figures checked against {folder}")
    return issues
