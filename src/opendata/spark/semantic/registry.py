"""What a Spark evaluator returns, and the evaluators registered per check type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opendata.semantic.declarations import Check

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    Frames = dict[str, DataFrame]


MAX_ROW_FINDINGS = 1000


@dataclass
class SparkOutcome:
    """A check's result: pass or fail, and where (rows, with detail columns `d_*`) or by how much."""

    passed: bool
    failing: DataFrame | None = None  # row, line, and d_<key> columns: the details of each row
    first: list[Any] = field(default_factory=list)  # the first failing rows (up to the cap + 1)
    expected: Any = None
    actual: Any = None
    groups: list[dict[str, Any]] = field(default_factory=list)
    group_lines: list[int | None] = field(default_factory=list)  # each group's first line


SparkEvaluator = Callable[[Check, "Frames"], SparkOutcome]


EVALUATORS: dict[str, SparkEvaluator] = {}


def evaluator(check_type: str) -> Callable[[SparkEvaluator], SparkEvaluator]:
    """Register the decorated function as the Spark evaluator of `check_type`."""

    def register(fn: SparkEvaluator) -> SparkEvaluator:
        EVALUATORS[check_type] = fn
        return fn

    return register
