"""Sending: local INBOXes, a real SMTP relay (aiosmtpd on loopback), retries, send-later, undo."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from mailapp.server.auth import create_user
from mailapp.server.db import bump_modseq, make_engine, migrate, session_scope
from mailapp.server.delivery import UNKNOWN_OUTCOME, DeliveryConfig, DeliveryWorker
from mailapp.server.delivery_models import JobPhase, JobState, LocalDelivery, RelayJob
from mailapp.server.models import Draft, Email, Mailbox, Submission, SubmissionState, identity
from mailapp.server.smtp_relay import RelayResult
from tests.server.conftest import RunningServer, User

WAIT = 20.0
FAST_ENV = {
    "MAILAPP_DELIVERY_POLL": "0.1",
    "MAILAPP_RELAY_BACKOFF": "0.05",
    "MAILAPP_SMTP_TIMEOUT": "5",
}


# -- a real SMTP relay on loopback ----------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes


@dataclass
class RelayHandler:
    """aiosmtpd handler: records accepted messages; can fail on purpose."""

    received: list[Received] = field(default_factory=list)
    data_failures: int = 0  # answer DATA with 421 this many times first
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> RCPT reply
    attempts: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.attempts += 1
        if self.data_failures > 0:
            self.data_failures -= 1
            return "421 4.3.2 Service not available, try again later"
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        return "250 2.0.0 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def smtp_relay(handler: RelayHandler, port: int | None = None) -> Iterator[str]:
    port = port or free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def wait_until(predicate: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# -- end to end: the client pushes, the app's background worker delivers --------------------------


@pytest.fixture
def fast_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAST_ENV.items():
        monkeypatch.setenv(name, value)


def address(user: User) -> str:
    return f"{user.name}@example.org"


def push_send(
    user: User,
    to: list[str],
    *,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    subject: str = "Hello",
    body: str = "Hi there,\n\nsee you soon.\n",
    send_at: datetime | None = None,
) -> tuple[str, str]:
    """Push draft.upsert + submission.create as a client does; returns (draft id, submission id)."""
    draft_id, submission_id = str(uuid.uuid4()), str(uuid.uuid4())

    def addrs(values: list[str] | None) -> dict[str, Any]:
        return {"old": None, "new": [{"name": None, "email": v} for v in values or []]}

    fields = {"to": addrs(to), "subject": {"old": None, "new": subject}}
    fields["body"] = {"old": None, "new": body}
    if cc:
        fields["cc"] = addrs(cc)
    if bcc:
        fields["bcc"] = addrs(bcc)
    response = push(
        user,
        [
            {"type": "draft.upsert", "args": {"draftId": draft_id, "fields": fields}},
            {
                "type": "submission.create",
                "args": {
                    "submissionId": submission_id,
                    "draftId": draft_id,
                    "sendAt": send_at.isoformat() if send_at else None,
                },
            },
        ],
    )
    assert [r["status"] for r in response["results"]] == ["applied", "applied"], response
    return draft_id, submission_id


_mutation_ids: dict[str, int] = {}


def push(user: User, mutations: list[dict[str, Any]]) -> dict[str, Any]:
    client_id = f"test-{user.account_id}"
    numbered = []
    for mutation in mutations:
        _mutation_ids[client_id] = _mutation_ids.get(client_id, 0) + 1
        numbered.append({"mutationId": _mutation_ids[client_id], **mutation})
    response = user.client.post("/v1/sync", json={"clientId": client_id, "mutations": numbered})
    assert response.status_code == 200, response.text
    return dict(response.json())


def records(user: User, kind: str) -> dict[str, dict[str, Any]]:
    """Every live record of `kind` in the account, from the change feed, by id."""
    found: dict[str, dict[str, Any]] = {}
    since = "0"
    for _ in range(100):
        page = user.client.get("/v1/changes", params={"since": since}).json()
        for record in page[kind]["created"] + page[kind]["updated"]:
            found[record["id"]] = record
        for gone in page[kind]["destroyed"]:
            found.pop(gone, None)
        since = page["newState"]
        if not page.get("hasMore"):
            return found
    raise AssertionError("change feed never ended")


def mailbox_messages(user: User, role: str) -> list[dict[str, Any]]:
    boxes = {b["id"] for b in records(user, "mailboxes").values() if b["role"] == role}
    return [e for e in records(user, "emails").values() if e["mailboxId"] in boxes]


def submission_state(user: User, submission_id: str) -> dict[str, Any]:
    # A record changed while the feed is read can miss that read (the next sync has it).
    return records(user, "submissions").get(submission_id, {"state": None})


def wait_for_state(user: User, submission_id: str, *states: str) -> dict[str, Any]:
    return wait_until(
        lambda: (s := submission_state(user, submission_id))["state"] in states and s,
        f"submission in {states}",
    )


@pytest.fixture
def relay() -> Iterator[tuple[RelayHandler, str]]:
    handler = RelayHandler()
    with smtp_relay(handler) as url:
        yield handler, url


def test_outside_recipients_get_the_exact_message_through_the_relay(
    server_factory: Callable[..., RunningServer],
    fast_delivery: None,
    relay: tuple[RelayHandler, str],
) -> None:
    handler, url = relay
    server = server_factory(smtp_relay_url=url)
    alice = server.new_user("alice")
    draft_id, submission_id = push_send(
        alice,
        ["bob@remote.example"],
        cc=["carol@remote.example"],
        bcc=["dave@elsewhere.example"],
        subject="Quarterly numbers",
    )
    sent = wait_for_state(alice, submission_id, "sent", "failed")
    assert sent["state"] == "sent", sent
    # One SMTP transaction per recipient domain, each with exactly its envelope.
    envelopes = sorted((r.mail_from, sorted(r.rcpt_tos)) for r in handler.received)
    assert envelopes == [
        (address(alice), ["bob@remote.example", "carol@remote.example"]),
        (address(alice), ["dave@elsewhere.example"]),
    ]
    # The Sent copy holds the message as it was frozen (the submission keeps no second copy).
    frozen = alice.client.get(f"/v1/messages/{sent['sentEmailId']}/raw").content
    with session_scope(server.engine, write=False) as session:
        row = session.scalars(select(Submission).where(Submission.id == submission_id)).one()
        assert row.mime is None
    for received in handler.received:
        assert received.content.rstrip(b"\r\n") == frozen.rstrip(b"\r\n")
        message = BytesParser(policy=policy.default).parsebytes(received.content)
        assert message["Subject"] == "Quarterly numbers"
        assert message["To"] == "bob@remote.example"
        assert message["Bcc"] is None  # Bcc travels in the envelope only
        assert message.get_content().replace("\r\n", "\n").strip() == "Hi there,\n\nsee you soon."
    # The sender sees it in Sent, read, and the draft is gone.
    sent_copies = mailbox_messages(alice, "sent")
    assert [(e["subject"], e["keywords"]) for e in sent_copies] == [
        ("Quarterly numbers", ["$seen"])
    ]
    assert sent["sentEmailId"] == sent_copies[0]["id"]
    assert draft_id not in records(alice, "drafts")


def test_local_recipient_gets_it_in_inbox_exactly_once(
    server_factory: Callable[..., RunningServer],
    fast_delivery: None,
    relay: tuple[RelayHandler, str],
) -> None:
    handler, url = relay
    server = server_factory(smtp_relay_url=url)
    alice, bob = server.new_user("alice"), server.new_user("bob")
    _, submission_id = push_send(alice, [address(bob)], subject="Lunch?")
    assert wait_for_state(alice, submission_id, "sent", "failed")["state"] == "sent"
    inbox = mailbox_messages(bob, "inbox")
    assert [(e["subject"], e["keywords"]) for e in inbox] == [("Lunch?", [])]
    assert inbox[0]["from"] == [{"name": None, "email": address(alice)}]
    assert [e["subject"] for e in mailbox_messages(alice, "sent")] == ["Lunch?"]
    assert handler.received == []  # local mail never leaves the server
    # More worker passes (as after a restart) deliver nothing again.
    worker = DeliveryWorker(server.engine, local_domain="example.org", relay_url=url)
    for _ in range(3):
        worker.run_once()
    assert len(mailbox_messages(bob, "inbox")) == 1
    assert len(mailbox_messages(alice, "sent")) == 1


def test_unknown_local_user_fails_with_the_reason(
    server_factory: Callable[..., RunningServer], fast_delivery: None
) -> None:
    server = server_factory()
    alice = server.new_user("alice")
    draft_id, submission_id = push_send(alice, ["nobody@example.org"])
    failed = wait_for_state(alice, submission_id, "sent", "failed")
    assert failed["state"] == "failed"
    assert "nobody@example.org" in failed["error"] and "no such user" in failed["error"]
    assert draft_id in records(alice, "drafts")  # kept, so the user can fix the address


def test_send_later_waits_until_send_at(
    server_factory: Callable[..., RunningServer],
    fast_delivery: None,
    relay: tuple[RelayHandler, str],
) -> None:
    handler, url = relay
    server = server_factory(smtp_relay_url=url)
    alice = server.new_user("alice")
    send_at = datetime.now(UTC) + timedelta(seconds=1.5)
    _, submission_id = push_send(alice, ["bob@remote.example"], send_at=send_at)
    time.sleep(0.5)
    assert submission_state(alice, submission_id)["state"] == "scheduled"
    assert handler.received == []
    assert wait_for_state(alice, submission_id, "sent", "failed")["state"] == "sent"
    assert datetime.now(UTC) >= send_at
    assert len(handler.received) == 1


def test_cancel_before_send_at_sends_nothing_and_after_is_refused(
    server_factory: Callable[..., RunningServer],
    fast_delivery: None,
    relay: tuple[RelayHandler, str],
) -> None:
    handler, url = relay
    server = server_factory(smtp_relay_url=url)
    alice = server.new_user("alice")
    send_at = datetime.now(UTC) + timedelta(seconds=1.5)
    _, undone = push_send(alice, ["bob@remote.example"], subject="Oops", send_at=send_at)
    result = push(alice, [{"type": "submission.cancel", "args": {"submissionId": undone}}])
    assert result["results"][0]["status"] == "applied"
    _, sent_now = push_send(alice, ["bob@remote.example"], subject="Fine")
    assert wait_for_state(alice, sent_now, "sent", "failed")["state"] == "sent"
    late = push(alice, [{"type": "submission.cancel", "args": {"submissionId": sent_now}}])
    assert late["results"][0]["status"] == "rejected"
    assert late["results"][0]["reason"] == "cannotUnsend"
    # Well past the cancelled one's send_at: only "Fine" ever left.
    wait_until(lambda: datetime.now(UTC) > send_at + timedelta(seconds=0.5), "send_at to pass")
    time.sleep(0.3)
    assert submission_state(alice, undone)["state"] == "cancelled"
    subjects = [
        BytesParser(policy=policy.default).parsebytes(r.content)["Subject"]
        for r in handler.received
    ]
    assert subjects == ["Fine"]


# -- the worker's steps against the database, with failures injected -----------------------------


class Clock:
    """The worker's idea of now; starts a little ahead so work queued "now" is due."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def queue_submission(
    engine: Engine, sender: str, to: list[str], *, send_at: datetime | None = None
) -> tuple[str, str]:
    """An account with a draft and a scheduled submission, as the sync endpoint leaves them."""
    with session_scope(engine) as session:
        account = create_user(session, sender, "password-123", email=f"{sender}@example.org")
        modseq = bump_modseq(session, account.id)
        draft = Draft(
            account_id=account.id,
            subject="Report",
            to=[{"name": None, "email": a} for a in to],
            body="The numbers are in.\n",
            created_modseq=modseq,
            updated_modseq=modseq,
        )
        session.add(draft)
        session.flush()
        modseq = bump_modseq(session, account.id)
        submission = Submission(
            account_id=account.id,
            draft_id=draft.id,
            send_at=send_at or datetime.now(UTC),
            envelope_rcpts=to,
            created_modseq=modseq,
            updated_modseq=modseq,
        )
        session.add(submission)
        session.flush()
        return account.id, submission.id


