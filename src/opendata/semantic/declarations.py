"""Check declarations: one spec per check type, parsing a declaration, and the columns a check reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opendata.semantic.expression import ExpressionError, compiled

if TYPE_CHECKING:
    from opendata.package import Package

# Keys any check may have, whatever its type (see docs/checks.md).
COMMON_KEYS = ("id", "type", "message", "severity", "resource", "where", "claim", "quote", "note")


@dataclass(frozen=True)
class CheckType:
    """What a check type's declaration takes, and how its findings are reported.

    `required` and `optional` are the keys the type's evaluator reads. The check files' JSON
    Schema (`checks.schema.json`) refuses any other key but the common ones; a test keeps the
    two in step.
    """

    code: str  # the issue code a failure is reported with
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()  # at least one of these
    one_of: tuple[str, ...] = ()  # exactly one of these
    field: str | None = None  # the key naming the column findings are located at, if fixed
    column_always_read: bool = False  # `column` is read whatever its form (a name or a list)
    equals_names_column: bool = True  # a text `equals` is a column (row-wise), not a number
    groups: bool = False  # compares groups of this resource with rows of another


# Adding a type: its spec here, its definition in checks.schema.json (and the docs copy), its
# evaluator in `semantic.evaluators`, its row in docs/checks.md.
TYPES: dict[str, CheckType] = {
    "row-count": CheckType(
        "count-mismatch", optional=("equals", "min", "max"), any_of=("equals", "min", "max")
    ),
    "column-sum": CheckType(
        "sum-mismatch",
        required=("column", "equals"),
        optional=("tolerance",),
        equals_names_column=False,
    ),
    "distinct-count": CheckType(
        "count-mismatch",
        required=("column",),
        optional=("equals", "min", "max"),
        column_always_read=True,
    ),
    "row-sum": CheckType("sum-mismatch", required=("columns", "equals"), optional=("tolerance",)),
    "group-count": CheckType(
        "group-mismatch", required=("by", "against"), optional=("tolerance",), groups=True
    ),
    "group-sum": CheckType(
        "group-mismatch", required=("by", "against", "sum"), optional=("tolerance",), groups=True
    ),
    "monotonic": CheckType(
        "not-monotonic", required=("column", "by"), optional=("direction", "strict")
    ),
    "running-total": CheckType(
        "running-total-mismatch",
        required=("column", "total", "by"),
        optional=("start", "tolerance"),
        field="total",
    ),
    "difference": CheckType(
        "difference-mismatch",
        required=("column", "by", "equals"),
        optional=("tolerance",),
        field="equals",
    ),
    "ratio": CheckType(
        "ratio-mismatch",
        required=("numerator", "denominator", "equals"),
        optional=("scale", "round", "tolerance"),
    ),
    "values": CheckType(
        "values-mismatch",
        required=("column",),
        optional=("equals", "subset-of", "superset-of"),
        one_of=("equals", "subset-of", "superset-of"),
        column_always_read=True,
    ),
    "consistent": CheckType(
        "inconsistent-values", required=("key", "column"), column_always_read=True
    ),
    "expression": CheckType("expression-failed", required=("expression",)),
}


class CheckDefinitionError(ValueError):
    """A check declaration that cannot be compiled."""


def as_list(value: Any) -> list[Any]:
    """A declared value that may be one item or a list of them, as a list (None: empty)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


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
    def kind(self) -> CheckType:
        """The spec of this check's type."""
        return TYPES[self.type]

    @property
    def code(self) -> str:
        """The issue code a failure of this check is reported with."""
        return self.kind.code

    @property
    def tolerance(self) -> float:
        """The declared `tolerance` (default 0); raises when it is not a number."""
        return float(self.spec.get("tolerance", 0))

    @property
    def field(self) -> str | None:
        """The main column the check is about (for locating findings)."""
        if self.kind.field is not None:
            return str(self.spec[self.kind.field])
        for key in ("column", "equals", "numerator"):
            value = self.spec.get(key)
            if isinstance(value, str):
                return value
        return None

    def group_keys(self) -> set[tuple[str, str]]:
        """(resource, column) of a group check's keys when each side's key is a single column."""
        if not self.kind.groups:
            return set()
        by = as_list(self.spec.get("by"))
        against = self.spec.get("against") or {}
        key = as_list(against.get("key") or by)
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
            own.update(str(v) for v in as_list(self.spec.get(key)))
        against = self.spec.get("against")
        if isinstance(against, dict):
            ref = str(against.get("resource"))
            cols = out.setdefault(ref, set())
            cols.update(str(k) for k in as_list(against.get("key")))
            if against.get("column"):
                cols.add(str(against["column"]))
            add_expr(ref, against.get("where"))
        if self.kind.column_always_read:
            own.update(str(v) for v in as_list(self.spec.get("column")))
        # `equals` naming a column only applies to row-wise types.
        if not self.kind.equals_names_column and isinstance(self.spec.get("equals"), str):
            own.discard(self.spec["equals"])
        return {k: {c for c in v if c} for k, v in out.items()}


