"""The specification of check files: a JSON Schema (`checks.schema.json`), checked before anything runs.

The schema has one definition per check type, types every parameter and refuses unknown keys;
`docs/checks.schema.json` is a copy of it (a test keeps them equal).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun

if TYPE_CHECKING:
    from jsonschema import ValidationError

    from opendata.package import Package

SCHEMA_PATH = Path(__file__).with_name("checks.schema.json")


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The JSON Schema of a check file."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded


def problems(declared: Any) -> list[tuple[list[Any], ValidationError]]:
    """Every check of a list that breaks the schema: the JSON path and most telling error of each.

    Each declaration is validated against its type's definition directly (what the schema's
    `if`/`then` on `type` selects), which is a dozen times faster than the whole schema.
    """
    from jsonschema.exceptions import best_match

    if not isinstance(declared, list):
        return [(list(e.absolute_path), e) for e in _validator("").iter_errors(declared)][:1]
    out = []
    for index, item in enumerate(declared):
        ctype = item.get("type") if isinstance(item, dict) else None
        known = isinstance(ctype, str) and ctype in schema()["$defs"]["check"]["properties"][
            "type"
        ].get("enum", [])
        best = best_match(_validator(ctype if known else "check").iter_errors(item))
        if best is not None:
            out.append(([index, *best.absolute_path], best))
    return out


@functools.lru_cache(maxsize=32)
def _validator(definition: str) -> Any:
    """A validator of one definition of the schema (the whole schema for "")."""
    from jsonschema import Draft202012Validator

    root = schema()
    if not definition:
        return Draft202012Validator(root)
    return Draft202012Validator({"$defs": root["$defs"], "$ref": f"#/$defs/{definition}"})


def check_declarations(package: Package) -> None:
    """Refuse a package with a malformed check declaration: CouldNotRun (exit 2), naming the
    file, the check id, the JSON pointer of the bad value and the fix."""
    sources: list[tuple[list[Any], str | None, str]] = [
        (r.checks, r.checks_path, f"/resources/{i}/checks") for i, r in enumerate(package.resources)
    ]
    sources.append((package.checks, package.checks_path, "/checks"))
    for declared, path, inline_at in sources:
        found = problems(declared) if declared else []
        if not found:
            continue
        steps, error = found[0]
        pointer = ("" if path else inline_at) + "".join(f"/{_escaped(s)}" for s in steps)
        check = declared[steps[0]] if steps and isinstance(steps[0], int) else None
        cid = check.get("id") if isinstance(check, dict) else None
        more = f" (and {len(found) - 1} more checks)" if len(found) > 1 else ""
        raise CouldNotRun(
            f"check {cid!r} at {pointer or '/'}: {_problem(error)}{more}",
            path=path or str(package.descriptor_path),
            hint=f"{_fix(error, check)}; the format is docs/checks.schema.json",
        )


def _escaped(step: Any) -> str:
    return str(step).replace("~", "~0").replace("/", "~1")


def _problem(error: ValidationError) -> str:
    if error.validator == "oneOf" and _alternatives(error):
        return "it has more than one of " + ", ".join(_alternatives(error))
    if error.validator == "anyOf" and _alternatives(error):
        return "it has none of " + ", ".join(_alternatives(error))
    return error.message if len(error.message) <= 160 else error.message[:157] + "..."


def _alternatives(error: ValidationError) -> list[str]:
    """The keys of `anyOf` / `oneOf` alternatives that each require one key."""
    options = error.validator_value if isinstance(error.validator_value, list) else []
    keys = [o["required"][0] for o in options if isinstance(o, dict) and "required" in o]
    return keys if len(keys) == len(options) else []


def _fix(error: ValidationError, check: Any) -> str:
    ctype = check.get("type") if isinstance(check, dict) else None
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        return f"remove the unknown key or correct its spelling (allowed: {', '.join(allowed)})"
    if error.validator == "required":
        return f"add the missing key{'' if ctype is None else f' that `{ctype}` needs'}"
    if error.validator == "enum":
        return "use one of: " + ", ".join(str(v) for v in error.validator_value)
    if error.validator == "oneOf" and _alternatives(error):
        return "keep exactly one of " + ", ".join(_alternatives(error))
    if error.validator == "anyOf" and _alternatives(error):
        return "add one of " + ", ".join(_alternatives(error))
    if error.validator == "type":
        return f"give a value of type {error.validator_value}"
    if error.validator == "oneOf":
        kinds = [
            o.get("$ref", "").rsplit("/", 1)[-1] or o.get("type") for o in error.validator_value
        ]
        return "give " + " or ".join(f"a {k}" for k in kinds if k)
    return f"correct the value ({error.validator} {error.validator_value!r})"
