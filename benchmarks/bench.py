"""Benchmark `opendata validate` against the pyarrow parse floor and `frictionless validate`.

One command::

    python benchmarks/bench.py [--sizes 100000,1000000,5000000] [--frictionless-max 1000000]
                               [--out benchmarks/results.md] [--pin [REV]] [--no-startup]
                               [--cap-mb MB [--cap-rows N] [--cap-chunk-mb MB] [--only-cap]]

For every size it generates (from numpy ``default_rng(42)``, cached in ``benchmarks/.data/``,
git-ignored) a county-year panel package: ``panel.csv`` (code, name, year, population,
incidence, funds, exited, report_date, region; primary key (code, year); foreign key code ->
``counties.csv``, which has its own primary key) plus package checks in the declared-checks
format of docs/checks.md (two column-sums against aggregates of the other table and a
group-count of panel rows by code against counties.panel_rows). Three variants are written:

* ``errors/`` -- 3 errors of every structural kind injected at known rows spread over the file
  (type errors in integer/number/boolean/date, a missing cell, an extra cell, a blank row,
  minimum/maximum/pattern/enum/required violations, a duplicate primary key, a foreign-key miss);
  the expected (row, field, code) triples are stored in ``expected.json``. Implied findings are
  expected too: a malformed code is also a foreign-key miss, a blank row also has an empty
  primary key (frictionless reports both).
* ``streamable/`` -- the same without the missing-cell and extra-cell rows: the reading path
  with errors present but no ragged record (a ragged record is placed again by its text when
  its chunk holds no quote, or its chunk is parsed a second time, serially, when it does).
* ``clean/`` -- no errors: the package checks pass and actually run (on a table with structural
  errors they are skipped).

Then, each in fresh subprocesses (wall time including interpreter start and imports; peak RSS
from GNU ``/usr/bin/time``); the floor and opendata's three runs are taken in turn, 5 times, and
their medians reported; frictionless's median of 3 runs up to 1M rows and 1 run above:

(a) the parse floor: ``pyarrow.csv.read_csv`` with explicit column types, on the *clean* file
    (typed readers stop at the first bad cell, so the floor cannot read the error file); its
    ``table.nbytes`` is the Arrow size used for the memory ratio;
(b) ``opendata validate --format json`` on each of the three variants;
(c) ``frictionless validate --json --limit-errors 0`` on ``errors/``, up to
    ``--frictionless-max`` rows.

Correctness: opendata's findings on ``errors/`` must equal the injected set exactly; on
``streamable/`` read through the API with ``block_size=256 KiB`` (so errors fall in many blocks)
they must equal the injected set minus the ragged rows; frictionless's findings must equal
opendata's and the injected set (compared without the field for row-level codes, which
frictionless reports without one). ``--pin REV`` measures ``src/`` of a commit, exported with
``git archive``, so that edits to the working tree during a long run do not mix versions. The
results table (with ratios, and a start-up comparison on /work/main/datapackage.json) is printed
and written to ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / ".data"
BIN = Path(sys.executable).parent
CHILD_ENV: dict[str, str] | None = None  # set by --pin: PYTHONPATH to an exported src/
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").is_file() else None
SEED = 42
GENERATOR_VERSION = 4
YEARS = list(range(2012, 2021))
REGIONS = ["east", "central", "west"]
PER_KIND = 3  # occurrences of every injected error kind
STREAM_BLOCK = 256 << 10  # block size of the streamed correctness run
FIELDS = [
    "code",
    "name",
    "year",
    "population",
    "incidence",
    "funds",
    "exited",
    "report_date",
    "region",
]

# kind -> (field, code, the bad text written into the cell (cycled per occurrence))
CELL_ERRORS: dict[str, tuple[str, str, list[str]]] = {
    "type-integer": ("population", "type-error", ["12o3", "1.5", "七"]),
    "type-number": ("incidence", "type-error", ["1O.5", "12.5%", "n/a"]),
    "type-boolean": ("exited", "type-error", ["yes", "T", "2"]),
    "type-date": ("report_date", "type-error", ["2020-02-30", "31/12/2019", "2019-13-01"]),
    "minimum": ("population", "constraint-error", ["-17", "-1", "-250000"]),
    "maximum": ("incidence", "constraint-error", ["100.5", "1000", "100.01"]),
    "pattern": ("code", "constraint-error", ["12345", "1234567", "12a456"]),
    "enum": ("region", "constraint-error", ["north", "East", "westt"]),
    "required": ("name", "constraint-error", [""]),
}
LINE_ERRORS = ["missing-cell", "extra-cell", "blank-row"]
KEY_ERRORS = ["primary-key", "foreign-key"]
KINDS = list(CELL_ERRORS) + LINE_ERRORS + KEY_ERRORS
RAGGED = {"missing-cell", "extra-cell"}
# Codes frictionless reports without a field (row errors); opendata names the key field of a
# single-column foreign key. Compared without the field.
ROW_LEVEL = {"blank-row", "primary-key", "foreign-key", "extra-cell"}

Triple = tuple[int, str | None, str]


# --- data generation --------------------------------------------------------------------------


def _schemas() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Table Schemas of panel and counties, and the package checks."""
    panel = {
        "fields": [
            {
                "name": "code",
                "type": "string",
                "constraints": {"required": True, "pattern": r"^\d{6}$"},
            },
            {"name": "name", "type": "string", "constraints": {"required": True}},
            {
                "name": "year",
                "type": "integer",
                "constraints": {"required": True, "minimum": 2012, "maximum": 2020},
            },
            {"name": "population", "type": "integer", "constraints": {"minimum": 0}},
            {
                "name": "incidence",
                "type": "number",
                "constraints": {"minimum": 0, "maximum": 100},
            },
            {"name": "funds", "type": "number"},
            {"name": "exited", "type": "boolean"},
            {"name": "report_date", "type": "date"},
            {"name": "region", "type": "string", "constraints": {"enum": REGIONS}},
        ],
        "primaryKey": ["code", "year"],
        "foreignKeys": [
            {"fields": ["code"], "reference": {"resource": "counties", "fields": ["code"]}}
        ],
    }
    counties = {
        "fields": [
            {
                "name": "code",
                "type": "string",
                "constraints": {"required": True, "unique": True, "pattern": r"^\d{6}$"},
            },
            {"name": "name", "type": "string", "constraints": {"required": True}},
            {"name": "panel_rows", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "population_total", "type": "integer", "constraints": {"minimum": 0}},
        ],
        "primaryKey": ["code"],
    }
    checks = [
        {
            "id": "panel-rows-total",
            "type": "column-sum",
            "message": "The counties' panel_rows add up to the number of panel rows.",
            "resource": "counties",
            "column": "panel_rows",
            "equals": {"resource": "panel", "column": "code", "aggregate": "count"},
        },
        {
            "id": "population-total",
            "type": "column-sum",
            "message": "The panel's population adds up to the counties' population totals.",
            "resource": "panel",
            "column": "population",
            "equals": {"resource": "counties", "column": "population_total", "aggregate": "sum"},
        },
        {
            "id": "panel-rows-per-county",
            "type": "group-count",
            "message": "Every county has as many panel rows as its panel_rows says.",
            "resource": "panel",
            "by": ["code"],
            "against": {"resource": "counties", "key": ["code"], "column": "panel_rows"},
        },
    ]
    return panel, counties, checks


