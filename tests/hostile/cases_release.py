"""Hostile check declarations, and hostile build / publish / get / release-check situations."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from tests.hostile.kit import EPOCH, Case, git, leftovers, package, with_checks

CHECK_ONLY = (1, 2)  # a check-error finding or could-not-run, never a traceback


def _chk(**kw: Any) -> list[dict[str, Any]]:
    return [{"id": "c1", "message": "m", **kw}]


def _expr(expression: str) -> list[dict[str, Any]]:
    return _chk(type="expression", expression=expression)


CHECK_CASES = [
    Case("checks-not-json", with_checks("[{"), (2,)),
    Case("checks-object", with_checks({"id": "c1"}), (2,)),
    Case("checks-strings", with_checks(["row-count"]), CHECK_ONLY),
    Case("checks-nulls", with_checks([None]), CHECK_ONLY),
    Case("check-no-type", with_checks([{"id": "c1", "message": "m"}]), CHECK_ONLY),
    Case("check-type-unknown", with_checks(_chk(type="teleport")), CHECK_ONLY),
    Case("check-type-number", with_checks(_chk(type=5)), CHECK_ONLY),
    Case(
        "check-no-id", with_checks([{"type": "row-count", "equals": 3, "message": "m"}]), CHECK_ONLY
    ),
    Case(
        "check-id-list",
        with_checks(
            _chk(type="row-count", equals=3)
            and [{"id": [1], "type": "row-count", "equals": 3, "message": "m"}]
        ),
        CHECK_ONLY,
    ),
    Case("check-duplicate-ids", with_checks(_chk(type="row-count", equals=3) * 2), CHECK_ONLY),
    Case(
        "check-severity-unknown",
        with_checks(_chk(type="row-count", equals=3, severity="fatal")),
        CHECK_ONLY,
    ),
    Case(
        "check-row-count-string",
        with_checks(_chk(type="row-count", equals="three")),
        CHECK_ONLY,
    ),
    Case("check-row-count-huge", with_checks(_chk(type="row-count", equals=10**30)), CHECK_ONLY),
    Case(
        "check-column-missing",
        with_checks(_chk(type="column-sum", column="ghost", equals=1)),
        CHECK_ONLY,
    ),
    Case(
        "check-sum-string-column",
        with_checks(_chk(type="column-sum", column="region", equals=1)),
        CHECK_ONLY,
    ),
    Case(
        "check-ratio-zero",
        with_checks(_chk(type="ratio", numerator="exited", denominator=0, equals=1)),
        CHECK_ONLY,
    ),
    Case(
        "check-ratio-strings",
        with_checks(_chk(type="ratio", numerator="region", denominator="region", equals=1)),
        CHECK_ONLY,
    ),
    Case(
        "check-group-ghost-resource",
        with_checks(
            _chk(
                type="group-count",
                by=["region"],
                against={"resource": "ghost", "key": ["r"], "column": "n"},
            )
        ),
        (1,),  # a check-error naming the check and the resource
    ),
    Case(
        "check-aggregate-ghost",
        with_checks(
            _chk(
                type="column-sum",
                column="exited",
                equals={"resource": "ghost", "column": "x", "aggregate": "sum"},
            )
        ),
        (1,),  # a check-error naming the check and the resource
    ),
    Case(
        "check-where-syntax",
        with_checks(_chk(type="row-count", equals=3, where="year ==")),
        CHECK_ONLY,
    ),
    Case("expr-syntax-error", with_checks(_expr("year >")), CHECK_ONLY),
    Case("expr-import", with_checks(_expr("__import__('os').system('true')")), CHECK_ONLY),
    Case("expr-attribute", with_checks(_expr("year.__class__")), CHECK_ONLY),
    Case("expr-lambda", with_checks(_expr("(lambda: 1)()")), CHECK_ONLY),
    Case("expr-unknown-column", with_checks(_expr("ghost > 1")), CHECK_ONLY),
    Case("expr-division-by-zero", with_checks(_expr("exited / 0 > 1")), (0, 1, 2)),
    Case(
        "expr-overflow-substr",
        with_checks(_expr("substr(region, 99999999999999999999) == ''")),
        CHECK_ONLY,
    ),
    Case(
        "expr-overflow-power",
        with_checks(_expr("10 ** 10 ** 10 > 1")),
        CHECK_ONLY,
        limit=20,
        subprocess=True,
    ),
    Case(
        "expr-huge-string",
        with_checks(_expr("len(region * 10000000000) > 1")),
        CHECK_ONLY,
        limit=20,
        subprocess=True,
    ),
    Case(
        "expr-deep-nesting", with_checks(_expr("(" * 500 + "year" + ")" * 500 + " > 1")), CHECK_ONLY
    ),
    Case(
        "expr-very-long",
        with_checks(_expr(" + ".join(["year"] * 20000) + " > 1")),
        CHECK_ONLY,
        limit=20,
    ),
    Case(
        "expr-not-string",
        with_checks(_chk(type="expression", expression=5)),
        CHECK_ONLY,
    ),
    Case("expr-round-huge", with_checks(_expr("round(exited, 10**20) == exited")), CHECK_ONLY),
    Case("expr-compare-types", with_checks(_expr("region > 5")), CHECK_ONLY),
]


# --- build ----------------------------------------------------------------------------------


def _build(root: Path, *extra: str, **kw: Any) -> list[str]:
    package(root / "p", **kw)
    return ["build", str(root / "p"), "--out", str(root / "dist"), *extra]


def _no_half_release(root: Path) -> None:
    dist = root / "dist"
    assert leftovers(dist) == [], leftovers(dist)
    if dist.is_dir():
        stems = {p.name.removesuffix(".zip") for p in dist.iterdir()}
        for stem in stems:
            assert (dist / stem).is_dir() == (dist / f"{stem}.zip").is_file(), stem


def _build_out_is_file(root: Path) -> list[str]:
    args = _build(root)
    (root / "dist").write_text("not a folder")
    return args


def _build_again(root: Path) -> list[str]:
    args = _build(root)
    from opendata.release.build import build

    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    build(root / "p", root / "dist")
    return args


def _build_stale_zip(root: Path) -> list[str]:
    """A crash between the two renames of an older build left the zip without its folder."""
    args = _build(root)
    (root / "dist").mkdir()
    (root / "dist" / "hostile-1.0.0.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return args


def _build_stale_stage(root: Path) -> list[str]:
    args = _build(root)
    (root / "dist" / ".hostile-1.0.0.abc" / "hostile-1.0.0").mkdir(parents=True)
    return args


def _build_invalid(root: Path) -> list[str]:
    return _build(root, csv="year,exited,region\nx,1,a\n")


def _build_readme_missing(root: Path) -> list[str]:
    args = _build(root)
    desc = json.loads((root / "p" / "datapackage.json").read_text())
    desc["readme"] = "README.md"
    (root / "p" / "datapackage.json").write_text(json.dumps(desc))
    return args


def _build_readme_escape(root: Path) -> list[str]:
    args = _build(root)
    desc = json.loads((root / "p" / "datapackage.json").read_text())
    desc["readme"] = "../../etc/passwd"
    (root / "p" / "datapackage.json").write_text(json.dumps(desc))
    return args


def _build_name(name: Any) -> Any:
    def setup(root: Path) -> list[str]:
        args = _build(root)
        desc = json.loads((root / "p" / "datapackage.json").read_text())
        desc["name"] = name
        (root / "p" / "datapackage.json").write_text(json.dumps(desc))
        return args

    return setup


def _epoch(value: str) -> dict[str, str]:
    return {"SOURCE_DATE_EPOCH": value}


B = dict(after=_no_half_release)
BUILD_CASES = [
    Case("build-out-is-file", _build_out_is_file, (2,), **B),
    Case("build-again", _build_again, (1,), env=_epoch(EPOCH), **B),
    Case("build-stale-zip-without-folder", _build_stale_zip, (0,), env=_epoch(EPOCH), **B),
    Case("build-stale-staging-folder", _build_stale_stage, (0,), env=_epoch(EPOCH), **B),
    Case("build-invalid-package", _build_invalid, (1,), env=_epoch(EPOCH), **B),
    Case("build-epoch-huge", _build, (2,), env=_epoch("99999999999999999999"), **B),
    Case("build-epoch-beyond-year-9999", _build, (2,), env=_epoch("253402300800"), **B),
    Case("build-epoch-negative", _build, (2,), env=_epoch("-1"), **B),
    Case("build-epoch-text", _build, (2,), env=_epoch("yesterday"), **B),
    Case("build-epoch-unicode-digits", _build, (2,), env=_epoch("١٢٣"), **B),
    Case(
        "build-changelog-not-utf8",
        lambda r: _build(r, changelog=b"## [1.0.0]\n\xff\xfe"),
        (0, 2),
        env=_epoch(EPOCH),
        **B,
    ),
    Case(
        "build-changelog-folder",
        lambda r: (
            _build(r, changelog=None) if not (r / "p" / "CHANGELOG.md").mkdir(parents=True) else []
        ),
        (0, 2),
        env=_epoch(EPOCH),
        **B,
    ),
    Case("build-no-version", lambda r: _build(r, version=None), (1,), env=_epoch(EPOCH), **B),
    Case(
        "build-version-not-semver", lambda r: _build(r, version="1.0"), (1,), env=_epoch(EPOCH), **B
    ),
    Case(
        "build-version-path",
        lambda r: _build(r, version="../../1.0.0"),
        (1,),
        env=_epoch(EPOCH),
        **B,
    ),
    Case("build-name-path", _build_name("../evil"), (1,), env=_epoch(EPOCH), **B),
    Case("build-name-number", _build_name(5), (1, 2), env=_epoch(EPOCH), **B),
    Case("build-readme-missing", _build_readme_missing, (2,), env=_epoch(EPOCH), **B),
    Case("build-readme-escape", _build_readme_escape, (2,), env=_epoch(EPOCH), **B),
    Case(
        "build-descriptor-broken",
        lambda r: [*_build(r), *((r / "p" / "datapackage.json").write_text("{") and [])],
        (2,),
        **B,
    ),
]


# --- publish --------------------------------------------------------------------------------


def built(root: Path, version: str = "1.0.0") -> Path:
    """A built release of the small package under ROOT/dist; its folder."""
    from opendata.release.build import build

    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        package(root / f"p{version}", version=version, changelog=None)
        return build(root / f"p{version}", root / "dist")
    finally:
        if old is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def _index_state(catalog: Path) -> Any:
    path = catalog / "index.json"
    return path.read_bytes() if path.exists() else None


def _publish(index: Any = None, tamper: Any = None) -> Any:
    def setup(root: Path) -> list[str]:
        release = built(root)
        catalog = root / "cat"
        catalog.mkdir()
        if index is not None:
            text = index if isinstance(index, str | bytes) else json.dumps(index)
            raw = text if isinstance(text, bytes) else text.encode()
            (catalog / "index.json").write_bytes(raw)
        if tamper:
            tamper(release)
        (root / "before").write_bytes(repr(sorted(p.name for p in catalog.rglob("*"))).encode())
        return ["publish", str(release), "--to", str(catalog)]

    return setup


def _catalog_untouched_or_complete(root: Path) -> None:
    catalog = root / "cat"
    assert leftovers(catalog) == [], leftovers(catalog)
    index = catalog / "index.json"
    listed: set[str] = set()
    if index.exists():
        try:
            data = json.loads(index.read_text())
            for name, entry in data.get("packages", {}).items():
                if isinstance(entry, dict) and isinstance(entry.get("versions"), dict):
                    listed |= {f"{name}/{v}" for v in entry["versions"]}
        except (ValueError, AttributeError, RecursionError):
            pass
    if catalog.is_dir():
        present = {
            f"{p.parent.name}/{p.name}"
            for p in catalog.glob("*/*")
            if p.is_dir() and not p.name.startswith(".")
        }
        assert present <= listed, (present, listed)


P = dict(after=_catalog_untouched_or_complete)


def _publish_twice(root: Path) -> list[str]:
    from opendata.release.catalog import publish

    release = built(root)
    publish(release, root / "cat")
    return ["publish", str(release), "--to", str(root / "cat")]


def _publish_orphan(root: Path) -> list[str]:
    """A crash after the version folder's rename, before index.json: the orphan is recovered."""
    release = built(root)
    (root / "cat" / "hostile" / "1.0.0").mkdir(parents=True)
    (root / "cat" / "hostile" / "1.0.0" / "junk").write_text("half")
    return ["publish", str(release), "--to", str(root / "cat")]


