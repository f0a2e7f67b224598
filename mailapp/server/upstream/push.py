"""Writing one folder's pending changes upstream (moves, deletes, keywords: writeback.py),
with refusals the user must fix (a full mailbox, a read-only folder: blocked.py) turned into a
blocked folder instead of a failed sync, so reading the account goes on meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from imapclient import IMAPClient

from mailapp.server.upstream import blocked, drafts
from mailapp.server.upstream.blocked import WriteBlocked
from mailapp.server.upstream.models import LinkState, UpstreamFolder
from mailapp.server.upstream.pending import changed_since
from mailapp.server.upstream.writeback import push_deletes, push_keywords, push_moves

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync

WHAT = "what was changed here in its mail (read, flags, moves, deletions)"


def push_folder(sync: AccountSync, folder: UpstreamFolder, highest: int | None) -> None:
    """Write the folder's pending changes; merged up to `highest` (UNCHANGEDSINCE)."""

    def work() -> None:
        floor = sync.pending
        if floor is not None and folder.id not in floor.folders:
            return  # nothing changed here in its mail since the floor (pending.py)
        since = changed_since(sync.account_id, floor.floor) if floor is not None else None
        by_mailbox = {f.mailbox_id: f for f in sync.folders}
        # Vanished upstream in this pass (moved by another client, or expunged): nothing is
        # written to those UIDs; a moved one takes its pending change along (moves.py).
        skip = sync.moves.pooled(folder.id)
        moved = push_moves(
            sync.engine, sync.client, folder, by_mailbox, sync.account_id, skip, since
        )
        if moved and floor is not None:  # rows moved with their pending keywords
            floor.folders.update(f.id for f in sync.folders)
        sync.stats.moved += moved
        sync.stats.deleted += push_deletes(sync.engine, sync.client, folder, skip, since)
        written, refused = push_keywords(
            sync.engine, sync.client, folder, highest if sync.condstore else None, skip, since
        )
        sync.stats.written_back += written
        sync.stats.refused_writes += refused

    guarded(sync, folder, WHAT, work)


def push_drafts_guarded(sync: AccountSync) -> None:
    """The drafts written here, saved in the Drafts folder (drafts.py), with a full mailbox or
    a read-only Drafts folder waiting like any other write."""
    folder = drafts.drafts_folder(sync)
    if folder is None:
        drafts.push_drafts(sync)  # nothing to write to; it says so itself
        return
    guarded(sync, folder, "a draft saved here", lambda: drafts.push_drafts(sync))


def guarded(sync: AccountSync, folder: UpstreamFolder, what: str, work: Callable[[], None]) -> None:
    """Run `work` (writes into `folder`) unless a refusal blocks the folder until later; a
    refusal the user must fix blocks it, a write that goes through lifts the block."""
    now = datetime.now(UTC)
    if not blocked.due(folder, now):
        return  # refused before: the changes wait until the retry time
    try:
        with blocked.writing(folder.name, what):
            if folder.blocked is not None:
                _probe(sync.client, folder)
            work()
    except WriteBlocked as refused_write:
        # imaplib refuses every later command after a [READ-ONLY] SELECT it did not expect;
        # EXAMINE makes the read-only state the expected one (the sync reads on).
        sync.client.select_folder(folder.name, readonly=True)
        sync.stats.blocked += 1
        blocked.block(
            sync.engine,
            sync.upstream_id,
            refused_write,
            now=now,
            retry_seconds=sync.limits.blocked_retry,
        )
        folder.blocked = refused_write.state.value
        return
    if folder.blocked is not None:
        blocked.lift(sync.engine, sync.upstream_id, folder.name)
        folder.blocked = folder.blocked_reason = folder.blocked_retry_at = None


def _probe(client: IMAPClient, folder: UpstreamFolder) -> None:
    """Raise WriteBlocked again when the condition is still there, before writing anything:
    a folder still read-only refuses a read-write SELECT; a full mailbox (QUOTA extension)
    still reports a resource at its limit. Without QUOTA the write itself is the probe."""
    client.select_folder(folder.name)  # read-write: [READ-ONLY] raises
    if folder.blocked == LinkState.quota_exceeded.value and client.has_capability("QUOTA"):
        _roots, quotas = client.get_quota_root(folder.name)
        if any(q.limit and q.usage >= q.limit for q in quotas):
            raise WriteBlocked(LinkState.quota_exceeded, folder.name, WHAT)