def _positions(n: int) -> dict[str, list[int]]:
    """Spread PER_KIND 0-based record indexes per kind over the file; distinct, never adjacent."""
    taken: set[int] = set()
    out: dict[str, list[int]] = {}
    for k, kind in enumerate(KINDS):
        out[kind] = []
        for j in range(PER_KIND):
            p = int((j + (k + 1) / (len(KINDS) + 1)) * n / PER_KIND)
            while (
                p < 1
                or p >= n
                or (kind == "primary-key" and p % len(YEARS) == 0)
                or any(q in taken for q in (p - 1, p, p + 1))
            ):
                p = p + 1 if p < n - 1 else 1
            taken.add(p)
            out[kind].append(p)
    return out


def generate(n: int, root: Path) -> list[Triple]:
    """Write root/{clean,errors,streamable}/ packages of n panel rows; return injected triples."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(SEED)
    ny = len(YEARS)
    n_codes = math.ceil(n / ny)
    picked = rng.choice(1_000_000, size=n_codes + PER_KIND, replace=False)
    codes = np.sort(picked[:n_codes])
    spare = [f"{c:06d}" for c in picked[n_codes:]]  # valid codes absent from counties
    code_text = np.char.zfill(codes.astype(str), 6)
    chars = np.array(list("安宁平和兴隆昌盛云山河阳泉石江西南北东中华新丰德福永清长乐"))
    suffix = np.array(["县", "县", "县", "市", "旗", "区"])
    names = np.char.add(
        np.char.add(
            chars[rng.integers(0, len(chars), n_codes)], chars[rng.integers(0, len(chars), n_codes)]
        ),
        suffix[rng.integers(0, len(suffix), n_codes)],
    )
    region_of = np.array(REGIONS)[rng.integers(0, 3, n_codes)]

    county = np.arange(n) // ny
    year = np.array(YEARS, dtype=np.int64)[np.arange(n) % ny]
    population = rng.integers(5_000, 2_000_000, n)
    incidence = np.round(rng.uniform(0, 100, n), 2)
    funds = np.round(rng.uniform(0, 5e6, n), 2)
    exited = rng.random(n) < 0.4
    start = np.array([(np.datetime64(f"{y}-01-01") - np.datetime64("1970-01-01")) for y in year])
    report_date = (start.astype(np.int64) + rng.integers(0, 365, n)).astype("datetime64[D]")

    text = {
        "code": pa.array(code_text[county]),
        "name": pa.array(names[county]),
        "year": pc.cast(pa.array(year), pa.string()),
        "population": pc.cast(pa.array(population), pa.string()),
        "incidence": pc.cast(pa.array(incidence), pa.string()),
        "funds": pc.cast(pa.array(funds), pa.string()),
        "exited": pc.cast(pa.array(exited), pa.string()),
        "report_date": pc.cast(pa.array(report_date, pa.date32()), pa.string()),
        "region": pa.array(region_of[county]),
    }
    rows_per = np.bincount(county, minlength=n_codes)
    pop_total = np.bincount(county, weights=population, minlength=n_codes).astype(np.int64)

    panel_schema, counties_schema, checks = _schemas()
    counties = pa.table(
        {
            "code": pa.array(code_text),
            "name": pa.array(names),
            "panel_rows": pa.array(rows_per),
            "population_total": pa.array(pop_total),
        }
    )

    pos = _positions(n)
    expected: list[Triple] = []
    bad = dict(text)
    for kind, (fld, code, values) in CELL_ERRORS.items():
        idx = pos[kind]
        bad[fld] = _replace(bad[fld], idx, [values[j % len(values)] for j in range(len(idx))])
        expected += [(p + 2, fld, code) for p in idx]
        if kind == "pattern":  # a malformed code is never a county code either
            expected += [(p + 2, "code", "foreign-key") for p in idx]
    idx = pos["primary-key"]
    bad["year"] = _replace(bad["year"], idx, [str(YEARS[p % ny - 1]) for p in idx])
    expected += [(p + 2, None, "primary-key") for p in idx]
    idx = pos["foreign-key"]
    bad["code"] = _replace(bad["code"], idx, spare[: len(idx)])
    expected += [(p + 2, "code", "foreign-key") for p in idx]

    special: dict[int, str] = {}
    for p in pos["blank-row"]:
        special[p] = "," * (len(FIELDS) - 1)
        # frictionless (and opendata, matching it) also report a blank row's empty primary key
        expected += [(p + 2, None, "blank-row"), (p + 2, None, "primary-key")]
    ragged_rows: set[int] = set()
    for kind in ("missing-cell", "extra-cell"):
        for p in pos[kind]:
            cells = [bad[f][p].as_py() for f in FIELDS]
            if kind == "missing-cell":
                special[p] = ",".join(cells[:-1])
                expected.append((p + 2, FIELDS[-1], "missing-cell"))
            else:
                special[p] = ",".join([*cells, "extra"])
                expected.append((p + 2, None, "extra-cell"))
            ragged_rows.add(p)

    for variant in ("clean", "errors", "streamable"):
        d = root / variant
        (d / "data").mkdir(parents=True, exist_ok=True)
        (d / "schemas").mkdir(exist_ok=True)
        pcsv.write_csv(counties, d / "data" / "counties.csv")
        if variant == "clean":
            _write_panel(pa.table(text), {}, d / "data" / "panel.csv")
        else:
            lines = {
                p: s for p, s in special.items() if variant == "errors" or p not in ragged_rows
            }
            _write_panel(pa.table(bad), lines, d / "data" / "panel.csv")
        _write_json(d / "schemas" / "panel.schema.json", panel_schema)
        _write_json(d / "schemas" / "counties.schema.json", counties_schema)
        _write_json(d / "schemas" / "package.checks.json", checks)
        _write_json(
            d / "datapackage.json",
            {
                "name": f"bench-panel-{n}",
                "checks": "schemas/package.checks.json",
                "resources": [
                    {
                        "name": "counties",
                        "path": "data/counties.csv",
                        "format": "csv",
                        "encoding": "utf-8",
                        "schema": "schemas/counties.schema.json",
                    },
                    {
                        "name": "panel",
                        "path": "data/panel.csv",
                        "format": "csv",
                        "encoding": "utf-8",
                        "schema": "schemas/panel.schema.json",
                    },
                ],
            },
        )
    return sorted(expected, key=_sort_key)


def _replace(arr: Any, idx: list[int], values: list[str]) -> Any:
    """arr with the cells at idx replaced by values (pyarrow string array)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    mask = np.zeros(len(arr), dtype=bool)
    mask[idx] = True
    order = np.argsort(idx)
    return pc.replace_with_mask(arr, pa.array(mask), pa.array([values[i] for i in order]))


