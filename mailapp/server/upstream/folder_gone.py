"""A folder deleted upstream: what happens to its mailbox here, and what the link says.

Its messages go (they are gone upstream). What was on its way into it is not lost: a message
moved into its mailbox here, whose move was not written upstream yet, is still in its old
folder upstream, so it goes back to that folder's mailbox; mail that lives only here (filed
locally) goes to the Inbox. Then the mailbox is destroyed (a role mailbox is kept).

The link's state is `folder_deleted` for a day afterwards, with a note per folder saying what
was removed and where the queued moves went (`status`, `GET /v1/upstream`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from mailapp.server.db import ModseqAllocator, session_scope
from mailapp.server.models import Email, Mailbox
from mailapp.server.upstream.models import UpstreamFolder, UpstreamMessage

NOTICE = timedelta(days=1)
MAX_NOTE = 1000


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
