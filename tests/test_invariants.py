"""Every declared invariant fails on a perturbed copy of the repository's own package.

Each error-severity check (except the `claim-*` ones, covered by tests/test_claims.py) has one
case: a small edit to the data of a copy of the package, chosen so that the tables stay
structurally valid and the check runs and fails. Where a schema constraint already enforces the
same rule, the structural finding is asserted instead. A completeness test ties the cases to the
checks declared in the repository, and the structural invariants of issue 3 (keys, patterns)
are covered by their own cases.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from opendata.report import Issue, Report
from opendata.validate import validate_package

REPO = Path(__file__).resolve().parent.parent
DESCRIPTOR = "datapackage.json"

Where = dict[str, str]


@dataclass(frozen=True)
class SetCell:
    """Set `column` to `new` in the one row of `table` matching `where`."""

    table: str
    where: Where
    column: str
    new: str


@dataclass(frozen=True)
class RemoveRows:
    """Remove every row of `table` matching `where` (at least one must match)."""

    table: str
    where: Where


@dataclass(frozen=True)
class AddRow:
    """Append a row (all columns of the header, by name) to `table`."""

    table: str
    row: dict[str, str]


Edit = SetCell | RemoveRows | AddRow


@dataclass(frozen=True)
class Case:
    """A check id, the edits that break it, and, if a schema constraint already enforces the
    rule, the structural finding (rule, resource, field) expected instead."""

    check_id: str
    edits: tuple[Edit, ...]
    structural: tuple[str, str, str] | None = None
    why: str = field(default="", compare=False)


# ---------------------------------------------------------------------------------------------
# Package copy and CSV editing
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of datapackage.json, data/ and schemas/ in tmp_path; returns its root."""
    shutil.copy2(REPO / DESCRIPTOR, tmp_path / DESCRIPTOR)
    shutil.copytree(REPO / "data", tmp_path / "data")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    return tmp_path


def _read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _matches(header: list[str], row: list[str], where: Where) -> bool:
    return all(row[header.index(col)] == value for col, value in where.items())


def apply_edit(root: Path, edit: Edit) -> None:
    """Apply one edit to data/<table>.csv under root, keeping the header and dialect."""
    path = root / "data" / f"{edit.table}.csv"
    header, rows = _read(path)
    if isinstance(edit, SetCell):
        hits = [row for row in rows if _matches(header, row, edit.where)]
        assert len(hits) == 1, f"{edit.table} {edit.where}: {len(hits)} rows match"
        col = header.index(edit.column)
        assert hits[0][col] != edit.new, f"{edit} changes nothing"
        hits[0][col] = edit.new
    elif isinstance(edit, RemoveRows):
        kept = [row for row in rows if not _matches(header, row, edit.where)]
        assert len(kept) < len(rows), f"{edit.table} {edit.where}: no row matches"
        rows = kept
    else:
        assert set(edit.row) == set(header), f"{edit.table}: row must give every column"
        rows.append([edit.row[col] for col in header])
    _write(path, header, rows)


# ---------------------------------------------------------------------------------------------
# Declared checks
# ---------------------------------------------------------------------------------------------


def _check_lists(root: Path) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """(resource or None for the package, checks) for every checks file and inline list."""
    descriptor = json.loads((root / DESCRIPTOR).read_text(encoding="utf-8"))
    owners: list[tuple[str | None, Any]] = [(None, descriptor.get("checks"))]
    owners += [(r["name"], r.get("checks")) for r in descriptor["resources"]]
    found: list[tuple[str | None, list[dict[str, Any]]]] = []
    seen: set[Path] = set()
    for owner, checks in owners:
        if isinstance(checks, str):
            path = (root / checks).resolve()
            seen.add(path)
            found.append((owner, json.loads(path.read_text(encoding="utf-8"))))
        elif isinstance(checks, list):
            found.append((owner, checks))
    for path in sorted((root / "schemas").glob("*.checks.json")):
        assert path.resolve() in seen, f"{path.name} is not referenced from {DESCRIPTOR}"
    return found