def _publish_stale_stage(root: Path) -> list[str]:
    release = built(root)
    (root / "cat" / "hostile" / ".1.0.0.xyz" / "1.0.0").mkdir(parents=True)
    return ["publish", str(release), "--to", str(root / "cat")]


def _rm_zip(release: Path) -> None:
    release.with_name(release.name + ".zip").unlink()


def _tamper_file(release: Path) -> None:
    with (release / "data" / "t.csv").open("a") as fh:
        fh.write("2019,1,a\n")


def _tamper_sums(text: bytes) -> Any:
    def tamper(release: Path) -> None:
        (release / "SHA256SUMS").write_bytes(text)

    return tamper


def _tamper_zip(release: Path) -> None:
    release.with_name(release.name + ".zip").write_bytes(b"not a zip")


def _tamper_descriptor(release: Path) -> None:
    (release / "datapackage.json").write_text("[")


def _publish_to_file(root: Path) -> list[str]:
    release = built(root)
    (root / "cat").write_text("file")
    return ["publish", str(release), "--to", str(root / "cat")]


GOOD_ENTRY = {"versions": {"0.9.0": {"path": "hostile/0.9.0/"}}}
PUBLISH_CASES = [
    Case("publish-twice", _publish_twice, (1,), **P),
    Case("publish-orphan-version-folder", _publish_orphan, (0,), **P),
    Case("publish-stale-staging", _publish_stale_stage, (0,), **P),
    Case("publish-index-list", _publish(index=[]), (2,), **P),
    Case("publish-index-not-json", _publish(index="{"), (2,), **P),
    Case("publish-index-not-utf8", _publish(index=b'{"packages": "\xff"}'), (2,), **P),
    Case("publish-index-packages-list", _publish(index={"packages": []}), (2,), **P),
    Case("publish-index-entry-string", _publish(index={"packages": {"hostile": "x"}}), (2,), **P),
    Case(
        "publish-index-versions-list",
        _publish(index={"packages": {"hostile": {"versions": ["1.0.0"]}}}),
        (2,),
        **P,
    ),
    Case(
        "publish-index-versions-null",
        _publish(index={"packages": {"hostile": {"versions": None}}}),
        (2,),
        **P,
    ),
    Case(
        "publish-index-bad-version-key",
        _publish(index={"packages": {"hostile": {"versions": {"x.y": {}}}}}),
        (0, 2),
        **P,
    ),
    Case(
        "publish-index-previous-missing",
        _publish(index={"packages": {"hostile": GOOD_ENTRY}}),
        (0, 2),
        **P,
    ),
    Case("publish-index-deep", _publish(index="[" * 100_000), (2,), **P),
    Case("publish-missing-zip", _publish(tamper=_rm_zip), (1,), **P),
    Case("publish-tampered-file", _publish(tamper=_tamper_file), (1,), **P),
    Case("publish-tampered-zip", _publish(tamper=_tamper_zip), (1,), **P),
    Case("publish-sums-malformed", _publish(tamper=_tamper_sums(b"nonsense\n")), (1,), **P),
    Case("publish-sums-not-utf8", _publish(tamper=_tamper_sums(b"\xff\xfe\n")), (1, 2), **P),
    Case(
        "publish-sums-unsafe-path",
        _publish(tamper=_tamper_sums(b"0" * 64 + b"  ../../etc/passwd\n")),
        (1,),
        **P,
    ),
    Case("publish-descriptor-broken", _publish(tamper=_tamper_descriptor), (1, 2), **P),
    Case(
        "publish-release-missing",
        lambda r: ["publish", str(r / "nope"), "--to", str(r / "cat")],
        (2,),
        **P,
    ),
    Case("publish-catalog-is-file", _publish_to_file, (2,)),
]


