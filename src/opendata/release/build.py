"""Deterministic builds: stage a valid package with inline schemas, Parquet copies, pandera schemas and hashes."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun, Refused
from opendata.io.digest import sha256_hex
from opendata.release.archive import (
    LOCK_NAME,
    json_bytes,
    locked,
    remove_tree,
    step,
    walk_files,
    write_sums,
    write_zip,
)
from opendata.release.changelog import changelog_section, find_changelog
from opendata.versions.semver import parse_version

if TYPE_CHECKING:
    import pyarrow as pa

    from opendata.package import Package
    from opendata.progress import Progress

# A package name becomes a folder and a URL segment, so keep it to the Data Package name rule.
NAME = re.compile(r"[a-z0-9][a-z0-9._-]*")  # whole names only: NAME.fullmatch
FALLBACK_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the zip epoch


def validation_report(descriptor: Path, progress: Progress | None = None) -> dict[str, Any]:
    """The validation report dict of the package at DESCRIPTOR."""
    from opendata.validate import validate_package

    return validate_package(descriptor, progress=progress).to_dict()


def _created(basepath: Path, notes: list[str]) -> str:
    """Build time for `created`: SOURCE_DATE_EPOCH, else the last commit, else a fixed epoch."""
    epoch: int | None = None
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        if not re.fullmatch(r"[0-9]{1,12}", env):
            raise CouldNotRun(
                f"SOURCE_DATE_EPOCH={env[:40]!r} is not a whole number of seconds since 1970",
                hint="set it to e.g. $(git log -1 --format=%ct)",
            )
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
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        raise CouldNotRun(
            f"SOURCE_DATE_EPOCH={epoch} is beyond the dates this platform can represent",
            hint="use a time before the year 10000",
        ) from None


def _write_parquet(pkg: Package, stage: Path) -> None:
    """A typed Parquet copy of every table, written deterministically (fixed codec, no clocks)."""
    import pyarrow.parquet as pq

    from opendata.structural.table import read_typed

    for res in pkg.resources:
        if not res.schema or res.fullpath is None:
            continue
        table = _documented(read_typed(res), res.descriptor, res.schema)
        target = stage / "parquet" / f"{res.name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, target, compression="zstd", compression_level=9, store_schema=True)


# Documentation carried into each Parquet file, so that a table read on its own still says what
# it is: the table's keys in the schema metadata, each field's in that field's metadata.
TABLE_DOC_KEYS = ("name", "title", "title_en", "description", "description_zh")
FIELD_DOC_KEYS = ("title", "description", "description_zh")


def _doc(source: dict[str, Any], keys: tuple[str, ...]) -> dict[bytes, bytes] | None:
    """The text-valued `keys` of a descriptor as Parquet metadata, in a fixed order."""
    found = {k.encode(): v.encode("utf-8") for k in keys if isinstance(v := source.get(k), str)}
    return found or None


def _documented(table: pa.Table, resource: dict[str, Any], schema: dict[str, Any]) -> pa.Table:
    """The table with its resource's title and descriptions, and each field's, as metadata."""
    import pyarrow as pa

    docs = {f.get("name"): f for f in schema.get("fields", []) if isinstance(f, dict)}
    fields = [
        field.with_metadata(_doc(docs.get(field.name, {}), FIELD_DOC_KEYS))
        for field in table.schema
    ]
    described = pa.schema(fields, metadata=_doc(resource, TABLE_DOC_KEYS))
    return pa.Table.from_arrays(table.columns, schema=described)


def _stage_readme(pkg: Package, stage: Path, descriptor: dict[str, Any]) -> None:
    """Copy the package's README (`readme` in the descriptor) into the release as README.md."""
    from opendata.package import safe_local_path

    readme = pkg.descriptor.get("readme")
    if readme is None:
        return
    source = safe_local_path(pkg.basepath, readme, what="readme", descriptor=pkg.descriptor_path)
    try:
        shutil.copyfile(source, stage / "README.md")
    except OSError as exc:
        raise CouldNotRun(
            f"cannot copy the package README: {exc.strerror}",
            path=str(source),
            hint='fix "readme" in the descriptor or add the file',
        ) from None
    descriptor["readme"] = "README.md"


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
        for part, source in zip(
            res.paths or [res.path], res.fullpaths or [res.fullpath], strict=True
        ):
            _copy(source, stage / PurePosixPath(part), part)
        if len(res.fullpaths) > 1:  # a multipart resource: `hash` and `bytes` of the joined parts
            from opendata.structural.kinds import joined_digest

            digest, size = joined_digest(res, "sha256")
            raw["hash"], raw["bytes"] = f"sha256:{digest}", size
        else:
            target = stage / PurePosixPath(res.path)
            raw["hash"], raw["bytes"] = f"sha256:{sha256_hex(target)}", target.stat().st_size
    return descriptor


