"""The HTML a reader gets, without a browser: charts, constraints, Markdown, the HTML report."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from opendata.cli import main
from opendata.render.catalog import constraints_list, format_cell
from opendata.render.charts import render_view
from opendata.render.markdown import to_html
from tests.conftest import BATCHES_CSV, BATCHES_SCHEMA

BARS = {
    "name": "bars",
    "title": "Counties exited",
    "resources": ["exit_batches"],
    "specType": "vega-lite",
    "spec": {
        "mark": "bar",
        "encoding": {
            "x": {"field": "year", "type": "ordinal"},
            "y": {"field": "exited", "type": "quantitative"},
        },
    },
}
ROWS = {"exit_batches": [{"year": 2016, "exited": 28}, {"year": 2017, "exited": 125}]}


def test_a_view_is_drawn_as_an_svg_with_one_mark_per_row() -> None:
    chart = render_view(BARS, ROWS, 1)
    assert chart["error"] is None
    assert chart["svg"].startswith('<svg role="img" aria-label="Counties exited"')
    marks = re.search(r'<g class="mark-rect role-mark[^"]*"[^>]*>(.*?)</g>', chart["svg"])
    assert marks is not None and marks.group(1).count("<path") == 2
    assert all(i.startswith("v1-") for i in re.findall(r'\bid="([^"]+)"', chart["svg"]))


def test_a_view_that_cannot_be_drawn_says_why_instead_of_failing() -> None:
    assert render_view({**BARS, "resources": ["nope"]}, ROWS, 1)["error"] == "no table named nope"
    broken = {**BARS, "spec": {"mark": "no-such-mark"}}
    chart = render_view(broken, ROWS, 2)
    assert chart["svg"] is None and chart["error"]


def test_constraints_read_as_the_schema_writes_them() -> None:
    assert constraints_list(
        {"required": True, "unique": False, "pattern": "^\\d{6}$", "enum": ["a", "b"], "minimum": 0}
    ) == [("required", None), ("pattern", "^\\d{6}$"), ("one of", "a, b"), ("minimum", "0")]


def test_preview_cells_are_formatted_by_type() -> None:
    assert format_cell(9899, {"type": "integer"}, grouped=True) == "9,899"
    assert format_cell(2012, {"type": "integer"}, grouped=False) == "2012"
    assert format_cell(10.2, {"type": "number"}, grouped=True) == "10.2"
    assert format_cell(None, {"type": "number"}, grouped=True) is None
    assert format_cell(True, {"type": "boolean"}, grouped=False) == "true"


def test_markdown_escapes_html_and_keeps_only_links_that_work() -> None:
    html = to_html(
        "# Title\n\n<script>x()</script>\n\n[web](https://example.org) [gone](docs/x.md)"
        " [here](CHANGELOG.md)",
        local=lambda href: href == "CHANGELOG.md",
    )
    assert "<h2>Title</h2>" in html  # nested under the page's own headings
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://example.org">web</a>' in html
    assert '<a href="CHANGELOG.md">here</a>' in html
    assert "gone" in html and 'href="docs/x.md"' not in html


def test_validate_format_html_is_one_self_contained_page(make_package: Callable[..., Path]) -> None:
    descriptor = make_package(
        {"exit_batches": (BATCHES_CSV.replace("2017,125", "2017,x25"), BATCHES_SCHEMA)}
    )
    result = CliRunner().invoke(main, ["validate", str(descriptor), "--format", "html"])
    assert result.exit_code == 1
    page = result.output
    assert page.startswith("<!doctype html>")
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(?!data:)', page)  # nothing fetched
    assert "Type Error" in page and "<code>x25</code>" in page
    assert "1 error, 0 warnings" in page


def test_a_view_never_fetches_data_from_the_network() -> None:
    remote = {**BARS, "spec": {**BARS["spec"], "data": {"url": "https://example.org/x.csv"}}}
    chart = render_view(remote, ROWS, 1)
    assert chart["svg"] is None
    assert "External data url not allowed: https://example.org/x.csv" in chart["error"]
