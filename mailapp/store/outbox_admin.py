"""Outbox and conflict operations for the desktop UI, plus what the composer reads.

Module-level functions over a MailStore (its ``_read``/``_write``/``_notify`` plumbing), so the
shared ``store.py`` stays small. Every change the server must see is queued with
``queue_mutation`` in the same transaction as the local change, like every other store action.

Decisions:
- Undo send: ``undo_send`` drops the ``submission.create`` mutation when it is still pending
  locally (the server never heard of it), otherwise it queues ``submission.cancel``. Either way
  the draft is still in Drafts (the server destroys a draft only once it is sent).
- Discard rolls back the local effect of keyword, move and draft-upsert mutations when the local
  value is still what the mutation set; destroys cannot be rolled back locally (the next full
  sync brings the record back). Mutations in flight cannot be discarded or edited.
- Conflicts are resolved against the server's version: the resolution mutation carries the
  server's values as ``old``, so it applies cleanly on the next sync.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.core.addresses import Address
from mailapp.store import codec
from mailapp.store.drafts import FIELDS as DRAFT_FIELDS
from mailapp.store.outbox import outbox_row, queue_mutation
from mailapp.store.rows import ChangeSet, ConflictRow, OutboxRow, OutboxState
from mailapp.store.schema import (
    accounts,
    attachments,
    conflicts,
    drafts,
    mailboxes,
    message_bodies,
    messages,
    meta,
    outbox,
)
from mailapp.store.store import MailStore

if TYPE_CHECKING:
    from mailapp.mime.parse import ParsedMessage

OPEN_COMPOSERS_KEY = "open_composers"
_KNOWN_ADDRESS_SCAN = 5000
_KEYWORD_COLUMNS = {"$seen": "is_read", "$flagged": "is_flagged"}
# Fields of a server record that are bookkeeping, never something a user chooses between.
_BOOKKEEPING = frozenset({"id", "createdModseq", "updatedModseq"})


class OutboxBusyError(Exception):
    """The mutation is being pushed right now; it can be changed once the push has finished."""


class Choice(StrEnum):
    MINE = "mine"
    THEIRS = "theirs"
    BOTH = "both"


# --------------------------------------------------------------------------------------------
# What the composer reads


def account_address(store: MailStore, account_id: str) -> Address:
    with store._read() as conn:
        row = conn.execute(
            select(accounts.c.email, accounts.c.display_name).where(accounts.c.id == account_id)
        ).one()
    return Address(row.display_name, row.email)


def known_addresses(store: MailStore, limit: int = _KNOWN_ADDRESS_SCAN) -> list[Address]:
    """Addresses seen in recent mail (senders, To, Cc) and in drafts, most frequent first."""
    sql = text(
        """
        WITH recent AS (
            SELECT sender_name, sender_email, headers FROM messages ORDER BY num DESC LIMIT :limit
        ), found(name, email) AS (
            SELECT sender_name, sender_email FROM recent WHERE sender_email IS NOT NULL
            UNION ALL
            SELECT json_extract(j.value, '$.name'), json_extract(j.value, '$.email')
            FROM recent, json_each(recent.headers, '$.to') AS j
            UNION ALL
            SELECT json_extract(j.value, '$.name'), json_extract(j.value, '$.email')
            FROM recent, json_each(recent.headers, '$.cc') AS j
            UNION ALL
            SELECT json_extract(j.value, '$.name'), json_extract(j.value, '$.email')
            FROM drafts, json_each(drafts.fields, '$.to') AS j
        )
        SELECT lower(email) AS key, max(name) AS name, max(email) AS email, count(*) AS uses
        FROM found WHERE email IS NOT NULL AND email != ''
        GROUP BY lower(email) ORDER BY uses DESC, key
        """
    )
    with store._read() as conn:
        rows = conn.execute(sql, {"limit": limit}).all()
    return [Address(row.name or None, row.email) for row in rows]


def reply_source(store: MailStore, message_id: str) -> ParsedMessage | None:
    """The stored message as a ParsedMessage, for the core reply/forward helpers.

    Attachments whose bytes are not cached locally are left out (the caller can tell from
    ``MessageDetail.attachments``).
    """
    # Imported here: the MIME module is not needed to start the app (start-up time).
    from mailapp.mime.parse import Attachment, ParsedMessage

    with store._read() as conn:
        row = conn.execute(
            select(
                messages.c.num,
                messages.c.message_id_header,
                messages.c.subject,
                messages.c.sender_name,
                messages.c.sender_email,
                messages.c.date,
                messages.c.headers,
            ).where(messages.c.id == message_id)
        ).first()
        if row is None:
            return None
        body = conn.execute(
            select(message_bodies.c.text_body, message_bodies.c.html_body).where(
                message_bodies.c.message_num == row.num
            )
        ).first()
        parts = conn.execute(
            select(attachments)
            .where(attachments.c.message_num == row.num, attachments.c.data.isnot(None))
            .order_by(attachments.c.position)
        ).all()
    headers = codec.loads(row.headers)
    sender = Address(row.sender_name, row.sender_email) if row.sender_email is not None else None
    return ParsedMessage(
        message_id=row.message_id_header,
        subject=row.subject,
        sender=sender,
        to=codec.addresses_from_wire(headers.get("to", [])),
        cc=codec.addresses_from_wire(headers.get("cc", [])),
        reply_to=codec.addresses_from_wire(headers.get("replyTo", [])),
        date=codec.from_micros(row.date),
        in_reply_to=headers.get("inReplyTo"),
        references=list(headers.get("references") or []),
        text_body=body.text_body if body else None,
        html_body=body.html_body if body else None,
        attachments=[
            Attachment(p.filename, p.content_type, p.size, p.content_id, bool(p.inline), p.data)
            for p in parts
        ],
    )


# --------------------------------------------------------------------------------------------
# Composers open at the moment (for recovery after a crash)


def _open_composer_ids(conn: Connection) -> list[str]:
    value = conn.execute(select(meta.c.value).where(meta.c.key == OPEN_COMPOSERS_KEY)).scalar()
    return list(codec.loads(value) or []) if value else []


def _set_open_composer_ids(conn: Connection, ids: list[str]) -> None:
    conn.execute(
        sqlite_insert(meta)
        .values(key=OPEN_COMPOSERS_KEY, value=codec.dumps(ids))
        .on_conflict_do_update(index_elements=[meta.c.key], set_={"value": codec.dumps(ids)})
    )


def mark_composer_open(store: MailStore, draft_id: str) -> None:
    with store._write() as conn:
        ids = _open_composer_ids(conn)
        if draft_id not in ids:
            _set_open_composer_ids(conn, [*ids, draft_id])


def mark_composer_closed(store: MailStore, draft_id: str) -> None:
    with store._write() as conn:
        ids = _open_composer_ids(conn)
        if draft_id in ids:
            _set_open_composer_ids(conn, [i for i in ids if i != draft_id])


def open_composer_drafts(store: MailStore, account_id: str) -> list[str]:
    """Drafts of ``account_id`` that a composer had open and never closed cleanly."""
    with store._read() as conn:
        ids = _open_composer_ids(conn)
        if not ids:
            return []
        existing = set(
            conn.execute(
                select(drafts.c.id).where(drafts.c.id.in_(ids), drafts.c.account_id == account_id)
            ).scalars()
        )
    return [i for i in ids if i in existing]


# --------------------------------------------------------------------------------------------
# Sending


def _submission_mutation(conn: Connection, submission_id: str) -> Any:
    for row in conn.execute(
        select(outbox).where(outbox.c.type == "submission.create").order_by(outbox.c.id.desc())
    ):
        if codec.loads(row.payload)["args"]["submissionId"] == submission_id:
            return row
    return None


def undo_send(store: MailStore, submission_id: str) -> str:
    """Take back a send; returns the draft id, which is still in Drafts."""
    with store._write() as conn:
        row = _submission_mutation(conn, submission_id)
        if row is None:
            raise KeyError(f"no submission {submission_id}")
        draft_id = str(row.draft_id)
        if row.state in (OutboxState.PENDING.value, OutboxState.FAILED.value):
            conn.execute(delete(outbox).where(outbox.c.id == row.id))
        else:
            queue_mutation(
                conn,
                row.account_id,
                "submission.cancel",
                {"submissionId": submission_id},
                draft_id=draft_id,
            )
    store._notify(ChangeSet(drafts=frozenset({draft_id}), outbox=True))
    return draft_id


def cancel_submission(store: MailStore, account_id: str, submission_id: str) -> int:
    """Queue ``submission.cancel``; returns its mutation id."""
    with store._write() as conn:
        mutation_id = queue_mutation(
            conn, account_id, "submission.cancel", {"submissionId": submission_id}
        )
    store._notify(ChangeSet(outbox=True))
    return mutation_id


# --------------------------------------------------------------------------------------------
# The outbox view's actions


def outbox_entries(store: MailStore) -> list[OutboxRow]:
    """Every mutation not yet applied, oldest first (the same as ``pending_mutations``)."""
    return store.pending_mutations()


def draft_subjects(store: MailStore, draft_ids: Iterable[str]) -> dict[str, tuple[str, list[str]]]:
    """{draft id: (subject, recipient emails)} for describing submissions."""
    ids = list(set(draft_ids))
    if not ids:
        return {}
    with store._read() as conn:
        rows = conn.execute(select(drafts.c.id, drafts.c.fields).where(drafts.c.id.in_(ids)))
        result = {}
        for row in rows:
            fields = codec.loads(row.fields)
            emails = [a["email"] for key in ("to", "cc", "bcc") for a in fields.get(key) or []]
            result[row.id] = (fields.get("subject") or "", emails)
    return result


def retry_now(store: MailStore, mutation_ids: Sequence[int]) -> None:
    """Make failed or waiting mutations due now; their last error stays visible until replaced."""
    with store._write() as conn:
        conn.execute(
            update(outbox)
            .where(
                outbox.c.mutation_id.in_(list(mutation_ids)),
                outbox.c.state.in_((OutboxState.PENDING.value, OutboxState.FAILED.value)),
            )
            .values(state=OutboxState.PENDING.value, next_attempt_at=None)
        )
    store._notify(ChangeSet(outbox=True))


def _rows(conn: Connection, mutation_ids: Sequence[int]) -> list[Any]:
    rows = list(
        conn.execute(
            select(outbox).where(outbox.c.mutation_id.in_(list(mutation_ids))).order_by(outbox.c.id)
        )
    )
    if any(row.state == OutboxState.IN_FLIGHT.value for row in rows):
        raise OutboxBusyError("this change is being sent to the server right now")
    return rows


def _set_message_keywords(conn: Connection, num: int, keywords: set[str]) -> None:
    values: dict[str, Any] = {"keywords": codec.dumps(sorted(keywords))}
    for keyword, column in _KEYWORD_COLUMNS.items():
        values[column] = keyword in keywords
    conn.execute(update(messages).where(messages.c.num == num).values(values))


def _rollback(conn: Connection, row: Any, changes: _Touched) -> None:
    args = codec.loads(row.payload)["args"]
    if row.type == "email.keywords" and row.email_id:
        message = conn.execute(
            select(messages.c.num, messages.c.keywords, messages.c.mailbox_id).where(
                messages.c.id == row.email_id
            )
        ).first()
        if message is None:
            return
        keywords = set(codec.loads(message.keywords))
        keywords = (keywords - set(args.get("add", []))) | set(args.get("remove", []))
        _set_message_keywords(conn, message.num, keywords)
        changes.add(message=row.email_id, mailbox=message.mailbox_id)
    elif row.type == "email.move" and row.email_id:
        old, new = args["mailboxId"]["old"], args["mailboxId"]["new"]
        moved = conn.execute(
            update(messages)
            .where(messages.c.id == row.email_id, messages.c.mailbox_id == new)
            .values(mailbox_id=old)
        ).rowcount
        if moved:
            changes.add(message=row.email_id, mailbox=old)
            changes.add(mailbox=new)
    elif row.type == "draft.upsert":
        _rollback_draft(conn, args, changes)
    elif row.type == "email.import" and row.email_id:
        # The message the import filed here goes, with the changes queued on it: none of them
        # can reach the server now (the dropped file is still where it was).
        message = conn.execute(
            select(messages.c.num, messages.c.mailbox_id).where(
                messages.c.id == row.email_id, messages.c.server_id.is_(None)
            )
        ).first()
        if message is not None:
            conn.execute(delete(messages).where(messages.c.num == message.num))
            changes.add(message=row.email_id, mailbox=message.mailbox_id)
        conn.execute(delete(outbox).where(outbox.c.email_id == row.email_id, outbox.c.id != row.id))


def _rollback_draft(conn: Connection, args: dict[str, Any], changes: _Touched) -> None:
    # Imported here: replica loads the wire schemas (pydantic), which the composer does not need.
    from mailapp.store.replica import local_draft_fields

    draft_id = args["draftId"]
    row = conn.execute(
        select(drafts.c.fields, drafts.c.server_version).where(drafts.c.id == draft_id)
    ).first()
    if row is None:
        return
    fields = codec.loads(row.fields)
    creates = all(change["old"] is None for change in args["fields"].values())
    if creates and row.server_version is None and len(args["fields"]) == len(DRAFT_FIELDS):
        # Discarding the upsert that created the draft discards the draft itself. A draft the
        # server already knows is never deleted here, even when its fields were all null there.
        conn.execute(delete(drafts).where(drafts.c.id == draft_id))
    else:
        for name, change in args["fields"].items():
            if fields.get(name) == change["new"]:
                fields[name] = change["old"]
        # A null "old" (the server's empty field) becomes the store's empty form again.
        fields = local_draft_fields(fields)
        conn.execute(
            update(drafts).where(drafts.c.id == draft_id).values(fields=codec.dumps(fields))
        )
    changes.add(draft=draft_id)


@dataclass
class _Touched:
    messages: set[str]
    mailboxes: set[str]
    drafts: set[str]

    @classmethod
    def empty(cls) -> _Touched:
        return cls(set(), set(), set())

    def add(
        self, *, message: str | None = None, mailbox: str | None = None, draft: str | None = None
    ) -> None:
        for target, value in (
            (self.messages, message),
            (self.mailboxes, mailbox),
            (self.drafts, draft),
        ):
            if value is not None:
                target.add(value)

    def change_set(self) -> ChangeSet:
        return ChangeSet(
            messages=frozenset(self.messages),
            mailboxes=frozenset(self.mailboxes),
            drafts=frozenset(self.drafts),
            outbox=True,
        )


def discard(store: MailStore, mutation_ids: Sequence[int]) -> None:
    """Drop queued mutations, rolling back their local effect where that is meaningful.

    Raises OutboxBusyError (and changes nothing) when one of them is in flight.
    """
    # Imported here: the replica loads the wire schemas (pydantic), which the composer does not
    # need.
    from mailapp.store.replica_outbox import recompute_views, record_of

    touched = _Touched.empty()
    with store._write() as conn:
        rows = _rows(conn, mutation_ids)
        # Newest first, so stacked changes to one record unwind in reverse order.
        for row in reversed(rows):
            _rollback(conn, row, touched)
            conn.execute(delete(outbox).where(outbox.c.id == row.id))
        # A synced record shows its server base with what is still queued: a pull since these
        # were queued may have brought values newer than the "old" ones they carry.
        by_account: dict[str, list[tuple[str, str]]] = {}
        for row in rows:
            by_account.setdefault(row.account_id, []).append(record_of(outbox_row(row)))
        for account_id, records in by_account.items():
            changed = recompute_views(conn, account_id, records)
            touched.messages |= changed.messages
            touched.mailboxes |= changed.mailboxes
            touched.drafts |= changed.drafts
    store._notify(touched.change_set())


def return_to_drafts(store: MailStore, mutation_id: int) -> str:
    """Stop a queued (pending or failed) send and return its draft id to edit it again."""
    with store._write() as conn:
        (row,) = _rows(conn, [mutation_id])
        if row.type != "submission.create" or row.draft_id is None:
            raise ValueError("only a message waiting to be sent can be edited")
        conn.execute(delete(outbox).where(outbox.c.id == row.id))
        draft_id = str(row.draft_id)
    store._notify(ChangeSet(drafts=frozenset({draft_id}), outbox=True))
    return draft_id


# --------------------------------------------------------------------------------------------
# Conflicts


@dataclass(frozen=True)
class Versions:
    """A conflict's three versions as {field: value} over the fields the user changed."""

    base: dict[str, Any]
    mine: dict[str, Any]
    theirs: dict[str, Any]


