"""Render a release-gate result as text (for the terminal and CI logs) or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opendata.release.gate import GateResult


def render_text(result: GateResult) -> str:
    """A few lines for the terminal / CI log."""
    head = "release check passed" if result.passed else "release check failed"
    lines = [
        f"{head}: {result.old_version or '(none)'} → {result.new_version or '(none)'}"
        f" (changes need {result.required}, version bump is {result.actual}; base {result.base})"
    ]
    lines += [f"  error: {p}" for p in result.problems]
    lines += [f"  because: {r}" for r in result.reasons]
    return "\n".join(lines) + "\n"


def render_json(result: GateResult) -> str:
    """The result's dict as indented JSON, with a final newline."""
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[GateResult], str]] = {"text": render_text, "json": render_json}


def render(result: GateResult, fmt: str = "text") -> str:
    """Render RESULT in one of: text, json."""
    return RENDERERS[fmt](result)
