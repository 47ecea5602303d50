"""Every resource kind is read and checked as frictionless reads and checks it (differential tests).

Each test writes a small package into tmp_path, validates it with opendata and with frictionless
(5.x, Python API), and compares the findings as (resource, row, field, code).
"""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from opendata.validate import validate_package

INT_B: dict[str, Any] = {"fields": [{"name": "a", "type": "integer"}, {"name": "b"}]}
KEYED: dict[str, Any] = {
    "fields": [
        {"name": "a", "type": "integer", "constraints": {"required": True}},
        {"name": "b", "type": "string", "constraints": {"maxLength": 2}},
    ],
    "primaryKey": ["a"],
}

Finding = tuple[str, int | None, str | None, str]


def package(tmp_path: Path, resources: list[dict[str, Any]], files: dict[str, bytes]) -> Path:
    """Write data files and a descriptor; return the descriptor's path."""
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    descriptor = tmp_path / "datapackage.json"
    descriptor.write_text(json.dumps({"name": "p", "resources": resources}), encoding="utf-8")
    return descriptor


def norm(resource: str, row: int | None, field: str | None, code: str) -> Finding:
    """One finding as both tools can say it: labels without rows, row-wide codes without fields."""
    if "label" in code:
        row = None
    if code in ("extra-cell", "blank-row", "primary-key", "foreign-key"):
        field = None
    return resource, row, field, code


def ours(descriptor: Path) -> set[Finding]:
    report = validate_package(descriptor)
    return {
        norm(i.resource or "", i.row, i.field, i.code)
        for i in report.issues
        if i.layer == "structural" and i.severity == "error"
    }


def theirs(descriptor: Path) -> set[Finding]:
    from frictionless import Package

    report = Package(str(descriptor)).validate()
    return {
        norm(str(task.name), getattr(e, "row_number", None), getattr(e, "field_name", None), e.type)
        for task in report.tasks
        for e in task.errors
    }


def same(descriptor: Path) -> set[Finding]:
    """Both tools' findings, asserted equal; returns them."""
    mine = ours(descriptor)
    assert mine == theirs(descriptor)
    return mine


CSV = b"a,b\n1,x\nz,y\n3,long\n"


def test_tsv_by_extension_and_by_format(tmp_path: Path) -> None:
    tsv = CSV.replace(b",", b"\t")
    d = package(
        tmp_path,
        [
            {"name": "ext", "path": "t.tsv", "schema": KEYED},
            {"name": "fmt", "path": "t.txt", "format": "tsv", "schema": KEYED},
        ],
        {"t.tsv": tsv, "t.txt": tsv},
    )
    found = same(d)
    assert ("ext", 3, "a", "type-error") in found and ("fmt", 4, "b", "constraint-error") in found


def test_tsv_whose_delimiter_cannot_be_sniffed_is_read_with_tabs(tmp_path: Path) -> None:
    d = package(
        tmp_path,
        [{"name": "t", "path": "t.tsv", "schema": INT_B}],
        {"t.tsv": b'a\tb\n1\tx\ty\nz\n"q\n'},
    )
    assert ("t", 2, None, "extra-cell") in same(d)


def test_two_header_rows_joined(tmp_path: Path) -> None:
    schema = {"fields": [{"name": "a_x", "type": "integer"}, {"name": "b_y"}]}
    dialect = {"headerRows": [1, 2], "headerJoin": "_"}
    d = package(
        tmp_path,
        [{"name": "t", "path": "t.csv", "dialect": dialect, "schema": schema}],
        {"t.csv": b"a,b\nx,y\n1,x\nz,y\n"},
    )
    assert same(d) == {("t", 4, "a_x", "type-error")}


def test_gzip_bz2_and_zip_csv(tmp_path: Path) -> None:
    import bz2

    archive = tmp_path / "z.csv.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("z.csv", CSV)
    d = package(
        tmp_path,
        [
            {"name": "gz", "path": "t.csv.gz", "schema": KEYED},
            {
                "name": "declared",
                "path": "t.data",
                "format": "csv",
                "compression": "gz",
                "schema": KEYED,
            },
            {"name": "bz", "path": "t.csv.bz2", "schema": KEYED},
            {"name": "zipped", "path": "z.csv.zip", "schema": KEYED},
        ],
        {
            "t.csv.gz": gzip.compress(CSV),
            "t.data": gzip.compress(CSV),
            "t.csv.bz2": bz2.compress(CSV),
        },
    )
    found = ours(d)
    for name in ("gz", "declared", "bz", "zipped"):
        assert (name, 3, "a", "type-error") in found and (name, 4, "b", "constraint-error") in found
    # frictionless reads gz and zip; compare with it there.
    only = package(
        tmp_path / "f",
        [{"name": "gz", "path": "t.csv.gz", "schema": KEYED}],
        {"t.csv.gz": gzip.compress(CSV)},
    )
    same(only)


