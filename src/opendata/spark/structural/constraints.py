"""Cell findings and field constraints on Spark: the parse pass's findings and Spark SQL predicates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opendata.package import Field
from opendata.spark.read import spark_type
from opendata.spark.structural.findings import as_json
from opendata.structural.parsers import python_value

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


_LENGTH_TYPES = ("string", "any", "yearmonth", "duration", "geopoint", "object", "array", "geojson")


_TYPED_IN_MESSAGES = ("integer", "number", "boolean")


def cell_findings(parsed: DataFrame, fields: list[Field]) -> list[DataFrame]:
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
                as_json(shown).alias("actual"),
                F.lit(None).cast("int").alias("position"),
            )
            broken.append(F.when(value.isNotNull() & ~F.col("blank") & predicate, hit))
    cells = F.transform("issues", lambda x: x.withField("actual", as_json(x["actual"])))
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
                bound = str(c[name])  # text against text (see docs/engines.md)
            out.append((name, broken(value, F.lit(bound))))
    if f.type in _LENGTH_TYPES:
        if "minLength" in c:
            out.append(("minLength", F.char_length(value) < int(c["minLength"])))
        if "maxLength" in c:
            out.append(("maxLength", F.char_length(value) > int(c["maxLength"])))
    if "pattern" in c and spark_type(f) == "string":
        out.append(("pattern", ~value.rlike(f"^(?:{java_pattern(str(c['pattern']))})$")))
    if "enum" in c and isinstance(c["enum"], list):
        if spark_type(f) == "string":
            members = [str(v) for v in c["enum"] if python_value(f, v) is not None]
        else:
            members = [m for v in c["enum"] if (m := python_value(f, v)) is not None]
        out.append(("enum", ~value.isin(members) if members else F.lit(True)))
    return out


def java_pattern(pattern: str) -> str:
    """A Python regular expression in Java's spelling where they differ: named groups."""
    import re

    pattern = re.sub(r"\(\?P<", "(?<", pattern)
    return re.sub(r"\(\?P=(\w+)\)", r"\\k<\1>", pattern)
