"""Where a version of a package comes from: a folder, a descriptor, a release zip, a git revision."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opendata.errors import CouldNotRun
from opendata.io.unzip import safe_extract_zip
from opendata.metadata import YAML_SUFFIXES
from opendata.package import DESCRIPTOR_NAMES, find_descriptor


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run git in REPO, capturing output; a missing git binary is CouldNotRun."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise CouldNotRun("git is not installed", hint="install git or pass folders") from None


def git_toplevel(repo: str | Path) -> Path | None:
    """The root of the git work tree holding REPO, or None when it is not in one."""
    proc = _git(Path(repo), "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        return None
    return Path(proc.stdout.decode().strip()).resolve()


def is_git_revision(repo: str | Path, rev: str) -> bool:
    """Whether REV names a commit in the repository holding REPO."""
    if git_toplevel(repo) is None:
        return False
    return _git(Path(repo), "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}").returncode == 0


def export_revision(repo: str | Path, rev: str, dest: Path) -> None:
    """Write the tree of REV (the whole repository) into DEST via `git archive`."""
    import tarfile

    top = git_toplevel(repo)
    if top is None:
        raise CouldNotRun(f"{repo} is not inside a git repository", path=str(repo))
    proc = _git(top, "archive", "--format=tar", rev)
    if proc.returncode != 0:
        msg = proc.stderr.decode(errors="replace").strip().splitlines()
        raise CouldNotRun(
            f"git archive {rev} failed: {msg[-1] if msg else 'unknown error'}", path=str(top)
        )
    import io

    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        # The 'data' filter refuses members escaping DEST, links out of it and device files.
        tar.extractall(dest, filter="data")


@contextmanager
def open_source(spec: str | Path, *, repo: str | Path = ".") -> Iterator[Path]:
    """Yield a descriptor path for SPEC: a folder, a descriptor, a release zip or a git revision.

    A revision may be written REV or REV:SUBDIR; without SUBDIR the package is taken at the same
    place inside the repository as REPO.
    """
    text = str(spec)
    path = Path(text)
    if path.exists():
        if path.is_dir():
            yield find_descriptor(path)
        elif path.suffix.lower() == ".zip":
            with tempfile.TemporaryDirectory(prefix="opendata-diff-") as tmp:
                safe_extract_zip(path, Path(tmp))
                yield _find_descriptor(Path(tmp), what=str(path))
        else:
            yield path
        return
    rev, _, sub = text.partition(":")
    if not rev or not is_git_revision(repo, rev):
        raise CouldNotRun(
            f"{text!r} is neither a file, a folder nor a git revision of {repo}",
            hint="give a package folder, a descriptor, a release zip or a revision like HEAD~1",
        )
    top = git_toplevel(repo)
    assert top is not None  # is_git_revision checked it
    if not sub:
        sub = os.path.relpath(Path(repo).resolve(), top)
    with tempfile.TemporaryDirectory(prefix="opendata-diff-") as tmp:
        export_revision(repo, rev, Path(tmp))
        where = (Path(tmp) / sub).resolve()
        if not where.is_relative_to(Path(tmp).resolve()):
            raise CouldNotRun(f"{sub!r} is outside the repository", path=text)
        descriptor = where
        if where.suffix not in (".json", *YAML_SUFFIXES):
            names = [where / name for name in DESCRIPTOR_NAMES]
            descriptor = next((n for n in names if n.is_file()), names[0])
        if not descriptor.is_file():
            raise CouldNotRun(
                f"no {os.path.relpath(descriptor, tmp)} at revision {rev}",
                path=str(top),
                hint="write REV:path/to/package",
            )
        yield descriptor


def _find_descriptor(root: Path, *, what: str) -> Path:
    """The datapackage.json at ROOT or in its single top-level folder (how release zips look)."""
    if (root / "datapackage.json").is_file():
        return root / "datapackage.json"
    found = sorted(root.glob("*/datapackage.json"))
    if len(found) != 1:
        raise CouldNotRun("no datapackage.json in the archive", path=what)
    return found[0]
