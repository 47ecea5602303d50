"""Every `sheet 原始名单 row N` locator points at the spreadsheet's own row and cell.

Reads the vendored spreadsheet (curation/raw/exit-lists/exit_lists_original.xlsx) with
openpyxl, not its CSV transcription, so that a transcription that drops a row cannot hide
an off-by-one.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest

REPO = Path(__file__).resolve().parent.parent
XLSX = REPO / "curation" / "raw" / "exit-lists" / "exit_lists_original.xlsx"
DATA = REPO / "data"
SHEET = "原始名单"
NAME_LOCATOR = re.compile(rf"^sheet {SHEET} row (\d+), name (\d+)$")
COUNT_LOCATOR = re.compile(rf"^sheet {SHEET} row (\d+), column B$")
TOTAL_LOCATOR = re.compile(rf"^sheet {SHEET} row (\d+) \(合计\)$")
BATCH_HEADING = re.compile(r"(\d{4})年.*摘帽贫困县名单")


def load(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def sheet() -> dict[int, tuple[object, object, object]]:
    """Columns A-C of every row of the sheet, keyed by the spreadsheet's row number."""
    wb = openpyxl.load_workbook(XLSX, read_only=True, data_only=True)
    ws = wb[SHEET]
    rows = {
        i: (*row, None, None, None)[:3]
        for i, row in enumerate(ws.iter_rows(max_col=3, values_only=True), 1)
    }
    wb.close()
    return rows


def label(cell: object) -> str:
    return re.sub(r"\s+", "", str(cell or ""))


def batch_of(sheet: dict[int, tuple[object, object, object]], row: int) -> int | None:
    """The year of the nearest batch heading above `row`."""
    for r in range(row, 0, -1):
        m = BATCH_HEADING.search(str(sheet[r][0] or ""))
        if m:
            return int(m.group(1))
    return None


def test_every_county_locator_names_the_county_in_that_cell(sheet) -> None:
    counties = load("counties")
    assert len(counties) == 832
    wrong = []
    for c in counties:
        m = NAME_LOCATOR.match(c["source_locator"])
        assert m, c["source_locator"]
        row, position = int(m.group(1)), int(m.group(2))
        province, _count, names = sheet.get(row, (None, None, None))
        listed = [n.strip() for n in str(names or "").split("、") if n.strip()]
        ok = (
            0 < position <= len(listed)
            and listed[position - 1] == c["name_as_listed"]
            and c["province_name"].startswith(label(province))
            and batch_of(sheet, row) == int(c["exit_batch_year"])
        )
        if not ok:
            wrong.append((c["county_id"], c["name_as_listed"], row, position))
    assert wrong == []


def test_every_province_count_locator_holds_the_stated_count(sheet) -> None:
    rows = load("exit_batch_provinces")
    assert len(rows) == 80
    wrong = []
    for r in rows:
        m = COUNT_LOCATOR.match(r["source_locator"])
        assert m, r["source_locator"]
        row = int(m.group(1))
        province, count, _names = sheet.get(row, (None, None, None))
        ok = (
            label(province) != ""
            and r["province_name"].startswith(label(province))
            and count == int(r["count_stated"])
            and batch_of(sheet, row) == int(r["batch_year"])
        )
        if not ok:
            wrong.append((r["batch_year"], r["province_name"], row))
    assert wrong == []


def test_every_batch_total_locator_holds_the_total(sheet) -> None:
    rows = load("exit_batches")
    assert len(rows) == 5
    wrong = []
    for r in rows:
        m = TOTAL_LOCATOR.match(r["source_locator"])
        assert m, r["source_locator"]
        row = int(m.group(1))
        first, count, _ = sheet.get(row, (None, None, None))
        ok = (
            label(first) == "合计"
            and count == int(r["counties_exited"])
            and batch_of(sheet, row) == int(r["batch_year"])
        )
        if not ok:
            wrong.append((r["batch_year"], row))
    assert wrong == []


def test_the_sheet_has_the_rows_the_transcription_once_left_out(sheet) -> None:
    # Row 3 is blank and row 44 lists 行唐县 first: the transcription had them one row up.
    assert sheet[3] == (None, None, None)
    assert label(sheet[43][0]) == "合计" and sheet[43][1] == 283
    assert str(sheet[44][2]).startswith("行唐县")
