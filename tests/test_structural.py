"""The structural layer: one tiny failing table per failure mode, asserted on codes and locations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendata.errors import CouldNotRun
from opendata.validate import validate_package

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "name", "type": "string", "constraints": {"pattern": "[a-z]+", "maxLength": 5}},
        {"name": "share", "type": "number", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "ok", "type": "boolean"},
        {"name": "day", "type": "date"},
    ],
    "primaryKey": ["id"],
}
HEADER = "id,name,share,ok,day\n"


def flat(path: Path, **kw: Any) -> list[list[Any]]:
    return validate_package(path, **kw).flatten("row", "field", "code")


def test_valid_table_has_no_issues(make_package: Callable[..., Path]) -> None:
    path = make_package({"t": (HEADER + "1,ab,5.5,true,2020-01-01\n2,cd,0,0,2020-1-2\n", SCHEMA)})
    report = validate_package(path)
    assert report.valid
    assert report.issues == []
    assert report.resources[0].rows == 2


def test_type_errors_are_all_reported(make_package: Callable[..., Path]) -> None:
    csv = HEADER + "x,ab,1,true,2020-01-01\n2,ab,abc,maybe,2020-13-01\n3,ab,+5,FALSE,2020-02-30\n"
    assert flat(make_package({"t": (csv, SCHEMA)})) == [
        [2, None, "primary-key"],
        [2, "id", "type-error"],
        [3, "day", "type-error"],
        [3, "ok", "type-error"],
        [3, "share", "type-error"],
        [4, "day", "type-error"],
    ]


def test_constraints(make_package: Callable[..., Path]) -> None:
    csv = HEADER + ",ab,101,true,2020-01-01\n2,AB,-1,true,2020-01-01\n3,abcdef,5,true,2020-01-01\n"
    codes = [
        (i.row, i.field, i.rule)
        for i in validate_package(make_package({"t": (csv, SCHEMA)})).sorted_issues()
    ]
    assert (2, "id", "constraint:required") in codes
    assert (2, "share", "constraint:maximum") in codes
    assert (3, "name", "constraint:pattern") in codes
    assert (3, "share", "constraint:minimum") in codes
    assert (4, "name", "constraint:maxLength") in codes


def test_missing_extra_and_blank_rows(make_package: Callable[..., Path]) -> None:
    csv = HEADER + "1,ab,5,true\n2,ab,5,true,2020-01-01,surplus\n,,,,\n\n3,ab,5,true,2020-01-01\n"
    assert flat(make_package({"t": (csv, SCHEMA)})) == [
        [2, "day", "missing-cell"],
        [3, None, "extra-cell"],
        [4, None, "blank-row"],
        [4, None, "primary-key"],
        [5, None, "blank-row"],
        [5, None, "primary-key"],
    ]


def test_physical_line_differs_from_row_after_quoted_newline(
    make_package: Callable[..., Path],
) -> None:
    csv = HEADER + '1,"a\nb",5,true,2020-01-01\n2,ab,500,true,2020-01-01\n'
    report = validate_package(make_package({"t": (csv, SCHEMA)}))
    [pattern, maximum] = report.sorted_issues()
    assert (pattern.row, pattern.line, pattern.rule) == (2, 2, "constraint:pattern")
    assert (maximum.row, maximum.line, maximum.rule) == (3, 4, "constraint:maximum")


def test_header_problems(make_package: Callable[..., Path]) -> None:
    csv = "id,nam,share,ok,day,extra\n1,ab,5,true,2020-01-01,x\n"
    assert flat(make_package({"t": (csv, SCHEMA)})) == [
        [1, None, "extra-label"],
        [1, "name", "incorrect-label"],
    ]


def test_unique_and_primary_key_flag_later_rows(make_package: Callable[..., Path]) -> None:
    schema = {
        "fields": [
            {"name": "a", "type": "string"},
            {"name": "b", "type": "integer", "constraints": {"unique": True}},
        ],
        "primaryKey": ["a", "b"],
    }
    csv = "a,b\nx,1\nx,01\ny,2\n"
    assert flat(make_package({"t": (csv, schema)})) == [
        [3, None, "primary-key"],
        [3, "b", "unique-error"],
    ]


def test_foreign_key_to_another_table(make_package: Callable[..., Path]) -> None:
    parent = (
        "code,name\n11,A\n12,B\n",
        {"fields": [{"name": "code"}, {"name": "name"}], "primaryKey": ["code"]},
    )
    child_schema = {
        "fields": [{"name": "code"}, {"name": "v", "type": "integer"}],
        "foreignKeys": [
            {"fields": ["code"], "reference": {"resource": "parent", "fields": ["code"]}}
        ],
    }
    path = make_package({"parent": parent, "child": ("code,v\n11,1\n13,2\n,3\n", child_schema)})
    assert flat(path) == [[3, "code", "foreign-key"]]


def test_ragged_rows_in_a_later_block_keep_their_rows(make_package: Callable[..., Path]) -> None:
    body = "".join(f"{i},ab,5,true,2020-01-01\n" for i in range(1, 400))
    csv = HEADER + body + "400,ab\n" + "401,ab,5,true,2020-01-01\n402,ab,900,true,2020-01-01\n"
    path = make_package({"t": (csv, SCHEMA)})
    expected = [
        [401, "day", "missing-cell"],
        [401, "ok", "missing-cell"],
        [401, "share", "missing-cell"],
        [403, "share", "constraint-error"],
    ]
    assert flat(path, block_size=1 << 12) == expected
    assert flat(path) == expected


def test_tiny_blocks_give_the_same_findings_as_one_block(make_package: Callable[..., Path]) -> None:
    body = "".join(f"{i % 300},a{i % 7},{i % 150},true,2020-01-01\n" for i in range(1, 1200))
    path = make_package({"t": (HEADER + body, SCHEMA)})
    small = flat(path, block_size=1 << 10)
    large = flat(path)
    assert small == large
    assert any(code == "primary-key" for _, _, code in large)
    assert any(code == "constraint-error" for _, _, code in large)


def test_wrong_encoding_is_a_finding_with_its_line(
    make_package: Callable[..., Path], tmp_path: Path
) -> None:
    path = make_package({"t": (HEADER + "1,ab,5,true,2020-01-01\n", SCHEMA)})
    (tmp_path / "data" / "t.csv").write_bytes(
        (HEADER + "1,ab,5,true,2020-01-01\n2,").encode()
        + "县".encode("gbk")
        + b",5,true,2020-01-01\n"
    )
    [issue] = validate_package(path).issues
    assert (issue.code, issue.line) == ("encoding-error", 3)


def test_declared_gbk_encoding_is_read(make_package: Callable[..., Path], tmp_path: Path) -> None:
    path = make_package({"t": (HEADER, SCHEMA)})
    (tmp_path / "data" / "t.csv").write_bytes((HEADER + "1,县,5,true,2020-01-01\n").encode("gbk"))
    import json

    d = json.loads(path.read_text())
    d["resources"][0]["encoding"] = "gbk"
    path.write_text(json.dumps(d))
    assert flat(path) == [[2, "name", "constraint-error"]]


def test_bom_is_ignored(make_package: Callable[..., Path], tmp_path: Path) -> None:
    path = make_package({"t": (HEADER, SCHEMA)})
    (tmp_path / "data" / "t.csv").write_bytes(
        b"\xef\xbb\xbf" + (HEADER + "1,ab,5,true,2020-01-01\n").encode()
    )
    assert flat(path) == []


def test_unknown_field_type_is_a_schema_finding(make_package: Callable[..., Path]) -> None:
    schema = {"fields": [{"name": "a", "type": "integr"}]}
    [issue] = validate_package(make_package({"t": ("a\n1\n", schema)})).issues
    assert issue.code == "field-error"
    assert issue.path == "schemas/t.schema.json"


@pytest.mark.parametrize("bad_path", ["../outside.csv", "/etc/passwd", "https://example.org/x.csv"])
def test_paths_outside_the_package_are_refused(
    make_package: Callable[..., Path], bad_path: str
) -> None:
    import json

    path = make_package({"t": ("a\n1\n", {"fields": [{"name": "a"}]})})
    d = json.loads(path.read_text())
    d["resources"][0]["path"] = bad_path
    path.write_text(json.dumps(d))
    with pytest.raises(CouldNotRun):
        validate_package(path)


def test_missing_data_file_cannot_run(make_package: Callable[..., Path], tmp_path: Path) -> None:
    path = make_package({"t": ("a\n1\n", {"fields": [{"name": "a"}]})})
    (tmp_path / "data" / "t.csv").unlink()
    with pytest.raises(CouldNotRun, match="not found"):
        validate_package(path)


def _parent_child(make_package: Callable[..., Path], extra_rows: str, total: int) -> Path:
    parent = "".join(f"{c},n{c}\n" for c in range(100, 400))
    child = "".join(f"{100 + i % 300},{i}\n" for i in range(2000)) + extra_rows
    parent_schema = {
        "fields": [{"name": "code", "type": "integer"}, {"name": "name"}],
        "primaryKey": ["code"],
    }
    child_schema = {
        "fields": [{"name": "code", "type": "integer"}, {"name": "v", "type": "integer"}],
        "primaryKey": ["code", "v"],
        "foreignKeys": [
            {"fields": ["code"], "reference": {"resource": "parent", "fields": ["code"]}}
        ],
    }
    checks = [{"id": "sum", "type": "column-sum", "message": "sum", "column": "v", "equals": total}]
    return make_package(
        {
            "parent": ("code,name\n" + parent, parent_schema),
            "child": ("code,v\n" + child, child_schema),
        },
        checks={"child": checks},
    )


def test_keys_are_exact_across_tiny_blocks(make_package: Callable[..., Path]) -> None:
    path = _parent_child(make_package, "999,1\n150,50\n", 0)
    expected = [[2002, "code", "foreign-key"], [2003, None, "primary-key"]]
    assert validate_package(path, block_size=1 << 10).flatten("row", "field", "code") == expected
    assert validate_package(path).flatten("row", "field", "code") == expected


def test_package_sums_are_exact_across_tiny_blocks(make_package: Callable[..., Path]) -> None:
    assert validate_package(_parent_child(make_package, "", 1999000), block_size=1 << 10).valid
    [issue] = validate_package(_parent_child(make_package, "", 1999001), block_size=1 << 10).issues
    assert (issue.rule, issue.details["actual"]) == ("sum", 1999000)


def test_ragged_row_after_a_multiline_cell_has_its_physical_line(
    make_package: Callable[..., Path],
) -> None:
    csv = HEADER + '1,"a\nb",5,true,2020-01-01\n2,ab\n3,ab,5,true,2020-01-01,x\n'
    issues = validate_package(make_package({"t": (csv, SCHEMA)})).sorted_issues()
    assert [(i.row, i.line, i.code) for i in issues if i.code != "missing-cell"] == [
        (2, 2, "constraint-error"),
        (4, 5, "extra-cell"),
    ]
    assert {(i.row, i.line) for i in issues if i.code == "missing-cell"} == {(3, 4)}


def _repeats(keys: list[Any], eligible: list[bool]) -> list[tuple[int, int]]:
    """Plain Python's answer: (position, position of its first occurrence) of each repeat."""
    seen: dict[Any, int] = {}
    out = []
    for pos, key in enumerate(keys):
        if not eligible[pos]:
            continue
        if key in seen:
            out.append((pos, seen[key]))
        else:
            seen[key] = pos
    return out


