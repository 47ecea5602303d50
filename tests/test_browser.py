"""The catalog and the HTML report as a user sees them, in headless Chromium.

A catalog of two packages (the repository's own, published at its previous and current
version, and a small demo) is served by `python -m http.server` on 127.0.0.1 and each page is
loaded in Debian's `chromium` through its `chromedriver` (no driver is downloaded at run time).
Each test saves a screenshot of the page into its tmp_path; with OPENDATA_SHOTS=DIR set, a copy
of each goes to DIR as well. Without a browser the tests skip and say why (`.ci/run` installs
one).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from opendata.release.build import build
from opendata.release.catalog import publish
from opendata.render.report import render_html
from opendata.validate import validate_package
from tests.conftest import REPO
from tests.test_catalog import ROWS, write_package

NAME = "china-poverty-alleviation"
CURRENT = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))["version"]
PREVIOUS = "0.2.0"
PAGE_LOAD_SECONDS = 20


def _browser_paths() -> tuple[str, str] | None:
    """Chromium and its chromedriver, when both are installed."""
    names = ("chromium", "chromium-browser", "google-chrome")
    binary = next((shutil.which(b) for b in names if shutil.which(b)), None)
    # GitHub's runners keep their chromedriver in $CHROMEWEBDRIVER; Debian's is on PATH.
    driver = shutil.which("chromedriver") or shutil.which(
        "chromedriver", path=os.environ.get("CHROMEWEBDRIVER", "/usr/bin")
    )
    return (binary, driver) if binary and driver else None


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    """Headless Chromium driven through the system chromedriver (no Selenium Manager)."""
    paths = _browser_paths()
    if paths is None:
        pytest.skip(
            "browser tests skipped: no chromium and chromedriver on PATH "
            "(apt-get install chromium chromium-driver; bash .ci/run installs them)"
        )
    os.environ["SE_OFFLINE"] = "true"  # Selenium must not try to download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=paths[1]), options=options)
    browser.set_page_load_timeout(PAGE_LOAD_SECONDS)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's package published at PREVIOUS (no views) and CURRENT, and demo 1.0.0/1.1.0."""
    root = tmp_path_factory.mktemp("browser")
    old = root / "previous"
    for part in ("data", "schemas"):
        shutil.copytree(REPO / part, old / part)
    shutil.copy(REPO / "CHANGELOG.md", old / "CHANGELOG.md")
    descriptor = json.loads((REPO / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = PREVIOUS
    descriptor.pop("views", None)
    (old / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False), "utf-8")
    cat = root / "catalog"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1796169600")
        publish(build(old, root / "dist"), cat)
        publish(build(REPO, root / "dist"), cat)
        for folder, rows, version in (
            (root / "demo1", ROWS, "1.0.0"),
            (root / "demo2", [*ROWS, ["54", "Tibet", "74"]], "1.1.0"),
        ):
            publish(build(_retitled(write_package(folder, rows, version)), root / "dist"), cat)
    return cat


def _retitled(folder: Path) -> Path:
    """The demo package of test_catalog with a plain title and a description."""
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    descriptor["title"] = "Demo: counties per province"
    descriptor["description"] = "A small second package, so that the front page has two."
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(catalog: Path) -> Iterator[str]:
    """`python -m http.server` serving the catalog on 127.0.0.1, stopped after the module."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=catalog,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(base, timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("python -m http.server did not start") from None
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def visit(driver: Any, url: str) -> None:
    """Load URL, discarding console messages of earlier pages."""
    driver.get_log("browser")
    driver.get(url)


def console_errors(driver: Any) -> list[str]:
    """The page's console messages at level SEVERE (script errors, failed loads)."""
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(driver: Any, folder: Path, name: str) -> Path:
    """A full-page PNG of what the browser shows, into FOLDER (and OPENDATA_SHOTS when set)."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(int(height) + 40, 16000))
    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)
    shots = os.environ.get("OPENDATA_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(shots) / path.name)
    assert path.stat().st_size > 10_000  # a page, not a blank
    return path


def visible_text(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def count(driver: Any, css: str) -> int:
    from selenium.webdriver.common.by import By

    return len(driver.find_elements(By.CSS_SELECTOR, css))


def broken_links(driver: Any) -> list[str]:
    """Links on the page that lead nowhere: a missing file, or an anchor with no target."""
    page = driver.current_url
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.getAttribute('href'))"
    )
    broken = []
    for href in hrefs:
        url, anchor = urldefrag(urljoin(page, href))
        if urlparse(url).netloc != urlparse(page).netloc or url.startswith("mailto:"):
            continue  # outside the catalog: not fetched (the tests run offline)
        if url != urldefrag(page)[0]:
            try:
                urllib.request.urlopen(url, timeout=5).close()
            except (urllib.error.URLError, OSError) as exc:
                broken.append(f"{href}: {exc}")
                continue
        elif anchor and not driver.execute_script(
            "return document.getElementById(arguments[0]) !== null", anchor
        ):
            broken.append(f"{href}: no element with that id")
    return broken


VERSION_PAGE = f"{NAME}/{CURRENT}/index.html"


def test_front_page_lists_each_package_with_its_latest_version(
    driver: Any, server: str, tmp_path: Path
) -> None:
    visit(driver, server)
    assert count(driver, ".package") == 2
    card = visible_text(driver, f'.package:has(a[href="{VERSION_PAGE}"])')
    assert "中国脱贫攻坚开放数据 / China poverty alleviation open data" in card
    assert f"latest {CURRENT}" in card
    assert "licence CC-BY-4.0" in card
    assert "updated 2026-12-02" in card
    assert "2014年公布的832个国家贫困县" in card  # the Chinese description
    assert "latest 1.1.0" in visible_text(driver, '.package:has(a[href="demo/1.1.0/index.html"])')
    assert console_errors(driver) == []
    assert broken_links(driver) == []
    screenshot(driver, tmp_path, "catalog-index")


def test_the_filter_box_filters(driver: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    visit(driver, server)
    box = driver.find_element(By.ID, "filter")
    shown = "return Array.from(document.querySelectorAll('.package')).filter(e => e.offsetParent).length"
    box.send_keys("贫困")
    assert driver.execute_script(shown) == 1
    assert visible_text(driver, "#filter-count") == "Showing 1 of 2"
    box.clear()
    box.send_keys("demo")
    assert driver.execute_script(shown) == 1
    box.send_keys(" nothing-like-this")
    assert driver.execute_script(shown) == 0
    assert "No package matches" in visible_text(driver, "#no-match")
    for _ in range(len("demo nothing-like-this")):
        box.send_keys("\b")
    assert driver.execute_script(shown) == 2
    assert console_errors(driver) == []


def test_version_page_draws_each_view_as_a_chart_with_marks(
    driver: Any, server: str, tmp_path: Path
) -> None:
    visit(driver, server + VERSION_PAGE)
    captions = [c for c in visible_text(driver, "#charts ~ .charts").splitlines() if "(" in c]
    assert any(c.startswith("Poverty counties that exited each year") for c in captions)
    assert any(c.startswith("National poverty counties by province") for c in captions)
    assert any(c.startswith("Rural poor population") for c in captions)
    assert count(driver, "figure.chart svg") == 3
    for view, marks in (
        ("exit-batches-by-year", 5),  # one bar per batch
        ("counties-by-province", 22),  # one bar per province
        ("rural-poverty-2012-2020", 9),  # one bar per year (and a line)
    ):
        bars = count(driver, f"#view-{view} svg .role-mark.mark-rect > path")
        assert bars == marks, view
    labels = visible_text(driver, "#view-counties-by-province")
    assert "Yunnan 云南" in labels and "Guizhou 贵州" in labels
    assert console_errors(driver) == []
    screenshot(driver, tmp_path, "catalog-version")


def test_version_page_previews_each_table_with_typed_cells(driver: Any, server: str) -> None:
    visit(driver, server + VERSION_PAGE)
    assert count(driver, 'table.preview[data-resource="counties"] tbody tr') == 50
    assert count(driver, 'table.preview[data-resource="exit_batches"] tbody tr') == 5
    assert "The first 50 of 832 rows" in visible_text(driver, "#table-counties")
    first = visible_text(driver, 'table.preview[data-resource="rural_poverty"] tbody tr')
    assert first.startswith("2012 9,899 10.2 —")  # a year, a grouped count, a rate, a missing value
    heading = visible_text(driver, 'table.preview[data-resource="rural_poverty"] thead')
    assert heading.split()[:3] == ["year", "poor_population_10k", "incidence_pct"]


def test_version_page_documents_fields_sources_and_readme(driver: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    visit(driver, server + VERSION_PAGE)
    for details in driver.find_elements(By.CSS_SELECTOR, "#table-counties details"):
        details.click()
    fields = visible_text(driver, "#table-counties table.fields")
    assert "pattern ^\\d{6}$" in fields  # as the schema writes it, not JSON-escaped
    assert "\\\\d" not in fields
    assert "minimum 2016\nmaximum 2020" in fields
    assert "one of unchanged, code changed, name changed" in fields
    readme = visible_text(driver, "#readme + .markdown")
    assert "Where each value comes from" in readme and "##" not in readme
    assert count(driver, "#readme + .markdown table tbody tr") >= 11  # the README's table of tables
    sources = visible_text(driver, "#sources + ul")
    assert "areacodes" in sources
    assert count(driver, '#sources + ul a[href^="https://"]') >= 2
    validation = visible_text(driver, "#validation ~ p")
    assert "0 errors and 3 warnings" in validation


def test_version_page_shows_downloads_diff_and_changelog(driver: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    visit(driver, server + VERSION_PAGE)
    download = visible_text(driver, "#download + p")
    assert f"{NAME}-{CURRENT}.zip" in download and "sha256" in download
    driver.find_element(By.CSS_SELECTOR, "#download ~ details summary").click()
    assert count(driver, "table.files tbody tr") >= 20
    changes = visible_text(driver, "#changes + p")
    assert f"Compared with {PREVIOUS}" in changes and "patch" in changes
    changelog = visible_text(driver, "#changelog + .markdown")
    assert "Three charts, declared as Data Package views" in changelog
    assert "##" not in changelog
    assert console_errors(driver) == []
    assert broken_links(driver) == []


def test_version_page_works_from_a_file_url(driver: Any, catalog: Path) -> None:
    visit(driver, (catalog / VERSION_PAGE).as_uri())
    assert count(driver, "figure.chart svg .role-mark") > 0
    assert count(driver, 'table.preview[data-resource="provinces"] tbody tr') == 22
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources == []  # nothing fetched: stylesheet, charts and script are in the page
    assert console_errors(driver) == []


def test_html_report_shows_findings_by_table_and_rule(
    driver: Any, tmp_path: Path, make_package: Any
) -> None:
    from tests.conftest import BATCHES_CSV, BATCHES_SCHEMA

    descriptor = make_package(
        {"exit_batches": (BATCHES_CSV.replace("2017,125,153", "2017,125,15x"), BATCHES_SCHEMA)},
        checks={
            "exit_batches": [
                {
                    "id": "batches-sum",
                    "type": "column-sum",
                    "message": "The batches add up to 832.",
                    "column": "exited",
                    "equals": 832,
                }
            ]
        },
    )
    page = tmp_path / "report.html"
    page.write_text(render_html(validate_package(descriptor)), encoding="utf-8")
    visit(driver, page.as_uri())
    assert visible_text(driver, "#summary") == "1 error, 0 warnings"
    rule = visible_text(driver, "#resource-exit_batches .rule")
    assert "Type Error" in rule and "type-error" in rule
    row = visible_text(driver, "#resource-exit_batches table.findings tbody tr")
    assert row.split()[:4] == ["3", "cumulative", "integer/default", "15x"]
    assert "batches-sum" in visible_text(driver, "#skipped + ul")
    assert console_errors(driver) == []
    screenshot(driver, tmp_path, "validation-report")
