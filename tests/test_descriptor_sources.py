"""The descriptor says where every resource's values come from, in Data Package v2 form."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DESCRIPTOR = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
SEED = re.compile(r"^\d{3}_[0-9a-f]{16}$")
CLAIMED_SEED = re.compile(r"(\d{3}_[0-9a-f]{16})#")


def sources_table() -> dict[str, dict[str, str]]:
    with (REPO / "data" / "sources.csv").open(encoding="utf-8", newline="") as fh:
        return {r["source_id"]: r for r in csv.DictReader(fh)}


def cited_in_rows(resource: dict[str, Any]) -> set[str]:
    """Source ids named in the resource's `source_id` and `*_source_id` columns."""
    cited: set[str] = set()
    with (REPO / resource["path"]).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for name, value in row.items():
                if value and (name == "source_id" or name.endswith("_source_id")):
                    cited.add(value)
    return cited


def ids_in(entries: list[dict[str, Any]]) -> set[str]:
    """The source ids an entry list names, by the `[id]` / `[seed id]` tag of each title."""
    return {
        m.group(1)
        for e in entries
        for m in [re.search(r"\[(?:seed )?([^\]]+)\]$", e["title"])]
        if m
    }


def test_descriptor_declares_data_package_v2() -> None:
    assert DESCRIPTOR["$schema"] == V2
    for resource in DESCRIPTOR["resources"]:
        assert resource.get("type") == "table", resource["name"]


def check_entries(entries: Any, where: str) -> None:
    assert isinstance(entries, list) and entries, f"{where}: no sources"
    for e in entries:
        assert isinstance(e.get("title"), str) and e["title"].strip(), (where, e)
        assert isinstance(e.get("path"), str) and e["path"].strip(), (where, e)


def test_package_lists_every_source_with_a_title_and_a_path() -> None:
    check_entries(DESCRIPTOR.get("sources"), "package")
    table = sources_table()
    listed = ids_in(DESCRIPTOR["sources"])
    # Every source that a value cites is listed, the five seeds included.
    # (The sources table's own source_id column is its key, not a citation.)
    cited = set().union(
        *(cited_in_rows(r) for r in DESCRIPTOR["resources"] if r["name"] != "sources")
    )
    assert cited <= listed
    assert {s for s in table if SEED.match(s)} <= listed
    for e in DESCRIPTOR["sources"]:
        sid = ids_in([e]).pop()
        url = table[sid]["url"]
        if url:
            assert e["path"] == url, sid
        elif SEED.match(sid):
            assert e["path"] == f"{sid}.txt", sid


@pytest.mark.parametrize("resource", DESCRIPTOR["resources"], ids=lambda r: r["name"])
def test_every_resource_lists_the_sources_its_rows_and_claims_cite(resource: dict) -> None:
    check_entries(resource.get("sources"), resource["name"])
    cited = cited_in_rows(resource)
    checks = resource.get("checks")
    if isinstance(checks, str):
        for c in json.loads((REPO / checks).read_text(encoding="utf-8")):
            cited |= set(CLAIMED_SEED.findall(str(c.get("claim", ""))))
    if resource["name"] == "sources":
        cited = {
            s for s, r in sources_table().items() if r["url"] or SEED.match(s) or s == "curator"
        }
    missing = cited - ids_in(resource["sources"])
    assert missing == set()


def test_no_value_is_cited_to_a_source_no_supplied_file_holds() -> None:
    # The region scheme is named in the sources table, but region values are the curator's.
    provinces = next(r for r in DESCRIPTOR["resources"] if r["name"] == "provinces")
    assert "nbs-regions-2011" not in cited_in_rows(provinces)
    assert "nbs-regions-2011" not in ids_in(DESCRIPTOR["sources"])
    assert sources_table()["nbs-regions-2011"]["date"] == ""


def test_package_readme_is_declared_and_matches_the_tables() -> None:
    """The data package's README (not the repository's) is declared, names every resource and
    gives each one's current row count."""
    readme = REPO / DESCRIPTOR["readme"]
    assert readme.is_file() and readme.parent != REPO
    text = readme.read_text(encoding="utf-8")
    rows = {
        m.group(1): int(m.group(2)) for m in re.finditer(r"^\| `(\w+)` \| (\d+) \|", text, re.M)
    }
    expected = {}
    for resource in DESCRIPTOR["resources"]:
        with (REPO / resource["path"]).open(encoding="utf-8", newline="") as fh:
            expected[resource["name"]] = sum(1 for _ in csv.DictReader(fh))
    assert rows == expected
