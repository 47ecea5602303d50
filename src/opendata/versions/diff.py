"""Compare two versions of a data package: metadata, schemas, rows by key, and the semver bump."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from opendata.report import jsonable
from opendata.versions.semver import BUMP_ORDER, Bump, max_bump
from opendata.versions.sources import open_source
from opendata.versions.tables import read_rows

if TYPE_CHECKING:
    from opendata.package import Package, Resource

# Keys that a build fills in or that change on every release; they are not content changes.
_VOLATILE_PACKAGE_KEYS = {"resources", "version", "created", "checks"}
_VOLATILE_RESOURCE_KEYS = {"schema", "checks", "hash", "bytes"}
# Constraints where a larger value is more restrictive, and where a smaller one is.
_LOWER_BOUNDS = {"minimum", "exclusiveMinimum", "minLength"}
_UPPER_BOUNDS = {"maximum", "exclusiveMaximum", "maxLength"}


@dataclass
class Change:
    """One change with its implied bump: what, where, before and after."""

    kind: str
    bump: Bump
    message: str
    field: str | None = None
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the change."""
        return {
            "kind": self.kind,
            "bump": self.bump,
            "field": self.field,
            "message": self.message,
            "before": jsonable(self.before),
            "after": jsonable(self.after),
        }


@dataclass
class RowChange:
    """A row present in both versions whose cells differ: its key and each cell before → after."""

    key: dict[str, Any]
    cells: dict[str, tuple[Any, Any]]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: key, and {field: {before, after}}."""
        return {
            "key": jsonable(self.key),
            "cells": {
                f: {"before": jsonable(b), "after": jsonable(a)} for f, (b, a) in self.cells.items()
            },
        }


@dataclass
class ResourceDiff:
    """What changed in one resource."""

    name: str
    status: Literal["added", "removed", "changed", "unchanged"]
    key: list[str] = field(default_factory=list)
    rows_before: int | None = None
    rows_after: int | None = None
    changes: list[Change] = field(default_factory=list)
    rows_added: list[dict[str, Any]] = field(default_factory=list)
    rows_removed: list[dict[str, Any]] = field(default_factory=list)
    rows_changed: list[RowChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def data_changed(self) -> bool:
        """Whether any row was added, removed or changed."""
        return bool(self.rows_added or self.rows_removed or self.rows_changed)

    @property
    def bump(self) -> Bump:
        """The bump this resource's changes imply."""
        bumps = [c.bump for c in self.changes]
        if self.status == "removed" or self.rows_removed:
            bumps.append("major")
        if self.status == "added" or self.rows_added:
            bumps.append("minor")
        if self.rows_changed:
            bumps.append("patch")
        return max_bump(*bumps)

    def reasons(self) -> list[tuple[Bump, str]]:
        """Each change that implies a bump, as (bump, one-line reason)."""
        out: list[tuple[Bump, str]] = []
        if self.status == "removed":
            return [("major", f"resource {self.name!r} removed")]
        if self.status == "added":
            return [("minor", f"resource {self.name!r} added")]
        out.extend((c.bump, f"{self.name}: {c.message}") for c in self.changes if c.bump != "none")
        if self.rows_removed:
            out.append(("major", f"{self.name}: {len(self.rows_removed)} row(s) removed"))
        if self.rows_added:
            out.append(("minor", f"{self.name}: {len(self.rows_added)} row(s) added"))
        if self.rows_changed:
            out.append(("patch", f"{self.name}: {len(self.rows_changed)} row(s) changed"))
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the resource diff."""
        return {
            "name": self.name,
            "status": self.status,
            "bump": self.bump,
            "key": self.key,
            "rows_before": self.rows_before,
            "rows_after": self.rows_after,
            "counts": {
                "added": len(self.rows_added),
                "removed": len(self.rows_removed),
                "changed": len(self.rows_changed),
            },
            "changes": [c.to_dict() for c in self.changes],
            "rows_added": jsonable(self.rows_added),
            "rows_removed": jsonable(self.rows_removed),
            "rows_changed": [r.to_dict() for r in self.rows_changed],
            "notes": list(self.notes),
        }


@dataclass
class PackageDiff:
    """Everything that changed between two versions of a package, and the bump it implies."""

    old: str
    new: str
    name: str | None
    old_version: str | None
    new_version: str | None
    changes: list[Change] = field(default_factory=list)
    resources: list[ResourceDiff] = field(default_factory=list)

    @property
    def bump(self) -> Bump:
        """The semver bump the changes imply: major, minor, patch or none."""
        return max_bump(*[c.bump for c in self.changes], *[r.bump for r in self.resources])

    @property
    def changed(self) -> bool:
        """Whether anything at all differs (besides version and build fields)."""
        return bool(self.changes) or any(r.status != "unchanged" for r in self.resources)

    def reasons(self) -> list[tuple[Bump, str]]:
        """Every change that implies a bump, largest first."""
        out: list[tuple[Bump, str]] = [
            (c.bump, c.message) for c in self.changes if c.bump != "none"
        ]
        for r in self.resources:
            out.extend(r.reasons())
        return sorted(out, key=lambda br: -BUMP_ORDER[br[0]])

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: what `opendata diff --format json` prints."""
        return {
            "old": self.old,
            "new": self.new,
            "name": self.name,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "bump": self.bump,
            "changed": self.changed,
            "reasons": [{"bump": b, "message": m} for b, m in self.reasons()],
            "changes": [c.to_dict() for c in self.changes],
            "resources": [r.to_dict() for r in self.resources],
        }