# --- get ------------------------------------------------------------------------------------


def _catalog(root: Path) -> Path:
    from opendata.release.catalog import publish

    publish(built(root), root / "cat")
    return root / "cat"


def _get(change: Any = None, spec: str = "hostile@1.0.0") -> Any:
    def setup(root: Path) -> list[str]:
        catalog = _catalog(root)
        if change is not None:
            change(catalog)
        return ["get", str(catalog), spec, "--to", str(root / "out")]

    return setup


def _no_partial_download(root: Path) -> None:
    out = root / "out"
    assert leftovers(out) == [], leftovers(out)
    if out.is_dir():
        for folder in out.iterdir():
            assert (folder / "datapackage.json").is_file(), folder


G = dict(after=_no_partial_download)


def _index(change: Any) -> Any:
    def edit(catalog: Path) -> None:
        data = json.loads((catalog / "index.json").read_text())
        change(data)
        (catalog / "index.json").write_text(json.dumps(data))

    return edit


def _version(data: dict[str, Any]) -> dict[str, Any]:
    return data["packages"]["hostile"]["versions"]["1.0.0"]  # type: ignore[no-any-return]


def _write(rel: str, data: bytes) -> Any:
    def edit(catalog: Path) -> None:
        (catalog / rel).write_bytes(data)

    return edit


