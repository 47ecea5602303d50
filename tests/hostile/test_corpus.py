"""The hostile corpus: every case through the real CLI — right exit code, no traceback, at most
three lines on stderr for exit 2, within its time limit, and nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata.cli import main
from tests.hostile.cases_input import CSV_CASES, DESCRIPTOR_CASES, SCHEMA_CASES, VALUE_CASES
from tests.hostile.cases_release import (
    BUILD_CASES,
    CHECK_CASES,
    GATE_CASES,
    GET_CASES,
    PUBLISH_CASES,
)
from tests.hostile.kit import Case

CORPUS = [
    *DESCRIPTOR_CASES,
    *SCHEMA_CASES,
    *CSV_CASES,
    *VALUE_CASES,
    *CHECK_CASES,
    *BUILD_CASES,
    *PUBLISH_CASES,
    *GET_CASES,
    *GATE_CASES,
]
ENV = {"SOURCE_DATE_EPOCH": None}


def _bounded() -> None:
    """A child may take at most 2 GB: a hostile input must not take the machine down with it."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _run_subprocess(case: Case, args: list[str], cwd: Path) -> tuple[int, str, str, float]:
    env = {**os.environ, **case.env}
    env.pop("SOURCE_DATE_EPOCH", None) if "SOURCE_DATE_EPOCH" not in case.env else None
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "opendata", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            timeout=case.limit,
            preexec_fn=_bounded,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case.id}: no answer within {case.limit} s (a hang)")
    out, err = proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    return proc.returncode, out, err, time.monotonic() - start


def _run_in_process(case: Case, args: list[str]) -> tuple[int, str, str, float]:
    runner = CliRunner()
    start = time.monotonic()
    result = runner.invoke(main, args, env={**ENV, **case.env}, catch_exceptions=True)
    elapsed = time.monotonic() - start
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        tb = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"{case.id}: traceback escaped the CLI\n{tb}")
    return result.exit_code, result.stdout, result.stderr, elapsed


def test_the_corpus_is_large_and_distinct() -> None:
    ids = [c.id for c in CORPUS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 150, len(ids)


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_hostile(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    if case.skip and os.geteuid() == 0:
        pytest.skip(case.skip)
    if case.needs:
        request.applymarker(pytest.mark.xfail(reason=f"needs {case.needs}", strict=True))
    monkeypatch.chdir(tmp_path)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    args = case.setup(tmp_path)
    if not args:
        pytest.fail(f"{case.id}: setup failed")
    if case.subprocess:
        code, out, err, elapsed = _run_subprocess(case, args, tmp_path)
    else:
        code, out, err, elapsed = _run_in_process(case, args)
    shown = f"{case.id}: exit {code}\n--- stdout\n{out[-2000:]}\n--- stderr\n{err[-2000:]}"
    assert "Traceback" not in out + err, shown
    assert "Exception ignored" not in err, shown
    assert code in case.exit, shown
    if code == 2:
        assert 1 <= len(err.strip().splitlines()) <= 3, shown
    assert elapsed < case.limit, f"{case.id}: took {elapsed:.1f} s (limit {case.limit})"
    if case.after is not None:
        case.after(tmp_path)
