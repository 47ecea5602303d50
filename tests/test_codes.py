"""The catalogue of issue codes: every finding's code is defined once, documented, and frictionless's where shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from opendata import codes
from opendata.report import Issue

ROOT = Path(__file__).resolve().parent.parent


def test_docs_page_is_the_catalogue() -> None:
    assert (ROOT / "docs" / "codes.md").read_text(encoding="utf-8") == codes.markdown()


def test_an_issue_refuses_a_code_the_catalogue_lacks() -> None:
    with pytest.raises(ValueError, match="not in the catalogue"):
        Issue(code="typo-error", message="x")
    assert Issue(code="type-error", message="x").title == "Type Error"


def test_every_entry_has_a_title_and_a_meaning() -> None:
    for code in codes.CODES.values():
        assert code.title and code.description.endswith("."), code.slug


def test_structural_and_descriptor_codes_are_frictionless_error_types() -> None:
    import frictionless.errors as errors

    theirs = {
        cls.type for cls in vars(errors).values() if isinstance(cls, type) and hasattr(cls, "type")
    }
    ours = {c.slug for c in codes.CODES.values() if c.layer in ("structural", "descriptor")}
    assert ours <= theirs, ours - theirs


def test_unknown_codes_from_another_tool_fall_back() -> None:
    assert codes.known("type-error", "metadata-error") == "type-error"
    assert codes.known("stats-error", "metadata-error") == "metadata-error"
