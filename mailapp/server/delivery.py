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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from typing import Any, cast

from sqlalchemy import exists, func, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from mailapp.server.config import Settings
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.delivery_models import JobPhase, JobState, LocalDelivery, RelayJob
from mailapp.server.limits import LimitExceeded, check_message, usage
from mailapp.server.models import Account, Draft, Submission, SubmissionState, identity
from mailapp.server.scheduler import retry_delay
from mailapp.server.smtp_relay import (
    Outcome,
    RelayResult,
    RelayTarget,
    RelayUrlError,
    parse_relay_url,
    relay_message,
)

log = logging.getLogger(__name__)

UNKNOWN_OUTCOME = (
    "the worker stopped after handing the message to the relay; assumed delivered and not "
    "resent, to avoid a duplicate"
)


# RelayJob.domain of a job for this server's own users ("@" is in no real domain name).
LOCAL_JOB = "@local"
# RFC 5321 4.5.3.1.8: every SMTP server accepts at least 100 recipients per transaction.
MAX_RCPTS_PER_TRANSACTION = 100


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DeliveryConfig:
    poll_interval: float = 1.0
    lease_seconds: float = 600.0
    smtp_timeout: float = 60.0
    backoff_base: float = 30.0
    backoff_cap: float = 3600.0
    max_attempts: int = 15  # about two days with the defaults
    batch: int = 20

    @classmethod
    def from_settings(cls, settings: Any) -> DeliveryConfig:
        """Settings attributes (``delivery_poll`` …) when present, else MAILAPP_* variables."""
        from mailapp.server.events import setting

        defaults = cls()

        def number(key: str, env: str, default: float) -> float:
            return setting(settings, key, env, default)

        return cls(
            poll_interval=number("delivery_poll", "MAILAPP_DELIVERY_POLL", defaults.poll_interval),
            lease_seconds=number(
                "delivery_lease", "MAILAPP_DELIVERY_LEASE", defaults.lease_seconds
            ),
            smtp_timeout=number("smtp_timeout", "MAILAPP_SMTP_TIMEOUT", defaults.smtp_timeout),
            backoff_base=number("relay_backoff", "MAILAPP_RELAY_BACKOFF", defaults.backoff_base),
            backoff_cap=number(
                "relay_backoff_cap", "MAILAPP_RELAY_BACKOFF_CAP", defaults.backoff_cap
            ),
            max_attempts=int(
                number("relay_max_attempts", "MAILAPP_RELAY_MAX_ATTEMPTS", defaults.max_attempts)
            ),
        )


@dataclass(frozen=True)
class Prepared:
    """A due submission's message, built outside any write transaction; or why it cannot be."""

    submission_id: str
    draft_modseq: int | None = None
    mime: bytes = b""
    recipients: tuple[str, ...] = ()
    error: str | None = None


