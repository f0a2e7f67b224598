"""Step 3 of delivery, and recovery.

Once no job of a submission is pending: file the message into the sender's Sent with `$seen`,
destroy the draft and mark the submission `sent`, or `failed` with the reason for the user (the
draft then stays, so the addresses can be fixed). Jobs whose worker vanished are retried before
DATA and assumed delivered after (see delivery.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mailapp.mime.parse import ParsedMessage
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.delivery_models import JobPhase, JobState, LocalDelivery, RelayJob
from mailapp.server.incoming import store_incoming
from mailapp.server.models import Draft, Submission, SubmissionState, identity

UNKNOWN_OUTCOME = (
    "the worker stopped after handing the message to the relay; assumed delivered and not "
    "resent, to avoid a duplicate"
)


def finish_submission(
    session: Session, account_id: str, submission_id: str, parsed: ParsedMessage | None = None
) -> None:
    """`submission_id` of the sending account `account_id` (submission ids are per account).
    `parsed` is the frozen message parsed outside the transaction, for the Sent copy."""
    sub = session.execute(
        select(Submission)
        .where(Submission.account_id == account_id, Submission.id == submission_id)
        .with_for_update()
    ).scalar_one_or_none()
    if sub is None or sub.state != SubmissionState.sending:
        return
    delivered_locally = (
        session.execute(
            select(LocalDelivery.id).where(
                LocalDelivery.sender_account_id == account_id,
                LocalDelivery.submission_id == submission_id,
            )
        ).first()
        is not None
    )
    finish_if_done(session, sub, delivered_locally=delivered_locally, parsed=parsed)


def finish_if_done(
    session: Session,
    sub: Submission,
    *,
    delivered_locally: bool,
    parsed: ParsedMessage | None = None,
) -> None:
    jobs = list(
        session.execute(
            select(RelayJob).where(
                RelayJob.account_id == sub.account_id, RelayJob.submission_id == sub.id
            )
        ).scalars()
    )
    if any(j.state in (JobState.queued.value, JobState.sending.value) for j in jobs):
        return
    errors = [sub.error] if sub.error else []
    delivered = delivered_locally
    notes = []
    for job in jobs:
        if job.state == JobState.failed.value:
            errors.append(f"{', '.join(job.recipients)}: {job.last_error}")
            continue
        delivered = delivered or len(job.refused) < len(job.recipients)
        errors.extend(f"{r}: {reply}" for r, reply in sorted(job.refused.items()))
        if job.last_error == UNKNOWN_OUTCOME:
            notes.append(f"{', '.join(job.recipients)}: {UNKNOWN_OUTCOME}")
    if delivered and sub.mime is not None and sub.sent_email_id is None:
        sent = store_incoming(
            session, sub.account_id, "sent", sub.mime, keywords=("$seen",), parsed=parsed
        )
        sub.sent_email_id = sent.id
    # No job needs the frozen message any more; the Sent copy (if any) is the one kept, so a
    # sent message does not occupy the database twice.
    sub.mime = None
    if errors:
        # The draft stays, so the user can fix the addresses and send again.
        set_state(session, sub, SubmissionState.failed, "; ".join(errors + notes))
        return
    draft = session.get(Draft, identity(Draft, sub.account_id, sub.draft_id))
    if draft is not None and draft.destroyed_modseq is None:
        modseq = bump_modseq(session, sub.account_id)
        draft.destroyed_modseq = modseq
        draft.updated_modseq = modseq
    set_state(session, sub, SubmissionState.sent, "; ".join(notes) or None)


def set_state(
    session: Session, sub: Submission, state: SubmissionState, error: str | None = None
) -> None:
    modseq = bump_modseq(session, sub.account_id)
    sub.state = state
    sub.error = error
    sub.updated_modseq = modseq
    session.flush()


def fail_submission(engine: Engine, account_id: str, submission_id: str, reason: str) -> None:
    with session_scope(engine) as session:
        sub = session.execute(
            select(Submission)
            .where(Submission.account_id == account_id, Submission.id == submission_id)
            .with_for_update()
        ).scalar_one_or_none()
        if sub is not None and sub.state == SubmissionState.scheduled:
            set_state(session, sub, SubmissionState.failed, reason)


def recover_expired_jobs(engine: Engine, now: datetime) -> int:
    """Jobs whose worker vanished: retry before DATA, assume delivered after (see delivery.py)."""
    recovered = 0
    with session_scope(engine) as session:
        jobs = (
            session.execute(
                select(RelayJob)
                .where(
                    RelayJob.state == JobState.sending.value,
                    RelayJob.lease_until < now,
                )
                .with_for_update(skip_locked=True)
            )
            .scalars()
            .all()
        )
        for job in jobs:
            if job.phase == JobPhase.data.value:
                job.state = JobState.sent.value
                job.last_error = UNKNOWN_OUTCOME
            else:
                job.state = JobState.queued.value
                job.next_attempt_at = now
            job.phase = None
            job.lease_until = None
            job.attempt_id = None
            recovered += 1
        session.flush()
        for account_id, submission_id in {(job.account_id, job.submission_id) for job in jobs}:
            finish_submission(session, account_id, submission_id)
    return recovered
