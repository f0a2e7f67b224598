"""What a message that keeps its raw bytes (imported mail) has only there: its HTML part and
its attachments' bytes (store migration 0010).

Keeping them in `message_bodies.html_body` and `attachments.data` as well stored them twice (a
third of an imported store). The raw bytes are in `message_raw` (store/raw_codec.py, 0014). The
text part stays in `message_bodies.text_body`: search indexes it, and FTS5 needs it in SQL to
take an entry out again. Reading the others costs one parse of the message when it is opened
(about a millisecond), never when it is listed or searched.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailapp.mime.parse import Attachment, ParsedMessage


# The last messages parsed, newest last: the reading pane asks for each inline image and the
# saving of attachments for each one one call at a time, and one parse serves them all.
_recent: list[tuple[bytes, ParsedMessage]] = []
_KEEP = 2


def parse_raw(raw: bytes) -> ParsedMessage:
    """The body of a raw message as `message_raw` keeps it, decompressed (raw_codec.unpack);
    the header fields stay empty: the store has them in `messages`. Callers must not change
    what it returns (it is shared)."""
    global _recent
    for cached, parsed in reversed(_recent):
        if cached == raw:
            return parsed
    # Imported here: the MIME parser is not needed to start the app (start-up time).
    from mailapp.mime.parse import parse_message

    parsed = parse_message(raw, read_headers=False)
    # Rebound, never changed in place: another thread's store may be reading the list.
    _recent = [*_recent[-(_KEEP - 1) :], (raw, parsed)]
    return parsed


_HTML = re.compile(rb"text/html", re.IGNORECASE)


def html_from_raw(raw: bytes) -> str | None:
    """The HTML part of a raw message, None without one. Mail with no HTML part anywhere in
    its bytes (most plain-text mail) is not parsed at all: a large message's attachments would
    be decoded for nothing each time it is opened."""
    if _HTML.search(raw) is None:
        return None
    return parse_raw(raw).html_body


def find_part(parsed: ParsedMessage, row: Any) -> Attachment | None:
    """The attachment of `parsed` that the attachments row describes (its position, checked by
    name, type and Content-ID; else the first part that matches those and the size)."""

    def same(part: Attachment) -> bool:
        return (part.filename, part.content_type, part.content_id) == (
            row.filename,
            row.content_type,
            row.content_id,
        )

    parts = parsed.attachments
    if 0 <= row.position < len(parts) and same(parts[row.position]):
        return parts[row.position]
    return next((part for part in parts if same(part) and part.size == row.size), None)
