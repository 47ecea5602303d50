"""What the descriptor checks share: JSON Schema profiles, JSON pointers, findings, names and paths."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from opendata.report import Issue

NAME_PATTERN = "^([-a-z0-9._/])+$"


def name_problem(name: Any, version: str) -> str | None:
    """Why NAME breaks v1's name pattern (v2 allows any string), or None."""
    if version != "v1" or not isinstance(name, str) or re.search(NAME_PATTERN, name):
        return None
    return f"name {name!r} does not match {NAME_PATTERN!r} (Data Package v1)"


def is_url(value: str) -> bool:
    """Whether VALUE has a URL scheme (a Windows drive letter is not one)."""
    scheme = urlparse(value).scheme
    return bool(scheme) and not value.lower().startswith(scheme + ":\\")


def is_safe_path(value: str) -> bool:
    """Whether a path in a descriptor is safe to follow: relative, no `../`, `~` or variables."""
    return not (
        os.path.isabs(value)
        or f"..{os.path.sep}" in value
        or value.startswith("~")
        or os.path.expandvars(value) != value
        or re.match(r"%.+%", value)
        or re.match(r"\$.+", value)
        or urlparse(value).scheme == "file"
    )


def pointer(*parts: Any) -> str:
    """A JSON pointer (RFC 6901) from its parts: `pointer("resources", 1, "path")` is /resources/1/path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Place:
    """Where findings go: the file, the JSON pointer of a value inside it, and the resource."""

    file: str
    at: str = ""
    resource: str | None = None
    field: str | None = None
    what: str = "descriptor"

    def down(self, *parts: Any) -> Place:
        """The place of a value inside this one."""
        return replace(self, at=self.at + pointer(*parts))

    def issue(self, code: str, problem: str, *parts: Any) -> Issue:
        """A descriptor finding at this place (or at PARTS below it), naming its JSON pointer."""
        at = self.at + pointer(*parts)
        return Issue(
            code=code,
            layer="descriptor",
            resource=self.resource,
            path=self.file,
            field=self.field,
            message=f"invalid {self.what}: {problem} at {at or '/'}",
            details={"pointer": at or "/"},
        )


_PROFILES: dict[tuple[str, str], Any] = {}
_VALIDATORS: dict[tuple[str, str], Any] = {}


def _profile(shape: str, patch: str) -> Any:
    """The JSON Schema `opendata/shapes/<shape>.json`, loaded once.

    With PATCH, the properties at `$defs/<patch>` are merged into the top-level ones (a field
    type's own properties into those of every field).
    """
    if (shape, patch) not in _PROFILES:
        path = Path(__file__).resolve().parent.parent / "shapes" / f"{shape}.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        if patch:
            node = schema["$defs"]
            for key in patch.split("/"):
                node = node.get(key, {})
            schema["properties"] = {**schema["properties"], **node.get("properties", {})}
        _PROFILES[shape, patch] = schema
    return _PROFILES[shape, patch]


def _validator(shape: str, patch: str) -> Any:
    """A jsonschema validator of the profile, built once (only for values that do not conform)."""
    if (shape, patch) not in _VALIDATORS:
        import jsonschema

        _VALIDATORS[shape, patch] = jsonschema.Draft202012Validator(_profile(shape, patch))
    return _VALIDATORS[shape, patch]


def profile_issues(
    value: Any, shape: str, code: str, place: Place, *, patch: str = ""
) -> list[Issue]:
    """Every way VALUE departs from the profile `shapes/<shape>.json`, one finding each."""
    from opendata.schema_gate import conforms

    if conforms(value, _profile(shape, patch)):
        return []
    issues = []
    errors = _validator(shape, patch).iter_errors(value)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        message = re.sub(r"\s+", " ", error.message)
        if len(message) > 200:
            message = message[:199] + "…"
        issues.append(place.issue(code, message, *error.absolute_path))
    return issues
