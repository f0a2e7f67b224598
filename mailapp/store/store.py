"""MailStore: the repository the UI and the sync engine call; one SQLite file per profile."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, text, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from mailapp.store import codec
from mailapp.store.diagnose import set_aside_if_empty
from mailapp.store.drafts import (
    blob_id,
    changed_fields,
    draft_row,
    edited_fields,
    wire_fields,
)
from mailapp.store.engine import make_engine, probe, transaction
from mailapp.store.errors import StoreDiskFullError, StoreTooNewError
from mailapp.store.files import discard_new, make_private, make_private_dir
from mailapp.store.migrate import is_known_revision, upgrade
from mailapp.store.outbox import outbox_row, queue_mutation
from mailapp.store.rows import (
    AttachmentInfo,
    ChangeSet,
    ConflictRow,
    DraftInput,
    DraftRow,
    MailboxCounts,
    MailboxRow,
    MessageDetail,
    MessageSummary,
    OutboxRow,
    OutboxState,
    PageCursor,
)
from mailapp.store.schema import (
    accounts,
    attachments,
    blobs,
    conflicts,
    drafts,
    mailboxes,
    message_bodies,
    messages,
    meta,
    outbox,
    sync_state,
)

if TYPE_CHECKING:
    from mailapp.store.importer import ImportItem

log = logging.getLogger(__name__)

STANDARD_MAILBOXES = (
    ("Inbox", "inbox"),
    ("Drafts", "drafts"),
    ("Sent", "sent"),
    ("Archive", "archive"),
    ("Junk", "junk"),
    ("Trash", "trash"),
)
_UNFINISHED = (OutboxState.PENDING.value, OutboxState.IN_FLIGHT.value)
# Keep IN (...) lists well under SQLite's bound-parameter limit.
_CHUNK = 500

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

Subscriber = Callable[[ChangeSet], None]
AnyRow = Row[*tuple[Any, ...]]


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


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


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


def open_store(path: Path) -> MailStore:
    """Create or open the store at ``path``, migrating it (after a backup) if it is older.

    Raises a StoreError subtype (disk full, I/O, read-only, locked, not a database, damaged,
    too new) with a message for the user; never resets or overwrites an existing database. A
    zero-length file is set aside and a new store created: `MailStore.notices` says so.
    """
    path = Path(path)
    make_private_dir(path.parent)
    notice = set_aside_if_empty(path)
    created = not path.exists()
    try:
        revision = probe(path)
    except StoreDiskFullError:
        if created:
            discard_new(path)
        raise
    make_private(path)  # before the -wal and -shm files exist, which take its mode
    if revision is not None and not is_known_revision(revision):
        raise StoreTooNewError(path, revision)
    engine = make_engine(path)
    try:
        upgrade(engine, path)
        store = MailStore(path, engine)
    except BaseException as error:
        engine.dispose()
        if created and isinstance(error, StoreDiskFullError):
            # Ours and unfinished: leaving it would greet the next start with an empty or
            # half-made file. Only for a full disk: after a lock, say, another process may be
            # creating the same new file and must keep it.
            discard_new(path)
        raise
    if notice is not None:
        store.notices = (notice,)
    return store


class MailStore:
    """Safe for one thread at a time per instance; open one per thread for concurrency."""

    # What opening found and the user must be told (see open_store), shown once by the caller.
    notices: tuple[str, ...] = ()

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self._engine = engine
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        with self._read() as conn:
            self.client_id: str = conn.execute(
                select(meta.c.value).where(meta.c.key == "client_id")
            ).scalar_one()

    # -- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> MailStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with transaction(self._engine, self.path, write=False) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with transaction(self._engine, self.path, write=True) as conn:
            yield conn

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(changes)`` after every committed change; returns an unsubscribe."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _notify(self, changes: ChangeSet) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(changes)
            except Exception:
                # A broken view must not undo or block a committed change.
                log.exception("store subscriber %r failed", callback)

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
        return MessageDetail(
            summary=_summary(row),
            to=codec.addresses_from_wire(headers["to"]),
            cc=codec.addresses_from_wire(headers["cc"]),
            text_body=body.text_body if body else None,
            html_body=body.html_body if body else None,
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
        with self._read() as conn:
            return conn.execute(
                select(attachments.c.data).where(attachments.c.id == attachment_id)
            ).scalar()

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
        from mailapp.store.fts import match_expression

        expression = match_expression(query)
        if expression is None:
            return []
        columns = ", ".join(f"m.{c.name}" for c in _SUMMARY_COLUMNS)
        where = "messages_fts MATCH :q" + (" AND m.mailbox_id = :mb" if mailbox_id else "")
        sql = text(
            f"SELECT {columns} FROM messages_fts JOIN messages AS m ON m.num = messages_fts.rowid "
            f"WHERE {where} ORDER BY messages_fts.rowid DESC LIMIT :limit"
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

    def _load(self, conn: Connection, message_ids: Sequence[str]) -> list[AnyRow]:
        loaded: list[AnyRow] = []
        for chunk in _chunks(message_ids):
            loaded.extend(
                conn.execute(
                    select(
                        messages.c.num,
                        messages.c.id,
                        messages.c.server_id,
                        messages.c.account_id,
                        messages.c.mailbox_id,
                        messages.c.is_read,
                        messages.c.is_flagged,
                        messages.c.keywords,
                    ).where(messages.c.id.in_(chunk))
                )
            )
        # Queue mutations in the order the caller listed the messages.
        order = {message_id: i for i, message_id in enumerate(message_ids)}
        return sorted(loaded, key=lambda row: order[row.id])

    def _set_keyword(
        self, message_ids: Sequence[str], keyword: str, column: str, value: bool
    ) -> None:
        touched: set[str] = set()
        boxes: set[str] = set()
        with self._write() as conn:
            for row in self._load(conn, message_ids):
                if bool(getattr(row, column)) == value:
                    continue  # no-op: nothing to change, nothing to queue
                keywords = set(codec.loads(row.keywords))
                if value:
                    keywords.add(keyword)
                else:
                    keywords.discard(keyword)
                conn.execute(
                    update(messages)
                    .where(messages.c.num == row.num)
                    .values({column: value, "keywords": codec.dumps(sorted(keywords))})
                )
                queue_mutation(
                    conn,
                    row.account_id,
                    "email.keywords",
                    {
                        "emailId": row.server_id or row.id,
                        "add": [keyword] if value else [],
                        "remove": [] if value else [keyword],
                    },
                    email_id=row.id,
                )
                touched.add(row.id)
                boxes.add(row.mailbox_id)
        if touched:
            self._notify(
                ChangeSet(messages=frozenset(touched), mailboxes=frozenset(boxes), outbox=True)
            )

    def mark_read(self, message_ids: Sequence[str], read: bool = True) -> None:
        self._set_keyword(message_ids, "$seen", "is_read", read)

    def set_flagged(self, message_ids: Sequence[str], flagged: bool = True) -> None:
        self._set_keyword(message_ids, "$flagged", "is_flagged", flagged)

    def _move_row(self, conn: Connection, row: AnyRow, mailbox_id: str) -> None:
        conn.execute(
            update(messages).where(messages.c.num == row.num).values(mailbox_id=mailbox_id)
        )
        queue_mutation(
            conn,
            row.account_id,
            "email.move",
            {
                "emailId": row.server_id or row.id,
                "mailboxId": {"old": row.mailbox_id, "new": mailbox_id},
            },
            email_id=row.id,
        )

    def move(self, message_ids: Sequence[str], mailbox_id: str) -> None:
        touched: set[str] = set()
        boxes: set[str] = set()
        with self._write() as conn:
            target_account = conn.execute(
                select(mailboxes.c.account_id).where(mailboxes.c.id == mailbox_id)
            ).scalar()
            if target_account is None:
                raise KeyError(f"no mailbox {mailbox_id}")
            for row in self._load(conn, message_ids):
                if row.mailbox_id == mailbox_id:
                    continue
                if row.account_id != target_account:
                    raise ValueError("messages can only be moved within their own account")
                self._move_row(conn, row, mailbox_id)
                touched.add(row.id)
                boxes.update((row.mailbox_id, mailbox_id))
        if touched:
            self._notify(
                ChangeSet(messages=frozenset(touched), mailboxes=frozenset(boxes), outbox=True)
            )

    def delete(self, message_ids: Sequence[str]) -> None:
        """Move to the account's Trash; messages already in Trash are destroyed."""
        touched: set[str] = set()
        boxes: set[str] = set()
        with self._write() as conn:
            trash_by_account: dict[str, str | None] = {}
            for row in self._load(conn, message_ids):
                if row.account_id not in trash_by_account:
                    trash_by_account[row.account_id] = conn.execute(
                        select(mailboxes.c.id).where(
                            mailboxes.c.account_id == row.account_id, mailboxes.c.role == "trash"
                        )
                    ).scalar()
                trash = trash_by_account[row.account_id]
                if trash is not None and row.mailbox_id != trash:
                    self._move_row(conn, row, trash)
                    boxes.add(trash)
                else:
                    conn.execute(delete(messages).where(messages.c.num == row.num))
                    queue_mutation(
                        conn,
                        row.account_id,
                        "email.destroy",
                        {"emailId": row.server_id or row.id},
                        email_id=row.id,
                    )
                touched.add(row.id)
                boxes.add(row.mailbox_id)
        if touched:
            self._notify(
                ChangeSet(messages=frozenset(touched), mailboxes=frozenset(boxes), outbox=True)
            )

    # -- drafts and sending ------------------------------------------------------------------

    def save_draft(self, draft: DraftInput, *, base: Mapping[str, Any] | None = None) -> str:
        """Store the draft; queue a draft.upsert with only the fields that changed.

        ``base`` is the draft as the saving editor loaded or last saved it (wire form). With a
        base, only the fields the editor changed since are changed, each against the value the
        editor saw: a pull that changed the stored draft under an open composer is neither
        undone (untouched fields keep the pulled value) nor overwritten without a conflict (a
        field both sides changed goes out with the editor's old value, so the server reports a
        conflict and both texts are kept). Without a base the stored draft is the base.
        """
        draft_id = draft.draft_id or str(uuid.uuid4())
        new = wire_fields(draft)
        now = codec.now_micros()
        with self._write() as conn:
            existing = conn.execute(
                select(drafts.c.account_id, drafts.c.fields).where(drafts.c.id == draft_id)
            ).first()
            if existing is not None and existing.account_id != draft.account_id:
                raise ValueError(f"draft {draft_id} belongs to another account")
            stored = codec.loads(existing.fields) if existing else None
            if stored is not None and base is not None:
                changes = edited_fields(base, stored, new)
                new = {**stored, **{name: change["new"] for name, change in changes.items()}}
            else:
                changes = changed_fields(stored, new)
            if not changes:
                return draft_id
            for _name, _content_type, data in draft.attachments:
                conn.execute(
                    sqlite_insert(blobs)
                    .values(id=blob_id(data), size=len(data), data=data)
                    .on_conflict_do_nothing()
                )
            if existing is None:
                conn.execute(
                    insert(drafts).values(
                        id=draft_id,
                        account_id=draft.account_id,
                        fields=codec.dumps(new),
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                conn.execute(
                    update(drafts)
                    .where(drafts.c.id == draft_id)
                    .values(fields=codec.dumps(new), updated_at=now)
                )
            queue_mutation(
                conn,
                draft.account_id,
                "draft.upsert",
                {"draftId": draft_id, "fields": changes},
                draft_id=draft_id,
            )
        self._notify(ChangeSet(drafts=frozenset({draft_id}), outbox=True))
        return draft_id

    def draft(self, draft_id: str) -> DraftRow | None:
        with self._read() as conn:
            row = conn.execute(select(drafts).where(drafts.c.id == draft_id)).first()
        if row is None:
            return None
        return draft_row(row.id, row.account_id, codec.loads(row.fields), row.updated_at)

    def drafts(self, account_id: str) -> list[DraftRow]:
        with self._read() as conn:
            result = conn.execute(
                select(drafts)
                .where(drafts.c.account_id == account_id)
                .order_by(drafts.c.updated_at.desc())
            )
            return [
                draft_row(r.id, r.account_id, codec.loads(r.fields), r.updated_at) for r in result
            ]

    def delete_draft(self, draft_id: str) -> None:
        """Discard a draft locally and queue draft.destroy; unknown ids are ignored."""
        with self._write() as conn:
            account_id = conn.execute(
                select(drafts.c.account_id).where(drafts.c.id == draft_id)
            ).scalar()
            if account_id is None:
                return
            conn.execute(delete(drafts).where(drafts.c.id == draft_id))
            queue_mutation(
                conn, account_id, "draft.destroy", {"draftId": draft_id}, draft_id=draft_id
            )
        self._notify(ChangeSet(drafts=frozenset({draft_id}), outbox=True))

    def queue_send(self, draft_id: str, *, send_at: datetime | None = None) -> str:
        """Queue the draft for sending (now, or at ``send_at``); returns the submission id."""
        submission_id = str(uuid.uuid4())
        send_at_text = codec.iso_utc(send_at)
        with self._write() as conn:
            account_id = conn.execute(
                select(drafts.c.account_id).where(drafts.c.id == draft_id)
            ).scalar()
            if account_id is None:
                raise KeyError(f"no draft {draft_id}")
            queue_mutation(
                conn,
                account_id,
                "submission.create",
                {"submissionId": submission_id, "draftId": draft_id, "sendAt": send_at_text},
                draft_id=draft_id,
            )
        self._notify(ChangeSet(drafts=frozenset({draft_id}), outbox=True))
        return submission_id

    # -- the outbox ----------------------------------------------------------------------------

    def pending_mutations(self) -> list[OutboxRow]:
        """Every mutation the server has not applied yet, oldest first (by mutation id)."""
        with self._read() as conn:
            result = conn.execute(
                select(outbox)
                .where(outbox.c.state != OutboxState.APPLIED.value)
                .order_by(outbox.c.mutation_id)
            )
            return [outbox_row(row) for row in result]

    def set_mutation_state(
        self,
        mutation_ids: Iterable[int],
        state: OutboxState,
        *,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        """For the sync engine: record what happened to pushed mutations."""
        ids = list(mutation_ids)
        values: dict[str, Any] = {
            "state": OutboxState(state).value,
            "last_error": error,
            "next_attempt_at": None
            if next_attempt_at is None
            else codec.to_micros(next_attempt_at),
        }
        if state == OutboxState.IN_FLIGHT:
            values["attempts"] = outbox.c.attempts + 1
        with self._write() as conn:
            conn.execute(update(outbox).where(outbox.c.mutation_id.in_(ids)).values(values))
            email_ids = (
                conn.execute(
                    select(outbox.c.email_id).where(
                        outbox.c.mutation_id.in_(ids), outbox.c.email_id.isnot(None)
                    )
                )
                .scalars()
                .all()
            )
            boxes = (
                conn.execute(
                    select(messages.c.mailbox_id).where(messages.c.id.in_(email_ids)).distinct()
                )
                .scalars()
                .all()
            )
        self._notify(ChangeSet(mailboxes=frozenset(boxes), outbox=True))

    # -- sync bookkeeping (for the sync engine) ----------------------------------------------

    def sync_state(self, account_id: str) -> tuple[str | None, datetime | None]:
        """(last state string from the server, when the last sync finished)."""
        with self._read() as conn:
            row = conn.execute(
                select(sync_state.c.state, sync_state.c.last_sync_at).where(
                    sync_state.c.account_id == account_id
                )
            ).first()
        if row is None:
            return None, None
        synced = None if row.last_sync_at is None else codec.from_micros(row.last_sync_at)
        return row.state, synced

    def open_conflicts(self, account_id: str | None = None) -> list[ConflictRow]:
        query = (
            select(conflicts).where(conflicts.c.state == "open").order_by(conflicts.c.created_at)
        )
        if account_id is not None:
            query = query.where(conflicts.c.account_id == account_id)
        with self._read() as conn:
            return [
                ConflictRow(
                    id=r.id,
                    account_id=r.account_id,
                    mutation_id=r.mutation_id,
                    record_type=r.record_type,
                    record_id=r.record_id,
                    base=codec.loads(r.base),
                    local=codec.loads(r.local),
                    server=codec.loads(r.server),
                    state=r.state,
                    created_at=codec.from_micros(r.created_at),
                )
                for r in conn.execute(query)
            ]
