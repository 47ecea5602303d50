"""The catalog's static pages: one per published version and the front page, from jinja2 templates.

Everything a page shows is read from the release folder at publish time (descriptor, README,
changelog section, validation.json, the Parquet copies), so a page needs no server and no
network: charts are drawn to SVG here and inlined, the stylesheet and the filter script too.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from opendata.io.digest import sha256_hex
from opendata.render.templating import environment
from opendata.versions.semver import version_key

PREVIEW_ROWS = 50
# Preview cells longer than this many characters are cut with an ellipsis; the tooltip has all.
LONG_CELL = 40
# The validation section lists this many findings; validation.json holds them all.
FINDINGS_SHOWN = 30
_NUMERIC = {"integer", "number"}


def constraints_list(constraints: Any) -> list[tuple[str, str | None]]:
    """Field constraints for people, as (label, value): ("minimum", "0"), ("required", None)."""
    if not isinstance(constraints, dict):
        return []
    out: list[tuple[str, str | None]] = []
    for key, value in constraints.items():
        if value is True:
            out.append((key, None))
        elif value is False:
            continue
        elif key == "enum" and isinstance(value, list):
            out.append(("one of", ", ".join(str(v) for v in value)))
        elif isinstance(value, (str, int, float)):
            out.append((key, str(value)))
        else:
            out.append((key, json.dumps(value, ensure_ascii=False)))
    return out


def _type_text(field: dict[str, Any]) -> str:
    """`date (%Y-%m-%d)`, `integer`, `string` when unspecified."""
    kind = str(field.get("type") or "string")
    fmt = field.get("format")
    return f"{kind} ({fmt})" if fmt and fmt != "default" else kind


def _is_identifier(name: str, field: dict[str, Any], keys: set[str]) -> bool:
    """Whether a number names something (a code, a year, a key) and so gets no digit grouping."""
    lowered = name.lower()
    return (
        name in keys
        or field.get("type") == "year"
        or any(w in lowered.replace("-", "_").split("_") for w in ("year", "code", "id"))
    )


def format_cell(value: Any, field: dict[str, Any], grouped: bool) -> str | None:
    """A typed value as the preview shows it; None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if grouped else str(value)
    if isinstance(value, float):
        text = f"{value:,.12g}" if grouped else f"{value:.12g}"
        return text
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _keys_of(schema: dict[str, Any]) -> set[str]:
    """The fields of a schema's primary and foreign keys."""
    pk = schema.get("primaryKey") or []
    keys = {pk} if isinstance(pk, str) else set(pk)
    for fk in schema.get("foreignKeys") or []:
        fields = fk.get("fields") if isinstance(fk, dict) else None
        keys.update([fields] if isinstance(fields, str) else fields or [])
    return keys


def _read_table(folder: Path, resource: dict[str, Any]) -> Any:
    """The resource's rows as an Arrow table: its Parquet copy, else the CSV read by its schema."""
    parquet = folder / "parquet" / f"{resource.get('name')}.parquet"
    if parquet.is_file():
        import pyarrow.parquet as pq

        return pq.read_table(parquet)
    from opendata.package import load_package
    from opendata.structural.table import read_typed

    return read_typed(load_package(folder).get(str(resource.get("name"))))


