"""The push side of the replica: applying the server's answers to a pushed batch (taking the
batch from the outbox is replica_take.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select, update

from mailapp import wire
from mailapp.store import codec
from mailapp.store.importer import ImportContext, insert_many
from mailapp.store.imports import IMPORT, drop_refused, map_imported
from mailapp.store.replica import (
    _destroy_draft,
    _destroy_mailbox,
    _set_draft_view,
    _set_state,
    _upsert_draft,
    _upsert_mailbox,
    apply_changes_in,
)
from mailapp.store.replica_emails import destroy_email, refresh_emails, upsert_emails
from mailapp.store.replica_take import CHUNK as _CHUNK
from mailapp.store.replica_views import Touched
from mailapp.store.rows import ChangeSet, OutboxRow, OutboxState
from mailapp.store.schema import conflicts, drafts, mailboxes, outbox
from mailapp.store.store import MailStore


@dataclass(frozen=True)
class PushOutcome:
    pushed: int  # mutations the server applied or found already applied
    conflicts: int
    failed: int
    changed: ChangeSet
    # Records whose views are settled once the rest of the change feed is applied
    # (apply_push, when the answer has more pages).
    unsettled: tuple[tuple[str, str], ...] = ()


def record_of(row: OutboxRow) -> tuple[str, str]:
    """(record type, record id) a mutation is about, as conflicts name them."""
    args = row.args
    if row.type.startswith("email."):
        return "email", str(args.get("emailId") or args.get("localId"))
    if row.type.startswith("mailbox."):
        return "mailbox", str(args.get("mailboxId"))
    if row.type.startswith("draft."):
        return "draft", str(args.get("draftId"))
    return "submission", str(args.get("submissionId"))


def _versions(row: OutboxRow) -> tuple[Any, Any]:
    """(base, local) of a mutation: the values it saw before and the values it wants."""
    args = row.args
    if row.type == "draft.upsert":
        fields = args.get("fields", {})
        return (
            {name: change.get("old") for name, change in fields.items()},
            {name: change.get("new") for name, change in fields.items()},
        )
    changes = {k: v for k, v in args.items() if isinstance(v, dict) and set(v) <= {"old", "new"}}
    if changes:
        return (
            {name: change.get("old") for name, change in changes.items()},
            {name: change.get("new") for name, change in changes.items()},
        )
    return None, args


def _apply_server_records(
    conn: Connection,
    account_id: str,
    records: list[tuple[str, str, dict[str, Any]]],
    touched: Touched,
) -> None:
    """Apply the server's copies that came with refused mutations (messages in bulk)."""
    emails: list[wire.EmailRecord] = []
    for kind, record_id, record in records:
        if record.get("destroyed"):
            {"email": destroy_email, "draft": _destroy_draft, "mailbox": _destroy_mailbox}.get(
                kind, lambda *_: None
            )(conn, record_id, touched)
            continue
        try:
            if kind == "email":
                emails.append(wire.EmailRecord.model_validate(record))
            elif kind == "draft":
                _upsert_draft(conn, account_id, wire.DraftRecord.model_validate(record), touched)
            elif kind == "mailbox":
                _upsert_mailbox(
                    conn, account_id, wire.MailboxRecord.model_validate(record), touched
                )
        except ValidationError:
            # The change feed carries the record too; a malformed copy only loses the shortcut.
            continue
    # Several refused mutations of one message carry a copy each: the newest one counts.
    newest: dict[str, wire.EmailRecord] = {}
    for email in emails:
        if email.id not in newest or newest[email.id].updated_modseq < email.updated_modseq:
            newest[email.id] = email
    upsert_emails(conn, ImportContext(account_id), list(newest.values()), touched)


