"""The import's own FETCH reader gives exactly what imapclient's parser gives."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from imapclient.response_parser import parse_fetch_response

from mailapp.server.upstream import imap
from mailapp.server.upstream.fetch_parse import _fast, parse_fetch
from tests.imap.conftest import MailUser
from tests.imap.messages import message


def _imapclient(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    return {int(k): v for k, v in parse_fetch_response(data, False, True).items()}


def test_real_answers_read_the_same(mail_user: MailUser) -> None:
    mail_user.append("INBOX", [message(i) for i in range(12)])
    with mail_user.connect() as client:
        client.select_folder("INBOX", readonly=True)
        client.add_flags([1, 2], [b"\\Seen", b"$label", b"\\Flagged"])
        for items in (
            ("UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "BODY.PEEK[HEADER]"),
            ("UID", "BODY.PEEK[]"),
            ("UID", "FLAGS", "MODSEQ"),
            ("UID", "FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"),  # left to imapclient
        ):
            tag = imap._send_fetch(client, "1:*", items)
            data = imap._fetch_data(client, tag)
            fast = parse_fetch(data)
            assert len(fast) == 12
            assert fast == _imapclient(data)
            if "HEADER.FIELDS" not in items[-1]:
                assert _fast(data) == fast  # read by the fast path, not handed on


_flag = st.sampled_from(
    [b"\\Seen", b"\\Answered", b"$label", b"NIL", b"123", b"0", b"a]b", b"\\*", b"x%"]
)
_date = st.sampled_from(
    [b'"03-Dec-2026 16:00:00 +0100"', b'"3-Dec-2026 06:00:00 -0000"', b'"bogus"', b"NIL"]
)
_number = st.sampled_from([b"0", b"7", b"0123", b"99999999999"])


@st.composite
def _answer(draw: st.DrawFn) -> list[Any]:
    data: list[Any] = []
    for seq in range(1, draw(st.integers(0, 3)) + 1):
        items = []
        if draw(st.booleans()):
            items.append(b"UID " + draw(_number))
        if draw(st.booleans()):
            items.append(b"FLAGS (" + b" ".join(draw(st.lists(_flag, max_size=3))) + b")")
        if draw(st.booleans()):
            items.append(b"INTERNALDATE " + draw(_date))
        if draw(st.booleans()):
            items.append(b"RFC822.SIZE " + draw(_number))
        if draw(st.booleans()):
            items.append(b"MODSEQ (" + draw(_number) + b")")
        draw(st.randoms()).shuffle(items)
        head = b"%d (" % seq + b" ".join(items)
        body = draw(st.sampled_from([None, b"BODY[]", b"BODY[HEADER]", b"body[text]"]))
        if body is None:
            data.append(head + b")")
            continue
        literal = draw(st.binary(max_size=20))
        space = b" " if items else b""
        after = draw(st.sampled_from([b")", b" UID 9)", b" FLAGS (\\Seen))"]))
        data += [(head + space + body + b" {%d}" % len(literal), literal), after]
    return data


def _outcome(reader: Any, data: list[Any]) -> Any:
    try:
        return reader(data)
    except Exception as exc:  # both must refuse the same answers
        return type(exc).__name__


@settings(max_examples=400, deadline=None)
@example([(b"1 (UID 5 BODY[] {3}", b"abc"), b")"])
@example([b"1 (UID 5 FLAGS (\\Seen NIL))"])
@example([b"1 (UID 5)", b"2 (UID 5 FLAGS ())"])
@given(_answer())
def test_generated_answers_read_the_same(data: list[Any]) -> None:
    expected = _outcome(_imapclient, data)
    fast = _outcome(_fast, data)
    if not isinstance(fast, str):
        assert fast == expected
    got = _outcome(parse_fetch, data)
    if isinstance(expected, str):
        assert isinstance(got, str)
    else:
        assert got == expected


def test_pipelined_fetch_reads_what_single_fetches_read(mail_user: MailUser) -> None:
    mail_user.append("INBOX", [message(i) for i in range(6)])
    items = ("UID", "FLAGS", "BODY.PEEK[]")
    with mail_user.connect() as client:
        client.select_folder("INBOX", readonly=True)
        level = client._imap.debug
        piped = list(imap.pipelined_fetch(client, ["1:2", "3:4", "5:6"], items))
        assert client._imap.debug == level  # imaplib's protocol logging is back as it was
        single = [imap.uid_fetch(client, uids, items) for uids in ("1:2", "3:4", "5:6")]
        assert piped == single
        assert [sorted(answer) for answer in piped] == [[1, 2], [3, 4], [5, 6]]