def test_gzip_streams_in_small_chunks(tmp_path: Path) -> None:
    rows = b"".join(b"%d,x\n" % i for i in range(5000)) + b"bad,x\n"
    d = package(
        tmp_path,
        [{"name": "gz", "path": "t.csv.gz", "schema": INT_B}],
        {"t.csv.gz": gzip.compress(b"a,b\n" + rows)},
    )
    report = validate_package(d, block_size=4096)
    assert [(i.row, i.code) for i in report.issues if i.layer == "structural"] == [
        (5002, "type-error")
    ]


def test_multipart_parts_repeating_the_header_match_frictionless(tmp_path: Path) -> None:
    d = package(
        tmp_path,
        [{"name": "multi", "path": ["p1.csv", "p2.csv", "p3.csv"], "schema": KEYED}],
        {"p1.csv": b"a,b\n1,x\n", "p2.csv": b"a,b\n2,y\nq,z\n", "p3.csv": b"a,b\n1,w\n"},
    )
    found = same(d)
    assert ("multi", 4, "a", "type-error") in found and ("multi", 5, None, "primary-key") in found


def test_multipart_findings_name_the_part_and_its_line(tmp_path: Path) -> None:
    d = package(
        tmp_path,
        [{"name": "multi", "path": ["p1.csv", "p2.csv"], "schema": KEYED}],
        {"p1.csv": b"a,b\n1,x\n", "p2.csv": b"a,b\n2,y\nq,z\n"},
    )
    [issue] = [i for i in validate_package(d).issues if i.code == "type-error"]
    assert (issue.path, issue.line, issue.row) == ("p2.csv", 3, 4)


def test_multipart_parts_without_a_header_keep_their_first_row(tmp_path: Path) -> None:
    """frictionless drops every later part's first line; a data row is kept here (compatibility.md)."""
    d = package(
        tmp_path,
        [{"name": "multi", "path": ["p1.csv", "p2.csv"], "schema": KEYED}],
        {"p1.csv": b"a,b\n1,x\n", "p2.csv": b"q,y\n3,z\n"},
    )
    assert ("multi", 3, "a", "type-error") in ours(d)
    assert theirs(d) == set()  # frictionless took `q,y` for a header and dropped it


def test_non_tabular_files_get_only_file_checks(tmp_path: Path) -> None:
    text = b"hello\n"
    d = package(
        tmp_path,
        [
            {"name": "map", "path": "g.geojson"},
            {"name": "doc", "path": "d.pdf", "schema": INT_B},
            {"name": "json", "path": "d.json"},
            {
                "name": "text",
                "path": "n.txt",
                "bytes": 6,
                "hash": "md5:b1946ac92492d2347c6235b4d2611184",
            },
            {"name": "sha", "path": "n.txt", "hash": "sha256:" + "0" * 64},
            {"name": "size", "path": "n.txt", "bytes": 5},
            {"name": "plainmd5", "path": "n.txt", "hash": "b1946ac92492d2347c6235b4d2611184"},
        ],
        {
            "g.geojson": b'{"type": "FeatureCollection", "features": []}',
            "d.pdf": b"%PDF-1.4",
            "d.json": b"[[1]]",
            "n.txt": text,
        },
    )
    assert same(d) == {("sha", None, None, "hash-count"), ("size", None, None, "byte-count")}