def _swap_zip(catalog: Path) -> None:
    zpath = catalog / "hostile" / "1.0.0" / "hostile-1.0.0.zip"
    with zipfile.ZipFile(zpath, "a") as zf:
        zf.writestr("../../evil.txt", "x")


def _get_into_file(root: Path) -> list[str]:
    catalog = _catalog(root)
    (root / "out").write_text("file")
    return ["get", str(catalog), "hostile", "--to", str(root / "out")]


def _get_twice(root: Path) -> list[str]:
    from opendata.release.get import get

    catalog = _catalog(root)
    get(str(catalog), "hostile", root / "out")
    return ["get", str(catalog), "hostile", "--to", str(root / "out")]


def _rm(rel: str) -> Any:
    def edit(catalog: Path) -> None:
        target = catalog / rel
        shutil.rmtree(target) if target.is_dir() else target.unlink()

    return edit


GET_CASES = [
    Case("get-ok", _get(), (0,), **G),
    Case("get-latest", _get(spec="hostile"), (0,), **G),
    Case("get-twice", _get_twice, (1,), after=None),
    Case("get-into-file", _get_into_file, (2,)),
    Case("get-unknown-package", _get(spec="ghost"), (1,), **G),
    Case("get-unknown-version", _get(spec="hostile@9.9.9"), (1,), **G),
    Case("get-empty-spec", _get(spec=""), (1, 2), **G),
    Case("get-at-only", _get(spec="@"), (1, 2), **G),
    Case("get-spec-path", _get(spec="../../x@1.0.0"), (1, 2), **G),
    Case(
        "get-missing-catalog",
        lambda r: ["get", str(r / "none"), "x", "--to", str(r / "out")],
        (2,),
        **G,
    ),
    Case("get-index-not-json", _get(_write("index.json", b"{")), (2,), **G),
    Case("get-index-list", _get(_write("index.json", b"[]")), (2,), **G),
    Case("get-index-deep", _get(_write("index.json", b"[" * 100_000)), (2,), **G),
    Case("get-index-not-utf8", _get(_write("index.json", b"\xff\xfe{}")), (2,), **G),
    Case(
        "get-entry-string", _get(_index(lambda d: d["packages"].update(hostile="x"))), (1, 2), **G
    ),
    Case(
        "get-versions-list",
        _get(_index(lambda d: d["packages"]["hostile"].update(versions=["1.0.0"]))),
        (1, 2),
        **G,
    ),
    Case(
        "get-version-entry-string",
        _get(_index(lambda d: d["packages"]["hostile"]["versions"].update({"1.0.0": "x"}))),
        (1, 2),
        **G,
    ),
    Case("get-zip-entry-missing", _get(_index(lambda d: _version(d).pop("zip"))), (1, 2), **G),
    Case("get-zip-entry-string", _get(_index(lambda d: _version(d).update(zip="x"))), (1, 2), **G),
    Case(
        "get-zip-bytes-string",
        _get(_index(lambda d: _version(d)["zip"].update(bytes="many"))),
        (1, 2),
        **G,
    ),
    Case(
        "get-zip-path-unsafe",
        _get(_index(lambda d: _version(d)["zip"].update(path="../../etc/passwd"))),
        (1,),
        **G,
    ),
    Case(
        "get-zip-path-absolute",
        _get(_index(lambda d: _version(d)["zip"].update(path="/etc/passwd"))),
        (1,),
        **G,
    ),
    Case(
        "get-zip-sha-wrong",
        _get(_index(lambda d: _version(d)["zip"].update(sha256="0" * 64))),
        (1,),
        **G,
    ),
    Case(
        "get-files-wrong-shape",
        _get(_index(lambda d: _version(d).update(files={"a": 1}))),
        (1, 2),
        **G,
    ),
    Case(
        "get-files-entries-strings",
        _get(_index(lambda d: _version(d).update(files=["a"]))),
        (1, 2),
        **G,
    ),
    Case(
        "get-file-digest-wrong",
        _get(_index(lambda d: _version(d)["files"][0].update(sha256="0" * 64))),
        (1,),
        **G,
    ),
    Case(
        "get-zip-truncated",
        _get(_write("hostile/1.0.0/hostile-1.0.0.zip", b"PK\x03\x04")),
        (1,),
        **G,
    ),
    Case("get-zip-missing", _get(_rm("hostile/1.0.0/hostile-1.0.0.zip")), (2,), **G),
    Case(
        "get-zip-with-escape",
        _get(
            lambda c: (
                _swap_zip(c),
                _index(
                    lambda d: _version(d)["zip"].update(
                        bytes=(c / "hostile/1.0.0/hostile-1.0.0.zip").stat().st_size,
                        sha256=__import__("opendata.io.digest", fromlist=["x"]).sha256_hex(
                            c / "hostile/1.0.0/hostile-1.0.0.zip"
                        ),
                    )
                )(c),
            )
        ),
        (1,),
        **G,
    ),
    Case(
        "get-http-refused",
        lambda r: ["get", "http://127.0.0.1:9/", "hostile", "--to", str(r / "out")],
        (2,),
        **G,
    ),
]


