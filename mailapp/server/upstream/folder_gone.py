"""A folder deleted or renamed upstream: what happens to its mailbox here, what the link says.

A folder renamed upstream keeps its mailbox (renamed here) and messages: `follow_renames`.

Its messages go (they are gone upstream), except one moved out of it here before the move was
written: `keep_moved_out` puts the copy kept here where it was moved. What was on its way into it
is not lost either: a message
moved into its mailbox here, whose move was not written upstream yet, is still in its old
folder upstream, so it goes back to that folder's mailbox; mail that lives only here (filed
locally) goes to the Inbox. Then the mailbox is destroyed (a role mailbox is kept).

The link's state is `folder_deleted` for a day afterwards, with a note per folder saying what
was removed and where the queued moves went (`status`, `GET /v1/upstream`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from imapclient import IMAPClient
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.models import Email, EmailBlob, Mailbox, identity
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage
from mailapp.server.upstream.writeback import imap_flag

if TYPE_CHECKING:
    from mailapp.server.upstream.folder_writeback import FolderPush

NOTICE = timedelta(days=1)
MAX_NOTE = 1000
MAX_NAME = 255
_APPENDUID = re.compile(rb"APPENDUID\s+(\d+)\s+(\d+)", re.IGNORECASE)


def count_messages(alloc: ModseqAllocator, folder: UpstreamFolder) -> int:
    return int(
        alloc.session.scalar(
            select(func.count())
            .select_from(UpstreamMessage)
            .where(UpstreamMessage.folder_id == folder.id)
        )
        or 0
    )


def rehome(alloc: ModseqAllocator, folder: UpstreamFolder, mailbox: Mailbox | None) -> str:
    """Move the mail that is in the folder's mailbox here but not in the folder upstream back
    where it is upstream (or to the Inbox); a sentence saying so ("" when there was none)."""
    session = alloc.session
    if mailbox is None or mailbox.role is not None:
        return ""  # a role mailbox stays, and its mail with it
    strays = list(
        session.execute(
            select(Email, UpstreamMessage.folder_id)
            .outerjoin(
                UpstreamMessage,
                (UpstreamMessage.email_id == Email.id) & (UpstreamMessage.folder_id != folder.id),
            )
            .where(
                Email.account_id == alloc.account_id,
                Email.mailbox_id == mailbox.id,
                Email.destroyed_modseq.is_(None),
            )
        ).all()
    )
    if not strays:
        return ""
    homes = {
        f.id: f.mailbox_id
        for f in session.scalars(
            select(UpstreamFolder).where(
                UpstreamFolder.upstream_id == folder.upstream_id, UpstreamFolder.live.is_(True)
            )
        )
    }
    inbox = session.scalars(
        select(Mailbox.id).where(
            Mailbox.account_id == alloc.account_id,
            Mailbox.role == "inbox",
            Mailbox.destroyed_modseq.is_(None),
        )
    ).first()
    names: dict[str, int] = {}
    for email, folder_id in strays:
        target = homes.get(folder_id) if folder_id is not None else None
        target = target or inbox
        if target is None or target == email.mailbox_id:
            continue
        email.mailbox_id = target
        email.updated_modseq = alloc.next()
        name = session.scalar(select(Mailbox.name).where(Mailbox.id == target)) or "Inbox"
        names[name] = names.get(name, 0) + 1
    where = ", ".join(f"{count} in “{name}”" for name, count in sorted(names.items()))
    total = sum(names.values())
    if not total:
        return ""
    return (
        f" {total} message{'s' if total != 1 else ''} moved into it here could not be moved "
        f"there and stay where they were ({where})."
    )


def note(folder: UpstreamFolder, removed: int, rehomed: str, now: datetime) -> str:
    text = (
        f"The folder “{folder.name}” was deleted on the server ({now:%Y-%m-%d %H:%M} UTC): "
        f"its {removed} message{'s were' if removed != 1 else ' was'} removed here.{rehomed}"
    )
    return text[:MAX_NOTE]


def vanished_meanwhile(exc: BaseException) -> bool:
    """Whether an IMAP refusal means the folder no longer exists (RFC 5530 NONEXISTENT, or
    TRYCREATE on APPEND/COPY/MOVE into it)."""
    text = str(exc).upper()
    return "[NONEXISTENT]" in text or "[TRYCREATE]" in text


def mid_sync_note(exc: BaseException) -> str:
    return (
        "A folder was deleted on the server while mailapp was writing to it "
        f"({exc}); nothing was lost: the change waits, and the folder list is read again "
        "at the next sync."
    )[:MAX_NOTE]


def recent_notes(engine: Engine, upstream_id: str, now: datetime | None = None) -> list[str]:
    """What the link says about folders deleted upstream within the last day."""
    since = (now or datetime.now(UTC)) - NOTICE
    with session_scope(engine, write=False) as session:
        return [
            text
            for text in session.scalars(
                select(UpstreamFolder.gone_note)
                .where(
                    UpstreamFolder.upstream_id == upstream_id,
                    UpstreamFolder.live.is_(False),
                    UpstreamFolder.gone_at >= since,
                )
                .order_by(UpstreamFolder.gone_at)
            )
            if text
        ]


def follow_renames(push: FolderPush) -> None:
    """Folders renamed upstream (by another client) keep their mailbox and messages here.

    A live folder missing from the listing is paired with a new folder of the same UIDVALIDITY
    (servers keep it across RENAME); when the UIDVALIDITY changed, with the only new folder, if
    just one folder vanished. The row takes the new name (its subfolders too), the mailbox the
    new leaf name; a changed UIDVALIDITY is re-mapped by header hash by the sync (remap.py), so
    messages keep their emails either way and none is imported twice.
    """
    live = [r for r in push.rows if r.live]
    known = {r.name for r in live}
    vanished = [r for r in live if r.name not in push.remote and r.name.upper() != "INBOX"]
    if not vanished:
        return
    fresh = [f for f in push.remote.values() if f.name not in known and f.selectable]
    if not fresh:
        return
    status = {}
    for folder in fresh:
        try:
            status[folder.name] = push.client.folder_status(
                folder.name, [b"UIDVALIDITY", b"MESSAGES"]
            )
        except IMAPClient.Error:
            continue
    pairs: list[tuple[UpstreamFolder, str]] = []
    for row in sorted(vanished, key=lambda r: r.name.count(push.delimiter)):
        same = [
            name
            for name, values in status.items()
            if row.uidvalidity is not None and int(values[b"UIDVALIDITY"]) == row.uidvalidity
        ]
        if len(same) == 1:
            pairs.append((row, same[0]))
            status.pop(same[0])
    left = [r for r in vanished if r not in {p[0] for p in pairs}]
    if len(left) == 1 and len(status) == 1 and left[0].mailbox_id in push.mailboxes:
        # A new UIDVALIDITY: taken for the same folder only when it holds as many messages
        # (a folder deleted while another is created is not a rename).
        ((name, values),) = status.items()
        with session_scope(push.engine, write=False) as session:
            held = session.scalar(
                select(func.count())
                .select_from(UpstreamMessage)
                .where(UpstreamMessage.folder_id == left[0].id)
            )
        if int(values.get(b"MESSAGES") or 0) == int(held or 0):
            pairs.append((left[0], name))
    for row, new_name in pairs:
        if row.name in push.remote or not row.live:
            continue  # followed already, as the subfolder of a renamed parent
        old = row.name
        for other in list(push.rows):
            if other.live and (other.name == old or other.name.startswith(old + push.delimiter)):
                push.rename_row(other, new_name + other.name[len(old) :])
                _rename_mailbox(push, other)


def _rename_mailbox(push: FolderPush, row: UpstreamFolder) -> None:
    mailbox = push.mailboxes.get(row.mailbox_id)
    if mailbox is None or mailbox.role is not None or mailbox.destroyed_modseq is not None:
        return
    parent_name, _, leaf = row.name.rpartition(push.delimiter)
    parent = next((r for r in push.rows if r.live and r.name == parent_name), None)
    with session_scope(push.engine) as session:
        alloc = ModseqAllocator(session, push.sync.account_id)
        current = session.get(Mailbox, identity(Mailbox, push.sync.account_id, mailbox.id))
        if current is not None:
            current.name = leaf[:MAX_NAME]
            current.parent_id = parent.mailbox_id if parent is not None else None
            current.updated_modseq = alloc.next()
            mailbox.name, mailbox.parent_id = current.name, current.parent_id
        alloc.finish()


def keep_moved_out(push: FolderPush) -> None:
    """Mail moved here out of a folder that has since vanished upstream: the move can no longer
    be written (the message went with the folder), so the copy kept here is APPENDed to the
    folder it was moved to, where it keeps its email; the user's move is not lost. A search for
    its Message-ID first makes a retry after a crash adopt the copy instead of adding another."""
    by_mailbox = push.live_rows()
    vanished = {r.id: r for r in push.rows if r.live and r.name not in push.remote}
    if not vanished:
        return
    with session_scope(push.engine, write=False) as session:
        pending = session.execute(
            select(
                UpstreamMessage.id,
                UpstreamMessage.folder_id,
                Email.mailbox_id,
                Email.keywords,
                Email.message_id,
                Email.updated_modseq,
                EmailBlob.raw,
            )
            .join(Email, Email.id == UpstreamMessage.email_id)
            .join(EmailBlob, EmailBlob.email_id == Email.id)
            .where(
                UpstreamMessage.folder_id.in_(sorted(vanished)),
                Email.account_id == push.sync.account_id,
                Email.destroyed_modseq.is_(None),
                Email.mailbox_id.not_in(sorted({r.mailbox_id for r in vanished.values()})),
            )
        ).all()
    kept: dict[str, int] = {}
    for row_id, folder_id, mailbox_id, keywords, message_id, modseq, raw in pending:
        target = by_mailbox.get(mailbox_id)
        if target is None or target.id in vanished:
            continue  # no folder to put it in: it goes with the folder (rehome says so)
        client = push.client
        client.select_folder(target.name)
        found = client.search(["HEADER", "Message-ID", message_id]) if message_id else []
        if found:
            uid: int | None = int(max(found))
        else:
            flags = [imap_flag(k).encode() for k in sorted(keywords or [])]
            answer = client.append(target.name, bytes(raw), flags=flags)
            match = _APPENDUID.search(answer if isinstance(answer, bytes) else b"")
            uid = int(match.group(2)) if match is not None else None
        if uid is None:
            continue  # the target's new-mail pass imports it; this email goes with the folder
        with session_scope(push.engine) as session:
            session.execute(
                update(UpstreamMessage)
                .where(UpstreamMessage.id == row_id)
                .values(
                    folder_id=target.id,
                    uid=uid,
                    keywords=sorted(keywords or []),
                    synced_modseq=modseq,
                )
            )
        name = vanished[folder_id].name
        kept[name] = kept.get(name, 0) + 1
    for name, count in sorted(kept.items()):
        push.notices.append(
            f"The folder “{name}” was deleted on the server; {count} message"
            f"{'s' if count != 1 else ''} moved out of it here "
            f"{'were' if count != 1 else 'was'} kept and put where it was moved to there."
        )
