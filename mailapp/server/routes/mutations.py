"""Applying pushed mutations (POST /v1/sync): one savepoint each, results stored per mutation id.

The handlers live per family in mutations_mail.py and mutations_sending.py, what they share in
mutation_context.py; this module dispatches a batch to them in chunks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Table, any_, bindparam, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, load_only

from mailapp.server.config import Settings
from mailapp.server.db import ModseqAllocator, is_busy_error
from mailapp.server.models import (
    ACCOUNT_SCOPED,
    ClientMutation,
    Draft,
    Email,
    Mailbox,
    Submission,
    Synced,
)
from mailapp.server.routes.mutation_context import (
    Context,
    Rejected,
    drop_queued,
    result,
    validated_args,
    write_queued,
)
from mailapp.server.routes.mutations_flags import apply_flags, only_flags
from mailapp.server.routes.mutations_mail import (
    email_destroy,
    email_import,
    email_keywords,
    email_move,
    mailbox_create,
    mailbox_destroy,
    mailbox_update,
)
from mailapp.server.routes.mutations_sending import (
    draft_destroy,
    draft_upsert,
    submission_cancel,
    submission_create,
)
from mailapp.wire import Mutation, MutationResult

log = logging.getLogger(__name__)


HANDLERS: dict[str, Callable[[Context, Any], MutationResult]] = {
    "email.keywords": email_keywords,
    "email.move": email_move,
    "email.destroy": email_destroy,
    "email.import": email_import,
    "mailbox.create": mailbox_create,
    "mailbox.update": mailbox_update,
    "mailbox.destroy": mailbox_destroy,
    "draft.upsert": draft_upsert,
    "draft.destroy": draft_destroy,
    "submission.create": submission_create,
    "submission.cancel": submission_cancel,
}
_ID_ARGS: dict[str, type[Synced]] = {
    "emailId": Email,
    "mailboxId": Mailbox,
    "draftId": Draft,
    "submissionId": Submission,
}


_EMAIL_COLUMNS = (
    Email.id,
    Email.account_id,
    Email.mailbox_id,
    Email.keywords,
    Email.created_modseq,
    Email.updated_modseq,
    Email.destroyed_modseq,
)


def _prefetch(session: Session, account_id: str, mutations: Sequence[Mutation]) -> list[Synced]:
    """Load every record of this account the batch names in one query per type (into the
    identity map).

    The caller keeps the returned rows referenced: the identity map itself is weak."""
    wanted: dict[type[Synced], set[str]] = {}
    for mutation in mutations:
        for key, model in _ID_ARGS.items():
            value = mutation.args.get(key)
            if isinstance(value, str):
                wanted.setdefault(model, set()).add(value)
    loaded: list[Synced] = []
    for model, ids in wanted.items():
        id_list = sorted(ids)
        for start in range(0, len(id_list), 500):
            chunk = id_list[start : start + 500]
            if model in ACCOUNT_SCOPED:
                # Keyed by (account_id, id): both together are the primary key's lookup.
                query = select(model).where(
                    model.account_id == account_id,  # type: ignore[attr-defined]
                    model.id.in_(chunk),  # type: ignore[attr-defined]
                )
                loaded.extend(session.scalars(query).all())
            else:
                # Emails are keyed by id alone. With `account_id = ?` beside `id IN (...)`,
                # SQLite's planner picked ix_email_feed (account_id, ...) and read every email
                # of the account to find the hundred named: the mailbox's size in every push.
                # So the ids alone go to the database, and the account is checked here.
                # Only the columns the handlers read: an email's ten JSON columns of addresses
                # and attachments were decoded for every named email and never looked at (a
                # conflict's record loads the rest when it needs them).
                query = (
                    select(Email)
                    .options(load_only(*_EMAIL_COLUMNS))
                    .where(Email.id.in_(chunk))
                )
                loaded.extend(
                    row
                    for row in session.scalars(query).all()
                    if row.account_id == account_id  # type: ignore[attr-defined]
                )
    return loaded


_CLIENT_MUTATION = ClientMutation.__table__
assert isinstance(_CLIENT_MUTATION, Table)
# Built once (building a select costs more Python than executing a cached one); Core rows.
_STORED = select(_CLIENT_MUTATION.c.mutation_id, _CLIENT_MUTATION.c.result).where(
    _CLIENT_MUTATION.c.account_id == bindparam("account_id"),
    _CLIENT_MUTATION.c.client_id == bindparam("client_id"),
    _CLIENT_MUTATION.c.mutation_id.in_(bindparam("ids", expanding=True)),
)
# One Core executemany: ORM objects would ask for every generated id back (INSERT ...
# RETURNING) and track each row, for rows nothing reads in this request.
_STORE = insert(_CLIENT_MUTATION)
# PostgreSQL: the ids, and the new results, travel as arrays in statements whose text is the
# same whatever their number (psycopg parses it once; see mutations_flags.py).
_STORED_PG = select(_CLIENT_MUTATION.c.mutation_id, _CLIENT_MUTATION.c.result).where(
    _CLIENT_MUTATION.c.account_id == bindparam("account_id"),
    _CLIENT_MUTATION.c.client_id == bindparam("client_id"),
    _CLIENT_MUTATION.c.mutation_id == any_(bindparam("ids", type_=ARRAY(BigInteger))),
)
# The results travel as one JSON array (not a text[]: psycopg escapes each element by regex).
_STORE_PG = text(
    "INSERT INTO client_mutation (account_id, client_id, mutation_id, result, created_at)"
    " SELECT :account_id, :client_id, CAST(r ->> 'mutationId' AS bigint), r, :created_at"
    " FROM json_array_elements(CAST(:results AS json)) AS r"
).bindparams(bindparam("created_at", type_=DateTime(timezone=True)))


def _stored_results(
    session: Session, account_id: str, client_id: str, ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    connection = session.connection()
    params: dict[str, Any] = {"account_id": account_id, "client_id": client_id}
    unique = sorted(set(ids))
    if connection.dialect.name == "postgresql":
        rows = connection.execute(_STORED_PG, {**params, "ids": unique})
        return {int(mid): res for mid, res in rows}
    stored: dict[int, dict[str, Any]] = {}
    for start in range(0, len(unique), 500):
        rows = connection.execute(_STORED, {**params, "ids": unique[start : start + 500]})
        stored.update({int(mid): res for mid, res in rows})
    return stored


def _store(
    session: Session,
    account_id: str,
    client_id: str,
    results: Sequence[dict[str, Any]],
    now: datetime,
) -> None:
    """Store the new results, in the transaction that made them: acknowledged once committed."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        params = {
            "account_id": account_id,
            "client_id": client_id,
            "created_at": now,
            "results": json.dumps(list(results)),
        }
        connection.execute(_STORE_PG, params)
        return
    rows = [
        {
            "account_id": account_id,
            "client_id": client_id,
            "mutation_id": outcome["mutationId"],
            "result": outcome,
            "created_at": now,
        }
        for outcome in results
    ]
    connection.execute(_STORE, rows)


