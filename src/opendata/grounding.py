"""Grounding: every locator that cites a paragraph of a source text must point at a paragraph
that exists under the heading it names, and every figure or quote given with it must stand there.

A locator is `<heading> ¶N` (or `¶A-¶B` for a run of paragraphs): N counts the non-blank lines
of the source file from the top, headings included; the heading is the nearest one at or before
¶N, written without `#`, or `(无标题)` when none precedes it. Locators are found in three places:

- the `locator` field of a resource with a `source_id` field (with the figure in `as_written`,
  when the resource has that field);
- any other text cell that cites a paragraph: `<source_id>, <heading> ¶N`, `NNN ¶N` (a source
  named by the first three characters of its id) or a bare `¶N` (the row's own `source_id`);
- the `claim` of a declared check, `<source_id>#<heading> ¶N`, with the check's optional
  `quote` (a string or a list of strings) as the words that must stand there.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
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
CLAIM_KEY = "claim"
QUOTE_KEY = "quote"
NO_HEADING = "(无标题)"

_SPACE = re.compile(r"\s+")
_MARKDOWN_HEADING = re.compile(r"^\s*#+\s*")
# Marks a heading line may start with besides `#`: bullets and section signs.
_HEADING_MARKS = re.compile(r"^[\s#•▲■●◆]+")
# `<heading> ¶N` or `<heading> ¶A-¶B` as a whole locator.
_LOCATOR = re.compile(r"^(?P<head>.*?)\s*¶\s*(?P<first>\d+)(?:\s*[-–]\s*¶?\s*(?P<last>\d+))?\s*$")
_RUN = r"¶\s*(?P<first>\d+)(?:\s*[-–]\s*¶?\s*(?P<last>\d+))?"
# Paragraph references inside free text, most specific first.
_FULL_REF = re.compile(
    r"(?P<sid>\b\d{3}_[0-9a-f]{16})\s*[,，#]\s*(?P<head>[^,，;；()（）¶#]*?)\s*" + _RUN
)
_PREFIX_REF = re.compile(r"(?<![\w.-])(?P<prefix>\d{3})\s+" + _RUN)
_BARE_REF = re.compile(_RUN)
_CLAIM_REF = re.compile(r"(?P<sid>[A-Za-z0-9_.-]+)#(?P<loc>[^#]*?" + _RUN + r")")


def _squash(text: str) -> str:
    return _SPACE.sub("", text)


@dataclass(frozen=True)
class Locator:
    """A parsed paragraph locator: the heading it names (or None) and the paragraphs cited."""

    heading: str | None
    first: int
    last: int

    @property
    def label(self) -> str:
        run = f"¶{self.first}" if self.first == self.last else f"¶{self.first}-¶{self.last}"
        return f"{self.heading} {run}" if self.heading else run


def parse_locator(text: str) -> Locator | None:
    """`<heading> ¶N` / `<heading> ¶A-¶B` as a Locator; None when it cites no paragraph."""
    m = _LOCATOR.match(text.strip())
    if not m:
        return None
    return _locator(m.group("head"), m.group("first"), m.group("last"))


def _locator(head: str | None, first: str, last: str | None) -> Locator:
    heading = (head or "").strip() or None
    return Locator(heading, int(first), int(last) if last else int(first))


class SourceText:
    """A source document as numbered non-blank lines (¶1 is the first)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.paragraphs = [p for p in text.splitlines() if p.strip()]

    def span(self, loc: Locator) -> str | None:
        """The cited paragraphs joined, or None when any of them does not exist."""
        if not 0 < loc.first <= loc.last <= len(self.paragraphs):
            return None
        return "\n".join(self.paragraphs[loc.first - 1 : loc.last])

    def heading_ok(self, loc: Locator) -> bool:
        """Whether the locator's heading is the nearest heading at or before its first paragraph.

        A line counts as the heading when it starts with the heading's words (`#`, bullets and
        spaces aside: a short form of a long heading line is allowed); no markdown heading may
        stand between it and the paragraph. `(无标题)` holds when no
        markdown heading precedes the paragraph.
        """
        if loc.heading is None:
            return True
        upto = self.paragraphs[: loc.first]
        marked = [i for i, p in enumerate(upto) if _MARKDOWN_HEADING.match(p)]
        if loc.heading == NO_HEADING:
            return not marked
        want = _squash(loc.heading)
        hits = [
            i for i, p in enumerate(upto) if _squash(_HEADING_MARKS.sub("", p)).startswith(want)
        ]
        if not hits:
            return False
        return not any(i > hits[-1] for i in marked)


