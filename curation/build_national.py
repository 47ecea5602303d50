"""Rebuild the national tables in data/ from the vendored raw inputs in curation/raw/.

Usage:
    python curation/build_national.py            # write the tables into data/
    python curation/build_national.py --check    # exit 1 if data/ differs from a fresh build
    python curation/build_national.py --out DIR  # write the tables into DIR instead

Standard library only. The output is deterministic: the same inputs give byte-identical files
(UTF-8 without BOM, LF line endings, header row).

Inputs (all under curation/):
    raw/exit-lists/exit_lists_sheet_verbatim.csv   the official exit lists, cell for cell
    raw/areacodes/2014.txt, 2024.txt, result.csv   MCA code lists and code history (CC0)
    raw/national-rural-poverty/rural_poverty_2012_2019_with_citations.csv
    name_mapping_2014.csv    listed names that do not match a 2014 MCA name directly
    no_code_units.csv        listed units that have no MCA code (Qinghai's 行委)
    provinces_meta.csv       English province names and regions (the curator's own)
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW = HERE / "raw"
REPO = HERE.parent
DATA = REPO / "data"

TOTAL_COUNTIES = 832
BATCH_YEARS = (2016, 2017, 2018, 2019, 2020)

SRC_EXIT = "exit-lists-832"
SRC_CODES = "yescallop-areacodes"
SRC_CURATOR = "curator"
SRC_REGIONS = "nbs-regions-2011"
SEED_000 = "000_0c51b0915f9b621d"
SEED_003 = "003_4ed3c3f521ce072d"

SHEET = "原始名单"


# ---------------------------------------------------------------- reading helpers


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a CSV file (a BOM, if any, is dropped) into a list of dicts."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_code_list(path: Path) -> dict[str, str]:
    """Read a 'code name' list (one unit a line) into {code: name}."""
    codes: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            code, name = line.split(" ", 1)
            codes[code] = name.strip()
    return codes


def is_county_level(code: str) -> bool:
    """County-level codes do not end in 00 (province and prefecture codes do)."""
    return not code.endswith("00")


# ---------------------------------------------------------------- exit lists


def parse_exit_sheet(path: Path) -> tuple[list[dict], dict[int, dict], list[int]]:
    """Parse the verbatim sheet into one record per listed name, the per-batch totals and the
    rows whose list ends in a stray "、".

    Normalises what the sheet writes inconsistently: province names padded with spaces
    ("河  北", "山  西 ") and trailing "、" after the last name of a row. Row numbers are the
    spreadsheet's own (`sheet_row`).
    """
    names: list[dict] = []
    totals: dict[int, dict] = {}
    trailing: list[int] = []
    year: int | None = None
    with path.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            row = int(rec["sheet_row"])
            a, b, c = rec["A"], rec["B"], rec["C"]
            m = re.search(r"(\d{4})年.*名单", a)
            if m:
                year = int(m.group(1))
                continue
            label = re.sub(r"\s+", "", a)
            if year is None or not label or label == "省份" or label.startswith("注"):
                continue
            if label == "合计":
                totals[year] = {"count": int(b), "row": row}
                continue
            listed = [n.strip() for n in c.split("、") if n.strip()]
            if c.rstrip().endswith("、"):
                trailing.append(row)
            stated = int(b)
            if len(listed) != stated:
                raise SystemExit(f"sheet row {row}: {len(listed)} names but {stated} stated")
            for i, name in enumerate(listed, 1):
                names.append(
                    {
                        "year": year,
                        "province_short": label,
                        "name": name,
                        "position": i,
                        "stated": stated,
                        "row": row,
                    }
                )
    return names, totals, trailing


# ---------------------------------------------------------------- code history


class CodeHistory:
    """The MCA code lists of 2014 and 2024 plus the change history of result.csv."""

    def __init__(self, raw: Path) -> None:
        self.y2014 = read_code_list(raw / "areacodes" / "2014.txt")
        self.y2024 = read_code_list(raw / "areacodes" / "2024.txt")
        self.history = read_csv(raw / "areacodes" / "result.csv")
        self.provinces = {c[:2]: n for c, n in self.y2014.items() if c.endswith("0000")}
        self.choices = {
            (r["code_2014"], r["name_2014"]): r for r in read_csv(HERE / "successor_choices.csv")
        }

    def province_code(self, short: str) -> str:
        """The 2-digit code of the province whose 2014 name starts with `short`."""
        hits = [c for c, n in self.provinces.items() if n.startswith(short)]
        if len(hits) != 1:
            raise SystemExit(f"province {short!r} matches {hits}")
        return hits[0]

    def prefecture_2014(self, code: str) -> str:
        """Prefecture name of a 2014 county code; empty if the province administers it directly."""
        pref = code[:4] + "00"
        if pref != code[:2] + "0000" and pref in self.y2014:
            return self.y2014[pref]
        return ""

    def current(self, code: str, name: str) -> tuple[str, str]:
        """Follow the code history from an end-2014 (code, name) to the unit in force in 2024.

        At each step the record of `code` valid at time t is taken (first used <= t < retired);
        a retired or changed record leads to its single successor code, from the year of the
        change on. Successors written with a [year] are earlier partial transfers and skipped.
        """
        if (code, name) in self.choices:
            # A split unit: the successor is an explicit, documented choice.
            choice = self.choices[(code, name)]
            code, name = choice["successor_code"], choice["successor_name"]
            if self.y2024.get(code) != name:
                raise SystemExit(f"successor choice {code} {name} is not in the 2024 list")
            return code, name
        year, steps = 2014, 0
        while True:
            rows = [
                r
                for r in self.history
                if r["代码"] == code
                and int(r["启用时间"]) <= year
                and (not r["变更/弃用时间"] or int(r["变更/弃用时间"]) > year)
                and (steps or r["名称"] == name)
            ]
            if len(rows) != 1:
                raise SystemExit(f"{code} {name}: {len(rows)} records valid in {year}")
            rec = rows[0]
            if rec["状态"] == "在用":
                break
            successors = [s for s in rec["新代码"].split(";") if s and "[" not in s]
            if len(successors) != 1:
                raise SystemExit(f"{code} {name}: ambiguous successors {rec['新代码']}")
            code, year, steps = successors[0], int(rec["变更/弃用时间"]), steps + 1
        if self.y2024.get(code) != rec["名称"]:
            raise SystemExit(f"{code} {rec['名称']}: not in the 2024 list under that name")
        return code, rec["名称"]


# ---------------------------------------------------------------- tables


def build_counties(names: list[dict], hist: CodeHistory) -> list[dict]:
    """One row per listed county, matched to its end-2014 MCA code."""
    mapping = {
        (r["province_short"], r["name_as_listed"]): r
        for r in read_csv(HERE / "name_mapping_2014.csv")
    }
    no_code = {
        (r["province_short"], r["name_as_listed"]): r for r in read_csv(HERE / "no_code_units.csv")
    }
    used_mapping: set[tuple[str, str]] = set()
    rows = []
    for n in names:
        key = (n["province_short"], n["name"])
        pcode = hist.province_code(n["province_short"])
        direct = [
            c
            for c, nm in hist.y2014.items()
            if c[:2] == pcode and is_county_level(c) and nm == n["name"]
        ]
        code = name = current_code = current_name = note = ""
        change = ""
        prefecture = ""
        if key in no_code:
            if direct or key in mapping:
                raise SystemExit(f"{key}: listed as a no-code unit but a code exists")
            u = no_code[key]
            county_id, prefecture, note = u["county_id"], u["prefecture_name"], u["code_note"]
            method, change = "no MCA code", "no MCA code"
        else:
            if key in mapping:
                m = mapping[key]
                if direct and m["kind"] != "merged successor":
                    raise SystemExit(f"{key}: in the mapping table but matches directly")
                used_mapping.add(key)
                code, method = m["code_2014"], "mapped: " + m["kind"]
                note = m["reason"]
            elif len(direct) == 1:
                code, method = direct[0], "direct"
            else:
                raise SystemExit(f"{key}: {len(direct)} direct matches and no mapping entry")
            if hist.y2014.get(code) is None or code[:2] != pcode:
                raise SystemExit(f"{key}: code {code} not valid for province {pcode} in 2014")
            name = hist.y2014[code]
            county_id = code
            prefecture = hist.prefecture_2014(code)
            cur_code, cur_name = hist.current(code, name)
            choice = hist.choices.get((code, name))
            if choice:
                note = (note + " " if note else "") + "Current unit: " + choice["reason"]
            if (cur_code, cur_name) == (code, name):
                change = "unchanged"
            else:
                current_code, current_name = cur_code, cur_name
                change = {
                    (True, False): "code changed",
                    (False, True): "name changed",
                    (True, True): "code and name changed",
                }[(cur_code != code, cur_name != name)]
        rows.append(
            {
                "county_id": county_id,
                "code": code,
                "name": name,
                "name_as_listed": n["name"],
                "province_code": pcode,
                "province_name": hist.provinces[pcode],
                "prefecture_name": prefecture,
                "exit_batch_year": n["year"],
                "current_code": current_code,
                "current_name": current_name,
                "change_by_2024": change,
                "match_method": method,
                "code_note": note,
                "source_id": SRC_EXIT,
                "source_locator": f"sheet {SHEET} row {n['row']}, name {n['position']}",
            }
        )
    unused = set(mapping) - used_mapping
    if unused:
        raise SystemExit(f"mapping entries not used: {sorted(unused)}")
    ids = Counter(r["county_id"] for r in rows)
    dup = [k for k, v in ids.items() if v > 1]
    if dup:
        raise SystemExit(f"county listed more than once: {dup}")
    if len(rows) != TOTAL_COUNTIES:
        raise SystemExit(f"{len(rows)} counties, expected {TOTAL_COUNTIES}")
    return sorted(rows, key=lambda r: r["county_id"])


def build_provinces(counties: list[dict], names: list[dict], hist: CodeHistory) -> list[dict]:
    """The 22 provinces with their number of listed counties."""
    meta = {r["province_short"]: r for r in read_csv(HERE / "provinces_meta.csv")}
    per_province = Counter(r["province_code"] for r in counties)
    stated: dict[str, int] = defaultdict(int)
    for (_year, short), stated_count in {
        (n["year"], n["province_short"]): n["stated"] for n in names
    }.items():
        stated[hist.province_code(short)] += stated_count
    rows = []
    for short, m in meta.items():
        pcode = hist.province_code(short)
        if stated[pcode] != per_province[pcode]:
            raise SystemExit(f"{short}: stated {stated[pcode]} vs listed {per_province[pcode]}")
        rows.append(
            {
                "province_code": pcode,
                "name_zh": hist.provinces[pcode],
                "short_name_zh": short,
                "name_en": m["name_en"],
                "region": m["region"],
                "county_count": per_province[pcode],
                "source_id": SRC_EXIT,
                "region_source_id": SRC_CURATOR,
            }
        )
    if set(per_province) != {r["province_code"] for r in rows}:
        raise SystemExit("provinces in the lists and in provinces_meta.csv differ")
    return sorted(rows, key=lambda r: r["province_code"])


def build_exit_batches(names: list[dict], totals: dict[int, dict]) -> list[dict]:
    """One row per batch with the stated total, running total and remainder."""
    listed = Counter(n["year"] for n in names)
    rows, cumulative = [], 0
    for year in BATCH_YEARS:
        count = totals[year]["count"]
        if listed[year] != count:
            raise SystemExit(f"batch {year}: {listed[year]} names, {count} stated")
        cumulative += count
        rows.append(
            {
                "batch_year": year,
                "counties_exited": count,
                "cumulative": cumulative,
                "remaining": TOTAL_COUNTIES - cumulative,
                "source_id": SRC_EXIT,
                "source_locator": f"sheet {SHEET} row {totals[year]['row']} (合计)",
            }
        )
    return rows


def build_exit_batch_provinces(names: list[dict], hist: CodeHistory) -> list[dict]:
    """Per batch and province, the count stated in the official list."""
    seen: dict[tuple[int, str], dict] = {}
    for n in names:
        seen.setdefault((n["year"], n["province_short"]), n)
    rows = []
    for (year, short), n in seen.items():
        pcode = hist.province_code(short)
        rows.append(
            {
                "batch_year": year,
                "province_code": pcode,
                "province_name": hist.provinces[pcode],
                "count_stated": n["stated"],
                "source_id": SRC_EXIT,
                "source_locator": f"sheet {SHEET} row {n['row']}, column B",
            }
        )
    return sorted(rows, key=lambda r: (r["batch_year"], r["province_code"]))


def build_mca_codes_2014(hist: CodeHistory) -> list[dict]:
    """The county-level units of the end-2014 MCA list."""
    rows = []
    for code, name in sorted(hist.y2014.items()):
        if not is_county_level(code):
            continue
        rows.append(
            {
                "code": code,
                "name": name,
                "province_code": code[:2],
                "province_name": hist.provinces[code[:2]],
                "prefecture_name": hist.prefecture_2014(code),
                "source_id": SRC_CODES,
            }
        )
    return rows


# Per year: (population source, incidence source, reduction source) and a note.
RURAL_SOURCES = {
    2012: (
        "nbs-2020-01-23",
        "nbs-2020-01-23",
        "",
        "Base year of the series; both figures also appear in seed 000.",
    ),
    2013: (
        "nbs-70yr-report-15",
        "nbs-2013-rural-poverty",
        "nbs-70yr-report-15",
        "Population derived as 9899 (end-2012, nbs-2020-01-23) minus the stated 2013 "
        "reduction of 1650.",
    ),
    2014: ("nbs-2014-rural-poverty", "nbs-2014-rural-poverty", "nbs-70yr-report-15", ""),
    2015: ("nbs-2015-communique", "nbs-2015-communique", "nbs-70yr-report-15", ""),
    2016: ("nbs-2016-report", "nbs-2016-report", "nbs-70yr-report-15", ""),
    2017: ("nbs-2017-rural-poverty", "nbs-2017-rural-poverty", "nbs-70yr-report-15", ""),
    2018: ("nbs-2018-rural-poverty", "nbs-2018-rural-poverty", "nbs-70yr-report-15", ""),
    2019: ("nbs-2020-01-23", "nbs-2020-01-23", "nbs-2020-01-23", ""),
}
# Reductions stated in the sources (万人); the others are derived from the levels.
RURAL_REDUCTIONS_STATED = {
    2013: 1650,
    2014: 1232,
    2015: 1442,
    2016: 1240,
    2017: 1289,
    2018: 1386,
    2019: 1109,
}
RURAL_2020_LOCATOR = "确定脱贫攻坚主战场 ¶6"


def build_rural_poverty(raw: Path) -> list[dict]:
    """National rural poor population and incidence, year-end 2012-2020."""
    src = read_csv(raw / "national-rural-poverty" / "rural_poverty_2012_2019_with_citations.csv")
    levels = []
    for r in src:
        year = int(r["year_end"])
        levels.append(
            {
                "year": year,
                "pop": int(r["rural_poor_population_10k_persons"]),
                "inc": r["poverty_incidence_pct"],
                "pop_status": "derived"
                if r["population_status"].startswith("derived")
                else "stated",
                "inc_status": "derived"
                if r["incidence_status"].startswith("derived")
                else "stated",
            }
        )
    levels.append(
        {"year": 2020, "pop": 0, "inc": "0.0", "pop_status": "derived", "inc_status": "derived"}
    )
    rows, prev = [], None
    for lv in sorted(levels, key=lambda x: x["year"]):
        year = lv["year"]
        if year == 2020:
            pop_src = inc_src = red_src = SEED_003
            note = (
                f"The source states that all rural poor under the current line had left "
                f"poverty by the end of 2020 ({SEED_003}, {RURAL_2020_LOCATOR}); "
                f"population and incidence are therefore 0."
            )
        else:
            pop_src, inc_src, red_src, note = RURAL_SOURCES[year]
        reduction: int | str = ""
        red_status = ""
        if prev is not None:
            reduction = prev - lv["pop"]
            stated = RURAL_REDUCTIONS_STATED.get(year)
            if stated is not None and stated != reduction:
                raise SystemExit(f"{year}: stated reduction {stated} != difference {reduction}")
            red_status = "stated" if stated is not None else "derived"
        else:
            red_src = ""
        rows.append(
            {
                "year": year,
                "poor_population_10k": lv["pop"],
                "incidence_pct": lv["inc"],
                "reduction_10k": reduction,
                "population_status": lv["pop_status"],
                "incidence_status": lv["inc_status"],
                "reduction_status": red_status,
                "source_id": pop_src,
                "incidence_source_id": inc_src,
                "reduction_source_id": red_src,
                "note": note,
            }
        )
        prev = lv["pop"]
    return rows


# ---------------------------------------------------------------- sources

SEED_LICENCE = (
    "none stated (copyrighted text); only facts and figures are taken, no prose is reproduced"
)
SEED_CITED = (
    "Cited by file stem and locator (<heading> ¶N, N = the Nth non-blank line of the file). "
    "No URL: the outlet is named, but no supplied file gives the page's web address."
)
NBS_LICENCE = "official statistics (facts); the reprint's own text is not reproduced"


def build_sources(counties: list[dict], trailing: list[int]) -> list[dict]:
    """Every source the national tables (and the facts table) cite."""
    kinds = Counter(r["match_method"] for r in counties)
    renamed = sorted(
        f"{r['name']}→{r['current_name'] or r['name']}({r['current_code'] or r['code']})"
        for r in counties
        if r["change_by_2024"] not in ("unchanged", "no MCA code")
    )
    mapped = sorted(
        {
            r["name_as_listed"] + "→" + r["name"]
            for r in counties
            if r["match_method"].startswith("mapped")
        }
    )
    exit_notes = (
        "Corrections and normalisations made while curating: "
        "province labels written with padding spaces (e.g. '河  北', '山  西 ', '吉  林 ') "
        "are normalised and replaced by the 2-digit province code; "
        "the empty item after a trailing '、' (rows "
        + ", ".join(str(r) for r in trailing)
        + ") is dropped and not counted; "
        f"{kinds['direct']} listed names match an end-2014 MCA name in the same province "
        f"directly; {sum(v for k, v in kinds.items() if k.startswith('mapped'))} names are "
        "matched through the explicit table curation/name_mapping_2014.csv ("
        + "; ".join(
            f"{k.removeprefix('mapped: ')} {v}"
            for k, v in sorted(kinds.items())
            if k.startswith("mapped")
        )
        + "): "
        + ", ".join(mapped)
        + "; "
        "two names are misspelt in the list (镇宁布衣族苗族自治县, 鄂伦春自治区旗), "
        "积石山保安族东乡族撒拉族县 drops 自治, and three names carry a wrong suffix "
        "(海伦县 and 涟源县 are cities, 隆阳县 is 隆阳区); "
        "the three 行委 of Qinghai's 海西州 (冷湖, 茫崖, 大柴旦) have no MCA code: their code "
        "and 2014 name are left empty (the listed name is kept in name_as_listed) and they "
        "carry placeholder ids 6328X1-6328X3; "
        "宣化区 is matched to the 2014 poverty county 宣化县 (130721, merged into 宣化区 in "
        "2016), not to the same-named 2014 urban district 130705; "
        "双柏县 is kept in the 2018 batch as the list states; every county appears in exactly "
        "one batch. "
        "Checked against an unlicensed derived 832-county table (Clebeech/ds_project "
        "data/poverty_county_list.csv; not used as a source and not redistributed); its "
        "disagreements were resolved from the official lists and the MCA codes: it puts "
        "双柏县 in 2019 (batch counts 282/345 instead of 283/344); it codes 文山市 532600 and "
        "临夏市 622900 (prefecture codes), 冷湖行委 630104 (a 西宁 district, with prefecture "
        "西宁市), 大柴旦行委 632825 (not in the MCA lists) and 茫崖行委 632803 (the code of "
        "茫崖市, which exists only from 2018); it mixes code vintages and writes older or "
        "abbreviated names (南康市, 郧县, 平坝县, 万山特区, 香格里拉县, 玉树县, 乐都县, 湄潭, "
        "积石山自治县) where the end-2014 list has 南康区, 郧阳区, 平坝区, 万山区, 香格里拉市, "
        "玉树市, 乐都区, 湄潭县 and 积石山保安族东乡族撒拉族自治县. "
        "Per-province and per-batch counts stated in column B equal the names listed. "
        "The 2016 batch is labelled by assessment year; seed 003 says it was announced in 2017."
    )
    codes_notes = (
        "Vendored unchanged into curation/raw/areacodes/ (2014.txt, 2024.txt, result.csv). "
        "Codes in data/counties.csv are those in force at the end of 2014 (not later codes "
        "beside 2014 names); prefecture codes are never used as county codes (文山市 is 532601 "
        "and 临夏市 622901, not the prefectures' 532600/622900); no code is invented for "
        "the 行委 units. Current codes and names follow the history in result.csv to the 2024 "
        f"list; {len(renamed)} counties changed code or name by 2024: " + ", ".join(renamed) + "."
    )
    rows = [
        {
            "source_id": SEED_000,
            "title": "脱贫攻坚数字说 (newspaper page)",
            "publisher": "Zhejiang newspaper (title of the paper not given in the text)",
            "date": "2020-11",
            "url": "",
            "licence": SEED_LICENCE,
            "usage": "Seed document: national milestones (832 counties in 22 provinces, 2012 and "
            "2019 poverty levels, the claim of more than 10 million fewer poor each year "
            "from 2014) and Zhejiang's cooperation figures.",
            "notes": "Partly garbled (the timeline repeats its years). " + SEED_CITED,
        },
        {
            "source_id": "001_9ed40eef2d8fa05b",
            "title": "浙江省扶贫开发与东西部扶贫协作 (provincial exhibition text)",
            "publisher": "Zhejiang provincial exhibition (issuer not named in the text)",
            "date": "2019/2020",
            "url": "",
            "licence": SEED_LICENCE,
            "usage": "Seed document: Zhejiang's own poverty figures and its pairing with 80 "
            "counties in four provinces.",
            "notes": SEED_CITED,
        },
        {
            "source_id": "002_8cd093aefbb5a1ad",
            "title": "助脱贫攻坚完美收官 浙江对口帮扶4省80个贫困县全部脱贫摘帽",
            "publisher": "凤凰网浙江 (ifeng.com Zhejiang)",
            "date": "2020",
            "url": "",
            "licence": SEED_LICENCE,
            "usage": "Seed document: all 80 paired counties exited; figures for Guizhou, "
            "Sichuan, Hubei and Jilin.",
            "notes": SEED_CITED,
        },
        {
            "source_id": SEED_003,
            "title": "832个贫困县全部脱贫摘帽",
            "publisher": "经济日报 (Economic Daily)",
            "date": "2021",
            "url": "",
            "licence": SEED_LICENCE,
            "usage": "Seed document: batch sizes 28/125/283 and the 52 counties left in 2020; "
            "the statement that all rural poor left poverty by end-2020, used for the "
            "2020 row of rural_poverty (确定脱贫攻坚主战场 ¶6).",
            "notes": SEED_CITED,
        },
        {
            "source_id": "004_82f31e7af244f72f",
            "title": "大山深处有大爱——杭州市黔东南州扶贫协作纪实",
            "publisher": "unknown (report on Hangzhou's aid to Qiandongnan)",
            "date": "2020",
            "url": "",
            "licence": SEED_LICENCE,
            "usage": "Seed document: Hangzhou's cooperation with Qiandongnan prefecture.",
            "notes": "Opening paragraphs are cut. " + SEED_CITED,
        },
        {
            "source_id": SRC_EXIT,
            "title": "832个国家贫困县历年摘帽名单",
            "publisher": "transcription of the yearly exit announcements (State Council Leading "
            "Group Office of Poverty Alleviation and Development and provincial "
            "governments); spreadsheet from github.com/Clebeech/ds_project, commit "
            "58576a288dbf44ce0b6d8ecc4a5278e69df88320, sheet 原始名单",
            "date": "2016/2020",
            "url": "https://github.com/Clebeech/ds_project/tree/"
            "58576a288dbf44ce0b6d8ecc4a5278e69df88320",
            "licence": "none stated; the content is a list of facts from government announcements",
            "usage": "Which counties exited in which batch, the stated count per province and "
            "batch, and the batch totals; basis of counties, provinces, exit_batches "
            "and exit_batch_provinces. Vendored as curation/raw/exit-lists/"
            "exit_lists_sheet_verbatim.csv.",
            "notes": exit_notes,
        },
        {
            "source_id": SRC_CODES,
            "title": "areacodes: PRC administrative division codes 1981-2024 (民政部 code lists "
            "and change notices)",
            "publisher": "yescallop/areacodes (compiled from Ministry of Civil Affairs "
            "publications)",
            "date": "2024",
            "url": "https://github.com/yescallop/areacodes/tree/"
            "eed219a0678d36bacaa717f62443b10e869f0291",
            "licence": "CC0-1.0",
            "usage": "The end-2014 county-level code list (vendored as data/mca_codes_2014.csv) "
            "against which every county code and name is checked, and the code "
            "history used to give each county's 2024 code and name.",
            "notes": codes_notes,
        },
        {
            "source_id": SRC_CURATOR,
            "title": "整理者自定 / the curator's own values",
            "publisher": "the curators of this package (curation/provinces_meta.csv)",
            "date": "2026-11-23",
            "url": "",
            "licence": "CC-BY-4.0 (the package's own licence)",
            "usage": "The English name (name_en) and the region (region) of each of the 22 "
            "provinces in provinces: no supplied source holds either, so both are the "
            "curator's, kept in curation/provinces_meta.csv (region_source_id names this "
            "source row by row; name_en has no source column, and every value of it is "
            "the curator's).",
            "notes": "name_en is the usual English (pinyin) name of the province-level unit, "
            "with the customary forms Inner Mongolia, Tibet, Guangxi, Ningxia and Xinjiang "
            "for the autonomous regions. region places each province in the four regions "
            "the National Bureau of Statistics uses (east, central, west, northeast: Jilin "
            "and Heilongjiang are northeast, Hebei and Hainan east) as the curator knows "
            "them; the NBS document that defines them (东西中部和东北地区划分方法) is not among "
            "the supplied sources, so neither it nor its date is cited for any value. The "
            "date is that of the package version that first published these values.",
        },
        {
            "source_id": SRC_REGIONS,
            "title": "东西中部和东北地区划分方法",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "",
            "url": "",
            "licence": "official classification (facts)",
            "usage": "Names the four-region scheme (east, central, west, northeast) that the "
            "curator's region column of provinces follows. Not a supplied source: no value "
            "cites it (region_source_id is curator).",
            "notes": "No supplied file holds this document, its date or its assignment of "
            "provinces, so the date is left empty and the region of each province is "
            "recorded as the curator's own (see the source curator). Kept so that the "
            "scheme the region column follows has a name.",
        },
        {
            "source_id": "nbs-2020-01-23",
            "title": "国家统计局: 2019年全国农村贫困人口 (release of 2020-01-23)",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2020-01-23",
            "url": "http://zylgz.com/guonei/16400.html",
            "licence": NBS_LICENCE,
            "usage": "Rural poor population and incidence at the end of 2012 and 2019, and the "
            "2019 reduction.",
            "notes": "Original NBS page not available offline; accessed through a reprint of "
            "人民日报 2020-01-25.",
        },
        {
            "source_id": "nbs-70yr-report-15",
            "title": "新中国成立70周年经济社会发展成就系列报告之十五",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2019-08-12",
            "url": "https://yhhmip.com/system/2019/08/13/030144108.shtml",
            "licence": NBS_LICENCE,
            "usage": "Yearly reductions of the rural poor 2013-2018; the 2013 reduction (1650) "
            "gives the derived 2013 population 9899 - 1650 = 8249.",
            "notes": "Accessed through a reprint.",
        },
        {
            "source_id": "nbs-2013-rural-poverty",
            "title": "国家统计局: 2013年农村贫困监测结果 (as reported by 经济日报 2014-10-15)",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2014-10-15",
            "url": "http://paper.ce.cn/jjrb/html/2014-10/15/content_218296.htm",
            "licence": NBS_LICENCE,
            "usage": "Rural poverty incidence at the end of 2013 (8.5%).",
            "notes": "Accessed through 经济日报 2014-10-15; the date is the outlet's.",
        },
        {
            "source_id": "nbs-2014-rural-poverty",
            "title": "国家统计局: 2014年农村贫困人口与贫困发生率 (as reported by 新华社 2015-10-16)",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2015-10-16",
            "url": "http://guangzhou.baogaosu.com/xinwen/%E5%86%9C%E6%9D%91%E8%B4%AB%E5%9B%B0"
            "%E4%BA%BA%E5%8F%A3%E5%87%8F%E5%B0%91/39042373",
            "licence": NBS_LICENCE,
            "usage": "Rural poor population (7017万) and incidence (7.2%) at the end of 2014.",
            "notes": "Accessed through a reprint of a 新华社 report citing the NBS website; the "
            "date is the outlet's.",
        },
        {
            "source_id": "nbs-2015-communique",
            "title": "2015年国民经济和社会发展统计公报",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2016-02-29",
            "url": "http://j.people.com.cn/n3/2016/0301/c94475-9023361.html",
            "licence": NBS_LICENCE,
            "usage": "Rural poor population (5575万) and incidence (5.7%) at the end of 2015.",
            "notes": "Accessed through 人民网日本語版 2016-03-01 (Japanese-language report citing "
            "the communiqué).",
        },
        {
            "source_id": "nbs-2016-report",
            "title": "国家统计局: 农村贫困状况报告 (2016 figures; reprint of 2017-07)",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2017-07",
            "url": "http://edu.cnhubei.com/xw/gn/201707/t3857990.shtml",
            "licence": NBS_LICENCE,
            "usage": "Rural poor population (4335万) and incidence (4.5%) at the end of 2016.",
            "notes": "Accessed through a reprint; the date is the reprint's.",
        },
        {
            "source_id": "nbs-2017-rural-poverty",
            "title": "国家统计局: 2017年末全国农村贫困人口 (as reported by 农村科技报 2018-02-07)",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2018-02-07",
            "url": "http://eb.nkb.com.cn/nykjb/20180207/html/content_20180207001001.htm",
            "licence": NBS_LICENCE,
            "usage": "Rural poor population (3046万) and incidence (3.1%) at the end of 2017.",
            "notes": "Accessed through 农村科技报 citing 人民日报 and NBS; the date is the "
            "outlet's.",
        },
        {
            "source_id": "nbs-2018-rural-poverty",
            "title": "国家统计局: 2018年末全国农村贫困人口 (release of 2019-02-15)",
            "publisher": "National Bureau of Statistics of China (国家统计局)",
            "date": "2019-02-15",
            "url": "http://www.herich.com.cn/zixun/caijingshishi/2019-02-15/412570.html",
            "licence": NBS_LICENCE,
            "usage": "Rural poor population (1660万) and incidence (1.7%) at the end of 2018.",
            "notes": "Accessed through a reprint.",
        },
    ]
    return rows


# ---------------------------------------------------------------- output

TABLES = {
    "counties": [
        "county_id",
        "code",
        "name",
        "name_as_listed",
        "province_code",
        "province_name",
        "prefecture_name",
        "exit_batch_year",
        "current_code",
        "current_name",
        "change_by_2024",
        "match_method",
        "code_note",
        "source_id",
        "source_locator",
    ],
    "provinces": [
        "province_code",
        "name_zh",
        "short_name_zh",
        "name_en",
        "region",
        "county_count",
        "source_id",
        "region_source_id",
    ],
    "exit_batches": [
        "batch_year",
        "counties_exited",
        "cumulative",
        "remaining",
        "source_id",
        "source_locator",
    ],
    "exit_batch_provinces": [
        "batch_year",
        "province_code",
        "province_name",
        "count_stated",
        "source_id",
        "source_locator",
    ],
    "rural_poverty": [
        "year",
        "poor_population_10k",
        "incidence_pct",
        "reduction_10k",
        "population_status",
        "incidence_status",
        "reduction_status",
        "source_id",
        "incidence_source_id",
        "reduction_source_id",
        "note",
    ],
    "mca_codes_2014": [
        "code",
        "name",
        "province_code",
        "province_name",
        "prefecture_name",
        "source_id",
    ],
    "sources": ["source_id", "title", "publisher", "date", "url", "licence", "usage", "notes"],
}


def render(fields: list[str], rows: list[dict]) -> bytes:
    """CSV text: UTF-8 without BOM, LF line endings, minimal quoting."""
    buf = io.StringIO(newline="")
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="raise")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def build(raw: Path = RAW) -> dict[str, bytes]:
    """Build every national table; returns {file name: bytes}."""
    hist = CodeHistory(raw)
    names, totals, trailing = parse_exit_sheet(raw / "exit-lists" / "exit_lists_sheet_verbatim.csv")
    if sum(t["count"] for t in totals.values()) != TOTAL_COUNTIES:
        raise SystemExit("batch totals do not add up to 832")
    counties = build_counties(names, hist)
    tables = {
        "counties": counties,
        "provinces": build_provinces(counties, names, hist),
        "exit_batches": build_exit_batches(names, totals),
        "exit_batch_provinces": build_exit_batch_provinces(names, hist),
        "rural_poverty": build_rural_poverty(raw),
        "mca_codes_2014": build_mca_codes_2014(hist),
        "sources": build_sources(counties, trailing),
    }
    return {f"{name}.csv": render(TABLES[name], rows) for name, rows in tables.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed files differ from a fresh build",
    )
    parser.add_argument("--out", type=Path, default=DATA, help="output folder (default data/)")
    args = parser.parse_args(argv)
    outputs = build()
    if args.check:
        stale = [
            name
            for name, content in outputs.items()
            if not (args.out / name).is_file() or (args.out / name).read_bytes() != content
        ]
        for name in stale:
            print(f"{args.out / name}: differs from a fresh build", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in outputs.items():
        (args.out / name).write_bytes(content)
    return 0


if __name__ == "__main__":
    sys.exit(main())
