"""One account must not be able to stall everyone else's writes (issue 13, High).

A draft with 40,000 Bcc addresses used to hold a sync request for 92 s (recipients were
de-duplicated in quadratic time inside the write transaction) and the delivery worker for
about 100 s more, while other users' writes failed with a 500 "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from mailapp.server.db import session_scope
from mailapp.server.delivery_models import LocalDelivery
from tests.security.conftest import RunningServer, User
from tests.server.test_delivery import (
    FAST_ENV,
    RelayHandler,
    push,
    records,
    smtp_relay,
    submission_state,
    wait_for_state,
    wait_until,
)

# Generous bounds: they separate "answered at once" from "held for a minute", nothing finer.
PROMPT = 5.0


@pytest.fixture
def fast_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAST_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def relay() -> Iterator[tuple[RelayHandler, str]]:
    handler = RelayHandler()
    with smtp_relay(handler) as url:
        yield handler, url


def addresses(emails: list[str]) -> dict[str, Any]:
    return {"old": None, "new": [{"name": None, "email": e} for e in emails]}


def draft_and_send(
    draft_id: str, *, to: list[str], bcc: list[str] | None = None, send_at: datetime | None = None
) -> list[dict[str, Any]]:
    fields = {"to": addresses(to), "subject": {"old": None, "new": "Hello"}}
    if bcc:
        fields["bcc"] = addresses(bcc)
    return [
        {"type": "draft.upsert", "args": {"draftId": draft_id, "fields": fields}},
        {
            "type": "submission.create",
            "args": {
                "submissionId": str(uuid.uuid4()),
                "draftId": draft_id,
                "sendAt": send_at.isoformat() if send_at else None,
            },
        },
    ]


def test_forty_thousand_bcc_are_refused_at_once_with_the_limit_named(
    server: RunningServer, user: User
) -> None:
    draft_id = str(uuid.uuid4())
    bcc = [f"r{n}@remote.example" for n in range(40_000)]
    saved, send = draft_and_send(draft_id, to=["a@remote.example"], bcc=bcc)
    # Saving such a draft is allowed (and linear); sending it is what is refused.
    answer = user.client.post(
        "/v1/sync", json={"clientId": "c", "mutations": [{"mutationId": 1, **saved}]}
    )
    assert answer.json()["results"][0]["status"] == "applied"

    started = time.monotonic()
    refused = user.client.post(
        "/v1/sync",
        json={
            "clientId": "c",
            "sinceState": answer.json()["newState"],
            "mutations": [{"mutationId": 2, **send}],
        },
    )
    elapsed = time.monotonic() - started

    (result,) = refused.json()["results"]
    assert result["status"] == "rejected"
    assert result["reason"] == "tooManyRecipients"
    assert "40001 recipients" in result["detail"] and "at most 500" in result["detail"]
    assert records(user, "submissions") == {}
    assert elapsed < PROMPT, f"submission.create took {elapsed:.1f} s"


def test_the_recipient_cap_is_configurable_and_reported(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(max_recipients_per_message=3)
    user = server.new_user()
    limits = user.client.get("/v1/session").json()["limits"]
    assert limits["maxRecipientsPerMessage"] == 3

    # Duplicates (in any case) count once: three distinct addresses are allowed.
    three = ["a@remote.example", "B@remote.example"]
    ok = push(
        user, draft_and_send(str(uuid.uuid4()), to=three, bcc=["b@REMOTE.example", "c@x.example"])
    )
    assert [r["status"] for r in ok["results"]] == ["applied", "applied"]
    (created,) = records(user, "submissions").values()
    assert created["envelopeRecipients"] == ["a@remote.example", "B@remote.example", "c@x.example"]

    four = push(
        user, draft_and_send(str(uuid.uuid4()), to=three, bcc=["c@x.example", "d@x.example"])
    )
    assert four["results"][1]["reason"] == "tooManyRecipients"


def test_sends_per_hour_are_limited_with_a_clear_reason(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(max_sends_per_hour=2)
    user = server.new_user()
    assert user.client.get("/v1/session").json()["limits"]["maxSendsPerHour"] == 2
    later = datetime.now(UTC) + timedelta(days=1)
    for _ in range(2):
        sent = push(user, draft_and_send(str(uuid.uuid4()), to=["a@remote.example"], send_at=later))
        assert sent["results"][1]["status"] == "applied"
    third = push(user, draft_and_send(str(uuid.uuid4()), to=["a@remote.example"], send_at=later))
    assert third["results"][1]["status"] == "rejected"
    assert third["results"][1]["reason"] == "tooManySends"
    assert "try again later" in third["results"][1]["detail"]
    # The limit is per account: someone else still sends.
    other = server.new_user()
    theirs = push(other, draft_and_send(str(uuid.uuid4()), to=["a@remote.example"], send_at=later))
    assert theirs["results"][1]["status"] == "applied"


def test_recipients_added_after_scheduling_fail_the_send_with_the_reason(
    server_factory: Callable[..., RunningServer], fast_delivery: None
) -> None:
    server = server_factory(max_recipients_per_message=5)
    user = server.new_user()
    draft_id = str(uuid.uuid4())
    soon = datetime.now(UTC) + timedelta(seconds=2)
    scheduled = push(user, draft_and_send(draft_id, to=["a@remote.example"], send_at=soon))
    assert scheduled["results"][1]["status"] == "applied"
    (submission,) = records(user, "submissions").values()
    submission_id = submission["id"]
    grown = [f"r{n}@remote.example" for n in range(50)]
    edit = {"bcc": {"old": None, "new": [{"name": None, "email": e} for e in grown]}}
    answer = push(user, [{"type": "draft.upsert", "args": {"draftId": draft_id, "fields": edit}}])
    assert answer["results"][0]["status"] == "applied"

    failed = wait_for_state(user, submission_id, "failed", "sent")
    assert failed["state"] == "failed"
    assert "51 recipients" in failed["error"] and "at most 5" in failed["error"]


def _sqlite_path(server: RunningServer) -> str:
    path = make_url(server.settings.database_url).database
    assert path
    return path


def test_a_busy_database_answers_503_with_retry_after_never_500(
    backend: str, server_factory: Callable[..., RunningServer]
) -> None:
    if backend != "sqlite":
        pytest.skip("the write lock held from outside is SQLite's")
    server = server_factory(sqlite_busy_timeout=0.3)
    user = server.new_user()
    create = {"type": "mailbox.create", "args": {"mailboxId": str(uuid.uuid4()), "name": "X"}}
    # Someone else holds the write lock longer than the server is willing to wait.
    blocker = sqlite3.connect(_sqlite_path(server), isolation_level=None, timeout=5)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        busy = user.client.post(
            "/v1/sync", json={"clientId": "c", "mutations": [{"mutationId": 1, **create}]}
        )
        assert busy.status_code == 503, busy.text
        assert busy.headers["content-type"] == "application/problem+json"
        assert busy.json()["type"].endswith("/serverBusy")
        assert int(busy.headers["Retry-After"]) > 0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    # Nothing was applied: the retry applies the mutation once.
    retry = user.client.post(
        "/v1/sync", json={"clientId": "c", "mutations": [{"mutationId": 1, **create}]}
    )
    assert retry.status_code == 200
    assert retry.json()["results"][0]["status"] == "applied"


def test_another_user_writes_promptly_while_a_maximal_message_is_sent(
    server_factory: Callable[..., RunningServer],
    fast_delivery: None,
    relay: tuple[RelayHandler, str],
) -> None:
    handler, url = relay
    attachment = 1024 * 1024  # the message is as large as the (lowered) cap allows
    server = server_factory(smtp_relay_url=url, max_message_bytes=attachment + 64 * 1024)
    sender, bystander = server.new_user("sender"), server.new_user("bystander")
    cap = server.settings.max_recipients_per_message
    local_names = [f"local-{n}-{uuid.uuid4().hex[:6]}" for n in range(20)]
    for name in local_names:
        server.add_user(name, "pw-not-used")
    local = [f"{name}@example.org" for name in local_names]
    # Two domains of 240 recipients each: more than one SMTP transaction may carry.
    remote = [f"r{n}@d{n % 2}.remote.example" for n in range(cap - len(local))]

    uploaded = sender.client.post(
        "/v1/blobs", content=b"\x89" * attachment, headers={"Content-Type": "image/png"}
    )
    assert uploaded.status_code == 201, uploaded.text
    draft_id = str(uuid.uuid4())
    mutations = draft_and_send(draft_id, to=local[:1], bcc=local[1:] + remote)
    mutations[0]["args"]["fields"]["attachments"] = {
        "old": None,
        "new": [
            {
                "name": "big.png",
                "contentType": "image/png",
                "size": attachment,
                "blobId": uploaded.json()["blobId"],
            }
        ],
    }

    latencies: list[float] = []
    statuses: list[int] = []
    done = threading.Event()

    def keep_writing() -> None:
        n = 0
        while not done.is_set() and n < 2000:
            n += 1
            create = {
                "type": "mailbox.create",
                "args": {"mailboxId": str(uuid.uuid4()), "name": f"f{n}"},
            }
            started = time.monotonic()
            response = bystander.client.post(
                "/v1/sync", json={"clientId": "b", "mutations": [{"mutationId": n, **create}]}
            )
            latencies.append(time.monotonic() - started)
            statuses.append(response.status_code)
            time.sleep(0.02)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        started = time.monotonic()
        answer = push(sender, mutations)
        push_seconds = time.monotonic() - started
        assert [r["status"] for r in answer["results"]] == ["applied", "applied"], answer
        (submission,) = records(sender, "submissions").values()
        final = wait_until(
            lambda: (
                # A record updated while the feed is read misses that read; the next has it.
                (r := submission_state(sender, submission["id"]))["state"]
                in ("sent", "failed")
                and r
            ),
            "the maximal message to be sent",
            timeout=120,
        )
    finally:
        done.set()
        writer.join(timeout=60)

    assert final["state"] == "sent", final
    assert push_seconds < PROMPT
    delivered = sorted(r for received in handler.received for r in received.rcpt_tos)
    assert delivered == sorted(remote)
    with session_scope(server.engine, write=False) as session:
        filed = session.scalars(
            select(LocalDelivery.recipient).where(LocalDelivery.submission_id == submission["id"])
        ).all()
    assert sorted(filed) == sorted(local)
    # No SMTP transaction carries more than 100 recipients (RFC 5321's minimum).
    assert sorted(len(received.rcpt_tos) for received in handler.received) == [
        40,
        40,
        100,
        100,
        100,
        100,
    ]
    assert statuses and set(statuses) == {200}, statuses
    assert max(latencies) < PROMPT, f"slowest write of the other user: {max(latencies):.2f} s"
