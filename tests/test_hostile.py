"""The could-not-run boundary and bounded work (issue 20): exit codes of interruptions, one line
for unexpected failures, the download deadline, and pattern checks under a time budget."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.validate import validate_package
from tests.hostile.kit import package


def _validate_raising(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> Any:
    def boom(*_a: Any, **_k: Any) -> Any:
        raise exc

    monkeypatch.setattr("opendata.validate.validate_package", boom)
    return CliRunner().invoke(main, ["validate"], catch_exceptions=True)


def test_ctrl_c_is_could_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _validate_raising(monkeypatch, KeyboardInterrupt())
    assert result.exit_code == 2
    assert result.stderr == "error: interrupted\n"


def test_a_closed_pipe_is_could_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _validate_raising(monkeypatch, BrokenPipeError())
    assert result.exit_code == 2
    assert "output was closed" in result.stderr


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (PermissionError(13, "Permission denied", "data/x.csv"), "data/x.csv: cannot read"),
        (TypeError("string indices must be integers"), "malformed input"),
        (RecursionError(), "nested too deeply"),
        (OverflowError("int too large"), "out of range"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), "encoding"),
    ],
)
def test_an_unexpected_failure_is_one_line_exit_2(
    monkeypatch: pytest.MonkeyPatch, exc: BaseException, words: str
) -> None:
    result = _validate_raising(monkeypatch, exc)
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1 and words in result.stderr


def test_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENDATA_DEBUG", "1")
    result = _validate_raising(monkeypatch, TypeError("x"))
    assert isinstance(result.exception, TypeError)


def test_a_message_with_hostile_bytes_stays_on_one_line() -> None:
    from opendata.errors import CouldNotRun

    line = CouldNotRun("bad\r\ncell \x1b[31m\x00 " + "x" * 1000, path="a.csv").one_line
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and len(line) <= 400


@pytest.fixture
def trickle() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that sends index.json one byte every 0.1 s."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def log_message(self, *_a: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_trickling_server_meets_the_download_deadline(trickle: str, tmp_path: Path) -> None:
    start = time.monotonic()
    result = CliRunner().invoke(
        main,
        ["get", trickle, "x", "--to", str(tmp_path / "out")],
        env={"OPENDATA_GET_DEADLINE": "1.5"},
    )
    assert result.exit_code == 2, result.output
    assert "deadline" in result.stderr
    assert time.monotonic() - start < 10
    assert not (tmp_path / "out").exists()


def _one_column(tmp_path: Path, pattern: str, cells: list[str]) -> Any:
    schema = {"fields": [{"name": "v", "constraints": {"pattern": pattern}}]}
    csv = "v\n" + "".join(f"{c}\n" for c in cells)
    return validate_package(package(tmp_path, csv=csv, schema=schema))


def test_a_backtracking_pattern_gives_a_check_error_in_bounded_time(tmp_path: Path) -> None:
    start = time.monotonic()
    report = _one_column(tmp_path, r"((a|a)+)\1b", ["a" * 30, "aab"])
    assert time.monotonic() - start < 15
    assert ("check-error", "v") in {(i.code, i.field) for i in report.issues}


@pytest.mark.parametrize(
    ("pattern", "cells", "bad"),
    [
        (r"\w+", ["脱贫", "abc_1", "a-b"], [4]),
        (r"\d+", ["١٢٣", "12", "1a"], [4]),
        (r"a\sb", ["a\u3000b", "a b", "ab"], [4]),
        (r"[\w-]+", ["脱-贫", "a b"], [3]),
        (r"\W", ["-", "a"], [3]),
        ("a|b", ["axyz", "b", "xb"], [4]),  # frictionless: re.match("^a|b$")
        ("(a+)+$", ["a" * 5000 + "!", "aaa"], [2]),
        (r"(?=a)\w+", ["ab", "ba"], [3]),
    ],
)
def test_patterns_match_as_python_re_does(
    tmp_path: Path, pattern: str, cells: list[str], bad: list[int]
) -> None:
    report = _one_column(tmp_path, pattern, cells)
    assert [i.line for i in report.issues if i.code == "constraint-error"] == bad


def test_a_data_file_replaced_by_random_bytes_is_a_major_change(tmp_path: Path) -> None:
    import random

    from opendata.versions.diff import diff_packages

    package(tmp_path / "a")
    package(tmp_path / "b")
    (tmp_path / "b" / "data" / "t.csv").write_bytes(random.Random(7).randbytes(3000))
    diff = diff_packages(tmp_path / "a", tmp_path / "b")
    assert diff.bump == "major"


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--format", "json", "--only", "t"],
        ["validate", "--format", "json", "--only", "bad"],
        ["validate"],
        ["--help"],
        ["--version"],
    ],
    ids=["json-valid", "json-invalid", "text", "help", "version"],
)
def test_a_closed_pipe_is_could_not_run_in_a_real_process(tmp_path: Path, args: list[str]) -> None:
    # `opendata validate --format json | head -c1`, with no race: the reading end is closed
    # before the command starts, so whichever write comes first fails, the last flush included
    # (the report is small: it waits in Python's buffer until then unless output is unbuffered).
    import json
    import os
    import subprocess
    import sys

    path = package(tmp_path)
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    (tmp_path / "data" / "bad.csv").write_text(
        "year,exited,region\n2016,x,east\n", encoding="utf-8"
    )
    descriptor["resources"].append(
        {**descriptor["resources"][0], "name": "bad", "path": "data/bad.csv"}
    )
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    env = {**os.environ, "OPENDATA_VERDICTS_IN_PROCESS": "1"}
    env.pop("PYTHONUNBUFFERED", None)
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "opendata",
                *args,
                *([str(path)] if args[0] == "validate" else []),
            ],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            timeout=120,
        )
    finally:
        os.close(write)
    assert done.returncode == 2, done.stderr
    assert done.stderr.decode().splitlines() == [
        "error: the output was closed before the command finished"
    ]


def test_the_library_is_quiet_on_undecodable_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pyarrow decodes a ragged record before its invalid-row handler sees it; on bytes that are
    # not UTF-8 Python printed "Exception ignored ... UnicodeDecodeError" to a library caller.
    import random

    from opendata import diff_packages

    old, new = package(tmp_path / "old"), package(tmp_path / "new")
    noise = random.Random(1)
    (tmp_path / "new" / "data" / "t.csv").write_bytes(
        bytes(noise.randrange(256) for _ in range(4000))
    )
    import sys

    printed: list[Any] = []  # what Python would print as "Exception ignored in ..."
    monkeypatch.setattr(sys, "unraisablehook", printed.append)
    assert diff_packages(old, new).bump == "major"
    assert printed == []


def test_only_undecodable_rows_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from opendata.io.encoding import quiet_undecodable_rows

    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    with quiet_undecodable_rows(), quiet_undecodable_rows():

        class Noisy:
            def __del__(self) -> None:
                raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "not from pyarrow")

        Noisy()
    assert [type(u.exc_value) for u in seen] == [UnicodeDecodeError]
    assert sys.unraisablehook == seen.append
