"""Work grows linearly with a table's width: no step does per-column work once per column.

Wall-clock assertions are flaky on a shared machine, so these count what cannot vary between
runs: Python function calls (a profile hook's events), and the peak of memory Python allocates
(tracemalloc). Four times the columns must cost at most about four times as much; a step that
loops over the columns for each column (a property rebuilding every field, a lookup that scans
the header) makes the ratio grow towards sixteen. Work inside C (pyarrow, a builtin's own loop)
is not counted: benchmarks/results.md has the measured times of a 100,000-column header.
"""

from __future__ import annotations

import json
import sys
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opendata.package import load_package
from opendata.structural.table import validate_table
from opendata.validate import validate_package

NARROW, WIDE = 400, 1600


def _wide_package(root: Path, width: int) -> Path:
    """A table of `width` integer columns, unique and bounded, and three rows (one repeated)."""
    root.mkdir()
    names = [f"c{i}" for i in range(width)]
    rows = [[str((r * 7 + i) % 100) for i in range(width)] for r in (0, 1, 1)]
    lines = [",".join(names), *(",".join(row) for row in rows)]
    (root / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    fields = [
        {"name": n, "type": "integer", "constraints": {"minimum": 0, "unique": i % 2 == 0}}
        for i, n in enumerate(names)
    ]
    descriptor = {
        "name": "wide",
        "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": fields}}],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return root / "datapackage.json"


def _calls(work: Callable[[], Any]) -> int:
    """How many Python and C function calls `work` makes, on every thread it starts."""
    count = 0

    def hook(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(hook)
    threading.setprofile(hook)
    try:
        work()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    return count


def _peak(work: Callable[[], Any]) -> int:
    """The most memory Python held at once while `work` ran, above what it held before."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("wide")
    made = {width: _wide_package(root / str(width), width) for width in (NARROW, WIDE)}
    report = validate_package(made[NARROW])  # imports done once, before anything is counted
    assert {i.code for i in report.issues} == {"unique-error"}
    return made


def test_calls_grow_linearly_with_the_width(
    packages: dict[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENDATA_VERDICTS_IN_PROCESS", "1")  # frictionless's checks counted too
    narrow, wide = (_calls(lambda w=w: validate_package(packages[w])) for w in (NARROW, WIDE))
    assert wide / narrow < 4.5, (narrow, wide)


def test_memory_grows_linearly_with_the_width(packages: dict[int, Path]) -> None:
    # Loaded beforehand: reading a descriptor reserves its 32 MB size limit for a moment.
    narrow_t, wide_t = (load_package(packages[w]).get("t") for w in (NARROW, WIDE))
    narrow = _peak(lambda: validate_table(narrow_t, keep=None))
    wide = _peak(lambda: validate_table(wide_t, keep=None))
    assert wide / narrow < 4.5, (narrow, wide)