def _write_panel(table: Any, special: dict[int, str], path: Path) -> None:
    """Write the panel CSV; record i is replaced by special[i] where given (ragged/blank lines)."""
    import pyarrow.csv as pcsv

    opts = pcsv.WriteOptions(include_header=False, quoting_style="none")
    with path.open("wb") as fh:
        fh.write((",".join(FIELDS) + "\n").encode())
        start = 0
        for p in [*sorted(special), table.num_rows]:
            if p > start:
                pcsv.write_csv(table.slice(start, p - start), fh, write_options=opts)
            if p < table.num_rows:
                fh.write((special[p] + "\n").encode())
            start = p + 1


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _sort_key(t: Triple) -> tuple[int, str, str]:
    return (t[0], t[1] or "", t[2])


def dataset(n: int) -> tuple[Path, list[Triple]]:
    """The cached package folder for n rows (generated when missing) and its injected triples."""
    root = DATA / f"n{n}"
    manifest = root / "expected.json"
    if manifest.is_file():
        meta = json.loads(manifest.read_text())
        if meta.get("version") == GENERATOR_VERSION and meta.get("seed") == SEED:
            return root, [tuple(t) for t in meta["expected"]]
    shutil.rmtree(root, ignore_errors=True)
    t0 = time.perf_counter()
    expected = generate(n, root)
    _write_json(manifest, {"version": GENERATOR_VERSION, "seed": SEED, "expected": expected})
    print(f"  generated {n:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    return root, expected


# --- measurement ------------------------------------------------------------------------------


@dataclass
class Run:
    """One fresh-process run: wall seconds, peak RSS in MB, exit status, stdout and CPU seconds.

    `cpu` is user plus system time of the command and every process it waited for, as the
    kernel accounts it to the waited-for process tree.
    """

    wall: float
    rss_mb: float
    status: int
    stdout: str
    cpu: float = math.nan


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run cmd in a fresh process; its wall time and peak RSS.

    Peak RSS comes from GNU time (``%M``), whose child is forked from the small ``time``
    process. ``os.wait4`` on a direct child is only the fallback: Linux folds the high-water mark
    of the pre-exec address space -- a copy of this (large, data-generating) process -- into the
    child's ``ru_maxrss``, so it over-reports.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile("r", suffix=".time") as tf,
    ):
        full = [GNU_TIME, "-f", "%M", "-o", tf.name, *cmd] if GNU_TIME else cmd
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, cwd=cwd, env=env or CHILD_ENV)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
        if proc.returncode not in (0, 1):
            tail = err.read().decode("utf-8", errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{tail}")
        rss_kb = float(usage.ru_maxrss)
        if GNU_TIME:
            rss_kb = float([x for x in tf.read().splitlines() if x.strip()][-1])
    cpu = usage.ru_utime + usage.ru_stime
    return Run(wall, rss_kb / 1024, proc.returncode, stdout, cpu)


def _git(*args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else "?"


def source_state() -> str:
    """Git HEAD, whether src/ has uncommitted changes, and a digest of the .py files under src/opendata/."""
    digest = hashlib.sha256()
    src = REPO / "src" / "opendata"
    for path in sorted(src.rglob("*.py")):
        digest.update(path.relative_to(src).as_posix().encode() + path.read_bytes())
    dirty = " + uncommitted changes in src/" if _git("status", "--porcelain", "src") else ""
    return f"{_git('rev-parse', '--short', 'HEAD')}{dirty} (src digest {digest.hexdigest()[:12]})"


def pin_source(into: Path, rev: str) -> str:
    """Export src/ of commit `rev` into `into` and make every child import opendata from it.

    The working tree may change while a long run is under way; pinning measures one version.
    """
    global CHILD_ENV
    commit = _git("rev-parse", "--short", rev)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "src"], cwd=REPO, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    compile_source(into / "src")
    CHILD_ENV = {**os.environ, "PYTHONPATH": str(into / "src")}
    return f"{commit} (pinned: its src/ exported with git archive)"


TIMED_RUNS = 5  # of the floor and of opendata, at every size


def interleaved(
    commands: dict[str, tuple[list[str], Path | None]], repeats: int
) -> tuple[dict[str, Run], dict[str, list[Run]]]:
    """The median run of each command (see `median_of`) and all its runs, the commands taken in turn.

    Taking them in turn (a, b, c, a, b, c, ...) lets a slow spell of the machine weigh on every
    command alike, so their ratios hold even when absolute times drift between runs.
    """
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, (cmd, cwd) in commands.items():
            runs[name].append(run(cmd, cwd))
    return {name: median_of(rs) for name, rs in runs.items()}, runs


def median_of(runs: list[Run]) -> Run:
    """The run of median wall time, carrying the median CPU time of all the runs."""
    middle = sorted(runs, key=lambda r: r.wall)[len(runs) // 2]
    return replace(middle, cpu=statistics.median(r.cpu for r in runs))


def median_run(cmd: list[str], repeats: int, cwd: Path | None = None) -> tuple[Run, list[Run]]:
    """The median run of `repeats` runs (see `median_of`), and all the runs."""
    runs = [run(cmd, cwd) for _ in range(repeats)]
    return median_of(runs), runs


def floor_child(path: str) -> None:
    """Child mode: read the CSV with explicit types; print read seconds and table.nbytes."""
    t0 = time.perf_counter()
    import pyarrow as pa
    import pyarrow.csv as pcsv

    types = {
        "code": pa.string(),
        "name": pa.string(),
        "year": pa.int64(),
        "population": pa.int64(),
        "incidence": pa.float64(),
        "funds": pa.float64(),
        "exited": pa.bool_(),
        "report_date": pa.date32(),
        "region": pa.string(),
    }
    t1 = time.perf_counter()
    table = pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=types))
    t2 = time.perf_counter()
    print(
        json.dumps(
            {"import": t1 - t0, "read": t2 - t1, "nbytes": table.nbytes, "rows": table.num_rows}
        )
    )


