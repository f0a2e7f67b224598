"""The full-text index: what text goes in, and turning what a user types into an FTS5 query.

Two indexes, neither storing a copy of the text (store migrations 0008, 0011):
`messages_fts` indexes what the view messages_fts_source shows for every message that has a
body, its subject, sender, recipients (`messages`) and body text (`message_bodies`);
`headers_fts` indexes what headers_fts_source shows, the subject, sender and recipients of
messages that arrived without their body (synced mail, `messages.headers_first`). A synced
message is indexed once by its headers when they arrive (`headers_row`) and once in full when
its body does (`index_row`), never taken out and in again: search returns what either index
matches with every word (`store_reads.search`), and the headers entry is a subset of the full
one. New mail is indexed in bulk by whoever inserts it; triggers follow every later change.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

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


class Named(Protocol):
    """An address as the index reads it: an Address, or a wire record's (the sync path's,
    without a copy of each address)."""

    @property
    def name(self) -> str | None: ...

    @property
    def email(self) -> str: ...


def headers_row(
    num: int,
    subject: str,
    sender_name: str | None,
    sender_email: str | None,
    recipients: Iterable[Named],
) -> dict[str, Any]:
    """The headers_fts row (rowid, subject, sender, recipients) of a message that arrives
    without its body, in bulk by whoever inserts it (migration 0011). It must give the tokens
    the view headers_fts_source gives, since later changes delete the entry with the view's
    values: "Name email" pairs, the email alone without a name; tests run FTS5's
    integrity-check, which compares the two."""
    sender = f"{sender_name} {sender_email or ''}" if sender_name else sender_email or ""
    listed = " ".join(f"{a.name} {a.email}" if a.name else a.email for a in recipients)
    return {"rowid": num, "subject": subject, "sender": sender, "recipients": listed}


def index_row(
    num: int,
    subject: str,
    sender_name: str | None,
    sender_email: str | None,
    recipients: Iterable[Address],
    body: str,
) -> dict[str, Any]:
    """The messages_fts row (rowid, subject, sender, recipients, body) of a message whose body
    is stored, in bulk by whoever stores the body (migrations 0009, 0011), with the tokens the
    view messages_fts_source gives (see `headers_row`)."""
    return {**headers_row(num, subject, sender_name, sender_email, recipients), "body": body}


def integrity_check(conn: Any) -> None:
    """FTS5's integrity-check of both indexes against their views (raises when an entry is
    missing, stale or there twice), for tests. ``conn`` is sqlite3's or
    SQLAlchemy's connection."""
    run = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for table in INDEXES:
        run(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")


# The full-text indexes (migration 0011): search matches either.
INDEXES = ("messages_fts", "headers_fts")


def search_text(text: str | None, html: str | None) -> str | None:
    """What message_bodies.search_text keeps for a body: the text of HTML-only mail, else None.

    Search indexes a message's text part when it has one, else its HTML without markup
    (the view messages_fts_source, migration 0008); only the latter needs storing apart.
    """
    if text or not html:
        return None
    return html_text(html)
