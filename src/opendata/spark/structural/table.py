"""A resource as the Spark engine's structural layer holds it, and how its findings are collected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opendata.report import Issue

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame


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