def api_child(path: str, block_size: int) -> None:
    """Child mode: validate_package with a given block size; print the issues as JSON."""
    from opendata.validate import validate_package

    report = validate_package(path, block_size=block_size)
    print(json.dumps([i.to_dict() for i in report.issues], ensure_ascii=False))


def opendata_triples(issues: list[dict[str, Any]]) -> tuple[list[Triple], list[dict[str, Any]]]:
    """(row, field, code) of the panel's issues, and every other issue."""
    mine, other = [], []
    for i in issues:
        if i.get("resource") == "panel" and i.get("layer") == "structural":
            mine.append((i["row"], i["field"], i["code"]))
        else:
            other.append(i)
    return sorted(mine, key=_sort_key), other


def frictionless_triples(report: dict[str, Any]) -> tuple[list[Triple], list[dict[str, Any]]]:
    """(rowNumber, fieldName, type) of the panel task's errors, and every other error."""
    mine, other = [], []
    for task in report.get("tasks", []):
        for e in task.get("errors", []):
            if task.get("name") == "panel" and "rowNumber" in e:
                mine.append((e["rowNumber"], e.get("fieldName") or None, e["type"]))
            else:
                other.append({"task": task.get("name"), **e})
    other += [{"task": None, **e} for e in report.get("errors", [])]
    return sorted(mine, key=_sort_key), other


