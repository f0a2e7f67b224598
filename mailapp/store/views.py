"""Extra read queries for the main window: list orders, conversations, drafts, outbox figures.

Every list query here is a keyset page over an index SQLite walks forwards or backwards, so
each order pages in constant time per page: ``ix_messages_mailbox_date`` (mailbox, date, id)
for the date orders, ``ix_messages_mailbox_sender``/``_subject`` (mailbox, key, date, id) for
the others, and ``ix_drafts_account_updated`` for the Drafts list.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, func, or_, select, text, tuple_

from mailapp.store import codec
from mailapp.store.rows import MailboxCounts, MessageSummary, OutboxState, PageCursor, SortOrder
from mailapp.store.schema import attachments, drafts, messages, outbox
from mailapp.store.sort_keys import sort_keys
from mailapp.store.store import MailStore
from mailapp.store.store_reads import _SUMMARY_COLUMNS, _summary, mailbox_counts_in

# "Not yet sent": what the Outbox badge and the status bar both count. A conflict is left out:
# the server answered, and it now waits for the user (the conflicts badge shows it).
_UNSENT = (
    OutboxState.PENDING.value,
    OutboxState.IN_FLIGHT.value,
    OutboxState.FAILED.value,
)
_UNFINISHED = (*_UNSENT, OutboxState.CONFLICT.value)

_DESCENDING = frozenset({SortOrder.NEWEST_FIRST, SortOrder.SENDER_DESC, SortOrder.SUBJECT_DESC})
_KEY_COLUMNS = {
    SortOrder.SENDER_ASC: "sender_key",
    SortOrder.SENDER_DESC: "sender_key",
    SortOrder.SUBJECT_ASC: "subject_key",
    SortOrder.SUBJECT_DESC: "subject_key",
}
SNIPPET_CHARS = 200


def is_descending(order: SortOrder) -> bool:
    return order in _DESCENDING


def sort_key_name(order: SortOrder) -> str | None:
    """The key column an order sorts by first ("sender_key", "subject_key"), None for dates."""
    return _KEY_COLUMNS.get(order)


def list_key(summary: MessageSummary, order: SortOrder) -> tuple[str, Any, str]:
    """Where a row sits in ``order`` (compare ascending; reverse for descending orders)."""
    name = _KEY_COLUMNS.get(order)
    if name is None:
        return ("", summary.date, summary.id)
    keys = sort_keys(summary.subject, summary.sender_name, summary.sender_email)
    return (keys[name], summary.date, summary.id)


def page(
    store: MailStore,
    mailbox_id: str,
    after: PageCursor | None = None,
    limit: int = 200,
    *,
    order: SortOrder = SortOrder.NEWEST_FIRST,
    conversations: bool = False,
    after_key: str | None = None,
) -> list[MessageSummary]:
    """Up to ``limit`` messages of a mailbox in ``order``, strictly after ``after``.

    For the sender and subject orders ``after_key`` is the cursor row's key (``list_key``);
    when None it is read from the row ``after.id`` names.

    With ``conversations`` only the newest message of each thread in this mailbox is listed
    (a message without a thread id is its own conversation).
    """
    descending = is_descending(order)
    name = sort_key_name(order)
    columns: list[ColumnElement[Any]] = [messages.c.date, messages.c.id]
    if name is not None:
        columns.insert(0, messages.c[name])
    query = select(*_SUMMARY_COLUMNS).where(messages.c.mailbox_id == mailbox_id)
    query = query.order_by(*(c.desc() if descending else c.asc() for c in columns))
    key = tuple_(messages.c.date, messages.c.id)
    if after is not None:
        values: list[Any] = [codec.to_micros(after.date), after.id]
        if name is not None and after_key is not None:
            values.insert(0, after_key)
        elif name is not None:
            values.insert(0, select(messages.c[name]).where(messages.c.id == after.id)
                          .scalar_subquery())  # fmt: skip
        position, cursor = tuple_(*columns), tuple_(*values)
        query = query.where(position < cursor if descending else position > cursor)
    if conversations:
        newer = messages.alias("newer")  # Core alias: the ORM's aliased() costs 80 ms of start-up
        # Probes ix_messages_thread_mailbox_date once per visited row, so paging stays
        # proportional to a page.
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


def summaries_before(
    store: MailStore,
    mailbox_id: str,
    message_ids: Iterable[str],
    *,
    order: SortOrder,
    bound: MessageSummary | None,
    limit: int,
) -> list[MessageSummary]:
    """Those of ``message_ids`` in this mailbox that sort before ``bound`` in ``order`` (all of
    them when None), in that order, at most ``limit``.

    A list that has fetched rows down to ``bound`` asks this for changed messages it does not
    list yet: only those that belong among its rows are read, so a sync pouring thousands of
    older messages into the open mailbox reads none of them. The messages are found by primary
    key (``+mailbox_id`` keeps SQLite off the mailbox's index, which it might walk whole).
    """
    wanted = list(dict.fromkeys(message_ids))
    if not wanted or limit <= 0:
        return []
    descending = is_descending(order)
    name = sort_key_name(order)
    columns: list[ColumnElement[Any]] = [messages.c.date, messages.c.id]
    if name is not None:
        columns.insert(0, messages.c[name])
    found: list[MessageSummary] = []
    with store._read() as conn:
        for start in range(0, len(wanted), 500):
            query = select(*_SUMMARY_COLUMNS).where(
                messages.c.id.in_(wanted[start : start + 500]),
                text("+messages.mailbox_id = :mailbox").bindparams(mailbox=mailbox_id),
            )
            if bound is not None:
                values: list[Any] = [codec.to_micros(bound.date), bound.id]
                if name is not None:
                    values.insert(0, list_key(bound, order)[0])
                position, cursor = tuple_(*columns), tuple_(*values)
                query = query.where(position > cursor if descending else position < cursor)
            query = query.order_by(*(c.desc() if descending else c.asc() for c in columns))
            found.extend(map(_summary, conn.execute(query.limit(limit))))
    if len(wanted) > 500:  # each chunk came in order: merge them, keep the first `limit`
        found.sort(key=lambda s: list_key(s, order), reverse=descending)
    return found[:limit]


def unread_among(
    store: MailStore, mailbox_ids: Iterable[str], message_ids: Iterable[str]
) -> list[tuple[int, str]]:
    """(date, id) of the unread messages among `message_ids` that are in `mailbox_ids`.

    Just two columns: the new-mail notice asks this for every page a sync applies, and reading
    whole summaries of 500 messages there stalled the window.
    """
    wanted, boxes = list(dict.fromkeys(message_ids)), set(mailbox_ids)
    found: list[tuple[int, str]] = []
    with store._read() as conn:
        for start in range(0, len(wanted), 500):
            # Looked up by primary key only, the mailbox and read state checked here: with
            # `mailbox_id IN (...)` in the query SQLite may walk the whole inbox by its index.
            query = select(
                messages.c.date, messages.c.id, messages.c.mailbox_id, messages.c.is_read
            ).where(messages.c.id.in_(wanted[start : start + 500]))
            found.extend(
                (row.date, row.id)
                for row in conn.execute(query)
                if row.mailbox_id in boxes and not row.is_read
            )
    return found


def draft_page(
    store: MailStore,
    account_id: str,
    mailbox_id: str,
    after: PageCursor | None = None,
    limit: int = 200,
    *,
    order: SortOrder = SortOrder.NEWEST_FIRST,
) -> list[MessageSummary]:
    """An account's drafts (local and synced) as list rows of its Drafts mailbox ``mailbox_id``,
    by last edit: newest first unless ``order`` is OLDEST_FIRST. A row's date is the last edit,
    its sender the recipients (a draft is from the user)."""
    oldest_first = order == SortOrder.OLDEST_FIRST
    position = tuple_(drafts.c.updated_at, drafts.c.id)
    query = select(drafts.c.id, drafts.c.fields, drafts.c.updated_at).where(
        drafts.c.account_id == account_id
    )
    if oldest_first:
        query = query.order_by(drafts.c.updated_at.asc(), drafts.c.id.asc())
    else:
        query = query.order_by(drafts.c.updated_at.desc(), drafts.c.id.desc())
    if after is not None:
        cursor = tuple_(codec.to_micros(after.date), after.id)
        query = query.where(position > cursor if oldest_first else position < cursor)
    with store._read() as conn:
        rows = conn.execute(query.limit(max(0, limit))).all()
    return [_draft_summary(r.id, mailbox_id, codec.loads(r.fields), r.updated_at) for r in rows]


def draft_summaries(
    store: MailStore, account_id: str, mailbox_id: str, draft_ids: Iterable[str]
) -> dict[str, MessageSummary]:
    """The list rows of those drafts that still exist in this account."""
    wanted = sorted(set(draft_ids))
    found: dict[str, MessageSummary] = {}
    with store._read() as conn:
        for start in range(0, len(wanted), 500):
            result = conn.execute(
                select(drafts.c.id, drafts.c.fields, drafts.c.updated_at).where(
                    drafts.c.account_id == account_id,
                    drafts.c.id.in_(wanted[start : start + 500]),
                )
            )
            for r in result:
                found[r.id] = _draft_summary(r.id, mailbox_id, codec.loads(r.fields), r.updated_at)
    return found


def draft_count(store: MailStore, account_id: str) -> int:
    with store._read() as conn:
        value = conn.execute(
            select(func.count()).select_from(drafts).where(drafts.c.account_id == account_id)
        ).scalar()
    return int(value or 0)


def _draft_summary(
    draft_id: str, mailbox_id: str, fields: dict[str, Any], updated_at: int
) -> MessageSummary:
    recipients = [*(fields.get("to") or []), *(fields.get("cc") or [])]
    names = [r.get("name") or r.get("email") or "" for r in recipients]
    emails = [r.get("email") or "" for r in recipients]
    body = " ".join((fields.get("body") or "").split())
    return MessageSummary(
        id=draft_id,
        mailbox_id=mailbox_id,
        subject=fields.get("subject") or "",
        sender_name=", ".join(n for n in names if n) or None,
        sender_email=", ".join(e for e in emails if e) or None,
        date=codec.from_micros(updated_at),
        is_read=True,
        is_flagged=False,
        has_attachments=bool(fields.get("attachments")),
        snippet=body[:SNIPPET_CHARS],
        thread_id=None,
    )


# What the Outbox lists: messages being sent. Every other change waits there too, but is shown
# as one line ("3 changes not yet synced"): reading mail must not look like mail going out.
SEND_TYPES = ("submission.create",)


def _pending_sends_in(conn: Connection) -> int:
    value = conn.execute(
        select(func.count())
        .select_from(outbox)
        .where(outbox.c.state.in_(_UNSENT), outbox.c.type.in_(SEND_TYPES))
    ).scalar()
    return int(value or 0)


def pending_send_count(store: MailStore) -> int:
    """Messages waiting to be sent (the Outbox badge); conflicts are not counted."""
    with store._read() as conn:
        return _pending_sends_in(conn)


def tree_counts(store: MailStore, *, sends: bool) -> tuple[dict[str, MailboxCounts], int | None]:
    """Every mailbox's counts and, with ``sends``, the Outbox badge's count (else None), in one
    read: the mailbox tree asks for them on every change a sync applies."""
    with store._read() as conn:
        return mailbox_counts_in(conn), _pending_sends_in(conn) if sends else None


def pending_count(store: MailStore) -> int:
    """Local changes of any kind not yet sent: the status bar's "N changes not yet sent"
    shows this. Conflicts are not counted (see ``_UNSENT``)."""
    with store._read() as conn:
        value = conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.state.in_(_UNSENT))
        ).scalar()
    return int(value or 0)


def account_of_message(store: MailStore, message_id: str) -> str | None:
    """The account a message belongs to (which account's sync thread fetches its body)."""
    with store._read() as conn:
        return conn.execute(
            select(messages.c.account_id).where(messages.c.id == message_id)
        ).scalar()


def account_of_attachment(store: MailStore, attachment_id: str) -> str | None:
    """The account of the message an attachment belongs to."""
    with store._read() as conn:
        return conn.execute(
            select(messages.c.account_id)
            .join(attachments, attachments.c.message_num == messages.c.num)
            .where(attachments.c.id == attachment_id)
        ).scalar()
