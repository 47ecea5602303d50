"""Differential test: opendata's verdicts on descriptors and Table Schemas equal frictionless 5.21's.

Each case is a small valid package (v1, v2, or a custom `$schema`) with one or more mutations
from MUTATIONS applied: bad names, licences, paths, profiles, dialects, keys, fields and
constraints. Two frictionless answers are compared with opendata's:

- `frictionless.validate` on the package written to disk: valid exactly when opendata finds
  no descriptor or schema problem, and every code it reports is among opendata's;
- frictionless's own checks of each level (package, resource, dialect, schema, field), run one
  level at a time so that a failing level does not hide the others (frictionless reports only
  the first level that fails; opendata reports them all, docs/compatibility.md): the same set
  of `(resource, code)` as opendata's findings.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.errors import CouldNotRun
from opendata.package import load_package
from opendata.structural.verdicts import verdicts

V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
CUSTOM = "https://example.org/profiles/my-package.json"
VERSIONS = {"v1": None, "v2": V2, "unknown": CUSTOM}
Key = tuple[int | None, str]  # (resource index, or None for the package; code)


def base(version: str) -> dict[str, Any]:
    """A valid two-table package, in the shape of a small published one."""
    d: dict[str, Any] = {
        "name": "county-panel",
        "title": "County panel",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {
                "name": "counties",
                "path": "counties.csv",
                "schema": {
                    "fields": [
                        {"name": "code", "type": "string", "constraints": {"required": True}},
                        {"name": "province", "type": "string"},
                    ],
                    "primaryKey": ["code"],
                },
            },
            {
                "name": "population",
                "path": "population.csv",
                "schema": {
                    "fields": [
                        {"name": "code", "type": "string"},
                        {"name": "year", "type": "year"},
                        {"name": "people", "type": "integer", "constraints": {"minimum": 0}},
                    ],
                    "foreignKeys": [
                        {"fields": "code", "reference": {"resource": "counties", "fields": "code"}}
                    ],
                },
            },
        ],
    }
    if VERSIONS[version]:
        d = {"$schema": VERSIONS[version], **d}
    return d


def _set(*path: Any) -> Callable[[Any], Callable[[dict[str, Any]], None]]:
    def with_value(value: Any) -> Callable[[dict[str, Any]], None]:
        def change(d: dict[str, Any]) -> None:
            node = _node(d, path[:-1])
            if node is not None:
                node[path[-1]] = copy.deepcopy(value)

        return change

    return with_value


def _del(*path: Any) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        node = _node(d, path[:-1])
        if node is not None and path[-1] in node:
            del node[path[-1]]

    return change


def _node(d: Any, path: tuple[Any, ...]) -> Any:
    """The container at PATH, or None when an earlier mutation took it away."""
    for key in path:
        try:
            d = d[key]
        except (KeyError, IndexError, TypeError):
            return None
    return d if isinstance(d, dict | list) else None


R0, R1 = ("resources", 0), ("resources", 1)
S1 = (*R1, "schema")
F2 = (*S1, "fields", 2)  # population.people, an integer
F0 = (*S1, "fields", 0)  # population.code, a string


def _all_tabular(d: dict[str, Any]) -> None:
    d["profile"] = "tabular-data-package"
    for r in d["resources"]:
        r["profile"] = "tabular-data-resource"


MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    # the package
    "package-name-upper": _set("name")("County Panel"),
    "package-name-none": _del("name"),
    "licence-without-name-or-path": _set("licenses")([{"title": "Open"}]),
    "licences-a-string": _set("licenses")("CC0"),
    "licence-a-string": _set("licenses")(["CC0"]),
    "licence-path-only": _set("licenses")([{"path": "LICENSE.txt"}]),
    "created-not-a-datetime": _set("created")("yesterday"),
    "created-datetime": _set("created")("2024-05-01T10:00:00Z"),
    "contributor-bad-email": _set("contributors")([{"title": "A", "email": "nope"}]),
    "source-good-email": _set("sources")([{"title": "B", "email": "b@example.org"}]),
    "keywords-numbers": _set("keywords")([1, 2]),
    "homepage-number": _set("homepage")(5),
    "package-profile-data-package": _set("profile")("data-package"),
    "package-profile-tabular-mixed": _set("profile")("tabular-data-package"),
    "package-profile-tabular-all": _all_tabular,
    "package-profile-unknown-name": _set("profile")("fiscal-ish"),
    "package-missing-values": _set("missingValues")(["NA"]),
    "package-fields": _set("fields")([]),
    "package-type": _set("type")("dataset"),
    # a resource
    "resource-profile-tabular": _set(*R0, "profile")("tabular-data-resource"),
    "resource-profile-tabular-no-schema": lambda d: (
        d["resources"][0].update(profile="tabular-data-resource"),
        d["resources"][0].pop("schema"),
    ),
    "resource-profile-data-resource": _set(*R1, "profile")("data-resource"),
    "resource-profile-a-package-one": _set(*R1, "profile")("data-package"),
    "resource-name-upper": _set(*R1, "name")("Population"),
    "resource-path-and-data": _set(*R0, "data")([["a", "b"]]),
    "resource-path-dotdot": _set(*R0, "path")("sub/../counties.csv"),
    "resource-licence-without-name": _set(*R1, "licenses")([{"title": "x"}]),
    "resource-source-bad-email": _set(*R1, "sources")([{"email": "not-an-email"}]),
    "resource-bytes-text": _set(*R0, "bytes")("many"),
    "resource-encoding-number": _set(*R0, "encoding")(8),
    "resource-format-number": _set(*R0, "format")(5),
    "resource-type-table": _set(*R0, "type")("table"),
    "resource-type-unknown": _set(*R0, "type")("spreadsheet"),
    "resource-missing-values": _set(*R0, "missingValues")(["NA"]),
    "dialect-header-text": _set(*R0, "dialect")({"header": "no"}),
    "dialect-delimiter-number": _set(*R0, "dialect")({"delimiter": 5}),
    "dialect-good": _set(*R0, "dialect")({"delimiter": ",", "doubleQuote": True}),
    # a Table Schema
    "field-type-unknown": _set(*F2, "type")("integr"),
    "field-type-empty": _set(*F2, "type")(""),
    "primary-key-ghost": _set(*S1, "primaryKey")(["ghost"]),
    "primary-key-string": _set(*S1, "primaryKey")("code"),
    "primary-key-nested": _set(*S1, "primaryKey")([["code"]]),
    "primary-key-number": _set(*S1, "primaryKey")(0),
    "foreign-key-ghost-field": _set(*S1, "foreignKeys", 0, "fields")("ghost"),
    "foreign-key-length": _set(*S1, "foreignKeys", 0, "fields")(["code", "year"]),
    "foreign-key-a-string": _set(*S1, "foreignKeys")("counties.code"),
    "foreign-key-no-reference": _set(*S1, "foreignKeys")([{"fields": "code"}]),
    "schema-missing-values-numbers": _set(*S1, "missingValues")([1]),
    "schema-missing-values-objects": _set(*S1, "missingValues")([{"value": "NA", "label": "n/a"}]),
    "schema-missing-values-repeated": _set(*S1, "missingValues")(
        [{"value": "NA"}, {"value": "NA"}]
    ),
    "schema-fields-match-bogus": _set(*S1, "fieldsMatch")("bogus"),
    "schema-name-upper": _set(*S1, "name")("Population Schema"),
    "schema-no-fields": _del(*S1, "fields"),
    "fields-duplicate": _set(*F0, "name")("year"),
    "field-without-name": _del(*F0, "name"),
    "field-name-number": _set(*F0, "name")(7),
    "field-a-string": _set(*S1, "fields", 1)("year"),
    # a field
    "pattern-on-integer": _set(*F2, "constraints")({"pattern": "[0-9]+"}),
    "min-length-on-integer": _set(*F2, "constraints")({"minLength": 1}),
    "exclusive-minimum": _set(*F2, "constraints")({"exclusiveMinimum": 0}),
    "exclusive-maximum-date": _set(*S1, "fields", 1)(
        {"name": "year", "type": "date", "constraints": {"exclusiveMaximum": "2030-01-01"}}
    ),
    "enum-a-string": _set(*F0, "constraints")({"enum": "x"}),
    "required-text": _set(*F0, "constraints")({"required": "yes"}),
    "max-length-fraction": _set(*F0, "constraints")({"maxLength": 1.5}),
    "unique-on-any": _set(*F0, "type")("any"),
    "bare-number-text": _set(*F2, "bareNumber")("no"),
    "group-char-number": _set(*F2, "groupChar")(1),  # not an integer property: ignored
    "boolean-true-values-string": _set(*S1, "fields", 1)(
        {"name": "year", "type": "boolean", "trueValues": "y"}
    ),
    "string-format-unknown": _set(*F0, "format")("roman"),
    "string-format-email": _set(*F0, "format")("email"),
    "date-format-pattern": _set(*S1, "fields", 1)(
        {"name": "year", "type": "date", "format": "fmt:%Y-%m-%d"}
    ),
    "geojson-format-unknown": _set(*S1, "fields", 1)(
        {"name": "year", "type": "geojson", "format": "shape"}
    ),
    "list-item-type-bogus": _set(*S1, "fields", 1)(
        {"name": "year", "type": "list", "itemType": "geopoint"}
    ),
    "example-invalid": _set(*F2, "example")("many"),
    "example-valid": _set(*F2, "example")("12"),
    "example-boolean-custom": _set(*S1, "fields", 1)(
        {"name": "year", "type": "boolean", "trueValues": ["oui"], "example": "oui"}
    ),
    "required-outside-constraints": _set(*F0, "required")(True),
    "field-missing-values-objects": _set(*F2, "missingValues")([{"value": "-"}]),
    "field-missing-values-strings": _set(*F2, "missingValues")(["-"]),
    "field-type-v2-list": _set(*S1, "fields", 1)({"name": "year", "type": "list"}),
}


# ---------------------------------------------------------------- opendata's side


def opendata_keys(path: Path) -> set[Key] | None:
    """opendata's findings as (resource index, code); None when it refuses the package (exit 2)."""
    try:
        package = load_package(path)
    except CouldNotRun:
        return None
    index = {r.name: i for i, r in enumerate(package.resources)}
    descriptor, schemas = verdicts(package)
    found: set[Key] = set()
    for issue in descriptor + [i for issues in schemas.values() for i in issues]:
        if issue.message.endswith("add a Table Schema"):
            continue  # opendata asks every resource for a schema (not a standard rule)
        where = None if issue.code == "package-error" else index.get(issue.resource or "")
        found.add((where, issue.code))
    return found


