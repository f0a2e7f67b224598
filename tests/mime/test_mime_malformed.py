"""Broken mail never crashes the reader: it is shown as well as possible, with a visible note."""

from email import message_from_bytes, policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.core.addresses import Address
from mailapp.mime.parse import parse_message

HEAD = b"From: Ann <ann@example.org>\r\nTo: me@example.org\r\nSubject: Test\r\n"


def test_empty_input_gives_an_empty_message_with_a_note() -> None:
    for raw in (b"", b"\r\n\r\n  "):
        parsed = parse_message(raw)
        assert parsed.subject == ""
        assert parsed.sender is None
        assert parsed.notes == ["The message is empty."]


def test_truncated_multipart_keeps_what_arrived_and_says_so() -> None:
    raw = (HEAD + b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n'
           b"--XX\r\nContent-Type: text/plain\r\n\r\nHello there\r\n"
           b"--XX\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
           b'Content-Disposition: attachment; filename="report.pdf"\r\n\r\nJVBERi0xLj')
    parsed = parse_message(raw)
    assert parsed.subject == "Test"
    assert parsed.text_body == "Hello there"
    assert [a.filename for a in parsed.attachments] == ["report.pdf"]
    assert any("truncated" in note for note in parsed.notes)


def test_multipart_without_boundary_is_shown_as_raw_text() -> None:
    raw = HEAD + b"Content-Type: multipart/mixed\r\n\r\nThe whole body\r\nis here\r\n"
    parsed = parse_message(raw)
    assert parsed.text_body == "The whole body\nis here"
    assert any("no boundary" in note for note in parsed.notes)


def test_boundary_that_never_appears_shows_raw_text() -> None:
    raw = HEAD + b'Content-Type: multipart/alternative; boundary="nope"\r\n\r\nJust text\r\n'
    parsed = parse_message(raw)
    assert parsed.text_body is not None and "Just text" in parsed.text_body
    assert any("boundary" in note for note in parsed.notes)


def test_bad_base64_body_is_decoded_leniently_with_a_note() -> None:
    raw = (HEAD + b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           b"SGVsbG8gd29ybGQ!!!*\r\n")
    parsed = parse_message(raw)
    assert parsed.text_body == "Hello world"
    assert any("base64" in note for note in parsed.notes)


def test_unknown_charset_falls_back_and_says_so() -> None:
    raw = (HEAD.replace(b"Subject: Test", b"Subject: =?x-klingon?Q?caf=C3=A9?=")
           + b"Content-Type: text/plain; charset=x-klingon\r\n\r\ncaf\xc3\xa9 \xe2\x82\xac5\r\n")
    parsed = parse_message(raw)
    assert parsed.text_body == "café €5"
    assert any("x-klingon" in note for note in parsed.notes)


@pytest.mark.parametrize("charset", [b"base64", b"rot13", b"zlib", b"x-klingon", b'"'])
def test_non_text_codec_names_as_charset_do_not_lose_the_message(charset: bytes) -> None:
    raw = HEAD + b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\nhello\r\n"
    parsed = parse_message(raw)
    assert parsed.subject == "Test"
    assert parsed.text_body == "hello"


def test_latin1_text_mislabelled_as_utf8_is_still_readable() -> None:
    raw = HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\nR\xe9sum\xe9\r\n"
    parsed = parse_message(raw)
    assert parsed.text_body is not None and parsed.text_body.startswith("R")
    assert any("not valid utf-8" in note for note in parsed.notes)


def test_utf8_mislabelled_as_ascii_is_decoded_silently() -> None:
    raw = HEAD + b"Content-Type: text/plain; charset=us-ascii\r\n\r\nna\xc3\xafve\r\n"
    parsed = parse_message(raw)
    assert parsed.text_body == "naïve"
    assert parsed.notes == []


def test_headers_with_nul_and_8bit_garbage_are_cleaned_and_noted() -> None:
    raw = (b"From: \xff\xfe Garbage <g@example.org>\r\nTo: me@example.org\r\n"
           b"Subject: caf\xc3\xa9\x00 menu\x07\r\n\r\nbody\r\n")
    parsed = parse_message(raw)
    assert parsed.subject == "café menu"
    assert parsed.sender is not None and parsed.sender.email == "g@example.org"
    assert "\x00" not in repr(parsed) and "\\udc" not in repr(parsed.sender)
    assert any("control characters" in note for note in parsed.notes)
    assert any("From" in note for note in parsed.notes)


def test_raw_utf8_headers_are_read_without_complaint() -> None:
    raw = ("From: Zoë <zoe@example.org>\r\nSubject: Grüße\r\n\r\nHi\r\n").encode()
    parsed = parse_message(raw)
    assert parsed.sender == Address("Zoë", "zoe@example.org")
    assert parsed.subject == "Grüße"
    assert parsed.notes == []


def test_unparsable_address_and_date_headers_do_not_lose_the_message() -> None:
    raw = b"From: ann@\r\nTo: x@\r\nDate: the day after tomorrow\r\nSubject: Hi\r\n\r\nbody\r\n"
    parsed = parse_message(raw)
    assert parsed.subject == "Hi"
    assert parsed.text_body == "body"
    assert parsed.date is None
    assert any("Date" in note for note in parsed.notes)


