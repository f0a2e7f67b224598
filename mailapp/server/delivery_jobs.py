"""Step 1 of delivery, the routing: which jobs a dispatched submission becomes.

One job for this server's own recipients (`LOCAL_JOB`), one per remote domain through the relay,
or, for an account linked to a provider with an SMTP host, one through that provider
(`PROVIDER_JOB`, upstream/submission.py); at most 100 recipients per job.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.parser import BytesParser

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailapp.server.delivery_local import LOCAL_JOB
from mailapp.server.delivery_models import RelayJob
from mailapp.server.models import Account, Submission
from mailapp.server.upstream.submission import PROVIDER_JOB, sends_through_provider

# RFC 5321 4.5.3.1.8: every SMTP server accepts at least 100 recipients per transaction.
MAX_RCPTS_PER_TRANSACTION = 100


def queue_jobs(
    session: Session,
    sub: Submission,
    mail_from: str,
    recipients: list[str],
    mime: bytes,
    *,
    local_domain: str,
    has_relay: bool,
    now: datetime,
) -> list[str]:
    """Add the submission's jobs to the session; returns the recipients refused at once."""
    if sends_through_provider(session, sub.account_id):
        # A linked account sends every message through its provider.
        batches: list[tuple[str, list[str]]] = [(PROVIDER_JOB, list(recipients))]
        errors: list[str] = []
    else:
        local, unknown, remote = split_recipients(session, recipients, local_domain)
        errors = [f"{r}: 550 no such user here" for r in unknown]
        if remote and not has_relay:
            errors.extend(f"{r}: no SMTP relay is configured for outside mail" for r in remote)
            remote = []
        batches = []
        if local:
            batches.append((LOCAL_JOB, [recipient for recipient, _ in local]))
        by_domain: dict[str, list[str]] = {}
        for recipient in remote:
            by_domain.setdefault(recipient.rpartition("@")[2].lower(), []).append(recipient)
        batches.extend(sorted(by_domain.items()))
    message_id = message_id_of(mime)
    for domain, batch in batches:
        for start in range(0, len(batch), MAX_RCPTS_PER_TRANSACTION):
            session.add(
                RelayJob(
                    submission_id=sub.id,
                    account_id=sub.account_id,
                    domain=domain,
                    mail_from=mail_from,
                    recipients=batch[start : start + MAX_RCPTS_PER_TRANSACTION],
                    message_id=message_id,
                    next_attempt_at=now,
                    refused={},
                )
            )
    return errors


def split_recipients(
    session: Session, rcpts: list[str], local_domain: str
) -> tuple[list[tuple[str, Account]], list[str], list[str]]:
    """(this server's users, unknown addresses of its domain, everyone else)."""
    lowered = sorted({r.lower() for r in rcpts})
    accounts = {
        a.email.lower(): a
        for a in session.execute(
            select(Account).where(func.lower(Account.email).in_(lowered))
        ).scalars()
    }
    local: list[tuple[str, Account]] = []
    unknown: list[str] = []
    remote: list[str] = []
    for recipient in lowered:
        if recipient in accounts:
            local.append((recipient, accounts[recipient]))
        elif recipient.rpartition("@")[2] == local_domain:
            unknown.append(recipient)
        else:
            remote.append(recipient)
    return local, unknown, remote


def message_id_of(mime: bytes) -> str | None:
    # Only the header block: the parser decodes whatever it is given into one more full-size
    # string, even with headersonly.
    end = mime.find(b"\r\n\r\n")
    head = mime if end < 0 else mime[: end + 4]
    headers = BytesParser(policy=policy.default).parsebytes(head, headersonly=True)
    value = headers.get("Message-ID")
    return str(value).strip() if value else None
