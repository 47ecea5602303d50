"""The Spark engine gives the local engine's findings: (code, resource, field, rule, row) equal, package by package.

These tests need pyspark and Java (`pip install '.[spark]'`, see docs/engines.md). Without
pyspark they are skipped; `.ci/run` runs them in a venv with the `spark` extra and sets
OPENDATA_SPARK_REQUIRED=1, which turns a skip into a failure.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, write_package

pytestmark = pytest.mark.spark

if os.environ.get("OPENDATA_SPARK_REQUIRED") == "1":
    import pyspark  # noqa: F401  (required: fail, do not skip)
else:
    pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from opendata.spark.session import session

    s = session("local[2]")
    yield s
    s.stop()


def key(issue: Any) -> tuple[Any, ...]:
    return (issue.code, issue.resource, issue.field, issue.rule, issue.row)


def assert_same_findings(descriptor: Path, spark: Any) -> Any:
    """Validate with both engines; their findings, row counts and notes must be equal."""
    from opendata.spark.engine import validate_package_spark
    from opendata.validate import validate_package

    local = validate_package(descriptor)
    remote = validate_package_spark(descriptor, spark=spark)
    mine, theirs = Counter(map(key, local.issues)), Counter(map(key, remote.issues))
    assert theirs == mine, (
        f"only local: {sorted(mine - theirs, key=str)}\nonly spark: {sorted(theirs - mine, key=str)}"
    )
    stats = [(r.name, r.rows, r.checks_run, r.checks_skipped) for r in local.resources]
    assert [(r.name, r.rows, r.checks_run, r.checks_skipped) for r in remote.resources] == stats
    assert sorted(remote.notes) == sorted(local.notes)
    return remote


# --- the packages -------------------------------------------------------------------------

REGIONS = (
    "code,name\n11,Beijing\n12,Tianjin\n13,Hebei\n",
    {
        "fields": [
            {"name": "code", "type": "string", "constraints": {"pattern": "[0-9]{2}"}},
            {"name": "name", "type": "string", "constraints": {"required": True}},
        ],
        "primaryKey": ["code"],
    },
)
CITIES_SCHEMA = {
    "$schema": "https://datapackage.org/profiles/2.0/tableschema.json",
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "region", "type": "string"},
        {
            "name": "name",
            "type": "string",
            "constraints": {"required": True, "minLength": 2, "maxLength": 10},
        },
        {
            "name": "population",
            "type": "integer",
            "constraints": {"minimum": 0, "maximum": 1000000},
        },
        {
            "name": "share",
            "type": "number",
            "constraints": {"exclusiveMinimum": 0, "exclusiveMaximum": 100},
        },
        {"name": "capital", "type": "boolean"},
        {"name": "founded", "type": "date", "constraints": {"minimum": "1900-01-01"}},
        {"name": "year", "type": "year"},
        {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{3}", "unique": True}},
        {"name": "kind", "type": "string", "constraints": {"enum": ["city", "town"]}},
    ],
    "primaryKey": ["id"],
    "foreignKeys": [{"fields": "region", "reference": {"resource": "regions", "fields": "code"}}],
}
CITIES = (
    "id,region,name,population,share,capital,founded,year,code,kind\n"
    "1,11,Alpha,100,5.5,true,2020-01-01,2020,ABC,city\n"
    "2,12,Beta,abc,5.5,true,2020-01-01,2020,ABD,town\n"
    "3,12,Gamma,100,x,maybe,2020-02-30,20,ABE,city\n"
    "4,99,Delta,100,5.5,true,2020-01-01,2020,ABF,city\n"
    "5,11,,100,5.5,true,2020-01-01,2020,ABG,city\n"
    "6,11,E,-1,0,true,1800-01-01,2020,ABH,village\n"
    "7,11,Zetazetazeta,2000000,100,true,2020-01-01,2020,abc,city\n"
    "8,11,Eta,100,5.5,true,2020-01-01,2020,ABC,city\n"
    "8,11,Theta,100,5.5,true,2020-01-01,2020,ABI,city\n"
    ",,,,,,,,,\n"
    "9,11,Iota\n"
    "10,11,Kappa,100,5.5,true,2020-01-01,2020,ABJ,city,extra,cells\n"
    "12,11,Mu,+100,1e2,TRUE,2020-01-01,2020,ABK,town\n"
    "0x1F,13,Nu,7,1.5,0,2021-12-31,1999,ABL,city\n"
    "\n"
    "14,11,Xi,100,5.5,false,2020-01-01,2020,ABM,city\n"
)
NOTES = (
    'id,text\n1,"two\nlines"\n2,ok\nx,"three\nline\ncell"\n3,\n4,"a ""quoted"" word"\n',
    {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "text", "type": "string", "constraints": {"required": True}},
        ]
    },
)
EVENTS = (
    "id,at,t,ym,meta\n"
    "1,2020-01-01T10:00:00Z,10:00:00,2020-01,{}\n"
    "2,yesterday,25:00,2020-13,[1]\n"
    '3,2020-01-01 10:00:00,10:00,2020-1,{"a": 1}\n',
    {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "at", "type": "datetime"},
            {"name": "t", "type": "time"},
            {"name": "ym", "type": "yearmonth"},
            {"name": "meta", "type": "object"},
        ]
    },
)
HEADERS = (
    "id,nam,extra\n1,a,b\n",
    {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]},
)
LABELS = (
    "id,,id\n1,a,b\n",
    {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "name", "type": "string"},
            {"name": "code", "type": "string"},
        ]
    },
)
SHORT_HEADER = (
    "id\n1\n",
    {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]},
)


def structural_package(root: Path) -> Path:
    """A package with every kind of structural error the local engine reports."""
    descriptor = write_package(
        root,
        {
            "regions": REGIONS,
            "cities": (CITIES, CITIES_SCHEMA),
            "notes": NOTES,
            "events": EVENTS,
            "headers": HEADERS,
            "short_header": SHORT_HEADER,
            "latin": ("id\n1\n", {"fields": [{"name": "id", "type": "integer"}]}),
            "labels": LABELS,
            "empty": ("", {"fields": [{"name": "id", "type": "integer"}]}),
            "blank": ("\n\n\n", {"fields": [{"name": "id", "type": "integer"}]}),
            "sheet": ("", {"fields": [{"name": "id", "type": "integer"}]}),
        },
        # exclusiveMinimum/Maximum are Data Package v2: the package must say so (frictionless 5.21)
        extra={"$schema": "https://datapackage.org/profiles/2.0/datapackage.json"},
    )
    (root / "data" / "latin.csv").write_bytes(b"id\n1\n2\n\xff\xfe\n")
    (root / "data" / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    data["resources"][0]["bytes"] = 1
    data["resources"][0]["hash"] = "md5:0"
    sheet = next(r for r in data["resources"] if r["name"] == "sheet")
    sheet["path"], sheet["format"] = "data/sheet.xlsx", "xlsx"
    descriptor.write_text(json.dumps(data), encoding="utf-8")
    return descriptor


BATCHES = (
    "year,exited,cumulative,remaining,label,pct\n"
    "2016,28,28,804,a,100\n"
    "2017,125,153,679,b,81.7\n"
    "2018,283,436,700,c,64.9\n"
    "2019,344,780,52,d,44.1\n"
    "2020,52,833,0,e,6.2\n",
    {
        "fields": [
            {"name": "year", "type": "integer"},
            {"name": "exited", "type": "integer"},
            {"name": "cumulative", "type": "integer"},
            {"name": "remaining", "type": "integer"},
            {"name": "label", "type": "string"},
            {"name": "pct", "type": "number"},
        ],
        "primaryKey": ["year"],
    },
)
COUNTIES = (
    "id,province,province_name,batch_year\n"
    "1,11,Beijing,2016\n2,11,Beijing,2017\n3,12,Tianjin,2017\n4,12,Tianjin Shi,2018\n"
    "5,13,Hebei,2019\n6,13,Hebei,\n",
    {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "province", "type": "string"},
            {"name": "province_name", "type": "string"},
            {"name": "batch_year", "type": "integer"},
        ],
        "primaryKey": ["id"],
    },
)
PROVINCE_BATCHES = (
    "year,province,n\n2016,11,20\n2016,12,8\n2017,11,100\n2017,12,20\n2018,13,283\n",
    {
        "fields": [
            {"name": "year", "type": "integer"},
            {"name": "province", "type": "string"},
            {"name": "n", "type": "integer"},
        ]
    },
)
SEMANTIC_CHECKS = [
    {"id": "rows", "type": "row-count", "message": "Five batches and one more.", "equals": 6},
    {
        "id": "rows-where",
        "type": "row-count",
        "message": "Batches after 2017.",
        "where": "year > 2017",
        "min": 4,
    },
    {
        "id": "sum",
        "type": "column-sum",
        "message": "Exits add up.",
        "column": "exited",
        "equals": 830,
    },
    {
        "id": "sum-ref",
        "type": "column-sum",
        "message": "Exits match the counties.",
        "column": "exited",
        "equals": {"resource": "counties", "column": "id", "aggregate": "count"},
    },
    {
        "id": "distinct",
        "type": "distinct-count",
        "message": "Four labels.",
        "column": "label",
        "equals": 4,
    },
    {
        "id": "row-sum",
        "type": "row-sum",
        "message": "Cumulative and remaining make 832.",
        "columns": ["cumulative", "remaining"],
        "equals": 832,
    },
    {
        "id": "monotonic",
        "type": "monotonic",
        "message": "Remaining falls.",
        "column": "remaining",
        "by": "year",
        "direction": "decreasing",
    },
    {
        "id": "running",
        "type": "running-total",
        "message": "Cumulative is the running total.",
        "column": "exited",
        "total": "cumulative",
        "by": "year",
    },
    {
        "id": "difference",
        "type": "difference",
        "message": "Remaining falls by the exits.",
        "column": "remaining",
        "by": "year",
        "equals": "exited",
    },
    {
        "id": "ratio",
        "type": "ratio",
        "message": "pct is remaining over 804.",
        "numerator": "remaining",
        "denominator": 804,
        "scale": 100,
        "round": 1,
        "equals": "pct",
    },
    {
        "id": "values-subset",
        "type": "values",
        "message": "Labels a to d.",
        "column": "label",
        "subset-of": ["a", "b", "c", "d"],
    },
    {
        "id": "values-equals",
        "type": "values",
        "message": "Late labels.",
        "column": "label",
        "where": "year >= 2019",
        "equals": ["d"],
    },
    {
        "id": "expression",
        "type": "expression",
        "message": "Few exits while many remain.",
        "where": "year >= 2017",
        "expression": "remaining >= 0 and (exited < 300 or isnull(label))",
    },
    {
        "id": "expression-functions",
        "type": "expression",
        "message": "Labels are one letter.",
        "expression": "len(label) == 1 and startswith(str(year), '201') and abs(round(pct, 0) - pct) < 1",
    },
    {
        "id": "unknown-column",
        "type": "expression",
        "message": "Refers to a column that is not there.",
        "expression": "nothing > 0",
    },
]
COUNTIES_CHECKS = [
    {
        "id": "group-count",
        "type": "group-count",
        "message": "Counties per batch.",
        "by": "batch_year",
        "against": {"resource": "batches", "key": "year", "column": "exited"},
    },
    {
        "id": "consistent",
        "type": "consistent",
        "message": "One name per province.",
        "key": ["province"],
        "column": "province_name",
    },
]
PROVINCE_BATCHES_CHECKS = [
    {
        "id": "group-sum",
        "type": "group-sum",
        "message": "Per-province exits add up to the batch.",
        "by": "year",
        "sum": "n",
        "against": {"resource": "batches", "key": "year", "column": "exited"},
    },
]


def semantic_package(root: Path) -> Path:
    """A package breaking every type of declared check (and one malformed check)."""
    return write_package(
        root,
        {"batches": BATCHES, "counties": COUNTIES, "province_batches": PROVINCE_BATCHES},
        checks={
            "batches": SEMANTIC_CHECKS,
            "counties": COUNTIES_CHECKS,
            "province_batches": PROVINCE_BATCHES_CHECKS,
        },
    )


# --- the equality suite -------------------------------------------------------------------


def test_bundled_package_same_findings(spark: Any) -> None:
    assert_same_findings(REPO / "datapackage.json", spark)


def test_every_structural_error_same_findings(tmp_path: Path, spark: Any) -> None:
    report = assert_same_findings(structural_package(tmp_path), spark)
    codes = {i.code for i in report.issues}
    assert codes >= {
        "byte-count",
        "hash-count",
        "encoding-error",
        "incorrect-label",
        "blank-label",
        "duplicate-label",
        "blank-header",
        "source-error",
        "format-error",
        "extra-label",
        "missing-label",
        "blank-row",
        "missing-cell",
        "extra-cell",
        "type-error",
        "constraint-error",
        "unique-error",
        "primary-key",
        "foreign-key",
    }
    rules = {i.rule for i in report.issues if i.code == "constraint-error"}
    assert rules == {
        f"constraint:{c}"
        for c in (
            "required",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "minLength",
            "maxLength",
            "pattern",
            "enum",
        )
    }


def test_quoted_line_breaks_keep_rows_and_lines(tmp_path: Path, spark: Any) -> None:
    report = assert_same_findings(structural_package(tmp_path), spark)
    found = [(i.code, i.row, i.line) for i in report.sorted_issues() if i.resource == "notes"]
    assert found == [("type-error", 4, 5), ("constraint-error", 5, 8)]


def test_every_declared_check_type_same_findings(tmp_path: Path, spark: Any) -> None:
    from opendata.semantic.declarations import TYPES

    report = assert_same_findings(semantic_package(tmp_path), spark)
    failed = {i.rule for i in report.issues}
    declared = SEMANTIC_CHECKS + COUNTIES_CHECKS + PROVINCE_BATCHES_CHECKS
    assert failed == {c["id"] for c in declared}
    assert {c["type"] for c in declared} == set(TYPES)
    assert [i.code for i in report.issues if i.rule == "unknown-column"] == ["check-error"]


def test_parquet_gives_the_csv_findings(tmp_path: Path, spark: Any) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from opendata.spark.engine import validate_package_spark

    schema = {
        "fields": [
            {"name": "id", "type": "integer", "constraints": {"minimum": 1}},
            {"name": "when", "type": "date"},
            {"name": "name", "type": "string", "constraints": {"enum": ["a", "b"]}},
        ],
        "primaryKey": ["id"],
    }
    csv_text = "id,when,name\n1,2020-01-01,a\n0,2020-01-02,b\n2,not a date,c\n2,2020-01-04,a\n"
    descriptor = write_package(tmp_path, {"t": (csv_text, schema)})
    table = pa.table(
        {
            "id": pa.array([1, 0, 2, 2], pa.int32()),
            "when": ["2020-01-01", "2020-01-02", "not a date", "2020-01-04"],
            "name": ["a", "b", "c", "a"],
        }
    )
    pq.write_table(table, tmp_path / "data" / "t.parquet")
    from_csv = validate_package_spark(descriptor, spark=spark)
    data = json.loads(descriptor.read_text(encoding="utf-8"))
    data["resources"][0]["path"] = "data/t.parquet"
    descriptor.write_text(json.dumps(data), encoding="utf-8")
    from_parquet = validate_package_spark(descriptor, spark=spark)
    assert sorted(map(key, from_parquet.issues)) == sorted(map(key, from_csv.issues))
    assert {i.code for i in from_csv.issues} == {"type-error", "constraint-error", "primary-key"}


def test_without_java_exit_2_with_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from click.testing import CliRunner

    import opendata.spark.session as session_module
    from opendata.cli import main

    monkeypatch.setattr(session_module.shutil, "which", lambda _name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    descriptor = semantic_package(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(descriptor), "--engine", "spark"])
    assert result.exit_code == 2
    assert "openjdk-17-jre-headless" in result.output


# --- across processes: a standalone master and one worker on 127.0.0.1 ------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[str]:
    """A standalone Spark master and one worker (1 core, 1 GiB) on 127.0.0.1; its URL."""
    import pyspark

    home = Path(pyspark.__file__).parent
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.executor.memory 512m\nspark.cores.max 1\n")
    env = dict(
        os.environ, SPARK_HOME=str(home), SPARK_LOCAL_IP="127.0.0.1", SPARK_CONF_DIR=str(conf)
    )
    env["SPARK_LOG_DIR"] = str(tmp_path / "logs")
    env["SPARK_WORKER_DIR"] = str(tmp_path / "work")
    port, ui, worker_ui = _free_port(), _free_port(), _free_port()
    spark_class = str(home / "bin" / "spark-class")
    master = subprocess.Popen(
        [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
         "--port", str(port), "--webui-port", str(ui)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"spark://127.0.0.1:{port}"
    worker = None
    try:
        _wait_for(port, time.monotonic() + 120)
        worker = subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
             "--cores", "1", "--memory", "1g", "--webui-port", str(worker_ui)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(worker_ui, time.monotonic() + 120)
        yield url
    finally:
        for process in (worker, master):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def test_standalone_cluster_same_findings(tmp_path: Path, standalone: str) -> None:
    from opendata.validate import validate_package

    descriptor = semantic_package(tmp_path / "package")
    env = dict(os.environ, SPARK_CONF_DIR=str(tmp_path / "conf"), SPARK_LOCAL_IP="127.0.0.1")
    run = subprocess.run(
        [sys.executable, "-m", "opendata", "validate", str(descriptor), "--engine", "spark",
         "--spark-master", standalone, "--format", "json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr[-2000:]
    remote = json.loads(run.stdout)["issues"]
    local = validate_package(descriptor)
    got = Counter((i["code"], i["resource"], i["field"], i["rule"], i["row"]) for i in remote)
    assert got == Counter(map(key, local.issues))


def test_a_failed_spark_job_is_could_not_run(tmp_path: Path, spark: Any) -> None:
    from opendata.errors import CouldNotRun
    from opendata.spark.engine import validate_package_spark

    schema = {"fields": [{"name": "code", "type": "string", "constraints": {"pattern": "(?a)x"}}]}
    descriptor = write_package(tmp_path, {"t": ("code\nx\ny\n", schema)})
    with pytest.raises(CouldNotRun, match="a Spark job failed"):
        validate_package_spark(descriptor, spark=spark)
