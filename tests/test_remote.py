"""Remote descriptors and files: fetched only with --allow-remote, within limits, reported by URL.

A real HTTP server on 127.0.0.1 serves a small package in the shape of a core dataset (a
descriptor, a CSV under data/, a schema beside it), plus a few misbehaving routes.
"""

from __future__ import annotations

import http.server
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.errors import CouldNotRun
from opendata.validate import validate_package

GDP = "country,year,gdp\nChina,2019,14.3\nIndia,2019,n/a\nJapan,2019,5.1\n"
SCHEMA = {
    "fields": [
        {"name": "country", "type": "string"},
        {"name": "year", "type": "year"},
        {"name": "gdp", "type": "number"},
    ]
}


class Site:
    """The served folder, its URL, and the paths the server was asked for."""

    def __init__(self, root: Path, url: str, asked: list[str]) -> None:
        self.root, self.url, self.asked = root, url, asked

    def package(self, folder: str, resources: list[dict[str, Any]]) -> str:
        """Write a descriptor under FOLDER; its URL."""
        (self.root / folder).mkdir(parents=True, exist_ok=True)
        descriptor = {"name": "gdp", "resources": resources}
        (self.root / folder / "datapackage.json").write_text(json.dumps(descriptor))
        return f"{self.url}{folder}/datapackage.json"


