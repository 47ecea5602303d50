"""Progress on long work: bytes read per table and files fetched, drawn only on a terminal."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from opendata.progress import Advance
from opendata.release.build import build
from opendata.release.catalog import publish
from opendata.release.get import get
from opendata.render.progress import TerminalProgress, terminal_progress
from opendata.validate import validate_package
from tests.conftest import BATCHES_CSV, BATCHES_SCHEMA
from tests.test_catalog import ROWS, write_package


class Recorder:
    """A Progress that remembers each task's total and the amounts it was advanced by."""

    def __init__(self) -> None:
        self.tasks: dict[str, tuple[int | None, list[int]]] = {}

    def start(self, description: str, total: int | None) -> Advance:
        done: list[int] = []
        self.tasks[description] = (total, done)
        return done.append

    def done(self, description: str) -> tuple[int | None, int]:
        total, amounts = self.tasks[description]
        return total, sum(amounts)


def test_validate_reports_the_bytes_read_of_each_table(make_package: Callable[..., Path]) -> None:
    descriptor = make_package(
        {"exit_batches": (BATCHES_CSV, BATCHES_SCHEMA), "more": (BATCHES_CSV * 1, BATCHES_SCHEMA)}
    )
    recorder = Recorder()
    assert validate_package(descriptor, progress=recorder, block_size=40).valid
    size = len(BATCHES_CSV.encode())
    assert list(recorder.tasks) == ["reading exit_batches", "reading more"]
    assert recorder.done("reading exit_batches") == (size, size)
    assert len(recorder.tasks["reading exit_batches"][1]) > 1  # chunk by chunk, as it is read


def test_build_and_get_report_tables_read_and_the_zip_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    built = Recorder()
    release = build(
        write_package(tmp_path / "src", ROWS, "1.0.0"), tmp_path / "dist", progress=built
    )
    assert list(built.tasks) == ["reading provinces"]
    publish(release, tmp_path / "catalog")
    fetched = Recorder()
    get(tmp_path / "catalog", "demo@1.0.0", tmp_path / "d", progress=fetched)
    zip_size = (tmp_path / "dist" / "demo-1.0.0.zip").stat().st_size
    assert fetched.done("fetching demo-1.0.0.zip") == (zip_size, zip_size)
    assert "reading provinces" in fetched.tasks  # the download is validated too


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_a_bar_is_drawn_on_a_terminal_once_the_work_takes_a_while() -> None:
    console, out = terminal()
    progress = TerminalProgress(console, delay=0)
    progress.start("reading counties", 1000)(500)
    progress.stop()
    assert "reading counties" in out.getvalue()


def test_quick_work_draws_no_bar() -> None:
    console, out = terminal()
    progress = TerminalProgress(console, delay=60)
    progress.start("reading counties", 1000)(1000)
    progress.stop()
    assert out.getvalue() == ""


def test_no_bar_on_a_pipe_or_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    with terminal_progress(Console(file=io.StringIO())) as progress:
        assert progress is None  # not a terminal
    monkeypatch.delenv("CI", raising=False)
    with terminal_progress(terminal()[0]) as progress:
        assert isinstance(progress, TerminalProgress)
    monkeypatch.setenv("CI", "true")
    with terminal_progress(terminal()[0]) as progress:
        assert progress is None
