"""Reading a message's header fields and its content separately (what the upstream import
does: headers first, bodies later) finds exactly what one whole parse finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.mime.parse import ParsedMessage, parse_header_block, parse_message
from tests.imap.messages import message
from tests.server import mime_samples

HEADER_FIELDS = ("message_id", "subject", "sender", "to", "cc", "bcc", "reply_to", "date",
                 "in_reply_to", "references", "from_all", "sender_header")
_HEADER_END = re.compile(rb"\r?\n\r?\n")

SAMPLES = [
    *(message(index) for index in (0, 1, 2, 5, 7, 35)),  # plain, HTML, attachments, both
    mime_samples.POSTFIX_BOUNCE,
    mime_samples.BOUNCE_WITHOUT_BOUNDARY,
    mime_samples.REPORT_TEXT_AS_ATTACHMENT,
    mime_samples.RELATED_IMAGE_FIRST,
    mime_samples.RELATED_INSIDE_ALTERNATIVE,
    mime_samples.TEXT_ONLY_IN_ATTACHMENT,
    mime_samples.SINGLE_PART_ATTACHMENT,
    b"Subject: =?utf-8?q?caf=C3=A9?= =?utf-8?q?_au_lait?=\r\nFrom: =?iso-8859-1?q?J=F6rg?= "
    b"<j@example.org>\r\nDate: 31 Feb 2026 25:00 +0000\r\nTo: ;;, @@\r\n\r\nbody\r\n",
    b"From: a@example.org\r\nSubject: raw \xc3\xa9 \x00 8-bit\r\nMessage-ID: no brackets@x\r\n"
    b"References: <a@x> <b@x>\r\nIn-Reply-To: <b@x>\r\nContent-Type: multipart/mixed\r\n\r\n"
    b"no boundary\r\n",
]


def header_block(raw: bytes) -> bytes:
    """What IMAP's BODY[HEADER] gives: the header block with its blank line."""
    found = _HEADER_END.search(raw)
    return raw[: found.end()] if found else raw


def fields(parsed: ParsedMessage, names: tuple[str, ...]) -> dict[str, object]:
    return {name: getattr(parsed, name) for name in names}


def content(parsed: ParsedMessage) -> tuple[object, ...]:
    return (parsed.text_body, parsed.html_body, parsed.summary(256),
            [(a.part_id, a.filename, a.content_type, a.size, a.inline, a.data)
             for a in parsed.attachments])


@pytest.mark.parametrize("raw", SAMPLES)
def test_header_block_alone_gives_the_header_fields_of_the_whole_message(raw: bytes) -> None:
    whole = parse_message(raw)
    assert fields(parse_header_block(header_block(raw)), HEADER_FIELDS) == fields(
        whole, HEADER_FIELDS
    )
    assert content(parse_message(raw, read_headers=False)) == content(whole)


_header_line = st.sampled_from([b"From: ", b"To: ", b"Cc: ", b"Reply-To: ", b"Sender: ",
                                b"Subject: ", b"Date: ", b"Message-ID: ", b"References: ",
                                b"In-Reply-To: ", b"Content-Type: "])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_header_line, st.binary(max_size=60)), max_size=8))
def test_garbage_headers_read_alone_read_the_same(lines: list[tuple[bytes, bytes]]) -> None:
    block = b"".join(name + value.replace(b"\n", b" ") + b"\r\n" for name, value in lines)
    raw = block + b"\r\nbody\r\n"
    assert fields(parse_header_block(header_block(raw)), HEADER_FIELDS) == fields(
        parse_message(raw), HEADER_FIELDS
    )
