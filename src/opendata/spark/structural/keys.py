"""unique, primary and foreign keys on Spark: repeats by group-by, missing references by anti-join."""

from __future__ import annotations

import json
from functools import reduce
from typing import TYPE_CHECKING, Any

from opendata.package import Resource
from opendata.spark.structural.findings import as_json, finding
from opendata.spark.structural.table import SparkTable, col
from opendata.structural.findings import Findings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def key_findings(
    resource: Resource,
    frame: DataFrame,
    names: list[str],
    tables: dict[str, SparkTable],
    found: Findings,
) -> list[DataFrame]:
    """unique and primary-key repeats by group-by, foreign keys by anti-join."""
    from pyspark.sql import functions as F

    out = []
    unique = [f.name for f in resource.fields if f.constraints.get("unique") and f.name in names]
    for name in unique:
        present = frame.filter(col(name).isNotNull())
        out.append(
            finding(
                _repeats(present, [name]),
                "unique-error",
                name,
                "constraint:unique",
                actual=as_json(col(name)),
                first_row=F.col("_first"),
            )
        )
    pk = [n for n in resource.primary_key if n in names]
    if pk and len(pk) == len(resource.primary_key):
        all_null = reduce(lambda a, b: a & b, [col(n).isNull() for n in pk])
        key = F.to_json(F.array(*[col(n) for n in pk]))
        out.append(finding(frame.filter(all_null), "primary-key", None, "primary-key"))
        out.append(
            finding(
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
    found: Findings,
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
    return finding(
        missing,
        "foreign-key",
        names[0] if len(names) == 1 else None,
        "foreign-key",
        key=key,
        actual=F.lit(declared),
    )
