"""The sync cycle's fast lane (server/fast_lane.py) answers exactly what FastAPI answers.

GET /v1/changes and POST /v1/sync in their plain form (a token this worker checked lately,
arguments in their usual form, a body the wire model accepts) are answered by the lane; the
rest, errors of validation included, goes on to FastAPI with the request's body untouched.
Two servers on one database, one with the token cache off (so every request takes FastAPI's
path) and one as deployed, must give the same status, type and bytes for every request; and
the lane itself, driven directly, must answer the plain requests and pass on the others.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mailapp.server.auth import revoke_all_tokens, token_hash
from mailapp.server.db import make_engine, migrate, session_scope
from mailapp.server.fast_lane import FastLane
from mailapp.server.routes.deps import cached_auth
from mailapp.server.routes.sync import changes_json
from tests.server.conftest import RunningServer, User


def _answer(response: httpx.Response) -> tuple[int, str, Any]:
    return response.status_code, response.headers["content-type"], response.content


def _same(lane: httpx.Client, plain: httpx.Client, method: str, url: str, **kw: Any) -> Any:
    """The request on both servers (the plain one first: a push is applied once, the lane's
    then answers its retry from the stored results): same status, media type and bytes."""
    expected = _answer(plain.request(method, url, **kw))
    got = _answer(lane.request(method, url, **kw))
    assert got == expected, (method, url, kw)
    return json.loads(got[2]) if got[2] else None


def test_the_lane_answers_byte_for_byte_as_fastapi(
    server_factory: Callable[..., RunningServer],
) -> None:
    lane = server_factory(max_mutations_per_sync=5)
    plain = server_factory(max_mutations_per_sync=5, token_cache_seconds=0)
    user = lane.new_user("alice")
    ids = [lane.deliver(user.account_id, subject=f"Hello {n}") for n in range(3)]
    on_lane = lane.client(user.token)
    on_plain = plain.client(user.token)
    assert on_lane.get("/v1/changes").status_code == 200  # the token is now in the cache

    first = _same(on_lane, on_plain, "GET", "/v1/changes")
    top = first["newState"]
    queries = ["since=0", "since=0&limit=1", f"since={top}", f"since={int(top) - 1}"]
    queries += [f"limit=2&since={int(top) - 2}", f"since={int(top) + 5}", "since=0.0"]
    for query in queries:
        _same(on_lane, on_plain, "GET", f"/v1/changes?{query}")
    # Refused arguments: FastAPI's own 422 (the lane passes them on).
    for query in ("since=abc", "since=", "limit=0", "since=1&since=2", "since=%31"):
        assert on_lane.get(f"/v1/changes?{query}").status_code in (200, 422)
        _same(on_lane, on_plain, "GET", f"/v1/changes?{query}")

    def sync(since: str | None, mutations: list[Any]) -> dict[str, Any]:
        return {"clientId": "dev", "sinceState": since, "mutations": mutations}

    for body in (sync(None, []), sync("0", []), sync(top, []), sync(str(int(top) + 9), [])):
        _same(on_lane, on_plain, "POST", "/v1/sync", json=body)
    flag = {"emailId": ids[0], "add": ["$flagged"]}
    push = sync(top, [{"mutationId": 1, "type": "email.keywords", "args": flag}])
    answer = _same(on_lane, on_plain, "POST", "/v1/sync", json=push)
    assert answer["results"][0]["status"] == "applied"
    too_many = sync(top, [{"mutationId": n, "type": "email.keywords", "args": flag}
                          for n in range(2, 9)])  # fmt: skip
    assert _same(on_lane, on_plain, "POST", "/v1/sync", json=too_many)["status"] == 413
    # Bodies FastAPI refuses: the same 400 and 422 problem documents.
    for content in (b"{", b"[]", b'{"clientId": 5}', b'{"clientId": "x", "mutations": "no"}',
                    b'{"clientId": "x", "sinceState": "1\\n"}', b""):  # fmt: skip
        headers = {"Content-Type": "application/json"}
        _same(on_lane, on_plain, "POST", "/v1/sync", content=content, headers=headers)
    _same(on_lane, on_plain, "POST", "/v1/sync", content=json.dumps(sync(top, [])))


def test_a_revoked_token_is_refused_on_the_lanes_next_request(server: RunningServer) -> None:
    alice = server.new_user("alice")
    assert alice.client.get("/v1/changes").status_code == 200
    assert alice.client.get("/v1/changes").status_code == 200  # answered from the cache
    with session_scope(server.engine) as session:
        revoke_all_tokens(session, alice.account_id)
    assert alice.client.get("/v1/changes").status_code == 401
    pull = {"clientId": "dev", "mutations": []}
    response = alice.client.post("/v1/sync", json=pull)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_one_account_never_reads_another_through_the_lane(server: RunningServer) -> None:
    alice, mallory = server.new_user("alice"), server.new_user("mallory")
    server.deliver(alice.account_id, subject="Alice's secret")
    for user in (alice, mallory, alice, mallory):  # the second round from the cache
        created = user.client.get("/v1/changes?since=0").json()["emails"]["created"]
        pulled = user.client.post("/v1/sync", json={"clientId": "d", "mutations": []}).json()
        subjects = [e["subject"] for e in created + pulled["changes"]["emails"]["created"]]
        assert subjects == (["Alice's secret"] * 2 if user is alice else [])


# --- the lane driven directly: what it answers, what it passes on ------------------------------


class Downstream:
    """Stands in for FastAPI behind the lane: records what reached it, answers 299."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(lane: FastLane, method: str, target: str, token: str, body: bytes = b"",
          headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, bytes]:  # fmt: skip
    path, _, query = target.partition("?")
    chunks = [body[:3], body[3:]] if body else [b""]  # a body in two parts, as a socket gives
    if headers is None:
        headers = [(b"content-type", b"application/json")] if method == "POST" else []
    scope = {
        "type": "http", "method": method, "path": path, "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"authorization", f"Bearer {token}".encode()), *headers],
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(lane(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def lane_and_token(server: RunningServer, user: User) -> Iterator[tuple[FastLane, Downstream, str]]:
    assert user.client.get("/v1/session").status_code == 200
    engine = make_engine(server.settings.database_url)
    migrate(engine)
    downstream = Downstream()
    # The test process's cache is the server's (an embedded server): the token is in it.
    assert cached_auth(server.settings, token_hash(user.token)) is not None
    yield FastLane(downstream, server.settings, engine), downstream, user.token
    engine.dispose()


def test_the_lane_answers_plain_requests_itself(
    lane_and_token: tuple[FastLane, Downstream, str], server: RunningServer, user: User
) -> None:
    lane, downstream, token = lane_and_token
    status, body = _call(lane, "GET", "/v1/changes?since=0&limit=3", token)
    auth = cached_auth(server.settings, token_hash(token))
    assert auth is not None and auth.account_id == user.account_id
    assert (status, body) == (200, changes_json(auth, lane.engine, lane.settings, "0", 3))
    pull = json.dumps({"clientId": "d", "sinceState": "0", "mutations": []}).encode()
    status, body = _call(lane, "POST", "/v1/sync", token, pull)
    assert status == 200 and json.loads(body)["newState"]
    status, body = _call(lane, "GET", "/v1/changes?since=999999", token)
    assert status == 410 and json.loads(body)["type"].endswith("cannotCalculateChanges")
    assert downstream.bodies == []


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        ("GET", "/v1/changes?since=x", b""),
        ("GET", "/v1/changes?since=1&other=2", b""),
        ("GET", "/v1/changes?limit=+1", b""),
        ("GET", "/v1/changes/", b""),
        ("POST", "/v1/sync", b'{"clientId": "d", "mutations": "no"}'),
        ("POST", "/v1/sync", b'{"clientId": "d", "sinceState": 5}'),
        ("POST", "/v1/sync", b"{not json"),
        ("POST", "/v1/sync", b""),
    ],
)
def test_the_lane_passes_on_what_fastapi_must_judge_body_intact(
    lane_and_token: tuple[FastLane, Downstream, str], method: str, target: str, body: bytes
) -> None:
    lane, downstream, token = lane_and_token
    assert _call(lane, method, target, token, body)[0] == 299
    assert downstream.bodies == [body]


def test_the_lane_passes_on_unknown_tokens_and_other_media_types(
    lane_and_token: tuple[FastLane, Downstream, str],
) -> None:
    lane, downstream, token = lane_and_token
    pull = b'{"clientId": "d", "mutations": []}'
    assert _call(lane, "GET", "/v1/changes", "not-a-known-token")[0] == 299
    assert _call(lane, "POST", "/v1/sync", token, pull, headers=[])[0] == 299
    text = [(b"content-type", b"text/plain")]
    assert _call(lane, "POST", "/v1/sync", token, pull, headers=text)[0] == 299
    assert downstream.bodies == [b"", pull, pull]
