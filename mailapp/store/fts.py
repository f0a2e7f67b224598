"""The full-text index: what text goes in, and turning what a user types into an FTS5 query.

The index itself is kept by triggers (store migration 0008): it indexes what the view
messages_fts_source shows, the subject, sender and recipients of `messages` and the body text
of `message_bodies`, and stores no copy of it.
"""

from __future__ import annotations

import html
import re

import nh3

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


def search_text(text: str | None, html: str | None) -> str | None:
    """What message_bodies.search_text keeps for a body: the text of HTML-only mail, else None.

    Search indexes a message's text part when it has one, else its HTML without markup
    (the view messages_fts_source, migration 0008); only the latter needs storing apart.
    """
    if text or not html:
        return None
    return html_text(html)
