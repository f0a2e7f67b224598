"""The authorization matrix. Every route, generated from app.routes, against:

- no token, a malformed one (empty, another scheme, junk, oversized, not ASCII), an unknown,
  a revoked (logged out, or signed out by the administrator) and an expired token: 401 with
  a problem document and `WWW-Authenticate: Bearer`, nothing of the victim's in the answer;
- another account's valid token: 404 for the victim's ids, exactly like a missing record;

and in every case the victim's data stays untouched."""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from sqlalchemy import update

from mailapp.server.app import create_app
from mailapp.server.auth import revoke_all_tokens
from mailapp.server.db import session_scope
from mailapp.server.models import Token
from tests.security.conftest import RunningServer, User


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    """Tests here only touch their own users: share one server per module."""
    return shared_server


# Signing in, and the health check that clients probe while the server is away (it reads no
# account and no database, so that probes fill no log with refusals).
PUBLIC = {("POST", "/v1/session"), ("GET", "/v1/health")}
PARAM = re.compile(r"{(\w+)}")


def api_routes(server: RunningServer) -> list[tuple[str, str]]:
    app = create_app(server.settings)
    # FastAPI >= 0.16x nests included routers; iter_route_contexts flattens them.
    found = [
        (method, context.path)
        for context in routing.iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in sorted(context.methods or ())
    ]
    # Logging out revokes the token in use: run it last. Before it, the sync: its mutations
    # create the caller's own draft, which the other routes would then rightly list (the app
    # matches POST /v1/sync first, so it is no longer last by chance).
    return sorted(
        found,
        key=lambda item: (item == ("DELETE", "/v1/session"), item == ("POST", "/v1/sync")),
    )


def victim_ids(server: RunningServer, victim: User) -> dict[str, str]:
    email_id = server.deliver(victim.account_id, subject="Victim secret")
    draft_id, submission_id = str(uuid.uuid4()), str(uuid.uuid4())
    fields = {"to": {"old": None, "new": [{"email": "x@example.org"}]}}
    body = victim.client.post(
        "/v1/sync",
        json={
            "clientId": "victim",
            "mutations": [
                {
                    "mutationId": 1,
                    "type": "draft.upsert",
                    "args": {"draftId": draft_id, "fields": fields},
                },
                {
                    "mutationId": 2,
                    "type": "submission.create",
                    "args": {
                        "submissionId": submission_id,
                        "draftId": draft_id,
                        "sendAt": "2099-01-01T00:00:00Z",
                    },
                },
            ],
        },
    ).json()
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]
    blob = victim.client.post(
        "/v1/blobs", content=b"secret", headers={"Content-Type": "text/plain"}
    ).json()
    inbox = next(
        m["id"] for m in victim.client.get("/v1/mailboxes").json()["items"] if m["role"] == "inbox"
    )
    return {
        "email_id": email_id,
        "mailbox_id": inbox,
        "draft_id": draft_id,
        "submission_id": submission_id,
        "blob_id": blob["blobId"],
        "part_id": "1",
    }


def request_for(method: str, path: str, ids: dict[str, str]) -> dict[str, Any]:
    url = PARAM.sub(lambda m: ids[m.group(1)], path)
    kwargs: dict[str, Any] = {"headers": {"If-Match": "*"}}
    if path == "/v1/sync":
        kwargs["json"] = {
            "clientId": "attacker",
            "mutations": [
                {
                    "mutationId": 1,
                    "type": "email.keywords",
                    "args": {"emailId": ids["email_id"], "add": ["$seen"]},
                },
                {"mutationId": 2, "type": "email.destroy", "args": {"emailId": ids["email_id"]}},
                {
                    "mutationId": 3,
                    "type": "submission.cancel",
                    "args": {"submissionId": ids["submission_id"]},
                },
                {
                    "mutationId": 4,
                    "type": "draft.upsert",
                    "args": {
                        "draftId": ids["draft_id"],
                        "fields": {"body": {"old": None, "new": "pwned"}},
                    },
                },
            ],
        }
    elif path == "/v1/blobs":
        kwargs["content"] = b"data"
    elif method in ("PUT", "PATCH") and "draft" in path:
        kwargs["json"] = {"subject": "pwned"}
    elif method == "PATCH":
        kwargs["json"] = {"addKeywords": ["$seen"], "mailboxId": ids["mailbox_id"]}
    return {"method": method, "url": url, **kwargs}