# Arguments that name the record rather than change it.
_RECORD_KEYS = {
    "email": ("emailId",),
    "draft": ("draftId",),
    "mailbox": ("mailboxId",),
    "submission": ("submissionId", "draftId"),
}


def _as_dict(version: Any) -> dict[str, Any]:
    return dict(version) if isinstance(version, Mapping) else {}


def versions(conflict: ConflictRow) -> Versions:
    """The sync engine stores what the mutation saw (base) and wanted (local) for the fields it
    changed, and the server's whole record; a keyword patch becomes the keyword list it wanted."""
    base, mine, theirs = (_as_dict(v) for v in (conflict.base, conflict.local, conflict.server))
    if conflict.record_type == "email" and ("add" in mine or "remove" in mine):
        server_keywords = set(theirs.get("keywords") or [])
        wanted = (server_keywords | set(mine.get("add") or [])) - set(mine.get("remove") or [])
        mine = {"keywords": sorted(wanted)}
        base = {}
    for key in (*_BOOKKEEPING, *_RECORD_KEYS.get(conflict.record_type, ())):
        mine.pop(key, None)
    return Versions(base, mine, theirs)


def comparable_fields(conflict: ConflictRow) -> list[str]:
    """The fields the user changed, in a stable order (draft fields in protocol order)."""
    order = {name: i for i, name in enumerate(DRAFT_FIELDS)}
    return sorted(versions(conflict).mine, key=lambda name: (order.get(name, len(order)), name))