def test_non_tabular_file_with_a_declared_encoding_must_decode(tmp_path: Path) -> None:
    """frictionless does not read a text file at all; its declared encoding is checked here (compatibility.md)."""
    d = package(
        tmp_path,
        [
            {"name": "t", "path": "n.txt", "encoding": "utf-8"},
            {"name": "g", "path": "g.txt", "encoding": "gbk"},
        ],
        {"n.txt": b"ok\n\xff\xfe\n", "g.txt": "脱贫\n".encode("gbk")},
    )
    [issue] = [i for i in validate_package(d).issues if i.layer == "structural"]
    assert (issue.resource, issue.code, issue.line) == ("t", "encoding-error", 2)
    assert issue.details == {"expected": "utf-8", "byte_offset": 3}


def test_csv_without_schema_is_inferred_and_validated(tmp_path: Path) -> None:
    rows = b"".join(b"%d,x\n" % i for i in range(150)) + b"late,x\n"
    d = package(
        tmp_path,
        [{"name": "t", "path": "t.csv"}, {"name": "u", "path": "u.csv"}],
        {"t.csv": b"a,b\n" + rows, "u.csv": CSV},
    )
    assert same(d) == {("t", 152, "a", "type-error")}


def test_inline_rows_and_objects_like_files(tmp_path: Path) -> None:
    d = package(
        tmp_path,
        [
            {
                "name": "rows",
                "data": [
                    ["a", "b"],
                    [1, "x"],
                    ["z", "y"],
                    [1.5],
                    [True, "y", 3],
                    [None, None],
                    [2.0, "long"],
                    [1, "q"],
                ],
                "schema": KEYED,
            },
            {
                "name": "objects",
                "data": [
                    {"a": 1, "b": "x"},
                    {"a": "z", "b": "y", "c": 3},
                    {"b": "q"},
                    {"a": 1, "b": 5},
                ],
                "schema": KEYED,
            },
            {"name": "noschema", "data": [["a", "b"], [1, "x"], [2, "y"]]},
        ],
        {},
    )
    found = same(d)
    assert ("rows", 3, "a", "type-error") in found and ("objects", 5, "b", "type-error") in found


def test_foreign_keys_into_inline_data(tmp_path: Path) -> None:
    parent = {"fields": [{"name": "code", "type": "integer"}], "primaryKey": ["code"]}
    child = {
        "fields": [{"name": "code", "type": "integer"}],
        "foreignKeys": [
            {"fields": ["code"], "reference": {"resource": "codes", "fields": ["code"]}}
        ],
    }
    d = package(
        tmp_path,
        [
            {"name": "codes", "data": [["code"], [1], [2]], "schema": parent},
            {"name": "child", "path": "c.csv", "schema": child},
        ],
        {"c.csv": b"code\n1\n3\n"},
    )
    assert same(d) == {("child", 3, None, "foreign-key")}


