"""Reading in chunks: findings do not depend on where the file is cut, and keys and sums stay exact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendata.package import load_package
from opendata.structural.table import validate_table
from opendata.validate import validate_package

SCHEMA: dict[str, Any] = {
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "name", "type": "string", "constraints": {"pattern": '[a-z\\n",]+'}},
        {"name": "v", "type": "number", "constraints": {"maximum": 10}},
        {"name": "day", "type": "date"},
    ],
    "primaryKey": ["id"],
}


def located(path: Path, **kw: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (i.row, i.line, i.field or "", i.code, i.rule or "")
        for i in validate_package(path, **kw).issues
    )


def chunks(path: Path, name: str, block_size: int) -> int:
    return validate_table(load_package(path).get(name), block_size=block_size).chunks


def test_quoted_cells_across_chunk_boundaries(make_package: Callable[..., Path]) -> None:
    rows = []
    for i in range(1, 400):
        if i % 7 == 0:
            rows.append(f'{i},"line\nbreak",{i % 13},2020-01-01')  # spans two lines
        elif i % 11 == 0:
            rows.append(f'{i},"say ""hi"", then\n\nmore",1,2020-01-01')  # quotes, commas, 3 lines
        elif i % 17 == 0:
            rows.append(f"{i},ab")  # ragged
        else:
            rows.append(f"{i},ab,{i % 12},2020-01-0{1 + i % 9}")
    rows.insert(200, "5,dup,1,2020-01-01")  # a repeated key far from its first occurrence
    path = make_package({"t": ("id,name,v,day\n" + "\n".join(rows) + "\n", SCHEMA)})
    whole = located(path)
    assert chunks(path, "t", 1 << 26) == 1
    for size in (61, 97, 256, 1000):
        assert chunks(path, "t", size) > 5
        assert located(path, block_size=size) == whole
    codes = {code for _, _, _, code, _ in whole}
    assert {"missing-cell", "primary-key", "constraint-error"} <= codes
    # lines run ahead of rows after every quoted line break
    assert any(line > row for row, line, *_ in whole)


def test_a_record_longer_than_the_chunk(make_package: Callable[..., Path]) -> None:
    long_name = "a" * 300
    csv = f'id,name,v,day\n1,"{long_name}\nb",11,2020-01-01\n2,ab,12,2020-01-01\n'
    path = make_package({"t": (csv, SCHEMA)})
    assert located(path, block_size=16) == located(path)
    assert [(r, line) for r, line, *_ in located(path, block_size=16)] == [(2, 2), (3, 4)]


def test_typed_reading_falls_back_per_chunk(make_package: Callable[..., Path]) -> None:
    body = "".join(f"{i},ab,{i % 10},2020-01-01\n" for i in range(1, 300))
    body += (
        "300,ab,x,2020-01-01\n301,ab,0x1,2020-01-01\n302,ab,1,2020-02-30\n0x12,ab,1,2020-01-01\n"
    )
    body += "".join(f"{i},ab,{i % 10},2020-01-01\n" for i in range(400, 600))
    path = make_package({"t": ("id,name,v,day\n" + body, SCHEMA)})
    expected = [
        (301, 301, "v", "type-error", "type:number"),
        (302, 302, "v", "type-error", "type:number"),
        (303, 303, "day", "type-error", "type:date"),
        (304, 304, "", "primary-key", "primary-key"),  # as frictionless: an unparsed key is empty
        (304, 304, "id", "type-error", "type:integer"),
    ]
    assert located(path) == expected
    assert located(path, block_size=512) == expected


def test_only_columns_with_a_bad_cell_are_read_as_text_afterwards(
    make_package: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bad number early, a bad boolean later: each demotes its own column, from its chunk on;
    # the other typed columns of a chunk read as text are converted there and stay typed.
    # CsvReader._promote is the seam: the one place a chunk read as text demotes its columns.
    from opendata.io.reader import CsvReader

    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "v", "type": "number", "constraints": {"maximum": 8}},
            {"name": "b", "type": "boolean"},
            {"name": "n", "type": "integer", "constraints": {"minimum": 1}},
        ],
        "primaryKey": ["id"],
    }
    lines = [f"{i},{i % 10},{'true' if i % 2 else 'false'},{i % 7}" for i in range(1, 600)]
    lines[99] = "100,x,true,3"
    lines[399] = "400,1,maybe,3"
    path = make_package({"t": ("id,v,b,n\n" + "\n".join(lines) + "\n", schema)})
    demoted: list[set[int]] = []
    promote = CsvReader._promote

    def spy(reader: Any, blocks: Any) -> Any:
        out = promote(reader, blocks)
        demoted.append(set(reader.demoted))
        return out

    monkeypatch.setattr(CsvReader, "_promote", spy)
    whole = located(path)
    assert demoted == [{1, 2}]  # one chunk, holding both bad cells
    demoted.clear()
    assert located(path, block_size=2048) == whole
    assert demoted == [{1}, {1, 2}]  # the boolean's chunk is read typed until its bad cell
    assert {(r, f, c) for r, _, f, c, _ in whole if c == "type-error"} == {
        (101, "v", "type-error"),
        (401, "b", "type-error"),
    }
    # Constraints of the columns converted after a text read are still checked in every chunk.
    assert sum(1 for *_, c, rule in whole if rule == "constraint:maximum") == 60
    assert sum(1 for *_, c, rule in whole if rule == "constraint:minimum") == len(lines) // 7


def test_gbk_file_in_chunks(tmp_path: Path) -> None:
    from tests.conftest import write_package

    schema = {
        "fields": [
            {"name": "code", "type": "string", "constraints": {"pattern": "\\d{6}"}},
            {"name": "name", "type": "string"},
        ],
        "primaryKey": ["code"],
    }
    rows = [f"{100000 + i},平{i % 7}县" for i in range(500)] + ["10000x,甲县", "100003,乙县"]
    rows[250:250] = ["100777,丙县,多余", "100778"]  # ragged: found again by their GBK bytes
    path = write_package(tmp_path, {"t": ("code,name\n" + "\n".join(rows) + "\n", schema)})
    data = tmp_path / "data" / "t.csv"
    data.write_bytes(data.read_text(encoding="utf-8").encode("gbk"))
    descriptor = path.read_text(encoding="utf-8").replace(
        '"path": "data/t.csv"', '"path": "data/t.csv", "encoding": "gbk"'
    )
    path.write_text(descriptor, encoding="utf-8")
    whole = located(path)
    assert [(r, code) for r, _, _, code, _ in whole] == [
        (252, "extra-cell"),
        (253, "missing-cell"),
        (504, "constraint-error"),
        (505, "primary-key"),
    ]
    assert chunks(path, "t", 200) > 10
    assert located(path, block_size=200) == whole
    resource = load_package(path).get("t")
    assert validate_table(resource, block_size=200).serial_chunks == 0


def test_bad_bytes_in_a_later_chunk(make_package: Callable[..., Path]) -> None:
    # The reading thread meets the bad bytes while earlier chunks are being checked; the finding
    # is the one a whole-file read gives, and nothing is left running.
    import threading

    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "v"}]}
    path = make_package({"t": ("id,v\n" + "".join(f"{i},x\n" for i in range(400)), schema)})
    data = path.parent / "data" / "t.csv"
    raw = data.read_bytes()
    cut = raw.index(b"\n300,") + 1
    data.write_bytes(raw[:cut] + b"300,\xff\xfe\n" + raw[cut:])
    before = threading.active_count()
    whole = located(path)
    assert [(line, code) for _, line, _, code, _ in whole] == [(302, "encoding-error")]
    assert located(path, block_size=64) == whole
    assert threading.active_count() == before


@pytest.mark.parametrize("size", [100, 333, 1000])
def test_keys_and_package_sums_are_exact_across_chunks(
    make_package: Callable[..., Path], size: int
) -> None:
    parent_schema = {
        "fields": [
            {"name": "code", "type": "string"},
            {"name": "rows", "type": "integer"},
            {"name": "total", "type": "integer"},
        ],
        "primaryKey": ["code"],
    }
    child_schema = {
        "fields": [
            {"name": "code", "type": "string"},
            {"name": "year", "type": "integer"},
            {"name": "n", "type": "integer"},
        ],
        "primaryKey": ["code", "year"],
        "foreignKeys": [
            {"fields": ["code"], "reference": {"resource": "parent", "fields": ["code"]}}
        ],
    }
    codes = [f"c{i:03d}" for i in range(60)]
    parent = "code,rows,total\n" + "".join(f"{c},5,{5 * k}\n" for k, c in enumerate(codes))
    child = "code,year,n\n" + "".join(
        f"{c},{2016 + y},{k}\n" for y in range(5) for k, c in enumerate(codes)
    )
    checks = [
        {
            "id": "totals",
            "type": "column-sum",
            "message": "child n adds up to the parent totals",
            "resource": "child",
            "column": "n",
            "equals": {"resource": "parent", "column": "total", "aggregate": "sum"},
        },
        {
            "id": "rows-per-code",
            "type": "group-count",
            "message": "every code has its rows",
            "resource": "child",
            "by": ["code"],
            "against": {"resource": "parent", "key": ["code"], "column": "rows"},
        },
    ]
    tables = {"parent": (parent, parent_schema), "child": (child, child_schema)}
    good = make_package(tables, package_checks=checks)
    assert chunks(good, "child", size) > 3
    assert validate_package(good, block_size=size).valid
    # Structural: a repeated key 240 rows after the first, and a code unknown to the parent.
    bad_child = child.replace("c007,2020,7\n", "c003,2016,7\n").replace("c050,2019", "c999,2019")
    bad = make_package(
        {"parent": (parent, parent_schema), "child": (bad_child, child_schema)},
        package_checks=checks,
    )
    found = sorted((i.code, i.row) for i in validate_package(bad, block_size=size).issues)
    assert found == [("foreign-key", 2 + 3 * 60 + 50), ("primary-key", 2 + 4 * 60 + 7)]
    # Semantic, on sound tables: one row moved to another year of another code (two group
    # counts off), and one value changed (the sum off by 100).
    off_child = child.replace("c007,2020,7\n", "c003,2021,7\n").replace(
        "c010,2017,10", "c010,2017,110"
    )
    off = make_package(
        {"parent": (parent, parent_schema), "child": (off_child, child_schema)},
        package_checks=checks,
    )
    report = validate_package(off, block_size=size)
    assert sorted((i.rule, str(i.details)) for i in report.issues) == sorted(
        (i.rule, str(i.details)) for i in validate_package(off).issues
    )
    assert {i.rule for i in report.issues} == {"totals", "rows-per-code"}
    groups = [i.details["group"]["code"] for i in report.issues if i.rule == "rows-per-code"]
    assert sorted(groups) == ["c003", "c007"]


def test_key_integers_past_32_bits_in_a_later_chunk(make_package: Callable[..., Path]) -> None:
    # Key-only integers are stored as int32 while they fit; a later chunk with larger values
    # turns the column back to int64 without losing a repeat on either side of the switch.
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "v"}], "primaryKey": ["id"]}
    ids = [*range(1, 200), 7, *(2**40 + i for i in range(200)), 2**40 + 3, 9]
    path = make_package({"t": ("id,v\n" + "".join(f"{i},x\n" for i in ids), schema)})
    whole = located(path)
    assert [(row, code) for row, _, _, code, _ in whole] == [
        (201, "primary-key"),
        (402, "primary-key"),
        (403, "primary-key"),
    ]
    for size in (64, 500):
        assert chunks(path, "t", size) > 5
        assert located(path, block_size=size) == whole
