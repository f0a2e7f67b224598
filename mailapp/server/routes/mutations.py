"""Applying pushed mutations (POST /v1/sync): one savepoint each, results stored per mutation id.

Each handler returns a `MutationResult`; `Rejected` rolls the mutation's savepoint back. The
merge decisions themselves live in mailapp.server.merge.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import exists, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from mailapp.server import merge
from mailapp.server.config import Settings
from mailapp.server.db import ModseqAllocator, is_busy_error
from mailapp.server.limits import (
    LimitExceeded,
    check_message,
    check_send_rate,
    check_storage,
    usage,
)
from mailapp.server.models import (
    ClientMutation,
    Draft,
    Email,
    EmailBlob,
    Mailbox,
    Submission,
    SubmissionState,
    Synced,
    identity,
)
from mailapp.server.routes.records import (
    DRAFT_COLUMNS,
    aware,
    draft_wire_values,
    record_dict,
    tombstone_dict,
)
from mailapp.wire import (
    MUTATION_ARGS,
    DraftDestroyArgs,
    DraftFields,
    DraftUpsertArgs,
    EmailDestroyArgs,
    EmailKeywordsArgs,
    EmailMoveArgs,
    MailboxCreateArgs,
    MailboxDestroyArgs,
    MailboxUpdateArgs,
    Mutation,
    MutationResult,
    SubmissionCancelArgs,
    SubmissionCreateArgs,
    WireModel,
)

log = logging.getLogger(__name__)
# Mailboxes the server itself files into; the client may not destroy them.
PROTECTED_ROLES = frozenset({"inbox", "drafts", "sent", "trash"})
RowT = TypeVar("RowT", bound=Synced)


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

    def id_taken_elsewhere(self, model: type[Synced], record_id: str) -> bool:
        """Only for models keyed by id alone (submissions): for those another account's id
        cannot be created here. Mailboxes and drafts are keyed per account and never are."""
        row = self.session.get(model, identity(model, self.account_id, record_id))
        return row is not None and row.account_id != self.account_id  # type: ignore[attr-defined]


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
    return MutationResult(
        mutation_id=ctx.mutation_id,
        status=status,  # type: ignore[arg-type]
        server_record=server_record,
        conflict_fields=list(conflict_fields) if conflict_fields is not None else None,
        reason=reason,
        detail=detail,
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


# --- emails -----------------------------------------------------------------------------------


def email_keywords(ctx: Context, args: EmailKeywordsArgs) -> MutationResult:
    email = ctx.load(Email, args.email_id)
    if email is None:
        raise Rejected("notFound")
    if email.destroyed:
        return destroyed_conflict(ctx, email, ["keywords"])
    before = frozenset(email.keywords or [])
    after = merge.apply_keywords(before, args.add, args.remove)
    status = merge.keyword_status(before, after)
    if status == "applied":
        email.keywords = sorted(after)
        ctx.touch(email)
    return result(ctx, status, email)


def email_move(ctx: Context, args: EmailMoveArgs) -> MutationResult:
    email = ctx.load(Email, args.email_id)
    if email is None:
        raise Rejected("notFound")
    if email.destroyed:
        return destroyed_conflict(ctx, email, ["mailboxId"])
    live_mailbox(ctx, args.mailbox_id.new)
    outcome = merge.merge_value(email.mailbox_id, args.mailbox_id.old, args.mailbox_id.new)
    if outcome == "conflict":
        return result(ctx, "conflict", email, conflict_fields=["mailboxId"])
    if outcome == "applied":
        email.mailbox_id = args.mailbox_id.new
        ctx.touch(email)
    return result(ctx, outcome, email)


def email_destroy(ctx: Context, args: EmailDestroyArgs) -> MutationResult:
    email = ctx.load(Email, args.email_id)
    if email is not None and not email.destroyed:
        ctx.destroy(email)
        blob = ctx.session.get(EmailBlob, email.id)
        if blob is not None:
            ctx.session.delete(blob)
    return result(ctx, "applied")


# --- mailboxes --------------------------------------------------------------------------------


def _check_parent(ctx: Context, mailbox_id: str, parent_id: Any) -> None:
    seen = {mailbox_id}
    while parent_id is not None:
        if parent_id in seen:
            raise Rejected("invalidParent", "A mailbox cannot be inside itself.")
        seen.add(parent_id)
        parent = ctx.load(Mailbox, parent_id) if isinstance(parent_id, str) else None
        if parent is None or parent.destroyed:
            raise Rejected("parentNotFound", f"No mailbox {parent_id!r}.")
        parent_id = parent.parent_id


def _role_taken(ctx: Context, role: str) -> bool:
    return bool(
        ctx.session.scalar(
            select(
                exists().where(
                    Mailbox.account_id == ctx.account_id,
                    Mailbox.role == role,
                    Mailbox.destroyed_modseq.is_(None),
                )
            )
        )
    )


def mailbox_create(ctx: Context, args: MailboxCreateArgs) -> MutationResult:
    existing = ctx.load(Mailbox, args.mailbox_id)
    if existing is not None:
        if existing.destroyed:
            raise Rejected("idInUse", "That mailbox id belonged to a destroyed mailbox.")
        same = (existing.name, existing.parent_id, existing.role) == (
            args.name,
            args.parent_id,
            args.role,
        )
        if same:
            return result(ctx, "merged", existing)
        fields = [
            name
            for name, ours, theirs in (
                ("name", existing.name, args.name),
                ("parentId", existing.parent_id, args.parent_id),
                ("role", existing.role, args.role),
            )
            if ours != theirs
        ]
        return result(ctx, "conflict", existing, conflict_fields=fields)
    if args.parent_id is not None:
        _check_parent(ctx, args.mailbox_id, args.parent_id)
    if args.role is not None and _role_taken(ctx, args.role):
        raise Rejected("roleInUse", f"There already is a {args.role} mailbox.")
    mailbox = Mailbox(
        id=args.mailbox_id,
        account_id=ctx.account_id,
        name=args.name,
        parent_id=args.parent_id,
        role=args.role,
    )
    ctx.create(mailbox)
    return result(ctx, "applied", mailbox)


def mailbox_update(ctx: Context, args: MailboxUpdateArgs) -> MutationResult:
    mailbox = ctx.load(Mailbox, args.mailbox_id)
    if mailbox is None:
        raise Rejected("notFound")
    changes = {
        name: (change.old, change.new)
        for name, change in (("name", args.name), ("parentId", args.parent_id))
        if change is not None
    }
    if mailbox.destroyed:
        return destroyed_conflict(ctx, mailbox, list(changes))
    if "name" in changes and not (isinstance(changes["name"][1], str) and changes["name"][1]):
        raise Rejected("invalidArguments", "A mailbox name is a non-empty string.")
    if "parentId" in changes and changes["parentId"][1] is not None:
        _check_parent(ctx, mailbox.id, changes["parentId"][1])
    merged = merge.merge_fields({"name": mailbox.name, "parentId": mailbox.parent_id}, changes)
    if merged.updates:
        mailbox.name = merged.updates.get("name", mailbox.name)
        mailbox.parent_id = merged.updates.get("parentId", mailbox.parent_id)
        ctx.touch(mailbox)
    return result(ctx, merged.status, mailbox, conflict_fields=merged.conflicts or None)


def mailbox_destroy(ctx: Context, args: MailboxDestroyArgs) -> MutationResult:
    mailbox = ctx.load(Mailbox, args.mailbox_id)
    if mailbox is None or mailbox.destroyed:
        return result(ctx, "applied")
    if mailbox.role in PROTECTED_ROLES:
        raise Rejected("mailboxHasRole", f"The {mailbox.role} mailbox cannot be destroyed.")
    for model, column, reason in (
        (Email, Email.mailbox_id, "mailboxHasEmail"),
        (Mailbox, Mailbox.parent_id, "mailboxHasChild"),
    ):
        if ctx.session.scalar(
            select(
                exists().where(
                    column == mailbox.id,
                    model.account_id == ctx.account_id,
                    model.destroyed_modseq.is_(None),
                )
            )
        ):
            raise Rejected(reason)
    ctx.destroy(mailbox)
    return result(ctx, "applied")


# --- drafts -----------------------------------------------------------------------------------

_DRAFT_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    alias: TypeAdapter(DraftFields.model_fields[column].annotation or Any)
    for alias, column in DRAFT_COLUMNS.items()
}


def canonical_draft_value(name: str, value: Any) -> Any:
    """The stored (and compared) form of a draft field: validated, JSON, camelCase."""
    adapter = _DRAFT_ADAPTERS[name]
    return adapter.dump_python(
        adapter.validate_python(value, strict=True), mode="json", by_alias=True
    )


def draft_upsert(ctx: Context, args: DraftUpsertArgs) -> MutationResult:
    unknown = sorted(set(args.fields) - set(DRAFT_COLUMNS))
    if unknown:
        raise Rejected("invalidArguments", f"Unknown draft fields: {', '.join(unknown)}.")
    try:
        changes = {
            name: (canonical_draft_value(name, c.old), canonical_draft_value(name, c.new))
            for name, c in args.fields.items()
        }
    except ValidationError as exc:
        raise Rejected("invalidArguments", str(exc)) from exc
    draft = ctx.load(Draft, args.draft_id)
    if draft is not None and draft.destroyed:
        return destroyed_conflict(ctx, draft, list(changes))
    merged = merge.merge_fields(draft_wire_values(draft), changes)
    if draft is None:
        if merged.conflicts and not merged.updates:
            # It never existed here (or its tombstone was pruned) and nothing can apply.
            return result(
                ctx,
                "conflict",
                server_record=None,
                conflict_fields=merged.conflicts,
                reason="notFound",
            )
        draft = Draft(id=args.draft_id, account_id=ctx.account_id)
        for name, value in merged.updates.items():
            setattr(draft, DRAFT_COLUMNS[name], value)
        ctx.create(draft)
        status = "conflict" if merged.conflicts else "applied"
        return result(ctx, status, draft, conflict_fields=merged.conflicts or None)
    if merged.updates:
        for name, value in merged.updates.items():
            setattr(draft, DRAFT_COLUMNS[name], value)
        ctx.touch(draft)
    return result(ctx, merged.status, draft, conflict_fields=merged.conflicts or None)


def pending_submission_exists(session: Session, account_id: str, draft_id: str) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    Submission.account_id == account_id,
                    Submission.draft_id == draft_id,
                    Submission.state.in_([SubmissionState.scheduled, SubmissionState.sending]),
                )
            )
        )
    )


def draft_destroy(ctx: Context, args: DraftDestroyArgs) -> MutationResult:
    draft = ctx.load(Draft, args.draft_id)
    if draft is None or draft.destroyed:
        return result(ctx, "applied")
    if pending_submission_exists(ctx.session, ctx.account_id, draft.id):
        raise Rejected("draftHasSubmission", "Cancel the scheduled submission first.")
    ctx.destroy(draft)
    return result(ctx, "applied")


# --- submissions ------------------------------------------------------------------------------


def submission_create(ctx: Context, args: SubmissionCreateArgs) -> MutationResult:
    if ctx.id_taken_elsewhere(Submission, args.submission_id):
        raise Rejected("idInUse")
    existing = ctx.load(Submission, args.submission_id)
    if existing is not None:
        # Same submission pushed again under another mutation id: still exactly once.
        if existing.draft_id == args.draft_id:
            return result(ctx, "merged", existing)
        raise Rejected("idInUse")
    draft = ctx.load(Draft, args.draft_id)
    if draft is None or draft.destroyed:
        raise Rejected("draftNotFound")
    try:
        # Bounded and linear before anything is stored: the message is only built later, by
        # the delivery worker, outside this transaction.
        recipients, size = check_message(ctx.session, draft, ctx.settings)
        if recipients:
            check_send_rate(ctx.session, ctx.account_id, ctx.now, ctx.settings)
            # The Sent copy will need room in the sender's storage.
            check_storage(usage(ctx.session, ctx.account_id), size, ctx.settings)
    except LimitExceeded as exc:
        raise Rejected(exc.reason, exc.detail, shown=True) from None
    if not recipients:
        raise Rejected("noRecipients", "The draft has no To, Cc or Bcc address.")
    send_at = aware(args.send_at).astimezone(UTC) if args.send_at else ctx.now
    submission = Submission(
        id=args.submission_id,
        account_id=ctx.account_id,
        draft_id=draft.id,
        client_id=ctx.client_id,
        mutation_id=ctx.mutation_id,
        send_at=send_at,
        state=SubmissionState.scheduled,
        envelope_rcpts=recipients,
    )
    ctx.create(submission)
    return result(ctx, "applied", submission)


def submission_cancel(ctx: Context, args: SubmissionCancelArgs) -> MutationResult:
    submission = ctx.session.scalars(
        select(Submission)
        .where(Submission.id == args.submission_id, Submission.account_id == ctx.account_id)
        .with_for_update()  # the delivery worker takes the same lock when it picks it up
    ).first()
    if submission is None:
        raise Rejected("notFound")
    if submission.state == SubmissionState.cancelled:
        return result(ctx, "merged", submission)
    if submission.state != SubmissionState.scheduled or aware(submission.send_at) <= ctx.now:
        raise Rejected("cannotUnsend", "The message is already being sent or was sent.")
    submission.state = SubmissionState.cancelled
    ctx.touch(submission)
    return result(ctx, "applied", submission)


HANDLERS: dict[str, Callable[[Context, Any], MutationResult]] = {
    "email.keywords": email_keywords,
    "email.move": email_move,
    "email.destroy": email_destroy,
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
            query = select(model).where(
                model.account_id == account_id,  # type: ignore[attr-defined]
                model.id.in_(chunk),  # type: ignore[attr-defined]
            )
            loaded.extend(session.scalars(query).all())
    return loaded


def _stored_results(
    session: Session, account_id: str, client_id: str, ids: Sequence[int]
) -> dict[int, dict[str, Any]]:
    stored: dict[int, dict[str, Any]] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        rows = session.execute(
            select(ClientMutation.mutation_id, ClientMutation.result).where(
                ClientMutation.account_id == account_id,
                ClientMutation.client_id == client_id,
                ClientMutation.mutation_id.in_(chunk),
            )
        )
        stored.update({int(mid): res for mid, res in rows})
    return stored


# Mutations run in chunks under one savepoint; when anything in a chunk fails, the chunk is
# rolled back and redone with one savepoint per mutation. Same outcome as a savepoint each,
# without paying for 1,000 savepoints and flushes when nothing fails.
CHUNK = 64


def _validated(mutation: Mutation) -> WireModel | MutationResult:
    args_model: type[WireModel] | None = MUTATION_ARGS.get(mutation.type)
    if args_model is None:
        return MutationResult(
            mutation_id=mutation.mutation_id, status="rejected", reason="unknownType"
        )
    try:
        return args_model.model_validate(mutation.args)
    except ValidationError:
        return MutationResult(
            mutation_id=mutation.mutation_id, status="rejected", reason="invalidArguments"
        )


def apply_one(ctx: Context, mutation: Mutation) -> MutationResult:
    """One mutation in its own savepoint: whatever goes wrong stays inside it."""
    args = _validated(mutation)
    if isinstance(args, MutationResult):
        return args
    try:
        with ctx.session.begin_nested():
            return HANDLERS[mutation.type](ctx, args)
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
                args = _validated(mutation)
                if isinstance(args, MutationResult):
                    outcomes.append(args)
                else:
                    outcomes.append(HANDLERS[mutation.type](ctx, args))
            session.flush()
            return outcomes
    except (Rejected, SQLAlchemyError):
        _forget_rolled_back(session, contexts[0].account_id, chunk)
        return [apply_one(ctx, mutation) for ctx, mutation in zip(contexts, chunk, strict=True)]


def _forget_rolled_back(session: Session, account_id: str, chunk: Sequence[Mutation]) -> None:
    """After a savepoint rollback, drop every ORM object: rows the rolled-back work created
    must not linger in the identity map looking persistent (seen with pysqlite)."""
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
    not be contiguous or ascending."""
    if not mutations:
        return []
    settings = settings or Settings()
    # Locks the account: batches of one account run one at a time, so a retried batch racing
    # the original sees its stored results instead of applying twice.
    modseqs = ModseqAllocator(session, account_id)
    stored = _stored_results(session, account_id, client_id, [m.mutation_id for m in mutations])
    keep_alive = _prefetch(session, account_id, mutations)
    now = datetime.now(UTC)
    todo: list[Mutation] = []
    pending: set[int] = set()
    for mutation in mutations:
        if mutation.mutation_id not in stored and mutation.mutation_id not in pending:
            pending.add(mutation.mutation_id)
            todo.append(mutation)
    new_rows: list[ClientMutation] = []
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        contexts = [
            Context(session, account_id, client_id, m.mutation_id, now, modseqs, settings)
            for m in chunk
        ]
        for outcome in _apply_chunk(contexts, chunk):
            stored_result = outcome.model_dump(mode="json", by_alias=True, exclude_none=True)
            stored[outcome.mutation_id] = stored_result
            new_rows.append(
                ClientMutation(
                    account_id=account_id,
                    client_id=client_id,
                    mutation_id=outcome.mutation_id,
                    result=stored_result,
                )
            )
    session.add_all(new_rows)
    session.flush()
    modseqs.finish()
    del keep_alive
    return [stored[m.mutation_id] for m in mutations]