@pytest.mark.parametrize("seed", range(6))
def test_repeated_keys_match_a_plain_python_count(seed: int) -> None:
    # Keys with nulls (skipped) before, between and after repeats; narrow (counted) and wide
    # (sorted) code ranges; two-column keys combined into one code.
    import numpy as np
    import pyarrow as pa

    # keys.row_codes and keys.duplicates are the seam: whole-table repeats, against plain Python.
    from opendata.structural.keys import duplicates, row_codes

    rng = np.random.default_rng(seed)
    n = 3000
    spread = [50, 10**9][seed % 2]
    first = rng.integers(0, spread, n)
    second = rng.integers(0, 3, n)
    nulls = rng.random(n) < 0.2
    a = pa.array([None if z else int(v) for v, z in zip(first, nulls, strict=True)], pa.int64())
    b = pa.array([f"s{v}" for v in second]).dictionary_encode()
    keys = [a] if seed < 3 else [a, b]
    eligible = ~nulls
    dups, firsts = duplicates(row_codes(keys), eligible)

    rows = list(zip(*(k.to_pylist() for k in keys), strict=True))
    expected = _repeats(rows, eligible.tolist())
    assert sorted(zip(dups.tolist(), firsts.tolist(), strict=True)) == expected
    assert expected or spread > n