def _copy(source: Path, target: Path, shown: str) -> None:
    """Copy a data file into the staged release; a one-line CouldNotRun when it cannot be."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise CouldNotRun(f"cannot copy {shown}: {exc.strerror}", path=str(source)) from None


def _check_buildable(pkg: Package, out: Path, notes: list[str]) -> str:
    """The release's folder name `<name>-<version>`; refuse a bad version or name, or a rebuild."""
    version = pkg.version
    where = str(pkg.descriptor_path)
    if parse_version(version) is None:
        what = "has no version" if version is None else f"version {version!r} is not semver X.Y.Z"
        raise Refused(f"descriptor {what}", path=where, hint='set "version": "1.0.0"')
    if not NAME.fullmatch(pkg.name):
        raise Refused(
            f"package name {pkg.name!r} must be lower-case letters, digits, '.', '-', '_'",
            path=where,
        )
    stem = f"{pkg.name}-{version}"
    if out.exists() and not out.is_dir():
        raise CouldNotRun(
            "--out names a file, not a folder", path=str(out), hint="choose a folder for --out"
        )
    # The folder is what makes a release exist (it is renamed into place last); a zip alone is
    # the debris of a build killed between its two renames, and the next build replaces it.
    if out.is_dir():
        with locked(out):
            _recover(out, stem, notes)
    if (out / stem).exists():
        raise Refused(
            f"release {stem} already exists",
            path=str(out / stem),
            hint="bump the version; releases are immutable",
        )
    return stem


def _recover(out: Path, stem: str, notes: list[str]) -> None:
    """Remove what a crashed build of STEM left in OUT: staging folders and a zip without folder."""
    for debris in sorted(out.glob(f".{stem}.*")):
        if debris.name != LOCK_NAME:
            remove_tree(debris)
    zip_path = out / f"{stem}.zip"
    if zip_path.exists() and not (out / stem).exists():
        remove_tree(zip_path)
        notes.append(f"removed {zip_path.name}, left without its folder by an interrupted build")


def _changelog_section(pkg: Package, version: str, notes: list[str]) -> str:
    """The version's CHANGELOG.md section, or a stub (with a note) when there is none."""
    log = find_changelog(pkg.basepath)
    text = None
    if log is not None:
        try:
            text = log.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CouldNotRun(
                f"CHANGELOG.md is not UTF-8 (byte {exc.start})",
                path=str(log),
                hint="save it as UTF-8",
            ) from None
        except OSError as exc:
            raise CouldNotRun(f"cannot read CHANGELOG.md: {exc.strerror}", path=str(log)) from None
    section = changelog_section(text, version) if text is not None else None
    if section is None:
        notes.append(f"no '## [{version}]' section in CHANGELOG.md; the release has a stub")
        section = f"## [{version}]\n\nNo changelog entry.\n"
    return section


def build(
    package_path: str | Path = ".",
    out: str | Path = "dist",
    *,
    notes: list[str] | None = None,
    progress: Progress | None = None,
) -> Path:
    """Build `OUT/<name>-<version>/`, its zip and SHA256SUMS; refuse invalid or existing ones.

    `progress` is told of the tables read while validating the package (bytes per table).
    """
    from opendata.package import load_package

    notes = notes if notes is not None else []
    pkg = load_package(package_path)
    version = pkg.version
    out = Path(out)
    stem = _check_buildable(pkg, out, notes)
    final = out / stem
    report = validation_report(pkg.descriptor_path, progress)
    if not report["valid"]:
        raise Refused(
            f"package is invalid ({report['summary']['errors']} error(s)); nothing built",
            path=str(pkg.descriptor_path),
            hint="run opendata validate",
        )
    created = _created(pkg.basepath, notes)
    section = _changelog_section(pkg, str(version), notes)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CouldNotRun(f"cannot create --out: {exc.strerror}", path=str(out)) from None
    with locked(out):
        if final.exists():
            raise Refused(f"release {stem} appeared while building", path=str(final))
        _recover(out, stem, notes)
        step("build:staging")
        _build_into(pkg, out, stem, str(version), created, section, report)
    return final


def _build_into(
    pkg: Package,
    out: Path,
    stem: str,
    version: str,
    created: str,
    section: str,
    report: dict[str, Any],
) -> None:
    """Stage the release in a hidden folder of OUT, then make it visible: zip first, folder last.

    The folder's rename is the one step that publishes the build; a crash before it leaves
    only hidden staging or a lone zip, which the next build removes (`_recover`).
    """
    from opendata.semantic.export import write_schemas

    final, final_zip = out / stem, out / f"{stem}.zip"
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.", dir=out))
    try:
        stage = tmp / stem
        stage.mkdir()
        descriptor = _stage_package(pkg, stage, version, created)
        _stage_readme(pkg, stage, descriptor)
        _write_parquet(pkg, stage)
        write_schemas(pkg, stage / "pandera")  # each table's checks, for pandera users
        # The report names the descriptor inside the release, not the builder's own path.
        report = {**report, "descriptor": "datapackage.json"}
        (stage / "validation.json").write_bytes(json_bytes(report))
        (stage / "CHANGELOG.md").write_bytes(section.encode("utf-8"))
        (stage / "datapackage.json").write_bytes(json_bytes(descriptor))
        write_sums(stage)
        for _, p in walk_files(stage):
            os.chmod(p, 0o644)
        write_zip(stage, tmp / final_zip.name)
        _fsync_tree(tmp)
        step("build:staged")
        os.replace(tmp / final_zip.name, final_zip)
        step("build:zip-renamed")
        os.replace(stage, final)
        step("build:folder-renamed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fsync_tree(root: Path) -> None:
    """Flush every staged file to disk, so that a rename never publishes unwritten bytes."""
    for _, path in walk_files(root):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
