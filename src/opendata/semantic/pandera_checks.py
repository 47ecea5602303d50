"""The declared checks as pandera checks: each type's evaluator registered as a pandera check method.

`register()` registers one method per check type (`Check.opendata_row_count`, ...) with
pandera's extension API, so that a schema holding them serialises to YAML and loads back. The
method's one statistic is the check's declaration, with references to other resources
resolved to values (`resolved`); the method computes on the frame pandera passes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.semantic.declarations import Check, as_list
from opendata.semantic.evaluators import evaluate
from opendata.semantic.frames import Frames, aggregate
from opendata.semantic.grouping import as_rows, their_groups
from opendata.semantic.registry import EVALUATORS

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pandera

PREFIX = "opendata_"
# Keys of a declaration that may hold an aggregate reference (docs/checks.md).
REFERENCE_KEYS = ("equals", "min", "max")


def method_name(check_type: str) -> str:
    """The pandera check method of a check type: `row-count` -> `opendata_row_count`."""
    return PREFIX + check_type.replace("-", "_")


def register() -> None:
    """Register every check type with pandera as a check method; a second call does nothing."""
    import pandas as pd
    from pandera.api.checks import Check as PanderaCheck
    from pandera.extensions import register_check_method

    for check_type in EVALUATORS:
        name = method_name(check_type)
        if name in PanderaCheck.REGISTERED_CUSTOM_CHECKS:
            continue
        register_check_method(
            _method(check_type, name), statistics=["declaration"], supported_types=pd.DataFrame
        )


register_checks = register  # the public name (`opendata.register_checks()`)


def _method(check_type: str, name: str) -> Any:
    def method(frame: pd.DataFrame, *, declaration: dict[str, Any]) -> Any:
        return evaluate(from_declaration(declaration), frame).verdict(frame)

    method.__name__ = name
    method.__doc__ = f"The opendata `{check_type}` check (see docs/checks.md) on a DataFrame."
    return method


def from_declaration(declaration: dict[str, Any]) -> Check:
    """The Check a (resolved) declaration describes, as a pandera check method receives it."""
    return Check(
        id=str(declaration.get("id", "")),
        type=str(declaration["type"]),
        message=str(declaration.get("message", "")),
        resource=str(declaration.get("resource", "")),
        spec=declaration,
        severity=str(declaration.get("severity", "error")),
    )


def resolved(check: Check, frames: Frames, *, literal: bool = False) -> dict[str, Any]:
    """The check's declaration with what it reads from other resources resolved to values.

    An aggregate reference to another resource gets its `value`; a group check's `against`
    gets `values`, the other resource's `column` per key (a Series, or with `literal` plain
    rows `[key..., value]` that YAML can hold). References to the check's own resource are
    left as they are: the check computes them on the frame it is given.
    """
    declaration = {**check.spec, "resource": check.resource}
    for key in REFERENCE_KEYS:
        ref = declaration.get(key)
        if isinstance(ref, dict) and str(ref.get("resource") or check.resource) != check.resource:
            declaration[key] = {**ref, "value": aggregate(ref, frames[str(ref["resource"])])}
    if check.kind.groups:
        theirs = their_groups(check, frames)
        against = dict(declaration["against"])
        against["key"] = as_list(against.get("key") or declaration["by"])
        against["values"] = as_rows(theirs) if literal else theirs
        declaration["against"] = against
    return declaration


def builtin(check: Check, *, warn: bool = False) -> tuple[str, pandera.Check] | None:
    """The column and pandera built-in check that decide a check, when one does.

    `values` without a `where`: `subset-of` is `isin`, `equals` is `unique_values_eq` (pandera
    leaves nulls out of both, as the evaluator does). Every other check is a registered method.
    """
    from pandera.api.checks import Check as PanderaCheck

    spec = check.spec
    if check.type != "values" or spec.get("where") or not isinstance(spec.get("column"), str):
        return None
    options: dict[str, Any] = {
        "error": check.id,
        "raise_warning": warn and check.severity == "warning",
    }
    if "subset-of" in spec:
        return spec["column"], PanderaCheck.isin(list(spec["subset-of"]), **options)
    if "equals" in spec:
        return spec["column"], PanderaCheck.unique_values_eq(list(spec["equals"]), **options)
    return None


def pandera_check(
    check: Check, declaration: dict[str, Any], *, warn: bool = False, cases: int | None = None
) -> pandera.Check:
    """The registered pandera check of a check, on its resolved declaration.

    `warn` makes a warning-severity check warn instead of fail (for exported schemas; the
    validator reports warnings itself). `cases` caps the failing rows pandera lists.
    """
    from pandera.api.checks import Check as PanderaCheck

    register()
    method = getattr(PanderaCheck, method_name(check.type))
    return method(
        declaration=declaration,
        error=check.id,
        ignore_na=False,
        raise_warning=warn and check.severity == "warning",
        n_failure_cases=cases,
    )