# ---------------------------------------------------------------- frictionless's side


@contextmanager
def one_level_at_a_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """frictionless's checks of each level without its recursion into the levels below."""
    from frictionless import Dialect, Package, Resource, Schema

    with monkeypatch.context() as m:
        for cls in (Package, Resource, Schema, Dialect):
            m.setattr(cls, "metadata_select_property_class", classmethod(lambda c, n: None))
        yield


class Crash(Exception):
    """frictionless raised something other than its own error: it has no verdict to compare."""


class Stop(Exception):
    """Marks an error after which frictionless stops checking (it raised, or returned)."""


def _level(cls: Any, descriptor: dict[str, Any], context: Any) -> list[Any]:
    """One level's errors; a `Stop` among them when frictionless stopped at one."""
    from frictionless import FrictionlessException

    errors: list[Any] = []
    try:
        cls.metadata_transform(descriptor)
        for error in cls.metadata_validate(descriptor, context=context):
            errors.append(error)
            if any(s in error.note for s in _STOPS):
                errors.append(Stop())
    except FrictionlessException as exc:  # e.g. a profile it cannot download
        errors += [exc.error, Stop()]
    except Exception as exc:
        raise Crash(repr(exc)) from exc
    return errors


# A level's errors after which frictionless stops checking that level ("returns").
_STOPS = ("does not match '^([-a-z0-9._/])+$' at property 'name'", "is not safe")


