"""The delivery pipeline: due submissions → local INBOXes and a durable SMTP relay queue → Sent.

Each step is one committed transaction, so any worker process may crash anywhere and another
picks up where it stopped:

1. *Dispatch* (per submission): check the draft against the sending limits and build its MIME
   in a read-only transaction, so no write lock is held while a large message is built; then,
   in one short write transaction, claim the submission if it is still due and its draft did
   not change meanwhile (else build again), freeze the MIME and queue jobs: one per remote
   domain (at most 100 recipients each) and one for this server's own recipients.
2. *Jobs* (per job): claim it with a lease and commit. A relay job connects; once the relay
   accepted every recipient, commits `phase = data`; sends DATA; commits the outcome.
   Temporary failures retry with exponential backoff and jitter; 5xx fails for good. A local
   job files the message into each recipient's INBOX, one short transaction per recipient (a
   `local_delivery` row unique on (submission, recipient) makes that exactly once), refusing
   recipients that do not exist or whose storage is full.
3. *Finish* (when no job is pending): file the message into the sender's Sent with `$seen`,
   destroy the draft and mark the submission `sent`, or `failed` with the reason for the user.

The trade-off for a worker that dies mid-relay (its lease runs out): in phase `connecting`
nothing was handed over, so the job is simply retried. In phase `data` the relay may already
own the message and we cannot ask it; resending could deliver twice, not resending could lose
it. As the crash window there is mostly the bookkeeping after a 250 reply, we assume it was
delivered and record that on the submission (at most once). A connection lost *during* DATA
while the worker is alive is retried, as Postfix does; the Message-ID stays the same so the
receiving side can recognise a duplicate.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import exists, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from mailapp.mime.parse import ParsedMessage
from mailapp.server.config import Settings
from mailapp.server.db import session_scope
from mailapp.server.delivery_config import DeliveryConfig
from mailapp.server.delivery_finish import (
    UNKNOWN_OUTCOME,
    fail_submission,
    finish_if_done,
    finish_submission,
    recover_expired_jobs,
    set_state,
)
from mailapp.server.delivery_jobs import queue_jobs
from mailapp.server.delivery_local import LOCAL_JOB, LeaseLost, deliver_locally
from mailapp.server.delivery_models import JobPhase, JobState, RelayJob
from mailapp.server.delivery_prepare import Prepared, prepare_next
from mailapp.server.models import Account, Draft, Submission, SubmissionState, identity
from mailapp.server.scheduler import retry_delay
from mailapp.server.smtp_relay import (
    Outcome,
    RelayResult,
    RelayTarget,
    parse_relay_url,
    relay_message,
)
from mailapp.server.upstream import sent_copy
from mailapp.server.upstream.submission import (
    PROVIDER_JOB,
    sending_address,
    submit_to_provider,
)

__all__ = ["UNKNOWN_OUTCOME", "DeliveryConfig", "DeliveryWorker"]
log = logging.getLogger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Signature of the test hook run between the relay's reply and the bookkeeping.
AfterRelayHook = Callable[[RelayJob, RelayResult], None]


class DeliveryWorker:
    """The pipeline's steps; `run_once` is blocking and safe to run in several processes."""

    def __init__(
        self,
        engine: Engine,
        *,
        local_domain: str,
        relay_url: str | None,
        config: DeliveryConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        after_relay: AfterRelayHook | None = None,
        limits: Settings | None = None,
    ) -> None:
        self.engine = engine
        self.local_domain = local_domain.lower()
        self.relay: RelayTarget | None = parse_relay_url(relay_url) if relay_url else None
        self.config = config or DeliveryConfig()
        # A Sent copy claimed by a worker that died is taken over after the same lease as a
        # relay job (MAILAPP_DELIVERY_LEASE), not after a fixed five minutes.
        self.sent_copy_lease = timedelta(seconds=self.config.lease_seconds)
        self.clock = clock
        self.rng = rng or random.Random()
        self.after_relay = after_relay
        # Recipient, size and storage limits (Settings' defaults unless the app passes its own).
        self.limits = limits or Settings()

    @classmethod
    def from_settings(cls, engine: Engine, settings: Any, **kwargs: Any) -> DeliveryWorker:
        return cls(
            engine,
            local_domain=settings.local_domain,
            relay_url=settings.smtp_relay_url,
            config=DeliveryConfig.from_settings(settings),
            limits=settings if isinstance(settings, Settings) else None,
            **kwargs,
        )

    # -- the loop body -------------------------------------------------------------------------

    def run_once(self) -> int:
        """Recover expired leases, dispatch due submissions, run due relay jobs.
        Returns how many things it did (0 = idle)."""
        due_submission, due_job, expired = self.pending_work()
        done = self._recover_expired() if expired else 0
        if due_submission:
            for _ in range(self.config.batch):
                if not self._dispatch_one():
                    break
                done += 1
                due_job = True  # dispatching may have queued relay jobs
        if due_job:
            for _ in range(self.config.batch):
                if not self._relay_one():
                    break
                done += 1
        if sent_copy.pending(self.engine, self.clock()):
            # Copies of messages sent through a provider, in its Sent folder.
            done += sent_copy.copy_step(
                self.engine, self.limits, self.clock(), self.sent_copy_lease
            )
        return done

    def pending_work(self) -> tuple[bool, bool, bool]:
        """(due submission, due relay job, expired lease): one cheap read, no write lock, so
        idle workers polling do not contend with the API's writes."""
        now = self.clock()
        query = select(
            exists().where(
                Submission.state == SubmissionState.scheduled, Submission.send_at <= now
            ),
            exists().where(
                RelayJob.state == JobState.queued.value, RelayJob.next_attempt_at <= now
            ),
            exists().where(RelayJob.state == JobState.sending.value, RelayJob.lease_until < now),
        )
        with session_scope(self.engine, write=False) as session:
            row = session.execute(query).one()
        return bool(row[0]), bool(row[1]), bool(row[2])

    # -- 1. dispatch ---------------------------------------------------------------------------

    def dispatch_next(self) -> bool:
        return self.pending_work()[0] and self._dispatch_one()

    def _dispatch_one(self) -> bool:
        prepared = prepare_next(self.engine, self.clock(), self.limits)
        if prepared is None:
            return False
        try:
            with session_scope(self.engine) as session:
                sub = session.execute(
                    select(Submission)
                    .where(
                        Submission.account_id == prepared.account_id,
                        Submission.id == prepared.submission_id,
                        Submission.state == SubmissionState.scheduled,
                        Submission.send_at <= self.clock(),
                    )
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if sub is None:
                    return True  # another worker took it meanwhile
                if prepared.error is not None:
                    set_state(session, sub, SubmissionState.failed, prepared.error)
                    return True
                draft = session.get(Draft, identity(Draft, sub.account_id, sub.draft_id))
                if draft is None or draft.updated_modseq != prepared.draft_modseq:
                    return True  # the draft changed while it was built: build it again
                self._dispatch(session, sub, prepared)
        except Exception as exc:
            # A submission that cannot be dispatched must not block the queue forever.
            log.exception("submission %s could not be dispatched", prepared.submission_id)
            fail_submission(
                self.engine,
                prepared.account_id,
                prepared.submission_id,
                f"the message could not be prepared: {exc}",
            )
        return True

    def _dispatch(self, session: Session, sub: Submission, prepared: Prepared) -> None:
        account = session.get(Account, sub.account_id)
        if account is None:
            raise RuntimeError("the sending account no longer exists")
        sub.mime = prepared.mime
        sub.envelope_rcpts = list(prepared.recipients)
        set_state(session, sub, SubmissionState.sending)
        errors = queue_jobs(
            session,
            sub,
            sending_address(session, account),
            list(prepared.recipients),
            prepared.mime,
            local_domain=self.local_domain,
            has_relay=self.relay is not None,
            now=self.clock(),
        )
        sub.error = "; ".join(errors) or None
        session.flush()
        finish_if_done(session, sub, delivered_locally=False)

    # -- 2. relay ------------------------------------------------------------------------------

    def relay_next(self) -> bool:
        return self.pending_work()[1] and self._relay_one()

    def _relay_one(self) -> bool:
        claim = self._claim_job()
        if claim is None:
            return False
        job, mime = claim

        def mark_data_phase() -> None:
            with session_scope(self.engine) as session:
                result = session.execute(
                    update(RelayJob)
                    .where(RelayJob.id == job.id, RelayJob.attempt_id == job.attempt_id)
                    .values(phase=JobPhase.data.value)
                )
                marked = cast(CursorResult[Any], result).rowcount
            if not marked:
                raise LeaseLost(job.id)

        if job.domain == LOCAL_JOB:
            try:
                result = deliver_locally(self.engine, job, mime, self.limits.storage_quota_bytes)
            except LeaseLost:
                log.warning("local delivery job %s was taken over by another worker", job.id)
                return True
        elif job.domain == PROVIDER_JOB:
            try:
                result = submit_to_provider(
                    self.engine,
                    self.limits,
                    job.account_id,
                    job.mail_from,
                    list(job.recipients),
                    mime,
                    timeout=self.config.smtp_timeout,
                    before_data=mark_data_phase,
                )
            except LeaseLost:
                log.warning("provider job %s was taken over by another worker", job.id)
                return True
        elif self.relay is None:
            result = RelayResult(Outcome.PERMANENT, "no SMTP relay is configured")
        else:
            try:
                result = relay_message(
                    self.relay,
                    job.mail_from,
                    list(job.recipients),
                    mime,
                    timeout=self.config.smtp_timeout,
                    before_data=mark_data_phase,
                )
            except LeaseLost:
                log.warning("relay job %s was taken over by another worker", job.id)
                return True
        if self.after_relay is not None:
            self.after_relay(job, result)
        self._record(job, result, self._parsed_if_last(job, mime))
        return True

    def _parsed_if_last(self, job: RelayJob, mime: bytes) -> ParsedMessage | None:
        """The message parsed for the Sent copy when no other job of its submission is left,
        so the finish step's write transaction does not spend seconds parsing it."""
        from mailapp.mime.lean import parse_for_filing

        with session_scope(self.engine, write=False) as session:
            others = session.scalar(
                select(
                    exists().where(
                        RelayJob.account_id == job.account_id,
                        RelayJob.submission_id == job.submission_id,
                        RelayJob.id != job.id,
                        RelayJob.state.in_([JobState.queued.value, JobState.sending.value]),
                    )
                )
            )
        return None if others or not mime else parse_for_filing(mime)

    def _claim_job(self) -> tuple[RelayJob, bytes] | None:
        now = self.clock()
        with session_scope(self.engine) as session:
            job = session.execute(
                select(RelayJob)
                .where(RelayJob.state == JobState.queued.value, RelayJob.next_attempt_at <= now)
                .order_by(RelayJob.next_attempt_at)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).scalar_one_or_none()
            if job is None:
                return None
            job.state = JobState.sending.value
            job.phase = JobPhase.connecting.value
            job.attempt_id = _new_attempt_id()
            job.attempts += 1
            job.lease_until = now + timedelta(seconds=self.config.lease_seconds)
            session.flush()
            session.expunge(job)
        # The message is read after the claim commits: no write lock held while it loads.
        with session_scope(self.engine, write=False) as session:
            mime = session.execute(
                select(Submission.mime).where(
                    Submission.account_id == job.account_id, Submission.id == job.submission_id
                )
            ).scalar_one()
        return job, mime or b""

    def _record(
        self, claimed: RelayJob, result: RelayResult, parsed: ParsedMessage | None = None
    ) -> None:
        with session_scope(self.engine) as session:
            job = session.execute(
                select(RelayJob)
                .where(RelayJob.id == claimed.id, RelayJob.attempt_id == claimed.attempt_id)
                .with_for_update()
            ).scalar_one_or_none()
            if job is None or job.state != JobState.sending.value:
                # Our lease ran out and recovery already decided this job's fate.
                log.warning("relay job %s: outcome %s arrived too late", claimed.id, result.outcome)
                return
            job.phase = None
            job.lease_until = None
            job.last_error = None if result.outcome is Outcome.ACCEPTED else result.detail
            if result.outcome is Outcome.ACCEPTED:
                job.state = JobState.sent.value
                job.refused = dict(result.refused)
            elif result.outcome is Outcome.PERMANENT or job.attempts >= self.config.max_attempts:
                job.state = JobState.failed.value
            else:
                job.state = JobState.queued.value
                delay = retry_delay(
                    job.attempts,
                    base=self.config.backoff_base,
                    cap=self.config.backoff_cap,
                    rng=self.rng,
                )
                job.next_attempt_at = self.clock() + timedelta(seconds=delay)
            session.flush()
            finish_submission(session, job.account_id, job.submission_id, parsed)

    # -- recovery ------------------------------------------------------------------------------

    def _recover_expired(self) -> int:
        return recover_expired_jobs(self.engine, self.clock())


def _new_attempt_id() -> str:
    import uuid

    return str(uuid.uuid4())
