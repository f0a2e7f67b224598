"""mailto: links (RFC 6068), as a browser or another program hands them to `mailapp`."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

SCHEME = "mailto"
# The header fields a link may fill in. Others (From, Reply-To, arbitrary headers) are ignored,
# as RFC 6068 section 6 advises: a link must not make the user send what they cannot see.
_ADDRESS_FIELDS = ("to", "cc", "bcc")
MAX_LINK_CHARS = 64 * 1024  # a body longer than this is not a link anyone meant to click


@dataclass(frozen=True)
class MailtoLink:
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    in_reply_to: str = ""


def is_mailto(text: str) -> bool:
    return text[: len(SCHEME) + 1].lower() == f"{SCHEME}:"


def _decode(text: str) -> str:
    # Percent-encoded UTF-8; "+" is a plus sign in mailto: (not a space as in HTML forms).
    return unquote(text, encoding="utf-8", errors="replace")


def _addresses(text: str) -> list[str]:
    # Split before decoding: an encoded comma ("%2C") may be part of a quoted name.
    return [_decode(part).strip() for part in text.split(",") if _decode(part).strip()]


def parse_mailto(link: str) -> MailtoLink:
    """The fields of a mailto: link; ValueError when it is not one (or absurdly long)."""
    if not is_mailto(link):
        raise ValueError("not a mailto: link")
    if len(link) > MAX_LINK_CHARS:
        raise ValueError("the mailto: link is too long")
    parts = urlsplit(link)
    found: dict[str, list[str]] = {name: [] for name in _ADDRESS_FIELDS}
    found["to"] += _addresses(parts.path)
    texts: dict[str, str] = {}
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        name = _decode(name).strip().lower()
        if name in _ADDRESS_FIELDS:
            found[name] += _addresses(value)
        elif name in ("subject", "body", "in-reply-to") and name not in texts:
            texts[name] = _decode(value)
    body = texts.get("body", "").replace("\r\n", "\n")  # line breaks are %0D%0A in links
    return MailtoLink(
        to=found["to"],
        cc=found["cc"],
        bcc=found["bcc"],
        subject=" ".join(texts.get("subject", "").split()),  # no line breaks in a subject
        body=body,
        in_reply_to=texts.get("in-reply-to", "").strip(),
    )
