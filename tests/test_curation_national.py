"""The national tables are reproducible from curation/raw/ and pass basic sanity checks."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "curation" / "build_national.py"
DATA = REPO / "data"
TABLES = [
    "counties",
    "provinces",
    "exit_batches",
    "exit_batch_provinces",
    "rural_poverty",
    "mca_codes_2014",
    "sources",
]
NO_CODE_UNITS = {"冷湖行委", "茫崖行委", "大柴旦行委"}
SEEDS = {
    "000_0c51b0915f9b621d",
    "001_9ed40eef2d8fa05b",
    "002_8cd093aefbb5a1ad",
    "003_4ed3c3f521ce072d",
    "004_82f31e7af244f72f",
}


def load(name: str) -> list[dict[str, str]]:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("national")
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], check=True)
    return out


@pytest.mark.parametrize("name", TABLES)
def test_build_reproduces_committed_file(built: Path, name: str) -> None:
    assert (built / f"{name}.csv").read_bytes() == (DATA / f"{name}.csv").read_bytes()


def test_check_mode_passes_on_committed_data() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


def test_check_mode_fails_on_stale_data(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_national", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, content in module.build().items():
        (tmp_path / name).write_bytes(content)
    assert module.main(["--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "exit_batches.csv").write_bytes(b"stale\n")
    assert module.main(["--check", "--out", str(tmp_path)]) == 1


@pytest.mark.parametrize("name", TABLES)
def test_csv_encoding_and_line_endings(name: str) -> None:
    raw = (DATA / f"{name}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    raw.decode("utf-8")


def test_832_counties_with_unique_ids_and_codes() -> None:
    rows = load("counties")
    assert len(rows) == 832
    assert len({r["county_id"] for r in rows}) == 832
    codes = [r["code"] for r in rows if r["code"]]
    assert len(codes) == len(set(codes)) == 829


def test_batch_sizes() -> None:
    sizes = Counter(r["exit_batch_year"] for r in load("counties"))
    assert sizes == {"2016": 28, "2017": 125, "2018": 283, "2019": 344, "2020": 52}
    batches = {r["batch_year"]: r for r in load("exit_batches")}
    assert {y: int(r["counties_exited"]) for y, r in batches.items()} == {
        y: n for y, n in sizes.items()
    }
    assert [int(batches[y]["remaining"]) for y in sorted(batches)] == [804, 679, 396, 52, 0]


def test_22_provinces_and_counts() -> None:
    provinces = load("provinces")
    counties = load("counties")
    assert len(provinces) == 22
    assert len({r["province_code"] for r in counties}) == 22
    per_province = Counter(r["province_code"] for r in counties)
    assert {r["province_code"]: int(r["county_count"]) for r in provinces} == per_province
    assert sum(int(r["county_count"]) for r in provinces) == 832


def test_code_prefix_is_province_except_documented_no_code_units() -> None:
    for r in load("counties"):
        if r["code"]:
            assert r["code"][:2] == r["province_code"], r
            assert r["county_id"] == r["code"]
        else:
            assert r["name_as_listed"] in NO_CODE_UNITS, r
            assert r["code_note"] and r["change_by_2024"] == "no MCA code"
    assert {r["name_as_listed"] for r in load("counties") if not r["code"]} == NO_CODE_UNITS


def test_codes_and_names_exist_in_2014_list() -> None:
    mca = {(r["code"], r["name"]) for r in load("mca_codes_2014")}
    for r in load("counties"):
        if r["code"]:
            assert (r["code"], r["name"]) in mca, r


def test_known_errors_of_raw_materials_are_corrected() -> None:
    by_listed = {r["name_as_listed"]: r for r in load("counties")}
    assert by_listed["双柏县"]["exit_batch_year"] == "2018"
    assert by_listed["文山市"]["code"] == "532601"
    assert by_listed["临夏市"]["code"] == "622901"
    for unit in NO_CODE_UNITS:
        assert by_listed[unit]["code"] == ""
        assert by_listed[unit]["prefecture_name"] == "海西蒙古族藏族自治州"
    assert by_listed["云州区（大同县）"]["code"] == "140227"
    assert by_listed["云州区（大同县）"]["current_name"] == "云州区"
    assert by_listed["郧阳区"]["code"] == "420304"
    assert by_listed["科右前旗"]["name"] == "科尔沁右翼前旗"
    assert by_listed["宣化区"]["code"] == "130721"


def test_stated_province_batch_counts_equal_names() -> None:
    listed = Counter((r["exit_batch_year"], r["province_code"]) for r in load("counties"))
    stated = {
        (r["batch_year"], r["province_code"]): int(r["count_stated"])
        for r in load("exit_batch_provinces")
    }
    assert stated == dict(listed)


def test_rural_poverty_series() -> None:
    rows = load("rural_poverty")
    assert [int(r["year"]) for r in rows] == list(range(2012, 2021))
    pop = [int(r["poor_population_10k"]) for r in rows]
    inc = [float(r["incidence_pct"]) for r in rows]
    assert all(a > b for a, b in itertools.pairwise(pop))
    assert all(a > b for a, b in itertools.pairwise(inc))
    assert all(0 <= x <= 100 for x in inc)
    assert rows[0]["reduction_10k"] == ""
    for prev, row in itertools.pairwise(rows):
        assert int(row["reduction_10k"]) == int(prev["poor_population_10k"]) - int(
            row["poor_population_10k"]
        )
    assert all(int(r["reduction_10k"]) > 1000 for r in rows if 2014 <= int(r["year"]) <= 2019)
    assert (pop[-1], inc[-1]) == (0, 0.0)
    assert rows[-1]["source_id"] == "003_4ed3c3f521ce072d"


def test_every_source_id_exists_and_seeds_are_listed() -> None:
    ids = {r["source_id"] for r in load("sources")}
    assert SEEDS <= ids
    for name in TABLES[:-1]:
        for r in load(name):
            for col in (
                "source_id",
                "incidence_source_id",
                "reduction_source_id",
                "region_source_id",
            ):
                if r.get(col):
                    assert r[col] in ids, (name, col, r[col])


def test_descriptor_lists_the_national_resources() -> None:
    pkg = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in pkg["resources"]}
    for name in TABLES:
        r = resources[name]
        assert r["path"] == f"data/{name}.csv"
        assert (REPO / r["schema"]).is_file() and (REPO / r["checks"]).is_file()
