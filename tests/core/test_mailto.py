"""mailto: links as RFC 6068 defines them (its section 6 examples among them)."""

from __future__ import annotations

import pytest

from mailapp.core.mailto import MailtoLink, is_mailto, parse_mailto


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("mailto:chris@example.com", MailtoLink(to=["chris@example.com"])),
        (
            "mailto:infobot@example.com?subject=current-issue",
            MailtoLink(to=["infobot@example.com"], subject="current-issue"),
        ),
        (
            "mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
            MailtoLink(to=["infobot@example.com"], body="send current-issue\nsend index"),
        ),
        (
            "mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
            MailtoLink(to=["list@example.org"], in_reply_to="<3469A91.D10AF4C@example.com>"),
        ),
        (
            "mailto:joe@example.com?cc=bob@example.com&body=hello",
            MailtoLink(to=["joe@example.com"], cc=["bob@example.com"], body="hello"),
        ),
        (
            "mailto:?to=joe@example.com&cc=bob@example.com&body=hello",
            MailtoLink(to=["joe@example.com"], cc=["bob@example.com"], body="hello"),
        ),
        (
            "mailto:addr1@an.example,addr2@an.example",
            MailtoLink(to=["addr1@an.example", "addr2@an.example"]),
        ),
        (
            "mailto:?to=addr1@an.example,addr2@an.example",
            MailtoLink(to=["addr1@an.example", "addr2@an.example"]),
        ),
        (
            "mailto:addr1@an.example?to=addr2@an.example",
            MailtoLink(to=["addr1@an.example", "addr2@an.example"]),
        ),
        ("mailto:gorby%25kremvax@example.com", MailtoLink(to=["gorby%kremvax@example.com"])),
        ("mailto:Mike%26family@example.org", MailtoLink(to=["Mike&family@example.org"])),
        ("mailto:%22not%40me%22@example.org", MailtoLink(to=['"not@me"@example.org'])),
        # Non-ASCII: percent-encoded UTF-8, in the subject and the body.
        (
            "mailto:user@example.org?subject=caf%C3%A9&body=%E3%81%AF%E3%81%98%E3%82%81%E3%81%BE%E3%81%97%E3%81%A6",
            MailtoLink(to=["user@example.org"], subject="café", body="はじめまして"),
        ),
        # "+" is a plus sign, not a space (that is HTML forms); names are case-insensitive.
        ("MAILTO:a@example.org?SUBJECT=1+1=2", MailtoLink(to=["a@example.org"], subject="1+1=2")),
        # Headers a link must not set are ignored, and a subject holds no line breaks.
        (
            "mailto:a@example.org?from=boss@example.org&subject=a%0D%0AB&x-evil=1",
            MailtoLink(to=["a@example.org"], subject="a B"),
        ),
        ("mailto:", MailtoLink()),
    ],
)
def test_links_are_read_as_rfc_6068_says(link: str, expected: MailtoLink) -> None:
    assert parse_mailto(link) == expected


def test_other_text_is_not_a_link() -> None:
    assert not is_mailto("https://example.org") and not is_mailto("mail")
    with pytest.raises(ValueError):
        parse_mailto("http://example.org/?subject=x")
    with pytest.raises(ValueError):
        parse_mailto("mailto:a@example.org?body=" + "x" * 70_000)
