"""The jinja2 environment every HTML renderer shares: templates/ and filters for sizes and numbers."""

from __future__ import annotations

from typing import Any


def filesize(n: Any) -> str:
    """Bytes for people: `812 B`, `4.1 kB`, `2.3 MB` (powers of 1000, as browsers show them)."""
    if not isinstance(n, int):
        return ""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def number(n: Any) -> str:
    """An integer with thousands separators: 2,854."""
    return f"{n:,}" if isinstance(n, int) and not isinstance(n, bool) else str(n)


def environment() -> Any:
    """A jinja2 environment over render/templates that escapes HTML (descriptor text is untrusted)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("opendata", "render/templates"),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
        undefined=jinja2.ChainableUndefined,
    )
    env.filters["filesize"] = filesize
    env.filters["number"] = number
    return env
