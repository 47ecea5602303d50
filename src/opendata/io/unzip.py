"""Safe zip extraction: members that stay inside the target, no links, duplicates or bombs."""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
from pathlib import Path

from opendata.errors import Refused

_CHUNK = 1 << 20


def safe_member(name: str) -> bool:
    """Whether an archive member name stays inside the target: relative, no '..', no drive."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return False
    if re.match(r"^[A-Za-z]:", name):
        return False
    parts = name.rstrip("/").split("/")
    return all(p not in ("", ".", "..") for p in parts)


def zlib_error() -> type[Exception]:
    """zlib's error class (imported lazily; a corrupt deflate stream raises it)."""
    import zlib

    return zlib.error


def _check_members(infos: list[zipfile.ZipInfo], zip_path: Path) -> None:
    """Refuse members that escape the target, links and special files, encrypted or repeated."""
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        mode = info.external_attr >> 16
        if not safe_member(name):
            raise Refused(f"zip member {name!r} would land outside the target", path=str(zip_path))
        if stat.S_ISLNK(mode) or (mode and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))):
            raise Refused(f"zip member {name!r} is a link or special file", path=str(zip_path))
        if info.flag_bits & 0x1:
            raise Refused(f"zip member {name!r} is encrypted", path=str(zip_path))
        key = name.rstrip("/").casefold()
        if key in seen:
            raise Refused(f"zip member {name!r} appears twice", path=str(zip_path))
        seen.add(key)


def safe_extract_zip(zip_path: Path, dest: Path, *, max_bytes: int | None = None) -> list[str]:
    """Extract a zip into DEST, refusing members that escape it, links, duplicates, and bombs."""
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Refused(f"not a readable zip: {exc}", path=str(zip_path)) from None
    names: list[str] = []
    with zf:
        infos = zf.infolist()
        _check_members(infos, zip_path)
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
