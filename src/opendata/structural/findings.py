"""Findings of one resource: the collector, and the cell values a finding quotes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.io.arrays import from_numpy
from opendata.report import Issue, jsonable

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from opendata.package import Resource


class Findings:
    """Collects the issues of one resource."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource
        self.issues: list[Issue] = []
        # Valid cells the typed table cannot hold (integers beyond 64 bits, null there), as
        # (row, field, text): not a finding, but a release must not write them as missing.
        self.unheld: list[tuple[int, str, Any]] = []

    def add(self, code: str, message: str, **kw: Any) -> None:
        """Add a structural issue of this resource (`kw`: row, line, field, rule, details...)."""
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


def values_at(arr: pa.Array, positions: np.ndarray) -> list[Any]:
    """The Python values at these positions, taken in one vectorised step."""
    import numpy as np

    if not len(positions):
        return []
    return [jsonable(v) for v in arr.take(from_numpy(np.asarray(positions))).to_pylist()]


def tuples_at(arrays: list[pa.Array], positions: np.ndarray) -> list[list[Any]]:
    """Key values (one list per position) taken in one vectorised step per column."""
    columns = [values_at(arr, positions) for arr in arrays]
    return [list(t) for t in zip(*columns, strict=True)] if columns else []
