"""Delivery to this server's own users: a job like a relay job (claimed with a lease, retried
after a crash), but it files the message into each recipient's INBOX, one short write
transaction per recipient, so a message to many local users never holds the write lock long."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from mailapp.server.db import session_scope
from mailapp.server.delivery_models import LocalDelivery, RelayJob
from mailapp.server.limits import usage
from mailapp.server.models import Account
from mailapp.server.smtp_relay import Outcome, RelayResult

# RelayJob.domain of a job for this server's own users ("@" is in no real domain name).
LOCAL_JOB = "@local"


class LeaseLost(Exception):
    """Another worker took the job over (our lease ran out): abort before DATA."""


def deliver_locally(
    engine: Engine, job: RelayJob, mime: bytes, storage_quota_bytes: int
) -> RelayResult:
    """File the message into each local recipient's INBOX, one short write transaction per
    recipient, so a message to many local users never holds the write lock for long."""
    from mailapp.mime.lean import parse_for_filing
    from mailapp.server.incoming import store_incoming

    # Parsed once for every recipient, outside any transaction: parsing a large message takes
    # seconds, which must not be spent holding the write lock.
    parsed = parse_for_filing(mime)
    refused: dict[str, str] = {}
    for recipient in job.recipients:
        with session_scope(engine) as session:
            holder = session.execute(
                select(RelayJob.attempt_id).where(RelayJob.id == job.id)
            ).scalar_one_or_none()
            if holder != job.attempt_id:
                raise LeaseLost(job.id)
            if already_delivered(session, job.account_id, job.submission_id, recipient):
                continue
            account = session.execute(
                select(Account).where(func.lower(Account.email) == recipient.lower())
            ).scalar_one_or_none()
            if account is None:
                refused[recipient] = "550 5.1.1 no such user here"
                continue
            used = usage(session, account.id).storage_bytes
            if used + len(mime) > storage_quota_bytes:
                refused[recipient] = "552 5.2.2 the recipient's mailbox is full"
                continue
            email = store_incoming(session, account.id, "inbox", mime, parsed=parsed)
            session.add(
                LocalDelivery(
                    sender_account_id=job.account_id,
                    submission_id=job.submission_id,
                    recipient=recipient,
                    account_id=account.id,
                    email_id=email.id,
                )
            )
            # The unique (sender, submission_id, recipient) key fails here, not at commit.
            session.flush()
    return RelayResult(Outcome.ACCEPTED, "filed into local inboxes", refused=refused)


def already_delivered(
    session: Session, sender_account_id: str, submission_id: str, recipient: str
) -> bool:
    return (
        session.execute(
            select(LocalDelivery.id).where(
                LocalDelivery.sender_account_id == sender_account_id,
                LocalDelivery.submission_id == submission_id,
                LocalDelivery.recipient == recipient,
            )
        ).first()
        is not None
    )
