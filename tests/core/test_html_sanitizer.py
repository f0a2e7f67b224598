"""Untrusted HTML mail shows no script and, unless allowed, loads nothing from the network."""

import re
import threading
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailapp.core.html import sanitize_html
from mailapp.mime.text import html_to_text


def clean(html: str, allow_remote: bool = False) -> str:
    return sanitize_html(html, allow_remote=allow_remote).html


def test_scripts_and_their_content_are_removed() -> None:
    out = clean("<p>Hi</p><script>alert('x')</script><SCRIPT src=//e.com/x.js></SCRIPT>")
    assert out == "<p>Hi</p>"


@pytest.mark.parametrize("attribute", ["onerror", "onload", "onclick", "OnMouseOver", "onfocus"])
def test_event_handler_attributes_are_removed(attribute: str) -> None:
    out = clean(f'<img src="cid:a" {attribute}="alert(1)"><div {attribute}=steal()>x</div>')
    assert "alert" not in out and "steal" not in out
    assert 'src="cid:a"' in out


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
     "java\tscript:alert(1)", "java&#x0A;script:alert(1)", "&#106;avascript:alert(1)",
     "&#x6A;&#x61;vascript:alert(1)", "vbscript:msgbox(1)", "data:text/html,<script>x</script>",
     "jav&#x09;ascript:alert(1)", "\x01javascript:alert(1)"],
)
def test_script_links_lose_their_target(href: str) -> None:
    out = clean(f'<a href="{href}">click</a>')
    assert "alert" not in out and "script" not in out.lower() and "msgbox" not in out
    assert ">click</a>" in out


def test_web_links_stay_clickable_but_cannot_reach_back() -> None:
    out = clean('<a href="https://example.org/page?q=1&amp;r=2">page</a>'
                '<a href="mailto:a@b.org">m</a>')
    assert 'href="https://example.org/page?q=1&amp;r=2"' in out
    assert 'href="mailto:a@b.org"' in out
    assert out.count('rel="noopener noreferrer"') == 2
    assert sanitize_html('<a href="https://example.org">x</a>').blocked_remote == 0


@pytest.mark.parametrize("tag", [
    '<iframe src="https://e.com"></iframe>', '<object data="x.swf"></object>',
    '<embed src="x.swf">',
    '<form action="https://e.com"><input name="pw"><button>Go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://e.com">', '<base href="https://e.com/">',
    '<svg><script>alert(1)</script></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
])
def test_active_and_framing_elements_are_removed(tag: str) -> None:
    out = clean(f"<p>before</p>{tag}<p>after</p>")
    assert out.startswith("<p>before</p>") and out.endswith("<p>after</p>")
    for word in ("iframe", "object", "embed", "form", "input", "meta", "base", "svg", "alert",
                 "refresh"):
        assert word not in out


def test_inline_cid_images_and_small_raster_data_images_are_kept() -> None:
    out = clean('<img src="cid:logo@x" alt="Logo"><img src="data:image/png;base64,iVBORw0KGgo=">')
    assert 'src="cid:logo@x"' in out
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in out


def test_svg_and_html_data_urls_are_refused() -> None:
    out = clean('<img src="data:image/svg+xml;base64,PHN2Zz4="><img src="data:text/html,hi">')
    assert "data:" not in out


def test_css_expressions_and_bindings_are_neutralised() -> None:
    out = clean('<div style="width: expression(alert(1)); -moz-binding: url(x.xml#x);'
                ' behavior: url(x.htc); color: red">x</div>'
                "<style>p { background: u\\72l(javascript:alert(1)); width: ex/**/pression(1) }"
                "</style>")
    lowered = out.lower()
    for word in ("expression(", "-moz-binding", "behavior:", "javascript:"):
        assert word not in lowered
    assert "color: red" in out


def test_style_blocks_with_attributes_are_cleaned_too() -> None:
    result = sanitize_html('<style class="x" title="t">p { background: url(http://e.com/a.png) }'
                           "</style>")
    assert "e.com" not in result.html
    assert result.blocked_remote == 1