def server_destroyed(conflict: ConflictRow) -> bool:
    return bool(_as_dict(conflict.server).get("destroyed"))


def differing_fields(conflict: ConflictRow) -> list[str]:
    found = versions(conflict)
    if server_destroyed(conflict):
        return comparable_fields(conflict)
    return [
        name for name in comparable_fields(conflict) if found.mine[name] != found.theirs.get(name)
    ]


def allowed_choices(conflict: ConflictRow, field_name: str) -> list[Choice]:
    """What makes sense per field: both versions can be kept for drafts (as a copy) and keywords
    (as their union); an email lives in one mailbox; a destroyed email cannot be restored."""
    if conflict.record_type not in ("draft", "email", "mailbox") or (
        conflict.record_type == "email" and server_destroyed(conflict)
    ):
        return [Choice.THEIRS]
    if conflict.record_type == "draft" or field_name == "keywords":
        return [Choice.BOTH, Choice.MINE, Choice.THEIRS]
    return [Choice.MINE, Choice.THEIRS]


def discards_something(conflict: ConflictRow, choices: Mapping[str, Choice]) -> bool:
    """True when a choice drops one side's differing value (the UI confirms before that)."""
    return any(choices.get(name, Choice.BOTH) != Choice.BOTH for name in differing_fields(conflict))


