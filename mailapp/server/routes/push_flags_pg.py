"""A push of flag changes alone on PostgreSQL: two round trips under the account's lock.

mutations_flags.py's path runs its statements one after the other, each a round trip (BEGIN,
the lock, the stored results, the emails, the UPDATE, the INSERT of the results, the counter,
COMMIT), all while it holds the account's row lock: the account's other devices wait behind
it, and on a loaded machine every round trip is a wake-up of PostgreSQL and of the worker
(issue 11's 50 clients: five devices per account, a push in every four requests). Here they go
in psycopg's pipeline mode on the pooled connection: the lock and the reads in one round trip,
the writes and COMMIT in another. Every decision is mutations_flags.decide_flags, as on that
path, from the same rows read under the same lock (tests/server/test_sync_flags_fast.py
compares the outcomes with the general path's on both databases).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import Engine

from mailapp.server.modseq import _LOCK_COUNTER, _SET_PG
from mailapp.server.routes.feed import check_since
from mailapp.server.routes.feed_rows import Prepared, sqlalchemy_error
from mailapp.server.routes.mutation_context import validated_args
from mailapp.server.routes.mutations import _STORE_PG, _STORED_PG
from mailapp.server.routes.mutations_flags import _LOAD_PG, _WRITE_PG, decide_flags, named_emails
from mailapp.wire import Mutation

_LOCK = Prepared(_LOCK_COUNTER)
_STORED = Prepared(_STORED_PG)
_LOAD = Prepared(_LOAD_PG)
_WRITE = Prepared(_WRITE_PG)
_STORE = Prepared(_STORE_PG)
_SET = Prepared(_SET_PG)


def usable(engine: Engine) -> bool:
    """PostgreSQL through psycopg with a libpq that has pipeline mode (14 and later)."""
    return engine.dialect.name == "postgresql" and psycopg.Pipeline.is_supported()


def push_flags(
    engine: Engine,
    account_id: str,
    client_id: str,
    mutations: Sequence[Mutation],
    since: int,
    floor: int | None,
) -> list[dict[str, Any]]:
    """apply_batch's results (stored JSON form, request order) for `email.keywords` mutations,
    committed; ProblemError 410 (nothing applied) when `since` cannot be served."""
    fairy = engine.raw_connection()  # the pool's connection; returned rolled back if need be
    try:
        try:
            pg = fairy.driver_connection
            return _push(pg, engine, account_id, client_id, mutations, since, floor)
        except psycopg.Error as exc:
            raise sqlalchemy_error(
                exc, engine.dialect, fairy.dbapi_connection, fairy.invalidate
            ) from exc
    finally:
        fairy.close()


def _push(
    pg: psycopg.Connection[Any],
    engine: Engine,
    account_id: str,
    client_id: str,
    mutations: Sequence[Mutation],
    since: int,
    floor: int | None,
) -> list[dict[str, Any]]:
    dialect = engine.dialect
    parsed = [validated_args(mutation) for mutation in mutations]
    ids = sorted({mutation.mutation_id for mutation in mutations})
    if pg.autocommit:  # a pooled connection comes back from autocommit reads reset; be sure
        pg.autocommit = False
    with pg.pipeline():  # BEGIN, the lock, then the reads: one round trip
        lock = pg.execute(*_LOCK.driver_args(dialect, account_id=account_id))
        stored_rows = pg.execute(
            *_STORED.driver_args(dialect, account_id=account_id, client_id=client_id, ids=ids)
        )
        email_rows = pg.execute(*_LOAD.driver_args(dialect, ids=sorted(named_emails(parsed))))
    locked = lock.fetchone()
    assert locked is not None, "the account is gone"
    modseq, pruned = int(locked[0]), int(locked[1])
    # Checked before anything is applied: a client that must resync keeps its queue.
    check_since(since, modseq, pruned, floor)
    stored = {int(mutation_id): result for mutation_id, result in stored_rows.fetchall()}
    emails: dict[str, frozenset[str] | None] = {
        email_id: None if destroyed is not None else frozenset(keywords)
        for email_id, owner, keywords, destroyed in email_rows.fetchall()
        if owner == account_id
    }
    # A mutation id seen before (in an earlier request or earlier in this one) is answered
    # from its stored result and changes nothing (mutations.apply_batch).
    todo: list[tuple[Mutation, Any]] = []
    pending: set[int] = set()
    for mutation, args in zip(mutations, parsed, strict=True):
        if mutation.mutation_id not in stored and mutation.mutation_id not in pending:
            pending.add(mutation.mutation_id)
            todo.append((mutation, args))
    counter = modseq

    def next_modseq() -> int:
        nonlocal counter
        counter += 1
        return counter

    outcomes, writes = decide_flags([m for m, _ in todo], [a for _, a in todo], emails, next_modseq)
    if outcomes:
        with pg.pipeline():  # the writes and COMMIT: one round trip
            if writes:
                pg.execute(*_WRITE.driver_args(dialect, writes=json.dumps(writes)))
            pg.execute(
                *_STORE.driver_args(
                    dialect,
                    account_id=account_id,
                    client_id=client_id,
                    created_at=datetime.now(UTC),
                    results=json.dumps(outcomes),
                )
            )
            if counter != modseq:  # the counter, and the change notification at commit
                payload = f"{account_id}:{counter}"
                pg.execute(
                    *_SET.driver_args(
                        dialect, account_id=account_id, modseq=counter, payload=payload
                    )
                )
            pg.commit()
        for outcome in outcomes:
            stored[outcome["mutationId"]] = outcome
    return [stored[mutation.mutation_id] for mutation in mutations]