class _Texts:
    """Source texts of a folder, read once each, found by id or by the id's three-digit prefix."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._by_id: dict[str, SourceText | None] = {}

    def get(self, source_id: str) -> SourceText | None:
        if source_id not in self._by_id:
            text = None
            for candidate in [*sorted(self.folder.glob(f"{source_id}.*")), self.folder / source_id]:
                if candidate.is_file():
                    text = SourceText(candidate.read_text(encoding="utf-8-sig", errors="replace"))
                    break
            self._by_id[source_id] = text
        return self._by_id[source_id]

    def by_prefix(self, prefix: str) -> str | None:
        """The id of the one source whose id is `<prefix>_…`; None when none or several."""
        ids = {p.stem for p in self.folder.glob(f"{prefix}_*") if p.is_file()}
        return ids.pop() if len(ids) == 1 else None


@dataclass
class _Where:
    """Where a locator was found, for the issue."""

    resource: str | None
    path: str | None
    line: int | None
    field: str
    rule: str

    def issue(self, code: str, message: str, details: dict[str, Any], **kw: Any) -> Issue:
        return Issue(
            code=code,
            message=message,
            layer="grounding",
            resource=self.resource,
            path=self.path,
            line=self.line,
            field=self.field,
            rule=self.rule,
            details=details,
            **kw,
        )


class _Grounder:
    """Checks locators (and what they say stands there) against the texts of one folder."""

    def __init__(self, folder: Path) -> None:
        self.texts = _Texts(folder)
        self.folder = folder
        self.issues: list[Issue] = []
        self.figures = 0
        self.locators = 0

    def check(
        self,
        where: _Where,
        source_id: str | None,
        loc: Locator,
        quotes: list[str],
        *,
        reference: str,
    ) -> None:
        """Record the issues of one locator: no text, no such paragraph, wrong heading, quote absent."""
        details: dict[str, Any] = {"source_id": source_id, "locator": reference}
        text = self._text(where, source_id, reference, details)
        if text is None or source_id is None:
            return
        self.locators += 1
        span = text.span(loc)
        if span is None:
            self.issues.append(
                where.issue(
                    "ungrounded-figure",
                    f"{reference!r}: {source_id} has no {loc.label.split()[-1]} "
                    f"(it has {len(text.paragraphs)} non-blank lines)",
                    {**details, "reason": "no-such-paragraph", "paragraphs": len(text.paragraphs)},
                )
            )
            return
        if not text.heading_ok(loc):
            self.issues.append(
                where.issue(
                    "ungrounded-figure",
                    f"{reference!r}: {loc.heading!r} is not the nearest heading above "
                    f"¶{loc.first} of {source_id} (¶N counts non-blank lines from the top of "
                    f"the file)",
                    {**details, "reason": "heading", "expected": loc.heading},
                )
            )
        for quote in quotes:
            self._quote(where, quote, span, text, loc, source_id, details)

    def _text(
        self, where: _Where, source_id: str | None, reference: str, details: dict[str, Any]
    ) -> SourceText | None:
        """The cited source's text, or None with a warning when no source or no text is there."""
        if not source_id:
            message = f"{reference!r} cites a paragraph but names no source this row or check has"
        elif (text := self.texts.get(source_id)) is not None:
            return text
        else:
            message = f"no text for source {source_id!r} in {self.folder}"
        self.issues.append(where.issue("source-missing", message, details, severity="warning"))
        return None

    def _quote(
        self,
        where: _Where,
        quote: str,
        span: str,
        text: SourceText,
        loc: Locator,
        source_id: str,
        details: dict[str, Any],
    ) -> None:
        """One figure or quote must stand in the cited paragraph(s); say so if it stands elsewhere."""
        self.figures += 1
        if _squash(quote) in _squash(span):
            return
        elsewhere = _squash(quote) in _squash(text.text)
        hint = " (it occurs elsewhere in the document: fix the locator)" if elsewhere else ""
        self.issues.append(
            where.issue(
                "ungrounded-figure",
                f"{quote!r} does not occur in {loc.label} of {source_id}{hint}",
                {**details, "expected": quote, "elsewhere": elsewhere},
            )
        )

    def check_text(self, where: _Where, text: str, own_source: str | None) -> None:
        """Every paragraph reference inside a free-text cell."""
        taken: list[tuple[int, int]] = []

        def free(m: re.Match[str]) -> bool:
            return not any(a < m.end() and m.start() < b for a, b in taken)

        for m in _FULL_REF.finditer(text):
            taken.append(m.span())
            loc = _locator(m.group("head"), m.group("first"), m.group("last"))
            self.check(where, m.group("sid"), loc, [], reference=m.group(0))
        for m in _PREFIX_REF.finditer(text):
            if not free(m):
                continue
            taken.append(m.span())
            sid = self.texts.by_prefix(m.group("prefix"))
            loc = _locator(None, m.group("first"), m.group("last"))
            self.check(where, sid or f"{m.group('prefix')}_…", loc, [], reference=m.group(0))
        for m in _BARE_REF.finditer(text):
            if not free(m):
                continue
            loc = _locator(None, m.group("first"), m.group("last"))
            self.check(where, own_source, loc, [], reference=m.group(0))


