"""Flags changed and messages vanished upstream in one folder since the last sync.

Changed flags are merged at once (`merge_upstream_flags`). Vanished messages go into the pass's
move pool (moves.py): the pass decides at its end whether each was moved to another folder
(then its email follows) or expunged (then its email goes).

The work follows what changed, not the folder's size, where the server allows it:
- QRESYNC: the SELECT itself (`EXAMINE f (QRESYNC (uidvalidity m 1:n))`, imap.select_qresync)
  answers the changed flags and the expunged UIDs; only those UIDs are looked up here.
- CONDSTORE without QRESYNC: CHANGEDSINCE answers the changed flags. Expunges are not reported,
  so the folder's message count (EXISTS) is compared with the rows known here plus the new UIDs:
  only when they differ are all UIDs searched and compared (as mbsync does).
- Neither: every message's flags are fetched and compared (nothing else can tell a change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select, update

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.models import Email
from mailapp.server.upstream import drafts, imap, newmail
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.writeback import merge_keywords

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync

CHUNK = 5000  # UIDs per IN (...) lookup


def folder_changes(
    sync: AccountSync,
    folder: UpstreamFolder,
    selected: dict[bytes, Any],
    prefetched: tuple[dict[int, dict[bytes, Any]], list[int]] | None = None,
    top: int | None = None,
) -> None:
    """The folder is selected; `selected` is its SELECT answer, `prefetched` the changed flags
    and vanished UIDs that came with a QRESYNC SELECT, `top` its `newmail.top_uid`."""
    # Every UID known here, also those above UIDNEXT that an interrupted import stored
    # (newmail.py imports newest first and moves UIDNEXT at the end).
    top = newmail.top_uid(sync, folder) if top is None else top
    if top < 1:
        return
    client = sync.client
    span = f"1:{top}"
    known: dict[int, str]
    # A mailbox that no longer keeps mod-sequences (NOMODSEQ at SELECT) answers no changes
    # since one: its flags are compared in full.
    modseqs = imap.modseq_of(selected) is not None
    if prefetched is not None and modseqs:
        changed, vanished = prefetched
        gone = set(vanished)
        known = rows_of(sync, folder, set(changed) | gone)
    elif sync.condstore and folder.highestmodseq is not None and modseqs:
        modifiers = [f"CHANGEDSINCE {folder.highestmodseq}"]
        if sync.qresync:
            modifiers.append("VANISHED")
            imap.take_vanished(client)  # drop stale ones
        changed = imap.uid_fetch(client, span, ["FLAGS"], modifiers)
        if sync.qresync:
            gone = set(imap.take_vanished(client, below=top + 1))
            known = rows_of(sync, folder, set(changed) | gone)
        elif none_vanished(sync, folder, selected):
            gone = set()
            known = rows_of(sync, folder, set(changed))
        else:
            known = sync._known(folder.id)
            gone = set(known) - set(imap.search_uids(client, top + 1))
    else:
        known = sync._known(folder.id)
        if not known:
            return
        changed = imap.uid_fetch(client, span, ["FLAGS"])
        gone = set(known) - set(changed)
    gone &= set(known)
    flags = {
        uid: imap.keywords_of(data.get(b"FLAGS") or ())
        for uid, data in changed.items()
        if uid in known and uid not in gone and b"FLAGS" in data
    }
    sync.moves.add(sync.engine, folder.id, gone)
    if flags:
        merge_flags(sync, folder, known, flags)
        sync._batch_done("changes", len(flags))


def merge_flags(
    sync: AccountSync, folder: UpstreamFolder, known: dict[int, str], flags: dict[int, list[str]]
) -> None:
    """`merge_upstream_flags` (remap.py) for many messages in Core statements: one SELECT of
    the emails and one of the rows per 5,000, one UPDATE executemany each; ORM objects cost
    about a millisecond per changed message."""
    emails_t, rows_t = Email.__table__, UpstreamMessage.__table__
    with session_scope(sync.engine) as session:
        alloc = ModseqAllocator(session, sync.account_id)
        connection = session.connection()
        emails: dict[str, Any] = {}
        rows: dict[int, Any] = {}
        ids, uids = sorted({known[uid] for uid in flags}), sorted(flags)
        for at in range(0, max(len(ids), len(uids)), CHUNK):
            emails.update(
                (email.id, email)
                for email in connection.execute(
                    select(
                        emails_t.c.id,
                        emails_t.c.keywords,
                        emails_t.c.updated_modseq,
                        emails_t.c.destroyed_modseq,
                        emails_t.c.mailbox_id,
                    ).where(emails_t.c.id.in_(ids[at : at + CHUNK]))
                )
            )
            rows.update(
                (int(row.uid), row)
                for row in connection.execute(
                    select(
                        rows_t.c.id, rows_t.c.uid, rows_t.c.keywords, rows_t.c.synced_modseq
                    ).where(
                        rows_t.c.folder_id == folder.id, rows_t.c.uid.in_(uids[at : at + CHUNK])
                    )
                )
            )
        email_writes: list[dict[str, Any]] = []
        row_writes: list[dict[str, Any]] = []
        for uid, upstream in flags.items():
            email, row = emails.get(known[uid]), rows.get(uid)
            if email is None or row is None:
                continue
            upstream = sorted(upstream)
            # A change made here not yet written back is merged with upstream's (three-way).
            if email.updated_modseq > row.synced_modseq:
                merged = sorted(merge_keywords(row.keywords or [], email.keywords or [], upstream))
            else:
                merged = upstream
            modseq = email.updated_modseq
            if email.destroyed_modseq is None and sorted(email.keywords or []) != merged:
                modseq = alloc.next()
                email_writes.append({"e_id": email.id, "e_kw": merged, "e_ms": modseq})
                sync.stats.flag_changes += 1
            agreed = merged == upstream and email.mailbox_id == folder.mailbox_id
            row_writes.append(
                {"r_id": row.id, "r_kw": upstream, "r_ms": modseq if agreed else row.synced_modseq}
            )
        if email_writes:
            connection.execute(
                update(emails_t)
                .where(emails_t.c.id == bindparam("e_id"))
                .values(keywords=bindparam("e_kw"), updated_modseq=bindparam("e_ms")),
                email_writes,
            )
        if row_writes:
            connection.execute(
                update(rows_t)
                .where(rows_t.c.id == bindparam("r_id"))
                .values(keywords=bindparam("r_kw"), synced_modseq=bindparam("r_ms")),
                row_writes,
            )
        alloc.finish()


def rows_of(sync: AccountSync, folder: UpstreamFolder, uids: set[int]) -> dict[int, str]:
    """UID → email id of the folder's rows among `uids` (the changed ones, not all)."""
    found: dict[int, str] = {}
    ordered = sorted(uids)
    if not ordered:
        return found
    with session_scope(sync.engine, write=False) as session:
        for start in range(0, len(ordered), CHUNK):
            found.update(
                (int(uid), email_id)
                for uid, email_id in session.execute(
                    select(UpstreamMessage.uid, UpstreamMessage.email_id).where(
                        UpstreamMessage.folder_id == folder.id,
                        UpstreamMessage.uid.in_(ordered[start : start + CHUNK]),
                    )
                )
            )
    return found


