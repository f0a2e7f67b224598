"""The few IMAP operations imapclient has no public call for, and flag/role mapping.

imapclient 3+ filters `fetch()` answers to the UIDs it was given as integers, so a range such as
`1:*` (needed with CHANGEDSINCE, and to keep commands short for 50,000 UIDs) cannot go through
it; `uid_fetch` issues the same command and uses imapclient's own response parser. VANISHED
(QRESYNC) answers are collected by imaplib as untagged responses and read from there.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient

from mailapp.server.upstream.fetch_parse import parse_fetch

# IMAP system flags → JMAP keywords (RFC 8621 §4.1.1).
FLAG_KEYWORDS = {
    b"\\seen": "$seen",
    b"\\flagged": "$flagged",
    b"\\answered": "$answered",
    b"\\draft": "$draft",
}
KEYWORD_FLAGS = {keyword: flag for flag, keyword in FLAG_KEYWORDS.items()}
_BAD_KEYWORD_CHARS = set('()]{%*"\\')
MAX_KEYWORD = 255

# SPECIAL-USE attributes (RFC 6154) → mailbox roles.
SPECIAL_USE_ROLES = {
    b"\\sent": "sent",
    b"\\drafts": "drafts",
    b"\\trash": "trash",
    b"\\junk": "junk",
    b"\\archive": "archive",
}
# Providers without SPECIAL-USE: the usual English names.
NAME_ROLES = {
    "sent": "sent",
    "sent items": "sent",
    "sent messages": "sent",
    "drafts": "drafts",
    "trash": "trash",
    "deleted items": "trash",
    "deleted messages": "trash",
    "junk": "junk",
    "spam": "junk",
    "archive": "archive",
}


@dataclass(frozen=True)
class RemoteFolder:
    name: str
    delimiter: str
    role: str | None
    selectable: bool


def keywords_of(flags: Iterable[bytes | str | int]) -> list[str]:
    """JMAP keywords for IMAP flags: system flags mapped, others kept (lower case) when valid.

    imapclient reads an atom of digits as a number, in FLAGS too: the keyword 2024 comes as int.
    """
    found = set()
    for flag in flags:
        if isinstance(flag, int):
            flag = str(flag)
        raw = flag if isinstance(flag, bytes) else flag.encode("utf-8", "replace")
        lowered = raw.lower()
        if lowered in FLAG_KEYWORDS:
            found.add(FLAG_KEYWORDS[lowered])
            continue
        if lowered.startswith(b"\\"):  # \Deleted, \Recent: not keywords
            continue
        text = lowered.decode("ascii", "replace")
        if 0 < len(text) <= MAX_KEYWORD and all(
            "!" <= c <= "~" and c not in _BAD_KEYWORD_CHARS for c in text
        ):
            found.add(text)
    return sorted(found)


def list_folders(client: IMAPClient) -> list[RemoteFolder]:
    """Every folder with its role: SPECIAL-USE when offered, else INBOX and the usual names."""
    folders = []
    taken: set[str] = set()
    listed = client.list_folders()
    for flags, delimiter, name in listed:
        lowered = {f.lower() for f in flags}
        role = None
        if name.upper() == "INBOX":
            role = "inbox"
        else:
            role = next((r for f, r in SPECIAL_USE_ROLES.items() if f in lowered), None)
        if role is not None and role in taken:
            role = None  # two folders claim the same use: the first keeps it
        if role is not None:
            taken.add(role)
        sep = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "/")
        selectable = b"\\noselect" not in lowered and b"\\nonexistent" not in lowered
        folders.append(RemoteFolder(str(name), sep, role, selectable))
    # Second pass: name-based roles for uses no folder declared.
    result = []
    for folder in folders:
        role = folder.role
        if role is None:
            guess = NAME_ROLES.get(folder.name.rsplit(folder.delimiter, 1)[-1].lower())
            if guess is not None and guess not in taken and folder.delimiter not in folder.name:
                role = guess
                taken.add(guess)
        result.append(RemoteFolder(folder.name, folder.delimiter, role, folder.selectable))
    return result


def uid_set(uids: Sequence[int]) -> str:
    """A compact IMAP UID set ("1:5,9,12:13") for sorted or unsorted UIDs."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty UID set")
    parts = []
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


