"""Releases: the version gate, deterministic builds, a static catalog, and verified downloads."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun, OpendataError, Refused
from opendata.io.digest import sha256_hex
from opendata.versions.diff import BUMP_ORDER, Bump, PackageDiff, git_toplevel

if TYPE_CHECKING:
    import pandas as pd

    from opendata.package import Package

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
# A package name becomes a folder and a URL segment, so keep it to the Data Package name rule.
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
FALLBACK_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the zip epoch
SUMS = "SHA256SUMS"
CATALOG_FORMAT = 1
_CHUNK = 1 << 20


# --- versions and changelogs -----------------------------------------------------------------


def parse_version(version: str | None) -> tuple[int, int, int, str] | None:
    """(major, minor, patch, prerelease) of a semver string, or None when it is not one."""
    m = SEMVER.match(version or "")
    if not m:
        return None
    return int(m[1]), int(m[2]), int(m[3]), m[4] or ""


def version_key(version: str) -> tuple[Any, ...]:
    """Semver ordering: numbers numerically, a prerelease before its release."""
    v = parse_version(version)
    if v is None:
        return (-1, -1, -1, 0, version)
    pre = (
        tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in v[3].split("."))
        if v[3]
        else ()
    )
    return (v[0], v[1], v[2], 0 if v[3] else 1, pre)


def bump_between(old: str | None, new: str | None) -> Bump:
    """How far NEW is bumped from OLD ('none' when it is not greater)."""
    a, b = parse_version(old), parse_version(new)
    if old is None and b is not None:
        # A first version where the base had none is as big a step as any change needs.
        return "major"
    if a is None or b is None or version_key(new or "") <= version_key(old or ""):
        return "none"
    if b[0] != a[0]:
        return "major"
    if b[1] != a[1]:
        return "minor"
    return "patch"


def next_version(version: str | None, bump: Bump) -> str:
    """The smallest version that is BUMP ahead of VERSION."""
    v = parse_version(version) or (0, 0, 0, "")
    if bump == "major":
        return f"{v[0] + 1}.0.0"
    if bump == "minor":
        return f"{v[0]}.{v[1] + 1}.0"
    return f"{v[0]}.{v[1]}.{v[2] + 1}"


def changelog_section(text: str, version: str) -> str | None:
    """The `## [VERSION]` section of a Keep a Changelog file, heading included, or None."""
    head = re.compile(rf"^##\s+\[v?{re.escape(version)}\](?:\s|$)")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if head.match(line):
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("## ")), None)
            body = lines[i:end]
            # Link reference definitions at the end of the file belong to the whole changelog.
            while body and (not body[-1].strip() or re.match(r"^\[[^\]]+\]:\s", body[-1])):
                body.pop()
            return "\n".join(body) + "\n"
    return None


def find_changelog(start: Path) -> Path | None:
    """CHANGELOG.md in START or its parents up to the git work-tree root."""
    start = start.resolve()
    top = git_toplevel(start)
    for folder in [start, *start.parents]:
        if (folder / "CHANGELOG.md").is_file():
            return folder / "CHANGELOG.md"
        if top is None or folder == top:
            break
    return None


# --- the CI gate ---------------------------------------------------------------------------


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

    def render(self) -> str:
        """A few lines for the terminal / CI log."""
        head = "release check passed" if self.passed else "release check failed"
        lines = [
            f"{head}: {self.old_version or '(none)'} → {self.new_version or '(none)'}"
            f" (changes need {self.required}, version bump is {self.actual}; base {self.base})"
        ]
        lines += [f"  error: {p}" for p in self.problems]
        lines += [f"  because: {r}" for r in self.reasons]
        return "\n".join(lines) + "\n"


def _package_files(pkg: Package) -> set[str]:
    """Descriptor, data, schema and check files of a package, relative to its folder."""
    files = {pkg.descriptor_path.name}
    for res in pkg.resources:
        files.update(p for p in (res.path, res.schema_path, res.checks_path) if p)
    if pkg.checks_path:
        files.add(pkg.checks_path)
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


def release_check(repo: str | Path = ".", base: str = "HEAD~1") -> GateResult:
    """The CI gate: when the package changed since BASE, the version and CHANGELOG must say so."""
    from opendata.package import load_package
    from opendata.versions.diff import compare_packages, export_revision, is_git_revision

    repo = Path(repo)
    top = git_toplevel(repo)
    if top is None:
        raise CouldNotRun("not inside a git repository", path=str(repo), hint="pass --repo")
    if not is_git_revision(repo, base):
        raise CouldNotRun(
            f"{base!r} is not a revision of this repository",
            path=str(top),
            hint="fetch it first (actions/checkout with fetch-depth: 0)",
        )
    new = load_package(repo)
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
    if old is None:
        result.required = "major"
        result.reasons.append(f"no package at {base}: this is its first release")
    elif diff is not None:
        result.required = diff.bump
        result.reasons = [f"{b}: {m}" for b, m in diff.reasons()]
        if changed and result.required == "none":
            # Bytes changed without a content change (e.g. reformatting): the release hash changes.
            result.required = "patch"
            result.reasons.append(f"patch: files changed: {', '.join(changed)}")
    if result.required == "none":
        return result
    if parse_version(new.version) is None:
        result.problems.append(
            f"datapackage.json: version {new.version!r} is not semver X.Y.Z"
            f" (set it to {next_version(result.old_version, result.required)})"
        )
    elif BUMP_ORDER[result.actual] < BUMP_ORDER[result.required]:
        want = next_version(result.old_version, result.required)
        if result.actual != "none":
            now = f"a {result.actual} bump"
        else:
            now = "unchanged" if new.version == result.old_version else "not higher"
        result.problems.append(
            f"datapackage.json: version {new.version} is {now} from {result.old_version}, but the"
            f" changes need a {result.required} bump (set version to at least {want})"
        )
    if new.version:
        log = find_changelog(new.basepath)
        if log is None:
            result.problems.append(
                f"CHANGELOG.md not found; add one with a '## [{new.version}]' section"
            )
        elif changelog_section(log.read_text(encoding="utf-8"), new.version) is None:
            result.problems.append(
                f"{os.path.relpath(log, top)}: no '## [{new.version}]' section"
                f" (add one describing the changes)"
            )
    result.passed = not result.problems
    return result


# --- build -----------------------------------------------------------------------------------


def _json_bytes(data: Any) -> bytes:
    """Stable JSON: 2-space indent, UTF-8, trailing newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file via a temp sibling and os.replace, so readers never see half of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def validation_report(descriptor: Path) -> dict[str, Any]:
    """The validation report dict (opendata's validator; frictionless until it lands)."""
    try:
        from opendata.validate import validate_package
    except ImportError:
        return _frictionless_report(descriptor)
    return validate_package(descriptor).to_dict()


