"""MailStore's reads: accounts and mailboxes, a mailbox's pages, a message, search; and the
bulk import of mail that already exists on the server."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select, text, tuple_
from sqlalchemy.exc import IntegrityError

from mailapp.store import codec
from mailapp.store.raw_parts import find_part, html_from_raw, parse_raw
from mailapp.store.rows import (
    AttachmentInfo,
    ChangeSet,
    MailboxCounts,
    MailboxRow,
    MessageDetail,
    MessageSummary,
    OutboxState,
    PageCursor,
)
from mailapp.store.schema import (
    accounts,
    attachments,
    blobs,
    mailboxes,
    message_bodies,
    messages,
    outbox,
    sync_state,
)
from mailapp.store.store_base import AnyRow, StoreBase

if TYPE_CHECKING:
    from mailapp.store.importer import ImportItem

STANDARD_MAILBOXES = (
    ("Inbox", "inbox"),
    ("Drafts", "drafts"),
    ("Sent", "sent"),
    ("Archive", "archive"),
    ("Junk", "junk"),
    ("Trash", "trash"),
)
_UNFINISHED = (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value)

_SUMMARY_COLUMNS = (
    messages.c.id,
    messages.c.mailbox_id,
    messages.c.subject,
    messages.c.sender_name,
    messages.c.sender_email,
    messages.c.date,
    messages.c.is_read,
    messages.c.is_flagged,
    messages.c.has_attachments,
    messages.c.snippet,
    messages.c.thread_id,
)


def _summary(row: AnyRow) -> MessageSummary:
    return MessageSummary(
        id=row.id,
        mailbox_id=row.mailbox_id,
        subject=row.subject,
        sender_name=row.sender_name,
        sender_email=row.sender_email,
        date=codec.from_micros(row.date),
        is_read=bool(row.is_read),
        is_flagged=bool(row.is_flagged),
        has_attachments=bool(row.has_attachments),
        snippet=row.snippet,
        thread_id=row.thread_id,
    )


def _mailbox(row: AnyRow) -> MailboxRow:
    return MailboxRow(row.id, row.account_id, row.name, row.role, row.parent_id, row.sort_order)


def mailbox_counts_in(conn: Connection) -> dict[str, MailboxCounts]:
    """Every mailbox's counts (MailStore.mailbox_counts), inside the caller's transaction."""
    pending_query = (
        select(messages.c.mailbox_id, func.count(func.distinct(messages.c.id)))
        .join(outbox, outbox.c.email_id == messages.c.id)
        .where(outbox.c.state.in_(_UNFINISHED))
        .group_by(messages.c.mailbox_id)
    )
    pending = {row[0]: row[1] for row in conn.execute(pending_query)}
    result = conn.execute(select(mailboxes.c.id, mailboxes.c.total_count, mailboxes.c.unread_count))
    return {
        row.id: MailboxCounts(row.total_count, row.unread_count, pending.get(row.id, 0))
        for row in result
    }


class StoreReads(StoreBase):
    # -- accounts and mailboxes ------------------------------------------------------------

    def create_account(self, email: str, *, display_name: str | None = None) -> str:
        account_id = str(uuid.uuid4())
        rows = [
            {
                "id": str(uuid.uuid4()),
                "account_id": account_id,
                "name": name,
                "role": role,
                "parent_id": None,
                "sort_order": order,
            }
            for order, (name, role) in enumerate(STANDARD_MAILBOXES)
        ]
        try:
            with self._write() as conn:
                conn.execute(
                    insert(accounts).values(
                        id=account_id,
                        email=email,
                        display_name=display_name,
                        created_at=codec.now_micros(),
                    )
                )
                conn.execute(insert(mailboxes), rows)
                conn.execute(insert(sync_state).values(account_id=account_id))
        except IntegrityError as exc:
            raise ValueError(f"an account for {email} already exists") from exc
        self._notify(ChangeSet(mailboxes=frozenset(str(r["id"]) for r in rows)))
        return account_id

    def accounts(self) -> list[tuple[str, str]]:
        with self._read() as conn:
            result = conn.execute(
                select(accounts.c.id, accounts.c.email).order_by(accounts.c.created_at)
            )
            return [(row.id, row.email) for row in result]

    def mailboxes(self, account_id: str | None = None) -> list[MailboxRow]:
        query = select(mailboxes).order_by(
            mailboxes.c.account_id, mailboxes.c.sort_order, mailboxes.c.name
        )
        if account_id is not None:
            query = query.where(mailboxes.c.account_id == account_id)
        with self._read() as conn:
            return [_mailbox(row) for row in conn.execute(query)]

    def mailbox_by_role(self, account_id: str, role: str) -> MailboxRow | None:
        with self._read() as conn:
            row = conn.execute(
                select(mailboxes).where(
                    mailboxes.c.account_id == account_id, mailboxes.c.role == role
                )
            ).first()
        return None if row is None else _mailbox(row)

    def mailbox_counts(self) -> dict[str, MailboxCounts]:
        with self._read() as conn:
            return mailbox_counts_in(conn)

    # -- reading -----------------------------------------------------------------------------

    def count(self, mailbox_id: str) -> int:
        with self._read() as conn:
            value = conn.execute(
                select(mailboxes.c.total_count).where(mailboxes.c.id == mailbox_id)
            ).scalar()
        return int(value or 0)

    def page(
        self, mailbox_id: str, after: PageCursor | None = None, limit: int = 200
    ) -> list[MessageSummary]:
        """Up to ``limit`` messages, newest first by (date, id), strictly after ``after``."""
        query = (
            select(*_SUMMARY_COLUMNS)
            .where(messages.c.mailbox_id == mailbox_id)
            .order_by(messages.c.date.desc(), messages.c.id.desc())
            .limit(max(0, limit))  # SQLite treats a negative LIMIT as "no limit"
        )
        if after is not None:
            query = query.where(
                tuple_(messages.c.date, messages.c.id)
                < tuple_(codec.to_micros(after.date), after.id)
            )
        with self._read() as conn:
            return [_summary(row) for row in conn.execute(query)]

    def message(self, message_id: str) -> MessageDetail | None:
        with self._read() as conn:
            row = conn.execute(
                select(*_SUMMARY_COLUMNS, messages.c.num, messages.c.headers).where(
                    messages.c.id == message_id
                )
            ).first()
            if row is None:
                return None
            body = conn.execute(
                select(message_bodies).where(message_bodies.c.message_num == row.num)
            ).first()
            html = body.html_body if body else None
            raw = None
            if body is not None and html is None:
                # Mail that keeps its raw bytes keeps its HTML only there (raw_parts.py, 0010).
                from mailapp.store.raw_codec import read  # zstandard: not needed at start-up

                raw = read(conn, row.num)
            parts = conn.execute(
                select(
                    attachments.c.id,
                    attachments.c.filename,
                    attachments.c.content_type,
                    attachments.c.size,
                    attachments.c.content_id,
                    attachments.c.inline,
                )
                .where(attachments.c.message_num == row.num)
                .order_by(attachments.c.position)
            ).all()
        headers = codec.loads(row.headers)
        if raw is not None:
            html = html_from_raw(raw)
        return MessageDetail(
            summary=_summary(row),
            to=codec.addresses_from_wire(headers["to"]),
            cc=codec.addresses_from_wire(headers["cc"]),
            text_body=body.text_body if body else None,
            html_body=html,
            attachments=[
                AttachmentInfo(
                    p.id, p.filename, p.content_type, p.size, p.content_id, bool(p.inline)
                )
                for p in parts
            ],
            notes=codec.loads(body.notes) if body else [],
            body_available=body is not None,
        )

    def attachment_data(self, attachment_id: str) -> bytes | None:
        """The attachment's bytes; None when this computer does not have them (yet)."""
        with self._read() as conn:
            row = conn.execute(
                select(
                    attachments.c.data,
                    attachments.c.message_num,
                    attachments.c.position,
                    attachments.c.filename,
                    attachments.c.content_type,
                    attachments.c.content_id,
                    attachments.c.size,
                ).where(attachments.c.id == attachment_id)
            ).first()
            if row is None or row.data is not None:
                return None if row is None else row.data
            # Mail that keeps its raw bytes keeps its attachments only there (raw_parts.py, 0010).
            from mailapp.store.raw_codec import read  # zstandard: not needed at start-up

            raw = read(conn, row.message_num)
        if raw is None:
            return None
        part = find_part(parse_raw(raw), row)
        return None if part is None else part.data

    def blob(self, blob_id: str) -> bytes | None:
        """The bytes of a draft attachment (DraftAttachment.blob_id)."""
        with self._read() as conn:
            return conn.execute(select(blobs.c.data).where(blobs.c.id == blob_id)).scalar()

    def search(
        self, query: str, *, mailbox_id: str | None = None, limit: int = 200
    ) -> list[MessageSummary]:
        """Messages matching every word of ``query`` (as prefixes), newest first.

        Order is by date; messages sharing the same microsecond may come in either order.

        Searches subject, sender, recipients and body text. Any text is accepted: FTS syntax
        characters are searched for literally.
        """
        # Imported here, not at the top: search and import need the MIME parser and the demo
        # generator, ~30 ms that a start-up which only lists mail should not pay for.
        from mailapp.store.fts import INDEXES, match_expression

        expression = match_expression(query)
        if expression is None:
            return []
        columns = ", ".join(f"m.{c.name}" for c in _SUMMARY_COLUMNS)
        # Two indexes (fts.py, migration 0011): messages with a body in messages_fts, those
        # that arrived without one in headers_fts (a subset of their full entry once the body
        # is here). A message matches when either index has every word. Each side walks its
        # index newest first and the UNION merges the two, so LIMIT stops both early.
        box = (
            " JOIN messages AS m ON m.num = {0}.rowid AND m.mailbox_id = :mb" if mailbox_id else ""
        )
        sides = " UNION ".join(
            f"SELECT {table}.rowid AS num FROM {table}{box.format(table)} WHERE {table} MATCH :q"
            for table in INDEXES
        )
        sql = text(
            f"SELECT {columns} FROM messages AS m"
            f" WHERE m.num IN (SELECT num FROM ({sides} ORDER BY num DESC LIMIT :limit))"
            " ORDER BY m.num DESC"
        )
        with self._read() as conn:
            result = conn.execute(sql, {"q": expression, "mb": mailbox_id, "limit": max(0, limit)})
            return [_summary(row) for row in result]

    # -- bulk import -------------------------------------------------------------------------

    def import_messages(self, account_id: str, items: Iterable[ImportItem]) -> int:
        """Store messages that already exist on the server; queues nothing. Returns the count.

        ``items`` are DemoMessages or ``(mailbox_id, ParsedMessage, keywords)`` tuples. Commits
        and notifies every BATCH_SIZE messages; an error stops the import after the last
        committed batch.
        """
        from mailapp.store.importer import ImportContext, batches, import_batch  # see search()

        ctx = ImportContext(account_id)
        imported = 0
        for batch in batches(items):
            with self._write() as conn:
                import_batch(conn, ctx, batch)
            # Each batch is its own commit, so views can show mail while a big import runs.
            imported += len(ctx.new_ids)
            changes = ChangeSet(
                messages=frozenset(ctx.new_ids),
                mailboxes=frozenset(ctx.touched_mailboxes),
                arrived=frozenset(ctx.new_ids),
            )
            ctx.new_ids.clear()
            ctx.touched_mailboxes.clear()
            self._notify(changes)
        return imported

    # -- user actions: local change + outbox mutation in one transaction ------------------------