def _close_conflict(conn: Connection, conflict: ConflictRow) -> None:
    conn.execute(
        update(conflicts)
        .where(conflicts.c.id == conflict.id)
        .values(state="resolved", resolved_at=codec.now_micros())
    )
    # The refused mutation is answered and superseded by the resolution: it leaves the outbox.
    if conflict.mutation_id is not None:
        conn.execute(
            delete(outbox).where(
                outbox.c.mutation_id == conflict.mutation_id,
                outbox.c.state == OutboxState.CONFLICT.value,
            )
        )


def _load_conflict(store: MailStore, conflict_id: str) -> ConflictRow:
    for conflict in store.open_conflicts():
        if conflict.id == conflict_id:
            return conflict
    raise KeyError(f"no open conflict {conflict_id}")


def resolve(store: MailStore, conflict_id: str, choices: Mapping[str, Choice]) -> list[int]:
    """Apply the user's per-field choices; returns the mutation ids queued for the server.

    Fields missing from ``choices`` take the first allowed choice (keep both where possible).
    """
    conflict = _load_conflict(store, conflict_id)
    picked = {
        name: choices.get(name, allowed_choices(conflict, name)[0])
        for name in differing_fields(conflict)
    }
    for name, choice in picked.items():
        if choice not in allowed_choices(conflict, name):
            raise ValueError(f"“{choice}” is not possible for {name}")
    touched = _Touched.empty()
    with store._write() as conn:
        if conflict.record_type == "draft":
            queued = _resolve_draft(conn, conflict, picked, touched)
        elif conflict.record_type == "email":
            queued = _resolve_email(conn, conflict, picked, touched)
        elif conflict.record_type == "mailbox":
            queued = _resolve_mailbox(conn, conflict, picked, touched)
        else:
            # Submissions and anything newer: the server's version stands.
            queued = []
        _close_conflict(conn, conflict)
    store._notify(touched.change_set())
    return queued


