"""Crash-safe releases: SIGKILL at every step boundary of build and publish leaves the old state or
the new one for readers, and the next run succeeds (issue 20)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from opendata.errors import OpendataError, Refused
from opendata.release.archive import verify_release
from opendata.release.build import build
from opendata.release.catalog import publish
from opendata.release.get import get
from tests.hostile.kit import EPOCH, leftovers, package

BUILD_STEPS = ["build:staging", "build:staged", "build:zip-renamed", "build:folder-renamed"]
PUBLISH_STEPS = [
    "publish:staging",
    "publish:staged",
    "publish:folder-renamed",
    "publish:index-written",
]
STEM = "hostile-1.0.0"


def _killed(args: list[str], at: str, cwd: Path) -> None:
    """Run the CLI with the kill switch at step AT; it must die by SIGKILL there."""
    env = {
        **os.environ,
        "OPENDATA_KILL_AT": at,
        "SOURCE_DATE_EPOCH": EPOCH,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "opendata", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()


def _release_state(dist: Path) -> str:
    """'old' (no release visible) or 'new' (a complete one); anything else fails the test."""
    if not (dist / STEM).exists():
        return "old"
    verify_release(dist / STEM)
    assert (dist / f"{STEM}.zip").is_file()
    return "new"


@pytest.mark.parametrize("at", BUILD_STEPS)
def test_a_build_killed_at_any_step_is_old_or_new_and_rebuilds(
    at: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package(tmp_path / "p")
    dist = tmp_path / "dist"
    _killed(["build", str(tmp_path / "p"), "--out", str(dist)], at, tmp_path)
    state = _release_state(dist)
    assert state == ("new" if at == "build:folder-renamed" else "old")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    if state == "old":
        build(tmp_path / "p", dist)
    else:
        with pytest.raises(Refused, match="already exists"):
            build(tmp_path / "p", dist)
    assert _release_state(dist) == "new"
    assert leftovers(dist) == []


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("release")
    package(root / "p")
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        return build(root / "p", root / "dist")
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH") if old is None else None


@pytest.mark.parametrize("at", PUBLISH_STEPS)
def test_a_publish_killed_at_any_step_is_old_or_new_and_republishes(
    at: str, release: Path, tmp_path: Path
) -> None:
    catalog = tmp_path / "cat"
    _killed(["publish", str(release), "--to", str(catalog)], at, tmp_path)
    # A reader follows index.json only: it gets the version whole, or is told it is not there.
    visible = at == "publish:index-written"
    if visible:
        assert get(str(catalog), "hostile@1.0.0", tmp_path / "a").name == STEM
    else:
        with pytest.raises(OpendataError, match=r"no package|no version|index\.json not found"):
            get(str(catalog), "hostile@1.0.0", tmp_path / "a")
        publish(release, catalog)
    with pytest.raises(Refused, match="already published"):
        publish(release, catalog)
    assert get(str(catalog), "hostile@1.0.0", tmp_path / "b").name == STEM
    assert leftovers(catalog) == []
