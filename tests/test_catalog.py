"""Publishing to a static catalog and getting releases back: immutability, checksums, safe unzip."""

from __future__ import annotations

import hashlib
import http.server
import json
import stat
import threading
import tomllib
import zipfile
from collections.abc import Iterator
from fnmatch import fnmatch
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from opendata.errors import CouldNotRun, Refused
from opendata.io.unzip import safe_extract_zip
from opendata.release.build import build
from opendata.release.catalog import publish
from opendata.release.get import get, load_release

ROWS = [["11", "Beijing", "0"], ["52", "Guizhou", "66"], ["53", "Yunnan", "88"]]


def write_package(root: Path, rows: list[list[str]], version: str) -> Path:
    """A one-table package at VERSION, with a changelog section for it."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    lines = ["code,name,counties"] + [",".join(r) for r in rows]
    (root / "data" / "provinces.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    schema = {
        "fields": [
            {"name": "code", "type": "string"},
            {"name": "name", "type": "string", "description": "English <b>name</b>"},
            {"name": "counties", "type": "integer"},
        ],
        "primaryKey": ["code"],
    }
    descriptor = {
        "name": "demo",
        "title": "Demo <script>alert(1)</script>",
        "version": version,
        "licenses": [{"name": "CC-BY-4.0", "title": "CC BY 4.0"}],
        "sources": [{"title": "State Council list", "path": "https://example.org/list"}],
        "resources": [{"name": "provinces", "path": "data/provinces.csv", "schema": schema}],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\n## [{version}]\n\n- Release {version}.\n")
    return root


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ROOT, by relative path (empty when ROOT is missing)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def releases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Two built releases of demo: 1.0.0 and 1.1.0 (one value corrected, one row added)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    v1 = build(write_package(tmp_path / "src1", ROWS, "1.0.0"), tmp_path / "dist")
    rows = [r[:] for r in ROWS]
    rows[2][2] = "87"
    v2 = build(
        write_package(tmp_path / "src2", [*rows, ["54", "Tibet", "74"]], "1.1.0"), tmp_path / "dist"
    )
    return {"1.0.0": v1, "1.1.0": v2}


@pytest.fixture
def catalog(tmp_path: Path, releases: dict[str, Path]) -> Path:
    """A catalog holding both releases."""
    cat = tmp_path / "catalog"
    publish(releases["1.0.0"], cat)
    publish(releases["1.1.0"], cat)
    return cat


@pytest.fixture
def server(catalog: Path) -> Iterator[str]:
    """The catalog served over HTTP on 127.0.0.1 (a free port), for the test's duration."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(catalog))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_publish_writes_index_and_pages(catalog: Path) -> None:
    index = json.loads((catalog / "index.json").read_text())
    demo = index["packages"]["demo"]
    assert demo["latest"] == "1.1.0"
    assert list(demo["versions"]) == ["1.0.0", "1.1.0"]
    v1 = demo["versions"]["1.0.0"]
    assert v1["zip"]["path"] == "demo/1.0.0/demo-1.0.0.zip"
    for f in [v1["zip"], *v1["files"]]:
        data = (catalog / f["path"]).read_bytes()
        assert (f["bytes"], f["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert {f["path"] for f in v1["files"]} >= {
        "demo/1.0.0/datapackage.json",
        "demo/1.0.0/SHA256SUMS",
        "demo/1.0.0/parquet/provinces.parquet",
    }
    page = (catalog / "demo" / "1.1.0" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in page  # descriptor text is escaped
    assert "Demo &lt;script&gt;" in page
    assert "Release 1.1.0." in page
    assert "Changes from 1.0.0" in page and "<strong>minor</strong>" in page
    assert 'href="demo-1.1.0.zip"' in page
    assert "English &lt;b&gt;name&lt;/b&gt;" in page
    front = (catalog / "index.html").read_text()
    assert 'href="demo/1.1.0/index.html"' in front and 'href="demo/1.0.0/index.html"' in front


def test_publishing_a_version_twice_is_refused_and_changes_nothing(
    catalog: Path, releases: dict[str, Path]
) -> None:
    before = tree_hashes(catalog)
    with pytest.raises(Refused, match=r"demo 1.0.0 is already published"):
        publish(releases["1.0.0"], catalog)
    assert tree_hashes(catalog) == before


def test_publish_refuses_a_tampered_release(tmp_path: Path, releases: dict[str, Path]) -> None:
    csv = releases["1.0.0"] / "data" / "provinces.csv"
    csv.write_text(csv.read_text().replace("88", "99"))
    with pytest.raises(Refused, match=r"does not match its sha256"):
        publish(releases["1.0.0"], tmp_path / "catalog")
    assert tree_hashes(tmp_path / "catalog") == {}


def test_get_latest_from_a_folder_and_load(catalog: Path, tmp_path: Path) -> None:
    got = get(catalog, "demo", tmp_path / "downloads")
    assert got == tmp_path / "downloads" / "demo-1.1.0"
    df = load_release(got)["provinces"]
    assert df["counties"].tolist() == [0, 66, 87, 74]
    assert str(df["counties"].dtype) == "Int64"


def test_get_a_version_over_http(server: str, tmp_path: Path, releases: dict[str, Path]) -> None:
    got = get(server, "demo@1.0.0", tmp_path / "downloads")
    assert tree_hashes(got) == tree_hashes(releases["1.0.0"])


def test_get_unknown_package_or_version(catalog: Path, tmp_path: Path) -> None:
    with pytest.raises(Refused, match=r"no package 'nope'"):
        get(catalog, "nope", tmp_path / "d")
    with pytest.raises(Refused, match=r"no version 9\.9\.9 \(published: 1\.0\.0, 1\.1\.0\)"):
        get(catalog, "demo@9.9.9", tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_get_refuses_an_existing_target(catalog: Path, tmp_path: Path) -> None:
    get(catalog, "demo@1.0.0", tmp_path / "d")
    before = tree_hashes(tmp_path / "d")
    with pytest.raises(Refused, match=r"already exists"):
        get(catalog, "demo@1.0.0", tmp_path / "d")
    assert tree_hashes(tmp_path / "d") == before


def test_get_from_a_missing_server_could_not_run(tmp_path: Path) -> None:
    with pytest.raises(CouldNotRun, match=r"cannot download index.json"):
        get("http://127.0.0.1:9/", "demo", tmp_path / "d")


# --- hostile and damaged catalogs --------------------------------------------------------------


def replace_zip(catalog: Path, version: str, data: bytes, *, update_index: bool = True) -> None:
    """Swap a published zip for DATA; with UPDATE_INDEX fix index.json, as an attacker would."""
    zip_path = catalog / "demo" / version / f"demo-{version}.zip"
    zip_path.write_bytes(data)
    if update_index:
        index = json.loads((catalog / "index.json").read_text())
        index["packages"]["demo"]["versions"][version]["zip"].update(
            bytes=len(data), sha256=hashlib.sha256(data).hexdigest()
        )
        (catalog / "index.json").write_text(json.dumps(index))


def make_zip(path: Path, members: list[tuple[str, bytes, int]]) -> bytes:
    """A zip of (name, data, unix mode) members."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path.read_bytes()


def rezip_with(src: Path, extra: list[tuple[str, bytes, int]], tmp: Path) -> bytes:
    """The members of zip SRC plus EXTRA."""
    with zipfile.ZipFile(src) as zf:
        members = [(i.filename, zf.read(i), i.external_attr >> 16) for i in zf.infolist()]
    return make_zip(tmp / "hostile.zip", members + extra)


def test_truncated_zip_is_refused_and_target_untouched(catalog: Path, tmp_path: Path) -> None:
    zip_path = catalog / "demo" / "1.1.0" / "demo-1.1.0.zip"
    replace_zip(catalog, "1.1.0", zip_path.read_bytes()[:-100], update_index=False)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep.txt").write_text("mine")
    with pytest.raises(Refused, match=r"does not match the sha256 in index.json"):
        get(catalog, "demo", tmp_path / "d")
    assert tree_hashes(tmp_path / "d") == {"keep.txt": hashlib.sha256(b"mine").hexdigest()}
    assert [p.name for p in (tmp_path / "d").iterdir()] == ["keep.txt"]


def test_tampered_file_inside_a_consistent_zip_is_refused(catalog: Path, tmp_path: Path) -> None:
    src = catalog / "demo" / "1.1.0" / "demo-1.1.0.zip"
    with zipfile.ZipFile(src) as zf:
        members = [(i.filename, zf.read(i), i.external_attr >> 16) for i in zf.infolist()]
    members = [
        (n, d.replace(b"Tibet", b"Tibeq") if n.endswith(".csv") else d, m) for n, d, m in members
    ]
    replace_zip(catalog, "1.1.0", make_zip(tmp_path / "t.zip", members))
    with pytest.raises(Refused, match=r"provinces.csv does not match its sha256 in SHA256SUMS"):
        get(catalog, "demo", tmp_path / "d")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("member", "mode"),
    [
        ("../evil.txt", stat.S_IFREG | 0o644),
        ("demo-1.1.0/../../evil.txt", stat.S_IFREG | 0o644),
        ("/tmp/evil.txt", stat.S_IFREG | 0o644),
        ("C:/evil.txt", stat.S_IFREG | 0o644),
        ("demo-1.1.0\\..\\evil.txt", stat.S_IFREG | 0o644),
        ("demo-1.1.0/link", stat.S_IFLNK | 0o777),
    ],
)
def test_hostile_zip_is_refused_and_target_untouched(
    catalog: Path, tmp_path: Path, member: str, mode: int
) -> None:
    src = catalog / "demo" / "1.1.0" / "demo-1.1.0.zip"
    payload = b"/etc/passwd" if stat.S_ISLNK(mode) else b"pwned"
    replace_zip(catalog, "1.1.0", rezip_with(src, [(member, payload, mode)], tmp_path))
    target = tmp_path / "work" / "d"
    target.mkdir(parents=True)
    with pytest.raises(Refused, match=r"zip member"):
        get(catalog, "demo", target)
    assert list(target.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["d"]
    assert not Path("/tmp/evil.txt").exists()


def test_safe_extract_refuses_duplicates(tmp_path: Path) -> None:
    data = make_zip(
        tmp_path / "dup.zip",
        [("a/x.txt", b"1", stat.S_IFREG | 0o644), ("a/X.txt", b"2", stat.S_IFREG | 0o644)],
    )
    assert data
    with pytest.raises(Refused, match=r"appears twice"):
        safe_extract_zip(tmp_path / "dup.zip", tmp_path / "out")


def test_catalog_index_round_trips(catalog: Path) -> None:
    index: dict[str, Any] = json.loads((catalog / "index.json").read_text())
    assert index["format"] == 1
    assert sorted(index["packages"]) == ["demo"]


def test_cli_publish_and_get(tmp_path: Path, releases: dict[str, Path]) -> None:
    from click.testing import CliRunner

    from opendata.cli import main

    runner = CliRunner()
    cat = str(tmp_path / "cat")
    first = runner.invoke(main, ["publish", str(releases["1.0.0"]), "--to", cat])
    assert (first.exit_code, first.output) == (0, f"published {cat}/demo/1.0.0\n")
    second = runner.invoke(main, ["publish", str(releases["1.0.0"]), "--to", cat])
    assert second.exit_code == 1
    assert "already published" in second.output
    got = runner.invoke(main, ["get", cat, "demo@1.0.0", "--to", str(tmp_path / "d")])
    assert (got.exit_code, got.output) == (0, f"got {tmp_path}/d/demo-1.0.0\n")
    missing = runner.invoke(main, ["get", cat, "demo@2.0.0", "--to", str(tmp_path / "d")])
    assert missing.exit_code == 1


def test_zip_bomb_is_refused_before_unpacking(catalog: Path, tmp_path: Path) -> None:
    src = catalog / "demo" / "1.1.0" / "demo-1.1.0.zip"
    big = (b"0" * (1 << 20), stat.S_IFREG | 0o644)
    replace_zip(catalog, "1.1.0", rezip_with(src, [("demo-1.1.0/big.bin", *big)], tmp_path))
    with pytest.raises(Refused, match=r"more than the \d+ its index lists"):
        get(catalog, "demo", tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_a_hostile_index_cannot_steer_the_target(catalog: Path, tmp_path: Path) -> None:
    index = json.loads((catalog / "index.json").read_text())
    demo = index["packages"]["demo"]
    demo["versions"] = {"../../escape": demo["versions"]["1.1.0"]}
    (catalog / "index.json").write_text(json.dumps(index))
    with pytest.raises(Refused, match=r"unsafe package name or version"):
        get(catalog, "demo", tmp_path / "work" / "d")
    assert not (tmp_path / "work").exists()


def test_catalog_templates_ship_in_the_wheel() -> None:
    # package-data must name every template, or an installed opendata renders no pages.
    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["opendata"]
    package = root / "src" / "opendata"
    templates = sorted(
        p.relative_to(package).as_posix()
        for p in (package / "render" / "templates").iterdir()
        if p.is_file()
    )
    assert templates == [
        "render/templates/index.html",
        "render/templates/layout.html",
        "render/templates/report.html",
        "render/templates/style.css",
        "render/templates/version.html",
    ]
    for rel in templates:
        assert any(fnmatch(rel, pattern) for pattern in patterns), rel


def test_a_name_with_a_trailing_newline_is_unsafe(catalog: Path, tmp_path: Path) -> None:
    index = json.loads((catalog / "index.json").read_text())
    index["packages"]["demo\n"] = index["packages"].pop("demo")
    (catalog / "index.json").write_text(json.dumps(index))
    with pytest.raises(Refused, match=r"unsafe package name or version"):
        get(catalog, "demo\n", tmp_path / "work" / "d")
    assert not (tmp_path / "work").exists()
