"""Bulk import of messages that came from the server (or the demo generator): no outbox rows.

Rows go in with executemany in batches, each batch one transaction, so a 100,000-message import
never holds the write lock for long and another window can still open the store meanwhile.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, text

from mailapp.store import codec
from mailapp.store.fts import index_row, search_text
from mailapp.store.schema import attachments, mailboxes, message_bodies, messages
from mailapp.store.sort_keys import sort_keys

if TYPE_CHECKING:
    # Annotations only: the demo generator and the MIME parser cost ~40 ms of imports, and the
    # sync path (replica -> importer) meets neither (`mailapp sync --once` must start fast).
    from mailapp.core.demo import DemoMessage
    from mailapp.mime.parse import ParsedMessage

    ImportItem = DemoMessage | tuple[str, ParsedMessage, frozenset[str]]

BATCH_SIZE = 2000
# Message keys tried above a date's own microsecond before probing one by one (a second).
_SLOT = 1_000_000
_SURROGATE = re.compile("[\ud800-\udfff]")
# Thread ids are derived from the thread's root Message-ID, so the same conversation gets the
# same id whichever message of it arrives first.
_THREAD_NAMESPACE = uuid.UUID("6f1d7b52-3c1e-4b8e-9a52-2f0b1c4f7e11")


def _uuid5(namespace: bytes, name: str) -> str:
    """str(uuid.uuid5(...)) without the UUID object: its __init__ was most of a new thread's
    cost on the sync path (a first sync starts a thread for about two messages in three)."""
    digest = bytearray(hashlib.sha1(namespace + name.encode(), usedforsecurity=False).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5 (RFC 4122 4.3)
    digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
    text = digest[:16].hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def batches(items: Iterable[ImportItem], size: int = BATCH_SIZE) -> Iterator[list[ImportItem]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class ImportContext:
    """What one import_messages() call remembers across its batches."""

    account_id: str
    mailbox_ids: dict[tuple[str | None, str], str] = field(default_factory=dict)
    known_mailboxes: set[str] = field(default_factory=set)
    threads: dict[str, str] = field(default_factory=dict)  # Message-ID -> thread id
    new_ids: list[str] = field(default_factory=list)
    touched_mailboxes: set[str] = field(default_factory=set)

    def thread_for_key(self, key: str) -> str:
        return _uuid5(_THREAD_NAMESPACE.bytes, f"{self.account_id}\0{key}")


def _mailbox_for_demo(conn: Connection, ctx: ImportContext, item: DemoMessage) -> str:
    cache_key = (item.mailbox_role, item.mailbox_name)
    if cache_key in ctx.mailbox_ids:
        return ctx.mailbox_ids[cache_key]
    if item.mailbox_role is not None:
        found = conn.execute(
            select(mailboxes.c.id).where(
                mailboxes.c.account_id == ctx.account_id, mailboxes.c.role == item.mailbox_role
            )
        ).scalar()
        mailbox_id = found or _create_mailbox(
            conn, ctx.account_id, item.mailbox_name, None, item.mailbox_role
        )
    else:
        # "Projects/Apollo" is the folder Apollo inside Projects.
        parent: str | None = None
        for name in item.mailbox_name.split("/"):
            found = conn.execute(
                select(mailboxes.c.id).where(
                    mailboxes.c.account_id == ctx.account_id,
                    mailboxes.c.name == name,
                    mailboxes.c.parent_id.is_(None)
                    if parent is None
                    else mailboxes.c.parent_id == parent,
                )
            ).scalar()
            parent = found or _create_mailbox(conn, ctx.account_id, name, parent, None)
        assert parent is not None
        mailbox_id = parent
    ctx.mailbox_ids[cache_key] = mailbox_id
    return mailbox_id


def _create_mailbox(
    conn: Connection, account_id: str, name: str, parent_id: str | None, role: str | None
) -> str:
    mailbox_id = str(uuid.uuid4())
    next_order = conn.execute(
        text("SELECT coalesce(max(sort_order), -1) + 1 FROM mailboxes WHERE account_id = :a"),
        {"a": account_id},
    ).scalar_one()
    conn.execute(
        insert(mailboxes).values(
            id=mailbox_id,
            account_id=account_id,
            name=name,
            role=role,
            parent_id=parent_id,
            sort_order=next_order,
        )
    )
    return mailbox_id


def _check_mailbox(conn: Connection, ctx: ImportContext, mailbox_id: str) -> str:
    if mailbox_id not in ctx.known_mailboxes:
        owner = conn.execute(
            select(mailboxes.c.account_id).where(mailboxes.c.id == mailbox_id)
        ).scalar()
        if owner != ctx.account_id:
            raise ValueError(f"mailbox {mailbox_id} does not belong to account {ctx.account_id}")
        ctx.known_mailboxes.add(mailbox_id)
    return mailbox_id


# Sets of keys go in as one JSON array, not an IN list of a bound parameter each: the statement
# text stays the same whatever the count, so SQLite parses it once per connection (an IN list
# of a page's ~500 ids was parsed again whenever the count changed, at ~1 ms a time) and
# SQLAlchemy renders no placeholders. Both plans still probe the index per key.
_NUMS_TAKEN = "SELECT num FROM messages WHERE num IN (SELECT value FROM json_each(?))"
_THREADS_OF = (
    "SELECT message_id_header, thread_id FROM messages WHERE account_id = ? "
    "AND message_id_header IN (SELECT value FROM json_each(?)) AND thread_id IS NOT NULL"
)


def _ids(values: Iterable[str | int]) -> str:
    return json.dumps(list(values))


def look_up_threads(conn: Connection, ctx: ImportContext, refs: Iterable[str]) -> None:
    """Learn the threads of stored messages with these Message-IDs, a query per 500 ids.

    Called once per batch with every id its messages refer to, so `thread_for` needs no query
    per reply (one per reply was a quarter of a large sync's time).
    """
    unknown = sorted({ref for ref in refs if ref not in ctx.threads})
    if not unknown:
        return
    for message_id, thread_id in conn.exec_driver_sql(_THREADS_OF, (ctx.account_id, _ids(unknown))):
        ctx.threads.setdefault(message_id, thread_id)


def thread_for(ctx: ImportContext, related: list[str], own_key: str) -> str:
    """The thread of a message that refers to `related` Message-IDs; `own_key` starts a new one.

    Knows the messages of this import so far and those `look_up_threads` found stored.
    Imported mail and mail arriving through sync share this, so both group into the same threads.
    """
    for ref in related:
        if ref in ctx.threads:
            return ctx.threads[ref]
    return ctx.thread_for_key(related[0] if related else own_key)


def allocate_nums(conn: Connection, wanted: list[int]) -> list[int]:
    """Free message keys at or just above each wanted key (the date in microseconds).

    Keying messages (and so the search index) by date lets search return the newest matches
    by walking the index backwards and stopping at the limit, instead of sorting every match.
    """
    if not wanted:
        return []
    checked = set(wanted)
    taken: set[int] = set(conn.exec_driver_sql(_NUMS_TAKEN, (_ids(checked),)).scalars())
    result: list[int] = []
    # Where to resume probing for each wanted key: mail dated to the second often shares one.
    resume: dict[int, int] = {}
    # Per key, the highest stored key in its slot [key, key + SLOT): every key above it in the
    # slot is free, so a run of mail sharing an instant costs one query, not one per message.
    tops: dict[int, int] = {}

    def stored_top(key: int) -> int:
        if key not in tops:
            top = conn.execute(
                select(func.max(messages.c.num)).where(messages.c.num.between(key, key + _SLOT - 1))
            ).scalar()
            tops[key] = key - 1 if top is None else int(top)
        return tops[key]

    for key in wanted:
        num = resume.get(key, key)
        if num == key and key in taken:
            # Stored mail already crowds this instant: start above it, not one step at a time.
            num = max(key, stored_top(key) + 1)
        # Another message has this exact microsecond: take the next free key.
        while num in taken or (
            num not in checked
            and not stored_top(key) < num < key + _SLOT
            and conn.execute(select(messages.c.num).where(messages.c.num == num)).first()
        ):
            checked.add(num)
            taken.add(num)
            num += 1
        checked.add(num)
        taken.add(num)
        resume[key] = num + 1
        result.append(num)
    return result


def _related(item: ImportItem) -> list[str]:
    """The Message-IDs a parsed message refers to (demo messages carry their thread key)."""
    if not isinstance(item, tuple):
        return []
    message = item[1]
    return [*message.references, *([message.in_reply_to] if message.in_reply_to else [])]


def _resolve(
    conn: Connection, ctx: ImportContext, item: ImportItem
) -> tuple[str, ParsedMessage, frozenset[str], str]:
    """(mailbox id, message, keywords, thread id) for one item."""
    if not isinstance(item, tuple):  # a DemoMessage
        mailbox_id = _mailbox_for_demo(conn, ctx, item)
        message, keywords = item.message, item.keywords
        thread_id = ctx.thread_for_key(item.thread_key)
    else:
        mailbox_id_arg, message, keywords = item
        mailbox_id = _check_mailbox(conn, ctx, mailbox_id_arg)
        thread_id = thread_for(ctx, _related(item), message.message_id or str(uuid.uuid4()))
    if message.message_id:
        ctx.threads.setdefault(message.message_id, thread_id)
    return mailbox_id, message, frozenset(keywords), thread_id


def import_batch(conn: Connection, ctx: ImportContext, batch: list[ImportItem]) -> None:
    look_up_threads(conn, ctx, (ref for item in batch for ref in _related(item)))
    resolved = [_resolve(conn, ctx, item) for item in batch]
    now = codec.now_micros()
    dates: list[int] = []
    for _box, message, _keywords, _thread in resolved:
        date = message.date
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        dates.append(codec.to_micros(date) if date is not None else now)
    nums = allocate_nums(conn, dates)
    message_rows: list[dict[str, Any]] = []
    body_rows: list[dict[str, Any]] = []
    attachment_rows: list[dict[str, Any]] = []
    fts_rows: list[dict[str, Any]] = []
    raw_rows: list[tuple[int, bytes]] = []
    for (mailbox_id, message, keywords, thread_id), date_us, num in zip(
        resolved, dates, nums, strict=True
    ):
        message_id = str(uuid.uuid4())
        ctx.new_ids.append(message_id)
        ctx.touched_mailboxes.add(mailbox_id)
        sender = message.sender
        sender_name, sender_email = (sender.name, sender.email) if sender else (None, None)
        message_rows.append(
            {
                "num": num,
                "id": message_id,
                "account_id": ctx.account_id,
                "mailbox_id": mailbox_id,
                "message_id_header": message.message_id,
                "thread_id": thread_id,
                "subject": message.subject,
                "sender_name": sender_name,
                "sender_email": sender_email,
                **sort_keys(message.subject, sender_name, sender_email),
                "date": date_us,
                "is_read": "$seen" in keywords,
                "is_flagged": "$flagged" in keywords,
                "keywords": codec.dumps(sorted(keywords)),
                "has_attachments": any(not a.inline for a in message.attachments),
                "snippet": message.snippet,
                "headers": codec.dumps(
                    {
                        "to": codec.addresses_to_wire(message.to),
                        "cc": codec.addresses_to_wire(message.cc),
                        "bcc": codec.addresses_to_wire(message.bcc),
                        "replyTo": codec.addresses_to_wire(message.reply_to),
                        "inReplyTo": message.in_reply_to,
                        "references": message.references,
                    }
                ),
            }
        )
        searchable = search_text(message.text_body, message.html_body)
        # With its raw bytes kept, a message's HTML and attachments are read from them when it
        # is opened, not stored a second time (raw_parts.py, migration 0010).
        kept = message.raw is not None
        body_rows.append(
            {
                "message_num": num,
                "text_body": message.text_body,
                "html_body": None if kept else message.html_body,
                "notes": codec.dumps(message.notes),
                "search_text": searchable,
            }
        )
        if message.raw is not None:
            raw_rows.append((num, message.raw))
        fts_rows.append(
            index_row(
                num,
                message.subject,
                sender_name,
                sender_email,
                [*message.to, *message.cc],
                message.text_body or searchable or "",
            )
        )
        for position, part in enumerate(message.attachments):
            attachment_rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "message_num": num,
                    "position": position,
                    "filename": part.filename,
                    "content_type": part.content_type,
                    "size": part.size,
                    "content_id": part.content_id,
                    "inline": part.inline,
                    "data": None if kept else part.data,
                }
            )
    # In key order: rows appended at the end of a table fill their pages (mail arrives
    # roughly by date, the key, but not exactly).
    message_rows.sort(key=itemgetter("num"))
    body_rows.sort(key=itemgetter("message_num"))
    # Plain executemany with tuples: at 100,000 rows SQLAlchemy's per-row parameter
    # processing costs more than SQLite's own work.
    insert_many(conn, messages.name, message_rows)
    insert_many(conn, message_bodies.name, body_rows)
    if raw_rows:
        from mailapp.store.raw_codec import keep  # zstandard: only when raw mail is stored

        keep(conn, raw_rows)
    insert_many(conn, attachments.name, attachment_rows)
    insert_many(conn, "messages_fts", fts_rows)


def insert_many(
    conn: Connection,
    table: str,
    rows: list[dict[str, Any]],
) -> None:
    """Bulk insert for imports and sync pages alike (also text a server or file got wrong)."""
    if not rows:
        return
    keys = list(rows[0])
    columns = ", ".join(keys)
    marks = ", ".join("?" * len(keys))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"
    # One C call per row for its parameters (a generator per row cost more than some inserts).
    values = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    conn.exec_driver_sql("SAVEPOINT insert_many")
    try:
        conn.exec_driver_sql(sql, [values(row) for row in rows])
    except Exception as exc:
        if not _is_unencodable_text(exc):
            raise
        # Broken mail can carry lone surrogates that SQLite cannot store as UTF-8; keep the
        # message with U+FFFD in their place rather than failing the whole batch.
        conn.exec_driver_sql("ROLLBACK TO insert_many")
        conn.exec_driver_sql(sql, [tuple(_clean(row[key]) for key in keys) for row in rows])
    conn.exec_driver_sql("RELEASE insert_many")


def _is_unencodable_text(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, UnicodeEncodeError):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _clean(value: Any) -> Any:
    return _SURROGATE.sub("\ufffd", value) if isinstance(value, str) else value