def diff(label: str, got: list[Triple], want: list[Triple], row_level: bool = False) -> list[str]:
    """Lines describing what `got` misses or adds compared with `want` (empty when equal)."""

    def norm(t: Triple) -> Triple:
        return (t[0], None, t[2]) if row_level and t[2] in ROW_LEVEL else t

    g, w = {norm(t) for t in got}, {norm(t) for t in want}
    out = [f"{label}: misses {t}" for t in sorted(w - g, key=_sort_key)]
    out += [f"{label}: adds {t}" for t in sorted(g - w, key=_sort_key)]
    if len(got) != len(set(got)):
        out.append(f"{label}: {len(got) - len(set(got))} duplicated findings")
    return out


# --- the benchmark ----------------------------------------------------------------------------


@dataclass
class Row:
    """Measurements at one size."""

    n: int
    file_mb: float
    arrow_mb: float = math.nan
    floor: Run | None = None
    floor_read: float = math.nan
    opendata: Run | None = None
    opendata_clean: Run | None = None
    opendata_stream: Run | None = None
    frictionless: Run | None = None
    correctness: str = ""


def bench_size(n: int, fl_max: int) -> tuple[Row, list[str]]:
    """Generate (or reuse) the package of n rows, time every tool, and check the findings."""
    print(f"\n== {n:,} rows", flush=True)
    root, expected = dataset(n)
    panel = root / "errors" / "data" / "panel.csv"
    row = Row(n=n, file_mb=panel.stat().st_size / 2**20)
    repeats = 3 if n <= 1_000_000 else 1  # frictionless's runs
    py = sys.executable
    me = str(Path(__file__).resolve())
    problems: list[str] = []

    cli = str(BIN / "opendata")
    validate = [cli, "validate", "--format", "json", "datapackage.json"]
    medians, runs = interleaved(
        {
            "floor": ([py, me, "--child-floor", str(root / "clean" / "data" / "panel.csv")], None),
            "errors": (validate, root / "errors"),
            "clean": (validate, root / "clean"),
            "streamable": (validate, root / "streamable"),
        },
        TIMED_RUNS,
    )
    row.floor = medians["floor"]
    info = json.loads(row.floor.stdout)
    row.arrow_mb = info["nbytes"] / 2**20
    row.floor_read = statistics.median(json.loads(r.stdout)["read"] for r in runs["floor"])
    print(f"  floor         {row.floor.wall:7.2f} s {row.floor.rss_mb:8.0f} MB", flush=True)

    row.opendata = medians["errors"]
    print(f"  opendata      {row.opendata.wall:7.2f} s {row.opendata.rss_mb:8.0f} MB", flush=True)
    got, other = opendata_triples(json.loads(row.opendata.stdout)["issues"])
    problems += diff("opendata CLI vs injected", got, expected)
    problems += [f"opendata CLI: unexpected issue {_brief(i)}" for i in other]

    row.opendata_clean = medians["clean"]
    print(
        f"  opendata clean{row.opendata_clean.wall:7.2f} s {row.opendata_clean.rss_mb:8.0f} MB",
        flush=True,
    )
    clean_report = json.loads(row.opendata_clean.stdout)
    problems += [f"opendata clean: unexpected issue {_brief(i)}" for i in clean_report["issues"]]
    skipped = [n for n in clean_report.get("notes", []) if "skipped" in n and "check" in n]
    problems += [f"opendata clean: {s}" for s in skipped]

    row.opendata_stream = medians["streamable"]
    print(
        f"  no-ragged     {row.opendata_stream.wall:7.2f} s {row.opendata_stream.rss_mb:8.0f} MB",
        flush=True,
    )
    streamed = run(
        [py, me, "--child-api", str(root / "streamable" / "datapackage.json"), str(STREAM_BLOCK)]
    )
    got, other = opendata_triples(json.loads(streamed.stdout))
    want = [t for t in expected if t[2] not in RAGGED and not _is_ragged_row(t, expected)]
    problems += diff(f"opendata API block_size={STREAM_BLOCK} vs injected", got, want)
    problems += [f"opendata API streamed: unexpected issue {_brief(i)}" for i in other]

    if n <= fl_max:
        fl = str(BIN / "frictionless")
        row.frictionless, _ = median_run(
            [fl, "validate", "--json", "--limit-errors", "0", "datapackage.json"],
            repeats,
            root / "errors",
        )
        print(
            f"  frictionless  {row.frictionless.wall:7.2f} s {row.frictionless.rss_mb:8.0f} MB",
            flush=True,
        )
        ftrip, fother = frictionless_triples(json.loads(row.frictionless.stdout))
        od = opendata_triples(json.loads(row.opendata.stdout)["issues"])[0]
        problems += diff(
            "frictionless vs opendata (row-level codes without field)", ftrip, od, row_level=True
        )
        problems += [f"frictionless: other error {_brief(e)}" for e in fother]
        problems += diff(
            "frictionless vs injected (row-level codes without field)",
            ftrip,
            expected,
            row_level=True,
        )
    row.correctness = "exact" if not problems else f"{len(problems)} mismatches"
    for p in problems:
        print("  ! " + p, flush=True)
    return row, problems


