"""Markdown to HTML that is safe to show in a browser or a web view.

markdown-it-py renders CommonMark (with tables and strikethrough; raw HTML is let through so
staff can paste simple markup), then nh3 (the ammonia sanitizer) keeps only an allow-list of
tags and attributes: no `<script>`/`<style>` (content dropped too), no event handlers, no
`javascript:`/`data:` URLs, and links get `rel="noopener noreferrer nofollow"`.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

TAGS = frozenset(
    {
        *("p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6"),
        *("strong", "em", "b", "i", "u", "s", "del", "sub", "sup", "mark", "small"),
        *("blockquote", "code", "pre", "ul", "ol", "li", "a", "img", "figure", "figcaption"),
        *("table", "thead", "tbody", "tr", "th", "td", "caption"),
    }
)
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "th": {"style", "colspan", "rowspan"},
    "td": {"style", "colspan", "rowspan"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def render(markdown: str) -> str:
    """Sanitized HTML of `markdown`."""
    return sanitize(_MARKDOWN.render(markdown))


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=set(TAGS),
        clean_content_tags={"script", "style"},
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
