"""The evaluator registry: one function per check type, registered by name, computing an Outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from opendata.semantic.declarations import Check
    from opendata.semantic.frames import Codes, Frames


@dataclass
class Outcome:
    """The result of one check: which rows or groups fail, and expected versus actual."""

    passed: bool
    failing_rows: pd.Series | None = None
    expected: Any = None
    actual: Any = None
    groups: list[dict[str, Any]] = field(default_factory=list)
    # Details of one failing row, given its index label in the table (not its position).
    row_details: Callable[[Any], dict[str, Any]] | None = None


# An evaluator computes one check's outcome from its declaration, the typed frames of every
# resource, and the dictionary codes of the key columns read encoded.
Evaluator = Callable[["Check", "Frames", "Codes"], Outcome]

# check type (as declared, e.g. "row-count") -> its evaluator; filled by @evaluator.
EVALUATORS: dict[str, Evaluator] = {}


def evaluator(check_type: str) -> Callable[[Evaluator], Evaluator]:
    """Register the decorated function as the evaluator of `check_type` (once per type)."""

    def register(fn: Evaluator) -> Evaluator:
        if check_type in EVALUATORS:
            raise ValueError(f"check type {check_type!r} already has an evaluator")
        EVALUATORS[check_type] = fn
        return fn

    return register
