"""diff_packages: schema changes, rows by key, multisets, revisions, and the implied bump."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from opendata.errors import CouldNotRun
from opendata.render.diff import render as render_diff
from opendata.versions.diff import diff_packages

ROWS = [
    ["11", "Beijing", "0", "0.0"],
    ["52", "Guizhou", "66", "7.9"],
    ["53", "Yunnan", "88", "10.6"],
]


def schema(**changes: Any) -> dict[str, Any]:
    """The provinces schema, with top-level keys replaced by CHANGES."""
    base: dict[str, Any] = {
        "fields": [
            {"name": "code", "type": "string", "constraints": {"required": True}},
            {"name": "name", "type": "string"},
            {"name": "counties", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "share", "type": "number"},
        ],
        "primaryKey": ["code"],
    }
    base.update(changes)
    return base


def write_package(
    root: Path,
    rows: list[list[str]] | None = None,
    *,
    header: list[str] | None = None,
    schema_: dict[str, Any] | None = None,
    version: str = "1.0.0",
    extra: dict[str, Any] | None = None,
) -> Path:
    """A one-table package (provinces) in ROOT with its schema in schemas/."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    header = header or ["code", "name", "counties", "share"]
    lines = [",".join(header)] + [",".join(r) for r in (ROWS if rows is None else rows)]
    (root / "data" / "provinces.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "schemas" / "provinces.json").write_text(json.dumps(schema_ or schema(), indent=2))
    descriptor = {
        "name": "demo",
        "title": "Demo",
        "version": version,
        "resources": [
            {"name": "provinces", "path": "data/provinces.csv", "schema": "schemas/provinces.json"}
        ],
        **(extra or {}),
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    return root


def git(repo: Path, *args: str) -> str:
    """Run git with a fixed identity and dates, independent of the user's config."""
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
        "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """The base version of the package."""
    return write_package(tmp_path / "old")


def test_identical_packages_have_no_changes(old: Path, tmp_path: Path) -> None:
    new = write_package(tmp_path / "new")
    d = diff_packages(old, new)
    assert not d.changed
    assert d.bump == "none"
    assert [r.status for r in d.resources] == ["unchanged"]


def test_version_change_alone_is_not_a_change(old: Path, tmp_path: Path) -> None:
    d = diff_packages(old, write_package(tmp_path / "new", version="1.0.1"))
    assert (d.old_version, d.new_version, d.bump) == ("1.0.0", "1.0.1", "none")


def test_value_correction_is_a_patch_with_cell_before_and_after(old: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[2][2] = "87"
    d = diff_packages(old, write_package(tmp_path / "new", rows))
    r = d.resources[0]
    assert d.bump == "patch"
    assert (r.key, r.rows_before, r.rows_after) == (["code"], 3, 3)
    assert [(c.key, c.cells) for c in r.rows_changed] == [({"code": "53"}, {"counties": (88, 87)})]
    assert not r.rows_added and not r.rows_removed


def test_typed_comparison_ignores_spelling(old: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[0][3] = "0.00"
    assert not diff_packages(old, write_package(tmp_path / "new", rows)).changed


def test_added_rows_are_minor(old: Path, tmp_path: Path) -> None:
    d = diff_packages(old, write_package(tmp_path / "new", [*ROWS, ["54", "Tibet", "74", "8.9"]]))
    assert d.bump == "minor"
    assert d.resources[0].rows_added == [
        {"code": "54", "name": "Tibet", "counties": 74, "share": 8.9}
    ]


def test_removed_rows_are_major(old: Path, tmp_path: Path) -> None:
    d = diff_packages(old, write_package(tmp_path / "new", ROWS[:2]))
    assert d.bump == "major"
    assert [r["code"] for r in d.resources[0].rows_removed] == ["53"]


def test_field_added_is_minor(old: Path, tmp_path: Path) -> None:
    s = schema()
    s["fields"].append({"name": "note", "type": "string"})
    rows = [[*r, "x"] for r in ROWS]
    header = ["code", "name", "counties", "share", "note"]
    d = diff_packages(old, write_package(tmp_path / "new", rows, header=header, schema_=s))
    kinds = [(c.kind, c.field, c.bump) for c in d.resources[0].changes]
    assert kinds == [("field-added", "note", "minor")]
    assert d.bump == "minor"
    assert not d.resources[0].data_changed  # the new column is a schema change, not row changes


def test_field_removed_is_major(old: Path, tmp_path: Path) -> None:
    s = schema()
    s["fields"] = s["fields"][:3]
    rows = [r[:3] for r in ROWS]
    d = diff_packages(
        old, write_package(tmp_path / "new", rows, header=["code", "name", "counties"], schema_=s)
    )
    assert [(c.kind, c.field) for c in d.resources[0].changes] == [("field-removed", "share")]
    assert d.bump == "major"
    assert ("major", "provinces: field 'share' removed") in d.reasons()


def test_retyped_field_is_major(old: Path, tmp_path: Path) -> None:
    s = schema()
    s["fields"][2] = {"name": "counties", "type": "number"}
    d = diff_packages(old, write_package(tmp_path / "new", schema_=s))
    changes = {(c.kind, c.before, c.after) for c in d.resources[0].changes}
    assert ("field-retyped", "integer", "number") in changes
    assert d.bump == "major"


@pytest.mark.parametrize(
    ("constraints", "bump"),
    [
        ({"minimum": 1}, "major"),
        ({"minimum": -5}, "minor"),
        ({}, "minor"),
        ({"minimum": 0, "maximum": 100}, "major"),
    ],
)
def test_constraint_changes_by_direction(
    old: Path, tmp_path: Path, constraints: dict[str, Any], bump: str
) -> None:
    s = schema()
    s["fields"][2] = {"name": "counties", "type": "integer", "constraints": constraints}
    d = diff_packages(old, write_package(tmp_path / "new", schema_=s))
    assert {c.kind for c in d.resources[0].changes} == {"constraint-changed"}
    assert d.bump == bump


def test_metadata_change_is_patch(old: Path, tmp_path: Path) -> None:
    d = diff_packages(old, write_package(tmp_path / "new", extra={"title": "Demo, corrected"}))
    assert [(c.kind, c.before, c.after) for c in d.changes] == [
        ("metadata-changed", "Demo", "Demo, corrected")
    ]
    assert d.bump == "patch"


def test_table_without_key_is_a_multiset(tmp_path: Path) -> None:
    s = schema()
    del s["primaryKey"]
    rows = [ROWS[0], ROWS[0], ROWS[1]]
    a = write_package(tmp_path / "a", rows, schema_=s)
    b = write_package(tmp_path / "b", [ROWS[0], ROWS[1], ROWS[1]], schema_=s)
    r = diff_packages(a, b).resources[0]
    assert r.key == []
    assert [x["code"] for x in r.rows_removed] == ["11"]
    assert [x["code"] for x in r.rows_added] == ["52"]


def test_resource_added_and_removed(old: Path, tmp_path: Path) -> None:
    new = write_package(tmp_path / "new")
    d = json.loads((new / "datapackage.json").read_text())
    d["resources"].append({**d["resources"][0], "name": "copy"})
    (new / "datapackage.json").write_text(json.dumps(d))
    forward = diff_packages(old, new)
    assert [(r.name, r.status, r.rows_after) for r in forward.resources] == [
        ("provinces", "unchanged", 3),
        ("copy", "added", 3),
    ]
    assert forward.bump == "minor"
    assert diff_packages(new, old).bump == "major"


def test_diff_by_git_revision(tmp_path: Path) -> None:
    repo = write_package(tmp_path / "repo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "tag", "v1.0.0")
    rows = [r[:] for r in ROWS]
    rows[1][1] = "Guizhou Province"
    write_package(repo, rows, version="1.0.1")
    git(repo, "commit", "-q", "-am", "fix name")
    d = diff_packages("HEAD~1", "HEAD", repo=repo)
    assert (d.old_version, d.new_version, d.bump) == ("1.0.0", "1.0.1", "patch")
    assert d.resources[0].rows_changed[0].cells == {"name": ("Guizhou", "Guizhou Province")}
    # A tag against the working tree, and a package in a sub-folder addressed as REV:path.
    assert diff_packages("v1.0.0", repo, repo=repo).bump == "patch"
    assert diff_packages("v1.0.0:.", "HEAD:", repo=repo).bump == "patch"


def test_unknown_source_could_not_run(old: Path, tmp_path: Path) -> None:
    with pytest.raises(CouldNotRun, match="neither a file, a folder nor a git revision"):
        diff_packages(tmp_path / "nope", old)


def test_renderers_agree_with_the_dict(old: Path, tmp_path: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[2][2] = "87"
    d = diff_packages(old, write_package(tmp_path / "new", [*rows, ["54", "Tibet", "74", "8.9"]]))
    assert json.loads(render_diff(d, "json")) == json.loads(json.dumps(d.to_dict()))
    text = render_diff(d, "text").splitlines()
    assert text[0] == "demo 1.0.0 → 1.0.0: implied bump minor"
    assert "  ~ code=53: counties: 88 → 87" in text
    assert "  + code=54, name=Tibet, counties=74, share=8.9" in text
    md = render_diff(d, "markdown")
    assert "| code=53 | counties | 88 | 87 |" in md
    assert "Implied version bump: **minor**" in md


def test_cli_diff_formats_and_exit_codes(old: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from opendata.cli import main

    new = write_package(tmp_path / "new", ROWS[:2])
    runner = CliRunner()
    text = runner.invoke(main, ["diff", str(old), str(new)])
    assert text.exit_code == 0
    assert text.output.splitlines()[:3] == [
        "demo 1.0.0 → 1.0.0: implied bump major",
        "provinces: changed [major] +0 −1 ~0 rows (3 → 2)",
        "  - code=53, name=Yunnan, counties=88, share=10.6",
    ]
    as_json = runner.invoke(main, ["diff", str(old), str(new), "--format", "json"])
    assert json.loads(as_json.output)["bump"] == "major"
    md = runner.invoke(main, ["diff", str(old), str(new), "--format", "markdown"])
    assert md.output.startswith("## Data diff: demo 1.0.0 → 1.0.0")
    missing = runner.invoke(main, ["diff", str(tmp_path / "nope"), str(new)])
    assert missing.exit_code == 2
    assert missing.output.startswith("error: ")


def test_a_broken_csv_is_diffed_as_text_with_a_note(old: Path, tmp_path: Path) -> None:
    new = write_package(tmp_path / "new")
    (new / "data" / "provinces.csv").write_bytes(
        b"code,name,counties,share\n11,Beijing,0\n52,Gu\xffizhou,66,7.9\n53,Yunnan,88,10.6,x\n"
    )
    r = diff_packages(old, new).resources[0]
    assert r.notes and "compared as text" in r.notes[0]
    changed = {tuple(c.key.values()): sorted(c.cells) for c in r.rows_changed}
    assert changed == {("11",): ["share"], ("52",): ["name"]}


def _keyless() -> dict[str, Any]:
    s = schema()
    del s["primaryKey"]
    return s


def test_a_typo_fixed_in_a_keyless_table_is_a_patch(tmp_path: Path) -> None:
    typo = [r[:] for r in ROWS]
    typo[1][1] = "Guizhuo"
    a = write_package(tmp_path / "a", typo, schema_=_keyless())
    b = write_package(tmp_path / "b", ROWS, schema_=_keyless())
    d = diff_packages(a, b)
    r = d.resources[0]
    assert (r.rows_added, r.rows_removed) == ([], [])
    [change] = r.rows_changed
    assert change.key == {"row": 3}  # Guizhou's row in the old file (the header is row 1)
    assert change.cells == {"name": ("Guizhuo", "Guizhou")}
    assert d.bump == "patch"
    assert "~ row=3: name: Guizhuo → Guizhou" in render_diff(d, "text")


def test_keyless_rows_that_differ_in_more_than_a_third_stay_removed_and_added(
    tmp_path: Path,
) -> None:
    other = [r[:] for r in ROWS]
    other[1][1], other[1][2] = "Guangxi", "33"  # two of four cells: not the same row any more
    a = write_package(tmp_path / "a", ROWS, schema_=_keyless())
    b = write_package(tmp_path / "b", other, schema_=_keyless())
    r = diff_packages(a, b).resources[0]
    assert r.rows_changed == []
    assert [x["name"] for x in r.rows_removed] == ["Guizhou"]
    assert [x["name"] for x in r.rows_added] == ["Guangxi"]
    assert diff_packages(a, b).bump == "major"


def test_each_added_row_pairs_with_one_removed_row_at_most(tmp_path: Path) -> None:
    near = [r[:] for r in ROWS]
    near[2][3] = "10.7"  # Yunnan's share corrected
    twin = ["53", "Yunnan", "88", "10.5"]  # a second old row one cell away from the new one
    a = write_package(tmp_path / "a", [*ROWS, twin], schema_=_keyless())
    b = write_package(tmp_path / "b", near, schema_=_keyless())
    r = diff_packages(a, b).resources[0]
    assert [c.key for c in r.rows_changed] == [{"row": 4}]  # the first in file order pairs
    assert [x["share"] for x in r.rows_removed] == [10.5]


def test_pairing_holds_in_a_long_table_of_repeated_values(tmp_path: Path) -> None:
    rows = [[f"{i:04d}", f"County {i}", "7", "1.5"] for i in range(300)]
    fixed = [r[:] for r in rows]
    fixed[150][1] = "County 150 (renamed)"
    a = write_package(tmp_path / "a", rows, schema_=_keyless())
    b = write_package(tmp_path / "b", fixed, schema_=_keyless())
    r = diff_packages(a, b).resources[0]
    assert [c.key for c in r.rows_changed] == [{"row": 152}]
    assert (r.rows_added, r.rows_removed) == ([], [])


def test_an_unparseable_compressed_table_is_compared_as_its_text(tmp_path: Path) -> None:
    # A table that no longer parses is compared as text; a gzipped one must be decompressed
    # first (it was once read as gzip bytes, every row "changed" into binary noise).
    import gzip

    schema_ = {"fields": [{"name": "code", "type": "string"}, {"name": "n", "type": "integer"}]}
    for name, text in (("old", b"code,n\nx,1\n"), ("new", b"code,n\nx,1\ny,\xff\n")):
        root = tmp_path / name
        root.mkdir()
        (root / "t.csv.gz").write_bytes(gzip.compress(text, mtime=0))
        resource = {"name": "t", "path": "t.csv.gz", "schema": schema_}
        descriptor = {"name": "gz", "version": "1.0.0", "resources": [resource]}
        (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = diff_packages(tmp_path / "old", tmp_path / "new")
    table = result.resources[0]
    assert any("compared as text" in note for note in table.notes)
    assert table.rows_added == [{"code": "y", "n": "\ufffd"}]
    assert not table.rows_removed and not table.rows_changed