def _frictionless_report(descriptor: Path) -> dict[str, Any]:
    """A Report-shaped dict from frictionless, used only while opendata.validate is missing."""
    import frictionless

    result = frictionless.validate(str(descriptor))
    issues = [
        {
            "code": e.type,
            "resource": t.name,
            "line": getattr(e, "row_number", None),
            "field": getattr(e, "field_name", None),
            "message": e.message,
        }
        for t in result.tasks
        for e in t.errors
    ] + [{"code": e.type, "message": e.message} for e in result.errors]
    return {
        "descriptor": str(descriptor),
        "valid": not issues,
        "summary": {"errors": len(issues), "warnings": 0},
        "issues": issues,
    }


def _created(basepath: Path, notes: list[str]) -> str:
    """Build time for `created`: SOURCE_DATE_EPOCH, else the last commit, else a fixed epoch."""
    epoch: int | None = None
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        if not env.isdigit():
            raise CouldNotRun(f"SOURCE_DATE_EPOCH={env!r} is not a whole number of seconds")
        epoch = int(env)
    else:
        try:
            proc = subprocess.run(
                ["git", "-C", str(basepath), "log", "-1", "--format=%ct"],
                capture_output=True,
                check=False,
            )
            out = proc.stdout.decode().strip()
            epoch = int(out) if proc.returncode == 0 and out.isdigit() else None
        except FileNotFoundError:
            epoch = None
    if epoch is None:
        epoch = FALLBACK_EPOCH
        notes.append(
            "no SOURCE_DATE_EPOCH and no git commit: 'created' set to 1980-01-01T00:00:00Z"
        )
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_parquet(pkg: Package, stage: Path) -> None:
    """A typed Parquet copy of every table, written deterministically (fixed codec, no clocks)."""
    import pyarrow.parquet as pq

    from opendata.versions.diff import read_table

    for res in pkg.resources:
        if not res.schema or res.fullpath is None:
            continue
        table = read_table(res).replace_schema_metadata(None)
        target = stage / "parquet" / f"{res.name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target, compression="zstd", compression_level=9, store_schema=True)


