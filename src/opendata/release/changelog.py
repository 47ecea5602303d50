"""Changelogs: finding CHANGELOG.md and reading one version's section of it."""

from __future__ import annotations

import re
from pathlib import Path

from opendata.versions.sources import git_toplevel


def changelog_section(text: str, version: str) -> str | None:
    """The `## [VERSION]` section of a Keep a Changelog file, heading included, or None."""
    head = re.compile(rf"^##\s+\[v?{re.escape(version)}\](?:\s|$)")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if head.match(line):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("## ")), None)
            body = lines[i:end]
            # Link reference definitions at the end of the file belong to the whole changelog.
            while body and (not body[-1].strip() or re.match(r"^\[[^\]]+\]:\s", body[-1])):
                body.pop()
            return "\n".join(body) + "\n"
    return None


def find_changelog(start: Path) -> Path | None:
    """CHANGELOG.md in START or its parents up to the git work-tree root."""
    start = start.resolve()
    top = git_toplevel(start)
    for folder in [start, *start.parents]:
        if (folder / "CHANGELOG.md").is_file():
            return folder / "CHANGELOG.md"
        if top is None or folder == top:
            break
    return None
