"""Getting a release: download from a catalog folder or URL, verify, validate, unpack, load."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.errors import CouldNotRun, Refused
from opendata.io.digest import sha256_hex
from opendata.io.unzip import safe_extract_zip, safe_member
from opendata.progress import Progress, start
from opendata.release.archive import SUMS, verify_release
from opendata.release.build import NAME, validation_report
from opendata.remote import TooLarge, copy_limited, env_number, is_url, network_error, open_url
from opendata.versions.semver import parse_version, version_key

if TYPE_CHECKING:
    import pandas as pd

# A download must finish within a total deadline as well as answer each read within a timeout
# (see `opendata.remote`); a whole `get` has OPENDATA_GET_DEADLINE seconds.
DEADLINE_ENV = "OPENDATA_GET_DEADLINE"
DEFAULT_DEADLINE = 600.0


def _fetch(
    catalog: str,
    rel: str,
    dest: Path,
    *,
    limit: int | None = None,
    until: float | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> tuple[int, str]:
    """Copy catalog file REL to DEST; return (bytes, sha256). Stops reading past LIMIT bytes,
    and at the monotonic time UNTIL (the download's deadline).

    `on_bytes` is told the size of each piece copied (for a progress bar).
    """
    import http.client
    import time
    import urllib.parse

    if not isinstance(rel, str) or not safe_member(rel):
        raise Refused(f"catalog names an unsafe path {rel!r}", path=catalog)
    if until is None:
        until = time.monotonic() + env_number(DEADLINE_ENV, DEFAULT_DEADLINE)
    try:
        if is_url(catalog):
            url = urllib.parse.urljoin(catalog.rstrip("/") + "/", urllib.parse.quote(rel))
            src: Any = open_url(url, until=until, name=rel)
        else:
            src = _open_regular(Path(catalog) / rel)
        with src:
            return copy_limited(
                src,
                dest,
                until=until,
                limit=limit,
                name=rel,
                where=catalog,
                on_bytes=on_bytes,
                deadline_env=DEADLINE_ENV,
            )
    except TooLarge:
        raise Refused(f"{rel} is larger than the catalog says", path=catalog) from None
    except FileNotFoundError:
        raise CouldNotRun(f"{rel} not found in the catalog", path=catalog) from None
    except (OSError, http.client.HTTPException) as exc:
        if is_url(catalog):
            raise network_error(exc, catalog, rel) from None
        raise CouldNotRun(f"cannot read {rel}: {exc}", path=catalog) from None


def _open_regular(path: Path) -> Any:
    """A catalog file opened for reading; a pipe or device is refused rather than waited on."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CouldNotRun(f"{path.name} in the catalog is not a regular file", path=str(path))
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def _fetch_index(catalog: str, tmp: Path, until: float) -> dict[str, Any]:
    """The catalog's index.json."""
    from opendata.metadata import MAX_JSON_BYTES, check_shape, read_json

    _fetch(catalog, "index.json", tmp / "index.json", limit=MAX_JSON_BYTES, until=until)
    index = read_json(tmp / "index.json", what="catalog index.json")
    check_shape(index, "catalog-index", what="catalog index.json", where=catalog)
    return index


def _pick_version(catalog: str, index: dict[str, Any], name: str, want: str) -> str:
    """The version of NAME to get: WANT, or the highest published; refuse unknown or unsafe ones."""
    entry = index["packages"].get(name)
    if not isinstance(entry, dict) or not entry.get("versions"):
        raise Refused(f"no package {name!r} in the catalog", path=catalog)
    versions = entry["versions"]
    version = want or max(versions, key=version_key)
    if version not in versions:
        known = ", ".join(sorted(versions, key=version_key))
        raise Refused(f"{name} has no version {version} (published: {known})", path=catalog)
    if not NAME.fullmatch(name) or parse_version(version) is None:
        # Both become a folder name under TO; a hostile index must not steer it elsewhere.
        raise Refused(f"unsafe package name or version {name!r} {version!r}", path=catalog)
    return str(version)


def _unpack_verified(
    catalog: str,
    meta: dict[str, Any],
    stem: str,
    tmp: Path,
    until: float,
    progress: Progress | None = None,
) -> Path:
    """Download the release zip META names, check it against index.json, unpack it; its folder."""
    zmeta = meta["zip"]
    size, digest = _fetch(
        catalog,
        zmeta["path"],
        tmp / "release.zip",
        limit=int(zmeta["bytes"]),
        until=until,
        on_bytes=start(progress, f"fetching {stem}.zip", int(zmeta["bytes"])),
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
    return folder


def get(
    catalog: str | Path, spec: str, to: str | Path = ".", *, progress: Progress | None = None
) -> Path:
    """Download NAME[@VERSION] from a catalog, verify, validate, unpack into TO/<name>-<version>.

    `progress` is told of the files fetched and the tables validated, with their bytes.
    """
    catalog = str(catalog)
    name, _, want = spec.partition("@")
    to = Path(to)
    # The topmost folder this call creates, removed again on failure so nothing is left behind.
    created = next((p for p in reversed([to, *to.parents]) if not p.exists()), None)
    to.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".opendata-get-", dir=to))
    try:
        import time

        until = time.monotonic() + env_number(DEADLINE_ENV, DEFAULT_DEADLINE)
        index = _fetch_index(catalog, tmp, until)
        version = _pick_version(catalog, index, name, want)
        stem = f"{name}-{version}"
        final = to / stem
        if final.exists():
            raise Refused(f"{final} already exists", path=str(final), hint="remove it or use --to")
        meta = index["packages"][name]["versions"][version]
        folder = _unpack_verified(catalog, meta, stem, tmp, until, progress)
        report = validation_report(folder / "datapackage.json", progress)
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


def load_release(path: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of a release (folder, descriptor or zip) as a typed DataFrame."""
    if Path(path).suffix.lower() == ".zip":
        from opendata.versions.sources import open_source

        # DataFrames live in memory, so the unpacked copy can go once they are read.
        with open_source(path) as descriptor:
            return load_release(descriptor)
    import pyarrow.parquet as pq

    from opendata.io.dtypes import pandas_types
    from opendata.package import load_package
    from opendata.structural.table import read_typed

    pkg = load_package(path)
    frames: dict[str, pd.DataFrame] = {}
    for res in pkg.resources:
        if not res.schema:
            continue
        parquet = pkg.basepath / "parquet" / f"{res.name}.parquet"
        table = pq.read_table(parquet) if parquet.is_file() else read_typed(res)
        frames[res.name] = table.to_pandas(types_mapper=pandas_types(), date_as_object=False)
    return frames
