"""Reading the typed frames for a check: the rows a `where` keeps, the numbers a declaration names."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.semantic.expression import compiled

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

Frames = dict[str, "pd.DataFrame"]  # resource name -> its typed frame
# resource -> column -> (codes: int32 per row, -1 for null; the distinct values, in code order):
# key columns read dictionary-encoded, so that grouping by them needs no hashing of the values.
Codes = dict[str, dict[str, tuple["np.ndarray", "pd.Index"]]]


def select(frame: pd.DataFrame, where: Any) -> pd.DataFrame:
    """The rows `where` keeps (all when it is empty)."""
    if not where:
        return frame
    mask = compiled(str(where)).evaluate(frame)
    return frame[mask]


def column(frame: pd.DataFrame, where: Any, name: str) -> pd.Series:
    """One column of the rows `where` keeps: filtering one column, not the whole frame."""
    import pandas as pd

    values = frame[name]
    if not where:
        return values
    mask = compiled(str(where)).evaluate(frame)
    if isinstance(mask, pd.Series):
        return values[mask]
    return values if mask else values.iloc[:0]


def count(frame: pd.DataFrame, where: Any) -> int:
    """How many rows `where` keeps (all when it is empty), without copying them."""
    import pandas as pd

    if not where:
        return len(frame)
    mask = compiled(str(where)).evaluate(frame)
    if isinstance(mask, pd.Series):
        return int(mask.sum())
    return len(frame) if mask else 0


# The aggregates a reference may name: a fixed list, never a method looked up by name.
AGGREGATES = ("sum", "count", "min", "max", "mean", "distinct")


def aggregate(reference: dict[str, Any], frame: pd.DataFrame) -> Any:
    """The aggregate an `{column, aggregate, where}` reference describes, computed on `frame`."""
    agg = reference.get("aggregate", "sum")
    if agg == "count":
        return count(frame, reference.get("where"))
    values = column(frame, reference.get("where"), str(reference["column"]))
    if agg == "distinct":
        return int(values.nunique(dropna=True))
    if agg == "sum":
        return plain(values.sum())
    if agg == "min":
        return plain(values.min())
    if agg == "max":
        return plain(values.max())
    if agg == "mean":
        return plain(values.mean())
    raise ValueError(f"unknown aggregate {agg!r} (known: {', '.join(AGGREGATES)})")


def number(value: Any, frame: pd.DataFrame) -> Any:
    """A number, or the aggregate a reference describes: its resolved `value` when it names
    another resource, else computed on `frame` (the check's own resource)."""
    if not isinstance(value, dict):
        return value
    if "value" in value:
        return value["value"]
    return aggregate(value, frame)


def operand(frame: pd.DataFrame, value: Any) -> Any:
    """A column of the frame when `value` names one, else the value itself (a number)."""
    return frame[value] if isinstance(value, str) else value


def plain(value: Any) -> Any:
    """numpy / pandas scalars to plain Python for JSON."""
    import math

    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    try:
        import pandas as pd

        if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


def close(a: Any, b: Any, tolerance: float) -> bool:
    """Whether two numbers agree within the tolerance (and a relative hair); None only with None."""
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= tolerance + 1e-9 * max(abs(float(a)), abs(float(b)), 1.0)


def set_verdict(spec: dict[str, Any], actual: set[Any]) -> tuple[bool, dict[str, Any]]:
    """A `values` check's verdict on the set of values found (either engine's), and its details:
    `equals`, `subset-of` or `superset-of` the declared set."""
    if "equals" in spec:
        want = {plain(v) for v in spec["equals"]}
        ok = actual == want
    elif "subset-of" in spec:
        want = {plain(v) for v in spec["subset-of"]}
        ok = actual <= want
    else:
        want = {plain(v) for v in spec["superset-of"]}
        ok = actual >= want
    details = {
        "expected": sorted(want, key=str),
        "actual": sorted(actual, key=str),
        "groups": [
            {
                "missing": sorted(want - actual, key=str),
                "unexpected": sorted(actual - want, key=str),
            }
        ],
    }
    return ok, details
