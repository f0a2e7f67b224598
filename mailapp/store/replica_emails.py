"""Applying the server's messages to the local copy: new ones in bulk, known ones rebased."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, select

from mailapp import wire
from mailapp.store import codec
from mailapp.store.fts import headers_row
from mailapp.store.importer import (
    ImportContext,
    allocate_nums,
    insert_many,
    look_up_threads,
    thread_for,
)
from mailapp.store.replica_views import (
    CHUNK,
    Touched,
    base_moved,
    email_view,
    mark_rebased,
    pending_by_email,
)
from mailapp.store.rows import OutboxRow
from mailapp.store.schema import attachments, mailboxes, messages
from mailapp.store.sort_keys import sender_key, subject_key


def _wire_addresses(items: Sequence[wire.RecordAddress]) -> list[dict[str, str | None]]:
    # codec.addresses_to_wire of the same addresses, without an Address object in between;
    # keys in sorted order for codec.dumps_presorted.
    return [{"email": item.email, "name": item.name or None} for item in items]


def _encoded(memo: dict[Any, str], key: Any, value: Any) -> str:
    """codec.dumps_presorted(value), once per `key`: a page's messages share a handful of
    keyword sets and mailboxes, and each encoding costs about as much as a message's index."""
    text = memo.get(key)
    if text is None:
        text = memo[key] = codec.dumps_presorted(value)
    return text


def _email_row(
    ctx: ImportContext,
    record: wire.EmailRecord,
    view: dict[str, Any],
    base: str,
    memo: dict[Any, str],
    num: int,
    date: int,
    thread: str,
) -> dict[str, Any]:
    """The messages row of a new headers-only message (`base`: its JSON, already encoded)."""
    # The validated fields read from the model's __dict__: a pydantic attribute read goes
    # through BaseModel.__getattr__'s slot, several times the cost of a dict lookup.
    fields = record.__dict__
    senders = fields["from_"] or fields["sender"]
    sender = senders[0] if senders else None
    sender_name, sender_email = (sender.name, sender.email) if sender else (None, None)
    keywords = view["keywords"]
    subject = fields["subject"]
    in_reply_to = fields["in_reply_to"]
    # Booleans as 0/1: sqlite3 binds exact ints directly, a bool goes through its adapter
    # lookup first (SQLite stores the same integer either way).
    return {
        "num": num,
        "id": record.id,
        "account_id": ctx.account_id,
        "mailbox_id": view["mailboxId"],
        "server_id": record.id,
        "server_version": fields["updated_modseq"],
        "base": base,
        "message_id_header": fields["message_id"],
        "thread_id": thread,
        "subject": subject,
        "sender_name": sender_name,
        "sender_email": sender_email,
        "sender_key": sender_key(sender_name, sender_email),
        "subject_key": subject_key(subject),
        "date": date,
        "is_read": int("$seen" in keywords),
        "is_flagged": int("$flagged" in keywords),
        "keywords": _encoded(memo, tuple(keywords), keywords),
        "has_attachments": int(fields["has_attachment"]),
        "snippet": fields["preview"],
        # Indexed by its headers now, in full when its body arrives (fts.py, migration 0011).
        "headers_first": 1,
        # Keys in sorted order: codec.dumps_presorted writes them as they are.
        "headers": codec.dumps_presorted(
            {
                "bcc": _wire_addresses(fields["bcc"]),
                "cc": _wire_addresses(fields["cc"]),
                "inReplyTo": in_reply_to[0] if in_reply_to else None,
                "references": fields["references"],
                "replyTo": _wire_addresses(fields["reply_to"]),
                "to": _wire_addresses(fields["to"]),
            }
        ),
    }


def _part_rows(record: wire.EmailRecord, num: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{record.id}.{part.part_id}",
            "message_num": num,
            "position": position,
            "filename": part.name or "attachment",
            "content_type": part.content_type,
            "size": part.size,
            "content_id": None,
            "inline": int(part.inline),
            "data": None,
        }
        for position, part in enumerate(record.attachments)
    ]


