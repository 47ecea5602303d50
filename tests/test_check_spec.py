"""The check-file specification (a JSON Schema), checks that cannot run, and expression limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.validate import validate_package
from tests.conftest import BATCHES_CSV, BATCHES_SCHEMA, REPO


def package(make_package: Callable[..., Path], checks: list[dict[str, Any]]) -> Path:
    return make_package({"batches": (BATCHES_CSV, BATCHES_SCHEMA)}, checks={"batches": checks})


def cli(path: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["validate", str(path), *args])


def test_the_docs_publish_the_schema_the_package_uses() -> None:
    from opendata.semantic.specification import SCHEMA_PATH

    shipped = SCHEMA_PATH.read_text(encoding="utf-8")
    assert (REPO / "docs" / "checks.schema.json").read_text(encoding="utf-8") == shipped


def test_the_schema_has_one_definition_per_type_naming_every_key_its_evaluator_reads() -> None:
    from opendata.semantic.declarations import COMMON_KEYS, TYPES
    from opendata.semantic.specification import schema

    defs = schema()["$defs"]
    for name, kind in TYPES.items():
        allowed = set(defs[name]["properties"])
        assert {*kind.required, *kind.optional, *COMMON_KEYS} == allowed, name
        assert defs[name]["additionalProperties"] is False
        assert set(kind.required) <= set(defs[name]["required"])


def test_the_repository_check_files_follow_the_schema() -> None:
    from opendata.semantic.specification import problems

    for path in sorted((REPO / "schemas").glob("*.checks.json")):
        assert problems(json.loads(path.read_text(encoding="utf-8"))) == [], path.name


@pytest.mark.parametrize(
    ("declared", "pointer", "fix"),
    [
        # an aggregate from outside the fixed list (it used to call any Series method)
        (
            {"column": "exited", "equals": {"column": "exited", "aggregate": "totl"}},
            "/0/equals/aggregate",
            "use one of: sum, count, min, max, mean, distinct",
        ),
        # a string where an object is expected (it used to crash with a traceback)
        ({"column": "exited", "equals": 832, "tolerance": "small"}, "/0/tolerance", "type number"),
        ({"column": "exited", "equals": 832, "colour": "red"}, "/0", "remove the unknown key"),
        ({"column": "exited"}, "/0", "add the missing key"),
    ],
)
def test_a_malformed_declaration_exits_2_with_file_id_pointer_and_fix(
    make_package: Callable[..., Path], declared: dict[str, Any], pointer: str, fix: str
) -> None:
    spec = {"id": "sum", "type": "column-sum", "message": "m", **declared}
    result = cli(package(make_package, [spec]))
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: schemas/batches.checks.json: check 'sum' at {pointer}:"), line
    assert fix in line


def test_against_a_string_exits_2(make_package: Callable[..., Path]) -> None:
    spec = {"id": "g", "type": "group-count", "message": "m", "by": ["year"], "against": "t"}
    result = cli(package(make_package, [spec]))
    assert result.exit_code == 2
    assert "check 'g' at /0/against: 't' is not of type 'object'" in result.output
    assert "Traceback" not in result.output


def test_a_check_that_raises_anything_is_a_check_error(
    make_package: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import opendata.semantic.evaluators  # noqa: F401  (every type registered before one is replaced)
    from opendata.semantic.registry import EVALUATORS

    class Odd(Exception):
        pass

    def boom(check: Any, frame: Any) -> Any:
        raise Odd("the evaluator broke")

    monkeypatch.setitem(EVALUATORS, "row-count", boom)
    path = package(make_package, [{"id": "n", "type": "row-count", "message": "m", "equals": 5}])
    report = validate_package(path)
    assert not report.valid
    [issue] = report.issues
    assert (issue.code, issue.rule, issue.layer) == ("check-error", "n", "semantic")
    assert issue.message == "check 'n' could not run: Odd: the evaluator broke"


def test_a_column_the_table_lacks_is_a_check_error(make_package: Callable[..., Path]) -> None:
    spec = {"id": "m", "type": "monotonic", "message": "m", "column": "exited", "by": "nope"}
    report = validate_package(package(make_package, [spec]))
    assert [(i.code, i.rule) for i in report.issues] == [("check-error", "m")]
    assert report.resources[0].checks_run == 1


@pytest.mark.parametrize(
    ("expression", "refused_because"),
    [
        (" < ".join(["exited"] * 5000), "longer than 10000 characters"),
        (" < ".join(["exited"] * 1000), "more than 1000 parts"),
        ("not " * 60 + "exited", "nested deeper than 50 levels"),
        ("(" * 300 + "exited" + ")" * 300, "too many nested parentheses"),
        ("substr(str(exited), 0, 100000000000000000000) == '1'", "outside ±2**53"),
    ],
)
def test_expressions_past_the_limits_are_refused_findings(
    make_package: Callable[..., Path], expression: str, refused_because: str
) -> None:
    spec = {"id": "e", "type": "expression", "message": "m", "expression": expression}
    report = validate_package(package(make_package, [spec]))
    [issue] = report.issues
    assert (issue.code, issue.rule, issue.layer) == ("check-error", "e", "descriptor")
    assert refused_because in issue.message


@pytest.mark.parametrize(
    ("expression", "refused_because"),
    [
        ("str(exited) * 1000000000 == 'x'", "only `+` applies to texts"),
        ("'ab' * 1000000000 == 'x'", "only `+` applies to texts"),
        ("exited < 9007199254740992 * 9007199254740992", "outside ±2**53"),
        ("substr(str(exited), 0, 3000000000) == '1'", "outside ±2**31"),
        ("round(exited, 1.5) == 1", "expected an integer"),
    ],
)
def test_expressions_past_the_limits_at_run_time_are_check_errors(
    make_package: Callable[..., Path], expression: str, refused_because: str
) -> None:
    spec = {"id": "e", "type": "expression", "message": "m", "expression": expression}
    report = validate_package(package(make_package, [spec]))
    [issue] = report.issues
    assert (issue.code, issue.rule, issue.layer) == ("check-error", "e", "semantic")
    assert refused_because in issue.message


@pytest.mark.parametrize("values", [{"subset-of": [1]}, {"equals": [1]}, {"superset-of": [1]}])
def test_a_values_check_on_a_missing_column_is_a_check_error(
    make_package: Callable[..., Path], values: dict[str, Any]
) -> None:
    spec = {"id": "v", "type": "values", "message": "m", "column": "nope", **values}
    report = validate_package(package(make_package, [spec]))
    assert [(i.code, i.rule) for i in report.issues] == [("check-error", "v")]


def test_rows_past_the_cap_are_one_finding_with_their_count(
    make_package: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from opendata.semantic import runner

    monkeypatch.setattr(runner, "MAX_ROW_FINDINGS", 2)
    spec = {"id": "x", "type": "expression", "message": "m", "expression": "exited > 1000"}
    issues = validate_package(package(make_package, [spec])).issues
    assert [(i.line, i.details.get("more_rows")) for i in issues] == [
        (2, None),
        (3, None),
        (None, 3),
    ]