@pytest.mark.parametrize("seed", range(4))
def test_text_codes_compare_as_text(seed: int) -> None:
    # Digit strings of one width are compared as numbers; mixed in are the values that must not
    # be: other widths, leading zeros and signs that a number would hide, non-ASCII digits,
    # letters and nulls. Repeats and lookups must match plain Python's string comparisons.
    import numpy as np
    import pyarrow as pa

    # keys.row_codes, keys.duplicates and keys.known_values are the seam: text compared as text.
    from opendata.structural.keys import duplicates, known_values, row_codes

    rng = np.random.default_rng(seed)
    odd = ["12", "0012", "+123", "-123", "١٢٣٤", "１２３４", "12a4", "", " 123"]
    spread = [60, 10**4][seed % 2]

    def values(n: int, nulls: bool) -> list[str | None]:
        out: list[str | None] = []
        for _ in range(n):
            r = rng.random()
            if nulls and r < 0.1:
                out.append(None)
            elif r < 0.3:
                out.append(str(rng.choice(odd)))
            else:
                out.append(f"{int(rng.integers(0, spread)):04d}")
        return out

    column = values(2000, nulls=True)
    arr = pa.array(column, pa.string())
    eligible = arr.is_valid().to_numpy(zero_copy_only=False)
    dups, firsts = duplicates(row_codes([arr]), eligible)
    expected = _repeats(column, [value is not None for value in column])
    assert sorted(zip(dups.tolist(), firsts.tolist(), strict=True)) == expected

    reference = [v for v in values(300, nulls=False) if v is not None]
    distinct = sorted({v for v in column if v is not None})
    known = known_values(pa.array(distinct, pa.string()), pa.array(reference, pa.string()))
    assert known.tolist() == [v in set(reference) for v in distinct]
    assert any(known) and not all(known)