def insert_emails(
    conn: Connection, ctx: ImportContext, records: Sequence[wire.EmailRecord], touched: Touched
) -> None:
    """Insert messages new to this store, in bulk (a first sync brings thousands per page)."""
    if not records:
        return
    pending = pending_by_email(conn, [record.id for record in records])
    # Mutations queued for a message this store had no server copy of: made on no known base.
    mark_rebased(conn, [row for rows in pending.values() for row in rows])
    known_boxes = set(
        conn.execute(select(mailboxes.c.id).where(mailboxes.c.account_id == ctx.account_id))
        .scalars()
        .all()
    )
    chosen: list[tuple[wire.EmailRecord, dict[str, Any], str]] = []
    memo: dict[Any, str] = {}
    for record in records:
        base = {"keywords": sorted(record.keywords), "mailboxId": record.mailbox_id}
        view = email_view(base, pending.get(record.id, []))
        if view is None:
            continue  # destroyed here, not yet pushed
        if view["mailboxId"] not in known_boxes:
            view["mailboxId"] = base["mailboxId"]
        # Never equal to a keywords key (a tuple of strings): this one holds a tuple.
        key = (record.mailbox_id, tuple(base["keywords"]))
        chosen.append((record, view, _encoded(memo, key, base)))
    dates = [codec.to_micros(record.sent_at) for record, _view, _base in chosen]
    nums = allocate_nums(conn, dates)
    related = [[*record.references, *record.in_reply_to] for record, _view, _base in chosen]
    look_up_threads(conn, ctx, (ref for refs in related for ref in refs))
    message_rows: list[dict[str, Any]] = []
    part_rows: list[dict[str, Any]] = []
    fts_rows: list[dict[str, Any]] = []
    for (record, view, base_json), num, date, refs in zip(
        chosen, nums, dates, related, strict=True
    ):
        thread = thread_for(ctx, refs, record.message_id or record.id)
        if record.message_id:
            ctx.threads.setdefault(record.message_id, thread)
        message = _email_row(ctx, record, view, base_json, memo, num, date, thread)
        message_rows.append(message)
        if record.attachments:
            part_rows.extend(_part_rows(record, num))
        fts_rows.append(
            headers_row(
                num,
                message["subject"],
                message["sender_name"],
                message["sender_email"],
                [*record.to, *record.cc],
            )
        )
        touched.messages.add(record.id)
        touched.arrived.add(record.id)
        touched.mailboxes.add(view["mailboxId"])
    insert_many(conn, messages.name, message_rows)
    insert_many(conn, attachments.name, part_rows)
    if fts_rows:
        insert_many(conn, "headers_fts", fts_rows)


def update_emails(
    conn: Connection, account_id: str, records: Sequence[wire.EmailRecord], touched: Touched
) -> None:
    """Apply newer server versions of messages already here, rebasing local changes."""
    if not records:
        return
    ids = [record.id for record in records]
    current: dict[str, Any] = {}
    for start in range(0, len(ids), CHUNK):
        for row in conn.execute(
            select(
                messages.c.id,
                messages.c.num,
                messages.c.server_version,
                messages.c.mailbox_id,
                messages.c.is_read,
                messages.c.base,
                messages.c.snippet,
                messages.c.has_attachments,
            ).where(messages.c.id.in_(ids[start : start + CHUNK]))
        ):
            current[row.id] = row
    pending = pending_by_email(conn, ids)
    rebased: list[OutboxRow] = []
    known_boxes = set(
        conn.execute(select(mailboxes.c.id).where(mailboxes.c.account_id == account_id)).scalars()
    )
    updates: list[tuple[Any, ...]] = []
    # Most updates change only keywords: those leave mailbox_id and is_read out of the SET, so
    # SQLite rewrites none of the four mailbox indexes and runs no count trigger (a 100-flag
    # page: 2.3 ms of SQLite's time, 0.56 ms without them).
    flags_only: list[tuple[Any, ...]] = []
    # Messages whose preview or attachments the server learnt since (its body pass fills them
    # in a later version of a headers-first record, server upstream/records.py): few, apart.
    content: list[tuple[Any, ...]] = []
    new_parts: dict[int, wire.EmailRecord] = {}
    for record in records:
        found = current.get(record.id)
        if found is None or (found.server_version or 0) > record.updated_modseq:
            continue  # gone meanwhile, or an older state than the one already applied
        base = {"keywords": sorted(record.keywords), "mailboxId": record.mailbox_id}
        queued = pending.get(record.id, [])
        if queued and base_moved(found.base, found.server_version, base, record.updated_modseq):
            rebased.extend(queued)
        view = email_view(base, queued)
        if view is None:
            conn.execute(delete(messages).where(messages.c.id == record.id))
            touched.messages.add(record.id)
            touched.mailboxes.add(found.mailbox_id)
            continue
        if view["mailboxId"] not in known_boxes:
            view["mailboxId"] = base["mailboxId"]
        keywords = view["keywords"]
        values = (
            "$flagged" in keywords,
            codec.dumps_presorted(keywords),
            codec.dumps_presorted(base),
            record.updated_modseq,
            record.id,
        )
        if view["mailboxId"] == found.mailbox_id and ("$seen" in keywords) == found.is_read:
            flags_only.append(values)
        else:
            updates.append((view["mailboxId"], "$seen" in keywords, *values))
        # An empty preview or no attachments from the server means "body not read yet", never
        # "none": what is known here is kept.
        snippet = record.preview or found.snippet
        has_attachments = record.has_attachment or bool(found.has_attachments)
        if snippet != found.snippet or has_attachments != bool(found.has_attachments):
            content.append((snippet, has_attachments, record.id))
            if record.attachments:
                new_parts[found.num] = record
        touched.messages.add(record.id)
        touched.mailboxes.update((found.mailbox_id, view["mailboxId"]))
    mark_rebased(conn, rebased)
    if content:
        conn.exec_driver_sql(
            "UPDATE messages SET snippet = ?, has_attachments = ? WHERE id = ?", content
        )
        _add_parts(conn, new_parts)
    if updates:
        conn.exec_driver_sql(
            "UPDATE messages SET mailbox_id = ?, is_read = ?, is_flagged = ?, keywords = ?, "
            "base = ?, server_version = ? WHERE id = ?",
            updates,
        )
    if flags_only:
        conn.exec_driver_sql(
            "UPDATE messages SET is_flagged = ?, keywords = ?, base = ?, server_version = ? "
            "WHERE id = ?",
            flags_only,
        )


