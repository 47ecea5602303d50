"""Release archives: the deterministic zip, SHA256SUMS and checking a release against them."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opendata.errors import Refused
from opendata.io.digest import sha256_hex
from opendata.io.unzip import safe_member, zlib_error

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
SUMS = "SHA256SUMS"


def json_bytes(data: Any) -> bytes:
    """Stable JSON: 2-space indent, UTF-8, trailing newline."""
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file via a temp sibling and os.replace, so readers never see half of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Step boundaries of build and publish, named so that a test can kill the process (SIGKILL) at
# each one and check that readers see the old state or the new one, and that a rerun succeeds.
KILL_AT_ENV = "OPENDATA_KILL_AT"
LOCK_NAME = ".opendata.lock"


def step(name: str) -> None:
    """A step boundary: the process is killed here when OPENDATA_KILL_AT names it (tests only)."""
    if os.environ.get(KILL_AT_ENV) == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on FOLDER (its `.opendata.lock` file) for the block.

    Recovery removes what a crashed run left; the lock makes sure it is not a live run's.
    The lock file stays: removing it would let two runs lock two different files.
    """
    import fcntl

    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_tree(path: Path) -> None:
    """Remove a file or folder (a crashed run's debris), ignoring one that is already gone."""
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def walk_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(posix relative path, path) of every file under ROOT, sorted."""
    found = [(p.relative_to(root).as_posix(), p) for p in root.rglob("*") if p.is_file()]
    yield from sorted(found)


def write_zip(stage: Path, target: Path) -> None:
    """Zip STAGE under its folder name: sorted members, fixed dates and permissions."""
    with zipfile.ZipFile(target, "w") as zf:
        for rel, path in walk_files(stage):
            info = zipfile.ZipInfo(f"{stage.name}/{rel}", date_time=ZIP_DATE)
            info.create_system = 3  # unix, so external_attr is read as a mode everywhere
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes(), compresslevel=9)


def write_sums(stage: Path) -> None:
    """SHA256SUMS (sha256sum format) of every file in the release folder."""
    lines = [f"{sha256_hex(p)}  {rel}\n" for rel, p in walk_files(stage) if rel != SUMS]
    (stage / SUMS).write_bytes("".join(lines).encode("utf-8"))


def read_sums(text: str, *, where: str) -> dict[str, str]:
    """Parse SHA256SUMS into {relative path: hex}; refuse malformed lines."""
    sums: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^([0-9a-f]{64}) [ *](.+)$", line)
        if not m or not safe_member(m[2]):
            raise Refused(f"{SUMS} line {n} is malformed or names an unsafe path", path=where)
        sums[m[2]] = m[1]
    return sums


def verify_release(folder: Path) -> dict[str, str]:
    """Check every file of a release folder against its SHA256SUMS; return the sums."""
    sums_path = folder / SUMS
    if not sums_path.is_file():
        raise Refused(f"no {SUMS} in the release", path=str(folder), hint="build it with opendata")
    sums = read_sums(sums_path.read_text(encoding="utf-8"), where=str(sums_path))
    present = {rel for rel, _ in walk_files(folder)} - {SUMS}
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


def check_zip_matches(zip_path: Path, stem: str, sums: dict[str, str]) -> None:
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
