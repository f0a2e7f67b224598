"""A message written by compose_message reads back identically with parse_message."""

from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.core.addresses import Address
from mailapp.mime.compose import compose_message
from mailapp.mime.filenames import safe_filename
from mailapp.mime.parse import Attachment, parse_message

ME = Address("Jörg Müller", "joerg@example.org")
ANN = Address("Doe, Ann", "ann@example.com")
BOB = Address(None, "bob@example.net")
HIDDEN = Address("Secret Sam", "sam@example.net")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.4\n" + bytes(range(255, -1, -1)) + b"\n%%EOF\n"


def _attachment(name: str, content_type: str, data: bytes, cid: str | None = None,
                inline: bool = False) -> Attachment:
    return Attachment(name, content_type, len(data), cid, inline, data)


def test_full_message_round_trip() -> None:
    when = datetime(2026, 3, 14, 15, 9, 26, tzinfo=timezone(timedelta(hours=2)))
    raw = compose_message(
        ME, [ANN, BOB], cc=[Address("Zoë", "zoe@example.org")], bcc=[HIDDEN],
        subject="Grüße — café ☕ 日程", text_body="Hallo Ann,\n\nsiehe Anhang.\n— Jörg",
        html_body='<p>Hallo <b>Ann</b></p><img src="cid:logo@example.org">',
        attachments=[
            _attachment("logo.png", "image/png", PNG, cid="logo@example.org", inline=True),
            _attachment("Résumé 2026.pdf", "application/pdf", PDF),
        ],
        in_reply_to="parent@example.com", references=["root@example.com", "parent@example.com"],
        date=when, message_id="abc123@example.org",
    )
    parsed = parse_message(raw)
    assert parsed.notes == []
    assert parsed.subject == "Grüße — café ☕ 日程"
    assert parsed.sender == ME
    assert parsed.to == [ANN, BOB]
    assert parsed.cc == [Address("Zoë", "zoe@example.org")]
    assert parsed.date == when
    assert parsed.message_id == "abc123@example.org"
    assert parsed.in_reply_to == "parent@example.com"
    assert parsed.references == ["root@example.com", "parent@example.com"]
    assert parsed.text_body == "Hallo Ann,\n\nsiehe Anhang.\n— Jörg"
    assert parsed.html_body == '<p>Hallo <b>Ann</b></p><img src="cid:logo@example.org">'
    by_name = {a.filename: a for a in parsed.attachments}
    assert set(by_name) == {"logo.png", "Résumé 2026.pdf"}
    assert by_name["logo.png"].data == PNG
    assert by_name["logo.png"].content_id == "logo@example.org"
    assert by_name["logo.png"].inline
    assert by_name["Résumé 2026.pdf"].data == PDF
    assert by_name["Résumé 2026.pdf"].size == len(PDF)
    assert not by_name["Résumé 2026.pdf"].inline
    assert by_name["Résumé 2026.pdf"].content_type == "application/pdf"
    assert parsed.raw == raw


def test_bcc_recipients_never_appear_in_the_message() -> None:
    raw = compose_message(ME, [ANN], bcc=[HIDDEN], subject="s", text_body="b")
    assert b"sam@example.net" not in raw
    assert b"Secret Sam" not in raw
    assert parse_message(raw).bcc == []


def test_message_is_standard_rfc5322_with_crlf_and_generated_ids() -> None:
    raw = compose_message(ME, [ANN], subject="Hi", text_body="x", html_body="<p>x</p>")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.org>")
    assert msg["Date"].datetime.tzinfo is not None
    assert abs(msg["Date"].datetime - datetime.now(UTC)) < timedelta(minutes=5)
    assert msg["In-Reply-To"] is None


def test_two_messages_get_different_message_ids() -> None:
    first = parse_message(compose_message(ME, [ANN], subject="a", text_body="b"))
    second = parse_message(compose_message(ME, [ANN], subject="a", text_body="b"))
    assert first.message_id and second.message_id
    assert first.message_id != second.message_id


def test_internationalised_domain_is_sent_in_ascii_form() -> None:
    raw = compose_message(Address(None, "info@bücher.de"), [ANN], subject="s", text_body="b")
    assert parse_message(raw).sender == Address(None, "info@xn--bcher-kva.de")


def test_header_injection_through_subject_is_impossible() -> None:
    raw = compose_message(ME, [ANN], subject="Hello\r\nBcc: victim@example.com", text_body="b")
    parsed = parse_message(raw)
    assert parsed.bcc == []
    assert parsed.subject == "Hello Bcc: victim@example.com"


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r"),
                max_size=300)
_subject = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=120)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=_subject, text=_text, html=st.none() | _text,
       filenames=st.lists(st.text(max_size=80), max_size=3),
       blobs=st.lists(st.binary(max_size=300), min_size=3, max_size=3))
def test_round_trip_property(subject: str, text: str, html: str | None, filenames: list[str],
                             blobs: list[bytes]) -> None:
    attachments = [
        _attachment(safe_filename(name, "application/octet-stream", i + 1),
                    "application/octet-stream", blobs[i])
        for i, name in enumerate(filenames)
    ]
    raw = compose_message(ME, [ANN], subject=subject, text_body=text, html_body=html,
                          attachments=attachments)
    parsed = parse_message(raw)

    def body(value: str) -> str:
        return value.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")

    assert parsed.subject == " ".join(subject.split())
    assert parsed.text_body == body(text)
    assert parsed.html_body == (None if html is None else body(html))
    assert [(a.filename, a.data) for a in parsed.attachments] == [
        (a.filename, a.data) for a in attachments]
    assert parsed.notes == []