def declared_error_checks(root: Path = REPO) -> dict[str, str | None]:
    """Error-severity, non-claim check id -> the resource whose checks declare it (None: package)."""
    out: dict[str, str | None] = {}
    for owner, checks in _check_lists(root):
        for check in checks:
            if check.get("severity", "error") == "error" and not check["id"].startswith("claim-"):
                out[check["id"]] = owner
    return out


# ---------------------------------------------------------------------------------------------
# The perturbations, one per check
# ---------------------------------------------------------------------------------------------


def county(county_id: str, column: str, new: str) -> SetCell:
    return SetCell("counties", {"county_id": county_id}, column, new)


def batch(year: str, column: str, new: str) -> SetCell:
    return SetCell("exit_batches", {"batch_year": year}, column, new)


def stated(year: str, province: str, new: str) -> SetCell:
    return SetCell(
        "exit_batch_provinces", {"batch_year": year, "province_code": province}, "count_stated", new
    )


def province(code: str, column: str, new: str) -> SetCell:
    return SetCell("provinces", {"province_code": code}, column, new)


def fact(fact_id: str, column: str, new: str) -> SetCell:
    return SetCell("facts", {"fact_id": fact_id}, column, new)


def year(y: str, column: str, new: str) -> SetCell:
    return SetCell("rural_poverty", {"year": y}, column, new)


def by_fact(table: str, fact_id: str, column: str, new: str) -> SetCell:
    return SetCell(table, {"fact_id": fact_id}, column, new)


def drop_batch(y: str) -> tuple[Edit, ...]:
    """Remove a whole batch everywhere, so that no foreign key dangles."""
    return (
        RemoveRows("exit_batches", {"batch_year": y}),
        RemoveRows("exit_batch_provinces", {"batch_year": y}),
        RemoveRows("counties", {"exit_batch_year": y}),
    )


BEIJING = {
    "province_code": "11",
    "name_zh": "北京市",
    "short_name_zh": "北京",
    "name_en": "Beijing",
    "region": "east",
    "county_count": "1",
    "source_id": "exit-lists-832",
    "region_source_id": "nbs-regions-2011",
}
SEED_004 = "004_82f31e7af244f72f"
CATS = "zhejiang_pairing_categories"
PAIRS = "zhejiang_pairing_provinces"
STAFF = "zhejiang_personnel"

