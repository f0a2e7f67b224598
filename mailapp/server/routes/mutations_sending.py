"""Mutation handlers for drafts and submissions (`draft.*`, `submission.*`).

`submission.create` checks the sending limits (mailapp.server.limits) and stores the submission;
the message itself is built later by the delivery worker, outside any write transaction.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from mailapp.server import merge
from mailapp.server.limits import (
    LimitExceeded,
    check_message,
    check_send_rate,
    check_storage,
    usage,
)
from mailapp.server.models import Account, Draft, Submission, SubmissionState
from mailapp.server.notify import notify_sending_in_transaction
from mailapp.server.routes.mutation_context import Context, Rejected, destroyed_conflict, result
from mailapp.server.routes.records import DRAFT_COLUMNS, aware, draft_wire_values
from mailapp.server.upstream.submission import draft_sender
from mailapp.wire import (
    DraftDestroyArgs,
    DraftFields,
    DraftUpsertArgs,
    MutationResult,
    SubmissionCancelArgs,
    SubmissionCreateArgs,
)

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


def _field_problem(name: str, exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{name}{where}: {message}."


def draft_upsert(ctx: Context, args: DraftUpsertArgs) -> MutationResult:
    unknown = sorted(set(args.fields) - set(DRAFT_COLUMNS))
    if unknown:
        raise Rejected("invalidArguments", f"Unknown draft fields: {', '.join(unknown)}.")
    changes = {}
    for name, c in args.fields.items():
        try:
            changes[name] = (canonical_draft_value(name, c.old), canonical_draft_value(name, c.new))
        except ValidationError as exc:
            # Shown to the client: which field, and why (e.g. a name hiding a line break).
            raise Rejected("invalidArguments", _field_problem(name, exc), shown=True) from exc
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
    account = ctx.session.get(Account, ctx.account_id)
    assert account is not None  # the token's account
    try:
        draft_sender(ctx.session, account, draft.from_address)
    except ValueError as exc:
        raise Rejected("fromNotAllowed", str(exc), shown=True) from None
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
    if send_at <= ctx.now:
        notify_sending_in_transaction(ctx.session)  # the delivery loops look at once
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