def _handler(root: Path, asked: list[str]) -> type[http.server.SimpleHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            asked.append(self.path)
            route = getattr(
                self, "route_" + self.path.strip("/").replace("-", "_").replace(".", "_"), None
            )
            if route is not None:
                route()
            else:
                super().do_GET()

        def route_trickle_csv(self) -> None:  # a byte every 0.1 s: never a read timeout
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass

        def route_silent_csv(self) -> None:  # answers nothing for 3 s
            time.sleep(3)

        def route_to_ftp_csv(self) -> None:
            self._redirect("ftp://127.0.0.1/data.csv")

        def route_to_file_csv(self) -> None:
            self._redirect("file:///etc/passwd")

        def route_to_gdp_csv(self) -> None:
            self._redirect("/pkg/data/gdp.csv")

        def _redirect(self, where: str) -> None:
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_a: Any) -> None:
            pass

    return Handler


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A package served over HTTP on 127.0.0.1, with misbehaving routes beside it."""
    root = tmp_path / "site"
    (root / "pkg" / "data").mkdir(parents=True)
    (root / "pkg" / "data" / "gdp.csv").write_text(GDP)
    (root / "pkg" / "gdp.schema.json").write_text(json.dumps(SCHEMA))
    (root / "secret.csv").write_text("a\n1\n")
    asked: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, asked))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site = Site(root, f"http://127.0.0.1:{server.server_address[1]}/", asked)
    site.package("pkg", [{"name": "gdp", "path": "data/gdp.csv", "schema": "gdp.schema.json"}])
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary folders go here, so that a test can see they are removed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _cli(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, ["validate", *args], env=env)


def _flat(report: Any) -> list[list[Any]]:
    return report.flatten("resource", "path", "row", "field", "code")


# --- without --allow-remote nothing is fetched -------------------------------------------------


def test_a_remote_descriptor_without_the_flag_names_the_url_and_the_flag(site: Site) -> None:
    url = f"{site.url}pkg/datapackage.json"
    result = _cli(url)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert url in result.stderr and "--allow-remote" in result.stderr
    assert site.asked == []


def test_a_url_resource_in_a_local_descriptor_without_the_flag(site: Site, tmp_path: Path) -> None:
    url = f"{site.url}pkg/data/gdp.csv"
    local = tmp_path / "local"
    local.mkdir()
    (local / "datapackage.json").write_text(
        json.dumps({"name": "x", "resources": [{"name": "gdp", "path": url, "schema": SCHEMA}]})
    )
    result = _cli(str(local))
    assert result.exit_code == 2
    assert url in result.stderr and "--allow-remote" in result.stderr
    assert site.asked == []


# --- with it: the same findings as a local copy, named by URL ----------------------------------


def test_a_remote_package_finds_what_its_local_copy_finds(site: Site, private_tmp: Path) -> None:
    url = f"{site.url}pkg/datapackage.json"
    remote = validate_package(url, allow_remote=True)
    local = validate_package(site.root / "pkg")
    assert (
        [r[2:] for r in _flat(remote)]
        == [r[2:] for r in _flat(local)]
        == [[3, "gdp", "type-error"]]
    )
    assert remote.descriptor == url
    assert _flat(remote)[0][1] == f"{site.url}pkg/data/gdp.csv"
    assert "opendata-remote" not in json.dumps(remote.to_dict())
    assert list(private_tmp.iterdir()) == []  # the downloads are gone


def test_a_remote_package_agrees_with_frictionless(site: Site) -> None:
    from frictionless import Package

    url = f"{site.url}pkg/datapackage.json"
    theirs = Package(url).validate().flatten(["rowNumber", "fieldName", "type"])
    ours = validate_package(url, allow_remote=True).flatten("row", "field", "code")
    assert sorted(ours) == sorted(theirs)


def test_the_cli_validates_a_remote_package_with_the_flag(site: Site) -> None:
    result = _cli(f"{site.url}pkg/datapackage.json", "--allow-remote", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [(i["path"], i["row"], i["code"]) for i in report["issues"]] == [
        (f"{site.url}pkg/data/gdp.csv", 3, "type-error")
    ]


def test_a_url_resource_in_a_local_descriptor_is_downloaded(site: Site, tmp_path: Path) -> None:
    url = f"{site.url}to-gdp.csv"  # an http redirect is followed
    local = tmp_path / "local"
    local.mkdir()
    (local / "datapackage.json").write_text(
        json.dumps({"name": "x", "resources": [{"name": "gdp", "path": url, "schema": SCHEMA}]})
    )
    report = validate_package(local, allow_remote=True)
    assert _flat(report) == [["gdp", url, 3, "gdp", "type-error"]]


def test_a_remote_csv_alone_is_validated(site: Site) -> None:
    url = f"{site.url}pkg/data/gdp.csv"
    report = validate_package(url, allow_remote=True)
    assert report.descriptor == url
    # gdp holds "n/a" in 1 of 3 cells: inferred as text, as frictionless infers it, so valid
    assert report.valid and report.resources[0].path == url


def test_describe_drafts_a_remote_csv_keeping_its_url(site: Site) -> None:
    url = f"{site.url}pkg/data/gdp.csv"
    result = CliRunner().invoke(main, ["describe", url, "--allow-remote"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resources"][0]["path"] == url
    refused = CliRunner().invoke(main, ["describe", url])
    assert refused.exit_code == 2 and "--allow-remote" in refused.stderr


# --- what is refused, in one line --------------------------------------------------------------


def test_a_path_above_the_descriptor_url_is_refused(site: Site) -> None:
    url = site.package("bad", [{"name": "s", "path": "../secret.csv", "schema": SCHEMA}])
    with pytest.raises(CouldNotRun, match="escapes the package folder"):
        validate_package(url, allow_remote=True)
    assert not any("secret" in p for p in site.asked)


def test_percent_encoded_dots_stay_inside_the_base(site: Site) -> None:
    url = site.package("enc", [{"name": "s", "path": "%2e%2e/secret.csv", "schema": SCHEMA}])
    with pytest.raises(CouldNotRun, match="HTTP 404"):
        validate_package(url, allow_remote=True)
    assert "/enc/%252e%252e/secret.csv" in site.asked


def _one_line_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert "opendata-remote" not in result.stderr  # the URL, never the temporary copy
    return str(result.stderr)


def test_a_missing_file_is_an_http_404(site: Site) -> None:
    url = site.package("gone", [{"name": "g", "path": "data/gone.csv", "schema": SCHEMA}])
    error = _one_line_error(_cli(url, "--allow-remote"))
    assert "HTTP 404" in error and f"{site.url}gone/data/gone.csv" in error


def test_a_trickling_server_meets_the_deadline(site: Site, private_tmp: Path) -> None:
    start = time.monotonic()
    error = _one_line_error(
        _cli(f"{site.url}trickle.csv", "--allow-remote", env={"OPENDATA_REMOTE_DEADLINE": "1.5"})
    )
    assert "deadline" in error and "OPENDATA_REMOTE_DEADLINE" in error
    assert time.monotonic() - start < 10
    assert list(private_tmp.iterdir()) == []


def test_a_silent_server_meets_the_read_timeout(site: Site) -> None:
    error = _one_line_error(
        _cli(f"{site.url}silent.csv", "--allow-remote", env={"OPENDATA_REMOTE_TIMEOUT": "0.5"})
    )
    assert "did not answer in time" in error


def test_a_file_over_the_size_limit_is_refused(site: Site) -> None:
    url = f"{site.url}pkg/datapackage.json"
    error = _one_line_error(_cli(url, "--allow-remote", env={"OPENDATA_REMOTE_MAX_BYTES": "40"}))
    assert "larger than the 40 bytes allowed" in error


@pytest.mark.parametrize("route", ["to-ftp.csv", "to-file.csv"])
def test_a_redirect_away_from_http_is_refused(site: Site, route: str) -> None:
    error = _one_line_error(_cli(f"{site.url}{route}", "--allow-remote"))
    assert "which is not http(s)" in error


def test_an_unknown_host_is_named(site: Site) -> None:
    error = _one_line_error(_cli("http://nonexistent-host.invalid/data.csv", "--allow-remote"))
    assert "host 'nonexistent-host.invalid' not found" in error


def test_other_schemes_are_refused_even_with_the_flag(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text(
        json.dumps({"name": "x", "resources": [{"name": "a", "path": "s3://b/a.csv"}]})
    )
    with pytest.raises(CouldNotRun, match="only http:// and https://"):
        validate_package(tmp_path, allow_remote=True)


def test_downloads_are_removed_when_validation_fails(site: Site, private_tmp: Path) -> None:
    url = site.package("half", [{"name": "g", "path": "data/gdp.csv", "schema": "../pkg/x.json"}])
    shutil.copytree(site.root / "pkg" / "data", site.root / "half" / "data")
    with pytest.raises(CouldNotRun):
        validate_package(url, allow_remote=True)
    assert list(private_tmp.iterdir()) == []