def test_style_blocks_cannot_break_out_into_markup() -> None:
    out = clean("<style>p { color: red } \\3c /style\\3e \\3c script\\3e alert(1)</style>")
    assert "<script" not in out and out.count("<style>") == 1 and out.count("</style>") == 1


_REMOTE_HTML = """
<html><head>
<link rel="stylesheet" href="http://{h}/link.css">
<style>@import url("http://{h}/import.css");
 body {{ background-image: url(http://{h}/css-bg.png) }}
 p {{ background: u\\72l('//{h}/escaped.png') }}</style>
</head><body background="http://{h}/body-bg.png" bgcolor="#eeeeee">
<img src="http://{h}/pixel.gif" width="1" height="1">
<img src="HTTPS://{h}/upper.png">
<img src="//{h}/protocol-relative.png">
<img src="  http://{h}/spaces.png">
<img src="cid:logo" srcset="http://{h}/a.png 1x, http://{h}/b.png 2x">
<table background="http://{h}/table-bg.png"><tr><td style="background:url(&quot;http://{h}/td.png&quot;)">x</td></tr></table>
<div style="list-style-image: url(http://{h}/list.png); color: blue">text</div>
<a href="http://{h}/link-target">a link stays</a>
</body></html>
"""


def test_no_remote_url_survives_in_any_loading_position() -> None:
    result = sanitize_html(_REMOTE_HTML.format(h="tracker.example"))
    loaders = _resource_urls(result.html)
    assert loaders == ["cid:logo"]
    assert result.blocked_remote == 14  # srcset holds two
    assert 'href="http://tracker.example/link-target"' in result.html
    assert "bgcolor" in result.html and "color: blue" in result.html


def test_allow_remote_keeps_remote_images() -> None:
    result = sanitize_html(_REMOTE_HTML.format(h="tracker.example"), allow_remote=True)
    assert result.blocked_remote == 0
    urls = _resource_urls(result.html)
    assert "http://tracker.example/pixel.gif" in urls
    assert "http://tracker.example/css-bg.png" in urls
    assert not any("import.css" in u or "link.css" in u for u in urls)  # stylesheets: never


