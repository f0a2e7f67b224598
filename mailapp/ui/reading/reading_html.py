"""What the reading pane does to a sanitized body before showing it: images it will not load."""

from __future__ import annotations

import re
from html import escape

# Sanitizer output quotes every attribute with double quotes and escapes their content.
_REMOTE_IMG = re.compile(r'<img\b[^>]*?\bsrc="((?:https?:)?//[^"]*)"[^>]*>', re.IGNORECASE)
_ALT = re.compile(r'\balt="([^"]*)"', re.IGNORECASE)


_IMG_WITHOUT_SRC = re.compile(r"<img\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
_SIZE = re.compile(r'\b(width|height)="\s*([0-9]{1,9})', re.IGNORECASE)
# Smaller than this in either direction is a tracking pixel, not a picture for the reader.
_TRACKER_PIXELS = 3


def _is_tracker(tag: str) -> bool:
    return any(int(value) < _TRACKER_PIXELS for _name, value in _SIZE.findall(tag))


def _alt_text(tag: str) -> str | None:
    alt = _ALT.search(tag)
    return alt.group(1) if alt and alt.group(1).strip() else None


def blocked_images_as_text(html: str, color: str) -> str:
    """Replaces images whose remote source the sanitizer removed by their alt text.

    `color` is the alt text's (secondary text, from the palette). Left as they are, their width
    and height attributes would reserve empty space (a 600-pixel banner pushes the text out of
    view) for a picture that is never shown.
    """

    def placeholder(match: re.Match[str]) -> str:
        tag = match.group(0)
        alt = None if _is_tracker(tag) else _alt_text(tag)
        return f'<span style="color: {color};">[{alt}]</span>' if alt else ""

    return _IMG_WITHOUT_SRC.sub(placeholder, html)


def remote_images_as_links(html: str, label: str) -> str:
    """Turns remote <img> into links: the user chose to see them, but nothing is fetched here.

    Fetching would need a worker with timeouts (never the UI thread); a link lets the user's
    browser do it instead, with its own protections.
    """

    def link(match: re.Match[str]) -> str:
        tag, url = match.group(0), match.group(1)
        if _is_tracker(tag):
            return ""
        if url.startswith("//"):
            url = "https:" + url
        return f'<a href="{url}">[{_alt_text(tag) or escape(label)}]</a>'

    return _REMOTE_IMG.sub(link, html)


def plain_text_html(text: str) -> str:
    """Text shown as it is: escaped, line breaks and runs of spaces kept."""
    return f'<div style="white-space: pre-wrap;">{escape(text)}</div>'