def _walk_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(posix relative path, path) of every file under ROOT, sorted."""
    found = [(p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file()]
    yield from sorted(found)


def _write_zip(stage: Path, target: Path) -> None:
    """Zip STAGE under its folder name: sorted members, fixed dates and permissions."""
    with zipfile.ZipFile(target, "w") as zf:
        for rel, path in _walk_files(stage):
            info = zipfile.ZipInfo(f"{stage.name}/{rel}", date_time=ZIP_DATE)
            info.create_system = 3  # unix, so external_attr is read as a mode everywhere
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes(), compresslevel=9)


def _write_sums(stage: Path) -> None:
    """SHA256SUMS (sha256sum format) of every file in the release folder."""
    lines = [f"{sha256_hex(p)}  {rel}\n" for rel, p in _walk_files(stage) if rel != SUMS]
    (stage / SUMS).write_bytes("".join(lines).encode("utf-8"))


def build(
    package_path: str | Path = ".", out: str | Path = "dist", *, notes: list[str] | None = None
) -> Path:
    """Build `OUT/<name>-<version>/`, its zip and SHA256SUMS; refuse invalid or existing ones."""
    from opendata.package import load_package

    notes = notes if notes is not None else []
    pkg = load_package(package_path)
    version = pkg.version
    where = str(pkg.descriptor_path)
    if parse_version(version) is None:
        what = "has no version" if version is None else f"version {version!r} is not semver X.Y.Z"
        raise Refused(f"descriptor {what}", path=where, hint='set "version": "1.0.0"')
    if not NAME.match(pkg.name):
        raise Refused(
            f"package name {pkg.name!r} must be lower-case letters, digits, '.', '-', '_'",
            path=where,
        )
    out = Path(out)
    stem = f"{pkg.name}-{version}"
    final, final_zip = out / stem, out / f"{stem}.zip"
    for existing in (final, final_zip):
        if existing.exists():
            raise Refused(
                f"release {stem} already exists",
                path=str(existing),
                hint="bump the version; releases are immutable",
            )
    report = validation_report(pkg.descriptor_path)
    if not report["valid"]:
        raise Refused(
            f"package is invalid ({report['summary']['errors']} error(s)); nothing built",
            path=where,
            hint="run opendata validate",
        )
    created = _created(pkg.basepath, notes)
    log = find_changelog(pkg.basepath)
    section = changelog_section(log.read_text(encoding="utf-8"), str(version)) if log else None
    if section is None:
        notes.append(f"no '## [{version}]' section in CHANGELOG.md; the release has a stub")
        section = f"## [{version}]\n\nNo changelog entry.\n"
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.", dir=out))
    try:
        stage = tmp / stem
        stage.mkdir()
        descriptor = _stage_package(pkg, stage, str(version), created)
        _write_parquet(pkg, stage)
        # The report names the descriptor inside the release, not the builder's own path.
        report = {**report, "descriptor": "datapackage.json"}
        (stage / "validation.json").write_bytes(_json_bytes(report))
        (stage / "CHANGELOG.md").write_bytes(section.encode("utf-8"))
        (stage / "datapackage.json").write_bytes(_json_bytes(descriptor))
        _write_sums(stage)
        for _, p in _walk_files(stage):
            os.chmod(p, 0o644)
        _write_zip(stage, tmp / final_zip.name)
        if final.exists() or final_zip.exists():
            raise Refused(f"release {stem} appeared while building", path=str(final))
        os.replace(tmp / final_zip.name, final_zip)
        os.replace(stage, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _stage_package(pkg: Package, stage: Path, version: str, created: str) -> dict[str, Any]:
    """Copy data files into STAGE and return the release descriptor (schemas inline, hashes)."""
    descriptor = copy.deepcopy(pkg.descriptor)
    descriptor["version"] = version
    descriptor["created"] = created
    if pkg.checks:
        descriptor["checks"] = copy.deepcopy(pkg.checks)
    for raw, res in zip(descriptor["resources"], pkg.resources, strict=True):
        if res.schema is not None:
            raw["schema"] = copy.deepcopy(res.schema)
        if res.checks:
            raw["checks"] = copy.deepcopy(res.checks)
        if res.fullpath is None or res.path is None:
            continue
        target = stage / PurePosixPath(res.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(res.fullpath, target)
        except OSError as exc:
            raise CouldNotRun(
                f"cannot copy {res.path}: {exc.strerror}", path=str(res.fullpath)
            ) from None
        raw["hash"] = f"sha256:{sha256_hex(target)}"
        raw["bytes"] = target.stat().st_size
    return descriptor


# --- verifying and extracting ----------------------------------------------------------------


def read_sums(text: str, *, where: str) -> dict[str, str]:
    """Parse SHA256SUMS into {relative path: hex}; refuse malformed lines."""
    sums: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^([0-9a-f]{64}) [ *](.+)$", line)
        if not m or not _safe_member(m[2]):
            raise Refused(f"{SUMS} line {n} is malformed or names an unsafe path", path=where)
        sums[m[2]] = m[1]
    return sums


def verify_release(folder: Path) -> dict[str, str]:
    """Check every file of a release folder against its SHA256SUMS; return the sums."""
    sums_path = folder / SUMS
    if not sums_path.is_file():
        raise Refused(f"no {SUMS} in the release", path=str(folder), hint="build it with opendata")
    sums = read_sums(sums_path.read_text(encoding="utf-8"), where=str(sums_path))
    present = {rel for rel, _ in _walk_files(folder)} - {SUMS}
    for extra in sorted(present - set(sums)):
        raise Refused(f"{extra} is not listed in {SUMS}", path=str(folder))
    for rel, digest in sums.items():
        path = folder / rel
        if not path.is_file():
            raise Refused(f"{rel} listed in {SUMS} is missing", path=str(folder))
        if sha256_hex(path) != digest:
            raise Refused(
                f"{rel} does not match its sha256 in {SUMS}",
                path=str(folder),
                hint="the file was changed or truncated; rebuild or download again",
            )
    return sums


def _safe_member(name: str) -> bool:
    """Whether an archive member name stays inside the target: relative, no '..', no drive."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    if re.match(r"^[A-Za-z]:", name):
        return False
    parts = name.rstrip("/").split("/")
    return all(p not in ("", ".", "..") for p in parts)


