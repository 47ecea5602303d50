"""Render a PackageDiff as text, JSON or Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opendata.versions.diff import PackageDiff, ResourceDiff

# Long diffs are summarised; the JSON form always carries every row.
MAX_ROWS_SHOWN = 20


def _fmt(value: Any) -> str:
    """A cell value for humans: strings quoted only when empty, None as null."""
    from opendata.report import jsonable

    v = jsonable(value)
    if v is None:
        return "null"
    if v == "":
        return '""'
    return str(v)


def _key_text(key: dict[str, Any]) -> str:
    """A primary key as `a=1, b=x`."""
    return ", ".join(f"{k}={_fmt(v)}" for k, v in key.items())


def _row_text(row: dict[str, Any]) -> str:
    """A whole row as `field=value, …`."""
    return ", ".join(f"{k}={_fmt(v)}" for k, v in row.items())


def _version_line(diff: PackageDiff) -> str:
    """`name 1.0.0 → 1.1.0`."""
    return f"{diff.name or 'package'} {diff.old_version or '?'} → {diff.new_version or '?'}"


def _counts(r: ResourceDiff) -> str:
    """`+2 −1 ~3 rows (10 → 11)`."""
    text = f"+{len(r.rows_added)} −{len(r.rows_removed)} ~{len(r.rows_changed)} rows"
    if r.rows_before is not None or r.rows_after is not None:
        text += f" ({r.rows_before if r.rows_before is not None else '-'} → "
        text += f"{r.rows_after if r.rows_after is not None else '-'})"
    return text


def render_json(diff: PackageDiff) -> str:
    """The diff's dict as indented JSON."""
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False)


def render_text(diff: PackageDiff, *, max_rows: int = MAX_ROWS_SHOWN) -> str:
    """A terminal summary: bump, metadata, then per resource schema and row changes."""
    lines = [f"{_version_line(diff)}: implied bump {diff.bump}"]
    if not diff.changed:
        lines.append("no changes")
        return "\n".join(lines) + "\n"
    for c in diff.changes:
        lines.append(f"  [{c.bump}] {c.message}: {_fmt(c.before)} → {_fmt(c.after)}")
    for r in diff.resources:
        if r.status == "unchanged":
            continue
        lines.append(f"{r.name}: {r.status} [{r.bump}] {_counts(r)}")
        for c in r.changes:
            lines.append(f"  [{c.bump}] {c.message}")
        shown = 0
        for row in r.rows_removed:
            if shown < max_rows:
                lines.append(f"  - {_row_text(row)}")
            shown += 1
        for row in r.rows_added:
            if shown < max_rows:
                lines.append(f"  + {_row_text(row)}")
            shown += 1
        for ch in r.rows_changed:
            if shown < max_rows:
                cells = "; ".join(f"{f}: {_fmt(b)} → {_fmt(a)}" for f, (b, a) in ch.cells.items())
                lines.append(f"  ~ {_key_text(ch.key)}: {cells}")
            shown += 1
        if shown > max_rows:
            lines.append(f"  … and {shown - max_rows} more row(s) (use --format json for all)")
        lines.extend(f"  note: {n}" for n in r.notes)
    return "\n".join(lines) + "\n"


def _md_cell(value: Any) -> str:
    """A value safe inside a Markdown table cell."""
    return _fmt(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(diff: PackageDiff, *, max_rows: int = MAX_ROWS_SHOWN) -> str:
    """A Markdown report for pull requests and release notes."""
    out = [f"## Data diff: {_version_line(diff)}", "", f"Implied version bump: **{diff.bump}**", ""]
    if not diff.changed:
        out.append("No changes.")
        return "\n".join(out) + "\n"
    if diff.changes:
        out += ["### Package", ""]
        out += [f"- `{c.bump}` {c.message}" for c in diff.changes]
        out.append("")
    out += [
        "| resource | status | bump | added | removed | changed | rows |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in diff.resources:
        out.append(
            f"| {r.name} | {r.status} | {r.bump} | {len(r.rows_added)} | {len(r.rows_removed)}"
            f" | {len(r.rows_changed)} | {r.rows_before if r.rows_before is not None else '-'}"
            f" → {r.rows_after if r.rows_after is not None else '-'} |"
        )
    out.append("")
    for r in diff.resources:
        if r.status != "changed":
            continue
        out += [f"### {r.name}", ""]
        out += [f"- `{c.bump}` {c.message}" for c in r.changes]
        if r.changes:
            out.append("")
        if r.rows_changed:
            out += ["| key | field | before | after |", "|---|---|---|---|"]
            for ch in r.rows_changed[:max_rows]:
                for f, (b, a) in ch.cells.items():
                    out.append(
                        f"| {_md_cell(_key_text(ch.key))} | {f} | {_md_cell(b)} | {_md_cell(a)} |"
                    )
            if len(r.rows_changed) > max_rows:
                out.append(f"\n… and {len(r.rows_changed) - max_rows} more changed row(s)")
            out.append("")
        for label, rows in (("Added", r.rows_added), ("Removed", r.rows_removed)):
            if rows:
                out.append(f"{label} rows:")
                out.append("")
                out += [f"- {_md_cell(_row_text(row))}" for row in rows[:max_rows]]
                if len(rows) > max_rows:
                    out.append(f"- … and {len(rows) - max_rows} more")
                out.append("")
        out += [f"> {n}" for n in r.notes]
    return "\n".join(out).rstrip("\n") + "\n"


RENDERERS: dict[str, Callable[[PackageDiff], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}


def render(diff: PackageDiff, fmt: str = "text") -> str:
    """Render DIFF in one of: text, json, markdown."""
    return RENDERERS[fmt](diff)