def _is_ragged_row(t: Triple, expected: list[Triple]) -> bool:
    return any(e[0] == t[0] and e[2] in RAGGED for e in expected)


def _brief(issue: dict[str, Any]) -> str:
    keys = (
        "task",
        "resource",
        "code",
        "type",
        "row",
        "rowNumber",
        "field",
        "fieldName",
        "message",
        "note",
    )
    return json.dumps({k: issue[k] for k in keys if issue.get(k) is not None}, ensure_ascii=False)[
        :300
    ]


STARTUP_RUNS = 9


def startup() -> tuple[Run, Run]:
    """Median of fresh runs of each validator on the project's own (small) package.

    The two are run in turn (opendata, frictionless, opendata, ...) so that a slow spell of the
    machine weighs on both alike.
    """
    od_cmd = [str(BIN / "opendata"), "validate", "--format", "json", "datapackage.json"]
    fl_cmd = [str(BIN / "frictionless"), "validate", "--json", "datapackage.json"]
    od_runs, fl_runs = [], []
    for _ in range(STARTUP_RUNS):
        od_runs.append(run(od_cmd, REPO))
        fl_runs.append(run(fl_cmd, REPO))
    return median_of(od_runs), median_of(fl_runs)


def compile_source(src: Path) -> None:
    """Write the bytecode of the measured source, as installing a package does.

    An installed package (frictionless here) has its modules compiled by pip; an editable or
    exported tree is compiled on every run when PYTHONDONTWRITEBYTECODE is set, as it is on this
    machine (about 0.1 s of opendata's start-up, measured).
    """
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True)


def _f(x: float, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.{digits}f}"


