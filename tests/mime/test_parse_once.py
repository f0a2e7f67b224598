"""Reading a message's header fields and its content separately (what the upstream import
does: headers first, bodies later) finds exactly what one whole parse finds."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailapp.mime import headers
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


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(_header_line, st.binary(max_size=60)), max_size=8))
def test_garbage_headers_read_alone_read_the_same(lines: list[tuple[bytes, bytes]]) -> None:
    block = b"".join(name + value.replace(b"\n", b" ") + b"\r\n" for name, value in lines)
    raw = block + b"\r\nbody\r\n"
    assert fields(parse_header_block(header_block(raw)), HEADER_FIELDS) == fields(
        parse_message(raw), HEADER_FIELDS
    )


# -- the header shortcuts against the stdlib's own parse ----------------------------------------


def _stdlib_header(msg: Message, name: str, notes: list[str]) -> str | None:
    """headers.header as it was before its shortcut: always through the parse policy."""
    try:
        value = msg[name]
    except Exception:
        value = headers.raw_header(msg, name)
        if value is not None:
            notes.append(f"The {name} header is malformed and is shown as sent.")
    return None if value is None else headers.clean_text(str(value), name, notes)


def _stdlib_date(msg: Message, notes: list[str]) -> datetime | None:
    """headers.date's reading before its shortcut: the parse policy's DateHeader."""
    try:
        value_header = msg["date"]
        value = value_header.datetime if value_header is not None else None
    except Exception:
        value = None
        value_header = headers.raw_header(msg, "date")
    if value_header is None:
        return None
    if value is None:
        try:
            value = parsedate_to_datetime(str(value_header))
        except Exception:
            notes.append("The Date header could not be read, so the date is unknown.")
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        notes.append("The Date header is out of range, so the date is unknown.")
        return None
    return value


def _message(name: bytes, value: bytes) -> Message:
    return BytesParser(policy=headers.PARSE_POLICY).parsebytes(
        name + b": " + value + b"\r\n\r\n", headersonly=True
    )


_value_bytes = st.one_of(
    st.binary(max_size=50),
    st.lists(st.sampled_from([b"a", b"Z", b"0", b" ", b"\t", b"\r\n ", b"=?", b"?=", b"<", b">",
                              b"@", b".", b"(", b")", b'"', b"\\", b"=?utf-8?q?x?=", b"\xc3\xa9",
                              b"-", b"_", b"!", b"+", b"Mon, ", b"2 Nov 2026 ", b"10:00:00 ",
                              b"+0000", b"-0000", b"+9999999999", b"Feb 31", b",", b"\x00",
                              b"=?utf-8?b?w6k=?=", b"=?iso-8859-1?q?J=F6rg?=", b"=?UTF-8?Q?a_b?=",
                              b"=?utf-8?q?=E2=9C=93?=", b"=?bogus?q?x?=", b"=?utf-8?x?y?=",
                              b"=?utf-8?q?=ZZ?=", b"=?utf-8*en?q?a?=", b"=?utf-8?b?!!?=",
                              b"=?utf-8?b?/w==?=", b"=?utf-8?q??=", b"=?utf-8?q?a?b?=",
                              b"=?us-ascii?q?=FF?=", b"\xff", b"\x0b", b"\x1c"]),
             max_size=12).map(b"".join),
)


# Fuzzed far longer while writing the shortcut (60,000 values, no difference); kept short here.
@settings(max_examples=300, deadline=None)
@example(b"Message-ID", b"<a.b@c.example>")
@example(b"Message-ID", b"<a@b> (comment)")
@example(b"Message-ID", b"<a..b@c>")
@example(b"Message-ID", b"<a@[1.2.3.4]>")
@example(b"Subject", b"plain words\r\n folded")
@example(b"Subject", b"=?utf-8?q?caf=C3=A9?=")
@example(b"References", b"<a@b>\r\n <c@d>")
@example(b"Subject", b"=?utf-8?q?a?= =?utf-8?q?b?= c =?utf-8?q?d?=\t=?utf-8?b?w6k=?=")
@example(b"Subject", b"x=?utf-8?q?a?= =?utf-8?q?b?=y")
@example(b"Subject", b" =?utf-8?q?a?=  ")
@example(b"Subject", b"\x0b")
@given(st.sampled_from([b"Subject", b"In-Reply-To", b"References", b"Content-ID",
                        b"Message-ID"]), _value_bytes)
def test_plain_headers_read_without_the_parser_read_as_the_parser_reads_them(
    name: bytes, value: bytes
) -> None:
    msg = _message(name, value)
    fast_notes: list[str] = []
    slow_notes: list[str] = []
    assert headers.header(msg, name.decode(), fast_notes) == _stdlib_header(
        msg, name.decode(), slow_notes
    )
    assert fast_notes == slow_notes


@settings(max_examples=200, deadline=None)
@example(b"Mon, 2 Nov 2026 10:00:00 +0000")
@example(b"Mon, 2 Nov 2026 10:00:00 -0000")
@example(b"Mon, 2 Nov 2026\r\n 10:00:00 +0100")
@example(b"2 Nov 2026 10:00:00 +9999999999")
@example(b"31 Feb 2026 10:00:00 +0000")
@example(b"1 Jan 0001 00:00:00 +0100")
@example(b"Mon\xc3\xa9, 2 Nov 2026 10:00:00 +0000")
@example(b"")
@example(b"Mon,\x0b2 Nov 2026 10:00:00 +0000")
@given(_value_bytes)
def test_dates_read_without_the_date_header_object_read_the_same(value: bytes) -> None:
    msg = _message(b"Date", value)
    fast_notes: list[str] = []
    slow_notes: list[str] = []
    assert headers.date(msg, fast_notes) == _stdlib_date(msg, slow_notes)
    assert fast_notes == slow_notes
