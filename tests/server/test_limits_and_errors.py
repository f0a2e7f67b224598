"""Size limits (413) and problem+json for every error (the login throttle: tests/security)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx

from tests.server.conftest import RunningServer


def test_body_over_the_limit_is_refused_before_parsing(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(max_body_bytes=2048, max_attachment_bytes=4096)
    user = server.new_user()
    big = {"clientId": "c", "mutations": [], "padding": "x" * 5000}
    declared = user.client.post("/v1/sync", json=big)
    assert declared.status_code == 413
    problem = declared.json()
    assert declared.headers["content-type"] == "application/problem+json"
    assert problem["limit"] == "maxRequestBytes" and "2048" in problem["detail"]

    def chunks() -> Iterator[bytes]:
        yield b'{"clientId": "c", "mutations": [], "pad": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    chunked = user.client.post(
        "/v1/sync", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413 and chunked.json()["limit"] == "maxRequestBytes"

    # Attachments have their own, larger limit.
    assert user.client.post("/v1/blobs", content=b"z" * 3000).status_code == 201
    too_big = user.client.post("/v1/blobs", content=b"z" * 5000)
    assert too_big.status_code == 413 and too_big.json()["limit"] == "maxAttachmentBytes"
    # The server is still fine afterwards.
    assert user.client.get("/v1/session").status_code == 200


def test_too_many_mutations_names_the_limit(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory(max_mutations_per_sync=5)
    user = server.new_user()
    assert user.client.get("/v1/session").json()["limits"]["maxMutationsPerSync"] == 5
    mutations = [
        {"mutationId": i, "type": "email.destroy", "args": {"emailId": "x"}} for i in range(1, 7)
    ]
    response = user.client.post("/v1/sync", json={"clientId": "c", "mutations": mutations})
    assert response.status_code == 413
    assert response.json()["limit"] == "maxMutationsPerSync"


def test_validation_errors_are_problem_documents(server: RunningServer) -> None:
    user = server.new_user()
    invalid = user.client.post("/v1/sync", json={"mutations": [{"mutationId": 0}]})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    problem = invalid.json()
    assert problem["status"] == 422 and problem["title"]
    fields = {tuple(error["loc"]) for error in problem["errors"]}
    assert ("body", "clientId") in fields
    assert ("body", "mutations", 0, "mutationId") in fields

    malformed = user.client.post(
        "/v1/sync", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 400
    assert malformed.json()["type"].endswith("/malformedJson")

    for response in (
        user.client.get("/v1/nowhere"),
        user.client.get("/v1/changes", params={"since": "abc"}),
        httpx.get(f"{server.url}/v1/mailboxes"),
    ):
        assert response.headers["content-type"] == "application/problem+json", response
        assert response.json()["status"] == response.status_code


def test_nul_characters_are_refused_at_any_depth(server: RunningServer) -> None:
    user = server.new_user()
    nested = {
        "mutationId": 1,
        "type": "draft.upsert",
        "args": {"draftId": "d1", "fields": {"subject": {"old": None, "new": "hi\u0000there"}}},
    }
    bodies = [
        {"clientId": "dev\u0000ice", "mutations": []},
        {"clientId": "c", "mutations": [nested]},
    ]
    for body in bodies:
        answer = user.client.post("/v1/sync", json=body)
        assert answer.status_code == 422, answer.text
        assert "NUL" in answer.text
    assert user.client.get("/v1/drafts").json()["items"] == []
