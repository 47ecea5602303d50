"""Render a validation Report as text (rich), JSON, or GitHub workflow commands."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from typing import IO, Any

from opendata.codes import describe
from opendata.report import Issue, Report, jsonable


def render_json(report: Report) -> str:
    """Exactly the API's dict, as JSON."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    """GitHub Actions workflow commands, so findings show on the CSV line of a pull request."""
    lines = []
    for issue in report.sorted_issues():
        level = "error" if issue.severity == "error" else "warning"
        props = []
        if issue.path:
            props.append(f"file={_escape_property(issue.path)}")
        if issue.line:
            props.append(f"line={issue.line}")
        title = issue.code + (
            f" [{issue.rule}]" if issue.rule and issue.layer == "semantic" else ""
        )
        props.append(f"title={_escape_property(title)}")
        where = f"{issue.field}: " if issue.field else ""
        lines.append(f"::{level} {','.join(props)}::{_escape_data(where + issue.message)}")
    lines.append(_summary(report))
    return "\n".join(lines)


def _summary(report: Report) -> str:
    verdict = "valid" if report.valid else "invalid"
    rows = sum(r.rows or 0 for r in report.resources)
    return (
        f"{report.descriptor}: {verdict} — {len(report.errors)} error(s), "
        f"{len(report.warnings)} warning(s) in {len(report.resources)} resource(s), {rows} rows"
    )


def _location(issue: Issue) -> str:
    parts = []
    if issue.path:
        parts.append(issue.path + (f":{issue.line}" if issue.line else ""))
    elif issue.row:  # inline data: no file, so its row
        parts.append(f"row {issue.row}")
    if issue.field:
        parts.append(f"[{issue.field}]")
    return " ".join(parts) or "(package)"


TEXT_LIMIT_PER_RULE = 20


def render_text(
    report: Report,
    file: IO[str] | None = None,
    *,
    color: bool | None = None,
    limit: int | None = TEXT_LIMIT_PER_RULE,
) -> None:
    """A human report grouped by resource, one finding a line, and a summary.

    At most `limit` findings are printed per resource, code and rule (the rest are counted), so
    a table with a million bad cells still gives a readable screen; `--format json` has them all.
    On a terminal rich styles it; elsewhere (a pipe, a file, a CI log) rich would print the same
    characters with no styles, so it is written directly, without importing rich.
    """
    from opendata.render.progress import may_be_terminal

    lines = _text_lines(report, limit)
    stream = file if file is not None else sys.stdout
    if color is not True and not may_be_terminal(stream) and not _has_tab(lines):
        stream.write("".join(_plain(line) + "\n" for line in lines))
    else:
        _rich_text(lines, file, color)


# A line of the text report: pieces of text, each with a rich style ("" for none).
_Line = list[tuple[str, str]]

# The control characters rich removes from text it prints (rich.control.strip_control_codes).
_STRIPPED = dict.fromkeys((7, 8, 11, 12, 13))


def _text_lines(report: Report, limit: int | None) -> list[_Line]:
    lines: list[_Line] = []
    groups: dict[str, list[Issue]] = {}
    for issue in report.sorted_issues():
        groups.setdefault(issue.resource or "(package)", []).append(issue)
    for name, issues in groups.items():
        lines.append([(name, "bold")])
        shown: dict[tuple[str, str | None], int] = {}
        for issue in issues:
            key = (issue.code, issue.rule)
            shown[key] = shown.get(key, 0) + 1
            if limit is not None and shown[key] > limit:
                continue
            rule = f" ({issue.rule})" if issue.rule and issue.layer == "semantic" else ""
            lines.append(
                [
                    ("  ", ""),
                    (issue.severity, "red" if issue.severity == "error" else "yellow"),
                    (f" {_location(issue)} ", ""),
                    (issue.code, "cyan"),
                    (f"{rule}: {issue.message}", ""),
                ]
            )
        for (code, rule_id), count in shown.items():
            if limit is not None and count > limit:
                what = f"{describe(code).title} ({rule_id or code})"
                lines.append(
                    [
                        ("  ", ""),
                        (
                            f"… and {count - limit} more {what} (use --format json to see every finding)",
                            "dim",
                        ),
                    ]
                )
    lines.extend([[(f"note: {note}", "dim")] for note in report.notes])
    lines.append([(_summary(report), "green" if report.valid else "red")])
    return lines


def _has_tab(lines: list[_Line]) -> bool:
    """Whether any text holds a tab, which rich expands by the cell width of what precedes it."""
    return any("\t" in text for line in lines for text, _ in line)


