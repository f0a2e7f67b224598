"""Queueing mutations for the server, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, insert, text

from mailapp.store import codec
from mailapp.store.rows import OutboxRow, OutboxState
from mailapp.store.schema import outbox

_RESERVE_MUTATION_IDS = text(
    "UPDATE meta SET value = CAST(value AS INTEGER) + :count WHERE key = 'next_mutation_id' "
    "RETURNING CAST(value AS INTEGER) - :count"
)


class Mutation(NamedTuple):
    account_id: str
    type: str
    args: dict[str, Any]
    email_id: str | None = None
    draft_id: str | None = None


def queue_mutations(conn: Connection, mutations: Sequence[Mutation]) -> list[int]:
    """Append pending mutations, in order, with consecutive mutation ids; returns the ids.

    Two statements whatever their number (the ids reserved at once, one executemany INSERT):
    a user's action on many selected messages runs on the UI thread, and one UPDATE and one
    INSERT per message stalled it (issue 11).
    """
    if not mutations:
        return []
    first = int(conn.execute(_RESERVE_MUTATION_IDS, {"count": len(mutations)}).scalar_one())
    now = codec.now_micros()
    conn.execute(
        insert(outbox),
        [
            {
                "mutation_id": first + i,
                "account_id": mutation.account_id,
                "type": mutation.type,
                "payload": codec.dumps({"type": mutation.type, "args": mutation.args}),
                "email_id": mutation.email_id,
                "draft_id": mutation.draft_id,
                "state": OutboxState.PENDING.value,
                "attempts": 0,
                "created_at": now,
            }
            for i, mutation in enumerate(mutations)
        ],
    )
    return list(range(first, first + len(mutations)))


def queue_mutation(
    conn: Connection,
    account_id: str,
    type_: str,
    args: dict[str, Any],
    *,
    email_id: str | None = None,
    draft_id: str | None = None,
) -> int:
    """Append one pending mutation; returns its mutation id (sequential per store, from 1)."""
    (mutation_id,) = queue_mutations(
        conn, [Mutation(account_id, type_, args, email_id=email_id, draft_id=draft_id)]
    )
    return mutation_id


def outbox_row(row: Row[*tuple[Any, ...]]) -> OutboxRow:
    payload = codec.loads(row.payload)
    return OutboxRow(
        id=row.id,
        mutation_id=row.mutation_id,
        type=payload["type"],
        args=payload["args"],
        state=OutboxState(row.state),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=None
        if row.next_attempt_at is None
        else codec.from_micros(row.next_attempt_at),
        created_at=codec.from_micros(row.created_at),
    )