def parse_uid_set(text: str, below: int | None = None) -> list[int]:
    uids: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition(":")
        if not low:
            continue
        a, b = int(low), int(high or low)
        top = max(a, b) + 1 if below is None else min(max(a, b) + 1, below)
        uids.extend(range(min(a, b), top))
    return uids


def uid_fetch(
    client: IMAPClient, uids: str, items: Sequence[str], modifiers: Sequence[str] = ()
) -> dict[int, dict[bytes, Any]]:
    """`UID FETCH uids (items) [(modifiers)]` with imapclient's parser; UID → data."""
    with _quiet(client):
        return _parsed(_fetch_data(client, _send_fetch(client, uids, items, modifiers)))


@contextlib.contextmanager
def _quiet(client: IMAPClient) -> Iterator[None]:
    """imapclient sets imaplib's debug level to 5 and logs through `logging` at DEBUG: with
    that off, imaplib still formats every line and every message's bytes (repr) for it (a
    listing of 50,000 UIDs and sizes, or of every flag: a third of its reading)."""
    imap = client._imap
    level = imap.debug
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        imap.debug = 0
    try:
        yield
    finally:
        imap.debug = level


def pipelined_fetch(
    client: IMAPClient, uid_sets: Sequence[str], items: Sequence[str]
) -> Iterator[dict[int, dict[bytes, Any]]]:
    """`uid_fetch` of each UID set in turn, the next command sent before the caller works on
    the current answer: the server reads and sends the next batch meanwhile (as mbsync
    pipelines its FETCHes). The caller issues no other command until it is done."""
    if not uid_sets:
        return
    with _quiet(client):
        yield from _pipelined(client, uid_sets, items)


def _pipelined(
    client: IMAPClient, uid_sets: Sequence[str], items: Sequence[str]
) -> Iterator[dict[int, dict[bytes, Any]]]:
    tag = _send_fetch(client, uid_sets[0], items)
    outstanding = True
    try:
        for following in uid_sets[1:]:
            outstanding = False
            data = _fetch_data(client, tag)
            tag = _send_fetch(client, following, items)
            outstanding = True
            yield _parsed(data)  # parsed while the server works on the next command
        outstanding = False
        yield _parsed(_fetch_data(client, tag))
    finally:
        if outstanding:  # the caller stopped early: read the answer, the connection stays usable
            with contextlib.suppress(Exception):
                _fetch_data(client, tag)


def _send_fetch(
    client: IMAPClient, uids: str, items: Sequence[str], modifiers: Sequence[str] = ()
) -> Any:
    imap = client._imap  # imapclient exposes no range fetch; see the module docstring
    args: list[Any] = ["UID", "FETCH", uids.encode("ascii"), "(" + " ".join(items) + ")"]
    if modifiers:
        args.append("(" + " ".join(modifiers) + ")")
    return imap._command(*args)


def _fetch_data(client: IMAPClient, tag: Any) -> list[Any]:
    imap = client._imap
    typ, data = imap._command_complete("FETCH", tag)
    client._checkok("fetch", typ, data)
    typ, data = imap._untagged_response(typ, data, "FETCH")
    return list(data)


def _parsed(data: list[Any]) -> dict[int, dict[bytes, Any]]:
    return parse_fetch(data)  # imapclient's reading, faster (fetch_parse.py)


def take_vanished(client: IMAPClient, below: int | None = None) -> list[int]:
    """UIDs of VANISHED responses received since the last call (QRESYNC), those below
    `below` when given: a server may report ranges wider than what existed (RFC 7162 §3.6),
    and a range such as 1:4294967295 must not become a list of four billion."""
    found: list[int] = []
    for line in client._imap.untagged_responses.pop("VANISHED", []):
        text = line.decode("ascii", "replace") if isinstance(line, bytes) else str(line)
        if text.upper().startswith("(EARLIER)"):
            text = text[len("(EARLIER)") :]
        found.extend(parse_uid_set(text.strip(), below))
    return found