def frictionless_keys(descriptor: dict[str, Any]) -> tuple[set[Key], set[int | None]]:
    """frictionless's findings level by level, and the levels where it stopped at a first error."""
    from frictionless import FrictionlessException, Package, Resource, Schema
    from frictionless.dialect import Dialect
    from frictionless.formats.csv.control import CsvControl
    from frictionless.metadata.context import ValidationContext
    from frictionless.schema.field import Field

    descriptor = copy.deepcopy(descriptor)
    found: set[Key] = set()
    stopped: set[int | None] = set()
    try:
        Package.metadata_select_class(descriptor.get("type"))
        errors = _level(Package, descriptor, ValidationContext())
    except FrictionlessException as exc:  # any package type: frictionless stops there
        errors = [exc.error, Stop()]
    found |= {(None, _ours(e)) for e in errors if not isinstance(e, Stop)}
    stopped |= {None for e in errors if isinstance(e, Stop)}
    context = ValidationContext(
        datapackage_version=Package.effective_datapackage_version(descriptor, None)
    )
    for i, resource in enumerate(descriptor["resources"]):
        try:
            cls = Resource.metadata_select_class(resource.get("type"))
            errors = _level(cls, resource, context)
        except FrictionlessException as exc:  # an unknown type: frictionless stops there
            errors = [exc.error, Stop()]
        found |= {(i, e.type) for e in errors if not isinstance(e, Stop)}
        stopped |= {i for e in errors if isinstance(e, Stop)}
        dialect = resource.get("dialect")
        if isinstance(dialect, dict):
            errors = _level(Dialect, dialect, context)
            if isinstance(dialect.get("csv"), dict):
                errors += _level(CsvControl, {**dialect["csv"], "type": "csv"}, context)
            found |= {(i, "dialect-error") for e in errors}
        schema = resource.get("schema")
        if not isinstance(schema, dict):
            continue
        found |= {(i, e.type) for e in _level(Schema, schema, context) if not isinstance(e, Stop)}
        for field in schema.get("fields") if isinstance(schema.get("fields"), list) else []:
            if not isinstance(field, dict):
                found.add((i, "field-error"))  # frictionless reads a string as a file to load
                continue
            try:
                fcls = Field.metadata_select_class(field.get("type"))
            except FrictionlessException as exc:
                found.add((i, exc.error.type))
                continue
            errors = _level(fcls, field, context)
            found |= {(i, e.type) for e in errors if not isinstance(e, Stop)}
    return found, stopped