def _resolve_draft(
    conn: Connection, conflict: ConflictRow, picked: dict[str, Choice], touched: _Touched
) -> list[int]:
    account_id = conflict.account_id
    current = conn.execute(
        select(drafts.c.fields).where(drafts.c.id == conflict.record_id)
    ).scalar()
    # My version: the local draft (the sync engine shows the server's after a conflict) with
    # the fields I changed on top.
    mine = versions(conflict).mine
    local = {**(codec.loads(current) or {}), **mine} if current else mine
    if server_destroyed(conflict):
        # Only "mine" restores the draft; "theirs" accepts the deletion; "both" keeps a copy.
        wants_mine = any(choice != Choice.THEIRS for choice in picked.values()) or not picked
        conn.execute(delete(drafts).where(drafts.c.id == conflict.record_id))
        touched.add(draft=conflict.record_id)
        if not wants_mine:
            return []
        return [_create_draft(conn, account_id, local, touched, draft_id=conflict.record_id)]
    server = versions(conflict).theirs
    resolved = dict(codec.loads(current) or {}) if current else {}
    resolved.update({name: server[name] for name in DRAFT_FIELDS if name in server})
    changes: dict[str, dict[str, Any]] = {}
    for name, choice in picked.items():
        if choice == Choice.MINE:
            resolved[name] = local.get(name)
            changes[name] = {"old": server.get(name), "new": local.get(name)}
    _write_draft_fields(conn, account_id, conflict.record_id, _complete(resolved))
    touched.add(draft=conflict.record_id)
    queued = []
    if changes:
        queued.append(
            queue_mutation(
                conn,
                account_id,
                "draft.upsert",
                {"draftId": conflict.record_id, "fields": changes},
                draft_id=conflict.record_id,
            )
        )
    if Choice.BOTH in picked.values():
        queued.append(_create_draft(conn, account_id, local, touched))
    return queued


