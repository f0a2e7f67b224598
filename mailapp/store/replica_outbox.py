"""The push side of the replica: taking batches from the outbox and applying the answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, insert, select, update

from mailapp import wire
from mailapp.store import codec
from mailapp.store.importer import ImportContext
from mailapp.store.replica import (
    Touched,
    _destroy_draft,
    _destroy_email,
    _destroy_mailbox,
    _set_draft_view,
    _set_email_view,
    _set_state,
    _upsert_draft,
    _upsert_email,
    _upsert_mailbox,
    apply_changes_in,
    unfinished,
)
from mailapp.store.rows import ChangeSet, OutboxRow, OutboxState
from mailapp.store.schema import conflicts, drafts, mailboxes, messages, outbox
from mailapp.store.store import MailStore
from mailapp.sync.fold import Queued, plan_fold

_CHUNK = 500


@dataclass(frozen=True)
class PushOutcome:
    pushed: int  # mutations the server applied or found already applied
    conflicts: int
    failed: int
    changed: ChangeSet


def take_batch(store: MailStore, account_id: str, limit: int) -> list[OutboxRow]:
    """Fold never-sent mutations, then mark up to ``limit`` oldest unfinished ones in flight.

    In-flight mutations (sent before, answer never received) come back unchanged, with the
    same ids, so the server replays its stored results instead of applying them twice.
    """
    changed = False
    with store._write() as conn:
        pending = [r for r in unfinished(conn, account_id) if r.state == OutboxState.PENDING]
        plan = plan_fold([Queued(r.mutation_id, r.type, r.args) for r in pending])
        if not plan.empty:
            types = {r.mutation_id: r.type for r in pending}
            for mutation_id, args in plan.rewrite.items():
                conn.execute(
                    update(outbox)
                    .where(outbox.c.mutation_id == mutation_id)
                    .values(payload=codec.dumps({"type": types[mutation_id], "args": args}))
                )
            dropped = sorted(plan.drop)
            for start in range(0, len(dropped), _CHUNK):
                chunk = dropped[start : start + _CHUNK]
                conn.execute(delete(outbox).where(outbox.c.mutation_id.in_(chunk)))
            changed = True
        batch = unfinished(conn, account_id, limit)
        fresh = [r.mutation_id for r in batch if r.state == OutboxState.PENDING]
        for start in range(0, len(fresh), _CHUNK):
            conn.execute(
                update(outbox)
                .where(outbox.c.mutation_id.in_(fresh[start : start + _CHUNK]))
                .values(state=OutboxState.IN_FLIGHT.value, attempts=outbox.c.attempts + 1)
            )
        changed = changed or bool(fresh)
    if changed:
        store._notify(ChangeSet(outbox=True))
    return batch


def unfinished_count(store: MailStore, account_id: str) -> int:
    with store._read() as conn:
        return len(unfinished(conn, account_id))


def record_of(row: OutboxRow) -> tuple[str, str]:
    """(record type, record id) a mutation is about, as conflicts name them."""
    args = row.args
    if row.type.startswith("email."):
        return "email", str(args.get("emailId"))
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


def _apply_server_record(
    conn: Connection,
    account_id: str,
    kind: str,
    record_id: str,
    record: dict[str, Any],
    touched: Touched,
) -> None:
    if record.get("destroyed"):
        {"email": _destroy_email, "draft": _destroy_draft, "mailbox": _destroy_mailbox}.get(
            kind, lambda *_: None
        )(conn, record_id, touched)
        return
    try:
        if kind == "email":
            _upsert_email(
                conn, ImportContext(account_id), wire.EmailRecord.model_validate(record), touched
            )
        elif kind == "draft":
            _upsert_draft(conn, account_id, wire.DraftRecord.model_validate(record), touched)
        elif kind == "mailbox":
            _upsert_mailbox(conn, account_id, wire.MailboxRecord.model_validate(record), touched)
    except ValidationError:
        # The change feed carries the record too; a malformed copy here only loses the shortcut.
        return


def _refresh_from_base(
    conn: Connection, account_id: str, kind: str, record_id: str, touched: Touched
) -> None:
    """Recompute a record's visible values after a local change was refused."""
    if kind == "email":
        base = conn.execute(select(messages.c.base).where(messages.c.id == record_id)).scalar()
        if base is not None:
            _set_email_view(conn, record_id, codec.loads(base), touched)
    elif kind == "draft":
        row = conn.execute(
            select(drafts.c.base, drafts.c.server_version).where(drafts.c.id == record_id)
        ).first()
        if row is not None and row.base is not None:
            _set_draft_view(conn, account_id, record_id, codec.loads(row.base), row.server_version)
            touched.drafts.add(record_id)
    elif kind == "mailbox":
        base = conn.execute(select(mailboxes.c.base).where(mailboxes.c.id == record_id)).scalar()
        if base is not None:
            values = codec.loads(base)
            conn.execute(
                update(mailboxes)
                .where(mailboxes.c.id == record_id)
                .values(name=values["name"], parent_id=values["parentId"])
            )
            touched.mailboxes.add(record_id)


def apply_push(
    store: MailStore, account_id: str, batch: list[OutboxRow], answer: wire.SyncResponse
) -> PushOutcome:
    """Record each mutation's result, apply the changes that came back, store the new state.

    All in one transaction: after a crash either nothing of this answer is stored (and the
    in-flight mutations are resent with the same ids) or all of it is.
    """
    by_id = {row.mutation_id: row for row in batch}
    touched = Touched(outbox=True)
    pushed = conflict_count = failed = 0
    refused: list[tuple[str, str]] = []
    with store._write() as conn:
        for result in answer.results:
            row = by_id[result.mutation_id]
            kind, record_id = record_of(row)
            if result.status in ("applied", "merged"):
                state, error = OutboxState.APPLIED, None
                pushed += 1
            elif result.status == "conflict":
                state = OutboxState.CONFLICT
                fields = ", ".join(result.conflict_fields or [])
                error = result.reason or f"conflict on {fields or 'the record'}"
                base, local = _versions(row)
                conn.execute(
                    insert(conflicts).values(
                        id=f"{store.client_id}-{row.mutation_id}",
                        account_id=account_id,
                        mutation_id=row.mutation_id,
                        record_type=kind,
                        record_id=record_id,
                        base=codec.dumps(base),
                        local=codec.dumps(local),
                        server=codec.dumps(result.server_record),
                        state="open",
                        created_at=codec.now_micros(),
                    )
                )
                conflict_count += 1
            else:
                state, error = OutboxState.FAILED, result.reason or "rejected"
                failed += 1
            conn.execute(
                update(outbox)
                .where(outbox.c.mutation_id == row.mutation_id)
                .values(state=state.value, last_error=error)
            )
            if state is not OutboxState.APPLIED:
                refused.append((kind, record_id))
                if result.server_record is not None:
                    _apply_server_record(
                        conn, account_id, kind, record_id, result.server_record, touched
                    )
        apply_changes_in(conn, account_id, answer.changes, touched)
        for kind, record_id in refused:
            _refresh_from_base(conn, account_id, kind, record_id, touched)
        _set_state(conn, account_id, answer.new_state)
    changeset = touched.changeset()
    store._notify(changeset)
    return PushOutcome(pushed, conflict_count, failed, changeset)
