"""The local copy of a sync server's account: applying server records, with rebase.

Each synced row keeps ``base`` (the server's last known values, JSON) next to its visible
columns, which always equal that base with the still-unconfirmed local mutations replayed on
top. So a server change never overwrites a field the user changed locally and has not yet
pushed (read mail stays read), and a rejected or conflicting change falls back to the server's
value on its own. Local ids of synced records are the server's ids, so mutations need no
remapping. Functions take a MailStore and use its transactions and notifications.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp import wire
from mailapp.core.addresses import Address
from mailapp.store import codec
from mailapp.store.drafts import FIELDS as DRAFT_FIELDS
from mailapp.store.importer import ImportContext, allocate_nums, insert_many, thread_for
from mailapp.store.outbox import outbox_row
from mailapp.store.rows import ChangeSet, OutboxRow, OutboxState
from mailapp.store.schema import (
    accounts,
    attachments,
    drafts,
    mailboxes,
    message_bodies,
    messages,
    outbox,
    sync_state,
)
from mailapp.store.sort_keys import sort_keys
from mailapp.store.store import MailStore

_UNFINISHED = (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value)
_CHUNK = 500


@dataclass(frozen=True)
class SyncAccount:
    account_id: str
    email: str
    server_url: str
    username: str
    server_account_id: str
    state: str | None
    prefetch_days: int


@dataclass
class Touched:
    """What one transaction changed, for the store's subscribers."""

    messages: set[str] = field(default_factory=set)
    mailboxes: set[str] = field(default_factory=set)
    drafts: set[str] = field(default_factory=set)
    outbox: bool = False

    def changeset(self) -> ChangeSet:
        return ChangeSet(
            messages=frozenset(self.messages),
            mailboxes=frozenset(self.mailboxes),
            outbox=self.outbox,
            drafts=frozenset(self.drafts),
        )

    def __bool__(self) -> bool:
        return bool(self.messages or self.mailboxes or self.drafts or self.outbox)


def _loads(value: str | None) -> Any:
    return None if value is None else codec.loads(value)


def _defer_foreign_keys(conn: Connection) -> None:
    # Records of one page arrive in any order (a child mailbox before its parent, mail before
    # its mailbox); the keys are checked once, at commit.
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")


# -- accounts --------------------------------------------------------------------------------


def create_synced_account(
    store: MailStore,
    *,
    session: wire.SessionInfo,
    server_url: str,
    username: str,
    mailbox_records: Sequence[wire.MailboxRecord],
) -> str:
    """Create the local account for a server sign-in, with the server's mailboxes."""
    account_id = str(uuid.uuid4())
    touched = Touched()
    with store._write() as conn:
        existing = conn.execute(
            select(accounts.c.id).where(
                accounts.c.server_url == server_url,
                accounts.c.server_account_id == session.account_id,
            )
        ).scalar()
        if existing is not None:
            raise ValueError(f"{session.email} on {server_url} is already in this profile")
        conn.execute(
            insert(accounts).values(
                id=account_id,
                email=session.email,
                display_name=session.name,
                created_at=codec.now_micros(),
                server_url=server_url,
                username=username,
                server_account_id=session.account_id,
            )
        )
        conn.execute(insert(sync_state).values(account_id=account_id))
        _defer_foreign_keys(conn)
        for record in mailbox_records:
            _upsert_mailbox(conn, account_id, record, touched)
    store._notify(touched.changeset())
    return account_id


def synced_accounts(store: MailStore) -> list[SyncAccount]:
    query = (
        select(accounts, sync_state.c.state, sync_state.c.prefetch_days)
        .join(sync_state, sync_state.c.account_id == accounts.c.id)
        .where(accounts.c.server_url.isnot(None))
        .order_by(accounts.c.created_at)
    )
    with store._read() as conn:
        return [
            SyncAccount(
                r.id,
                r.email,
                r.server_url,
                r.username,
                r.server_account_id,
                r.state,
                r.prefetch_days,
            )
            for r in conn.execute(query)
        ]


def sync_account(store: MailStore, account_id: str) -> SyncAccount:
    for account in synced_accounts(store):
        if account.account_id == account_id:
            return account
    raise KeyError(f"account {account_id} is not signed in to a sync server")


