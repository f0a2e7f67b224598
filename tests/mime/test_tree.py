"""tree.py builds exactly the stdlib parser's tree, or declines; its light MIME header values
answer as the stdlib's header objects do; parse_message reads the same either way."""

from __future__ import annotations

from email.feedparser import BytesFeedParser
from email.message import EmailMessage, Message
from email.parser import BytesParser
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailapp.mime import bounded as bounded_module
from mailapp.mime import tree
from mailapp.mime.headers import PARSE_POLICY
from mailapp.mime.parse import parse_header_block, parse_message
from tests.imap.messages import message
from tests.mime.test_parse_once import SAMPLES, header_block
from tests.server import mime_samples


def _stdlib(raw: bytes) -> EmailMessage:
    parser = BytesFeedParser(policy=PARSE_POLICY)
    parser.feed(raw)
    msg = parser.close()
    assert isinstance(msg, EmailMessage)
    return msg


def _shape(msg: Message) -> Any:
    payload = msg.get_payload()
    inner = [_shape(p) for p in payload] if msg.is_multipart() else payload
    return (
        list(msg._headers),  # type: ignore[attr-defined]
        msg.get_default_type(),
        [type(d).__name__ for d in msg.defects],
        msg.get_unixfrom(),
        inner,
    )


def _same_tree(raw: bytes) -> bool:
    """True when tree.py built the tree (and it is the stdlib's), False when it declined."""
    built = tree.message_tree(raw)
    if built is None:
        return False
    assert _shape(built) == _shape(_stdlib(raw))
    return True


