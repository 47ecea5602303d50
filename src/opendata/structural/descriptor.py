"""The package descriptor against the Data Package standard (v1 and v2): the package, each resource, its dialect.

The rules are frictionless 5.21's (`Package`, `Resource` and `Dialect.metadata_validate`):
each level's properties against its profile (`shapes/standard-*.json`), then the rules across
properties. Two things differ on purpose (docs/compatibility.md): every finding is reported
and names its resource and JSON pointer, where frictionless reports only the first level that
fails; and a profile given as a URL is not downloaded.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opendata.package import Field, Package, standard_version
from opendata.report import Issue
from opendata.structural.profiles import (
    Place,
    is_safe_path,
    is_url,
    name_problem,
    profile_issues,
)

PACKAGE_PROFILES = ("data-package", "tabular-data-package")
RESOURCE_PROFILES = ("data-resource", "tabular-data-resource")
RESOURCE_TYPES = ("file", "table", "json", "text")


def descriptor_issues(package: Package) -> list[Issue]:
    """Every way the package descriptor and its resources break the standard (Table Schemas aside)."""
    descriptor = package.descriptor
    version = standard_version(descriptor)
    place = Place(package.descriptor_path.name)
    issues = profile_issues(descriptor, "standard-package", "package-error", place)
    if descriptor.get("type"):  # the standard defines no package types
        problem = f"package type {descriptor['type']!r} is not supported"
        issues.append(place.issue("package-error", problem, "type"))
    if not issues:
        issues.extend(_package_rules(descriptor, version, place))
    raws = descriptor.get("resources")
    for index, raw in enumerate(raws if isinstance(raws, list) else []):
        if isinstance(raw, dict):
            name = package.resources[index].name if index < len(package.resources) else None
            at = replace(place, resource=name).down("resources", index)
            issues.extend(resource_issues(raw, version, at))
    return issues


def _package_rules(descriptor: dict[str, Any], version: str, place: Place) -> list[Issue]:
    """The package's rules across properties (its properties have the right types)."""
    issues = []
    problem = name_problem(descriptor.get("name"), version)
    if problem:
        issues.append(place.issue("package-error", problem, "name"))
    resources = descriptor["resources"]
    names = [r["name"] for r in resources if "name" in r]
    if len(names) != len({repr(n) for n in names}):
        issues.append(place.issue("package-error", "names of the resources are not unique"))
    created = descriptor.get("created")
    if created and not _reads_as(created, "datetime", "default"):
        issues.append(place.issue("package-error", f"created {created!r} is not a datetime"))
    issues.extend(_licence_rules(descriptor, "package-error", place))
    issues.extend(_email_rules(descriptor, ("contributors", "sources"), "package-error", place))
    profile = descriptor.get("profile")
    issues.extend(_profile_rules(profile, PACKAGE_PROFILES, "package-error", place))
    if profile == "tabular-data-package":
        for index, resource in enumerate(resources):
            if resource.get("profile") != "tabular-data-resource":
                name = resource.get("name")
                at = replace(place, resource=name if isinstance(name, str) else None)
                issues.append(
                    at.issue(
                        "package-error",
                        'profile "tabular-data-package" requires every resource to have the '
                        'profile "tabular-data-resource"',
                        "resources",
                        index,
                        "profile",
                    )
                )
    for name in ("missingValues", "fields"):
        if name in descriptor:
            issues.append(
                place.issue("package-error", f"{name!r} belongs in a resource's schema", name)
            )
    return issues


def resource_issues(raw: dict[str, Any], version: str, place: Place) -> list[Issue]:
    """Every way one resource's descriptor breaks the standard (its dialect included)."""
    resource = _as_frictionless_reads(raw)
    issues = profile_issues(resource, "standard-resource", "resource-error", place)
    kind = raw.get("type")  # the type as written: a v1 tabular profile then makes it "table"
    if kind and kind not in RESOURCE_TYPES:
        issues.append(
            place.issue("resource-error", f"resource type {kind!r} is not supported", "type")
        )
    if not issues:
        issues.extend(_resource_rules(resource, raw, version, place))
    dialect = raw.get("dialect")
    if isinstance(dialect, dict):
        issues.extend(
            profile_issues(dialect, "standard-dialect", "dialect-error", place.down("dialect"))
        )
    return issues


