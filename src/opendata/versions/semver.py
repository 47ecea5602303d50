"""Semantic versions of a package: parsing, ordering, and the bump between two versions.

Parsing and ordering are the `semver` package's (SemVer 2.0.0). Data Package versions are
meant to be SemVer, so it fits; it is stricter than the regular expression it replaced in three
cases, each a string SemVer 2.0.0 forbids, now refused (not releasable, sorted before every
valid version): a numeric prerelease identifier with a leading zero (`1.0.0-rc.01`), a trailing
newline (`1.0.0\\n`, which the old `$` let through into folder names), and non-ASCII digits.
"""

from __future__ import annotations

from typing import Any, Literal

from semver import Version

Bump = Literal["none", "patch", "minor", "major"]
BUMP_ORDER: dict[str, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}


def max_bump(*bumps: str) -> Bump:
    """The largest of the given bumps ('none' when empty)."""
    best = "none"
    for b in bumps:
        if BUMP_ORDER[b] > BUMP_ORDER[best]:
            best = b
    return best  # type: ignore[return-value]


def parse_version(version: str | None) -> Version | None:
    """The version as a `semver.Version`, or None when it is not a SemVer string."""
    try:
        return Version.parse(version or "")
    except ValueError:
        return None


def version_key(version: str) -> tuple[Any, ...]:
    """Semver ordering: numbers numerically, a prerelease before its release, invalid first."""
    v = parse_version(version)
    if v is None:
        return (0, version)
    # Build metadata does not order versions (SemVer 2.0.0, item 10).
    return (1, v.replace(build=None))


def bump_between(old: str | None, new: str | None) -> Bump:
    """How far NEW is bumped from OLD ('none' when it is not greater)."""
    a, b = parse_version(old), parse_version(new)
    if old is None and b is not None:
        # A first version where the base had none is as big a step as any change needs.
        return "major"
    if a is None or b is None or b.compare(a) <= 0:
        return "none"
    if b.major != a.major:
        return "major"
    if b.minor != a.minor:
        return "minor"
    return "patch"


def next_version(version: str | None, bump: Bump) -> str:
    """The smallest version that is BUMP ahead of VERSION (a patch for 'none')."""
    v = parse_version(version) or Version(0, 0, 0)
    if bump == "major":
        return f"{v.major + 1}.0.0"
    if bump == "minor":
        return f"{v.major}.{v.minor + 1}.0"
    return f"{v.major}.{v.minor}.{v.patch + 1}"
