"""`schema_gate.conforms` says what jsonschema says, on every schema of opendata/shapes/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.schema_gate import KEYWORDS, conforms

SHAPES = sorted((Path(__file__).parent.parent / "src" / "opendata" / "shapes").glob("*.json"))
ANNOTATIONS = {"$schema", "$comment", "$defs", "$id", "title", "description"}


def _schemas(node: Any, in_names: bool = False) -> list[dict[str, Any]]:
    """Every subschema of NODE (property and $defs names are skipped, their values kept)."""
    if not isinstance(node, dict):
        return []
    if in_names:
        return [s for value in node.values() for s in _schemas(value)]
    found = [node]
    for key, value in node.items():
        if key == "properties":
            found += _schemas(value, in_names=True)
        elif key == "$defs":  # `$defs/types` of standard-field.json names one schema per type
            for name, definition in value.items():
                found += _schemas(definition, in_names=name == "types")
        elif key in ("items", "additionalProperties"):
            found += _schemas(value)
        elif key in ("anyOf", "oneOf"):
            found += [s for item in value for s in _schemas(item)]
    return found


def _words(node: Any) -> set[str]:
    """Property names, enum members and string constants of a schema: what values should use."""
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("properties", "$defs") and isinstance(value, dict):
                out |= set(value)
            if key == "enum":
                out |= {v for v in value if isinstance(v, str)}
            out |= _words(value)
    elif isinstance(node, list):
        for value in node:
            out |= _words(value)
    return out


LOADED = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in SHAPES}
WORDS = sorted(set().union(*(_words(s) for s in LOADED.values())) | {"", "a-b", "A", "x/y", "1"})


@pytest.mark.parametrize("name", sorted(LOADED))
def test_every_shape_uses_only_keywords_the_gate_evaluates(name: str) -> None:
    for node in _schemas(LOADED[name]):
        assert node.keys() <= KEYWORDS | ANNOTATIONS, (name, node.keys() - KEYWORDS - ANNOTATIONS)


def _json() -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 3),
        st.sampled_from([0.0, 1.0, 1.5, -2.0, 10**20]),
        st.sampled_from(WORDS),
        st.text(max_size=4),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(WORDS), inner, max_size=6),
        ),
        max_leaves=25,
    )


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(LOADED)), value=_json())
def test_the_gate_agrees_with_jsonschema(name: str, value: Any) -> None:
    schema = LOADED[name]
    assert conforms(value, schema) is jsonschema.Draft202012Validator(schema).is_valid(value)


def test_it_agrees_on_real_descriptors_fields_and_their_mutations() -> None:
    package = json.loads((Path(__file__).parent.parent / "datapackage.json").read_text())
    field = {"name": "a", "type": "integer", "constraints": {"minimum": 1}}
    cases: list[tuple[str, Any]] = [("standard-package", package), ("descriptor", package)]
    cases += [("standard-field", field), ("standard-resource", package["resources"][0])]
    for key in ("name", "resources", "licenses", "version"):
        broken = dict(package)
        broken[key] = 7
        cases += [("standard-package", broken), ("descriptor", broken)]
    cases += [("standard-field", {**field, "type": "Integer!"}), ("standard-field", {"type": 1})]
    verdicts = set()
    for name, value in cases:
        expected = jsonschema.Draft202012Validator(LOADED[name]).is_valid(value)
        assert conforms(value, LOADED[name]) is expected, (name, value)
        verdicts.add(expected)
    assert verdicts == {True, False}  # both answers were exercised


def test_json_equality_and_integers() -> None:
    schema = {"enum": [1, "a", [True]]}
    assert conforms(1.0, schema) and conforms([True], schema)
    assert not conforms(True, schema) and not conforms([1], schema)
    assert conforms(2.0, {"type": "integer"}) and not conforms(True, {"type": "integer"})
    assert conforms(1, {"oneOf": [{"type": "integer"}, {"type": "string"}]})
    assert not conforms(1, {"oneOf": [{"type": "integer"}, {"type": "number"}]})


def test_beyond_its_keywords_it_says_so() -> None:
    assert conforms("x", {"const": "x"}) is None
    assert conforms("x", {"$ref": "https://example.org/s.json"}) is None


def test_a_conforming_package_does_not_import_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_text("a\n1\n", encoding="utf-8")
    schema = {"fields": [{"name": "a", "type": "integer"}]}
    descriptor = {"name": "p", "resources": [{"name": "t", "path": "t.csv", "schema": schema}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    code = (
        "import sys\nfrom opendata import validate_package\n"
        f"r = validate_package({str(tmp_path)!r})\n"
        "print(r.valid, 'jsonschema' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]
    descriptor["licenses"] = [{"name": 1}]
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]  # a problem to describe: jsonschema says what


KEYWORD_CASES = [
    ({"minLength": 2}, ["", "a", "ab", "脱贫", 3]),
    ({"minItems": 1}, [[], [0], "x"]),
    ({"minimum": 0}, [-1, 0, 0.5, True, "x"]),
    ({"pattern": "^[a-z]+$"}, ["ab", "aB", "", 1]),
    ({"required": ["a"]}, [{}, {"a": None}, {"b": 1}, []]),
    (
        {"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}},
        [{"a": "x", "b": 1}, {"a": "x", "b": "y"}, {"a": 1}, {"c": 2.0}],
    ),
    ({"items": {"type": "string"}}, [[], ["a"], ["a", 1], {"a": 1}]),
    ({"anyOf": [{"type": "string"}, {"type": "null"}]}, ["a", None, 1]),
    ({"type": ["string", "array"]}, ["a", [], 1, None]),
    ({"$defs": {"n": {"type": "number"}}, "items": {"$ref": "#/$defs/n"}}, [[1, 2.5], [1, "x"]]),
]


@pytest.mark.parametrize(("schema", "values"), KEYWORD_CASES, ids=lambda c: str(c)[:30])
def test_each_keyword_as_jsonschema_reads_it(schema: dict[str, Any], values: list[Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    verdicts = [conforms(value, schema) for value in values]
    assert verdicts == [validator.is_valid(value) for value in values]
    assert len(set(verdicts)) == 2  # each case holds a value that passes and one that fails