class LeaseLost(Exception):
    """Another worker took the job over (our lease ran out): abort before DATA."""


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
        prepared = self._prepare()
        if prepared is None:
            return False
        try:
            with session_scope(self.engine) as session:
                sub = session.execute(
                    select(Submission)
                    .where(
                        Submission.id == prepared.submission_id,
                        Submission.state == SubmissionState.scheduled,
                        Submission.send_at <= self.clock(),
                    )
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if sub is None:
                    return True  # another worker took it meanwhile
                if prepared.error is not None:
                    self._set_state(session, sub, SubmissionState.failed, prepared.error)
                    return True
                draft = session.get(Draft, identity(Draft, sub.account_id, sub.draft_id))
                if draft is None or draft.updated_modseq != prepared.draft_modseq:
                    return True  # the draft changed while it was built: build it again
                self._dispatch(session, sub, prepared)
        except Exception as exc:
            # A submission that cannot be dispatched must not block the queue forever.
            log.exception("submission %s could not be dispatched", prepared.submission_id)
            self._fail_submission(
                prepared.submission_id, f"the message could not be prepared: {exc}"
            )
        return True

    def _prepare(self) -> Prepared | None:
        """The next due submission, checked and built in a read-only transaction: building a
        large message must not hold the write lock other accounts' writes wait for."""
        from mailapp.server.mime import build_mime_for_submission

        with session_scope(self.engine, write=False) as session:
            sub = session.execute(
                select(Submission)
                .where(
                    Submission.state == SubmissionState.scheduled,
                    Submission.send_at <= self.clock(),
                )
                .order_by(Submission.send_at)
                .limit(1)
            ).scalar_one_or_none()
            if sub is None:
                return None
            account = session.get(Account, sub.account_id)
            draft = session.get(Draft, identity(Draft, sub.account_id, sub.draft_id))
            if account is None:
                return Prepared(sub.id, error="the sending account no longer exists")
            if draft is None or draft.destroyed_modseq is not None:
                return Prepared(sub.id, error="the draft no longer exists")
            try:
                # Again: the draft may have changed since submission.create checked it.
                recipients, _size = check_message(session, draft, self.limits)
            except LimitExceeded as exc:
                return Prepared(sub.id, error=exc.detail)
            if not recipients:
                return Prepared(sub.id, error="the draft has no To, Cc or Bcc address")
            try:
                mime, _ = build_mime_for_submission(draft, _sender_of(account))
            except Exception as exc:
                log.exception("submission %s could not be built", sub.id)
                return Prepared(sub.id, error=f"the message could not be prepared: {exc}")
            return Prepared(sub.id, draft.updated_modseq, mime, tuple(recipients))

    def _dispatch(self, session: Session, sub: Submission, prepared: Prepared) -> None:
        account = session.get(Account, sub.account_id)
        if account is None:
            raise RuntimeError("the sending account no longer exists")
        sub.mime = prepared.mime
        sub.envelope_rcpts = list(prepared.recipients)
        self._set_state(session, sub, SubmissionState.sending)
        local, unknown, remote = self._split_recipients(session, list(prepared.recipients))
        errors = [f"{r}: 550 no such user here" for r in unknown]
        if remote and self.relay is None:
            errors.extend(f"{r}: no SMTP relay is configured for outside mail" for r in remote)
            remote = []
        batches: list[tuple[str, list[str]]] = []
        if local:
            batches.append((LOCAL_JOB, [recipient for recipient, _ in local]))
        by_domain: dict[str, list[str]] = {}
        for recipient in remote:
            by_domain.setdefault(recipient.rpartition("@")[2].lower(), []).append(recipient)
        batches.extend(sorted(by_domain.items()))
        message_id = _message_id(prepared.mime)
        for domain, recipients in batches:
            for start in range(0, len(recipients), MAX_RCPTS_PER_TRANSACTION):
                session.add(
                    RelayJob(
                        submission_id=sub.id,
                        account_id=sub.account_id,
                        domain=domain,
                        mail_from=account.email,
                        recipients=recipients[start : start + MAX_RCPTS_PER_TRANSACTION],
                        message_id=message_id,
                        next_attempt_at=self.clock(),
                        refused={},
                    )
                )
        sub.error = "; ".join(errors) or None
        session.flush()
        self._finish_if_done(session, sub, delivered_locally=False)

    def _split_recipients(
        self, session: Session, rcpts: list[str]
    ) -> tuple[list[tuple[str, Account]], list[str], list[str]]:
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
            elif recipient.rpartition("@")[2] == self.local_domain:
                unknown.append(recipient)
            else:
                remote.append(recipient)
        return local, unknown, remote

    @staticmethod
    def _already_delivered(session: Session, submission_id: str, recipient: str) -> bool:
        return (
            session.execute(
                select(LocalDelivery.id).where(
                    LocalDelivery.submission_id == submission_id,
                    LocalDelivery.recipient == recipient,
                )
            ).first()
            is not None
        )

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
                result = self._deliver_locally(job, mime)
            except LeaseLost:
                log.warning("local delivery job %s was taken over by another worker", job.id)
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
        self._record(job, result)
        return True

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
                select(Submission.mime).where(Submission.id == job.submission_id)
            ).scalar_one()
        return job, mime or b""

    def _deliver_locally(self, job: RelayJob, mime: bytes) -> RelayResult:
        """File the message into each local recipient's INBOX, one short write transaction per
        recipient, so a message to many local users never holds the write lock for long."""
        from mailapp.server.mime import store_incoming

        refused: dict[str, str] = {}
        for recipient in job.recipients:
            with session_scope(self.engine) as session:
                holder = session.execute(
                    select(RelayJob.attempt_id).where(RelayJob.id == job.id)
                ).scalar_one_or_none()
                if holder != job.attempt_id:
                    raise LeaseLost(job.id)
                if self._already_delivered(session, job.submission_id, recipient):
                    continue
                account = session.execute(
                    select(Account).where(func.lower(Account.email) == recipient.lower())
                ).scalar_one_or_none()
                if account is None:
                    refused[recipient] = "550 5.1.1 no such user here"
                    continue
                used = usage(session, account.id).storage_bytes
                if used + len(mime) > self.limits.storage_quota_bytes:
                    refused[recipient] = "552 5.2.2 the recipient's mailbox is full"
                    continue
                email = store_incoming(session, account.id, "inbox", mime)
                session.add(
                    LocalDelivery(
                        submission_id=job.submission_id,
                        recipient=recipient,
                        account_id=account.id,
                        email_id=email.id,
                    )
                )
                # The unique (submission_id, recipient) key fails here, not at commit.
                session.flush()
        return RelayResult(Outcome.ACCEPTED, "filed into local inboxes", refused=refused)

    def _record(self, claimed: RelayJob, result: RelayResult) -> None:
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
            self._finish_submission(session, job.submission_id)

    # -- recovery ------------------------------------------------------------------------------

    def recover_expired(self) -> int:
        return self._recover_expired() if self.pending_work()[2] else 0

    def _recover_expired(self) -> int:
        """Jobs whose worker vanished: retry before DATA, assume delivered after (see above)."""
        recovered = 0
        with session_scope(self.engine) as session:
            jobs = (
                session.execute(
                    select(RelayJob)
                    .where(
                        RelayJob.state == JobState.sending.value,
                        RelayJob.lease_until < self.clock(),
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
                    job.next_attempt_at = self.clock()
                job.phase = None
                job.lease_until = None
                job.attempt_id = None
                recovered += 1
            session.flush()
            for submission_id in {job.submission_id for job in jobs}:
                self._finish_submission(session, submission_id)
        return recovered

    # -- 3. finish -----------------------------------------------------------------------------

    def _finish_submission(self, session: Session, submission_id: str) -> None:
        sub = session.execute(
            select(Submission).where(Submission.id == submission_id).with_for_update()
        ).scalar_one_or_none()
        if sub is None or sub.state != SubmissionState.sending:
            return
        delivered_locally = (
            session.execute(
                select(LocalDelivery.id).where(LocalDelivery.submission_id == submission_id)
            ).first()
            is not None
        )
        self._finish_if_done(session, sub, delivered_locally=delivered_locally)

    def _finish_if_done(
        self, session: Session, sub: Submission, *, delivered_locally: bool
    ) -> None:
        from mailapp.server.mime import store_incoming

        jobs = list(
            session.execute(select(RelayJob).where(RelayJob.submission_id == sub.id)).scalars()
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
            sent = store_incoming(session, sub.account_id, "sent", sub.mime, keywords=("$seen",))
            sub.sent_email_id = sent.id
        if errors:
            # The draft stays, so the user can fix the addresses and send again.
            self._set_state(session, sub, SubmissionState.failed, "; ".join(errors + notes))
            return
        draft = session.get(Draft, identity(Draft, sub.account_id, sub.draft_id))
        if draft is not None and draft.destroyed_modseq is None:
            modseq = bump_modseq(session, sub.account_id)
            draft.destroyed_modseq = modseq
            draft.updated_modseq = modseq
        self._set_state(session, sub, SubmissionState.sent, "; ".join(notes) or None)

    def _set_state(
        self, session: Session, sub: Submission, state: SubmissionState, error: str | None = None
    ) -> None:
        modseq = bump_modseq(session, sub.account_id)
        sub.state = state
        sub.error = error
        sub.updated_modseq = modseq
        session.flush()

    def _fail_submission(self, submission_id: str, reason: str) -> None:
        with session_scope(self.engine) as session:
            sub = session.execute(
                select(Submission).where(Submission.id == submission_id).with_for_update()
            ).scalar_one_or_none()
            if sub is not None and sub.state == SubmissionState.scheduled:
                self._set_state(session, sub, SubmissionState.failed, reason)


def _new_attempt_id() -> str:
    import uuid

    return str(uuid.uuid4())


def _sender_of(account: Account) -> str:
    return account.email


def _message_id(mime: bytes) -> str | None:
    headers = BytesParser(policy=policy.default).parsebytes(mime, headersonly=True)
    value = headers.get("Message-ID")
    return str(value).strip() if value else None


# -- app integration --------------------------------------------------------------------------


async def start_background(app: Any) -> None:
    """Start the change bus and the delivery loop of this worker process (app lifespan)."""
    from mailapp.server.events import start_change_bus
    from mailapp.server.housekeeping import prune_step
    from mailapp.server.scheduler import BackgroundLoop

    engine, settings = _engine_and_settings(app)
    bus = await start_change_bus(app, engine, settings)
    housekeeping = BackgroundLoop(
        "mailapp-housekeeping",
        lambda: prune_step(engine, settings),
        interval=getattr(settings, "housekeeping_interval", 3600.0),
    )
    app.state.housekeeping_loop = housekeeping
    housekeeping.start()
    try:
        worker = DeliveryWorker.from_settings(engine, settings)
    except RelayUrlError as exc:
        log.error("delivery is disabled: %s", exc)
        return
    poll = worker.config.poll_interval
    # Commits wake the loop (a submission may be due now); bursts coalesce into one check.
    loop = BackgroundLoop(
        "mailapp-delivery", worker.run_once, interval=poll, min_interval=min(0.2, poll)
    )
    app.state.delivery_worker = worker
    app.state.delivery_loop = loop
    bus.add_listener(loop.wake)
    loop.start()


async def stop_background(app: Any) -> None:
    from mailapp.server.events import stop_change_bus

    for name in ("delivery_loop", "housekeeping_loop"):
        loop = getattr(app.state, name, None)
        if loop is not None:
            await loop.stop()
            setattr(app.state, name, None)
    await stop_change_bus(app)


def _engine_and_settings(app: Any) -> tuple[Engine, Any]:
    state = app.state
    return state.engine, state.settings