# --- comparing -------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Cell equality that treats NaN as equal to NaN and 1 as equal to '1' across a retype."""
    if a == b:
        return True
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a is not None and b is not None and type(a) is not type(b) and str(a) == str(b)


def _constraint_bump(key: str, before: Any, after: Any) -> Bump:
    """Major when a constraint gets more restrictive, minor when it gets looser."""
    if before is None:
        return "minor" if after in (False, None) else "major"
    if after is None:
        return "minor"
    if key in ("required", "unique"):
        return "major" if (after and not before) else "minor"
    try:
        if key in _LOWER_BOUNDS:
            return "major" if after > before else "minor"
        if key in _UPPER_BOUNDS:
            return "major" if after < before else "minor"
    except TypeError:
        return "major"
    if key == "enum" and isinstance(before, list) and isinstance(after, list):
        return "minor" if set(map(str, before)) <= set(map(str, after)) else "major"
    return "major"  # a changed pattern or unknown constraint: assume it may reject old data


def _field_changes(name: str, a: dict[str, Any], b: dict[str, Any]) -> list[Change]:
    """Type, format, constraint and metadata changes of a field present in both schemas."""
    changes: list[Change] = []
    for key in ("type", "format"):
        va, vb = (
            a.get(key, "string" if key == "type" else "default"),
            b.get(key, "string" if key == "type" else "default"),
        )
        if va != vb:
            kind = "field-retyped" if key == "type" else "field-format-changed"
            changes.append(Change(kind, "major", f"field {name!r} {key} {va} → {vb}", name, va, vb))
    ca, cb = a.get("constraints") or {}, b.get("constraints") or {}
    for key in sorted(set(ca) | set(cb)):
        if ca.get(key) != cb.get(key):
            bump = _constraint_bump(key, ca.get(key), cb.get(key))
            changes.append(
                Change(
                    "constraint-changed",
                    bump,
                    f"field {name!r} constraint {key}: {ca.get(key)!r} → {cb.get(key)!r}",
                    name,
                    ca.get(key),
                    cb.get(key),
                )
            )
    for key in sorted((set(a) | set(b)) - {"name", "type", "format", "constraints"}):
        if a.get(key) != b.get(key):
            changes.append(
                Change(
                    "field-metadata-changed",
                    "patch",
                    f"field {name!r} {key} changed",
                    name,
                    a.get(key),
                    b.get(key),
                )
            )
    return changes


