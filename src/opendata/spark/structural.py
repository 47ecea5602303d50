"""The structural layer as Spark jobs: header, cells, constraints, keys — with the local engine's codes and rows.

One parse pass (`opendata.spark.read`) types every cell and reports the cell-level findings;
constraints are Spark SQL predicates over the typed columns; `unique` and primary keys are
group-bys (the later rows of a repeated value are reported, with the first row, as frictionless
does); foreign keys are anti-joins against the referenced resource. All findings of a resource
come back to the driver in one collect, as rows of one DataFrame.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import reduce
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.package import Field, Resource
from opendata.report import Issue, jsonable
from opendata.spark.read import csv_records, header, parse, spark_type
from opendata.structural.parsers import python_value

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# The columns of a finding computed in Spark; `actual` and `key` are JSON text.
FINDING = (
    "code string, field string, rule string, row bigint, line bigint, actual string, "
    "position int, first_row bigint, key string"
)
_LENGTH_TYPES = ("string", "any", "yearmonth", "duration", "geopoint", "object", "array", "geojson")
_TYPED_IN_MESSAGES = ("integer", "number", "boolean")


@dataclass
class SparkTable:
    """What the structural layer learned about one resource, and its typed rows as a DataFrame.

    `frame` has `row`, `line` and one column per field, named as the field.
    """

    resource: str
    issues: list[Issue] = field(default_factory=list)
    frame: DataFrame | None = None
    cached: DataFrame | None = None  # the persisted parse, released when validation ends
    rows: int = 0
    bytes: int | None = None
    readable: bool = True

    @property
    def has_errors(self) -> bool:
        """Whether any error was found (declared checks on this table are then skipped)."""
        return any(i.severity == "error" for i in self.issues)


def quoted(name: str) -> str:
    """A column name as Spark SQL reads it, whatever characters it holds."""
    return "`" + name.replace("`", "``") + "`"


def col(name: str) -> Column:
    """The column of that name (dots, spaces and backticks allowed)."""
    from pyspark.sql import functions as F

    return F.col(quoted(name))


class _Findings:
    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.issues: list[Issue] = []

    def add(self, code: str, message: str, **kw: Any) -> None:
        self.issues.append(
            Issue(
                code=code,
                message=message,
                layer="structural",
                resource=self.resource.name,
                path=self.resource.path,
                **kw,
            )
        )


def validate_resource(
    spark: SparkSession,
    resource: Resource,
    schema_issues: list[Issue],
    tables: dict[str, SparkTable],
) -> SparkTable:
    """Check one resource (CSV or Parquet) against its Table Schema; `tables` are those read before it."""
    from opendata.io.digest import file_digest

    result = SparkTable(resource=resource.name)
    found = _Findings(resource)
    if resource.fullpath is None:
        found.add(
            "source-error",
            "inline data is not validated; move it to a CSV file",
            severity="warning",
        )
        return SparkTable(resource.name, found.issues, readable=False)
    path = resource.fullpath
    if not path.is_file():
        raise CouldNotRun(
            f"data file of resource {resource.name!r} not found",
            path=resource.path,
            hint="create the file or fix the resource's path in datapackage.json",
        )
    fmt = str(resource.descriptor.get("format") or path.suffix.lstrip(".") or "csv").lower()
    if fmt not in ("csv", "tsv", "txt", "parquet"):
        found.add("format-error", f"format {fmt!r} is not supported; only CSV and Parquet are read")
        return SparkTable(resource.name, found.issues, readable=False)
    if schema_issues:
        return SparkTable(resource.name, list(schema_issues), readable=False)
    declared_hash = resource.descriptor.get("hash")
    declared_bytes = resource.descriptor.get("bytes")
    if declared_hash is not None or declared_bytes is not None:
        algorithm, expected = "md5", str(declared_hash or "")
        if ":" in expected:
            algorithm, expected = expected.split(":", 1)
        digest, size = file_digest(path, algorithm if declared_hash else "sha256")
        if declared_bytes is not None and int(declared_bytes) != size:
            found.add(
                "byte-count",
                f"file has {size} bytes; the descriptor declares {declared_bytes}",
                rule="bytes",
                details={"expected": declared_bytes, "actual": size},
            )
        if declared_hash and digest != expected:
            found.add(
                "hash-count",
                f"file's {algorithm} is {digest}; the descriptor declares {expected}",
                rule="hash",
                details={"expected": expected, "actual": digest},
            )
    result.bytes = path.stat().st_size
    if fmt == "parquet":
        expected_fields, parsed, rows = _read_parquet(spark, resource, found)
    else:
        read = _read_csv(spark, resource, found)
        if read is None:
            result.issues = found.issues
            result.readable = False
            return result
        expected_fields, parsed, rows = read
    from pyspark import StorageLevel

    parsed = result.cached = parsed.persist(StorageLevel.MEMORY_AND_DISK)
    result.frame = parsed.select(
        "row", "line", *[parsed[f"v{i}"].alias(f.name) for i, f in enumerate(expected_fields)]
    )
    checks = _cell_findings(parsed, expected_fields)
    checks += _key_findings(
        resource, result.frame, [f.name for f in expected_fields], tables, found
    )
    findings = reduce(lambda a, b: a.unionByName(b), checks)
    for hit in findings.collect():
        _describe(found, hit, resource, expected_fields)
    result.rows = rows
    result.issues = found.issues
    return result


def _read_csv(
    spark: SparkSession, resource: Resource, found: _Findings
) -> tuple[list[Field], DataFrame, int] | None:
    """The header checked, the records parsed, and how many; None when the file cannot be read on."""
    from pyspark.sql import functions as F

    assert resource.fullpath is not None
    dialect = resource.dialect
    enc = resource.encoding.lower().replace("_", "-")
    if enc not in ("utf-8", "utf8", "utf-8-sig"):
        found.add(
            "source-error",
            f"encoding {resource.encoding!r} is not read by the Spark engine; save the file as "
            "UTF-8 or validate it with --engine local",
            rule="encoding",
        )
        return None
    quote = dialect.get("quoteChar", '"') or None
    lines = csv_records(spark, str(resource.fullpath), quote)
    if lines.bad_line is not None:
        found.add(
            "encoding-error",
            f"line {lines.bad_line} is not valid {resource.encoding}; save the file as UTF-8, or "
            'declare its real encoding (e.g. "encoding": "gbk") in the descriptor',
            line=lines.bad_line,
            rule="encoding",
            details={"expected": resource.encoding},
        )
        return None
    labels = header(lines, dialect) if lines.count else []
    if not labels:
        found.add("blank-header", "the file has no header row", row=1, line=1)
        return None
    expected = expected_fields(found, labels, resource.fields)
    records, rows = lines.frame, lines.count
    if dialect.get("header", True):
        records, rows = records.filter(F.col("row") > 1), rows - 1
    missing_values = list((resource.schema or {}).get("missingValues", [""]))
    return expected, parse(records, expected, missing_values, dialect), rows


def _read_parquet(
    spark: SparkSession, resource: Resource, found: _Findings
) -> tuple[list[Field], DataFrame, int]:
    """A Parquet file's columns as cells: same-typed columns as they are, the others parsed as text.

    Rows are numbered from 2 (as if a header were row 1) by the file's row index; there are no
    lines.
    """
    from pyspark.sql import functions as F

    df = spark.read.parquet(str(resource.fullpath))
    labels = list(df.columns)
    expected = expected_fields(found, labels, resource.fields)
    types = dict(df.dtypes)
    cells = []
    for i, f in enumerate(expected):
        name = labels[i]
        same = types[name] == spark_type(f) or (
            spark_type(f) == "timestamp_ntz" and types[name] == "timestamp"
        )
        value = col(name).cast(spark_type(f)) if same else col(name).cast("string")
        cells.append(value.alias(f"c{i}"))
    records = df.select(
        (F.col("_metadata.row_index") + 2).alias("row"),
        F.lit(None).cast("bigint").alias("line"),
        *cells,
    )
    missing_values = list((resource.schema or {}).get("missingValues", [""]))
    return expected, parse(records, expected, missing_values, None), df.count()


def expected_fields(found: _Findings, labels: list[str], fields: list[Field]) -> list[Field]:
    """Check the header against the schema; the fields each column is read as (by position)."""
    seen: set[str] = set()
    for i, label in enumerate(labels):
        details: dict[str, Any] = {"position": i + 1, "actual": label}
        if i >= len(fields):
            message = f"column {i + 1} ({label!r}) has no field in the schema"
            found.add("extra-label", message, row=1, line=1, details=details)
        else:
            f = fields[i]
            problem = None
            if label == "":
                problem = ("blank-label", f"column {i + 1} has a blank label; expected {f.name!r}")
            elif label in seen:
                problem = (
                    "duplicate-label",
                    f"label {label!r} in column {i + 1} repeats an earlier one",
                )
            elif label != f.name:
                problem = (
                    "incorrect-label",
                    f"column {i + 1} is labelled {label!r}; the schema expects {f.name!r}",
                )
            if problem:
                details["expected"] = f.name
                found.add(*problem, row=1, line=1, field=f.name, details=details)
        seen.add(label)
    for i in range(len(labels), len(fields)):
        found.add(
            "missing-label",
            f"field {fields[i].name!r} has no column in the header",
            row=1,
            line=1,
            field=fields[i].name,
            details={"position": i + 1, "expected": fields[i].name},
        )
    out = list(fields[: len(labels)])
    for i in range(len(fields), len(labels)):
        out.append(Field(name=labels[i] or f"field{i + 1}", type="any"))
    return out


def _finding(
    frame: DataFrame,
    code: str,
    field: str | None,
    rule: str,
    *,
    actual: Column | None = None,
    position: Column | None = None,
    first_row: Column | None = None,
    key: Column | None = None,
) -> DataFrame:
    """Rows of `frame` as findings (the common columns of every finding)."""
    from pyspark.sql import functions as F

    def text(c: Column | None) -> Column:
        return F.lit(None).cast("string") if c is None else c

    return frame.select(
        F.lit(code).alias("code"),
        F.lit(field).cast("string").alias("field"),
        F.lit(rule).alias("rule"),
        F.col("row").cast("bigint").alias("row"),
        F.col("line").cast("bigint").alias("line"),
        text(actual).alias("actual"),
        (F.lit(None) if position is None else position).cast("int").alias("position"),
        (F.lit(None) if first_row is None else first_row).cast("bigint").alias("first_row"),
        text(key).alias("key"),
    )


def _json(value: Column) -> Column:
    """A value as JSON text (a one-item array, so that any type serialises)."""
    from pyspark.sql import functions as F

    return F.to_json(F.array(value))


def _cell_findings(parsed: DataFrame, fields: list[Field]) -> list[DataFrame]:
    """The parse pass's findings and every constraint's, in one pass over the typed rows."""
    from pyspark.sql import functions as F

    broken = []
    for i, f in enumerate(fields):
        value = F.col(f"v{i}")
        shown = value if f.type in _TYPED_IN_MESSAGES else value.cast("string")
        for name, predicate in constraint_predicates(f, value):
            hit = F.struct(
                F.lit("constraint-error").alias("code"),
                F.lit(f.name).alias("field"),
                F.lit(f"constraint:{name}").alias("rule"),
                _json(shown).alias("actual"),
                F.lit(None).cast("int").alias("position"),
            )
            broken.append(F.when(value.isNotNull() & ~F.col("blank") & predicate, hit))
    cells = F.transform("issues", lambda x: x.withField("actual", _json(x["actual"])))
    if broken:
        constraints = F.filter(F.array(*broken), lambda x: x.isNotNull())
        cells = F.concat(cells, constraints)
    found = parsed.select("row", "line", F.explode(cells).alias("i"))
    return [
        found.select(
            F.col("i.code").alias("code"),
            F.col("i.field").alias("field"),
            F.col("i.rule").alias("rule"),
            F.col("row").cast("bigint").alias("row"),
            F.col("line").cast("bigint").alias("line"),
            F.col("i.actual").alias("actual"),
            F.col("i.position").alias("position"),
            F.lit(None).cast("bigint").alias("first_row"),
            F.lit(None).cast("string").alias("key"),
        )
    ]


def constraint_predicates(f: Field, value: Column) -> list[tuple[str, Column]]:
    """(constraint, predicate true where a present value breaks it) for every constraint but
    required and unique — the local engine's constraint set, as Spark SQL."""
    from pyspark.sql import functions as F

    out: list[tuple[str, Column]] = []
    c = f.constraints
    breaks = {
        "minimum": lambda v, b: v < b,
        "maximum": lambda v, b: v > b,
        "exclusiveMinimum": lambda v, b: v <= b,
        "exclusiveMaximum": lambda v, b: v >= b,
    }
    for name, broken in breaks.items():
        if c.get(name) is not None:
            bound = python_value(f, c[name])
            if bound is None:
                continue
            if spark_type(f) == "string":
                bound = str(bound)
            out.append((name, broken(value, F.lit(bound))))
    if f.type in _LENGTH_TYPES:
        if "minLength" in c:
            out.append(("minLength", F.char_length(value) < int(c["minLength"])))
        if "maxLength" in c:
            out.append(("maxLength", F.char_length(value) > int(c["maxLength"])))
    if "pattern" in c and spark_type(f) == "string":
        out.append(("pattern", ~value.rlike(f"^(?:{java_pattern(str(c['pattern']))})$")))
    if "enum" in c and isinstance(c["enum"], list):
        members = [python_value(f, v) for v in c["enum"]]
        members = [str(m) if spark_type(f) == "string" else m for m in members if m is not None]
        out.append(("enum", ~value.isin(members) if members else F.lit(True)))
    return out