CASES: list[Case] = [
    # counties
    Case("counties-total-832", (RemoveRows("counties", {"county_id": "130125"}),)),
    Case("counties-provinces-22", (RemoveRows("counties", {"province_code": "46"}),)),
    Case("counties-code-prefix-province", (county("130125", "province_code", "14"),)),
    Case("counties-no-code-units-3", (RemoveRows("counties", {"county_id": "6328X1"}),)),
    Case("counties-id-prefix-province", (county("6328X1", "county_id", "1328X1"),)),
    Case("counties-id-is-code", (county("130125", "county_id", "130199"),)),
    Case("counties-current-filled-when-changed", (county("130125", "current_name", "行唐县"),)),
    Case("counties-current-code-differs", (county("341521", "current_code", "341521"),)),
    Case("counties-batch-2016-28", (county("130631", "exit_batch_year", "2017"),)),
    Case("counties-batch-2017-125", (county("130131", "exit_batch_year", "2018"),)),
    Case("counties-batch-2018-283", (county("130125", "exit_batch_year", "2019"),)),
    Case("counties-batch-2019-344", (county("450123", "exit_batch_year", "2020"),)),
    Case("counties-batch-2020-52", (county("450225", "exit_batch_year", "2019"),)),
    # exit_batch_provinces
    Case("exit-batch-provinces-sum-832", (stated("2016", "13", "4"),)),
    Case(
        "exit-batch-provinces-22",
        (
            RemoveRows("exit_batch_provinces", {"province_code": "46"}),
            RemoveRows("counties", {"province_code": "46"}),
        ),
    ),
    # exit_batches
    Case("exit-batches-five", drop_batch("2016")),
    # batch_year is unique and within 2016-2020, so only a missing year breaks the set.
    Case("exit-batches-years", drop_batch("2018")),
    Case("exit-batches-sum-832", (batch("2016", "counties_exited", "29"),)),
    Case("exit-batches-sizes", (batch("2017", "counties_exited", "124"),)),
    Case("exit-batches-cumulative-running-total", (batch("2017", "cumulative", "154"),)),
    Case("exit-batches-remaining", (batch("2017", "remaining", "678"),)),
    Case("exit-batches-remaining-zero-2020", (batch("2020", "remaining", "1"),)),
    Case("exit-batches-has-2020", drop_batch("2020")),
    Case("exit-batches-remaining-falls", (batch("2019", "remaining", "396"),)),
    # facts
    Case("facts-fact-id-matches-source", (fact("000-001", "source_id", "001_9ed40eef2d8fa05b"),)),
    Case(
        "facts-value-nonnegative",
        (fact("000-001", "value", "-1"),),
        structural=("constraint:minimum", "facts", "value"),
        why="value has minimum 0 in the schema",
    ),
    Case(
        "facts-qualifier-enum",
        (fact("000-001", "qualifier", "roughly"),),
        structural=("constraint:enum", "facts", "qualifier"),
        why="qualifier has the same enum in the schema",
    ),
    Case("facts-period-order", (fact("000-024", "period_start", "2019"),)),
    # 000-001 and 000-005 share a key whose giver, receiver and period_start are empty.
    Case("facts-statements-agree", (fact("000-005", "value", "833"),)),
    Case("facts-poverty-incidence-range", (fact("004-047", "value", "101"),)),
    Case("facts-national-rural-poor-falls", (fact("000-011", "value", "99000000"),)),
    Case("facts-national-poverty-incidence-falls", (fact("000-013", "value", "10.3"),)),
    Case("facts-guizhou-rural-poor-falls", (fact("002-012", "value", "5000000"),)),
    Case("facts-guizhou-poverty-incidence-falls", (fact("002-014", "value", "14.1"),)),
    Case("facts-enshi-projects-305", (fact("002-053", "value", "306"),)),
    Case("facts-enshi-projects-completed-291", (fact("002-054", "value", "290"),)),
    Case("facts-enshi-completion-rate-ratio", (fact("002-055", "value", "95.5"),)),
    Case("facts-enshi-completion-rate-present", (RemoveRows("facts", {"fact_id": "002-055"}),)),
    # mca_codes_2014 (rows of Beijing, which no county refers to)
    Case(
        "mca-codes-2014-prefix",
        (SetCell("mca_codes_2014", {"code": "110101"}, "province_code", "12"),),
    ),
    Case(
        "mca-codes-2014-county-level",
        (SetCell("mca_codes_2014", {"code": "110101"}, "code", "110100"),),
    ),
    # package checks
    # A consistent swap: the provinces still add up to 832, but two provinces are off by one.
    Case(
        "provinces-county-count-matches-counties",
        (province("13", "county_count", "46"), province("14", "county_count", "35")),
    ),
    Case("provinces-sum-equals-counties", (province("13", "county_count", "46"),)),
    Case("exit-batches-match-counties", (batch("2017", "counties_exited", "126"),)),
    # A 2x2 swap keeping every batch and province total: only the cell counts disagree.
    Case(
        "exit-batch-provinces-match-counties",
        (
            stated("2016", "13", "4"),
            stated("2016", "36", "1"),
            stated("2017", "13", "10"),
            stated("2017", "36", "7"),
        ),
    ),
    Case("exit-batch-provinces-sum-to-batches", (stated("2016", "13", "4"),)),
    # Batch totals kept, province totals of 13 and 36 broken.
    Case(
        "exit-batch-provinces-sum-to-provinces",
        (stated("2016", "13", "4"), stated("2016", "36", "1")),
    ),
    Case("exit-batches-total-equals-counties", (RemoveRows("counties", {"county_id": "130125"}),)),
    # provinces
    Case("provinces-total-22", (AddRow("provinces", BEIJING),)),
    Case("provinces-county-count-sum-832", (province("13", "county_count", "46"),)),
    # rural_poverty
    # year is unique and within 2012-2020, so only a missing year breaks the set.
    Case("rural-poverty-years", (RemoveRows("rural_poverty", {"year": "2015"}),)),
    Case("rural-poverty-population-falls", (year("2016", "poor_population_10k", "5575"),)),
    Case("rural-poverty-incidence-falls", (year("2016", "incidence_pct", "5.7"),)),
    Case("rural-poverty-reduction-is-difference", (year("2014", "reduction_10k", "1233"),)),
    Case("rural-poverty-first-year-no-reduction", (year("2012", "reduction_10k", "0"),)),
    Case("rural-poverty-over-10-million-2014-2019", (year("2019", "reduction_10k", "999"),)),
    Case("rural-poverty-2012-2019-endpoints", (year("2012", "incidence_pct", "10.3"),)),
    Case("rural-poverty-2020-zero", (year("2020", "incidence_pct", "0.1"),)),
    Case("rural-poverty-has-2020", (RemoveRows("rural_poverty", {"year": "2020"}),)),
    # sources: drop seed 004 and the facts citing it, so no foreign key dangles
    Case(
        "sources-seed-documents",
        (
            RemoveRows("sources", {"source_id": SEED_004}),
            RemoveRows("facts", {"source_id": SEED_004}),
        ),
    ),
    # zhejiang_pairing_categories
    Case("zj-pairing-categories-sum-000", (by_fact(CATS, "000-030", "counties", "6"),)),
    Case("zj-pairing-categories-sum-001", (by_fact(CATS, "001-019", "counties", "6"),)),
    Case("zj-pairing-categories-total-80", (by_fact(CATS, "000-027", "counties", "81"),)),
    Case(
        "zj-pairing-categories-deep-within-category",
        (by_fact(CATS, "001-017", "deep_poverty_counties", "4"),),
    ),
    Case(
        "zj-pairing-categories-deep-only-poverty-counties",
        (
            by_fact(CATS, "001-019", "deep_poverty_counties", "1"),
            by_fact(CATS, "001-019", "deep_poverty_fact_id", "001-019"),
        ),
    ),
    Case(
        "zj-pairing-categories-deep-has-fact",
        (by_fact(CATS, "001-015", "deep_poverty_fact_id", ""),),
    ),
    # 000's categories still add up to 80, but disagree with 001's.
    Case(
        "zj-pairing-categories-agree",
        (by_fact(CATS, "000-028", "counties", "73"), by_fact(CATS, "000-030", "counties", "4")),
    ),
    Case(
        "zj-pairing-categories-total-matches-provinces",
        (by_fact(PAIRS, "001-009", "paired_counties", "25"),),
    ),
    # zhejiang_pairing_provinces
    Case("zj-pairing-provinces-sum-80", (by_fact(PAIRS, "001-010", "paired_counties", "9"),)),
    Case(
        "zj-pairing-provinces-sum-equals-stated-total",
        (by_fact(PAIRS, "001-014", "paired_counties", "81"),),
    ),
    Case("zj-pairing-provinces-total-80", (by_fact(PAIRS, "000-027", "paired_counties", "79"),)),
    Case("zj-pairing-provinces-four", (by_fact(PAIRS, "001-010", "receiver", "贵州省"),)),
    Case("zj-pairing-provinces-agree", (by_fact(PAIRS, "002-021", "paired_counties", "41"),)),
    Case(
        "zj-pairing-provinces-nonnegative",
        (by_fact(PAIRS, "002-021", "paired_counties", "-1"),),
        structural=("constraint:minimum", PAIRS, "paired_counties"),
        why="paired_counties has minimum 0 in the schema",
    ),
    # zhejiang_personnel
    Case("zj-personnel-sum-9646", (by_fact(STAFF, "000-035", "persons", "245"),)),
    Case(
        "zj-personnel-sum-equals-stated-total",
        (by_fact(STAFF, "000-034", "persons", "9647"),),
    ),
    Case(
        "zj-personnel-qualifier-enum",
        (by_fact(STAFF, "002-006", "qualifier", "roughly"),),
        structural=("constraint:enum", STAFF, "qualifier"),
        why="qualifier has the same enum in the schema",
    ),
    Case(
        "zj-personnel-nonnegative",
        (by_fact(STAFF, "002-006", "persons", "-1"),),
        structural=("constraint:minimum", STAFF, "persons"),
        why="persons has minimum 0 in the schema",
    ),
]

