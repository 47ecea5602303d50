"""Each check type: passes on good data, fails with its code and location, an edge case, and a
malformed declaration refused (exit 2) at the JSON pointer of the bad value."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendata.errors import CouldNotRun
from opendata.validate import validate_package

# year, exited, cumulative, remaining (832 - cumulative): lines 2-6
BATCHES = (
    "year,exited,cumulative,remaining\n"
    "2016,28,28,804\n2017,125,153,679\n2018,283,436,396\n2019,344,780,52\n2020,52,832,0\n"
)
BATCHES_SCHEMA = {
    "fields": [
        {"name": "year", "type": "integer"},
        {"name": "exited", "type": "integer"},
        {"name": "cumulative", "type": "integer"},
        {"name": "remaining", "type": "integer"},
    ],
    "primaryKey": ["year"],
}
PROVINCES = (
    "code,counties,exited_2020\n52,2,1\n22,1,1\n",
    {
        "fields": [
            {"name": "code"},
            {"name": "counties", "type": "integer"},
            {"name": "exited_2020", "type": "integer"},
        ]
    },
)
# id, province, year: lines 2-4
COUNTIES = (
    "id,province,year\na,52,2019\nb,52,2020\nc,22,2020\n",
    {"fields": [{"name": "id"}, {"name": "province"}, {"name": "year", "type": "integer"}]},
)


def check(ctype: str, **spec: Any) -> dict[str, Any]:
    return {"id": "c", "type": ctype, "message": f"{ctype} holds", **spec}


def findings(
    make_package: Callable[..., Path],
    spec: dict[str, Any],
    batches: str = BATCHES,
    counties: str = COUNTIES[0],
) -> list[tuple[Any, ...]]:
    """(code, field, line, details) of each finding of the one check, declared as a package check."""
    path = make_package(
        {
            "batches": (batches, BATCHES_SCHEMA),
            "provinces": PROVINCES,
            "counties": (counties, COUNTIES[1]),
        },
        package_checks=[{"resource": "batches", **spec}],
    )
    report = validate_package(path)
    assert all(i.rule == "c" for i in report.issues), report.issues
    return [(i.code, i.field, i.line, i.details) for i in report.issues]


def refused(make_package: Callable[..., Path], spec: dict[str, Any]) -> str:
    """The one-line message of the CouldNotRun a malformed declaration raises."""
    with pytest.raises(CouldNotRun) as caught:
        findings(make_package, spec)
    assert caught.value.exit_code == 2
    return caught.value.one_line


AGAINST = {"resource": "provinces", "key": ["code"], "column": "counties"}


def per_province(ctype: str, **spec: Any) -> dict[str, Any]:
    return check(ctype, resource="counties", by=["province"], **spec)


# type -> (passing declaration, failing declaration, its findings as (code, field, line, details))
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], list[tuple[Any, ...]]]] = {
    "row-count": (
        check("row-count", equals=5),
        check("row-count", min=6, max=9),
        [("count-mismatch", None, None, {"expected": {"min": 6, "max": 9}, "actual": 5})],
    ),
    "column-sum": (
        check("column-sum", column="exited", equals=832),
        check("column-sum", column="exited", equals=833),
        [("sum-mismatch", "exited", None, {"expected": 833, "actual": 832})],
    ),
    "distinct-count": (
        check("distinct-count", column="year", equals=5),
        check("distinct-count", column="year", where="year > 2017", equals=5),
        [("count-mismatch", "year", None, {"expected": 5, "actual": 3})],
    ),
    "row-sum": (
        check("row-sum", columns=["cumulative", "remaining"], equals=832),
        check("row-sum", columns=["exited", "remaining"], equals="cumulative"),
        [
            ("sum-mismatch", "cumulative", line, {"expected": e, "actual": a})
            for line, e, a in [
                (2, 28, 832),
                (3, 153, 804),
                (4, 436, 679),
                (5, 780, 396),
                (6, 832, 52),
            ]
        ],
    ),
    "group-count": (
        per_province("group-count", against=AGAINST),
        per_province("group-count", against=AGAINST, where="year == 2020"),
        [
            (
                "group-mismatch",
                None,
                None,  # a key read only as dictionary codes is not in the frame
                {"group": {"province": "52"}, "expected": 2, "actual": 1},
            )
        ],
    ),
    "group-sum": (
        check(
            "group-sum",
            by="year",
            sum="exited",
            against={"resource": "batches", "column": "exited"},
        ),
        check(
            "group-sum",
            by="year",
            sum="exited",
            where="year > 2019",
            against={"resource": "batches", "column": "exited", "where": "year > 2018"},
        ),
        [
            (
                "group-mismatch",
                None,
                5,  # the group's first line here (a key read in full)
                {"group": {"year": 2019}, "expected": 344, "actual": 0},
            )
        ],
    ),
    "monotonic": (
        check("monotonic", column="cumulative", by="year"),
        check("monotonic", column="exited", by="year", direction="increasing"),
        [("not-monotonic", "exited", 6, {"previous": 344, "actual": 52})],
    ),
    "running-total": (
        check("running-total", column="exited", total="cumulative", by="year"),
        check("running-total", column="exited", total="cumulative", by="year", start=1),
        [
            ("running-total-mismatch", "cumulative", line, {"expected": c + 1, "actual": c})
            for line, c in [(2, 28), (3, 153), (4, 436), (5, 780), (6, 832)]
        ],
    ),
    "difference": (
        check("difference", column="remaining", by="year", equals="exited"),
        check("difference", column="cumulative", by="year", equals="exited", where="year >= 2019"),
        [("difference-mismatch", "exited", 6, {"expected": -52, "actual": 52})],
    ),
    "ratio": (
        check(
            "ratio",
            numerator="exited",
            denominator=832,
            equals=3,
            scale=100,
            round=0,
            where="year == 2016",
        ),
        check(
            "ratio",
            numerator="cumulative",
            denominator=832,
            equals="year",
            scale=100,
            round=0,
            where="year == 2020",
        ),
        [("ratio-mismatch", "year", 6, {"expected": 2020, "actual": 100})],
    ),
    "values": (
        check("values", column="year", **{"subset-of": [2015, 2016, 2017, 2018, 2019, 2020]}),
        check("values", column="year", **{"superset-of": [2015, 2016]}),
        [
            (
                "values-mismatch",
                "year",
                None,
                {
                    "expected": [2015, 2016],
                    "actual": [2016, 2017, 2018, 2019, 2020],
                    "missing": [2015],
                    "unexpected": [2017, 2018, 2019, 2020],
                },
            )
        ],
    ),
    "consistent": (
        check("consistent", resource="counties", key=["id"], column="year"),
        check("consistent", resource="counties", key="province", column="year"),
        [
            ("inconsistent-values", "year", line, {"actual": y})
            for line, y in [(2, 2019), (3, 2020)]
        ],
    ),
    "expression": (
        check("expression", expression="cumulative + remaining == 832"),
        check("expression", expression="exited < 300 or year == 2020"),
        [("expression-failed", None, None, {})],
    ),
}
CASES["expression"] = (
    CASES["expression"][0],
    CASES["expression"][1],
    [("expression-failed", None, 5, {})],
)


def test_every_type_has_cases() -> None:
    from opendata.semantic.declarations import TYPES

    assert set(CASES) == set(TYPES) == set(EDGES) == set(MALFORMED)


@pytest.mark.parametrize("ctype", sorted(CASES))
def test_passes(make_package: Callable[..., Path], ctype: str) -> None:
    assert findings(make_package, CASES[ctype][0]) == []


@pytest.mark.parametrize("ctype", sorted(CASES))
def test_fails_with_code_field_line_and_details(
    make_package: Callable[..., Path], ctype: str
) -> None:
    _, failing, expected = CASES[ctype]
    assert findings(make_package, failing) == expected


# type -> (declaration, findings): a boundary of the type's semantics.
EDGES: dict[str, tuple[dict[str, Any], list[tuple[Any, ...]]]] = {
    # a `where` keeping no rows: zero rows, which is what was declared
    "row-count": (check("row-count", where="year > 2030", equals=0), []),
    # a tolerance absorbs a small difference
    "column-sum": (check("column-sum", column="exited", equals=833, tolerance=1), []),
    # distinct combinations of two columns; a bound given by an aggregate of another resource
    "distinct-count": (
        check(
            "distinct-count",
            column=["year", "exited"],
            equals={
                "resource": "counties",
                "column": "id",
                "aggregate": "count",
                "where": "year > 0",
            },
        ),
        [("count-mismatch", None, None, {"expected": 3, "actual": 5})],
    ),
    # a number as the target, within tolerance
    "row-sum": (check("row-sum", columns=["cumulative", "remaining"], equals=833, tolerance=1), []),
    # a group present on one side only counts 0 on the other
    "group-count": (
        per_province("group-count", against={**AGAINST, "where": "code == '52'"}),
        [("group-mismatch", None, None, {"group": {"province": "22"}, "expected": 0, "actual": 1})],
    ),
    # a group key of two columns against a two-column key
    "group-sum": (
        check(
            "group-sum",
            by=["year", "exited"],
            sum="exited",
            against={"resource": "batches", "key": ["year", "exited"], "column": "exited"},
        ),
        [],
    ),
    # not strict: equal neighbours pass; decreasing
    "monotonic": (
        check("monotonic", column="remaining", by="year", direction="decreasing", strict=False),
        [],
    ),
    # a start offset and a tolerance
    "running-total": (
        check(
            "running-total", column="exited", total="cumulative", by="year", start=1, tolerance=1
        ),
        [],
    ),
    # the first row in `by` order has no previous row and is never a finding
    "difference": (
        check("difference", column="remaining", by="year", equals="exited", where="year >= 2020"),
        [],
    ),
    # two numbers: one finding without a line
    "ratio": (
        check("ratio", numerator=1, denominator=3, equals=33.3, scale=100, round=1),
        [],
    ),
    # `equals` compares sets: order and repetition do not matter
    "values": (check("values", column="year", equals=[2020, 2019, 2018, 2017, 2016, 2016]), []),
    # a key of two columns
    "consistent": (
        check("consistent", resource="counties", key=["province", "year"], column="id"),
        [],
    ),
    # a comparison with a null cell is false; isnull() lets it pass
    "expression": (check("expression", expression="isnull(year) or year >= 2016"), []),
}


@pytest.mark.parametrize("ctype", sorted(EDGES))
def test_edge(make_package: Callable[..., Path], ctype: str) -> None:
    spec, expected = EDGES[ctype]
    assert findings(make_package, spec) == expected


# type -> (malformed declaration, the JSON pointer it is refused at)
MALFORMED: dict[str, tuple[dict[str, Any], str]] = {
    "row-count": (check("row-count", equals="five"), "/0/equals"),
    "column-sum": (
        check("column-sum", column="exited", equals={"column": "exited", "aggregate": "totl"}),
        "/0/equals/aggregate",
    ),
    "distinct-count": (check("distinct-count", column="year"), "/0:"),
    "row-sum": (check("row-sum", columns="exited", equals=1), "/0/columns"),
    "group-count": (per_province("group-count", against="provinces"), "/0/against"),
    "group-sum": (per_province("group-sum", against=AGAINST), "/0:"),
    "monotonic": (check("monotonic", column="exited", by="year", direction="up"), "/0/direction"),
    "running-total": (
        check("running-total", column="exited", total=["cumulative"], by="year"),
        "/0/total",
    ),
    "difference": (
        check("difference", column="remaining", by="year", equals="exited", tolerence=1),
        "/0:",
    ),
    "ratio": (check("ratio", numerator="exited", denominator=1, equals=1, round=1.5), "/0/round"),
    "values": (check("values", column="year", equals=[2016], **{"subset-of": [2016]}), "/0:"),
    "consistent": (check("consistent", key=[], column="year"), "/0/key"),
    "expression": (check("expression", expression=["year > 0"]), "/0/expression"),
}


@pytest.mark.parametrize("ctype", sorted(MALFORMED))
def test_malformed_declaration_is_refused(make_package: Callable[..., Path], ctype: str) -> None:
    spec, pointer = MALFORMED[ctype]
    line = refused(make_package, spec)
    assert f"datapackage.json: check 'c' at /checks{pointer}" in line, line
    assert "(" in line and "docs/checks.schema.json" in line  # the fix, and where the format is


@pytest.mark.parametrize(
    ("spec", "pandera_check"),
    [
        (check("values", column="year", **{"subset-of": [2016, 2017]}), "isin"),
        (check("values", column="year", equals=[2016, 2017]), "unique_values_eq"),
        (check("values", column="year", **{"superset-of": [2016, 2015]}), "opendata_values"),
        (
            check("values", column="year", where="year > 2016", equals=[2016]),
            "opendata_values",
        ),
    ],
)
def test_values_checks_are_pandera_builtins_where_one_exists(
    make_package: Callable[..., Path], spec: dict[str, Any], pandera_check: str
) -> None:
    # Internal seam: which pandera check decides; the finding is the same either way.
    from opendata.semantic.declarations import parse_check
    from opendata.semantic.pandera_checks import builtin
    from opendata.semantic.pandera_checks import pandera_check as registered

    declared = parse_check(spec, resource="batches", declared_in=None)
    found = builtin(declared)
    name = found[1].name if found else registered(declared, dict(spec)).name
    assert name == pandera_check
    [(code, field, line, details)] = findings(make_package, spec)
    assert (code, field, line) == ("values-mismatch", "year", None)
    years = [2017, 2018, 2019, 2020] if "where" in spec else [2016, 2017, 2018, 2019, 2020]
    assert details["actual"] == years
