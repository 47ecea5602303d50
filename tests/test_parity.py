"""Parity: on the same files, opendata finds exactly what `frictionless validate` finds (codes and rows)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from opendata.io.rowmap import Run
from opendata.package import load_package
from opendata.structural.table import validate_table
from opendata.validate import validate_package
from tests.conftest import write_package

S: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {
            "name": "name",
            "type": "string",
            "constraints": {"minLength": 2, "pattern": "[a-z]+", "enum": ["ab", "cd", "abc"]},
        },
        {"name": "v", "type": "number", "constraints": {"minimum": 0, "maximum": 10}},
    ],
    "primaryKey": ["id"],
}
TYPES: dict[str, Any] = {
    "fields": [
        {"name": "b", "type": "boolean"},
        {"name": "d", "type": "date"},
        {"name": "y", "type": "year"},
        {"name": "i", "type": "integer"},
        {"name": "n", "type": "number"},
    ]
}
KEYS: dict[str, Any] = {
    "fields": [
        {"name": "a", "type": "string"},
        {"name": "b", "type": "integer", "constraints": {"unique": True}},
    ],
    "primaryKey": ["a", "b"],
}
PARENT = (
    "code,label\n11,x\n12,y\n",
    {"fields": [{"name": "code", "type": "integer"}, {"name": "label"}], "primaryKey": ["code"]},
)
CHILD: dict[str, Any] = {
    "fields": [{"name": "code", "type": "integer"}, {"name": "v"}],
    "foreignKeys": [{"fields": ["code"], "reference": {"resource": "parent", "fields": ["code"]}}],
}

# Text codes compared as numbers when they are digits of one width (see structural.keys.digit_values):
# leading zeros, signs, other widths, non-ASCII digits and nulls must still compare as text.
CODES = (
    "code,label\n110101,a\n110102,b\n+11010,c\n011010,d\n110102,e\n١١٠١٠١,f\n",
    {
        "fields": [
            {"name": "code", "type": "string", "constraints": {"unique": True}},
            {"name": "label"},
        ],
        "primaryKey": ["code"],
    },
)
CODED: dict[str, Any] = {
    "fields": [{"name": "code", "type": "string"}, {"name": "v"}],
    "foreignKeys": [{"fields": ["code"], "reference": {"resource": "codes", "fields": ["code"]}}],
}

# id, a patterned name and a bounded number: for files with ragged records.
RAGGED: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "name", "type": "string", "constraints": {"pattern": "[a-z]+"}},
        {"name": "v", "type": "number", "constraints": {"maximum": 10}},
    ],
    "primaryKey": ["id"],
}

# Integers beyond 64 bits in keys: compared as Python integers (`+B`, `0B` and `B` are one).
BIG = "123456789012345678901234567890"
WIDE_KEYS: dict[str, Any] = {
    "fields": [
        {"name": "u", "type": "integer", "constraints": {"unique": True}},
        {"name": "k", "type": "integer"},
        {"name": "ref", "type": "integer"},
    ],
    "primaryKey": ["k"],
    "foreignKeys": [{"fields": ["ref"], "reference": {"resource": "", "fields": ["u"]}}],
}
WIDE_PARENT = (
    f"code\n{BIG}\n-{BIG}\n7\n",
    {"fields": [{"name": "code", "type": "integer"}], "primaryKey": ["code"]},
)
WIDE_CHILD: dict[str, Any] = {
    "fields": [{"name": "code", "type": "integer"}],
    "foreignKeys": [{"fields": ["code"], "reference": {"resource": "parent", "fields": ["code"]}}],
}

FIXTURES: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {
    # An empty file: a source-error, as frictionless says ("the source is empty").
    "empty-file": {"t": ("", S)},
    "byte-order-mark-only": {"t": ("\ufeff", S)},
    "one-line-break": {"t": ("\r\n", S)},
    "wide-integer-keys": {
        "t": (
            f"u,k,ref\n{BIG},{BIG},{BIG}\n+{BIG},0{BIG},7\n-{BIG},-{BIG},1{BIG}\n7,+7,-{BIG}\n"
            f"007,{BIG}9,+{BIG}\n,9223372036854775807,\n,9223372036854775808,-7\n",
            WIDE_KEYS,
        )
    },
    "wide-integer-foreign-keys": {
        "parent": WIDE_PARENT,
        "child": (f"code\n{BIG}\n+{BIG}\n{BIG}1\n-{BIG}\n007\n7\n8\n", WIDE_CHILD),
    },
    "type-and-constraint": {"t": ("id,name,v\n1,ab,5\nx,cd,11\n,a,-1\n1,zz,abc\n3,ab,\n", S)},
    "missing-and-extra-cells": {"t": ("id,name,v\n1,ab\n2,cd,3,4\n3\n4,ab,5,,\n", S)},
    "extra-label": {"t": ("id,name,v,w\n1,ab,5,x\n2,ab,5\n", S)},
    "missing-label": {"t": ("id,name\n1,ab\n2,ab,5\n", S)},
    "incorrect-and-blank-label": {"t": ("id,nam,\n1,ab,5\n", S)},
    "duplicate-label": {"t": ("id,id,v\n1,ab,5\n", S)},
    "unique-and-primary-key": {"t": ("a,b\nx,1\nx,1\n,2\n,2\ny,\ny,\nz,abc\nz,abc\n", KEYS)},
    "blank-rows": {"t": ("id,name,v\n,,\n1,ab,5\n\n2,cd,1\n", S)},
    "types": {
        "t": (
            "b,d,y,i,n\ntrue,2020-01-01,2020,007,1\nyes,2020-13-01,20,1.0,x\nFalse,2020-1-1,-5, 5,1e3\n1,2020/01/01,2020,+5,NaN\n0,2020-02-30,2021,1_000,.5\n",
            TYPES,
        )
    },
    "foreign-key": {"parent": PARENT, "child": ("code,v\n11,a\n13,b\n,c\n12,d\n14,e\n", CHILD)},
    "digit-codes": {
        "codes": CODES,
        "child": (
            "code,v\n110101,a\n11010,b\n+11010,c\n011010,d\n11010,e\n110103,f\n"
            "١١٠١٠١,g\n١١٠١٠٢,h\n,i\n0110101,j\n",
            CODED,
        ),
    },
    # Columns without a vectorised parser (group characters, year-months, times): every cell is
    # decided in Python, once per distinct value (more than 4,096 cells take the hashing path).
    "many-cells-parsed-one-by-one": {
        "t": (
            "i,ym,tm\n"
            + "".join(
                ("1x5," if r == 4000 else f'"{r % 50},{r % 7:03d}",')
                + f"{'2020-13' if r == 4500 else f'20{10 + r % 9}-0{1 + r % 9}'},"
                + f"{'25:00:00' if r == 5000 else f'0{r % 10}:15:00'}\n"
                for r in range(6000)
            ),
            {
                "fields": [
                    {"name": "i", "type": "number", "groupChar": ","},
                    {"name": "ym", "type": "yearmonth"},
                    {"name": "tm", "type": "time"},
                ]
            },
        )
    },
    "quoted-newline": {"t": ('id,name,v\n1,"a\nb",5\n2,ab,50\n', S)},
    "number-spellings": {
        "t": (
            "i,n,b\n+5,1e3,TRUE\n 5,inf,true\n1_000,Infinity,1\n5 ,-nan,0\n007,.5,False\n"
            "١٢,5.,FALSE\n0x1,1.5E+3,yes\n-0,+.5,t\n9223372036854775808,1_0.5,false\n",
            {
                "fields": [
                    {"name": "i", "type": "integer"},
                    {"name": "n", "type": "number"},
                    {"name": "b", "type": "boolean"},
                ]
            },
        )
    },
    "valid-typed-columns": {
        "t": (
            "i,n,b\n1,2.5,true\n,,\n3,,false\n4,-1e-3,\n",
            {
                "fields": [
                    {
                        "name": "i",
                        "type": "integer",
                        "constraints": {"required": True, "maximum": 3},
                    },
                    {"name": "n", "type": "number", "constraints": {"minimum": 0}},
                    {"name": "b", "type": "boolean", "constraints": {"required": True}},
                ]
            },
        )
    },
    "everything-fine": {"t": ("id,name,v\n1,ab,5\n2,cd,0\n3,abc,10\n", S)},
    # Cells pyarrow's typed reader accepts and frictionless does not: hexadecimal integers, and
    # dates with surrounding blanks. Every other cell converts, so the fast path is taken.
    "typed-reader-leniency": {
        "t": (
            "i,d\n1,2020-01-01\n0x10,2020-01-02\n0X1F,2020-01-03\n4, 2020-01-04\n5,2020-01-05 \n",
            {"fields": [{"name": "i", "type": "integer"}, {"name": "d", "type": "date"}]},
        )
    },
}


def frictionless_findings(descriptor: Path) -> set[tuple[Any, Any, str]]:
    out = subprocess.run(
        [sys.executable, "-m", "frictionless", "validate", "--json", str(descriptor)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(out.stdout)
    found = set()
    for task in report["tasks"]:
        for err in task["errors"]:
            row = err.get("rowNumber")
            if err["type"].endswith("-label"):
                row = 1
            field = err.get("fieldName") or None
            if err["type"] in ("primary-key", "foreign-key", "extra-cell", "blank-row"):
                field = None
            found.add((row, field, err["type"]))
    return found


def opendata_findings(descriptor: Path, **kw: Any) -> set[tuple[Any, Any, str]]:
    report = validate_package(descriptor, **kw)
    out = set()
    for issue in report.issues:
        field = issue.field
        if issue.code in ("primary-key", "foreign-key", "extra-cell", "blank-row"):
            field = None
        out.add((issue.row, field, issue.code))
    return out


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_same_findings_as_frictionless(name: str, tmp_path: Path) -> None:
    descriptor = write_package(tmp_path, FIXTURES[name])
    expected = frictionless_findings(descriptor)
    assert opendata_findings(descriptor) == expected


def test_parity_fixtures_cover_every_structural_error_type(tmp_path: Path) -> None:
    covered = {
        "type-error",
        "constraint-error",
        "missing-cell",
        "extra-cell",
        "blank-row",
        "unique-error",
        "primary-key",
        "foreign-key",
        "extra-label",
        "missing-label",
        "incorrect-label",
        "blank-label",
        "duplicate-label",
    }
    found: set[str] = set()
    for i, tables in enumerate(FIXTURES.values()):
        descriptor = write_package(tmp_path / str(i), tables)
        found |= {code for _, _, code in opendata_findings(descriptor)}
    assert len(FIXTURES) >= 10
    assert covered <= found


def test_same_findings_with_many_ragged_rows_across_tiny_blocks(tmp_path: Path) -> None:
    lines = []
    for i in range(1, 700):
        if i % 97 == 0:
            lines.append(f"{i},ab")  # a missing cell
        elif i % 89 == 0:
            lines.append(f"{i},ab,1,surplus")  # an extra cell
        elif i % 83 == 0:
            lines.append(f'{i},"a\nb",2')  # a cell spanning two lines (pattern fails)
        elif i % 79 == 0:
            lines.append("")
        else:
            lines.append(f"{i},ab,{i % 13}")
    table = ("id,name,v\n" + "\n".join(lines) + "\n", RAGGED)
    descriptor = write_package(tmp_path, {"t": table})
    expected = frictionless_findings(descriptor)
    assert opendata_findings(descriptor, block_size=1 << 10) == expected
    assert {code for _, _, code in expected} >= {
        "missing-cell",
        "extra-cell",
        "blank-row",
        "constraint-error",
    }


def _parity_in_blocks(descriptor: Path, sizes: tuple[int, ...]) -> set[tuple[Any, Any, str]]:
    """frictionless's findings, after checking opendata finds the same at every chunk size."""
    expected = frictionless_findings(descriptor)
    for size in sizes:
        assert opendata_findings(descriptor, block_size=size) == expected, size
    return expected


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_ragged_rows_are_placed_without_a_serial_parse(tmp_path: Path, newline: str) -> None:
    # No quotes: ragged records are found by their text. The texts repeat, occur inside other
    # lines ("1,ab" in "11,ab,3"), open the file and close it without a final line break.
    lines = ["1,ab"]
    for i in range(2, 600):
        if i % 50 == 0:
            lines.append("1,ab")
        elif i % 71 == 0:
            lines.append(f"{i},ab,1,surplus")
        elif i % 61 == 0:
            lines.append("")
        else:
            lines.append(f"{i},ab,{i % 12}")
    lines.append("1,ab")
    text = "id,name,v" + newline + newline.join(lines)
    descriptor = write_package(tmp_path, {"t": (text, RAGGED)})
    (tmp_path / "data" / "t.csv").write_bytes(text.encode())  # exactly these line breaks
    expected = _parity_in_blocks(descriptor, (1 << 26, 1 << 10, 300))
    assert {(row, code) for row, _, code in expected} >= {
        (2, "missing-cell"),
        (51, "missing-cell"),
        (601, "missing-cell"),
        (72, "extra-cell"),
        (62, "blank-row"),
    }
    resource = load_package(descriptor).get("t")
    for size in (1 << 26, 1 << 10):
        result = validate_table(resource, block_size=size)
        assert result.serial_chunks == 0
        # Kept in file order without a reorder, so row numbers stay runs (no per-row arrays).
        assert result.where is not None
        assert all(isinstance(r, Run) for r in result.where.rows)


