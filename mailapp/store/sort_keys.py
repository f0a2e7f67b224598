"""The normalised keys the message list sorts by, computed once when a message is stored.

Every insert path (local import, sync replica, migration 0005) calls `sort_keys()`, so a list
sorted by sender or subject pages through one composite index instead of sorting in Python.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# "Re:", "RE[2]:", "Fwd:", "Fw:", "AW:", "WG:", "SV:" repeated: a reply sorts with its original.
_PREFIX = re.compile(r"^\s*(?:(?:re|fwd?|aw|wg|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def _fold(text: str) -> str:
    # Accents and case aside, so "Álvaro" sorts among the A's (SQLite compares code points).
    text = text.strip()
    if text.isascii():  # nothing to decompose: the same result, without the walk per character
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Senders and subjects repeat (a conversation, a mailing list): an import folds each once.
@lru_cache(maxsize=4096)
def subject_key(subject: str | None) -> str:
    return _fold(_PREFIX.sub("", subject or ""))


@lru_cache(maxsize=4096)
def sender_key(name: str | None, email: str | None) -> str:
    """What the From column shows (the name, else the address), without quotes."""
    return _fold((name or email or "").strip().strip('"'))


def sort_keys(
    subject: str | None, sender_name: str | None, sender_email: str | None
) -> dict[str, str]:
    """The key columns of a messages row, ready to merge into the row's values."""
    return {
        "sender_key": sender_key(sender_name, sender_email),
        "subject_key": subject_key(subject),
    }
