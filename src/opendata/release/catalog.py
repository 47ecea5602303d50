"""The static catalog: publishing a built release into it, immutably, with index.json and pages."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun, OpendataError, Refused
from opendata.io.digest import sha256_hex
from opendata.release.archive import (
    check_zip_matches,
    json_bytes,
    locked,
    remove_tree,
    step,
    verify_release,
    walk_files,
    write_atomic,
)
from opendata.release.build import NAME
from opendata.versions.semver import parse_version, version_key

if TYPE_CHECKING:
    from opendata.package import Package

CATALOG_FORMAT = 1


def _read_index(catalog: Path) -> dict[str, Any]:
    """The catalog's index.json, or an empty index for a new catalog."""
    path = catalog / "index.json"
    if not path.exists():
        return {"format": CATALOG_FORMAT, "packages": {}}
    from opendata.metadata import check_shape, read_json

    index = read_json(path, what="catalog index")
    check_shape(index, "catalog-index", what="catalog index.json", where=str(path))
    return index


def _file_entry(catalog: Path, path: Path) -> dict[str, Any]:
    """{path, bytes, sha256} of a catalog file, path relative to the catalog root."""
    return {
        "path": path.relative_to(catalog).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": sha256_hex(path),
    }


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


def _previous_diff(
    catalog: Path, name: str, version: str, versions: dict[str, Any], folder: Path
) -> tuple[str | None, dict[str, Any] | None]:
    """The highest published version below VERSION, and the diff from it (None if unreadable)."""
    from opendata.versions.diff import diff_packages

    earlier = [v for v in versions if version_key(v) < version_key(version)]
    previous = max(earlier, key=version_key) if earlier else None
    diff = None
    if previous is not None:
        try:
            diff = diff_packages(catalog / name / previous, folder).to_dict()
        except OpendataError:
            diff = None  # an unreadable older release must not block publishing a new one
    return previous, diff


def _version_entry(
    pkg: Package, prefix: str, zip_name: str, files: list[dict[str, Any]]
) -> dict[str, Any]:
    """The index.json entry of one published version: its path, created date, zip and files."""
    return {
        "path": prefix,
        "created": pkg.descriptor.get("created"),
        "zip": {**next(f for f in files if f["path"] == zip_name), "path": prefix + zip_name},
        "files": [{**f, "path": prefix + f["path"]} for f in files if f["path"] != zip_name],
    }


# What the front page shows of a package's latest version, besides its title and description.
FRONT_PAGE_KEYS = ("title_en", "title_zh", "description_zh", "keywords", "licenses")


def _front_page_fields(descriptor: dict[str, Any]) -> dict[str, Any]:
    """The descriptor's fields the catalog's front page lists and filters on."""
    return {k: descriptor[k] for k in FRONT_PAGE_KEYS if descriptor.get(k) is not None}


def publish(release: str | Path, catalog: str | Path) -> Path:
    """Add a built release to a catalog folder; versions are immutable. Returns its folder."""
    from opendata.package import load_package

    folder, zip_path = _release_parts(release)
    sums = verify_release(folder)
    pkg = load_package(folder)
    name, version = pkg.name, str(pkg.version)
    stem = f"{name}-{version}"
    if folder.name != stem or not NAME.fullmatch(name) or parse_version(version) is None:
        raise Refused(
            f"folder name does not match {stem}", path=str(folder), hint="use opendata build"
        )
    check_zip_matches(zip_path, stem, sums)
    catalog = Path(catalog)
    if catalog.exists() and not catalog.is_dir():
        raise CouldNotRun("the catalog is a file, not a folder", path=str(catalog))
    _read_index(catalog)  # a malformed index refuses the publish before anything is written
    catalog.mkdir(parents=True, exist_ok=True)
    with locked(catalog):
        return _publish_locked(pkg, folder, zip_path, catalog, name, version)


def _recover(catalog: Path, name: str, index: dict[str, Any]) -> None:
    """Remove what a crashed publish of NAME left: staging folders, and version folders that
    index.json does not list (index.json is the single source of truth of what is published)."""
    for debris in [*catalog.glob(".index.json.*"), *catalog.glob(".index.html.*")]:
        remove_tree(debris)  # a temporary sibling of write_atomic, killed before its rename
    folder = catalog / name
    if not folder.is_dir():
        return
    entry = index["packages"].get(name) or {"versions": {}}
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            remove_tree(child)
        elif child.is_dir() and parse_version(child.name) and child.name not in entry["versions"]:
            remove_tree(child)


def _publish_locked(
    pkg: Package, folder: Path, zip_path: Path, catalog: Path, name: str, version: str
) -> Path:
    """Publish under the catalog's lock: stage, rename the version folder, rewrite index.json.

    Readers follow index.json only, so its atomic rewrite is the step that publishes; a version
    folder renamed into place before a crash is unlisted, and the next publish replaces it.
    """
    from opendata.render.catalog import index_page, version_page

    index = _read_index(catalog)
    _recover(catalog, name, index)
    entry = index["packages"].get(name) or {"versions": {}}
    stem = f"{name}-{version}"
    final = catalog / name / version
    if version in entry["versions"]:
        raise Refused(
            f"{name} {version} is already published",
            path=str(final),
            hint="versions are immutable; bump the version and build again",
        )
    previous, diff = _previous_diff(catalog, name, version, entry["versions"], folder)
    (catalog / name).mkdir(exist_ok=True)
    step("publish:staging")
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=catalog / name))
    try:
        stage = tmp / version
        shutil.copytree(folder, stage)
        shutil.copyfile(zip_path, stage / zip_path.name)
        page = version_page(stage, stem, list(walk_files(stage)), previous, diff)
        (stage / "index.html").write_bytes(page)
        files = [_file_entry(stage, p) for _, p in walk_files(stage) if p.name != "index.html"]
        step("publish:staged")
        os.replace(stage, final)
        step("publish:folder-renamed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    entry["versions"][version] = _version_entry(pkg, f"{name}/{version}/", zip_path.name, files)
    entry["versions"] = dict(sorted(entry["versions"].items(), key=lambda kv: version_key(kv[0])))
    entry["latest"] = max(entry["versions"], key=version_key)
    if entry["latest"] == version:
        entry["title"] = pkg.descriptor.get("title")
        entry["description"] = pkg.descriptor.get("description")
        entry.update(_front_page_fields(pkg.descriptor))
    index["packages"][name] = entry
    index["packages"] = dict(sorted(index["packages"].items()))
    write_atomic(catalog / "index.json", json_bytes(index))
    step("publish:index-written")
    write_atomic(catalog / "index.html", index_page(index))
    return final
