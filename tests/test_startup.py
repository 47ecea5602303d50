"""A fast start: without declared checks the command imports neither pandas nor pandera (issue 15)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from opendata.io.arrays import from_numpy, to_numpy
from opendata.report import Issue, Report
from opendata.validate import validate_package
from tests.conftest import REPO

# The shapes of two datahub.io core datasets, small: gdp (country names with commas, ISO codes,
# years, amounts) and co2-ppm (monthly dates, decimals, a missing value, -99.99 for none).
GDP_SCHEMA = {
    "fields": [
        {"name": "Country Name", "type": "string"},
        {"name": "Country Code", "type": "string", "constraints": {"pattern": "[A-Z]{3}"}},
        {"name": "Year", "type": "year"},
        {"name": "Value", "type": "number", "constraints": {"minimum": 0}},
    ],
    "primaryKey": ["Country Code", "Year"],
}
GDP_CSV = (
    "Country Name,Country Code,Year,Value\n"
    "Aruba,ABW,1986,405586592.178771\nAruba,ABW,1987,487709497.206704\n"
    '"Korea, Rep.",KOR,1960,3958190758.21283\nZimbabwe,ZWE,2016,16619960000\n'
)
CO2_SCHEMA = {
    "fields": [
        {"name": "Date", "type": "date"},
        {"name": "Decimal Date", "type": "number"},
        {"name": "Average", "type": "number"},
        {"name": "Interpolated", "type": "number"},
        {"name": "Trend", "type": "number"},
        {"name": "Number of Days", "type": "integer", "constraints": {"required": False}},
        {"name": "Complete", "type": "boolean"},
    ]
}
CO2_CSV = (
    "Date,Decimal Date,Average,Interpolated,Trend,Number of Days,Complete\n"
    "1958-03-01,1958.208,315.71,315.71,314.62,-1,true\n"
    "1958-04-01,1958.292,317.45,317.45,315.29,,false\n"
    "1958-06-01,1958.458,-99.99,317.10,314.85,-1,true\n"
)
# Every other kind of cell and rule, with one error of each kind: the error paths too.
KINDS_SCHEMA = {
    "fields": [
        {"name": "code", "type": "string", "constraints": {"unique": True, "minLength": 3}},
        {"name": "region", "type": "string", "constraints": {"enum": ["north", "south"]}},
        {"name": "count", "type": "integer", "bareNumber": False, "constraints": {"maximum": 99}},
        {"name": "amount", "type": "number", "groupChar": ","},
        {"name": "when", "type": "datetime"},
        {"name": "at", "type": "time"},
        {"name": "month", "type": "yearmonth"},
        {"name": "where", "type": "geopoint"},
        {"name": "extra", "type": "object"},
        {"name": "took", "type": "duration"},
        {"name": "parent", "type": "string"},
    ],
    "primaryKey": ["code"],
    "foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["code"]}}],
    "missingValues": ["", "NA"],
}
KINDS_CSV = (
    "code,region,count,amount,when,at,month,where,extra,took,parent\n"
    'AAA,north,1%,"1,000.5",2020-01-02T03:04:05Z,10:00:00,2020-01,"45.1,7.2",{},P1D,AAA\n'
    'BBB,south,200,NA,2020-01-02T03:04:05Z,10:00:00,2020-13,"45.1,7.2",{},P1D,ZZZ\n'
    'BBB,east,x,2.5,yesterday,25:00:00,2020-02,"north",[],1 day,AAA\n'
    "\n"
    'CC,north,3,4,2020-01-02T03:04:05Z,10:00:00,2020-01,"1,2",{},P1D,AAA,surplus\n'
)
ROW_COUNT = [{"id": "some-rows", "type": "row-count", "message": "rows", "min": 1}]


def _imported(package: Path) -> tuple[int, set[str]]:
    """Exit code and the packages `opendata validate` imported, from `-X importtime`.

    A package counts once one of its modules is imported: the one failed attempt to import
    `pandas` (pyarrow's first look, see `opendata.startup.defer_pandas`) is logged as well.
    """
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "opendata", "validate", str(package)],
        capture_output=True,
        text=True,
        env=env,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    modules = [line.rsplit("|", 1)[1].strip() for line in lines]
    names = {m.split(".")[0] for m in modules if "." in m}
    return done.returncode, names


def test_no_checks_no_pandas(make_package: Callable[..., Path]) -> None:
    """Types, constraints, a composite primary key and a bad cell: all read without pandas."""
    bad = CO2_CSV.replace("317.45,317.45", "317.45,n/a")
    path = make_package({"gdp": (GDP_CSV, GDP_SCHEMA), "co2-mm-mlo": (bad, CO2_SCHEMA)})
    code, names = _imported(path)
    assert code == 1  # the bad cell is found
    assert "pyarrow" in names  # the tables were read
    assert "pandas" not in names and "pandera" not in names


def test_every_kind_of_finding_without_pandas(make_package: Callable[..., Path]) -> None:
    path = make_package({"kinds": (KINDS_CSV, KINDS_SCHEMA)})
    descriptor = json.loads(path.read_text())
    descriptor["resources"][0]["bytes"] = 1  # a byte count to compare, and a hash
    descriptor["resources"][0]["hash"] = "md5:0"
    path.write_text(json.dumps(descriptor))
    codes = {i.code for i in validate_package(path).issues}
    assert {"type-error", "constraint-error", "primary-key", "foreign-key", "blank-row"} <= codes
    assert {"extra-cell", "byte-count", "hash-count"} <= codes
    code, names = _imported(path)
    assert code == 1
    assert "pandas" not in names and "pandera" not in names


def test_declared_checks_bring_pandas_and_pandera(make_package: Callable[..., Path]) -> None:
    path = make_package({"gdp": (GDP_CSV, GDP_SCHEMA)}, checks={"gdp": ROW_COUNT})
    code, names = _imported(path)
    assert code == 0
    assert {"pandas", "pandera"} <= names


LATER_PANDAS = """
import sys
from opendata.startup import defer_pandas
import pyarrow as pa, pyarrow.compute as pc
assert defer_pandas()
assert pc.sum(pc.equal(pa.array(["a", ""], pa.string()), pa.scalar("", pa.string()))).as_py() == 1
assert "pandas" not in sys.modules
import pandas as pd
assert pa.array(pd.Series([1.5, float("nan")])).null_count == 1  # pandas's NaN is its null
assert pa.types.is_dictionary(pa.array(pd.Series(["a", "b", "a"], dtype="category")).type)
assert pa.array(pd.Series([1, None], dtype="Int64")).null_count == 1
assert pa.array([pd.NaT, None], pa.timestamp("ns"), from_pandas=True).null_count == 2
frame = pd.DataFrame({"when": [pd.Timestamp("2020-01-02"), pd.NaT], "n": [1, None]})
table = pa.table(frame)
assert table.column("when").null_count == 1 and table.column("n").null_count == 1
assert table.to_pandas()["n"].isna().sum() == 1
assert type(pd.__loader__).__name__ == "SourceFileLoader"
print("ok")
"""


def test_pandas_works_after_it_was_deferred() -> None:
    """Deferring pandas changes nothing for the code that imports it later in the process."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run(
        [sys.executable, "-c", LATER_PANDAS], capture_output=True, text=True, env=env
    )
    assert done.stdout.strip() == "ok", done.stderr


