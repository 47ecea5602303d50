"""The catalog's static pages: one per published version and the front page, from jinja2 templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opendata.io.digest import sha256_hex
from opendata.versions.semver import version_key


def _environment() -> Any:
    """A jinja2 environment over render/templates that escapes HTML (descriptor text is untrusted)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("opendata", "render/templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
    )


def _constraints_text(constraints: Any) -> str:
    """Field constraints for people: `required, minimum 0`."""
    if not isinstance(constraints, dict):
        return ""
    return ", ".join(
        k if v is True else f"{k} {json.dumps(v, ensure_ascii=False)}"
        for k, v in constraints.items()
    )


def _resources(folder: Path, descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    """Each resource of the descriptor with what its section of the page shows."""
    resources = []
    for r in descriptor.get("resources", []):
        schema = r.get("schema") if isinstance(r.get("schema"), dict) else {}
        pk = schema.get("primaryKey") or []
        parquet = f"parquet/{r.get('name')}.parquet"
        resources.append(
            {
                **r,
                "fields": [
                    {**f, "constraints": _constraints_text(f.get("constraints"))}
                    for f in schema.get("fields", [])
                    if isinstance(f, dict)
                ],
                "primary_key": [pk] if isinstance(pk, str) else pk,
                "parquet": parquet if (folder / parquet).is_file() else None,
            }
        )
    return resources


def version_page(
    folder: Path,
    stem: str,
    listing: list[tuple[str, Path]],
    previous: str | None,
    diff: dict[str, Any] | None,
) -> bytes:
    """The static HTML page of one published version; LISTING is (relative path, path) of its files."""
    d = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    zip_path = folder / f"{stem}.zip"
    files = [
        {"rel": rel, "bytes": p.stat().st_size}
        for rel, p in listing
        if rel not in (zip_path.name, "index.html")
    ]
    html = (
        _environment()
        .get_template("version.html")
        .render(
            name=d.get("name"),
            title=d.get("title") or d.get("name"),
            version=d.get("version"),
            description=d.get("description"),
            created=d.get("created"),
            licenses=d.get("licenses") or [],
            sources=d.get("sources") or [],
            resources=_resources(folder, d),
            files=files,
            zip={
                "name": zip_path.name,
                "bytes": zip_path.stat().st_size,
                "sha256": sha256_hex(zip_path),
            },
            previous=previous,
            diff=diff,
            changelog=(folder / "CHANGELOG.md").read_text(encoding="utf-8"),
        )
    )
    return html.encode("utf-8")


def index_page(index: dict[str, Any]) -> bytes:
    """The catalog's front page: every package and its versions, newest first."""
    packages = []
    for name in sorted(index["packages"]):
        p = index["packages"][name]
        versions = sorted(p.get("versions", {}), key=version_key, reverse=True)
        packages.append((name, {**p, "versions": versions}))
    return _environment().get_template("index.html").render(packages=packages).encode("utf-8")
