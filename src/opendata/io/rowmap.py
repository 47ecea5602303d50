"""Row maps: each record's frictionless row number and physical line, kept as runs, not arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass
class Run:
    """The numbers first, first + 1, ..., first + n - 1, without an array: most batches' rows and lines."""

    first: int
    n: int

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: Any) -> Any:
        import numpy as np

        if isinstance(index, int | np.integer):
            return self.first + int(index)
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return self.first + index

    def array(self) -> np.ndarray:
        """The numbers as an int64 array."""
        import numpy as np

        return np.arange(self.first, self.first + self.n, dtype=np.int64)


def as_array(numbers: np.ndarray | Run) -> np.ndarray:
    """The numbers as an int64 array, whether held as a run or already as one."""
    return numbers.array() if isinstance(numbers, Run) else numbers


class RowMap:
    """Each record's frictionless row number and physical line, by its position in the table.

    Kept as the batches' runs (no per-record arrays unless a batch is irregular), so that a
    table of millions of rows costs no memory for its row numbers.
    """

    def __init__(self) -> None:
        self.offsets: list[int] = []
        self.rows: list[np.ndarray | Run] = []
        self.lines: list[np.ndarray | Run] = []
        self.size = 0

    def append(self, rows: np.ndarray | Run, lines: np.ndarray | Run) -> None:
        """Add the next batch's row numbers and lines (an empty batch adds nothing)."""
        if len(rows):
            self.offsets.append(self.size)
            self.rows.append(rows)
            self.lines.append(lines)
            self.size += len(rows)

    def __len__(self) -> int:
        return self.size

    def ordered(self) -> bool:
        """Whether positions follow row numbers (a ragged record read serially comes later)."""
        return all(a[len(a) - 1] < b[0] for a, b in zip(self.rows, self.rows[1:], strict=False))

    def sorted(self) -> tuple[RowMap, np.ndarray]:
        """The map in row order, and the positions that put a table in that order."""
        import numpy as np

        rows = np.concatenate([as_array(r) for r in self.rows])
        lines = np.concatenate([as_array(x) for x in self.lines])
        order = np.argsort(rows, kind="stable")
        out = RowMap()
        out.append(rows[order], lines[order])
        return out, order

    def _part(self, position: int) -> tuple[int, int]:
        import bisect

        k = bisect.bisect_right(self.offsets, position) - 1
        return k, position - self.offsets[k]

    def row(self, position: int) -> int:
        """The frictionless row number of the record at this position."""
        k, i = self._part(int(position))
        return int(self.rows[k][i])

    def line(self, position: int) -> int:
        """The physical line where the record at this position starts."""
        k, i = self._part(int(position))
        return int(self.lines[k][i])
