"""The documents' claims about counties and exit batches, checked by the real engine on a copy of the package.

Each test perturbs one real table of a copy of the repository's package and asserts that the
declared `claim-…` check encoding the claim reports an error. Assertions are on rule ids, codes
and severities, never on prose.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from opendata.validate import validate_package

REPO = Path(__file__).resolve().parent.parent

# Claims that do not hold against the national list; declared as warnings with a note.
KNOWN_FALSE = {"claim-hubei-last-batch-17", "claim-hubei-poverty-counties-37"}


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the repository's package (descriptor, data/, schemas/) in tmp_path."""
    shutil.copy2(REPO / "datapackage.json", tmp_path / "datapackage.json")
    shutil.copytree(REPO / "data", tmp_path / "data")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    return tmp_path / "datapackage.json"


def edit_csv(path: Path, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    """Rewrite a CSV through the csv module, applying `change` to its rows."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    rows = change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_field(path: Path, match: Callable[[dict[str, str]], bool], **values: str) -> None:
    """Set fields on exactly one row of the CSV that `match` selects."""
    hits = 0

    def change(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        nonlocal hits
        for row in rows:
            if match(row):
                hits += 1
                if hits == 1:
                    row.update(values)
        return rows

    edit_csv(path, change)
    assert hits >= 1, "the perturbation matched no row"


def claim_issues(descriptor: Path) -> dict[str, set[tuple[str, str]]]:
    """rule id -> {(code, severity)} for every issue raised by a claim- check."""
    report = validate_package(descriptor)
    # A perturbation must not break the structure of counties, or the claim checks would be skipped.
    structural = [
        i
        for i in report.issues
        if i.layer == "structural" and i.severity == "error" and i.resource == "counties"
    ]
    assert structural == [], [(i.code, i.resource, i.row) for i in structural]
    out: dict[str, set[tuple[str, str]]] = {}
    for issue in report.issues:
        if issue.rule and issue.rule.startswith("claim-"):
            out.setdefault(issue.rule, set()).add((issue.code, issue.severity))
    return out


def counties(descriptor: Path) -> Path:
    return descriptor.parent / "data" / "counties.csv"


def test_claim_checks_are_declared() -> None:
    checks = json.loads((REPO / "schemas" / "package.checks.json").read_text(encoding="utf-8"))
    claims = [c for c in checks if c["id"].startswith("claim-")]
    assert len(claims) >= 18
    for check in claims:
        assert check.get("claim"), check["id"]
        assert check["resource"] == "counties"
        if check["id"] in KNOWN_FALSE:
            assert check["severity"] == "warning" and check.get("note"), check["id"]
        else:
            assert check["severity"] == "error", check["id"]


def test_unperturbed_copy_raises_no_claim_error(package: Path) -> None:
    found = claim_issues(package)
    assert set(found) == KNOWN_FALSE
    assert all(pairs == {("count-mismatch", "warning")} for pairs in found.values())
    report = validate_package(package)
    assert not [n for n in report.notes if "claim-" in n and "skipped" in n]


def test_jilin_county_moved_out_of_its_batch(package: Path) -> None:
    # 靖宇县 is one of the five Jilin counties announced in April 2020 (the 2019 batch).
    set_field(
        counties(package),
        lambda r: r["name"] == "靖宇县" and r["province_code"] == "22",
        exit_batch_year="2018",
    )
    found = claim_issues(package)
    assert ("values-mismatch", "error") in found["claim-jilin-five-exit-april-2020"]


def test_guizhou_2020_county_moved_to_2019(package: Path) -> None:
    set_field(
        counties(package),
        lambda r: r["province_code"] == "52" and r["exit_batch_year"] == "2020",
        exit_batch_year="2019",
    )
    found = claim_issues(package)
    assert ("count-mismatch", "error") in found["claim-guizhou-last-9-in-2020"]
    assert ("count-mismatch", "error") in found["claim-remaining-52-at-start-of-2020"]


def test_qiandongnan_county_given_another_prefecture(package: Path) -> None:
    set_field(
        counties(package), lambda r: r["name"] == "黄平县", prefecture_name="黔南布依族苗族自治州"
    )
    found = claim_issues(package)
    assert ("count-mismatch", "error") in found["claim-qiandongnan-15-poverty-counties"]
    assert ("count-mismatch", "error") in found["claim-qiandongnan-13-exited-before-2020"]


def test_qiandongnan_county_given_another_province(package: Path) -> None:
    set_field(
        counties(package),
        lambda r: r["name"] == "黄平县",
        province_code="53",
        province_name="云南省",
    )
    found = claim_issues(package)
    assert ("count-mismatch", "error") in found["claim-qiandongnan-15-poverty-counties"]


def test_kaili_added_to_qiandongnan(package: Path) -> None:
    def add_kaili(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        template = next(r for r in rows if r["name"] == "黄平县")
        kaili = dict(
            template, county_id="522601", code="522601", name="凯里市", name_as_listed="凯里市"
        )
        return [*rows, kaili]

    edit_csv(counties(package), add_kaili)
    found = claim_issues(package)
    assert ("expression-failed", "error") in found["claim-qiandongnan-kaili-not-listed"]
    assert ("count-mismatch", "error") in found["claim-qiandongnan-15-poverty-counties"]
    assert ("count-mismatch", "error") in found["claim-counties-total-832"]


def test_2016_county_moved_to_2017(package: Path) -> None:
    set_field(counties(package), lambda r: r["name"] == "兰考县", exit_batch_year="2017")
    found = claim_issues(package)
    assert ("count-mismatch", "error") in found["claim-batch-2016-28"]
    assert ("count-mismatch", "error") in found["claim-batch-2017-125"]
    assert ("values-mismatch", "error") in found["claim-jinggangshan-lankao-in-2016-batch"]


def test_tibet_first_batch_county_moved(package: Path) -> None:
    set_field(counties(package), lambda r: r["name"] == "亚东县", exit_batch_year="2017")
    found = claim_issues(package)
    assert ("values-mismatch", "error") in found["claim-tibet-five-in-first-batch"]


def test_enshi_county_moved_out_of_its_batch(package: Path) -> None:
    set_field(counties(package), lambda r: r["name"] == "恩施市", exit_batch_year="2018")
    found = claim_issues(package)
    assert ("values-mismatch", "error") in found["claim-enshi-five-exit-april-2020"]


def test_hubei_county_in_a_later_batch(package: Path) -> None:
    # (2020, 42) must exist in exit_batch_provinces, or the foreign key would break the structure.
    edit_csv(
        package.parent / "data" / "exit_batch_provinces.csv",
        lambda rows: [
            *rows,
            dict(
                rows[-1],
                batch_year="2020",
                province_code="42",
                province_name="湖北省",
                count_stated="1",
            ),
        ],
    )
    set_field(counties(package), lambda r: r["name"] == "恩施市", exit_batch_year="2020")
    found = claim_issues(package)
    assert ("expression-failed", "error") in found["claim-hubei-done-with-april-2020-batch"]
    assert ("values-mismatch", "error") in found["claim-enshi-five-exit-april-2020"]


def test_province_count(package: Path) -> None:
    # A province code outside the 22 would break a foreign key (a structural error), so merge
    # Ningxia's 8 counties into Gansu instead: 21 distinct provinces remain.
    def merge(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["province_code"] == "64":
                row["province_code"], row["province_name"] = "62", "甘肃省"
        return rows

    edit_csv(counties(package), merge)
    found = claim_issues(package)
    assert ("count-mismatch", "error") in found["claim-provinces-22"]
