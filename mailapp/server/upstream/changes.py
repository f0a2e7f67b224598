"""Flags changed and messages vanished upstream in one folder since the last sync.

Changed flags are merged at once (`merge_upstream_flags`). Vanished messages go into the pass's
move pool (moves.py): the pass decides at its end whether each was moved to another folder
(then its email follows) or expunged (then its email goes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.upstream import imap
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.remap import emails_by_id, merge_upstream_flags

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync


def folder_changes(sync: AccountSync, folder: UpstreamFolder) -> None:
    """CHANGEDSINCE/VANISHED with QRESYNC, a UID search with CONDSTORE, a full flags diff
    otherwise; the folder is selected."""
    if folder.uidnext <= 1:
        return
    known = sync._known(folder.id)
    if not known:
        return
    client = sync.client
    span = f"1:{folder.uidnext - 1}"
    if sync.condstore and folder.highestmodseq is not None:
        modifiers = [f"CHANGEDSINCE {folder.highestmodseq}"]
        if sync.qresync:
            modifiers.append("VANISHED")
            imap.take_vanished(client)  # drop stale ones
        changed = imap.uid_fetch(client, span, ["FLAGS"], modifiers)
        if sync.qresync:
            gone = set(imap.take_vanished(client))
        else:
            gone = set(known) - set(imap.search_uids(client, folder.uidnext))
    else:
        changed = imap.uid_fetch(client, span, ["FLAGS"])
        gone = set(known) - set(changed)
    gone &= set(known)
    flags = {
        uid: imap.keywords_of(data.get(b"FLAGS") or ())
        for uid, data in changed.items()
        if uid in known and uid not in gone and b"FLAGS" in data
    }
    sync.moves.add(sync.engine, folder.id, gone)
    if not flags:
        return
    with session_scope(sync.engine) as session:
        alloc = ModseqAllocator(session, sync.account_id)
        emails = emails_by_id(session, {known[uid] for uid in flags})
        rows = {
            row.uid: row
            for row in session.scalars(
                select(UpstreamMessage).where(
                    UpstreamMessage.folder_id == folder.id,
                    UpstreamMessage.uid.in_(sorted(flags)),
                )
            )
        }
        for uid, keywords in flags.items():
            email, row = emails.get(known[uid]), rows.get(uid)
            if email is None or row is None:
                continue
            if merge_upstream_flags(alloc, email, row, keywords, folder.mailbox_id):
                sync.stats.flag_changes += 1
        alloc.finish()
    sync._batch_done("changes", len(flags))
