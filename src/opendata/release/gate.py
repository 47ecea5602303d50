"""The CI gate: when a package changed since a base revision, its version and CHANGELOG must say so."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun
from opendata.release.changelog import changelog_section, find_changelog
from opendata.versions.semver import BUMP_ORDER, Bump, bump_between, next_version, parse_version
from opendata.versions.sources import export_revision, git_toplevel, is_git_revision

if TYPE_CHECKING:
    from opendata.package import Package
    from opendata.versions.diff import PackageDiff


@dataclass
class GateResult:
    """Outcome of `release check`: whether it passed, why, and the diff behind it."""

    passed: bool
    base: str
    old_version: str | None
    new_version: str | None
    required: Bump
    actual: Bump
    problems: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    diff: PackageDiff | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the gate result."""
        return {
            "passed": self.passed,
            "base": self.base,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "required": self.required,
            "actual": self.actual,
            "problems": list(self.problems),
            "reasons": list(self.reasons),
            "changed_files": list(self.changed_files),
            "diff": self.diff.to_dict() if self.diff else None,
        }


def _package_files(pkg: Package) -> set[str]:
    """Descriptor, data, schema, check and README files of a package, relative to its folder."""
    files = {pkg.descriptor_path.name}
    for res in pkg.resources:
        files.update(p for p in (res.path, res.schema_path, res.checks_path) if p)
    if pkg.checks_path:
        files.add(pkg.checks_path)
    if isinstance(readme := pkg.descriptor.get("readme"), str):
        files.add(readme)
    return files


def _changed_files(old: Package | None, new: Package) -> list[str]:
    """Package files whose bytes differ between the two versions (or exist in only one)."""
    names = _package_files(new) | (_package_files(old) if old else set())
    changed = []
    for rel in sorted(names):
        a = old.basepath / rel if old else None
        b = new.basepath / rel
        da = a.read_bytes() if a is not None and a.is_file() else None
        db = b.read_bytes() if b.is_file() else None
        if da != db:
            changed.append(rel)
    return changed


def _work_tree(repo: Path, base: str) -> Path:
    """The root of the git work tree holding REPO, where BASE must name a revision."""
    top = git_toplevel(repo)
    if top is None:
        raise CouldNotRun("not inside a git repository", path=str(repo), hint="pass --repo")
    if not is_git_revision(repo, base):
        raise CouldNotRun(
            f"{base!r} is not a revision of this repository",
            path=str(top),
            hint="fetch it first (actions/checkout with fetch-depth: 0)",
        )
    return top


def _require(result: GateResult, diff: PackageDiff | None, first: bool) -> None:
    """Set the bump the changes need, and the reasons for it."""
    if first:
        result.required = "major"
        result.reasons.append(f"no package at {result.base}: this is its first release")
    elif diff is not None:
        result.required = diff.bump
        result.reasons = [f"{b}: {m}" for b, m in diff.reasons()]
        if result.changed_files and result.required == "none":
            # Bytes changed without a content change (e.g. reformatting): the release hash changes.
            result.required = "patch"
            result.reasons.append(f"patch: files changed: {', '.join(result.changed_files)}")


def _version_problems(result: GateResult) -> list[str]:
    """What is wrong with the new version, given the bump the changes need."""
    new_version = result.new_version
    if parse_version(new_version) is None:
        return [
            f"datapackage.json: version {new_version!r} is not semver X.Y.Z"
            f" (set it to {next_version(result.old_version, result.required)})"
        ]
    if BUMP_ORDER[result.actual] < BUMP_ORDER[result.required]:
        want = next_version(result.old_version, result.required)
        if result.actual != "none":
            now = f"a {result.actual} bump"
        else:
            now = "unchanged" if new_version == result.old_version else "not higher"
        return [
            f"datapackage.json: version {new_version} is {now} from {result.old_version}, but the"
            f" changes need a {result.required} bump (set version to at least {want})"
        ]
    return []


def _changelog_problems(new: Package, top: Path) -> list[str]:
    """What is missing from the changelog for the new version."""
    if not new.version:
        return []
    log = find_changelog(new.basepath)
    if log is None:
        return [f"CHANGELOG.md not found; add one with a '## [{new.version}]' section"]
    try:
        text = log.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CouldNotRun(
            f"CHANGELOG.md is not UTF-8 (byte {exc.start})", path=str(log), hint="save it as UTF-8"
        ) from None
    if changelog_section(text, new.version) is None:
        return [
            f"{os.path.relpath(log, top)}: no '## [{new.version}]' section"
            f" (add one describing the changes)"
        ]
    return []


# How many of an invalid package's findings the gate names (the rest are counted).
FINDINGS_NAMED = 5


def _invalid(new: Package, base: str) -> GateResult | None:
    """A failed result naming the package's errors when it is invalid; None when it is valid.

    The gate is what CI trusts: a version bump and a changelog entry must never let an invalid
    package through, so validity is decided before versions are looked at.
    """
    from opendata.validate import validate_package

    report = validate_package(new.descriptor_path)
    if report.valid:
        return None
    errors = [i for i in report.sorted_issues() if i.severity == "error"]
    problems = [f"the package is invalid: {len(errors)} error(s) (run opendata validate)"]
    for issue in errors[:FINDINGS_NAMED]:
        where = (issue.path or "datapackage.json") + (f":{issue.line}" if issue.line else "")
        problems.append(f"{where}: {issue.code}: {issue.message}")
    if len(errors) > FINDINGS_NAMED:
        problems.append(f"… and {len(errors) - FINDINGS_NAMED} more")
    return GateResult(
        passed=False,
        base=base,
        old_version=None,
        new_version=new.version,
        required="none",
        actual="none",
        problems=problems,
    )


def release_check(repo: str | Path = ".", base: str = "HEAD~1") -> GateResult:
    """The CI gate: the package is valid, and when it changed since BASE, its version and CHANGELOG say so."""
    from opendata.package import load_package
    from opendata.versions.diff import compare_packages

    repo = Path(repo)
    top = _work_tree(repo, base)
    new = load_package(repo)
    refused = _invalid(new, base)
    if refused is not None:
        return refused
    sub = os.path.relpath(new.basepath, top)
    with tempfile.TemporaryDirectory(prefix="opendata-base-") as tmp:
        export_revision(repo, base, Path(tmp))
        old_path = Path(tmp) / sub / new.descriptor_path.name
        old = load_package(old_path) if old_path.is_file() else None
        changed = _changed_files(old, new)
        diff = compare_packages(old, new, old_label=base, new_label="working tree") if old else None
    result = GateResult(
        passed=True,
        base=base,
        old_version=old.version if old else None,
        new_version=new.version,
        required="none",
        actual=bump_between(old.version, new.version) if old else "major",
        changed_files=changed,
        diff=diff,
    )
    _require(result, diff, first=old is None)
    if result.required == "none":
        return result
    result.problems += _version_problems(result)
    result.problems += _changelog_problems(new, top)
    result.passed = not result.problems
    return result