def set_prefetch_days(store: MailStore, account_id: str, days: int) -> None:
    with store._write() as conn:
        conn.execute(
            update(sync_state)
            .where(sync_state.c.account_id == account_id)
            .values(prefetch_days=max(0, days))
        )


# -- replaying local mutations on a server base -------------------------------------------------


def unfinished(conn: Connection, account_id: str, limit: int | None = None) -> list[OutboxRow]:
    """The account's queued mutations not yet answered by the server, oldest first."""
    query = (
        select(outbox)
        .where(outbox.c.account_id == account_id, outbox.c.state.in_(_UNFINISHED))
        .order_by(outbox.c.mutation_id)
    )
    if limit is not None:
        query = query.limit(limit)
    return [outbox_row(row) for row in conn.execute(query)]


def _pending_for(conn: Connection, column: Any, record_id: str) -> list[OutboxRow]:
    rows = conn.execute(
        select(outbox)
        .where(column == record_id, outbox.c.state.in_(_UNFINISHED))
        .order_by(outbox.c.mutation_id)
    )
    return [outbox_row(row) for row in rows]


def mark_rebased(conn: Connection, rows: Iterable[OutboxRow]) -> None:
    """A server change to these mutations' record was applied after they were queued.

    They were made on the older base, so they must travel as queued: folding them (store/fold.py)
    assumes the base they were made on, and could cancel a "read, then unread" that the server,
    which now says read, never saw undone.
    """
    ids = [row.mutation_id for row in rows]
    for start in range(0, len(ids), _CHUNK):
        conn.execute(
            update(outbox)
            .where(outbox.c.mutation_id.in_(ids[start : start + _CHUNK]))
            .values(rebased=True)
        )


def _email_view(base: dict[str, Any], pending: Iterable[OutboxRow]) -> dict[str, Any] | None:
    """The email as the user sees it: the server base plus unconfirmed local changes."""
    keywords = set(base["keywords"])
    mailbox_id = base["mailboxId"]
    for row in pending:
        if row.type == "email.keywords":
            keywords.difference_update(row.args.get("remove", []))
            keywords.update(row.args.get("add", []))
        elif row.type == "email.move":
            mailbox_id = row.args["mailboxId"]["new"]
        elif row.type == "email.destroy":
            return None
    return {"keywords": sorted(keywords), "mailboxId": mailbox_id}


def _draft_view(base: dict[str, Any], pending: Iterable[OutboxRow]) -> dict[str, Any] | None:
    fields = dict(base)
    for row in pending:
        if row.type == "draft.upsert":
            for name, change in row.args.get("fields", {}).items():
                fields[name] = change.get("new")
        elif row.type == "draft.destroy":
            return None
    return fields


def _mailbox_view(base: dict[str, Any], pending: Iterable[OutboxRow]) -> dict[str, Any] | None:
    view = dict(base)
    for row in pending:
        if row.type == "mailbox.update":
            for name in ("name", "parentId"):
                change = row.args.get(name)
                if change is not None:
                    view[name] = change.get("new")
        elif row.type == "mailbox.destroy":
            return None
    return view


def local_draft_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Server draft values in the store's draft form (which never holds null lists/strings)."""
    local = {name: fields.get(name) for name in DRAFT_FIELDS}
    for name in ("subject", "body"):
        if local[name] is None:
            local[name] = ""
    for name in ("to", "cc", "bcc", "references", "attachments"):
        if local[name] is None:
            local[name] = []
    return local


# -- applying server records -----------------------------------------------------------------


