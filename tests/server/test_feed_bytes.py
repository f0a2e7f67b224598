"""The change feed's answer, built as JSON straight from the rows, is byte for byte what the
pydantic models make of the same records (the way the server answered before), and what the
client's strict parse accepts: on SQLite and PostgreSQL, for records with every odd value the
database can hold (names a header could be broken with, encoded words, non-ASCII, attachments,
unsorted keywords, JSON null, extra keys), on every page, through GET /v1/changes and a pull
with POST /v1/sync."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert, update

from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.models import (
    SYNCED_MODELS,
    Account,
    Email,
    Mailbox,
    Submission,
    SubmissionState,
    identity,
)
from mailapp.server.routes.records import record_model
from mailapp.sync.client import ApiClient
from mailapp.wire import Changes, SyncResponse
from tests.server.conftest import RunningServer, User

ODD_NAMES = [
    "Zoë Ünïcödé 日本",
    "line\r\nBcc: victim@example.org",
    "=?utf-8?q?Bob=0D=0ABcc:_x@y?=",
    "tab\tand\x7fdel\u2028sep",
    "nbsp\xa0name",
]


def _message(n: int, name: str) -> bytes:
    """A message whose From name is `name`, carried in an encoded word (so line breaks and
    control characters reach the parser), with an attachment on every third."""
    encoded = base64.b64encode(name.encode()).decode()
    sender = f"=?utf-8?b?{encoded}?= <from{n}@example.net>" if n % 2 else f"from{n}@example.net"
    headers = [
        f"From: {sender}",
        "To: Me <me@example.org>, other@example.org",
        "Cc: =?utf-8?q?Zo=C3=AB?= <zoe@example.org>",
        f"Subject: Subject {n} =?utf-8?q?=C3=BCn=C3=AFcode?=",
        f"Message-ID: <m{n}@example.net>",
        "Date: Fri, 04 Dec 2026 10:00:00 +0100",
        "MIME-Version: 1.0",
    ]
    if n:
        headers += [f"In-Reply-To: <m{n - 1}@example.net>"]
        headers += [f"References: <m0@example.net> <m{n - 1}@example.net>"]
    if n % 3:
        headers += ["Content-Type: text/plain; charset=utf-8", "", f"Body {n}", "with text"]
    else:
        headers += [
            'Content-Type: multipart/mixed; boundary="b"',
            "",
            "--b",
            "Content-Type: text/plain; charset=utf-8",
            "",
            f"Body {n}",
            "--b",
            f'Content-Type: application/pdf; name="file-{n}.pdf"',
            f'Content-Disposition: attachment; filename="file-{n}.pdf"',
            "Content-Transfer-Encoding: base64",
            "",
            base64.b64encode(b"%PDF-1.4 data").decode(),
            "--b--",
        ]
    return ("\r\n".join(headers) + "\r\n").encode()


def _fill(server: RunningServer, user: User) -> None:
    """Mail as delivery stores it, rows with what only the database could hold, drafts,
    a submission, tombstones, and several records sharing one modseq."""
    for n, name in enumerate(ODD_NAMES * 2):
        server.deliver(user.account_id, _message(n, name))
    now = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    with session_scope(server.engine) as session:
        inbox = session.query(Mailbox).filter_by(account_id=user.account_id, role="inbox").one()
        modseq = bump_modseq(session, user.account_id)
        odd = {
            "account_id": user.account_id,
            "mailbox_id": inbox.id,
            "message_id": None,
            "subject": "",
            "size": 0,
            "preview": "",
            "received_at": now,
            "created_modseq": modseq,
            "updated_modseq": modseq,
        }
        rows = [
            {
                **odd,
                "id": str(uuid.uuid4()),
                "keywords": ["$seen", "$answered", "$flagged"],
                "in_reply_to": None,
                "references": None,
                "from_": [{"email": "noname@example.net"}],
                "to": [{"name": "Extra", "email": "x@example.net", "comment": "kept out"}],
                "sender": [{"name": "\x1b[31mred", "email": "a\u2028b@example.net"}],
                "cc": [],
                "bcc": None,
                "reply_to": [],
                "attachments": [
                    {"partId": "2", "name": None, "contentType": "text/plain", "size": 5}
                ],
                "date": datetime(2000, 1, 1, tzinfo=UTC),
            },
            {
                **odd,
                "id": str(uuid.uuid4()),
                "keywords": [],
                "in_reply_to": [],
                "references": [],
                "from_": [],
                "to": [],
                "sender": [],
                "cc": [],
                "bcc": [],
                "reply_to": [],
                "attachments": [],
                "date": now,
            },
        ]
        session.execute(insert(Email), rows)
        session.add(
            Submission(
                account_id=user.account_id,
                id=str(uuid.uuid4()),
                draft_id="d1",
                send_at=now,
                state=SubmissionState.failed,
                envelope_rcpts=["a@example.org", "b@example.org"],
                error="550 no\nsuch user",
                created_modseq=modseq,
                updated_modseq=modseq,
            )
        )
        # A tombstone beside the rest at the same modseq.
        first = session.query(Email).filter_by(account_id=user.account_id).first()
        assert first is not None
        session.execute(
            update(Email).where(Email.id == first.id).values(destroyed_modseq=modseq,
                                                             updated_modseq=modseq)
        )  # fmt: skip
        session.execute(
            update(Account).where(Account.id == user.account_id).values(modseq=modseq)
        )
    mutations = [
        {
            "mutationId": 1,
            "type": "draft.upsert",
            "args": {
                "draftId": "d1",
                "fields": {
                    "subject": {"new": "Draft — ü"},
                    "to": {"new": [{"name": "Zoë", "email": "zoe@example.org"}]},
                    "body": {"new": "text"},
                    "from": {"new": {"name": None, "email": user.name + "@example.org"}},
                },
            },
        },
        {"mutationId": 2, "type": "draft.upsert", "args": {"draftId": "d2", "fields": {}}},
        {"mutationId": 3, "type": "draft.destroy", "args": {"draftId": "d2"}},
        {
            "mutationId": 4,
            "type": "mailbox.create",
            "args": {"mailboxId": "box1", "name": "Projects ü"},
        },
    ]
    answer = user.client.post("/v1/sync", json={"clientId": "fill", "mutations": mutations})
    assert answer.status_code == 200, answer.text


def _expected(server: RunningServer, user: User, sent: bytes) -> bytes:
    """The same page built the old way: each record from its ORM row through the pydantic
    record builders, the whole dumped as FastAPI dumped a returned model."""
    page = json.loads(sent)
    changes = Changes(
        old_state=page["oldState"], new_state=page["newState"], has_more=page["hasMore"]
    )
    with session_scope(server.engine, write=False) as session:
        for kind, model in SYNCED_MODELS.items():
            bucket = getattr(changes, kind)
            bucket.destroyed.extend(page[kind]["destroyed"])
            for part in ("created", "updated"):
                for record in page[kind][part]:
                    row = session.get(model, identity(model, user.account_id, record["id"]))
                    getattr(bucket, part).append(record_model(row))
    return changes.model_dump_json(by_alias=True).encode()


@pytest.fixture
def server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory(max_changes_per_page=4)  # pulls page as GET /v1/changes?limit=4


def test_every_page_is_what_the_models_make_of_the_rows(server: RunningServer, user: User) -> None:
    _fill(server, user)
    client = ApiClient(server.url, token=user.token, allow_insecure_http=True)
    since, pages, records = "0", 0, 0
    while True:
        sent = user.client.get("/v1/changes", params={"since": since})
        assert sent.status_code == 200
        assert sent.headers["content-type"] == "application/json"
        assert sent.content == _expected(server, user, sent.content)
        parsed = client.parse_changes(sent.content)  # the client's strict parse takes it
        pulled = user.client.post("/v1/sync", json={"clientId": "c", "sinceState": since})
        expected_pull = SyncResponse(results=[], changes=parsed, new_state=parsed.new_state)
        assert pulled.content == expected_pull.model_dump_json(by_alias=True).encode()
        pages += 1
        records += len(parsed.emails.created) + len(parsed.emails.updated)
        since = parsed.new_state
        if not parsed.has_more:
            break
    client.close()
    assert pages >= 4
    assert records == 11  # 10 delivered + 2 inserted, one of them destroyed


def test_a_whole_page_and_a_page_of_nothing(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory()
    user = server.new_user("whole")
    _fill(server, user)
    sent = user.client.get("/v1/changes", params={"since": "0"})
    assert sent.content == _expected(server, user, sent.content)
    page: dict[str, Any] = json.loads(sent.content)
    assert len(page["emails"]["created"]) == 11
    assert {r["id"] for r in page["drafts"]["created"]} == {"d1"}
    assert len(page["submissions"]["created"]) == 1
    nothing = user.client.get("/v1/changes", params={"since": page["newState"]})
    assert nothing.content == _expected(server, user, nothing.content)
    assert json.loads(nothing.content)["emails"] == {"created": [], "updated": [], "destroyed": []}