def test_ragged_rows_in_a_chunk_with_quotes_are_placed_serially(tmp_path: Path) -> None:
    lines = [
        f'{i},"ab",1' if i % 40 == 0 else f"{i},ab" if i % 30 == 0 else f"{i},ab,1"
        for i in range(1, 200)
    ]
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "name"}, {"name": "v"}]}
    descriptor = write_package(tmp_path, {"t": ("id,name,v\n" + "\n".join(lines) + "\n", schema)})
    _parity_in_blocks(descriptor, (1 << 26, 500))
    result = validate_table(load_package(descriptor).get("t"), block_size=1 << 26)
    assert result.serial_chunks == 1


@pytest.mark.parametrize("odd_integer", ["0x10", "1_000"])
def test_bad_cells_among_thousands_are_found_by_bisection(tmp_path: Path, odd_integer: str) -> None:
    # Bad cells at the first, a middle and the last row of a column several bisection runs
    # long, with spellings Python and pyarrow disagree about mixed in.
    bad_at = {0: "x1", 777: "1.2.3", 778: " 7", 2500: "+5", 3000: odd_integer, 4999: "NaN"}
    rows = [f"{i},{bad_at.get(i, i * 3)},{bad_at.get(4999 - i, i / 7)}" for i in range(5000)]
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "count", "type": "integer"},
            {"name": "share", "type": "number"},
        ]
    }
    descriptor = write_package(
        tmp_path, {"t": ("id,count,share\n" + "\n".join(rows) + "\n", schema)}
    )
    expected = _parity_in_blocks(descriptor, (1 << 26, 20_000))
    assert (2, "count", "type-error") in expected
    assert (5001, "share", "type-error") in expected


def test_wide_integer_keys_across_chunks(tmp_path: Path) -> None:
    # Wide cells in many batches, recorded by row across them, and rows in file order.
    lines = [
        f"{BIG}{i % 40},{i},{BIG}{i % 50}" if i % 3 == 0 else f"{i % 40},{i},{i % 45}"
        for i in range(900)
    ]
    descriptor = write_package(tmp_path, {"t": ("u,k,ref\n" + "\n".join(lines) + "\n", WIDE_KEYS)})
    found = _parity_in_blocks(descriptor, (1 << 10, 1 << 20))
    assert {code for _, _, code in found} == {"unique-error", "foreign-key"}


def test_blank_lines_without_a_header_are_a_blank_header(tmp_path: Path) -> None:
    # frictionless reads the first blank line as a header of no labels, then blank rows, and
    # says nothing of the header; docs/compatibility.md keeps opendata's answer.
    schema = {"fields": [{"name": "a", "type": "integer"}]}
    descriptor = write_package(tmp_path, {"t": ("\n\n\n", schema)})
    assert frictionless_findings(descriptor) == {(2, None, "blank-row"), (3, None, "blank-row")}
    assert opendata_findings(descriptor) == {(1, None, "blank-header")}
