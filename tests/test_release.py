"""The release gate and deterministic builds: bumps, changelog, hashes, zip, Parquet, refusals."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from opendata.errors import CouldNotRun, Refused
from opendata.release.build import build
from opendata.release.changelog import changelog_section
from opendata.release.gate import release_check
from opendata.release.get import load_release
from opendata.versions.semver import bump_between, parse_version, version_key

ROWS = [
    ["11", "Beijing", "0", "0.0", "2016-01-01"],
    ["52", "Guizhou", "66", "7.9", "2020-11-23"],
    ["53", "Yunnan", "88", "10.6", ""],
]
HEADER = ["code", "name", "counties", "share", "exited"]
EPOCH = "1767225600"  # 2026-01-01T00:00:00Z


def schema() -> dict[str, Any]:
    """The provinces schema: string key, integer, number and an optional date."""
    return {
        "fields": [
            {"name": "code", "type": "string", "constraints": {"required": True}},
            {"name": "name", "type": "string"},
            {"name": "counties", "type": "integer", "constraints": {"minimum": 0}},
            {"name": "share", "type": "number"},
            {"name": "exited", "type": "date"},
        ],
        "primaryKey": ["code"],
    }


def write_package(
    root: Path,
    rows: list[list[str]] | None = None,
    *,
    version: str = "1.0.0",
    schema_: dict[str, Any] | None = None,
    header: list[str] | None = None,
    changelog: list[str] = ("1.0.0",),  # type: ignore[assignment]
) -> Path:
    """A one-table package with a Keep a Changelog file listing CHANGELOG versions."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    lines = [",".join(header or HEADER)] + [",".join(r) for r in (ROWS if rows is None else rows)]
    (root / "data" / "provinces.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "schemas" / "provinces.json").write_text(json.dumps(schema_ or schema(), indent=2))
    descriptor = {
        "name": "demo",
        "title": "Demo <package>",
        "description": "Provinces & counties.",
        "version": version,
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {"name": "provinces", "path": "data/provinces.csv", "schema": "schemas/provinces.json"}
        ],
    }
    (root / "datapackage.json").write_text(json.dumps(descriptor, indent=2))
    sections = "".join(f"## [{v}] - 2026-01-01\n\n- Changes in {v}.\n\n" for v in changelog)
    (root / "CHANGELOG.md").write_text(f"# Changelog\n\n## [Unreleased]\n\n{sections}")
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


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ROOT, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose root is the package, with one commit tagged v1.0.0."""
    root = write_package(tmp_path / "repo")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first release")
    git(root, "tag", "v1.0.0")
    return root


@pytest.fixture
def source_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds take `created` from SOURCE_DATE_EPOCH."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


# --- versions and changelog ------------------------------------------------------------------


def test_semver_order_and_bumps() -> None:
    versions = ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9", "2.0.0"]
    assert sorted(versions, key=version_key) == ["0.9.9", "1.2.0-rc.1", "1.2.0", "1.10.0", "2.0.0"]
    assert [bump_between("1.2.3", v) for v in ("2.0.0", "1.3.0", "1.2.4", "1.2.3", "1.0.0")] == [
        "major",
        "minor",
        "patch",
        "none",
        "none",
    ]


def test_versions_semver_forbids_are_refused_and_sorted_first() -> None:
    # SemVer 2.0.0 forbids these; the semver package refuses them (the old regex let them in).
    for bad in ("1.0.0-rc.01", "1.0.0\n", "\u0661.0.0", "1.0", "v1.0.0"):
        assert parse_version(bad) is None, bad
        assert bump_between("0.1.0", bad) == "none"
    assert sorted(["1.0.0", "1.0.0\n"], key=version_key) == ["1.0.0\n", "1.0.0"]
    assert version_key("1.0.0+build.2") == version_key("1.0.0+build.1")


def test_changelog_section_stops_at_next_heading_and_link_refs() -> None:
    text = (
        "# Changelog\n\n## [1.1.0] - 2026-02-01\n\n### Added\n- Tibet.\n\n"
        "## [1.0.0] - 2026-01-01\n\n- First.\n\n[1.1.0]: https://example.org/1.1.0\n"
    )
    assert changelog_section(text, "1.1.0") == "## [1.1.0] - 2026-02-01\n\n### Added\n- Tibet.\n"
    assert changelog_section(text, "1.0.0") == "## [1.0.0] - 2026-01-01\n\n- First.\n"
    assert changelog_section(text, "1.0") is None


# --- the gate ------------------------------------------------------------------------------


def test_gate_passes_when_nothing_changed(repo: Path) -> None:
    result = release_check(repo, "v1.0.0")
    assert result.passed and result.required == "none"


def test_gate_passes_when_only_non_package_files_changed(repo: Path) -> None:
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "docs")
    assert release_check(repo, "HEAD~1").passed


def test_gate_fails_on_data_change_without_bump_or_changelog(repo: Path) -> None:
    rows = [r[:] for r in ROWS]
    rows[2][2] = "87"
    write_package(repo, rows)
    result = release_check(repo, "v1.0.0")
    assert not result.passed
    assert (result.required, result.actual) == ("patch", "none")
    assert result.changed_files == ["data/provinces.csv"]
    assert any("need a patch bump (set version to at least 1.0.1)" in p for p in result.problems)


def test_gate_names_the_missing_changelog_section(repo: Path) -> None:
    write_package(repo, [*ROWS, ["54", "Tibet", "74", "8.9", ""]], version="1.1.0")
    result = release_check(repo, "v1.0.0")
    assert not result.passed
    assert result.problems == [
        "CHANGELOG.md: no '## [1.1.0]' section (add one describing the changes)"
    ]


def test_gate_passes_with_bump_and_changelog(repo: Path) -> None:
    write_package(
        repo,
        [*ROWS, ["54", "Tibet", "74", "8.9", ""]],
        version="1.1.0",
        changelog=["1.1.0", "1.0.0"],
    )
    result = release_check(repo, "v1.0.0")
    assert result.passed, result.problems
    assert (result.required, result.actual) == ("minor", "minor")


def test_gate_added_rows_need_more_than_a_patch(repo: Path) -> None:
    write_package(
        repo,
        [*ROWS, ["54", "Tibet", "74", "8.9", ""]],
        version="1.0.1",
        changelog=["1.0.1", "1.0.0"],
    )
    result = release_check(repo, "v1.0.0")
    assert not result.passed
    assert "need a minor bump (set version to at least 1.1.0)" in result.problems[0]


def test_gate_removed_field_demands_major(repo: Path) -> None:
    s = schema()
    s["fields"] = s["fields"][:4]
    rows = [r[:4] for r in ROWS]
    header = HEADER[:4]
    write_package(repo, rows, schema_=s, header=header, version="1.1.0", changelog=["1.1.0"])
    minor = release_check(repo, "v1.0.0")
    assert not minor.passed
    assert minor.required == "major"
    assert "major: provinces: field 'exited' removed" in minor.reasons
    write_package(repo, rows, schema_=s, header=header, version="2.0.0", changelog=["2.0.0"])
    assert release_check(repo, "v1.0.0").passed


# --- build -----------------------------------------------------------------------------------


def test_build_writes_the_release(repo: Path, tmp_path: Path, source_date: None) -> None:
    out = build(repo, tmp_path / "dist")
    assert out == tmp_path / "dist" / "demo-1.0.0"
    assert sorted(tree_hashes(out)) == [
        "CHANGELOG.md",
        "SHA256SUMS",
        "data/provinces.csv",
        "datapackage.json",
        "pandera/provinces.yaml",
        "parquet/provinces.parquet",
        "validation.json",
    ]
    d = json.loads((out / "datapackage.json").read_text())
    res = d["resources"][0]
    data = (out / "data" / "provinces.csv").read_bytes()
    assert d["version"] == "1.0.0"
    assert d["created"] == "2026-01-01T00:00:00Z"
    assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert res["bytes"] == len(data)
    assert res["schema"]["primaryKey"] == ["code"]  # inlined, so the release stands alone
    assert (out / "CHANGELOG.md").read_text() == "## [1.0.0] - 2026-01-01\n\n- Changes in 1.0.0.\n"
    assert json.loads((out / "validation.json").read_text())["valid"] is True
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert f"{hashlib.sha256(data).hexdigest()}  data/provinces.csv" in sums
    assert len(sums) == 6


def test_built_descriptor_passes_frictionless(
    repo: Path, tmp_path: Path, source_date: None
) -> None:
    import frictionless

    out = build(repo, tmp_path / "dist")
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])


def test_zip_is_sorted_with_fixed_dates_and_modes(
    repo: Path, tmp_path: Path, source_date: None
) -> None:
    build(repo, tmp_path / "dist")
    with zipfile.ZipFile(tmp_path / "dist" / "demo-1.0.0.zip") as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert all(n.startswith("demo-1.0.0/") for n in names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_two_builds_are_byte_identical(repo: Path, tmp_path: Path, source_date: None) -> None:
    a = build(repo, tmp_path / "a")
    b = build(repo, tmp_path / "b")
    assert tree_hashes(a) == tree_hashes(b)
    assert (tmp_path / "a" / "demo-1.0.0.zip").read_bytes() == (
        tmp_path / "b" / "demo-1.0.0.zip"
    ).read_bytes()


def test_created_falls_back_to_the_last_commit(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    out = build(repo, tmp_path / "dist")
    assert json.loads((out / "datapackage.json").read_text())["created"] == "2026-01-01T00:00:00Z"


def test_created_without_git_uses_a_fixed_epoch_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    pkg = write_package(tmp_path / "pkg")
    notes: list[str] = []
    out = build(pkg, tmp_path / "dist", notes=notes)
    assert json.loads((out / "datapackage.json").read_text())["created"] == "1980-01-01T00:00:00Z"
    assert any("1980-01-01" in n for n in notes)


def test_build_refuses_an_existing_version(repo: Path, tmp_path: Path, source_date: None) -> None:
    build(repo, tmp_path / "dist")
    before = tree_hashes(tmp_path / "dist")
    with pytest.raises(Refused, match=r"release demo-1.0.0 already exists"):
        build(repo, tmp_path / "dist")
    assert tree_hashes(tmp_path / "dist") == before


def test_build_refuses_an_invalid_package(tmp_path: Path, source_date: None) -> None:
    rows = [r[:] for r in ROWS]
    rows[1][2] = "sixty-six"
    pkg = write_package(tmp_path / "pkg", rows)
    with pytest.raises(Refused, match=r"package is invalid"):
        build(pkg, tmp_path / "dist")
    assert list((tmp_path / "dist").glob("*")) == []


def test_build_refuses_a_missing_version(tmp_path: Path, source_date: None) -> None:
    pkg = write_package(tmp_path / "pkg", version="latest")
    with pytest.raises(Refused, match=r"version .latest. is not semver"):
        build(pkg, tmp_path / "dist")


def test_load_release_is_typed(repo: Path, tmp_path: Path, source_date: None) -> None:
    frames = load_release(build(repo, tmp_path / "dist"))
    df = frames["provinces"]
    assert list(df.columns) == HEADER
    assert str(df["counties"].dtype) == "Int64"
    assert str(df["share"].dtype) == "Float64"  # the same nullable dtypes validation uses
    assert str(df["exited"].dtype).startswith("datetime64")
    assert df["code"].tolist() == ["11", "52", "53"]  # codes stay strings
    assert df["exited"].isna().tolist() == [False, False, True]


# --- command line --------------------------------------------------------------------------


def test_cli_release_check_and_build(repo: Path, tmp_path: Path, source_date: None) -> None:
    from click.testing import CliRunner

    from opendata.cli import main

    runner = CliRunner()
    ok = runner.invoke(main, ["release", "check", "--base", "v1.0.0", "--repo", str(repo)])
    assert (ok.exit_code, ok.output.split(":")[0]) == (0, "release check passed")
    write_package(repo, ROWS[:2])
    bad = runner.invoke(main, ["release", "check", "--base", "v1.0.0", "--repo", str(repo)])
    assert bad.exit_code == 1
    assert "need a major bump (set version to at least 2.0.0)" in bad.output
    as_json = runner.invoke(
        main, ["release", "check", "--base", "v1.0.0", "--repo", str(repo), "--format", "json"]
    )
    assert json.loads(as_json.output)["required"] == "major"
    norev = runner.invoke(main, ["release", "check", "--base", "nope", "--repo", str(repo)])
    assert norev.exit_code == 2
    git(repo, "checkout", "-q", "--", ".")
    out = str(tmp_path / "dist")
    built = runner.invoke(main, ["build", str(repo), "--out", out])
    assert built.exit_code == 0, built.output
    assert built.output == f"built {out}/demo-1.0.0 and {out}/demo-1.0.0.zip\n"
    again = runner.invoke(main, ["build", str(repo), "--out", out])
    assert again.exit_code == 1
    assert "release demo-1.0.0 already exists" in again.output


def test_a_release_diffs_clean_against_its_source(
    repo: Path, tmp_path: Path, source_date: None
) -> None:
    from opendata.versions.diff import diff_packages

    out = build(repo, tmp_path / "dist")
    # hash, bytes, created and inlined schemas are build artefacts, not changes.
    assert not diff_packages(repo, out).changed
    assert not diff_packages(tmp_path / "dist" / "demo-1.0.0.zip", repo).changed
    rows = [r[:] for r in ROWS]
    rows[0][1] = "Peking"
    write_package(repo, rows)
    d = diff_packages(tmp_path / "dist" / "demo-1.0.0.zip", repo)
    assert d.resources[0].rows_changed[0].cells == {"name": ("Beijing", "Peking")}


def test_load_release_reads_a_zip(repo: Path, tmp_path: Path, source_date: None) -> None:
    build(repo, tmp_path / "dist")
    frames = load_release(tmp_path / "dist" / "demo-1.0.0.zip")
    assert frames["provinces"]["counties"].tolist() == [0, 66, 88]


# --- documentation travels with the release ---------------------------------------------------


def _with_readme(root: Path, text: str = "# Demo\n\nWhat the tables hold.\n") -> Path:
    """Give the package a README declared as `readme`, as the bundled package does."""
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "README.md").write_text(text, encoding="utf-8")
    descriptor = json.loads((root / "datapackage.json").read_text())
    descriptor["readme"] = "docs/README.md"
    descriptor["resources"][0]["title"] = "省份 / Provinces"
    descriptor["resources"][0]["description_zh"] = "省份及其贫困县数"
    schema_ = json.loads((root / "schemas" / "provinces.json").read_text())
    schema_["fields"][2]["description"] = "Poverty counties of the 2014 list."
    (root / "schemas" / "provinces.json").write_text(json.dumps(schema_))
    (root / "datapackage.json").write_text(json.dumps(descriptor))
    return root


def test_the_release_carries_the_package_readme(tmp_path: Path, source_date: None) -> None:
    root = _with_readme(write_package(tmp_path / "pkg"))
    out = build(root, tmp_path / "dist")
    assert (out / "README.md").read_bytes() == (root / "docs" / "README.md").read_bytes()
    assert json.loads((out / "datapackage.json").read_text())["readme"] == "README.md"
    assert "  README.md\n" in (out / "SHA256SUMS").read_text()
    with zipfile.ZipFile(f"{out}.zip") as zf:
        assert f"{out.name}/README.md" in zf.namelist()


def test_parquet_files_carry_the_table_and_field_documentation(
    tmp_path: Path, source_date: None
) -> None:
    import pyarrow.parquet as pq

    out = build(_with_readme(write_package(tmp_path / "pkg")), tmp_path / "dist")
    schema_ = pq.read_schema(out / "parquet" / "provinces.parquet")
    assert schema_.metadata[b"title"].decode() == "省份 / Provinces"
    assert schema_.metadata[b"description_zh"].decode() == "省份及其贫困县数"
    assert b"description" not in schema_.metadata  # the resource declares none
    counties = schema_.field("counties").metadata
    assert counties == {b"description": b"Poverty counties of the 2014 list."}
    assert schema_.field("code").metadata is None  # nothing declared, nothing invented
    assert str(load_release(out)["provinces"]["counties"].dtype) == "Int64"


def test_documented_builds_stay_byte_identical(tmp_path: Path, source_date: None) -> None:
    root = _with_readme(write_package(tmp_path / "pkg"))
    first = build(root, tmp_path / "a")
    second = build(root, tmp_path / "b")
    assert tree_hashes(first) == tree_hashes(second)
    assert Path(f"{first}.zip").read_bytes() == Path(f"{second}.zip").read_bytes()


def test_a_declared_readme_that_is_missing_is_could_not_run(
    tmp_path: Path, source_date: None
) -> None:

    root = _with_readme(write_package(tmp_path / "pkg"))
    (root / "docs" / "README.md").unlink()
    with pytest.raises(CouldNotRun, match="README"):
        build(root, tmp_path / "dist")
    assert not (tmp_path / "dist" / "demo-1.0.0").exists()
    assert not (tmp_path / "dist" / "demo-1.0.0.zip").exists()


def test_gate_counts_a_readme_edit_as_a_package_change(tmp_path: Path) -> None:
    root = _with_readme(write_package(tmp_path / "repo"))
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    (root / "docs" / "README.md").write_text("# Demo\n\nCorrected.\n", encoding="utf-8")
    result = release_check(root, "HEAD")
    assert "docs/README.md" in result.changed_files
    assert (result.passed, result.required) == (False, "patch")


def test_the_release_ships_each_table_as_a_pandera_schema(
    tmp_path: Path, source_date: None
) -> None:
    import pandas as pd
    import pandera.pandas as pa

    import opendata

    out = build(write_package(tmp_path / "pkg"), tmp_path / "dist")
    assert "  pandera/provinces.yaml\n" in (out / "SHA256SUMS").read_text()
    opendata.register_checks()
    schema = pa.DataFrameSchema.from_yaml(out / "pandera" / "provinces.yaml")
    frame = load_release(out)["provinces"]
    schema.validate(frame)  # the released table passes its own schema
    broken = frame.copy()
    broken.loc[0, "counties"] = -1  # the Table Schema's minimum is 0
    with pytest.raises((pa.errors.SchemaError, pa.errors.SchemaErrors)):
        schema.validate(broken, lazy=True)
    assert isinstance(frame, pd.DataFrame)


def test_gate_fails_an_invalid_package_even_with_bump_and_changelog(repo: Path) -> None:
    from click.testing import CliRunner

    from opendata.cli import main

    rows = [r[:] for r in ROWS]
    rows[1][2] = "-66"  # below the schema's minimum of 0
    write_package(repo, rows, version="1.0.1", changelog=["1.0.1", "1.0.0"])
    result = release_check(repo, "v1.0.0")
    assert not result.passed and result.base == "v1.0.0"
    assert any("data/provinces.csv:3: constraint-error" in p for p in result.problems)
    cli = CliRunner().invoke(main, ["release", "check", "--base", "v1.0.0", "--repo", str(repo)])
    assert cli.exit_code == 1
    assert "the package is invalid: 1 error(s)" in cli.output
    rows[1][2] = "66"  # fixed: the same bump and changelog now pass
    write_package(repo, rows, version="1.0.1", changelog=["1.0.1", "1.0.0"])
    assert release_check(repo, "v1.0.0").passed


@pytest.mark.parametrize("name", ["demo\n", "Demo", "../demo", ".demo"])
def test_build_refuses_a_name_unfit_for_a_folder(
    tmp_path: Path, source_date: None, name: str
) -> None:
    pkg = write_package(tmp_path / "pkg")
    descriptor = json.loads((pkg / "datapackage.json").read_text())
    (pkg / "datapackage.json").write_text(json.dumps({**descriptor, "name": name}))
    with pytest.raises(Refused, match=r"package name .* must be lower-case"):
        build(pkg, tmp_path / "dist")
    assert not (tmp_path / "dist").exists() or list((tmp_path / "dist").iterdir()) == []


def test_a_multipart_resource_is_released_whole(tmp_path: Path, source_date: None) -> None:
    # Every part is shipped, `hash` and `bytes` describe the joined parts, and the release is
    # valid and loads every row (the build once copied the first part only).
    from opendata.release.get import load_release
    from opendata.validate import validate_package

    root = tmp_path / "pkg"
    (root / "data").mkdir(parents=True)
    (root / "data" / "a.csv").write_text("code,n\nx,1\ny,2\n", encoding="utf-8")
    (root / "data" / "b.csv").write_text("code,n\nz,3\n", encoding="utf-8")
    schema = {"fields": [{"name": "code", "type": "string"}, {"name": "n", "type": "integer"}]}
    resource = {"name": "t", "path": ["data/a.csv", "data/b.csv"], "schema": schema}
    descriptor = {"name": "parts", "version": "1.0.0", "resources": [resource]}
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (root / "CHANGELOG.md").write_text("# Changelog\n\n## [1.0.0] - 2026-01-01\n\n- First.\n")
    out = build(root, tmp_path / "dist")
    assert (out / "data" / "b.csv").read_text(encoding="utf-8") == "code,n\nz,3\n"
    released = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))["resources"][0]
    assert released["bytes"] == len("code,n\nx,1\ny,2\nz,3\n")
    report = validate_package(out)
    assert report.valid, [i.message for i in report.issues]
    assert load_release(out)["t"]["n"].tolist() == [1, 2, 3]


def test_the_gate_names_a_missing_revision_and_a_folder_outside_git(
    repo: Path, tmp_path: Path
) -> None:
    with pytest.raises(CouldNotRun) as caught:
        release_check(repo, "no-such-tag")
    assert "'no-such-tag' is not a revision of this repository" in caught.value.one_line
    plain = write_package(tmp_path / "plain")
    with pytest.raises(CouldNotRun) as caught:
        release_check(plain, "v1.0.0")
    assert "not inside a git repository" in caught.value.one_line
