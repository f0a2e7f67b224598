"""POST /v1/bodies: many messages' bodies in one streamed, compressed answer, scoped and bounded."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import update

from mailapp.server.db import session_scope
from mailapp.server.models import Email, EmailBlob
from mailapp.server.routes import bodies as bodies_route
from mailapp.wire import MAX_BODIES_PER_REQUEST, BodiesEnd, BodyRecord
from tests.server.conftest import RunningServer, User
from tests.server.mime_samples import BOUNCE_WITHOUT_BOUNDARY


def _lines(response: httpx.Response) -> tuple[dict[str, BodyRecord], BodiesEnd]:
    lines = [json.loads(line) for line in response.text.splitlines() if line]
    *records, end = lines
    return (
        {r["id"]: BodyRecord.model_validate(r) for r in records},
        BodiesEnd.model_validate(end),
    )


def test_bodies_come_in_one_compressed_stream_and_only_the_accounts_own(
    server: RunningServer, user: User, other_user: User
) -> None:
    mine = [server.deliver(user.account_id, subject=f"Mine {n}") for n in range(3)]
    theirs = server.deliver(other_user.account_id, subject="Private to the other user")

    response = user.client.post(
        "/v1/bodies",
        json={"ids": [*mine, theirs, "no-such-message"]},
        headers={"Accept-Encoding": "gzip"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers["content-encoding"] == "gzip"
    records, end = _lines(response)
    assert set(records) == set(mine)
    assert records[mine[1]].text is not None and "Body of Mine 1" in records[mine[1]].text
    # Another user's message is simply absent, like one that never existed: no error, no leak.
    assert end.end and sorted(end.not_found) == sorted([theirs, "no-such-message"])
    assert end.omitted == []
    assert "Private" not in response.text


def test_too_many_ids_is_a_clear_problem(server: RunningServer, user: User) -> None:
    ids = [f"id-{n}" for n in range(MAX_BODIES_PER_REQUEST + 1)]
    response = user.client.post("/v1/bodies", json={"ids": ids})
    assert response.status_code == 413
    problem = response.json()
    assert problem["type"].endswith("tooManyIds")
    assert str(MAX_BODIES_PER_REQUEST) in problem["detail"]
    assert problem["limit"] == "maxBodiesPerRequest"


def test_bodies_need_a_token_and_refuse_an_empty_list(server: RunningServer, user: User) -> None:
    assert httpx.post(f"{server.url}/v1/bodies", json={"ids": ["x"]}).status_code == 401
    assert user.client.post("/v1/bodies", json={"ids": []}).status_code == 422


def test_bodies_are_worked_out_on_arrival_and_older_rows_are_parsed_when_asked(
    server: RunningServer, user: User
) -> None:
    fresh = server.deliver(user.account_id, subject="Fresh")
    older = server.deliver(user.account_id, subject="From before 0008")
    with session_scope(server.engine) as session:
        blob = session.get(EmailBlob, fresh)
        assert blob is not None and blob.bodies_parsed and "Body of Fresh" in (blob.text_body or "")
        # A row stored before the server kept bodies: no parsed text yet.
        session.execute(
            update(EmailBlob)
            .where(EmailBlob.email_id == older)
            .values(bodies_parsed=False, text_body=None, html_body=None)
        )

    records, _end = _lines(user.client.post("/v1/bodies", json={"ids": [fresh, older]}))
    assert "Body of From before 0008" in (records[older].text or "")
    single = user.client.get(f"/v1/messages/{older}/body").json()
    assert "Body of From before 0008" in single["text"]


def test_malformed_mime_still_has_a_body(server: RunningServer, user: User) -> None:
    broken = server.deliver(user.account_id, BOUNCE_WITHOUT_BOUNDARY)
    records, end = _lines(user.client.post("/v1/bodies", json={"ids": [broken]}))
    assert end.not_found == []
    # The text is all there is; it is the body, never a missing body or a 500.
    assert "permanent fatal errors" in (records[broken].text or "")


def test_many_chunks_keep_the_order_asked_and_skip_tombstones(
    server: RunningServer, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tiny query chunks and stream pieces: several of each in one answer.
    monkeypatch.setattr(bodies_route, "CHUNK", 3)
    monkeypatch.setattr(bodies_route, "PIECE_BYTES", 1)
    ids = [server.deliver(user.account_id, subject=f"Many {n}") for n in range(8)]
    gone, older = ids[2], ids[4]
    with session_scope(server.engine) as session:
        # A tombstone whose content is still stored: it is not the account's message anymore.
        session.execute(update(Email).where(Email.id == gone).values(destroyed_modseq=10**9))
        session.execute(
            update(EmailBlob)
            .where(EmailBlob.email_id == older)
            .values(bodies_parsed=False, text_body=None, html_body=None)
        )
    asked = list(reversed(ids))

    response = user.client.post("/v1/bodies", json={"ids": asked})

    lines = [json.loads(line) for line in response.text.splitlines() if line]
    assert [line["id"] for line in lines[:-1]] == [i for i in asked if i != gone]
    assert "Body of Many 4" in lines[asked.index(older)]["text"]
    assert lines[-1] == {"end": True, "notFound": [gone], "omitted": []}


def test_an_answer_past_its_byte_budget_lists_the_rest_as_omitted(
    server: RunningServer, user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bodies_route, "CHUNK", 2)
    monkeypatch.setattr(bodies_route, "BODIES_RESPONSE_BYTES", 1)
    ids = [server.deliver(user.account_id, subject=f"Budget {n}") for n in range(5)]

    records, end = _lines(user.client.post("/v1/bodies", json={"ids": ids}))

    # The first chunk always goes out (progress is guaranteed); the rest is for a next request.
    assert list(records) == ids[:2]
    assert end.omitted == ids[2:] and end.not_found == []
