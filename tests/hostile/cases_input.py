"""Hostile descriptors, schemas, CSV bytes and values: each gets the right exit code, no traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.hostile.kit import (
    CSV,
    SCHEMA,
    Case,
    csv_bytes,
    descriptor_with,
    field_with,
    one_field,
    package,
    raw_descriptor,
    schema_with,
)

BIG = "123456789012345678901234567890"  # beyond 64 bits


def _res(d: dict[str, Any]) -> dict[str, Any]:
    return d["resources"][0]  # type: ignore[no-any-return]


def _fifo_descriptor(root: Path) -> list[str]:
    package(root / "p")
    path = root / "p" / "fifo.json"
    os.mkfifo(path)
    return ["validate", str(path)]


def _fifo_data(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "data" / "t.csv").unlink()
    os.mkfifo(root / "p" / "data" / "t.csv")
    return ["validate", str(path)]


def _fifo_schema(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "schemas" / "t.json").unlink()
    os.mkfifo(root / "p" / "schemas" / "t.json")
    return ["validate", str(path)]


def _data_is_dir(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "data" / "t.csv").unlink()
    (root / "p" / "data" / "t.csv").mkdir()
    return ["validate", str(path)]


def _data_missing(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "data" / "t.csv").unlink()
    return ["validate", str(path)]


def _unreadable_data(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "data" / "t.csv").chmod(0)
    return ["validate", str(path)]


def _unreadable_descriptor(root: Path) -> list[str]:
    path = package(root / "p")
    path.chmod(0)
    return ["validate", str(path)]


def _symlink_escape(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "secret.csv").write_text(CSV)
    (root / "p" / "data" / "t.csv").unlink()
    (root / "p" / "data" / "t.csv").symlink_to(root / "secret.csv")
    return ["validate", str(path)]


def _symlink_loop(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "data" / "t.csv").unlink()
    (root / "p" / "data" / "t.csv").symlink_to(root / "p" / "data" / "t.csv")
    return ["validate", str(path)]


def _huge_descriptor(root: Path) -> list[str]:
    path = package(root / "p")
    desc = json.loads(path.read_text())
    desc["description"] = "x" * (70 << 20)
    path.write_text(json.dumps(desc))
    return ["validate", str(path)]


def _yaml_descriptor(text: str) -> Any:
    """A package whose only descriptor is datapackage.yaml holding TEXT, validated by its folder."""

    def setup(root: Path) -> list[str]:
        package(root / "p").unlink()
        (root / "p" / "datapackage.yaml").write_text(text, encoding="utf-8")
        return ["validate", str(root / "p")]

    return setup


_YAML_BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 15)]
    + ["resources: [*a14]"]
)


def _folder_without_descriptor(root: Path) -> list[str]:
    (root / "empty").mkdir()
    return ["validate", str(root / "empty")]


def _schema_not_json(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "schemas" / "t.json").write_text("{fields: [}")
    return ["validate", str(path)]


def _schema_latin1(root: Path) -> list[str]:
    path = package(root / "p")
    (root / "p" / "schemas" / "t.json").write_bytes(b'{"fields": [{"name": "caf\xe9"}]}')
    return ["validate", str(path)]


def _two_resources_same_path(root: Path) -> list[str]:
    path = package(root / "p")
    desc = json.loads(path.read_text())
    desc["resources"].append({**desc["resources"][0], "name": "u"})
    path.write_text(json.dumps(desc))
    return ["validate", str(path)]


def _wide_header(root: Path) -> list[str]:
    n = 5_000
    header = ",".join(f"c{i}" for i in range(n))
    row = ",".join("1" for _ in range(n))
    schema = {"fields": [{"name": f"c{i}", "type": "integer"} for i in range(n)]}
    return ["validate", str(package(root / "p", csv=f"{header}\n{row}\n", schema=schema))]


def _wide_header_no_schema_fields(root: Path) -> list[str]:
    n = 5_000
    header = ",".join(f"c{i}" for i in range(n))
    return ["validate", str(package(root / "p", csv=f"{header}\n", schema=SCHEMA))]


def _long_cell(root: Path) -> list[str]:
    csv = "year,exited,region\n2016,28," + "x" * (4 << 20) + "\n"
    return ["validate", str(package(root / "p", csv=csv))]


def _deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


def _set(path: list[Any], value: Any) -> Any:
    def change(d: Any) -> None:
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value

    return change


def _del(path: list[Any]) -> Any:
    def change(d: Any) -> None:
        for key in path[:-1]:
            d = d[key]
        del d[path[-1]]

    return change


def _fk(reference: Any, fields: Any = "year") -> Any:
    return _set(["foreignKeys"], [{"fields": fields, "reference": reference}])


INT, S = "integer", "string"

DESCRIPTOR_CASES = [
    Case("descriptor-not-json", raw_descriptor("{name: hostile"), (2,)),
    Case("descriptor-empty-file", raw_descriptor(""), (2,)),
    Case("descriptor-not-utf8", raw_descriptor(b'{"name": "caf\xe9"}'), (2,)),
    Case("descriptor-utf16", raw_descriptor('{"name": "x"}'.encode("utf-16")), (2,)),
    Case("descriptor-json-array", raw_descriptor("[]"), (2,)),
    Case("descriptor-json-null", raw_descriptor("null"), (2,)),
    Case("descriptor-json-number", raw_descriptor("1e999"), (2,)),
    Case("descriptor-json-string", raw_descriptor('"datapackage"'), (2,)),
    Case("descriptor-nan-literal", raw_descriptor('{"name": NaN, "resources": []}'), (2,)),
    Case("descriptor-deep-nesting", raw_descriptor(_deep_json(100_000)), (2,)),
    Case(
        "descriptor-deep-object",
        raw_descriptor('{"a":' * 5000 + "1" + "}" * 5000),
        (2,),
    ),
    Case("descriptor-huge", _huge_descriptor, (2,)),
    Case("descriptor-yaml-alias-bomb", _yaml_descriptor(_YAML_BOMB), (2,), limit=10),
    Case("descriptor-yaml-deep", _yaml_descriptor("a: " + "[" * 5000 + "]" * 5000), (2,)),
    Case("descriptor-yaml-tabs", _yaml_descriptor("resources:\n\t- name: t\n"), (2,)),
    Case(
        "descriptor-yaml-python-tag", _yaml_descriptor("resources: !!python/name:os.system"), (2,)
    ),
    Case(
        "descriptor-yaml-valid",
        _yaml_descriptor(
            "name: hostile\nresources:\n  - {name: t, path: data/t.csv, schema: schemas/t.json}\n"
        ),
        (0,),
    ),
    Case("descriptor-fifo", _fifo_descriptor, (2,), subprocess=True, limit=30),
    Case("descriptor-folder-without-one", _folder_without_descriptor, (2,)),
    Case("descriptor-missing", lambda r: ["validate", str(r / "nope.json")], (2,)),
    Case("descriptor-unreadable", _unreadable_descriptor, (2,), skip="root reads anything"),
    Case("resources-missing", descriptor_with(_del(["resources"])), (2,)),
    Case("resources-empty", descriptor_with(_set(["resources"], [])), (2,)),
    Case("resources-object", descriptor_with(_set(["resources"], {"t": {}})), (2,)),
    Case("resources-strings", descriptor_with(_set(["resources"], ["data/t.csv"])), (2,)),
    Case("resources-null-entry", descriptor_with(_set(["resources"], [None])), (2,)),
    Case("resource-name-number", descriptor_with(_set(["resources", 0, "name"], 7)), (0, 1, 2)),
    Case("resource-name-object", descriptor_with(_set(["resources", 0, "name"], {})), (1, 2)),
    Case(
        "resource-path-absolute",
        descriptor_with(_set(["resources", 0, "path"], "/etc/passwd")),
        (2,),
    ),
    Case(
        "resource-path-escape", descriptor_with(_set(["resources", 0, "path"], "../../x.csv")), (2,)
    ),
    Case(
        "resource-path-url",
        descriptor_with(_set(["resources", 0, "path"], "http://127.0.0.1:9/x.csv")),
        (2,),
    ),
    Case(
        "resource-path-list",
        descriptor_with(_set(["resources", 0, "path"], ["a.csv", "b.csv"])),
        (2,),
    ),
    Case("resource-path-number", descriptor_with(_set(["resources", 0, "path"], 42)), (2,)),
    Case("resource-path-empty", descriptor_with(_set(["resources", 0, "path"], "")), (2,)),
    Case(
        "resource-path-nul", descriptor_with(_set(["resources", 0, "path"], "data/t\x00.csv")), (2,)
    ),
    Case(
        "resource-path-windows", descriptor_with(_set(["resources", 0, "path"], "C:\\x.csv")), (2,)
    ),
    Case("resource-no-path-no-data", descriptor_with(_del(["resources", 0, "path"])), (2,)),
    Case(
        "resource-inline-data",
        descriptor_with(lambda d: _res(d).update(path=None, data=[[1]]) or _res(d).pop("path")),
        (0, 1, 2),
    ),
    Case(
        "resource-duplicate-names",
        descriptor_with(lambda d: d["resources"].append(dict(_res(d)))),
        (2,),
    ),
    Case("resource-same-file-twice", _two_resources_same_path, (0,)),
    Case("data-missing", _data_missing, (2,)),
    Case("data-is-folder", _data_is_dir, (2,)),
    Case("data-fifo", _fifo_data, (2,), subprocess=True, limit=30),
    Case("data-unreadable", _unreadable_data, (2,), skip="root reads anything"),
    Case("data-symlink-escape", _symlink_escape, (2,)),
    Case("data-symlink-loop", _symlink_loop, (2,)),
    Case(
        "schema-path-missing",
        descriptor_with(_set(["resources", 0, "schema"], "schemas/none.json")),
        (2,),
    ),
    Case(
        "schema-path-escape",
        descriptor_with(_set(["resources", 0, "schema"], "../../etc/passwd")),
        (2,),
    ),
    Case("schema-not-json", _schema_not_json, (2,)),
    Case("schema-not-utf8", _schema_latin1, (2,)),
    Case("schema-fifo", _fifo_schema, (2,), subprocess=True, limit=30),
    Case("schema-number", descriptor_with(_set(["resources", 0, "schema"], 5)), (2,)),
    Case("schema-list", descriptor_with(_set(["resources", 0, "schema"], [])), (2,)),
    Case(
        "encoding-unknown", descriptor_with(_set(["resources", 0, "encoding"], "klingon")), (1, 2)
    ),
    Case("encoding-number", descriptor_with(_set(["resources", 0, "encoding"], 8)), (1, 2)),
    Case("dialect-string", descriptor_with(_set(["resources", 0, "dialect"], "excel")), (0, 1, 2)),
    Case(
        "dialect-long-delimiter",
        descriptor_with(_set(["resources", 0, "dialect"], {"delimiter": ";;"})),
        (1, 2),
    ),
    Case(
        "dialect-delimiter-number",
        descriptor_with(_set(["resources", 0, "dialect"], {"delimiter": 5})),
        (1, 2),
    ),
    Case(
        "dialect-header-string",
        descriptor_with(_set(["resources", 0, "dialect"], {"header": "no"})),
        (1, 2),
    ),
    Case(
        "dialect-quote-equals-delimiter",
        descriptor_with(_set(["resources", 0, "dialect"], {"delimiter": ",", "quoteChar": ","})),
        (0, 1, 2),
    ),
    Case(
        "checks-path-missing",
        descriptor_with(_set(["resources", 0, "checks"], "schemas/none.checks.json")),
        (2,),
    ),
    Case("package-checks-number", descriptor_with(_set(["checks"], 3)), (2,)),
]

SCHEMA_CASES = [
    Case("fields-string", schema_with(_set(["fields"], "year,exited")), (1, 2)),
    Case("fields-object", schema_with(_set(["fields"], {"year": "integer"})), (1, 2)),
    Case("fields-strings", schema_with(_set(["fields"], ["year", "exited", "region"])), (1, 2)),
    Case("fields-numbers", schema_with(_set(["fields"], [1, 2, 3])), (1, 2)),
    Case("fields-missing", schema_with(_del(["fields"])), (1, 2)),
    Case("field-no-name", schema_with(_del(["fields", 0, "name"])), (1, 2)),
    Case("field-name-number", schema_with(_set(["fields", 0, "name"], 2016)), (1, 2)),
    Case("field-type-unknown", schema_with(_set(["fields", 0, "type"], "complex")), (1,)),
    Case("field-type-number", schema_with(_set(["fields", 0, "type"], 3)), (1, 2)),
    Case("field-format-unknown", schema_with(_set(["fields", 0, "format"], "roman")), (0, 1, 2)),
    Case("constraints-string", schema_with(_set(["fields", 1, "constraints"], "positive")), (1, 2)),
    Case("constraints-list", schema_with(_set(["fields", 1, "constraints"], [0])), (1, 2)),
    Case(
        "minimum-string", schema_with(_set(["fields", 1, "constraints"], {"minimum": "zero"})), (1,)
    ),
    Case("minimum-object", schema_with(_set(["fields", 1, "constraints"], {"minimum": {}})), (1,)),
    Case("enum-string", schema_with(_set(["fields", 2, "constraints"], {"enum": "east"})), (1, 2)),
    Case("enum-empty", schema_with(_set(["fields", 2, "constraints"], {"enum": []})), (1, 2)),
    Case(
        "pattern-invalid", schema_with(_set(["fields", 2, "constraints"], {"pattern": "(["})), (1,)
    ),
    Case("pattern-number", schema_with(_set(["fields", 2, "constraints"], {"pattern": 5})), (1, 2)),
    Case(
        "maxlength-negative",
        schema_with(_set(["fields", 2, "constraints"], {"maxLength": -1})),
        (1, 2),
    ),
    Case(
        "maxlength-float",
        schema_with(_set(["fields", 2, "constraints"], {"maxLength": 1.5})),
        (1, 2),
    ),
    Case(
        "required-string",
        schema_with(_set(["fields", 2, "constraints"], {"required": "yes"})),
        (1, 2),
    ),
    Case("primary-key-number", schema_with(_set(["primaryKey"], 0)), (1, 2)),
    Case("primary-key-missing-field", schema_with(_set(["primaryKey"], ["ghost"])), (1, 2)),
    Case("primary-key-nested-list", schema_with(_set(["primaryKey"], [["year"]])), (1, 2)),
    Case(
        "foreign-key-ghost-resource",
        schema_with(_fk({"resource": "ghost", "fields": "year"})),
        (1,),  # a foreign-key finding (frictionless: a resource-error), as for any table
    ),
    Case("foreign-key-string", schema_with(_set(["foreignKeys"], "t.year")), (1, 2)),
    Case(
        "foreign-key-no-reference", schema_with(_set(["foreignKeys"], [{"fields": "year"}])), (1, 2)
    ),
    Case("foreign-key-reference-string", schema_with(_fk("t")), (1, 2)),
    Case("foreign-key-ghost-field", schema_with(_fk({"resource": "", "fields": "ghost"})), (1, 2)),
    Case(
        "foreign-key-length-mismatch",
        schema_with(_fk({"resource": "", "fields": ["year", "exited"]})),
        (1, 2),
    ),
    Case(
        "foreign-key-local-field-missing",
        schema_with(_fk({"resource": "", "fields": "year"}, "ghost")),
        (1, 2),
    ),
    Case("missing-values-string", schema_with(_set(["missingValues"], "NA")), (1, 2)),
    Case("missing-values-numbers", schema_with(_set(["missingValues"], [0, None])), (1, 2)),
    Case(
        "true-values-string",
        schema_with(
            lambda s: s["fields"].append({"name": "b", "type": "boolean", "trueValues": "y"})
        ),
        (1, 2),
    ),
    Case("bare-number-string", schema_with(_set(["fields", 1, "bareNumber"], "no")), (0, 1, 2)),
    Case("group-char-long", schema_with(_set(["fields", 1, "groupChar"], ",,")), (0, 1, 2)),
    Case(
        "schema-huge-enum",
        schema_with(_set(["fields", 2, "constraints"], {"enum": [str(i) for i in range(200_000)]})),
        (1,),
    ),
    Case("schema-duplicate-field-names", schema_with(_set(["fields", 1, "name"], "year")), (1, 2)),
]

CSV_CASES = [
    Case("csv-empty", csv_bytes(b""), (1,)),
    Case("csv-blank-lines", csv_bytes(b"\n\n\n"), (1,)),
    Case("csv-header-only", csv_bytes("year,exited,region\n"), (0, 1)),
    Case("csv-no-newline", csv_bytes("year,exited,region\n2016,1,a"), (0,)),
    Case("csv-random-bytes", csv_bytes(bytes(range(256)) * 40), (1, 2)),
    Case("csv-nul-bytes", csv_bytes(b"year,exited,region\n2016,1,\x00\x00\n"), (0, 1, 2)),
    Case("csv-gbk", csv_bytes("year,exited,region\n2016,1,脱贫\n".encode("gbk")), (1, 2)),
    Case("csv-utf16", csv_bytes(CSV.encode("utf-16")), (1, 2)),
    Case("csv-bom", csv_bytes(b"\xef\xbb\xbf" + CSV.encode()), (0,)),
    Case("csv-invalid-utf8-late", csv_bytes(CSV.encode() + b"2019,1,\xff\xfe\n"), (1, 2)),
    Case(
        "csv-unclosed-quote",
        csv_bytes('year,exited,region\n2016,1,"east\n2017,2,west\n'),
        (0, 1, 2),
    ),
    Case("csv-quote-mid-cell", csv_bytes('year,exited,region\n2016,1,ea"st\n'), (0, 1)),
    Case("csv-cr-only", csv_bytes(CSV.replace("\n", "\r")), (0, 1, 2)),
    Case(
        "csv-mixed-newlines",
        csv_bytes("year,exited,region\r\n2016,1,a\n2017,2,b\r2018,3,c\n"),
        (0, 1, 2),
    ),
    Case("csv-ragged-long", csv_bytes("year,exited,region\n2016,1,a,extra,more\n"), (1,)),
    Case("csv-ragged-short", csv_bytes("year,exited,region\n2016\n"), (1,)),
    Case("csv-multiline-cell", csv_bytes('year,exited,region\n2016,1,"a\nb\nc"\n2017,x,d\n'), (1,)),
    Case("csv-header-padding", csv_bytes("year , exited,region\n2016,1,a\n"), (0,)),
    Case("csv-header-duplicate", csv_bytes("year,year,region\n2016,1,a\n"), (1,)),
    Case("csv-header-blank-label", csv_bytes("year,,region\n2016,1,a\n"), (1,)),
    Case("csv-header-extra", csv_bytes("year,exited,region,more\n2016,1,a,b\n"), (1,)),
    Case("csv-header-missing", csv_bytes("year,exited\n2016,1\n"), (1,)),
    Case("csv-only-delimiters", csv_bytes(",,\n,,\n"), (1,)),
    Case(
        "csv-blank-rows-between", csv_bytes("year,exited,region\n\n2016,1,a\n\n\n2017,2,b\n"), (1,)
    ),
    Case("csv-long-cell", _long_cell, (0,), limit=60),
    Case("csv-wide-header", _wide_header, (0,), limit=60),
    Case("csv-wide-header-vs-schema", _wide_header_no_schema_fields, (1,), limit=60),
    Case("csv-only-quotes", csv_bytes('"""""""\n'), (1, 2)),
    Case("csv-control-chars", csv_bytes("year,exited,region\n2016,1,\x1b[31mred\x07\n"), (0,)),
    Case("csv-emoji-header", csv_bytes("🙂,exited,region\n2016,1,a\n"), (1,)),
    Case(
        "csv-many-blank-rows",
        csv_bytes("year,exited,region\n" + "\n" * 50_000 + "2016,1,a\n"),
        (1,),
    ),
    Case("csv-duplicate-rows", csv_bytes("year,exited,region\n2016,1,a\n2016,1,a\n"), (1,)),
]

VALUE_CASES = [
    Case("int-beyond-64-bits-maximum", one_field(INT, ["1", BIG], maximum=10), (1,)),
    Case("int-beyond-64-bits-minimum", one_field(INT, ["-" + BIG], minimum=0), (1,)),
    Case("int-beyond-64-bits-enum", one_field(INT, [BIG], enum=[1, 2]), (1,)),
    Case("int-beyond-64-bits-valid", one_field(INT, ["1", BIG]), (0,)),
    Case(
        "int-beyond-64-bits-unique",
        one_field(INT, [BIG, BIG], unique=True),
        (1,),
    ),
    Case("int-beyond-64-bits-maximum-big", one_field(INT, [BIG], maximum=int(BIG) + 1), (0,)),
    Case("int-huge-digits", one_field(INT, ["9" * 5000], maximum=1), (1,)),
    Case("number-beyond-double", one_field("number", ["1e400"], maximum=1), (0, 1)),
    Case(
        "number-inf-spellings",
        one_field("number", ["inf", "Infinity", "-INF", "NaN", "nan"]),
        (0, 1),
    ),
    Case(
        "number-inf-in-key",
        csv_bytes(
            "v\ninf\nInfinity\n", {"fields": [{"name": "v", "type": "number"}], "primaryKey": "v"}
        ),
        (0, 1),
    ),
    Case("number-nan-unique", one_field("number", ["NaN", "NaN"], unique=True), (0, 1)),
    Case("number-nan-maximum", one_field("number", ["NaN"], maximum=1), (0, 1)),
    Case(
        "int-key-beyond-64-bits",
        csv_bytes(
            f"v\n{BIG}\n{BIG}\n", {"fields": [{"name": "v", "type": "integer"}], "primaryKey": "v"}
        ),
        (1,),
    ),
    Case("int-hex", one_field(INT, ["0x1F", "0X1f"]), (1,)),
    Case("int-leading-plus", one_field(INT, ["+5", "-0", "007"]), (0, 1)),
    Case("int-unicode-digits", one_field(INT, ["١٢٣", "１２３"]), (0,)),
    Case("int-underscores", one_field(INT, ["1_000"]), (0,)),
    Case("int-maximum-huge-constraint", one_field(INT, ["1"], maximum=10**40), (0,)),
    Case("int-maximum-float-constraint", one_field(INT, ["5"], maximum=4.5), (1, 2)),
    Case("int-maximum-bool-constraint", one_field(INT, ["5"], maximum=True), (0, 1, 2)),
    Case(
        "int-exclusive-bounds",
        one_field(INT, ["0", "10"], exclusiveMinimum=0, exclusiveMaximum=10),
        (1,),
    ),
    Case("date-impossible", one_field("date", ["2020-02-30", "0000-01-01", "99999-01-01"]), (1,)),
    Case("date-bounds-string", one_field("date", ["2020-01-01"], minimum="not-a-date"), (1,)),
    Case(
        "datetime-odd",
        one_field("datetime", ["2020-01-01T25:00:00Z", "2020-01-01T00:00:00+99:00"]),
        (1,),
    ),
    Case("time-odd", one_field("time", ["24:00:00", "12:60:00"]), (1,)),
    Case("year-odd", one_field("year", ["-1", "99999", "20x0"]), (1,)),
    Case("yearmonth-odd", one_field("yearmonth", ["2020-13", "2020-00"]), (1,)),
    Case("boolean-odd", one_field("boolean", ["yes", "TRUE", "1", "tRuE"]), (1,)),
    Case("geopoint-odd", one_field("geopoint", ["200,100", "a,b", "1"]), (1,)),
    Case("duration-odd", one_field("duration", ["P1Y2M", "PT", "1 day"]), (0, 1)),
    Case("object-odd", one_field("object", ['{"a": 1}', "[1]", "{", "1e999"]), (1,)),
    Case("array-odd", one_field("array", ["[1]", "{}", "["]), (1,)),
    Case("any-type", one_field("any", ["x", ""]), (1,)),
    Case("string-format-email", field_with({"format": "email"}, ["a@b.c", "nope", "@"]), (1,)),
    Case("string-format-uri", field_with({"format": "uri"}, ["http://x", "no uri"]), (1,)),
    Case("string-format-uuid", field_with({"format": "uuid"}, ["not-a-uuid"]), (1,)),
    Case("pattern-catastrophic", one_field(S, ["a" * 40 + "!"], pattern="(a+)+$"), (1,), limit=20),
    Case(
        "pattern-catastrophic-long",
        one_field(S, ["a" * 100_000 + "!"], pattern="(a|aa)+"),
        (1,),
        limit=20,
    ),
    Case(
        "pattern-lookahead-catastrophic",
        one_field(S, ["a" * 40 + "c"], pattern="(?=(a+)+b)a*c"),
        (1,),
        limit=20,
    ),
    Case(
        "pattern-backreference",
        one_field(S, ["abab", "abba", "a" * 30 + "!"], pattern=r"(a+)+\1b"),
        (1,),
        limit=20,
    ),
    Case("pattern-unicode-word", one_field(S, ["脱贫", "abc_1", "a-b"], pattern=r"\w+"), (1,)),
    Case("pattern-unicode-digit", one_field(S, ["١٢٣", "12"], pattern=r"\d+"), (0,)),
    Case("pattern-unicode-space", one_field(S, ["a\u3000b"], pattern=r"a\sb"), (0,)),
    Case("pattern-possessive-syntax", one_field(S, ["aaa"], pattern="a*+"), (0, 1)),
    Case("pattern-huge", one_field(S, ["a"], pattern="(a|b)" * 20_000), (0, 1, 2), limit=30),
    Case(
        "pattern-backtracking-timeout",
        one_field(S, ["a" * 30], pattern=r"((a|a)+)\1b"),
        (1,),
        limit=20,
    ),
    Case("pattern-alternation-anchoring", one_field(S, ["axyz", "b", "xb"], pattern="a|b"), (1,)),
    Case(
        "pattern-trailing-newline",
        csv_bytes(
            'v\n"abc\n"\n', {"fields": [{"name": "v", "constraints": {"pattern": "[a-z]+"}}]}
        ),
        (0,),
    ),
    Case("object-deep", one_field("object", ['{"a":' * 3000 + "1" + "}" * 3000]), (1,)),
    Case("pattern-anchors", one_field(S, ["ab", "xaby"], pattern="^ab$"), (1,)),
    Case("enum-nfc-nfd", one_field(S, ["e\u0301"], enum=["\u00e9"]), (1,)),
    Case("maxlength-emoji", one_field(S, ["🙂🙂"], maxLength=2), (0,)),
    Case("minlength-combining", one_field(S, ["e\u0301"], minLength=2), (0,)),
    Case(
        "unique-and-primary-key-overlap",
        csv_bytes(
            "a,b\n1,x\n1,x\n",
            {
                "fields": [
                    {"name": "a", "type": "integer", "constraints": {"unique": True}},
                    {"name": "b"},
                ],
                "primaryKey": ["a", "b"],
            },
        ),
        (1,),
    ),
    Case(
        "foreign-key-self-missing",
        csv_bytes(
            "a,b\n1,\n2,9\n",
            {
                "fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"}],
                "foreignKeys": [{"fields": "b", "reference": {"resource": "", "fields": "a"}}],
            },
        ),
        (1,),
    ),
    Case(
        "foreign-key-big-int",
        csv_bytes(
            f"a,b\n{BIG},{BIG}1\n",
            {
                "fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"}],
                "foreignKeys": [{"fields": "b", "reference": {"resource": "", "fields": "a"}}],
            },
        ),
        (1,),
    ),
    Case(
        "missing-values-everything",
        csv_bytes("year,exited,region\n2016,,\n", {**SCHEMA, "missingValues": ["", "2016"]}),
        (1,),
    ),
]
