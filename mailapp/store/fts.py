"""The full-text index: what text goes in, and turning what a user types into an FTS5 query."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

import nh3

from mailapp.store.codec import address_text

if TYPE_CHECKING:  # the MIME parser's imports are not needed to index a parsed message
    from mailapp.mime.parse import ParsedMessage

_HAS_WORD = re.compile(r"\w")


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH string for free text: every word must match, each as a prefix.

    Each whitespace-separated chunk becomes a quoted phrase, so FTS5 operators and punctuation
    typed by the user (quotes, AND, parentheses, ``-``, ``:``) are searched for, never parsed.
    Returns None when there is nothing searchable.
    """
    chunks = [chunk for chunk in query.split() if _HAS_WORD.search(chunk)]
    if not chunks:
        return None
    return " ".join('"' + chunk.replace('"', '""') + '"*' for chunk in chunks)


def html_text(markup: str) -> str:
    # nh3 with no allowed tags drops markup and script/style content, leaving escaped text.
    return html.unescape(nh3.clean(markup, tags=set()))


def body_text(message: ParsedMessage) -> str:
    if message.text_body:
        return message.text_body
    if message.html_body:
        return html_text(message.html_body)
    return ""


def index_row(num: int, message: ParsedMessage) -> tuple[int, str, str, str, str]:
    """(rowid, subject, sender, recipients, body) for messages_fts."""
    sender = address_text([message.sender]) if message.sender else ""
    recipients = address_text([*message.to, *message.cc])
    return (num, message.subject, sender, recipients, body_text(message))