# --- release check (the gate) ------------------------------------------------------------------


def _repo(root: Path, change: Any = None, commit_change: bool = False) -> list[str]:
    repo = root / "repo"
    package(repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    if change is not None:
        change(repo)
    if commit_change:
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "change")
        return ["release", "check", "--base", "HEAD~1", "--repo", str(repo)]
    return ["release", "check", "--base", "HEAD", "--repo", str(repo)]


def _gate(change: Any = None, commit: bool = False) -> Any:
    return lambda root: _repo(root, change, commit)


def _binary_data(repo: Path) -> None:
    (repo / "data" / "t.csv").write_bytes(os.urandom(4096))


def _binary_extra(repo: Path) -> None:
    (repo / "data" / "blob.bin").write_bytes(bytes(range(256)) * 10)


def _changelog_latin1(repo: Path) -> None:
    (repo / "data" / "t.csv").write_text("year,exited,region\n2016,28,east\n")
    desc = json.loads((repo / "datapackage.json").read_text())
    desc["version"] = "2.0.0"
    (repo / "datapackage.json").write_text(json.dumps(desc))
    (repo / "CHANGELOG.md").write_bytes(b"## [2.0.0]\n\nCaf\xe9\n")


def _descriptor_broken(repo: Path) -> None:
    (repo / "datapackage.json").write_text("{")