def search_uids(client: IMAPClient, below: int) -> list[int]:
    """Every UID of the selected folder below `below` (the expunge check without QRESYNC)."""
    if below <= 1:
        return []
    return sorted(int(uid) for uid in client.search(["UID", f"1:{below - 1}"]))


def pipelined_status(
    client: IMAPClient, names: Sequence[str], items: Sequence[bytes]
) -> dict[str, dict[bytes, Any]]:
    """`STATUS` of every folder, all commands sent before the first answer is read: one round
    trip for the account instead of one per folder (a provider 50 ms away with 30 folders:
    1.5 s of every pass). Folder name → the items, as `folder_status` gives them; a folder
    whose answer cannot be matched by name is left out (the caller asks it alone)."""
    from imapclient.imap_utf7 import decode as decode_utf7
    from imapclient.response_parser import parse_response
    from imapclient.util import to_unicode

    if not names:
        return {}
    imap = client._imap  # imapclient sends one command at a time; see the module docstring
    what = "(" + " ".join(item.decode("ascii") for item in items) + ")"
    imap.untagged_responses.pop("STATUS", None)
    tags = [imap._command("STATUS", client._normalise_folder(name), what) for name in names]
    answers: list[tuple[str, list[Any]]] = []
    failure: BaseException | None = None
    for tag in tags:  # every answer is read, so the connection stays usable after a refusal
        try:
            answers.append(imap._command_complete("STATUS", tag))
        except Exception as exc:
            failure = failure or exc
    if failure is not None:
        raise failure
    for typ, data in answers:
        client._checkok("status", typ, data)  # a refusal raises as folder_status would
    found: dict[str, dict[bytes, Any]] = {}
    parsed = list(parse_response(list(imap.untagged_responses.pop("STATUS", []))))
    for at in range(0, len(parsed) - 1, 2):
        mailbox, values = parsed[at], parsed[at + 1]
        if not isinstance(values, tuple):
            return found  # not the usual shape: the rest are asked one by one
        if isinstance(mailbox, bytes):
            name = decode_utf7(mailbox) if client.folder_encode else to_unicode(mailbox)
        else:
            name = str(mailbox)  # a name of digits is read as a number
        found[name] = {values[i]: values[i + 1] for i in range(0, len(values) - 1, 2)}
    return found


def select_qresync(
    client: IMAPClient, name: str, uidvalidity: int, modseq: int, uidnext: int
) -> tuple[dict[bytes, Any], dict[int, dict[bytes, Any]], list[int]]:
    """`EXAMINE name (QRESYNC (uidvalidity modseq 1:uidnext-1))` (RFC 7162 §3.2.5): the
    SELECT answer, the flags changed since `modseq` (UID → FETCH data) and the UIDs expunged
    since (VANISHED (EARLIER)), in the one round trip of the SELECT. A UIDVALIDITY that no
    longer matches makes the server ignore the parameter (no FETCH, no VANISHED)."""
    imap = client._imap  # imapclient's select_folder takes no SELECT parameters
    known = f" 1:{uidnext - 1}" if uidnext > 1 else ""
    mailbox = client._normalise_folder(name)
    if isinstance(mailbox, str):
        mailbox = mailbox.encode("utf-8")
    typ, data = imap.select(mailbox + f" (QRESYNC ({uidvalidity} {modseq}{known}))".encode(), True)
    client._checkok("select", typ, data)
    fetched = parse_fetch(list(imap.untagged_responses.pop("FETCH", [])))
    vanished = take_vanished(client, below=uidnext)
    return client._process_select_response(imap.untagged_responses), fetched, vanished


def modseq_of(answer: dict[bytes, Any]) -> int | None:
    """HIGHESTMODSEQ of a STATUS or SELECT answer; None without one, and for 0: a mailbox
    without persistent mod-sequences reports 0 in STATUS (RFC 7162 §3.1.2.1, NOMODSEQ at
    SELECT), and 0 == 0 must not make such a folder look unchanged (its flags may have)."""
    value = answer.get(b"HIGHESTMODSEQ")
    return int(value) or None if value is not None else None
