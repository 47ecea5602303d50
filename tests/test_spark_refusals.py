"""The Spark engine refuses, before starting a session, what it would misread (no pyspark needed)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from opendata.errors import CouldNotRun
from opendata.package import load_package
from opendata.spark.engine import refuse_unreadable
from tests.conftest import REPO

SCHEMA = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "string"}]}


def _package(root: Path, resource: dict[str, Any], files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (root / name).write_bytes(data)
    descriptor = {"name": "p", "resources": [{"name": "t", **resource}]}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root / "datapackage.json"


CASES = [
    ("multipart", {"path": ["a.csv", "b.csv"], "schema": SCHEMA}, "multipart"),
    ("gz", {"path": "t.csv.gz", "schema": SCHEMA}, "compressed"),
    ("inline", {"data": [["a", "b"], [1, "x"]], "schema": SCHEMA}, "inline data"),
    ("file", {"path": "t.geojson"}, "not a table"),
    ("no schema", {"path": "t.csv"}, "no Table Schema"),
    (
        "comments",
        {"path": "t.csv", "schema": SCHEMA, "dialect": {"commentChar": "#"}},
        "commentChar",
    ),
    ("sniffed", {"path": "s.csv", "schema": SCHEMA}, "';'"),
    ("tsv", {"path": "t.tsv", "schema": SCHEMA}, "'\\t'"),
]
FILES = {
    "a.csv": b"a,b\n1,x\n",
    "b.csv": b"2,y\n",
    "t.csv": b"a,b\n1,x\n",
    "t.csv.gz": gzip.compress(b"a,b\n1,x\n", mtime=0),
    "t.geojson": b'{"type": "FeatureCollection", "features": []}',
    "s.csv": b"a;b\n1;x\n2;y\n3;z\n",
    "t.tsv": b"a\tb\n1\tx\n",
}


@pytest.mark.parametrize(("resource", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_what_spark_would_misread_is_refused(
    tmp_path: Path, resource: dict[str, Any], words: str
) -> None:
    with pytest.raises(CouldNotRun) as caught:
        refuse_unreadable(load_package(_package(tmp_path, resource, FILES)))
    assert words in caught.value.one_line
    assert "--engine local" in caught.value.one_line


def test_plain_csv_declared_dialects_and_the_bundled_package_are_read(tmp_path: Path) -> None:
    refuse_unreadable(load_package(_package(tmp_path, {"path": "t.csv", "schema": SCHEMA}, FILES)))
    declared = {"path": "s.csv", "schema": SCHEMA, "dialect": {"delimiter": ";"}}
    (tmp_path / "d").mkdir()
    refuse_unreadable(load_package(_package(tmp_path / "d", declared, FILES)))
    refuse_unreadable(load_package(REPO))
