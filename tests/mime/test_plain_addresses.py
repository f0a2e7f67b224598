"""Plain address lists read without the parse policy's address grammar read exactly as the
grammar reads them (headers._plain_addresses against the stdlib's AddressHeader)."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailapp.mime import headers
from mailapp.mime.addresses import Address
from tests.mime.test_parse_once import _message


def _both(name: bytes, value: bytes) -> tuple[object, object]:
    msg = _message(name, value)
    fast_notes: list[str] = []
    fast = headers.addresses(msg, name.decode(), fast_notes)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(headers, "_plain_addresses", lambda _raw: None)
        slow_notes: list[str] = []
        slow = headers.addresses(msg, name.decode(), slow_notes)
    return (fast, fast_notes), (slow, slow_notes)


_piece = st.sampled_from(
    [b"a", b"Bob", b"j.doe", b"x+tag", b"@", b"example.org", b"ex-ample.com", b".", b"..",
     b" ", b"  ", b"\t", b"\r\n ", b",", b", ", b"<", b">", b'"', b'"Doe, Jane"', b"\\", b"(c)",
     b":", b";", b"[1.2.3.4]", b"=?utf-8?q?J=C3=B6rg?=", b"\xc3\xa9", b"O'Neil", b"_", b"=",
     b"!#$%&*/?^`{|}~", b"-", b'""', b'"a  b"', b"<>", b"a@b", b"<a@b.c>"]
)


_local = st.sampled_from(["a", "j.doe", "x+tag"] * 3 + ["O'Neil", "a..b", ".a", "a.", "_", "a b",
                                                       "!#$%&*/=?^`{|}~-", '"q"', "=?x?="])
_domain = st.sampled_from(["b", "example.org", "ex-ample.co.uk"] * 2
                          + ["b.", ".b", "[1.2.3.4]", "a_b", "a..b", "-x.com"])
_phrase = st.sampled_from(["", "Bob", '"Doe, Jane"', "Ada  Lovelace"] * 2
                          + ["Mr. X", '"Doe, Jane"', '""', '"a  b"',
                           '"a\\"b"', "J\u00f6rg", "A (c)", "a\tb", "=?utf-8?q?J=C3=B6rg?=",
                           "x:y", "O'Neil", "<", ","])
_space = st.sampled_from(["", "", " ", " ", "  ", "\t", "\r\n "])


@st.composite
def _address_list(draw: st.DrawFn) -> bytes:
    items = []
    for _ in range(draw(st.integers(1, 3))):
        addr = f"{draw(_local)}@{draw(_domain)}"
        form = draw(st.integers(0, 2))
        if form == 0:
            item = addr
        elif form == 1:
            item = f"<{addr}>"
        else:
            item = f"{draw(_phrase)}{draw(_space)}<{addr}>"
        items.append(draw(_space) + item + draw(_space))
    return ",".join(items).encode("utf-8") + draw(st.sampled_from([b""] * 5 + [b",", b" ", b";"]))


@settings(max_examples=500, deadline=None)
@given(st.sampled_from([b"From", b"To", b"Cc"]), _address_list())
def test_generated_address_lists_read_as_the_parser_reads_them(name: bytes, value: bytes) -> None:
    fast, slow = _both(name, value)
    assert fast == slow


@settings(max_examples=600, deadline=None)
@example(b"From", b"Person Number1 <person.1@example1.com>")
@example(b"To", b'"Doe, Jane" <jane@example.org>, bob@example.net')
@example(b"To", b"Ada  Lovelace <ada@example.net> , <a@b.c>,c@d")
@example(b"Cc", b'"" <a@b>')
@example(b"Cc", b"a@b,")
@example(b"Cc", b"a.@b")
@example(b"Cc", b"a@b.")
@example(b"Reply-To", b"A B\r\n <a@b>")
@given(st.sampled_from([b"From", b"To", b"Cc", b"Reply-To", b"Sender"]),
       st.lists(_piece, max_size=10).map(b"".join))
def test_plain_address_lists_read_as_the_parser_reads_them(name: bytes, value: bytes) -> None:
    fast, slow = _both(name, value)
    assert fast == slow


def test_the_common_shapes_take_the_plain_path() -> None:
    assert headers._plain_addresses('"Doe, Jane" <jane@example.org>, bob@example.net') == [
        ("Doe, Jane", "jane@example.org"), ("", "bob@example.net")]
    fast, slow = _both(b"From", b"Ada Lovelace <ada@example.net>")
    assert fast == slow == ([Address("Ada Lovelace", "ada@example.net")], [])
