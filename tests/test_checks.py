"""The declared check vocabulary: each type passes on good data and fails with expected versus actual."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendata.semantic.expression import Expression, ExpressionError
from opendata.validate import validate_package
from tests.conftest import BATCHES_CSV, BATCHES_SCHEMA

PROVINCES = (
    "code,counties\n52,2\n22,1\n",
    {"fields": [{"name": "code"}, {"name": "counties", "type": "integer"}], "primaryKey": ["code"]},
)
COUNTIES = (
    "id,province,year\na,52,2019\nb,52,2020\nc,22,2020\n",
    {"fields": [{"name": "id"}, {"name": "province"}, {"name": "year", "type": "integer"}]},
)


def run(
    make_package: Callable[..., Path], checks: list[dict[str, Any]], csv: str = BATCHES_CSV
) -> list[Any]:
    path = make_package(
        {"batches": (csv, BATCHES_SCHEMA), "provinces": PROVINCES, "counties": COUNTIES},
        checks={"batches": checks},
    )
    return validate_package(path).issues


def check(ctype: str, **spec: Any) -> dict[str, Any]:
    return {"id": f"c-{ctype}", "type": ctype, "message": f"{ctype} holds", **spec}


GOOD: list[dict[str, Any]] = [
    check("row-count", equals=5),
    check("column-sum", column="exited", equals=832),
    check(
        "column-sum",
        id="sum-ref",
        column="exited",
        equals={"resource": "batches", "column": "cumulative", "aggregate": "max"},
    ),
    check("distinct-count", column="year", equals=5),
    check("row-sum", columns=["exited"], equals="exited"),
    check("monotonic", column="cumulative", by="year", direction="increasing"),
    check("running-total", column="exited", total="cumulative", by="year"),
    check(
        "ratio",
        numerator="exited",
        denominator="cumulative",
        equals=100,
        scale=100,
        round=0,
        where="year == 2016",
    ),
    check("values", column="year", equals=[2016, 2017, 2018, 2019, 2020]),
    check(
        "expression", expression="cumulative >= exited and year in [2016, 2017, 2018, 2019, 2020]"
    ),
    check("consistent", key=["year"], column="exited"),
]


@pytest.mark.parametrize("spec", GOOD, ids=lambda s: s["id"])
def test_check_passes_on_good_data(make_package: Callable[..., Path], spec: dict[str, Any]) -> None:
    assert run(make_package, [spec]) == []


BROKEN = BATCHES_CSV.replace("2017,125,153", "2017,126,153")


@pytest.mark.parametrize(
    ("spec", "code", "line"),
    [
        (check("column-sum", column="exited", equals=832), "sum-mismatch", None),
        (
            check("running-total", column="exited", total="cumulative", by="year"),
            "running-total-mismatch",
            3,
        ),
        (check("expression", expression="exited != 126"), "expression-failed", 3),
        (check("values", column="exited", equals=[28, 125, 283, 344, 52]), "values-mismatch", None),
        (check("row-count", equals=4), "count-mismatch", None),
    ],
)
def test_check_fails_with_location(
    make_package: Callable[..., Path], spec: dict[str, Any], code: str, line: int | None
) -> None:
    issues = [i for i in run(make_package, [spec], BROKEN) if i.rule == spec["id"]]
    assert issues, "the check did not fail"
    assert issues[0].code == code
    assert spec["message"] in issues[0].message  # the curator's words come first
    assert issues[0].path == "data/batches.csv"
    if line is not None:
        assert issues[0].line == line


def test_sum_mismatch_reports_expected_and_actual(make_package: Callable[..., Path]) -> None:
    [issue] = run(make_package, [check("column-sum", column="exited", equals=832)], BROKEN)
    assert issue.details["expected"] == 832
    assert issue.details["actual"] == 833


def test_group_count_across_tables(make_package: Callable[..., Path]) -> None:
    spec = {
        "id": "per-province",
        "type": "group-count",
        "message": "counts match",
        "resource": "counties",
        "by": ["province"],
        "against": {"resource": "provinces", "key": ["code"], "column": "counties"},
    }
    path = make_package({"provinces": PROVINCES, "counties": COUNTIES}, package_checks=[spec])
    assert validate_package(path).issues == []
    bad = COUNTIES[0].replace("c,22,2020", "c,52,2020")
    path = make_package(
        {"provinces": PROVINCES, "counties": (bad, COUNTIES[1])}, package_checks=[spec]
    )
    groups = sorted(
        (i.details["group"]["province"], i.details["expected"], i.details["actual"])
        for i in validate_package(path).issues
    )
    assert groups == [("22", 1, 0), ("52", 2, 3)]


def test_difference_and_warning_severity(make_package: Callable[..., Path]) -> None:
    spec = check("difference", column="cumulative", by="year", equals="exited", severity="warning")
    issues = run(make_package, [spec])
    assert issues and all(i.severity == "warning" for i in issues)
    path = make_package({"batches": (BATCHES_CSV, BATCHES_SCHEMA)}, checks={"batches": [spec]})
    assert validate_package(path).valid


def test_checks_skip_tables_with_structural_errors(make_package: Callable[..., Path]) -> None:
    csv = BATCHES_CSV.replace("2018,283,436", "2018,many,436")
    issues = run(make_package, [check("column-sum", column="exited", equals=832)], csv)
    assert [i.code for i in issues] == ["type-error"]


@pytest.mark.parametrize(
    "source",
    [
        "__import__('os').system('true')",
        "x.__class__",
        "open('f')",
        "[c for c in x]",
        "lambda: 1",
        "x[0]",
    ],
)
def test_expressions_cannot_run_code(source: str) -> None:
    with pytest.raises(ExpressionError):
        Expression(source)


def test_malformed_check_cannot_run(make_package: Callable[..., Path]) -> None:
    from opendata.errors import CouldNotRun

    with pytest.raises(CouldNotRun, match=r"check 'x' at /0/type: 'no-such-type'"):
        run(make_package, [{"id": "x", "type": "no-such-type", "message": "m"}])


def test_every_declared_type_has_an_evaluator_and_evaluate_looks_it_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Internal seams: the type specs, the evaluator registry and `evaluate`, to show that
    # evaluating is a lookup in the registry and an unknown type never gets that far.
    from opendata.semantic.declarations import TYPES, CheckDefinitionError, parse_check
    from opendata.semantic.evaluators import evaluate
    from opendata.semantic.registry import EVALUATORS, Outcome

    assert set(EVALUATORS) == set(TYPES)
    with pytest.raises(CheckDefinitionError, match="unknown type"):
        parse_check(
            {"id": "x", "type": "no-such-type", "message": "m"}, resource="t", declared_in=None
        )
    declared = parse_check(
        {"id": "n", "type": "row-count", "message": "m", "min": 1}, resource="t", declared_in=None
    )
    monkeypatch.setitem(
        EVALUATORS, "row-count", lambda check, frame: Outcome(False, actual=check.id)
    )
    assert evaluate(declared, None).actual == "n"  # type: ignore[arg-type]


def test_docs_list_every_check_type_with_the_keys_its_spec_names() -> None:
    # Internal seam: the type specs, read against the types table of docs/checks.md.
    import re

    from opendata.semantic.declarations import TYPES

    table = (Path(__file__).parent.parent / "docs" / "checks.md").read_text(encoding="utf-8")
    table = table.split("## Types", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, set[str]] = {}
    for name, keys in re.findall(r"^\| `([a-z-]+)` \| (.*?) \|", table, re.MULTILINE):
        like = re.match(r"as `([a-z-]+)`", keys)  # "as `group-count`, plus ..."
        inherited = documented[like[1]] if like else set()
        documented[name] = inherited | set(re.findall(r"`([a-z-]+)`", keys))
    assert set(documented) == set(TYPES)
    for name, kind in TYPES.items():
        keys = {*kind.required, *kind.optional, *kind.any_of, *kind.one_of}
        assert keys <= documented[name], (name, keys - documented[name])


def test_row_check_with_where_reports_the_right_rows(make_package: Callable[..., Path]) -> None:
    spec = check("monotonic", column="cumulative", by="year", where="year >= 2018")
    csv = BATCHES_CSV.replace("2019,344,780", "2019,344,400")
    [issue] = run(make_package, [spec], csv)
    assert (issue.line, issue.details) == (5, {"previous": 436, "actual": 400})


def _group_outcomes(
    make_package: Callable[..., Path],
    checks: list[dict[str, Any]],
    digits: bool = False,
    unique: bool = False,
) -> None:
    """Each group check's outcome by dictionary codes equals the outcome pandas groups.

    With `digits` the keys are digit codes; with `unique` the other table's key is declared
    unique, so it is read as plain text and encoded for grouping (digit codes without hashing).
    """
    # Internal seams: evaluate one check on frames built here, with and without the codes.
    from opendata.package import load_package
    from opendata.semantic.declarations import parse_check
    from opendata.semantic.evaluators import evaluate
    from opendata.semantic.grouping import factorized, with_keys
    from opendata.semantic.pandera_checks import resolved
    from opendata.semantic.runner import to_frame
    from opendata.structural.table import validate_table

    def code(letter: str) -> str:
        return f"{ord(letter) * 7:04d}" if digits else letter

    key = {"name": "k", "type": "string", "constraints": {"pattern": "[a-z0-9]*"}}
    rows = ["k,n,x"] + [
        f"{'' if i % 11 == 0 else code(chr(97 + i % 7))},{'' if i % 13 == 0 else i % 5},{i / 3}"
        for i in range(200)
    ]
    other = ["k,total,rows"] + [f"{code(c)},{10 * j},{j}" for j, c in enumerate("abcdeghz")]
    if not (digits and unique):  # a null key, which takes the digit codes off their fast path
        other.append(",3,4")
    other_key = {**key, "constraints": {**key["constraints"], "unique": True}} if unique else key
    schema = {"fields": [key, {"name": "n", "type": "integer"}, {"name": "x", "type": "number"}]}
    other_schema = {
        "fields": [
            other_key,
            {"name": "total", "type": "integer"},
            {"name": "rows", "type": "integer"},
        ]
    }
    path = make_package(
        {"t": ("\n".join(rows) + "\n", schema), "o": ("\n".join(other) + "\n", other_schema)}
    )
    package = load_package(path)
    tables = {n: validate_table(package.get(n)).table for n in ("t", "o")}
    assert tables["o"].column("k").type == ("string" if unique else tables["t"].column("k").type)
    frames = {n: to_frame(t) for n, t in tables.items()}
    codes = {n: factorized(t, frozenset({"k"})) for n, t in tables.items()}
    assert set(codes["t"]) == {"k"} and set(codes["o"]) == {"k"}
    # Frames built without the key column (as validate does) get it back as a categorical.
    keyless = {n: with_keys(to_frame(t.drop_columns(["k"])), codes[n]) for n, t in tables.items()}
    assert str(keyless["t"]["k"].dtype) == "category"
    for raw in checks:
        check = parse_check({**raw, "message": "m"}, resource="t", declared_in=None)

        def outcome(frames: dict[str, Any], check: Any = check) -> Any:
            return evaluate(
                parse_check(resolved(check, frames), resource="t", declared_in=None), frames["t"]
            )

        fast, slow = outcome(keyless), outcome(frames)
        assert (fast.passed, fast.groups) == (slow.passed, slow.groups), raw["id"]
        assert fast.groups, raw["id"]  # the data are made to fail each check somewhere


@pytest.mark.parametrize(
    ("digits", "unique"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_group_checks_by_code_equal_pandas_grouping(
    make_package: Callable[..., Path], digits: bool, unique: bool
) -> None:
    against = {"resource": "o", "key": ["k"], "column": "rows"}
    _group_outcomes(
        make_package,
        [
            {"id": "count", "type": "group-count", "by": ["k"], "against": against},
            {
                "id": "count-where",
                "type": "group-count",
                "by": ["k"],
                "where": "n >= 2",
                "against": {**against, "where": "total > 10"},
            },
            {
                "id": "sum",
                "type": "group-sum",
                "by": ["k"],
                "sum": "n",
                "against": {"resource": "o", "key": ["k"], "column": "total"},
            },
            {
                "id": "float-sum",
                "type": "group-sum",
                "by": ["k"],
                "sum": "x",
                "against": {"resource": "o", "key": ["k"], "column": "total"},
            },
        ],
        digits=digits,
        unique=unique,
    )


def test_only_columns_used_solely_as_group_keys_are_left_out_of_frames() -> None:
    from opendata.semantic.declarations import coded_only, parse_check

    def check(raw: dict[str, Any]) -> Any:
        return parse_check({"message": "m", **raw}, resource="t", declared_in=None)

    against = {"resource": "o", "key": ["k"], "column": "rows"}
    only_keys = [
        check({"id": "a", "type": "group-count", "by": ["k"], "against": against}),
        check(
            {
                "id": "b",
                "type": "column-sum",
                "column": "n",
                "equals": {"resource": "o", "column": "k", "aggregate": "count"},
            }
        ),
    ]
    assert coded_only(only_keys) == {"t": {"k"}, "o": {"k"}}
    filtered = [*only_keys, check({"id": "c", "type": "row-count", "where": "k == 'a'", "min": 1})]
    assert coded_only(filtered) == {"t": set(), "o": {"k"}}
    two_keys = check({"id": "d", "type": "group-count", "by": ["k", "n"], "against": against})
    assert coded_only([two_keys]) == {"o": {"k"}}


@pytest.mark.parametrize("block_size", [64 << 20, 1 << 10])
def test_key_errors_skip_the_checks_that_read_the_table(
    make_package: Callable[..., Path], block_size: int
) -> None:
    # Errors that only the whole-table key checks find (a repeated primary key, a foreign-key
    # miss) skip every declared check that reads the table, with large and with small chunks;
    # a check on a sound table still runs and reports its failure.
    batches = BATCHES_CSV.replace("2017,125", "2016,125")
    counties = (
        COUNTIES[0].replace("c,22", "c,99"),
        {
            **COUNTIES[1],
            "foreignKeys": [
                {"fields": ["province"], "reference": {"resource": "provinces", "fields": ["code"]}}
            ],
        },
    )
    path = make_package(
        {"batches": (batches, BATCHES_SCHEMA), "provinces": PROVINCES, "counties": counties},
        checks={
            "batches": [check("row-count", equals=99)],
            "counties": [check("row-count", id="c-counties", equals=99)],
            "provinces": [check("row-count", id="c-provinces", equals=99)],
        },
    )
    report = validate_package(path, block_size=block_size)
    codes = sorted((i.resource, i.code, i.rule) for i in report.issues)
    assert codes == [
        ("batches", "primary-key", "primary-key"),
        ("counties", "foreign-key", "foreign-key"),
        ("provinces", "count-mismatch", "c-provinces"),
    ]
    assert sorted(n for n in report.notes if "skipped" in n and "check" in n) == [
        "check c-counties skipped: resource(s) counties have structural errors",
        "check c-row-count skipped: resource(s) batches have structural errors",
    ]
    stats = {s.name: (s.checks_run, s.checks_skipped) for s in report.resources}
    assert stats == {"batches": (0, 1), "provinces": (1, 0), "counties": (0, 1)}


GHOSTS = [
    check(
        "group-count",
        by=["year"],
        against={"resource": "ghost", "key": ["year"], "column": "n"},
    ),
    check(
        "column-sum",
        column="exited",
        equals={"resource": "ghost", "column": "x", "aggregate": "sum"},
    ),
    check("row-count", resource="ghost", equals=3),
]


@pytest.mark.parametrize("spec", GHOSTS, ids=lambda s: s["id"])
def test_a_check_reading_a_missing_resource_is_a_check_error(
    make_package: Callable[..., Path], spec: dict[str, Any]
) -> None:
    # Both engines take their checks from collect_checks and their resources from selection.
    failing = check("row-count", id="still-runs", equals=4)
    path = make_package(
        {"batches": (BATCHES_CSV, BATCHES_SCHEMA)}, checks={"batches": [spec, failing]}
    )
    for only in (None, "batches"):
        report = validate_package(path, only=only)
        found = sorted((i.code, i.rule, Path(i.path or "").name) for i in report.issues)
        assert found == [
            ("check-error", spec["id"], "batches.checks.json"),
            ("count-mismatch", "still-runs", "batches.csv"),
        ]
        [error] = [i for i in report.issues if i.code == "check-error"]
        assert "'ghost'" in error.message