def test_parquet_checked_against_its_schema(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = {
        "fields": [
            {"name": "a", "type": "integer", "constraints": {"required": True, "maximum": 5}},
            {"name": "b", "type": "string"},
            {"name": "d", "type": "date"},
            {"name": "n", "type": "integer"},
        ],
        "primaryKey": ["a"],
    }
    table = pa.table(
        {
            "a": [1, 2, None, 9, 2],
            "b": ["x", "y", "z", "w", "v"],
            "d": pa.array([18000, 18001, None, 18003, 18004], pa.date32()),
            "n": [1.0, 2.5, 3.0, None, 4.0],
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    d = package(tmp_path, [{"name": "pq", "path": "t.parquet", "schema": schema}], {})
    found = ours(d)
    assert {
        ("pq", 4, "a", "constraint-error"),
        ("pq", 5, "a", "constraint-error"),
        ("pq", 6, None, "primary-key"),
        ("pq", 3, "n", "type-error"),
    } <= found
    # frictionless reads Parquet through pandas, where a null in an integer column becomes NaN:
    # a type error there (compatibility.md); a null is a missing value here.
    nulls = {("pq", 4, "a", "type-error"), ("pq", 5, "n", "type-error")}
    assert found == (theirs(d) - nulls) | {("pq", 4, "a", "constraint-error")}


DIALECTS: list[tuple[str, dict[str, Any], bytes]] = [
    ("semicolon", {"delimiter": ";"}, b"a;b\n1;x\nz;y\n"),
    ("sniffed-semicolon", {}, b"a;b\n1;x\nz;y\n2;q\n"),
    ("sniffed-pipe", {}, b"a|b\n1|x\nz|y\n2|q\n"),
    ("quote", {"quoteChar": "'"}, b"a,b\n1,'x,y'\nz,'y'\n"),
    ("escape", {"escapeChar": "\\", "doubleQuote": False}, b'a,b\n1,"x\\"y"\nz,y\n'),
    ("no-header", {"header": False}, b"1,x\nz,y\n3,w\n"),
    ("comment-char", {"commentChar": "#"}, b"# note\na,b\n1,x\n# z,y\nz,y\n"),
    ("comment-rows", {"commentRows": [3]}, b"a,b\n1,x\nz,y\n4,w\nq,r\n"),
    ("header-rows", {"headerRows": [1, 2], "headerJoin": ""}, b"a,b\n,\n1,x\nz,y\n"),
    ("header-row-2", {"headerRows": [2]}, b"title,\na,b\n1,x\nz,y\n"),
    ("initial-space", {"skipInitialSpace": True}, b"a, b\n1, x\nz, y\n"),
    ("line-terminator", {"lineTerminator": "\r\n"}, b"a,b\r\n1,x\r\nz,y\r\n"),
    ("v5-csv-control", {"csv": {"delimiter": ";"}}, b"a;b\n1;x\nz;y\n"),
    ("header-case", {"headerCase": False}, b"A,B\n1,x\nz,y\n"),
    ("blank-rows", {"skipBlankRows": True}, b"a,b\n1,x\n,\nz,y\n"),
    ("v5-csv-control-quote", {"csv": {"quoteChar": "'"}}, b"a,b\n1,'x,y'\nz,'y'\n"),
]


@pytest.mark.parametrize(("name", "dialect", "data"), DIALECTS, ids=[d[0] for d in DIALECTS])
def test_dialect_options_as_frictionless(
    tmp_path: Path, name: str, dialect: dict[str, Any], data: bytes
) -> None:
    d = package(
        tmp_path,
        [{"name": "t", "path": "t.csv", "dialect": dialect, "schema": INT_B}],
        {"t.csv": data},
    )
    found = same(d)
    assert any(code == "type-error" for _r, _row, _f, code in found)


def test_comment_rows_keep_lines_right(tmp_path: Path) -> None:
    d = package(
        tmp_path,
        [{"name": "t", "path": "t.csv", "dialect": {"commentChar": "#"}, "schema": INT_B}],
        {"t.csv": b'# a comment\na,b\n1,"two\nlines"\n# z\nz,y\n'},
    )
    [issue] = [i for i in validate_package(d).issues if i.code == "type-error"]
    assert (issue.row, issue.line) == (5, 6)


def test_bytes_and_hash_of_compressed_and_multipart_resources(tmp_path: Path) -> None:
    import hashlib

    packed = gzip.compress(CSV)
    parts = {"p1.csv": b"a,b\n1,x\n", "p2.csv": b"a,b\n2,y\n"}
    joined = b"a,b\n1,x\n2,y\n"  # the later part's repeated header is not part of the table
    d = package(
        tmp_path,
        [
            {
                "name": "gz",
                "path": "t.csv.gz",
                "schema": INT_B,
                "bytes": len(packed) + 1,
                "hash": hashlib.md5(packed).hexdigest(),
            },
            {
                "name": "gzhash",
                "path": "t.csv.gz",
                "schema": INT_B,
                "hash": "sha256:" + hashlib.sha256(CSV).hexdigest(),
            },
            {
                "name": "multi",
                "path": list(parts),
                "schema": INT_B,
                "bytes": len(joined),
                "hash": "sha256:" + "0" * 64,
            },
            {
                "name": "multiok",
                "path": list(parts),
                "schema": INT_B,
                "hash": hashlib.md5(joined).hexdigest(),
            },
        ],
        {"t.csv.gz": packed, **parts},
    )
    found = {f for f in same(d) if f[3] != "type-error"}
    assert found == {
        ("gz", None, None, "byte-count"),
        ("gzhash", None, None, "hash-count"),
        ("multi", None, None, "hash-count"),
    }


def test_python_reader_takes_a_bom_and_other_encodings(tmp_path: Path) -> None:
    dialect = {"commentChar": "#"}
    d = package(
        tmp_path,
        [
            {"name": "bom", "path": "b.csv", "dialect": dialect, "schema": INT_B},
            {
                "name": "gbk",
                "path": "g.csv",
                "encoding": "gbk",
                "dialect": dialect,
                "schema": INT_B,
            },
        ],
        {
            "b.csv": "\ufeffa,b\n# x\n1,x\nz,y\n".encode(),
            "g.csv": "a,b\n1,脱贫\n脱,y\n".encode("gbk"),
        },
    )
    assert same(d) == {("bom", 4, "a", "type-error"), ("gbk", 3, "a", "type-error")}


def test_no_header_rows_wider_than_the_schema_have_extra_cells(tmp_path: Path) -> None:
    resources = [
        {"name": "fast", "path": "t.csv", "dialect": {"header": False}, "schema": INT_B},
        {
            "name": "python",
            "path": "t.csv",
            "dialect": {"header": False, "commentChar": "#"},
            "schema": INT_B,
        },
    ]
    d = package(tmp_path, resources, {"t.csv": b"1,x,3\nz,y,4\n"})
    found = same(d)
    assert {(r, row, c) for r, row, _f, c in found if c == "extra-cell"} == {
        (r, row, "extra-cell") for r in ("fast", "python") for row in (1, 2)
    }


RAGGED: list[tuple[str, dict[str, Any]]] = [
    ("python-reader", {"name": "t", "path": "t.csv", "dialect": {"commentChar": "#"}}),
    ("header-false", {"name": "t", "path": "t.csv", "dialect": {"header": False}}),
    ("inline", {"name": "t", "data": [["a", "b"], [1, "x"], [], [None, None], [2, "y", 3], [4]]}),
]


@pytest.mark.parametrize(("name", "resource"), RAGGED, ids=[r[0] for r in RAGGED])
def test_blank_short_and_long_rows_in_every_reader(
    tmp_path: Path, name: str, resource: dict[str, Any]
) -> None:
    data = b"a,b\n1,x\n\n,\n2,y,3\n4\n" if name != "header-false" else b"1,x\n\n,\n2,y,3\n4\n"
    d = package(tmp_path, [{**resource, "schema": INT_B}], {"t.csv": data})
    found = {code for _r, _row, _f, code in same(d)}
    assert found == {"blank-row", "extra-cell", "missing-cell"}


def test_the_sniffer_does_not_hang_on_a_hostile_first_lines() -> None:
    """Python's sniffer is quadratic on `,"` repeated; it sees a bounded sample (minutes otherwise)."""
    import time

    from opendata.io.dialect import resolve

    started = time.monotonic()
    dialect = resolve({}, "csv", "a;b\n1;2\n" + ',"' * 200_000 + "\n")
    assert time.monotonic() - started < 20
    assert dialect.delimiter == ";"


def test_inline_json_object_with_declared_integrity_is_not_measured(tmp_path: Path) -> None:
    """No file to measure (frictionless stumbles here: a `scheme-error`, or a byte count of nothing)."""
    d = package(tmp_path, [{"name": "t", "data": {"k": 1}, "hash": "x", "bytes": 3}], {})
    assert ours(d) == set()


def test_inline_findings_name_their_row_in_the_text_report(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from opendata.cli import main

    schema = {"fields": [{"name": "a", "type": "integer"}]}
    path = package(tmp_path, [{"name": "t", "data": [["a"], [1], ["z"]], "schema": schema}], {})
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "error row 3 [a] type-error" in result.output


def test_a_header_narrower_than_the_data_stays_the_header(tmp_path: Path) -> None:
    # frictionless guesses the header by row width and takes row 2 here (docs/compatibility.md);
    # the spec's header is the first row, so its narrowness is reported as extra cells.
    from frictionless import validate

    schema = {"fields": [{"name": "date", "type": "string"}, {"name": "mean", "type": "number"}]}
    rows = "".join(f"2020-0{i},{i},{i},{i},{i},{i}\n" for i in range(1, 4))
    path = package(
        tmp_path,
        [{"name": "t", "path": "t.csv", "schema": schema}],
        {"t.csv": b"date,mean\n" + rows.encode()},
    )
    ours = {(i.row, i.code) for i in validate_package(path).issues}
    assert ours == {(row, "extra-cell") for row in (2, 3, 4)}
    theirs = {
        (e.type, getattr(e, "row_number", None))
        for t in validate(str(path)).tasks
        for e in t.errors
    }
    assert ("extra-label", None) in theirs  # frictionless read row 2 as the header
