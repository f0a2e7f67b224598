"""A changed UIDVALIDITY, and merging flags changed on both sides.

UIDVALIDITY changed: the folder's messages are matched to the emails already here by the hash of
their header block; matches keep their email (and its id, read state, replies) under the new UID,
the rest are imported by the normal new-mail pass (newmail.py), and emails whose message is
gone are removed.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.models import Email
from mailapp.server.upstream import imap, records
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.writeback import merge_keywords

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync


def merge_upstream_flags(
    alloc: ModseqAllocator,
    email: Email,
    row: UpstreamMessage,
    upstream: list[str],
    folder_mailbox: str,
) -> bool:
    """Apply the upstream's flags to the email, merged with a change made here that is not
    written back yet; True when the email changed. `folder_mailbox`: the mailbox of the row's
    folder (an email moved here to another one still has that move to write back)."""
    pending_here = email.updated_modseq > row.synced_modseq
    merged = (
        sorted(merge_keywords(row.keywords or [], email.keywords or [], upstream))
        if pending_here
        else sorted(upstream)
    )
    changed = records.set_keywords(alloc, email, merged)
    row.keywords = sorted(upstream)
    if merged == sorted(upstream) and email.mailbox_id == folder_mailbox:
        row.synced_modseq = email.updated_modseq  # both sides agree now
    return changed


def emails_by_id(session: Any, ids: set[str]) -> dict[str, Email]:
    found: dict[str, Email] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start : start + 5000]
        found.update({e.id: e for e in session.scalars(select(Email).where(Email.id.in_(chunk)))})
    return found


def remap_folder(sync: AccountSync, folder: UpstreamFolder, uidvalidity: int) -> None:
    """UIDVALIDITY changed: keep the emails whose message is still there (by header hash)."""
    uids = sorted(int(u) for u in sync.client.search(["ALL"]))
    remote: dict[int, tuple[str, list[str]]] = {}
    for start in range(0, len(uids), sync.limits.header_batch):
        batch = uids[start : start + sync.limits.header_batch]
        fetched = imap.uid_fetch(
            sync.client, imap.uid_set(batch), ["UID", "FLAGS", "BODY.PEEK[HEADER]"]
        )
        for uid, data in fetched.items():
            header = bytes(data.get(b"BODY[HEADER]") or b"")
            remote[uid] = (
                records.header_sha(header),
                imap.keywords_of(data.get(b"FLAGS") or ()),
            )
    with session_scope(sync.engine) as session:
        alloc = ModseqAllocator(session, sync.account_id)
        old = list(
            session.scalars(select(UpstreamMessage).where(UpstreamMessage.folder_id == folder.id))
        )
        by_sha: dict[str, list[UpstreamMessage]] = collections.defaultdict(list)
        for row in old:
            by_sha[row.header_sha].append(row)
        session.execute(delete(UpstreamMessage).where(UpstreamMessage.folder_id == folder.id))
        emails = emails_by_id(session, {row.email_id for row in old})
        for uid, (sha, keywords) in sorted(remote.items()):
            candidates = by_sha.get(sha)
            if not candidates:
                continue  # imported by the new-mail pass after this (newmail.py)
            match = candidates.pop()
            email = emails.get(match.email_id)
            if email is not None:
                records.set_keywords(alloc, email, keywords)
            # Both sides agree now: the row says so, the write-back has nothing to find here
            # (it looks only at emails changed since its floor: pending.py).
            session.add(
                UpstreamMessage(
                    folder_id=folder.id,
                    uid=uid,
                    email_id=match.email_id,
                    header_sha=sha,
                    has_body=match.has_body,
                    size=match.size,
                    keywords=sorted(keywords),
                    synced_modseq=email.updated_modseq if email is not None else 0,
                )
            )
            sync.stats.remapped += 1
        for rows in by_sha.values():
            for row in rows:
                email = emails.get(row.email_id)
                if email is not None:
                    records.destroy(alloc, email)
                    sync.stats.expunged += 1
        session.execute(
            update(UpstreamFolder)
            .where(UpstreamFolder.id == folder.id)
            .values(uidvalidity=uidvalidity, uidnext=1, highestmodseq=None)
        )
        alloc.finish()
    folder.uidvalidity, folder.uidnext, folder.highestmodseq = uidvalidity, 1, None
    sync._batch_done("remap", len(remote))
