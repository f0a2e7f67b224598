"""Step 1 of delivery, the expensive part: check a due submission's draft against the sending
limits and build its MIME, in a read-only transaction. No write lock is held meanwhile, so a
large message never holds up other accounts' writes; the worker then claims the submission in
a short write transaction (and builds again if the draft changed in between)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.config import Settings
from mailapp.server.db import session_scope
from mailapp.server.limits import LimitExceeded, check_message
from mailapp.server.models import Account, Draft, Submission, SubmissionState, identity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A due submission's message, built outside any write transaction; or why it cannot be."""

    account_id: str
    submission_id: str
    draft_modseq: int | None = None
    mime: bytes = b""
    recipients: tuple[str, ...] = ()
    error: str | None = None


def prepare_next(engine: Engine, now: datetime, limits: Settings) -> Prepared | None:
    """The next due submission, checked and built in a read-only transaction: building a
    large message must not hold the write lock other accounts' writes wait for."""
    from mailapp.server.outgoing import build_mime_for_submission
    from mailapp.server.upstream.submission import draft_sender

    with session_scope(engine, write=False) as session:
        sub = session.execute(
            select(Submission)
            .where(
                Submission.state == SubmissionState.scheduled,
                Submission.send_at <= now,
            )
            .order_by(Submission.send_at)
            .limit(1)
        ).scalar_one_or_none()
        if sub is None:
            return None
        account = session.get(Account, sub.account_id)
        draft = session.get(Draft, identity(Draft, sub.account_id, sub.draft_id))
        if account is None:
            return Prepared(sub.account_id, sub.id, error="the sending account no longer exists")
        if draft is None or draft.destroyed_modseq is not None:
            return Prepared(sub.account_id, sub.id, error="the draft no longer exists")
        try:
            # Again: the draft may have changed since submission.create checked it.
            recipients, _size = check_message(session, draft, limits)
        except LimitExceeded as exc:
            return Prepared(sub.account_id, sub.id, error=exc.detail)
        if not recipients:
            return Prepared(sub.account_id, sub.id, error="the draft has no To, Cc or Bcc address")
        try:
            # Again too: the From may have been changed (or the alias removed) since.
            sender = draft_sender(session, account, draft.from_address)
        except ValueError as exc:
            return Prepared(sub.account_id, sub.id, error=str(exc))
        try:
            mime, _ = build_mime_for_submission(draft, sender)
        except Exception as exc:
            log.exception("submission %s could not be built", sub.id)
            return Prepared(
                sub.account_id, sub.id, error=f"the message could not be prepared: {exc}"
            )
        return Prepared(sub.account_id, sub.id, draft.updated_modseq, mime, tuple(recipients))
