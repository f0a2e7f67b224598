"""A push of flag changes alone (`email.keywords`, most pushes): Core statements, no ORM.

The general path (mutations.py) loads ORM objects and runs chunks under savepoints so that a
failing mutation can be redone alone. A keywords mutation cannot half-fail: every decision (not
found, destroyed, merged, applied) is made here in Python from rows read under the account's
lock, and only then is anything written, in one executemany. So a batch made only of them
needs no savepoint and no identity map: one SELECT of the named emails, one UPDATE
executemany. The outcomes are the general path's (tests/server/test_sync_flags_fast.py runs
the same batches through both).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import String, Table, any_, bindparam, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from mailapp.server import merge
from mailapp.server.db import ModseqAllocator
from mailapp.server.models import Email
from mailapp.server.routes.mutation_context import WRITE_KEYWORDS, validated_args
from mailapp.server.routes.records import tombstone_dict
from mailapp.wire import EmailKeywordsArgs, Mutation, MutationResult

KEYWORDS = "email.keywords"

_EMAIL = Email.__table__
assert isinstance(_EMAIL, Table)
# Emails are keyed by id alone, and asked for by id alone (see mutations._prefetch: with
# account_id beside the ids SQLite walked the account's feed index); the account is checked
# here.
_LOAD = select(
    _EMAIL.c.id, _EMAIL.c.account_id, _EMAIL.c.keywords, _EMAIL.c.destroyed_modseq
).where(_EMAIL.c.id.in_(bindparam("ids", expanding=True)))
_LOAD_CHUNK = 500
# On PostgreSQL the ids travel as one array: the statement's text is the same whatever their
# number, so psycopg parses it once (an IN list of 100 placeholders was parsed anew every
# time, a third of a 100-flag push), and there is no chunking.
_LOAD_PG = select(
    _EMAIL.c.id, _EMAIL.c.account_id, _EMAIL.c.keywords, _EMAIL.c.destroyed_modseq
).where(_EMAIL.c.id == any_(bindparam("ids", type_=ARRAY(String))))
# And the changed emails are written by one statement, not an executemany of one UPDATE per
# email: the writes travel as one JSON text (a text[] of JSON texts cost psycopg a regex
# escape per element, more than the rest of the push).
_WRITE_PG = text(
    "UPDATE email SET keywords = v.keywords, updated_modseq = v.modseq"
    " FROM json_to_recordset(CAST(:writes AS json))"
    " AS v(email_id text, keywords json, modseq bigint)"
    " WHERE email.id = v.email_id"
)


def only_flags(mutations: Sequence[Mutation]) -> bool:
    return all(mutation.type == KEYWORDS for mutation in mutations)


def _emails(session: Session, account_id: str, ids: set[str]) -> dict[str, frozenset[str] | None]:
    """{email id: its keywords, or None when destroyed} for this account's emails among `ids`."""
    connection = session.connection()
    found: dict[str, frozenset[str] | None] = {}
    wanted = sorted(ids)
    if connection.dialect.name == "postgresql":
        chunks = [connection.execute(_LOAD_PG, {"ids": wanted})]
    else:
        chunks = [
            connection.execute(_LOAD, {"ids": wanted[start : start + _LOAD_CHUNK]})
            for start in range(0, len(wanted), _LOAD_CHUNK)
        ]
    for rows in chunks:
        for email_id, owner, keywords, destroyed_modseq in rows:
            if owner == account_id:
                found[email_id] = None if destroyed_modseq is not None else frozenset(keywords)
    return found


def _write(session: Session, writes: list[dict[str, Any]]) -> None:
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(WRITE_KEYWORDS, writes)
        return
    connection.execute(_WRITE_PG, {"writes": json.dumps(writes)})


def apply_flags(
    session: Session, account_id: str, mutations: Sequence[Mutation], modseqs: ModseqAllocator
) -> list[dict[str, Any]]:
    """Apply `email.keywords` mutations in order; their results in stored (JSON) form."""
    parsed = [validated_args(mutation) for mutation in mutations]
    emails = _emails(session, account_id, named_emails(parsed))
    results, writes = decide_flags(mutations, parsed, emails, modseqs.next)
    if writes:
        _write(session, writes)
    return results


def named_emails(parsed: Sequence[Any]) -> set[str]:
    return {args.email_id for args in parsed if isinstance(args, EmailKeywordsArgs)}


def decide_flags(
    mutations: Sequence[Mutation],
    parsed: Sequence[Any],
    emails: dict[str, frozenset[str] | None],
    next_modseq: Callable[[], int],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every mutation's outcome, from `emails` ({id: keywords, or None when destroyed}, this
    account's only) read under the account's lock; and the emails to write (their last
    keywords, each with its modseq). Nothing is written here: push_flags_pg.py shares it."""
    writes: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for mutation, args in zip(mutations, parsed, strict=True):
        mutation_id = mutation.mutation_id
        if isinstance(args, MutationResult):
            results.append(args.model_dump(mode="json", by_alias=True, exclude_none=True))
            continue
        assert isinstance(args, EmailKeywordsArgs)
        email_id = args.email_id
        if email_id not in emails:
            results.append({"mutationId": mutation_id, "status": "rejected", "reason": "notFound"})
            continue
        before = emails[email_id]
        if before is None:
            # An update to a destroyed record: shown to the user, never applied or dropped.
            results.append(
                {
                    "mutationId": mutation_id,
                    "status": "conflict",
                    "serverRecord": tombstone_dict(email_id),
                    "conflictFields": ["keywords"],
                    "reason": "destroyed",
                }
            )
            continue
        after = merge.apply_keywords(before, args.add, args.remove)
        status = merge.keyword_status(before, after)
        if status == "applied":
            emails[email_id] = after
            # The last change of an email in the batch is the one written, with its modseq.
            writes[email_id] = {
                "email_id": email_id,
                "keywords": sorted(after),
                "modseq": next_modseq(),
            }
        results.append({"mutationId": mutation_id, "status": status})
    return results, list(writes.values())