def load(engine: Engine, submission_id: str) -> tuple[Submission, list[RelayJob]]:
    with session_scope(engine, write=False) as session:
        sub = session.scalars(select(Submission).where(Submission.id == submission_id)).first()
        jobs = session.scalars(select(RelayJob).where(RelayJob.submission_id == submission_id))
        assert sub is not None
        return sub, list(jobs)


def sent_copies(engine: Engine, account_id: str) -> int:
    with session_scope(engine, write=False) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Email)
                .join(Mailbox, Mailbox.id == Email.mailbox_id)
                .where(Email.account_id == account_id, Mailbox.role == "sent")
            )
            or 0
        )


def worker_for(engine: Engine, url: str, clock: Clock, **kwargs: Any) -> DeliveryWorker:
    config = DeliveryConfig(backoff_base=1.0, backoff_cap=1.0, lease_seconds=60, smtp_timeout=5)
    return DeliveryWorker(
        engine, local_domain="example.org", relay_url=url, config=config, clock=clock, **kwargs
    )


def test_relay_refusing_connections_then_recovering_delivers_once(engine: Engine) -> None:
    port = free_port()
    clock = Clock()
    account_id, submission_id = queue_submission(engine, "alice", ["bob@remote.example"])
    worker = worker_for(engine, f"smtp://127.0.0.1:{port}", clock)
    worker.run_once()  # nobody listens on the port yet
    sub, [job] = load(engine, submission_id)
    assert (sub.state, job.state, job.attempts) == (SubmissionState.sending, "queued", 1)
    assert "cannot reach relay" in (job.last_error or "")
    handler = RelayHandler(data_failures=1)  # then it answers 421 once
    with smtp_relay(handler, port):
        assert worker.run_once() == 0  # backing off: nothing is due yet
        clock.advance(5)
        worker.run_once()
        sub, [job] = load(engine, submission_id)
        assert (job.state, job.attempts, handler.attempts) == ("queued", 2, 1)
        assert job.last_error is not None and job.last_error.startswith("421")
        clock.advance(5)
        worker.run_once()
        clock.advance(5)
        worker.run_once()
    sub, [job] = load(engine, submission_id)
    assert (sub.state, job.state, job.attempts) == (SubmissionState.sent, "sent", 3)
    assert [r.rcpt_tos for r in handler.received] == [["bob@remote.example"]]
    assert sent_copies(engine, account_id) == 1


