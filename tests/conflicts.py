"""Conflicts and sync bookkeeping written straight into a real store, for tests that need them.

The app records conflicts only when the server answers a push (mailapp.store.replica_outbox) and
its sync state only while pulling; these write the same rows without a server round trip.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import insert, update

from mailapp.store import MailStore, codec
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import conflicts, sync_state


def add_conflict(
    store: MailStore,
    account_id: str,
    record_type: str,
    record_id: str,
    *,
    mutation_id: int | None,
    base: Any,
    local: Any,
    server: Any,
) -> str:
    conflict_id = str(uuid.uuid4())
    with store._write() as conn:
        conn.execute(
            insert(conflicts).values(
                id=conflict_id,
                account_id=account_id,
                mutation_id=mutation_id,
                record_type=record_type,
                record_id=record_id,
                base=codec.dumps(base),
                local=codec.dumps(local),
                server=codec.dumps(server),
                state="open",
                created_at=codec.now_micros(),
            )
        )
    store._notify(ChangeSet(outbox=True))
    return conflict_id


def set_sync_state(store: MailStore, account_id: str, state: str) -> None:
    with store._write() as conn:
        conn.execute(
            update(sync_state)
            .where(sync_state.c.account_id == account_id)
            .values(state=state, last_sync_at=codec.now_micros())
        )


def resolve_conflict(store: MailStore, conflict_id: str) -> None:
    with store._write() as conn:
        conn.execute(
            update(conflicts)
            .where(conflicts.c.id == conflict_id)
            .values(state="resolved", resolved_at=codec.now_micros())
        )
    store._notify(ChangeSet(outbox=True))
