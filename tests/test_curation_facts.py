"""Tests for the facts ledger and the Zhejiang tables built by curation/build_facts.py.

They read only files inside the repository (never the seed documents).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
SCHEMAS = REPO / "schemas"

TABLES = ["zhejiang_pairing_provinces", "zhejiang_pairing_categories", "zhejiang_personnel"]
QUALIFIERS = {"exact", "approximately", "more_than", "less_than", "at_least"}
SEED_000 = "000_0c51b0915f9b621d"
SEED_001 = "001_9ed40eef2d8fa05b"
SEED_002 = "002_8cd093aefbb5a1ad"


def load_builder():
    spec = importlib.util.spec_from_file_location(
        "build_facts", REPO / "curation" / "build_facts.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def facts() -> list[dict[str, str]]:
    return read("facts.csv")


@pytest.fixture(scope="module")
def by_id(facts) -> dict[str, dict[str, str]]:
    return {f["fact_id"]: f for f in facts}


# ---------------------------------------------------------------- the build


def test_build_output_equals_committed_files():
    outputs = load_builder().build()
    assert set(outputs) == {"facts.csv"} | {f"{t}.csv" for t in TABLES}
    for name, text in outputs.items():
        assert (DATA / name).read_bytes() == text.encode("utf-8"), (
            f"{name} is stale: run curation/build_facts.py"
        )


def test_check_mode_passes_on_committed_files():
    assert load_builder().main(["--check"]) == 0


def test_check_mode_detects_a_difference(tmp_path):
    builder = load_builder()
    assert builder.main(["--out", str(tmp_path)]) == 0
    (tmp_path / "facts.csv").write_text("changed\n", encoding="utf-8")
    assert builder.main(["--check", "--out", str(tmp_path)]) == 1


def test_outputs_are_utf8_lf_without_bom():
    for name in ["facts.csv"] + [f"{t}.csv" for t in TABLES]:
        raw = (DATA / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in raw
        assert raw.endswith(b"\n")
        raw.decode("utf-8")


def test_ledger_is_every_part_sorted(facts):
    parts = sorted((REPO / "curation" / "facts").glob("*.csv"))
    n = 0
    for part in parts:
        with part.open(encoding="utf-8", newline="") as fh:
            n += sum(1 for _ in csv.DictReader(fh))
    assert len(facts) == n
    ids = [f["fact_id"] for f in facts]
    assert ids == sorted(ids)


# ---------------------------------------------------------------- the ledger


def test_fact_ids_unique_and_well_formed(facts):
    ids = [f["fact_id"] for f in facts]
    assert [i for i, c in Counter(ids).items() if c > 1] == []
    for f in facts:
        assert re.fullmatch(r"[0-9]{3}-[0-9]{3}", f["fact_id"]), f["fact_id"]
        assert f["fact_id"][:3] == f["source_id"][:3], f["fact_id"]


def test_fact_ids_are_numbered_in_sequence_per_source(facts):
    per_source: dict[str, list[int]] = {}
    for f in facts:
        per_source.setdefault(f["source_id"], []).append(int(f["fact_id"][4:]))
    for source, seq in per_source.items():
        assert seq == list(range(1, len(seq) + 1)), source


def test_qualifiers_in_enum(facts):
    assert {f["qualifier"] for f in facts} <= QUALIFIERS
    schema = json.loads((SCHEMAS / "facts.schema.json").read_text(encoding="utf-8"))
    field = next(x for x in schema["fields"] if x["name"] == "qualifier")
    assert set(field["constraints"]["enum"]) == QUALIFIERS


def test_ledger_cells_are_well_formed(facts):
    date = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
    for f in facts:
        fid = f["fact_id"]
        assert re.fullmatch(r".+ ¶[1-9][0-9]*", f["locator"]), fid
        assert re.fullmatch(r"[a-z][a-z0-9_]*", f["indicator"]), fid
        assert re.fullmatch(r"[a-z][a-z0-9_]*", f["unit"]), fid
        assert f["period_end"] == "" or date.fullmatch(f["period_end"]), fid
        assert f["period_start"] == "" or date.fullmatch(f["period_start"]), fid
        assert f["period_end"] == "" or f["period_start"][:4] <= f["period_end"][:4], fid
        assert Decimal(f["value"]) >= 0, fid
        assert f["as_written"].strip() and f["indicator_zh"].strip() and f["region"].strip(), fid


def test_sources_exist(facts):
    path = DATA / "sources.csv"
    if not path.exists():
        pytest.skip("data/sources.csv not built yet")
    known = {r["source_id"] for r in read("sources.csv")}
    assert {f["source_id"] for f in facts} <= known


def test_statements_of_the_same_key_agree(facts):
    key_cols = ["indicator", "region", "giver", "receiver", "period_start", "period_end", "unit"]
    seen: dict[tuple, tuple[str, Decimal]] = {}
    for f in facts:
        key = tuple(f[c] for c in key_cols)
        value = Decimal(f["value"])
        if key in seen:
            assert seen[key][1] == value, f"{f['fact_id']} disagrees with {seen[key][0]}"
        else:
            seen[key] = (f["fact_id"], value)


def test_stated_ratio_uses_the_source_rounding(by_id):
    done, total, rate = by_id["002-054"], by_id["002-053"], by_id["002-055"]
    assert (done["indicator"], total["indicator"]) == ("aid_projects_completed", "aid_projects")
    assert round(100 * Decimal(done["value"]) / Decimal(total["value"]), 1) == Decimal(
        rate["value"]
    )


# ---------------------------------------------------------------- structured tables


@pytest.mark.parametrize("table", TABLES)
def test_structured_rows_cite_existing_facts(table, by_id):
    for row in read(f"{table}.csv"):
        fact = by_id.get(row["fact_id"])
        assert fact is not None, row["fact_id"]
        assert fact["source_id"] == row["source_id"]
        if row.get("deep_poverty_fact_id"):
            assert row["deep_poverty_fact_id"] in by_id


@pytest.mark.parametrize("table", TABLES)
def test_structured_header_matches_schema(table):
    schema = json.loads((SCHEMAS / f"{table}.schema.json").read_text(encoding="utf-8"))
    with (DATA / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == [f["name"] for f in schema["fields"]]


def test_pairing_by_province_adds_up_to_80():
    rows = [r for r in read("zhejiang_pairing_provinces.csv") if r["source_id"] == SEED_001]
    parts = {r["receiver"]: int(r["paired_counties"]) for r in rows if r["is_total"] == "false"}
    assert parts == {"贵州省": 24, "吉林省": 8, "湖北省": 8, "四川省": 40}
    totals = [int(r["paired_counties"]) for r in rows if r["is_total"] == "true"]
    assert totals == [80] == [sum(parts.values())]


def test_pairing_by_category_adds_up_to_80():
    rows = read("zhejiang_pairing_categories.csv")
    for source in (SEED_000, SEED_001):
        mine = {r["category"]: r for r in rows if r["source_id"] == source}
        parts = [
            int(mine[c]["counties"])
            for c in ("national_poverty_county", "provincial_poverty_county", "non_poor_county")
        ]
        assert parts == [72, 3, 5]
        assert int(mine["all"]["counties"]) == sum(parts) == 80
    deep = {
        r["category"]: int(r["deep_poverty_counties"])
        for r in rows
        if r["source_id"] == SEED_001 and r["deep_poverty_counties"]
    }
    assert deep == {"national_poverty_county": 25, "provincial_poverty_county": 2}


def test_personnel_identity_and_qualifiers():
    rows = read("zhejiang_personnel.csv")
    s000 = {r["category"]: int(r["persons"]) for r in rows if r["source_id"] == SEED_000}
    assert s000 == {"cadres": 244, "specialists": 9402, "all": 9646}
    assert s000["cadres"] + s000["specialists"] == s000["all"]
    s002 = {
        (r["category"], r["receiver"]): (int(r["persons"]), r["qualifier"], r["period_start"])
        for r in rows
        if r["source_id"] == SEED_002
    }
    assert s002[("cadres", "对口帮扶地区")] == (400, "more_than", "2018")
    assert s002[("specialists", "对口帮扶地区")] == (7000, "more_than", "2018")
    assert {r["qualifier"] for r in rows} <= QUALIFIERS


def test_declared_checks_are_well_formed():
    ids = []
    for name in ["facts", *TABLES]:
        checks = json.loads((SCHEMAS / f"{name}.checks.json").read_text(encoding="utf-8"))
        for check in checks:
            assert {"id", "type", "message"} <= set(check), check
            assert check.get("severity", "error") in {"error", "warning"}
            ids.append(check["id"])
    assert len(ids) == len(set(ids))


def test_descriptor_lists_the_resources():
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    for name in ["facts", *TABLES]:
        r = resources[name]
        assert r["path"] == f"data/{name}.csv"
        assert r["schema"] == f"schemas/{name}.schema.json"
        assert r["checks"] == f"schemas/{name}.checks.json"
        assert (REPO / r["path"]).is_file() and (REPO / r["schema"]).is_file()


# ---------------------------------------------------------------- judgement calls (issue #19)


def test_an_undated_period_end_is_explained(facts):
    """period_end is empty only for a figure the text does not date and that cannot carry the
    document's date (the starting value of a stated change), and the note says so."""
    empty = [f for f in facts if f["period_end"] == ""]
    assert [f["fact_id"] for f in empty] == ["004-046"]
    assert all("period_end is left empty" in f["note"] for f in empty)