def test_permanent_refusal_fails_the_submission_with_the_reason(engine: Engine) -> None:
    handler = RelayHandler(refuse={"ghost@remote.example": "550 5.1.1 No such mailbox"})
    account_id, submission_id = queue_submission(engine, "alice", ["ghost@remote.example"])
    with smtp_relay(handler) as url:
        worker_for(engine, url, Clock()).run_once()
    sub, [job] = load(engine, submission_id)
    assert (sub.state, job.state) == (SubmissionState.failed, "failed")
    assert "550 5.1.1 No such mailbox" in (sub.error or "")
    assert handler.received == []
    assert sent_copies(engine, account_id) == 0
    with session_scope(engine, write=False) as session:
        draft = session.get(Draft, identity(Draft, sub.account_id, sub.draft_id))
        assert draft is not None and draft.destroyed_modseq is None


def test_send_later_is_not_picked_before_send_at(engine: Engine) -> None:
    clock = Clock()
    handler = RelayHandler()
    _, submission_id = queue_submission(
        engine, "alice", ["bob@remote.example"], send_at=clock.now + timedelta(minutes=10)
    )
    with smtp_relay(handler) as url:
        worker = worker_for(engine, url, clock)
        assert worker.run_once() == 0
        assert load(engine, submission_id)[0].state == SubmissionState.scheduled
        clock.advance(601)
        worker.run_once()
    assert load(engine, submission_id)[0].state == SubmissionState.sent
    assert len(handler.received) == 1


