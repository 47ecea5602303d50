"""Markdown to safe HTML for catalog pages: READMEs and changelogs, raw HTML escaped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Pages nest a document under their own h2: its headings move down this many levels.
HEADING_SHIFT = 1


def _keep_link(href: str, local: Callable[[str], bool]) -> bool:
    """Whether a link can work on the page: web and mail addresses, anchors, files that exist."""
    if href.startswith(("http://", "https://", "mailto:", "#")):
        return True
    return local(href.split("#", 1)[0])


def to_html(text: str, local: Callable[[str], bool] = lambda href: False) -> str:
    """TEXT (CommonMark with tables) as HTML; raw HTML is shown as text, not run.

    A relative link becomes plain text unless `local(href)` says the file is published next to
    the page, so a README's links to files of the source repository never break in the catalog.
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    tokens = md.parse(text)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"
        if token.type == "inline" and token.children:
            token.children = _drop_dead_links(token.children, local)
    return str(md.renderer.render(tokens, md.options, {}))


def _drop_dead_links(children: list[Any], local: Callable[[str], bool]) -> list[Any]:
    """Inline tokens with the open/close tokens of links that cannot work removed (text kept)."""
    kept: list[Any] = []
    dropping: list[bool] = []
    for child in children:
        if child.type == "link_open":
            drop = not _keep_link(str(child.attrGet("href") or ""), local)
            dropping.append(drop)
            if drop:
                continue
        elif child.type == "link_close":
            if dropping and dropping.pop():
                continue
        kept.append(child)
    return kept