def _version_gone(repo: Path) -> None:
    desc = json.loads((repo / "datapackage.json").read_text())
    desc["version"] = "banana"
    (repo / "datapackage.json").write_text(json.dumps(desc))


GATE_CASES = [
    Case("gate-unchanged", _gate(), (0,)),
    Case(
        "gate-base-unknown", lambda r: [*_repo(r)[:3], "nope-rev", "--repo", str(r / "repo")], (2,)
    ),
    Case(
        "gate-base-option-injection",
        lambda r: [*_repo(r)[:3], "--output=/tmp/x", "--repo", str(r / "repo")],
        (2,),
    ),
    Case(
        "gate-not-a-repo",
        lambda r: ["release", "check", "--base", "HEAD", "--repo", str(package(r / "p").parent)],
        (2,),
    ),
    Case("gate-binary-data", _gate(_binary_data), (1, 2)),
    Case("gate-binary-data-committed", _gate(_binary_data, True), (1, 2)),
    Case("gate-binary-extra-file", _gate(_binary_extra), (0,)),
    Case("gate-changelog-not-utf8", _gate(_changelog_latin1), (1, 2)),
    Case("gate-descriptor-broken", _gate(_descriptor_broken), (2,)),
    Case("gate-version-not-semver", _gate(_version_gone), (1, 2)),
]