def _parsed(raw: bytes, *, slow: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        if slow:
            patch.setattr(bounded_module, "message_tree", lambda _raw: None)
        parsed = parse_message(raw)
    return (
        {k: v for k, v in vars(parsed).items() if k != "attachments"},
        [vars(a) for a in parsed.attachments],
    )


CORPUS = [
    *SAMPLES,
    *(message(index) for index in range(40)),
    *(message(index, attachment=True) for index in (3, 5)),
    *(value for name, value in vars(mime_samples).items() if name.isupper()
      and isinstance(value, bytes)),
]


@pytest.mark.parametrize("raw", CORPUS)
def test_real_messages_get_the_stdlib_tree_and_read_the_same(
    raw: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _same_tree(raw)
    assert _parsed(raw, slow=False, monkeypatch=monkeypatch) == _parsed(
        raw, slow=True, monkeypatch=monkeypatch
    )


def test_the_generated_mail_is_built_here() -> None:
    # What the import benchmark and most real mail look like: not declined.
    assert all(_same_tree(message(index)) for index in range(40))


# -- generated structures, plain and damaged ---------------------------------------------------

_eol = st.sampled_from(["\r\n", "\n"])
_ctype = st.sampled_from(
    ["text/plain", "text/html", "TEXT/Plain", "application/octet-stream", "image/png",
     "text/plain; charset=utf-8", 'text/plain; charset="iso-8859-1"', "text/plain;charset=bogus",
     'text/html; charset="utf-8"; format=flowed', "text/plain; charset=utf-8;",
     'application/pdf; name="r\u00e9sum\u00e9.pdf"', 'application/pdf; name="a (1);b.pdf"',
     "application/pdf; name*=utf-8''a%20b.pdf", 'text/plain; name="=?utf-8?q?caf=C3=A9?="',
     "text/plain (comment); charset=utf-8", "message/rfc822", "message/delivery-status",
     "text", "text/plain/x", "", "text/plain; charset=us-ascii"]
)
_disposition = st.sampled_from(
    [None, "inline", "attachment", 'attachment; filename="data.bin"', "Attachment;filename=a.b",
     'attachment; filename="=?utf-8?q?caf=C3=A9.txt?="', "attachment; filename*=utf-8''x%20y",
     'inline; filename="a\\"b.txt"', "attachment (x)"]
)
_cte = st.sampled_from([None, "7bit", "8bit", "base64", "quoted-printable", "Base64", "BASE64 ",
                        "binary", "x-uuencode", "bogus"])
_body = st.sampled_from(
    ["Hello", "", "caf\u00e9 \u2713", "=C3=A9t=C3=A9=\r\nsoft", "aGVsbG8gd29ybGQ=", "aGVsbG8",
     "--not-a-boundary", "line one\r\nline two", "From the start", " leading space",
     "\r\n\r\nblank lines", "=?utf-8?q?x?=", "trailing\r\n"]
)


@st.composite
def _entity(draw: st.DrawFn, depth: int = 0) -> str:
    eol = draw(_eol)
    lines: list[str] = []
    if draw(st.integers(0, 5)) < 5 or depth == 0:
        multipart = depth < 3 and draw(st.integers(0, 1 + depth)) == 0
        if multipart:
            sub = draw(st.sampled_from(["mixed", "alternative", "related", "digest", "Mixed"]))
            boundary = draw(
                st.sampled_from([f"b{depth}", f"=={depth}==", f"b{depth}", f"b{depth} x", "b0"])
            )
            quoted = draw(st.booleans())
            b = f'"{boundary}"' if quoted else boundary
            lines.append(f"Content-Type: multipart/{sub};{draw(_eol)} boundary={b}")
            if draw(st.integers(0, 5)) == 0:
                lines.append(f"Content-Transfer-Encoding: {draw(_cte)}")
            head = eol.join(lines) + eol + eol
            parts = draw(st.lists(_entity(depth + 1), min_size=draw(st.sampled_from([0, 1, 1])),
                                  max_size=3))
            preamble = draw(st.sampled_from(["", "preamble" + eol, "This is MIME." + eol + eol]))
            closing = draw(st.sampled_from(["--"] * 6 + ["-- ", "", None]))
            out = head + preamble
            for part in parts:
                suffix = draw(st.sampled_from([""] * 6 + [" ", " x"]))
                out += f"--{boundary}{suffix}{eol}{part}{eol}"
            if closing is not None:
                out += f"--{boundary}{closing}{eol}"
            out += draw(st.sampled_from(["", "epilogue" + eol, eol]))
            return out
        ctype = draw(_ctype)
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        disposition = draw(_disposition)
        if disposition:
            lines.append(f"Content-Disposition: {disposition}")
        cte = draw(_cte)
        if cte:
            lines.append(f"Content-Transfer-Encoding: {cte}")
        if draw(st.integers(0, 4)) == 0:
            lines.append("Content-ID: <part@example.org>")
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["From nobody", ": no name", " continued",
                                               "X-Folded: a" + eol + "\tb", "Not a header"])))
    separator = draw(st.sampled_from([eol] * 5 + [""]))
    body = eol.join(draw(st.lists(_body, max_size=3)))
    return eol.join(lines) + eol + separator + body if lines else separator + body


@settings(max_examples=500, deadline=None)
@example("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n")
@example("Content-Type: text/plain\r\n\r\nbare\rcr")
@given(_entity())
def test_generated_messages_get_the_stdlib_tree_or_none(text: str) -> None:
    raw = ("Subject: t\r\n" + text).encode("utf-8", "surrogateescape")
    _same_tree(raw)


@settings(max_examples=150, deadline=None)
@given(_entity())
def test_generated_messages_read_the_same(text: str) -> None:
    raw = ("From: a@example.org\r\n" + text).encode("utf-8")
    with pytest.MonkeyPatch.context() as patch:
        assert _parsed(raw, slow=False, monkeypatch=patch) == _parsed(
            raw, slow=True, monkeypatch=patch
        )


# -- header blocks -----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"Subject: x", b"From: a@b", b" folded", b"\tfolded", b"",
                                 b"From nobody", b": x", b"No colon", b"X-A:", b"To:b\r",
                                 b"\xc3\xa9: x", b"Date: \xff", b"A B: c"]), max_size=6),
       _eol)
