"""Start-up on small real packages: `opendata validate` against `frictionless validate`.

One command::

    python benchmarks/startup.py [--repeats 9] [--only gdp,co2-ppm]
                                 [--variant LABEL=SRC[:NAME=VALUE...]]... [--floor] [--out FILE]

It writes (into a temporary folder, from numpy ``default_rng(7)``) packages in the shapes of
datahub.io's core datasets -- the same resources, field names, Table Schema types and roughly
the same numbers of rows, written from what those public packages look like, with made-up
values (no data is downloaded). None declares checks, as none of the core datasets does.

Then, for every package, ``opendata validate DIR`` (``python -m opendata``, its output thrown
away) and ``frictionless validate DIR/datapackage.json`` run as fresh processes, taken in turn,
``--repeats`` times each; it prints the median wall time of each, the ratio opendata /
frictionless (the target of issue 15 is at most 0.5 on every package), the median CPU time
(user + system, child processes included: steadier than wall time on a shared machine) and
each tool's exit codes (they should agree: 0 valid, 1 invalid).
``--variant LABEL=SRC[:NAME=VALUE...]`` (repeatable) times opendata from other source trees in
the same rotation (e.g. the main branch, or a scratch copy with one part stubbed, to see what
the rest costs); by default this repository's ``src/``. ``--floor`` also times, on the first
package, bare interpreters importing what opendata cannot do without (numpy, pyarrow's compute
and CSV modules, jsonschema, click): the part of the ratio no change to opendata's own code
can remove.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
FRICTIONLESS = Path(sys.executable).with_name("frictionless")


@dataclass
class Table:
    """One resource: its fields (name, Table Schema type, extra keys) and a row writer."""

    name: str
    fields: list[tuple[str, str, dict[str, Any]]]
    rows: Callable[[np.random.Generator], list[list[Any]]]


def _countries(rng: np.random.Generator, n: int = 250) -> list[tuple[str, str]]:
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    codes = sorted({"".join(rng.choice(letters, 3)) for _ in range(n * 2)})[:n]
    names = [
        f"Country {c.title()}" + (", Rep." if i % 17 == 0 else "") for i, c in enumerate(codes)
    ]
    return list(zip(names, codes, strict=True))


def _by_country_year(value: Callable[[np.random.Generator], Any], years: range, n: int) -> Any:
    """Rows Country Name, Country Code, Year, Value: gdp, population, cpi."""

    def rows(rng: np.random.Generator) -> list[list[Any]]:
        return [
            [name, code, year, value(rng)]
            for name, code in _countries(rng, n)
            for year in years
            if rng.random() > 0.1  # series start late or have gaps
        ]

    return rows


def _months(first: int, count: int, day: int | None = 1) -> list[str]:
    out = []
    for i in range(count):
        year, month = first + i // 12, i % 12 + 1
        out.append(f"{year}-{month:02d}" + (f"-{day:02d}" if day else ""))
    return out


def _days(first: str, count: int) -> list[str]:
    start = np.datetime64(first)
    days = start + np.arange(int(count * 1.45))
    weekdays = days[np.is_busday(days)][:count]
    return [str(d) for d in weekdays]


def _series(rng: np.random.Generator, n: int, level: float, step: float) -> np.ndarray:
    return np.round(np.abs(level + np.cumsum(rng.normal(0, step, n))), 2)


def _co2_monthly(rng: np.random.Generator) -> list[list[Any]]:
    dates = _months(1958, 790)
    trend = 315 + np.arange(790) * 0.12
    avg = np.round(trend + 3 * np.sin(np.arange(790) / 12 * 2 * np.pi), 2)
    days = rng.integers(-1, 31, 790)
    return [
        [
            d,
            round(1958.2 + i / 12, 3),
            -99.99 if i % 97 == 5 else avg[i],
            avg[i],
            round(trend[i], 2),
            int(days[i]),
        ]
        for i, d in enumerate(dates)
    ]


def _yearly(first: int, count: int, columns: int, level: float) -> Any:
    def rows(rng: np.random.Generator) -> list[list[Any]]:
        values = [_series(rng, count, level, 1.0) for _ in range(columns)]
        return [[first + i, *(float(v[i]) for v in values)] for i in range(count)]

    return rows


def _dated(dates: Callable[[], list[str]], columns: int, level: float, step: float) -> Any:
    def rows(rng: np.random.Generator) -> list[list[Any]]:
        ds = dates()
        values = [_series(rng, len(ds), level, step) for _ in range(columns)]
        return [[d, *(float(v[i]) for v in values)] for i, d in enumerate(ds)]

    return rows


def _num(*names: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(n, "number", {}) for n in names]


COUNTRY_YEAR = [
    ("Country Name", "string", {}),
    ("Country Code", "string", {}),
    ("Year", "year", {}),
]
DATE = [("Date", "date", {})]
PACKAGES: dict[str, list[Table]] = {
    "gdp": [
        Table(
            "gdp",
            [*COUNTRY_YEAR, ("Value", "number", {})],
            _by_country_year(lambda r: round(float(r.lognormal(23, 2)), 6), range(1960, 2017), 215),
        )
    ],
    "population": [
        Table(
            "population",
            [*COUNTRY_YEAR, ("Value", "integer", {})],
            _by_country_year(
                lambda r: int(r.integers(9_000, 1_400_000_000)), range(1960, 2019), 260
            ),
        )
    ],
    "cpi": [
        Table(
            "cpi",
            [*COUNTRY_YEAR, ("CPI", "number", {})],
            _by_country_year(lambda r: round(float(r.uniform(1, 300)), 4), range(1960, 2015), 150),
        )
    ],
    "country-list": [
        Table(
            "data",
            [("Name", "string", {}), ("Code", "string", {})],
            lambda r: [[n, c[:2]] for n, c in _countries(r)],
        )
    ],
    "currency-codes": [
        Table(
            "codes-all",
            [
                ("Entity", "string", {}),
                ("Currency", "string", {}),
                ("AlphabeticCode", "string", {}),
                ("NumericCode", "number", {}),
                ("MinorUnit", "string", {}),
                ("WithdrawalDate", "string", {}),
            ],
            lambda r: [
                [
                    n.upper(),
                    f"{n} Dollar",
                    c,
                    int(r.integers(8, 999)),
                    str(r.integers(0, 4)) if i % 9 else "N.A.",
                    "" if i % 5 else "2002-03",
                ]
                for i, (n, c) in enumerate(_countries(r, 440) * 1)
            ],
        )
    ],
    "co2-ppm": [
        Table(
            "co2-mm-mlo",
            [
                *DATE,
                *_num("Decimal Date", "Average", "Interpolated", "Trend"),
                ("Number of Days", "integer", {}),
            ],
            _co2_monthly,
        ),
        Table(
            "co2-annmean-mlo",
            [("Year", "year", {}), *_num("Mean", "Uncertainty")],
            _yearly(1959, 64, 2, 316),
        ),
        Table(
            "co2-gr-mlo",
            [("Year", "year", {}), *_num("Annual Increase", "Uncertainty")],
            _yearly(1959, 64, 2, 1.5),
        ),
        Table(
            "co2-mm-gl",
            [*DATE, *_num("Decimal Date", "Average", "Trend")],
            _dated(lambda: _months(1980, 520), 3, 340, 0.3),
        ),
        Table(
            "co2-annmean-gl",
            [("Year", "year", {}), *_num("Mean", "Uncertainty")],
            _yearly(1980, 43, 2, 340),
        ),
        Table(
            "co2-gr-gl",
            [("Year", "year", {}), *_num("Annual Increase", "Uncertainty")],
            _yearly(1959, 64, 2, 1.5),
        ),
    ],
    "global-temp": [
        Table(
            "annual",
            [("Source", "string", {}), ("Year", "year", {}), ("Mean", "number", {})],
            lambda r: [
                [s, y, round(float(r.normal(0, 0.3)), 4)]
                for s in ("GCAG", "GISTEMP")
                for y in range(1850, 2017)
            ],
        ),
        Table(
            "monthly",
            [("Source", "string", {}), ("Date", "date", {"format": "any"}), ("Mean", "number", {})],
            lambda r: [
                [s, d, round(float(r.normal(0, 0.3)), 4)]
                for s in ("GCAG", "GISTEMP")
                for d in _months(1850, 1670, day=None)
            ],
        ),
    ],
    "gold-prices": [
        Table(
            "monthly",
            [*DATE, ("Price", "number", {})],
            _dated(lambda: _months(1950, 850), 1, 35, 8),
        ),
    ],
    "oil-prices": [
        Table(
            "brent-daily",
            [*DATE, ("Price", "number", {})],
            _dated(lambda: _days("1987-05-20", 9000), 1, 18, 0.8),
        ),
        Table(
            "brent-monthly",
            [*DATE, ("Price", "number", {})],
            _dated(lambda: _months(1987, 430), 1, 18, 3),
        ),
        Table(
            "wti-daily",
            [*DATE, ("Price", "number", {})],
            _dated(lambda: _days("1986-01-02", 9300), 1, 25, 0.8),
        ),
        Table(
            "wti-monthly",
            [*DATE, ("Price", "number", {})],
            _dated(lambda: _months(1986, 445), 1, 25, 3),
        ),
    ],
    "s-and-p-500": [
        Table(
            "data",
            [
                *DATE,
                *_num(
                    "SP500",
                    "Dividend",
                    "Earnings",
                    "Consumer Price Index",
                    "Long Interest Rate",
                    "Real Price",
                    "Real Dividend",
                    "Real Earnings",
                    "PE10",
                ),
            ],
            _dated(lambda: _months(1871, 1770), 9, 50, 2),
        ),
    ],
    "finance-vix": [
        Table(
            "vix-daily",
            [("DATE", "date", {}), *_num("OPEN", "HIGH", "LOW", "CLOSE")],
            _dated(lambda: _days("1990-01-02", 8300), 4, 20, 1.2),
        ),
    ],
    "natural-gas": [
        Table(
            "daily",
            [*DATE, ("Price", "number", {})],
            _dated(lambda: _days("1997-01-07", 6300), 1, 3, 0.2),
        ),
        Table(
            "monthly",
            [*DATE, ("Price", "number", {})],
            _dated(lambda: _months(1997, 300), 1, 3, 0.5),
        ),
    ],
    "household-income-us-historical": [
        Table(
            "household-income-us-historical",
            [
                ("Year", "year", {}),
                ("Number (thousands)", "integer", {}),
                *_num("Lowest", "Second", "Third", "Fourth", "Top 5 percent"),
            ],
            lambda r: [
                [1967 + i, 60_000 + 1000 * i, *(int(v) for v in r.integers(10_000, 300_000, 5))]
                for i in range(50)
            ],
        ),
    ],
}


def write_package(root: Path, name: str, tables: list[Table], rng: np.random.Generator) -> Path:
    """A folder with datapackage.json and data/*.csv; returns the folder."""
    folder = root / name
    (folder / "data").mkdir(parents=True)
    resources = []
    for table in tables:
        path = f"data/{table.name}.csv"
        with open(folder / path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow([field for field, _, _ in table.fields])
            writer.writerows(table.rows(rng))
        fields = [{"name": n, "type": t, **extra} for n, t, extra in table.fields]
        resources.append(
            {
                "name": table.name,
                "path": path,
                "format": "csv",
                "mediatype": "text/csv",
                "schema": {"fields": fields},
            }
        )
    descriptor = {
        "name": name,
        "title": name,
        "licenses": [{"name": "ODC-PDDL-1.0"}],
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2), encoding="utf-8")
    return folder


def _cpu() -> float:
    """User + system seconds of the child processes waited for so far (theirs included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and exit code of one fresh run."""
    cpu, began = _cpu(), time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - began, _cpu() - cpu, done.returncode


def measure(folder: Path, repeats: int, variants: list[Variant]) -> dict[str, Any]:
    """Medians of `repeats` fresh runs of each tool, taken in turn, and their exit codes."""
    commands = {
        v.label: ([sys.executable, "-m", "opendata", "validate", str(folder)], v.env())
        for v in variants
    }
    commands["frictionless"] = (
        [str(FRICTIONLESS), "validate", str(folder / "datapackage.json")],
        dict(os.environ),
    )
    wall: dict[str, list[float]] = {tool: [] for tool in commands}
    cpu: dict[str, list[float]] = {tool: [] for tool in commands}
    codes: dict[str, set[int]] = {tool: set() for tool in commands}
    for _ in range(repeats):
        for tool, (command, env) in commands.items():
            seconds, used, code = _timed(command, env)
            wall[tool].append(seconds)
            cpu[tool].append(used)
            codes[tool].add(code)
    return {
        tool: {
            "wall": statistics.median(wall[tool]),
            "cpu": statistics.median(cpu[tool]),
            "codes": ",".join(map(str, sorted(codes[tool]))),
        }
        for tool in commands
    }


# The imports no validation of a CSV by opendata can do without, cumulatively: the floor.
FLOOR = {
    "python -c pass": "pass",
    "+ numpy": "import numpy",
    "+ pyarrow.compute, pyarrow.csv": "import pyarrow.compute, pyarrow.csv",
    "+ jsonschema": "import pyarrow.compute, pyarrow.csv, jsonschema",
    "+ click": "import pyarrow.compute, pyarrow.csv, jsonschema, click",
}


def floor(folder: Path, repeats: int, variant: Variant) -> str:
    """A Markdown table: the import floor against opendata and frictionless on one package."""
    commands = {label: [sys.executable, "-c", code] for label, code in FLOOR.items()}
    commands[f"opendata validate ({variant.label})"] = [
        sys.executable,
        "-m",
        "opendata",
        "validate",
        str(folder),
    ]
    commands["frictionless validate"] = [
        str(FRICTIONLESS),
        "validate",
        str(folder / "datapackage.json"),
    ]
    wall: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(repeats):
        for label, command in commands.items():
            wall[label].append(_timed(command, variant.env())[0])
    fl = statistics.median(wall["frictionless validate"])
    lines = ["| command | wall s | / frictionless |", "|---|---|---|"]
    for label, times in wall.items():
        lines.append(
            f"| {label} | {statistics.median(times):.3f} | {statistics.median(times) / fl:.2f} |"
        )
    return "\n".join(lines)


@dataclass
class Variant:
    """An opendata to run: a label, its source tree, extra environment variables."""

    label: str
    src: Path
    extra: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> Variant:
        """LABEL=SRC[:NAME=VALUE...], e.g. `main=/work/main/src` or `stub=/tmp/src:X=1`."""
        label, _, rest = text.partition("=")
        src, *pairs = rest.split(":")
        return cls(label, Path(src), dict(p.split("=", 1) for p in pairs))

    def env(self) -> dict[str, str]:
        """The environment its runs get."""
        return {**os.environ, "PYTHONPATH": str(self.src), **self.extra}


def table(results: dict[str, dict[str, Any]], rows: dict[str, int], labels: list[str]) -> str:
    """The results as a Markdown table: wall medians, ratios to frictionless, CPU medians."""
    head = ["package", "resources", "rows", "frictionless s"]
    for label in labels:
        head += [f"{label} s", f"{label} / frictionless"]
    head += ["CPU s (" + ", ".join([*labels, "frictionless"]) + ")", "exit codes"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in results.items():
        fl = r["frictionless"]["wall"]
        cells = [name, str(len(PACKAGES[name])), f"{rows[name]:,}", f"{fl:.2f}"]
        for label in labels:
            cells += [f"{r[label]['wall']:.2f}", f"**{r[label]['wall'] / fl:.2f}**"]
        cells.append(", ".join(f"{r[t]['cpu']:.2f}" for t in [*labels, "frictionless"]))
        cells.append("; ".join(r[t]["codes"] for t in [*labels, "frictionless"]))
        lines.append("| " + " | ".join(cells) + " |")
    for label in labels:
        ratios = [r[label]["wall"] / r["frictionless"]["wall"] for r in results.values()]
        lines.append(
            f"\n{label}: median ratio {statistics.median(ratios):.2f}, worst {max(ratios):.2f}; "
            f"{sum(x <= 0.5 for x in ratios)} of {len(ratios)} packages at or under 0.5."
        )
    return "\n".join(lines)


def main() -> None:
    """Generate the packages, time the tools on each, print (and optionally write) the table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=9, help="fresh runs of each tool per package")
    p.add_argument("--only", help="comma-separated package names (default: all)")
    p.add_argument(
        "--variant",
        action="append",
        type=Variant.parse,
        help="an opendata to time, LABEL=SRC[:NAME=VALUE...] (repeatable; default: this "
        "repository's src/)",
    )
    p.add_argument(
        "--floor",
        action="store_true",
        help="also time the bare imports opendata needs, on the first package",
    )
    p.add_argument("--out", type=Path, help="also write the Markdown table to this file")
    args = p.parse_args()
    variants = args.variant or [Variant("opendata", REPO / "src", {})]
    for variant in variants:
        # frictionless runs from site-packages, byte-compiled when pip installed it; opendata
        # must run from bytecode too, as an installed copy does. Without this, a machine with
        # PYTHONDONTWRITEBYTECODE=1 compiles every opendata module on every run (~55 ms).
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(variant.src)], check=True)
    names = args.only.split(",") if args.only else list(PACKAGES)
    rng = np.random.default_rng(7)
    results: dict[str, dict[str, Any]] = {}
    rows: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            folder = write_package(Path(tmp), name, PACKAGES[name], rng)
            rows[name] = sum(
                sum(1 for _ in open(f, encoding="utf-8")) - 1 for f in (folder / "data").iterdir()
            )
            results[name] = measure(folder, args.repeats, variants)
            print(name, json.dumps(results[name]), file=sys.stderr)
            if args.floor and name == names[0]:
                floors = floor(folder, args.repeats, variants[-1])
    text = table(results, rows, [v.label for v in variants])
    if args.floor:
        text += f"\n\nThe import floor, on {names[0]}:\n\n{floors}"
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
