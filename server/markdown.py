"""Markdown to safe HTML for everything users write (project overviews, reports, team intros,
profiles): markdown-it renders CommonMark with tables and strikethrough, nh3 then keeps only a
fixed set of tags and attributes, so script and event handlers never reach a page.

Links with any other scheme than http, https or mailto (``javascript:``, ``data:``, ...) are
never links: Markdown ``[text](javascript:...)`` and raw ``<a href="javascript:...">`` both
become their plain text. Images from other hosts are shown as links to the image unless the
system setting ``markdown_remote_images`` allows them, so a viewer's browser fetches nothing
from elsewhere just by opening a page.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

_renderer = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(
    ["table", "strikethrough"]
)
# Every link target reaches nh3, which drops unsafe ones: the text then stays, without a link
# (markdown-it's own check would leave "[text](javascript:...)" on the page as raw source).
_renderer.validateLink = lambda url: True

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_ANCHOR = re.compile(r"<a\b[^>]*>|</a>")
_IMG = re.compile(r"<img\b[^>]*>")
_ATTR = re.compile(r'(\w+)="([^"]*)"')


def _unwrap_hrefless_anchors(html: str) -> str:
    """Drop ``<a>`` tags whose link was removed (keeping their text): no fake links."""
    kept: list[bool] = []
    out, last = [], 0
    for match in _ANCHOR.finditer(html):
        tag = match.group(0)
        out.append(html[last : match.start()])
        last = match.end()
        if tag == "</a>":
            if kept.pop() if kept else False:
                out.append(tag)
        else:
            has_href = " href=" in tag
            kept.append(has_href)
            if has_href:
                out.append(tag)
    out.append(html[last:])
    return "".join(out)


def _is_remote(src: str, own_host: str | None, trusted: set[str]) -> bool:
    """From another host than this server's, and not an origin the operator trusts for
    console images (``csp_image_sources``, e.g. a badge service)?"""
    parts = urlsplit(src)
    if not parts.netloc:
        return False  # a path on this server
    return parts.hostname != own_host and f"{parts.scheme}://{parts.netloc}" not in trusted


def _image_as_link(tag: str, inside_link: bool) -> str:
    """A remote image as a link to it (as text inside another link: links do not nest)."""
    attrs = dict(_ATTR.findall(tag))
    src, alt = attrs.get("src", ""), attrs.get("alt", "")
    label = escape(f"Image: {alt}" if alt else "Image")
    if inside_link:
        return f'<span title="{src}">{label}</span>'
    return f'<a href="{src}" rel="noopener noreferrer nofollow">{label}</a>'


_LINK_OR_IMAGE = re.compile(r"<a\b[^>]*>|</a>|<img\b[^>]*>")


def _replace_remote_images(html: str, own_host: str | None, trusted: set[str]) -> str:
    depth = 0

    def swap(match: re.Match) -> str:
        nonlocal depth
        tag = match.group(0)
        if tag == "</a>":
            depth = max(0, depth - 1)
        elif tag.startswith("<a"):
            depth += 1
        elif _is_remote(dict(_ATTR.findall(tag)).get("src", ""), own_host, trusted):
            return _image_as_link(tag, depth > 0)
        return tag

    return _LINK_OR_IMAGE.sub(swap, html)


def _image_policy() -> tuple[str | None, set[str], bool]:
    """This server's host name, the image origins the operator trusts, and whether every
    remote image is allowed (outside an app context: none is)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None, set(), False
    from .services.system_settings import get_setting

    settings = current_app.config["OUTPOST"]
    own = urlsplit(settings.url).hostname
    trusted = {origin.rstrip("/") for origin in settings.csp_image_sources}
    return own, trusted, bool(get_setting("markdown_remote_images"))


def render_markdown(text: str | None) -> Markup:
    """Sanitised HTML for ``text``; safe to put in a template as is."""
    html = _renderer.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    clean = _unwrap_hrefless_anchors(clean)
    if "<img" in clean:
        own_host, trusted, remote_allowed = _image_policy()
        if not remote_allowed:
            clean = _replace_remote_images(clean, own_host, trusted)
    return Markup(clean)