def parse_check(raw: Any, *, resource: str | None, declared_in: str | None) -> Check:
    """Validate one declaration and build a Check; raises CheckDefinitionError."""
    if not isinstance(raw, dict):
        raise CheckDefinitionError("a check must be a JSON object")
    cid = raw.get("id")
    if not isinstance(cid, str) or not cid:
        raise CheckDefinitionError("a check has no `id`")
    ctype = raw.get("type")
    if ctype not in TYPES:
        raise CheckDefinitionError(
            f"check {cid!r} has unknown type {ctype!r} (known: {', '.join(TYPES)})"
        )
    if not raw.get("message"):
        raise CheckDefinitionError(f"check {cid!r} has no `message`")
    severity = raw.get("severity", "error")
    if severity not in ("error", "warning"):
        raise CheckDefinitionError(f"check {cid!r}: severity must be error or warning")
    target = raw.get("resource") or resource
    if not target:
        raise CheckDefinitionError(f"package check {cid!r} does not name its `resource`")
    _check_keys(cid, ctype, TYPES[ctype], raw)
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


def _check_keys(cid: str, ctype: str, kind: CheckType, raw: dict[str, Any]) -> None:
    """Refuse a declaration missing a key its type requires."""
    missing = [k for k in kind.required if k not in raw]
    if missing:
        raise CheckDefinitionError(f"check {cid!r} ({ctype}) needs {', '.join(missing)}")
    if kind.any_of and not any(k in raw for k in kind.any_of):
        alternatives = f"{', '.join(kind.any_of[:-1])} or {kind.any_of[-1]}"
        raise CheckDefinitionError(f"check {cid!r} ({ctype}) needs {alternatives}")
    if kind.one_of and sum(k in raw for k in kind.one_of) != 1:
        raise CheckDefinitionError(
            f"check {cid!r} ({ctype}) needs exactly one of {', '.join(kind.one_of)}"
        )


def collect_checks(
    package: Package,
) -> tuple[list[Check], list[tuple[str | None, str, str | None]]]:
    """Every check of the package (resource checks, then package checks) and definition problems.

    A problem is (the file declaring the check, the message, the check's id when it has one).
    """
    checks: list[Check] = []
    problems: list[tuple[str | None, str, str | None]] = []
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
                cid = raw.get("id") if isinstance(raw, dict) else None
                problems.append((where, str(exc), cid if isinstance(cid, str) else None))
                continue
            if check.id in seen:
                problems.append((where, f"check id {check.id!r} is declared twice", check.id))
                continue
            unknown = sorted(name for name in check.needs() if not package.has(name))
            if unknown:
                verb = "names" if unknown == [check.resource] else "reads"
                problems.append(
                    (
                        where,
                        f"check {check.id!r} {verb} unknown resource"
                        f"{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}",
                        check.id,
                    )
                )
                continue
            seen.add(check.id)
            checks.append(check)
    return checks, problems


def coded_only(checks: list[Check]) -> dict[str, set[str]]:
    """Per resource, the columns that checks read only as the one-column key of a group check.

    Group checks count and add those by their dictionary codes, so the DataFrames are built
    without them: at millions of rows a decoded key column is the largest thing in a frame.
    """
    as_key: dict[str, set[str]] = {}
    otherwise: dict[str, set[str]] = {}
    for check in checks:
        keys = check.group_keys()
        for resource, columns in check.needs().items():
            for column in columns:
                role = as_key if (resource, column) in keys else otherwise
                role.setdefault(resource, set()).add(column)
        for resource, columns in check.filter_columns().items():
            otherwise.setdefault(resource, set()).update(columns)
    return {r: cols - otherwise.get(r, set()) for r, cols in as_key.items()}