class SimulatedCrash(BaseException):
    """Stands for the worker process dying at this point (not an Exception: nothing catches it)."""


def test_crash_after_relay_accepted_does_not_send_twice(engine: Engine) -> None:
    clock = Clock()
    handler = RelayHandler()
    account_id, submission_id = queue_submission(engine, "alice", ["bob@remote.example"])

    def die(job: RelayJob, result: RelayResult) -> None:
        raise SimulatedCrash

    with smtp_relay(handler) as url:
        with pytest.raises(SimulatedCrash):
            worker_for(engine, url, clock, after_relay=die).run_once()
        assert len(handler.received) == 1  # the relay has it; our bookkeeping does not
        sub, [job] = load(engine, submission_id)
        assert (sub.state, job.state, job.phase) == (SubmissionState.sending, "sending", "data")
        # Another worker starts; before the lease runs out it leaves the job alone.
        survivor = worker_for(engine, url, clock)
        assert survivor.run_once() == 0
        clock.advance(61)
        survivor.run_once()
        for _ in range(3):
            clock.advance(61)
            survivor.run_once()
    assert len(handler.received) == 1
    sub, [job] = load(engine, submission_id)
    assert (sub.state, job.state) == (SubmissionState.sent, JobState.sent.value)
    assert job.last_error == UNKNOWN_OUTCOME
    assert UNKNOWN_OUTCOME in (sub.error or "")  # the user is told what was assumed
    assert sent_copies(engine, account_id) == 1