# Mutations run in chunks under one savepoint; when anything in a chunk fails, the chunk is
# rolled back and redone with one savepoint per mutation. Same outcome as a savepoint each,
# without paying for 1,000 savepoints and flushes when nothing fails.
CHUNK = 64


def apply_one(ctx: Context, mutation: Mutation) -> MutationResult:
    """One mutation in its own savepoint: whatever goes wrong stays inside it."""
    args = validated_args(mutation)
    if isinstance(args, MutationResult):
        return args
    try:
        with ctx.session.begin_nested():
            outcome = HANDLERS[mutation.type](ctx, args)
            write_queued(ctx.session)
            return outcome
    except Rejected as exc:
        outcome = result(ctx, "rejected", reason=exc.reason, detail=exc.detail)
    except SQLAlchemyError as exc:
        if is_busy_error(exc):
            raise  # the whole request answers 503 and is retried; not this mutation's fault
        log.exception("mutation %s of %s failed", mutation.mutation_id, ctx.client_id)
        outcome = result(ctx, "rejected", reason="serverFail")
    _forget_rolled_back(ctx.session, ctx.account_id, [mutation])
    return outcome


def _apply_chunk(contexts: Sequence[Context], chunk: Sequence[Mutation]) -> list[MutationResult]:
    session = contexts[0].session
    try:
        with session.begin_nested():
            outcomes = []
            for ctx, mutation in zip(contexts, chunk, strict=True):
                args = validated_args(mutation)
                if isinstance(args, MutationResult):
                    outcomes.append(args)
                else:
                    outcomes.append(HANDLERS[mutation.type](ctx, args))
            write_queued(session)
            session.flush()
            return outcomes
    except (Rejected, SQLAlchemyError):
        _forget_rolled_back(session, contexts[0].account_id, chunk)
        return [apply_one(ctx, mutation) for ctx, mutation in zip(contexts, chunk, strict=True)]


