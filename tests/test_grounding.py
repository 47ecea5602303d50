"""Grounding: each figure as written must occur in the cited paragraph of its source text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.errors import CouldNotRun
from opendata.validate import validate_package

FACTS_SCHEMA = {
    "fields": [
        {"name": "fact_id"},
        {"name": "source_id"},
        {"name": "locator"},
        {"name": "value", "type": "number"},
        {"name": "as_written"},
    ],
    "primaryKey": ["fact_id"],
}
TEXT = "# 标题\n\n全国共有832个贫困县。\n\n资金达到 115.22亿元。\n"


def facts(make_package: Callable[..., Path], rows: str) -> Path:
    return make_package(
        {"facts": ("fact_id,source_id,locator,value,as_written\n" + rows, FACTS_SCHEMA)}
    )


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "doc1.txt").write_text(TEXT, encoding="utf-8")
    return folder


def test_figures_found_in_their_paragraph(make_package: Callable[..., Path], sources: Path) -> None:
    path = facts(
        make_package, "f1,doc1,标题 ¶2,832,832个\nf2,doc1,标题 ¶3,11522000000,115.22 亿元\n"
    )
    report = validate_package(path, sources=sources)
    assert report.issues == []
    assert any("2 figures checked" in n for n in report.notes)


def test_figure_in_another_paragraph_or_absent(
    make_package: Callable[..., Path], sources: Path
) -> None:
    path = facts(make_package, "f1,doc1,标题 ¶3,832,832个\nf2,doc1,标题 ¶2,9899,9899万\n")
    report = validate_package(path, sources=sources)
    found = [(i.line, i.code, i.details["elsewhere"]) for i in report.sorted_issues()]
    assert found == [(2, "ungrounded-figure", True), (3, "ungrounded-figure", False)]
    assert not report.valid


def test_missing_source_text_is_a_warning(make_package: Callable[..., Path], sources: Path) -> None:
    report = validate_package(facts(make_package, "f1,doc9,¶1,1,1个\n"), sources=sources)
    assert [(i.code, i.severity) for i in report.issues] == [("source-missing", "warning")]


def test_without_sources_grounding_is_skipped_and_said(make_package: Callable[..., Path]) -> None:
    report = validate_package(facts(make_package, "f1,doc1,¶1,1,nowhere\n"))
    assert report.valid
    assert any("grounding skipped" in n for n in report.notes)


def test_sources_folder_must_exist(make_package: Callable[..., Path], tmp_path: Path) -> None:
    path = facts(make_package, "f1,doc1,¶1,1,1\n")
    with pytest.raises(CouldNotRun):
        validate_package(path, sources=tmp_path / "nope")
    result = CliRunner().invoke(main, ["validate", str(path), "--sources", str(tmp_path / "nope")])
    assert result.exit_code == 2