def test_crash_before_data_is_retried_and_delivered_once(engine: Engine) -> None:
    clock = Clock()
    handler = RelayHandler()
    _, submission_id = queue_submission(engine, "alice", ["bob@remote.example"])
    with smtp_relay(handler) as url:
        worker = worker_for(engine, url, clock)
        worker.dispatch_next()
        claimed = worker._claim_job()  # the worker took the job, then died before connecting
        assert claimed is not None and claimed[0].phase == JobPhase.connecting.value
        clock.advance(61)
        worker.run_once()
        clock.advance(61)
        worker.run_once()
    assert len(handler.received) == 1
    sub, [job] = load(engine, submission_id)
    assert (sub.state, job.state, job.attempts) == (SubmissionState.sent, "sent", 2)
    assert job.last_error is None


def test_local_delivery_is_recorded_once_per_recipient(engine: Engine, tmp_path: Path) -> None:
    with session_scope(engine) as session:
        bob = create_user(session, "bob", "password-123", email="bob@example.org")
        bob_id = bob.id
    _, submission_id = queue_submission(engine, "alice", ["bob@example.org", "BOB@example.org"])
    worker = worker_for(engine, "smtp://127.0.0.1:9", Clock())
    for _ in range(3):
        worker.run_once()
    with session_scope(engine, write=False) as session:
        deliveries = session.scalars(
            select(LocalDelivery).where(LocalDelivery.submission_id == submission_id)
        ).all()
        inbox = session.scalar(
            select(func.count()).select_from(Email).where(Email.account_id == bob_id)
        )
    assert [(d.recipient, d.account_id) for d in deliveries] == [("bob@example.org", bob_id)]
    assert inbox == 1
    assert load(engine, submission_id)[0].state == SubmissionState.sent


def test_two_workers_racing_deliver_each_submission_once(engine: Engine) -> None:
    handler = RelayHandler()
    with session_scope(engine) as session:
        bob_id = create_user(session, "bob", "password-123", email="bob@example.org").id
    submissions = [
        queue_submission(engine, f"sender{n}", ["bob@example.org", f"x{n}@remote.example"])[1]
        for n in range(8)
    ]
    errors: list[BaseException] = []

    def work(worker: DeliveryWorker) -> None:
        try:
            for _ in range(40):
                worker.run_once()
                if all(load(engine, s)[0].state == SubmissionState.sent for s in submissions):
                    return
        except BaseException as exc:
            errors.append(exc)

    with smtp_relay(handler) as url:
        clock = Clock()
        threads = [
            threading.Thread(target=work, args=(worker_for(engine, url, clock),)) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert all(load(engine, s)[0].state == SubmissionState.sent for s in submissions)
    assert sorted(r.rcpt_tos[0] for r in handler.received) == [
        f"x{n}@remote.example" for n in range(8)
    ]
    with session_scope(engine, write=False) as session:
        inbox = session.scalar(
            select(func.count()).select_from(Email).where(Email.account_id == bob_id)
        )
    assert inbox == 8