DECLARED = declared_error_checks()


def _param(case: Case) -> Any:
    return pytest.param(case, id=case.check_id)


def _validate(root: Path, only: str | None) -> Report:
    return validate_package(root / DESCRIPTOR, only=only)


def _structural_errors(report: Report) -> list[Issue]:
    return [i for i in report.issues if i.layer == "structural" and i.severity == "error"]


def _keys(issues: list[Issue]) -> list[tuple[str | None, str | None, str]]:
    return [(i.resource, i.rule, i.code) for i in issues]


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_unperturbed_copy_has_no_errors(package_copy: Path) -> None:
    """The copy itself is valid: every failure below comes from its perturbation."""
    report = _validate(package_copy, None)
    assert _keys([i for i in report.issues if i.severity == "error"]) == []


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_check_fails_on_perturbed_copy(package_copy: Path, case: Case) -> None:
    """The perturbation makes the check fail (or, where the schema already enforces the rule,
    the matching structural constraint)."""
    assert case.check_id in DECLARED, f"{case.check_id} is not a declared error check"
    for edit in case.edits:
        apply_edit(package_copy, edit)
    # Resource checks run on their own resource alone; package checks need the full run.
    report = _validate(package_copy, DECLARED[case.check_id])

    if case.structural is not None:
        rule, resource, column = case.structural
        assert any(
            i.rule == rule
            and i.resource == resource
            and i.field == column
            and i.severity == "error"
            for i in report.issues
        ), (case.why, _keys(report.issues))
        return

    assert _keys(_structural_errors(report)) == [], "perturbation must keep tables valid"
    hits = [i for i in report.issues if i.rule == case.check_id and i.severity == "error"]
    assert hits, _keys(report.issues)
    assert all(i.layer == "semantic" and i.code != "check-error" for i in hits), _keys(hits)


