"""Build the facts ledger and the Zhejiang tables in data/ from curation/facts/*.csv.

Usage:
    python curation/build_facts.py            # write the tables into data/
    python curation/build_facts.py --check    # exit 1 if data/ differs from a fresh build
    python curation/build_facts.py --out DIR  # write the tables into DIR instead

Standard library only. Deterministic: the same part files give byte-identical output (UTF-8
without BOM, LF line endings, header row).

Inputs: every ``curation/facts/<source_id>.csv`` (one part per source document, columns as in
docs/facts.md). Outputs:

    data/facts.csv                        all parts, concatenated and sorted by fact_id
    data/zhejiang_pairing_provinces.csv   Zhejiang's paired counties by receiving province
    data/zhejiang_pairing_categories.csv  the same counties by poverty category
    data/zhejiang_personnel.csv           cadres and specialists sent by Zhejiang

The three structured tables are selected from the ledger (never typed in separately), so a
figure cannot differ between a table and the fact it comes from; each row carries its fact_id.

Exit codes: 0 built (or --check found no difference), 1 --check found a difference,
2 the parts could not be read or are inconsistent.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

HERE = Path(__file__).resolve().parent
PARTS = HERE / "facts"
REPO = HERE.parent
DATA = REPO / "data"

FACT_FIELDS = [
    "fact_id",
    "source_id",
    "locator",
    "indicator",
    "indicator_zh",
    "region",
    "giver",
    "receiver",
    "period_start",
    "period_end",
    "value",
    "unit",
    "qualifier",
    "as_written",
    "note",
]
QUALIFIERS = {"exact", "approximately", "more_than", "less_than", "at_least"}
FACT_ID = re.compile(r"^[0-9]{3}-[0-9]{3}$")

ZHEJIANG = "浙江省"
ALL_PAIRED = "对口帮扶地区"  # receiver used for figures about all of Zhejiang's paired areas
# The 2018-2020 round of east-west cooperation: the period under which the sources' pairing
# structure (80 counties in four provinces) is recorded in the ledger.
ROUND = ("2018", "2020")

RECEIVERS_EN = {
    "贵州省": "Guizhou",
    "吉林省": "Jilin",
    "湖北省": "Hubei",
    "四川省": "Sichuan",
    ALL_PAIRED: "all paired areas",
}

CATEGORIES = {  # indicator -> (category, category_zh)
    "paired_national_poverty_counties": ("national_poverty_county", "国家级贫困县"),
    "paired_provincial_poverty_counties": ("provincial_poverty_county", "省级贫困县"),
    "paired_non_poor_counties": ("non_poor_county", "非贫困县"),
}
DEEP = {  # deep-poverty sub-count indicator -> category it belongs to
    "paired_national_deep_poverty_counties": "national_poverty_county",
    "paired_provincial_deep_poverty_counties": "provincial_poverty_county",
}
PERSONNEL = {  # indicator -> (category, category_zh)
    "cadres_seconded": ("cadres", "党政干部"),
    "specialists_dispatched": ("specialists", "专业技术人才"),
    "personnel_seconded": ("all", "合计"),
}

TABLE_FIELDS = {
    "zhejiang_pairing_provinces": [
        "fact_id",
        "source_id",
        "receiver",
        "receiver_en",
        "is_total",
        "paired_counties",
        "period_start",
        "period_end",
    ],
    "zhejiang_pairing_categories": [
        "fact_id",
        "source_id",
        "category",
        "category_zh",
        "counties",
        "deep_poverty_counties",
        "deep_poverty_fact_id",
        "period_start",
        "period_end",
    ],
    "zhejiang_personnel": [
        "fact_id",
        "source_id",
        "category",
        "category_zh",
        "receiver",
        "period_start",
        "period_end",
        "persons",
        "qualifier",
        "as_written",
    ],
}


class BuildError(Exception):
    """The part files cannot be turned into tables."""


# ---------------------------------------------------------------- reading


def read_parts(parts_dir: Path = PARTS) -> list[dict[str, str]]:
    """Read every part file; return all fact rows sorted by fact_id."""
    files = sorted(parts_dir.glob("*.csv"))
    if not files:
        raise BuildError(f"no part files in {parts_dir}")
    rows: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames != FACT_FIELDS:
                raise BuildError(
                    f"{path.name}: header is {reader.fieldnames}, expected {FACT_FIELDS}"
                )
            for line_no, row in enumerate(reader, start=2):
                where = f"{path.name}:{line_no}"
                if None in row or any(v is None for v in row.values()):
                    raise BuildError(f"{where}: wrong number of cells")
                fid = row["fact_id"]
                if not FACT_ID.match(fid):
                    raise BuildError(f"{where}: malformed fact_id {fid!r}")
                if row["source_id"] != path.stem or fid[:3] != path.stem[:3]:
                    raise BuildError(
                        f"{where}: fact {fid} / source {row['source_id']} "
                        f"do not belong in {path.name}"
                    )
                if fid in seen:
                    raise BuildError(f"{where}: fact_id {fid} already used in {seen[fid]}")
                if row["qualifier"] not in QUALIFIERS:
                    raise BuildError(
                        f"{where}: qualifier {row['qualifier']!r} not in {sorted(QUALIFIERS)}"
                    )
                try:
                    Decimal(row["value"])
                except InvalidOperation:
                    raise BuildError(f"{where}: value {row['value']!r} is not a number") from None
                seen[fid] = where
                rows.append(row)
    rows.sort(key=lambda r: r["fact_id"])
    return rows


def as_int(row: dict[str, str]) -> int:
    """A count from the ledger; counts must be whole numbers."""
    value = Decimal(row["value"])
    if value != value.to_integral_value():
        raise BuildError(f"{row['fact_id']}: {row['value']} is not a whole number")
    return int(value)


# ---------------------------------------------------------------- structured tables


def pairing_provinces(facts: list[dict[str, str]]) -> list[dict[str, object]]:
    """Paired counties by receiving province (plus the stated totals), 2018-2020 round."""
    out = []
    for f in facts:
        if (
            f["indicator"] == "paired_counties"
            and f["giver"] == ZHEJIANG
            and (f["period_start"], f["period_end"]) == ROUND
        ):
            if f["receiver"] not in RECEIVERS_EN:
                raise BuildError(f"{f['fact_id']}: unknown receiver {f['receiver']!r}")
            out.append(
                {
                    "fact_id": f["fact_id"],
                    "source_id": f["source_id"],
                    "receiver": f["receiver"],
                    "receiver_en": RECEIVERS_EN[f["receiver"]],
                    "is_total": f["receiver"] == ALL_PAIRED,
                    "paired_counties": as_int(f),
                    "period_start": f["period_start"],
                    "period_end": f["period_end"],
                }
            )
    return out


def pairing_categories(facts: list[dict[str, str]]) -> list[dict[str, object]]:
    """Paired counties by poverty category, with the deep-poverty sub-counts beside them."""
    out: list[dict[str, object]] = []
    index: dict[tuple[str, str, str, str], dict[str, object]] = {}
    in_round = [
        f for f in facts if f["giver"] == ZHEJIANG and (f["period_start"], f["period_end"]) == ROUND
    ]
    for f in in_round:
        if f["indicator"] in CATEGORIES:
            category, category_zh = CATEGORIES[f["indicator"]]
        elif f["indicator"] == "paired_counties" and f["receiver"] == ALL_PAIRED:
            category, category_zh = "all", "合计"
        else:
            continue
        row: dict[str, object] = {
            "fact_id": f["fact_id"],
            "source_id": f["source_id"],
            "category": category,
            "category_zh": category_zh,
            "counties": as_int(f),
            "deep_poverty_counties": None,
            "deep_poverty_fact_id": None,
            "period_start": f["period_start"],
            "period_end": f["period_end"],
        }
        key = (f["source_id"], category, f["period_start"], f["period_end"])
        if key in index:
            raise BuildError(f"{f['fact_id']}: second {category} count in {f['source_id']}")
        index[key] = row
        out.append(row)
    for f in in_round:
        if f["indicator"] in DEEP:
            key = (f["source_id"], DEEP[f["indicator"]], f["period_start"], f["period_end"])
            parent = index.get(key)
            if parent is None:
                raise BuildError(f"{f['fact_id']}: deep-poverty count without its category count")
            if parent["deep_poverty_fact_id"] is not None:
                raise BuildError(f"{f['fact_id']}: second deep-poverty count for {key}")
            parent["deep_poverty_counties"] = as_int(f)
            parent["deep_poverty_fact_id"] = f["fact_id"]
    return out


def personnel(facts: list[dict[str, str]]) -> list[dict[str, object]]:
    """Cadres and specialists sent by Zhejiang province, with their qualifiers and periods."""
    out = []
    for f in facts:
        if f["indicator"] in PERSONNEL and f["giver"] == ZHEJIANG:
            category, category_zh = PERSONNEL[f["indicator"]]
            out.append(
                {
                    "fact_id": f["fact_id"],
                    "source_id": f["source_id"],
                    "category": category,
                    "category_zh": category_zh,
                    "receiver": f["receiver"],
                    "period_start": f["period_start"],
                    "period_end": f["period_end"],
                    "persons": as_int(f),
                    "qualifier": f["qualifier"],
                    "as_written": f["as_written"],
                }
            )
    return out


# ---------------------------------------------------------------- writing


def cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(fields: list[str], rows: list[dict[str, object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([cell(row[name]) for name in fields])
    return buf.getvalue()


def build(parts_dir: Path = PARTS) -> dict[str, str]:
    """Return {file name under data/: text} for every output."""
    facts = read_parts(parts_dir)
    return {
        "facts.csv": render(FACT_FIELDS, facts),  # type: ignore[arg-type]
        "zhejiang_pairing_provinces.csv": render(
            TABLE_FIELDS["zhejiang_pairing_provinces"], pairing_provinces(facts)
        ),
        "zhejiang_pairing_categories.csv": render(
            TABLE_FIELDS["zhejiang_pairing_categories"], pairing_categories(facts)
        ),
        "zhejiang_personnel.csv": render(TABLE_FIELDS["zhejiang_personnel"], personnel(facts)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the files in data/ differ from a fresh build",
    )
    parser.add_argument("--out", type=Path, default=DATA, help="output folder (default data/)")
    args = parser.parse_args(argv)
    try:
        outputs = build()
    except BuildError as exc:
        print(f"build_facts: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = []
        for name, text in outputs.items():
            path = args.out / name
            if not path.is_file() or path.read_bytes() != text.encode("utf-8"):
                stale.append(name)
        for name in stale:
            print(f"build_facts: {args.out / name} differs from a fresh build", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        path = args.out / name
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(text.encode("utf-8"))
        tmp.replace(path)
        print(f"wrote {path} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
