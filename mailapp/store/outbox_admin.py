"""Outbox and conflict operations for the desktop UI, plus what the composer reads.

The conflict functions live in conflicts.py and the composer's reads in composer_reads.py;
this module re-exports them, so callers import everything from here.

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

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from mailapp.store import codec
from mailapp.store.composer_reads import (
    OPEN_COMPOSERS_KEY,
    account_address,
    known_addresses,
    mark_composer_closed,
    mark_composer_open,
    open_composer_drafts,
    reply_source,
)
from mailapp.store.conflicts import (
    Choice,
    Versions,
    allowed_choices,
    comparable_fields,
    differing_fields,
    discards_something,
    resolve,
    server_destroyed,
    versions,
)
from mailapp.store.drafts import FIELDS as DRAFT_FIELDS
from mailapp.store.outbox import outbox_row, queue_mutation
from mailapp.store.rows import ChangeSet, OutboxState
from mailapp.store.schema import drafts, messages, outbox
from mailapp.store.store import MailStore
from mailapp.store.touched import Touched, set_message_keywords

if TYPE_CHECKING:
    from mailapp.store.rows import OutboxRow


class OutboxBusyError(Exception):
    """The mutation is being pushed right now; it can be changed once the push has finished."""


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


def _rollback(conn: Connection, row: Any, changes: Touched) -> None:
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
        set_message_keywords(conn, message.num, keywords)
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


def _rollback_draft(conn: Connection, args: dict[str, Any], changes: Touched) -> None:
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


def discard(store: MailStore, mutation_ids: Sequence[int]) -> None:
    """Drop queued mutations, rolling back their local effect where that is meaningful.

    Raises OutboxBusyError (and changes nothing) when one of them is in flight.
    """
    # Imported here: the replica loads the wire schemas (pydantic), which the composer does not
    # need.
    from mailapp.store.replica_outbox import recompute_views, record_of

    touched = Touched.empty()
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


__all__ = [
    "OPEN_COMPOSERS_KEY",
    "Choice",
    "OutboxBusyError",
    "Versions",
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
    "versions",
]