def test_thresholds_are_exact_definitions(facts):
    """A threshold defining a counted category (超过10万人的省份) is the exact threshold; the
    'more than' belongs to the units counted, not to the threshold."""
    thresholds = [f for f in facts if f["indicator"].startswith("threshold_")]
    assert {f["fact_id"] for f in thresholds} == {"003-017", "003-019", "003-021", "003-023"}
    assert {f["qualifier"] for f in thresholds} == {"exact"}


def test_yearly_floor_covers_only_years_that_exceed_it(facts):
    """000-009 ('1000万人以上' every year) spans exactly the years whose reduction exceeds it."""
    fact = next(f for f in facts if f["fact_id"] == "000-009")
    floor = Decimal(fact["value"])
    years = range(int(fact["period_start"]), int(fact["period_end"]) + 1)
    reductions = {
        int(r["year"]): Decimal(r["reduction_10k"]) * 10_000
        for r in read("rural_poverty.csv")
        if r["reduction_10k"]
    }
    assert all(reductions[y] > floor for y in years)
    assert reductions[int(fact["period_end"]) + 1] <= floor


def test_figures_in_chinese_numerals_have_rows(facts):
    """Standalone figures written in Chinese numerals are rows; those that only date or split
    another figure of the same sentence live in that row's period and note (docs/facts.md)."""
    written = {f["as_written"]: f for f in facts}
    assert Decimal(written["半年"]["value"]) == Decimal("0.5")
    assert written["半年"]["unit"] == "years"
    assert Decimal(written["五级"]["value"]) == 5
    dated_by_duration = {"004-060": "三年来", "004-005": "seven days", "004-050": "three years"}
    for fid, words in dated_by_duration.items():
        assert words in next(f["note"] for f in facts if f["fact_id"] == fid), fid