def _as_frictionless_reads(raw: dict[str, Any]) -> dict[str, Any]:
    """The resource as the standard reads it: a multipart path's first part as `path`, and so on."""
    resource = dict(raw)
    path = resource.get("path")
    if isinstance(path, list) and path:
        resource["path"], resource["extrapaths"] = path[0], path[1:]
    if "bytes" in resource and not resource["bytes"]:
        del resource["bytes"]  # frictionless drops a zero or empty size
    if resource.get("profile") == "tabular-data-resource":
        resource["type"] = "table"
    return resource


def _resource_rules(
    resource: dict[str, Any], raw: dict[str, Any], version: str, place: Place
) -> list[Issue]:
    """A resource's rules across properties (its properties have the right types)."""
    issues = []
    problem = name_problem(resource["name"], version)
    if problem:
        issues.append(place.issue("resource-error", problem, "name"))
    unsafe = set()
    for key in ("path", "extrapaths", "profile", "dialect", "schema"):
        value = resource.get(key)
        for item in value if isinstance(value, list) else [value]:
            if item and isinstance(item, str) and not is_safe_path(item):
                unsafe.add(key)
                issues.append(place.issue("resource-error", f"path {item!r} is not safe", key))
    path, data = resource.get("path"), resource.get("data")
    if path is None and data is None:
        issues.append(place.issue("resource-error", 'one of "path" or "data" is required'))
    if path is not None and data is not None:
        issues.append(place.issue("resource-error", '"path" and "data" exclude each other'))
    issues.extend(_licence_rules(resource, "resource-error", place))
    issues.extend(_email_rules(resource, ("sources",), "resource-error", place))
    profile = resource.get("profile")
    if "profile" not in unsafe:
        issues.extend(_profile_rules(profile, RESOURCE_PROFILES, "resource-error", place))
    if profile == "tabular-data-resource" and not raw.get("schema"):
        issues.append(
            place.issue(
                "resource-error", 'profile "tabular-data-resource" requires a "schema"', "profile"
            )
        )
    if "missingValues" in resource:
        issues.append(
            place.issue("resource-error", '"missingValues" belongs in the schema', "missingValues")
        )
    return issues


def _licence_rules(descriptor: dict[str, Any], code: str, place: Place) -> list[Issue]:
    """Each licence needs a `name` or a `path`."""
    return [
        place.issue(code, 'a licence needs a "name" or a "path"', "licenses", index)
        for index, licence in enumerate(descriptor.get("licenses") or [])
        if not licence.get("path") and not licence.get("name")
    ]


def _email_rules(
    descriptor: dict[str, Any], keys: tuple[str, ...], code: str, place: Place
) -> list[Issue]:
    """Each contributor's or source's `email`, when given, is an email address."""
    issues = []
    for key in keys:
        for index, person in enumerate(descriptor.get(key) or []):
            email = person.get("email") if isinstance(person, dict) else None
            if email and not _reads_as(email, "string", "email"):
                issues.append(
                    place.issue(code, f"{email!r} is not an email address", key, index, "email")
                )
    return issues


def _profile_rules(profile: Any, known: tuple[str, ...], code: str, place: Place) -> list[Issue]:
    """A `profile` is a standard one, or a URL (not downloaded); a safe path is frictionless's too."""
    if not profile or profile in known or not isinstance(profile, str) or is_url(profile):
        return []
    if not is_safe_path(profile):
        return [place.issue(code, f"path {profile!r} is not safe", "profile")]
    return [
        place.issue(
            "metadata-error",
            f"profile {profile!r} is neither a standard profile ({', '.join(known)}) nor a URL",
            "profile",
        )
    ]


def _reads_as(value: Any, kind: str, fmt: str) -> bool:
    """Whether a text VALUE is a valid cell of a field of type KIND and format FMT."""
    from opendata.structural.parsers import INVALID, scalar_parser

    if not isinstance(value, str):
        return False
    field = Field(name="value", type=kind, format=fmt, descriptor={"type": kind, "format": fmt})
    return scalar_parser(field)(value) is not INVALID