def safe_extract_zip(zip_path: Path, dest: Path, *, max_bytes: int | None = None) -> list[str]:
    """Extract a zip into DEST, refusing members that escape it, links, duplicates, and bombs."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused(f"not a readable zip: {exc}", path=str(zip_path)) from None
    names: list[str] = []
    with zf:
        infos = zf.infolist()
        seen: set[str] = set()
        for info in infos:
            name = info.filename
            mode = info.external_attr >> 16
            if not _safe_member(name):
                raise Refused(
                    f"zip member {name!r} would land outside the target", path=str(zip_path)
                )
            if stat.S_ISLNK(mode) or (mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
                raise Refused(f"zip member {name!r} is a link or special file", path=str(zip_path))
            if info.flag_bits & 0x1:
                raise Refused(f"zip member {name!r} is encrypted", path=str(zip_path))
            key = name.rstrip("/").casefold()
            if key in seen:
                raise Refused(f"zip member {name!r} appears twice", path=str(zip_path))
            seen.add(key)
        total = sum(i.file_size for i in infos)
        if max_bytes is not None and total > max_bytes:
            # zipfile never inflates a member past its declared size, so the headers bound it.
            raise Refused(
                f"zip unpacks to {total} bytes, more than the {max_bytes} its index lists",
                path=str(zip_path),
            )
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        for info in infos:
            target = (dest / info.filename).resolve()
            if not target.is_relative_to(root):
                raise Refused(
                    f"zip member {info.filename!r} escapes the target", path=str(zip_path)
                )
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(info) as src, target.open("xb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
            except (zipfile.BadZipFile, EOFError, OSError, zlib_error()) as exc:
                raise Refused(
                    f"zip member {info.filename!r} is corrupt or truncated ({exc})",
                    path=str(zip_path),
                ) from None
            names.append(info.filename)
    return names


def zlib_error() -> type[Exception]:
    """zlib's error class (imported lazily; a corrupt deflate stream raises it)."""
    import zlib

    return zlib.error