def grounded_resources(package: Package) -> list[Resource]:
    """Resources that state figures: they have `as_written` and `source_id` fields."""
    out = []
    for r in package.resources:
        names = {f.name for f in r.fields}
        if {FIGURE_FIELD, SOURCE_FIELD} <= names:
            out.append(r)
    return out


def _ground_table(g: _Grounder, r: Resource) -> None:
    names = {f.name for f in r.fields}
    text_fields = [f.name for f in r.fields if f.type == "string"]
    has_locator = {LOCATOR_FIELD, SOURCE_FIELD} <= names
    assert r.fullpath is not None
    if not has_locator and "¶".encode() not in r.fullpath.read_bytes():
        return
    with r.fullpath.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for record in reader:
            line = reader.line_num
            source_id = (record.get(SOURCE_FIELD) or "").strip() or None
            if has_locator:
                locator = (record.get(LOCATOR_FIELD) or "").strip()
                loc = parse_locator(locator)
                figure = (record.get(FIGURE_FIELD) or "").strip()
                if loc is not None and source_id:
                    where = _Where(r.name, r.path, line, FIGURE_FIELD, "grounding")
                    if not figure:
                        where.field = LOCATOR_FIELD
                    g.check(where, source_id, loc, [figure] if figure else [], reference=locator)
                elif figure and source_id:
                    # No paragraph cited: the figure must occur somewhere in the source.
                    where = _Where(r.name, r.path, line, FIGURE_FIELD, "grounding")
                    _ground_anywhere(g, where, source_id, figure, locator)
            for name in text_fields:
                if has_locator and name == LOCATOR_FIELD:
                    continue
                value = record.get(name) or ""
                if "¶" in value:
                    g.check_text(_Where(r.name, r.path, line, name, "grounding"), value, source_id)


def _ground_anywhere(
    g: _Grounder, where: _Where, source_id: str, figure: str, locator: str
) -> None:
    text = g.texts.get(source_id)
    details: dict[str, Any] = {"source_id": source_id, "locator": locator}
    if text is None:
        g.issues.append(
            where.issue(
                "source-missing",
                f"no text for source {source_id!r} in {g.folder}",
                details,
                severity="warning",
            )
        )
        return
    g.figures += 1
    if _squash(figure) not in _squash(text.text):
        g.issues.append(
            where.issue(
                "ungrounded-figure",
                f"{figure!r} does not occur in the source {source_id}",
                {**details, "expected": figure, "elsewhere": False},
            )
        )


def _ground_claims(g: _Grounder, package: Package) -> None:
    declared: list[tuple[str | None, str | None, list[dict[str, Any]]]] = [
        (r.name, r.checks_path, r.checks) for r in package.resources
    ]
    declared.append((None, package.checks_path, package.checks))
    fallback = package.descriptor_path.name
    for resource, path, checks in declared:
        for check in checks:
            if not isinstance(check, dict):
                continue
            claim = check.get(CLAIM_KEY)
            if not isinstance(claim, str) or "#" not in claim:
                continue
            raw_quotes = check.get(QUOTE_KEY)
            quotes = [raw_quotes] if isinstance(raw_quotes, str) else list(raw_quotes or [])
            where = _Where(
                str(check.get("resource") or resource or "") or None,
                path or fallback,
                None,
                CLAIM_KEY,
                str(check.get("id") or ""),
            )
            refs = list(_CLAIM_REF.finditer(claim))
            for m in refs:
                loc = parse_locator(m.group("loc"))
                if loc is None:  # pragma: no cover - the pattern guarantees a paragraph
                    continue
                g.check(
                    where,
                    m.group("sid"),
                    loc,
                    [str(q) for q in quotes],
                    reference=m.group(0),
                )


def ground_facts(package: Package, folder: Path, report: Report) -> list[Issue]:
    """Check every paragraph locator of the package (rows, notes, claims) against the texts in `folder`."""
    if not folder.is_dir():
        raise CouldNotRun(
            "sources folder not found",
            path=str(folder),
            hint="pass a folder holding <source_id>.txt files",
        )
    g = _Grounder(folder)
    for r in package.resources:
        if r.fullpath is not None and r.fullpath.is_file():
            _ground_table(g, r)
    _ground_claims(g, package)
    if not grounded_resources(package):
        report.notes.append("grounding: no resource has as_written and source_id fields")
    report.notes.append(
        f"grounding: {g.figures} figures checked, {g.locators} paragraph locators resolved, "
        f"against {folder}"
    )
    return g.issues
