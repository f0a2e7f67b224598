"""Reading a large message for filing without decoding its attachments.

``parse_message`` lets the stdlib hold every part's encoded body as text and decodes each
attachment again: about twelve times a large attachment's size at peak. Filing a message needs
only its headers, its texts and each attachment's name, type and size. ``parse_for_filing``
finds the large base64 bodies of non-text leaves by their offsets (the MIME boundaries),
measures their decoded size without decoding them, and hands the stdlib the message without
those bodies: the same parse (same parts, same part ids), at the cost of one skeleton copy.
Anything it does not recognise simply goes through ``parse_message`` whole.
"""

from __future__ import annotations

import base64
import re
import secrets
from email.parser import BytesParser

from mailapp.mime import headers
from mailapp.mime.parse import MAX_DEPTH, ParsedMessage, parse_message

# Bodies smaller than this are left in: cutting them saves nothing worth the bookkeeping.
MIN_CUT = 64 * 1024
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BASE64_ALPHABET = re.compile(rb"[A-Za-z0-9+/]")
_NOT_BASE64 = bytes(c for c in range(256) if not _BASE64_ALPHABET.fullmatch(bytes([c])))
_SCAN = 1 << 20


class _Unsure(Exception):
    """The structure is not plain enough to cut safely: parse the message whole."""


def _decoded_size(raw: bytes, start: int, end: int) -> int:
    """What a well-formed base64 body decodes to, counted a chunk at a time."""
    count = 0
    for at in range(start, end, _SCAN):
        count += len(raw[at:min(end, at + _SCAN)].translate(None, _NOT_BASE64))
    if count % 4 == 1:
        raise _Unsure  # not valid base64: the stdlib's lenient decoding decides
    return count * 3 // 4


def _cuts(raw: bytes, start: int, end: int, depth: int, found: list[tuple[int, int, int]]) -> None:
    """Collect (body start, body end, decoded size) of cuttable leaves in raw[start:end]."""
    if depth > MAX_DEPTH:
        raise _Unsure
    if raw.startswith((b"\r\n", b"\n"), start):
        return  # no header block: text/plain by default, nothing to cut
    separator = _HEADER_END.search(raw, start, end)
    if separator is None:
        return
    body = separator.end()
    part = BytesParser(policy=headers.PARSE_POLICY).parsebytes(
        raw[start:separator.end()], headersonly=True)
    if part.defects:
        raise _Unsure
    maintype = part.get_content_maintype()
    if maintype == "multipart":
        boundary = part.get_boundary()
        if not boundary:
            raise _Unsure
        for part_start, part_end in _parts(raw, body, end, boundary.encode("ascii", "strict")):
            _cuts(raw, part_start, part_end, depth + 1, found)
    elif (maintype not in ("text", "message") and end - body >= MIN_CUT
          and str(part.get("Content-Transfer-Encoding", "")).strip().lower() == "base64"):
        found.append((body, end, _decoded_size(raw, body, end)))


def _parts(raw: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """The byte ranges of a multipart body's parts, between its delimiter lines."""
    delimiter = b"--" + boundary
    lines: list[tuple[int, int]] = []  # (where the line break before it starts, line end)
    at = start
    while at < end:
        hit = raw.find(delimiter, at, end)
        if hit < 0:
            break
        line_end = raw.find(b"\n", hit, end)
        line_end = end if line_end < 0 else line_end + 1
        tail = raw[hit + len(delimiter):line_end].strip()
        if (hit == start or raw[hit - 1:hit] == b"\n") and tail in (b"", b"--"):
            before = hit - 2 if raw[hit - 2:hit] == b"\r\n" else hit - 1
            lines.append((max(before, start), line_end))
            if tail == b"--":
                break
        at = hit + len(delimiter)
    if len(lines) < 2:
        raise _Unsure
    return [(lines[n][1], lines[n + 1][0]) for n in range(len(lines) - 1)]


def parse_for_filing(raw: bytes) -> ParsedMessage:
    """``parse_message(raw)`` for filing: the same headers, texts, notes and attachment
    names, types, sizes and part ids, but large attachments' ``data`` is left empty (fetch
    it with ``attachment_at``). ``raw`` is the message itself, not a copy."""
    found: list[tuple[int, int, int]] = []
    try:
        _cuts(raw, 0, len(raw), 0, found)
    except (_Unsure, UnicodeError, LookupError):
        return parse_message(raw)
    if not found:
        return parse_message(raw)
    tokens = [secrets.token_hex(12).encode("ascii") for _ in found]
    pieces: list[bytes] = []
    position = 0
    for (body, end, _size), token in zip(found, tokens, strict=True):
        # A token that decodes to itself marks where each cut body was.
        pieces += [raw[position:body], token, b"\r\n"]
        position = end
    pieces.append(raw[position:])
    parsed = parse_message(b"".join(pieces))
    sizes = {token: size for token, (_b, _e, size) in zip(tokens, found, strict=True)}
    marked = 0
    for attachment in parsed.attachments:
        token = _token_of(attachment.data)
        if token in sizes:
            attachment.size, attachment.data = sizes[token], b""
            marked += 1
    if marked != len(found):
        return parse_message(raw)
    parsed.raw = raw
    return parsed


def _token_of(data: bytes) -> bytes:
    return base64.b64encode(data) if len(data) == 18 else b""
