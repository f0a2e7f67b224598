"""MailStore's drafts and sending, the outbox as the sync engine sees it, sync bookkeeping and
open conflicts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.store import codec
from mailapp.store.drafts import blob_id, changed_fields, draft_row, edited_fields, wire_fields
from mailapp.store.outbox import outbox_row, queue_mutation
from mailapp.store.rows import ChangeSet, ConflictRow, DraftInput, DraftRow, OutboxRow, OutboxState
from mailapp.store.schema import blobs, conflicts, drafts, messages, outbox, sync_state
from mailapp.store.store_base import StoreBase


class StoreDrafts(StoreBase):
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
