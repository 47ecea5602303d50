"""Batches of records: text columns with their row numbers and lines, cut and put in file order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from opendata.io.rowmap import Run, as_array

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa


@dataclass
class Batch:
    """A block of records as text columns, with frictionless row numbers and physical lines."""

    columns: list[pa.Array]
    rows: np.ndarray | Run
    lines: np.ndarray | Run
    present: list[pa.Array] | None = None
    extra_cells: list[tuple[int, int, list[str]]] = field(default_factory=list)


# A ragged record to put among a block's good records: its row number, the lines it spans, its cells.
Ragged = tuple[int, int, list[str]]


def make_room(good: Batch, good_end: int, placed: list[Ragged]) -> tuple[list[int], list[int], int]:
    """Shift the good records' rows and lines past the ragged records placed among them.

    `good_end` is the line after the good records. Returns the line each ragged record starts
    at, how many good records precede each, and how many lines the ragged records take in all.
    """
    import numpy as np

    n = len(good.rows)
    base_rows = as_array(good.rows)
    base_lines = as_array(good.lines)
    delta_line = np.zeros(n + 1, dtype=np.int64)
    delta_row = np.zeros(n + 1, dtype=np.int64)
    consumed_lines = 0
    ragged_lines, at = [], []
    for order, (row_number, span, _cells) in enumerate(placed):
        idx = int(np.searchsorted(base_rows, row_number - order, side="left"))
        start = int(base_lines[idx]) if idx < n else good_end
        ragged_lines.append(start + consumed_lines)
        at.append(idx)
        delta_line[idx] += span
        delta_row[idx] += 1
        consumed_lines += span
    good.lines = base_lines + np.cumsum(delta_line)[:n]
    good.rows = base_rows + np.cumsum(delta_row)[:n]
    return ragged_lines, at, consumed_lines


# Beyond this many places where ragged records go, a block is not cut up: its ragged records
# follow it, and the table is put in row order once at the end (RowMap.sorted).
_MAX_CUTS = 64


def interleave(good: Batch, bad: Batch, at: list[int]) -> list[Batch]:
    """The good records cut where the ragged ones go (`at`: good records before each), in order.

    Slices share memory with the block, so keeping file order costs no copy of the columns.
    """
    n = len(good.rows)
    cuts = sorted(set(at))
    if len(cuts) > _MAX_CUTS:
        return ([good] if n else []) + [bad]
    out: list[Batch] = []
    previous, k = 0, 0
    for cut in cuts:
        if cut > previous:
            out.append(_slice(good, previous, cut))
        m = at.count(cut)
        out.append(_slice(bad, k, k + m))
        previous, k = cut, k + m
    if previous < n:
        out.append(_slice(good, previous, n))
    return out


def _numbers(numbers: np.ndarray | Run, start: int, stop: int) -> np.ndarray | Run:
    """numbers[start:stop], as a run when they are consecutive."""
    if isinstance(numbers, Run):
        return Run(numbers.first + start, stop - start)
    part = numbers[start:stop]
    if len(part) and int(part[-1]) - int(part[0]) == len(part) - 1:
        return Run(int(part[0]), len(part))
    return part


def _slice(batch: Batch, start: int, stop: int) -> Batch:
    rows = _numbers(batch.rows, start, stop)
    kept = set(as_array(rows).tolist()) if batch.extra_cells else set()
    return Batch(
        columns=[c.slice(start, stop - start) for c in batch.columns],
        rows=rows,
        lines=_numbers(batch.lines, start, stop),
        present=(
            None if batch.present is None else [p.slice(start, stop - start) for p in batch.present]
        ),
        extra_cells=[e for e in batch.extra_cells if e[0] in kept],
    )
