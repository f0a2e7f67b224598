"""POST /v1/sync serializes its answer itself (routes/sync.py), and a push's results go out in
the form they were stored in (mutations.py, mutations_flags.py), not through MutationResult:
what a client receives must still be exactly SyncResponse's JSON, whatever the results, and
the API's description must still say so."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from mailapp.wire import SyncResponse
from tests.server.conftest import RunningServer, User
from tests.server.test_sync import mutation, new_draft, sync


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


def as_the_model_says(body: dict[str, Any]) -> dict[str, Any]:
    return SyncResponse.model_validate(body).model_dump(mode="json", by_alias=True)


def test_push_and_pull_answers_are_sync_responses(server: RunningServer, user: User) -> None:
    email = server.deliver(user.account_id)
    mailbox = str(uuid.uuid4())
    pushed = sync(
        user,
        [
            mutation(1, "email.keywords", emailId=email, add=["$seen"]),
            mutation(2, "mailbox.create", mailboxId=mailbox, name="Archive"),
            mutation(3, "mailbox.create", mailboxId=mailbox, name="Elsewhere"),  # conflict
            mutation(4, "email.keywords", emailId=str(uuid.uuid4()), add=["$seen"]),
            new_draft(user, 5),
        ],
    )
    assert [r["status"] for r in pushed["results"]] == [
        "applied",
        "applied",
        "conflict",
        "rejected",
        "applied",
    ]
    assert pushed == as_the_model_says(pushed)
    pulled = sync(user, [])
    assert pulled["results"] == [] and pulled["changes"]["emails"]["created"]
    assert pulled == as_the_model_says(pulled)
    response = user.client.post(
        "/v1/sync", json={"clientId": "device-a", "sinceState": None, "mutations": []}
    )
    assert response.headers["content-type"] == "application/json"


def test_the_api_description_still_names_the_answer(server: RunningServer) -> None:
    spec = server.client().get("/openapi.json").json()
    answer = spec["paths"]["/v1/sync"]["post"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/SyncResponse"}