def _preview(table: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """The first rows of TABLE, each cell formatted by its field's type."""
    fields = {f.get("name"): f for f in schema.get("fields", []) if isinstance(f, dict)}
    keys = _keys_of(schema)
    names = list(table.column_names)
    head = table.slice(0, PREVIEW_ROWS).to_pylist()
    columns = []
    for name in names:
        field = fields.get(name, {})
        numeric = field.get("type") in _NUMERIC
        columns.append(
            {
                "name": name,
                "type": _type_text(field),
                "numeric": numeric,
                "grouped": numeric and not _is_identifier(name, field, keys),
                "field": field,
            }
        )
    rows = [
        [
            _cell(format_cell(row[c["name"]], c["field"], c["grouped"]), c["numeric"])
            for c in columns
        ]
        for row in head
    ]
    return {"columns": columns, "rows": rows, "shown": len(rows), "total": table.num_rows}


def _cell(text: str | None, numeric: bool) -> dict[str, Any]:
    """A preview cell; a long text is cut on screen and kept whole in its tooltip."""
    return {"text": text, "numeric": numeric, "long": text is not None and len(text) > LONG_CELL}


def _foreign_keys(schema: dict[str, Any], own: str) -> list[dict[str, Any]]:
    """Foreign keys as {fields, resource} (a self-reference names the table itself)."""
    out = []
    for fk in schema.get("foreignKeys") or []:
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            continue
        fields = fk.get("fields")
        out.append(
            {
                "fields": [fields] if isinstance(fields, str) else list(fields or []),
                "resource": fk["reference"].get("resource") or own,
            }
        )
    return out


def _resources(
    folder: Path, descriptor: dict[str, Any], tables: dict[str, Any], errors: dict[str, str]
) -> list[dict[str, Any]]:
    """Each resource of the descriptor with what its section of the page shows."""
    resources = []
    for r in descriptor.get("resources", []):
        schema = r.get("schema") if isinstance(r.get("schema"), dict) else {}
        pk = schema.get("primaryKey") or []
        name = str(r.get("name"))
        parquet = f"parquet/{name}.parquet"
        table = tables.get(name)
        resources.append(
            {
                **r,
                "fields": [
                    {
                        **f,
                        "type": _type_text(f),
                        "constraints": constraints_list(f.get("constraints")),
                    }
                    for f in schema.get("fields", [])
                    if isinstance(f, dict)
                ],
                "primary_key": [pk] if isinstance(pk, str) else pk,
                "foreign_keys": _foreign_keys(schema, name),
                "parquet": parquet if (folder / parquet).is_file() else None,
                "rows": table.num_rows if table is not None else None,
                "preview": _preview(table, schema) if table is not None else None,
                "preview_error": errors.get(name),
            }
        )
    return resources


def _load_tables(folder: Path, descriptor: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Every table of the release that can be read, and why the others cannot."""
    from opendata.errors import OpendataError

    tables: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for r in descriptor.get("resources", []):
        name = str(r.get("name"))
        try:
            tables[name] = _read_table(folder, r)
        except (OpendataError, OSError, ValueError) as exc:
            errors[name] = str(exc)
    return tables, errors


def _charts(descriptor: dict[str, Any], tables: dict[str, Any]) -> list[dict[str, Any]]:
    """The descriptor's Vega-Lite views, drawn as SVG over the release's own rows."""
    from opendata.render.charts import render_view, vega_lite_views
    from opendata.report import jsonable

    views = vega_lite_views(descriptor)
    rows = {
        name: jsonable(tables[name].to_pylist())
        for name in {r for v in views for r in v["resources"]}
        if name in tables
    }
    return [render_view(view, rows, n) for n, view in enumerate(views, 1)]


def _validation(folder: Path) -> dict[str, Any] | None:
    """The summary of the release's validation.json, with its first findings."""
    from opendata.codes import CODES

    path = folder / "validation.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict):
        return None
    issues = [i for i in report.get("issues") or [] if isinstance(i, dict)]
    resources = [r for r in report.get("resources") or [] if isinstance(r, dict)]
    findings = []
    for i in issues[:FINDINGS_SHOWN]:
        code = str(i.get("code"))
        where = " ".join(
            str(x)
            for x in (
                i.get("resource"),
                f"line {i['line']}" if i.get("line") else None,
                f"field {i['field']}" if i.get("field") else None,
            )
            if x
        )
        findings.append(
            {
                **i,
                "title": CODES[code].title if code in CODES else code,
                "where": where or "the package",
            }
        )
    summary = report.get("summary") or {}
    return {
        "valid": bool(report.get("valid")),
        "errors": summary.get("errors", 0),
        "warnings": summary.get("warnings", 0),
        "resources": resources,
        "rows": sum(r.get("rows") or 0 for r in resources),
        "checks_run": sum(r.get("checks_run") or 0 for r in resources),
        "findings": findings,
        "more": max(0, len(issues) - FINDINGS_SHOWN),
        "notes": report.get("notes") or [],
    }


def _sources(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    """Package sources, with `url` set only when the path is a web address."""
    out = []
    for s in descriptor.get("sources") or []:
        if not isinstance(s, dict):
            continue
        path = str(s.get("path") or "")
        url = path if path.startswith(("http://", "https://")) else None
        out.append({**s, "url": url})
    return out


def _markdown(folder: Path, name: str, files: set[str]) -> str | None:
    """A Markdown file of the release rendered to HTML, or None when absent."""
    from opendata.render.markdown import to_html

    path = folder / name
    if not path.is_file():
        return None
    base = PurePosixPath(name).parent

    def local(href: str) -> bool:
        return bool(href) and (base / href).as_posix() in files

    return to_html(path.read_text(encoding="utf-8"), local)


def _title_parts(d: dict[str, Any]) -> tuple[str, str | None]:
    """The title, and the title in the other language when the descriptor gives it apart."""
    title = str(d.get("title") or d.get("name") or "")
    alt = d.get("title_en") or d.get("title_zh")
    return title, (str(alt) if alt and alt != title else None)


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
        {"rel": rel, "bytes": p.stat().st_size, "sha256": sha256_hex(p)}
        for rel, p in listing
        if rel not in (zip_path.name, "index.html")
    ]
    names: set[str] = {str(f["rel"]) for f in files} | {zip_path.name}
    tables, errors = _load_tables(folder, d)
    title, title_alt = _title_parts(d)
    readme = d.get("readme") if isinstance(d.get("readme"), str) else "README.md"
    html = (
        environment()
        .get_template("version.html")
        .render(
            name=d.get("name"),
            title=title,
            title_alt=title_alt,
            version=d.get("version"),
            description=d.get("description"),
            description_zh=d.get("description_zh"),
            keywords=[k for k in d.get("keywords") or [] if isinstance(k, str)],
            created=d.get("created"),
            licenses=d.get("licenses") or [],
            sources=_sources(d),
            resources=_resources(folder, d, tables, errors),
            charts=_charts(d, tables),
            readme=_markdown(folder, readme, names) if readme in names else None,
            files=files,
            zip={
                "name": zip_path.name,
                "bytes": zip_path.stat().st_size,
                "sha256": sha256_hex(zip_path),
            },
            validation=_validation(folder),
            previous=previous,
            diff=diff,
            changelog=_markdown(folder, "CHANGELOG.md", names),
        )
    )
    return html.encode("utf-8")


def _search_text(name: str, p: dict[str, Any]) -> str:
    """What the front page's filter box matches a package against, lower-cased."""
    parts = [name, p.get("title"), p.get("title_en"), p.get("title_zh"), p.get("description")]
    parts += [p.get("description_zh"), *(p.get("keywords") or [])]
    parts += [str(lic.get("name") or lic.get("title")) for lic in p.get("licenses") or []]
    return " ".join(str(x) for x in parts if x).lower()


def index_page(index: dict[str, Any]) -> bytes:
    """The catalog's front page: every package, its latest version, and a filter box."""
    packages = []
    for name in sorted(index["packages"]):
        p = index["packages"][name]
        versions = sorted(p.get("versions", {}), key=version_key, reverse=True)
        latest = p.get("latest") or (versions[0] if versions else "")
        meta = p.get("versions", {}).get(latest, {})
        title, title_alt = _title_parts({**p, "name": name})
        packages.append(
            {
                **p,
                "name": name,
                "title": title,
                "title_alt": title_alt,
                "latest": latest,
                "versions": versions,
                "updated": str(p.get("updated") or meta.get("created") or "")[:10] or None,
                "zip": meta.get("zip"),
                "licenses": [lic for lic in p.get("licenses") or [] if isinstance(lic, dict)],
                "search": _search_text(name, p),
            }
        )
    return environment().get_template("index.html").render(packages=packages).encode("utf-8")
