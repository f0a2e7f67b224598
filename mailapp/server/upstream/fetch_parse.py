"""FETCH answers of the import read without imapclient's general parser.

imapclient lexes every answer a byte at a time into a token stream: at the import's rate that
was a fifth of the server's CPU. The answers the sync asks for have one shape (`N (UID u FLAGS
(...) INTERNALDATE "..." RFC822.SIZE n MODSEQ (m) BODY[...] {len}` then the literal and `)`),
which a few regular expressions read at once. The result is what `parse_fetch_response(data,
False, True)` gives (same keys, same values); any answer of another shape (a NIL body, a quoted
or numeric flag, a partial body, an item not listed here) goes to imapclient's parser whole,
so nothing is read differently (tests/imap/test_fetch_parse.py compares the two).
"""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Any

from imapclient.response_parser import _convert_INTERNALDATE, parse_fetch_response

_HEAD = re.compile(rb"(\d+) \(")
_ITEM = re.compile(
    rb"(?:(UID|RFC822\.SIZE) (\d+)"
    rb"|FLAGS \(([^()\"{}\[\]%*\r\n]*)\)"
    rb"|INTERNALDATE \"([^\"\\\r\n]*)\""
    rb"|MODSEQ \((\d+)\)"
    rb"|(BODY\[[A-Z0-9.]*\]) \{(\d+)\}$)",
    re.IGNORECASE,
)
_UPPER = {b"uid": b"UID", b"rfc822.size": b"RFC822.SIZE"}
# The answers the sync asks for most, in the order Dovecot and most servers give the items
# (UID first, then as asked): read with one match per message instead of one per item.
_COMMON = re.compile(
    rb"(\d+) \(UID (\d+)"
    rb"(?: FLAGS \(([^()\"{}\[\]%*\r\n]*)\))?"
    rb"(?: INTERNALDATE \"([^\"\\\r\n]*)\")?"
    rb"(?: RFC822\.SIZE (\d+))?"
    rb"(?: MODSEQ \((\d+)\))?"
    rb"(?: (BODY\[[A-Z0-9.]*\]) \{\d+\}|\))"
)


class _Other(Exception):
    """An answer of a shape this reader leaves to imapclient."""


@functools.lru_cache(maxsize=1024)
def _internaldate(text: bytes) -> datetime | None:
    # Messages appended or delivered together share their INTERNALDATE; datetimes are immutable.
    return _convert_INTERNALDATE(text, False)


def _flags(text: bytes) -> tuple[bytes, ...]:
    flags = tuple(text.split())
    for flag in flags:
        # imapclient reads these as None or int: left to it, so the answer stays the same.
        if flag.upper() == b"NIL" or flag.isdigit():
            raise _Other
    return flags


def _number(text: bytes) -> int:
    if len(text) > 1 and text[:1] == b"0":
        raise _Other  # imapclient keeps "0123" as bytes
    return int(text)


def _items(text: bytes, at: int, end: int, values: dict[bytes, Any]) -> tuple[int, bytes | None]:
    """Read items from text[at:end]; returns (where reading stopped, the literal's key when the
    text ends in a literal's announcement)."""
    first = True
    while at < end and text[at : at + 1] != b")":
        if not first:
            if text[at : at + 1] != b" ":
                break
            at += 1
        first = False
        match = _ITEM.match(text, at, end)
        if match is None:
            raise _Other
        at = match.end()
        word, number, flags, date, modseq, body = (
            match.group(1),
            match.group(2),
            match.group(3),
            match.group(4),
            match.group(5),
            match.group(6),
        )
        if word is not None:
            values[_UPPER[word.lower()]] = _number(number)
        elif body is not None:
            return at, body.upper()
        else:  # one of the three
            _put(values, flags, date, modseq)
    return at, None


def _put(
    values: dict[bytes, Any], flags: bytes | None, date: bytes | None, modseq: bytes | None
) -> None:
    """The FLAGS, INTERNALDATE and MODSEQ items that were matched (not None), converted as
    imapclient converts them; shared by the one-match reading and the item-by-item one."""
    if flags is not None:
        values[b"FLAGS"] = _flags(flags)
    if date is not None:
        values[b"INTERNALDATE"] = _internaldate(date)
    if modseq is not None:
        values[b"MODSEQ"] = (_number(modseq),)


def _fast(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    parsed: dict[int, dict[bytes, Any]] = {}
    index = 0
    while index < len(data):
        element = data[index]
        index += 1
        literal: bytes | None = None
        if isinstance(element, tuple):
            if len(element) != 2:
                raise _Other
            line, literal = element
        else:
            line = element
        if not isinstance(line, bytes):
            raise _Other
        common = _COMMON.fullmatch(line)
        values: dict[bytes, Any]
        key: bytes | None
        if common is not None:
            seq, uid, flags, date, size, modseq, key = common.groups()
            values = {b"SEQ": int(seq), b"UID": _number(uid)}
            if size is not None:
                values[b"RFC822.SIZE"] = _number(size)
            _put(values, flags, date, modseq)
            at = len(line) if key is not None else len(line) - 1  # at the literal, or ")"
        else:
            head = _HEAD.match(line)
            if head is None:
                raise _Other
            values = {b"SEQ": int(head.group(1))}
            at, key = _items(line, head.end(), len(line), values)
        if key is None:
            if literal is not None or line[at:] != b")":
                raise _Other
        else:
            if literal is None or at != len(line) or index >= len(data):
                raise _Other
            size = int(line[line.rindex(b"{") + 1 : -1])
            if not isinstance(literal, bytes) or len(literal) != size:
                raise _Other
            values[key] = literal
            tail = data[index]
            index += 1
            if not isinstance(tail, bytes):
                raise _Other
            if tail != b")":  # items after the literal
                at, more = _items(tail, 1 if tail[:1] == b" " else 0, len(tail), values)
                if more is not None or tail[at:] != b")":
                    raise _Other
        uid = values.pop(b"UID", None)
        if uid is None:
            raise _Other  # imapclient keys it by its sequence number: its reading, then
        parsed.setdefault(uid, {}).update(values)
    return parsed


def parse_fetch(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    """UID → {item: value} of a FETCH answer as imaplib collected it, read as
    `imapclient.response_parser.parse_fetch_response(data, False, True)` reads it."""
    if data == [None] or not data:
        return {}
    try:
        return _fast(data)
    except (_Other, ValueError):
        parsed = parse_fetch_response(data, False, True)
        return {int(uid): values for uid, values in parsed.items()}