def java_pattern(pattern: str) -> str:
    """A Python regular expression in Java's spelling where they differ: named groups."""
    import re

    pattern = re.sub(r"\(\?P<", "(?<", pattern)
    return re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", pattern)


def _key_findings(
    resource: Resource,
    frame: DataFrame,
    names: list[str],
    tables: dict[str, SparkTable],
    found: _Findings,
) -> list[DataFrame]:
    """unique and primary-key repeats by group-by, foreign keys by anti-join."""
    from pyspark.sql import functions as F

    out = []
    unique = [f.name for f in resource.fields if f.constraints.get("unique") and f.name in names]
    for name in unique:
        present = frame.filter(col(name).isNotNull())
        out.append(
            _finding(
                _repeats(present, [name]),
                "unique-error",
                name,
                "constraint:unique",
                actual=_json(col(name)),
                first_row=F.col("_first"),
            )
        )
    pk = [n for n in resource.primary_key if n in names]
    if pk and len(pk) == len(resource.primary_key):
        all_null = reduce(lambda a, b: a & b, [col(n).isNull() for n in pk])
        key = F.to_json(F.array(*[col(n) for n in pk]))
        out.append(_finding(frame.filter(all_null), "primary-key", None, "primary-key"))
        out.append(
            _finding(
                _repeats(frame.filter(~all_null), pk),
                "primary-key",
                None,
                "primary-key",
                first_row=F.col("_first"),
                key=key,
            )
        )
    for fk in resource.foreign_keys:
        if not all(n in names for n in fk["fields"]):
            continue
        hits = _foreign_key(resource, fk, frame, tables, found)
        if hits is not None:
            out.append(hits)
    return out


