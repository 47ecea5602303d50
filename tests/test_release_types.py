"""Builds never invent: every Table Schema type has one Parquet type, and a build ignores the clock.

A package holding every type (a partial date under `format: any` among them, as in a monthly
temperature series) is built, read back by `load_release` and by DuckDB, and built again under
two faked system clocks (time-machine, in a child process): the zips are the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from opendata.release.build import build
from opendata.release.get import load_release

# (field, cell, Parquet type, the value read back): the table in docs/releases.md.
COLUMNS: list[tuple[dict[str, Any], str, str, Any]] = [
    ({"type": "string"}, "脱贫", "string", "脱贫"),
    ({"type": "string", "format": "email"}, "a@b.org", "string", "a@b.org"),
    ({"type": "integer"}, "+42", "int64", 42),
    ({"type": "integer", "bareNumber": False}, "42 people", "int64", 42),
    ({"type": "number"}, "1.5", "double", 1.5),
    ({"type": "number", "decimalChar": ",", "groupChar": "."}, "1.234,5", "double", 1234.5),
    ({"type": "boolean", "trueValues": ["yes"], "falseValues": ["no"]}, "yes", "bool", True),
    ({"type": "date"}, "2020-02-29", "date32[day]", date(2020, 2, 29)),
    ({"type": "date", "format": "%d/%m/%Y"}, "29/02/2020", "date32[day]", date(2020, 2, 29)),
    ({"type": "date", "format": "any"}, "1850-01", "string", "1850-01"),
    ({"type": "datetime"}, "2020-01-01T10:00:00+02:00", "timestamp[us]", datetime(2020, 1, 1, 8)),
    ({"type": "datetime", "format": "any"}, "10:00", "string", "10:00"),
    ({"type": "time"}, "10:30:00", "time64[us]", time(10, 30)),
    ({"type": "time"}, "10:30:00+02:00", "time64[us]", time(8, 30)),
    ({"type": "time", "format": "any"}, "10pm", "time64[us]", time(22, 0)),
    ({"type": "year"}, "1850", "int64", 1850),
    ({"type": "yearmonth"}, "1850-1", "string", "1850-1"),
    ({"type": "duration"}, "P1Y2M", "string", "P1Y2M"),
    ({"type": "geopoint"}, "151.266, -27.19", "string", "151.266, -27.19"),
    ({"type": "geopoint", "format": "array"}, "[151.266, -27.19]", "string", "[151.266, -27.19]"),
    ({"type": "geojson"}, '{"type": "Point", "coordinates": [1, 2]}', "string", None),
    ({"type": "object"}, '{"a": 1}', "string", '{"a": 1}'),
    ({"type": "array"}, "[1, 2]", "string", "[1, 2]"),
    ({"type": "list", "itemType": "integer"}, "1;2", "string", "1;2"),
    ({"type": "any"}, "x", "string", "x"),
]
V2_SCHEMA = "https://datapackage.org/profiles/2.0/tableschema.json"


def _package(root: Path) -> Path:
    """A v2 package of one table: a column per entry of COLUMNS, two rows (the second empty)."""
    fields = [{"name": f"c{i}", **field} for i, (field, *_rest) in enumerate(COLUMNS)]
    fields[-2]["delimiter"] = ";"
    fields.append({"name": "n", "type": "integer"})  # so that the row of missing cells is not blank
    cells = [cell for _field, cell, *_rest in COLUMNS] + ["1"]
    text = "\n".join(
        [
            ",".join(f["name"] for f in fields),
            ",".join(_quoted(c) for c in cells),
            "," * (len(cells) - 1) + "2",
        ]
    )
    root.mkdir(parents=True, exist_ok=True)
    (root / "every.csv").write_text(text + "\n", encoding="utf-8")
    descriptor = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "every-type",
        "version": "1.0.0",
        "resources": [
            {
                "name": "every",
                "path": "every.csv",
                "schema": {"$schema": V2_SCHEMA, "fields": fields},
            }
        ],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"') else cell


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return build(_package(tmp_path / "pkg"), tmp_path / "dist")


def test_every_type_has_its_parquet_type(built: Path) -> None:
    import pyarrow.parquet as pq

    schema = pq.read_schema(built / "parquet" / "every.parquet")
    expected = [parquet for _f, _c, parquet, _v in COLUMNS]
    assert [str(t) for t in schema.types] == [*expected, "int64"]


def test_every_type_round_trips_through_load_release(built: Path) -> None:
    frame = load_release(built)["every"]
    for i, (_field, cell, _parquet, value) in enumerate(COLUMNS):
        read = frame[f"c{i}"].iloc[0]
        expected = cell if value is None else value
        if isinstance(expected, date | datetime) and not isinstance(expected, datetime):
            read = read.date()
        elif isinstance(expected, datetime):
            read = read.to_pydatetime()
        assert read == expected, (i, read, expected)
    assert frame.iloc[1].drop("n").isna().all()


def test_every_type_round_trips_through_duckdb(built: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    parquet = str(built / "parquet" / "every.parquet")
    with duckdb.connect() as con:
        rows = con.execute("SELECT * FROM read_parquet(?) ", [parquet]).fetchall()
        kinds = [
            row[1]
            for row in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [parquet]).fetchall()
        ]
    assert rows[1] == (None,) * len(COLUMNS) + (2,)
    for i, (_field, cell, _parquet, value) in enumerate(COLUMNS):
        assert rows[0][i] == (cell if value is None else value), (i, rows[0][i])
    assert kinds[7:10] == ["DATE", "DATE", "VARCHAR"]
    assert kinds[10] == "TIMESTAMP" and kinds[12:15] == ["TIME"] * 3


CLOCKED_BUILD = """
import datetime, sys
import time_machine
day = datetime.datetime(2026, 12, int(sys.argv[3]), 12, tzinfo=datetime.timezone.utc)
with time_machine.travel(day, tick=False):
    assert datetime.date.today().day == int(sys.argv[3])
    from opendata.release.build import build
    build(sys.argv[1], sys.argv[2])
"""


def test_build_is_the_same_under_two_clocks(tmp_path: Path) -> None:
    pytest.importorskip("time_machine")
    package = _package(tmp_path / "pkg")
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    digests = []
    for day in ("2", "15"):
        out = tmp_path / f"dist-{day}"
        subprocess.run(
            [sys.executable, "-c", CLOCKED_BUILD, str(package), str(out), day],
            check=True,
            env=env,
            capture_output=True,
        )
        digests.append(hashlib.sha256((out / "every-type-1.0.0.zip").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


def test_an_integer_beyond_64_bits_is_refused_not_written_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # frictionless finds the package valid; a Parquet int64 column cannot hold the value.
    from opendata.errors import Refused

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "t.csv").write_text("n\n1\n123456789012345678901234567890\n", encoding="utf-8")
    schema = {"fields": [{"name": "n", "type": "integer"}]}
    descriptor = {
        "name": "wide",
        "version": "1.0.0",
        "resources": [{"name": "t", "path": "t.csv", "schema": schema}],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(Refused, match="row 3 of field 'n' holds 123456789012345678901234567890"):
        build(root, tmp_path / "dist")
    assert not (tmp_path / "dist" / "wide-1.0.0").exists()