def _schema_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Field additions, removals, retypes, reorders, constraint and schema-level changes."""
    changes: list[Change] = []
    of = {f["name"]: f for f in old.get("fields", []) if isinstance(f, dict) and "name" in f}
    nf = {f["name"]: f for f in new.get("fields", []) if isinstance(f, dict) and "name" in f}
    for name in of:
        if name not in nf:
            changes.append(Change("field-removed", "major", f"field {name!r} removed", name))
    for name in nf:
        if name not in of:
            ftype = nf[name].get("type", "string")
            changes.append(
                Change("field-added", "minor", f"field {name!r} added ({ftype})", name, None, ftype)
            )
    common_old = [n for n in of if n in nf]
    common_new = [n for n in nf if n in of]
    if common_old != common_new:
        changes.append(
            Change("fields-reordered", "major", "fields reordered", None, common_old, common_new)
        )
    for name in common_new:
        changes.extend(_field_changes(name, of[name], nf[name]))
    for key in sorted((set(old) | set(new)) - {"fields"}):
        va, vb = old.get(key), new.get(key)
        if va == vb:
            continue
        if key in ("primaryKey", "foreignKeys", "missingValues"):
            # Changing identity, references or what counts as missing can break readers.
            level: Bump = "minor" if key == "foreignKeys" and not vb else "major"
        else:
            level = "patch"
        changes.append(Change("schema-changed", level, f"schema {key} changed", None, va, vb))
    return changes


def _metadata_changes(
    old: dict[str, Any], new: dict[str, Any], ignore: set[str], where: str
) -> list[Change]:
    """Changed descriptor properties (descriptive metadata: a patch, except a renamed package)."""
    out = []
    for key in sorted((set(old) | set(new)) - ignore):
        if old.get(key) != new.get(key):
            bump: Bump = "major" if key == "name" and where == "package" else "patch"
            label = key if where == "package" else f"resource property {key}"
            out.append(
                Change(
                    "metadata-changed", bump, f"{label} changed", None, old.get(key), new.get(key)
                )
            )
    return out


def _key_for(old: Resource, new: Resource, old_cols: list[str], new_cols: list[str]) -> list[str]:
    """The key to match rows by: the new primary key if both tables have it, else the old."""
    for pk in (new.primary_key, old.primary_key):
        if pk and all(k in old_cols and k in new_cols for k in pk):
            return list(pk)
    return []


def _surplus(
    rows: list[tuple[Any, ...]], other: list[tuple[Any, ...]]
) -> list[tuple[int, tuple[Any, ...]]]:
    """(position, row) of the rows of `rows` that `other` lacks, as multisets, in file order."""
    left = Counter(rows) - Counter(other)
    out = []
    for position, row in enumerate(rows):
        if left[row] > 0:
            left[row] -= 1
            out.append((position, row))
    return out


def _diff_keyless(
    old_rows: list[tuple[Any, ...]],
    new_rows: list[tuple[Any, ...]],
    common: list[str],
    diff: ResourceDiff,
) -> None:
    """Rows compared as multisets; a removed and an added row differing in a few cells are a change.

    A paired change is named by its row in the old file (`row`, the header being row 1); see
    `opendata.versions.pairing` for when two rows pair.
    """
    from opendata.versions.pairing import pair_rows

    removed, added = _surplus(old_rows, new_rows), _surplus(new_rows, old_rows)
    pairs = pair_rows([r for _, r in removed], [r for _, r in added])
    for i, j in pairs:
        (position, before), (_, after) = removed[i], added[j]
        cells = {
            c: (b, a) for c, b, a in zip(common, before, after, strict=True) if not _same(b, a)
        }
        if cells:  # else the same values, read once typed and once as text (a retype)
            diff.rows_changed.append(RowChange({"row": position + 2}, cells))
    paired_old, paired_new = {i for i, _ in pairs}, {j for _, j in pairs}
    diff.rows_removed += [
        dict(zip(common, r, strict=True)) for i, (_, r) in enumerate(removed) if i not in paired_old
    ]
    diff.rows_added += [
        dict(zip(common, r, strict=True)) for j, (_, r) in enumerate(added) if j not in paired_new
    ]


def _diff_rows(old: Resource, new: Resource, diff: ResourceDiff) -> None:
    """Fill in rows added, removed and changed (by primary key, or as multisets paired by likeness without one)."""
    old_cols, old_rows = read_rows(old, diff.notes)
    new_cols, new_rows = read_rows(new, diff.notes)
    diff.rows_before, diff.rows_after = len(old_rows), len(new_rows)
    common = [c for c in new_cols if c in old_cols]
    oi = [old_cols.index(c) for c in common]
    ni = [new_cols.index(c) for c in common]
    key = _key_for(old, new, old_cols, new_cols)
    if key:
        ko = [old_cols.index(k) for k in key]
        kn = [new_cols.index(k) for k in key]
        old_by = {tuple(r[i] for i in ko): r for r in old_rows}
        new_by = {tuple(r[i] for i in kn): r for r in new_rows}
        if len(old_by) != len(old_rows) or len(new_by) != len(new_rows):
            diff.notes.append(f"{diff.name}: duplicate primary keys; compared as a multiset")
            key = []
    diff.key = key
    if not common and (old_rows or new_rows):
        # No column in common (a file replaced by other bytes): nothing of the old rows is left.
        diff.notes.append(f"{diff.name}: no column in common; every row compared as replaced")
        diff.rows_removed.extend(dict(zip(old_cols, r, strict=True)) for r in old_rows)
        diff.rows_added.extend(dict(zip(new_cols, r, strict=True)) for r in new_rows)
        return
    if not key:
        old_t = [tuple(r[i] for i in oi) for r in old_rows]
        new_t = [tuple(r[i] for i in ni) for r in new_rows]
        _diff_keyless(old_t, new_t, common, diff)
        return
    for k, row in old_by.items():
        if k not in new_by:
            diff.rows_removed.append(dict(zip(old_cols, row, strict=True)))
    for k, row in new_by.items():
        if k not in old_by:
            diff.rows_added.append(dict(zip(new_cols, row, strict=True)))
            continue
        before = old_by[k]
        cells = {
            c: (before[i], row[j])
            for c, i, j in zip(common, oi, ni, strict=True)
            if not _same(before[i], row[j])
        }
        if cells:
            diff.rows_changed.append(RowChange(dict(zip(key, k, strict=True)), cells))


def diff_resources(old: Resource, new: Resource) -> ResourceDiff:
    """Schema, metadata and row-level differences between two versions of one resource."""
    diff = ResourceDiff(name=new.name, status="unchanged")
    diff.changes.extend(_schema_changes(old.schema or {}, new.schema or {}))
    diff.changes.extend(
        _metadata_changes(old.descriptor, new.descriptor, _VOLATILE_RESOURCE_KEYS, "resource")
    )
    if old.checks != new.checks:
        diff.changes.append(Change("checks-changed", "patch", "declared checks changed"))
    _diff_rows(old, new, diff)
    if diff.changes or diff.data_changed:
        diff.status = "changed"
    return diff


def _row_count(resource: Resource, notes: list[str]) -> int:
    """How many rows a resource has."""
    return len(read_rows(resource, notes)[1])


def compare_packages(old: Package, new: Package, *, old_label: str, new_label: str) -> PackageDiff:
    """The diff of two loaded packages."""
    diff = PackageDiff(
        old=old_label,
        new=new_label,
        name=new.name,
        old_version=old.version,
        new_version=new.version,
    )
    diff.changes.extend(
        _metadata_changes(old.descriptor, new.descriptor, _VOLATILE_PACKAGE_KEYS, "package")
    )
    if old.checks != new.checks:
        diff.changes.append(Change("checks-changed", "patch", "package checks changed"))
    for res in old.resources:
        if not new.has(res.name):
            rd = ResourceDiff(name=res.name, status="removed")
            rd.rows_before = _row_count(res, rd.notes)
            diff.resources.append(rd)
    for res in new.resources:
        if old.has(res.name):
            diff.resources.append(diff_resources(old.get(res.name), res))
        else:
            rd = ResourceDiff(name=res.name, status="added")
            rd.rows_after = _row_count(res, rd.notes)
            diff.resources.append(rd)
    return diff


def diff_packages(old: str | Path, new: str | Path, *, repo: str | Path = ".") -> PackageDiff:
    """Diff two package versions; each a folder, descriptor, release zip or git revision of REPO."""
    from opendata.package import load_package

    with open_source(old, repo=repo) as old_path, open_source(new, repo=repo) as new_path:
        return compare_packages(
            load_package(old_path),
            load_package(new_path),
            old_label=str(old),
            new_label=str(new),
        )
