"""Where a sync pass looks for changes made here that are not yet written upstream.

The pending write-back of a message is the difference between its email and its
`upstream_message` row (writeback.py): a change made after the row was last reconciled
(`Email.updated_modseq > synced_modseq`), or a delete. Finding it by joining every row of every
folder with its email cost a scan of the whole mailbox on every pass, also when nothing changed.

The link keeps a floor instead (`UpstreamAccount.pushed_modseq`): every email with pending
write-back has an updated_modseq above it. A pass reads the account's modseq first (`start`),
then the folders that have a pending row among the emails changed since the floor (the email
feed index, so the work is the number of changes). After the pass the floor rises to `start`,
or to just below the oldest change still pending (refused, a blocked folder, a move into a
mailbox without a folder): whatever stays pending is seen again next time. Commit order is
modseq order (the account row is locked by every change), so no change at or below `start`
can commit after it was read. Something that makes a row pending without a newer modseq on its
email must lower the floor or set the row so (remap.py sets the row to what both sides agree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Email
from mailapp.server.modseq import current_modseq
from mailapp.server.upstream.models import UpstreamAccount, UpstreamFolder, UpstreamMessage


@dataclass
class Pending:
    floor: int  # every pending email's updated_modseq is above this
    start: int  # the account's modseq when the pass began
    folders: set[int] = field(default_factory=set)  # folders with pending write-back


def is_pending() -> ColumnElement[bool]:
    """A row whose email changed here after it was reconciled, or was deleted here."""
    return or_(
        Email.destroyed_modseq.is_not(None),
        Email.updated_modseq > UpstreamMessage.synced_modseq,
    )


def changed_since(account_id: str, floor: int) -> ColumnElement[bool]:
    """Emails changed since `floor`: a range of the email feed index (account, modseq)."""
    return and_(Email.account_id == account_id, Email.updated_modseq > floor)


def begin(engine: Engine, account_id: str, upstream_id: str) -> Pending:
    with session_scope(engine, write=False) as session:
        start = current_modseq(session, account_id)  # first: see the module docstring
        floor = session.scalar(
            select(UpstreamAccount.pushed_modseq).where(UpstreamAccount.id == upstream_id)
        )
        floor = int(floor or 0)
        folders = session.scalars(
            select(UpstreamMessage.folder_id)
            .distinct()
            .join(Email, Email.id == UpstreamMessage.email_id)
            .where(changed_since(account_id, floor), is_pending())
        ).all()
    return Pending(floor, start, {int(f) for f in folders})


def finish(engine: Engine, account_id: str, upstream_id: str, pending: Pending) -> None:
    """Raise the floor to `start`, or below the oldest change still pending."""
    if pending.start <= pending.floor:
        return  # nothing changed in the account since the floor: no statement at all
    with session_scope(engine, write=False) as session:
        oldest = session.scalar(
            select(Email.updated_modseq)
            .join(UpstreamMessage, UpstreamMessage.email_id == Email.id)
            .join(UpstreamFolder, UpstreamFolder.id == UpstreamMessage.folder_id)
            .where(
                changed_since(account_id, pending.floor),
                Email.updated_modseq <= pending.start,
                UpstreamFolder.upstream_id == upstream_id,
                is_pending(),
            )
            .order_by(Email.updated_modseq)
            .limit(1)
        )
    floor = pending.start if oldest is None else min(pending.start, int(oldest) - 1)
    if floor > pending.floor:
        with session_scope(engine) as session:
            session.execute(
                update(UpstreamAccount)
                .where(UpstreamAccount.id == upstream_id)
                .values(pushed_modseq=floor)
            )
    pending.floor = max(pending.floor, floor)