def frictionless_validate(path: Path) -> tuple[bool, set[str]]:
    """Whether `frictionless validate` finds the descriptor valid, and the codes it reports if not."""
    from frictionless import validate

    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        report = validate(path.name)
    finally:
        os.chdir(cwd)
    return not report.errors, {_ours(e) for e in report.errors}


def _ours(error: Any) -> str:
    """frictionless's code as opendata gives it where the two differ (docs/compatibility.md)."""
    if error.type == "control-error":
        return "dialect-error"
    if error.note.startswith("package type"):
        return "package-error"
    return str(error.type)


# ---------------------------------------------------------------- the comparison


def write(root: Path, descriptor: dict[str, Any]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "counties.csv").write_text("code,province\n110101,Beijing\n", encoding="utf-8")
    (root / "population.csv").write_text("code,year,people\n110101,2020,5\n", encoding="utf-8")
    (root / "sub").mkdir(exist_ok=True)
    path = root / "datapackage.json"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


def compare(
    root: Path, version: str, names: list[str], monkeypatch: pytest.MonkeyPatch
) -> str | None:
    """Compare the verdicts on one case; the reason when frictionless has no level verdict."""
    descriptor = base(version)
    for name in names:
        MUTATIONS[name](descriptor)
    path = write(root, descriptor)
    ours = opendata_keys(path)
    valid, codes = frictionless_validate(path)
    context = f"{version} {names}: opendata {ours}"
    if ours is None:  # opendata refuses to run: frictionless must find the descriptor invalid
        assert not valid, context
        return None
    ours_codes = {code for _, code in ours}
    assert valid == (not ours), f"{context}; frictionless validate {codes}"
    assert codes <= ours_codes, f"{context}; frictionless validate {codes}"
    with one_level_at_a_time(monkeypatch):
        try:
            theirs, stopped = frictionless_keys(descriptor)
        except Crash as exc:
            return f"frictionless crashes on {names}: {exc}"
    assert theirs <= ours, f"{context}; frictionless by level {theirs}"
    extra = {(where, code) for where, code in ours - theirs if where not in stopped}
    assert not extra, f"{context}; frictionless by level {theirs}"
    return None


@pytest.mark.parametrize("version", sorted(VERSIONS))
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str, name: str
) -> None:
    crashed = compare(tmp_path, version, [name], monkeypatch)
    if crashed:
        pytest.skip(crashed)


def test_the_base_packages_are_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for version in VERSIONS:
        path = write(tmp_path / version, base(version))
        assert opendata_keys(path) == set()
        assert frictionless_validate(path) == (True, set())


EXAMPLES = int(os.environ.get("OPENDATA_FUZZ_EXAMPLES", "60"))


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    version=st.sampled_from(sorted(VERSIONS)),
    names=st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=2, max_size=4, unique=True),
)
def test_mutations_together(
    tmp_path_factory: pytest.TempPathFactory, version: str, names: list[str]
) -> None:
    """Several problems at once: none hides another, and each is frictionless's."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        compare(tmp_path_factory.mktemp("case"), version, names, monkeypatch)
