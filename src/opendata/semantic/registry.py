"""The evaluator registry: one function per check type, registered by name, computing an Outcome.

An evaluator computes on the frame pandera passes it (see `semantic.pandera_checks`, which
registers each one with pandera as a check method); it reads nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from opendata.semantic.declarations import Check


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

    def verdict(self, frame: pd.DataFrame) -> Any:
        """What a pandera check returns: a boolean per row of `frame` (True passes), or one bool."""
        if self.failing_rows is None:
            return bool(self.passed)
        import numpy as np
        import pandas as pd

        failing = self.failing_rows.reindex(frame.index, fill_value=False)
        mask = ~failing.to_numpy(dtype=bool, na_value=False)
        return pd.Series(mask, index=frame.index, dtype=np.bool_)


# An evaluator computes one check's outcome from its declaration (cross-table references
# already resolved to values) and the frame of the check's resource, as pandera passes it.
Evaluator = Callable[["Check", "pd.DataFrame"], Outcome]

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