def test_every_declared_check_has_a_case() -> None:
    """Error-severity, non-claim checks declared in the repository == the checks with a case."""
    ids = [c.check_id for c in CASES]
    assert len(ids) == len(set(ids)), "a check has more than one case"
    assert set(DECLARED) == set(ids)


# Line 2 of counties.csv is 130125 行唐县, line 3 is 130126 灵寿县.
@pytest.mark.parametrize(
    ("edits", "rule", "column", "line"),
    [
        pytest.param(
            (
                county("130126", "code", "130125"),
                county("130126", "name", "行唐县"),
                county("130126", "county_id", "130125"),
            ),
            "primary-key",
            None,
            3,
            id="duplicate-county-id",
        ),
        pytest.param(
            (county("130126", "code", "130125"), county("130126", "name", "行唐县")),
            "constraint:unique",
            "code",
            3,
            id="duplicate-county-code",
        ),
        pytest.param(
            (county("130125", "code", "130199"), county("130125", "county_id", "130199")),
            "foreign-key",
            None,
            2,
            id="code-not-in-mca-codes-2014",
        ),
        pytest.param(
            (county("130125", "code", "13012"),),
            "constraint:pattern",
            "code",
            2,
            id="five-digit-code",
        ),
        pytest.param(
            (county("130125", "source_id", "no-such-source"),),
            "foreign-key",
            "source_id",
            2,
            id="source-id-not-in-sources",
        ),
    ],
)
def test_structural_invariants_of_counties(
    package_copy: Path, edits: tuple[Edit, ...], rule: str, column: str | None, line: int
) -> None:
    """Issue 3: keys, references and code patterns of counties are enforced by its schema."""
    for edit in edits:
        apply_edit(package_copy, edit)
    report = _validate(package_copy, "counties")
    hits = [
        (i.field, i.line)
        for i in report.issues
        if i.rule == rule and i.resource == "counties" and i.severity == "error"
    ]
    assert hits, _keys(report.issues)
    if column is not None:
        assert (column, line) in hits, hits
    else:
        assert line in [ln for _, ln in hits], hits
