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

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, bindparam, select
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


def only_flags(mutations: Sequence[Mutation]) -> bool:
    return all(mutation.type == KEYWORDS for mutation in mutations)


def _emails(session: Session, account_id: str, ids: set[str]) -> dict[str, frozenset[str] | None]:
    """{email id: its keywords, or None when destroyed} for this account's emails among `ids`."""
    connection = session.connection()
    found: dict[str, frozenset[str] | None] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), _LOAD_CHUNK):
        rows = connection.execute(_LOAD, {"ids": wanted[start : start + _LOAD_CHUNK]})
        for email_id, owner, keywords, destroyed_modseq in rows:
            if owner == account_id:
                found[email_id] = None if destroyed_modseq is not None else frozenset(keywords)
    return found


def apply_flags(
    session: Session, account_id: str, mutations: Sequence[Mutation], modseqs: ModseqAllocator
) -> list[dict[str, Any]]:
    """Apply `email.keywords` mutations in order; their results in stored (JSON) form."""
    parsed = [validated_args(mutation) for mutation in mutations]
    emails = _emails(
        session,
        account_id,
        {args.email_id for args in parsed if isinstance(args, EmailKeywordsArgs)},
    )
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
                "modseq": modseqs.next(),
            }
        results.append({"mutationId": mutation_id, "status": status})
    if writes:
        session.connection().execute(WRITE_KEYWORDS, list(writes.values()))
    return results
