"""What every mutation handler shares: the per-mutation context, results and rejections.

Each handler returns a `MutationResult`; raising `Rejected` rolls the mutation's savepoint back
(see mutations.py, which applies a batch).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, event, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from mailapp.server.config import Settings
from mailapp.server.db import ModseqAllocator
from mailapp.server.models import Email, Mailbox, Synced, identity
from mailapp.server.routes.records import record_dict, tombstone_dict
from mailapp.wire import MUTATION_ARGS, NUL_FREE, Mutation, MutationResult, WireModel

log = logging.getLogger(__name__)
# Mailboxes the server itself files into; the client may not destroy them.
PROTECTED_ROLES = frozenset({"inbox", "drafts", "sent", "trash"})
RowT = TypeVar("RowT", bound=Synced)
SERVER_VALUES = {NUL_FREE: True}
ARGS_CHECKED = {NUL_FREE: True}
# Keyword writes waiting for their executemany: {email id: row}, in the session's info.
_KEYWORD_WRITES = "mailapp_keyword_writes"


class Rejected(Exception):
    def __init__(self, reason: str, detail: str | None = None, *, shown: bool = False) -> None:
        super().__init__(detail or reason)
        self.reason = reason
        # Sent to the client as the result's `detail` when it tells more than the reason
        # (which limit, and its value).
        self.detail = detail if shown else None


@dataclass
class Context:
    session: Session
    account_id: str
    client_id: str
    mutation_id: int
    now: datetime
    modseqs: ModseqAllocator
    settings: Settings = field(default_factory=Settings)

    def touch(self, row: Synced) -> int:
        """Give a changed record the next modseq."""
        modseq = self.modseqs.next()
        row.updated_modseq = modseq
        return modseq

    def create(self, row: Synced) -> None:
        modseq = self.modseqs.next()
        row.created_modseq = modseq
        row.updated_modseq = modseq
        self.session.add(row)

    def destroy(self, row: Synced) -> None:
        row.destroyed_modseq = self.touch(row)

    def load(self, model: type[RowT], record_id: str) -> RowT | None:
        """The record if it belongs to this account (tombstones included); None for a missing
        id and for another account's id alike."""
        row = self.session.get(model, identity(model, self.account_id, record_id))
        if row is None or row.account_id != self.account_id:  # type: ignore[attr-defined]
            return None
        return row


def result(
    ctx: Context,
    status: str,
    row: Synced | None = None,
    *,
    server_record: dict[str, Any] | None = None,
    conflict_fields: Sequence[str] | None = None,
    reason: str | None = None,
    detail: str | None = None,
) -> MutationResult:
    # Applied/merged results carry no record: the changes in the same response do.
    if status == "conflict" and server_record is None and row is not None:
        server_record = tombstone_dict(row.id) if row.destroyed else record_dict(row)  # type: ignore[attr-defined]
    # Built from the server's own values (and client ids checked when the request arrived):
    # validated for types, without the NUL walk over them (the most of its cost, per mutation).
    return MutationResult.model_validate(
        {
            "mutation_id": ctx.mutation_id,
            "status": status,
            "server_record": server_record,
            "conflict_fields": list(conflict_fields) if conflict_fields is not None else None,
            "reason": reason,
            "detail": detail,
        },
        context=SERVER_VALUES,
    )


def validated_args(mutation: Mutation) -> WireModel | MutationResult:
    """The mutation's args as its type's model, or the rejection to answer instead."""
    args_model: type[WireModel] | None = MUTATION_ARGS.get(mutation.type)
    if args_model is None:
        return MutationResult(
            mutation_id=mutation.mutation_id, status="rejected", reason="unknownType"
        )
    try:
        # The request's validation walked every mutation's args for NULs already (Mutation is
        # ClientInput); the per-type model checks types without walking them again.
        return args_model.model_validate(mutation.args, context=ARGS_CHECKED)
    except ValidationError:
        return MutationResult(
            mutation_id=mutation.mutation_id, status="rejected", reason="invalidArguments"
        )


def destroyed_conflict(ctx: Context, row: Synced, fields: Sequence[str]) -> MutationResult:
    """An update to a destroyed record: shown to the user, never applied or dropped silently."""
    return result(
        ctx,
        "conflict",
        server_record=tombstone_dict(row.id),  # type: ignore[attr-defined]
        conflict_fields=fields,
        reason="destroyed",
    )


def live_mailbox(ctx: Context, mailbox_id: Any) -> Mailbox:
    mailbox = ctx.load(Mailbox, mailbox_id) if isinstance(mailbox_id, str) else None
    if mailbox is None or mailbox.destroyed:
        raise Rejected("mailboxNotFound", f"No mailbox {mailbox_id!r}.")
    return mailbox


# -- keyword writes in bulk ------------------------------------------------------------------
# A flag push is hundreds of `email.keywords`; through the ORM each changed email was a dirty
# object for the unit of work to diff and flush (a third of the push's server time). They are
# written instead as one Core executemany per savepoint. The email object gets the same values
# as already committed, so it reads right and the ORM never writes them itself; and the queue is
# written before any ORM flush (below), so a later ORM change of the same email (a move, a
# destroy) lands after it, as its higher modseq says.


def queue_keywords(ctx: Context, email: Email, keywords: list[str]) -> int:
    """Give `email` these keywords and the next modseq; written by `write_queued`."""
    modseq = ctx.modseqs.next()
    set_committed_value(email, "keywords", keywords)
    set_committed_value(email, "updated_modseq", modseq)
    writes: dict[str, dict[str, Any]] = ctx.session.info.setdefault(_KEYWORD_WRITES, {})
    writes[email.id] = {"email_id": email.id, "keywords": keywords, "modseq": modseq}
    return modseq


_EMAIL = Email.__table__
assert isinstance(_EMAIL, Table)
# Built once: building an update costs more Python than executing a cached one.
WRITE_KEYWORDS = (
    update(_EMAIL)
    .where(_EMAIL.c.id == bindparam("email_id"))
    .values(keywords=bindparam("keywords"), updated_modseq=bindparam("modseq"))
)


def write_queued(session: Session) -> None:
    """Write the queued keyword changes (before a savepoint ends, and before any flush)."""
    writes: dict[str, dict[str, Any]] | None = session.info.pop(_KEYWORD_WRITES, None)
    if not writes:
        return
    session.connection().execute(WRITE_KEYWORDS, list(writes.values()))


def drop_queued(session: Session) -> None:
    """A savepoint was rolled back: its queued writes go with it."""
    session.info.pop(_KEYWORD_WRITES, None)


@event.listens_for(Session, "before_flush")
def _write_queued_first(session: Session, _context: Any, _instances: Any) -> None:
    write_queued(session)