def _refresh_from_base(
    conn: Connection, account_id: str, refused: list[tuple[str, str]], touched: Touched
) -> None:
    """Recompute records' visible values after local changes were refused."""
    email_ids = list(dict.fromkeys(record_id for kind, record_id in refused if kind == "email"))
    refresh_emails(conn, account_id, email_ids, touched)
    for kind, record_id in dict.fromkeys(refused):
        if kind == "draft":
            row = conn.execute(
                select(drafts.c.base, drafts.c.server_version).where(drafts.c.id == record_id)
            ).first()
            if row is not None and row.base is not None:
                _set_draft_view(
                    conn, account_id, record_id, codec.loads(row.base), row.server_version
                )
                touched.drafts.add(record_id)
        elif kind == "mailbox":
            base = conn.execute(
                select(mailboxes.c.base).where(mailboxes.c.id == record_id)
            ).scalar()
            if base is not None:
                values = codec.loads(base)
                conn.execute(
                    update(mailboxes)
                    .where(mailboxes.c.id == record_id)
                    .values(name=values["name"], parent_id=values["parentId"])
                )
                touched.mailboxes.add(record_id)


def _seal_queued_after(conn: Connection, account_id: str, batch: list[OutboxRow]) -> None:
    """Mark rebased the mutations queued while ``batch`` was in flight, on the same records.

    They were made on a view that replayed the batch's mutations; now that those are answered
    the view is the base with whatever the answer did, which is not the view they assumed when
    one was refused, or was applied before a pull that brought newer values. Sent as queued they
    are merged by the server as usual; folded, they could cancel an action that is not undone.
    """
    records = {record_of(row) for row in batch}
    emails = sorted(record_id for kind, record_id in records if kind == "email")
    drafts_ = sorted(record_id for kind, record_id in records if kind == "draft")
    for column, ids in ((outbox.c.email_id, emails), (outbox.c.draft_id, drafts_)):
        for start in range(0, len(ids), _CHUNK):
            conn.execute(
                update(outbox)
                .where(
                    outbox.c.account_id == account_id,
                    outbox.c.state == OutboxState.PENDING.value,
                    column.in_(ids[start : start + _CHUNK]),
                )
                .values(rebased=True)
            )


def recompute_views(
    conn: Connection, account_id: str, records: Sequence[tuple[str, str]]
) -> ChangeSet:
    """Show synced records as their base with their still-queued mutations replayed.

    For the Outbox's discard: rolling a mutation back to the "old" values it carries would be
    wrong once a pull has brought newer server values; records without a base (never synced)
    are left as the caller rolled them back.
    """
    touched = Touched()
    _refresh_from_base(conn, account_id, list(records), touched)
    return touched.changeset()


def _in_changes(changes: wire.Changes) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for kind, bucket in (
        ("email", changes.emails),
        ("draft", changes.drafts),
        ("mailbox", changes.mailboxes),
    ):
        found.update((kind, record.id) for record in [*bucket.created, *bucket.updated])
        found.update((kind, record_id) for record_id in bucket.destroyed)
    return found


def settle_views(
    store: MailStore, account_id: str, records: Sequence[tuple[str, str]]
) -> ChangeSet:
    """Recompute views of records whose answered mutations the change feed has caught up with."""
    touched = Touched()
    with store._write() as conn:
        _refresh_from_base(conn, account_id, list(records), touched)
    changeset = touched.changeset()
    if touched:
        store._notify(changeset)
    return changeset


