"""YAML metadata (descriptors, schemas, dialects, checks) read as the JSON it stands for, safely.

A YAML descriptor means the same as its JSON form, so only what JSON can say is accepted:
mappings with string keys, lists, strings, finite numbers, booleans and nulls. Dates stay
strings (`created: 2024-01-01` is the text a JSON descriptor would hold), and aliases are
refused: `&a [*b, *b, ...]` chains expand exponentially for anything that walks the result
(a "billion laughs"), and a descriptor never needs them.
"""

from __future__ import annotations

import math
from typing import Any

import yaml

from opendata.errors import CouldNotRun

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """yaml's safe loader without implicit timestamps (dates stay the strings JSON would hold)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str, *, what: str, where: str, max_depth: int) -> Any:
    """Parse YAML text holding one JSON-like document; every failure is a one-line CouldNotRun."""
    try:
        _check_events(text, what=what, where=where, max_depth=max_depth)
        value = yaml.load(text, Loader=_Loader)  # a safe loader (see _Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "unreadable"
        raise CouldNotRun(
            f"{what} is not valid YAML: {problem}{at}", path=where, hint="fix the YAML syntax"
        ) from None
    except yaml.YAMLError as exc:
        raise CouldNotRun(f"{what} is not valid YAML: {exc}", path=where) from None
    problem = _not_json(value, "")
    if problem is not None:
        raise CouldNotRun(
            f"{what} holds {problem}, which JSON cannot",
            path=where,
            hint="quote the value or write it as JSON would",
        )
    return value


def _check_events(text: str, *, what: str, where: str, max_depth: int) -> None:
    """Refuse aliases, more than one document, and nesting deeper than MAX_DEPTH (before building)."""
    depth = documents = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            raise CouldNotRun(
                f"{what} uses a YAML alias (*{event.anchor}) at line {mark.line + 1}",
                path=where,
                hint="write the value out in full; aliases are not accepted in metadata",
            )
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise CouldNotRun(
                    f"{what} holds more than one YAML document",
                    path=where,
                    hint="keep one document per file",
                )
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise CouldNotRun(
                    f"{what} is nested more than {max_depth} levels deep",
                    path=where,
                    hint="flatten the structure",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _not_json(value: Any, at: str) -> str | None:
    """What in VALUE JSON cannot hold (and where), or None."""
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value} at {at or '/'}"
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _not_json(item, f"{at}/{i}")
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"a key that is not a string ({key!r}) at {at or '/'}"
            found = _not_json(item, f"{at}/{key}")
            if found:
                return found
        return None
    return f"a {type(value).__name__} value at {at or '/'}"
