"""Data Package views (Vega-Lite specs) drawn as static SVG at publish time, offline, by vl-convert."""

from __future__ import annotations

import copy
import re
from typing import Any

_ID = re.compile(r'\bid="([^"]+)"')


def vega_lite_views(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    """The descriptor's views that are Vega-Lite specs over named resources."""
    views = descriptor.get("views")
    if not isinstance(views, list):
        return []
    return [
        v
        for v in views
        if isinstance(v, dict)
        and v.get("specType") == "vega-lite"
        and isinstance(v.get("spec"), dict)
        and isinstance(v.get("resources"), list)
        and v["resources"]
    ]


def _with_data(spec: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """SPEC with its resources' rows as named datasets; the first resource is the default data."""
    spec = copy.deepcopy(spec)
    spec["datasets"] = {**spec.get("datasets", {}), **rows}
    spec.setdefault("data", {"name": next(iter(rows))})
    return spec


def _scoped_ids(svg: str, prefix: str) -> str:
    """SVG with its ids (clip paths, gradients) made unique, so charts inlined on one page differ."""
    ids = set(_ID.findall(svg))
    for old in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{old}"', f'id="{prefix}{old}"')
        svg = svg.replace(f"url(#{old})", f"url(#{prefix}{old})")
        svg = svg.replace(f'href="#{old}"', f'href="#{prefix}{old}"')
    return svg


def render_view(
    view: dict[str, Any], rows: dict[str, list[dict[str, Any]]], n: int
) -> dict[str, Any]:
    """One view as {name, title, resources, svg, error}; a spec that fails to draw gives an error."""
    import vl_convert

    name = str(view.get("name") or f"view-{n}")
    spec = view["spec"]
    title = view.get("title") or (spec.get("title") if isinstance(spec.get("title"), str) else name)
    out: dict[str, Any] = {"name": name, "title": title, "resources": view["resources"]}
    missing = [r for r in view["resources"] if r not in rows]
    if missing:
        return {**out, "svg": None, "error": f"no table named {', '.join(missing)}"}
    try:
        svg = vl_convert.vegalite_to_svg(
            _with_data(spec, {r: rows[r] for r in view["resources"]}),
            allowed_base_urls=[],  # a page is drawn from the release alone: never the network
        )
    except Exception as exc:  # vl-convert raises plain ValueError/RuntimeError on a bad spec
        return {**out, "svg": None, "error": " ".join(str(exc).split())[:300]}
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)
    return {**out, "svg": _scoped_ids(svg, f"v{n}-"), "error": None}


def _attr(text: str) -> str:
    """TEXT safe inside a double-quoted attribute."""
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