class _ResourceFinder(HTMLParser):
    """What a naive viewer would fetch: src, srcset, background, <link href> and CSS url()."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self.in_style = False
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str]] = []
        self.css: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_style = tag == "style"
        self.tags.append(tag)
        for name, value in attrs:
            if value is None:
                continue
            self.attributes.append((name, value))
            if name == "style":
                self.css.append(value)
            if name in ("src", "background") or (tag == "link" and name == "href"):
                self.urls.append(value.strip())
            elif name == "srcset":
                self.urls += [c.split()[0] for c in value.split(",") if c.strip()]
            elif name == "style":
                self.urls += _css_urls(value)

    def handle_endtag(self, tag: str) -> None:
        self.in_style = False

    def handle_data(self, data: str) -> None:
        if self.in_style:
            self.urls += _css_urls(data)
            self.css.append(data)


def _css_urls(css: str) -> list[str]:
    found = re.findall(r"url\(\s*['\"]?([^'\")]*)", css, re.IGNORECASE)
    found += re.findall(r"@import\s+['\"]([^'\"]*)", css, re.IGNORECASE)
    return [u.strip() for u in found]


def _fetches_network(url: str) -> bool:
    # Browsers drop ASCII whitespace and controls inside URLs and ignore scheme case.
    url = re.sub(r"[\x00-\x20]", "", url).lower()
    return url.startswith(("http:", "https:", "//", "\\\\", "ftp:")) or (
        ":" not in url.split("/")[0] and "evil.example" in url)


def _resource_urls(html: str) -> list[str]:
    finder = _ResourceFinder()
    finder.feed(html)
    finder.close()
    return finder.urls


@pytest.fixture
def loopback_server() -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _naive_viewer_fetch(html: str) -> None:
    """Fetch every resource the way an unprotected viewer would (bounded: one try each)."""
    for url in _resource_urls(html):
        if url.startswith("//"):
            url = "http:" + url
        if url.lower().startswith(("http://", "https://")):
            with urllib.request.urlopen(url.replace("HTTPS://", "http://"), timeout=5) as reply:
                reply.read()


def test_sanitized_mail_makes_zero_requests_to_a_live_server(
    loopback_server: tuple[str, list[str]],
) -> None:
    host, requests = loopback_server
    html = _REMOTE_HTML.format(h=host).replace("HTTPS://", "http://")
    result = sanitize_html(html)
    _naive_viewer_fetch(result.html)
    assert requests == []
    assert host not in result.html.replace(f'href="http://{host}/link-target"', "")
    # Control: the same viewer on the unsanitised mail does reach the server.
    _naive_viewer_fetch(html)
    assert "/pixel.gif" in requests and "/link.css" in requests


def test_allowed_remote_content_reaches_the_live_server(
    loopback_server: tuple[str, list[str]],
) -> None:
    host, requests = loopback_server
    _naive_viewer_fetch(sanitize_html(f'<img src="http://{host}/ok.png">', allow_remote=True).html)
    assert requests == ["/ok.png"]


_fragments = st.sampled_from([
    "<img src=", "<a href=", "<div style=", "<style>", "</style>", "url(", "http://evil.example/",
    "//evil.example/", "&#104;ttp://evil.example/", "javascript:", "\"", "'", ">", "<", "srcset=",
    " background=", "\\75 rl(", "/*", "*/", "<link href=", "<script>", "cid:x", " ", "\t", "\n",
    "@import ", "expression(", "<svg>", "<body ", "onerror=", "data:image/png;base64,AA",
    "image-set(", ")", ";", "}", "{", "\\",
])


@settings(max_examples=150, deadline=None)
@given(st.lists(_fragments, max_size=40).map("".join))
@example("<img src=cid:xjavascript:<style>")  # a cid: reference, not a script URL
def test_fuzzed_markup_never_yields_remote_loads_or_script(html: str) -> None:
    out = clean(html)
    finder = _ResourceFinder()
    finder.feed(out)
    finder.close()
    assert not any(_fetches_network(url) for url in finder.urls), (html, out)
    assert "script" not in finder.tags
    for name, value in finder.attributes:
        assert not name.startswith("on")
        if name == "style":
            assert "javascript:" not in value.lower()
        elif name in ("href", "src", "srcset", "background", "action"):
            # What matters is the scheme a browser would see: it drops whitespace and control
            # characters. "cid:xjavascript:" is a part reference, whatever its name says.
            candidates = value.split(",") if name == "srcset" else [value]
            for candidate in candidates:
                scheme = "".join(ch for ch in candidate.lower() if ch > " ")
                assert not scheme.startswith("javascript:"), (html, out)
    for css in finder.css:
        assert "expression(" not in css.lower() and "javascript:" not in css.lower()


def test_html_to_text_keeps_visible_text_in_reading_order() -> None:
    html = ("<html><head><title>T</title><style>p{color:red}</style></head><body>"
            "<h1>Hello&nbsp;there</h1><p>First   line<br>second &amp; last</p>"
            "<ul><li>one</li><li>two</li></ul><script>var hidden = 1;</script>"
            "<table><tr><td>a</td><td>b</td></tr></table>"
            "<pre>  keep\n  spacing</pre></body></html>")
    assert html_to_text(html) == (
        "Hello there\n\nFirst line\nsecond & last\n\n- one\n- two\n\na b\n\nkeep\nspacing"
    )


def test_html_to_text_survives_broken_markup() -> None:
    assert html_to_text("<p>unclosed <b>bold <i>text") == "unclosed bold text"
    assert html_to_text("") == ""
    assert html_to_text("a < b && c > d") == "a < b && c > d"


@pytest.mark.parametrize(
    "href",
    [
        "url(javascript:alert(1))",
        "foo/bar.html",
        "java\tscript:x",
        "//evil.example/x",
        "data:text/html,x",
    ],
)
def test_links_that_are_not_absolute_web_mail_or_phone_links_lose_their_target(href: str) -> None:
    out = clean(f'<a href="{href}">x</a>')
    assert "href" not in out


@pytest.mark.parametrize(
    "href", ["https://example.org/a?b=c", "mailto:bob@example.org", "tel:+123", "#section-2"]
)
def test_ordinary_links_stay_clickable(href: str) -> None:
    assert f'href="{href}"' in clean(f'<a href="{href}">x</a>')
