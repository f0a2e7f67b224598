"""Links whose visible text names another site than the one they lead to.

A mail can show ``https://bank.example`` and link to ``https://bank.example.evil.test/login``.
When a link's whole text reads as a web address, a domain or an e-mail address, the site it names
is compared with the link's real target; a mismatch deserves a question before opening.
Prose link texts ("Read more") name no site and are never questioned.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

_MAX_TEXT = 2048
# The text of a link that reads as an address: optional scheme, optional user, host, rest.
_URL_TEXT = re.compile(
    r"(?:[a-z][a-z0-9+.-]*://)?(?:[^\s/@]+@)?(?P<host>[^\s/:?#@]+)(?::[0-9]{1,5})?(?:[/?#]\S*)?",
    re.IGNORECASE,
)
_EMAIL_TEXT = re.compile(r"(?:mailto:)?[^\s@/]+@(?P<host>[^\s@/?#]+)", re.IGNORECASE)
_TLD = re.compile(r"\.(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_IPV4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
# File names read as domains too ("report.pdf"); these endings are never real top-level domains.
_FILE_ENDINGS = frozenset({
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "txt", "csv", "jpg",
    "jpeg", "png", "gif", "webp", "heic", "svg", "html", "htm", "ics", "vcf", "eml", "rtf", "json",
    "xml", "mp3", "mp4", "wav",
})  # fmt: skip
_TRIM = " \t\r\n\u00a0<>()[]\"'“”‘’«».,;:!"


def _normal_host(host: str) -> str:
    host = host.strip().rstrip(".").lower()
    with contextlib.suppress(UnicodeError):  # one spelling for look-alike comparisons
        host = host.encode("idna").decode("ascii")
    return host.removeprefix("www.")


def shown_host(text: str) -> str | None:
    """The host a link's visible text names, when the whole text reads as an address."""
    text = text.strip(_TRIM)
    if not text or len(text) > _MAX_TEXT or any(ch.isspace() for ch in text):
        return None
    lowered = text.lower()
    has_scheme = lowered.startswith(("http://", "https://", "ftp://"))
    match = _EMAIL_TEXT.fullmatch(text) if "@" in text and not has_scheme else None
    match = match or _URL_TEXT.fullmatch(text)
    if match is None:
        return None
    host = _normal_host(match["host"])
    # Without a scheme, only something shaped like a domain counts ("v2.0" or "e.g" do not).
    if has_scheme or _IPV4.fullmatch(host):
        return host
    if _TLD.search(host) and host.rpartition(".")[2] not in _FILE_ENDINGS:
        return host
    return None


def target_host(href: str) -> str | None:
    """The host a link really leads to (the domain of a mailto: address)."""
    href = href.strip()
    if href.lower().startswith("mailto:"):
        address = href[7:].split("?", 1)[0].split(",", 1)[0]
        return _normal_host(address.rpartition("@")[2]) if "@" in address else None
    try:
        host = urlsplit(href).hostname
    except ValueError:
        return None
    return _normal_host(host) if host else None


def misleading_text(text: str, href: str) -> str | None:
    """The site the text shows, when it is not where ``href`` leads; None when they agree.

    A target on a subdomain of the shown site (``example.org`` leading to
    ``mail.example.org``) agrees: the same owner runs both.
    """
    shown = shown_host(text)
    if shown is None:
        return None
    target = target_host(href)
    if target is not None and (target == shown or target.endswith("." + shown)):
        return None
    return shown
