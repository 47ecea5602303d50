"""Whether a value conforms to one of opendata's own JSON Schemas, without importing jsonschema.

Every descriptor, Table Schema and field is held to the JSON Schemas in `opendata/shapes/`.
Importing `jsonschema` costs about 50 ms, a tenth of validating a small package, and almost
every descriptor conforms. So `conforms` answers the yes/no question for the few keywords those
schemas use; only when the answer is no (or a schema uses a keyword outside that set) do the
callers import jsonschema, for its messages and paths. The answers must be jsonschema's
(Draft 2020-12): `tests/test_schema_gate.py` compares them on generated values.
"""

from __future__ import annotations

import math
import re
from typing import Any

# Keywords that change nothing about validity.
_ANNOTATIONS = frozenset({"$schema", "$comment", "$defs", "$id", "title", "description"})
KEYWORDS = frozenset(
    {
        "type",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "minItems",
        "minLength",
        "minimum",
        "pattern",
        "enum",
        "anyOf",
        "oneOf",
        "$ref",
    }
)


class Unsupported(Exception):
    """The schema uses a keyword (or a `$ref`) this module does not evaluate."""


def conforms(value: Any, schema: dict[str, Any]) -> bool | None:
    """True or False as jsonschema would say; None when SCHEMA is beyond this module."""
    try:
        return _valid(value, schema, schema)
    except Unsupported:
        return None


def _valid(value: Any, node: Any, root: dict[str, Any]) -> bool:
    if node is True or node == {}:
        return True
    if node is False:
        return False
    unknown = node.keys() - KEYWORDS - _ANNOTATIONS
    if unknown:
        raise Unsupported(sorted(unknown))
    if "$ref" in node and not _valid(value, _resolve(node["$ref"], root), root):
        return False
    if "type" in node and not _is_type(value, node["type"]):
        return False
    if "enum" in node and not any(_equal(value, member) for member in node["enum"]):
        return False
    if "anyOf" in node and not any(_valid(value, s, root) for s in node["anyOf"]):
        return False
    if "oneOf" in node and sum(_valid(value, s, root) for s in node["oneOf"]) != 1:
        return False
    if isinstance(value, str):
        return _valid_string(value, node)
    if _is_number(value):
        return "minimum" not in node or value >= node["minimum"]
    if isinstance(value, list):
        items = node.get("items", True)
        return len(value) >= node.get("minItems", 0) and all(
            _valid(item, items, root) for item in value
        )
    if isinstance(value, dict):
        return _valid_object(value, node, root)
    return True


def _valid_string(value: str, node: dict[str, Any]) -> bool:
    if len(value) < node.get("minLength", 0):
        return False
    return "pattern" not in node or re.search(node["pattern"], value) is not None


def _valid_object(value: dict[str, Any], node: dict[str, Any], root: dict[str, Any]) -> bool:
    if any(name not in value for name in node.get("required", [])):
        return False
    properties = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    for name, item in value.items():
        schema = properties.get(name, extra)
        if not _valid(item, schema, root):
            return False
    return True


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    """A local JSON pointer (`#/$defs/...`); any other reference is Unsupported."""
    if not ref.startswith("#"):
        raise Unsupported(ref)
    node: Any = root
    for part in ref[1:].split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            raise Unsupported(ref)
        node = node[part]
    return node


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_type(value: Any, expected: str | list[str]) -> bool:
    if isinstance(expected, list):
        return any(_is_type(value, e) for e in expected)
    if expected == "integer":  # JSON Schema: 1.0 is an integer too
        return _is_number(value) and (
            isinstance(value, int) or (math.isfinite(value) and value.is_integer())
        )
    checks = {
        "string": lambda v: isinstance(v, str),
        "number": _is_number,
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "null": lambda v: v is None,
    }
    if expected not in checks:
        raise Unsupported(expected)
    return bool(checks[expected](value))


def _equal(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1`, `1.0` is `1`, containers compared item by item."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None