def _repeats(frame: DataFrame, keys: list[str]) -> DataFrame:
    """Rows whose key repeats an earlier row's, with that first row as `_first` (nulls equal)."""
    from pyspark.sql import functions as F

    firsts = (
        frame.groupBy(*[col(k).alias(f"_k{i}") for i, k in enumerate(keys)])
        .agg(F.min("row").alias("_first"), F.count(F.lit(1)).alias("_n"))
        .filter(F.col("_n") > 1)
    )
    match = reduce(
        lambda a, b: a & b, [col(k).eqNullSafe(F.col(f"_k{i}")) for i, k in enumerate(keys)]
    )
    return frame.join(firsts, match, "inner").filter(F.col("row") > F.col("_first"))


def _foreign_key(
    resource: Resource,
    fk: dict[str, Any],
    frame: DataFrame,
    tables: dict[str, SparkTable],
    found: _Findings,
) -> DataFrame | None:
    """Rows whose foreign key (not all null) has no match among the reference's keys."""
    from pyspark.sql import functions as F

    names = fk["fields"]
    ref_name = fk["reference"].get("resource") or "(this table)"
    ref_fields = fk["reference"]["fields"]
    own = not fk["reference"].get("resource") or fk["reference"].get("resource") == resource.name
    target = frame if own else (tables[ref_name].frame if ref_name in tables else None)
    if target is None or not all(n in target.columns for n in ref_fields):
        found.add(
            "foreign-key",
            f"foreign key ({', '.join(names)}) refers to resource {ref_name!r}, which does not exist",
            rule="foreign-key",
            details={"fields": names, "reference": ref_name},
        )
        return None
    types = dict(frame.dtypes)
    ref_types = dict(target.dtypes)
    numeric = ("bigint", "double", "int")
    mine_cols, their_cols = [], []
    for i, (mine, theirs) in enumerate(zip(names, ref_fields, strict=True)):
        a, b = types[mine], ref_types[theirs]
        common = a if a == b else ("double" if a in numeric and b in numeric else "string")
        mine_cols.append(col(mine).cast(common).alias(f"_m{i}"))
        their_cols.append(col(theirs).cast(common).alias(f"_r{i}"))
    keys = frame.select("row", "line", *mine_cols)
    ref = target.select(*their_cols)
    keys = keys.filter(
        ~reduce(lambda a, b: a & b, [F.col(f"_m{i}").isNull() for i in range(len(names))])
    )
    ref = ref.filter(
        ~reduce(lambda a, b: a & b, [F.col(f"_r{i}").isNull() for i in range(len(names))])
    ).distinct()
    match = reduce(
        lambda a, b: a & b,
        [F.col(f"_m{i}").eqNullSafe(F.col(f"_r{i}")) for i in range(len(names))],
    )
    missing = keys.join(ref, match, "left_anti")
    key = F.to_json(F.array(*[F.col(f"_m{i}") for i in range(len(names))]))
    declared = json.dumps({"reference": ref_name, "fields": names, "reference_fields": ref_fields})
    return _finding(
        missing,
        "foreign-key",
        names[0] if len(names) == 1 else None,
        "foreign-key",
        key=key,
        actual=F.lit(declared),
    )