def _add_parts(conn: Connection, records: dict[int, wire.EmailRecord]) -> None:
    """Attachment rows for messages that have none here yet (rows already here may hold
    downloaded bytes, so they are never replaced)."""
    nums = list(records)
    have: set[int] = set()
    for start in range(0, len(nums), CHUNK):
        have.update(
            conn.execute(
                select(attachments.c.message_num)
                .where(attachments.c.message_num.in_(nums[start : start + CHUNK]))
                .distinct()
            ).scalars()
        )
    rows = [row for num in nums if num not in have for row in _part_rows(records[num], num)]
    insert_many(conn, attachments.name, rows)


def upsert_emails(
    conn: Connection, ctx: ImportContext, records: Sequence[wire.EmailRecord], touched: Touched
) -> None:
    """Apply server versions of messages, new or already here, a few statements per chunk."""
    if not records:
        return
    present = set(
        conn.exec_driver_sql(
            "SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([record.id for record in records]),),
        ).scalars()
    )
    update_emails(conn, ctx.account_id, [r for r in records if r.id in present], touched)
    insert_emails(conn, ctx, [record for record in records if record.id not in present], touched)


def refresh_emails(conn: Connection, account_id: str, ids: Sequence[str], touched: Touched) -> None:
    """Recompute messages' visible values from their base (after local changes were refused)."""
    current: dict[str, Any] = {}
    for start in range(0, len(ids), CHUNK):
        for row in conn.execute(
            select(messages.c.id, messages.c.base, messages.c.mailbox_id).where(
                messages.c.id.in_(ids[start : start + CHUNK]), messages.c.base.isnot(None)
            )
        ):
            current[row.id] = row
    pending = pending_by_email(conn, list(current))
    known_boxes = set(
        conn.execute(select(mailboxes.c.id).where(mailboxes.c.account_id == account_id)).scalars()
    )
    updates: list[tuple[Any, ...]] = []
    gone: list[str] = []
    for email_id, row in current.items():
        base = codec.loads(row.base)
        view = email_view(base, pending.get(email_id, []))
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
    for start in range(0, len(gone), CHUNK):
        conn.execute(delete(messages).where(messages.c.id.in_(gone[start : start + CHUNK])))


def destroy_email(conn: Connection, email_id: str, touched: Touched) -> None:
    mailbox_id = conn.execute(
        select(messages.c.mailbox_id).where(messages.c.id == email_id)
    ).scalar()
    if mailbox_id is not None:
        conn.execute(delete(messages).where(messages.c.id == email_id))
        touched.messages.add(email_id)
        touched.mailboxes.add(mailbox_id)