def _upsert_mailbox(
    conn: Connection, account_id: str, record: wire.MailboxRecord, touched: Touched
) -> None:
    existing = conn.execute(
        select(mailboxes.c.server_version, mailboxes.c.base).where(mailboxes.c.id == record.id)
    ).first()
    if existing is not None and (existing.server_version or 0) > record.updated_modseq:
        return  # an older state of the record than the one already applied
    base = {"name": record.name, "parentId": record.parent_id}
    pending = _pending_mailbox(conn, record.id)
    if pending and (existing is None or _loads(existing.base) != base):
        mark_rebased(conn, pending)
    view = _mailbox_view(base, pending)
    if view is None:
        return  # the user deleted it here; the push settles it
    values = {
        "name": view["name"],
        "parent_id": view["parentId"],
        "role": record.role,
        "sort_order": record.sort_order,
        "server_version": record.updated_modseq,
        "base": codec.dumps(base),
    }
    if existing is None:
        if record.role is not None:
            # A role mailbox made locally before the first sync gives way to the server's.
            conn.execute(
                update(mailboxes)
                .where(mailboxes.c.account_id == account_id, mailboxes.c.role == record.role)
                .values(role=None)
            )
        conn.execute(insert(mailboxes).values(id=record.id, account_id=account_id, **values))
    else:
        conn.execute(update(mailboxes).where(mailboxes.c.id == record.id).values(values))
    touched.mailboxes.add(record.id)


def _pending_mailbox(conn: Connection, mailbox_id: str) -> list[OutboxRow]:
    rows = conn.execute(
        select(outbox)
        .where(
            outbox.c.type.in_(("mailbox.update", "mailbox.destroy")),
            outbox.c.state.in_(_UNFINISHED),
            text("json_extract(outbox.payload, '$.args.mailboxId') = :mailbox_id").bindparams(
                mailbox_id=mailbox_id
            ),
        )
        .order_by(outbox.c.mutation_id)
    )
    return [outbox_row(row) for row in rows]


def _destroy_mailbox(conn: Connection, mailbox_id: str, touched: Touched) -> None:
    stranded = (
        conn.execute(select(messages.c.id).where(messages.c.mailbox_id == mailbox_id))
        .scalars()
        .all()
    )
    if stranded:
        # The server only destroys empty mailboxes; what is left here is stale.
        conn.execute(delete(messages).where(messages.c.mailbox_id == mailbox_id))
        touched.messages.update(stranded)
    conn.execute(
        update(mailboxes).where(mailboxes.c.parent_id == mailbox_id).values(parent_id=None)
    )
    if conn.execute(delete(mailboxes).where(mailboxes.c.id == mailbox_id)).rowcount:
        touched.mailboxes.add(mailbox_id)


def _address_list(items: Sequence[wire.Address]) -> list[Address]:
    return [Address(item.name, item.email) for item in items]