def test_date_without_zone_is_treated_as_utc() -> None:
    raw = HEAD + b"Date: Tue, 3 Mar 2026 10:00:00 -0000\r\n\r\nbody\r\n"
    parsed = parse_message(raw)
    assert parsed.date is not None and parsed.date.tzinfo is not None
    assert parsed.date.isoformat() == "2026-03-03T10:00:00+00:00"


def test_binary_junk_is_shown_as_text_with_a_note() -> None:
    parsed = parse_message(bytes(range(256)) * 3)
    assert parsed.notes
    assert parsed.text_body is not None
    assert "\x00" not in parsed.text_body


def test_attached_message_stays_one_eml_attachment() -> None:
    inner = b"From: b@example.org\r\nSubject: Inner\r\n\r\nInner body\r\n"
    raw = (HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
           b"--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
           b"--B\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"--B--\r\n")
    parsed = parse_message(raw)
    assert parsed.text_body == "See attached."
    assert len(parsed.attachments) == 1
    attachment = parsed.attachments[0]
    assert attachment.filename == "attachment-1.eml"
    assert attachment.content_type == "message/rfc822"
    assert parse_message(attachment.data).subject == "Inner"


def test_attachment_names_from_mail_are_made_safe() -> None:
    raw = (HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
           b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n"
           b'--B\r\nContent-Type: application/octet-stream\r\n'
           b'Content-Disposition: attachment; filename="../../.bashrc"\r\n\r\nevil\r\n'
           b'--B\r\nContent-Type: image/png\r\nContent-Disposition: attachment\r\n\r\nx\r\n'
           b"--B--\r\n")
    names = [a.filename for a in parse_message(raw).attachments]
    assert names == ["bashrc", "attachment-2.png"]


def test_encoded_word_subject_and_names_are_decoded() -> None:
    raw = (b"From: =?iso-8859-1?q?J=F6rg_M=FCller?= <j@example.org>\r\n"
           b"Subject: =?utf-8?b?w4ljaGFuZ2Ugw6AgMTDigqw=?= =?utf-8?q?_=E2=9C=93?=\r\n\r\nx\r\n")
    parsed = parse_message(raw)
    assert parsed.sender == Address("Jörg Müller", "j@example.org")
    assert parsed.subject == "Échange à 10€ ✓"


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert isinstance(parsed.subject, str)
    stdlib_defects = [d for part in message_from_bytes(raw, policy=policy.default).walk()
                      for d in part.defects] if raw.strip() else []
    if stdlib_defects or not raw.strip():
        assert parsed.notes


_header_line = st.sampled_from([b"From: ", b"To: ", b"Cc: ", b"Subject: ", b"Date: ",
                                b"Content-Type: text/plain; charset=", b"Content-ID: ",
                                b"Message-ID: ", b"References: ", b"Content-Type: ",
                                b"Content-Transfer-Encoding: ", b"Content-Disposition: "])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_header_line, st.binary(max_size=60)), max_size=8),
       st.binary(max_size=400))
def test_garbage_header_values_never_raise(headers: list[tuple[bytes, bytes]],
                                           body: bytes) -> None:
    raw = b"".join(name + value.replace(b"\n", b" ") + b"\r\n" for name, value in headers)
    parsed = parse_message(raw + b"\r\n" + body)
    for text in (parsed.subject, parsed.text_body or "", parsed.html_body or ""):
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogates: everything can be stored and displayed
    for address in [*parsed.to, *parsed.cc, *([parsed.sender] if parsed.sender else [])]:
        str(address).encode("utf-8")


def _sample_message() -> bytes:
    from mailapp.mime.compose import compose_message
    from mailapp.mime.parse import Attachment

    return compose_message(
        Address("Ann", "ann@example.org"), [Address(None, "me@example.org")],
        subject="Grüße", text_body="Plain body", html_body='<p>Hi <img src="cid:c1"></p>',
        attachments=[Attachment("a.png", "image/png", 4, "c1", True, b"\x89PNG"),
                     Attachment("ü.pdf", "application/pdf", 5, None, False, b"%PDF-")],
        in_reply_to="p@example.org", references=["r@example.org", "p@example.org"],
    )


def test_message_cut_off_anywhere_still_parses() -> None:
    raw = _sample_message()
    for end in range(0, len(raw), 7):
        parsed = parse_message(raw[:end])
        assert isinstance(parsed.notes, list)
        if end > len(raw) // 2:
            assert parsed.subject == "Grüße"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=4)),
                min_size=1, max_size=6))
def test_corrupted_bytes_in_a_real_message_never_raise(edits: list[tuple[int, bytes]]) -> None:
    raw = bytearray(_sample_message())
    for position, replacement in edits:
        at = position % len(raw)
        raw[at:at + len(replacement)] = replacement
    parsed = parse_message(bytes(raw))
    for attachment in parsed.attachments:
        assert "/" not in attachment.filename and attachment.filename
        assert attachment.size == len(attachment.data)


def test_8bit_and_rfc2231_garbage_in_filenames_gives_safe_names() -> None:
    raw = (HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
           b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n"
           b"--B\r\nContent-Type: application/pdf\r\n"
           b'Content-Disposition: attachment; filename="r\xe9sum\xc3\xa9\x00.pdf"\r\n\r\nx\r\n'
           b"--B\r\nContent-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename*=bogus''%ff%fe%00.pdf\r\n\r\nx\r\n"
           b"--B--\r\n")
    names = [a.filename for a in parse_message(raw).attachments]
    assert len(names) == 2
    for name in names:
        name.encode("utf-8")
        assert name.endswith(".pdf") and "\x00" not in name
