"""Extra read queries for the main window: list orders, conversations, outbox figures.

Every list query here is a keyset page over ``ix_messages_mailbox_date`` (mailbox, date, id),
which SQLite walks forwards or backwards, so both date orders page in constant time per page.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, exists, func, or_, select, tuple_

from mailapp.store import codec
from mailapp.store.rows import MessageSummary, OutboxState, PageCursor, SortOrder
from mailapp.store.schema import messages, outbox
from mailapp.store.store import _SUMMARY_COLUMNS, MailStore, _summary

_UNFINISHED = (
    OutboxState.PENDING.value,
    OutboxState.IN_FLIGHT.value,
    OutboxState.FAILED.value,
    OutboxState.CONFLICT.value,
)


def page(
    store: MailStore,
    mailbox_id: str,
    after: PageCursor | None = None,
    limit: int = 200,
    *,
    order: SortOrder = SortOrder.NEWEST_FIRST,
    conversations: bool = False,
) -> list[MessageSummary]:
    """Up to ``limit`` messages of a mailbox in ``order``, strictly after ``after``.

    With ``conversations`` only the newest message of each thread in this mailbox is listed
    (a message without a thread id is its own conversation).
    """
    newest_first = order == SortOrder.NEWEST_FIRST
    key = tuple_(messages.c.date, messages.c.id)
    query = select(*_SUMMARY_COLUMNS).where(messages.c.mailbox_id == mailbox_id)
    if newest_first:
        query = query.order_by(messages.c.date.desc(), messages.c.id.desc())
    else:
        query = query.order_by(messages.c.date.asc(), messages.c.id.asc())
    if after is not None:
        cursor = tuple_(codec.to_micros(after.date), after.id)
        query = query.where(key < cursor if newest_first else key > cursor)
    if conversations:
        newer = messages.alias("newer")  # Core alias: the ORM's aliased() costs 80 ms of start-up
        # Probes ix_messages_thread once per visited row, so paging stays proportional to a page.
        query = query.where(
            or_(
                messages.c.thread_id.is_(None),
                ~exists().where(
                    and_(
                        newer.c.thread_id == messages.c.thread_id,
                        newer.c.mailbox_id == messages.c.mailbox_id,
                        tuple_(newer.c.date, newer.c.id) > key,
                    )
                ),
            )
        )
    query = query.limit(max(0, limit))  # SQLite treats a negative LIMIT as "no limit"
    with store._read() as conn:
        return [_summary(row) for row in conn.execute(query)]


def thread_sizes(store: MailStore, mailbox_id: str, thread_ids: Iterable[str]) -> dict[str, int]:
    """How many messages each thread has in this mailbox (threads with none are left out)."""
    wanted = sorted(set(thread_ids))
    if not wanted:
        return {}
    sizes: dict[str, int] = {}
    with store._read() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            result = conn.execute(
                select(messages.c.thread_id, func.count())
                .where(messages.c.mailbox_id == mailbox_id, messages.c.thread_id.in_(chunk))
                .group_by(messages.c.thread_id)
            )
            sizes.update({row[0]: int(row[1]) for row in result})
    return sizes


def conversation_members(
    store: MailStore, mailbox_id: str, heads: Iterable[MessageSummary]
) -> list[MessageSummary]:
    """Every message in this mailbox of the conversations the ``heads`` stand for, newest first."""
    heads = list(heads)
    thread_ids = sorted({h.thread_id for h in heads if h.thread_id})
    members = {h.id: h for h in heads}
    with store._read() as conn:
        for start in range(0, len(thread_ids), 500):
            result = conn.execute(
                select(*_SUMMARY_COLUMNS).where(
                    messages.c.mailbox_id == mailbox_id,
                    messages.c.thread_id.in_(thread_ids[start : start + 500]),
                )
            )
            members.update({s.id: s for s in map(_summary, result)})
    return sorted(members.values(), key=lambda s: (s.date, s.id), reverse=True)


def summary(store: MailStore, message_id: str) -> MessageSummary | None:
    """One message's list fields, without reading its body or attachments."""
    with store._read() as conn:
        row = conn.execute(select(*_SUMMARY_COLUMNS).where(messages.c.id == message_id)).first()
    return None if row is None else _summary(row)


def summaries(store: MailStore, message_ids: Iterable[str]) -> dict[str, MessageSummary]:
    wanted = list(dict.fromkeys(message_ids))
    found: dict[str, MessageSummary] = {}
    with store._read() as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            result = conn.execute(select(*_SUMMARY_COLUMNS).where(messages.c.id.in_(chunk)))
            found.update({s.id: s for s in map(_summary, result)})
    return found


def unsent_count(store: MailStore) -> int:
    """Messages queued for sending that the server has not accepted yet (the Outbox count)."""
    with store._read() as conn:
        value = conn.execute(
            select(func.count())
            .select_from(outbox)
            .where(outbox.c.type == "submission.create", outbox.c.state.in_(_UNFINISHED))
        ).scalar()
    return int(value or 0)


def pending_count(store: MailStore) -> int:
    """Local changes of any kind the server has not confirmed yet."""
    with store._read() as conn:
        value = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.state.in_(_UNFINISHED))
        ).scalar()
    return int(value or 0)