def _email_row(
    ctx: ImportContext, record: wire.EmailRecord, view: dict[str, Any], num: int, thread: str
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """(messages row, attachments rows, messages_fts row) for a new headers-only message."""
    senders = record.from_ or record.sender
    sender = senders[0] if senders else None
    to, cc = _address_list(record.to), _address_list(record.cc)
    keywords = view["keywords"]
    message = {
        "num": num,
        "id": record.id,
        "account_id": ctx.account_id,
        "mailbox_id": view["mailboxId"],
        "server_id": record.id,
        "server_version": record.updated_modseq,
        "base": codec.dumps({"keywords": sorted(record.keywords), "mailboxId": record.mailbox_id}),
        "message_id_header": record.message_id,
        "thread_id": thread,
        "subject": record.subject,
        "sender_name": sender.name if sender else None,
        "sender_email": sender.email if sender else None,
        **sort_keys(record.subject, *((sender.name, sender.email) if sender else (None, None))),
        "date": codec.to_micros(record.sent_at),
        "is_read": "$seen" in keywords,
        "is_flagged": "$flagged" in keywords,
        "keywords": codec.dumps(keywords),
        "has_attachments": record.has_attachment,
        "snippet": record.preview,
        "headers": codec.dumps(
            {
                "to": codec.addresses_to_wire(to),
                "cc": codec.addresses_to_wire(cc),
                "bcc": codec.addresses_to_wire(_address_list(record.bcc)),
                "replyTo": codec.addresses_to_wire(_address_list(record.reply_to)),
                "inReplyTo": record.in_reply_to[0] if record.in_reply_to else None,
                "references": record.references,
            }
        ),
    }
    parts = [
        {
            "id": f"{record.id}.{part.part_id}",
            "message_num": num,
            "position": position,
            "filename": part.name or "attachment",
            "content_type": part.content_type,
            "size": part.size,
            "content_id": None,
            "inline": part.inline,
            "data": None,
        }
        for position, part in enumerate(record.attachments)
    ]
    fts = {
        "num": num,
        "subject": record.subject,
        "sender": codec.address_text([Address(sender.name, sender.email)]) if sender else "",
        "recipients": codec.address_text([*to, *cc]),
        "body": "",
    }
    return message, parts, fts


def _insert_emails(
    conn: Connection, ctx: ImportContext, records: Sequence[wire.EmailRecord], touched: Touched
) -> None:
    """Insert messages new to this store, in bulk (a first sync brings thousands per page)."""
    pending = _pending_by_email(conn, [record.id for record in records])
    # Mutations queued for a message this store had no server copy of: made on no known base.
    mark_rebased(conn, [row for rows in pending.values() for row in rows])
    known_boxes = set(
        conn.execute(select(mailboxes.c.id).where(mailboxes.c.account_id == ctx.account_id))
        .scalars()
        .all()
    )
    chosen: list[tuple[wire.EmailRecord, dict[str, Any]]] = []
    for record in records:
        base = {"keywords": sorted(record.keywords), "mailboxId": record.mailbox_id}
        view = _email_view(base, pending.get(record.id, []))
        if view is None:
            continue  # destroyed here, not yet pushed
        if view["mailboxId"] not in known_boxes:
            view["mailboxId"] = base["mailboxId"]
        chosen.append((record, view))
    nums = allocate_nums(conn, [codec.to_micros(record.sent_at) for record, _view in chosen])
    message_rows: list[dict[str, Any]] = []
    part_rows: list[dict[str, Any]] = []
    fts_rows: list[dict[str, Any]] = []
    for (record, view), num in zip(chosen, nums, strict=True):
        related = [*record.references, *record.in_reply_to]
        thread = thread_for(conn, ctx, related, record.message_id or record.id)
        if record.message_id:
            ctx.threads.setdefault(record.message_id, thread)
        message, parts, fts = _email_row(ctx, record, view, num, thread)
        message_rows.append(message)
        part_rows.extend(parts)
        fts_rows.append(fts)
        touched.messages.add(record.id)
        touched.mailboxes.add(view["mailboxId"])
    insert_many(conn, messages.name, message_rows)
    insert_many(conn, attachments.name, part_rows)
    insert_many(conn, "messages_fts", fts_rows, rowid_alias={"num": "rowid"})


def _pending_by_email(conn: Connection, ids: Sequence[str]) -> dict[str, list[OutboxRow]]:
    pending: dict[str, list[OutboxRow]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            select(outbox)
            .where(
                outbox.c.email_id.in_(ids[start : start + _CHUNK]),
                outbox.c.state.in_(_UNFINISHED),
            )
            .order_by(outbox.c.mutation_id)
        )
        for row in rows:
            pending.setdefault(row.email_id, []).append(outbox_row(row))
    return pending


def _update_emails(
    conn: Connection, account_id: str, records: Sequence[wire.EmailRecord], touched: Touched
) -> None:
    """Apply newer server versions of messages already here, rebasing local changes."""
    ids = [record.id for record in records]
    current: dict[str, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in conn.execute(
            select(
                messages.c.id, messages.c.server_version, messages.c.mailbox_id, messages.c.base
            ).where(messages.c.id.in_(ids[start : start + _CHUNK]))
        ):
            current[row.id] = row
    pending = _pending_by_email(conn, ids)
    rebased: list[OutboxRow] = []
    known_boxes = set(
        conn.execute(select(mailboxes.c.id).where(mailboxes.c.account_id == account_id)).scalars()
    )
    updates: list[tuple[Any, ...]] = []
    for record in records:
        found = current.get(record.id)
        if found is None or (found.server_version or 0) > record.updated_modseq:
            continue  # gone meanwhile, or an older state than the one already applied
        base = {"keywords": sorted(record.keywords), "mailboxId": record.mailbox_id}
        queued = pending.get(record.id, [])
        if queued and _loads(found.base) != base:
            rebased.extend(queued)
        view = _email_view(base, queued)
        if view is None:
            conn.execute(delete(messages).where(messages.c.id == record.id))
            touched.messages.add(record.id)
            touched.mailboxes.add(found.mailbox_id)
            continue
        if view["mailboxId"] not in known_boxes:
            view["mailboxId"] = base["mailboxId"]
        keywords = view["keywords"]
        updates.append(
            (
                view["mailboxId"],
                "$seen" in keywords,
                "$flagged" in keywords,
                codec.dumps(keywords),
                codec.dumps(base),
                record.updated_modseq,
                record.id,
            )
        )
        touched.messages.add(record.id)
        touched.mailboxes.update((found.mailbox_id, view["mailboxId"]))
    mark_rebased(conn, rebased)
    if updates:
        conn.exec_driver_sql(
            "UPDATE messages SET mailbox_id = ?, is_read = ?, is_flagged = ?, keywords = ?, "
            "base = ?, server_version = ? WHERE id = ?",
            updates,
        )


def upsert_emails(
    conn: Connection, ctx: ImportContext, records: Sequence[wire.EmailRecord], touched: Touched
) -> None:
    """Apply server versions of messages, new or already here, a few statements per chunk."""
    present: set[str] = set()
    for start in range(0, len(records), _CHUNK):
        chunk = [record.id for record in records[start : start + _CHUNK]]
        present.update(
            conn.execute(select(messages.c.id).where(messages.c.id.in_(chunk))).scalars()
        )
    _update_emails(conn, ctx.account_id, [r for r in records if r.id in present], touched)
    _insert_emails(conn, ctx, [record for record in records if record.id not in present], touched)


def refresh_emails(conn: Connection, account_id: str, ids: Sequence[str], touched: Touched) -> None:
    """Recompute messages' visible values from their base (after local changes were refused)."""
    current: dict[str, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in conn.execute(
            select(messages.c.id, messages.c.base, messages.c.mailbox_id).where(
                messages.c.id.in_(ids[start : start + _CHUNK]), messages.c.base.isnot(None)
            )
        ):
            current[row.id] = row
    pending = _pending_by_email(conn, list(current))
    known_boxes = set(
        conn.execute(select(mailboxes.c.id).where(mailboxes.c.account_id == account_id)).scalars()
    )
    updates: list[tuple[Any, ...]] = []
    gone: list[str] = []
    for email_id, row in current.items():
        base = codec.loads(row.base)
        view = _email_view(base, pending.get(email_id, []))
        touched.messages.add(email_id)
        touched.mailboxes.add(row.mailbox_id)
        if view is None:
            gone.append(email_id)
            continue
        if view["mailboxId"] not in known_boxes:
            view["mailboxId"] = base["mailboxId"]
        keywords = view["keywords"]
        updates.append(
            (
                view["mailboxId"],
                "$seen" in keywords,
                "$flagged" in keywords,
                codec.dumps(keywords),
                email_id,
            )
        )
        touched.mailboxes.add(view["mailboxId"])
    if updates:
        conn.exec_driver_sql(
            "UPDATE messages SET mailbox_id = ?, is_read = ?, is_flagged = ?, keywords = ? "
            "WHERE id = ?",
            updates,
        )
    for start in range(0, len(gone), _CHUNK):
        conn.execute(delete(messages).where(messages.c.id.in_(gone[start : start + _CHUNK])))


def _destroy_email(conn: Connection, email_id: str, touched: Touched) -> None:
    mailbox_id = conn.execute(
        select(messages.c.mailbox_id).where(messages.c.id == email_id)
    ).scalar()
    if mailbox_id is not None:
        conn.execute(delete(messages).where(messages.c.id == email_id))
        touched.messages.add(email_id)
        touched.mailboxes.add(mailbox_id)


def _set_draft_view(
    conn: Connection, account_id: str, draft_id: str, base: dict[str, Any], version: int | None
) -> None:
    pending = _pending_for(conn, outbox.c.draft_id, draft_id)
    exists = conn.execute(select(drafts.c.base).where(drafts.c.id == draft_id)).first()
    if pending and (exists is None or _loads(exists.base) != base):
        mark_rebased(conn, pending)
    view = _draft_view(base, pending)
    if view is None:
        conn.execute(delete(drafts).where(drafts.c.id == draft_id))
        return
    now = codec.now_micros()
    values = {
        "fields": codec.dumps(local_draft_fields(view)),
        "base": codec.dumps(base),
        "updated_at": now,
    }
    if version is not None:
        values["server_version"] = version
    if exists:
        conn.execute(update(drafts).where(drafts.c.id == draft_id).values(values))
    else:
        conn.execute(
            insert(drafts).values(id=draft_id, account_id=account_id, created_at=now, **values)
        )


def _upsert_draft(
    conn: Connection, account_id: str, record: wire.DraftRecord, touched: Touched
) -> None:
    existing = conn.execute(select(drafts.c.server_version).where(drafts.c.id == record.id)).first()
    if existing is not None and (existing.server_version or 0) > record.updated_modseq:
        return
    base = {
        name: value
        for name, value in record.model_dump(mode="json", by_alias=True).items()
        if name in DRAFT_FIELDS
    }
    _set_draft_view(conn, account_id, record.id, base, record.updated_modseq)
    touched.drafts.add(record.id)


def _destroy_draft(conn: Connection, draft_id: str, touched: Touched) -> None:
    if conn.execute(delete(drafts).where(drafts.c.id == draft_id)).rowcount:
        touched.drafts.add(draft_id)


def apply_changes_in(
    conn: Connection, account_id: str, changes: wire.Changes, touched: Touched
) -> None:
    _defer_foreign_keys(conn)
    ctx = ImportContext(account_id)
    for mailbox in [*changes.mailboxes.created, *changes.mailboxes.updated]:
        _upsert_mailbox(conn, account_id, mailbox, touched)
    upsert_emails(conn, ctx, [*changes.emails.created, *changes.emails.updated], touched)
    for email_id in changes.emails.destroyed:
        _destroy_email(conn, email_id, touched)
    for mailbox_id in changes.mailboxes.destroyed:
        _destroy_mailbox(conn, mailbox_id, touched)
    for draft in [*changes.drafts.created, *changes.drafts.updated]:
        _upsert_draft(conn, account_id, draft, touched)
    for draft_id in changes.drafts.destroyed:
        _destroy_draft(conn, draft_id, touched)
    for submission in [*changes.submissions.created, *changes.submissions.updated]:
        if submission.state == "failed":
            _mark_send_failed(conn, submission, touched)


def _mark_send_failed(
    conn: Connection, submission: wire.SubmissionRecord, touched: Touched
) -> None:
    """A send the server gave up on shows in the outbox as failed, with the server's reason."""
    result = conn.execute(
        update(outbox)
        .where(
            outbox.c.type == "submission.create",
            text("json_extract(outbox.payload, '$.args.submissionId') = :submission_id").bindparams(
                submission_id=submission.id
            ),
        )
        .values(
            state=OutboxState.FAILED.value,
            last_error=f"sending failed: {submission.error or 'the server gave up'}",
        )
    )
    touched.outbox = touched.outbox or bool(result.rowcount)


def _set_state(conn: Connection, account_id: str, state: str | None) -> None:
    conn.execute(
        update(sync_state)
        .where(sync_state.c.account_id == account_id)
        .values(state=state, last_sync_at=codec.now_micros())
    )


def apply_changes(store: MailStore, account_id: str, changes: wire.Changes) -> ChangeSet:
    """Apply one page of the change feed and remember its newState, in one transaction."""
    touched = Touched()
    with store._write() as conn:
        apply_changes_in(conn, account_id, changes, touched)
        _set_state(conn, account_id, changes.new_state)
    changeset = touched.changeset()
    if touched:
        store._notify(changeset)
    return changeset


# -- bodies: headers-only rows, filled in ahead of time (recent mail) or when opened ---------------


def store_body(store: MailStore, email_id: str, body: wire.MessageBody) -> bool:
    """Keep a fetched body (and index its text for search); False when the message is gone."""
    from mailapp.store.fts import html_text

    with store._write() as conn:
        row = conn.execute(
            select(messages.c.num, messages.c.mailbox_id).where(messages.c.id == email_id)
        ).first()
        if row is None:
            return False
        conn.execute(
            sqlite_insert(message_bodies)
            .values(
                message_num=row.num,
                text_body=body.text,
                html_body=body.html,
                notes=codec.dumps([]),
                raw=None,
            )
            .on_conflict_do_nothing()
        )
        searchable = body.text or (html_text(body.html) if body.html else "")
        conn.exec_driver_sql(
            "UPDATE messages_fts SET body = ? WHERE rowid = ?", (searchable, row.num)
        )
    store._notify(ChangeSet(messages=frozenset({email_id}), mailboxes=frozenset({row.mailbox_id})))
    return True


def missing_bodies(
    store: MailStore, account_id: str, newer_than: datetime, limit: int
) -> list[str]:
    """Messages of the account dated after ``newer_than`` whose body is not here, newest first."""
    query = (
        select(messages.c.id)
        .outerjoin(message_bodies, message_bodies.c.message_num == messages.c.num)
        .where(
            messages.c.account_id == account_id,
            messages.c.date > codec.to_micros(newer_than),
            message_bodies.c.message_num.is_(None),
        )
        .order_by(messages.c.date.desc())
        .limit(limit)
    )
    with store._read() as conn:
        return list(conn.execute(query).scalars())


# -- rebuilding after the server forgot our state (410) --------------------------------------------


def reset_state(store: MailStore, account_id: str) -> None:
    with store._write() as conn:
        _set_state(conn, account_id, None)


def drop_unseen(
    store: MailStore,
    account_id: str,
    *,
    emails: set[str],
    mailboxes_seen: set[str],
    drafts_seen: set[str],
) -> ChangeSet:
    """After a full resync: remove synced records the server no longer has.

    Records with unconfirmed local mutations stay (a draft or folder created offline has not
    reached the server yet); the push settles them.
    """
    touched = Touched()
    with store._write() as conn:
        _defer_foreign_keys(conn)
        waiting_emails = {
            r.args.get("emailId")
            for r in unfinished(conn, account_id)
            if r.type.startswith("email.")
        }
        waiting_drafts = set(
            conn.execute(
                select(outbox.c.draft_id).where(
                    outbox.c.account_id == account_id, outbox.c.state.in_(_UNFINISHED)
                )
            ).scalars()
        )
        for email_id in (
            conn.execute(
                select(messages.c.id).where(
                    messages.c.account_id == account_id, messages.c.server_id.isnot(None)
                )
            )
            .scalars()
            .all()
        ):
            if email_id not in emails and email_id not in waiting_emails:
                _destroy_email(conn, email_id, touched)
        for draft_id in (
            conn.execute(select(drafts.c.id).where(drafts.c.account_id == account_id))
            .scalars()
            .all()
        ):
            if draft_id not in drafts_seen and draft_id not in waiting_drafts:
                _destroy_draft(conn, draft_id, touched)
        for mailbox_id in (
            conn.execute(
                select(mailboxes.c.id).where(
                    mailboxes.c.account_id == account_id, mailboxes.c.base.isnot(None)
                )
            )
            .scalars()
            .all()
        ):
            if mailbox_id not in mailboxes_seen:
                _destroy_mailbox(conn, mailbox_id, touched)
    changeset = touched.changeset()
    if touched:
        store._notify(changeset)
    return changeset


def attachment_part(store: MailStore, attachment_id: str) -> tuple[str, str] | None:
    """(server email id, part id) of a synced message's attachment, None for local ones."""
    with store._read() as conn:
        row = conn.execute(
            select(messages.c.server_id, attachments.c.id)
            .join(messages, messages.c.num == attachments.c.message_num)
            .where(attachments.c.id == attachment_id)
        ).first()
    if row is None or row.server_id is None or not attachment_id.startswith(f"{row.server_id}."):
        return None
    return row.server_id, attachment_id.removeprefix(f"{row.server_id}.")


def store_attachment(store: MailStore, attachment_id: str, data: bytes) -> None:
    with store._write() as conn:
        conn.execute(update(attachments).where(attachments.c.id == attachment_id).values(data=data))
