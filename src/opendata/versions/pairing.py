"""Pairing rows of tables without a primary key: a removed and an added row that differ in a few cells are one changed row.

Without a key, a corrected typo shows as one row removed and one added, which the Data Package
Version pattern counts as a major change; a curator means a patch. So rows left over after the
multiset comparison are paired when they agree on most cells:

- a removed row and an added row pair when at most a third of the compared columns differ
  (at least one cell differs, or they would not be left over), and at least one cell agrees;
- each removed row, in file order, takes the added row agreeing on the most cells (the earliest
  in file order on a tie); each added row pairs at most once;
- candidates are found through cell values shared by few added rows (at most `COMMON` of
  them), so that a column like a year, repeated on every row, costs nothing and decides nothing.
  Rows that agree only on such common values stay removed and added.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

# A cell value shared by more added rows than this does not single out a candidate.
COMMON = 64


def differing_allowed(columns: int) -> int:
    """How many cells of `columns` compared may differ for two rows to pair (a third, at least one)."""
    return max(1, columns // 3)


def pair_rows(
    removed: list[tuple[Any, ...]], added: list[tuple[Any, ...]]
) -> list[tuple[int, int]]:
    """(index into removed, index into added) of each pair, in the order of `removed`."""
    if not removed or not added:
        return []
    width = len(removed[0])
    allowed = differing_allowed(width)
    holders: list[dict[Any, list[int]]] = [defaultdict(list) for _ in range(width)]
    for j, row in enumerate(added):
        for c, value in enumerate(row):
            holders[c][value].append(j)
    taken: set[int] = set()
    pairs = []
    for i, row in enumerate(removed):
        agree: Counter[int] = Counter()
        for c, value in enumerate(row):
            rows = holders[c].get(value, ())
            if len(rows) <= COMMON:
                agree.update(j for j in rows if j not in taken)
        best = _best(agree, added, row, width - allowed)
        if best is not None:
            taken.add(best)
            pairs.append((i, best))
    return pairs


def _best(
    agree: Counter[int], added: list[tuple[Any, ...]], row: tuple[Any, ...], needed: int
) -> int | None:
    """The candidate agreeing with `row` on the most cells (at least `needed`), earliest on a tie."""
    best, best_score = None, max(needed, 1) - 1
    for j in sorted(agree):
        # The counter saw only uncommon values: count every agreeing cell for the verdict.
        score = sum(1 for a, b in zip(row, added[j], strict=True) if a == b)
        if score > best_score:
            best, best_score = j, score
    return best