def _plain(line: _Line) -> str:
    """A line as rich prints it where there is no terminal: the text, without its styles."""
    return "".join(text for text, _ in line).translate(_STRIPPED)


def _rich_text(lines: list[_Line], file: IO[str] | None, color: bool | None) -> None:
    """The lines printed by rich: styled on a terminal (or when `color`), as text elsewhere."""
    from rich.console import Console
    from rich.text import Text

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich's own answer is exit 1, which CI reads as "invalid"; the command line's
            # boundary (`cli.handle_errors`) turns a closed pipe into exit 2.
            self.quiet = True
            raise BrokenPipeError

    console = _Console(
        file=file, highlight=False, no_color=color is False, soft_wrap=True, force_terminal=color
    )
    for line in lines:
        console.print(Text.assemble(*line))


# The HTML report lists this many findings per table and rule; --format json has them all.
HTML_LIMIT_PER_RULE = 500


def _cell(value: Any) -> Any:
    """An expected or actual value for a table cell: JSON for lists and dicts, None when absent."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    return json.dumps(jsonable(value), ensure_ascii=False)


def _html_groups(report: Report, limit: int) -> list[dict[str, Any]]:
    """Findings grouped by resource, then by code and rule; tables with errors come first."""
    paths = {r.name: r.path for r in report.resources}
    groups: dict[str, dict[tuple[str, str | None], list[Issue]]] = {}
    for issue in report.sorted_issues():
        groups.setdefault(issue.resource or "", {}).setdefault((issue.code, issue.rule), []).append(
            issue
        )
    out = []
    for resource, rules in groups.items():
        entries = []
        for (code, rule), issues in rules.items():
            entries.append(
                {
                    "code": code,
                    "rule": rule,
                    "title": describe(code).title,
                    "meaning": describe(code).description,
                    "severity": "error"
                    if any(i.severity == "error" for i in issues)
                    else "warning",
                    "anchor": f"rule-{resource or 'package'}-{code}-{rule or ''}",
                    "count": len(issues),
                    "more": max(0, len(issues) - limit),
                    "issues": [
                        {
                            **i.to_dict(),
                            "expected": _cell(i.details.get("expected")),
                            "actual": _cell(i.details.get("actual")),
                        }
                        for i in issues[:limit]
                    ],
                }
            )
        out.append(
            {
                "resource": resource or "The package",
                "resource_id": resource or "package",
                "path": paths.get(resource)
                or next((i.path for i in report.issues if i.resource == resource and i.path), None),
                "rules": entries,
            }
        )
    # Tables with errors first; the package's own findings (no resource) lead.
    return sorted(out, key=lambda g: not any(r["severity"] == "error" for r in g["rules"]))


def render_html(report: Report, *, limit: int = HTML_LIMIT_PER_RULE) -> str:
    """One self-contained HTML page: summary, findings by table and rule, skipped checks."""
    from opendata.codes import CODES
    from opendata.render.templating import environment

    counts = Counter((i.resource, i.severity) for i in report.issues)
    by_code = Counter(i.code for i in report.issues)
    skipped = [n for n in report.notes if " skipped" in n]
    return str(
        environment()
        .get_template("report.html")
        .render(
            descriptor=report.descriptor,
            valid=report.valid,
            errors=len(report.errors),
            warnings=len(report.warnings),
            rows=sum(r.rows or 0 for r in report.resources),
            by_code=sorted(by_code.items()),
            titles={slug: c.title for slug, c in CODES.items()},
            resources=[
                {
                    **vars(r),
                    "errors": counts[(r.name, "error")],
                    "warnings": counts[(r.name, "warning")],
                    "issues": counts[(r.name, "error")] + counts[(r.name, "warning")],
                }
                for r in report.resources
            ],
            groups=_html_groups(report, limit),
            skipped=skipped,
            notes=[n for n in report.notes if n not in skipped],
        )
    )


RENDERERS: dict[str, Callable[[Report], str]] = {
    "json": render_json,
    "github": render_github,
    "html": render_html,
}


def render(report: Report, fmt: str = "text", file: IO[str] | None = None) -> None:
    """Write REPORT to FILE (stdout) as text, json, github or html.

    Unlike the other renderers this writes rather than returns: rich decides the text form's
    colours from the terminal it writes to.
    """
    if fmt == "text":
        render_text(report, file)
    else:
        print(RENDERERS[fmt](report), file=file or sys.stdout)