def _write_draft_fields(
    conn: Connection, account_id: str, draft_id: str, fields: dict[str, Any]
) -> None:
    now = codec.now_micros()
    conn.execute(
        sqlite_insert(drafts)
        .values(
            id=draft_id,
            account_id=account_id,
            fields=codec.dumps(fields),
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[drafts.c.id], set_={"fields": codec.dumps(fields), "updated_at": now}
        )
    )


def _complete(version: Mapping[str, Any]) -> dict[str, Any]:
    """Every draft field, with the empty values the local drafts table expects for nulls."""
    fields = {name: version.get(name) for name in DRAFT_FIELDS}
    for name in ("to", "cc", "bcc", "references", "attachments"):
        fields[name] = fields[name] or []
    fields["subject"] = fields["subject"] or ""
    fields["body"] = fields["body"] or ""
    return fields


def _create_draft(
    conn: Connection,
    account_id: str,
    version: dict[str, Any],
    touched: _Touched,
    *,
    draft_id: str | None = None,
) -> int:
    """A draft holding ``version`` (a copy, unless ``draft_id`` restores the original)."""
    draft_id = draft_id or str(uuid.uuid4())
    fields = _complete(version)
    _write_draft_fields(conn, account_id, draft_id, fields)
    touched.add(draft=draft_id)
    return queue_mutation(
        conn,
        account_id,
        "draft.upsert",
        {"draftId": draft_id, "fields": {n: {"old": None, "new": fields[n]} for n in DRAFT_FIELDS}},
        draft_id=draft_id,
    )


