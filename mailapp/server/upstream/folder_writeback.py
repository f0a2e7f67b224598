"""Mailboxes created, renamed or deleted here → CREATE, RENAME, DELETE upstream.

It runs on each sync's folder listing before the listing is mapped onto mailboxes
(folders.map_folders), so the mapping never takes a folder made here for someone else's new
folder, nor a folder renamed here for one that vanished. The pending work is data, as for
messages: a user mailbox (no role) without a folder is to be created; one whose name or parent
no longer matches its folder's name is to be renamed; a folder whose mailbox was destroyed here
is to be deleted. A crash after the IMAP command and before the bookkeeping is recognised on
the next listing (the folder already has its new name, or exists): adopted, never done twice.

- Created folders are named from the parent's folder and the mailbox's name, in the personal
  namespace (NAMESPACE, so `INBOX.`-prefixed servers work), and subscribed.
- Renaming a folder renames its subfolders upstream too (RFC 3501); their rows follow.
- Delete: a mailbox can be destroyed here only when empty, but the folder may have received
  mail since, and moves or deletes of its messages made here may be pending. Those are written
  first (writeback.py); what is left upstream goes to Trash, never lost; then DELETE.
- Role mailboxes (Inbox, Sent, …) are never created, renamed or deleted upstream.

What the server refuses (a name taken, a folder it will not delete) becomes a notice on the
link (`status`, `GET /v1/upstream`); the next listing then maps the folder as it is upstream.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from imapclient import IMAPClient
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Mailbox
from mailapp.server.upstream import folder_gone
from mailapp.server.upstream.imap import RemoteFolder
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.writeback import push_deletes, push_moves

if TYPE_CHECKING:
    from mailapp.server.upstream.syncer import AccountSync

log = logging.getLogger(__name__)

MAX_NAME = 255


def _prefix(client: IMAPClient, delimiter: str) -> str:
    """The personal namespace's prefix, where new top-level folders go (`INBOX.` on some
    servers; asked only when a folder is created)."""
    if client.has_capability("NAMESPACE"):
        personal = client.namespace().personal
        if personal and personal[0][1] in (delimiter, delimiter.encode()):
            prefix = personal[0][0]
            return prefix.decode() if isinstance(prefix, bytes) else str(prefix or "")
    return ""


class FolderPush:
    def __init__(self, sync: AccountSync, remote: list[RemoteFolder]) -> None:
        self.sync = sync
        self.client = sync.client
        self.engine: Engine = sync.engine
        self.remote = {f.name: f for f in remote}
        self.notices: list[str] = []
        self.delimiter = next((f.delimiter for f in remote if f.name.upper() == "INBOX"), "/")
        self._prefix: str | None = None
        with session_scope(self.engine, write=False) as session:
            self.rows = list(
                session.scalars(
                    select(UpstreamFolder).where(UpstreamFolder.upstream_id == sync.upstream_id)
                )
            )
            self.mailboxes = {
                m.id: m
                for m in session.scalars(
                    select(Mailbox).where(Mailbox.account_id == sync.account_id)
                )
            }
            session.expunge_all()

    # -- helpers -------------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        if self._prefix is None:
            self._prefix = _prefix(self.client, self.delimiter)
        return self._prefix

    def live_rows(self) -> dict[str, UpstreamFolder]:
        """Mailbox id → its live folder row (the mailbox live too)."""
        return {
            r.mailbox_id: r
            for r in self.rows
            if r.live
            and r.mailbox_id in self.mailboxes
            and self.mailboxes[r.mailbox_id].destroyed_modseq is None
        }

    def _leaf(self, mailbox: Mailbox) -> str:
        # The delimiter would make a hierarchy level of part of the name.
        return mailbox.name.replace(self.delimiter, "-")

    def _depth(self, mailbox: Mailbox) -> int:
        depth, parent = 0, mailbox.parent_id
        while parent is not None and depth < 100:
            depth += 1
            found = self.mailboxes.get(parent)
            parent = found.parent_id if found is not None else None
        return depth

    def _wanted_name(self, mailbox: Mailbox, by_mailbox: dict[str, UpstreamFolder]) -> str | None:
        """Where the mailbox's folder belongs: under its parent's folder, or at the top."""
        if mailbox.parent_id is None:
            return self.prefix + self._leaf(mailbox)
        parent = by_mailbox.get(mailbox.parent_id)
        if parent is None:
            return None  # its parent has no folder (yet): created after it
        return parent.name + self.delimiter + self._leaf(mailbox)

    def _set(self, row: UpstreamFolder, **values: object) -> None:
        with session_scope(self.engine) as session:
            current = session.get(UpstreamFolder, row.id)
            if current is not None:
                for name, value in values.items():
                    setattr(current, name, value)
        for name, value in values.items():
            setattr(row, name, value)

    def rename_row(self, row: UpstreamFolder, name: str) -> None:
        stale = [r for r in self.rows if r.name == name and not r.live]
        with session_scope(self.engine) as session:
            for other in stale:  # a folder of that name deleted upstream once: its row goes
                session.execute(delete(UpstreamFolder).where(UpstreamFolder.id == other.id))
            current = session.get(UpstreamFolder, row.id)
            if current is not None:
                current.name = name
        self.rows = [r for r in self.rows if r not in stale]
        row.name = name

    # -- the three operations -------------------------------------------------------------

    def deletes(self) -> None:
        live = self.live_rows()
        doomed = [
            r
            for r in self.rows
            if r.live
            and r.name in self.remote
            and r.mailbox_id in self.mailboxes
            and self.mailboxes[r.mailbox_id].destroyed_modseq is not None
            and self.mailboxes[r.mailbox_id].role is None
        ]
        delimiter = self.delimiter
        trash = next((r for mid, r in live.items() if self.mailboxes[mid].role == "trash"), None)
        for row in sorted(doomed, key=lambda r: -r.name.count(delimiter)):
            try:
                # Moves and deletes made here first: they are the user's wishes.
                push_moves(self.engine, self.client, row, live, self.sync.account_id)
                push_deletes(self.engine, self.client, row)
                selected = self.client.select_folder(row.name)
                if int(selected.get(b"EXISTS") or 0) and trash is not None:
                    # Arrived upstream since the mailbox was emptied here: kept, in Trash.
                    if self.client.has_capability("MOVE"):
                        self.client.move("1:*", trash.name)
                    else:
                        self.client.copy("1:*", trash.name)
                        self.client.add_flags("1:*", [b"\\Deleted"], silent=True)
                        self.client.expunge()
                self.client.close_folder()
                self.client.delete_folder(row.name)
            except IMAPClient.Error as exc:
                self.notices.append(f"The folder “{row.name}” could not be deleted upstream: {exc}")
                continue
            with session_scope(self.engine) as session:
                session.execute(delete(UpstreamMessage).where(UpstreamMessage.folder_id == row.id))
            self._set(row, live=False)
            self.remote.pop(row.name, None)
            self.sync.stats.folders_deleted += 1

    def renames(self) -> None:
        by_mailbox = self.live_rows()
        names = {r.name for r in by_mailbox.values()}
        delimiter = self.delimiter
        ordered = sorted(by_mailbox.items(), key=lambda item: self._depth(self.mailboxes[item[0]]))
        for mailbox_id, row in ordered:
            mailbox = self.mailboxes[mailbox_id]
            if mailbox.role is not None or row.name.upper() == "INBOX":
                continue
            parent_part, _, leaf = row.name.rpartition(delimiter)
            same_leaf = self._leaf(mailbox)[:MAX_NAME] == leaf[:MAX_NAME]
            parent_row = by_mailbox.get(mailbox.parent_id) if mailbox.parent_id else None
            if mailbox.parent_id is None:
                # Under a folder that is no mailbox here (\Noselect, a namespace): unmoved.
                same_parent = parent_part not in names
            else:
                same_parent = parent_row is not None and parent_row.name == parent_part
            if same_leaf and same_parent:
                continue
            if same_parent:
                wanted = (parent_part + delimiter if parent_part else "") + self._leaf(mailbox)
            else:
                wanted = self._wanted_name(mailbox, by_mailbox) or row.name
            if wanted == row.name:
                continue
            old = row.name
            if old not in self.remote and wanted not in self.remote:
                continue  # deleted upstream meanwhile: the listing's mapping retires it
            if old in self.remote and wanted not in self.remote:
                try:
                    self.client.rename_folder(old, wanted)
                    self.client.subscribe_folder(wanted)
                except IMAPClient.Error as exc:
                    self.notices.append(
                        f"The folder “{old}” could not be renamed to “{wanted}” upstream: {exc}"
                    )
                    continue
            elif not (old not in self.remote and wanted in self.remote):
                # Both names exist upstream: another folder already has the new name.
                self.notices.append(
                    f"The folder “{old}” was not renamed to “{wanted}” upstream: "
                    "a folder of that name exists there"
                )
                continue
            # Renamed (now, or before a crash that lost the bookkeeping): subfolders follow.
            for other in self.rows:
                if other.live and (other.name == old or other.name.startswith(old + delimiter)):
                    new_name = wanted + other.name[len(old) :]
                    was = self.remote.pop(other.name, None)
                    self.remote[new_name] = RemoteFolder(
                        new_name, delimiter, was.role if was else None, True
                    )
                    self.rename_row(other, new_name)
            names = {r.name for r in by_mailbox.values()}
            self.sync.stats.folders_renamed += 1

    def creates(self) -> None:
        by_mailbox = self.live_rows()
        taken = {r.name: r for r in self.rows}
        wanted_boxes = [
            m
            for m in self.mailboxes.values()
            if m.destroyed_modseq is None and m.role is None and m.id not in by_mailbox
        ]
        for mailbox in sorted(wanted_boxes, key=self._depth):
            name = self._wanted_name(mailbox, by_mailbox)
            if name is None:
                continue
            row = taken.get(name)
            if row is not None and row.live and row.mailbox_id in by_mailbox:
                self.notices.append(
                    f"The mailbox “{mailbox.name}” has no folder upstream: “{name}” is another one"
                )
                continue
            if name not in self.remote:  # else made before a crash, or another client's: adopt
                try:
                    self.client.create_folder(name)
                    self.client.subscribe_folder(name)
                except IMAPClient.Error as exc:
                    self.notices.append(f"The folder “{name}” could not be created upstream: {exc}")
                    continue
                self.remote[name] = RemoteFolder(name, self.delimiter, None, True)
                self.sync.stats.folders_created += 1
            with session_scope(self.engine) as session:
                if row is None:
                    row = UpstreamFolder(
                        upstream_id=self.sync.upstream_id, name=name, mailbox_id=mailbox.id
                    )
                    session.add(row)
                    session.flush()
                    session.expunge(row)
                    self.rows.append(row)
                    taken[name] = row
                else:  # a folder row of old (deleted upstream once): mapped afresh
                    session.execute(
                        delete(UpstreamMessage).where(UpstreamMessage.folder_id == row.id)
                    )
                    current = session.get(UpstreamFolder, row.id)
                    assert current is not None
                    current.live, current.mailbox_id, current.gone_at = True, mailbox.id, None
                    current.uidvalidity, current.uidnext, current.highestmodseq = None, 1, None
                    row.live, row.mailbox_id, row.gone_at = True, mailbox.id, None
                    row.uidvalidity, row.uidnext, row.highestmodseq = None, 1, None
            by_mailbox[mailbox.id] = row


def push_folders(sync: AccountSync, remote: list[RemoteFolder]) -> list[RemoteFolder]:
    """Write mailbox changes made here upstream; the folder listing as it is afterwards."""
    push = FolderPush(sync, remote)
    folder_gone.follow_renames(push)  # another client's renames first: they are facts
    # Creates first: a message moved here into a new mailbox is moved there upstream before
    # the folder it came from is deleted. A new child of a renamed parent follows the rename.
    push.creates()
    push.renames()
    folder_gone.keep_moved_out(push)  # into folders that exist now (created just above)
    push.deletes()
    sync.stats.notices.extend(push.notices)
    kept = {f.name for f in remote}
    listing = [f for f in remote if f.name in push.remote]
    listing += [f for name, f in push.remote.items() if name not in kept]
    return listing
