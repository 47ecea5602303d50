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


# Every locator in the package, not only the facts' figures: the heading a locator names, the
# paragraphs cited in notes, and the claims of declared checks.

DOC = "001_0123456789abcdef"
DOC_TEXT = "导语 832个。\n\n# 甲\n第一段 28个。\n\n第二段 125个。\n## 乙\n第三段 52个。\n"
# ¶1 导语 (no heading above), ¶2 "# 甲", ¶3 28个, ¶4 125个, ¶5 "## 乙", ¶6 52个.
NOTES_SCHEMA = {
    "fields": [{"name": "id"}, {"name": "source_id"}, {"name": "note"}],
    "primaryKey": ["id"],
}
BATCHES = ("year,n\n2016,28\n", {"fields": [{"name": "year"}, {"name": "n", "type": "integer"}]})


@pytest.fixture
def doc_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / f"{DOC}.txt").write_text(DOC_TEXT, encoding="utf-8")
    return folder


def grounding_issues(report) -> list[tuple]:
    return [
        (i.resource, i.line, i.field, i.rule, i.code, i.details.get("reason"))
        for i in report.sorted_issues()
        if i.layer == "grounding"
    ]


@pytest.mark.parametrize(
    ("locator", "reason"),
    [
        ("甲 ¶3", None),  # counted from the top of the file, under its nearest heading
        ("(无标题) ¶1", None),
        ("甲 ¶1", "heading"),  # counted within the section: ¶1 lies above 甲
        ("甲 ¶6", "heading"),  # ¶6 lies under 乙, not 甲
        ("(无标题) ¶3", "heading"),  # a heading precedes ¶3
        ("乙 ¶9", "no-such-paragraph"),
    ],
)
def test_facts_locator_heading_and_paragraph(
    make_package: Callable[..., Path], doc_folder: Path, locator: str, reason: str | None
) -> None:
    figure = "28个" if reason != "no-such-paragraph" else "52个"
    if locator == "(无标题) ¶1":
        figure = "832个"
    path = facts(make_package, f"f1,{DOC},{locator},1,{figure}\n")
    found = grounding_issues(validate_package(path, sources=doc_folder))
    reasons = {r for *_, r in found}
    if reason is None:
        assert found == []
    else:
        assert reason in reasons
        assert all(code == "ungrounded-figure" for *_, code, _ in found)


def test_paragraph_references_in_notes_are_resolved(
    make_package: Callable[..., Path], doc_folder: Path
) -> None:
    rows = (
        "id,source_id,note\n"
        f"a,{DOC},restated in ¶4\n"  # bare: the row's own source; exists
        f"b,{DOC},restated in ¶12\n"  # bare: beyond the end
        f"c,,see 001 ¶6\n"  # three-digit prefix of a source id; exists
        f"d,,see 001 ¶7\n"  # beyond the end
        f'e,,"see {DOC}, 甲 ¶1"\n'  # full form, counted within the section
        f'f,,"see {DOC}, 乙 ¶6"\n'  # full form, right
        "g,,see ¶2\n"  # bare, and the row names no source
        "h,,see 009 ¶2\n"  # no text for that prefix
    )
    path = make_package({"notes": (rows, NOTES_SCHEMA)})
    found = grounding_issues(validate_package(path, sources=doc_folder))
    assert [(line, code, reason) for _r, line, _f, _rule, code, reason in found] == [
        (3, "ungrounded-figure", "no-such-paragraph"),
        (5, "ungrounded-figure", "no-such-paragraph"),
        (6, "ungrounded-figure", "heading"),
        (8, "source-missing", None),
        (9, "source-missing", None),
    ]
    assert {f for _r, _l, f, *_ in found} == {"note"}


def test_claims_of_declared_checks_are_grounded(
    make_package: Callable[..., Path], doc_folder: Path
) -> None:
    def claim(cid: str, locator: str, quote: object = None) -> dict:
        check = {"id": cid, "type": "row-count", "equals": 1, "message": "m"}
        check["claim"] = f"{DOC}#{locator}"
        if quote is not None:
            check["quote"] = quote
        return check

    checks = [
        claim("ok", "甲 ¶3", "28个"),
        claim("ok-run", "甲 ¶3-¶4", ["28个", "125个"]),
        claim("ok-no-quote", "乙 ¶6"),
        claim("section-count", "甲 ¶1", "28个"),  # heading wrong and quote not there
        claim("quote-elsewhere", "甲 ¶4", "28个"),
        claim("past-the-end", "乙 ¶7-¶8", "52个"),
        {"id": "fact-ref", "type": "row-count", "equals": 1, "message": "m", "claim": "000-001"},
    ]
    path = make_package(
        {"batches": BATCHES},
        checks={"batches": checks},
        package_checks=[
            {
                "id": "pkg-missing-source",
                "resource": "batches",
                "type": "row-count",
                "equals": 1,
                "message": "m",
                "claim": "002_fedcba9876543210#甲 ¶3",
                "quote": "28个",
            }
        ],
    )
    report = validate_package(path, sources=doc_folder)
    found = grounding_issues(report)
    assert [(rule, code, reason) for _r, _l, _f, rule, code, reason in found] == [
        ("pkg-missing-source", "source-missing", None),
        ("past-the-end", "ungrounded-figure", "no-such-paragraph"),
        ("quote-elsewhere", "ungrounded-figure", None),
        ("section-count", "ungrounded-figure", "heading"),
        ("section-count", "ungrounded-figure", None),
    ]
    assert {(r, f) for r, _l, f, *_ in found} == {("batches", "claim")}
    claims = [i for i in report.issues if i.rule == "quote-elsewhere"]
    assert claims[0].path == "schemas/batches.checks.json"
    assert claims[0].details["elsewhere"] is True