def apply_push(
    store: MailStore,
    account_id: str,
    batch: list[OutboxRow],
    answer: wire.SyncResponse,
    *,
    announce: bool = True,
) -> PushOutcome:
    """Record each mutation's result, apply the changes that came back, store the new state.

    `announce` False: the page is part of an account's first sync (apply_changes's), so the
    messages new to the store are not announced as new mail.

    All in one transaction: after a crash either nothing of this answer is stored (and the
    in-flight mutations are resent with the same ids) or all of it is.

    A record's view is its base with its unanswered mutations replayed; once they are answered it
    must be recomputed. Refused ones fall back at once. Applied ones usually come back in the
    change feed, which recomputes the view, but not when the server had applied them before an
    answer that was lost and the feed brought the record already (and maybe newer values from
    another device): the resend is answered from the server's stored result and no page brings
    the record again. So every record of the batch is recomputed once the feed has caught up
    with the answer: here when it fits on this page, else by the caller after the remaining
    pages (``PushOutcome.unsettled``), since recomputing on an older base would flicker.
    """
    by_id = {row.mutation_id: row for row in batch}
    touched = Touched(outbox=True)
    pushed = conflict_count = failed = 0
    refused: list[tuple[str, str]] = []
    # Collected first and written with one executemany each: a batch answers up to thousands
    # of mutations, and per-row statements cost more than SQLite's own work.
    states: list[tuple[str, str | None, int]] = []
    conflict_rows: list[dict[str, Any]] = []
    server_records: list[tuple[str, str, dict[str, Any]]] = []
    # Imports: (provisional id, the server's id or None when refused).
    imported: list[tuple[str, str | None]] = []
    answered_ids = {result.mutation_id for result in answer.results}
    for result in answer.results:
        row = by_id[result.mutation_id]
        kind, record_id = record_of(row)
        if row.type == IMPORT:
            server_id = (result.server_record or {}).get("id")
            imported.append(
                (record_id, str(server_id) if result.status in ("applied", "merged") else None)
            )
        if result.status in ("applied", "merged"):
            states.append((OutboxState.APPLIED.value, None, row.mutation_id))
            pushed += 1
            continue
        if result.status == "conflict":
            fields = ", ".join(result.conflict_fields or [])
            error = result.reason or f"conflict on {fields or 'the record'}"
            states.append((OutboxState.CONFLICT.value, error, row.mutation_id))
            base, local = _versions(row)
            conflict_rows.append(
                {
                    "id": f"{store.client_id}-{row.mutation_id}",
                    "account_id": account_id,
                    "mutation_id": row.mutation_id,
                    "record_type": kind,
                    "record_id": record_id,
                    "base": codec.dumps(base),
                    "local": codec.dumps(local),
                    "server": codec.dumps(result.server_record),
                    "state": "open",
                    "created_at": codec.now_micros(),
                }
            )
            conflict_count += 1
        else:
            # The server's sentence for the user when it sends one; its reason code otherwise.
            error = result.detail or result.reason or "rejected"
            states.append((OutboxState.FAILED.value, error, row.mutation_id))
            failed += 1
        refused.append((kind, record_id))
        if result.server_record is not None:
            server_records.append((kind, record_id, result.server_record))
    with store._write() as conn:
        if states:
            conn.exec_driver_sql(
                "UPDATE outbox SET state = ?, last_error = ? WHERE mutation_id = ?", states
            )
        _seal_queued_after(conn, account_id, batch)
        # Before the changes: they bring the imported emails under the server's ids.
        for local_id, server_id in imported:
            if server_id is None:
                drop_refused(conn, local_id, touched)
            else:
                map_imported(conn, local_id, server_id, touched)
        insert_many(conn, conflicts.name, conflict_rows)
        _apply_server_records(conn, account_id, server_records, touched)
        apply_changes_in(conn, account_id, answer.changes, touched)
        # Records this page brought are recomputed with it; refused ones are recomputed below.
        fresh = _in_changes(answer.changes) | set(refused)
        applied = [
            record
            for record in dict.fromkeys(
                record_of(row) for row in batch if row.mutation_id in answered_ids
            )
            if record not in fresh
        ]
        unsettled = applied if answer.changes.has_more else []
        _refresh_from_base(conn, account_id, refused + ([] if unsettled else applied), touched)
        _set_state(conn, account_id, answer.new_state)
    if not announce:
        touched.arrived.clear()
    changeset = touched.changeset()
    store._notify(changeset)
    return PushOutcome(pushed, conflict_count, failed, changeset, tuple(unsettled))
