"""One sync of one upstream account: folders, then new messages, then the bodies still missing.

Order matters for the user: new messages come newest first, those up to a size threshold whole
(headers and bodies in one batch, one write: the newest mail is complete first), larger ones
as header records whose bodies follow in the body pass, newest first (newmail.py, bodies.py).
Every batch is one committed transaction that records the UIDs it imported next to the emails
it created, so an interrupted run resumes where it stopped and fetches no UID twice. Per folder:

- UIDVALIDITY unchanged: new UIDs, then changed flags and expunged UIDs — via
  CONDSTORE/QRESYNC (`CHANGEDSINCE`, `VANISHED`) when offered, by a full UID/flags diff when not.
  With CONDSTORE a folder whose STATUS (UIDNEXT, HIGHESTMODSEQ) did not move is not even opened.
- UIDVALIDITY changed: the folder's messages are matched to the emails already here by the
  hash of their header block; matches keep their email (new UID), the rest are imported, and
  emails whose message is gone are removed. Nothing is duplicated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.upstream import (
    bodies,
    folder_writeback,
    imap,
    imports,
    newmail,
    pending,
)
from mailapp.server.upstream.blocked import RETRY_SECONDS
from mailapp.server.upstream.changes import folder_changes
from mailapp.server.upstream.folders import map_folders
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.moves import MovePool, remove_leftover
from mailapp.server.upstream.push import push_drafts_guarded, push_folder
from mailapp.server.upstream.remap import remap_folder

STATUS_ITEMS = (b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES")


@dataclass
class SyncStats:
    folders: int = 0
    headers: int = 0  # messages whose header block was fetched (alone or in the whole message)
    bodies: int = 0  # messages whose full body was fetched (whole at once, or after the header)
    flag_changes: int = 0
    expunged: int = 0
    remapped: int = 0  # kept their email across a UIDVALIDITY change
    skipped_folders: int = 0  # unchanged since the last sync (STATUS only)
    written_back: int = 0  # keyword changes made here, stored upstream
    refused_writes: int = 0  # refused (changed upstream meanwhile): merged, then retried
    moved: int = 0  # moved upstream after a move here
    deleted: int = 0  # expunged upstream after a delete here
    moved_upstream: int = 0  # moved by another IMAP client: the email followed (moves.py)
    drafts_saved: int = 0  # draft versions appended to Drafts (drafts.py)
    drafts_deleted: int = 0  # older or discarded drafts' copies expunged from Drafts
    imports_appended: int = 0  # messages imported here, appended to their folder (imports.py)
    drafts_due_in: float | None = None  # seconds until a resting draft is due upstream
    blocked: int = 0  # folders whose writes the provider refused (full, read-only): waiting
    folders_created: int = 0  # mailboxes created, renamed, deleted here (folder_writeback.py)
    folders_renamed: int = 0
    folders_deleted: int = 0
    retried: int = 0  # new messages answered without their content: left for the next pass
    notices: list[str] = field(default_factory=list)  # for the link's last_error


@dataclass(frozen=True)
class SyncLimits:
    header_batch: int = 500
    body_batch: int = 500
    body_batch_bytes: int = 16 * 1024 * 1024
    # New messages up to this size are fetched whole, in batches of `body_batch` messages
    # and `body_batch_bytes` bytes (newmail.py); larger ones get their headers first.
    whole_message_bytes: int = 1024 * 1024
    # Larger messages keep their header record only (the client shows them without a body).
    max_message_bytes: int = 50 * 1024 * 1024
    # Seconds a draft must rest before its copy goes upstream (autosaves coalesce; drafts.py).
    draft_delay: float = 10.0
    # Seconds before a write the provider refused (mailbox full, read-only folder) is retried.
    blocked_retry: float = RETRY_SECONDS


# Called after each committed batch with (phase, count): the worker renews its lease there,
# tests interrupt the run there.
BatchHook = Callable[[str, int], None]


class AccountSync:
    def __init__(
        self,
        engine: Engine,
        account_id: str,
        upstream_id: str,
        client: IMAPClient,
        *,
        limits: SyncLimits | None = None,
        after_batch: BatchHook | None = None,
    ) -> None:
        self.engine = engine
        self.account_id = account_id
        self.upstream_id = upstream_id
        self.client = client
        self.limits = limits or SyncLimits()
        self.after_batch = after_batch
        self.stats = SyncStats()
        self.folders: list[UpstreamFolder] = []
        self.moves = MovePool()
        self.pending: pending.Pending | None = None  # set by run(); None: look everywhere
        self._statuses: dict[str, dict[bytes, Any]] = {}  # this pass's STATUS, by folder
        capabilities = {c.upper() for c in client.capabilities()}
        self.condstore = b"CONDSTORE" in capabilities
        self.qresync = b"QRESYNC" in capabilities
        if self.qresync:
            client.enable("QRESYNC")
        client.normalise_times = False

    # -- the whole run ---------------------------------------------------------------------

    def run(self) -> SyncStats:
        self.pending = pending.begin(self.engine, self.account_id, self.upstream_id)
        remote = folder_writeback.push_folders(self, imap.list_folders(self.client))
        with session_scope(self.engine) as session:
            alloc = ModseqAllocator(session, self.account_id)
            folders = map_folders(alloc, self.upstream_id, remote)
            alloc.finish()
        self.stats.folders = len(folders)
        self.folders = folders
        # Every folder's vanished messages first, then every folder's new ones: a message
        # another client moved is recognised in its new folder (moves.py), whichever comes first.
        # Every folder's STATUS in one round trip; each folder then decides from its own.
        self._statuses = imap.pipelined_status(
            self.client, [folder.name for folder in folders], self._status_items()
        )
        changed = [(folder, step) for folder in folders if (step := self.sync_changes(folder))]
        for folder, (_highest, selected_next) in changed:
            # UIDNEXT as selected not above ours: no new message, no SELECT and SEARCH for it.
            if selected_next is None or folder.uidnext < selected_next:
                self.client.select_folder(folder.name, readonly=True)
                newmail.import_new(self, folder, selected_next)  # moves UIDNEXT as far as it may
        remove_leftover(self, self.moves)
        # Only now: an interrupted pass must see the same VANISHED again.
        for folder, (highest, _selected_next) in changed:
            self._set_folder(folder, highestmodseq=highest)
        push_drafts_guarded(self)
        imports.push_imports(self)
        pending.finish(self.engine, self.account_id, self.upstream_id, self.pending)
        waiting = bodies.folders_waiting(self, folders)  # one query, not one per folder
        for folder in folders:
            if folder.id in waiting:
                bodies.fetch_bodies(self, folder)
        return self.stats

    def _batch_done(self, phase: str, count: int) -> None:
        if self.after_batch is not None:
            self.after_batch(phase, count)

    def _status_items(self) -> list[bytes]:
        return [*STATUS_ITEMS, b"HIGHESTMODSEQ"] if self.condstore else list(STATUS_ITEMS)

    def _status(self, folder: UpstreamFolder) -> dict[bytes, Any]:
        found = self._statuses.pop(folder.name, None)
        if found is not None:
            return found
        return self.client.folder_status(folder.name, self._status_items())

    # -- headers, flags and expunges of one folder ---------------------------------------------

    def sync_changes(self, folder: UpstreamFolder) -> tuple[int | None, int | None] | None:
        """Changed flags and vanished messages, then the folder's writes; None when STATUS
        says nothing moved, else (HIGHESTMODSEQ, UIDNEXT) as selected, stored at the end of
        the pass, after its new messages."""
        status = self._status(folder)
        uidvalidity = int(status[b"UIDVALIDITY"])
        remote_next = int(status[b"UIDNEXT"])
        highest = imap.modseq_of(status)
        unchanged = (
            folder.uidvalidity == uidvalidity
            and folder.uidnext >= remote_next
            and highest is not None
            and folder.highestmodseq == highest
        )
        if unchanged:
            self.stats.skipped_folders += 1
            self._push(folder, highest)
            return None
        prefetched = None
        top = None
        if self.qresync and folder.uidvalidity is not None and folder.highestmodseq is not None:
            # The changed flags and expunged UIDs come with the SELECT itself, for every UID
            # known here (newmail.top_uid).
            top = newmail.top_uid(self, folder)
            selected, *answers = imap.select_qresync(
                self.client, folder.name, folder.uidvalidity, folder.highestmodseq, top + 1
            )
            prefetched = (answers[0], answers[1])
        else:
            selected = self.client.select_folder(folder.name, readonly=True)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        highest = imap.modseq_of(selected)
        if folder.uidvalidity is None:
            self._set_folder(folder, uidvalidity=uidvalidity)
        elif folder.uidvalidity != uidvalidity:
            remap_folder(self, folder, uidvalidity)
        else:
            folder_changes(self, folder, selected, prefetched, top)
            # Merged up to `highest`: anything changed upstream after that is refused.
            self._push(folder, highest)
        # Every UID below the UIDNEXT seen at SELECT is considered (imported or gone) by the
        # end of the pass; None (not announced): the new messages are searched.
        selected_next = selected.get(b"UIDNEXT")
        return highest, int(selected_next) if selected_next else None

    def _push(self, folder: UpstreamFolder, highest: int | None) -> None:
        push_folder(self, folder, highest)

    def _set_folder(self, folder: UpstreamFolder, **values: Any) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(UpstreamFolder).where(UpstreamFolder.id == folder.id).values(**values)
            )
        for name, value in values.items():
            setattr(folder, name, value)

    def _known(self, folder_id: int, from_uid: int = 0) -> dict[int, str]:
        with session_scope(self.engine, write=False) as session:
            rows = session.execute(
                select(UpstreamMessage.uid, UpstreamMessage.email_id).where(
                    UpstreamMessage.folder_id == folder_id, UpstreamMessage.uid >= from_uid
                )
            ).all()
        return {int(uid): email_id for uid, email_id in rows}
