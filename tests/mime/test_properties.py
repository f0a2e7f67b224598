"""Properties of the one MIME implementation (issue 9 item 6, issue 13 header injection):
whatever is composed reads back field for field, no input makes the parser raise, and no text
gets a header of its own into a composed message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.mime.addresses import Address, header_text_problem
from mailapp.mime.compose import HeaderError, compose_message
from mailapp.mime.parse import Attachment, attachment_at, parse_message
from mailapp.mime.text import CONTROL

_ATEXT = "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-"
_local = st.text(st.sampled_from(_ATEXT), min_size=1, max_size=12).filter(
    lambda s: "=?" not in s)
_label = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=1,
                 max_size=10)
_email = st.builds(lambda local, labels: f"{local}@{'.'.join(labels)}.org", _local,
                   st.lists(_label, min_size=1, max_size=2))
# Display names as people write them: any printable text (quotes, commas, accents, emoji).
_name = st.none() | st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Cf", "Co", "Cn")),
    min_size=1, max_size=40,
).map(lambda s: " ".join(s.split()) or None).filter(lambda s: s is None or "=?" not in s)
_address = st.builds(Address, _name, _email)
_msgid = st.builds(lambda local, domain: f"{local}@{domain}.example", _local, _label)
_subject = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
                   max_size=100).filter(lambda s: "=?" not in s)
_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t"),
                max_size=200)
_date = st.builds(
    lambda seconds, offset: datetime(2000, 1, 1, tzinfo=timezone(timedelta(minutes=offset)))
    + timedelta(seconds=seconds),
    st.integers(0, 40 * 365 * 86400), st.integers(-12 * 60, 14 * 60),
)


def _attachments(draw_blobs: list[bytes], inline: list[bool]) -> list[Attachment]:
    return [
        Attachment(f"file-{i}.bin", "application/octet-stream", len(data),
                   f"part{i}@example.org" if cid else None, cid, data)
        for i, (data, cid) in enumerate(zip(draw_blobs, inline, strict=True))
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sender=_address, to=st.lists(_address, min_size=1, max_size=4),
       cc=st.lists(_address, max_size=3), bcc=st.lists(_address, max_size=2),
       subject=_subject, text=_text, html=st.none() | _text,
       blobs=st.lists(st.binary(max_size=200), max_size=3), data=st.data(),
       message_id=_msgid, parent=st.none() | _msgid, ancestors=st.lists(_msgid, max_size=5),
       when=_date)
def test_parse_of_compose_keeps_every_field(
    sender: Address, to: list[Address], cc: list[Address], bcc: list[Address], subject: str,
    text: str, html: str | None, blobs: list[bytes], data: st.DataObject, message_id: str,
    parent: str | None, ancestors: list[str], when: datetime,
) -> None:
    inline = data.draw(st.lists(st.booleans(), min_size=len(blobs), max_size=len(blobs)))
    attachments = _attachments(blobs, inline)
    raw = compose_message(sender, to, cc, bcc, subject, text, html, attachments, parent,
                          ancestors, when, message_id)
    parsed = parse_message(raw)

    assert parsed.notes == []
    assert parsed.sender == sender
    assert parsed.from_all == [sender]
    assert parsed.to == to
    assert parsed.cc == cc
    assert parsed.bcc == []  # Bcc travels in the envelope only
    assert parsed.subject == " ".join(subject.split())
    assert parsed.date == when
    assert parsed.message_id == message_id
    assert parsed.in_reply_to == parent
    assert parsed.references == ancestors
    assert parsed.text_body == text.rstrip("\n")
    assert parsed.html_body == (None if html is None else html.rstrip("\n"))
    if html is None:  # without HTML an inline part has no page to sit in: it stays a file
        expected = [(a.filename, a.data) for a in attachments]
    else:
        expected = [(a.filename, a.data) for a in attachments if a.inline] + [
            (a.filename, a.data) for a in attachments if not a.inline]
    assert [(a.filename, a.data) for a in parsed.attachments] == expected
    for found in parsed.attachments:
        assert found.part_id is not None
        fetched = attachment_at(raw, found.part_id)
        assert fetched is not None and fetched.data == found.data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_nothing_raises_on_arbitrary_bytes(raw: bytes) -> None:
    parsed = parse_message(raw)
    # Header text comes out as one clean line: safe to show, to store, to reply to.
    for text in [parsed.subject, *(a.email for a in parsed.to + parsed.cc + parsed.from_all),
                 *(a.name or "" for a in parsed.to + parsed.cc + parsed.from_all)]:
        assert header_text_problem(text) is None
    for index in range(8):
        attachment_at(raw, str(index))


_part_header = st.sampled_from([
    b"Content-Type: multipart/mixed; boundary=b", b"Content-Type: multipart/alternative;"
    b" boundary=b", b"Content-Type: message/rfc822", b"Content-Type: text/plain; charset=x",
    b"Content-Disposition: attachment", b"Content-Transfer-Encoding: base64",
    b"Content-Type: message/delivery-status", b"Subject: =?utf-8?q?a=0D=0Ab?=",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.lists(_part_header, max_size=3), st.binary(max_size=40),
                          st.sampled_from([b"--b\r\n", b"--b--\r\n", b"\r\n", b""])),
                max_size=12))
def test_nothing_raises_on_arbitrary_mime_structure(pieces: list[tuple[list[bytes], bytes,
                                                                         bytes]]) -> None:
    raw = b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
    for fields, body, tail in pieces:
        raw += b"".join(f + b"\r\n" for f in fields) + b"\r\n" + body + b"\r\n" + tail
    parsed = parse_message(raw)
    assert parsed.raw == raw
    for index in range(len(pieces) + 2):
        attachment_at(raw, str(index))


_hostile = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.builds(
    lambda head, word, tail: f"{head}=?utf-8?q?{word}?={tail}",
    st.text(max_size=5), st.sampled_from(["Bob=0D=0AReply-To:_evil@evil.example", "a=0Ab",
                                          "x=0D", "=E2=80=A8Bcc:_x@y.example", "ok"]),
    st.text(max_size=5))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_hostile, subject=_hostile, reference=_hostile)
def test_composed_headers_are_exactly_the_ones_meant(name: str, subject: str,
                                                     reference: str) -> None:
    to = Address(name or None, "bob@example.org")
    try:
        raw = compose_message(Address(None, "me@example.org"), [to], subject=subject,
                              text_body="x", references=[reference])
    except HeaderError:
        # Refused, and only for text that would break a header once decoded.
        single_line_subject = " ".join(CONTROL.sub("", subject).split())
        assert header_text_problem(name) or header_text_problem(single_line_subject)
        return
    written = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    fields = [key.lower() for key in written]
    assert sorted(set(fields) - {"references"}) == sorted(
        ["from", "to", "subject", "date", "message-id", "content-type",
         "content-transfer-encoding", "mime-version"])
    assert len(fields) == len(set(fields))
    assert [a.addr_spec for a in written["to"].addresses] == ["bob@example.org"]
    assert datetime.now(UTC) - written["date"].datetime < timedelta(minutes=5)
