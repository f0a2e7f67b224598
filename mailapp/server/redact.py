"""Database and relay URLs with their secrets hidden, for messages, `config` and the banner.

Administrators paste passwords into URLs without percent-encoding them, so a password may hold
`/`, `#`, `?`, `&`, `:` or even `@`. `urlsplit` then ends the userinfo early and would print the
rest of the password as path or fragment; SQLAlchemy's URL splits at the first `@`. So:

- hosts never contain `@`: everything between `://` and the *last* `@` is userinfo, and all of
  it after the first `:` is hidden;
- from a secret query parameter (`password=`, …) to the end of the URL everything is hidden,
  since an unencoded `&` or `#` would otherwise end the value early.

At worst a little too much is hidden, never a piece of a password shown.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

HIDDEN = "***"
# libpq and SMTP URLs can carry secrets in the query string as well as in the userinfo.
SECRET_QUERY_KEYS = ("password", "passwd", "pass", "pwd", "sslpassword", "secret", "token", "key")
_SECRET_PARAM = re.compile(r"(?i)([?&](?:" + "|".join(SECRET_QUERY_KEYS) + r")=)(.*)$", re.DOTALL)


def _secret_spans(url: str) -> list[tuple[int, int]]:
    """Where the secrets are, under every reading of the URL (merged, in order)."""
    start = url.find("://")
    if start < 0:
        return []
    start += 3
    spans = []
    at = url.rfind("@", start)
    colon = url.find(":", start, at) if at >= 0 else -1
    if colon >= 0:
        spans.append((colon + 1, at))
    match = _SECRET_PARAM.search(url, start)
    if match:
        spans.append((match.start(2), len(url)))
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def redact_url(url: str | None) -> str | None:
    """The URL with its password (userinfo or query parameter) replaced by ***."""
    if not url:
        return url
    if "://" not in url:  # not a URL we understand: show nothing that could be a secret
        return HIDDEN if ("@" in url or ":" in url) else url
    shown, last = [], 0
    for begin, end in _secret_spans(url):
        shown += [url[last:begin], HIDDEN]
        last = end
    return "".join([*shown, url[last:]])


def _secrets_of(url: str) -> list[str]:
    found = []
    for begin, end in _secret_spans(url):
        value = url[begin:end]
        found += [value, value.split("&", 1)[0].split("#", 1)[0], value.split("@", 1)[0]]
    return found


def scrub(text: str, *urls: str | None) -> str:
    """`text` (say, a driver's error message) with each URL and its passwords hidden."""
    for url in urls:
        if not url:
            continue
        text = text.replace(url, redact_url(url) or "")
        secrets = {form for secret in _secrets_of(url) for form in (secret, unquote(secret))}
        for secret in sorted(secrets, key=len, reverse=True):
            if len(secret) >= 3:  # shorter ones would blank unrelated words
                text = text.replace(secret, HIDDEN)
    return text