def _describe(found: _Findings, hit: Any, resource: Resource, fields: list[Field]) -> None:
    """Turn one finding computed in Spark into an Issue with the local engine's message."""
    code, name, rule = hit["code"], hit["field"], hit["rule"]
    actual = json.loads(hit["actual"])[0] if hit["actual"] and code != "foreign-key" else None
    where = {"row": hit["row"], "line": hit["line"]}
    by_name = {f.name: f for f in fields}
    if code == "missing-cell":
        found.add(
            code,
            f"row has no cell for field {name!r}",
            field=name,
            rule=rule,
            details={"expected": name, "actual": None},
            **where,
        )
    elif code == "type-error":
        f = by_name[name]
        kind = f"{f.type}" + (f" ({f.format})" if f.format != "default" else "")
        found.add(
            code,
            f"{actual!r} is not a valid {kind}",
            field=name,
            rule=rule,
            details={"expected": f"{f.type}/{f.format}", "actual": actual},
            **where,
        )
    elif code == "constraint-error" and rule == "constraint:required":
        found.add(
            code,
            f"field {name!r} is required but the cell is empty",
            field=name,
            rule=rule,
            details={"constraint": "required", "expected": "a value", "actual": None},
            **where,
        )
    elif code == "constraint-error":
        constraint = rule.split(":", 1)[1]
        bound = by_name[name].constraints[constraint]
        value = jsonable(actual)
        found.add(
            code,
            f"{value!r} violates {constraint} {bound!r}",
            field=name,
            rule=rule,
            details={"constraint": constraint, "expected": bound, "actual": value},
            **where,
        )
    elif code == "extra-cell":
        position = hit["position"]
        found.add(
            code,
            f"row has an extra cell {actual!r} in column {position}",
            rule=rule,
            details={"position": position, "actual": actual},
            **where,
        )
    elif code == "blank-row":
        found.add(code, "row is completely blank", rule=rule, **where)
    elif code == "unique-error":
        first = hit["first_row"]
        found.add(
            code,
            f"{actual!r} in field {name!r} repeats the value of row {first}",
            field=name,
            rule=rule,
            details={"constraint": "unique", "actual": actual, "first_row": first},
            **where,
        )
    elif code == "primary-key":
        names = [n for n in resource.primary_key]
        if hit["key"] is None:
            found.add(
                code,
                f"primary key ({', '.join(names)}) is empty",
                rule=rule,
                details={"fields": names, "actual": None},
                **where,
            )
        else:
            value = json.loads(hit["key"])
            first = hit["first_row"]
            found.add(
                code,
                f"primary key ({', '.join(names)}) = {value} repeats row {first}",
                rule=rule,
                details={"fields": names, "actual": value, "first_row": first},
                **where,
            )
    elif code == "foreign-key":
        meta = json.loads(hit["actual"])
        value = json.loads(hit["key"])
        ref_name, names, ref_fields = meta["reference"], meta["fields"], meta["reference_fields"]
        found.add(
            code,
            f"({', '.join(names)}) = {value} not found in {ref_name} ({', '.join(ref_fields)})",
            field=name,
            rule=rule,
            details={
                "fields": names,
                "actual": value,
                "reference": ref_name,
                "reference_fields": ref_fields,
            },
            **where,
        )
