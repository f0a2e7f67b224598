"""Making untrusted HTML mail safe to display (``mailapp.mime.text`` turns HTML into plain text).

Policy (``sanitize_html``):
- Removed with their content: ``script``, ``iframe``, ``object``, ``embed``, ``svg``, ``math``,
  ``template``, form controls and similar. Removed but text kept: every other tag outside the
  allow-list (``form``, ``meta``, ``base``, ``link`` ...). ``<style>`` blocks stay, with their CSS
  cleaned as below, because mail layouts depend on them.
- Every ``on*`` event attribute is removed (only allow-listed attributes survive).
- Links keep ``http``, ``https``, ``mailto`` and ``tel`` targets and always get
  ``rel="noopener noreferrer"``; ``javascript:``/``vbscript:``/``data:`` and unknown schemes lose
  their ``href`` (the parser decodes entities and the URL parser ignores case and embedded tabs, so
  obfuscated forms are caught too).
- Images keep ``cid:`` sources (inline parts of the same message). ``data:`` is allowed only for
  ``img src`` with a raster image type (png, gif, jpeg, webp, bmp): such an image is already inside
  the message, loads nothing remote and cannot run script. SVG data URLs are refused because SVG
  is a script-capable document.
- CSS, in ``style`` attributes and ``<style>`` blocks, loses ``expression()``, ``behavior``,
  ``-moz-binding``, ``javascript:`` and ``@import``; ``url()`` keeps only ``cid:`` and raster
  ``data:`` (and http/https when remote content is allowed).
- With ``allow_remote=False`` no http(s) or protocol-relative URL survives in ``src``, ``srcset``,
  ``background``, CSS ``url()`` or ``<link>``; each one removed counts in ``blocked_remote``.
  Links (``<a href>``) are not loaded by a viewer, so they stay clickable.
- Structure is bounded (``html_structure``): nesting past 8 tables, 8 lists, 8 quotes or 48
  elements is flattened to its text, ``colspan``/``rowspan`` are capped at 100, and
  ``layout_cost`` estimates what the result costs to lay out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nh3

from mailapp.core.html_structure import MAX_SPAN, bound_structure, limit_raw_depth


@dataclass(frozen=True)
class SanitizedHtml:
    html: str
    blocked_remote: int  # how many remote resources were removed/neutralised
    layout_cost: int = 0  # see html_structure.Structure


_EXTRA_TAGS = {"style", "link", "font", "tfoot"}
_TAGS = (set(nh3.ALLOWED_TAGS) | _EXTRA_TAGS) - {"map", "area"}
_GLOBAL_ATTRIBUTES = {
    "style", "class", "id", "title", "dir", "lang", "align", "valign", "bgcolor", "background",
    "width", "height", "border",
}
_ATTRIBUTES: dict[str, set[str]] = {
    tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()
}
_ATTRIBUTES["*"] = _GLOBAL_ATTRIBUTES
_ATTRIBUTES.setdefault("img", set()).update({"srcset", "alt", "src"})
_ATTRIBUTES["a"] = {"href", "hreflang", "name"}
_ATTRIBUTES["font"] = {"color", "face", "size"}
_ATTRIBUTES["table"] = _ATTRIBUTES.get("table", set()) | {"cellpadding", "cellspacing"}
_ATTRIBUTES["td"] = _ATTRIBUTES.get("td", set()) | {"nowrap"}
_ATTRIBUTES["link"] = {"href"}
_ATTRIBUTES.pop("q", None)  # "cite" URLs are never shown, so they only add surface
_ATTRIBUTES["blockquote"] = {"type"}
_ATTRIBUTES["ins"] = {"datetime"}
_ATTRIBUTES["del"] = {"datetime"}
# nh3's scheme check runs first; data: passes it only to be narrowed in _Sanitizer.
_URL_SCHEMES = {"http", "https", "mailto", "tel", "cid", "data"}
_LINK_PREFIXES = ("http:", "https:", "mailto:", "tel:", "#")
_CLEAN_CONTENT_TAGS = {"script", "noscript", "iframe", "object", "embed", "applet", "title",
                       "template", "svg", "math", "textarea", "select", "xml", "frameset"}

_RASTER_DATA_URL = re.compile(r"data:image/(png|gif|jpe?g|webp|bmp)[;,]", re.IGNORECASE)
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})[ \t\r\n\f]?|\\(.)", re.DOTALL)
_CSS_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)
# Browsers accept an unterminated url( at the end of a style, so ")" is optional here.
_CSS_URL = re.compile(r"url\s*\(([^)]*)(?:\)|$)", re.IGNORECASE)
# image-set("https://...") and friends load plain strings, so remote strings go too.
_CSS_STRING = re.compile(r"(['\"])(.*?)(?:\1|$)", re.DOTALL)
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.IGNORECASE)
_CSS_IMPORT_TARGET = re.compile(r"@import\s*(?:url\s*\()?\s*['\"]?([^'\")\s;]*)", re.IGNORECASE)
_CSS_DANGEROUS = re.compile(
    r"expression\s*\(|behavior\s*:|-moz-binding|javascript\s*:|vbscript\s*:", re.IGNORECASE
)
_STYLE_BLOCK = re.compile(r"(<style\b[^>]*>)(.*?)(</style>)", re.DOTALL | re.IGNORECASE)
_BODY_TAG = re.compile(r"<(/?)body\b", re.IGNORECASE)
_EMPTY_LINK = re.compile(r"<link>")
_URL_NOISE = re.compile(r"[\x00-\x20]")
_SPAN_NUMBER = re.compile(r"\s*([0-9]+)")


def _normalised_url(url: str) -> str:
    # Browsers ignore tabs, newlines and leading control characters in URLs.
    return _URL_NOISE.sub("", url).lower()


def _is_remote(url: str) -> bool:
    url = _normalised_url(url)
    return url.startswith(("http:", "https:", "//", "ftp:")) or url.startswith("\\\\")


def _local_resource_ok(url: str) -> bool:
    """A URL a viewer may load without the network: cid: parts and raster data: images."""
    url = _normalised_url(url)
    return url.startswith("cid:") or bool(_RASTER_DATA_URL.match(url))


def _unescape_css(css: str) -> str:
    def replace(match: re.Match[str]) -> str:
        if match[1]:
            code = int(match[1], 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return match[2]

    return _CSS_ESCAPE.sub(replace, _CSS_COMMENT.sub("", css))


class _Sanitizer:
    def __init__(self, allow_remote: bool) -> None:
        self.allow_remote = allow_remote
        self.blocked = 0

    def resource_url_ok(self, url: str) -> bool:
        if _local_resource_ok(url):
            return True
        if _is_remote(url):
            if self.allow_remote:
                return not _normalised_url(url).startswith(("ftp:", "\\\\"))
            self.blocked += 1
        return False

    def clean_css(self, css: str) -> str:
        # Escapes and comments are resolved first so that u\72l( or expr/**/ession( are seen.
        css = _unescape_css(css).replace("<", " ")

        def drop_import(match: re.Match[str]) -> str:
            # Imported stylesheets are never fetched, even when remote content is allowed.
            target = _CSS_IMPORT_TARGET.search(match[0])
            if target and _is_remote(target[1]) and not self.allow_remote:
                self.blocked += 1
            return ""

        def fix_url(match: re.Match[str]) -> str:
            url = match[1].strip().strip("'\"").strip()
            safe = self.resource_url_ok(url) and not any(ch in url for ch in "'\"\\")
            return f"url('{url}')" if safe else "none"

        def fix_string(match: re.Match[str]) -> str:
            if not _is_remote(match[2]):
                return match[0]
            self.blocked += 0 if self.allow_remote else 1
            return match[0] if self.allow_remote else "''"

        css = _CSS_IMPORT.sub(drop_import, css)
        css = _CSS_URL.sub(fix_url, css)
        css = _CSS_STRING.sub(fix_string, css)
        return _CSS_DANGEROUS.sub("invalid:", css)

    def attribute(self, tag: str, attr: str, value: str) -> str | None:
        if attr in ("colspan", "rowspan") or (attr == "span" and tag in ("col", "colgroup")):
            number = _SPAN_NUMBER.match(value)
            if number is None:
                return None
            digits = number[1].lstrip("0") or "0"
            return str(MAX_SPAN if len(digits) > 6 else min(int(digits), MAX_SPAN))
        if attr == "style":
            return self.clean_css(value)
        if attr in ("src", "background"):
            return value if self.resource_url_ok(value) else None
        if attr == "srcset":
            urls = [candidate.split()[0] for candidate in value.split(",") if candidate.split()]
            if all(_local_resource_ok(url) or (self.allow_remote and _is_remote(url))
                   for url in urls):
                return value
            self.blocked += 0 if self.allow_remote else sum(_is_remote(url) for url in urls)
            return None
        if tag == "link" and attr == "href":
            # A stylesheet link is the one <link> that loads anything; it never survives, but a
            # remote one counts as blocked when the user has not allowed remote content.
            if _is_remote(value) and not self.allow_remote:
                self.blocked += 1
            return None
        if tag == "a" and attr == "href":
            # A mail has no base URL, so a relative link can only be junk or a disguise
            # ("url(javascript:…"); links are absolute web, mail or phone links, or in-page anchors.
            url = _normalised_url(value)
            return value if url.startswith(_LINK_PREFIXES) else None
        return value


def sanitize_html(html: str, *, allow_remote: bool = False) -> SanitizedHtml:
    """HTML safe to hand to a viewer; see the module docstring for exactly what is removed."""
    sanitizer = _Sanitizer(allow_remote)
    # A fragment parser discards <body> and its attributes; keeping it as a div keeps the mail's
    # background colour, and its background image goes through the same checks as others.
    html = _BODY_TAG.sub(r"<\1div", html.replace("\x00", ""))
    html = limit_raw_depth(html)  # the parser's time grows with depth squared
    cleaned = nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_CLEAN_CONTENT_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=sanitizer.attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    cleaned = _EMPTY_LINK.sub("", cleaned)
    # <style> text is raw text that nh3 passes through unchanged, so its CSS is cleaned here.
    cleaned = _STYLE_BLOCK.sub(lambda m: m[1] + sanitizer.clean_css(m[2]) + m[3], cleaned)
    structure = bound_structure(cleaned)
    return SanitizedHtml(structure.html, sanitizer.blocked, structure.layout_cost)