def _forget_rolled_back(session: Session, account_id: str, chunk: Sequence[Mutation]) -> None:
    """After a savepoint rollback, drop every ORM object: rows the rolled-back work created
    must not linger in the identity map looking persistent (seen with pysqlite)."""
    drop_queued(session)
    session.expunge_all()
    session.info["mailapp_keep_alive"] = _prefetch(session, account_id, chunk)


def apply_batch(
    session: Session,
    account_id: str,
    client_id: str,
    mutations: Sequence[Mutation],
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Apply mutations in request order; a (clientId, mutationId) seen before (in an earlier
    request or earlier in this one) returns the stored result and changes nothing. Ids need
    not be contiguous or ascending.

    `mutations` come validated (a SyncRequest's, or `Mutation.model_validate`): their args
    were checked for NUL characters there and are not walked again."""
    if not mutations:
        return []
    settings = settings or Settings()
    # Locks the account: batches of one account run one at a time, so a retried batch racing
    # the original sees its stored results instead of applying twice.
    modseqs = ModseqAllocator(session, account_id)
    stored = _stored_results(session, account_id, client_id, [m.mutation_id for m in mutations])
    now = datetime.now(UTC)
    todo: list[Mutation] = []
    pending: set[int] = set()
    for mutation in mutations:
        if mutation.mutation_id not in stored and mutation.mutation_id not in pending:
            pending.add(mutation.mutation_id)
            todo.append(mutation)
    if only_flags(todo):
        outcomes = apply_flags(session, account_id, todo, modseqs)
    else:
        outcomes = _apply_general(session, account_id, client_id, todo, now, modseqs, settings)
    for outcome in outcomes:
        stored[outcome["mutationId"]] = outcome
    if outcomes:
        _store(session, account_id, client_id, outcomes, now)
    modseqs.finish()
    return [stored[m.mutation_id] for m in mutations]


def _apply_general(
    session: Session,
    account_id: str,
    client_id: str,
    todo: Sequence[Mutation],
    now: datetime,
    modseqs: ModseqAllocator,
    settings: Settings,
) -> list[dict[str, Any]]:
    """Any mix of mutations: ORM handlers, chunks under savepoints; results in stored form."""
    keep_alive = _prefetch(session, account_id, todo)
    outcomes: list[dict[str, Any]] = []
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        contexts = [
            Context(session, account_id, client_id, m.mutation_id, now, modseqs, settings)
            for m in chunk
        ]
        outcomes.extend(
            outcome.model_dump(mode="json", by_alias=True, exclude_none=True)
            for outcome in _apply_chunk(contexts, chunk)
        )
    # Everything the handlers changed is written before the results that acknowledge it.
    session.flush()
    del keep_alive
    return outcomes
