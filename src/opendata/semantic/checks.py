"""The declarative check vocabulary: parse check declarations and compute their outcomes on typed tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opendata.semantic.expression import ExpressionError, compiled

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from opendata.package import Package

Frames = dict[str, "pd.DataFrame"]
# resource -> column -> (codes: int32 per row, -1 for null; the distinct values, in code order):
# key columns read dictionary-encoded, so that grouping by them needs no hashing of the values.
Codes = dict[str, dict[str, tuple["np.ndarray", "pd.Index"]]]

# type -> (issue code, required keys)
VOCABULARY: dict[str, tuple[str, tuple[str, ...]]] = {
    "row-count": ("count-mismatch", ()),
    "column-sum": ("sum-mismatch", ("column", "equals")),
    "distinct-count": ("count-mismatch", ("column",)),
    "row-sum": ("sum-mismatch", ("columns", "equals")),
    "group-count": ("group-mismatch", ("by", "against")),
    "group-sum": ("group-mismatch", ("by", "against", "sum")),
    "monotonic": ("not-monotonic", ("column", "by")),
    "running-total": ("running-total-mismatch", ("column", "total", "by")),
    "difference": ("difference-mismatch", ("column", "by", "equals")),
    "ratio": ("ratio-mismatch", ("numerator", "denominator", "equals")),
    "values": ("values-mismatch", ("column",)),
    "consistent": ("inconsistent-values", ("key", "column")),
    "expression": ("expression-failed", ("expression",)),
}


class CheckDefinitionError(ValueError):
    """A check declaration that cannot be compiled."""


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


@dataclass
class Check:
    """One declared check."""

    id: str
    type: str
    message: str
    resource: str
    spec: dict[str, Any]
    severity: str = "error"
    declared_in: str | None = None

    @property
    def code(self) -> str:
        """The issue code a failure of this check is reported with."""
        return VOCABULARY[self.type][0]

    @property
    def field(self) -> str | None:
        """The main column the check is about (for locating findings)."""
        if self.type == "running-total":
            return str(self.spec["total"])
        if self.type == "difference":
            return str(self.spec["equals"])
        for key in ("column", "equals", "numerator"):
            value = self.spec.get(key)
            if isinstance(value, str):
                return value
        return None

    def group_keys(self) -> set[tuple[str, str]]:
        """(resource, column) of a group check's keys when each side's key is a single column."""
        if self.type not in ("group-count", "group-sum"):
            return set()
        by = _as_list(self.spec.get("by"))
        against = self.spec.get("against") or {}
        key = _as_list(against.get("key") or by)
        out = set()
        if len(by) == 1:
            out.add((self.resource, str(by[0])))
        if len(key) == 1:
            out.add((str(against.get("resource")), str(key[0])))
        return out

    def filter_columns(self) -> dict[str, set[str]]:
        """The columns each resource's `where` filters of this check read."""
        out: dict[str, set[str]] = {}
        sources = [(self.resource, self.spec.get("where"))]
        for value in self.spec.values():
            if isinstance(value, dict):
                sources.append((str(value.get("resource") or self.resource), value.get("where")))
        for resource, where in sources:
            if isinstance(where, str):
                out.setdefault(resource, set()).update(compiled(where).columns)
        return out

    def needs(self) -> dict[str, set[str]]:
        """The columns of each resource this check reads (computed once: asked for often)."""
        cached: dict[str, set[str]] | None = self.__dict__.get("_needs")
        if cached is None:
            cached = self.__dict__["_needs"] = self._needs()
        return {k: set(v) for k, v in cached.items()}

    def _needs(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {self.resource: set()}
        own = out[self.resource]

        def add_expr(resource: str, source: Any) -> None:
            if isinstance(source, str):
                out.setdefault(resource, set()).update(compiled(source).columns)

        add_expr(self.resource, self.spec.get("where"))
        add_expr(self.resource, self.spec.get("expression"))
        for key in ("column", "total", "by", "sum", "numerator", "denominator", "equals"):
            value = self.spec.get(key)
            if isinstance(value, str):
                own.add(value)
            elif isinstance(value, list) and key in ("by", "column"):
                own.update(str(v) for v in value)
            elif isinstance(value, dict):
                ref = str(value.get("resource") or self.resource)
                cols = out.setdefault(ref, set())
                if value.get("column") and value.get("aggregate") != "count":  # count: rows
                    cols.add(str(value["column"]))
                add_expr(ref, value.get("where"))
        for key in ("columns", "key"):
            own.update(str(v) for v in self.spec.get(key) or [])
        against = self.spec.get("against")
        if isinstance(against, dict):
            ref = str(against.get("resource"))
            cols = out.setdefault(ref, set())
            cols.update(str(k) for k in _as_list(against.get("key")))
            if against.get("column"):
                cols.add(str(against["column"]))
            add_expr(ref, against.get("where"))
        if self.type in ("distinct-count", "values") or (self.type == "consistent"):
            own.update(str(v) for v in _as_list(self.spec.get("column")))
        # `equals` naming a column only applies to row-wise types.
        if self.type in ("column-sum",) and isinstance(self.spec.get("equals"), str):
            own.discard(self.spec["equals"])
        return {k: {c for c in v if c} for k, v in out.items()}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def parse_check(raw: Any, *, resource: str | None, declared_in: str | None) -> Check:
    """Validate one declaration and build a Check; raises CheckDefinitionError."""
    if not isinstance(raw, dict):
        raise CheckDefinitionError("a check must be a JSON object")
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid:
        raise CheckDefinitionError("a check has no `id`")
    ctype = raw.get("type")
    if ctype not in VOCABULARY:
        raise CheckDefinitionError(
            f"check {cid!r} has unknown type {ctype!r} (known: {', '.join(VOCABULARY)})"
        )
    if not raw.get("message"):
        raise CheckDefinitionError(f"check {cid!r} has no `message`")
    severity = raw.get("severity", "error")
    if severity not in ("error", "warning"):
        raise CheckDefinitionError(f"check {cid!r}: severity must be error or warning")
    target = raw.get("resource") or resource
    if not target:
        raise CheckDefinitionError(f"package check {cid!r} does not name its `resource`")
    missing = [k for k in VOCABULARY[ctype][1] if k not in raw]
    if missing:
        raise CheckDefinitionError(f"check {cid!r} ({ctype}) needs {', '.join(missing)}")
    if ctype == "row-count" and not any(k in raw for k in ("equals", "min", "max")):
        raise CheckDefinitionError(f"check {cid!r} (row-count) needs equals, min or max")
    if ctype == "values" and sum(k in raw for k in ("equals", "subset-of", "superset-of")) != 1:
        raise CheckDefinitionError(
            f"check {cid!r} (values) needs exactly one of equals, subset-of, superset-of"
        )
    check = Check(
        id=cid,
        type=ctype,
        message=str(raw["message"]),
        resource=str(target),
        spec=dict(raw),
        severity=severity,
        declared_in=declared_in,
    )
    try:
        check.needs()
    except ExpressionError as exc:
        raise CheckDefinitionError(f"check {cid!r}: {exc}") from None
    return check


def collect_checks(package: Package) -> tuple[list[Check], list[tuple[str | None, str]]]:
    """Every check of the package (resource checks, then package checks) and definition problems."""
    checks: list[Check] = []
    problems: list[tuple[str | None, str]] = []
    seen: set[str] = set()
    sources: list[tuple[str | None, list[dict[str, Any]], str | None]] = [
        (r.name, r.checks, r.checks_path) for r in package.resources
    ]
    sources.append((None, package.checks, package.checks_path))
    for resource, declared, where in sources:
        for raw in declared:
            try:
                check = parse_check(raw, resource=resource, declared_in=where)
            except CheckDefinitionError as exc:
                problems.append((where, str(exc)))
                continue
            if check.id in seen:
                problems.append((where, f"check id {check.id!r} is declared twice"))
                continue
            if not package.has(check.resource):
                problems.append(
                    (where, f"check {check.id!r} names unknown resource {check.resource!r}")
                )
                continue
            seen.add(check.id)
            checks.append(check)
    return checks, problems


# --- evaluation ---------------------------------------------------------------------------


def _select(frame: pd.DataFrame, where: Any) -> pd.DataFrame:
    """The rows `where` keeps (all when it is empty)."""
    if not where:
        return frame
    mask = compiled(str(where)).evaluate(frame)
    return frame[mask]


def _column(frame: pd.DataFrame, where: Any, column: str) -> pd.Series:
    """One column of the rows `where` keeps: filtering one column, not the whole frame."""
    import pandas as pd

    values = frame[column]
    if not where:
        return values
    mask = compiled(str(where)).evaluate(frame)
    if isinstance(mask, pd.Series):
        return values[mask]
    return values if mask else values.iloc[:0]


def _count(frame: pd.DataFrame, where: Any) -> int:
    """How many rows `where` keeps (all when it is empty), without copying them."""
    import pandas as pd

    if not where:
        return len(frame)
    mask = compiled(str(where)).evaluate(frame)
    if isinstance(mask, pd.Series):
        return int(mask.sum())
    return len(frame) if mask else 0


def _number(value: Any, frames: Frames, default_resource: str) -> Any:
    """A number, or the aggregate a reference describes."""
    if not isinstance(value, dict):
        return value
    ref = str(value.get("resource") or default_resource)
    agg = value.get("aggregate", "sum")
    if agg == "count":
        return _count(frames[ref], value.get("where"))
    column = _column(frames[ref], value.get("where"), str(value["column"]))
    if agg == "distinct":
        return int(column.nunique(dropna=True))
    result = getattr(column, agg)()
    return _plain(result)


def _plain(value: Any) -> Any:
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


def _close(a: Any, b: Any, tolerance: float) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= tolerance + 1e-9 * max(abs(float(a)), abs(float(b)), 1.0)


def _operand(frame: pd.DataFrame, value: Any) -> Any:
    return frame[value] if isinstance(value, str) else value


def evaluate(check: Check, frames: Frames, codes: Codes | None = None) -> Outcome:
    """Compute a check's outcome on typed DataFrames (one per resource).

    `codes`, when given, holds the dictionary codes of columns read encoded; group checks by
    one such column count and sum by code instead of hashing the values again.
    """
    import pandas as pd

    s = check.spec
    tol = float(s.get("tolerance", 0))

    if check.type == "row-count":
        n = _count(frames[check.resource], s.get("where"))
        ok = True
        expected: dict[str, Any] = {}
        for key, test in (("equals", n.__eq__), ("min", n.__ge__), ("max", n.__le__)):
            if key in s:
                target = _number(s[key], frames, check.resource)
                expected[key] = target
                ok = ok and bool(test(target))
        return Outcome(ok, expected=expected.get("equals", expected), actual=n)

    if check.type in ("group-count", "group-sum"):
        return _group(check, frames, codes or {})

    if check.type == "column-sum":
        total = _plain(_column(frames[check.resource], s.get("where"), s["column"]).sum())
        target = _number(s["equals"], frames, check.resource)
        return Outcome(_close(total, target, tol), expected=target, actual=total)

    if check.type == "values":
        return _values(check, _column(frames[check.resource], s.get("where"), s["column"]))

    frame = _select(frames[check.resource], s.get("where"))

    if check.type == "distinct-count":
        cols = _as_list(s["column"])
        n = len(frame[cols].dropna().drop_duplicates())
        ok = True
        expected = {}
        for key, test in (("equals", n.__eq__), ("min", n.__ge__), ("max", n.__le__)):
            if key in s:
                target = _number(s[key], frames, check.resource)
                expected[key] = target
                ok = ok and bool(test(target))
        return Outcome(ok, expected=expected.get("equals", expected), actual=n)

    if check.type == "row-sum":
        total = frame[list(s["columns"])].sum(axis=1, min_count=1)
        target = _operand(frame, s["equals"])
        diff = (total - target).abs()
        bad = ~(diff <= tol + 1e-9).fillna(False).astype(bool)
        return Outcome(
            not bad.any(),
            failing_rows=bad,
            row_details=lambda label: {
                "expected": _plain(target.loc[label] if isinstance(target, pd.Series) else target),
                "actual": _plain(total.loc[label]),
            },
        )

    if check.type in ("monotonic", "running-total", "difference"):
        ordered = frame.sort_values(s["by"], kind="stable")
        col = ordered[s["column"]]
        if check.type == "monotonic":
            step = col.diff()
            increasing = s.get("direction", "increasing") == "increasing"
            strict = bool(s.get("strict", True))
            if increasing:
                good = step > 0 if strict else step >= 0
            else:
                good = step < 0 if strict else step <= 0
            good = good.astype("boolean").fillna(True) if len(step) else good
            good.iloc[:1] = True
            prev = col.shift(1)
            bad = ~good.astype(bool)
            return Outcome(
                not bad.any(),
                failing_rows=bad.reindex(frame.index, fill_value=False),
                row_details=_prev_details(ordered, frame, prev, col, "previous", "actual"),
            )
        if check.type == "running-total":
            expected_total = col.cumsum() + float(s.get("start", 0))
            actual = ordered[s["total"]]
            bad = ~((expected_total - actual).abs() <= tol + 1e-9).fillna(False).astype(bool)
            return Outcome(
                not bad.any(),
                failing_rows=bad.reindex(frame.index, fill_value=False),
                row_details=_prev_details(
                    ordered, frame, expected_total, actual, "expected", "actual"
                ),
            )
        expected_diff = col.shift(1) - col
        actual = ordered[s["equals"]]
        bad = ~((expected_diff - actual).abs() <= tol + 1e-9).fillna(False).astype(bool)
        if len(bad):
            bad.iloc[0] = False
        return Outcome(
            not bad.any(),
            failing_rows=bad.reindex(frame.index, fill_value=False),
            row_details=_prev_details(ordered, frame, expected_diff, actual, "expected", "actual"),
        )

    if check.type == "ratio":
        num = _operand(frame, s["numerator"])
        den = _operand(frame, s["denominator"])
        target = _operand(frame, s["equals"])
        value = (num / den) * float(s.get("scale", 1))
        if "round" in s:
            value = (
                value.round(int(s["round"]))
                if isinstance(value, pd.Series)
                else round(value, int(s["round"]))
            )
        if isinstance(value, pd.Series) or isinstance(target, pd.Series):
            diff = (value - target).abs()
            bad = ~(diff <= tol + 1e-9).fillna(False).astype(bool)
            if not isinstance(bad, pd.Series):
                bad = pd.Series(bool(bad), index=frame.index)
            return Outcome(
                not bad.any(),
                failing_rows=bad,
                row_details=lambda label: {
                    "expected": _plain(
                        target.loc[label] if isinstance(target, pd.Series) else target
                    ),
                    "actual": _plain(value.loc[label] if isinstance(value, pd.Series) else value),
                },
            )
        return Outcome(_close(value, target, tol), expected=target, actual=_plain(value))

    if check.type == "consistent":
        keys = _as_list(s["key"])
        col = s["column"]
        distinct = frame.groupby(keys, dropna=False)[col].transform("nunique", dropna=False)
        bad = (distinct > 1).astype(bool)
        return Outcome(
            not bool(bad.any()),
            failing_rows=bad,
            row_details=lambda label: {"actual": _plain(frame[col].loc[label])},
        )

    if check.type == "expression":
        result = compiled(str(s["expression"])).evaluate(frame)
        if not isinstance(result, pd.Series):
            return Outcome(bool(result), expected=True, actual=bool(result))
        bad = ~result.astype(bool)
        return Outcome(not bad.any(), failing_rows=bad)

    raise CheckDefinitionError(f"unknown check type {check.type}")  # pragma: no cover


def _values(check: Check, column: pd.Series) -> Outcome:
    """The `values` check: the set of a column's values against the declared set."""
    s = check.spec
    actual_set = {_plain(v) for v in column.dropna().unique().tolist()}
    if "equals" in s:
        want = {_plain(v) for v in s["equals"]}
        ok = actual_set == want
    elif "subset-of" in s:
        want = {_plain(v) for v in s["subset-of"]}
        ok = actual_set <= want
    else:
        want = {_plain(v) for v in s["superset-of"]}
        ok = actual_set >= want
    return Outcome(
        ok,
        expected=sorted(want, key=str),
        actual=sorted(actual_set, key=str),
        groups=[
            {
                "missing": sorted(want - actual_set, key=str),
                "unexpected": sorted(actual_set - want, key=str),
            }
        ],
    )


def _prev_details(
    ordered: pd.DataFrame,
    frame: pd.DataFrame,
    expected: pd.Series,
    actual: pd.Series,
    ek: str,
    ak: str,
) -> Callable[[int], dict[str, Any]]:
    def details(label: Any) -> dict[str, Any]:
        return {ek: _plain(expected.loc[label]), ak: _plain(actual.loc[label])}

    del ordered
    return details


def _grouped(
    frames: Frames, codes: Codes, resource: str, where: Any, by: list[str], column: str | None
) -> pd.Series:
    """Rows per group (column None) or the column's sum per group, nulls a group of their own.

    The values of pandas's `groupby(..., dropna=False)`, not necessarily in its order. By code
    when the key is a single column read dictionary-encoded and the sum (if any) is of integers,
    which bincount adds exactly. A key column the frame was built without (see
    `validate._coded_only`) is decoded from its codes where pandas has to group.
    """
    import numpy as np
    import pandas as pd

    base = frames[resource]
    frame = _select(base, where)
    factorized = codes.get(resource, {}).get(by[0]) if len(by) == 1 else None
    values = frame[column] if column is not None else None
    index = base.index
    plain_index = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1

    def by_pandas() -> pd.Series:
        keyed = frame
        for name in by:
            if name not in keyed.columns:
                indices, uniques = codes[resource][name]
                taken = uniques.take(indices[keyed.index.to_numpy()], allow_fill=True)
                keyed = keyed.assign(**{name: taken.array})
        grouped = keyed.groupby(by, dropna=False)
        return grouped.size() if column is None else grouped[column].sum(min_count=1)

    if (
        factorized is None
        or not plain_index
        or len(factorized[0]) != len(base)
        or (values is not None and not pd.api.types.is_integer_dtype(values.dtype))
    ):
        return by_pandas()
    indices, uniques = factorized
    if frame is not base:  # a `where` kept some rows: their labels are positions in the base
        indices = indices[frame.index.to_numpy()]
    size = len(uniques) + 1  # slot 0: the null key, code c in slot c + 1
    step = 1 << 20  # bincount copies its input to int64: a million rows at a time

    def tally(weights: np.ndarray | None = None, keep: np.ndarray | None = None) -> np.ndarray:
        total = np.zeros(size, dtype=np.int64 if weights is None else np.float64)
        for start in range(0, len(indices), step):
            slots = np.add(indices[start : start + step], 1, dtype=np.int64)
            w = None if weights is None else weights[start : start + step]
            if keep is not None:
                k = keep[start : start + step]
                slots, w = slots[k], (None if w is None else w[k])
            total += np.bincount(slots, weights=w, minlength=size)
        return total

    counts = tally()
    present = counts > 0
    if values is None:
        result = counts
    else:
        valid = values.notna().to_numpy()
        numbers = values.to_numpy(dtype="float64", na_value=0.0)
        if np.abs(numbers).sum() >= 2**53:  # beyond exact float sums: let pandas add
            return by_pandas()
        sums = tally(numbers, valid)
        with_values = tally(keep=valid) > 0
        result = pd.array(sums.round().astype(np.int64), dtype="Int64")
        result[~with_values] = pd.NA  # min_count=1: a group of nulls sums to null
    out = pd.Series(result[1:][present[1:]], index=uniques[present[1:]])
    if present[0]:
        null = pd.Series([result[0]], index=pd.Index([None], dtype=uniques.dtype))
        out = pd.concat([out, null]) if len(out) else null
    out.index.name = by[0]
    return out


def _group(check: Check, frames: Frames, codes: Codes) -> Outcome:
    import pandas as pd

    s = check.spec
    by = _as_list(s["by"])
    against = s["against"]
    key = _as_list(against.get("key") or by)
    column = str(against["column"])
    sum_column = None if check.type == "group-count" else str(s["sum"])
    mine = _grouped(frames, codes, check.resource, s.get("where"), by, sum_column)
    theirs = _grouped(frames, codes, str(against["resource"]), against.get("where"), key, column)
    mine.index.names = key
    joined = pd.concat([mine.rename("actual"), theirs.rename("expected")], axis=1).fillna(0)
    tol = float(s.get("tolerance", 0))
    bad = joined[(joined["actual"] - joined["expected"]).abs() > tol + 1e-9]
    bad = bad.sort_index(na_position="last")  # groups reported in key order
    groups = []
    for idx, row in bad.iterrows():
        values = idx if isinstance(idx, tuple) else (idx,)
        groups.append(
            {
                "group": {k: _plain(v) for k, v in zip(by, values, strict=True)},
                "expected": _plain(row["expected"]),
                "actual": _plain(row["actual"]),
            }
        )
    return Outcome(not groups, groups=groups)