def none_vanished(sync: AccountSync, folder: UpstreamFolder, selected: dict[bytes, Any]) -> bool:
    """True when the count of messages upstream (EXISTS at SELECT) is the count of rows known
    here plus the new UIDs: then nothing was expunged, and no UID search of the whole folder is
    needed. Copies of drafts written here have no row (drafts.py): the Drafts folder is always
    compared in full."""
    exists = selected.get(b"EXISTS")
    if exists is None or drafts.drafts_folder(sync) is folder:
        return False
    with session_scope(sync.engine, write=False) as session:
        count = session.scalar(
            select(func.count())
            .select_from(UpstreamMessage)
            .where(UpstreamMessage.folder_id == folder.id)
        )
        above = set(
            session.scalars(
                select(UpstreamMessage.uid).where(
                    UpstreamMessage.folder_id == folder.id,
                    UpstreamMessage.uid >= folder.uidnext,
                )
            )
        )
    new = 0
    remote_next = selected.get(b"UIDNEXT")
    if remote_next is None or int(remote_next) > folder.uidnext:
        found = sync.client.search(["UID", f"{folder.uidnext}:*"])
        # `N:*` always matches the highest UID, even when it is below N.
        new = len({int(u) for u in found if int(u) >= folder.uidnext} - above)
    return int(exists) == int(count or 0) + new
