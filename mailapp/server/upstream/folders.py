"""Upstream folders ↔ the account's mailboxes.

A folder with a role (INBOX, or a SPECIAL-USE attribute such as \\Sent) maps onto the account's
mailbox with that role, so the client's Inbox/Sent/Trash are the provider's. Other folders get a
mailbox of their own, nested under their parent's. A folder that disappears upstream takes its
messages with it (tombstones, so every client removes them); its mailbox goes too unless it is a
role mailbox, which the account keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select

from mailapp.server.db import ModseqAllocator
from mailapp.server.models import Email, Mailbox
from mailapp.server.upstream import folder_gone
from mailapp.server.upstream.imap import RemoteFolder
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.records import destroy

MAX_NAME = 255


def map_folders(
    alloc: ModseqAllocator, upstream_id: str, remote: list[RemoteFolder]
) -> list[UpstreamFolder]:
    """Create, revive or retire folder rows and mailboxes; the live folders, INBOX first."""
    session = alloc.session
    account_id = alloc.account_id
    existing = {
        f.name: f
        for f in session.scalars(
            select(UpstreamFolder).where(UpstreamFolder.upstream_id == upstream_id)
        )
    }
    mailboxes = {
        m.id: m
        for m in session.scalars(
            select(Mailbox).where(
                Mailbox.account_id == account_id, Mailbox.destroyed_modseq.is_(None)
            )
        )
    }
    mapped = {f.mailbox_id for f in existing.values() if f.live and f.mailbox_id in mailboxes}
    by_name: dict[str, str] = {
        f.name: f.mailbox_id for f in existing.values() if f.live and f.mailbox_id in mailboxes
    }
    wanted = [f for f in remote if f.selectable]
    # Parents before children, so a child can be nested under its parent's mailbox.
    wanted.sort(key=lambda f: (f.role != "inbox", f.name.count(f.delimiter), f.name))
    for folder in wanted:
        row = existing.get(folder.name)
        if row is not None and row.live and row.mailbox_id in mailboxes:
            continue
        mailbox = None
        if folder.role is not None:
            mailbox = next(
                (m for m in mailboxes.values() if m.role == folder.role and m.id not in mapped),
                None,
            )
        if mailbox is None:
            parent_name, _, leaf = folder.name.rpartition(folder.delimiter)
            modseq = alloc.next()
            mailbox = Mailbox(
                account_id=account_id,
                name=(leaf or folder.name)[:MAX_NAME],
                role=None,
                parent_id=by_name.get(parent_name) if parent_name else None,
                sort_order=100 + len(mailboxes),
                created_modseq=modseq,
                updated_modseq=modseq,
            )
            session.add(mailbox)
            session.flush()
            mailboxes[mailbox.id] = mailbox
        mapped.add(mailbox.id)
        by_name[folder.name] = mailbox.id
        if row is None:
            row = UpstreamFolder(upstream_id=upstream_id, name=folder.name, mailbox_id=mailbox.id)
            session.add(row)
            existing[folder.name] = row
        else:
            # Revived (or its mailbox was deleted here): import it afresh.
            _forget_messages(alloc, row)
            row.live, row.gone_at, row.gone_note = True, None, None
            row.mailbox_id = mailbox.id
            row.uidvalidity = None
            row.uidnext = 1
            row.highestmodseq = None
    names = {f.name for f in wanted}
    for name, row in existing.items():
        if row.live and name not in names:
            retire_folder(alloc, row, mailboxes.get(row.mailbox_id))
    session.flush()
    live = [existing[f.name] for f in wanted if existing[f.name].live]
    return live


def _forget_messages(alloc: ModseqAllocator, folder: UpstreamFolder) -> None:
    session = alloc.session
    for email in session.scalars(
        select(Email).where(
            Email.id.in_(
                select(UpstreamMessage.email_id).where(UpstreamMessage.folder_id == folder.id)
            )
        )
    ):
        destroy(alloc, email)
    session.execute(delete(UpstreamMessage).where(UpstreamMessage.folder_id == folder.id))


def retire_folder(alloc: ModseqAllocator, folder: UpstreamFolder, mailbox: Mailbox | None) -> None:
    """The folder is gone upstream: remove its messages, and its mailbox unless it has a role
    (mail moved into it here goes back where it is; folder_gone.py)."""
    removed = folder_gone.count_messages(alloc, folder)
    _forget_messages(alloc, folder)
    rehomed = folder_gone.rehome(alloc, folder, mailbox)
    now = datetime.now(UTC)
    folder.gone_at, folder.gone_note = now, folder_gone.note(folder, removed, rehomed, now)
    folder.live = False
    if mailbox is not None and mailbox.role is None and mailbox.destroyed_modseq is None:
        modseq = alloc.next()
        mailbox.destroyed_modseq = mailbox.updated_modseq = modseq