def table(rows: list[Row], od_small: Run | None, fl_small: Run | None) -> str:
    """The results as markdown."""
    nan = math.nan
    head = [
        "rows",
        "CSV MB",
        "Arrow MB",
        "floor s (in-proc read)",
        "floor MB",
        "opendata s",
        "opendata MB",
        "opendata clean s",
        "clean MB",
        "no-ragged s",
        "no-ragged MB",
        "frictionless s",
        "frictionless MB",
        "opendata/floor",
        "frictionless/opendata",
        "opendata RSS/Arrow",
        "findings",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        assert r.floor and r.opendata and r.opendata_clean and r.opendata_stream
        fl = r.frictionless
        cells = [
            f"{r.n:,}",
            _f(r.file_mb, 0),
            _f(r.arrow_mb, 0),
            f"{_f(r.floor.wall)} ({_f(r.floor_read)})",
            _f(r.floor.rss_mb, 0),
            _f(r.opendata.wall),
            _f(r.opendata.rss_mb, 0),
            _f(r.opendata_clean.wall),
            _f(r.opendata_clean.rss_mb, 0),
            _f(r.opendata_stream.wall),
            _f(r.opendata_stream.rss_mb, 0),
            _f(fl.wall if fl else nan),
            _f(fl.rss_mb if fl else nan, 0),
            _f(r.opendata.wall / r.floor.wall, 1),
            _f(fl.wall / r.opendata.wall if fl else nan, 1),
            _f(r.opendata.rss_mb / r.arrow_mb, 1),
            r.correctness,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    if od_small and fl_small:
        lines += [
            "",
            f"Start-up, /work/main/datapackage.json (median of {STARTUP_RUNS} fresh runs of each, "
            "taken in turn; both tools' modules compiled to bytecode):",
            "",
            "| tool | wall s | peak MB |",
            "|---|---|---|",
            f"| `opendata validate --format json` | {_f(od_small.wall)} "
            f"| {_f(od_small.rss_mb, 0)} |",
            f"| `frictionless validate --json` | {_f(fl_small.wall)} | {_f(fl_small.rss_mb, 0)} |",
            f"| ratio frictionless/opendata | {_f(fl_small.wall / od_small.wall)} | |",
        ]
    if rows:
        lines += budget(rows[-1], od_small)
    return "\n".join(lines) + "\n"


def budget(r: Row, od_small: Run | None) -> list[str]:
    """CPU time at the largest size, and what the 2x-floor target leaves for opendata's work.

    On two cores a CPU-bound command's wall time is its CPU time over the cores it keeps busy,
    so the target reads as a CPU budget: about twice the floor's CPU at the floor's parallelism.
    Start-up (imports, frictionless's descriptor checks) does not grow with the table and is
    measured on the repository's small package.
    """
    assert r.floor and r.opendata and r.opendata_clean
    runs = [
        ("floor (`pyarrow.csv.read_csv`, clean copy)", r.floor),
        ("`opendata validate`, error copy", r.opendata),
        ("`opendata validate`, clean copy", r.opendata_clean),
    ]
    if od_small:
        runs.append(("`opendata validate`, start-up (repository package)", od_small))
    lines = [
        "",
        f"CPU at {r.n:,} rows: user + system seconds of each command and the processes it "
        "waited for (medians of the same runs); cores busy = CPU / wall.",
        "",
        "| command | wall s | CPU s | cores busy |",
        "|---|---|---|---|",
    ]
    for label, x in runs:
        lines.append(f"| {label} | {_f(x.wall)} | {_f(x.cpu)} | {_f(x.cpu / x.wall)} |")
    allowed = 2 * r.floor.cpu
    lines += [
        "",
        f"Twice the floor's wall time, at the floor's parallelism, is about {_f(allowed)} CPU "
        f"seconds. opendata used {_f(r.opendata.cpu)} on the error copy and "
        f"{_f(r.opendata_clean.cpu)} on the clean copy.",
    ]
    if od_small:
        left = allowed - od_small.cpu
        lines += [
            f"Its start-up alone takes {_f(od_small.cpu)}, which leaves {_f(left)} for reading "
            f"and checking {r.n:,} rows. The floor takes {_f(r.floor.cpu)} to read them, with "
            f"its own start-up included. opendata's work beyond start-up was "
            f"{_f(r.opendata.cpu - od_small.cpu)} on the error copy and "
            f"{_f(r.opendata_clean.cpu - od_small.cpu)} on the clean copy.",
        ]
    return lines


def _memory_cgroup(cap_mb: int) -> tuple[Path, str] | None:
    """A fresh memory cgroup limited to cap_mb (v1 or v2), and the file holding its peak usage."""
    name = f"opendata-bench-{os.getpid()}"
    v1 = Path("/sys/fs/cgroup/memory")
    v2 = Path("/sys/fs/cgroup")
    try:
        if (v1 / "memory.limit_in_bytes").exists():
            group = v1 / name
            group.mkdir()
            (group / "memory.limit_in_bytes").write_text(str(cap_mb << 20))
            (group / "memory.swappiness").write_text("0")
            return group, "memory.max_usage_in_bytes"
        if "memory" in (v2 / "cgroup.controllers").read_text():
            group = v2 / name
            group.mkdir()
            (group / "memory.max").write_text(str(cap_mb << 20))
            (group / "memory.swap.max").write_text("0")
            return group, "memory.peak"
    except OSError:
        return None
    return None


def capped(n: int, cap_mb: int, chunk_mb: int) -> str:
    """Validate the n-row copies inside a memory cgroup of cap_mb; a markdown section."""
    root, expected = dataset(n)
    csv_mb = (root / "clean" / "data" / "panel.csv").stat().st_size / 1e6
    lines = [
        "",
        f"Memory cap: `opendata validate --chunk-mb {chunk_mb}` on the {n:,}-row copies (panel.csv "
        f"{csv_mb:.0f} MB, {'larger' if csv_mb > cap_mb * 1.048576 else 'smaller'} than the cap) "
        f"inside a cgroup limited to {cap_mb} MiB = {cap_mb * 1.048576:.0f} MB (page cache "
        "included, no swap);",
        "a process that needs more is killed by the kernel (exit 137).",
        "",
        "| copy | exit | wall s | cgroup peak MiB | findings |",
        "|---|---|---|---|---|",
    ]
    for variant in ("clean", "errors"):
        made = _memory_cgroup(cap_mb)
        if made is None:
            return "\nMemory cap: skipped (no writable memory cgroup on this machine).\n"
        group, peak_file = made
        cmd = [str(BIN / "opendata"), "validate", str(root / variant / "datapackage.json")]
        cmd += ["--format", "json", "--chunk-mb", str(chunk_mb)]
        wrapped = ["sh", "-c", f'echo $$ > {group}/cgroup.procs && exec "$@"', "sh", *cmd]
        t0 = time.perf_counter()
        proc = subprocess.run(wrapped, capture_output=True, text=True, env=CHILD_ENV)
        wall = time.perf_counter() - t0
        peak = int((group / peak_file).read_text()) / (1 << 20)
        group.rmdir()
        verdict = "–"
        if proc.returncode in (0, 1):
            got, other = opendata_triples(json.loads(proc.stdout)["issues"])
            want = [] if variant == "clean" else expected
            verdict = "exact" if got == want and not other else "MISMATCH"
        lines.append(f"| {variant} | {proc.returncode} | {wall:.2f} | {peak:,.0f} | {verdict} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse arguments, run every size, print and write the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100000,1000000,5000000")
    p.add_argument("--frictionless-max", type=int, default=1_000_000)
    p.add_argument("--out", default=str(HERE / "results.md"))
    p.add_argument("--no-startup", action="store_true", help="skip the start-up comparison")
    p.add_argument(
        "--pin",
        nargs="?",
        const="HEAD",
        metavar="REV",
        help="measure src/ of a commit (default HEAD, exported) instead of the working tree",
    )
    p.add_argument(
        "--cap-mb",
        type=int,
        metavar="MB",
        help="also validate the largest size inside a memory cgroup of MB (needs root)",
    )
    p.add_argument("--cap-chunk-mb", type=int, default=8, metavar="MB")
    p.add_argument(
        "--cap-rows",
        type=int,
        metavar="N",
        help="rows of the copies validated under the cap (default: the largest size); pick N "
        "large enough that panel.csv is bigger than --cap-mb to show a file larger than memory",
    )
    p.add_argument("--only-cap", action="store_true", help="run only the memory-cap section")
    p.add_argument("--child-floor", metavar="CSV", help=argparse.SUPPRESS)
    p.add_argument("--child-api", nargs=2, metavar=("DESCRIPTOR", "BLOCK"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_floor:
        floor_child(args.child_floor)
        return
    if args.child_api:
        api_child(args.child_api[0], int(args.child_api[1]))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s]
    pinned = tempfile.TemporaryDirectory(prefix="opendata-src-") if args.pin else None
    if pinned:
        state = pin_source(Path(pinned.name), args.pin)
    else:
        state = source_state()
        compile_source(REPO / "src")
    print(f"opendata source: {state}", flush=True)
    if args.only_cap:
        text = capped(args.cap_rows or max(sizes), args.cap_mb or 400, args.cap_chunk_mb)
        print(text)
        with Path(args.out).open("a", encoding="utf-8") as fh:
            fh.write(f"\nopendata source: {state}\n" + text)
        return
    rows, problems = [], []
    for n in sizes:
        row, probs = bench_size(n, args.frictionless_max)
        rows.append(row)
        problems += [f"{n:,}: {x}" for x in probs]
    od_small = fl_small = None
    if not args.no_startup:
        od_small, fl_small = startup()
    text = table(rows, od_small, fl_small)
    end_state = state if pinned else source_state()
    text = f"opendata source: {state}\n\n" + text
    if end_state != state:
        text += f"\nWARNING: src/ changed during the run; now {end_state}\n"
    notes = [
        "",
        "Wall times include interpreter start and imports; peak RSS per process from GNU time.",
        f"The floor and opendata: medians of {TIMED_RUNS} fresh runs, the four commands taken in "
        "turn; frictionless: median of 3 up to 1M rows, 1 run above. The floor reads the *clean* copy",
        "(typed readers stop at the first bad cell); opendata and frictionless read the copy with",
        f"{PER_KIND} errors of each of {len(KINDS)} kinds; 'opendata clean' validates the clean",
        "copy, where the package checks run (on the error copy they are skipped). 'no-ragged' is",
        "the error copy without the missing-cell and extra-cell rows (ragged records).",
    ]
    if problems:
        notes += ["", "Mismatches:", "", *[f"- {x}" for x in problems]]
    text += "\n".join(notes) + "\n"
    if args.cap_mb:
        text += capped(args.cap_rows or max(sizes), args.cap_mb, args.cap_chunk_mb)
    print("\n" + text)
    Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