def _resolve_email(
    conn: Connection, conflict: ConflictRow, picked: dict[str, Choice], touched: _Touched
) -> list[int]:
    local_row = conn.execute(
        select(messages.c.num, messages.c.id, messages.c.mailbox_id).where(
            (messages.c.server_id == conflict.record_id) | (messages.c.id == conflict.record_id)
        )
    ).first()
    if server_destroyed(conflict):
        if local_row is not None:
            conn.execute(delete(messages).where(messages.c.num == local_row.num))
            touched.add(message=local_row.id, mailbox=local_row.mailbox_id)
        return []
    found = versions(conflict)
    local, server = found.mine, found.theirs
    queued: list[int] = []
    keywords_choice = picked.get("keywords")
    if keywords_choice is not None:
        mine, theirs = set(local.get("keywords") or []), set(server.get("keywords") or [])
        final = {Choice.MINE: mine, Choice.THEIRS: theirs, Choice.BOTH: mine | theirs}[
            keywords_choice
        ]
        if local_row is not None:
            _set_message_keywords(conn, local_row.num, final)
            touched.add(message=local_row.id, mailbox=local_row.mailbox_id)
        if final != theirs:
            queued.append(
                queue_mutation(
                    conn,
                    conflict.account_id,
                    "email.keywords",
                    {
                        "emailId": conflict.record_id,
                        "add": sorted(final - theirs),
                        "remove": sorted(theirs - final),
                    },
                    email_id=local_row.id if local_row else None,
                )
            )
    mailbox_choice = picked.get("mailboxId")
    if mailbox_choice is not None:
        target = (
            local.get("mailboxId") if mailbox_choice == Choice.MINE else server.get("mailboxId")
        )
        known = conn.execute(select(mailboxes.c.id).where(mailboxes.c.id == target)).scalar()
        if local_row is not None and known is not None:
            conn.execute(
                update(messages).where(messages.c.num == local_row.num).values(mailbox_id=target)
            )
            touched.add(message=local_row.id, mailbox=local_row.mailbox_id)
            touched.add(mailbox=target)
        if mailbox_choice == Choice.MINE:
            queued.append(
                queue_mutation(
                    conn,
                    conflict.account_id,
                    "email.move",
                    {
                        "emailId": conflict.record_id,
                        "mailboxId": {"old": server.get("mailboxId"), "new": target},
                    },
                    email_id=local_row.id if local_row else None,
                )
            )
    return queued


def _resolve_mailbox(
    conn: Connection, conflict: ConflictRow, picked: dict[str, Choice], touched: _Touched
) -> list[int]:
    found = versions(conflict)
    local, server = found.mine, found.theirs
    wire_names = {"name": "name", "parentId": "parentId"}
    args: dict[str, Any] = {"mailboxId": conflict.record_id}
    resolved: dict[str, Any] = {}
    for name, choice in picked.items():
        if name not in wire_names:
            continue
        value = local.get(name) if choice == Choice.MINE else server.get(name)
        resolved[{"name": "name", "parentId": "parent_id"}[name]] = value
        if choice == Choice.MINE:
            args[name] = {"old": server.get(name), "new": value}
    if resolved:
        conn.execute(update(mailboxes).where(mailboxes.c.id == conflict.record_id).values(resolved))
        touched.add(mailbox=conflict.record_id)
    if len(args) == 1:
        return []
    return [queue_mutation(conn, conflict.account_id, "mailbox.update", args)]


__all__ = [
    "OPEN_COMPOSERS_KEY",
    "Choice",
    "OutboxBusyError",
    "account_address",
    "allowed_choices",
    "cancel_submission",
    "comparable_fields",
    "differing_fields",
    "discard",
    "discards_something",
    "draft_subjects",
    "known_addresses",
    "mark_composer_closed",
    "mark_composer_open",
    "open_composer_drafts",
    "outbox_entries",
    "reply_source",
    "resolve",
    "retry_now",
    "return_to_drafts",
    "server_destroyed",
    "undo_send",
]