def send(client: httpx.Client, request: dict[str, Any]) -> tuple[int, str]:
    """Status and body; streams (event feeds) are closed after the headers."""
    with client.stream(**request) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, ""
        return response.status_code, response.read().decode("utf-8", "replace")


def victim_view(victim: User) -> dict[str, Any]:
    changes = victim.client.get("/v1/changes", params={"since": "0"}).json()
    return {"state": changes["newState"], "changes": changes}


def bad_credentials(server: RunningServer, owner: User) -> dict[str, dict[str, str | bytes]]:
    """Authorization headers that must not open anything, by kind."""
    logged_out = server.login(owner.name, owner.password)
    assert server.client(logged_out).delete("/v1/session").status_code == 204
    expired = server.login(owner.name, owner.password)
    with server.engine.begin() as conn:
        conn.execute(
            update(Token)
            .where(Token.revoked.is_(False))
            .where(Token.account_id == owner.account_id)
            .where(Token.expires_at > datetime.now(UTC) + timedelta(days=1))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    # Expiring touched every live token of the owner: sign in again for the ones still needed.
    signed_out = server.login(owner.name, owner.password)
    with session_scope(server.engine) as session:  # what `mailapp-server revoke-tokens` does
        assert revoke_all_tokens(session, owner.account_id) >= 1
    basic = base64.b64encode(f"{owner.name}:{owner.password}".encode()).decode()
    return {
        "none": {},
        "empty": {"Authorization": ""},
        "scheme only": {"Authorization": "Bearer"},
        "basic with the right password": {"Authorization": f"Basic {basic}"},
        "junk": {"Authorization": "Bearer not a token"},
        "oversized": {"Authorization": "Bearer " + "A" * 6000},
        "not ascii": {"Authorization": "Bearer tö✓ken".encode()},
        "unknown": {"Authorization": f"Bearer {secrets.token_urlsafe(32)}"},
        "logged out": {"Authorization": f"Bearer {logged_out}"},
        "expired": {"Authorization": f"Bearer {expired}"},
        "signed out by the administrator": {"Authorization": f"Bearer {signed_out}"},
    }


def test_every_route_refuses_every_bad_token(server: RunningServer) -> None:
    victim = server.new_user("victim")
    ids = victim_ids(server, victim)
    before = victim_view(victim)
    owner = server.new_user("owner")  # whose revoked and expired tokens are tried
    routes = [r for r in api_routes(server) if r not in PUBLIC]
    assert len(routes) >= 15
    tried = 0
    for kind, headers in bad_credentials(server, owner).items():
        client = server.client()
        for method, path in routes:
            request = request_for(method, path, ids)
            request["headers"] = {**request["headers"], **headers}
            with client.stream(**request) as response:
                body = response.read().decode("utf-8", "replace")
                where = (kind, method, path, response.status_code, body[:200])
                assert response.status_code == 401, where
                assert response.headers["content-type"] == "application/problem+json", where
                assert response.headers["www-authenticate"].lower().startswith("bearer"), where
                assert "Victim secret" not in body and ids["draft_id"] not in body, where
            tried += 1
    assert tried >= len(routes) * 11
    assert victim_view(victim) == before


def test_other_accounts_ids_are_not_found(
    server: RunningServer, user: User, other_user: User
) -> None:
    ids = victim_ids(server, user)
    before = victim_view(user)
    leaks = set(ids.values()) - {"1"}
    for method, path in api_routes(server):
        if (method, path) in PUBLIC:
            continue
        status, body = send(other_user.client, request_for(method, path, ids))
        if PARAM.search(path):
            assert status == 404, (method, path, status, body)
            assert body.startswith("{") and '"status":404' in body.replace(" ", "")
        else:
            assert status < 500, (method, path, status, body)
            if path == "/v1/sync":
                results = httpx.Response(status, content=body).json()["results"]
                statuses = [(r["status"], r.get("reason")) for r in results]
                assert statuses == [
                    ("rejected", "notFound"),
                    ("applied", None),  # destroying what is not there is a no-op
                    ("rejected", "notFound"),
                    # Drafts are keyed per account: the victim's id is a free id here, so this
                    # creates the attacker's own draft (tests/server/test_scoped_ids.py).
                    ("applied", None),
                ]
        # That new draft of the attacker's carries the id it chose itself: not a leak.
        own = {ids["draft_id"]} if path == "/v1/sync" else set()
        assert not any(secret in body for secret in leaks - own), (method, path, body)
        assert "Victim secret" not in body
        if (method, path) == ("DELETE", "/v1/session"):
            assert status == 204
    assert victim_view(user) == before