# --- publish -------------------------------------------------------------------------------


def _read_index(catalog: Path) -> dict[str, Any]:
    """The catalog's index.json, or an empty index for a new catalog."""
    path = catalog / "index.json"
    if not path.exists():
        return {"format": CATALOG_FORMAT, "packages": {}}
    from opendata.package import read_json

    index = read_json(path, what="catalog index")
    if not isinstance(index, dict) or not isinstance(index.get("packages"), dict):
        raise CouldNotRun("catalog index.json has no 'packages' object", path=str(path))
    return index


def _file_entry(catalog: Path, path: Path) -> dict[str, Any]:
    """{path, bytes, sha256} of a catalog file, path relative to the catalog root."""
    return {
        "path": path.relative_to(catalog).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": sha256_hex(path),
    }


_VERSION_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }} {{ version }}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
code{background:#f4f4f4}
</style></head><body>
<p><a href="../../index.html">Catalog</a> / {{ name }}</p>
<h1>{{ title }} <small>{{ version }}</small></h1>
{% if description %}<p>{{ description }}</p>{% endif %}
<p>Created {{ created }}.
{% if licenses %}Licence:
{% for l in licenses %}
{% if l.path %}<a href="{{ l.path }}">{{ l.title or l.name }}</a>
{% else %}{{ l.title or l.name }}{% endif %}{% if not loop.last %}, {% endif %}
{% endfor %}.{% endif %}</p>
<h2>Download</h2>
<ul>
<li><a href="{{ zip.name }}">{{ zip.name }}</a>
({{ zip.bytes }} bytes, sha256 <code>{{ zip.sha256 }}</code>)</li>
{% for f in files %}<li><a href="{{ f.rel }}">{{ f.rel }}</a> ({{ f.bytes }} bytes)</li>
{% endfor %}</ul>
<p><code>opendata get CATALOG {{ name }}@{{ version }}</code></p>
{% if sources %}<h2>Sources</h2><ul>
{% for s in sources %}<li>
{% if s.path %}<a href="{{ s.path }}">{{ s.title or s.path }}</a>{% else %}{{ s.title }}{% endif %}
</li>{% endfor %}</ul>{% endif %}
<h2>Resources</h2>
{% for r in resources %}<h3 id="{{ r.name }}">{{ r.title or r.name }}</h3>
{% if r.description %}<p>{{ r.description }}</p>{% endif %}
<p><a href="{{ r.path }}">{{ r.path }}</a>
{% if r.parquet %} · <a href="{{ r.parquet }}">Parquet</a>{% endif %}
{% if r.primary_key %} · key: {{ r.primary_key|join(", ") }}{% endif %}</p>
<table><tr><th>field</th><th>type</th><th>constraints</th><th>description</th></tr>
{% for f in r.fields %}<tr><td><code>{{ f.name }}</code></td><td>{{ f.type or "string" }}</td>
<td>{{ f.constraints }}</td><td>{{ f.description or f.title or "" }}</td></tr>
{% endfor %}</table>
{% endfor %}
<h2>Changes from {{ previous or "nothing (first release)" }}</h2>
{% if diff %}<p>Implied bump: <strong>{{ diff.bump }}</strong></p>
<table><tr><th>resource</th><th>status</th><th>added</th><th>removed</th><th>changed</th></tr>
{% for r in diff.resources %}<tr><td>{{ r.name }}</td><td>{{ r.status }}</td>
<td>{{ r.counts.added }}</td><td>{{ r.counts.removed }}</td><td>{{ r.counts.changed }}</td></tr>
{% endfor %}</table>
<ul>{% for r in diff.reasons %}<li>{{ r.bump }}: {{ r.message }}</li>{% endfor %}</ul>
{% endif %}
<h2>Changelog</h2>
<pre>{{ changelog }}</pre>
</body></html>
"""

_INDEX_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data catalog</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}
</style>
</head><body><h1>Data catalog</h1>
{% for name, p in packages %}<h2>{{ p.title or name }}</h2>
<p>{{ p.description or "" }}</p><ul>
{% for v in p.versions %}<li><a href="{{ name }}/{{ v }}/index.html">{{ name }} {{ v }}</a>
{% if v == p.latest %} (latest){% endif %}</li>
{% endfor %}</ul>{% endfor %}
</body></html>
"""


def _jinja() -> Any:
    """A jinja2 environment that escapes HTML (descriptor text is untrusted)."""
    import jinja2

    return jinja2.Environment(autoescape=True, undefined=jinja2.ChainableUndefined)


def _constraints_text(constraints: Any) -> str:
    """Field constraints for people: `required, minimum 0`."""
    if not isinstance(constraints, dict):
        return ""
    return ", ".join(
        k if v is True else f"{k} {json.dumps(v, ensure_ascii=False)}"
        for k, v in constraints.items()
    )


def _version_page(
    folder: Path, stem: str, previous: str | None, diff: dict[str, Any] | None
) -> bytes:
    """The static HTML page of one published version."""
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    zip_path = folder / f"{stem}.zip"
    files = [
        {"rel": rel, "bytes": p.stat().st_size}
        for rel, p in _walk_files(folder)
        if rel not in (zip_path.name, "index.html")
    ]
    resources = []
    for r in d.get("resources", []):
        schema = r.get("schema") if isinstance(r.get("schema"), dict) else {}
        pk = schema.get("primaryKey") or []
        parquet = f"parquet/{r.get('name')}.parquet"
        resources.append(
            {
                **r,
                "fields": [
                    {**f, "constraints": _constraints_text(f.get("constraints"))}
                    for f in schema.get("fields", [])
                    if isinstance(f, dict)
                ],
                "primary_key": [pk] if isinstance(pk, str) else pk,
                "parquet": parquet if (folder / parquet).is_file() else None,
            }
        )
    html = (
        _jinja()
        .from_string(_VERSION_PAGE)
        .render(
            name=d.get("name"),
            title=d.get("title") or d.get("name"),
            version=d.get("version"),
            description=d.get("description"),
            created=d.get("created"),
            licenses=d.get("licenses") or [],
            sources=d.get("sources") or [],
            resources=resources,
            files=files,
            zip={
                "name": zip_path.name,
                "bytes": zip_path.stat().st_size,
                "sha256": sha256_hex(zip_path),
            },
            previous=previous,
            diff=diff,
            changelog=(folder / "CHANGELOG.md").read_text(encoding="utf-8"),
        )
    )
    return html.encode("utf-8")


def _index_page(index: dict[str, Any]) -> bytes:
    """The catalog's front page: every package and its versions, newest first."""
    packages = []
    for name in sorted(index["packages"]):
        p = index["packages"][name]
        versions = sorted(p.get("versions", {}), key=version_key, reverse=True)
        packages.append((name, {**p, "versions": versions}))
    return _jinja().from_string(_INDEX_PAGE).render(packages=packages).encode("utf-8")


def _release_parts(release: str | Path) -> tuple[Path, Path]:
    """The release folder and its zip, given either."""
    path = Path(release)
    folder = path.with_suffix("") if path.suffix == ".zip" else path
    zip_path = folder.parent / f"{folder.name}.zip"
    if not folder.is_dir():
        raise CouldNotRun("release folder not found", path=str(folder), hint="run opendata build")
    if not zip_path.is_file():
        raise Refused(f"{zip_path.name} is missing next to the release", path=str(folder))
    return folder, zip_path


def _check_zip_matches(zip_path: Path, stem: str, sums: dict[str, str]) -> None:
    """The zip holds exactly the release files with the same sha256 (without extracting it)."""
    expected = {f"{stem}/{rel}": digest for rel, digest in sums.items()}
    expected[f"{stem}/{SUMS}"] = ""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            names = {i.filename for i in zf.infolist() if not i.is_dir()}
            if names != set(expected):
                raise Refused(
                    f"{zip_path.name} does not hold the release files", path=str(zip_path)
                )
            for name, digest in expected.items():
                if digest and hashlib.sha256(zf.read(name)).hexdigest() != digest:
                    raise Refused(f"{name} in the zip does not match {SUMS}", path=str(zip_path))
    except (zipfile.BadZipFile, OSError, EOFError, zlib_error()) as exc:
        raise Refused(f"{zip_path.name} is unreadable: {exc}", path=str(zip_path)) from None


def publish(release: str | Path, catalog: str | Path) -> Path:
    """Add a built release to a catalog folder; versions are immutable. Returns its folder."""
    from opendata.package import load_package
    from opendata.versions.diff import diff_packages

    folder, zip_path = _release_parts(release)
    sums = verify_release(folder)
    pkg = load_package(folder)
    name, version = pkg.name, str(pkg.version)
    stem = f"{name}-{version}"
    if folder.name != stem or not NAME.match(name) or parse_version(version) is None:
        raise Refused(
            f"folder name does not match {stem}", path=str(folder), hint="use opendata build"
        )
    _check_zip_matches(zip_path, stem, sums)
    catalog = Path(catalog)
    catalog.mkdir(parents=True, exist_ok=True)
    index = _read_index(catalog)
    entry = index["packages"].get(name) or {"versions": {}}
    final = catalog / name / version
    if version in entry["versions"] or final.exists():
        raise Refused(
            f"{name} {version} is already published",
            path=str(final),
            hint="versions are immutable; bump the version and build again",
        )
    earlier = [v for v in entry["versions"] if version_key(v) < version_key(version)]
    previous = max(earlier, key=version_key) if earlier else None
    diff = None
    if previous is not None:
        try:
            diff = diff_packages(catalog / name / previous, folder).to_dict()
        except OpendataError:
            diff = None  # an unreadable older release must not block publishing a new one
    (catalog / name).mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=catalog / name))
    try:
        stage = tmp / version
        shutil.copytree(folder, stage)
        shutil.copyfile(zip_path, stage / zip_path.name)
        (stage / "index.html").write_bytes(_version_page(stage, stem, previous, diff))
        files = [_file_entry(stage, p) for _, p in _walk_files(stage) if p.name != "index.html"]
        os.replace(stage, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prefix = f"{name}/{version}/"
    entry["versions"][version] = {
        "path": prefix,
        "created": pkg.descriptor.get("created"),
        "zip": {
            **next(f for f in files if f["path"] == zip_path.name),
            "path": prefix + zip_path.name,
        },
        "files": [{**f, "path": prefix + f["path"]} for f in files if f["path"] != zip_path.name],
    }
    entry["versions"] = dict(sorted(entry["versions"].items(), key=lambda kv: version_key(kv[0])))
    entry["latest"] = max(entry["versions"], key=version_key)
    if entry["latest"] == version:
        entry["title"] = pkg.descriptor.get("title")
        entry["description"] = pkg.descriptor.get("description")
    index["packages"][name] = entry
    index["packages"] = dict(sorted(index["packages"].items()))
    _write_atomic(catalog / "index.json", _json_bytes(index))
    _write_atomic(catalog / "index.html", _index_page(index))
    return final


# --- get -------------------------------------------------------------------------------------


def _is_url(catalog: str) -> bool:
    """Whether CATALOG is an http(s) URL rather than a folder."""
    return catalog.startswith(("http://", "https://"))


def _fetch(catalog: str, rel: str, dest: Path, *, limit: int | None = None) -> tuple[int, str]:
    """Copy catalog file REL to DEST; return (bytes, sha256). Stops reading past LIMIT bytes."""
    import urllib.error
    import urllib.parse
    import urllib.request

    if not _safe_member(rel):
        raise Refused(f"catalog names an unsafe path {rel!r}", path=catalog)
    h = hashlib.sha256()
    size = 0
    try:
        if _is_url(catalog):
            url = urllib.parse.urljoin(catalog.rstrip("/") + "/", urllib.parse.quote(rel))
            src: Any = urllib.request.urlopen(url, timeout=60)
        else:
            src = (Path(catalog) / rel).open("rb")
        with src, dest.open("wb") as out:
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if limit is not None and size > limit:
                    raise Refused(f"{rel} is larger than the catalog says", path=catalog)
                h.update(chunk)
                out.write(chunk)
    except urllib.error.HTTPError as exc:
        raise CouldNotRun(f"cannot download {rel}: HTTP {exc.code}", path=catalog) from None
    except (urllib.error.URLError, TimeoutError) as exc:
        raise CouldNotRun(f"cannot download {rel}: {exc}", path=catalog) from None
    except FileNotFoundError:
        raise CouldNotRun(f"{rel} not found in the catalog", path=catalog) from None
    except OSError as exc:
        raise CouldNotRun(f"cannot read {rel}: {exc}", path=catalog) from None
    return size, h.hexdigest()


def _fetch_index(catalog: str, tmp: Path) -> dict[str, Any]:
    """The catalog's index.json."""
    _fetch(catalog, "index.json", tmp / "index.json")
    try:
        index = json.loads((tmp / "index.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CouldNotRun(f"catalog index.json is not valid JSON: {exc}", path=catalog) from None
    if not isinstance(index, dict) or not isinstance(index.get("packages"), dict):
        raise CouldNotRun("catalog index.json has no 'packages' object", path=catalog)
    return index


def get(catalog: str | Path, spec: str, to: str | Path = ".") -> Path:
    """Download NAME[@VERSION] from a catalog, verify, validate, unpack into TO/<name>-<version>."""
    catalog = str(catalog)
    name, _, want = spec.partition("@")
    to = Path(to)
    # The topmost folder this call creates, removed again on failure so nothing is left behind.
    created = next((p for p in reversed([to, *to.parents]) if not p.exists()), None)
    to.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".opendata-get-", dir=to))
    try:
        index = _fetch_index(catalog, tmp)
        entry = index["packages"].get(name)
        if not isinstance(entry, dict) or not entry.get("versions"):
            raise Refused(f"no package {name!r} in the catalog", path=catalog)
        versions = entry["versions"]
        version = want or max(versions, key=version_key)
        if version not in versions:
            known = ", ".join(sorted(versions, key=version_key))
            raise Refused(f"{name} has no version {version} (published: {known})", path=catalog)
        if not NAME.match(name) or parse_version(version) is None:
            # Both become a folder name under TO; a hostile index must not steer it elsewhere.
            raise Refused(f"unsafe package name or version {name!r} {version!r}", path=catalog)
        stem = f"{name}-{version}"
        final = to / stem
        if final.exists():
            raise Refused(f"{final} already exists", path=str(final), hint="remove it or use --to")
        meta = versions[version]
        zmeta = meta["zip"]
        size, digest = _fetch(
            catalog, zmeta["path"], tmp / "release.zip", limit=int(zmeta["bytes"])
        )
        if size != zmeta["bytes"] or digest != zmeta["sha256"]:
            raise Refused(
                f"{zmeta['path']} does not match the sha256 in index.json (truncated or tampered)",
                path=catalog,
            )
        listed_bytes = sum(int(f.get("bytes", 0)) for f in meta.get("files", []))
        safe_extract_zip(tmp / "release.zip", tmp / "x", max_bytes=listed_bytes)
        top = sorted(p.name for p in (tmp / "x").iterdir())
        if top != [stem]:
            raise Refused(f"the zip must hold one folder {stem}/, found {top}", path=zmeta["path"])
        folder = tmp / "x" / stem
        sums = verify_release(folder)
        prefix = str(meta["path"])
        listed = {f["path"].removeprefix(prefix): f["sha256"] for f in meta.get("files", [])}
        if set(listed) != set(sums) | {SUMS}:
            raise Refused(f"{stem}: files in the zip differ from index.json", path=catalog)
        for rel, digest in listed.items():
            if sha256_hex(folder / rel) != digest:
                raise Refused(f"{rel} differs from its sha256 in index.json", path=catalog)
        report = validation_report(folder / "datapackage.json")
        if not report["valid"]:
            raise Refused(
                f"{stem} does not validate ({report['summary']['errors']} error(s))", path=catalog
            )
        os.replace(folder, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)
    return final


# --- load ------------------------------------------------------------------------------------


def load_release(path: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of a release (folder, descriptor or zip) as a typed DataFrame."""
    if Path(path).suffix.lower() == ".zip":
        from opendata.versions.diff import open_source

        # DataFrames live in memory, so the unpacked copy can go once they are read.
        with open_source(path) as descriptor:
            return load_release(descriptor)
    import pyarrow.parquet as pq

    from opendata.io.dtypes import pandas_types
    from opendata.package import load_package
    from opendata.versions.diff import read_table

    pkg = load_package(path)
    frames: dict[str, pd.DataFrame] = {}
    for res in pkg.resources:
        if not res.schema:
            continue
        parquet = pkg.basepath / "parquet" / f"{res.name}.parquet"
        table = pq.read_table(parquet) if parquet.is_file() else read_table(res)
        frames[res.name] = table.to_pandas(types_mapper=pandas_types(), date_as_object=False)
    return frames