def test_header_blocks_read_as_the_stdlib_reads_them(lines: list[bytes], eol: str) -> None:
    raw = eol.encode().join(lines) + eol.encode() * 2 + b"body"
    built = tree.header_message(raw)
    if built is not None:
        stdlib = BytesParser(policy=PARSE_POLICY).parsebytes(raw, headersonly=True)
        assert built._headers == stdlib._headers  # type: ignore[attr-defined]


@pytest.mark.parametrize("raw", SAMPLES)
def test_header_blocks_of_samples(raw: bytes) -> None:
    block = header_block(raw)
    built = tree.header_message(block)
    assert built is not None
    stdlib = BytesParser(policy=PARSE_POLICY).parsebytes(block, headersonly=True)
    assert built._headers == stdlib._headers  # type: ignore[attr-defined]
    assert vars(parse_header_block(block)) == vars(parse_header_block(block))


# -- light header values -----------------------------------------------------------------------

_value = st.one_of(
    _ctype, _disposition.filter(bool), _cte.filter(bool),
    st.lists(st.sampled_from(["text", "/", "plain", ";", " ", "\t", "=", '"', "a", "name",
                              "filename", "charset", "utf-8", "(", ")", "*", "\\", "=?", "?=",
                              "\r\n ", "attachment", "inline", "\u00e9", "--"]),
             max_size=12).map("".join),
)


def _answers(msg: Message) -> Any:
    out = []
    for call in (
        msg.get_content_type, msg.get_content_maintype, msg.get_content_subtype,
        msg.get_filename, msg.get_boundary, msg.get_content_charset,
        msg.get_content_disposition, lambda: msg.is_attachment(),  # type: ignore[attr-defined]
        lambda: msg.get_param("start"), lambda: msg.get_param("name"),
        lambda: msg.get_payload(decode=True),
        lambda: "Content-Type" in msg, lambda: "content-disposition" in msg,
    ):
        try:
            out.append(call())
        except Exception as exc:
            out.append(type(exc).__name__)
    return out


@settings(max_examples=400, deadline=None)
@example("content-type", 'text/plain; charset="utf-8"', "plain")
@example("content-disposition", 'attachment; filename="data-7.bin"', "plain")
@example("content-transfer-encoding", "Base64", "aGVsbG8=")
@given(st.sampled_from(["content-type", "content-disposition", "content-transfer-encoding"]),
       _value, st.sampled_from(["aGVsbG8=", "a=C3=A9", "plain"]))
def test_light_values_answer_as_header_objects(name: str, value: str, payload: str) -> None:
    light, full = EmailMessage(policy=tree.LIGHT_POLICY), EmailMessage(policy=PARSE_POLICY)
    built = tree._TreeMessage(policy=tree.LIGHT_POLICY)  # its own look-ups and parameter cache
    for msg in (light, full, built):
        msg._headers = [(name, value)]  # type: ignore[attr-defined]
        msg._payload = payload  # type: ignore[attr-defined]
    assert _answers(light) == _answers(full)
    assert _answers(built) == _answers(full)
    assert _answers(built) == _answers(full)  # asked again: the kept answers are the same
    assert built.get_params() == light.get_params()  # the same parameter split as before


def test_tree_messages_answer_after_changes_as_stdlib_messages() -> None:
    raw = message(35)  # multipart with HTML and an attachment
    built, stdlib = tree.message_tree(raw), _stdlib(raw)
    assert built is not None
    changes = [
        lambda m: m.replace_header("Content-Type", "text/plain; charset=utf-8"),
        lambda m: m.set_param("charset", "iso-8859-1"),
        lambda m: m.set_type("text/html"),
        lambda m: m.set_boundary("other"),
        lambda m: m.__delitem__("content-type"),
        lambda m: m.set_default_type("message/rfc822"),
        lambda m: m.__setitem__("Content-Type", "multipart/mixed; boundary=x"),
        lambda m: m.set_raw("Content-Disposition", "attachment"),
    ]
    for change in changes:
        for msg in (built, stdlib):
            change(msg)
        assert _answers(built) == _answers(stdlib)
        assert built.get("content-type") == stdlib.get("content-type")