def test_deferring_is_skipped_once_pandas_is_loaded() -> None:
    import pandas  # noqa: F401  (loaded, as in this test process)

    from opendata.startup import defer_pandas

    assert defer_pandas() is False


@pytest.mark.parametrize(
    "array",
    [
        pa.array([True, False, True, True], pa.bool_()).slice(1),
        pa.array([], pa.bool_()),
        pa.array([3, 1, 2], pa.int32()).slice(1),
        pa.array([7, 8], pa.uint16()),
        pa.array([], pa.int64()),
        pa.array([1.5, -0.0], pa.float64()),
        pa.array([1.5, None], pa.float32()),
        pa.array([True, None], pa.bool_()),
        pa.array(["a", "b"], pa.string()),
        pa.chunked_array([pa.array([1, 2], pa.int64()), pa.array([3], pa.int64())]),
    ],
)
def test_to_numpy_is_what_pyarrow_gives(array: pa.Array) -> None:
    ours, theirs = to_numpy(array), array.to_numpy(zero_copy_only=False)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    assert ours.flags.writeable == theirs.flags.writeable


NASTY = [
    "plain",
    "[bold]not markup[/bold] and [/]",
    "a trailing backslash \\",
    ":warning: is text, not an emoji",
    "bell\x07 backspace\x08 cr\r vt\x0b ff\x0c esc\x1b[31m kept",
    "two\nlines",
    "wide 脱贫 and 🙂",
]


def _nasty_report() -> Report:
    issues = [
        Issue(
            code="type-error",
            resource="t[1]",
            path="data/t.csv",
            line=i + 2,
            field=f"f{i}\\",
            message=m,
        )
        for i, m in enumerate(NASTY)
    ]
    issues += [
        Issue(
            code="count-mismatch",
            layer="semantic",
            resource="t[1]",
            rule="r:ok:",
            severity="warning",
            message="m",
        )
        for _ in range(3)
    ]
    return Report(descriptor="dp.json", issues=issues, notes=["note [dim]x[/dim] \\"])


def test_text_without_a_terminal_is_what_rich_prints() -> None:
    """The report written without rich equals rich's own output where there is no terminal."""
    from opendata.render.report import _rich_text, _text_lines, render_text  # _rich_text: the seam

    report = _nasty_report()
    for limit in (None, 2):
        ours, richs = io.StringIO(), io.StringIO()
        render_text(report, ours, limit=limit)
        _rich_text(_text_lines(report, limit), richs, None)
        assert ours.getvalue() == richs.getvalue()
    assert "… and 5 more" in ours.getvalue()
    whole = io.StringIO()
    render_text(report, whole, limit=None)
    assert ":warning: is text" in whole.getvalue()
    assert "a trailing backslash \\\n" in whole.getvalue()
    assert "[bold]not markup[/bold] and [/]" in whole.getvalue()


def test_text_output_on_a_pipe_imports_no_rich(make_package: Callable[..., Path]) -> None:
    path = make_package({"gdp": (GDP_CSV, GDP_SCHEMA)})
    code, names = _imported(path)
    assert code == 0
    assert "rich" not in names


@pytest.mark.parametrize(
    "values",
    [
        np.array([True, False, True] * 5),
        np.array([], dtype=bool),
        np.array([3, 1, 2], dtype=np.int64)[::2],
        np.array([7, 8], dtype=np.int32),
        np.array([1.5, -0.0]),
        np.array(["a", "b"]),
    ],
)
def test_from_numpy_is_what_pyarrow_gives(values: np.ndarray) -> None:
    ours, theirs = from_numpy(values), pa.array(values)
    assert ours.type == theirs.type and ours.equals(theirs)
