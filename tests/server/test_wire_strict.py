"""What a client sends is taken at its exact JSON type, through the real server: `true` is not
the id 1, `"7"` is not 7; a bad Content-Type or an out-of-range date gets a clear answer, never
a guess, a 500 or a failed batch."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.server.conftest import RunningServer, User

PROBLEMS = "https://mailapp.invalid/problems/"


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


def sync(user: User, *mutations: dict[str, Any]) -> Any:
    return user.client.post("/v1/sync", json={"clientId": "strict", "mutations": list(mutations)})


def problem(response: Any, status: int, name: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == PROBLEMS + name


def test_a_mutation_id_must_be_a_json_integer(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id)
    # 7.0 is the integer 7 in JSON (and JSON Schema); 7.5, true and "7" are not integers.
    for wrong in (True, "7", 7.5):
        mutation = {"mutationId": wrong, "type": "email.destroy", "args": {"emailId": email_id}}
        response = sync(user, mutation)
        problem(response, 422, "invalidArguments")
        assert response.json()["errors"][0]["loc"] == ["body", "mutations", 0, "mutationId"]
    # Nothing was applied under a guessed id.
    assert user.client.get(f"/v1/messages/{email_id}").status_code == 200


def test_mutation_arguments_of_the_wrong_type_reject_only_that_mutation(
    server: RunningServer, user: User
) -> None:
    email_id = server.deliver(user.account_id)
    draft_id = str(uuid.uuid4())
    response = sync(
        user,
        {"mutationId": 1, "type": "email.keywords", "args": {"emailId": email_id, "add": "$seen"}},
        {
            "mutationId": 2,
            "type": "draft.upsert",
            "args": {"draftId": draft_id, "fields": {"subject": {"old": None, "new": 42}}},
        },
        {
            "mutationId": 3,
            "type": "draft.upsert",
            "args": {
                "draftId": draft_id,
                # "10" was once stored as the size 10.
                "fields": {
                    "attachments": {
                        "old": None,
                        "new": [{"name": "a", "size": "10", "blobId": "b"}],
                    }
                },
            },
        },
        {
            "mutationId": 4,
            "type": "email.keywords",
            "args": {"emailId": email_id, "add": ["$seen"]},
        },
    )
    assert response.status_code == 200, response.text
    results = [(r["status"], r.get("reason")) for r in response.json()["results"]]
    assert results == [
        ("rejected", "invalidArguments"),
        ("rejected", "invalidArguments"),
        ("rejected", "invalidArguments"),
        ("applied", None),
    ]
    assert user.client.get(f"/v1/drafts/{draft_id}").status_code == 404


def test_rest_bodies_are_strict_too(server: RunningServer, user: User) -> None:
    draft = f"/v1/drafts/{uuid.uuid4()}"
    create = {"If-None-Match": "*"}
    problem(user.client.put(draft, json={"subject": 5}, headers=create), 422, "invalidArguments")
    attachment = {"name": "a.txt", "size": "10", "blobId": "b1"}
    problem(
        user.client.put(draft, json={"attachments": [attachment]}, headers=create),
        422,
        "invalidArguments",
    )
    email_id = server.deliver(user.account_id)
    patch = user.client.patch(
        f"/v1/messages/{email_id}", json={"addKeywords": "$seen"}, headers={"If-Match": "*"}
    )
    problem(patch, 422, "invalidArguments")
    login = server.client().post("/v1/session", json={"name": user.name, "password": 12345678})
    problem(login, 422, "invalidArguments")
    # The right JSON types still work.
    assert user.client.put(draft, json={"subject": "ok"}, headers=create).status_code == 201


def _send_at_batch(user: User, send_at: Any) -> list[tuple[str, str | None]]:
    draft_id, email_draft = str(uuid.uuid4()), str(uuid.uuid4())
    to = {"to": {"old": None, "new": [{"email": "someone@example.org"}]}}
    response = sync(
        user,
        {"mutationId": 1, "type": "draft.upsert", "args": {"draftId": draft_id, "fields": to}},
        {
            "mutationId": 2,
            "type": "submission.create",
            "args": {"submissionId": str(uuid.uuid4()), "draftId": draft_id, "sendAt": send_at},
        },
        {"mutationId": 3, "type": "draft.upsert", "args": {"draftId": email_draft, "fields": to}},
    )
    assert response.status_code == 200, response.text
    return [(r["status"], r.get("reason")) for r in response.json()["results"]]


@pytest.mark.parametrize(
    "send_at", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", 4102444800, True]
)
def test_a_send_at_out_of_range_or_not_a_string_rejects_that_mutation_only(
    server: RunningServer, send_at: Any
) -> None:
    user = server.new_user("sendat")
    assert _send_at_batch(user, send_at) == [
        ("applied", None),
        ("rejected", "invalidArguments"),
        ("applied", None),
    ]


def test_a_send_at_as_iso_string_is_accepted(server: RunningServer, user: User) -> None:
    assert _send_at_batch(user, "2099-01-01T08:00:00+02:00") == [("applied", None)] * 3
    [submission] = user.client.get("/v1/submissions").json()["items"]
    assert submission["sendAt"].startswith("2099-01-01T06:00:00")


@pytest.mark.parametrize(
    "content_type",
    [
        'application/json; charset="unterminated',
        "application/",
        "/json",
        "application json",
        "\xff",
        "application/json; charset",
        "application/json, text/plain",
    ],
)
def test_a_malformed_content_type_is_a_problem_like_any_bad_request(
    server: RunningServer, user: User, content_type: str
) -> None:
    header = [(b"Content-Type", content_type.encode("latin-1"))]
    body = b'{"clientId": "strict", "mutations": []}'
    problem(user.client.post("/v1/sync", content=body, headers=header), 400, "invalidContentType")
    put = user.client.put(
        f"/v1/drafts/{uuid.uuid4()}",
        content=b'{"subject": "x"}',
        headers=[*header, (b"If-None-Match", b"*")],
    )
    problem(put, 400, "invalidContentType")
    problem(
        user.client.post("/v1/blobs", content=b"data", headers=header), 400, "invalidContentType"
    )
    assert user.client.get("/v1/drafts").json()["items"] == []


def test_json_routes_take_only_utf8_json(server: RunningServer, user: User) -> None:
    body = b'{"clientId": "strict", "mutations": []}'
    for content_type in ("text/plain", "application/json; charset=utf-16", "multipart/form-data"):
        response = user.client.post(
            "/v1/sync", content=body, headers={"Content-Type": content_type}
        )
        problem(response, 415, "unsupportedMediaType")
    for content_type in (
        "application/json",
        "application/json; charset=UTF-8",
        "application/json;;",
    ):
        response = user.client.post(
            "/v1/sync", content=body, headers={"Content-Type": content_type}
        )
        assert response.status_code == 200, (content_type, response.text)
    blob = user.client.post("/v1/blobs", content=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert blob.status_code == 201


@pytest.mark.parametrize("content_type", [b"application/json\x01", b"application/\x7fjson"])
def test_a_content_type_that_is_not_even_http_gets_a_problem_too(
    server: RunningServer, user: User, content_type: bytes
) -> None:
    """uvicorn itself refuses these before the app sees them; the answer is still a problem."""
    response = user.client.post(
        "/v1/sync", content=b"{}", headers=[(b"Content-Type", content_type)]
    )
    problem(response, 400, "malformedRequest")
