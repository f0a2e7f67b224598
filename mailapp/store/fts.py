"""The full-text index: what text goes in, and turning what a user types into an FTS5 query.

The index indexes what the view messages_fts_source shows, the subject, sender and recipients
of `messages` and the body text of `message_bodies`, and stores no copy of it (store migration
0008). New mail is indexed in bulk by whoever inserts it (`index_row`); triggers follow every
later change (migration 0009).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import nh3

if TYPE_CHECKING:
    from mailapp.core.addresses import Address

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


def index_row(
    num: int,
    subject: str,
    sender_name: str | None,
    sender_email: str | None,
    recipients: Iterable[Address],
    body: str,
) -> dict[str, Any]:
    """The messages_fts row (rowid, subject, sender, recipients, body) of a new entry, in bulk
    by whoever inserts the message (migration 0009). It must give the tokens the view
    messages_fts_source gives, since later changes delete the entry with the view's values:
    "Name email" pairs, the email alone without a name; tests/store/test_store_size.py runs
    FTS5's integrity-check, which compares the two."""
    sender = f"{sender_name} {sender_email or ''}" if sender_name else sender_email or ""
    listed = " ".join(f"{a.name} {a.email}" if a.name else a.email for a in recipients)
    return {"rowid": num, "subject": subject, "sender": sender, "recipients": listed, "body": body}


def search_text(text: str | None, html: str | None) -> str | None:
    """What message_bodies.search_text keeps for a body: the text of HTML-only mail, else None.

    Search indexes a message's text part when it has one, else its HTML without markup
    (the view messages_fts_source, migration 0008); only the latter needs storing apart.
    """
    if text or not html:
        return None
    return html_text(html)
